/**
 * In-memory storage: record bytes held in a slot table addressed by the index entry's locator.
 * Sized by `data-size`; the namespace enforces stop-writes against stats().
 */
import type { PrimaryIndex } from '../index/primary-index.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import type { StorageEngine, StorageLoadResult, StorageStats } from './storage-engine.js';

/** Per-record overhead we charge on top of the bytes, to approximate allocator cost honestly. */
const SLOT_OVERHEAD_BYTES = 16;

export class MemoryStorage implements StorageEngine {
  readonly kind = 'memory' as const;
  /** Aerospike CE keeps no tombstones in memory: durable deletes are an Enterprise feature. */
  readonly supportsTombstones = false;
  private slots: (Buffer | undefined)[] = [];
  private freeSlots: number[] = [];
  private usedBytes = 0;

  constructor(private readonly dataSizeBytes: number) {}

  /** Nothing persists in memory: opening loads nothing. */
  async open(): Promise<StorageLoadResult> {
    return { records: 0, tombstones: 0, expired: 0, skippedCorrupt: 0, blocksInUse: 0, durationMs: 0 };
  }

  startupCheck(): string | undefined {
    return undefined;
  }

  put(index: PrimaryIndex, id: number, data: Buffer): void {
    const size = index.storedSize(id);
    let slot: number;
    if (size > 0) {
      slot = index.locator(id);
      this.usedBytes -= this.slots[slot]!.length + SLOT_OVERHEAD_BYTES;
    } else {
      slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.slots.length;
      index.setLocator(id, slot);
    }
    // copy out of the request frame so the frame can be released
    const copy = Buffer.allocUnsafeSlow(data.length);
    data.copy(copy);
    this.slots[slot] = copy;
    index.setStoredSize(id, data.length);
    this.usedBytes += data.length + SLOT_OVERHEAD_BYTES;
  }

  putTombstone(): void {
    throw new AsError(ResultCode.ENTERPRISE_ONLY, 'durable delete needs storage that keeps tombstones');
  }

  get(index: PrimaryIndex, id: number): Buffer {
    return this.slots[index.locator(id)]!;
  }

  free(index: PrimaryIndex, id: number): void {
    if (index.storedSize(id) === 0) return;
    const slot = index.locator(id);
    const b = this.slots[slot];
    if (b) this.usedBytes -= b.length + SLOT_OVERHEAD_BYTES;
    this.slots[slot] = undefined;
    this.freeSlots.push(slot);
    index.setStoredSize(id, 0);
  }

  stats(): StorageStats {
    return { usedBytes: this.usedBytes, totalBytes: this.dataSizeBytes };
  }

  clear(): void {
    this.slots = [];
    this.freeSlots = [];
    this.usedBytes = 0;
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
