/**
 * On-device formats: the file header, the write-block header and the device record. All integers
 * little-endian.
 *
 * A file is an array of write blocks of `write-block-size` bytes. Block 0 holds the file header
 * (Aerospike also reserves a header region); blocks 1.. hold records.
 *
 * File header (block 0):
 *   0  u32 FILE_MAGIC   4 u32 version   8 u32 write-block-size   12 u32 file index
 *   16 u32 file count   20 u32 epoch    24 f64 size in bytes     32 u32 crc32 of bytes 0..32
 *   The epoch changes whenever the engine starts empty (cold-start-empty, truncation, writing
 *   without a load): blocks stamped with another epoch are not loaded, so old data cannot return.
 *
 * Block header (first BLOCK_HDR bytes of a used block):
 *   0  u32 BLOCK_MAGIC  4 u32 epoch  8 u32 seq (global write-block sequence, for ordering)
 *   12 u32 stamp (records of this incarnation of the block carry it)   16 u32 file index
 *   20 u32 block id     24 u32 crc32 of bytes 0..24   28 (zero)
 *
 * Device record (RECORD_ALIGN-aligned inside its block):
 *   0  u32 REC_MAGIC    4 u32 stamp of the block it was written into
 *   8  digest (20 bytes)
 *   28 u16 generation   30 u8 flags (bit0 tombstone, bit1 has key)   31 u8 set-name length
 *   32 u32 void-time (Citrusleaf seconds, 0 = never)   36 u32 data length
 *   40 f64 last-update-time (Unix ms)
 *   48 u32 crc32 of set name + data   52 u32 crc32 of header bytes 0..52
 *   56 set name, then the record bytes (record-codec format), zero padding to RECORD_ALIGN
 *
 * Why the stamp: a reused block still holds the previous incarnation's records after the new
 * ones; they are valid records in themselves, so the loader needs a way to tell "written in this
 * incarnation" from leftovers. Why two checksums: with the header verified, the length can be
 * trusted, so a record with damaged data is skipped and the next one is still found; a damaged
 * header makes the loader re-synchronise on the next aligned magic.
 */
import { crc32 } from './crc32.js';

/** Magic numbers (little-endian ASCII) and sizes of the on-device structures. */
export const FILE_MAGIC = 0x48445453; // 'STDH'
export const BLOCK_MAGIC = 0x42445453; // 'STDB'
export const REC_MAGIC = 0x52445453; // 'STDR'
export const FORMAT_VERSION = 1;

/** Bytes of the file header, block header and record header; records are 16-byte aligned. */
export const FILE_HDR = 64;
export const BLOCK_HDR = 32;
export const REC_HDR = 56;
export const RECORD_ALIGN = 16;
/** Flushes are rounded to this so partial re-flushes rewrite whole pages. */
export const IO_ALIGN = 4096;

/** Flags byte of a device record. */
export const RecFlag = {
  TOMBSTONE: 1,
  HAS_KEY: 2,
} as const;

/** Smallest multiple of `a` at or above `n`. */
export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Largest multiple of `a` at or below `n`. */
export function alignDown(n: number, a: number): number {
  return Math.floor(n / a) * a;
}

/** Bytes a record occupies in its block (header, set name, data, padding). */
export function deviceRecordSize(nameLen: number, dataLen: number): number {
  return alignUp(REC_HDR + nameLen + dataLen, RECORD_ALIGN);
}

/** Per-incarnation stamp: a 32-bit mix of epoch, seq, file and block (murmur3 finaliser). */
export function blockStamp(epoch: number, seq: number, file: number, block: number): number {
  let h = (seq ^ Math.imul(epoch, 0x9e3779b1) ^ Math.imul(file + 1, 0x85ebca6b) ^ Math.imul(block + 1, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  // 0 would be indistinguishable from zeroed space in a quick scan
  return h >>> 0 || 1;
}

// ---- file header ------------------------------------------------------------------------------

/** Decoded file header (block 0). */
export interface FileHeader {
  version: number;
  writeBlockSize: number;
  fileIndex: number;
  fileCount: number;
  epoch: number;
  sizeBytes: number;
}

/** The file header as the first 4 KiB page of the file. */
export function encodeFileHeader(h: FileHeader): Buffer {
  const b = Buffer.alloc(IO_ALIGN);
  b.writeUInt32LE(FILE_MAGIC, 0);
  b.writeUInt32LE(h.version, 4);
  b.writeUInt32LE(h.writeBlockSize, 8);
  b.writeUInt32LE(h.fileIndex, 12);
  b.writeUInt32LE(h.fileCount, 16);
  b.writeUInt32LE(h.epoch >>> 0, 20);
  b.writeDoubleLE(h.sizeBytes, 24);
  b.writeUInt32LE(crc32(b, 0, 32), 32);
  return b;
}

/** The header, or undefined when absent (new file) or damaged. */
export function decodeFileHeader(b: Buffer): FileHeader | undefined {
  if (b.length < FILE_HDR || b.readUInt32LE(0) !== FILE_MAGIC) return undefined;
  if (b.readUInt32LE(32) !== crc32(b, 0, 32)) return undefined;
  return {
    version: b.readUInt32LE(4),
    writeBlockSize: b.readUInt32LE(8),
    fileIndex: b.readUInt32LE(12),
    fileCount: b.readUInt32LE(16),
    epoch: b.readUInt32LE(20),
    sizeBytes: b.readDoubleLE(24),
  };
}

// ---- block header -----------------------------------------------------------------------------

/** Decoded header of a write block. */
export interface BlockHeader {
  epoch: number;
  seq: number;
  stamp: number;
  file: number;
  block: number;
}

/** Writes a block header at the start of a write-block image. */
export function writeBlockHeader(b: Buffer, h: BlockHeader): void {
  b.writeUInt32LE(BLOCK_MAGIC, 0);
  b.writeUInt32LE(h.epoch >>> 0, 4);
  b.writeUInt32LE(h.seq >>> 0, 8);
  b.writeUInt32LE(h.stamp >>> 0, 12);
  b.writeUInt32LE(h.file, 16);
  b.writeUInt32LE(h.block, 20);
  b.writeUInt32LE(crc32(b, 0, 24), 24);
  b.writeUInt32LE(0, 28);
}

/** The block header at `off`, or undefined when the block was never written or is damaged. */
export function readBlockHeader(b: Buffer, off = 0): BlockHeader | undefined {
  if (b.readUInt32LE(off) !== BLOCK_MAGIC) return undefined;
  if (b.readUInt32LE(off + 24) !== crc32(b, off, off + 24)) return undefined;
  return {
    epoch: b.readUInt32LE(off + 4),
    seq: b.readUInt32LE(off + 8),
    stamp: b.readUInt32LE(off + 12),
    file: b.readUInt32LE(off + 16),
    block: b.readUInt32LE(off + 20),
  };
}

// ---- device record ----------------------------------------------------------------------------

/** Metadata carried in a device record header (rebuilt into the index on cold start). */
export interface RecordMeta {
  generation: number;
  flags: number;
  voidTime: number;
  lastUpdateMs: number;
}

/**
 * Serialises a device record into `dst` at `off` (the caller guarantees room and that the bytes
 * up to the aligned end are zero). Returns the aligned size.
 */
export function writeDeviceRecord(
  dst: Buffer,
  off: number,
  stamp: number,
  digest: Buffer,
  dOff: number,
  meta: RecordMeta,
  setName: Buffer | undefined,
  data: Buffer | undefined,
): number {
  const nameLen = setName ? setName.length : 0;
  const dataLen = data ? data.length : 0;
  dst.writeUInt32LE(REC_MAGIC, off);
  dst.writeUInt32LE(stamp >>> 0, off + 4);
  digest.copy(dst, off + 8, dOff, dOff + 20);
  dst.writeUInt16LE(meta.generation & 0xffff, off + 28);
  dst[off + 30] = meta.flags;
  dst[off + 31] = nameLen;
  dst.writeUInt32LE(meta.voidTime >>> 0, off + 32);
  dst.writeUInt32LE(dataLen, off + 36);
  dst.writeDoubleLE(meta.lastUpdateMs, off + 40);
  const body = off + REC_HDR;
  if (setName) setName.copy(dst, body);
  if (data) data.copy(dst, body + nameLen);
  dst.writeUInt32LE(crc32(dst, body, body + nameLen + dataLen), off + 48);
  dst.writeUInt32LE(crc32(dst, off, off + 52), off + 52);
  return deviceRecordSize(nameLen, dataLen);
}

/** Re-stamps a record copied into another block (defrag): new stamp, header checksum redone. */
export function restampRecord(buf: Buffer, off: number, stamp: number): void {
  buf.writeUInt32LE(stamp >>> 0, off + 4);
  buf.writeUInt32LE(crc32(buf, off, off + 52), off + 52);
}

/** Outcome of checking a position for a record. */
export const RecCheck = {
  /** a complete, intact record of this block incarnation */
  OK: 0,
  /** no record starts here (no magic, or a leftover of an earlier incarnation) */
  NONE: 1,
  /** magic present but the header checksum fails: damaged, length not trustworthy */
  BAD_HEADER: 2,
  /** header intact but set name/data checksum fails (or the record runs past the block) */
  BAD_DATA: 3,
} as const;

/**
 * Checks for a record at `off` in `buf` (which holds a block, or a record read on its own)
 * belonging to the incarnation `stamp` and not extending past `limit`. `stamp` undefined accepts
 * any stamp (single-record reads, where the index already says which block it is in).
 */
export function checkDeviceRecord(buf: Buffer, off: number, limit: number, stamp: number | undefined, verifyData = true): number {
  if (off + REC_HDR > limit) return RecCheck.NONE;
  if (buf.readUInt32LE(off) !== REC_MAGIC) return RecCheck.NONE;
  if (buf.readUInt32LE(off + 52) !== crc32(buf, off, off + 52)) return RecCheck.BAD_HEADER;
  if (stamp !== undefined && buf.readUInt32LE(off + 4) !== stamp) return RecCheck.NONE;
  const nameLen = buf[off + 31]!;
  const dataLen = buf.readUInt32LE(off + 36);
  const end = off + REC_HDR + nameLen + dataLen;
  if (end > limit) return RecCheck.BAD_DATA;
  if (verifyData && buf.readUInt32LE(off + 48) !== crc32(buf, off + REC_HDR, end)) return RecCheck.BAD_DATA;
  return RecCheck.OK;
}

/** Field accessors for a record at `off` (checked with checkDeviceRecord first). */
export const rec = {
  stamp: (b: Buffer, off: number) => b.readUInt32LE(off + 4),
  digestOff: (off: number) => off + 8,
  generation: (b: Buffer, off: number) => b.readUInt16LE(off + 28),
  flags: (b: Buffer, off: number) => b[off + 30]!,
  nameLen: (b: Buffer, off: number) => b[off + 31]!,
  voidTime: (b: Buffer, off: number) => b.readUInt32LE(off + 32),
  dataLen: (b: Buffer, off: number) => b.readUInt32LE(off + 36),
  lastUpdateMs: (b: Buffer, off: number) => b.readDoubleLE(off + 40),
  nameOff: (off: number) => off + REC_HDR,
  dataOff: (b: Buffer, off: number) => off + REC_HDR + b[off + 31]!,
  size: (b: Buffer, off: number) => deviceRecordSize(b[off + 31]!, b.readUInt32LE(off + 36)),
};

/**
 * Generation order with 16-bit wrap-around (serial-number arithmetic): a is newer than b when it
 * is ahead by less than half the range. Generations wrap 65535 -> 1 in Aerospike.
 */
export function compareGeneration(a: number, b: number): number {
  if (a === b) return 0;
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000 ? 1 : -1;
}
