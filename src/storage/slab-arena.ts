/**
 * Record bytes of a memory namespace in large preallocated slabs, one slab family per size class,
 * instead of one Buffer per record: a Buffer per record costs ~100 bytes of JS object and
 * allocator header on top of its bytes (1,742 B of RSS per 1000-byte record measured before), and
 * millions of small objects slow every garbage collection. A record lives in one slot of the
 * smallest class that holds it; a slot is addressed by (slab id, byte offset).
 *
 * Size classes: multiples of 16 up to 512 bytes, then 32 classes per power of two (a slot wastes
 * at most 1/32 of its size: a 1,040-byte record takes a 1,056-byte slot). Records above
 * MAX_CLASS_BYTES get a slab of their own (exact size, rounded to 16).
 *
 * Freed slots form an intrusive list per class (the next slot's slab id and offset are written
 * into the freed slot's first 8 bytes), so free space costs no memory of its own. A freed slot
 * becomes reusable only after the current turn of the event loop: a Buffer returned by `view`
 * stays valid (its bytes unchanged) at least until the code that asked for it yields.
 *
 * Slabs of a class start at FIRST_SLAB_BYTES and double up to MAX_SLAB_BYTES, so a class used by a
 * handful of records holds little memory while a class holding millions wastes none.
 */

/** Slots are multiples of this many bytes (and hold the 8-byte free-list link). */
const GRANULE_BYTES = 16;
/** Below this size classes step by GRANULE_BYTES; above it, 32 classes per power of two. */
const LINEAR_LIMIT_BYTES = 512;
const CLASSES_PER_OCTAVE = 32;
/** Larger records get a dedicated slab each. */
export const MAX_CLASS_BYTES = 128 * 1024;
/** A class's first slab; each further slab doubles, up to MAX_SLAB_BYTES. */
const FIRST_SLAB_BYTES = 64 * 1024;
export const MAX_SLAB_BYTES = 4 * 1024 * 1024;
const NONE = 0xffff_ffff;

/** The slot size (bytes) a record of `size` bytes occupies; `size` ≥ 1. */
export function slotSizeOf(size: number): number {
  if (size <= LINEAR_LIMIT_BYTES) return Math.max(GRANULE_BYTES, (size + GRANULE_BYTES - 1) & ~(GRANULE_BYTES - 1));
  if (size > MAX_CLASS_BYTES) return (size + GRANULE_BYTES - 1) & ~(GRANULE_BYTES - 1);
  const octave = 1 << (32 - Math.clz32(size - 1)); // the power of two at or above size
  // 32 classes evenly over (octave/2, octave]
  const step = octave / (2 * CLASSES_PER_OCTAVE);
  return Math.ceil(size / step) * step;
}

interface SizeClass {
  slotBytes: number;
  /** free list head: slab id (NONE = empty) and byte offset */
  freeSlab: number;
  freeOffset: number;
  /** slab being carved by bump allocation, its next unused offset, and its size */
  bumpSlab: number;
  bumpOffset: number;
  bumpEnd: number;
  /** bytes of the next slab this class allocates */
  nextSlabBytes: number;
  /** freed this turn, not yet reusable: (slab, offset) pairs */
  pending: number[];
}

export class SlabArena {
  private slabs: (Buffer | undefined)[] = [];
  /** ids of dedicated slabs released, reused for the next dedicated slab */
  private freeSlabIds: number[] = [];
  private classes = new Map<number, SizeClass>();
  /** the class classOf answered last (cleared with the classes) */
  private lastClass: SizeClass | undefined;
  private pendingClasses = new Set<SizeClass>();
  private pendingDedicated: number[] = [];
  private releaseScheduled = false;
  /** bytes of slots holding records (slot sizes, not record sizes) */
  private liveSlotBytes = 0;
  /** bytes of all slabs held */
  private slabBytes = 0;

  /** Slot bytes in use by live records (what a record costs here, rounding included). */
  get usedBytes(): number {
    return this.liveSlotBytes;
  }

  /** Bytes of memory the slabs hold (used + free slots + not yet carved). */
  get reservedBytes(): number {
    return this.slabBytes;
  }

  /**
   * Copies `data` into a fresh slot and returns its address as [slab id, offset] through `out`
   * (out[0] = slab, out[1] = offset), so the caller stores them without an allocation.
   */
  store(data: Buffer, out: Uint32Array): void {
    const size = data.length;
    const slotBytes = slotSizeOf(size);
    let slab: number;
    let offset: number;
    if (size > MAX_CLASS_BYTES) {
      slab = this.freeSlabIds.length > 0 ? this.freeSlabIds.pop()! : this.slabs.length;
      this.slabs[slab] = Buffer.allocUnsafeSlow(slotBytes);
      this.slabBytes += slotBytes;
      offset = 0;
    } else {
      const c = this.classOf(slotBytes);
      if (c.freeSlab !== NONE) {
        slab = c.freeSlab;
        offset = c.freeOffset;
        const buf = this.slabs[slab]!;
        c.freeSlab = buf.readUInt32LE(offset);
        c.freeOffset = buf.readUInt32LE(offset + 4);
      } else {
        if (c.bumpOffset + slotBytes > c.bumpEnd) this.newSlab(c);
        slab = c.bumpSlab;
        offset = c.bumpOffset;
        c.bumpOffset += slotBytes;
      }
    }
    data.copy(this.slabs[slab]!, offset);
    this.liveSlotBytes += slotBytes;
    out[0] = slab;
    out[1] = offset;
  }

  /** The `size` bytes stored at (slab, offset): a view, valid at least until the caller yields. */
  /** Slab `slab` itself (the bytes of its slots stay valid as for {@link view}). */
  slab(slab: number): Buffer {
    return this.slabs[slab]!;
  }

  view(slab: number, offset: number, size: number): Buffer {
    return this.slabs[slab]!.subarray(offset, offset + size);
  }

  /** Reads a byte of each 64-byte line of the `size` bytes at (slab, offset) (see MemoryStorage.touch). */
  touch(slab: number, offset: number, size: number): number {
    const buf = this.slabs[slab]!;
    let acc = 0;
    for (let at = offset, end = offset + size; at < end; at += 64) acc ^= buf[at]!;
    return acc;
  }

  /** Frees the slot of a record of `size` bytes at (slab, offset); reusable after this turn. */
  release(slab: number, offset: number, size: number): void {
    const slotBytes = slotSizeOf(size);
    this.liveSlotBytes -= slotBytes;
    if (size > MAX_CLASS_BYTES) this.pendingDedicated.push(slab);
    else {
      const c = this.classOf(slotBytes);
      // a class joins the set with its first pending slot (no set operation per release)
      if (c.pending.length === 0) this.pendingClasses.add(c);
      c.pending.push(slab, offset);
    }
    if (!this.releaseScheduled) {
      this.releaseScheduled = true;
      setImmediate(() => this.releasePending());
    }
  }

  /** Drops every slab (truncation of the whole namespace). */
  clear(): void {
    this.slabs = [];
    this.freeSlabIds = [];
    this.classes.clear();
    this.lastClass = undefined;
    this.pendingClasses.clear();
    this.pendingDedicated = [];
    this.liveSlotBytes = 0;
    this.slabBytes = 0;
  }

  private releasePending(): void {
    this.releaseScheduled = false;
    for (const c of this.pendingClasses) {
      const p = c.pending;
      for (let i = 0; i < p.length; i += 2) {
        const slab = p[i]!;
        const offset = p[i + 1]!;
        const buf = this.slabs[slab];
        if (buf === undefined) continue; // cleared meanwhile
        buf.writeUInt32LE(c.freeSlab, offset);
        buf.writeUInt32LE(c.freeOffset, offset + 4);
        c.freeSlab = slab;
        c.freeOffset = offset;
      }
      p.length = 0;
    }
    this.pendingClasses.clear();
    for (const slab of this.pendingDedicated) {
      const buf = this.slabs[slab];
      if (buf === undefined) continue;
      this.slabBytes -= buf.length;
      this.slabs[slab] = undefined;
      this.freeSlabIds.push(slab);
    }
    this.pendingDedicated = [];
  }

  private classOf(slotBytes: number): SizeClass {
    // records of one workload mostly share a class: the last one is checked before the map
    const last = this.lastClass;
    if (last !== undefined && last.slotBytes === slotBytes) return last;
    let c = this.classes.get(slotBytes);
    if (c === undefined) {
      c = { slotBytes, freeSlab: NONE, freeOffset: 0, bumpSlab: NONE, bumpOffset: 0, bumpEnd: 0, nextSlabBytes: FIRST_SLAB_BYTES, pending: [] };
      this.classes.set(slotBytes, c);
    }
    this.lastClass = c;
    return c;
  }

  private newSlab(c: SizeClass): void {
    // at least one slot per slab; a class's slabs grow so a busy class allocates rarely
    const bytes = Math.max(c.slotBytes, Math.floor(c.nextSlabBytes / c.slotBytes) * c.slotBytes);
    c.nextSlabBytes = Math.min(MAX_SLAB_BYTES, c.nextSlabBytes * 2);
    const id = this.freeSlabIds.length > 0 ? this.freeSlabIds.pop()! : this.slabs.length;
    // zero-filled pages are not touched until written, so RSS follows the slots actually used
    this.slabs[id] = Buffer.alloc(bytes);
    this.slabBytes += bytes;
    c.bumpSlab = id;
    c.bumpOffset = 0;
    c.bumpEnd = bytes;
  }
}
