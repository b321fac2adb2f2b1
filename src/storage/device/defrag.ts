/**
 * Defragmentation of one write block: read it, and re-write each record that the index still
 * points at into the file's defrag swb. When every live record has moved, the block is empty and
 * can be reused. Records the index no longer points at (older versions, deleted records) are
 * simply left behind: that is how updates and deletes get their space back.
 *
 * The scheduling (queue, defrag-sleep, defrag-queue-min) lives in the engine; this module is the
 * per-block work, kept free of timers so tests can drive it step by step.
 */
import type { DeviceFile } from './device-file.js';
import { BLOCK_HDR, RECORD_ALIGN, RecCheck, REC_HDR, checkDeviceRecord, rec } from './format.js';

/** What the per-block defrag needs from the engine (kept abstract so it can be tested alone). */
export interface DefragHost {
  /** The block's bytes up to its fill end: from memory when cached, else read from the device. */
  readBlockImage(file: DeviceFile, block: number): Buffer;
  /** The index entry whose current copy is at (file, block, offset), or -1. */
  currentEntryAt(img: Buffer, digestOff: number, file: DeviceFile, block: number, offset: number): number;
  /**
   * Copies the record img[off, off+size) into the file's defrag swb, re-points the index entry and
   * moves the live bytes. False when no block is free to receive it.
   */
  relocate(entry: number, file: DeviceFile, fromBlock: number, img: Buffer, off: number, size: number): boolean;
}

/** Result of defragmenting one block. */
export interface DefragOutcome {
  /** live records re-written */
  moved: number;
  movedBytes: number;
  /** records with a damaged header (could not be parsed; a live one keeps the block in use) */
  damaged: number;
  /** ran out of free blocks part-way; the block must be retried later */
  stalled: boolean;
}

/** Moves the live records out of `block`. The block is empty afterwards unless stalled/damaged. */
export function defragBlock(host: DefragHost, file: DeviceFile, block: number): DefragOutcome {
  const out: DefragOutcome = { moved: 0, movedBytes: 0, damaged: 0, stalled: false };
  const img = host.readBlockImage(file, block);
  const stamp = file.stamp[block]!;
  const limit = Math.min(img.length, file.fillEnd[block]!);
  let off = BLOCK_HDR;
  // stop as soon as nothing live remains: the tail of a sparse block need not be parsed
  while (off + REC_HDR <= limit && file.used[block]! > 0) {
    // data checksums are not verified here: a damaged record is copied as is, so a read still
    // reports it, and the block does not stay pinned by a record nobody can use
    const c = checkDeviceRecord(img, off, limit, stamp, false);
    if (c === RecCheck.OK) {
      const size = rec.size(img, off);
      const id = host.currentEntryAt(img, rec.digestOff(off), file, block, off);
      if (id >= 0) {
        if (!host.relocate(id, file, block, img, off, size)) {
          out.stalled = true;
          return out;
        }
        out.moved++;
        out.movedBytes += size;
      }
      off += size;
    } else {
      if (c === RecCheck.BAD_HEADER) out.damaged++;
      off += RECORD_ALIGN;
    }
  }
  return out;
}
