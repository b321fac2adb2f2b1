/**
 * A namespace at runtime: its settings, primary index, storage engine, sets and statistics.
 * Records are addressed by digest and organised by partition (inside the index).
 */
import { EntryFlag, PrimaryIndex } from '../index/primary-index.js';
import type { StorageEngine } from '../storage/storage-engine.js';
import type { Clock } from '../util/clock.js';
import { citrusleafSec } from '../util/clock.js';
import { SetRegistry } from './sets.js';
import { StopWritesGuard } from './stop-writes.js';

/** Settings a namespace consults at runtime; dynamic ones change through set-config. */
export interface NamespaceSettings {
  name: string;
  replicationFactor: number;
  defaultTtlSec: number;
  nsupPeriodSec: number;
  nsupThreads: number;
  allowTtlWithoutNsup: boolean;
  maxRecordSizeBytes: number;
  stopWritesSysMemoryPct: number;
  stopWritesUsedPct: number;
  evictUsedPct: number;
  /** evict while the machine's memory use is above this percent (0 = off) */
  evictSysMemoryPct: number;
  evictTenthsPct: number;
  evictHistBuckets: number;
  defaultReadTouchTtlPct: number;
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
  clientWriteSuccess = 0;
  clientWriteError = 0;
  clientWriteFilteredOut = 0;
  clientDeleteSuccess = 0;
  clientDeleteNotFound = 0;
  clientDeleteError = 0;
  clientDeleteFilteredOut = 0;
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

  constructor(
    readonly settings: NamespaceSettings,
    readonly storage: StorageEngine,
    readonly clock: Clock,
  ) {}

  get name(): string {
    return this.settings.name;
  }

  /** Current time in Citrusleaf-epoch seconds. */
  nowCl(): number {
    return citrusleafSec(this.clock.nowMs());
  }

  /** True when the entry's void-time has passed (it no longer exists for clients). */
  isExpired(id: number, nowCl = this.nowCl()): boolean {
    const vt = this.index.voidTime(id);
    return vt !== 0 && vt <= nowCl;
  }

  /** Whether the record was removed by a truncate (last-update at or before the set's cut). */
  isTruncated(id: number): boolean {
    const lut = this.index.lastUpdateMs(id);
    if (lut <= this.sets.namespaceTruncateLutMs) return true;
    const setId = this.index.setId(id);
    return setId !== 0 && lut <= this.sets.truncateLutMs(setId);
  }

  /**
   * Finds a record for a read. Returns the entry id when live, -1 when absent, and -(id + 2) when
   * present but expired (reads then answer NOT_FOUND with its generation and void-time, as the
   * reference server does until nsup reaps it).
   */
  findForRead(digest: Buffer, dOff = 0): number {
    const id = this.index.find(digest, dOff);
    if (id < 0 || this.isTombstone(id)) return -1;
    if (this.isTruncated(id)) {
      this.removeEntry(id);
      return -1;
    }
    if (this.isExpired(id)) return -(id + 2);
    return id;
  }

  /** Finds a live record: present, not expired, not truncated. Returns -1 otherwise. */
  findLive(digest: Buffer, dOff = 0): number {
    const id = this.index.find(digest, dOff);
    if (id < 0 || this.isTombstone(id)) return -1;
    const expired = this.isExpired(id);
    if (expired || this.isTruncated(id)) {
      // expired or truncated records are gone for clients; reclaim now rather than wait for nsup
      this.removeEntry(id, expired);
      return -1;
    }
    return id;
  }

  /** A durably deleted record: the entry stays (pointing at its tombstone) but clients see nothing. */
  isTombstone(id: number): boolean {
    return (this.index.flags(id) & EntryFlag.TOMBSTONE) !== 0;
  }

  /** Live tombstones in the index (durable deletes whose older copies may still be on the device). */
  tombstones = 0;

  /** Removes an entry and its data, keeping set statistics right. */
  removeEntry(id: number, expired = false): void {
    if (this.isTombstone(id)) this.tombstones--;
    else this.sets.recordRemoved(this.index.setId(id), this.index.storedSize(id));
    this.storage.free(this.index, id);
    this.index.remove(this.index.digestView(id));
    if (expired) this.stats.expiredObjects++;
  }

  /**
   * Turns a live record into a tombstone (durable delete). Only storage that persists records
   * keeps tombstones; returns false when the engine has none.
   */
  makeTombstone(id: number, nowMs: number, generation?: number): boolean {
    const engine = this.storage as { putTombstone?: (index: PrimaryIndex, id: number) => void };
    if (!engine.putTombstone) return false;
    this.sets.recordRemoved(this.index.setId(id), this.index.storedSize(id));
    // a replicated tombstone keeps the generation the master gave it
    this.index.setGeneration(id, generation ?? nextGeneration(this.index.generation(id)));
    this.index.setLastUpdateMs(id, nowMs);
    this.index.setVoidTime(id, 0);
    engine.putTombstone(this.index, id);
    this.tombstones++;
    return true;
  }

  get objects(): number {
    return this.index.size - this.tombstones;
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
