/**
 * What the device engine shows: used and total bytes, available percent, Aerospike-named
 * namespace statistics, the per-device ticker lines, and the stop-writes and startup verdicts
 * that follow from them. Formatting lives in stats.ts.
 */
import type { StorageStats } from '../storage-engine.js';
import type { DeviceCore } from './core.js';
import type { DeviceFile } from './device-file.js';
import type { Reclaim } from './reclaim.js';
import { deviceStatistics, tickerLine, type FileSnapshot, type TickerFormat } from './stats.js';

export class DeviceStatistics {
  constructor(
    private readonly c: DeviceCore,
    private readonly r: Reclaim,
  ) {}

  stats(): StorageStats {
    let used = 0;
    for (const f of this.c.files) used += f.usedBytes;
    return { usedBytes: used, totalBytes: this.totalBytes() };
  }

  totalBytes(): number {
    let t = 0;
    for (const f of this.c.files) t += f.usableBlocks * this.c.wbs;
    return t;
  }

  /**
   * Available percent: free write blocks as a percent of the blocks, the minimum over the files.
   * This is contiguous space ready for streaming writes, not free bytes: blocks that are partly
   * empty count as used until the defragmenter empties them.
   */
  availablePct(): number {
    let m = 100;
    for (const f of this.c.files) m = Math.min(m, Math.floor((f.free.length * 100) / f.usableBlocks));
    return m;
  }

  snapshot(f: DeviceFile): FileSnapshot {
    let wq = 0;
    for (const s of this.c.writeQ) if (s.file === f.fileIndex) wq++;
    return {
      path: f.path,
      usedBytes: f.usedBytes,
      freeBlocks: f.free.length,
      usableBlocks: f.usableBlocks,
      writeBlockSize: this.c.wbs,
      writeQ: wq,
      writes: f.writes,
      partialWrites: f.partialWrites,
      defragQ: f.defragQ.length,
      defragReads: f.defragReads,
      defragWrites: f.defragWrites,
      directFrees: f.directFrees,
      bytesWritten: f.bytesWritten,
      swbFree: this.c.pool.spareCount,
    };
  }

  /** Namespace statistics with Aerospike's names (see stats.ts). */
  deviceStats(): Record<string, number> {
    const st = this.stats();
    return deviceStatistics(
      {
        totalBytes: st.totalBytes,
        usedBytes: st.usedBytes,
        availablePct: this.availablePct(),
        clientBytesWritten: this.c.clientBytes,
        clientRecordsWritten: this.c.clientRecords,
        defragRecordsMoved: this.c.defragMoved,
        tombstones: this.c.liveTombstones,
        pendingFreeBlocks: this.r.pendingCount,
        cacheReads: this.c.cacheReads,
        deviceReads: this.c.deviceReads,
        corruptReads: this.c.corruptReads,
        postWriteCacheBytes: this.c.pwc.sizeBytes,
      },
      this.c.files.map((f) => this.snapshot(f)),
    );
  }

  /** Bytes written to the devices divided by bytes of records written by clients. */
  writeAmplification(): number {
    const s = this.deviceStats();
    return s['write_amplification']!;
  }

  /**
   * The periodic per-device log lines, one per file, in Aerospike 8.x wording (or the legacy
   * 3.x wording of the seed document). Rates cover the time since the previous call.
   */
  tickerLines(format: TickerFormat = '8.x'): string[] {
    const now = this.c.clock.nowMs();
    return this.c.files.map((f) => {
      const snap = this.snapshot(f);
      return tickerLine(this.c.cfg.namespace, snap, this.c.rates.sample(now, snap), format);
    });
  }

  /**
   * Why client writes must be refused now, or undefined: 'stop-writes-avail-pct' when a file's
   * available percent is below stop-writes-avail-pct (min-avail-pct), 'stop-writes-used-pct' when
   * used bytes exceed stop-writes-used-pct (max-used-pct) of the total. Deletes stay allowed;
   * writes resume once defragmentation has freed blocks. Hands back reclaimed blocks first, so
   * the answer reflects space the defragmenter has already recovered.
   */
  stopWritesReason(): string | undefined {
    if (!this.c.started) return undefined;
    if (this.r.pendingCount > 0) this.r.tryReleasePending();
    if (this.availablePct() < this.c.tunables.stopWritesAvailPct) return 'stop-writes-avail-pct';
    const st = this.stats();
    if (this.c.tunables.stopWritesUsedPct > 0 && st.usedBytes * 100 > this.c.tunables.stopWritesUsedPct * st.totalBytes) return 'stop-writes-used-pct';
    return undefined;
  }

  /**
   * After load(): an error line when the contiguous free space (available percent) is below
   * defrag-startup-minimum, in which case the node must not open its service port.
   */
  startupCheck(): string | undefined {
    for (const f of this.c.files) {
      const pct = Math.floor((f.free.length * 100) / f.usableBlocks);
      if (pct < this.c.cfg.defragStartupMinimumPct) {
        return `{${this.c.cfg.namespace}} ${f.path}: available ${pct}% (contiguous free ${f.free.length} wblocks) is below defrag-startup-minimum ${this.c.cfg.defragStartupMinimumPct}% - not starting`;
      }
    }
    return undefined;
  }
}
