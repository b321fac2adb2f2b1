/**
 * Record UDF execution (the server's udf_master_apply, minus storage): runs `module.fn(rec, args...)`
 * against a record the transaction layer provides and says what to answer and what to write.
 *
 * The call is synchronous (the Lua runtime must have been loaded once, see UdfRegistry.init()).
 *
 * Answer mapping (as Aerospike 8.1 does):
 * - `{kind:'ok'}`: result 0 with one op `SUCCESS` holding `result` (particle from its type; NULL for nil).
 * - `{kind:'error', code:100}`: result 100 with one op `FAILURE`, a string holding `message`
 *   (unknown module "UDF: Execution Error 1", unknown function "function not found", Lua errors
 *   with their `<user-path>/<file>:<line>: ` prefix, "UDF Execution Timeout").
 * - `{kind:'error'}` with another code: that result code and no op (e.g. 2 when the UDF deleted
 *   every bin of a record it had just created, 12 for a record stored into a bin, 21 too many bins,
 *   or the `writeError` the caller passed in).
 * Generation / void time of the answer: the record's on errors (0 when it did not exist); after a
 * write, the new ones; after `remove`, the old generation + 1 and void time 0 (what 8.1.2 sends).
 */
import { AsMap, LIST_FLAGS, MsgpackReader, pack, unpack, type AsList, type AsValue } from '../protocol/msgpack.js';
import { compareValues } from '../cdt/index.js';
import type { AsMsg } from '../protocol/message.js';
import { udfFieldsOf, type UdfFields } from '../protocol/scan-request.js';
import { ResultCode, toResultCode, type ResultCodeValue } from '../protocol/result-codes.js';
import { CITRUSLEAF_EPOCH_SEC } from '../util/clock.js';
import { logger, type LogLevel } from '../util/log.js';
import { LuaCallError, UDF_INSTRUCTION_LIMIT, UDF_TIME_LIMIT_MS } from './lua-runtime.js';
import type { UdfRegistry } from './registry.js';

export interface UdfRecord {
  /** the record exists (live) */
  exists: boolean;
  /** current bins in stored order; on a write the map is updated in place to the new bins */
  bins: Map<string, AsValue>;
  generation: number;
  /** seconds since 2010-01-01, 0 = never expires */
  voidTime: number;
  /** Unix ms */
  lastUpdateMs: number;
  /** the record's set, or the request's set when the record does not exist ('' = none) */
  setName: string;
  digest: Buffer;
  /** the stored key, else the request's key (what `record.key()` returns once the record is open) */
  key: AsValue | undefined;
  /** clock for record.ttl() / aerospike:get_current_time() (default Date.now()) */
  nowMs?: number;
  /** stored size for record.size() / record.memory_size() */
  storedSize?: number;
  /** result code any aerospike:create/update/remove must fail with (stop-writes 8, forbidden 22...) */
  writeError?: number;
}

export type UdfOutcome =
  | {
      kind: 'ok';
      result: AsValue;
      write: 'none' | 'update' | 'create' | 'remove';
      bins: Map<string, AsValue>;
      /** record.set_ttl() value, to use as the request's record_ttl for the write (raw uint32: 0xFFFFFFFF never, 0xFFFFFFFE keep) */
      ttlSec?: number;
      /** record.drop_key() was called: store the record without its key */
      dropKey?: boolean;
    }
  | { kind: 'error'; code: ResultCodeValue; message: string };

export interface UdfApplyOptions {
  /** CPU time for this call; default UDF_TIME_LIMIT_MS (pass the transaction's remaining time) */
  timeLimitMs?: number;
  /** VM instructions for this call; default UDF_INSTRUCTION_LIMIT */
  instructionLimit?: number;
}

/** "UDF: Execution Error 1": what the server answers when it cannot load the module. */
export const UDF_MODULE_ERROR = 'UDF: Execution Error 1';

const log = logger.context('udf', 'udf.ts');
const LOG_LEVELS: LogLevel[] = ['critical', 'warning', 'info', 'debug', 'detail'];

/**
 * Writes the log lines a Lua call collected (`count:u32`, then per line `level:i32 srcLen:u16 src
 * line:i32 msgLen:u32 msg`, the layout lua-runtime.ts documents) to the node's log under context
 * `udf`, and returns the offset just past them.
 */
export function forwardLuaLogs(out: Buffer, q: number): number {
  const nLogs = out.readUInt32BE(q);
  q += 4;
  for (let i = 0; i < nLogs; i++) {
    const level = out.readInt32BE(q);
    const srcLen = out.readUInt16BE(q + 4);
    const src = out.toString('utf8', q + 6, q + 6 + srcLen);
    q += 6 + srcLen;
    const line = out.readInt32BE(q);
    const msgLen = out.readUInt32BE(q + 4);
    const msg = out.toString('utf8', q + 8, q + 8 + msgLen);
    q += 8 + msgLen;
    logger.write(LOG_LEVELS[Math.min(Math.max(level, 0), 4)]!, 'udf', `${src}:${line}`, msg);
  }
  return q;
}

/** Runs a record UDF. Synchronous. */
export function applyRecordUdf(
  registry: UdfRegistry,
  module: string,
  fn: string,
  argList: Buffer,
  rec: UdfRecord,
  opts: UdfApplyOptions = {},
): UdfOutcome {
  const state = registry.stateFor(module);
  if (!state) return { kind: 'error', code: ResultCode.UDF_EXECUTION, message: UDF_MODULE_ERROR };

  const meta = packRecordMeta(rec, opts);

  const args = argsOf(argList);
  const out = (() => {
    try {
      return state.call('run', [fn, meta, binsBlob(rec.exists ? rec.bins : new Map()), args]);
    } catch (e) {
      // an error outside the UDF's protected call (memory while encoding, a broken state): start over
      registry.dropState(module);
      return e instanceof LuaCallError ? e : new LuaCallError(-1, UDF_MODULE_ERROR);
    }
  })();
  if (out instanceof LuaCallError) return { kind: 'error', code: ResultCode.UDF_EXECUTION, message: out.message };

  // status, payload
  let q = 0;
  const status = out[q++]!;
  const payloadLen = out.readUInt32BE(q);
  q += 4;
  const payload = out.subarray(q, q + payloadLen);
  q += payloadLen;
  q += 2; // open, created (the caller knows whether the record existed)
  const hasUpdates = out[q++] === 1;
  const resultCode = out[q++]!;
  const nOldBins = out.readUInt32BE(q);
  q += 4;
  const ttlSet = out[q++] === 1;
  const ttl = out.readUInt32BE(q);
  q += 4;
  const dropKey = out[q++] === 1;
  const nBins = out.readUInt32BE(q);
  q += 4;
  const bins = new Map<string, AsValue>();
  for (let i = 0; i < nBins; i++) {
    const nameLen = out.readUInt16BE(q);
    const name = out.toString('utf8', q + 2, q + 2 + nameLen);
    q += 2 + nameLen;
    const vLen = out.readUInt32BE(q);
    bins.set(name, sortOrderedLists(unpack(out, q + 4, q + 4 + vLen), 0));
    q += 4 + vLen;
  }
  q = forwardLuaLogs(out, q);

  if (status !== 0) {
    const message = payload.toString('utf8');
    log.warning(`lua-error: result ${message}`);
    return { kind: 'error', code: ResultCode.UDF_EXECUTION, message };
  }
  if (resultCode !== 0) return { kind: 'error', code: toResultCode(resultCode), message: `record update failed (result ${resultCode})` };

  const result = unpack(payload);
  if (!hasUpdates) return { kind: 'ok', result, write: 'none', bins: rec.bins };
  if (bins.size === 0 && nOldBins === 0) {
    return { kind: 'error', code: ResultCode.NOT_FOUND, message: 'UDF deleted every bin of a record that had none' };
  }
  const write = bins.size === 0 ? 'remove' : rec.exists ? 'update' : 'create';
  rec.bins.clear();
  for (const [k, v] of bins) rec.bins.set(k, v);
  const outcome: UdfOutcome = { kind: 'ok', result, write, bins: rec.bins };
  if (ttlSet) outcome.ttlSec = ttl;
  if (dropKey) outcome.dropKey = true;
  return outcome;
}

/**
 * The record as the Lua side's `I.run` / `I.run_stream` take it: pack('>BI4I4i8i8I4Bi8I4s2s2s4',
 * exists, generation, ttl left, last-update (ms since 2010), now (Unix ms), stored size, write-error
 * code, instruction limit, time limit (ms), set name, digest, key msgpack or '').
 */
export function packRecordMeta(rec: UdfRecord, opts: UdfApplyOptions = {}): Buffer {
  const nowMs = rec.nowMs ?? Date.now();
  const nowSec = Math.floor(nowMs / 1000) - CITRUSLEAF_EPOCH_SEC;
  const setName = Buffer.from(rec.setName, 'utf8');
  const keyBlob = rec.key === undefined || rec.key === null ? Buffer.alloc(0) : pack(rec.key);
  const meta = Buffer.alloc(1 + 4 + 4 + 8 + 8 + 4 + 1 + 8 + 4 + 2 + setName.length + 2 + rec.digest.length + 4 + keyBlob.length);
  let p = 0;
  p = meta.writeUInt8(rec.exists ? 1 : 0, p);
  p = meta.writeUInt32BE(rec.generation >>> 0, p);
  p = meta.writeUInt32BE(rec.exists && rec.voidTime > nowSec ? rec.voidTime - nowSec : 0, p);
  p = meta.writeBigInt64BE(BigInt(rec.exists ? Math.max(0, Math.floor(rec.lastUpdateMs) - CITRUSLEAF_EPOCH_SEC * 1000) : 0), p);
  p = meta.writeBigInt64BE(BigInt(Math.floor(nowMs)), p);
  p = meta.writeUInt32BE((rec.storedSize ?? 0) >>> 0, p);
  p = meta.writeUInt8((rec.writeError ?? 0) & 0xff, p);
  p = meta.writeBigInt64BE(BigInt(Math.max(0, Math.floor(opts.instructionLimit ?? UDF_INSTRUCTION_LIMIT))), p);
  p = meta.writeUInt32BE(Math.max(0, Math.floor(opts.timeLimitMs ?? UDF_TIME_LIMIT_MS)) >>> 0, p);
  p = meta.writeUInt16BE(setName.length, p);
  p += setName.copy(meta, p);
  p = meta.writeUInt16BE(rec.digest.length, p);
  p += rec.digest.copy(meta, p);
  p = meta.writeUInt32BE(keyBlob.length, p);
  keyBlob.copy(meta, p);
  return meta;
}

/** Nesting bound of {@link sortOrderedLists} (decoded msgpack is bounded at 256 levels). */
const MAX_SORT_DEPTH = 512;

/**
 * A list the UDF read from an ordered list keeps the ordered flag when written back; Aerospike then
 * stores it sorted (whatever the Lua code appended), at every level of the value.
 */
function sortOrderedLists(v: AsValue, depth: number): AsValue {
  if (depth > MAX_SORT_DEPTH) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = sortOrderedLists(v[i]!, depth + 1);
    if (((v as AsList)[LIST_FLAGS] ?? 0) & 1) v.sort(compareValues);
  } else if (v instanceof AsMap) {
    for (const e of v.entries) e[1] = sortOrderedLists(e[1], depth + 1);
  }
  return v;
}

/** The UDF fields of a request (30 module, 31 function, 32 argument list). */
export interface UdfCall {
  module: string;
  fn: string;
  args: Buffer;
}

/** Longest module / function name the server takes (its buffers are 128 bytes with the NUL). */
const UDF_MAX_NAME_BYTES = 127;

/**
 * Reads the UDF fields of a request; undefined when one is missing or a name is too long (the server
 * answers 4 PARAMETER_ERROR then, before looking at the record).
 */
export function readUdfCall(msg: AsMsg): UdfCall | undefined {
  return udfCallOf(udfFieldsOf(msg));
}

/** {@link readUdfCall} over a request's decoded UDF fields (a scan/query request carries them decoded). */
export function udfCallOf(fields: UdfFields): UdfCall | undefined {
  const { filename: m, fn: f, arglist: a } = fields;
  if (!m || !f || !a) return undefined;
  if (m.length > UDF_MAX_NAME_BYTES || f.length > UDF_MAX_NAME_BYTES) return undefined;
  return { module: cString(m), fn: cString(f), args: a };
}

/** A name field up to its first NUL (clients may send C strings). */
function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul >= 0 ? nul : b.length);
}

/** The argument list as the server takes it: a msgpack list, else no arguments. */
export function argsOf(argList: Buffer): Buffer {
  if (argList.length === 0) return argList;
  try {
    const r = new MsgpackReader(argList);
    const v = r.read();
    if (!Array.isArray(v)) return Buffer.alloc(0);
    return argList.subarray(0, r.pos);
  } catch {
    return Buffer.alloc(0);
  }
}

function binsBlob(bins: Map<string, AsValue>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of bins) {
    const n = Buffer.from(name, 'utf8');
    const v = pack(value);
    const h = Buffer.alloc(2);
    h.writeUInt16BE(n.length);
    const l = Buffer.alloc(4);
    l.writeUInt32BE(v.length);
    parts.push(h, n, l, v);
  }
  return Buffer.concat(parts);
}
