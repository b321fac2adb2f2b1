/**
 * The state every part of the device engine shares (files, buffers, queues, counters, timers) and
 * the few helpers they all use. The parts (write-path.ts, reclaim.ts, defrag-scheduler.ts,
 * invariants.ts, device-statistics.ts) each own one job over this state; device-storage.ts wires
 * them and is the engine's public face. Nothing outside src/storage/device uses it.
 */
import type { PrimaryIndex } from '../../index/primary-index.js';
import type { Clock } from '../../util/clock.js';
import type { DeviceFile } from './device-file.js';
import type { DeviceIo } from './io.js';
import type { DeviceTunables, ResolvedDeviceOptions } from './options.js';
import type { BufferPool, PostWriteCache, Swb } from './swb.js';
import type { RateMeter } from './stats.js';

type Timer = ReturnType<typeof setTimeout>;
type Immediate = ReturnType<typeof setImmediate>;

export class DeviceCore {
  readonly files: DeviceFile[] = [];
  setNameOf: ((setId: number) => string) | undefined;
  setIdOf: ((name: string) => number) | undefined;
  /** set id -> its name as written into device records (undefined: no set) */
  readonly setNames = new Map<number, Buffer | undefined>();
  index: PrimaryIndex | undefined;
  /** sealed swbs that still have bytes to write, oldest first */
  writeQ: Swb[] = [];
  /** emptied blocks waiting for the copies that replaced them to be durable (file, block, tag) */
  pending: number[] = [];
  pendingHead = 0;
  nextSeq = 1;
  /** counts appends to any swb; a pending block's tag is its value when the block was emptied */
  appendCounter = 0;
  started = false;
  closed = false;
  defragCursor = 0;
  /** one write block of scratch space for defrag reads of blocks not in memory */
  scratch: Buffer | undefined;
  warnedNoSetNames = false;

  // statistics
  clientBytes = 0;
  clientRecords = 0;
  defragMoved = 0;
  liveTombstones = 0;
  cacheReads = 0;
  deviceReads = 0;
  corruptReads = 0;

  // background work
  flushTimer: ReturnType<typeof setInterval> | undefined;
  defragTimer: Timer | undefined;
  defragImmediate: Immediate | undefined;
  drainImmediate: Immediate | undefined;

  constructor(
    /** static options, defaults applied */
    readonly cfg: ResolvedDeviceOptions,
    /** dynamic options, read live (see DeviceTunables) */
    readonly tunables: DeviceTunables,
    readonly io: DeviceIo,
    readonly clock: Clock,
    private readonly logFn: (line: string) => void,
    /** write block size in bytes */
    readonly wbs: number,
    readonly pool: BufferPool,
    readonly pwc: PostWriteCache,
    readonly rates: RateMeter,
  ) {}

  /** Live bytes under which a block is defragmented (defrag-lwm-pct of a write block). */
  lwmBytes(): number {
    return Math.floor((this.wbs * this.tunables.defragLwmPct) / 100);
  }

  ioError(f: DeviceFile, op: string, e: unknown): void {
    this.log(`device ${f.path}: ${op} failed: ${(e as Error).message}; will retry`);
  }

  log(line: string): void {
    this.logFn(`{${this.cfg.namespace}} ${line}`);
  }
}
