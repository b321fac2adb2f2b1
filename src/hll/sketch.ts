/**
 * Aerospike's HyperLogLog-with-MinHash ("HyperMinHash") particle, byte for byte (`particle_hll.c`):
 *
 *     u8  flags            always 0
 *     u8  n_index_bits     4..16; 2^n registers
 *     u8  n_minhash_bits   0 or 4..51 (sum with index bits at most 64)
 *     u64 cache            last count estimate, 0 = unknown; little-endian (Aerospike writes it
 *                          in host order and its packages are x86-64 / arm64 little-endian)
 *     registers            2^n registers of (6 + minhash) bits each, packed MSB-first: the 6-bit
 *                          HLL value (leading-zero rank) followed by the minhash bits
 *
 * A register's value orders as the integer (hll << minhash_bits) | minhash, so comparisons use
 * (hll, minhash) lexicographically; both parts fit a JS number (minhash < 2^51).
 */

export const HLL_HEADER_BYTES = 11;
export const HLL_BITS = 6;
export const MIN_INDEX_BITS = 4;
export const MAX_INDEX_BITS = 16;
export const MIN_MINHASH_BITS = 4;
export const MAX_MINHASH_BITS = 64 - HLL_BITS - 7; // 51
export const MAX_INDEX_AND_MINHASH_BITS = 64;

export function isValidIndexBits(n: number): boolean {
  return n >= MIN_INDEX_BITS && n <= MAX_INDEX_BITS;
}

export function isValidMinhashBits(n: number): boolean {
  return n === 0 || (n >= MIN_MINHASH_BITS && n <= MAX_MINHASH_BITS);
}

export function isValidBitCombination(indexBits: number, minhashBits: number): boolean {
  return isValidIndexBits(indexBits) && isValidMinhashBits(minhashBits) && indexBits + minhashBits <= MAX_INDEX_AND_MINHASH_BITS;
}

/** Total particle size for a shape (`hmh_required_sz`). */
export function hllSizeBytes(indexBits: number, minhashBits: number): number {
  return HLL_HEADER_BYTES + Math.floor(((HLL_BITS + minhashBits) * 2 ** indexBits + 7) / 8);
}

/**
 * True when `buf` is a well-formed HLL particle: flags 0, a valid shape, and exactly the size the
 * shape requires. Aerospike refuses other bytes written as an HLL bin with PARAMETER (corpus
 * hll-raw step 11), and answers UNKNOWN when an op meets such a stored bin.
 */
export function isValidHll(buf: Uint8Array): boolean {
  return (
    buf.length >= HLL_HEADER_BYTES &&
    buf[0] === 0 &&
    isValidBitCombination(buf[1]!, buf[2]!) &&
    buf.length === hllSizeBytes(buf[1]!, buf[2]!)
  );
}

/** A view over HLL particle bytes. Mutating methods write into the same buffer. */
export class Hll {
  readonly indexBits: number;
  readonly minhashBits: number;
  readonly nRegisters: number;
  private readonly registerBits: number;

  /** `buf` must hold a whole particle of its own shape (the caller validated it). */
  constructor(readonly buf: Buffer) {
    this.indexBits = buf[1]!;
    this.minhashBits = buf[2]!;
    this.nRegisters = 2 ** this.indexBits;
    this.registerBits = HLL_BITS + this.minhashBits;
  }

  /** An empty sketch of the given shape (`hmh_init`). */
  static empty(indexBits: number, minhashBits: number): Hll {
    const buf = Buffer.alloc(hllSizeBytes(indexBits, minhashBits));
    buf[1] = indexBits;
    buf[2] = minhashBits;
    return new Hll(buf);
  }

  /** A copy with its own buffer. */
  clone(): Hll {
    return new Hll(Buffer.from(this.buf));
  }

  get cache(): bigint {
    return this.buf.readBigUInt64LE(3);
  }

  set cache(v: bigint) {
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), 3);
  }

  /** The 6-bit HLL value of register `r`. */
  hllValue(r: number): number {
    return readBits(this.buf, r * this.registerBits, HLL_BITS);
  }

  /** The minhash bits of register `r` (0 when the sketch has none). */
  minhash(r: number): number {
    return this.minhashBits === 0 ? 0 : readBits(this.buf, r * this.registerBits + HLL_BITS, this.minhashBits);
  }

  /** Stores a register; bits above the 6-bit HLL field are dropped, as Aerospike's shift does. */
  setRegister(r: number, hllValue: number, minhash: number): void {
    writeBits(this.buf, r * this.registerBits, HLL_BITS, hllValue & 0x3f);
    if (this.minhashBits !== 0) writeBits(this.buf, r * this.registerBits + HLL_BITS, this.minhashBits, minhash);
  }

  /** True when register `r` is all zero. */
  isEmptyRegister(r: number): boolean {
    return this.hllValue(r) === 0 && this.minhash(r) === 0;
  }
}

/** Orders register values (hll, minhash) as Aerospike's packed integers compare. */
export function compareRegister(h0: number, m0: number, h1: number, m1: number): number {
  return h0 !== h1 ? h0 - h1 : m0 - m1;
}

/** 2^i for i in 0..63, so the bit loops below multiply instead of calling Math.pow. */
const POW2: readonly number[] = Array.from({ length: 64 }, (_, i) => 2 ** i);

/** Reads `n` (0..52) bits at `bitOffset` of the register area, MSB first. */
function readBits(buf: Buffer, bitOffset: number, n: number): number {
  let at = HLL_HEADER_BYTES + (bitOffset >>> 3);
  const inByte = bitOffset & 7;
  // first (possibly partial) byte
  let take = Math.min(8 - inByte, n);
  let v = (buf[at++]! >>> (8 - inByte - take)) & ((1 << take) - 1);
  let left = n - take;
  while (left >= 8) {
    v = v * 256 + buf[at++]!;
    left -= 8;
  }
  if (left > 0) v = v * (1 << left) + (buf[at]! >>> (8 - left));
  return v;
}

/** Writes the low `n` (0..52) bits of `value` at `bitOffset` of the register area. */
function writeBits(buf: Buffer, bitOffset: number, n: number, value: number): void {
  let pos = bitOffset;
  let left = n;
  while (left > 0) {
    const at = HLL_HEADER_BYTES + (pos >>> 3);
    const inByte = pos & 7;
    const take = Math.min(8 - inByte, left);
    const bits = Math.floor(value / POW2[left - take]!) % (1 << take);
    const shift = 8 - inByte - take;
    const mask = ((1 << take) - 1) << shift;
    buf[at] = (buf[at]! & ~mask) | (bits << shift);
    pos += take;
    left -= take;
  }
}
