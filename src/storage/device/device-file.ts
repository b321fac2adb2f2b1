/**
 * Per-file (per-"device") state: the write-block table and the queues. Everything per block is a
 * typed array, so a 2 TiB file with 1 MiB blocks costs ~30 MiB of bookkeeping and no JS objects.
 */
import { BlockQueue } from './block-queue.js';
import type { Swb } from './swb.js';

/** Life cycle of a write block. */
export const BlockState = {
  /** on the free list, ready to become a swb */
  FREE: 0,
  /** being filled (the open client/defrag swb) or sealed and waiting in the write queue */
  SWB: 1,
  /** on the device, holding live records */
  FULL: 2,
  /** on the defrag queue */
  QUEUED: 3,
  /** emptied; becomes FREE once the copies that replaced its records are durable */
  PENDING_FREE: 4,
  /** block 0: the file header */
  HEADER: 5,
} as const;

/** One device file: its descriptor, block table, free list, defrag queue, swbs and counters. */
export class DeviceFile {
  /** blocks in the file, including block 0 (the header) */
  readonly nBlocks: number;
  /** live bytes per block (device-record sizes); the defrag trigger */
  readonly used: Int32Array;
  readonly state: Uint8Array;
  /** global write-block sequence of each block's current incarnation (orders copies on load) */
  readonly seq: Uint32Array;
  /** stamp carried by the records of each block's current incarnation */
  readonly stamp: Uint32Array;
  /** end of the last record written in each block (how much a defrag read needs) */
  readonly fillEnd: Uint32Array;
  readonly free: BlockQueue;
  readonly defragQ: BlockQueue;
  /** epoch stamped into blocks written since the engine last started empty */
  epoch = 1;
  /** the header found when opening, before any reset (undefined: a new or foreign file) */
  hadHeader = false;
  clientSwb: Swb | undefined;
  defragSwb: Swb | undefined;
  /** sum of `used` */
  usedBytes = 0;
  /** a pwrite happened since the last fsync */
  unsynced = false;
  /**
   * FULL blocks a defrag pass could not empty (damaged record headers, a failed read): they may
   * sit below defrag-lwm-pct without being queued, and are queued again when they lose bytes.
   */
  readonly stuck = new Set<number>();

  // counters (Aerospike per-device statistics)
  /** write blocks completely written (client and defrag) */
  writes = 0;
  /** flushes of a partly filled block (flush-max-ms, commit-to-device, shutdown) */
  partialWrites = 0;
  defragReads = 0;
  defragWrites = 0;
  /** blocks freed without a defrag read because nothing in them was live any more */
  directFrees = 0;
  bytesWritten = 0;

  constructor(
    readonly fileIndex: number,
    readonly path: string,
    readonly fd: number,
    readonly sizeBytes: number,
    readonly writeBlockSize: number,
  ) {
    this.nBlocks = Math.floor(sizeBytes / writeBlockSize);
    if (this.nBlocks < 2) throw new Error(`device file ${path}: ${sizeBytes} bytes holds no write block of ${writeBlockSize} after the header`);
    this.used = new Int32Array(this.nBlocks);
    this.state = new Uint8Array(this.nBlocks);
    this.seq = new Uint32Array(this.nBlocks);
    this.stamp = new Uint32Array(this.nBlocks);
    this.fillEnd = new Uint32Array(this.nBlocks);
    this.free = new BlockQueue(this.nBlocks);
    this.defragQ = new BlockQueue(this.nBlocks);
    this.state[0] = BlockState.HEADER;
  }

  /** Blocks that can hold records (all but the header). */
  get usableBlocks(): number {
    return this.nBlocks - 1;
  }

  /** Byte position of a block in the file. */
  blockOffset(block: number): number {
    return block * this.writeBlockSize;
  }

  /** Adjusts a block's live bytes; a negative result means the accounting is broken. */
  addUsed(block: number, delta: number): void {
    if (block <= 0 || block >= this.nBlocks) {
      throw new Error(`device ${this.path}: live bytes moved on block ${block}, outside 1..${this.nBlocks - 1} (accounting invariant broken)`);
    }
    const v = this.used[block]! + delta;
    if (v < 0 || v > this.writeBlockSize) {
      throw new Error(`device ${this.path}: block ${block} used bytes would become ${v} (accounting invariant broken)`);
    }
    this.used[block] = v;
    this.usedBytes += delta;
    if (this.usedBytes < 0) throw new Error(`device ${this.path}: used bytes would become ${this.usedBytes} (accounting invariant broken)`);
  }

  /** Sum of the per-block live bytes, recomputed (O(blocks)); must equal `usedBytes`. */
  sumUsed(): number {
    let t = 0;
    for (let b = 1; b < this.nBlocks; b++) t += this.used[b]!;
    return t + this.used[0]!;
  }

  /** Forgets every block (start empty): all usable blocks become free, in file order. */
  resetAllFree(): void {
    this.used.fill(0);
    this.state.fill(BlockState.FREE);
    this.state[0] = BlockState.HEADER;
    this.seq.fill(0);
    this.stamp.fill(0);
    this.fillEnd.fill(0);
    this.free.clear();
    this.defragQ.clear();
    for (let b = 1; b < this.nBlocks; b++) this.free.push(b);
    this.usedBytes = 0;
    this.stuck.clear();
    this.clientSwb = undefined;
    this.defragSwb = undefined;
  }
}
