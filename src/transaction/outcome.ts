/**
 * How a single-record transaction ended, and the one place its answer is completed and counted.
 *
 * A transaction returns its result code. It writes an answer message itself only when the answer
 * carries ops (a success with bins or op results, a UDF failure with its message); for every
 * other outcome it returns the code after `failed(code, generation, voidTime)` noted the metadata
 * the answer shows, and `finishSingleRecord` (single-record.ts) writes the answer from it.
 * Statistics are counted from the code by `countOutcome`, nowhere else.
 */
import type { NamespaceStats } from '../namespace/namespace.js';
import type { KeyedKind } from '../protocol/request.js';
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
