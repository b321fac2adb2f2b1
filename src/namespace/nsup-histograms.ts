/**
 * The nsup histograms Aerospike's `histogram:` info command answers: every `nsup-hist-period`
 * seconds (checked each second; 0 = never; the first check runs a second after start) a walk of
 * the primary index counts each live record's void-time into a linear TTL histogram (100 buckets
 * from now to the latest void-time) and its stored size into a log2 and a linear (1024 buckets up
 * to `max-record-size`) object-size histogram, for the namespace and for each set. A walk with no
 * objects in the namespace is skipped and leaves the previous answers, as Aerospike does. Answers
 * (8.1.2's formats):
 *   ttl, object-size-linear: `units=seconds|bytes:hist-width=W:bucket-width=B:buckets=c0,c1,…`
 *   object-size:             `units=bytes:[64-128)=16000:[128-256)=8000…` (non-zero buckets only)
 * and `` until the first walk; a set that existed at no walk yet answers `hist-unavailable`.
 */
import type { Namespace } from './namespace.js';
import { N_PARTITIONS } from '../util/digest.js';
import { logger } from '../util/log.js';

/** Aerospike's TTL_HIST_NUM_BUCKETS. */
export const TTL_HIST_BUCKETS = 100;
/** Aerospike's OBJ_SIZE_HIST_NUM_BUCKETS. */
export const OBJECT_SIZE_LINEAR_BUCKETS = 1024;
/** Partitions walked per event-loop turn, so a walk never stalls requests. */
const PARTITIONS_PER_TURN = 64;
/** How often (ms) the period is checked, as Aerospike's histogram thread wakes each second. */
const CHECK_INTERVAL_MS = 1000;

/** Log2 bucket edges: bucket b holds values in [TAGS[b], TAGS[b+1]). */
const LOG2_TAGS = ['0', '1', '2', '4', '8', '16', '32', '64', '128', '256', '512'];
for (const unit of ['K', 'M', 'G', 'T', 'P']) for (let p = 0; p < 10; p++) LOG2_TAGS.push(`${2 ** p}${unit}`);
LOG2_TAGS.push('1E', '2E', '4E', '8E', 'inf');

class LinearHist {
  start = 0;
  bucketWidth = 1;
  readonly counts: Float64Array;

  constructor(
    private readonly units: 'seconds' | 'bytes',
    buckets: number,
  ) {
    this.counts = new Float64Array(buckets);
  }

  clear(start: number, maxOffset: number): void {
    this.start = start;
    this.bucketWidth = Math.max(1, Math.floor((maxOffset + this.counts.length - 1) / this.counts.length));
    this.counts.fill(0);
  }

  /** As Aerospike: a point at or before `start` (a never-expiring void-time of 0 too) counts in bucket 0. */
  insert(point: number): void {
    const offset = point - this.start;
    let b = 0;
    if (offset > 0) b = Math.min(this.counts.length - 1, Math.floor(offset / this.bucketWidth));
    this.counts[b]!++;
  }

  info(): string {
    return `units=${this.units}:hist-width=${this.counts.length * this.bucketWidth}:bucket-width=${this.bucketWidth}:buckets=${Array.from(this.counts).join(',')}`;
  }
}

class Log2Hist {
  readonly counts = new Float64Array(LOG2_TAGS.length - 1);

  clear(): void {
    this.counts.fill(0);
  }

  insert(value: number): void {
    // the position of the most significant bit: 0 for 0, 1 for 1, 2 for 2..3, …
    this.counts[value <= 0 ? 0 : 32 - Math.clz32(value)]!++;
  }

  info(): string {
    let out = 'units=bytes';
    this.counts.forEach((c, b) => {
      if (c !== 0) out += `:[${LOG2_TAGS[b]}-${LOG2_TAGS[b + 1]})=${c}`;
    });
    return out;
  }
}

interface Snapshot {
  ttl: string;
  objectSize: string;
  objectSizeLinear: string;
}

interface Store {
  namespace: Snapshot | undefined;
  /** by set id */
  sets: Map<number, Snapshot>;
  running: boolean;
}

const stores = new WeakMap<Namespace, Store>();

function storeOf(ns: Namespace): Store {
  let s = stores.get(ns);
  if (!s) {
    s = { namespace: undefined, sets: new Map(), running: false };
    stores.set(ns, s);
  }
  return s;
}

interface Hists {
  ttl: LinearHist;
  log: Log2Hist;
  lin: LinearHist;
}

function hists(now: number, ttlRange: number, maxSize: number): Hists {
  const h = { ttl: new LinearHist('seconds', TTL_HIST_BUCKETS), log: new Log2Hist(), lin: new LinearHist('bytes', OBJECT_SIZE_LINEAR_BUCKETS) };
  h.ttl.clear(now, ttlRange);
  h.log.clear();
  h.lin.clear(0, maxSize);
  return h;
}

const snapshot = (h: Hists): Snapshot => ({ ttl: h.ttl.info(), objectSize: h.log.info(), objectSizeLinear: h.lin.info() });

async function yieldTurn(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

/** One walk of the index: builds every histogram of the namespace and its sets. */
export async function collectNsupHistograms(ns: Namespace): Promise<void> {
  const store = storeOf(ns);
  if (ns.objects === 0 || store.running) return;
  store.running = true;
  try {
    const now = ns.nowCl();
    // the latest void-time bounds the TTL histogram (Aerospike keeps it per partition)
    let maxVoid = 0;
    for (let p = 0; p < N_PARTITIONS; p += PARTITIONS_PER_TURN) {
      for (let pid = p; pid < Math.min(N_PARTITIONS, p + PARTITIONS_PER_TURN); pid++) {
        ns.index.forEachInPartition(pid, (id) => {
          const v = ns.index.voidTime(id);
          if (v > maxVoid) maxVoid = v;
        });
      }
      await yieldTurn();
    }
    const ttlRange = maxVoid > now ? maxVoid - now : 0;
    const maxSize = ns.settings.maxRecordSizeBytes;
    const whole = hists(now, ttlRange, maxSize);
    const perSet = new Map<number, Hists>();
    for (const s of ns.sets.all()) perSet.set(s.id, hists(now, ttlRange, maxSize));
    for (let p = 0; p < N_PARTITIONS; p += PARTITIONS_PER_TURN) {
      const nowCl = ns.nowCl();
      for (let pid = p; pid < Math.min(N_PARTITIONS, p + PARTITIONS_PER_TURN); pid++) {
        ns.index.forEachInPartition(pid, (id) => {
          if (ns.isTombstone(id) || ns.isExpired(id, nowCl) || ns.isTruncated(id)) return;
          const voidTime = ns.index.voidTime(id);
          const size = ns.index.storedSize(id);
          whole.ttl.insert(voidTime);
          whole.log.insert(size);
          whole.lin.insert(size);
          const s = perSet.get(ns.index.setId(id));
          if (s) {
            s.ttl.insert(voidTime);
            s.log.insert(size);
            s.lin.insert(size);
          }
        });
      }
      await yieldTurn();
    }
    store.namespace = snapshot(whole);
    for (const [id, h] of perSet) store.sets.set(id, snapshot(h));
  } finally {
    store.running = false;
  }
}

/**
 * The `histogram:namespace=<ns>;type=<ttl|object-size|object-size-linear>[;set=<set>]` answer for
 * a namespace (the caller checks the namespace and the type parameter's presence).
 */
export function histogramInfo(ns: Namespace, type: string, setName: string | undefined): string {
  const store = storeOf(ns);
  const pick = (s: Snapshot | undefined): string | undefined => {
    if (type === 'ttl') return s?.ttl ?? '';
    if (type === 'object-size') return s?.objectSize ?? '';
    if (type === 'object-size-linear') return s?.objectSizeLinear ?? '';
    return undefined;
  };
  if (setName === undefined || setName === '') return pick(store.namespace) ?? 'ERROR:4:unknown hist name';
  const set = ns.sets.getByName(setName);
  if (!set) return 'ERROR:4:unknown set name';
  const snap = store.sets.get(set.id);
  const answer = pick(snap);
  if (answer === undefined) return 'ERROR:4:unknown hist name';
  return snap ? answer : 'hist-unavailable';
}

/** Starts the histogram walks of a namespace; returns a function that stops them. */
export function startNsupHistograms(ns: Namespace): () => void {
  const log = logger.context('nsup', 'nsup-histograms.ts');
  let lastS = 0;
  let waited = false; // the first check walks right away, as Aerospike's thread does
  const timer = setInterval(() => {
    const period = ns.settings.nsupHistPeriodSec;
    const nowS = Math.floor(Date.now() / 1000);
    if (period === 0 || (waited && nowS - lastS < period)) return;
    waited = true;
    lastS = nowS;
    if (ns.objects === 0) return;
    log.info(`{${ns.name}} collecting ttl & object size info ...`);
    collectNsupHistograms(ns).then(
      () => log.info(`{${ns.name}} ... done collecting ttl & object size info`),
      (e: Error) => log.warning(`{${ns.name}} collecting ttl & object size info failed: ${e.message}`),
    );
  }, CHECK_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
