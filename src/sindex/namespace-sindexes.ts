/**
 * The secondary indexes of one namespace and their maintenance. Every change to a record reaches
 * `recordChanged` (the namespace's record-life observer): the record's old keys leave each index
 * that covers its set and its new keys enter, so an index always matches the records. A new index
 * is populated from the primary index in bounded slices between other work (`setImmediate`), and
 * answers queries (state RW) only once populated, as Aerospike's does (SINDEX_NOT_READABLE before).
 */
import type { Namespace } from '../namespace/namespace.js';
import type { RecordChange, RecordObserver } from '../namespace/record-life.js';
import { N_PARTITIONS } from '../util/digest.js';
import { defKey, type SindexDef } from './definition.js';
import { KeyExtractor, sameBvals, type IndexKey } from './index-keys.js';
import { SindexTree } from './sindex-tree.js';

/** Longest a population slice runs before yielding to the event loop. */
export const POPULATE_SLICE_MS = 4;
/** Entries sampled to estimate entries_per_bval / entries_per_rec (a few ms of work). */
const CARDINALITY_SAMPLE_ENTRIES = 10_000;
/** How long an estimate is reused: clients poll sindex-stat every few ms while an index builds. */
const CARDINALITY_REFRESH_MS = 1000;
/** Visits partitions in a scattered order so a sample is not one corner of the digest space. */
const PARTITION_STRIDE = 1237;

export class Sindex {
  readonly tree = new SindexTree();
  readonly extractor: KeyExtractor;
  readonly key: string;
  /** answers queries once populated */
  readable = false;
  populatePct = 0;
  loadTimeMs = 0;
  dropped = false;
  gcCleaned = 0;

  constructor(public def: SindexDef) {
    this.extractor = new KeyExtractor(def);
    this.key = defKey(def);
  }

  /** Whether records of this set belong to the index. */
  coversSet(ns: Namespace, setId: number): boolean {
    if (this.def.set === '') return true;
    return setId !== 0 && ns.sets.nameOf(setId) === this.def.set;
  }

  keys(data: Buffer | undefined, digest: Buffer): IndexKey[] {
    return data ? this.extractor.keys(data, digest) : [];
  }

  /** The `sindex-stat` / `sindex/<ns>/<name>` answer. */
  stats(): string {
    const { perBval, perRec } = this.cardinality();
    return (
      `entries=${this.tree.size};used_bytes=${this.tree.memoryBytes};entries_per_bval=${perBval};entries_per_rec=${perRec}` +
      `;load_pct=${this.populatePct};load_time=${this.loadTimeMs};stat_gc_recs=${this.gcCleaned}`
    );
  }

  private cardinalityCache: { atMs: number; perBval: number; perRec: number } | undefined;

  /** Estimates over a sample of partitions, as Aerospike's cardinality thread does. */
  private cardinality(): { perBval: number; perRec: number } {
    const now = Date.now();
    if (this.cardinalityCache && now - this.cardinalityCache.atMs < CARDINALITY_REFRESH_MS) return this.cardinalityCache;
    const bvals = new Set<bigint>();
    const recs = new Set<string>();
    let n = 0;
    for (let k = 0; k < N_PARTITIONS && n < CARDINALITY_SAMPLE_ENTRIES; k++) {
      const pid = (k * PARTITION_STRIDE) % N_PARTITIONS;
      this.tree.forEachInRange(pid, -(1n << 63n), (1n << 63n) - 1n, undefined, (bval, d, off) => {
        bvals.add(bval);
        recs.add(d.toString('latin1', off, off + 20));
        n++;
        return true;
      });
    }
    this.cardinalityCache = n === 0 ? { atMs: now, perBval: 0, perRec: 0 } : { atMs: now, perBval: Math.round(n / bvals.size), perRec: Math.round(n / recs.size) };
    return this.cardinalityCache;
  }
}

/**
 * Registered with the namespace's record life only while the namespace has an index, so a
 * namespace without indexes pays nothing per write.
 */
export class NamespaceSindexes implements RecordObserver {
  private readonly byName = new Map<string, Sindex>();
  private observing = false;

  constructor(readonly ns: Namespace) {
    ns.setSecondaryIndexBytes(() => this.memoryBytes);
  }

  private observe(on: boolean): void {
    if (on === this.observing) return;
    this.observing = on;
    if (on) this.ns.addRecordObserver(this);
    else this.ns.removeRecordObserver(this);
  }

  get(name: string): Sindex | undefined {
    return this.byName.get(name);
  }

  all(): Sindex[] {
    return [...this.byName.values()];
  }

  get size(): number {
    return this.byName.size;
  }

  /** Bytes all index entries take. */
  get memoryBytes(): number {
    let b = 0;
    for (const si of this.byName.values()) b += si.tree.memoryBytes;
    return b;
  }

  /** Indexes covering a set (for the `sets` info line). */
  countForSet(setName: string): number {
    let n = 0;
    for (const si of this.byName.values()) if (si.def.set === setName) n++;
    return n;
  }

  /** Adds an index and starts populating it; a rename keeps the populated entries. */
  add(def: SindexDef): Sindex {
    const key = defKey(def);
    for (const si of this.byName.values()) {
      if (si.key === key) {
        this.byName.delete(si.def.name);
        si.def = def;
        this.byName.set(def.name, si);
        return si;
      }
    }
    const si = new Sindex(def);
    this.byName.set(def.name, si);
    // observe first: a write during the population reaches the index either way
    this.observe(true);
    this.populate(si);
    return si;
  }

  drop(name: string): void {
    const si = this.byName.get(name);
    if (!si) return;
    si.dropped = true;
    this.byName.delete(name);
    if (this.byName.size === 0) this.observe(false);
  }

  /** Finds the index a query's definition names: its set first, then a whole-namespace index. */
  lookup(match: (si: Sindex) => boolean, setName: string): Sindex | undefined {
    let fallback: Sindex | undefined;
    for (const si of this.byName.values()) {
      if (!match(si)) continue;
      if (si.def.set === setName) return si;
      if (si.def.set === '' && setName !== '') fallback ??= si;
    }
    return fallback;
  }

  /**
   * The record-life observer: moves a record's entries from its old keys to its new ones (the
   * tree copies the digest; the change's buffers are only valid during the call). Every cause —
   * client, batch and UDF writes, deletes, expiry, eviction, truncation reclaim, replica writes,
   * migrations in and out, cold-start restore — arrives here. Never throws (key extraction
   * swallows what a malformed value or failing expression raises).
   */
  recordChanged(c: RecordChange): void {
    for (const si of this.byName.values()) {
      if (!si.coversSet(this.ns, c.setId)) continue;
      try {
        const oldKeys = si.keys(c.oldData, c.digest);
        const newKeys = si.keys(c.newData, c.digest);
        if (sameBvals(oldKeys, newKeys)) continue;
        for (const k of oldKeys) si.tree.remove(k.bval, c.digest);
        for (const k of newKeys) si.tree.insert(k.bval, c.digest);
      } catch {
        // an observer must not throw; a query re-checks every candidate against the record
      }
    }
  }

  /**
   * A truncate cut. The truncated records are gone for clients at once (queries re-check each
   * candidate, and the scan path skips truncated records); record life reclaims them in the
   * background and reports each as a 'truncate' change, which removes its entries; a sweep of
   * the indexes after the cut reclaims whatever is still there (counted in stat_gc_recs).
   */
  truncated(_setId: number, _lutMs: number): void {
    setImmediate(() => this.collectGarbage());
  }

  /** Removes entries whose record no longer exists, is expired, truncated or a tombstone. */
  collectGarbage(): void {
    const ns = this.ns;
    const indexes = this.all();
    let pid = 0;
    const step = (): void => {
      const t0 = performance.now();
      for (; pid < N_PARTITIONS && performance.now() - t0 < POPULATE_SLICE_MS; pid++) {
        for (const si of indexes) {
          if (si.dropped) continue;
          const dead: { bval: bigint; digest: Buffer }[] = [];
          si.tree.forEachInRange(pid, -(1n << 63n), (1n << 63n) - 1n, undefined, (bval, d, off) => {
            const id = ns.index.find(d, off);
            if (id < 0 || ns.isTombstone(id) || ns.isExpired(id) || ns.isTruncated(id)) dead.push({ bval, digest: Buffer.from(d.subarray(off, off + 20)) });
            return true;
          });
          for (const e of dead) if (si.tree.remove(e.bval, e.digest)) si.gcCleaned++;
        }
      }
      if (pid < N_PARTITIONS) setImmediate(step);
    };
    step();
  }

  /** Populates a new index from the records present, a few milliseconds at a time. */
  private populate(si: Sindex): void {
    const ns = this.ns;
    const startMs = Date.now();
    let pid = 0;
    const step = (): void => {
      if (si.dropped) return;
      const t0 = performance.now();
      const nowCl = ns.nowCl();
      for (; pid < N_PARTITIONS && performance.now() - t0 < POPULATE_SLICE_MS; pid++) {
        ns.index.forEachInPartition(pid, (id) => {
          if (ns.isTombstone(id) || ns.isExpired(id, nowCl) || ns.isTruncated(id)) return;
          if (!si.coversSet(ns, ns.index.setId(id))) return;
          const digest = ns.index.digestView(id);
          for (const k of si.keys(ns.storage.get(ns.index, id), digest)) si.tree.insert(k.bval, digest);
        });
        si.populatePct = Math.floor(((pid + 1) * 100) / N_PARTITIONS);
      }
      if (pid < N_PARTITIONS) {
        setImmediate(step);
        return;
      }
      si.populatePct = 100;
      si.loadTimeMs = Date.now() - startMs;
      si.readable = true;
    };
    step();
  }
}
