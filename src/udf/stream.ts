/**
 * Stream UDF execution (aggregations): runs `module.fn(stream, args...)` over a batch of records
 * (one partition's, see src/query/aggregation.ts) and gives back the values the pipeline yields.
 * The Lua side is lua/stream.lua. Synchronous; the Lua runtime must have been loaded.
 *
 * Errors as Aerospike reports them in the aggregation's FAILURE value: a module that is missing or
 * does not load is "UDF: Execution Error 1"; a Lua error (including "function not found") is
 * "UDF: Execution Error 2 : <message>".
 */
import { pack, unpack, type AsValue } from '../protocol/msgpack.js';
import { Particle, particleToValue } from '../protocol/particle.js';
import { forEachStoredBin, readStoredKey } from '../storage/record-codec.js';
import { CITRUSLEAF_EPOCH_SEC } from '../util/clock.js';
import { logger } from '../util/log.js';
import { argsOf, forwardLuaLogs } from './apply.js';
import { LuaCallError } from './lua-runtime.js';
import type { UdfRegistry } from './registry.js';

/** CPU time one stream run (one batch of records) may use before it fails with "UDF Execution Timeout". */
export const STREAM_TIME_LIMIT_MS = 10_000;
/** Lua VM instructions one stream run may execute. */
export const STREAM_INSTRUCTION_LIMIT = 2_000_000_000;

/** One value a stream yields: a value, or a record (sent to the client as a NULL particle). */
export type StreamValue = { kind: 'value'; value: AsValue } | { kind: 'record' };

export interface StreamOutcome {
  /** values yielded before the end (or before the error) */
  values: StreamValue[];
  /** the FAILURE text when the run failed */
  error?: string;
}

const log = logger.context('udf', 'udf.ts');

/** What `I.run_stream` needs of a stored record besides its bins. */
export interface StreamRecordMeta {
  generation: number;
  /** seconds since 2010-01-01, 0 = never expires */
  voidTime: number;
  /** Unix ms */
  lastUpdateMs: number;
  /** the set name as UTF-8 ('' = none) */
  setName: Buffer;
  digest: Buffer;
  /** Unix ms: the clock for record.ttl() */
  nowMs: number;
}

const INITIAL_BATCH_BYTES = 64 * 1024;

/** Writes a non-negative integer below 2^53 as 8 big-endian bytes (no BigInt on the per-record path). */
function writeUint53(b: Buffer, v: number, at: number): number {
  b.writeUInt32BE(Math.floor(v / 0x1_0000_0000), at);
  b.writeUInt32BE(v >>> 0, at + 4);
  return at + 8;
}

/**
 * Collects records for one stream run in the layout `I.run_stream` reads (see stream.lua), written
 * straight from the stored form into one growing buffer: no object per record or bin on the way.
 */
export class StreamRecords {
  private buf = Buffer.allocUnsafe(INITIAL_BATCH_BYTES);
  private pos = 0;
  count = 0;

  /** bytes collected so far */
  get bytes(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Adds a live record: its metadata and its stored form (record-codec layout). */
  add(m: StreamRecordMeta, stored: Buffer): void {
    const key = readStoredKey(stored);
    const keyBlob = key ? pack(particleToValue(key.type, key.value)) : undefined;
    const keyLen = keyBlob ? keyBlob.length : 0;
    const metaLen = 1 + 4 + 4 + 8 + 8 + 4 + 1 + 8 + 4 + 2 + m.setName.length + 2 + m.digest.length + 4 + keyLen;
    this.ensure(4 + metaLen + 4);
    const b = this.buf;
    let p = this.pos;
    p = b.writeUInt32BE(metaLen, p);
    const nowSec = Math.floor(m.nowMs / 1000) - CITRUSLEAF_EPOCH_SEC;
    b[p++] = 1; // exists
    p = b.writeUInt32BE(m.generation >>> 0, p);
    p = b.writeUInt32BE(m.voidTime > nowSec ? m.voidTime - nowSec : 0, p);
    p = writeUint53(b, Math.max(0, Math.floor(m.lastUpdateMs) - CITRUSLEAF_EPOCH_SEC * 1000), p);
    p = writeUint53(b, Math.floor(m.nowMs), p);
    p = b.writeUInt32BE(stored.length >>> 0, p);
    b[p++] = 0; // write error: stream records are read-only
    p = writeUint53(b, STREAM_INSTRUCTION_LIMIT, p);
    p = b.writeUInt32BE(STREAM_TIME_LIMIT_MS, p);
    p = b.writeUInt16BE(m.setName.length, p);
    p += m.setName.copy(b, p);
    p = b.writeUInt16BE(m.digest.length, p);
    p += m.digest.copy(b, p);
    p = b.writeUInt32BE(keyLen, p);
    if (keyBlob) p += keyBlob.copy(b, p);
    const binsLenAt = p;
    this.pos = p + 4;
    forEachStoredBin(stored, (nameStart, nameLen, type, valueStart, valueLen) => this.addBin(stored, nameStart, nameLen, type, valueStart, valueLen));
    this.buf.writeUInt32BE(this.pos - binsLenAt - 4, binsLenAt);
    this.count++;
  }

  /** One bin as pack('>s2s4', name, Aerospike msgpack of its value). */
  private addBin(src: Buffer, nameStart: number, nameLen: number, type: number, valueStart: number, valueLen: number): void {
    // integers, floats and strings are written directly; other types go through the value model
    let slow: Buffer | undefined;
    let packedLen: number;
    if (type === Particle.INTEGER && valueLen === 8) packedLen = 9;
    else if (type === Particle.FLOAT && valueLen === 8) packedLen = 9;
    else if (type === Particle.STRING) packedLen = 5 + 1 + valueLen;
    else {
      slow = pack(particleToValue(type, src.subarray(valueStart, valueStart + valueLen)));
      packedLen = slow.length;
    }
    this.ensure(2 + nameLen + 4 + packedLen);
    const b = this.buf;
    let p = this.pos;
    p = b.writeUInt16BE(nameLen, p);
    p += src.copy(b, p, nameStart, nameStart + nameLen);
    p = b.writeUInt32BE(packedLen, p);
    if (slow) p += slow.copy(b, p);
    else if (type === Particle.INTEGER || type === Particle.FLOAT) {
      b[p] = type === Particle.INTEGER ? 0xd3 : 0xcb;
      p += 1 + src.copy(b, p + 1, valueStart, valueStart + 8);
    } else {
      // str32 holding the particle type then the bytes (Aerospike's msgpack string form)
      b[p] = 0xdb;
      p = b.writeUInt32BE(valueLen + 1, p + 1);
      b[p++] = Particle.STRING;
      p += src.copy(b, p, valueStart, valueStart + valueLen);
    }
    this.pos = p;
  }

  /**
   * The collected records (a view of the batch buffer: use it before the next `add`, as
   * {@link applyStreamUdf} does, which copies it into Lua); starts a new batch in the same buffer.
   */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    this.count = 0;
    return out;
  }
}

/** Runs a stream UDF over `records` (from {@link StreamRecords.take}). */
export function applyStreamUdf(registry: UdfRegistry, module: string, fn: string, argList: Buffer, records: Buffer): StreamOutcome {
  const state = registry.stateFor(module);
  if (!state) return { values: [], error: 'UDF: Execution Error 1' };
  let out: Buffer;
  try {
    out = state.call('run_stream', [fn, argsOf(argList), records, BigInt(STREAM_INSTRUCTION_LIMIT), STREAM_TIME_LIMIT_MS]);
  } catch (e) {
    // an error outside the protected call (memory while encoding, a broken state): start over
    registry.dropState(module);
    const message = e instanceof LuaCallError ? e.message : String(e);
    return { values: [], error: `UDF: Execution Error 2 : ${message}` };
  }
  let q = 0;
  const status = out[q++]!;
  const n = out.readUInt32BE(q);
  q += 4;
  const values: StreamValue[] = [];
  for (let i = 0; i < n; i++) {
    const kind = out[q]!;
    const len = out.readUInt32BE(q + 1);
    q += 5;
    values.push(kind === 1 ? { kind: 'record' } : { kind: 'value', value: unpack(out, q, q + len) });
    q += len;
  }
  const msgLen = out.readUInt32BE(q);
  const message = out.toString('utf8', q + 4, q + 4 + msgLen);
  q += 4 + msgLen;
  forwardLuaLogs(out, q);
  if (status === 0) return { values };
  log.warning(`lua-error: result ${message}`);
  return { values, error: `UDF: Execution Error 2 : ${message}` };
}
