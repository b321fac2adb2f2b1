/**
 * One single-record transaction, whichever kind: a write (put, operate, delete, UDF) or a read.
 * Used by the dispatcher for a client's request, by batch rows, background jobs and the cluster
 * router for requests served here.
 */
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { Info1, Info2, type AsMsg } from '../protocol/message.js';
import type { ResponseBuilder } from '../protocol/response-builder.js';
import { executeRead } from './read.js';
import { executeWrite } from './write.js';
import type { NamespaceLookup } from './keyed-request.js';

/**
 * Executes a single-record message and appends its answer to `out` (row `rowIndex` of a batch
 * when `inBatch`). An AsError raised before the answer was begun becomes an answer with its
 * result code (any other error: UNKNOWN). Returns the result code.
 */
export function executeSingleRecord(node: NamespaceLookup, msg: AsMsg, out: ResponseBuilder, rowIndex = 0, inBatch = false): number {
  const mark = out.pos;
  try {
    if (msg.info2 & Info2.WRITE) return executeWrite(node, msg, out, rowIndex, inBatch);
    if (msg.info1 & Info1.READ) return executeRead(node, msg, out, rowIndex, inBatch);
    throw new AsError(ResultCode.PARAMETER, 'neither read nor write');
  } catch (e) {
    const code = e instanceof AsError ? e.code : ResultCode.UNKNOWN;
    out.abortMessage(mark);
    out.beginMessage(code, 0, 0, rowIndex);
    out.endMessage();
    return code;
  }
}
