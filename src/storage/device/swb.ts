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
 * Recently flushed blocks, kept in memory up to `limitBytes` (post-write-cache). Least recently
 * flushed goes first. Blocks in here are not defragmented (as in Aerospike): their data is hot and
 * likely to be overwritten soon, which would make defragmenting them wasted work.
 */
export class PostWriteCache {
  private readonly blocks = new Map<number, Buffer>();
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

  /** Adds a flushed block; calls `evicted` for each block pushed out (including, when the cache
   *  is disabled, this one). */
  add(file: number, block: number, buf: Buffer, evicted: (file: number, block: number, buf: Buffer) => void): void {
    if (this.limitBytes <= 0) {
      evicted(file, block, buf);
      return;
    }
    this.blocks.set(PostWriteCache.key(file, block), buf);
    this.bytes += buf.length;
    this.trim(evicted);
  }

  /** Drops a block (it was freed); returns its buffer. */
  remove(file: number, block: number): Buffer | undefined {
    const k = PostWriteCache.key(file, block);
    const b = this.blocks.get(k);
    if (b) {
      this.blocks.delete(k);
      this.bytes -= b.length;
    }
    return b;
  }

  trim(evicted: (file: number, block: number, buf: Buffer) => void): void {
    while (this.bytes > this.limitBytes && this.blocks.size > 0) {
      const [k, b] = this.blocks.entries().next().value as [number, Buffer];
      this.blocks.delete(k);
      this.bytes -= b.length;
      evicted(Math.floor(k / 0x1000000), k % 0x1000000, b);
    }
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  get count(): number {
    return this.blocks.size;
  }

  clear(): void {
    this.blocks.clear();
    this.bytes = 0;
  }
}
