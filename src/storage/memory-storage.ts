/**
 * In-memory storage: record bytes in size-class slabs (slab-arena.ts), addressed by the index
 * entry's locator (slab id) and locator2 (byte offset); the entry's stored size is the record's
 * length. Sized by `data-size`; the namespace enforces stop-writes against stats(), which count
 * the slot bytes records occupy (rounding included), so the figure follows the memory they hold.
 */
import type { PrimaryIndex } from '../index/primary-index.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { SlabArena } from './slab-arena.js';
import type { StorageEngine, StorageLoadResult, StorageStats } from './storage-engine.js';

const EMPTY = Buffer.alloc(0);

export class MemoryStorage implements StorageEngine {
  readonly kind = 'memory' as const;
  /** Aerospike CE keeps no tombstones in memory: durable deletes are an Enterprise feature. */
  readonly supportsTombstones = false;
  private readonly arena = new SlabArena();
  /** where arena.store puts a new slot's address (no allocation per write) */
  private readonly address = new Uint32Array(2);

  constructor(private readonly dataSizeBytes: number) {}

  /** Nothing persists in memory: opening loads nothing. */
  async open(): Promise<StorageLoadResult> {
    return { records: 0, tombstones: 0, expired: 0, skippedCorrupt: 0, blocksInUse: 0, durationMs: 0 };
  }

  startupCheck(): string | undefined {
    return undefined;
  }

  put(index: PrimaryIndex, id: number, data: Buffer): void {
    // a new slot every time, the old one released after this turn: a view handed out by get()
    // keeps its bytes while the code holding it runs
    const oldSize = index.storedSize(id);
    if (oldSize > 0) this.arena.release(index.locator(id), index.locator2(id), oldSize);
    if (data.length === 0) {
      index.setStoredSize(id, 0);
      return;
    }
    const a = this.address;
    this.arena.store(data, a);
    index.setLocator(id, a[0]!);
    index.setLocator2(id, a[1]!);
    index.setStoredSize(id, data.length);
  }

  putTombstone(): void {
    throw new AsError(ResultCode.ENTERPRISE_ONLY, 'durable delete needs storage that keeps tombstones');
  }

  get(index: PrimaryIndex, id: number): Buffer {
    const size = index.storedSize(id);
    return size === 0 ? EMPTY : this.arena.view(index.locator(id), index.locator2(id), size);
  }

  /** The slab holding entry `id`'s bytes, which begin at `at[0]` (a view costs ~80 ns: a batch row's read uses this). */
  locate(index: PrimaryIndex, id: number, at: Int32Array): Buffer {
    if (index.storedSize(id) === 0) {
      at[0] = 0;
      return EMPTY;
    }
    at[0] = index.locator2(id);
    return this.arena.slab(index.locator(id));
  }

  /**
   * Reads one byte of every cache line of the records `ids[0..n)` (-1 skipped), so that a batch's
   * rows find their bytes in the cache: the misses of different records overlap here instead of
   * following one another row by row. Returns a value of those bytes only so the reads are kept.
   */
  touch(index: PrimaryIndex, ids: Int32Array, n: number): number {
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      if (id < 0) continue;
      const size = index.storedSize(id);
      if (size > 0) acc ^= this.arena.touch(index.locator(id), index.locator2(id), size);
    }
    return acc;
  }

  free(index: PrimaryIndex, id: number): void {
    const size = index.storedSize(id);
    if (size === 0) return;
    this.arena.release(index.locator(id), index.locator2(id), size);
    index.setStoredSize(id, 0);
  }

  stats(): StorageStats {
    return { usedBytes: this.arena.usedBytes, totalBytes: this.dataSizeBytes };
  }

  /** Bytes the slabs hold, free slots included (what the process's memory shows). */
  get reservedBytes(): number {
    return this.arena.reservedBytes;
  }

  clear(): void {
    this.arena.clear();
  }

  async close(): Promise<void> {}

  /** Memory storage adds no statistics beyond the namespace's own. */
  statistics(): Record<string, number> {
    return {};
  }

  tickerLogLines(): string[] {
    return [];
  }

  /** Nothing of memory storage changes at run time. */
  configChanged(): void {}
}
