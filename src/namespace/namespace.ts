/**
 * A namespace at runtime: its settings, primary index, storage engine, sets and statistics.
 * Records are addressed by digest and organised by partition (inside the index).
 */
import { EntryFlag, PrimaryIndex } from '../index/primary-index.js';
import type { StorageEngine, StorageLoadResult } from '../storage/storage-engine.js';
import type { Clock } from '../util/clock.js';
import { citrusleafSec } from '../util/clock.js';
import { RecordLife, type RecordObserver } from './record-life.js';
import { SetRegistry } from './sets.js';
import { StopWritesGuard } from './stop-writes.js';

/** Settings a namespace consults at runtime; dynamic ones change through set-config. */
export interface NamespaceSettings {
  name: string;
  replicationFactor: number;
  defaultTtlSec: number;
  nsupPeriodSec: number;
  nsupThreads: number;
  /** seconds between the TTL / object-size histogram walks; 0 = none */
  nsupHistPeriodSec: number;
  allowTtlWithoutNsup: boolean;
  maxRecordSizeBytes: number;
  stopWritesSysMemoryPct: number;
  stopWritesUsedPct: number;
  /** `indexes-memory-budget`, bytes: above it client writes stop (0 or absent = no budget) */
  indexesMemoryBudget?: number;
  evictUsedPct: number;
  /** evict while the machine's memory use is above this percent (0 = off) */
  evictSysMemoryPct: number;
  evictTenthsPct: number;
  evictHistBuckets: number;
  defaultReadTouchTtlPct: number;
  /**
   * `geo2dsphere-within` (min-level, max-level, max-cells, level-mod): how a geo query region is
   * covered with S2 cells; absent = Aerospike's defaults (1, 20, 12, 1).
   */
  geo2dsphereWithin?: { readonly minLevel: number; readonly maxLevel: number; readonly maxCells: number; readonly levelMod: number };
  /** `rack-id`: replicas of a partition go to distinct racks (cluster placement; 0 = none) */
  rackId?: number;
}

/** Generations live in 16 bits and skip 0 when they wrap. */
export function nextGeneration(gen: number): number {
  const next = (gen + 1) & 0xffff;
  return next === 0 ? 1 : next;
}

/** Largest TTL a client may ask for: 10 years. */
export const MAX_TTL_SEC = 315360000;

export class NamespaceStats {
  expiredObjects = 0;
  evictedObjects = 0;
  clientReadSuccess = 0;
  clientReadNotFound = 0;
  clientReadError = 0;
  clientReadFilteredOut = 0;
  readTouchSuccess = 0;
  readTouchError = 0;
  readTouchSkip = 0;
  clientWriteSuccess = 0;
  clientWriteError = 0;
  clientWriteFilteredOut = 0;
  clientDeleteSuccess = 0;
  clientDeleteNotFound = 0;
  clientDeleteError = 0;
  clientDeleteFilteredOut = 0;
  clientUdfComplete = 0;
  clientUdfError = 0;
  clientUdfFilteredOut = 0;
  /** client requests this node sent on to the node serving their partition: answered, failed, timed out */
  clientProxyComplete = 0;
  clientProxyError = 0;
  clientProxyTimeout = 0;
  /** batch rows this node sent on to the node serving their partition: answered, failed, timed out */
  batchSubProxyComplete = 0;
  batchSubProxyError = 0;
  batchSubProxyTimeout = 0;
  batchSubReadSuccess = 0;
  batchSubReadError = 0;
  batchSubReadNotFound = 0;
  batchSubReadFilteredOut = 0;
  batchSubWriteSuccess = 0;
  batchSubWriteError = 0;
  batchSubWriteFilteredOut = 0;
  batchSubDeleteSuccess = 0;
  batchSubDeleteError = 0;
  batchSubDeleteNotFound = 0;
  batchSubDeleteFilteredOut = 0;
  batchSubUdfComplete = 0;
  batchSubUdfError = 0;
  batchSubUdfFilteredOut = 0;
  nsupCycleDurationMs = 0;
  evictVoidTime = 0;
  nonExpirableObjects = 0;
  nsupCycleDeletedPct = 0;
}

export class Namespace {
  readonly index = new PrimaryIndex();
  readonly sets = new SetRegistry();
  readonly stats = new NamespaceStats();
  readonly stopWrites = new StopWritesGuard(this);
  /**
   * The one way to store, remove or tombstone a record (see record-life.ts): keeps index, storage
   * and statistics together and tells the record observers.
   */
  readonly records: RecordLife;

  /**
   * The entry id a batch row's prefetch found for the digest at hintDigests[hintAt] (see
   * {@link hintLookup}); hintDigests undefined when there is none.
   */
  private hintDigests: Buffer | undefined = undefined;
  private hintAt = -1;
  private hintId = -1;
  private hintMutations = -1;

  /** Bytes the namespace's secondary indexes hold; the sindex layer installs its figure here. */
  private sindexBytes: () => number = () => 0;

  constructor(
    readonly settings: NamespaceSettings,
    readonly storage: StorageEngine,
    readonly clock: Clock,
  ) {
    this.records = new RecordLife(this.index, storage, this.sets, this.stats);
  }

  /** Registers an observer of every record change (secondary indexes, change shipping). */
  addRecordObserver(o: RecordObserver): void {
    this.records.addObserver(o);
  }

  removeRecordObserver(o: RecordObserver): void {
    this.records.removeObserver(o);
  }

  /** Called once by the namespace's secondary indexes so stop-writes and statistics count them. */
  setSecondaryIndexBytes(bytes: () => number): void {
    this.sindexBytes = bytes;
  }

  /** `index_used_bytes`: 64 bytes per primary index entry (records and tombstones), as Aerospike. */
  primaryIndexUsedBytes(): number {
    return this.index.size * 64;
  }

  /** `sindex_used_bytes`: bytes the secondary indexes of this namespace hold. */
  sindexUsedBytes(): number {
    return this.sindexBytes();
  }

  /** What `indexes-memory-budget` is compared with: primary plus secondary index memory. */
  indexesMemoryBytes(): number {
    return this.primaryIndexUsedBytes() + this.sindexBytes();
  }

  /**
   * Opens the storage before the namespace serves: a persistent engine's cold start rebuilds the
   * index, each loaded record counted in its set and reported to observers as 'restore'.
   */
  async open(): Promise<StorageLoadResult> {
    const r = await this.storage.open(
      this.index,
      { nameOf: (id) => this.sets.nameOf(id), idOf: (name) => this.sets.idOf(name, true) },
      (id) => this.records.restored(id),
    );
    this.records.tombstones = r.tombstones;
    this.records.announceRestored();
    return r;
  }

  get name(): string {
    return this.settings.name;
  }

  /** Current time in Citrusleaf-epoch seconds. */
  nowCl(): number {
    return citrusleafSec(this.clock.nowMs());
  }

  /** True when the entry's void-time has passed (it no longer exists for clients). */
  isExpired(id: number, nowCl?: number): boolean {
    const vt = this.index.voidTime(id);
    // the clock is read only for a record that can expire (a read of the time per request otherwise)
    return vt !== 0 && vt <= (nowCl ?? this.nowCl());
  }

  /**
   * Whether the record was removed by a truncate: last updated before the namespace's or its set's
   * cut. Strictly before, as Aerospike (as_truncate_lut_is_truncated): a record written in the
   * millisecond of a truncate, after it, stays.
   */
  isTruncated(id: number): boolean {
    const lut = this.index.lastUpdateMs(id);
    if (lut < this.sets.namespaceTruncateLutMs) return true;
    const setId = this.index.setId(id);
    return setId !== 0 && lut < this.sets.truncateLutMs(setId);
  }

  /**
   * Finds a record for a read. Returns the entry id when live, -1 when absent, and -(id + 2) when
   * present but expired (reads then answer NOT_FOUND with its generation and void-time, as the
   * reference server does until nsup reaps it).
   */
  findForRead(digest: Buffer, dOff = 0): number {
    const index = this.index;
    // a batch row's entry as its prefetch found it, unless the index changed since (used once)
    const id = digest === this.hintDigests && dOff === this.hintAt && index.mutations === this.hintMutations ? this.hintId : index.find(digest, dOff);
    this.hintDigests = undefined;
    if (id < 0 || this.isTombstone(id)) return -1;
    if (this.isTruncated(id)) {
      this.records.remove(id, 'truncate');
      return -1;
    }
    if (this.isExpired(id)) return -(id + 2);
    return id;
  }

  /**
   * Warms the CPU cache for `n` records about to be read (a batch's rows): looks up the digests at
   * `digests[offsets[i]]` together (ids[i] gets each entry id, or -1) and touches the found
   * records' bytes, so their memory misses overlap. A hint: nothing is checked or changed; the
   * rows still look their records up as usual. Returns a value of no meaning.
   */
  prefetch(digests: Buffer, offsets: Int32Array, n: number, ids: Int32Array): number {
    this.index.findMany(digests, offsets, n, ids);
    return this.storage.touch ? this.storage.touch(this.index, ids, n) : 0;
  }

  /**
   * Tells the next {@link findForRead} of the digest at `digests[at]` that it is entry `id` (-1:
   * absent) as {@link prefetch} found it when the index's mutation count was `mutations`: the read
   * skips its own index lookup while the index has not changed since (an insert, removal or clear in
   * between, e.g. while a batch waited for an offload, and the lookup is made as before). The
   * caller clears it ({@link clearLookupHint}) once the row has run; `digests` must not change
   * meanwhile (a batch request's buffer).
   */
  hintLookup(digests: Buffer, at: number, id: number, mutations: number): void {
    this.hintDigests = digests;
    this.hintAt = at;
    this.hintId = id;
    this.hintMutations = mutations;
  }

  /** Forgets a {@link hintLookup} not used (a row that did not read, or that waited). */
  clearLookupHint(): void {
    this.hintDigests = undefined;
  }

  /** Finds a live record: present, not expired, not truncated. Returns -1 otherwise. */
  findLive(digest: Buffer, dOff = 0): number {
    const id = this.index.find(digest, dOff);
    if (id < 0 || this.isTombstone(id)) return -1;
    const expired = this.isExpired(id);
    if (expired || this.isTruncated(id)) {
      // expired or truncated records are gone for clients; reclaim now rather than wait for nsup
      this.records.remove(id, expired ? 'expiry' : 'truncate');
      return -1;
    }
    return id;
  }

  /** A durably deleted record: the entry stays (pointing at its tombstone) but clients see nothing. */
  isTombstone(id: number): boolean {
    return (this.index.flags(id) & EntryFlag.TOMBSTONE) !== 0;
  }

  /** Live tombstones in the index (durable deletes whose older copies may still be on the device). */
  get tombstones(): number {
    return this.records.tombstones;
  }

  get objects(): number {
    return this.index.size - this.records.tombstones;
  }

  /** Records with void-time 0. */
  countNonExpirable(): number {
    let n = 0;
    for (let p = 0; p < 4096; p++) {
      this.index.forEachInPartition(p, (id) => {
        if (this.index.voidTime(id) === 0 && !this.isTombstone(id)) n++;
      });
    }
    return n;
  }
}
