/**
 * Encodes request messages (protocol reference §6.1) for Strato's own tools and benchmarks.
 */
import { FieldType } from '../protocol/message.js';

export interface EncodedBin {
  name: string;
  type: number;
  value: Buffer;
}

export interface RequestHeader {
  info1?: number;
  info2?: number;
  info3?: number;
  generation?: number;
  ttl?: number;
  timeoutMs?: number;
}

export interface FieldSpec {
  type: number;
  data: Buffer;
}

export interface OpSpec {
  op: number;
  type: number;
  name: string;
  value?: Buffer;
}

/** Builds a complete type-3 frame from header values, fields and ops. */
export function encodeMessage(h: RequestHeader, fields: FieldSpec[], ops: OpSpec[]): Buffer {
  let size = 8 + 22;
  for (const f of fields) size += 5 + f.data.length;
  const names = ops.map((o) => Buffer.from(o.name, 'utf8'));
  ops.forEach((o, i) => (size += 8 + names[i]!.length + (o.value?.length ?? 0)));
  const b = Buffer.allocUnsafe(size);
  b[0] = 2;
  b[1] = 3;
  b.writeUIntBE(size - 8, 2, 6);
  b[8] = 22;
  b[9] = h.info1 ?? 0;
  b[10] = h.info2 ?? 0;
  b[11] = h.info3 ?? 0;
  b[12] = 0;
  b[13] = 0;
  b.writeUInt32BE(h.generation ?? 0, 14);
  b.writeUInt32BE((h.ttl ?? 0) >>> 0, 18);
  b.writeUInt32BE(h.timeoutMs ?? 1000, 22);
  b.writeUInt16BE(fields.length, 26);
  b.writeUInt16BE(ops.length, 28);
  let p = 30;
  for (const f of fields) {
    b.writeUInt32BE(f.data.length + 1, p);
    b[p + 4] = f.type;
    f.data.copy(b, p + 5);
    p += 5 + f.data.length;
  }
  ops.forEach((o, i) => {
    const name = names[i]!;
    const vlen = o.value?.length ?? 0;
    b.writeUInt32BE(4 + name.length + vlen, p);
    b[p + 4] = o.op;
    b[p + 5] = o.type;
    b[p + 6] = 0;
    b[p + 7] = name.length;
    name.copy(b, p + 8);
    o.value?.copy(b, p + 8 + name.length);
    p += 8 + name.length + vlen;
  });
  return b;
}

/** Namespace, set and digest fields of a single-record request. */
export function keyFields(ns: string, set: string, digest: Buffer): FieldSpec[] {
  return [
    { type: FieldType.NAMESPACE, data: Buffer.from(ns) },
    { type: FieldType.SET, data: Buffer.from(set) },
    { type: FieldType.DIGEST, data: digest },
  ];
}

export function encodeGet(ns: string, set: string, digest: Buffer): Buffer {
  return encodeMessage({ info1: 0x03 }, keyFields(ns, set, digest), []);
}

export function encodePut(ns: string, set: string, digest: Buffer, bins: EncodedBin[], ttl = 0): Buffer {
  return encodeMessage(
    { info2: 0x01, ttl },
    keyFields(ns, set, digest),
    bins.map((b) => ({ op: 2, type: b.type, name: b.name, value: b.value })),
  );
}
