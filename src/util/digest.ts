/** Record digests and partition ids (protocol reference §4.4). */
import { createHash } from 'node:crypto';

export const N_PARTITIONS = 4096;

/** RIPEMD-160 over set name, key particle type and key bytes; the namespace is not part of it. */
export function computeDigest(setName: string, keyType: number, keyBytes: Buffer): Buffer {
  const h = createHash('ripemd160');
  if (setName.length > 0) h.update(setName, 'utf8');
  h.update(Buffer.from([keyType]));
  h.update(keyBytes);
  return h.digest();
}

/** Partition id: first two digest bytes as a little-endian u16, low 12 bits. */
export function partitionOf(digest: Buffer, offset = 0): number {
  return (digest[offset]! | (digest[offset + 1]! << 8)) & (N_PARTITIONS - 1);
}
