/**
 * A record's life in a namespace: the one place where a record is stored, removed or turned into
 * a tombstone. Every writer goes through here — client and batch writes, UDF writes, deletes,
 * replica writes and migrations, cold start, expiry (nsup), eviction and truncation — so the
 * index, the storage engine, set statistics and the tombstone count always move together, a
 * refused storage write leaves everything as it was, and observers (secondary indexes, change
 * shipping) see every change exactly once.
 *
 * Used through `Namespace.records` (and `Namespace.addRecordObserver`).
 *
 * ## The contract for observers
 * - `recordChanged` is called synchronously once the change is durable in index and storage and
 *   before the client is answered. It must not throw and must not write records.
 * - `digest`, `oldData` and `newData` are views valid only during the call (the digest may point
 *   into the index, the data into a storage buffer or a request frame): copy what you keep.
 * - `oldData`/`newData` are record-codec bytes (`decodeRecord` reads them). `undefined` means the
 *   record did not exist (or was a tombstone) before / does not exist after the change. A change
 *   between two tombstones (a tombstone expunged) is not reported: no record existed either side.
 * - Causes: 'client' (a single-record write), 'batch' (a batch sub-write), 'udf' (a record UDF,
 *   single or batched), 'delete' (a client delete, durable or not), 'replica' (a replica write from
 *   the master), 'migration' (a migrated record, a duplicate resolution or a dropped partition),
 *   'expiry' (nsup, or a read that found the record expired), 'eviction', 'truncate' (each
 *   truncated record as it is reclaimed), 'restore' (a record found by a cold start of a device
 *   namespace). Backup restores arrive as client writes ('client' or 'batch').
 * - `truncated(setId, lutMs)` is called when a truncate cut is made (and when persisted cuts are
 *   re-applied at start): from then on every record of the set (0 = the whole namespace) last
 *   updated before `lutMs` is gone for clients. The affected records are reclaimed later in
 *   the background; each then also arrives as a `recordChanged` with cause 'truncate'.
 * - An observer added after records exist (for instance after the cold start) builds its initial
 *   state from a full walk: for each partition `ns.index.forEachInPartition(pid, id => ...)`,
 *   skipping `ns.isTombstone(id)`, reading `ns.storage.get(ns.index, id)`. Observers added before
 *   `Namespace.open()` see every loaded record as a 'restore' change instead.
 *
 * With no observer registered the write path allocates nothing here.
 */
import { EntryFlag, type PrimaryIndex } from '../index/primary-index.js';
import type { StorageEngine } from '../storage/storage-engine.js';
import type { SetRegistry } from './sets.js';
import { N_PARTITIONS } from '../util/digest.js';

/** Why a record changed. */
export type RecordChangeCause =
  | 'client'
  | 'udf'
  | 'batch'
  | 'migration'
  | 'replica'
  | 'expiry'
  | 'eviction'
  | 'truncate'
  | 'delete'
  | 'restore';

/** One change of one record; see the module comment for lifetimes. */
export interface RecordChange {
  /** 20 bytes; may be a view into a shared buffer: copy to keep */
  readonly digest: Buffer;
  /** the namespace's set id (0 = no set) */
  readonly setId: number;
  /** the record as record-codec encoded it before the change; undefined when it did not exist (or was a tombstone) */
  readonly oldData: Buffer | undefined;
  /** after the change; undefined when removed or tombstoned */
  readonly newData: Buffer | undefined;
  readonly cause: RecordChangeCause;
}

export interface RecordObserver {
  /** Called synchronously once a change is durable in index+storage, before the client's answer. Must not throw. */
  recordChanged(change: RecordChange): void;
  /** A truncate cut: every record of `setId` (0 = whole namespace) last updated before `lutMs` is gone. */
  truncated(setId: number, lutMs: number): void;
}

/** The counters record life keeps in the namespace's statistics. */
export interface RecordLifeStats {
  expiredObjects: number;
}

/**
 * Stores, removes and tombstones the records of one namespace. Entry ids are the primary index's;
 * callers find them (`index.find`, `Namespace.findLive`) and pass them in.
 */
export class RecordLife {
  private readonly observers: RecordObserver[] = [];
  /** Live tombstones in the index (durable deletes whose older copies may still be on the device). */
  tombstones = 0;

  constructor(
    private readonly index: PrimaryIndex,
    private readonly storage: StorageEngine,
    private readonly sets: SetRegistry,
    private readonly stats: RecordLifeStats,
  ) {}

  addObserver(o: RecordObserver): void {
    if (!this.observers.includes(o)) this.observers.push(o);
  }

  removeObserver(o: RecordObserver): void {
    const i = this.observers.indexOf(o);
    if (i >= 0) this.observers.splice(i, 1);
  }

  /** Whether any observer is registered (callers skip preparing change data otherwise). */
  get observed(): boolean {
    return this.observers.length !== 0;
  }

  /**
   * Stores `data` (record-codec bytes; the engine copies them, so a request frame may be passed)
   * as the record of `digest` with the given metadata, and returns its entry id.
   *
   * `id` is the digest's entry as `index.find` returned it: -1 when absent (a new entry is made),
   * a tombstone (the new record takes its entry over: give it a generation above the tombstone's
   * so the tombstone can never win at cold start) or a live record (replaced; its set moves to
   * `setId` when that differs). The metadata goes into the index before the storage write because
   * a device engine persists it with the record.
   *
   * When the engine refuses (it throws, e.g. an AsError with OUT_OF_SPACE, DEVICE_OVERLOAD or
   * RECORD_TOO_BIG) the index, the storage and the statistics are left exactly as they were and the
   * error is rethrown.
   */
  store(
    id: number,
    digest: Buffer,
    setId: number,
    generation: number,
    voidTime: number,
    lastUpdateMs: number,
    hasKey: boolean,
    data: Buffer,
    cause: RecordChangeCause,
  ): number {
    const index = this.index;
    const keyFlag = hasKey ? EntryFlag.HAS_KEY : 0;
    if (id < 0) {
      id = index.insert(digest);
      index.setSetId(id, setId);
      index.setGeneration(id, generation);
      index.setVoidTime(id, voidTime);
      index.setLastUpdateMs(id, lastUpdateMs);
      index.setFlags(id, keyFlag);
      try {
        this.storage.put(index, id, data);
      } catch (e) {
        index.remove(digest);
        throw e;
      }
      this.sets.recordAdded(setId, index.storedSize(id));
      if (this.observers.length !== 0) this.notify(index.digestView(id), setId, undefined, data, cause);
      return id;
    }
    const oldFlags = index.flags(id);
    const wasTombstone = (oldFlags & EntryFlag.TOMBSTONE) !== 0;
    const oldSetId = index.setId(id);
    const oldGen = index.generation(id);
    const oldVoidTime = index.voidTime(id);
    const oldLutMs = index.lastUpdateMs(id);
    const oldSize = index.storedSize(id);
    // read before the put: afterwards the engine may reuse the old copy's space
    const oldData = !wasTombstone && this.observers.length !== 0 ? this.storage.get(index, id) : undefined;
    index.setSetId(id, setId);
    index.setGeneration(id, generation);
    index.setVoidTime(id, voidTime);
    index.setLastUpdateMs(id, lastUpdateMs);
    // a taken-over tombstone keeps its flag until the engine has replaced the tombstone's copy
    index.setFlags(id, keyFlag | (oldFlags & EntryFlag.TOMBSTONE));
    try {
      this.storage.put(index, id, data);
    } catch (e) {
      index.setSetId(id, oldSetId);
      index.setGeneration(id, oldGen);
      index.setVoidTime(id, oldVoidTime);
      index.setLastUpdateMs(id, oldLutMs);
      index.setFlags(id, oldFlags);
      throw e;
    }
    // the engine drops the TOMBSTONE flag with the tombstone's copy; make sure of it for every engine
    if (wasTombstone) {
      index.setFlags(id, keyFlag);
      this.tombstones--;
      this.sets.recordAdded(setId, index.storedSize(id));
    } else if (oldSetId === setId) {
      this.sets.recordResized(setId, oldSize, index.storedSize(id));
    } else {
      this.sets.recordRemoved(oldSetId, oldSize);
      this.sets.recordAdded(setId, index.storedSize(id));
    }
    if (this.observers.length !== 0) this.notify(index.digestView(id), setId, oldData, data, cause);
    return id;
  }

  /**
   * Removes entry `id` and its data (a tombstone's too), keeping set statistics right. Cause
   * 'expiry' counts the record in `expired_objects`.
   */
  remove(id: number, cause: RecordChangeCause): void {
    const index = this.index;
    const wasTombstone = (index.flags(id) & EntryFlag.TOMBSTONE) !== 0;
    const setId = index.setId(id);
    let oldData: Buffer | undefined;
    if (wasTombstone) this.tombstones--;
    else {
      if (this.observers.length !== 0) oldData = this.storage.get(index, id);
      this.sets.recordRemoved(setId, index.storedSize(id));
    }
    const digest = index.digestView(id);
    this.storage.free(index, id);
    index.remove(digest);
    if (cause === 'expiry') this.stats.expiredObjects++;
    // the digest bytes stay in the freed entry until an insert reuses it, which cannot happen
    // before the observers return
    if (oldData !== undefined) this.notify(digest, setId, oldData, undefined, cause);
  }

  /**
   * Turns live entry `id` into a tombstone (durable delete) with `generation` (a replicated
   * tombstone keeps the one its master gave it; a local delete passes the next generation) and
   * last-update time `lutMs`. Returns false, changing nothing, when the engine keeps no
   * tombstones. When the engine refuses the write, everything is left as it was and the error is
   * rethrown.
   */
  tombstone(id: number, generation: number, lutMs: number, cause: RecordChangeCause): boolean {
    if (!this.storage.supportsTombstones) return false;
    const index = this.index;
    const setId = index.setId(id);
    const oldGen = index.generation(id);
    const oldVoidTime = index.voidTime(id);
    const oldLutMs = index.lastUpdateMs(id);
    const oldSize = index.storedSize(id);
    const oldData = this.observers.length !== 0 ? this.storage.get(index, id) : undefined;
    index.setGeneration(id, generation);
    index.setLastUpdateMs(id, lutMs);
    index.setVoidTime(id, 0);
    try {
      this.storage.putTombstone(index, id);
    } catch (e) {
      index.setGeneration(id, oldGen);
      index.setVoidTime(id, oldVoidTime);
      index.setLastUpdateMs(id, oldLutMs);
      throw e;
    }
    this.sets.recordRemoved(setId, oldSize);
    this.tombstones++;
    if (oldData !== undefined) this.notify(index.digestView(id), setId, oldData, undefined, cause);
    return true;
  }

  /** A cold start loaded live entry `id` (the engine rebuilds the index): counts it in its set. */
  restored(id: number): void {
    this.sets.recordAdded(this.index.setId(id), this.index.storedSize(id));
  }

  /**
   * After a cold start: reports every live record to the observers with cause 'restore' (the
   * engine serves reads only once its load is complete, so this walks the index afterwards).
   */
  announceRestored(): void {
    if (this.observers.length === 0) return;
    const index = this.index;
    for (let pid = 0; pid < N_PARTITIONS; pid++) {
      index.forEachInPartition(pid, (id) => {
        if ((index.flags(id) & EntryFlag.TOMBSTONE) !== 0) return;
        this.notify(index.digestView(id), index.setId(id), undefined, this.storage.get(index, id), 'restore');
      });
    }
  }

  /** Reports a truncate cut to the observers (the namespace's truncate logic made it). */
  truncated(setId: number, lutMs: number): void {
    for (const o of this.observers) o.truncated(setId, lutMs);
  }

  private notify(digest: Buffer, setId: number, oldData: Buffer | undefined, newData: Buffer | undefined, cause: RecordChangeCause): void {
    const change: RecordChange = { digest, setId, oldData, newData, cause };
    for (const o of this.observers) o.recordChanged(change);
  }
}
