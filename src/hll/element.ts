/**
 * The bytes an HLL element is hashed as: its msgpack encoding, normalised the way Aerospike's
 * `msgpack_compactify` does, so that the same value sent with a wider header than needed lands in
 * the same register. What it changes, and only that:
 * - integers take their smallest encoding (non-negative ones the unsigned family);
 * - str8/str16/str32 and bin16/bin32 headers shrink to the smallest str header when the length fits
 *   the next smaller header; bin8 shrinks only below 32 bytes (a bin8 of 32..255 bytes stays bin8,
 *   as in Aerospike);
 * - ext8/16/32 headers shrink to fixext or the smallest ext header under the same rule.
 * Everything else (nil, booleans, floats, fixed forms) is hashed as sent.
 */
import { MsgpackWriter } from '../protocol/msgpack.js';

/** Canonical bytes of one scalar msgpack value `raw` (already bounds-checked by the reader). */
export function compactElement(raw: Buffer): Buffer {
  const t = raw[0]!;
  switch (t) {
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
      return encodeInt(readUnsigned(raw, 1, 1 << (t - 0xcc)));
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
      const n = 1 << (t - 0xd0);
      return encodeInt(BigInt.asIntN(n * 8, readUnsigned(raw, 1, n)));
    }
    case 0xd9:
    case 0xc4:
      return raw[1]! <= 0x1f ? strWithHeader(raw, 2, raw[1]!) : raw;
    case 0xda:
    case 0xc5: {
      const len = raw.readUInt16BE(1);
      return len <= 0xff ? strWithHeader(raw, 3, len) : raw;
    }
    case 0xdb:
    case 0xc6: {
      const len = raw.readUInt32BE(1);
      return len <= 0xffff ? strWithHeader(raw, 5, len) : raw;
    }
    case 0xc7: {
      const len = raw[1]!;
      return len !== 0 && (len & (len - 1)) === 0 && len <= 16 ? extWithHeader(raw, 2, len) : raw;
    }
    case 0xc8: {
      const len = raw.readUInt16BE(1);
      return len <= 0xff ? extWithHeader(raw, 3, len) : raw;
    }
    case 0xc9: {
      const len = raw.readUInt32BE(1);
      return len <= 0xffff ? extWithHeader(raw, 5, len) : raw;
    }
    default:
      return raw;
  }
}

function readUnsigned(buf: Buffer, at: number, n: number): bigint {
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(buf[at + i]!);
  return v;
}

function encodeInt(v: bigint): Buffer {
  const w = new MsgpackWriter(9);
  w.int(v);
  return Buffer.from(w.bytes());
}

function strWithHeader(raw: Buffer, headerBytes: number, len: number): Buffer {
  const w = new MsgpackWriter(len + 5);
  w.strHeader(len);
  w.raw(raw.subarray(headerBytes, headerBytes + len));
  return Buffer.from(w.bytes());
}

function extWithHeader(raw: Buffer, headerBytes: number, len: number): Buffer {
  const w = new MsgpackWriter(len + 6);
  w.ext(raw[headerBytes]!, raw.subarray(headerBytes + 1, headerBytes + 1 + len));
  return Buffer.from(w.bytes());
}
