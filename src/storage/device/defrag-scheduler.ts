/**
 * Defragmentation scheduling in the device engine: one queued block per step, round robin over
 * the files, on a timer paced by defrag-sleep (several blocks per event-loop turn when defrag-sleep
 * is under a millisecond or free space is short), plus the periodic housekeeping tick (flush-max-ms
 * flushes, write-queue draining, releasing reclaimed blocks). The block itself is moved by
 * defrag.ts through the DefragHost below.
 */
import { defragBlock, type DefragHost } from './defrag.js';
import type { DeviceCore } from './core.js';
import { BlockState, type DeviceFile } from './device-file.js';
import { restampRecord } from './format.js';
import type { Reclaim } from './reclaim.js';
import { SwbKind } from './swb.js';
import type { DefragForWrites, WritePath } from './write-path.js';

/** Longest a background defrag turn runs (several blocks) when defrag-sleep is under 1 ms or space is short. */
const DEFRAG_TURN_MS = 4;

export class DefragScheduler implements DefragForWrites {
  constructor(
    private readonly c: DeviceCore,
    private readonly w: WritePath,
    private readonly r: Reclaim,
  ) {}

  readonly defragHost: DefragHost = {
    readBlockImage: (f, b) => {
      const cached = this.c.pwc.get(f.fileIndex, b);
      if (cached) return cached;
      const len = f.fillEnd[b]!;
      this.c.scratch ??= Buffer.allocUnsafe(this.c.wbs);
      const got = this.c.io.pread(f.fd, this.c.scratch, 0, len, f.blockOffset(b));
      if (got < len) this.c.scratch.fill(0, got, len);
      return this.c.scratch.subarray(0, len);
    },
    currentEntryAt: (img, dOff, f, b, off) => {
      const index = this.c.index!;
      const id = index.find(img, dOff);
      if (id < 0) return -1;
      // only the current version moves: same file, block and offset as the index says
      if (index.locator(id) !== b || index.locator2(id) !== off || (index.locator3(id) & 0xff) !== f.fileIndex) return -1;
      return id;
    },
    relocate: (id, f, fromBlock, img, off, size) => {
      const s = this.w.swbWithRoom(f, SwbKind.DEFRAG, size);
      if (!s) return false;
      const at = s.pos;
      img.copy(s.buf, at, off, off + size);
      restampRecord(s.buf, at, s.stamp);
      s.pos = at + size;
      this.w.markDirty(s);
      f.addUsed(s.block, size);
      f.addUsed(fromBlock, -size);
      this.c.index!.setLocator(id, s.block);
      this.c.index!.setLocator2(id, at);
      this.c.defragMoved++;
      return true;
    },
  };

  /**
   * Defragments one queued block (round robin over the files, only while a file's queue is
   * longer than defrag-queue-min). Returns true when it did some work. The timers call this; tests
   * and the bench may call it directly.
   */
  defragStep(): boolean {
    if (!this.c.started || this.c.closed || !this.c.index) return false;
    const n = this.c.files.length;
    for (let k = 0; k < n; k++) {
      const f = this.c.files[(this.c.defragCursor + k) % n]!;
      if (f.defragQ.length <= this.c.tunables.defragQueueMin) continue;
      this.c.defragCursor = (f.fileIndex + 1) % n;
      return this.defragFile(f);
    }
    return false;
  }

  /** Defragments the block at the head of `f`'s queue; false when stalled (no block to move to). */
  defragFile(f: DeviceFile): boolean {
    if (!this.c.started || this.c.closed || !this.c.index || f.defragQ.length === 0) return false;
    const b = f.defragQ.shift();
    if (f.state[b] !== BlockState.QUEUED) throw new Error(`device ${f.path}: block ${b} on the defrag queue in state ${f.state[b]}`);
    if (f.used[b] === 0) {
      f.directFrees++;
      this.r.pendingFree(f, b);
    } else {
      f.defragReads++;
      let stalled = false;
      try {
        const out = defragBlock(this.defragHost, f, b);
        stalled = out.stalled;
        if (out.damaged > 0) this.c.log(`device ${f.path}: defrag of block ${b} met ${out.damaged} damaged record header(s)`);
      } catch (e) {
        this.c.ioError(f, `defrag read of block ${b}`, e);
        // not re-queued at once (a failing device would make the defragmenter spin); it is
        // queued again when it next loses live bytes
        f.state[b] = BlockState.FULL;
        f.stuck.add(b);
        return true;
      }
      if (stalled) {
        f.defragQ.unshift(b);
        return false;
      }
      if (f.used[b] === 0) this.r.pendingFree(f, b);
      else {
        // a live record whose header is damaged cannot be found by scanning; the block stays
        this.c.log(`device ${f.path}: block ${b} keeps ${f.used[b]} live bytes after defrag (damaged records)`);
        f.state[b] = BlockState.FULL;
        f.stuck.add(b);
      }
    }
    // space is short: do not wait for the defrag swb to fill before handing blocks back
    if (this.r.freeIsLow(f)) this.w.reclaimNow();
    return true;
  }

  /**
   * Client writes help the defragmenter when `f` runs short of free blocks: each new client block
   * first pays for up to two defragmented ones (a queued block is under defrag-lwm-pct full, so
   * two of them give back at least one block). Aerospike's defrag thread runs beside the writers;
   * here everything shares one thread, and a burst of writes within one event-loop turn would
   * otherwise use up the free blocks before the background defragmenter gets a turn.
   */
  assistDefrag(f: DeviceFile): void {
    if (!this.c.started || !this.c.index || !this.r.defragUrgent(f)) return;
    for (let k = 0; k < 2 && f.defragQ.length > this.c.tunables.defragQueueMin; k++) {
      if (!this.defragFile(f)) break;
    }
  }

  /** Runs defrag steps until the queues are down to defrag-queue-min or `maxBlocks` are done. */
  defragAll(maxBlocks = Infinity): number {
    let n = 0;
    while (n < maxBlocks && this.defragStep()) n++;
    return n;
  }

  anyDefragWork(): boolean {
    return this.c.files.some((f) => f.defragQ.length > this.c.tunables.defragQueueMin);
  }

  anyDefragUrgent(): boolean {
    return this.c.files.some((f) => f.defragQ.length > this.c.tunables.defragQueueMin && this.r.defragUrgent(f));
  }

  /**
   * Periodic housekeeping: flushes swbs holding data older than flush-max-ms, drains the write
   * queue, releases reclaimed blocks and wakes the defragmenter. Timers call it; tests may too.
   */
  tick(): void {
    if (!this.c.started || this.c.closed) return;
    const now = this.c.clock.nowMs();
    for (const f of this.c.files) {
      for (const s of [f.clientSwb, f.defragSwb]) {
        if (s && s.dirty && now - s.dirtySinceMs >= this.c.tunables.flushMaxMs) this.w.flushQuietly(s);
      }
    }
    this.w.drainWriteQ();
    this.r.tryReleasePending();
    this.kickDefrag();
  }

  startTimers(): void {
    if (!this.c.cfg.backgroundTimers || this.c.closed) return;
    if (this.c.flushTimer) clearInterval(this.c.flushTimer);
    const every = Math.max(5, Math.min(250, this.c.tunables.flushMaxMs / 4));
    this.c.flushTimer = setInterval(() => this.tick(), every);
    this.c.flushTimer.unref();
  }

  stopTimers(): void {
    if (this.c.flushTimer) clearInterval(this.c.flushTimer);
    if (this.c.defragTimer) clearTimeout(this.c.defragTimer);
    if (this.c.defragImmediate) clearImmediate(this.c.defragImmediate);
    if (this.c.drainImmediate) clearImmediate(this.c.drainImmediate);
    this.c.flushTimer = this.c.defragTimer = undefined;
    this.c.defragImmediate = this.c.drainImmediate = undefined;
  }

  scheduleDrain(): void {
    if (this.c.drainImmediate || this.c.closed) return;
    this.c.drainImmediate = setImmediate(() => {
      this.c.drainImmediate = undefined;
      this.w.drainWriteQ();
      this.r.tryReleasePending();
    });
    this.c.drainImmediate.unref();
  }

  /** Wakes the defragmenter if it is idle and there is work. */
  kickDefrag(): void {
    if (!this.c.cfg.backgroundTimers || !this.c.started || this.c.closed) return;
    if (this.c.defragTimer || this.c.defragImmediate) return;
    if (!this.anyDefragWork()) return;
    this.scheduleDefrag(this.c.tunables.defragSleepUs / 1000);
  }

  scheduleDefrag(delayMs: number): void {
    const run = (): void => {
      this.c.defragTimer = undefined;
      this.c.defragImmediate = undefined;
      if (this.c.closed) return;
      const t0 = performance.now();
      let did = this.defragStep();
      // With defrag-sleep under a millisecond (0: no pause at all) or free space running short,
      // one block per event-loop turn is not enough: a turn may carry many blocks' worth of
      // client writes. Keep going for a few milliseconds, then give the clients their turn.
      while (did && this.anyDefragWork() && (this.c.tunables.defragSleepUs < 1000 || this.anyDefragUrgent()) && performance.now() - t0 < DEFRAG_TURN_MS) {
        did = this.defragStep();
      }
      if (!this.anyDefragWork()) return;
      // stalled (no free block for the moved records): back off instead of spinning
      this.scheduleDefrag(did ? (this.anyDefragUrgent() ? 0 : this.c.tunables.defragSleepUs / 1000) : 100);
    };
    if (delayMs < 1) {
      this.c.defragImmediate = setImmediate(run);
      this.c.defragImmediate.unref();
    } else {
      this.c.defragTimer = setTimeout(run, delayMs);
      this.c.defragTimer.unref();
    }
  }
}
