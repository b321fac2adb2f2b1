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
 * returns). An update writes a new copy and takes the old copy's bytes off its block's live
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
 * Everything is synchronous on the caller's turn except the background work, which runs in small
 * steps on timers (one defragmented block per step) so the event loop is never held for long.
 */
import { EntryFlag, type PrimaryIndex } from '../../index/primary-index.js';
import { AsError, ResultCode } from '../../protocol/result-codes.js';
import { citrusleafSec, type Clock } from '../../util/clock.js';
import { N_PARTITIONS } from '../../util/digest.js';
import type { StorageEngine, StorageSetNames, StorageStats } from '../storage-engine.js';
import { defragBlock, type DefragHost } from './defrag.js';
import { BlockState, DeviceFile } from './device-file.js';
import {
  BLOCK_HDR,
  FILE_HDR,
  FORMAT_VERSION,
  IO_ALIGN,
  RecCheck,
  RecFlag,
  REC_HDR,
  REC_MAGIC,
  alignDown,
  alignUp,
  blockStamp,
  checkDeviceRecord,
  decodeFileHeader,
  deviceRecordSize,
  encodeFileHeader,
  rec,
  restampRecord,
  writeBlockHeader,
  writeDeviceRecord,
  type RecordMeta,
} from './format.js';
import { nodeIo, type DeviceIo } from './io.js';
import { coldLoad, type LoadResult } from './loader.js';
import { resolveOptions, tunablesOf, type DeviceStorageOptions, type DeviceTunables, type ResolvedDeviceOptions } from './options.js';
import { BufferPool, PostWriteCache, Swb, SwbKind } from './swb.js';
import { RateMeter, deviceStatistics, tickerLine, type FileSnapshot, type TickerFormat } from './stats.js';

export type { DeviceStorageOptions } from './options.js';
export type { LoadResult } from './loader.js';

/** An engine error carrying the result code the client should get. */
export class DeviceError extends AsError {}

/** Longest a background defrag turn runs (several blocks) when defrag-sleep is under 1 ms or space is short. */
const DEFRAG_TURN_MS = 4;

type Timer = ReturnType<typeof setTimeout>;
type Immediate = ReturnType<typeof setImmediate>;

/**
 * The device storage engine (`storage-engine device`). See the module comment for the design;
 * construct, then `await load(index)` (cold start) before serving, then `startupCheck()`.
 */
export class DeviceStorage implements StorageEngine {
  readonly kind = 'device' as const;
  /** Tombstones keep a durable delete's older copies from returning at cold start. */
  readonly supportsTombstones = true;
  private readonly cfg: ResolvedDeviceOptions;
  /** The dynamic parameters, read live (never copied): see DeviceTunables. */
  readonly tunables: DeviceTunables;
  private readonly files: DeviceFile[] = [];
  private readonly io: DeviceIo;
  private readonly clock: Clock;
  private readonly logFn: (line: string) => void;
  private readonly wbs: number;
  private readonly pool: BufferPool;
  private readonly pwc: PostWriteCache;
  private readonly rates: RateMeter;
  private setNameOf: ((setId: number) => string) | undefined;
  private setIdOf: ((name: string) => number) | undefined;
  private readonly setNames = new Map<number, Buffer | undefined>();
  private index: PrimaryIndex | undefined;
  /** sealed swbs that still have bytes to write, oldest first */
  private writeQ: Swb[] = [];
  /** emptied blocks waiting for the copies that replaced them to be durable (file, block, tag) */
  private pending: number[] = [];
  private pendingHead = 0;
  private nextSeq = 1;
  /** counts appends to any swb; a pending block's tag is its value when the block was emptied */
  private appendCounter = 0;
  private started = false;
  private closed = false;
  private defragCursor = 0;
  private scratch: Buffer | undefined;
  private warnedNoSetNames = false;

  // statistics
  private clientBytes = 0;
  private clientRecords = 0;
  private defragMoved = 0;
  private liveTombstones = 0;
  private cacheReads = 0;
  private deviceReads = 0;
  private corruptReads = 0;

  // background work
  private flushTimer: ReturnType<typeof setInterval> | undefined;
  private defragTimer: Timer | undefined;
  private defragImmediate: Immediate | undefined;
  private drainImmediate: Immediate | undefined;

  constructor(options: DeviceStorageOptions) {
    this.cfg = resolveOptions(options);
    this.tunables = tunablesOf(options);
    this.io = options.io ?? nodeIo;
    this.clock = options.clock;
    this.logFn = options.log ?? (() => {});
    this.wbs = this.cfg.writeBlockSizeBytes;
    this.setNameOf = options.setNameOf;
    this.setIdOf = options.setIdOf;
    this.pool = new BufferPool(this.wbs, 4 + 2 * options.files.length);
    this.pwc = new PostWriteCache(this.tunables.postWriteCacheBytes);
    this.rates = new RateMeter(this.clock.nowMs());
    try {
      options.files.forEach((spec, i) => this.openFile(spec.path, spec.sizeBytes, i, options.files.length));
    } catch (e) {
      for (const f of this.files) this.io.close(f.fd);
      throw e;
    }
  }

  private openFile(path: string, sizeBytes: number, i: number, count: number): void {
    const fd = this.io.open(path, sizeBytes);
    let f: DeviceFile;
    try {
      f = new DeviceFile(i, path, fd, sizeBytes, this.wbs);
      const hb = Buffer.alloc(FILE_HDR);
      this.io.pread(fd, hb, 0, FILE_HDR, 0);
      const h = decodeFileHeader(hb);
      if (h && !this.cfg.coldStartEmpty) {
        // refusing beats silently ignoring every block (their headers would not match)
        if (h.writeBlockSize !== this.wbs) {
          throw new Error(`device ${path} was written with write-block-size ${h.writeBlockSize}, configured ${this.wbs}; use cold-start-empty or a new file`);
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
      this.io.close(fd);
      throw e;
    }
    this.files.push(f);
  }

  // ---- life cycle ---------------------------------------------------------------------------

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
    if (this.started) throw new Error('device storage: load() must come before any write');
    this.index = index;
    if (this.cfg.coldStartEmpty) {
      this.startEmpty();
      this.log(`cold-start-empty: ignoring the contents of ${this.files.length} device file(s)`);
      return { records: 0, tombstones: 0, expired: 0, skippedCorrupt: 0, blocksInUse: 0, durationMs: 0 };
    }
    for (const f of this.files) {
      if (!f.hadHeader) {
        f.epoch = 1;
        this.writeFileHeader(f);
      }
    }
    const r = await coldLoad(index, {
      files: this.files,
      io: this.io,
      writeBlockSize: this.wbs,
      nowCl: citrusleafSec(this.clock.nowMs()),
      setIdOf: setIdOf ?? this.setIdOf,
      onRecord,
      log: (line) => this.log(line),
      conflictResolution: this.cfg.conflictResolution,
    });
    const lwm = this.lwmBytes();
    for (const f of this.files) {
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
    this.nextSeq = (r.maxSeq + 1) >>> 0 || 1;
    this.liveTombstones = r.tombstones;
    this.started = true;
    this.checkInvariants();
    this.startTimers();
    this.kickDefrag();
    const result: LoadResult = {
      records: r.records,
      tombstones: r.tombstones,
      expired: r.expired,
      skippedCorrupt: r.skippedCorrupt,
      blocksInUse: r.blocksInUse,
      durationMs: r.durationMs,
    };
    this.log(
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
    this.setNameOf = nameOf;
    this.setIdOf = idOf;
    this.setNames.clear();
  }

  /** Binds the index the background defragmenter consults (done by put/load as well). */
  attach(index: PrimaryIndex): void {
    this.index = index;
  }

  /**
   * Start without loading: every block is free and the epoch moves on, so blocks written before
   * can never be loaded again (cold-start-empty, truncation, or a first write without load()).
   */
  private startEmpty(): void {
    for (const f of this.files) {
      if (f.hadHeader) this.log(`device ${f.path}: starting empty; what it held before will not be loaded again`);
      f.epoch = (f.epoch + 1) >>> 0 || 1;
      this.writeFileHeader(f);
      f.resetAllFree();
    }
    this.started = true;
    this.startTimers();
  }

  private writeFileHeader(f: DeviceFile): void {
    const h = encodeFileHeader({
      version: FORMAT_VERSION,
      writeBlockSize: this.wbs,
      fileIndex: f.fileIndex,
      fileCount: this.files.length,
      epoch: f.epoch,
      sizeBytes: f.sizeBytes,
    });
    this.io.pwrite(f.fd, h, 0, h.length, 0);
    this.io.fsync(f.fd);
    f.hadHeader = true;
  }

  private ensureStarted(index: PrimaryIndex): void {
    if (this.closed) throw new DeviceError(ResultCode.UNKNOWN, 'device storage is closed');
    this.index = index;
    if (!this.started) this.startEmpty();
  }

  /**
   * Writes every buffered byte to the files, drains the write queue, fdatasyncs and releases
   * reclaimed blocks. Throws when the I/O layer fails.
   */
  flush(): void {
    if (!this.started) return;
    for (const f of this.files) {
      if (f.clientSwb) this.flushSwb(f.clientSwb);
      if (f.defragSwb) this.flushSwb(f.defragSwb);
    }
    if (!this.drainWriteQ()) throw new DeviceError(ResultCode.UNKNOWN, 'device write failed; see log');
    this.syncAll(true);
    this.tryReleasePending();
    this.checkInvariants();
  }

  /** Flushes and closes the files; the engine cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stopTimers();
    try {
      if (this.started) this.flush();
    } finally {
      this.closed = true;
      for (const f of this.files) this.io.close(f.fd);
      this.pwc.clear();
    }
  }

  /**
   * Drops everything: all blocks become free and the epoch moves on, so nothing written before
   * comes back at the next cold start. The caller clears the index.
   */
  clear(): void {
    if (this.closed) return;
    this.writeQ = [];
    this.pending = [];
    this.pendingHead = 0;
    this.pwc.clear();
    this.liveTombstones = 0;
    this.startEmpty();
  }

  // ---- writes -------------------------------------------------------------------------------

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
    this.writeCopy(index, id, meta, data);
    if (flags & EntryFlag.TOMBSTONE) {
      index.setFlags(id, flags & ~EntryFlag.TOMBSTONE & 0xff);
      this.liveTombstones--;
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
    this.writeCopy(index, id, meta, undefined);
    index.setFlags(id, ((flags & ~EntryFlag.HAS_KEY) | EntryFlag.TOMBSTONE) & 0xff);
    if (!(flags & EntryFlag.TOMBSTONE)) this.liveTombstones++;
  }

  /** Expunge: the copy's bytes stop counting as live; the caller removes the entry. */
  free(index: PrimaryIndex, id: number): void {
    if (index.locator(id) === 0) {
      index.setStoredSize(id, 0);
      return;
    }
    if (index.flags(id) & EntryFlag.TOMBSTONE) this.liveTombstones--;
    this.releaseCopy(index, id);
    index.setLocator(id, 0);
    index.setLocator2(id, 0);
    index.setLocator3(id, 0);
    index.setStoredSize(id, 0);
  }

  private writeCopy(index: PrimaryIndex, id: number, meta: RecordMeta, data: Buffer | undefined): void {
    const name = this.setNameBytes(index.setId(id));
    const nameLen = name ? name.length : 0;
    const dataLen = data ? data.length : 0;
    const size = deviceRecordSize(nameLen, dataLen);
    if (size > this.wbs - BLOCK_HDR) {
      throw new DeviceError(ResultCode.RECORD_TOO_BIG, `record of ${dataLen} bytes does not fit a ${this.wbs}-byte write block`);
    }
    this.admitWrite();
    const digest = index.digestView(id);
    const f = this.files[digest.readUInt32LE(8) % this.files.length]!;
    const s = this.swbWithRoom(f, SwbKind.CLIENT, size)!;
    const off = s.pos;
    writeDeviceRecord(s.buf, off, s.stamp, digest, 0, meta, name, data);
    s.pos = off + size;
    this.markDirty(s);
    if (this.cfg.commitToDevice) this.commit(f, s, off, size);

    // the new copy is live first, so an old copy in the same block never takes it below zero
    f.addUsed(s.block, size);
    this.releaseCopy(index, id);
    index.setLocator(id, s.block);
    index.setLocator2(id, off);
    index.setLocator3(id, f.fileIndex | (nameLen << 8));
    index.setStoredSize(id, dataLen);
    this.clientBytes += size;
    this.clientRecords++;
    if (!this.cfg.commitToDevice && this.clock.nowMs() - s.dirtySinceMs >= this.tunables.flushMaxMs) {
      // under steady load the timer may lag; bound the flush window here too
      this.flushQuietly(s);
    }
  }

  /**
   * commit-to-device: the record's page(s) are written and fdatasync'd before the write is
   * acknowledged. On failure the record is taken out of the swb (and, best effort, off the
   * device) and the write fails: the client was not told it succeeded, so either outcome after a
   * crash is allowed.
   */
  private commit(f: DeviceFile, s: Swb, off: number, size: number): void {
    try {
      this.flushSwb(s);
      this.io.fsync(f.fd);
      f.unsynced = false;
    } catch (e) {
      s.buf.fill(0, off, off + size);
      s.pos = off;
      if (s.flushedPos > off) s.flushedPos = off;
      if (s.flushedPos >= s.pos) s.firstDirtyAppend = Infinity;
      try {
        const start = alignDown(off, IO_ALIGN);
        const end = Math.min(alignUp(off + size, IO_ALIGN), this.wbs);
        this.io.pwrite(f.fd, s.buf, start, end - start, f.blockOffset(s.block) + start);
      } catch {
        // the device is failing; the loader's checksums cope with whatever is there
      }
      this.log(`commit-to-device write failed on ${f.path}: ${(e as Error).message}`);
      throw new DeviceError(ResultCode.UNKNOWN, `device write failed: ${(e as Error).message}`);
    }
  }

  /** Takes the old copy of entry `id` (if any) off its block's live bytes. */
  private releaseCopy(index: PrimaryIndex, id: number): void {
    const block = index.locator(id);
    if (block === 0) return;
    const loc3 = index.locator3(id);
    const f = this.files[loc3 & 0xff]!;
    f.addUsed(block, -deviceRecordSize((loc3 >>> 8) & 0xff, index.storedSize(id)));
    this.afterUsedDrop(f, block);
  }

  /** A block lost live bytes: free it when empty, queue it for defrag when below the lwm. */
  private afterUsedDrop(f: DeviceFile, b: number): void {
    if (f.state[b] !== BlockState.FULL) return; // swbs are judged when sealed; queued ones by defrag
    if (f.used[b] === 0) {
      const cached = this.pwc.remove(f.fileIndex, b);
      if (cached) this.pool.give(cached);
      f.directFrees++;
      this.pendingFree(f, b);
    } else if (f.used[b]! < this.lwmBytes() && !this.pwc.has(f.fileIndex, b)) {
      this.enqueueDefrag(f, b);
    }
  }

  private enqueueDefrag(f: DeviceFile, b: number): void {
    f.stuck.delete(b);
    f.state[b] = BlockState.QUEUED;
    f.defragQ.push(b);
    this.kickDefrag();
  }

  private lwmBytes(): number {
    return Math.floor((this.wbs * this.tunables.defragLwmPct) / 100);
  }

  private setNameBytes(setId: number): Buffer | undefined {
    if (setId === 0) return undefined;
    if (this.setNames.has(setId)) return this.setNames.get(setId);
    let b: Buffer | undefined;
    if (this.setNameOf) {
      const name = this.setNameOf(setId);
      if (name.length > 0) b = Buffer.from(name, 'utf8').subarray(0, 255);
    } else if (!this.warnedNoSetNames) {
      this.warnedNoSetNames = true;
      this.log('no setNameOf given: records are written without their set name (a cold start loads them without a set)');
    }
    this.setNames.set(setId, b);
    return b;
  }

  /** Back-pressure: too many full blocks waiting for their write means the device is behind. */
  private admitWrite(): void {
    if (this.writeQ.length * this.wbs <= this.tunables.maxWriteCacheBytes) return;
    this.drainWriteQ();
    if (this.writeQ.length * this.wbs > this.tunables.maxWriteCacheBytes) {
      throw new DeviceError(ResultCode.DEVICE_OVERLOAD, `write queue exceeds max-write-cache (${this.tunables.maxWriteCacheBytes} bytes)`);
    }
  }

  // ---- swbs ---------------------------------------------------------------------------------

  /**
   * The file's client or defrag swb with room for `size` bytes, opening a new block when needed.
   * Client writes may not take the last few free blocks (the defragmenter needs them to make
   * progress): they get OUT_OF_SPACE instead. For defrag, undefined when no block is free.
   */
  private swbWithRoom(f: DeviceFile, kind: number, size: number): Swb | undefined {
    const cur = kind === SwbKind.CLIENT ? f.clientSwb : f.defragSwb;
    if (cur && cur.room() >= size) return cur;
    if (kind === SwbKind.CLIENT) this.assistDefrag(f);
    const b = this.takeFreeBlock(f, kind === SwbKind.CLIENT);
    if (b < 0) return undefined;
    if (cur) this.seal(cur);
    const s = this.openSwb(f, b, kind);
    if (kind === SwbKind.CLIENT) f.clientSwb = s;
    else f.defragSwb = s;
    return s;
  }

  /** Free blocks kept back from client writes for the defragmenter. */
  private reserveBlocks(f: DeviceFile): number {
    return Math.min(Math.max(2, Math.ceil(f.usableBlocks / 100)), Math.floor(f.usableBlocks / 4));
  }

  private takeFreeBlock(f: DeviceFile, client: boolean): number {
    const reserve = client ? this.reserveBlocks(f) : 0;
    this.shedPostWriteCache(f);
    if (f.free.length <= reserve) this.reclaimNow();
    if (client && f.free.length <= reserve) {
      // last resort before OUT_OF_SPACE: the defragmenter may have blocks to give back right now
      for (let k = 0; f.free.length <= reserve && k < f.usableBlocks && f.defragQ.length > this.tunables.defragQueueMin; k++) {
        if (!this.defragFile(f)) break;
        this.reclaimNow();
      }
    }
    if (f.free.length <= reserve) {
      if (client) throw new DeviceError(ResultCode.OUT_OF_SPACE, `device ${f.path} has no free write block`);
      return -1;
    }
    return f.free.shift();
  }

  private openSwb(f: DeviceFile, b: number, kind: number): Swb {
    if (f.used[b] !== 0 || f.state[b] !== BlockState.FREE) {
      throw new Error(`device ${f.path}: block ${b} taken from the free list is not free (state ${f.state[b]}, used ${f.used[b]})`);
    }
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) >>> 0 || 1;
    const stamp = blockStamp(f.epoch, seq, f.fileIndex, b);
    const buf = this.pool.take();
    writeBlockHeader(buf, { epoch: f.epoch, seq, stamp, file: f.fileIndex, block: b });
    f.state[b] = BlockState.SWB;
    f.seq[b] = seq;
    f.stamp[b] = stamp;
    f.fillEnd[b] = BLOCK_HDR;
    return new Swb(buf, f.fileIndex, b, seq, stamp, kind);
  }

  private markDirty(s: Swb): void {
    this.appendCounter++;
    if (s.firstDirtyAppend === Infinity) {
      s.firstDirtyAppend = this.appendCounter;
      s.dirtySinceMs = this.clock.nowMs();
    }
  }

  /** Writes the swb's unwritten bytes (whole 4 KiB pages) to its block. Throws on I/O error. */
  private flushSwb(s: Swb): void {
    if (s.flushedPos >= s.pos) return;
    const f = this.files[s.file]!;
    const unit = this.flushUnit();
    const start = alignDown(s.flushedPos, unit);
    const end = Math.min(alignUp(s.pos, unit), this.wbs);
    this.io.pwrite(f.fd, s.buf, start, end - start, f.blockOffset(s.block) + start);
    f.bytesWritten += end - start;
    f.unsynced = true;
    if (!s.sealed) f.partialWrites++;
    s.flushedPos = s.pos;
    s.firstDirtyAppend = Infinity;
    f.fillEnd[s.block] = s.pos;
  }

  /**
   * Bytes of one device write: `flush-size`, at most the write block and at least a page. As in
   * Aerospike, a flush rewrites whole flush-size pieces, so commit-to-device wants a small one.
   */
  private flushUnit(): number {
    return Math.max(IO_ALIGN, Math.min(this.tunables.flushSizeBytes, this.wbs));
  }

  private flushQuietly(s: Swb | undefined): void {
    if (!s) return;
    try {
      this.flushSwb(s);
    } catch (e) {
      this.ioError(this.files[s.file]!, 'write', e);
    }
  }

  /** No more appends: queue the last write (or finish at once when nothing is left to write). */
  private seal(s: Swb): void {
    s.sealed = true;
    const f = this.files[s.file]!;
    if (f.clientSwb === s) f.clientSwb = undefined;
    if (f.defragSwb === s) f.defragSwb = undefined;
    if (!s.dirty) {
      this.finishSwb(s);
      return;
    }
    this.writeQ.push(s);
    if (this.cfg.backgroundTimers) this.scheduleDrain();
    else this.drainWriteQ(); // deterministic mode: no background turn will come
  }

  /** The block is completely on the device. */
  private finishSwb(s: Swb): void {
    const f = this.files[s.file]!;
    const b = s.block;
    f.state[b] = BlockState.FULL;
    f.fillEnd[b] = s.pos;
    f.writes++;
    if (s.kind === SwbKind.DEFRAG) f.defragWrites++;
    if (f.used[b] === 0) {
      this.pool.give(s.buf);
      f.directFrees++;
      this.pendingFree(f, b);
      return;
    }
    if (s.kind === SwbKind.CLIENT) {
      this.pwc.add(f.fileIndex, b, s.buf, this.onPostWriteEvict, this.postWriteCacheBlocks(f));
    } else {
      // records the defragmenter moved are cold: no post-write cache (as in Aerospike), and the
      // block is judged at once (its records may have been updated while it was being filled)
      this.pool.give(s.buf);
      this.afterUsedDrop(f, b);
    }
  }

  /**
   * Blocks of file `f` the post-write cache may hold: a sixteenth of the file (cached blocks are
   * not defragmented, so a cache as large as the file would stop defragmentation altogether),
   * none when free space is short.
   */
  private postWriteCacheBlocks(f: DeviceFile): number {
    if (this.defragUrgent(f)) return 0;
    return Math.floor(f.usableBlocks / 16);
  }

  /** Evicts cached blocks of `f` beyond its share; they become defrag candidates. */
  private shedPostWriteCache(f: DeviceFile): void {
    const max = this.postWriteCacheBlocks(f);
    if (this.pwc.countOf(f.fileIndex) > max) this.pwc.trimFile(f.fileIndex, max, this.onPostWriteEvict);
  }

  /** A block left the post-write cache: from now on it is a defrag candidate like any other. */
  private readonly onPostWriteEvict = (file: number, block: number, buf: Buffer): void => {
    this.pool.give(buf);
    this.afterUsedDrop(this.files[file]!, block);
  };

  /** Writes queued blocks in order; false when the device failed (they stay queued for a retry). */
  private drainWriteQ(): boolean {
    while (this.writeQ.length > 0) {
      const s = this.writeQ[0]!;
      try {
        this.flushSwb(s);
      } catch (e) {
        this.ioError(this.files[s.file]!, 'write', e);
        return false;
      }
      this.writeQ.shift();
      this.finishSwb(s);
    }
    return true;
  }

  private ioError(f: DeviceFile, op: string, e: unknown): void {
    this.log(`device ${f.path}: ${op} failed: ${(e as Error).message}; will retry`);
  }

  /** Flushes everything buffered and releases what can be released: used when space is short. */
  private reclaimNow(): void {
    for (const f of this.files) {
      this.flushQuietly(f.clientSwb);
      this.flushQuietly(f.defragSwb);
    }
    this.drainWriteQ();
    this.tryReleasePending();
  }

  // ---- freeing blocks -------------------------------------------------------------------------

  private pendingFree(f: DeviceFile, b: number): void {
    if (f.used[b] !== 0) throw new Error(`device ${f.path}: block ${b} released with ${f.used[b]} live bytes (accounting invariant broken)`);
    f.stuck.delete(b);
    f.state[b] = BlockState.PENDING_FREE;
    this.pending.push(f.fileIndex, b, this.appendCounter);
  }

  /** Oldest append not yet on the device, over all swbs. */
  private minDirtyAppend(): number {
    let m = Infinity;
    for (const f of this.files) {
      if (f.clientSwb && f.clientSwb.firstDirtyAppend < m) m = f.clientSwb.firstDirtyAppend;
      if (f.defragSwb && f.defragSwb.firstDirtyAppend < m) m = f.defragSwb.firstDirtyAppend;
    }
    for (const s of this.writeQ) if (s.firstDirtyAppend < m) m = s.firstDirtyAppend;
    return m;
  }

  private get pendingCount(): number {
    return (this.pending.length - this.pendingHead) / 3;
  }

  /**
   * Returns emptied blocks to the free list once every append made before they were emptied is
   * on the device, after an fdatasync: the copies that replaced their records must survive a
   * power loss before the old copies are overwritten.
   */
  private tryReleasePending(): void {
    if (this.pendingCount === 0) return;
    const minDirty = this.minDirtyAppend();
    let n = 0;
    for (let i = this.pendingHead; i < this.pending.length; i += 3) {
      if (this.pending[i + 2]! >= minDirty) break;
      n++;
    }
    if (n === 0) return;
    if (!this.syncAll(false)) return;
    for (let k = 0; k < n; k++) {
      const i = this.pendingHead;
      const f = this.files[this.pending[i]!]!;
      const b = this.pending[i + 1]!;
      this.pendingHead += 3;
      if (f.used[b] !== 0 || f.state[b] !== BlockState.PENDING_FREE) {
        throw new Error(`device ${f.path}: block ${b} freed with ${f.used[b]} live bytes (state ${f.state[b]})`);
      }
      f.state[b] = BlockState.FREE;
      f.free.push(b);
    }
    if (this.pendingHead > 3 * 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
  }

  /** fdatasyncs files with unsynced writes (all when `all`); false when a sync failed. */
  private syncAll(all: boolean): boolean {
    for (const f of this.files) {
      if (!all && !f.unsynced) continue;
      try {
        this.io.fsync(f.fd);
        f.unsynced = false;
      } catch (e) {
        this.ioError(f, 'fsync', e);
        return false;
      }
    }
    return true;
  }

  // ---- reads --------------------------------------------------------------------------------

  /** The record bytes of entry `id` (a copy: safe to keep). */
  get(index: PrimaryIndex, id: number): Buffer {
    const b = index.locator(id);
    if (b === 0 || !this.started) throw new DeviceError(ResultCode.UNKNOWN, 'record has no copy on the device');
    if (index.flags(id) & EntryFlag.TOMBSTONE) throw new DeviceError(ResultCode.NOT_FOUND, 'record is a tombstone');
    const loc3 = index.locator3(id);
    const f = this.files[loc3 & 0xff];
    if (!f || b >= f.nBlocks) throw new DeviceError(ResultCode.UNKNOWN, 'index entry points outside the device');
    const nameLen = (loc3 >>> 8) & 0xff;
    const dataLen = index.storedSize(id);
    const off = index.locator2(id);
    const img = this.memoryImage(f, b);
    if (img) {
      this.cacheReads++;
      if (img.readUInt32LE(off) !== REC_MAGIC) this.corrupt(f, b, off, 'no record in the cached block');
      const start = off + REC_HDR + nameLen;
      return Buffer.from(img.subarray(start, start + dataLen));
    }
    const len = REC_HDR + nameLen + dataLen;
    const buf = Buffer.allocUnsafe(len);
    let got: number;
    try {
      got = this.io.pread(f.fd, buf, 0, len, f.blockOffset(b) + off);
    } catch (e) {
      this.corruptReads++;
      throw new DeviceError(ResultCode.UNKNOWN, `device read failed: ${(e as Error).message}`);
    }
    this.deviceReads++;
    if (got !== len) this.corrupt(f, b, off, 'short read');
    const c = checkDeviceRecord(buf, 0, len, f.stamp[b]!, true);
    if (c !== RecCheck.OK) this.corrupt(f, b, off, c === RecCheck.BAD_DATA ? 'data checksum mismatch' : 'bad record header');
    if (buf.compare(index.digestView(id), 0, 20, 8, 28) !== 0 || rec.dataLen(buf, 0) !== dataLen) {
      this.corrupt(f, b, off, 'record does not match its index entry');
    }
    return buf.subarray(REC_HDR + nameLen);
  }

  private corrupt(f: DeviceFile, b: number, off: number, why: string): never {
    this.corruptReads++;
    this.log(`device ${f.path}: block ${b} offset ${off}: ${why}`);
    throw new DeviceError(ResultCode.UNKNOWN, `device record unreadable (${why})`);
  }

  /** The in-memory image of a block when it has one (open swb, write queue, post-write cache). */
  private memoryImage(f: DeviceFile, b: number): Buffer | undefined {
    if (f.state[b] === BlockState.SWB) {
      if (f.clientSwb?.block === b) return f.clientSwb.buf;
      if (f.defragSwb?.block === b) return f.defragSwb.buf;
      for (const s of this.writeQ) if (s.file === f.fileIndex && s.block === b) return s.buf;
      return undefined;
    }
    return this.pwc.get(f.fileIndex, b);
  }

  // ---- defragmentation ------------------------------------------------------------------------

  private readonly defragHost: DefragHost = {
    readBlockImage: (f, b) => {
      const cached = this.pwc.get(f.fileIndex, b);
      if (cached) return cached;
      const len = f.fillEnd[b]!;
      this.scratch ??= Buffer.allocUnsafe(this.wbs);
      const got = this.io.pread(f.fd, this.scratch, 0, len, f.blockOffset(b));
      if (got < len) this.scratch.fill(0, got, len);
      return this.scratch.subarray(0, len);
    },
    currentEntryAt: (img, dOff, f, b, off) => {
      const index = this.index!;
      const id = index.find(img, dOff);
      if (id < 0) return -1;
      // only the current version moves: same file, block and offset as the index says
      if (index.locator(id) !== b || index.locator2(id) !== off || (index.locator3(id) & 0xff) !== f.fileIndex) return -1;
      return id;
    },
    relocate: (id, f, fromBlock, img, off, size) => {
      const s = this.swbWithRoom(f, SwbKind.DEFRAG, size);
      if (!s) return false;
      const at = s.pos;
      img.copy(s.buf, at, off, off + size);
      restampRecord(s.buf, at, s.stamp);
      s.pos = at + size;
      this.markDirty(s);
      f.addUsed(s.block, size);
      f.addUsed(fromBlock, -size);
      this.index!.setLocator(id, s.block);
      this.index!.setLocator2(id, at);
      this.defragMoved++;
      return true;
    },
  };

  /**
   * Defragments one queued block (round robin over the files, only while a file's queue is
   * longer than defrag-queue-min). Returns true when it did some work. The timers call this; tests
   * and the bench may call it directly.
   */
  defragStep(): boolean {
    if (!this.started || this.closed || !this.index) return false;
    const n = this.files.length;
    for (let k = 0; k < n; k++) {
      const f = this.files[(this.defragCursor + k) % n]!;
      if (f.defragQ.length <= this.tunables.defragQueueMin) continue;
      this.defragCursor = (f.fileIndex + 1) % n;
      return this.defragFile(f);
    }
    return false;
  }

  /** Defragments the block at the head of `f`'s queue; false when stalled (no block to move to). */
  private defragFile(f: DeviceFile): boolean {
    if (!this.started || this.closed || !this.index || f.defragQ.length === 0) return false;
    const b = f.defragQ.shift();
    if (f.state[b] !== BlockState.QUEUED) throw new Error(`device ${f.path}: block ${b} on the defrag queue in state ${f.state[b]}`);
    if (f.used[b] === 0) {
      f.directFrees++;
      this.pendingFree(f, b);
    } else {
      f.defragReads++;
      let stalled = false;
      try {
        const out = defragBlock(this.defragHost, f, b);
        stalled = out.stalled;
        if (out.damaged > 0) this.log(`device ${f.path}: defrag of block ${b} met ${out.damaged} damaged record header(s)`);
      } catch (e) {
        this.ioError(f, `defrag read of block ${b}`, e);
        // not re-queued at once (a failing device would make the defragmenter spin); it is
        // queued again when it next loses live bytes
        f.state[b] = BlockState.FULL;
        f.stuck.add(b);
        return true;
      }
      if (stalled) {
        f.defragQ.unshift(b);
        return false;
      }
      if (f.used[b] === 0) this.pendingFree(f, b);
      else {
        // a live record whose header is damaged cannot be found by scanning; the block stays
        this.log(`device ${f.path}: block ${b} keeps ${f.used[b]} live bytes after defrag (damaged records)`);
        f.state[b] = BlockState.FULL;
        f.stuck.add(b);
      }
    }
    // space is short: do not wait for the defrag swb to fill before handing blocks back
    if (this.freeIsLow(f)) this.reclaimNow();
    return true;
  }

  /**
   * Client writes help the defragmenter when `f` runs short of free blocks: each new client block
   * first pays for up to two defragmented ones (a queued block is under defrag-lwm-pct full, so
   * two of them give back at least one block). Aerospike's defrag thread runs beside the writers;
   * here everything shares one thread, and a burst of writes within one event-loop turn would
   * otherwise use up the free blocks before the background defragmenter gets a turn.
   */
  private assistDefrag(f: DeviceFile): void {
    if (!this.started || !this.index || !this.defragUrgent(f)) return;
    for (let k = 0; k < 2 && f.defragQ.length > this.tunables.defragQueueMin; k++) {
      if (!this.defragFile(f)) break;
    }
  }

  /** Free space of `f` is short enough that defragmentation must not wait for its timer. */
  private defragUrgent(f: DeviceFile): boolean {
    if (this.freeIsLow(f)) return true;
    const sw = this.tunables.stopWritesAvailPct;
    return f.free.length * 100 < Math.max(2 * sw, sw + 10) * f.usableBlocks;
  }

  /** Runs defrag steps until the queues are down to defrag-queue-min or `maxBlocks` are done. */
  defragAll(maxBlocks = Infinity): number {
    let n = 0;
    while (n < maxBlocks && this.defragStep()) n++;
    return n;
  }

  private freeIsLow(f: DeviceFile): boolean {
    const availPct = (f.free.length * 100) / f.usableBlocks;
    return f.free.length <= 2 * this.reserveBlocks(f) || availPct <= this.tunables.stopWritesAvailPct + 1;
  }

  private anyDefragWork(): boolean {
    return this.files.some((f) => f.defragQ.length > this.tunables.defragQueueMin);
  }

  private anyDefragUrgent(): boolean {
    return this.files.some((f) => f.defragQ.length > this.tunables.defragQueueMin && this.defragUrgent(f));
  }

  // ---- background timers ---------------------------------------------------------------------

  /**
   * Periodic housekeeping: flushes swbs holding data older than flush-max-ms, drains the write
   * queue, releases reclaimed blocks and wakes the defragmenter. Timers call it; tests may too.
   */
  tick(): void {
    if (!this.started || this.closed) return;
    const now = this.clock.nowMs();
    for (const f of this.files) {
      for (const s of [f.clientSwb, f.defragSwb]) {
        if (s && s.dirty && now - s.dirtySinceMs >= this.tunables.flushMaxMs) this.flushQuietly(s);
      }
    }
    this.drainWriteQ();
    this.tryReleasePending();
    this.kickDefrag();
  }

  private startTimers(): void {
    if (!this.cfg.backgroundTimers || this.closed) return;
    if (this.flushTimer) clearInterval(this.flushTimer);
    const every = Math.max(5, Math.min(250, this.tunables.flushMaxMs / 4));
    this.flushTimer = setInterval(() => this.tick(), every);
    this.flushTimer.unref();
  }

  private stopTimers(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.defragTimer) clearTimeout(this.defragTimer);
    if (this.defragImmediate) clearImmediate(this.defragImmediate);
    if (this.drainImmediate) clearImmediate(this.drainImmediate);
    this.flushTimer = this.defragTimer = undefined;
    this.defragImmediate = this.drainImmediate = undefined;
  }

  private scheduleDrain(): void {
    if (this.drainImmediate || this.closed) return;
    this.drainImmediate = setImmediate(() => {
      this.drainImmediate = undefined;
      this.drainWriteQ();
      this.tryReleasePending();
    });
    this.drainImmediate.unref();
  }

  /** Wakes the defragmenter if it is idle and there is work. */
  private kickDefrag(): void {
    if (!this.cfg.backgroundTimers || !this.started || this.closed) return;
    if (this.defragTimer || this.defragImmediate) return;
    if (!this.anyDefragWork()) return;
    this.scheduleDefrag(this.tunables.defragSleepUs / 1000);
  }

  private scheduleDefrag(delayMs: number): void {
    const run = (): void => {
      this.defragTimer = undefined;
      this.defragImmediate = undefined;
      if (this.closed) return;
      const t0 = performance.now();
      let did = this.defragStep();
      // With defrag-sleep under a millisecond (0: no pause at all) or free space running short,
      // one block per event-loop turn is not enough: a turn may carry many blocks' worth of
      // client writes. Keep going for a few milliseconds, then give the clients their turn.
      while (did && this.anyDefragWork() && (this.tunables.defragSleepUs < 1000 || this.anyDefragUrgent()) && performance.now() - t0 < DEFRAG_TURN_MS) {
        did = this.defragStep();
      }
      if (!this.anyDefragWork()) return;
      // stalled (no free block for the moved records): back off instead of spinning
      this.scheduleDefrag(did ? (this.anyDefragUrgent() ? 0 : this.tunables.defragSleepUs / 1000) : 100);
    };
    if (delayMs < 1) {
      this.defragImmediate = setImmediate(run);
      this.defragImmediate.unref();
    } else {
      this.defragTimer = setTimeout(run, delayMs);
      this.defragTimer.unref();
    }
  }

  // ---- invariants -----------------------------------------------------------------------------

  /**
   * Checks the block accounting and throws when it is broken: per file, the per-block live bytes
   * are within 0..write-block-size and sum to the file's used bytes; free and pending blocks hold
   * nothing; the free list, defrag queue, pending list, swbs and post-write cache agree with the
   * block states; and every block on the device that is under defrag-lwm-pct is queued for
   * defragmentation (unless the post-write cache holds it, or a defrag pass could not empty it).
   * O(blocks): flush() and load() run it; tests call it whenever they like.
   */
  checkInvariants(): void {
    if (!this.started || this.closed) return;
    const lwm = this.lwmBytes();
    // where each block is listed: free list, defrag queue, pending list, an swb
    const IN_FREE = 1;
    const IN_Q = 2;
    const IN_PENDING = 4;
    const IN_SWB = 8;
    const marks = this.files.map((f) => new Uint8Array(f.nBlocks));
    const mark = (fi: number, b: number, bit: number, what: string): void => {
      const f = this.files[fi];
      if (!f || b <= 0 || b >= f.nBlocks) throw new Error(`block ${b} of file ${fi} on the ${what} does not exist (accounting invariant broken)`);
      const m = marks[fi]!;
      if (m[b]! & bit) this.broken(f, `block ${b} is on the ${what} twice`);
      m[b]! |= bit;
    };
    for (const f of this.files) {
      f.free.forEach((b) => mark(f.fileIndex, b, IN_FREE, 'free list'));
      f.defragQ.forEach((b) => mark(f.fileIndex, b, IN_Q, 'defrag queue'));
      for (const s of [f.clientSwb, f.defragSwb]) if (s) mark(s.file, s.block, IN_SWB, 'open swbs');
    }
    for (const s of this.writeQ) mark(s.file, s.block, IN_SWB, 'swbs');
    for (let i = this.pendingHead; i < this.pending.length; i += 3) mark(this.pending[i]!, this.pending[i + 1]!, IN_PENDING, 'pending list');
    for (const f of this.files) {
      if (f.used[0] !== 0 || f.state[0] !== BlockState.HEADER) this.broken(f, 'block 0 is not the header');
      const sum = f.sumUsed();
      if (sum !== f.usedBytes) this.broken(f, `block live bytes sum to ${sum}, used bytes say ${f.usedBytes}`);
      const m = marks[f.fileIndex]!;
      for (let b = 1; b < f.nBlocks; b++) {
        const used = f.used[b]!;
        const st = f.state[b]!;
        if (used < 0 || used > this.wbs) this.broken(f, `block ${b} has ${used} live bytes`);
        const want =
          st === BlockState.FREE ? IN_FREE : st === BlockState.QUEUED ? IN_Q : st === BlockState.PENDING_FREE ? IN_PENDING : st === BlockState.SWB ? IN_SWB : 0;
        if (m[b] !== want) this.broken(f, `block ${b} in state ${st} is listed as ${m[b]} (free 1, defrag queue 2, pending 4, swb 8)`);
        switch (st) {
          case BlockState.FREE:
          case BlockState.PENDING_FREE:
            if (used !== 0) this.broken(f, `block ${b} in state ${st} has ${used} live bytes`);
            break;
          case BlockState.FULL:
            if (used === 0) this.broken(f, `block ${b} is on the device with no live bytes and was not freed`);
            if (used < lwm && !f.stuck.has(b) && !this.pwc.has(f.fileIndex, b)) {
              this.broken(f, `block ${b} has ${used} live bytes (< lwm ${lwm}) and is not queued for defrag`);
            }
            break;
          case BlockState.SWB:
          case BlockState.QUEUED:
            break;
          default:
            this.broken(f, `block ${b} in unknown state ${st}`);
        }
      }
    }
    this.pwc.forEachBlock((fi, b) => {
      const f = this.files[fi];
      if (!f || b <= 0 || b >= f.nBlocks) throw new Error(`post-write cache holds block ${b} of file ${fi}, which does not exist (accounting invariant broken)`);
      if (f.state[b] !== BlockState.FULL) this.broken(f, `block ${b} in state ${f.state[b]} is in the post-write cache`);
    });
  }

  private broken(f: DeviceFile, what: string): never {
    throw new Error(`device ${f.path}: ${what} (accounting invariant broken)`);
  }

  /**
   * Recomputes every block's live bytes from the index (each entry's copy: locator = block,
   * locator3 = file | set-name length << 8, storedSize = data length) and throws when they differ
   * from the engine's. O(records + blocks); for tests and diagnostics.
   */
  verifyAgainstIndex(index: PrimaryIndex): void {
    this.checkInvariants();
    const expect = this.files.map((f) => new Float64Array(f.nBlocks));
    for (let p = 0; p < N_PARTITIONS; p++) {
      if (index.partitionSize(p) === 0) continue;
      index.forEachInPartition(p, (id) => {
        const b = index.locator(id);
        if (b === 0) return;
        const loc3 = index.locator3(id);
        const e = expect[loc3 & 0xff];
        if (!e || b >= e.length) throw new Error(`index entry ${id} points outside the device (file ${loc3 & 0xff}, block ${b})`);
        e[b]! += deviceRecordSize((loc3 >>> 8) & 0xff, index.storedSize(id));
      });
    }
    this.files.forEach((f, i) => {
      for (let b = 1; b < f.nBlocks; b++) {
        if (expect[i]![b] !== f.used[b]) this.broken(f, `block ${b} counts ${f.used[b]} live bytes, the index ${expect[i]![b]}`);
      }
    });
  }

  // ---- operator view --------------------------------------------------------------------------

  stats(): StorageStats {
    let used = 0;
    for (const f of this.files) used += f.usedBytes;
    return { usedBytes: used, totalBytes: this.totalBytes() };
  }

  private totalBytes(): number {
    let t = 0;
    for (const f of this.files) t += f.usableBlocks * this.wbs;
    return t;
  }

  /**
   * Available percent: free write blocks as a percent of the blocks, the minimum over the files.
   * This is contiguous space ready for streaming writes, not free bytes: blocks that are partly
   * empty count as used until the defragmenter empties them.
   */
  availablePct(): number {
    let m = 100;
    for (const f of this.files) m = Math.min(m, Math.floor((f.free.length * 100) / f.usableBlocks));
    return m;
  }

  private snapshot(f: DeviceFile): FileSnapshot {
    let wq = 0;
    for (const s of this.writeQ) if (s.file === f.fileIndex) wq++;
    return {
      path: f.path,
      usedBytes: f.usedBytes,
      freeBlocks: f.free.length,
      usableBlocks: f.usableBlocks,
      writeBlockSize: this.wbs,
      writeQ: wq,
      writes: f.writes,
      partialWrites: f.partialWrites,
      defragQ: f.defragQ.length,
      defragReads: f.defragReads,
      defragWrites: f.defragWrites,
      directFrees: f.directFrees,
      bytesWritten: f.bytesWritten,
      swbFree: this.pool.spareCount,
    };
  }

  /** StorageEngine.tickerLogLines: the per-device line operators know from the defragmentation document. */
  tickerLogLines(): string[] {
    return this.tickerLines('legacy');
  }

  /** StorageEngine.statistics: the device statistics below. */
  statistics(): Record<string, number> {
    return this.deviceStats();
  }

  /** Namespace statistics with Aerospike's names (see stats.ts). */
  deviceStats(): Record<string, number> {
    const st = this.stats();
    return deviceStatistics(
      {
        totalBytes: st.totalBytes,
        usedBytes: st.usedBytes,
        availablePct: this.availablePct(),
        clientBytesWritten: this.clientBytes,
        clientRecordsWritten: this.clientRecords,
        defragRecordsMoved: this.defragMoved,
        tombstones: this.liveTombstones,
        pendingFreeBlocks: this.pendingCount,
        cacheReads: this.cacheReads,
        deviceReads: this.deviceReads,
        corruptReads: this.corruptReads,
        postWriteCacheBytes: this.pwc.sizeBytes,
      },
      this.files.map((f) => this.snapshot(f)),
    );
  }

  /** Bytes written to the devices divided by bytes of records written by clients. */
  writeAmplification(): number {
    const s = this.deviceStats();
    return s['write_amplification']!;
  }

  /**
   * The periodic per-device log lines, one per file, in Aerospike 8.x wording (or the legacy
   * 3.x wording of the seed document). Rates cover the time since the previous call.
   */
  tickerLines(format: TickerFormat = '8.x'): string[] {
    const now = this.clock.nowMs();
    return this.files.map((f) => {
      const snap = this.snapshot(f);
      return tickerLine(this.cfg.namespace, snap, this.rates.sample(now, snap), format);
    });
  }

  /**
   * Why client writes must be refused now, or undefined: 'stop-writes-avail-pct' when a file's
   * available percent is below stop-writes-avail-pct (min-avail-pct), 'stop-writes-used-pct' when
   * used bytes exceed stop-writes-used-pct (max-used-pct) of the total. Deletes stay allowed;
   * writes resume once defragmentation has freed blocks. Hands back reclaimed blocks first, so
   * the answer reflects space the defragmenter has already recovered.
   */
  stopWritesReason(): string | undefined {
    if (!this.started) return undefined;
    if (this.pendingCount > 0) this.tryReleasePending();
    if (this.availablePct() < this.tunables.stopWritesAvailPct) return 'stop-writes-avail-pct';
    const st = this.stats();
    if (this.tunables.stopWritesUsedPct > 0 && st.usedBytes * 100 > this.tunables.stopWritesUsedPct * st.totalBytes) return 'stop-writes-used-pct';
    return undefined;
  }

  /**
   * After load(): an error line when the contiguous free space (available percent) is below
   * defrag-startup-minimum, in which case the node must not open its service port.
   */
  startupCheck(): string | undefined {
    for (const f of this.files) {
      const pct = Math.floor((f.free.length * 100) / f.usableBlocks);
      if (pct < this.cfg.defragStartupMinimumPct) {
        return `{${this.cfg.namespace}} ${f.path}: available ${pct}% (contiguous free ${f.free.length} wblocks) is below defrag-startup-minimum ${this.cfg.defragStartupMinimumPct}% - not starting`;
      }
    }
    return undefined;
  }

  // ---- dynamic configuration ------------------------------------------------------------------

  /** The static options in force (the dynamic ones are `tunables`). */
  get config(): Readonly<ResolvedDeviceOptions> {
    return this.cfg;
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
        this.requeueBelowLwm();
        break;
      case 'defrag-queue-min':
        this.kickDefrag();
        break;
      case 'flush-max-ms':
        if (this.started) this.startTimers();
        break;
      case 'post-write-cache':
        this.pwc.limitBytes = this.tunables.postWriteCacheBytes;
        this.pwc.trim(this.onPostWriteEvict);
        break;
    }
  }

  private requeueBelowLwm(): void {
    if (!this.started) return;
    const lwm = this.lwmBytes();
    for (const f of this.files) {
      for (let b = 1; b < f.nBlocks; b++) {
        if (f.state[b] === BlockState.FULL && f.used[b]! < lwm && !this.pwc.has(f.fileIndex, b)) this.afterUsedDrop(f, b);
      }
    }
  }

  private log(line: string): void {
    this.logFn(`{${this.cfg.namespace}} ${line}`);
  }
}
