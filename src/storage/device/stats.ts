/**
 * What operators see: the periodic per-device log line and the namespace statistics, with
 * Aerospike's wording and names.
 *
 * The log line. Aerospike 4.x-8.x print, per device, every ticker interval:
 *   {ns} <device>: used-bytes <n> free-wblocks <n> write-q <n> write (<n>,<rate>) defrag-q <n>
 *   defrag-read (<n>,<rate>) defrag-write (<n>,<rate>)
 * (followed by " shadow-write-q <n>" only when a shadow device is configured). The defrag seed
 * document (written for 3.3.x) shows the older form,
 *   device <device>: used <n>, contig-free <n>M (<n> wblocks), swb-free <n>, n-w <n>, w-q <n>
 *   w-tot <n> (<rate>/s), defrag-q <n> defrag-tot <n> (<rate>/s)
 * which `tickerLine(..., 'legacy')` reproduces for anyone parsing logs with the old patterns.
 * Rates are per second since the previous ticker, one decimal.
 */

/** Counters of one device file at one moment. */
export interface FileSnapshot {
  path: string;
  usedBytes: number;
  freeBlocks: number;
  usableBlocks: number;
  writeBlockSize: number;
  writeQ: number;
  writes: number;
  partialWrites: number;
  defragQ: number;
  defragReads: number;
  defragWrites: number;
  directFrees: number;
  bytesWritten: number;
  /** spare swb buffers (legacy line's swb-free) */
  swbFree: number;
}

/** Per-second rates since the previous ticker. */
export interface Rates {
  write: number;
  defragRead: number;
  defragWrite: number;
}

/** '8.x': Aerospike 4.x-8.x line; 'legacy': the 3.x line of the seed document. */
export type TickerFormat = '8.x' | 'legacy';

/** One periodic log line for one device file. */
export function tickerLine(ns: string, s: FileSnapshot, r: Rates, format: TickerFormat = '8.x'): string {
  if (format === 'legacy') {
    const contigMiB = Math.floor((s.freeBlocks * s.writeBlockSize) / (1024 * 1024));
    return (
      `device ${s.path}: used ${s.usedBytes}, contig-free ${contigMiB}M (${s.freeBlocks} wblocks), swb-free ${s.swbFree}, ` +
      `n-w 0, w-q ${s.writeQ} w-tot ${s.writes} (${r.write.toFixed(1)}/s), defrag-q ${s.defragQ} defrag-tot ${s.defragReads} (${r.defragRead.toFixed(1)}/s)`
    );
  }
  return (
    `{${ns}} ${s.path}: used-bytes ${s.usedBytes} free-wblocks ${s.freeBlocks} write-q ${s.writeQ} ` +
    `write (${s.writes},${r.write.toFixed(1)}) defrag-q ${s.defragQ} ` +
    `defrag-read (${s.defragReads},${r.defragRead.toFixed(1)}) defrag-write (${s.defragWrites},${r.defragWrite.toFixed(1)})`
  );
}

/** Remembers the previous sample of each file to turn totals into per-second rates. */
export class RateMeter {
  private prev = new Map<string, { atMs: number; writes: number; defragReads: number; defragWrites: number }>();

  constructor(private readonly startMs: number) {}

  sample(nowMs: number, s: FileSnapshot): Rates {
    const p = this.prev.get(s.path) ?? { atMs: this.startMs, writes: 0, defragReads: 0, defragWrites: 0 };
    const sec = (nowMs - p.atMs) / 1000;
    const rate = (a: number, b: number) => (sec > 0 ? (a - b) / sec : 0);
    this.prev.set(s.path, { atMs: nowMs, writes: s.writes, defragReads: s.defragReads, defragWrites: s.defragWrites });
    return { write: rate(s.writes, p.writes), defragRead: rate(s.defragReads, p.defragReads), defragWrite: rate(s.defragWrites, p.defragWrites) };
  }
}

/** Engine-wide totals feeding the namespace statistics. */
export interface EngineTotals {
  totalBytes: number;
  usedBytes: number;
  /** minimum over files of free write blocks as a percent of the file's blocks */
  availablePct: number;
  clientBytesWritten: number;
  clientRecordsWritten: number;
  defragRecordsMoved: number;
  tombstones: number;
  pendingFreeBlocks: number;
  cacheReads: number;
  deviceReads: number;
  corruptReads: number;
  postWriteCacheBytes: number;
}

/**
 * Namespace statistics: the pre-7 `device_*` names the issue asks for, the 7.x+ `data_*`
 * equivalents, and per-file `storage-engine.file[ix].*` entries as Aerospike 7+ reports them.
 * `write_amplification`, `client_bytes_written`, `device_bytes_written` and `pending_free_wblocks`
 * are Strato additions.
 */
export function deviceStatistics(t: EngineTotals, files: FileSnapshot[]): Record<string, number> {
  const sum = (f: (s: FileSnapshot) => number) => files.reduce((a, s) => a + f(s), 0);
  const deviceBytes = sum((s) => s.bytesWritten);
  const usedPct = t.totalBytes > 0 ? (t.usedBytes * 100) / t.totalBytes : 0;
  const reads = t.cacheReads + t.deviceReads;
  const out: Record<string, number> = {
    device_total_bytes: t.totalBytes,
    device_used_bytes: t.usedBytes,
    device_free_pct: Math.floor(100 - usedPct),
    device_available_pct: t.availablePct,
    device_compression_ratio: 1.0,
    data_total_bytes: t.totalBytes,
    data_used_bytes: t.usedBytes,
    data_used_pct: Math.ceil(usedPct),
    data_avail_pct: t.availablePct,
    data_compression_ratio: 1.0,
    cache_read_pct: reads > 0 ? Math.round((t.cacheReads * 100) / reads) : 0,
    defrag_q: sum((s) => s.defragQ),
    defrag_reads: sum((s) => s.defragReads),
    defrag_writes: sum((s) => s.defragWrites),
    write_q: sum((s) => s.writeQ),
    shadow_write_q: 0,
    writes: sum((s) => s.writes),
    partial_writes: sum((s) => s.partialWrites),
    free_wblocks: sum((s) => s.freeBlocks),
    direct_frees: sum((s) => s.directFrees),
    pending_free_wblocks: t.pendingFreeBlocks,
    tombstones: t.tombstones,
    device_read_errors: t.corruptReads,
    client_bytes_written: t.clientBytesWritten,
    client_records_written: t.clientRecordsWritten,
    defrag_records_moved: t.defragRecordsMoved,
    device_bytes_written: deviceBytes,
    write_amplification: t.clientBytesWritten > 0 ? deviceBytes / t.clientBytesWritten : 0,
    post_write_cache_bytes: t.postWriteCacheBytes,
  };
  files.forEach((s, i) => {
    const p = `storage-engine.file[${i}].`;
    out[p + 'used_bytes'] = s.usedBytes;
    out[p + 'free_wblocks'] = s.freeBlocks;
    out[p + 'write_q'] = s.writeQ;
    out[p + 'writes'] = s.writes;
    out[p + 'partial_writes'] = s.partialWrites;
    out[p + 'defrag_q'] = s.defragQ;
    out[p + 'defrag_reads'] = s.defragReads;
    out[p + 'defrag_writes'] = s.defragWrites;
    out[p + 'shadow_write_q'] = 0;
  });
  return out;
}
