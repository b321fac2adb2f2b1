/**
 * Latency histograms as Aerospike 8.1 keeps them and answers them in `latencies:`.
 *
 * Each histogram counts operations in power-of-two buckets of its unit (milliseconds, or
 * microseconds with `microsecond-histograms true`): bucket 0 holds values under 1 unit, bucket b
 * values in [2^(b-1), 2^b). A histogram turns active with its first operation; the ticker "dumps"
 * every active histogram once per ticker-interval. From the second dump on, the histogram's answer
 * is `<unit>,<ops/sec>,<p0>,...,<p16>`: operations per second since the previous dump and, for
 * each threshold 2^0..2^16 units, the percentage of those operations at or above it. Until then it
 * answers nothing (`name:`), as a histogram that never had data does.
 *
 * `latencies:` lists `batch-index` and then, per configured namespace in configuration order, its
 * read, write, udf, batch-sub-read, batch-sub-write, batch-sub-udf, pi-query and si-query
 * histograms, joined by `;`. `latencies:hist=<name>` answers one of them; any other name (also a
 * namespace that is not configured) answers `ERROR:4:bad hist name`. Histograms exist only for
 * configured namespaces: a request naming another namespace is never counted.
 */

/** Buckets: <1 unit, then [2^(b-1), 2^b) for b = 1..64 (Aerospike's N_BUCKETS). */
const N_BUCKETS = 65;
/** Thresholds reported: 2^0 .. 2^16 units (Aerospike's N_LATENCY_COLS). */
const N_COLS = 17;

/** The unit a histogram counts in; `microsecond-histograms` switches every histogram at once. */
export type LatencyUnit = 'msec' | 'usec';

/** Per-namespace histograms, in the order `latencies:` lists them. */
export const NAMESPACE_HISTOGRAMS = [
  'read',
  'write',
  'udf',
  'batch-sub-read',
  'batch-sub-write',
  'batch-sub-udf',
  'pi-query',
  'si-query',
] as const;
export type NamespaceHistogram = (typeof NAMESPACE_HISTOGRAMS)[number];

/** Aerospike's answer to an unknown `hist=` name. */
export const BAD_HIST_NAME = 'ERROR:4:bad hist name';

/** Longest `hist=` value Aerospike reads (its 100-byte buffer holds 99 bytes and the NUL). */
export const MAX_HIST_NAME_BYTES = 99;

/**
 * `x` with `digits` decimals as C's printf("%.*f") prints it: exact ties round to even (JS
 * toFixed rounds them up).
 */
export function printfFixed(x: number, digits: number): string {
  const scaled = x * 10 ** digits;
  const floor = Math.floor(scaled);
  if (scaled - floor === 0.5 && floor % 2 === 0) return (floor / 10 ** digits).toFixed(digits);
  return x.toFixed(digits);
}

export class LatencyHistogram {
  /** Cumulative counts per bucket since the histogram was created or rescaled. */
  private readonly counts = new Float64Array(N_BUCKETS);
  private unitDivisorNs: number;
  /** Has had an operation: the ticker dumps only active histograms. */
  active = false;
  /** Seconds (node clock) of the previous dump; 0 = never dumped. */
  private dumpSec = 0;
  private dumpTotal = 0;
  private readonly overs = new Float64Array(N_COLS);
  /** What `latencies:` shows after the name and colon (empty until the second dump). */
  private output = '';

  constructor(
    readonly name: string,
    private unit: LatencyUnit,
  ) {
    this.unitDivisorNs = unit === 'msec' ? 1e6 : 1e3;
  }

  /** Records `count` operations (default one) that took `ns` nanoseconds each. */
  recordNs(ns: number, count = 1): void {
    const v = Math.floor(ns / this.unitDivisorNs);
    // bucket = number of significant bits of the value (0 -> 0, 1 -> 1, 2..3 -> 2, ...)
    // (below 2^31 that is 32 - clz32: no floating-point log per operation)
    const b = v < 1 ? 0 : v < 0x80000000 ? 32 - Math.clz32(v) : Math.min(N_BUCKETS - 1, Math.floor(Math.log2(v)) + 1);
    this.counts[b]! += count;
    this.active = true;
  }

  /** Switches unit: all counts and the previous answer are dropped, as Aerospike's rescale does. */
  rescale(unit: LatencyUnit): void {
    if (unit === this.unit) return;
    this.unit = unit;
    this.unitDivisorNs = unit === 'msec' ? 1e6 : 1e3;
    this.counts.fill(0);
    this.overs.fill(0);
    this.dumpSec = 0;
    this.dumpTotal = 0;
    this.output = '';
  }

  /** The ticker's dump: computes the answer for the slice since the previous dump. */
  dump(nowMs: number): void {
    const now = Math.floor(nowMs / 1000);
    let total = 0;
    const subtotals = new Float64Array(N_COLS);
    for (let b = 0; b < N_BUCKETS; b++) {
      total += this.counts[b]!;
      if (b < N_COLS) subtotals[b] = total;
    }
    const first = this.dumpSec === 0;
    const diffTotal = total - this.dumpTotal;
    let out = '';
    if (!first) {
      // a zero-length slice divides by zero in Aerospike too; report no rate rather than Infinity
      const slice = now - this.dumpSec;
      out = `${this.unit},${printfFixed(slice > 0 ? diffTotal / slice : 0, 1)}`;
    }
    for (let b = 0; b < N_COLS; b++) {
      const over = total - subtotals[b]!;
      const pct = diffTotal !== 0 ? ((over - this.overs[b]!) * 100) / diffTotal : 0;
      if (!first) out += `,${printfFixed(pct, 2)}`;
      this.overs[b] = over;
    }
    this.output = out;
    this.dumpSec = now;
    this.dumpTotal = total;
  }

  /** `name:<answer>` */
  render(): string {
    return `${this.name}:${this.output}`;
  }
}

/**
 * The node's histograms: `batch-index` and the per-namespace set of each configured namespace,
 * created once; nothing is created on demand.
 */
export class LatencyRegistry {
  private readonly ordered: LatencyHistogram[] = [];
  private readonly byName = new Map<string, LatencyHistogram>();
  /** namespace name -> its histograms by kind */
  private readonly perNamespace = new Map<string, Map<NamespaceHistogram, LatencyHistogram>>();
  /** the namespace recordNs counted last and its histograms */
  private lastNamespace = '';
  private lastKinds: Map<NamespaceHistogram, LatencyHistogram> | undefined;
  readonly batchIndex: LatencyHistogram;

  constructor(
    namespaces: readonly string[],
    private readonly nowMs: () => number,
    unit: LatencyUnit = 'msec',
  ) {
    this.batchIndex = this.add('batch-index', unit);
    for (const ns of namespaces) {
      const kinds = new Map<NamespaceHistogram, LatencyHistogram>();
      for (const kind of NAMESPACE_HISTOGRAMS) kinds.set(kind, this.add(`{${ns}}-${kind}`, unit));
      this.perNamespace.set(ns, kinds);
    }
  }

  private add(name: string, unit: LatencyUnit): LatencyHistogram {
    const h = new LatencyHistogram(name, unit);
    this.ordered.push(h);
    this.byName.set(name, h);
    return h;
  }

  /** The histogram of `kind` for a configured namespace; undefined for any other name. */
  of(namespace: string, kind: NamespaceHistogram): LatencyHistogram | undefined {
    return this.perNamespace.get(namespace)?.get(kind);
  }

  /** Records an operation of `kind` on `namespace`; ignored when the namespace is not configured. */
  recordNs(namespace: string, kind: NamespaceHistogram, ns: number): void {
    // requests name the same namespace over and over: its histograms are kept at hand
    let kinds = this.lastKinds;
    if (namespace !== this.lastNamespace || kinds === undefined) {
      kinds = this.perNamespace.get(namespace);
      if (kinds === undefined) return;
      this.lastNamespace = namespace;
      this.lastKinds = kinds;
    }
    kinds.get(kind)?.recordNs(ns);
  }

  /** `microsecond-histograms`: switches every histogram's unit (clearing it when it changes). */
  setUnit(unit: LatencyUnit): void {
    for (const h of this.ordered) h.rescale(unit);
  }

  /** The ticker's dump of every active histogram. */
  dumpActive(): void {
    const now = this.nowMs();
    for (const h of this.ordered) if (h.active) h.dump(now);
  }

  /**
   * The `latencies:` value; `hist` selects one histogram as `latencies:hist=<name>` does (an
   * empty or over-long `hist` answers Aerospike's parameter errors).
   */
  render(hist?: string): string {
    if (hist === undefined) return this.ordered.map((h) => h.render()).join(';');
    if (hist === '') return "ERROR:4:missing 'hist' value";
    if (Buffer.byteLength(hist, 'utf8') > MAX_HIST_NAME_BYTES) return "ERROR:4:'hist' value too long";
    const h = this.byName.get(hist);
    return h ? h.render() : BAD_HIST_NAME;
  }
}
