/**
 * The parts of a scan/query request every job needs, validated as Aerospike 8.1 validates them
 * before it starts a job: namespace, set, job id (TRID), records-per-second, socket timeout.
 */
import type { Namespace } from '../namespace/namespace.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { Info1, MAX_SET_NAME_BYTES } from '../protocol/message.js';
import { BAD_SIZE, type ScanRequest } from '../protocol/scan-request.js';
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

/** Job ids the node hands out when a request carries none (Aerospike counts up from 1 too). */
let nextGeneratedTrid = 1n;

/** Reads and checks the common job fields. Throws AsError with the code to answer. */
export function readJobRequest(node: NamespaceLookup, jobs: ScanJobRegistry, req: ScanRequest): JobRequest {
  if (req.namespace === undefined) throw new AsError(ResultCode.NAMESPACE, 'no namespace');
  const ns = node.namespace(req.namespace);
  if (!ns) throw new AsError(ResultCode.NAMESPACE, 'unknown namespace');
  if (req.msg.info1 & Info1.SHORT_QUERY) throw new AsError(ResultCode.PARAMETER, 'jobs cannot be short queries');
  let setName = '';
  if (req.set) {
    if (req.set.bytes > MAX_SET_NAME_BYTES) throw new AsError(ResultCode.PARAMETER, 'set name too long');
    setName = req.set.name;
  }
  const setId = setName ? ns.sets.idOf(setName, false) : 0;
  if (req.recsPerSec === BAD_SIZE) throw new AsError(ResultCode.PARAMETER, 'recs-per-sec field size');
  const rps = req.recsPerSec ?? 0;
  if (req.socketTimeoutMs === BAD_SIZE) throw new AsError(ResultCode.PARAMETER, 'socket-timeout field size');
  const socketTimeoutMs = req.socketTimeoutMs ?? 0;
  let trid = typeof req.trid === 'bigint' ? req.trid : 0n;
  if (trid === 0n) {
    while (jobs.has(nextGeneratedTrid)) nextGeneratedTrid++;
    trid = nextGeneratedTrid++;
  }
  if (jobs.has(trid)) throw new AsError(ResultCode.PARAMETER, 'job id in use');
  return { ns, setName, setId, trid, rps, socketTimeoutMs };
}
