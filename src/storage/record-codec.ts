/**
 * The stored form of a record's data (what storage engines keep): the optional user key and the
 * bins. Metadata (generation, void-time, last-update-time, set) lives in the primary index.
 *
 *   u8  flags            bit0: user key present
 *   [u8 key type, u32 key length, key bytes]
 *   u16 bin count
 *   per bin: u8 name length, name bytes, u8 particle type, u32 value length, value bytes
 */
import type { Bin } from '../protocol/particle.js';
import { shortString } from '../util/short-strings.js';

export interface StoredKey {
  type: number;
  value: Buffer;
}

export interface DecodedRecord {
  key: StoredKey | undefined;
  bins: Bin[];
}

/** Serialized size of a record, without building it. */
export function encodedSize(key: StoredKey | undefined, bins: Bin[]): number {
  let n = 1 + 2 + (key ? 5 + key.value.length : 0);
  for (const b of bins) n += 1 + Buffer.byteLength(b.name) + 1 + 4 + b.value.length;
  return n;
}

export function encodeRecord(key: StoredKey | undefined, bins: Bin[]): Buffer {
  return encodeRecordInto(key, bins, Buffer.allocUnsafe(encodedSize(key, bins)));
}

/**
 * Encodes the record at the start of `out`, which holds at least encodedSize(key, bins) bytes;
 * returns the encoded bytes (a view of `out`).
 */
export function encodeRecordInto(key: StoredKey | undefined, bins: Bin[], out: Buffer): Buffer {
  let p = 0;
  out[p++] = key ? 1 : 0;
  if (key) {
    out[p++] = key.type;
    out.writeUInt32LE(key.value.length, p);
    p += 4;
    key.value.copy(out, p);
    p += key.value.length;
  }
  out.writeUInt16LE(bins.length, p);
  p += 2;
  for (const b of bins) {
    const nameLen = out.write(b.name, p + 1, 'utf8');
    out[p] = nameLen;
    p += 1 + nameLen;
    out[p++] = b.type;
    out.writeUInt32LE(b.value.length, p);
    p += 4;
    b.value.copy(out, p);
    p += b.value.length;
  }
  return p === out.length ? out : out.subarray(0, p);
}

/** Decodes a stored record; bin values are views into `data`. */
export function decodeRecord(data: Buffer): DecodedRecord {
  let p = 0;
  let key: StoredKey | undefined;
  if (data[p++]! & 1) {
    const type = data[p++]!;
    const len = data.readUInt32LE(p);
    p += 4;
    key = { type, value: data.subarray(p, p + len) };
    p += len;
  }
  const n = data.readUInt16LE(p);
  p += 2;
  const bins: Bin[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const nameLen = data[p++]!;
    const name = shortString(data, p, p + nameLen);
    p += nameLen;
    const type = data[p++]!;
    const len = data.readUInt32LE(p);
    p += 4;
    bins[i] = { name, type, value: data.subarray(p, p + len) };
    p += len;
  }
  return { key, bins };
}

/** Offset of the bin count, skipping the key. */
export function binsOffset(data: Buffer): number {
  if (!(data[0]! & 1)) return 1;
  return 1 + 1 + 4 + data.readUInt32LE(2);
}

/** The stored key without decoding the bins. */
export function readStoredKey(data: Buffer): StoredKey | undefined {
  if (!(data[0]! & 1)) return undefined;
  const len = data.readUInt32LE(2);
  return { type: data[1]!, value: data.subarray(6, 6 + len) };
}

/**
 * Visits each bin in place: fn gets the offsets of the name and value inside `data`, so a reader
 * can copy them straight into a response without decoding.
 */
export function forEachStoredBin(
  data: Buffer,
  fn: (nameStart: number, nameLen: number, type: number, valueStart: number, valueLen: number) => void,
): void {
  let p = binsOffset(data);
  const n = data.readUInt16LE(p);
  p += 2;
  for (let i = 0; i < n; i++) {
    const nameLen = data[p++]!;
    const nameStart = p;
    p += nameLen;
    const type = data[p++]!;
    const len = data.readUInt32LE(p);
    p += 4;
    fn(nameStart, nameLen, type, p, len);
    p += len;
  }
}

/** Where copyStoredBins puts each bin: a response builder's addOpRaw. */
export interface RawOpSink {
  addOpRaw(opType: number, particleType: number, src: Buffer, nameStart: number, nameLen: number, valueStart: number, valueLen: number): void;
}

/**
 * Copies every bin of a stored record straight into `sink` as an op of `opType` (a read answer),
 * walking the record in place: no bin objects, no closure per record.
 */
export function copyStoredBins(data: Buffer, sink: RawOpSink, opType: number): void {
  let p = binsOffset(data);
  const n = data[p]! | (data[p + 1]! << 8);
  p += 2;
  for (let i = 0; i < n; i++) {
    const nameLen = data[p++]!;
    const nameStart = p;
    p += nameLen;
    const type = data[p++]!;
    const len = (data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24)) >>> 0;
    p += 4;
    sink.addOpRaw(opType, type, data, nameStart, nameLen, p, len);
    p += len;
  }
}

export function storedBinCount(data: Buffer): number {
  return data.readUInt16LE(binsOffset(data));
}
