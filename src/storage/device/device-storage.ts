/**
 * `storage-engine device`: record data lives in files (or raw devices) written in large write
 * blocks, as Aerospike does on SSDs. The primary index (in memory) points at each record's current
 * copy: locator = write block, locator2 = byte offset in the block, locator3 = file index (low 8
 * bits) | set-name length (bits 8-15, so a copy's size can be computed without looking the set up),
 * storedSize = length of the record bytes.
 *
 * Writes. A record becomes a device record (format.ts) appended to the file's current streaming
 * write buffer (swb). The swb is written to its block when full (via the write queue, drained on
 * the next turn of the event loop or at once when it exceeds max-write-cache), after flush-max-ms
 * (partial flush), or immediately with commit-to-device (then with fdatasync before `put`
 * returns); each write covers the flush-size pieces holding new bytes. An update writes a new copy and takes the old copy's bytes off its block's live
 * count; an expunge only does the latter; a durable delete writes a tombstone.
 *
 * Reclaiming space. A block whose live bytes fall below defrag-lwm-pct joins the defrag queue; the
 * defragmenter (a timer, one block per defrag-sleep; with defrag-sleep under 1 ms or free space
 * short, a few milliseconds' worth of blocks per event-loop turn) moves the block's live records
 * into the file's defrag swb and frees it. A block whose live bytes reach zero is freed without
 * being read. Blocks in the post-write cache are not queued until they leave it, so the cache
 * holds at most a sixteenth of a file's blocks (none when space is short), whatever
 * post-write-cache says; blocks the defragmenter writes do not enter it. When a file's free
 * blocks run short anyway, client writes defragment a couple of blocks themselves before taking
 * a new one (the engine is single-threaded: the background defragmenter cannot run beside a
 * burst of writes).
 * A freed block is reused only once the copies that replaced its records are on the device and
 * fdatasync'd, so neither a process crash nor a power loss can lose a record whose old copy was
 * durable (the new copy may be lost within the flush window, the old one then comes back).
 *
 * Reads. From the open swb, the write queue or the post-write cache when the block is still in
 * memory; otherwise one synchronous pread of exactly that record. Reads from the device go through
 * the OS page cache, which is the read cache (the engine keeps no per-record JS objects, only
 * typed arrays per block). Every record read from the device is checked (magic, checksums, digest,
 * length); a damaged one raises a DeviceError (result code UNKNOWN), never wrong data.
 *
 * Code: this file is the engine's face (life cycle, record put/tombstone/free/get, dynamic
 * config); each job lives in its own module over the shared state of core.ts: write-path.ts,
 * reclaim.ts, defrag-scheduler.ts (defrag.ts moves one block), invariants.ts and
 * device-statistics.ts.
 *
 * Everything is synchronous on the caller's turn except the background work, which runs in small
 * steps on timers (one defragmented block per step) so the event loop is never held for long.
 */
import { EntryFlag, type PrimaryIndex } from '../../index/primary-index.js';
import { ResultCode } from '../../protocol/result-codes.js';
import { citrusleafSec } from '../../util/clock.js';
import type { StorageEngine, StorageSetNames, StorageStats } from '../storage-engine.js';
import { DeviceCore } from './core.js';
import { DefragScheduler } from './defrag-scheduler.js';
import { BlockState, DeviceFile } from './device-file.js';
import { DeviceError } from './device-error.js';
import { DeviceStatistics } from './device-statistics.js';
import {
  FILE_HDR,
  FORMAT_VERSION,
  RecCheck,
  RecFlag,
  REC_HDR,
  REC_MAGIC,
  checkDeviceRecord,
  decodeFileHeader,
  encodeFileHeader,
  rec,
  type RecordMeta,
} from './format.js';
import { Invariants } from './invariants.js';
import { nodeIo } from './io.js';
import { coldLoad, type LoadResult } from './loader.js';
import { resolveOptions, tunablesOf, type DeviceStorageOptions, type DeviceTunables, type ResolvedDeviceOptions } from './options.js';
import { Reclaim } from './reclaim.js';
import { BufferPool, PostWriteCache } from './swb.js';
import { RateMeter, type TickerFormat } from './stats.js';
import { WritePath } from './write-path.js';

export type { DeviceStorageOptions } from './options.js';
export type { LoadResult } from './loader.js';
export { DeviceError } from './device-error.js';

/**
 * The device storage engine (`storage-engine device`). See the module comment for the design;
 * construct, then `await load(index)` (cold start) before serving, then `startupCheck()`.
 */
export class DeviceStorage implements StorageEngine {
  readonly kind = 'device' as const;
  /** Tombstones keep a durable delete's older copies from returning at cold start. */
  readonly supportsTombstones = true;
  private readonly c: DeviceCore;
  private readonly w: WritePath;
  private readonly r: Reclaim;
  private readonly d: DefragScheduler;
  private readonly inv: Invariants;
  private readonly s: DeviceStatistics;

  /** The dynamic parameters, read live (never copied): see DeviceTunables. */
  get tunables(): DeviceTunables {
    return this.c.tunables;
  }

  constructor(options: DeviceStorageOptions) {
    const cfg = resolveOptions(options);
    const tunables = tunablesOf(options);
    const clock = options.clock;
    const wbs = cfg.writeBlockSizeBytes;
    this.c = new DeviceCore(
      cfg,
      tunables,
      options.io ?? nodeIo,
      clock,
      options.log ?? (() => {}),
      wbs,
      new BufferPool(wbs, 4 + 2 * options.files.length),
      new PostWriteCache(tunables.postWriteCacheBytes),
      new RateMeter(clock.nowMs()),
    );
    this.c.setNameOf = options.setNameOf;
    this.c.setIdOf = options.setIdOf;
    // the parts call each other through narrow interfaces, wired here (no import cycle)
    this.r = new Reclaim(this.c, { kickDefrag: () => this.d.kickDefrag() });
    this.w = new WritePath(this.c, this.r, {
      assistDefrag: (f) => this.d.assistDefrag(f),
      defragFile: (f) => this.d.defragFile(f),
      scheduleDrain: () => this.d.scheduleDrain(),
    });
    this.d = new DefragScheduler(this.c, this.w, this.r);
    this.inv = new Invariants(this.c);
    this.s = new DeviceStatistics(this.c, this.r);
    try {
      options.files.forEach((spec, i) => this.openFile(spec.path, spec.sizeBytes, i, options.files.length));
    } catch (e) {
      for (const f of this.c.files) this.c.io.close(f.fd);
      throw e;
    }
  }

  private openFile(path: string, sizeBytes: number, i: number, count: number): void {
    const fd = this.c.io.open(path, sizeBytes);
    let f: DeviceFile;
    try {
      f = new DeviceFile(i, path, fd, sizeBytes, this.c.wbs);
      const hb = Buffer.alloc(FILE_HDR);
      this.c.io.pread(fd, hb, 0, FILE_HDR, 0);
      const h = decodeFileHeader(hb);
      if (h && !this.c.cfg.coldStartEmpty) {
        // refusing beats silently ignoring every block (their headers would not match)
        if (h.writeBlockSize !== this.c.wbs) {
          throw new Error(`device ${path} was written with write-block-size ${h.writeBlockSize}, configured ${this.c.wbs}; use cold-start-empty or a new file`);
        }
        if (h.fileIndex !== i) {
          throw new Error(`device ${path} was file ${h.fileIndex} of ${h.fileCount}, now configured as file ${i} of ${count}; keep the file order`);
        }
      }
      if (h) {
        f.epoch = h.epoch;
        f.hadHeader = true;
      } else f.epoch = 0;
    } catch (e) {
      this.c.io.close(fd);
      throw e;
    }
    this.c.files.push(f);
  }

  /**
   * Cold start: scans every block and rebuilds `index` (which should be empty), the per-block
   * live bytes, the free list and the defrag queue. `onRecord(id)` is called once per live record
   * loaded (the namespace counts set statistics there). Set ids come from `setIdOf` (argument or
   * option). Damaged records are logged and skipped. With cold-start-empty the files are treated
   * as empty. Must come before any write.
   */
  async load(
    index: PrimaryIndex,
    onRecord?: (id: number) => void,
    setIdOf?: (name: string) => number,
  ): Promise<LoadResult> {
    if (this.c.started) throw new Error('device storage: load() must come before any write');
    this.c.index = index;
    if (this.c.cfg.coldStartEmpty) {
      this.startEmpty();
      this.c.log(`cold-start-empty: ignoring the contents of ${this.c.files.length} device file(s)`);
      return { records: 0, tombstones: 0, expired: 0, skippedCorrupt: 0, blocksInUse: 0, durationMs: 0 };
    }
    for (const f of this.c.files) {
      if (!f.hadHeader) {
        f.epoch = 1;
        this.writeFileHeader(f);
      }
    }
    const r = await coldLoad(index, {
      files: this.c.files,
      io: this.c.io,
      writeBlockSize: this.c.wbs,
      nowCl: citrusleafSec(this.c.clock.nowMs()),
      setIdOf: setIdOf ?? this.c.setIdOf,
      onRecord,
      log: (line) => this.c.log(line),
      conflictResolution: this.c.cfg.conflictResolution,
    });
    const lwm = this.c.lwmBytes();
    for (const f of this.c.files) {
      for (let b = 1; b < f.nBlocks; b++) {
        if (f.state[b] === BlockState.FULL && f.used[b]! > 0) {
          if (f.used[b]! < lwm) {
            f.state[b] = BlockState.QUEUED;
            f.defragQ.push(b);
          }
        } else {
          f.state[b] = BlockState.FREE;
          f.free.push(b);
        }
      }
    }
    this.c.nextSeq = (r.maxSeq + 1) >>> 0 || 1;
    this.c.liveTombstones = r.tombstones;
    this.c.started = true;
    this.inv.checkInvariants();
    this.d.startTimers();
    this.d.kickDefrag();
    const result: LoadResult = {
      records: r.records,
      tombstones: r.tombstones,
      expired: r.expired,
      skippedCorrupt: r.skippedCorrupt,
      blocksInUse: r.blocksInUse,
      durationMs: r.durationMs,
    };
    this.c.log(
      `cold start: ${result.records} records, ${result.tombstones} tombstones, ${result.expired} expired, ` +
        `${result.skippedCorrupt} damaged skipped, ${result.blocksInUse} blocks in use, ${result.durationMs.toFixed(0)} ms`,
    );
    return result;
  }

  /** StorageEngine.open: binds the namespace's sets, then the cold start (load). */
  open(index: PrimaryIndex, sets: StorageSetNames, onRecord: (id: number) => void): Promise<LoadResult> {
    this.bindSets(
      (id) => sets.nameOf(id),
      (name) => sets.idOf(name),
    );
    return this.load(index, onRecord);
  }

  /**
   * Binds the set-name resolvers after construction (the node builds the engine before the
   * namespace and its set registry exist): `nameOf` for writes, `idOf` (creating) for cold start.
   */
  bindSets(nameOf: (setId: number) => string, idOf: (name: string) => number): void {
    this.c.setNameOf = nameOf;
    this.c.setIdOf = idOf;
    this.c.setNames.clear();
  }

  /** Binds the index the background defragmenter consults (done by put/load as well). */
  attach(index: PrimaryIndex): void {
    this.c.index = index;
  }

  /**
   * Start without loading: every block is free and the epoch moves on, so blocks written before
   * can never be loaded again (cold-start-empty, truncation, or a first write without load()).
   */
  private startEmpty(): void {
    for (const f of this.c.files) {
      if (f.hadHeader) this.c.log(`device ${f.path}: starting empty; what it held before will not be loaded again`);
      f.epoch = (f.epoch + 1) >>> 0 || 1;
      this.writeFileHeader(f);
      f.resetAllFree();
    }
    this.c.started = true;
    this.d.startTimers();
  }

  private writeFileHeader(f: DeviceFile): void {
    const h = encodeFileHeader({
      version: FORMAT_VERSION,
      writeBlockSize: this.c.wbs,
      fileIndex: f.fileIndex,
      fileCount: this.c.files.length,
      epoch: f.epoch,
      sizeBytes: f.sizeBytes,
    });
    this.c.io.pwrite(f.fd, h, 0, h.length, 0);
    this.c.io.fsync(f.fd);
    f.hadHeader = true;
  }

  private ensureStarted(index: PrimaryIndex): void {
    if (this.c.closed) throw new DeviceError(ResultCode.UNKNOWN, 'device storage is closed');
    this.c.index = index;
    if (!this.c.started) this.startEmpty();
  }

  /**
   * Writes every buffered byte to the files, drains the write queue, fdatasyncs and releases
   * reclaimed blocks. Throws when the I/O layer fails.
   */
  flush(): void {
    if (!this.c.started) return;
    for (const f of this.c.files) {
      if (f.clientSwb) this.w.flushSwb(f.clientSwb);
      if (f.defragSwb) this.w.flushSwb(f.defragSwb);
    }
    if (!this.w.drainWriteQ()) throw new DeviceError(ResultCode.UNKNOWN, 'device write failed; see log');
    this.r.syncAll(true);
    this.r.tryReleasePending();
    this.inv.checkInvariants();
  }

  /** Flushes and closes the files; the engine cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.c.closed) return;
    this.d.stopTimers();
    try {
      if (this.c.started) this.flush();
    } finally {
      this.c.closed = true;
      for (const f of this.c.files) this.c.io.close(f.fd);
      this.c.pwc.clear();
    }
  }

  /**
   * Drops everything: all blocks become free and the epoch moves on, so nothing written before
   * comes back at the next cold start. The caller clears the index.
   */
  clear(): void {
    if (this.c.closed) return;
    this.c.writeQ = [];
    this.c.pending = [];
    this.c.pendingHead = 0;
    this.c.pwc.clear();
    this.c.liveTombstones = 0;
    this.startEmpty();
  }

  /**
   * Stores entry `id`'s record bytes. The entry's generation, void-time, last-update-time, set
   * and key flag must already be set: they are written into the device record, and a cold start
   * rebuilds the index from them. Throws DeviceError OUT_OF_SPACE (no free write block),
   * DEVICE_OVERLOAD (write queue beyond max-write-cache), RECORD_TOO_BIG (larger than a write
   * block) or, with commit-to-device, UNKNOWN when the write or fdatasync fails; the index is
   * unchanged when it throws.
   */
  put(index: PrimaryIndex, id: number, data: Buffer): void {
    this.ensureStarted(index);
    const flags = index.flags(id);
    const meta: RecordMeta = {
      generation: index.generation(id),
      voidTime: index.voidTime(id),
      lastUpdateMs: index.lastUpdateMs(id),
      flags: flags & EntryFlag.HAS_KEY ? RecFlag.HAS_KEY : 0,
    };
    this.w.writeCopy(index, id, meta, data);
    if (flags & EntryFlag.TOMBSTONE) {
      index.setFlags(id, flags & ~EntryFlag.TOMBSTONE & 0xff);
      this.c.liveTombstones--;
    }
  }

  /**
   * Durable delete: writes a tombstone for entry `id` (with the entry's generation and
   * last-update-time, which the caller advances first) and keeps the entry, flagged TOMBSTONE and
   * with storedSize 0, pointing at it. A cold start then deletes older copies instead of
   * resurrecting them. The namespace must treat TOMBSTONE entries as absent.
   */
  putTombstone(index: PrimaryIndex, id: number): void {
    this.ensureStarted(index);
    const flags = index.flags(id);
    const meta: RecordMeta = {
      generation: index.generation(id),
      voidTime: 0,
      lastUpdateMs: index.lastUpdateMs(id),
      flags: RecFlag.TOMBSTONE,
    };
    this.w.writeCopy(index, id, meta, undefined);
    index.setFlags(id, ((flags & ~EntryFlag.HAS_KEY) | EntryFlag.TOMBSTONE) & 0xff);
    if (!(flags & EntryFlag.TOMBSTONE)) this.c.liveTombstones++;
  }

  /** Expunge: the copy's bytes stop counting as live; the caller removes the entry. */
  free(index: PrimaryIndex, id: number): void {
    if (index.locator(id) === 0) {
      index.setStoredSize(id, 0);
      return;
    }
    if (index.flags(id) & EntryFlag.TOMBSTONE) this.c.liveTombstones--;
    this.w.releaseCopy(index, id);
    index.setLocator(id, 0);
    index.setLocator2(id, 0);
    index.setLocator3(id, 0);
    index.setStoredSize(id, 0);
  }

  /** The record bytes of entry `id` (a copy: safe to keep). */
  get(index: PrimaryIndex, id: number): Buffer {
    const b = index.locator(id);
    if (b === 0 || !this.c.started) throw new DeviceError(ResultCode.UNKNOWN, 'record has no copy on the device');
    if (index.flags(id) & EntryFlag.TOMBSTONE) throw new DeviceError(ResultCode.NOT_FOUND, 'record is a tombstone');
    const loc3 = index.locator3(id);
    const f = this.c.files[loc3 & 0xff];
    if (!f || b >= f.nBlocks) throw new DeviceError(ResultCode.UNKNOWN, 'index entry points outside the device');
    const nameLen = (loc3 >>> 8) & 0xff;
    const dataLen = index.storedSize(id);
    const off = index.locator2(id);
    const img = this.memoryImage(f, b);
    if (img) {
      this.c.cacheReads++;
      if (img.readUInt32LE(off) !== REC_MAGIC) this.corrupt(f, b, off, 'no record in the cached block');
      const start = off + REC_HDR + nameLen;
      return Buffer.from(img.subarray(start, start + dataLen));
    }
    const len = REC_HDR + nameLen + dataLen;
    const buf = Buffer.allocUnsafe(len);
    let got: number;
    try {
      got = this.c.io.pread(f.fd, buf, 0, len, f.blockOffset(b) + off);
    } catch (e) {
      this.c.corruptReads++;
      throw new DeviceError(ResultCode.UNKNOWN, `device read failed: ${(e as Error).message}`);
    }
    this.c.deviceReads++;
    if (got !== len) this.corrupt(f, b, off, 'short read');
    const c = checkDeviceRecord(buf, 0, len, f.stamp[b]!, true);
    if (c !== RecCheck.OK) this.corrupt(f, b, off, c === RecCheck.BAD_DATA ? 'data checksum mismatch' : 'bad record header');
    if (buf.compare(index.digestView(id), 0, 20, 8, 28) !== 0 || rec.dataLen(buf, 0) !== dataLen) {
      this.corrupt(f, b, off, 'record does not match its index entry');
    }
    return buf.subarray(REC_HDR + nameLen);
  }

  private corrupt(f: DeviceFile, b: number, off: number, why: string): never {
    this.c.corruptReads++;
    this.c.log(`device ${f.path}: block ${b} offset ${off}: ${why}`);
    throw new DeviceError(ResultCode.UNKNOWN, `device record unreadable (${why})`);
  }

  /** The in-memory image of a block when it has one (open swb, write queue, post-write cache). */
  private memoryImage(f: DeviceFile, b: number): Buffer | undefined {
    if (f.state[b] === BlockState.SWB) {
      if (f.clientSwb?.block === b) return f.clientSwb.buf;
      if (f.defragSwb?.block === b) return f.defragSwb.buf;
      for (const s of this.c.writeQ) if (s.file === f.fileIndex && s.block === b) return s.buf;
      return undefined;
    }
    return this.c.pwc.get(f.fileIndex, b);
  }

  /** StorageEngine.tickerLogLines: the per-device line operators know from the defragmentation document. */
  tickerLogLines(): string[] {
    return this.s.tickerLines('legacy');
  }

  /** StorageEngine.statistics: the device statistics below. */
  statistics(): Record<string, number> {
    return this.s.deviceStats();
  }

  /** The static options in force (the dynamic ones are `tunables`). */
  get config(): Readonly<ResolvedDeviceOptions> {
    return this.c.cfg;
  }

  /**
   * A dynamic parameter changed in `tunables` (set-config, by its Aerospike name, with or without
   * the `storage-engine.` prefix): acts on it. The value was validated by the config's parameter
   * table before it was written; the engine does not validate it again.
   */
  configChanged(key: string): void {
    switch (key.replace(/^storage-engine\./, '')) {
      case 'defrag-lwm-pct':
        // raising the mark queues the blocks that are now below it
        this.r.requeueBelowLwm();
        break;
      case 'defrag-queue-min':
        this.d.kickDefrag();
        break;
      case 'flush-max-ms':
        if (this.c.started) this.d.startTimers();
        break;
      case 'post-write-cache':
        this.c.pwc.limitBytes = this.c.tunables.postWriteCacheBytes;
        this.c.pwc.trim(this.r.onPostWriteEvict);
        break;
    }
  }

  // ---- the parts' public operations -----------------------------------------------------------

  /**
   * Defragments one queued block (round robin over the files, only while a file's queue is
   * longer than defrag-queue-min). Returns true when it did some work. The timers call this; tests
   * and the bench may call it directly.
   */
  defragStep(): boolean {
    return this.d.defragStep();
  }

  /** Runs defrag steps until the queues are down to defrag-queue-min or `maxBlocks` are done. */
  defragAll(maxBlocks = Infinity): number {
    return this.d.defragAll(maxBlocks);
  }

  /**
   * Periodic housekeeping: flushes swbs holding data older than flush-max-ms, drains the write
   * queue, releases reclaimed blocks and wakes the defragmenter. Timers call it; tests may too.
   */
  tick(): void {
    this.d.tick();
  }

  /** Throws when the block accounting is broken (see invariants.ts). O(blocks). */
  checkInvariants(): void {
    this.inv.checkInvariants();
  }

  /** Recomputes every block's live bytes from `index` and throws when they differ. O(records + blocks). */
  verifyAgainstIndex(index: PrimaryIndex): void {
    this.inv.verifyAgainstIndex(index);
  }

  stats(): StorageStats {
    return this.s.stats();
  }

  /** Free write blocks as a percent of the blocks, the minimum over the files. */
  availablePct(): number {
    return this.s.availablePct();
  }

  /** Namespace statistics with Aerospike's names (see stats.ts). */
  deviceStats(): Record<string, number> {
    return this.s.deviceStats();
  }

  /** Bytes written to the devices divided by bytes of records written by clients. */
  writeAmplification(): number {
    return this.s.writeAmplification();
  }

  /** The per-device ticker lines (Aerospike 8.x wording, or the legacy 3.x one). */
  tickerLines(format: TickerFormat = '8.x'): string[] {
    return this.s.tickerLines(format);
  }

  /** Why client writes must be refused now ('stop-writes-avail-pct' / 'stop-writes-used-pct'), or undefined. */
  stopWritesReason(): string | undefined {
    return this.s.stopWritesReason();
  }

  /** After load(): an error line when contiguous free space is below defrag-startup-minimum. */
  startupCheck(): string | undefined {
    return this.s.startupCheck();
  }
}
