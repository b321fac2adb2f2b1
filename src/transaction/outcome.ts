/**
 * How a request ended, and the one place its answer's result code is written and its outcome
 * counted, for every request kind:
 *
 * - a single-record transaction returns its result code. It writes an answer message itself only
 *   when the answer carries ops (a success with bins or op results, a UDF failure with its
 *   message); for every other outcome it returns the code after `failed(code, generation,
 *   voidTime)` noted the metadata the answer shows, and {@link answerSingleRecord} writes the
 *   answer from it and counts it ({@link countOutcome}, nowhere else);
 * - a batch row answers through {@link answerBatchRow} (its row counted in batch_sub_*), and the
 *   batch ends with {@link answerBatchEnd} (the LAST message with the batch's code, counted in
 *   batch_index_*);
 * - a scan/query streams record answers begun with {@link beginRecordAnswer} and ended (and
 *   counted) with {@link endRecordAnswer} (the scan appends the record's fields and bins), partitions it cannot serve with {@link answerPartitionUnavailable},
 *   and ends with {@link answerStreamEnd} (the job's final status, its statistics, the LAST
 *   message with the stream's code); a background job is answered with {@link lastFrame} when it
 *   starts and its end recorded with {@link recordJobEnd}; a stream refused before it starts is
 *   answered by {@link refusalFrame}.
 */
import type { NamespaceStats } from '../namespace/namespace.js';
import type { FrameSink } from '../protocol/frame-sink.js';
import { Info3 } from '../protocol/message.js';
import type { KeyedKind } from '../protocol/request.js';
import { ResponseBuilder, simpleReply } from '../protocol/response-builder.js';
import { ResultCode, type ResultCodeValue } from '../protocol/result-codes.js';

/**
 * The metadata of the last failed transaction's answer. One per process: a transaction runs
 * synchronously to its end and the answer writer reads this right after, so a shared record
 * spares an object per request.
 */
export const failedAnswer = { generation: 0, voidTime: 0 };

/** Notes the generation and void-time a failure answer shows; returns `code`. */
export function failed(code: ResultCodeValue, generation = 0, voidTime = 0): ResultCodeValue {
  failedAnswer.generation = generation;
  failedAnswer.voidTime = voidTime;
  return code;
}

/**
 * Counts a single-record transaction's outcome in its namespace's statistics: client_* for a
 * request of its own, batch_sub_* for a batch row. FILTERED_OUT counts as filtered out only, and
 * NOT_FOUND as not found for reads and deletes (as Aerospike 8 counts them); every other failure,
 * including a request refused before the record was looked at, counts as an error.
 */
export function countOutcome(stats: NamespaceStats, kind: KeyedKind, code: number, inBatch: boolean): void {
  const ok = code === ResultCode.OK;
  const filtered = code === ResultCode.FILTERED_OUT;
  const notFound = code === ResultCode.NOT_FOUND;
  if (inBatch) {
    switch (kind) {
      case 'read':
        if (ok) stats.batchSubReadSuccess++;
        else if (filtered) stats.batchSubReadFilteredOut++;
        else if (notFound) stats.batchSubReadNotFound++;
        else stats.batchSubReadError++;
        return;
      case 'write':
        if (ok) stats.batchSubWriteSuccess++;
        else if (filtered) stats.batchSubWriteFilteredOut++;
        else stats.batchSubWriteError++;
        return;
      case 'delete':
        if (ok) stats.batchSubDeleteSuccess++;
        else if (filtered) stats.batchSubDeleteFilteredOut++;
        else if (notFound) stats.batchSubDeleteNotFound++;
        else stats.batchSubDeleteError++;
        return;
      case 'udf':
        if (ok) stats.batchSubUdfComplete++;
        else if (filtered) stats.batchSubUdfFilteredOut++;
        else stats.batchSubUdfError++;
        return;
    }
  }
  switch (kind) {
    case 'read':
      if (ok) stats.clientReadSuccess++;
      else if (filtered) stats.clientReadFilteredOut++;
      else if (notFound) stats.clientReadNotFound++;
      else stats.clientReadError++;
      return;
    case 'write':
      if (ok) stats.clientWriteSuccess++;
      else if (filtered) stats.clientWriteFilteredOut++;
      else stats.clientWriteError++;
      return;
    case 'delete':
      if (ok) stats.clientDeleteSuccess++;
      else if (filtered) stats.clientDeleteFilteredOut++;
      else if (notFound) stats.clientDeleteNotFound++;
      else stats.clientDeleteError++;
      return;
    case 'udf':
      if (ok) stats.clientUdfComplete++;
      else if (filtered) stats.clientUdfFilteredOut++;
      else stats.clientUdfError++;
      return;
  }
}

// ------------------------------------------------------------------------ single-record answers

/**
 * Completes a single-record transaction's answer in `out` and counts it: when the transaction left
 * no message after `mark`, one message with `code` and the metadata `failed()` noted (row
 * `rowIndex` of a batch). Counts the outcome in the namespace's client_* statistics unless the
 * request is a batch row (the batch counts its rows, also those it proxies: {@link answerBatchRow})
 * or was refused before its namespace was known (`stats` undefined).
 */
export function answerSingleRecord(out: ResponseBuilder, mark: number, code: number, stats: NamespaceStats | undefined, kind: KeyedKind, rowIndex: number, inBatch: boolean): void {
  if (out.pos === mark) {
    out.beginMessage(code, failedAnswer.generation, failedAnswer.voidTime, rowIndex);
    out.endMessage();
  }
  if (stats !== undefined && !inBatch) countOutcome(stats, kind, code, false);
}

// -------------------------------------------------------------------------------- batch answers

/** The batch_index_* counters a batch's end is counted in. */
export interface BatchIndexStats {
  batchIndexInitiate: number;
  batchIndexComplete: number;
  batchIndexError: number;
}

/**
 * Answers one batch row and counts it in its namespace's batch_sub_* statistics: a row refused
 * before it ran (`refused`, its code the refusal's) gets a message of its own here; a row that ran
 * here or on another node has its answer in `out` already.
 */
export function answerBatchRow(out: ResponseBuilder, stats: NamespaceStats, kind: KeyedKind, rowIndex: number, code: number, refused: boolean): void {
  if (refused) {
    out.beginMessage(code, 0, 0, rowIndex);
    out.endMessage();
  }
  countOutcome(stats, kind, code, true);
}

/** Ends a batch: the LAST message with the batch's code (0, or its first error), counted as complete or error. */
export function answerBatchEnd(sink: FrameSink, stats: BatchIndexStats, code: number): void {
  if (code === ResultCode.OK) stats.batchIndexComplete++;
  else stats.batchIndexError++;
  sink.send(lastFrame(code));
}

/**
 * Ends a batch as {@link answerBatchEnd} does, but commits the LAST message's frame into `out`
 * after the frames there, so the rows' last frame and the end leave in one write.
 */
export function appendBatchEnd(out: ResponseBuilder, stats: BatchIndexStats, code: number): void {
  if (code === ResultCode.OK) stats.batchIndexComplete++;
  else stats.batchIndexError++;
  // the bytes of lastFrame(code)
  out.reset();
  out.beginMessage(code, 0, 0, 0, 0, Info3.LAST);
  out.endMessage();
  out.commitFrame();
}

// ---------------------------------------------------------------------- scan and query answers

/** A stream request's job, as its end is recorded (scan/scan-jobs.ts ScanJob). */
export interface StreamJob {
  finish(status: StreamEnd['status']): void;
}

/** How a stream ended: the job status it records and the code its LAST message carries. */
export type StreamEnd =
  /** every partition walked; answered 0 */
  | { status: 'done(ok)'; code: number }
  /** the client went away (or the stream failed after answering began); answered `code` if it is still there */
  | { status: 'done(abandoned-unknown)'; code: number }
  /** stopped by query-abort; answered QUERY_ABORT */
  | { status: 'done(user-aborted)'; code: number }
  /** failed; answered its code */
  | { status: 'done(error)'; code: number };

/**
 * Begins the answer message of one record a scan/query returns (or one value of an aggregation):
 * result 0 with the record's generation and void time (the caller appends its fields and bins,
 * then ends the message).
 */
export function beginRecordAnswer(out: ResponseBuilder, generation: number, voidTime: number, info1: number): void {
  out.beginMessage(ResultCode.OK, generation, voidTime, 0, info1);
}

/** Ends a record's answer message and counts the record in its job's recs-succeeded. */
export function endRecordAnswer(out: ResponseBuilder, job: { recsSucceeded: number }): void {
  out.endMessage();
  job.recsSucceeded++;
}

/** Marks partition `pid` done and unavailable here (a stale client map: the client retries it elsewhere). */
export function answerPartitionUnavailable(out: ResponseBuilder, pid: number): void {
  out.beginMessage(ResultCode.UNAVAILABLE, pid, 0, 0, 0, Info3.PARTITION_DONE);
  out.endMessage();
}

/**
 * Records a job's end: its final status and its statistics (`count`, the kind's, when it has
 * some). A background job ends this way: its client was answered when it started.
 */
export function recordJobEnd(job: StreamJob, status: StreamEnd['status'], count?: () => void): void {
  job.finish(status);
  count?.();
}

/**
 * Ends a scan/query stream: records the job's end ({@link recordJobEnd}) and sends the LAST
 * message with the end's code, unless `sendIfClosed` is false and the client is gone. Returns the
 * bytes sent (0 when nothing was).
 */
export function answerStreamEnd(sink: FrameSink, job: StreamJob, end: StreamEnd, count?: () => void, sendIfClosed = true): number {
  recordJobEnd(job, end.status, count);
  if (!sendIfClosed && sink.closed) return 0;
  const frame = lastFrame(end.code);
  sink.send(frame);
  return frame.length;
}

// ---------------------------------------------------------------------------- one-message frames

/** The answer to a stream request (scan/query, background job) refused before it starts: one plain message, no LAST bit, as Aerospike answers. */
export function refusalFrame(code: number): Buffer {
  return simpleReply(code);
}

/** One message with the LAST bit and `code`: the end of a stream (batch, scan/query), or all of it (a background job's answer, a refused batch). */
export function lastFrame(code: number): Buffer {
  const frame = simpleReply(code);
  frame[8 + 3] = Info3.LAST;
  return frame;
}
