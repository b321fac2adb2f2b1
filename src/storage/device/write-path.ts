/**
 * The write path of the device engine: a record becomes a device record appended to its file's
 * client streaming write buffer (swb); swbs are sealed when full and queued for their write,
 * flushed in flush-size pieces (at once with commit-to-device, after flush-max-ms otherwise), and
 * a block whose write is done joins the post-write cache. Space comes from the free list, with
 * back-pressure (max-write-cache) and, when free blocks run short, help from the defragmenter.
 */
import type { PrimaryIndex } from '../../index/primary-index.js';
import { ResultCode } from '../../protocol/result-codes.js';
import type { DeviceCore } from './core.js';
import { BlockState, type DeviceFile } from './device-file.js';
import { DeviceError } from './device-error.js';
import {
  BLOCK_HDR,
  IO_ALIGN,
  alignDown,
  alignUp,
  blockStamp,
  deviceRecordSize,
  writeBlockHeader,
  writeDeviceRecord,
  type RecordMeta,
} from './format.js';
import type { Reclaim } from './reclaim.js';
import { Swb, SwbKind } from './swb.js';

/** What the write path asks of the defragmenter (implemented by DefragScheduler). */
export interface DefragForWrites {
  /** Client writes pay for a couple of defragmented blocks when `f` runs short of free ones. */
  assistDefrag(f: DeviceFile): void;
  /** Defragments the head of `f`'s queue now; false when stalled. */
  defragFile(f: DeviceFile): boolean;
  /** Drains the write queue on a later turn of the event loop. */
  scheduleDrain(): void;
}

export class WritePath {
  constructor(
    private readonly c: DeviceCore,
    private readonly r: Reclaim,
    private readonly d: DefragForWrites,
  ) {}

  writeCopy(index: PrimaryIndex, id: number, meta: RecordMeta, data: Buffer | undefined): void {
    const name = this.setNameBytes(index.setId(id));
    const nameLen = name ? name.length : 0;
    const dataLen = data ? data.length : 0;
    const size = deviceRecordSize(nameLen, dataLen);
    if (size > this.c.wbs - BLOCK_HDR) {
      throw new DeviceError(ResultCode.RECORD_TOO_BIG, `record of ${dataLen} bytes does not fit a ${this.c.wbs}-byte write block`);
    }
    this.admitWrite();
    const digest = index.digestView(id);
    const f = this.c.files[digest.readUInt32LE(8) % this.c.files.length]!;
    const s = this.swbWithRoom(f, SwbKind.CLIENT, size)!;
    const off = s.pos;
    writeDeviceRecord(s.buf, off, s.stamp, digest, 0, meta, name, data);
    s.pos = off + size;
    this.markDirty(s);
    if (this.c.cfg.commitToDevice) this.commit(f, s, off, size);

    // the new copy is live first, so an old copy in the same block never takes it below zero
    f.addUsed(s.block, size);
    this.releaseCopy(index, id);
    index.setLocator(id, s.block);
    index.setLocator2(id, off);
    index.setLocator3(id, f.fileIndex | (nameLen << 8));
    index.setStoredSize(id, dataLen);
    this.c.clientBytes += size;
    this.c.clientRecords++;
    if (!this.c.cfg.commitToDevice && this.c.clock.nowMs() - s.dirtySinceMs >= this.c.tunables.flushMaxMs) {
      // under steady load the timer may lag; bound the flush window here too
      this.flushQuietly(s);
    }
  }

  /**
   * commit-to-device: the record's page(s) are written and fdatasync'd before the write is
   * acknowledged. On failure the record is taken out of the swb (and, best effort, off the
   * device) and the write fails: the client was not told it succeeded, so either outcome after a
   * crash is allowed.
   */
  commit(f: DeviceFile, s: Swb, off: number, size: number): void {
    try {
      this.flushSwb(s);
      this.c.io.fsync(f.fd);
      f.unsynced = false;
    } catch (e) {
      s.buf.fill(0, off, off + size);
      s.pos = off;
      if (s.flushedPos > off) s.flushedPos = off;
      if (s.flushedPos >= s.pos) s.firstDirtyAppend = Infinity;
      try {
        const start = alignDown(off, IO_ALIGN);
        const end = Math.min(alignUp(off + size, IO_ALIGN), this.c.wbs);
        this.c.io.pwrite(f.fd, s.buf, start, end - start, f.blockOffset(s.block) + start);
      } catch {
        // the device is failing; the loader's checksums cope with whatever is there
      }
      this.c.log(`commit-to-device write failed on ${f.path}: ${(e as Error).message}`);
      throw new DeviceError(ResultCode.UNKNOWN, `device write failed: ${(e as Error).message}`);
    }
  }

  /** Takes the old copy of entry `id` (if any) off its block's live bytes. */
  releaseCopy(index: PrimaryIndex, id: number): void {
    const block = index.locator(id);
    if (block === 0) return;
    const loc3 = index.locator3(id);
    const f = this.c.files[loc3 & 0xff]!;
    f.addUsed(block, -deviceRecordSize((loc3 >>> 8) & 0xff, index.storedSize(id)));
    this.r.afterUsedDrop(f, block);
  }

  setNameBytes(setId: number): Buffer | undefined {
    if (setId === 0) return undefined;
    if (this.c.setNames.has(setId)) return this.c.setNames.get(setId);
    let b: Buffer | undefined;
    if (this.c.setNameOf) {
      const name = this.c.setNameOf(setId);
      if (name.length > 0) b = Buffer.from(name, 'utf8').subarray(0, 255);
    } else if (!this.c.warnedNoSetNames) {
      this.c.warnedNoSetNames = true;
      this.c.log('no setNameOf given: records are written without their set name (a cold start loads them without a set)');
    }
    this.c.setNames.set(setId, b);
    return b;
  }

  /** Back-pressure: too many full blocks waiting for their write means the device is behind. */
  admitWrite(): void {
    if (this.c.writeQ.length * this.c.wbs <= this.c.tunables.maxWriteCacheBytes) return;
    this.drainWriteQ();
    if (this.c.writeQ.length * this.c.wbs > this.c.tunables.maxWriteCacheBytes) {
      throw new DeviceError(ResultCode.DEVICE_OVERLOAD, `write queue exceeds max-write-cache (${this.c.tunables.maxWriteCacheBytes} bytes)`);
    }
  }

  /**
   * The file's client or defrag swb with room for `size` bytes, opening a new block when needed.
   * Client writes may not take the last few free blocks (the defragmenter needs them to make
   * progress): they get OUT_OF_SPACE instead. For defrag, undefined when no block is free.
   */
  swbWithRoom(f: DeviceFile, kind: number, size: number): Swb | undefined {
    const cur = kind === SwbKind.CLIENT ? f.clientSwb : f.defragSwb;
    if (cur && cur.room() >= size) return cur;
    if (kind === SwbKind.CLIENT) this.d.assistDefrag(f);
    const b = this.takeFreeBlock(f, kind === SwbKind.CLIENT);
    if (b < 0) return undefined;
    if (cur) this.seal(cur);
    const s = this.openSwb(f, b, kind);
    if (kind === SwbKind.CLIENT) f.clientSwb = s;
    else f.defragSwb = s;
    return s;
  }

  takeFreeBlock(f: DeviceFile, client: boolean): number {
    const reserve = client ? this.r.reserveBlocks(f) : 0;
    this.r.shedPostWriteCache(f);
    if (f.free.length <= reserve) this.reclaimNow();
    if (client && f.free.length <= reserve) {
      // last resort before OUT_OF_SPACE: the defragmenter may have blocks to give back right now
      for (let k = 0; f.free.length <= reserve && k < f.usableBlocks && f.defragQ.length > this.c.tunables.defragQueueMin; k++) {
        if (!this.d.defragFile(f)) break;
        this.reclaimNow();
      }
    }
    if (f.free.length <= reserve) {
      if (client) throw new DeviceError(ResultCode.OUT_OF_SPACE, `device ${f.path} has no free write block`);
      return -1;
    }
    return f.free.shift();
  }

  openSwb(f: DeviceFile, b: number, kind: number): Swb {
    if (f.used[b] !== 0 || f.state[b] !== BlockState.FREE) {
      throw new Error(`device ${f.path}: block ${b} taken from the free list is not free (state ${f.state[b]}, used ${f.used[b]})`);
    }
    const seq = this.c.nextSeq;
    this.c.nextSeq = (this.c.nextSeq + 1) >>> 0 || 1;
    const stamp = blockStamp(f.epoch, seq, f.fileIndex, b);
    const buf = this.c.pool.take();
    writeBlockHeader(buf, { epoch: f.epoch, seq, stamp, file: f.fileIndex, block: b });
    f.state[b] = BlockState.SWB;
    f.seq[b] = seq;
    f.stamp[b] = stamp;
    f.fillEnd[b] = BLOCK_HDR;
    return new Swb(buf, f.fileIndex, b, seq, stamp, kind);
  }

  markDirty(s: Swb): void {
    this.c.appendCounter++;
    if (s.firstDirtyAppend === Infinity) {
      s.firstDirtyAppend = this.c.appendCounter;
      s.dirtySinceMs = this.c.clock.nowMs();
    }
  }

  /** Writes the swb's unwritten bytes, in whole flush-size pieces, to its block. Throws on I/O error. */
  flushSwb(s: Swb): void {
    if (s.flushedPos >= s.pos) return;
    const f = this.c.files[s.file]!;
    const unit = this.flushUnit();
    const start = alignDown(s.flushedPos, unit);
    const end = Math.min(alignUp(s.pos, unit), this.c.wbs);
    this.c.io.pwrite(f.fd, s.buf, start, end - start, f.blockOffset(s.block) + start);
    f.bytesWritten += end - start;
    f.unsynced = true;
    if (!s.sealed) f.partialWrites++;
    s.flushedPos = s.pos;
    s.firstDirtyAppend = Infinity;
    f.fillEnd[s.block] = s.pos;
  }

  /**
   * Bytes of one device write: `flush-size`, at most the write block and at least a page. As in
   * Aerospike, a flush rewrites whole flush-size pieces, so commit-to-device wants a small one.
   */
  flushUnit(): number {
    return Math.max(IO_ALIGN, Math.min(this.c.tunables.flushSizeBytes, this.c.wbs));
  }

  flushQuietly(s: Swb | undefined): void {
    if (!s) return;
    try {
      this.flushSwb(s);
    } catch (e) {
      this.c.ioError(this.c.files[s.file]!, 'write', e);
    }
  }

  /** No more appends: queue the last write (or finish at once when nothing is left to write). */
  seal(s: Swb): void {
    s.sealed = true;
    const f = this.c.files[s.file]!;
    if (f.clientSwb === s) f.clientSwb = undefined;
    if (f.defragSwb === s) f.defragSwb = undefined;
    if (!s.dirty) {
      this.finishSwb(s);
      return;
    }
    this.c.writeQ.push(s);
    if (this.c.cfg.backgroundTimers) this.d.scheduleDrain();
    else this.drainWriteQ(); // deterministic mode: no background turn will come
  }

  /** The block is completely on the device. */
  finishSwb(s: Swb): void {
    const f = this.c.files[s.file]!;
    const b = s.block;
    f.state[b] = BlockState.FULL;
    f.fillEnd[b] = s.pos;
    f.writes++;
    if (s.kind === SwbKind.DEFRAG) f.defragWrites++;
    if (f.used[b] === 0) {
      this.c.pool.give(s.buf);
      f.directFrees++;
      this.r.pendingFree(f, b);
      return;
    }
    if (s.kind === SwbKind.CLIENT) {
      this.c.pwc.add(f.fileIndex, b, s.buf, this.r.onPostWriteEvict, this.r.postWriteCacheBlocks(f));
    } else {
      // records the defragmenter moved are cold: no post-write cache (as in Aerospike), and the
      // block is judged at once (its records may have been updated while it was being filled)
      this.c.pool.give(s.buf);
      this.r.afterUsedDrop(f, b);
    }
  }

  /** Writes queued blocks in order; false when the device failed (they stay queued for a retry). */
  drainWriteQ(): boolean {
    while (this.c.writeQ.length > 0) {
      const s = this.c.writeQ[0]!;
      try {
        this.flushSwb(s);
      } catch (e) {
        this.c.ioError(this.c.files[s.file]!, 'write', e);
        return false;
      }
      this.c.writeQ.shift();
      this.finishSwb(s);
    }
    return true;
  }

  /** Flushes everything buffered and releases what can be released: used when space is short. */
  reclaimNow(): void {
    for (const f of this.c.files) {
      this.flushQuietly(f.clientSwb);
      this.flushQuietly(f.defragSwb);
    }
    this.drainWriteQ();
    this.r.tryReleasePending();
  }
}
