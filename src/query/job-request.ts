/**
 * The parts of a scan/query request every job needs, validated as Aerospike 8.1 validates them
 * before it starts a job: namespace, set, job id (TRID), records-per-second, socket timeout.
 */
import type { Namespace } from '../namespace/namespace.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { FieldType, Info1, MAX_SET_NAME_BYTES, type AsMsg, type MsgField } from '../protocol/message.js';
import type { NamespaceLookup } from '../transaction/keyed-request.js';
import type { ScanJobRegistry } from '../scan/scan-jobs.js';

export interface JobRequest {
  ns: Namespace;
  /** '' = the whole namespace */
  setName: string;
  /** 0 = whole namespace, -1 = a set the namespace does not know */
  setId: number;
  trid: bigint;
  /** records per second asked for; 0 = not limited */
  rps: number;
  /** ms; 0 = none */
  socketTimeoutMs: number;
}

export function fieldOf(msg: AsMsg, type: number): MsgField | undefined {
  return msg.fields.find((f) => f.type === type);
}

/** Job ids the node hands out when a request carries none (Aerospike counts up from 1 too). */
let nextGeneratedTrid = 1n;

/** Reads and checks the common job fields. Throws AsError with the code to answer. */
export function readJobRequest(node: NamespaceLookup, jobs: ScanJobRegistry, msg: AsMsg): JobRequest {
  const buf = msg.buf;
  const nsField = fieldOf(msg, FieldType.NAMESPACE);
  if (!nsField) throw new AsError(ResultCode.NAMESPACE, 'no namespace');
  const ns = node.namespace(buf.toString('utf8', nsField.start, nsField.end));
  if (!ns) throw new AsError(ResultCode.NAMESPACE, 'unknown namespace');
  if (msg.info1 & Info1.SHORT_QUERY) throw new AsError(ResultCode.PARAMETER, 'jobs cannot be short queries');
  let setName = '';
  const setField = fieldOf(msg, FieldType.SET);
  if (setField) {
    if (setField.end - setField.start > MAX_SET_NAME_BYTES) throw new AsError(ResultCode.PARAMETER, 'set name too long');
    setName = buf.toString('utf8', setField.start, setField.end);
  }
  const setId = setName ? ns.sets.idOf(setName, false) : 0;
  let rps = 0;
  const rpsField = fieldOf(msg, FieldType.RECS_PER_SEC);
  if (rpsField) {
    if (rpsField.end - rpsField.start !== 4) throw new AsError(ResultCode.PARAMETER, 'recs-per-sec field size');
    rps = buf.readUInt32BE(rpsField.start);
  }
  let socketTimeoutMs = 0;
  const toField = fieldOf(msg, FieldType.SOCKET_TIMEOUT);
  if (toField) {
    if (toField.end - toField.start !== 4) throw new AsError(ResultCode.PARAMETER, 'socket-timeout field size');
    socketTimeoutMs = buf.readUInt32BE(toField.start);
  }
  const tridField = fieldOf(msg, FieldType.TRID);
  let trid = tridField && tridField.end - tridField.start === 8 ? buf.readBigUInt64BE(tridField.start) : 0n;
  if (trid === 0n) {
    while (jobs.has(nextGeneratedTrid)) nextGeneratedTrid++;
    trid = nextGeneratedTrid++;
  }
  if (jobs.has(trid)) throw new AsError(ResultCode.PARAMETER, 'job id in use');
  return { ns, setName, setId, trid, rps, socketTimeoutMs };
}
