/**
 * Cold start: scan every block of every file and rebuild the primary index and the per-block
 * live-byte counts from the records themselves (the index is not persisted, as in Aerospike CE).
 *
 * - Several copies of a digest may be on the device (updates write new copies; defrag leaves the
 *   old ones behind). The newest wins: higher generation (16-bit, wrap-aware), then later
 *   last-update-time (or the other way round with conflict-resolution-policy last-update-time),
 *   then the later write block, then the later position in the block.
 * - A tombstone (durable delete) that wins deletes the record. It stays in the index, flagged
 *   TOMBSTONE, while an older copy it hides is still on the device; otherwise it is dropped.
 *   Whenever a tombstone is one of the two copies compared (tombstone against record, or against
 *   another tombstone) the last-update-time decides, whatever the policy: the tombstone's copy can
 *   outlive its index entry, and a record re-created after the delete starts again at generation
 *   1, so by generation the stale tombstone would delete it. Two tombstones of different lives of
 *   the key must compare by time too: by generation a stale one (say generation 4) would beat a
 *   newer one (generation 3, after a re-creation) and then lose to the record the newer one
 *   deleted, bringing that record back.
 * - A record deleted without a tombstone (expunge) may come back if an older copy survived
 *   defragmentation: that is Aerospike's documented behaviour and the reason durable deletes exist.
 * - Records whose void-time has passed are not loaded (the newest copy decides: an expired newest
 *   copy hides older ones).
 * - Damaged or torn data is logged and skipped, never fatal: a record with a damaged header or
 *   data checksum is dropped, and scanning resumes at the next aligned record.
 */
import { EntryFlag, type PrimaryIndex } from '../../index/primary-index.js';
import { N_PARTITIONS } from '../../util/digest.js';
import type { DeviceFile } from './device-file.js';
import { BlockState } from './device-file.js';
import {
  BLOCK_HDR,
  RECORD_ALIGN,
  RecCheck,
  RecFlag,
  REC_HDR,
  checkDeviceRecord,
  compareGeneration,
  deviceRecordSize,
  readBlockHeader,
  rec,
} from './format.js';
import type { DeviceIo } from './io.js';

/** Load-time marker in an entry's flags: an older copy of this digest is on the device. */
const SHADOWS = 0x80;
/** Bytes read per pread during the scan (several blocks at once for small blocks). */
const SCAN_CHUNK_BYTES = 8 * 1024 * 1024;
const REC_MAGIC_BYTES = Buffer.from([0x53, 0x54, 0x44, 0x52]); // REC_MAGIC little-endian: 'STDR'

/** What a cold start found. */
export interface LoadResult {
  /** live records loaded into the index */
  records: number;
  /** tombstones kept in the index (they hide older copies still on the device) */
  tombstones: number;
  /** records whose newest copy had expired */
  expired: number;
  /** damaged or torn records skipped */
  skippedCorrupt: number;
  /** blocks holding at least one live record after the load */
  blocksInUse: number;
  /** wall-clock duration of the scan */
  durationMs: number;
}

/** Inputs of a cold start. */
export interface LoadContext {
  files: DeviceFile[];
  io: DeviceIo;
  writeBlockSize: number;
  /** Citrusleaf seconds now: records with 0 < void-time <= this are expired */
  nowCl: number;
  setIdOf: ((name: string) => number) | undefined;
  onRecord: ((id: number) => void) | undefined;
  log: (line: string) => void;
  /** conflict-resolution-policy: which field decides first */
  conflictResolution: 'generation' | 'last-update-time';
}

/**
 * Scans all files into `index` (which should be empty). Leaves each file's `used`, `seq`,
 * `stamp`, `fillEnd` filled in and `state` FULL for blocks of the current epoch; the engine then
 * decides which of them are free or due for defrag. Returns the result and the highest block seq.
 */
export async function coldLoad(index: PrimaryIndex, ctx: LoadContext): Promise<LoadResult & { maxSeq: number }> {
  const t0 = performance.now();
  const wbs = ctx.writeBlockSize;
  const files = ctx.files;
  let skippedCorrupt = 0;
  let maxSeq = 0;
  const setIds = new Map<string, number>();
  let warnedNoSets = false;

  const setIdOfName = (name: string): number => {
    let id = setIds.get(name);
    if (id !== undefined) return id;
    if (!ctx.setIdOf) {
      if (!warnedNoSets) ctx.log('cold start: records carry set names but no setIdOf was given; loading them without a set');
      warnedNoSets = true;
      id = 0;
    } else {
      try {
        id = ctx.setIdOf(name);
      } catch (e) {
        ctx.log(`cold start: set '${name}' could not be created (${(e as Error).message}); loading its records without a set`);
        id = 0;
      }
      if (id < 0) id = 0;
    }
    setIds.set(name, id);
    return id;
  };

  const lutFirst = ctx.conflictResolution === 'last-update-time';
  /** true when the copy (gen, lut, tombstone, seq, off) is newer than the one entry `id` holds */
  const isNewer = (id: number, gen: number, lut: number, tomb: boolean, seq: number, off: number): boolean => {
    const l = index.lastUpdateMs(id);
    // A tombstone says "deleted at time l": a record written after it is a re-creation and must
    // win even with a lower generation (a re-created record restarts at generation 1, and the
    // tombstone's copy can outlive its index entry), while copies written before it lose. The
    // same between two tombstones: generations of different lives of a key are not comparable.
    const oldTomb = (index.flags(id) & EntryFlag.TOMBSTONE) !== 0;
    if ((lutFirst || tomb || oldTomb) && lut !== l) return lut > l;
    const g = compareGeneration(gen, index.generation(id));
    if (g !== 0) return g > 0;
    if (lut !== l) return lut > l;
    const oldFile = files[index.locator3(id) & 0xff]!;
    const oldSeq = oldFile.seq[index.locator(id)]!;
    if (seq !== oldSeq) return seq > oldSeq;
    return off > index.locator2(id);
  };

  const visit = (buf: Buffer, base: number, off: number, file: DeviceFile, block: number): void => {
    const at = base + off;
    const dOff = rec.digestOff(at);
    const gen = rec.generation(buf, at);
    const lut = rec.lastUpdateMs(buf, at);
    const seq = file.seq[block]!;
    const size = rec.size(buf, at);
    const rflags = rec.flags(buf, at);
    let id = index.find(buf, dOff);
    let flags = 0;
    if (id >= 0) {
      if (!isNewer(id, gen, lut, (rflags & RecFlag.TOMBSTONE) !== 0, seq, off)) {
        index.setFlags(id, index.flags(id) | SHADOWS);
        return;
      }
      // the copy loaded so far is older: its bytes are no longer live
      const loc3 = index.locator3(id);
      const oldSize = deviceRecordSize((loc3 >>> 8) & 0xff, index.storedSize(id));
      files[loc3 & 0xff]!.addUsed(index.locator(id), -oldSize);
      flags |= SHADOWS;
    } else {
      id = index.insert(buf, dOff);
    }
    const nameLen = rec.nameLen(buf, at);
    const dataLen = rec.dataLen(buf, at);
    const dataOff = rec.dataOff(buf, at);
    if (rflags & RecFlag.TOMBSTONE) flags |= EntryFlag.TOMBSTONE;
    else if (dataLen > 0 && buf[dataOff]! & 1) flags |= EntryFlag.HAS_KEY; // record-codec: bit0 = key stored
    index.setFlags(id, flags);
    index.setGeneration(id, gen);
    index.setLastUpdateMs(id, lut);
    index.setVoidTime(id, rec.voidTime(buf, at));
    index.setSetId(id, nameLen > 0 ? setIdOfName(buf.toString('utf8', rec.nameOff(at), rec.nameOff(at) + nameLen)) : 0);
    index.setLocator(id, block);
    index.setLocator2(id, off);
    index.setLocator3(id, file.fileIndex | (nameLen << 8));
    index.setStoredSize(id, dataLen);
    file.addUsed(block, size);
  };

  /** Scans one block image at buf[base, base + wbs). */
  const scanBlock = (buf: Buffer, base: number, file: DeviceFile, block: number): void => {
    const h = readBlockHeader(buf, base);
    if (!h || h.epoch !== file.epoch || h.file !== file.fileIndex || h.block !== block) return; // never written this epoch
    file.state[block] = BlockState.FULL;
    file.seq[block] = h.seq;
    file.stamp[block] = h.stamp;
    if (h.seq > maxSeq) maxSeq = h.seq;
    const limit = base + wbs;
    let off = BLOCK_HDR;
    let fill = BLOCK_HDR;
    while (off + REC_HDR <= wbs) {
      const c = checkDeviceRecord(buf, base + off, limit, h.stamp, true);
      if (c === RecCheck.OK) {
        visit(buf, base, off, file, block);
        off += rec.size(buf, base + off);
        fill = off;
        continue;
      }
      if (c === RecCheck.BAD_DATA) {
        // the header is intact, so the length is right: skip exactly this record
        skippedCorrupt++;
        const size = rec.size(buf, base + off);
        ctx.log(`cold start: ${file.path} block ${block} offset ${off}: record data checksum mismatch, skipped`);
        if (off + size > wbs) break; // torn at the block end
        off += size;
        fill = off;
        continue;
      }
      if (c === RecCheck.BAD_HEADER) {
        skippedCorrupt++;
        ctx.log(`cold start: ${file.path} block ${block} offset ${off}: damaged record header, skipped`);
      }
      // no record of this incarnation here: jump to the next aligned magic, if any (the tail of
      // a partly filled block is zeros; the native search makes skipping it cheap)
      let next = off + RECORD_ALIGN;
      for (;;) {
        const hit = buf.indexOf(REC_MAGIC_BYTES, base + next);
        if (hit < 0 || hit + REC_HDR > limit) {
          next = wbs;
          break;
        }
        const rel = hit - base;
        if (rel % RECORD_ALIGN === 0) {
          next = rel;
          break;
        }
        next = rel + 1;
      }
      off = next;
    }
    file.fillEnd[block] = fill;
  };

  const chunkBlocks = Math.max(1, Math.floor(SCAN_CHUNK_BYTES / wbs));
  const chunk = Buffer.allocUnsafe(chunkBlocks * wbs);
  for (const file of files) {
    for (let first = 1; first < file.nBlocks; first += chunkBlocks) {
      const n = Math.min(chunkBlocks, file.nBlocks - first);
      const got = ctx.io.pread(file.fd, chunk, 0, n * wbs, file.blockOffset(first));
      if (got < n * wbs) chunk.fill(0, got, n * wbs); // short file: the rest reads as never written
      for (let i = 0; i < n; i++) scanBlock(chunk, i * wbs, file, first + i);
      // a cold start of a large device takes seconds; let timers and signals through
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  // resolve: expired newest copies and unneeded tombstones leave the index
  let records = 0;
  let tombstones = 0;
  let expired = 0;
  const drop = (id: number): void => {
    const loc3 = index.locator3(id);
    files[loc3 & 0xff]!.addUsed(index.locator(id), -deviceRecordSize((loc3 >>> 8) & 0xff, index.storedSize(id)));
    index.remove(index.digestView(id));
  };
  for (let p = 0; p < N_PARTITIONS; p++) {
    if (index.partitionSize(p) === 0) continue;
    for (const id of index.partitionIds(p)) {
      const f = index.flags(id);
      if (f & EntryFlag.TOMBSTONE) {
        if (f & SHADOWS) {
          index.setFlags(id, f & ~SHADOWS & 0xff);
          tombstones++;
        } else drop(id);
        continue;
      }
      const vt = index.voidTime(id);
      if (vt !== 0 && vt <= ctx.nowCl) {
        drop(id);
        expired++;
        continue;
      }
      index.setFlags(id, f & ~SHADOWS & 0xff);
      records++;
      ctx.onRecord?.(id);
    }
  }
  let blocksInUse = 0;
  for (const file of files) for (let b = 1; b < file.nBlocks; b++) if (file.used[b]! > 0) blocksInUse++;
  return { records, tombstones, expired, skippedCorrupt, blocksInUse, durationMs: performance.now() - t0, maxSeq };
}
