/** Encodes a batch-index read request (protocol reference §7.2) for tools and benchmarks. */
import { FieldType } from '../protocol/message.js';

/**
 * Builds a batch request reading all bins of each digest in one namespace/set; rows after the
 * first use the REPEAT flag, as the official clients do.
 */
export function encodeBatchGet(ns: string, set: string, digests: Buffer[], timeoutMs = 1000): Buffer {
  const nsB = Buffer.from(ns);
  const setB = Buffer.from(set);
  const firstRowBody = 1 + 1 + 1 + 2 + 2 + (5 + nsB.length) + (5 + setB.length);
  const rowsBytes = digests.length * 25 + firstRowBody;
  const fieldLen = 5 + rowsBytes;
  const size = 8 + 22 + 5 + fieldLen;
  const b = Buffer.alloc(size);
  b[0] = 2;
  b[1] = 3;
  b.writeUIntBE(size - 8, 2, 6);
  b[8] = 22;
  b[9] = 0x08; // BATCH
  b.writeUInt32BE(timeoutMs, 22);
  b.writeUInt16BE(1, 26);
  let p = 30;
  b.writeUInt32BE(fieldLen + 1, p);
  b[p + 4] = FieldType.BATCH;
  p += 5;
  b.writeUInt32BE(digests.length, p);
  b[p + 4] = 0x08 | 0x01; // report error rec, inline
  p += 5;
  digests.forEach((d, i) => {
    b.writeUInt32BE(i, p);
    d.copy(b, p + 4);
    p += 24;
    if (i > 0) {
      b[p++] = 0x01; // REPEAT
      return;
    }
    b[p++] = 0x02; // HAS_EXTRA_INFO
    b[p++] = 0x03; // READ | GET_ALL
    b[p++] = 0; // info2
    b[p++] = 0; // info3
    b.writeUInt16BE(2, p);
    b.writeUInt16BE(0, p + 2);
    p += 4;
    b.writeUInt32BE(nsB.length + 1, p);
    b[p + 4] = FieldType.NAMESPACE;
    nsB.copy(b, p + 5);
    p += 5 + nsB.length;
    b.writeUInt32BE(setB.length + 1, p);
    b[p + 4] = FieldType.SET;
    setB.copy(b, p + 5);
    p += 5 + setB.length;
  });
  return b;
}
