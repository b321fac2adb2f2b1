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

/** Writes the flags byte and the optional user key at the start of `out`; returns the bytes written. */
function writeKeyHeader(key: StoredKey | undefined, out: Buffer): number {
  if (!key) {
    out[0] = 0;
    return 1;
  }
  out[0] = 1;
  out[1] = key.type;
  out.writeUInt32LE(key.value.length, 2);
  return 6 + key.value.copy(out, 6);
}

/**
 * Encodes the record at the start of `out`, which holds at least encodedSize(key, bins) bytes;
 * returns the encoded bytes (a view of `out`).
 */
export function encodeRecordInto(key: StoredKey | undefined, bins: Bin[], out: Buffer): Buffer {
  let p = writeKeyHeader(key, out);
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

/** A bin a put writes: its name (and its UTF-8 length), particle type and value in stored form. */
export interface PutBin {
  readonly name: string;
  readonly nameBytes: number;
  readonly particleType: number;
  readonly value: Buffer;
}

/** Most stored bins encodePut merges with; a record with more goes through decodeRecord. */
export const PUT_MERGE_MAX_STORED_BINS = 64;
/** Most bins one encodePut call writes. */
export const PUT_MERGE_MAX_BINS = 16;
const mergeNameStart = new Int32Array(PUT_MERGE_MAX_STORED_BINS);
const mergeNameLen = new Int32Array(PUT_MERGE_MAX_STORED_BINS);
const mergeBinEnd = new Int32Array(PUT_MERGE_MAX_STORED_BINS);
/** the result's bins in order: i >= 0 the stored bin i, -1 - j the put's bin j */
const mergeSlots = new Int32Array(PUT_MERGE_MAX_STORED_BINS + PUT_MERGE_MAX_BINS);

/**
 * Encodes into `out` the record a put of plain bins leaves, working on the stored bytes instead
 * of decoded bins: the bins of `stored` (a record-codec record; undefined = start from none) with
 * each of `bins` written in order — a bin already there keeps its place and takes the new value,
 * a new one goes last — and `key`. The bytes equal encodeRecordInto(key, result) for the bin list
 * that setting the bins one by one on decodeRecord(stored).bins gives. Names are ASCII (the caller
 * checks). Returns the encoded view of `out`, or undefined when the record has more than
 * PUT_MERGE_MAX_STORED_BINS bins, `bins` more than PUT_MERGE_MAX_BINS, or the result does not fit.
 */
export function encodePut(stored: Buffer | undefined, key: StoredKey | undefined, bins: readonly PutBin[], out: Buffer): Buffer | undefined {
  if (bins.length > PUT_MERGE_MAX_BINS) return undefined;
  let nStored = 0;
  if (stored !== undefined) {
    let p = binsOffset(stored);
    nStored = stored[p]! | (stored[p + 1]! << 8);
    if (nStored > PUT_MERGE_MAX_STORED_BINS) return undefined;
    p += 2;
    for (let i = 0; i < nStored; i++) {
      const nameLen = stored[p]!;
      mergeNameStart[i] = p + 1;
      mergeNameLen[i] = nameLen;
      p += 1 + nameLen + 1;
      p += 4 + (stored[p]! | (stored[p + 1]! << 8) | (stored[p + 2]! << 16)) + stored[p + 3]! * 0x1000000;
      mergeBinEnd[i] = p;
    }
  }
  let nSlots = nStored;
  for (let i = 0; i < nStored; i++) mergeSlots[i] = i;
  for (let j = 0; j < bins.length; j++) {
    const name = bins[j]!.name;
    let at = -1;
    for (let s = 0; s < nSlots && at < 0; s++) {
      const slot = mergeSlots[s]!;
      if (slot < 0) {
        if (bins[-1 - slot]!.name === name) at = s;
      } else if (mergeNameLen[slot] === name.length) {
        const start = mergeNameStart[slot]!;
        let k = 0;
        while (k < name.length && stored![start + k] === name.charCodeAt(k)) k++;
        if (k === name.length) at = s;
      }
    }
    if (at >= 0) mergeSlots[at] = -1 - j;
    else mergeSlots[nSlots++] = -1 - j;
  }
  let size = 1 + 2 + (key ? 5 + key.value.length : 0);
  for (let s = 0; s < nSlots; s++) {
    const slot = mergeSlots[s]!;
    if (slot >= 0) size += mergeBinEnd[slot]! - mergeNameStart[slot]! + 1;
    else size += 1 + bins[-1 - slot]!.nameBytes + 1 + 4 + bins[-1 - slot]!.value.length;
  }
  if (size > out.length) return undefined;
  let p = writeKeyHeader(key, out);
  out[p++] = nSlots & 0xff;
  out[p++] = nSlots >>> 8;
  for (let s = 0; s < nSlots; s++) {
    const slot = mergeSlots[s]!;
    if (slot >= 0) {
      // the stored bin as it is: name length, name, type, value length, value
      p += stored!.copy(out, p, mergeNameStart[slot]! - 1, mergeBinEnd[slot]!);
      continue;
    }
    const b = bins[-1 - slot]!;
    const name = b.name;
    out[p++] = name.length;
    for (let k = 0; k < name.length; k++) out[p++] = name.charCodeAt(k);
    out[p++] = b.particleType;
    out.writeUInt32LE(b.value.length, p);
    p += 4;
    p += b.value.copy(out, p);
  }
  return out.subarray(0, p);
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
export function binsOffset(data: Buffer, at = 0): number {
  if (!(data[at]! & 1)) return at + 1;
  return at + 1 + 1 + 4 + data.readUInt32LE(at + 2);
}

/** The stored key without decoding the bins (of the record whose bytes begin at data[at]). */
export function readStoredKey(data: Buffer, at = 0): StoredKey | undefined {
  if (!(data[at]! & 1)) return undefined;
  const len = data.readUInt32LE(at + 2);
  return { type: data[at + 1]!, value: data.subarray(at + 6, at + 6 + len) };
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
 * walking the record (its bytes begin at data[at]) in place: no bin objects, no closure per record.
 */
export function copyStoredBins(data: Buffer, sink: RawOpSink, opType: number, at = 0): void {
  let p = binsOffset(data, at);
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
