/**
 * The size Aerospike 8.1 gives a record in storage (`as_record_stored_size`: the record's
 * rblock count × 16), computed from its flat form (server `as_flat_record_size`, flat.c, plus the
 * 4-byte end mark its memory and device engines append before rounding up to a 16-byte rblock).
 * `recordSize()` / `memorySize()` / `deviceSize()` in expressions report it, so filters such as
 * `recordSize() > N` select the same records as on Aerospike. Strato's own stored encoding is
 * smaller and is what its memory accounting uses.
 *
 * Flat record: a 35-byte header (magic, rblock count and flags, digest, last-update-time and
 * generation); a 4-byte void time when the record expires; the set name (1 + length); the user key
 * (varint size + type byte and key bytes); a varint bin count when there are bins; then per bin
 * its name (1 + length) and particle: integer 2 + 1/2/4/8 bytes by magnitude, float 9, bool 2,
 * everything else (string, blobs, list, map, GeoJSON with its cells, HLL) 5 + its stored bytes.
 */
import { Particle, type Bin } from '../protocol/particle.js';
import type { StoredKey } from './record-codec.js';

/** as_flat_record header bytes. */
const FLAT_HEADER_BYTES = 35;
/** END_MARK_SZ: the engines write a 4-byte mark after each record. */
const END_MARK_BYTES = 4;
/** RBLOCK_SIZE: records take whole 16-byte blocks. */
const RBLOCK_BYTES = 16;

function uintvarSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

function integerFlatSize(value: Buffer): number {
  if (value.length !== 8) return 2 + 8;
  const hi = value.readUInt32BE(0);
  const lo = value.readUInt32BE(4);
  if (hi !== 0) return 2 + 8;
  if (lo > 0xffff) return 2 + 4;
  if (lo > 0xff) return 2 + 2;
  return 2 + 1;
}

/** Flat bytes of one particle, type byte included (server `as_bin_particle_flat_size`). */
function particleFlatSize(b: Bin): number {
  switch (b.type) {
    case Particle.INTEGER:
      return integerFlatSize(b.value);
    case Particle.FLOAT:
      return 9;
    case Particle.BOOL:
      return 2;
    case Particle.NULL:
      return 1;
    default:
      return 5 + b.value.length;
  }
}

/** What a record occupies in Aerospike 8.1 storage, in bytes (a multiple of 16). */
export function aerospikeRecordSize(meta: { voidTime: number; setName: string }, key: StoredKey | undefined, bins: readonly Bin[]): number {
  let size = FLAT_HEADER_BYTES;
  if (meta.voidTime !== 0) size += 4;
  if (meta.setName !== '') size += 1 + Buffer.byteLength(meta.setName);
  if (key) {
    const keySize = 1 + key.value.length;
    size += uintvarSize(keySize) + keySize;
  }
  if (bins.length !== 0) size += uintvarSize(bins.length);
  for (const b of bins) size += 1 + Buffer.byteLength(b.name) + particleFlatSize(b);
  size += END_MARK_BYTES;
  return Math.ceil(size / RBLOCK_BYTES) * RBLOCK_BYTES;
}
