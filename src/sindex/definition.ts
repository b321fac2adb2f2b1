/**
 * Secondary index definitions: what `sindex-create` accepts (both 8.1 forms and the legacy
 * `indexdata=` form), the system-metadata key that identifies a definition, and the
 * `sindex-list` entry. Validation order and error texts follow Aerospike 8.1.2's
 * `as_sindex_manager_sindex_create` (checked against the recorded corpus).
 *
 * Aerospike keys the system metadata by definition, not by name: creating an existing definition
 * under another name renames the index; creating an existing name with another definition is
 * refused with `ERROR:200`.
 */
import { unpack, type AsValue } from '../protocol/msgpack.js';

export type KeyType = 'numeric' | 'string' | 'blob' | 'geo2dsphere';
export type IndexType = 'default' | 'list' | 'mapkeys' | 'mapvalues';

/** A secondary index definition as stored in system metadata. */
export interface SindexDef {
  ns: string;
  name: string;
  /** '' = whole namespace */
  set: string;
  /** '' for expression indexes */
  bin: string;
  ktype: KeyType;
  itype: IndexType;
  /** base64 of the msgpack CDT context, '' when none */
  ctx64: string;
  /** base64 of the compiled expression, '' when none */
  exp64: string;
}

/** Most indexes per namespace (MAX_N_SINDEXES). */
export const MAX_SINDEXES_PER_NAMESPACE = 256;
/** Limits of the info parameters, including the terminating NUL Aerospike counts. */
const INAME_MAX_SZ = 64;
const NS_MAX_SZ = 32;
const SET_MAX_SZ = 64;
const BIN_MAX_SZ = 16;
const INDEXTYPE_MAX_SZ = 10;
const KTYPE_MAX_SZ = 12;
const INDEXDATA_MAX_SZ = BIN_MAX_SZ + KTYPE_MAX_SZ;
const CTX_B64_MAX_SZ = 2048;
const EXP_B64_MAX_SZ = 16 * 1024;

const KTYPES: Record<string, KeyType> = { numeric: 'numeric', string: 'string', blob: 'blob', geo2dsphere: 'geo2dsphere' };
const ITYPES: Record<string, IndexType> = { default: 'default', list: 'list', mapkeys: 'mapkeys', mapvalues: 'mapvalues' };
const ITYPE_CHAR: Record<IndexType, string> = { default: 'D', list: 'L', mapkeys: 'K', mapvalues: 'V' };
const KTYPE_CHAR: Record<KeyType, string> = { numeric: 'I', string: 'S', blob: 'B', geo2dsphere: 'G' };

/**
 * The definition's identity (Aerospike's SMD key `ns|set|bin[|c<ctx>|e<exp>]|itype|ktype`); two
 * indexes with the same key are the same index.
 */
export function defKey(d: SindexDef): string {
  const extra = d.exp64 ? `|e${d.exp64}` : d.ctx64 ? `|c${d.ctx64}` : '';
  return `${d.ns}|${d.set}|${d.bin}${extra}|${ITYPE_CHAR[d.itype]}|${KTYPE_CHAR[d.ktype]}`;
}

/** Reads an info parameter as `as_info_parameter_get` does: the first `name=` wins. */
export function infoParam(params: string, name: string): string | undefined {
  for (const pair of params.split(';')) {
    const eq = pair.indexOf('=');
    if (eq >= 0 && pair.slice(0, eq) === name) return pair.slice(eq + 1);
  }
  return undefined;
}

type Param = { ok: true; value: string | undefined } | { ok: false; error: string };

/** as_info_optional_param_is_ok: empty or over-long values are errors (code 20 for the namespace). */
function optional(params: string, name: string, maxSz: number, alias?: string): Param {
  const v = infoParam(params, name) ?? (alias ? infoParam(params, alias) : undefined);
  const code = name === 'namespace' ? 20 : 4;
  if (v === undefined) return { ok: true, value: undefined };
  if (Buffer.byteLength(v) >= maxSz) return { ok: false, error: `ERROR:${code}:'${name}' value too long` };
  if (v === '') return { ok: false, error: `ERROR:${code}:missing '${name}' value` };
  return { ok: true, value: v };
}

function required(params: string, name: string, maxSz: number, alias?: string): Param {
  const p = optional(params, name, maxSz, alias);
  if (p.ok && p.value === undefined) return { ok: false, error: `ERROR:${name === 'namespace' ? 20 : 4}:missing '${name}'` };
  return p;
}

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (cf_b64_validate_and_decode); undefined when invalid. */
export function decodeB64(s: string): Buffer | undefined {
  if (!B64_RE.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

/** A CDT context: a msgpack list of (type, value) pairs. */
export function parseContext(bytes: Buffer): AsValue[] | undefined {
  let v: AsValue;
  try {
    v = unpack(bytes);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length === 0 || v.length % 2 !== 0) return undefined;
  for (let i = 0; i < v.length; i += 2) if (typeof v[i] !== 'bigint' && typeof v[i] !== 'number') return undefined;
  return v;
}

export type CreateParse = { ok: true; def: SindexDef } | { ok: false; error: string };

/**
 * Parses the parameters of `sindex-create` (the text after `:`). `validateExp` compiles a decoded
 * expression and answers Aerospike's name of its result type ('numeric', 'float', 'string',
 * 'blob', 'bool', 'hll', 'map', 'list', 'geo2dsphere'; 'null' for nil), or undefined when it is not
 * an expression (`ERROR:4:bad 'exp'`). The type must be the index's: `type=` for a default index,
 * 'list' for `indextype=list`, 'map' for mapkeys / mapvalues, as 8.1.2 checks.
 */
export function parseCreate(params: string, validateExp: (exp: Buffer) => string | undefined): CreateParse {
  const fail = (error: string): CreateParse => ({ ok: false, error });
  const iname = required(params, 'indexname', INAME_MAX_SZ);
  if (!iname.ok) return fail(iname.error);
  const ns = required(params, 'namespace', NS_MAX_SZ, 'ns');
  if (!ns.ok) return fail(ns.error);
  const set = optional(params, 'set', SET_MAX_SZ);
  if (!set.ok) return fail(set.error);
  const ctx = optional(params, 'context', CTX_B64_MAX_SZ);
  if (!ctx.ok) return fail(ctx.error);
  if (ctx.value !== undefined) {
    const bytes = decodeB64(ctx.value);
    if (!bytes) return fail("ERROR:4:'context' invalid base64");
    if (!parseContext(bytes)) return fail("ERROR:4:'context' invalid cdt context");
  }
  const itypeP = optional(params, 'indextype', INDEXTYPE_MAX_SZ);
  if (!itypeP.ok) {
    // an over-long value cannot name a valid index type either
    if (itypeP.error.includes('too long')) return fail("ERROR:4:bad 'indextype' - must be one of 'default', 'list', 'mapkeys', 'mapvalues'");
    return fail(itypeP.error);
  }
  let itype: IndexType = 'default';
  if (itypeP.value !== undefined) {
    const t = ITYPES[itypeP.value.toLowerCase()];
    if (!t) return fail("ERROR:4:bad 'indextype' - must be one of 'default', 'list', 'mapkeys', 'mapvalues'");
    itype = t;
  }
  const indexdata = optional(params, 'indexdata', INDEXDATA_MAX_SZ);
  if (!indexdata.ok) return fail(indexdata.error);
  const type = optional(params, 'type', KTYPE_MAX_SZ);
  if (!type.ok) {
    if (type.error.includes('too long')) return fail("ERROR:4:bad 'type' - must be one of 'numeric', 'string', 'blob', 'geo2dsphere'");
    return fail(type.error);
  }
  if (indexdata.value === undefined && type.value === undefined) return fail("ERROR:4:both 'indexdata' and 'type' are missing");
  if (indexdata.value !== undefined && type.value !== undefined) return fail("ERROR:4:both 'indexdata' and 'type' are specified");
  let ktype: KeyType;
  let bin = '';
  let exp64 = '';
  if (type.value !== undefined) {
    const k = KTYPES[type.value.toLowerCase()];
    if (!k) return fail("ERROR:4:bad 'type' - must be one of 'numeric', 'string', 'blob', 'geo2dsphere'");
    ktype = k;
    const binP = optional(params, 'bin', BIN_MAX_SZ);
    if (!binP.ok) return fail(binP.error);
    const expP = optional(params, 'exp', EXP_B64_MAX_SZ);
    if (!expP.ok) return fail(expP.error);
    if (binP.value !== undefined && expP.value !== undefined) return fail("ERROR:4:both 'bin' and 'exp' are specified");
    if (binP.value === undefined && expP.value === undefined) return fail("ERROR:4:both 'bin' and 'exp' are missing");
    if (expP.value !== undefined) {
      if (ctx.value !== undefined) return fail("ERROR:4:both 'context' and 'exp' are specified");
      const bytes = decodeB64(expP.value);
      const expType = bytes ? validateExp(bytes) : undefined;
      if (expType === undefined) return fail("ERROR:4:bad 'exp'");
      const expected = itype === 'default' ? ktype : itype === 'list' ? 'list' : 'map';
      if (expType !== expected) {
        return fail(`ERROR:4:bad 'exp' - expression type '${expType}' does not match expected type '${expected}'`);
      }
      exp64 = expP.value;
    } else {
      bin = binP.value!;
    }
  } else {
    const v = indexdata.value!;
    const comma = v.indexOf(',');
    if (comma < 0) return fail("ERROR:4:'indexdata' missing bin type");
    bin = v.slice(0, comma);
    if (bin === '') return fail("ERROR:4:'indexdata' missing bin name");
    if (Buffer.byteLength(bin) >= BIN_MAX_SZ) return fail("ERROR:4:'indexdata' bin name too long");
    const k = KTYPES[v.slice(comma + 1).toLowerCase()];
    if (!k) return fail("ERROR:4:bad 'indexdata' bin type - must be one of 'numeric', 'string', 'blob', 'geo2dsphere'");
    ktype = k;
  }
  if (itype === 'mapkeys' && ktype === 'geo2dsphere') {
    return fail("ERROR:4:bad 'indexdata' bin type for 'indextype' 'mapkeys' - must be one of 'numeric', 'string', 'blob'");
  }
  return {
    ok: true,
    def: { ns: ns.value!, name: iname.value!, set: set.value ?? '', bin, ktype, itype, ctx64: ctx.value ?? '', exp64 },
  };
}

/** Human-readable context as `sindex-list` shows it, e.g. `[map_key(<string#5>)]`. */
function contextDisplay(ctx64: string): string {
  const v = parseContext(Buffer.from(ctx64, 'base64'));
  if (!v) return ctx64;
  const names: Record<number, string> = {
    0x10: 'list_index',
    0x11: 'list_rank',
    0x13: 'list_value',
    0x20: 'map_index',
    0x21: 'map_rank',
    0x22: 'map_key',
    0x23: 'map_value',
  };
  const parts: string[] = [];
  for (let i = 0; i < v.length; i += 2) {
    const t = Number(v[i]) & 0x3f;
    const val = v[i + 1];
    const shown =
      typeof val === 'string' ? `<string#${Buffer.byteLength(val)}>` : typeof val === 'bigint' || typeof val === 'number' ? String(val) : '<value>';
    parts.push(`${names[t] ?? `ctx_${t}`}(${shown})`);
  }
  return `[${parts.join(', ')}]`;
}

/** One `sindex-list` entry (without the separator). */
export function listEntry(d: SindexDef, b64: boolean, state: 'RW' | 'WO' | 'ERROR'): string {
  const ctx = d.ctx64 ? (b64 ? d.ctx64 : contextDisplay(d.ctx64)) : 'null';
  // Strato keeps the expression's wire form; without b64 it is shown base64-encoded too
  const exp = d.exp64 ? d.exp64 : 'null';
  return (
    `ns=${d.ns}:indexname=${d.name}:set=${d.set || 'null'}:bin=${d.bin || 'null'}:type=${d.ktype}` +
    `:indextype=${d.itype}:context=${ctx}:exp=${exp}:state=${state}`
  );
}

/** Checks a definition read back from system metadata (a corrupt file must not crash the node). */
export function isSindexDef(v: unknown): v is SindexDef {
  const d = v as SindexDef;
  return (
    typeof d === 'object' &&
    d !== null &&
    typeof d.ns === 'string' &&
    typeof d.name === 'string' &&
    typeof d.set === 'string' &&
    typeof d.bin === 'string' &&
    typeof d.ctx64 === 'string' &&
    typeof d.exp64 === 'string' &&
    d.ktype in KTYPE_CHAR &&
    d.itype in ITYPE_CHAR
  );
}
