/**
 * Routes one data message (proto type 3) by its kind (protocol/request.ts): batch and scan/query
 * to their stream handlers, a single-record request to the cluster router or to
 * transaction/single-record.ts, which completes its answer and counts it. A body that does not
 * parse is answered here with its result code.
 */
import { performance } from 'node:perf_hooks';
import { ResultCode, resultCodeOf } from '../protocol/result-codes.js';
import { FieldType, parseMessage, type AsMsg } from '../protocol/message.js';
import { fieldText, keyedKind, requestKind, type RequestKind } from '../protocol/request.js';
import { decodeScanRequest, type ScanRequest } from '../protocol/scan-request.js';
import { ResponseBuilder, simpleReply } from '../protocol/response-builder.js';
import { executeSingleRecord, lastExecuted } from '../transaction/single-record.js';
import { lastFrame } from '../transaction/outcome.js';
import type { FrameSink } from '../protocol/frame-sink.js';
import type { NamespaceLookup } from '../transaction/keyed-request.js';
import type { LatencyRegistry } from './latency.js';

export interface DataHandlers {
  batch?: (msg: AsMsg, sink: FrameSink) => Promise<void>;
  /** a scan or query of any kind (foreground, background, aggregation), decoded once */
  scan?: (req: ScanRequest, sink: FrameSink) => Promise<void>;
  /**
   * Starts a single-record request's long pure work off the event loop (offload.ts); a promise
   * when there is some (the request then runs once it settles), else undefined.
   */
  prepare?: (msg: AsMsg) => Promise<void> | undefined;
  /**
   * Single-record routing in a cluster (proxy, replication); answers undefined when the node runs
   * alone. With `commit` an answer made here without waiting is committed in `out` and the call
   * answers ANSWER_IN_BUFFER (null); without it the answer is always a frame.
   */
  single?: (msg: AsMsg, body: Buffer, out: ResponseBuilder, commit: boolean) => Buffer | Promise<Buffer> | null | undefined;
}

/** What dispatchMessage answers when the answer frame was committed to its `out` (ResponseBuilder.commitFrame). */
export const ANSWER_IN_BUFFER = null;

/** Access control for one connection: a result code refusing the request, or 0. */
export type RequestGuard = (msg: AsMsg, kind: RequestKind, scan: ScanRequest | undefined) => number;

/**
 * Handles a type-3 body. A single-record request served here is answered in `out`: its frame is
 * committed there after the frames before it (ANSWER_IN_BUFFER); a refusal or a routed answer
 * comes back as a frame; a stream handler (batch, scan) sends its own frames through `sink` and
 * its promise settles when it is done.
 */
export function dispatchMessage(
  node: NamespaceLookup,
  handlers: DataHandlers,
  body: Buffer,
  out: ResponseBuilder,
  sink: FrameSink,
  latency?: LatencyRegistry,
  guard?: RequestGuard,
): Buffer | Promise<void> | typeof ANSWER_IN_BUFFER {
  let msg: AsMsg;
  try {
    msg = parseMessage(body, 0, body.length);
  } catch (e) {
    return simpleReply(resultCodeOf(e, ResultCode.PARAMETER));
  }
  const kind = requestKind(msg);
  // a scan/query is decoded once: the access check and the scan handler read the same request
  const scan = kind === 'scan' ? decodeScanRequest(msg) : undefined;
  if (guard) {
    // security on: the user's privileges (and quotas) decide before anything runs
    const refused = guard(msg, kind, scan);
    if (refused !== 0) {
      // a batch or scan/query client reads until a last frame: the refusal is one
      return kind === 'batch' || kind === 'scan' ? lastFrame(refused) : simpleReply(refused);
    }
  }
  if (kind === 'batch') {
    if (!handlers.batch) return simpleReply(ResultCode.UNSUPPORTED_FEATURE);
    return handlers.batch(msg, sink);
  }
  if (kind === 'scan') {
    if (!handlers.scan) return simpleReply(ResultCode.UNSUPPORTED_FEATURE);
    return handlers.scan(scan!, sink);
  }
  // performance.now() is a double in ms with sub-µs resolution: no BigInt per request (imported:
  // the global `performance` is a lazy getter on every access)
  const t0 = latency ? performance.now() : 0;
  if (handlers.prepare) {
    const prepared = handlers.prepare(msg);
    if (prepared) return prepared.then(() => answerPrepared(node, handlers, msg, body, sink, latency, t0));
  }
  if (handlers.single) {
    const answer = handlers.single(msg, body, out, true);
    if (answer === ANSWER_IN_BUFFER) {
      // run here: counted as a node running alone counts it (no second decoding of its namespace)
      recordExecutedLatency(latency, msg, t0);
      return ANSWER_IN_BUFFER;
    }
    if (answer !== undefined) {
      if (!(answer instanceof Promise)) {
        recordNamedLatency(latency, msg, t0);
        return answer;
      }
      return answer.then((frame) => {
        recordNamedLatency(latency, msg, t0);
        sink.send(frame);
      });
    }
  }
  out.reset();
  executeSingleRecord(node, msg, out);
  recordExecutedLatency(latency, msg, t0);
  out.commitFrame();
  return ANSWER_IN_BUFFER;
}

/** Counts the transaction executeSingleRecord just ran in its namespace's histogram. */
function recordExecutedLatency(latency: LatencyRegistry | undefined, msg: AsMsg, t0: number): void {
  if (!latency) return;
  const kind = lastExecuted.kind;
  if (lastExecuted.ns) latency.recordNs(lastExecuted.ns.name, kind === 'delete' ? 'write' : kind, (performance.now() - t0) * 1e6);
  else recordNamedLatency(latency, msg, t0); // refused before its namespace was resolved: the name it sent
}

/**
 * A single-record request whose long work was done off the event loop: answered through `sink`
 * with a builder of its own (the connection's reply buffer has moved on meanwhile).
 */
async function answerPrepared(
  node: NamespaceLookup,
  handlers: DataHandlers,
  msg: AsMsg,
  body: Buffer,
  sink: FrameSink,
  latency: LatencyRegistry | undefined,
  t0: number,
): Promise<void> {
  const out = new ResponseBuilder(512);
  const routed = handlers.single?.(msg, body, out, false);
  let frame: Buffer;
  if (routed !== undefined && routed !== null) frame = await routed;
  else {
    executeSingleRecord(node, msg, out);
    frame = out.finish();
  }
  recordNamedLatency(latency, msg, t0);
  sink.send(frame);
}

/** Counts a single-record transaction in the read, write (deletes too) or udf histogram of the namespace it names. */
function recordNamedLatency(latency: LatencyRegistry | undefined, msg: AsMsg, t0: number): void {
  if (latency) {
    const kind = keyedKind(msg);
    latency.recordNs(fieldText(msg, FieldType.NAMESPACE) ?? '', kind === 'delete' ? 'write' : kind, (performance.now() - t0) * 1e6);
  }
}
