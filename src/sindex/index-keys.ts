/**
 * What a record contributes to an index: its keys, each a signed 64-bit "bval" (the integer
 * itself, the wyhash of a string or blob, or an S2 cell id of a GeoJSON value) plus what a query
 * needs to re-check the match exactly (string/blob bytes, the GeoJSON particle). Follows
 * Aerospike's `sbin_from_bin`: a bin (or the element a CDT context reaches, or an expression's
 * value) of the index's key type, or for list / mapkeys / mapvalues indexes each element of that
 * type; values of other types contribute nothing.
 */
import { dig } from '../cdt/context.js';
import { compileExpOp, UNKNOWN, type CompiledExpOp, type ExpRecord } from '../expressions/index.js';
import { AsBytes, AsGeoJson, AsMap, type AsValue } from '../protocol/msgpack.js';
import { Particle, particleToValue, type Bin } from '../protocol/particle.js';
import { decodeGeoJsonParticle, encodeGeoJsonParticle } from '../geo/index.js';
import { binsOffset, decodeRecord } from '../storage/record-codec.js';
import { parseContext, type KeyType, type IndexType, type SindexDef } from './definition.js';
import { bytesBval } from './wyhash.js';

/** Strings and blobs longer than this are not indexed (MAX_STRING_KSIZE / MAX_BLOB_KSIZE). */
export const MAX_INDEXED_BYTES = 2048;
/** Most keys one record contributes to one index (bounds work per write on huge lists). */
export const MAX_KEYS_PER_RECORD = 64 * 1024;

/** One index key of a record. */
export interface IndexKey {
  bval: bigint;
  /** string / blob bytes (for an exact re-check: bvals are hashes) */
  bytes?: Buffer;
  /** GeoJSON particle (flags, cells, text) */
  geo?: Buffer;
}

/** An index definition made ready to extract keys. */
export class KeyExtractor {
  readonly ktype: KeyType;
  readonly itype: IndexType;
  readonly bin: string;
  private readonly ctx: AsValue[] | undefined;
  private readonly exp: CompiledExpOp | undefined;
  private readonly binBytes: Buffer;

  constructor(def: SindexDef) {
    this.ktype = def.ktype;
    this.itype = def.itype;
    this.bin = def.bin;
    this.binBytes = Buffer.from(def.bin, 'utf8');
    this.ctx = def.ctx64 ? parseContext(Buffer.from(def.ctx64, 'base64')) : undefined;
    // an index expression is evaluated as an EXP_READ op would: msgpack [exp]
    this.exp = def.exp64 ? compileExpOp(Buffer.concat([Buffer.from([0x91]), Buffer.from(def.exp64, 'base64')])) : undefined;
  }

  /** Keys of a stored record (record-codec bytes); duplicates are possible. */
  keys(data: Buffer, digest: Buffer): IndexKey[] {
    const out: IndexKey[] = [];
    if (this.exp) {
      let v: AsValue | typeof UNKNOWN;
      try {
        v = this.exp.evaluate(new StoredRecordView(data, digest), { nowMs: 0 });
      } catch {
        return out;
      }
      if (v !== UNKNOWN) this.fromValue(v, out);
      return out;
    }
    // the common case — a default index on a scalar bin — reads the bin in place
    const found = findBin(data, this.binBytes);
    if (!found) return out;
    const value = data.subarray(found.start, found.start + found.len);
    if (!this.ctx && this.itype === 'default') {
      this.fromParticle(found.type, value, out);
      return out;
    }
    if (found.type !== Particle.LIST && found.type !== Particle.MAP) return out;
    let v: AsValue = particleToValue(found.type, value);
    if (this.ctx) {
      try {
        const d = dig(v, this.ctx, false);
        if (d.target === undefined) return out;
        v = d.target;
      } catch {
        return out;
      }
    }
    this.fromValue(v, out);
    return out;
  }

  private fromParticle(type: number, value: Buffer, out: IndexKey[]): void {
    switch (this.ktype) {
      case 'numeric':
        if (type === Particle.INTEGER && value.length === 8) out.push({ bval: value.readBigInt64BE(0) });
        return;
      case 'string':
        if (type === Particle.STRING && value.length <= MAX_INDEXED_BYTES) out.push({ bval: bytesBval(value), bytes: value });
        return;
      case 'blob':
        if (type === Particle.BLOB && value.length <= MAX_INDEXED_BYTES) out.push({ bval: bytesBval(value), bytes: value });
        return;
      case 'geo2dsphere':
        if (type === Particle.GEOJSON) pushGeo(value, out);
        return;
    }
  }

  /** Keys from a value reached by a context or an expression, per the index type. */
  private fromValue(v: AsValue, out: IndexKey[]): void {
    switch (this.itype) {
      case 'default':
        this.scalar(v, out);
        return;
      case 'list':
        if (Array.isArray(v)) for (const e of v) if (out.length < MAX_KEYS_PER_RECORD) this.scalar(e, out);
        return;
      case 'mapkeys':
        if (v instanceof AsMap) for (const [k] of v.entries) if (out.length < MAX_KEYS_PER_RECORD) this.scalar(k, out);
        return;
      case 'mapvalues':
        if (v instanceof AsMap) for (const [, e] of v.entries) if (out.length < MAX_KEYS_PER_RECORD) this.scalar(e, out);
        return;
    }
  }

  private scalar(v: AsValue, out: IndexKey[]): void {
    switch (this.ktype) {
      case 'numeric':
        if (typeof v === 'bigint') out.push({ bval: BigInt.asIntN(64, v) });
        return;
      case 'string':
        if (typeof v === 'string') {
          const b = Buffer.from(v, 'utf8');
          if (b.length <= MAX_INDEXED_BYTES) out.push({ bval: bytesBval(b), bytes: b });
        }
        return;
      case 'blob':
        if (v instanceof AsBytes && v.type === Particle.BLOB && v.bytes.length <= MAX_INDEXED_BYTES) out.push({ bval: bytesBval(v.bytes), bytes: v.bytes });
        return;
      case 'geo2dsphere':
        if (v instanceof AsGeoJson) {
          try {
            pushGeo(encodeGeoJsonParticle(v.json), out);
          } catch {
            // invalid GeoJSON inside a collection is not indexed, as Aerospike skips it
          }
        }
        return;
    }
  }
}

/** Finds a bin by name in record-codec bytes without decoding the record or allocating. */
function findBin(data: Buffer, name: Buffer): { type: number; start: number; len: number } | undefined {
  let p = binsOffset(data);
  const n = data.readUInt16LE(p);
  p += 2;
  const nameLen = name.length;
  for (let i = 0; i < n; i++) {
    const len = data[p++]!;
    let same = len === nameLen;
    for (let k = 0; same && k < len; k++) same = data[p + k] === name[k];
    p += len;
    const type = data[p++]!;
    const valueLen = data.readUInt32LE(p);
    p += 4;
    if (same) return { type, start: p, len: valueLen };
    p += valueLen;
  }
  return undefined;
}

function pushGeo(particle: Buffer, out: IndexKey[]): void {
  let cells: bigint[];
  try {
    cells = decodeGeoJsonParticle(particle).cells;
  } catch {
    return;
  }
  for (const c of cells) out.push({ bval: BigInt.asIntN(64, c), geo: particle });
}

/** The view an index expression gets of a stored record: bins and digest (Aerospike refuses other metadata). */
class StoredRecordView implements ExpRecord {
  private bins: Bin[] | undefined;
  constructor(
    private readonly data: Buffer,
    readonly digest: Buffer,
  ) {}
  private all(): Bin[] {
    this.bins ??= decodeRecord(this.data).bins;
    return this.bins;
  }
  getBin(name: string): Bin | undefined {
    for (const b of this.all()) if (b.name === name) return b;
    return undefined;
  }
  binNames(): string[] {
    return this.all().map((b) => b.name);
  }
  readonly exists = true;
  readonly generation = 0;
  readonly voidTime = 0;
  readonly lastUpdateMs = 0;
  readonly setName = '';
  get key(): { type: number; value: Buffer } | undefined {
    return decodeRecord(this.data).key;
  }
  get recordSizeBytes(): number {
    return this.data.length;
  }
  readonly memorySizeBytes = 0;
  readonly deviceSizeBytes = 0;
  readonly isTombstone = false;
}

/** Whether two key lists hold the same bvals (an update that leaves the index unchanged). */
export function sameBvals(a: IndexKey[], b: IndexKey[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.bval !== b[i]!.bval) return false;
  return true;
}
