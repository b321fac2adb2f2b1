/**
 * The interface every storage engine offers a namespace. The primary index owns the metadata; an
 * engine owns the record bytes and fills in the locator fields of an index entry.
 */
import type { PrimaryIndex } from '../index/primary-index.js';

export interface StorageStats {
  /** bytes of record data currently live */
  usedBytes: number;
  /** capacity in bytes (data-size or device total) */
  totalBytes: number;
}

export interface StorageEngine {
  readonly kind: 'memory' | 'device';
  /** Stores a record's bytes for index entry `id`, replacing what it held before. */
  put(index: PrimaryIndex, id: number, data: Buffer): void;
  /** The record bytes of entry `id`. */
  get(index: PrimaryIndex, id: number): Buffer;
  /** Releases the bytes of entry `id` (the entry itself is removed by the caller). */
  free(index: PrimaryIndex, id: number): void;
  stats(): StorageStats;
  /** Drops everything (namespace truncation without a device). */
  clear(): void;
  close(): Promise<void>;
}
