/**
 * Streaming write buffers (swb): the in-memory image of the write block currently being filled,
 * plus the two caches of block images the engine keeps: the pool of spare buffers and the
 * post-write cache of recently flushed blocks (reads of fresh data are served from it).
 */
import { BLOCK_HDR } from './format.js';

/** Which stream an swb belongs to. */
export const SwbKind = {
  /** client writes (puts, tombstones) */
  CLIENT: 0,
  /** records moved by the defragmenter; kept apart, as Aerospike does, so cold (surviving) data
   *  is packed together instead of being mixed back into blocks of hot data */
  DEFRAG: 1,
} as const;

/** A streaming write buffer: the image of one write block being filled. */
export class Swb {
  /** next free byte in the block */
  pos = BLOCK_HDR;
  /** bytes [0, flushedPos) have been written to the device */
  flushedPos = 0;
  /** engine-wide append counter of the oldest append not yet on the device (Infinity = clean) */
  firstDirtyAppend = Infinity;
  /** clock time of the oldest append not yet on the device (for flush-max-ms) */
  dirtySinceMs = 0;
  /** full: no more appends; waiting in the write queue for its last flush */
  sealed = false;

  constructor(
    readonly buf: Buffer,
    readonly file: number,
    readonly block: number,
    readonly seq: number,
    readonly stamp: number,
    readonly kind: number,
  ) {}

  get dirty(): boolean {
    return this.flushedPos < this.pos;
  }

  room(): number {
    return this.buf.length - this.pos;
  }
}

/** Spare block-sized buffers, so a busy engine does not allocate (and GC) a buffer per block. */
export class BufferPool {
  private spare: Buffer[] = [];
  constructor(
    private readonly size: number,
    private readonly keep: number,
  ) {}

  /** A zero-filled buffer: the tail of a partly written block must read as "no more records". */
  take(): Buffer {
    const b = this.spare.pop();
    if (b) {
      b.fill(0);
      return b;
    }
    return Buffer.alloc(this.size);
  }

  give(b: Buffer): void {
    if (this.spare.length < this.keep) this.spare.push(b);
  }

  /** spare buffers ready for new swbs (the legacy ticker's swb-free) */
  get spareCount(): number {
    return this.spare.length;
  }
}

/**
 * Recently flushed client blocks, kept in memory up to `limitBytes` (post-write-cache) and, per
 * file, up to the block count the engine passes in (a small fraction of the file). Least recently
 * flushed goes first. Blocks in here are not defragmented (as in Aerospike): their data is hot and
 * likely to be overwritten soon, which would make defragmenting them wasted work. That is also why
 * the cache must stay small next to the file: a cache as large as the file (post-write-cache's
 * default of 256 MiB on an 8 MiB file) would keep every block away from the defragmenter forever.
 */
export class PostWriteCache {
  private readonly blocks = new Map<number, Buffer>();
  /** cached blocks per file */
  private readonly perFile = new Map<number, number>();
  private bytes = 0;
  hits = 0;

  constructor(public limitBytes: number) {}

  static key(file: number, block: number): number {
    return file * 0x1000000 + block;
  }

  get(file: number, block: number): Buffer | undefined {
    return this.blocks.get(PostWriteCache.key(file, block));
  }

  has(file: number, block: number): boolean {
    return this.blocks.has(PostWriteCache.key(file, block));
  }

  /** Blocks of `file` in the cache. */
  countOf(file: number): number {
    return this.perFile.get(file) ?? 0;
  }

  /**
   * Adds a flushed block; calls `evicted` for each block pushed out (including, when the cache
   * is disabled or `maxBlocksOfFile` is 0, this one). At most `maxBlocksOfFile` blocks of the
   * file stay.
   */
  add(
    file: number,
    block: number,
    buf: Buffer,
    evicted: (file: number, block: number, buf: Buffer) => void,
    maxBlocksOfFile = Infinity,
  ): void {
    if (this.limitBytes <= 0 || maxBlocksOfFile <= 0) {
      evicted(file, block, buf);
      return;
    }
    const k = PostWriteCache.key(file, block);
    if (this.blocks.has(k)) throw new Error(`post-write cache: block ${block} of file ${file} cached twice`);
    this.blocks.set(k, buf);
    this.perFile.set(file, this.countOf(file) + 1);
    this.bytes += buf.length;
    this.trimFile(file, maxBlocksOfFile, evicted);
    this.trim(evicted);
  }

  /** Drops a block (it was freed); returns its buffer. */
  remove(file: number, block: number): Buffer | undefined {
    const k = PostWriteCache.key(file, block);
    const b = this.blocks.get(k);
    if (b) this.forget(k, b);
    return b;
  }

  private forget(k: number, b: Buffer): void {
    this.blocks.delete(k);
    this.bytes -= b.length;
    const file = Math.floor(k / 0x1000000);
    const n = this.countOf(file) - 1;
    if (n > 0) this.perFile.set(file, n);
    else this.perFile.delete(file);
  }

  trim(evicted: (file: number, block: number, buf: Buffer) => void): void {
    while (this.bytes > this.limitBytes && this.blocks.size > 0) {
      const [k, b] = this.blocks.entries().next().value as [number, Buffer];
      this.forget(k, b);
      evicted(Math.floor(k / 0x1000000), k % 0x1000000, b);
    }
  }

  /** Evicts the oldest blocks of `file` until at most `maxBlocks` of them remain. */
  trimFile(file: number, maxBlocks: number, evicted: (file: number, block: number, buf: Buffer) => void): void {
    let excess = this.countOf(file) - Math.max(0, maxBlocks);
    if (excess <= 0) return;
    const out: [number, Buffer][] = [];
    for (const [k, b] of this.blocks) {
      if (Math.floor(k / 0x1000000) !== file) continue;
      out.push([k, b]);
      if (--excess === 0) break;
    }
    // forget them all first: the callbacks may look at the cache
    for (const [k, b] of out) this.forget(k, b);
    for (const [k, b] of out) evicted(file, k % 0x1000000, b);
  }

  /** Calls fn for each cached block, least recently flushed first. */
  forEachBlock(fn: (file: number, block: number) => void): void {
    for (const k of this.blocks.keys()) fn(Math.floor(k / 0x1000000), k % 0x1000000);
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  get count(): number {
    return this.blocks.size;
  }

  clear(): void {
    this.blocks.clear();
    this.perFile.clear();
    this.bytes = 0;
  }
}
