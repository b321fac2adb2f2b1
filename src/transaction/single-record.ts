/**
 * One single-record transaction, whichever kind: decoded once, run, and its answer completed and
 * its outcome counted by outcome.ts. Used by the dispatcher for a client's request, by batch rows, background jobs
 * and the cluster router for requests served here.
 */
import { AsError, ResultCode, resultCodeOf } from '../protocol/result-codes.js';
import { Info1, Info2, type AsMsg } from '../protocol/message.js';
import { decodeKeyed } from '../protocol/request.js';
import type { ResponseBuilder } from '../protocol/response-builder.js';
import { executeRead } from './read.js';
import { executeDelete, executeWrite } from './write.js';
import type { NamespaceLookup, TxRequest } from './keyed-request.js';
import { answerSingleRecord, failedAnswer } from './outcome.js';

/**
 * The namespace and kind of the request executeSingleRecord ran last (namespace undefined when the
 * request was refused before its namespace was known). One per process, read by the caller right
 * after the call returns: a transaction runs synchronously to its end, so the latency histogram is
 * found without decoding the namespace field a second time.
 */
export const lastExecuted: { ns: TxRequest['ns'] | undefined; kind: TxRequest['kind'] } = { ns: undefined, kind: 'read' };

/**
 * Executes a single-record message and appends exactly one answer message to `out` (row
 * `rowIndex` of a batch when `inBatch`). Decodes the request once; an AsError (a refused request,
 * or one raised by the transaction before its answer was complete) becomes an answer with its
 * result code, any other error UNKNOWN. Counts the outcome in the namespace's client_* statistics
 * (batch rows are counted by the batch, which also counts rows it proxies). Returns the result code.
 */
export function executeSingleRecord(node: NamespaceLookup, msg: AsMsg, out: ResponseBuilder, rowIndex = 0, inBatch = false): number {
  const mark = out.pos;
  let req: TxRequest | undefined;
  let code: number;
  failedAnswer.generation = 0;
  failedAnswer.voidTime = 0;
  lastExecuted.ns = undefined;
  try {
    if (!(msg.info2 & Info2.WRITE) && !(msg.info1 & Info1.READ)) throw new AsError(ResultCode.PARAMETER, 'neither read nor write');
    req = decodeKeyed(msg, node);
    lastExecuted.ns = req.ns;
    lastExecuted.kind = req.kind;
    code = runTransaction(req, out, rowIndex, inBatch);
  } catch (e) {
    code = resultCodeOf(e);
    out.abortMessage(mark);
    failedAnswer.generation = 0;
    failedAnswer.voidTime = 0;
  }
  // the answer, unless the transaction wrote it (with ops), and the outcome's statistics
  answerSingleRecord(out, mark, code, req?.ns.stats, req?.kind ?? 'read', rowIndex, inBatch);
  return code;
}

function runTransaction(req: TxRequest, out: ResponseBuilder, rowIndex: number, inBatch: boolean): number {
  switch (req.kind) {
    case 'read':
      return executeRead(req, out, rowIndex, inBatch);
    case 'delete':
      return executeDelete(req, out, rowIndex);
    case 'write':
    case 'udf':
      return executeWrite(req, out, rowIndex, inBatch);
  }
}
