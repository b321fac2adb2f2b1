/**
 * The 64-bit hash Aerospike 8.1 turns string and blob index keys into (cf_wyhash64: wyhash "final
 * version 3" with a fixed seed). Query answers carry it as the BVAL field and clients send it back
 * to resume a paginated query, so it must match the reference bit for bit.
 *
 * Written with BigInt for the 64x64→128 multiply; a string key is hashed once per index write and
 * once per query, never per candidate record.
 */
const M64 = (1n << 64n) - 1n;
const S0 = 0xa0761d6478bd642fn;
const S1 = 0xe7037ed1a0b428dbn;
const S2 = 0x8ebc6af09c88c6e3n;
const S3 = 0x589965cc75374cc3n;
const SEED = 0x29fbb14cc886fn ^ S0;

function mix(a: bigint, b: bigint): bigint {
  const p = a * b;
  return (p & M64) ^ (p >> 64n);
}

function r8(b: Uint8Array, p: number): bigint {
  const v = new DataView(b.buffer, b.byteOffset + p, 8);
  return (BigInt(v.getUint32(4, true)) << 32n) | BigInt(v.getUint32(0, true));
}

function r4(b: Uint8Array, p: number): bigint {
  return BigInt((b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0);
}

/** cf_wyhash64 of `bytes`, as an unsigned 64-bit value. */
export function wyhash64(bytes: Uint8Array): bigint {
  const len = bytes.length;
  let seed = SEED;
  let a: bigint;
  let b: bigint;
  if (len <= 16) {
    if (len >= 4) {
      const q = (len >> 3) << 2;
      a = (r4(bytes, 0) << 32n) | r4(bytes, q);
      b = (r4(bytes, len - 4) << 32n) | r4(bytes, len - 4 - q);
    } else if (len > 0) {
      a = BigInt((bytes[0]! << 16) | (bytes[len >> 1]! << 8) | bytes[len - 1]!);
      b = 0n;
    } else {
      a = 0n;
      b = 0n;
    }
  } else {
    let i = len;
    let p = 0;
    if (i > 48) {
      let see1 = seed;
      let see2 = seed;
      do {
        seed = mix(r8(bytes, p) ^ S1, r8(bytes, p + 8) ^ seed);
        see1 = mix(r8(bytes, p + 16) ^ S2, r8(bytes, p + 24) ^ see1);
        see2 = mix(r8(bytes, p + 32) ^ S3, r8(bytes, p + 40) ^ see2);
        p += 48;
        i -= 48;
      } while (i > 48);
      seed ^= see1 ^ see2;
    }
    while (i > 16) {
      seed = mix(r8(bytes, p) ^ S1, r8(bytes, p + 8) ^ seed);
      i -= 16;
      p += 16;
    }
    a = r8(bytes, p + i - 16);
    b = r8(bytes, p + i - 8);
  }
  return mix(S1 ^ BigInt(len), mix(a ^ S1, b ^ seed));
}

/** The signed 64-bit index key ("bval") of a string or blob value. */
export function bytesBval(bytes: Uint8Array): bigint {
  return BigInt.asIntN(64, wyhash64(bytes));
}
