/**
 * Bit-field primitives on byte buffers. Bit 0 is the most significant bit of byte 0 (Aerospike's bit
 * numbering). A "field" is a run of bits copied out left-aligned into its own buffer, the unused low
 * bits of its last byte zero; ops transform a field and write it back, so every op touches exactly
 * the bits in its range.
 */

/** Copies `nBits` bits starting at `bitOffset` into a new left-aligned buffer. Bits past `src` read as 0. */
export function extractBits(src: Uint8Array, bitOffset: number, nBits: number): Buffer {
  const out = Buffer.alloc((nBits + 7) >>> 3);
  const base = Math.floor(bitOffset / 8);
  const shift = bitOffset % 8;
  for (let i = 0; i < out.length; i++) {
    const hi = src[base + i] ?? 0;
    if (shift === 0) out[i] = hi;
    else {
      const lo = src[base + i + 1] ?? 0;
      out[i] = ((hi << shift) | (lo >>> (8 - shift))) & 0xff;
    }
  }
  clearTail(out, nBits);
  return out;
}

/** Writes the first `nBits` bits of the left-aligned `field` into `dst` at `bitOffset`; other bits are kept. */
export function depositBits(dst: Uint8Array, bitOffset: number, nBits: number, field: Uint8Array): void {
  if (nBits <= 0) return;
  const base = Math.floor(bitOffset / 8);
  const shift = bitOffset % 8;
  const lastByte = Math.floor((bitOffset + nBits - 1) / 8);
  for (let b = base; b <= lastByte; b++) {
    const i = b - base;
    // the field's bits that land in dst byte b
    const prev = i > 0 ? field[i - 1] ?? 0 : 0;
    const cur = field[i] ?? 0;
    const incoming = shift === 0 ? cur : ((prev << (8 - shift)) | (cur >>> shift)) & 0xff;
    // mask of the bits of byte b inside [bitOffset, bitOffset + nBits)
    const startBit = Math.max(bitOffset, b * 8) - b * 8;
    const endBit = Math.min(bitOffset + nBits, b * 8 + 8) - b * 8;
    const mask = ((0xff >>> startBit) & (0xff << (8 - endBit))) & 0xff;
    dst[b] = (dst[b]! & ~mask) | (incoming & mask);
  }
}

/** Zeroes the bits of `buf` from bit `nBits` to the end of its last byte. */
export function clearTail(buf: Uint8Array, nBits: number): void {
  const rem = nBits % 8;
  if (rem !== 0 && buf.length > 0) buf[buf.length - 1]! &= (0xff << (8 - rem)) & 0xff;
}

/** Reads `nBits` (1..64) bits at `bitOffset` as an unsigned integer. */
export function readUint(src: Uint8Array, bitOffset: number, nBits: number): bigint {
  const field = extractBits(src, bitOffset, nBits);
  let v = 0n;
  for (const byte of field) v = (v << 8n) | BigInt(byte);
  return v >> BigInt(field.length * 8 - nBits);
}

/** Writes the low `nBits` (1..64) bits of `value` at `bitOffset`. */
export function writeUint(dst: Uint8Array, bitOffset: number, nBits: number, value: bigint): void {
  const nBytes = (nBits + 7) >>> 3;
  const field = Buffer.alloc(nBytes);
  let v = BigInt.asUintN(nBits, value) << BigInt(nBytes * 8 - nBits);
  for (let i = nBytes - 1; i >= 0; i--) {
    field[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  depositBits(dst, bitOffset, nBits, field);
}

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >>> 1]!;

/** Number of set bits in a buffer. */
export function popcount(buf: Uint8Array): number {
  let n = 0;
  for (const b of buf) n += POPCOUNT[b]!;
  return n;
}

/** Value of bit `i` (0 = MSB of byte 0). */
export function bitAt(buf: Uint8Array, i: number): number {
  return (buf[i >>> 3]! >>> (7 - (i & 7))) & 1;
}
