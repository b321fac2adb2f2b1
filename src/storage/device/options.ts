/**
 * Options of the device storage engine, with Aerospike's names and defaults, and the list of
 * parameters an operator may change at runtime (set-config).
 */
import type { Clock } from '../../util/clock.js';
import type { DeviceIo } from './io.js';

/** One `file` line of the storage-engine stanza. */
export interface DeviceFileSpec {
  path: string;
  /** `filesize`: bytes the file may hold (it is extended to this size when smaller) */
  sizeBytes: number;
}

/** Constructor options of DeviceStorage (Aerospike parameter names in the comments). */
export interface DeviceStorageOptions {
  /** `file` lines. Records are striped across them by digest (all copies of a record stay on one). */
  files: DeviceFileSpec[];
  /** `write-block-size`: power of 2 in 128 KiB..8 MiB; default 1 MiB. Static. */
  writeBlockSizeBytes?: number;
  /** `defrag-lwm-pct`: blocks less full than this are defragmented; default 50. Dynamic. */
  defragLwmPct?: number;
  /** `defrag-sleep`: microseconds to sleep after each defragmented block; default 1000. Dynamic. */
  defragSleepUs?: number;
  /** `defrag-queue-min`: defrag only while more blocks than this are queued; default 0. Dynamic. */
  defragQueueMin?: number;
  /** `defrag-startup-minimum`: percent of contiguous free space needed to start; default 10. Static. */
  defragStartupMinimumPct?: number;
  /** `flush-max-ms`: flush a partly filled write block after this long; default 1000. Dynamic. */
  flushMaxMs?: number;
  /** `max-write-cache`: bytes of full blocks allowed to wait for their write; default 64 MiB. Dynamic. */
  maxWriteCacheBytes?: number;
  /** `post-write-cache`: bytes of flushed blocks kept in memory for reads; default 256 KiB. Dynamic. */
  postWriteCacheBytes?: number;
  /**
   * `commit-to-device`: a write returns only once it is durable (pwrite + fdatasync of its block
   * per write). Costs one fdatasync per write: on SSDs ~0.05-2 ms each, so throughput is bounded
   * by the device's sync rate instead of by memory copies. Static in Aerospike (not settable at
   * runtime), so here too.
   */
  commitToDevice?: boolean;
  /** `cold-start-empty`: ignore what the files hold at start. Static. */
  coldStartEmpty?: boolean;
  /** `stop-writes-avail-pct` (pre-7 `min-avail-pct`): default 5. Dynamic. */
  stopWritesAvailPct?: number;
  /** `stop-writes-used-pct` (pre-7 `max-used-pct`): default 70; 0 = off. Dynamic. */
  stopWritesUsedPct?: number;
  /**
   * Which copy of a record wins at cold start (the namespace's `conflict-resolution-policy`):
   * 'generation' (default: higher generation, then later last-update-time) or 'last-update-time'
   * (later last-update-time, then higher generation). With 'generation', a record that was
   * expunged and re-created (generation restarts at 1) can lose to an older leftover copy.
   */
  conflictResolution?: 'generation' | 'last-update-time';
  /** time source: flush-max-ms ages, expiry during cold start, ticker rates */
  clock: Clock;
  /** file I/O; node:fs by default, a FaultyIo in tests */
  io?: DeviceIo;
  /** log sink for warnings (corrupt records, I/O errors) and ticker-style lines */
  log?: (line: string) => void;
  /** namespace name, used in ticker lines */
  namespace?: string;
  /** set name of a set id (writes carry the set name so a cold start can rebuild set ids) */
  setNameOf?: (setId: number) => string;
  /** set id of a set name, creating it (cold start); 0 for "no set" */
  setIdOf?: (name: string) => number;
  /**
   * Run the background work (flush-max-ms flushes, write-queue draining, defrag) on timers.
   * Default true. Tests turn it off and drive `tick()`, `defragStep()` and `flush()` themselves.
   */
  backgroundTimers?: boolean;
}

/** Options with defaults applied (the dynamic ones are mutable through the setters). */
export interface ResolvedDeviceOptions {
  writeBlockSizeBytes: number;
  defragLwmPct: number;
  defragSleepUs: number;
  defragQueueMin: number;
  defragStartupMinimumPct: number;
  flushMaxMs: number;
  maxWriteCacheBytes: number;
  postWriteCacheBytes: number;
  commitToDevice: boolean;
  coldStartEmpty: boolean;
  stopWritesAvailPct: number;
  stopWritesUsedPct: number;
  backgroundTimers: boolean;
  namespace: string;
  conflictResolution: 'generation' | 'last-update-time';
}

/** Bounds of write-block-size. */
export const MIN_WRITE_BLOCK = 128 * 1024;
export const MAX_WRITE_BLOCK = 8 * 1024 * 1024;

/** Applies defaults and validates; throws on an invalid configuration. */
export function resolveOptions(o: DeviceStorageOptions): ResolvedDeviceOptions {
  const r: ResolvedDeviceOptions = {
    writeBlockSizeBytes: o.writeBlockSizeBytes ?? 1024 * 1024,
    defragLwmPct: o.defragLwmPct ?? 50,
    defragSleepUs: o.defragSleepUs ?? 1000,
    defragQueueMin: o.defragQueueMin ?? 0,
    defragStartupMinimumPct: o.defragStartupMinimumPct ?? 10,
    flushMaxMs: o.flushMaxMs ?? 1000,
    maxWriteCacheBytes: o.maxWriteCacheBytes ?? 64 * 1024 * 1024,
    postWriteCacheBytes: o.postWriteCacheBytes ?? 256 * 1024,
    commitToDevice: o.commitToDevice ?? false,
    coldStartEmpty: o.coldStartEmpty ?? false,
    stopWritesAvailPct: o.stopWritesAvailPct ?? 5,
    stopWritesUsedPct: o.stopWritesUsedPct ?? 70,
    backgroundTimers: o.backgroundTimers ?? true,
    namespace: o.namespace ?? 'test',
    conflictResolution: o.conflictResolution ?? 'generation',
  };
  const wbs = r.writeBlockSizeBytes;
  if (wbs < MIN_WRITE_BLOCK || wbs > MAX_WRITE_BLOCK || (wbs & (wbs - 1)) !== 0) {
    throw new Error(`write-block-size ${wbs} must be a power of 2 from 128K to 8M`);
  }
  if (o.files.length === 0) throw new Error('device storage needs at least one file');
  if (o.files.length > 255) throw new Error('device storage supports at most 255 files');
  const paths = new Set(o.files.map((f) => f.path));
  if (paths.size !== o.files.length) throw new Error('device files must be distinct');
  checkPct('defrag-lwm-pct', r.defragLwmPct, 1, 99);
  checkPct('defrag-startup-minimum', r.defragStartupMinimumPct, 0, 99);
  checkPct('stop-writes-avail-pct', r.stopWritesAvailPct, 0, 100);
  checkPct('stop-writes-used-pct', r.stopWritesUsedPct, 0, 100);
  checkNonNegative('defrag-sleep', r.defragSleepUs);
  checkNonNegative('defrag-queue-min', r.defragQueueMin);
  checkNonNegative('flush-max-ms', r.flushMaxMs);
  checkNonNegative('post-write-cache', r.postWriteCacheBytes);
  if (!(r.maxWriteCacheBytes > 0)) throw new Error('max-write-cache must be positive');
  return r;
}

function checkPct(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name} ${v} must be an integer from ${min} to ${max}`);
}

function checkNonNegative(name: string, v: number): void {
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} ${v} must be >= 0`);
}

/**
 * Parameters an operator may change at runtime, by their Aerospike names (set-config). The
 * pre-7 names `min-avail-pct` / `max-used-pct` are accepted as aliases. Not in this list and so
 * refused at runtime: write-block-size, commit-to-device, cold-start-empty, defrag-startup-minimum,
 * file/filesize.
 */
export const DYNAMIC_PARAMS = [
  'defrag-lwm-pct',
  'defrag-sleep',
  'defrag-queue-min',
  'flush-max-ms',
  'max-write-cache',
  'post-write-cache',
  'stop-writes-avail-pct',
  'stop-writes-used-pct',
  'min-avail-pct',
  'max-used-pct',
] as const;

/** Name of a runtime-settable parameter. */
export type DynamicParam = (typeof DYNAMIC_PARAMS)[number];
