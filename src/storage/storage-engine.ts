/**
 * The interface every storage engine offers a namespace. The primary index owns the metadata; an
 * engine owns the record bytes and fills in the locator fields of an index entry. Only the
 * namespace's record life (`namespace/record-life.ts`) calls the record methods (put,
 * putTombstone, free), so index, storage and statistics move together.
 */
import type { PrimaryIndex } from '../index/primary-index.js';

export interface StorageStats {
  /** bytes of record data currently live */
  usedBytes: number;
  /** capacity in bytes (data-size or device total) */
  totalBytes: number;
}

/** What opening an engine found (a cold start of a persistent engine; zeros otherwise). */
export interface StorageLoadResult {
  /** live records loaded into the index */
  records: number;
  /** tombstones kept in the index (they hide older copies still in storage) */
  tombstones: number;
  /** records whose newest copy had expired */
  expired: number;
  /** damaged or torn records skipped */
  skippedCorrupt: number;
  /** blocks holding at least one live record after the load */
  blocksInUse: number;
  /** wall-clock duration of the load */
  durationMs: number;
}

/** Set-name resolution for engines that persist a record's set by name. */
export interface StorageSetNames {
  /** the name of set id `setId` (never 0) */
  nameOf(setId: number): string;
  /** the id of set `name`, creating the set (cold start) */
  idOf(name: string): number;
}

export interface StorageEngine {
  readonly kind: 'memory' | 'device';
  /**
   * Whether the engine keeps tombstones (durable deletes). Without them a durable delete is an
   * Enterprise feature (Aerospike CE answers ENTERPRISE_ONLY) and a replicated one forgets the
   * record.
   */
  readonly supportsTombstones: boolean;
  /**
   * Opens the engine for its namespace before any write: binds set-name resolution and, for a
   * persistent engine, rebuilds `index` (which must be empty) from what it stored, calling
   * `onRecord(id)` once per live record loaded.
   */
  open(index: PrimaryIndex, sets: StorageSetNames, onRecord: (id: number) => void): Promise<StorageLoadResult>;
  /** A reason the namespace must not start serving (e.g. too little free space), or undefined. */
  startupCheck(): string | undefined;
  /**
   * Stores a record's bytes for index entry `id`, replacing what it held before (a tombstone too,
   * clearing the entry's TOMBSTONE flag). The entry's metadata (generation, void-time, last-update
   * time, set, key flag) must already be set. The engine copies `data`. Throws (an AsError with the
   * client's result code) when it refuses, leaving the entry's locator and size unchanged.
   */
  put(index: PrimaryIndex, id: number, data: Buffer): void;
  /**
   * Durable delete: writes a tombstone for entry `id` with its generation and last-update time and
   * flags the entry TOMBSTONE (stored size 0). Only called when `supportsTombstones`. Throws like
   * put, leaving the entry unchanged.
   */
  putTombstone(index: PrimaryIndex, id: number): void;
  /** The record bytes of entry `id`. */
  get(index: PrimaryIndex, id: number): Buffer;
  /**
   * Optional (memory storage): the record bytes of entry `id` in place, without a view made for
   * them: returns the buffer holding them, and `at[0]` gets where they begin in it. Valid like
   * get's view: until the record is written again, and for the current turn of the event loop.
   */
  locate?(index: PrimaryIndex, id: number, at: Int32Array): Buffer;
  /**
   * Optional: brings the bytes of records `ids[0..n)` (-1 entries skipped) into the CPU cache
   * ahead of reading them (memory storage); returns a value of no meaning.
   */
  touch?(index: PrimaryIndex, ids: Int32Array, n: number): number;
  /** Releases the bytes of entry `id` (the entry itself is removed by the caller). */
  free(index: PrimaryIndex, id: number): void;
  stats(): StorageStats;
  /** Drops everything (namespace truncation without a device). */
  clear(): void;
  close(): Promise<void>;

  // ---- what the server shows and tunes (nothing outside storage/ knows the concrete engine) ----

  /**
   * Engine statistics for the namespace's info answer, with Aerospike's names (for a device:
   * `device_available_pct`, `storage-engine.file[0].used_bytes`, ...); empty for memory.
   */
  statistics(): Record<string, number>;
  /** The engine's lines of the periodic ticker log (one per device file); rates cover the time since the last call. */
  tickerLogLines(): string[];
  /**
   * A dynamic storage parameter changed (set-config, Aerospike's key with or without the
   * `storage-engine.` prefix): the value is already in the namespace's storage config, which the
   * engine reads live, and was validated by the config's parameter table; the engine acts on it.
   */
  configChanged(key: string): void;
}
