/**
 * Encodes a foreground partition scan request (protocol reference §8.1) in the C client's field
 * order: namespace, set, [records-per-second], socket timeout, task id, [filter], [PID_ARRAY],
 * [DIGEST_ARRAY], [MAX_RECORDS], then one READ op per selected bin.
 */
import { FieldType, Info1, Info3, OpType } from '../protocol/message.js';
import { encodeMessage, type FieldSpec } from './message-encoder.js';

export interface ScanRequest {
  namespace: string;
  /** '' or undefined scans every set */
  set?: string;
  /** partitions to scan from their beginning */
  partitionIds: number[];
  /** resume points: each digest names its partition; the scan restarts after it */
  resumeDigests: Buffer[];
  /** bins to return; empty = all */
  binNames?: string[];
  /** metadata only (GET_NO_BINS) */
  noBins?: boolean;
  /** compiled filter expression (field 43) */
  filter?: Buffer;
  /** server stops after this many records (0 = no limit) */
  maxRecords?: number;
  /** server-side throttle (0 = none) */
  recordsPerSecond?: number;
  /** server send timeout per chunk, ms (0 = none) */
  socketTimeoutMs?: number;
  /** transaction_ttl: the server abandons the scan at this deadline, ms (0 = none) */
  totalTimeoutMs?: number;
  taskId: bigint;
}

/** Builds the complete type-3 frame. Throws when no partition is named (the server would refuse it). */
export function encodeScanRequest(r: ScanRequest): Buffer {
  if (r.partitionIds.length + r.resumeDigests.length === 0) throw new Error('a scan must name at least one partition');
  const fields: FieldSpec[] = [{ type: FieldType.NAMESPACE, data: Buffer.from(r.namespace) }];
  if (r.set) fields.push({ type: FieldType.SET, data: Buffer.from(r.set) });
  if (r.recordsPerSecond && r.recordsPerSecond > 0) fields.push({ type: FieldType.RECS_PER_SEC, data: u32(r.recordsPerSecond) });
  fields.push({ type: FieldType.SOCKET_TIMEOUT, data: u32(r.socketTimeoutMs ?? 0) });
  const trid = Buffer.allocUnsafe(8);
  trid.writeBigUInt64BE(r.taskId);
  fields.push({ type: FieldType.TRID, data: trid });
  if (r.filter) fields.push({ type: FieldType.FILTER, data: r.filter });
  if (r.partitionIds.length > 0) {
    const pids = Buffer.allocUnsafe(r.partitionIds.length * 2);
    r.partitionIds.forEach((pid, i) => pids.writeUInt16LE(pid, i * 2));
    fields.push({ type: FieldType.PID_ARRAY, data: pids });
  }
  if (r.resumeDigests.length > 0) fields.push({ type: FieldType.DIGEST_ARRAY, data: Buffer.concat(r.resumeDigests) });
  if (r.maxRecords && r.maxRecords > 0) {
    const m = Buffer.allocUnsafe(8);
    m.writeBigUInt64BE(BigInt(r.maxRecords));
    fields.push({ type: FieldType.MAX_RECORDS, data: m });
  }
  const ops = r.noBins ? [] : (r.binNames ?? []).map((name) => ({ op: OpType.READ, type: 0, name }));
  return encodeMessage(
    {
      info1: Info1.READ | (r.noBins ? Info1.GET_NO_BINS : 0),
      info3: Info3.PARTITION_DONE,
      ttl: 0xffffffff,
      timeoutMs: r.totalTimeoutMs ?? 0,
    },
    fields,
    ops,
  );
}

function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}
