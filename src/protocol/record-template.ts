/**
 * Single-record request bodies that differ only in their digest and set: the per-record write or
 * UDF call a background job runs (Aerospike builds the same internal message). The shared part is
 * encoded once; each record's body is the header, namespace, set, digest and that shared tail.
 */
import { FieldType, MSG_HEADER_BYTES, type MsgOp } from './message.js';

export interface RecordTemplateSpec {
  info2: number;
  info3: number;
  /** the record TTL every body carries (the job request's) */
  recordTtl: number;
  namespace: string;
  /** fields after the digest, in this order (filter, UDF fields) */
  fields: { type: number; data: Buffer }[];
  /** ops every body carries, as the request sent them */
  ops: readonly MsgOp[];
}

function encodeField(type: number, data: Buffer): Buffer {
  const b = Buffer.allocUnsafe(5 + data.length);
  b.writeUInt32BE(data.length + 1, 0);
  b[4] = type;
  data.copy(b, 5);
  return b;
}

function encodeOp(op: MsgOp): Buffer {
  const b = Buffer.allocUnsafe(8 + op.nameBytes + op.value.length);
  b.writeUInt32BE(4 + op.nameBytes + op.value.length, 0);
  b[4] = op.opType;
  b[5] = op.particleType;
  b[6] = op.flags;
  b[7] = op.nameBytes;
  b.write(op.name, 8, 'utf8');
  op.value.copy(b, 8 + op.nameBytes);
  return b;
}

export class RecordRequestTemplate {
  private readonly nsField: Buffer;
  private readonly tail: Buffer;
  private readonly nTailFields: number;
  private readonly nOps: number;

  constructor(private readonly spec: RecordTemplateSpec) {
    this.nsField = encodeField(FieldType.NAMESPACE, Buffer.from(spec.namespace, 'utf8'));
    this.tail = Buffer.concat([...spec.fields.map((f) => encodeField(f.type, f.data)), ...spec.ops.map(encodeOp)]);
    this.nTailFields = spec.fields.length;
    this.nOps = spec.ops.length;
  }

  /** The request body (an as_msg, no proto header) for the record `digest` (20 bytes) of set `setName` (none: no set field). */
  body(digest: Buffer, setName: Buffer | undefined): Buffer {
    const { nsField, tail } = this;
    const setLen = setName ? 5 + setName.length : 0;
    const b = Buffer.allocUnsafe(MSG_HEADER_BYTES + nsField.length + setLen + 25 + tail.length);
    b[0] = MSG_HEADER_BYTES;
    b[1] = 0;
    b[2] = this.spec.info2;
    b[3] = this.spec.info3;
    b[4] = 0;
    b[5] = 0;
    b.writeUInt32BE(0, 6); // generation: not checked
    b.writeUInt32BE(this.spec.recordTtl >>> 0, 10);
    b.writeUInt32BE(0, 14);
    b.writeUInt16BE(2 + (setName ? 1 : 0) + this.nTailFields, 18);
    b.writeUInt16BE(this.nOps, 20);
    let p = MSG_HEADER_BYTES;
    p += nsField.copy(b, p);
    if (setName) {
      b.writeUInt32BE(setName.length + 1, p);
      b[p + 4] = FieldType.SET;
      p += 5 + setName.copy(b, p + 5);
    }
    b.writeUInt32BE(21, p);
    b[p + 4] = FieldType.DIGEST;
    p += 5 + digest.copy(b, p + 5, 0, 20);
    tail.copy(b, p);
    return b;
  }
}
