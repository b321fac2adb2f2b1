/**
 * Latency histograms like Aerospike's (`latencies:` info command): power-of-two millisecond
 * buckets per transaction kind, reported as ops/sec and the share of operations slower than
 * 1, 2, 4 ... ms over the last reporting slice.
 */

/** Buckets: <1ms, 1-2, 2-4, ... up to 2^16 ms. */
const N_BUCKETS = 18;

export class LatencyHistogram {
  private counts = new Float64Array(N_BUCKETS);
  private sliceStartMs: number;
  private lastSlice: { atMs: number; opsPerSec: number; overPct: number[] } | undefined;

  constructor(
    readonly name: string,
    private readonly nowMs: () => number,
  ) {
    this.sliceStartMs = nowMs();
  }

  /** Records one operation that took `us` microseconds. */
  record(us: number): void {
    const ms = us / 1000;
    let b = 0;
    if (ms >= 1) b = Math.min(N_BUCKETS - 1, 1 + Math.floor(Math.log2(ms)));
    this.counts[b]!++;
  }

  /** Closes the current slice (called by the ticker) so `latencies:` reports it. */
  roll(): void {
    const now = this.nowMs();
    const total = this.counts.reduce((a, b) => a + b, 0);
    const seconds = Math.max(0.001, (now - this.sliceStartMs) / 1000);
    const overPct: number[] = [];
    let above = total;
    for (let b = 0; b < N_BUCKETS - 1; b++) {
      above -= this.counts[b]!;
      overPct.push(total > 0 ? (above * 100) / total : 0);
    }
    this.lastSlice = { atMs: now, opsPerSec: total / seconds, overPct };
    this.counts = new Float64Array(N_BUCKETS);
    this.sliceStartMs = now;
  }

  /** `<name>:msec,ops/sec,>1ms,...;<hh:mm:ss>,<ops/sec>,<pct>,...` (Aerospike's layout). */
  render(): string {
    const labels = Array.from({ length: N_BUCKETS - 1 }, (_, i) => `>${2 ** i}ms`);
    const s = this.lastSlice ?? { atMs: this.nowMs(), opsPerSec: 0, overPct: new Array(N_BUCKETS - 1).fill(0) };
    const t = new Date(s.atMs).toISOString().slice(11, 19);
    return `${this.name}:msec,ops/sec,${labels.join(',')};${t},${s.opsPerSec.toFixed(1)},${s.overPct.map((p) => p.toFixed(2)).join(',')}`;
  }
}

/** All histograms of a node, by name (`{ns}-read`, `{ns}-write`, `batch-index`, ...). */
export class LatencyRegistry {
  private readonly histograms = new Map<string, LatencyHistogram>();
  constructor(private readonly nowMs: () => number) {}

  get(name: string): LatencyHistogram {
    let h = this.histograms.get(name);
    if (!h) {
      h = new LatencyHistogram(name, this.nowMs);
      this.histograms.set(name, h);
    }
    return h;
  }

  rollAll(): void {
    for (const h of this.histograms.values()) h.roll();
  }

  /** The `latencies:` value; `hist` selects one histogram as `latencies:hist=<name>` does. */
  render(hist?: string): string {
    if (hist !== undefined) {
      const h = this.histograms.get(hist);
      return h ? h.render() : 'error-no-data-yet-or-back-too-small';
    }
    return [...this.histograms.values()].map((h) => h.render()).join(';');
  }
}
