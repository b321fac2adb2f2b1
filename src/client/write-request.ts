/**
 * Encodes record writes as a restore sends them: batch-index writes (protocol reference §7.1–§7.2,
 * one write row per record) and single-record puts (§6.1), with the write policy flags
 * asrestore uses (CREATE_ONLY, CREATE_OR_REPLACE, GENERATION_GT, the user key when known).
 */
import { FieldType, Info1, Info2, Info3, OpType } from '../protocol/message.js';
import { encodeMessage, type FieldSpec } from './message-encoder.js';

export interface WriteBin {
  name: string;
  /** particle type of the value (0 = delete the bin) */
  type: number;
  /** the value in wire form */
  value: Buffer;
}

export interface WriteRecord {
  namespace: string;
  /** '' for no set */
  set: string;
  digest: Buffer;
  /** the user key (particle type + value), sent so the server stores it */
  key?: { type: number; value: Buffer };
  bins: WriteBin[];
  /** compared with GENERATION_GT: the record is written only when this is above the stored one */
  generation: number;
  /** record_ttl: seconds, 0xFFFFFFFF = never expire, 0 = namespace default */
  ttl: number;
}

export interface WritePolicy {
  /** info2 CREATE_ONLY: fail with 5 (RECORD_EXISTS) when the record exists */
  createOnly: boolean;
  /** info3 CREATE_OR_REPLACE: drop bins the write does not name */
  replace: boolean;
  /** info2 GENERATION_GT: keep a record whose stored generation is not below the written one */
  generationGt: boolean;
}

const ROW_FLAGS = 0x02 /* info2+info3 */ | 0x04 /* generation */ | 0x08; /* record_ttl */
/** REPORT_ALL_ERRORS | REPORT_ERROR_REC: every row runs and reports its own result. */
const BATCH_FLAGS = 0x04 | 0x08;

function info2Of(p: WritePolicy): number {
  return Info2.WRITE | (p.createOnly ? Info2.CREATE_ONLY : 0) | (p.generationGt ? Info2.GENERATION_GT : 0);
}

function info3Of(p: WritePolicy): number {
  return p.replace ? Info3.CREATE_OR_REPLACE : 0;
}

function recordFields(r: WriteRecord, withDigest: boolean): FieldSpec[] {
  const f: FieldSpec[] = [
    { type: FieldType.NAMESPACE, data: Buffer.from(r.namespace) },
    { type: FieldType.SET, data: Buffer.from(r.set) },
  ];
  if (withDigest) f.push({ type: FieldType.DIGEST, data: r.digest });
  if (r.key) f.push({ type: FieldType.KEY, data: Buffer.concat([Buffer.from([r.key.type]), r.key.value]) });
  return f;
}

/** One frame writing every record with a batch-index request; row i answers with transaction_ttl = i. */
export function encodeBatchWrite(records: WriteRecord[], policy: WritePolicy, totalTimeoutMs: number): Buffer {
  const info2 = info2Of(policy);
  const info3 = info3Of(policy);
  const rows: Buffer[] = [];
  let size = 5;
  records.forEach((r, i) => {
    const fields = recordFields(r, false);
    const names = r.bins.map((b) => Buffer.from(b.name, 'utf8'));
    let rowSize = 4 + 20 + 1 + 3 + 2 + 4 + 4;
    for (const f of fields) rowSize += 5 + f.data.length;
    r.bins.forEach((b, j) => (rowSize += 8 + names[j]!.length + b.value.length));
    const row = Buffer.allocUnsafe(rowSize);
    let p = row.writeUInt32BE(i, 0);
    p += r.digest.copy(row, p);
    row[p++] = ROW_FLAGS;
    row[p++] = 0; // info1
    row[p++] = info2;
    row[p++] = info3;
    p = row.writeUInt16BE(r.generation & 0xffff, p);
    p = row.writeUInt32BE(r.ttl >>> 0, p);
    p = row.writeUInt16BE(fields.length, p);
    p = row.writeUInt16BE(r.bins.length, p);
    for (const f of fields) {
      p = row.writeUInt32BE(f.data.length + 1, p);
      row[p++] = f.type;
      p += f.data.copy(row, p);
    }
    r.bins.forEach((b, j) => {
      const name = names[j]!;
      p = row.writeUInt32BE(4 + name.length + b.value.length, p);
      row[p++] = OpType.WRITE;
      row[p++] = b.type;
      row[p++] = 0;
      row[p++] = name.length;
      p += name.copy(row, p);
      p += b.value.copy(row, p);
    });
    rows.push(row);
    size += rowSize;
  });
  const field = Buffer.allocUnsafe(size);
  field.writeUInt32BE(records.length, 0);
  field[4] = BATCH_FLAGS;
  let p = 5;
  for (const row of rows) p += row.copy(field, p);
  return encodeMessage({ info1: Info1.BATCH, timeoutMs: totalTimeoutMs }, [{ type: FieldType.BATCH, data: field }], []);
}

/** One single-record put with the same policy (used with --disable-batch-writes). */
export function encodeRecordPut(r: WriteRecord, policy: WritePolicy, timeoutMs: number): Buffer {
  return encodeMessage(
    { info2: info2Of(policy), info3: info3Of(policy), generation: r.generation, ttl: r.ttl, timeoutMs },
    recordFields(r, true),
    r.bins.map((b) => ({ op: OpType.WRITE, type: b.type, name: b.name, value: b.value })),
  );
}

/** Result code and row index of one message of a batch reply (body[offset…]). */
export function batchRowResult(body: Buffer, offset: number): { index: number; resultCode: number } {
  return { resultCode: body[offset + 5]!, index: body.readUInt32BE(offset + 14) };
}
