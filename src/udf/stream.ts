/**
 * Stream UDF execution (aggregations): runs `module.fn(stream, args...)` over a batch of records
 * (one partition's, see src/query/aggregation.ts) and gives back the values the pipeline yields.
 * The Lua side is lua/stream.lua. Synchronous; the Lua runtime must have been loaded.
 *
 * Errors as Aerospike reports them in the aggregation's FAILURE value: a module that is missing or
 * does not load is "UDF: Execution Error 1"; a Lua error (including "function not found") is
 * "UDF: Execution Error 2 : <message>".
 */
import { unpack, type AsValue } from '../protocol/msgpack.js';
import { logger, type LogLevel } from '../util/log.js';
import { argsOf, binsBlob, packRecordMeta, type UdfRecord } from './apply.js';
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

const LOG_LEVELS: LogLevel[] = ['critical', 'warning', 'info', 'debug', 'detail'];
const log = logger.context('udf', 'udf.ts');

/** Collects records for one stream run in the layout `I.run_stream` reads. */
export class StreamRecords {
  private parts: Buffer[] = [];
  /** bytes collected so far */
  bytes = 0;
  count = 0;

  add(rec: UdfRecord): void {
    const meta = packRecordMeta(rec, { instructionLimit: STREAM_INSTRUCTION_LIMIT, timeLimitMs: STREAM_TIME_LIMIT_MS });
    const bins = binsBlob(rec.bins);
    const h1 = Buffer.allocUnsafe(4);
    h1.writeUInt32BE(meta.length);
    const h2 = Buffer.allocUnsafe(4);
    h2.writeUInt32BE(bins.length);
    this.parts.push(h1, meta, h2, bins);
    this.bytes += 8 + meta.length + bins.length;
    this.count++;
  }

  /** The collected records as one buffer; starts a new batch. */
  take(): Buffer {
    const b = Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    this.count = 0;
    return b;
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
  const nLogs = out.readUInt32BE(q);
  q += 4;
  for (let i = 0; i < nLogs; i++) {
    const level = out.readInt32BE(q);
    const srcLen = out.readUInt16BE(q + 4);
    const src = out.toString('utf8', q + 6, q + 6 + srcLen);
    q += 6 + srcLen;
    const line = out.readInt32BE(q);
    const len = out.readUInt32BE(q + 4);
    logger.write(LOG_LEVELS[Math.min(Math.max(level, 0), 4)]!, 'udf', `${src}:${line}`, out.toString('utf8', q + 8, q + 8 + len));
    q += 8 + len;
  }
  if (status === 0) return { values };
  log.warning(`lua-error: result ${message}`);
  return { values, error: `UDF: Execution Error 2 : ${message}` };
}
