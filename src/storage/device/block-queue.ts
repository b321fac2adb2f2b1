/**
 * A FIFO of block ids in a fixed Uint32Array ring. The free list and the defrag queue are both
 * bounded by the number of blocks in a file (a block is in each at most once), so a ring never
 * needs to grow and costs 4 bytes per block, with no per-entry JS objects.
 */
export class BlockQueue {
  private readonly ring: Uint32Array;
  private head = 0;
  private count = 0;

  constructor(capacity: number) {
    this.ring = new Uint32Array(Math.max(1, capacity));
  }

  get length(): number {
    return this.count;
  }

  push(block: number): void {
    if (this.count === this.ring.length) throw new Error('block queue overflow: a block was queued twice');
    this.ring[(this.head + this.count) % this.ring.length] = block;
    this.count++;
  }

  /** Puts a block back at the front (a defrag step that could not finish). */
  unshift(block: number): void {
    if (this.count === this.ring.length) throw new Error('block queue overflow: a block was queued twice');
    this.head = (this.head - 1 + this.ring.length) % this.ring.length;
    this.ring[this.head] = block;
    this.count++;
  }

  /** The oldest block, or -1 when empty. */
  shift(): number {
    if (this.count === 0) return -1;
    const b = this.ring[this.head]!;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    return b;
  }

  /** Calls fn for each queued block, oldest first. */
  forEach(fn: (block: number) => void): void {
    for (let i = 0; i < this.count; i++) fn(this.ring[(this.head + i) % this.ring.length]!);
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
