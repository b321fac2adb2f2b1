/**
 * Reclaiming space in the device engine: a block that loses live bytes is freed when empty or
 * queued for defragmentation when under defrag-lwm-pct; a freed block returns to the free list
 * only once the copies that replaced its records are on the device and fdatasync'd. The
 * post-write cache is kept to its share of a file so cached blocks do not stall defragmentation.
 */
import type { DeviceCore } from './core.js';
import { BlockState, type DeviceFile } from './device-file.js';

/** What reclaiming asks of the defragmenter (implemented by DefragScheduler). */
export interface DefragWake {
  /** Wakes the defragmenter if it is idle and there is work. */
  kickDefrag(): void;
}

export class Reclaim {
  constructor(
    private readonly c: DeviceCore,
    private readonly d: DefragWake,
  ) {}

  /** A block lost live bytes: free it when empty, queue it for defrag when below the lwm. */
  afterUsedDrop(f: DeviceFile, b: number): void {
    if (f.state[b] !== BlockState.FULL) return; // swbs are judged when sealed; queued ones by defrag
    if (f.used[b] === 0) {
      const cached = this.c.pwc.remove(f.fileIndex, b);
      if (cached) this.c.pool.give(cached);
      f.directFrees++;
      this.pendingFree(f, b);
    } else if (f.used[b]! < this.c.lwmBytes() && !this.c.pwc.has(f.fileIndex, b)) {
      this.enqueueDefrag(f, b);
    }
  }

  enqueueDefrag(f: DeviceFile, b: number): void {
    f.stuck.delete(b);
    f.state[b] = BlockState.QUEUED;
    f.defragQ.push(b);
    this.d.kickDefrag();
  }

  /** Free blocks kept back from client writes for the defragmenter. */
  reserveBlocks(f: DeviceFile): number {
    return Math.min(Math.max(2, Math.ceil(f.usableBlocks / 100)), Math.floor(f.usableBlocks / 4));
  }

  /**
   * Blocks of file `f` the post-write cache may hold: a sixteenth of the file (cached blocks are
   * not defragmented, so a cache as large as the file would stop defragmentation altogether),
   * none when free space is short.
   */
  postWriteCacheBlocks(f: DeviceFile): number {
    if (this.defragUrgent(f)) return 0;
    return Math.floor(f.usableBlocks / 16);
  }

  /** Evicts cached blocks of `f` beyond its share; they become defrag candidates. */
  shedPostWriteCache(f: DeviceFile): void {
    const max = this.postWriteCacheBlocks(f);
    if (this.c.pwc.countOf(f.fileIndex) > max) this.c.pwc.trimFile(f.fileIndex, max, this.onPostWriteEvict);
  }

  /** A block left the post-write cache: from now on it is a defrag candidate like any other. */
  readonly onPostWriteEvict = (file: number, block: number, buf: Buffer): void => {
    this.c.pool.give(buf);
    this.afterUsedDrop(this.c.files[file]!, block);
  };

  pendingFree(f: DeviceFile, b: number): void {
    if (f.used[b] !== 0) throw new Error(`device ${f.path}: block ${b} released with ${f.used[b]} live bytes (accounting invariant broken)`);
    f.stuck.delete(b);
    f.state[b] = BlockState.PENDING_FREE;
    this.c.pending.push(f.fileIndex, b, this.c.appendCounter);
  }

  /** Oldest append not yet on the device, over all swbs. */
  minDirtyAppend(): number {
    let m = Infinity;
    for (const f of this.c.files) {
      if (f.clientSwb && f.clientSwb.firstDirtyAppend < m) m = f.clientSwb.firstDirtyAppend;
      if (f.defragSwb && f.defragSwb.firstDirtyAppend < m) m = f.defragSwb.firstDirtyAppend;
    }
    for (const s of this.c.writeQ) if (s.firstDirtyAppend < m) m = s.firstDirtyAppend;
    return m;
  }

  get pendingCount(): number {
    return (this.c.pending.length - this.c.pendingHead) / 3;
  }

  /**
   * Returns emptied blocks to the free list once every append made before they were emptied is
   * on the device, after an fdatasync: the copies that replaced their records must survive a
   * power loss before the old copies are overwritten.
   */
  tryReleasePending(): void {
    if (this.pendingCount === 0) return;
    const minDirty = this.minDirtyAppend();
    let n = 0;
    for (let i = this.c.pendingHead; i < this.c.pending.length; i += 3) {
      if (this.c.pending[i + 2]! >= minDirty) break;
      n++;
    }
    if (n === 0) return;
    if (!this.syncAll(false)) return;
    for (let k = 0; k < n; k++) {
      const i = this.c.pendingHead;
      const f = this.c.files[this.c.pending[i]!]!;
      const b = this.c.pending[i + 1]!;
      this.c.pendingHead += 3;
      if (f.used[b] !== 0 || f.state[b] !== BlockState.PENDING_FREE) {
        throw new Error(`device ${f.path}: block ${b} freed with ${f.used[b]} live bytes (state ${f.state[b]})`);
      }
      f.state[b] = BlockState.FREE;
      f.free.push(b);
    }
    if (this.c.pendingHead > 3 * 1024 && this.c.pendingHead * 2 > this.c.pending.length) {
      this.c.pending = this.c.pending.slice(this.c.pendingHead);
      this.c.pendingHead = 0;
    }
  }

  /** fdatasyncs files with unsynced writes (all when `all`); false when a sync failed. */
  syncAll(all: boolean): boolean {
    for (const f of this.c.files) {
      if (!all && !f.unsynced) continue;
      try {
        this.c.io.fsync(f.fd);
        f.unsynced = false;
      } catch (e) {
        this.c.ioError(f, 'fsync', e);
        return false;
      }
    }
    return true;
  }

  /** Free space of `f` is short enough that defragmentation must not wait for its timer. */
  defragUrgent(f: DeviceFile): boolean {
    if (this.freeIsLow(f)) return true;
    const sw = this.c.tunables.stopWritesAvailPct;
    return f.free.length * 100 < Math.max(2 * sw, sw + 10) * f.usableBlocks;
  }

  freeIsLow(f: DeviceFile): boolean {
    const availPct = (f.free.length * 100) / f.usableBlocks;
    return f.free.length <= 2 * this.reserveBlocks(f) || availPct <= this.c.tunables.stopWritesAvailPct + 1;
  }

  requeueBelowLwm(): void {
    if (!this.c.started) return;
    const lwm = this.c.lwmBytes();
    for (const f of this.c.files) {
      for (let b = 1; b < f.nBlocks; b++) {
        if (f.state[b] === BlockState.FULL && f.used[b]! < lwm && !this.c.pwc.has(f.fileIndex, b)) this.afterUsedDrop(f, b);
      }
    }
  }
}
