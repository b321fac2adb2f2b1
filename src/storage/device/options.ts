/**
 * Options of the device storage engine, with Aerospike's names and defaults: static options fixed
 * at construction and the dynamic tunables read live.
 */
import type { Clock } from '../../util/clock.js';
import type { DeviceIo } from './io.js';

/** One `file` line of the storage-engine stanza. */
export interface DeviceFileSpec {
  path: string;
  /** `filesize`: bytes the file may hold (it is extended to this size when smaller) */
  sizeBytes: number;
}

/**
 * The engine's dynamic parameters (set-config). The engine reads them from this object on every
 * use and never keeps a copy, so the value get-config shows is the value in force. The node passes
 * the namespace's storage config object itself (it has these fields under the same names);
 * set-config validates a change with the config's parameter table, writes it there, then calls
 * `configChanged(key)` so the engine can act on it (requeue blocks, restart a timer...).
 */
export interface DeviceTunables {
  /** `defrag-lwm-pct`: blocks less full than this are defragmented (1..99). */
  defragLwmPct: number;
  /** `defrag-sleep`: microseconds to sleep after each defragmented block. */
  defragSleepUs: number;
  /** `defrag-queue-min`: defrag only while more blocks than this are queued. */
  defragQueueMin: number;
  /** `flush-max-ms`: flush a partly filled write block after this long. */
  flushMaxMs: number;
  /**
   * `flush-size`: the unit of one device write (power of 2, 4 KiB..8 MiB; Aerospike 8's name). A
   * flush writes the whole flush-size pieces that hold unwritten bytes, capped at the write block.
   */
  flushSizeBytes: number;
  /** `max-write-cache`: bytes of full blocks allowed to wait for their write. */
  maxWriteCacheBytes: number;
  /** `post-write-cache`: bytes of flushed blocks kept in memory for reads. */
  postWriteCacheBytes: number;
  /** `stop-writes-avail-pct`: client writes stop below this available percent. */
  stopWritesAvailPct: number;
  /** `stop-writes-used-pct`: client writes stop above this used percent; 0 = off. */
  stopWritesUsedPct: number;
}

/** Constructor options of DeviceStorage (Aerospike parameter names in the comments). */
export interface DeviceStorageOptions {
  /**
   * The live dynamic parameters (see DeviceTunables). When given, the individual dynamic options
   * below are ignored and the engine reads this object; otherwise it builds one from them.
   */
  tunables?: DeviceTunables;
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
  /** `flush-size`: unit of one device write; default 1 MiB. Dynamic. */
  flushSizeBytes?: number;
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
  /** file I/O; node:fs by default, a FaultyIo (src/testing/faulty-io.ts) in tests */
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

/** Static options with defaults applied (the dynamic ones live in DeviceTunables). */
export interface ResolvedDeviceOptions {
  writeBlockSizeBytes: number;
  defragStartupMinimumPct: number;
  commitToDevice: boolean;
  coldStartEmpty: boolean;
  backgroundTimers: boolean;
  namespace: string;
  conflictResolution: 'generation' | 'last-update-time';
}

/** Bounds of write-block-size. */
export const MIN_WRITE_BLOCK = 128 * 1024;
export const MAX_WRITE_BLOCK = 8 * 1024 * 1024;

/**
 * Applies defaults to the static options and checks what the on-device format depends on (the
 * write block size, the file list); throws on a programming error. Operator input is validated
 * once, by the config's parameter table (src/config/storage-params.ts), before it gets here.
 */
export function resolveOptions(o: DeviceStorageOptions): ResolvedDeviceOptions {
  const r: ResolvedDeviceOptions = {
    writeBlockSizeBytes: o.writeBlockSizeBytes ?? 1024 * 1024,
    defragStartupMinimumPct: o.defragStartupMinimumPct ?? 10,
    commitToDevice: o.commitToDevice ?? false,
    coldStartEmpty: o.coldStartEmpty ?? false,
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
  return r;
}

/** The engine's own tunables object when the caller passes none (tests, the bench). */
export function tunablesOf(o: DeviceStorageOptions): DeviceTunables {
  return (
    o.tunables ?? {
      defragLwmPct: o.defragLwmPct ?? 50,
      defragSleepUs: o.defragSleepUs ?? 1000,
      defragQueueMin: o.defragQueueMin ?? 0,
      flushMaxMs: o.flushMaxMs ?? 1000,
      flushSizeBytes: o.flushSizeBytes ?? 1024 * 1024,
      maxWriteCacheBytes: o.maxWriteCacheBytes ?? 64 * 1024 * 1024,
      postWriteCacheBytes: o.postWriteCacheBytes ?? 256 * 1024,
      stopWritesAvailPct: o.stopWritesAvailPct ?? 5,
      stopWritesUsedPct: o.stopWritesUsedPct ?? 70,
    }
  );
}
