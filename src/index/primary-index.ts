/**
 * The primary index: digest → record metadata, in fixed 56-byte entries packed into large Buffers.
 * No JS object per record. With the bucket heads a record costs about 62 bytes (Aerospike: 64).
 *
 * Layout of an entry (native-endian typed-array views; x86/ARM are little-endian):
 *   0  digest            20 bytes (bytes 0-1 also give the partition id: no field of its own)
 *   20 next              u32   next entry in the partition's hash chain (NONE = end)
 *   24 void-time         u32   seconds since 2010-01-01, 0 = never expires
 *   28 generation        u16
 *   30 set id            u16   0 = no set
 *   32 last-update-time  f64   Unix ms
 *   40 locator           u32   storage-specific (memory: slab; device: block)
 *   44 stored size       u32   bytes of the stored record
 *   48 locator2          u32   storage-specific (memory: offset in the slab; device: offset in block)
 *   52 flags             u8    bit0 has stored key, bit1 tombstone, bit2 in use
 *   53 (reserved)        u8
 *   54 locator3          u16   storage-specific (device: file index | set-name length << 8)
 *
 * 56 is a multiple of 8, so every entry's f64 field stays 8-byte aligned and the typed-array views
 * index fields as entry × (56 / element size) + field.
 *
 * Each of the 4096 partitions has its own chained hash table so a partition can be walked, counted
 * or dropped on its own, as migrations and scans need. The tables' bucket heads are regions of one
 * Uint32Array (`heads`), found through two small arrays (region start and size per partition): a
 * lookup then touches the bucket head and the entry, not a table object, a typed-array object and
 * its separate backing store per partition (three more cache misses, ~1.3 µs per lookup at 200k
 * records measured on the bench machine). A partition that grows takes a new region at the end;
 * when `heads` is full the live regions are packed into a new array HEADS_GROWTH times their size.
 */
import { N_PARTITIONS, partitionOf } from '../util/digest.js';

export const ENTRY_BYTES = 56;
/** entry stride in 32-bit words, 16-bit halves and 64-bit doubles */
const E32 = ENTRY_BYTES / 4;
const E16 = ENTRY_BYTES / 2;
const E64 = ENTRY_BYTES / 8;
const NONE = 0xffffffff;
/** 896 KiB per chunk: the index grows in steps small enough that the last one wastes little */
const ENTRIES_PER_CHUNK = 1 << 14;
const CHUNK_SHIFT = 14;
const CHUNK_MASK = ENTRIES_PER_CHUNK - 1;
const INITIAL_BUCKETS = 16;
/** `heads` is repacked to this many times the live bucket heads when it runs out of room. */
const HEADS_GROWTH = 1.25;

export const EntryFlag = {
  HAS_KEY: 1,
  TOMBSTONE: 2,
  IN_USE: 4,
} as const;

/** Mutable view of one entry's metadata. */
export interface EntryMeta {
  voidTime: number;
  generation: number;
  setId: number;
  lastUpdateMs: number;
  locator: number;
  storedSize: number;
  flags: number;
  locator2: number;
  locator3: number;
}

interface Chunk {
  buf: Buffer;
  u32: Uint32Array;
  u16: Uint16Array;
  f64: Float64Array;
}

function newChunk(): Chunk {
  const buf = Buffer.alloc(ENTRIES_PER_CHUNK * ENTRY_BYTES);
  return {
    buf,
    u32: new Uint32Array(buf.buffer, buf.byteOffset, buf.length / 4),
    u16: new Uint16Array(buf.buffer, buf.byteOffset, buf.length / 2),
    f64: new Float64Array(buf.buffer, buf.byteOffset, buf.length / 8),
  };
}

// word offsets inside an entry (entries are 64-byte aligned, so typed-array views index them)
const W_NEXT = 5;
const W_VOID = 6;
const H_GEN = 14;
const H_SET = 15;
const D_LUT = 4;
const W_LOC = 10;
const W_SIZE = 11;
const W_LOC2 = 12;
const B_FLAGS = 52;
const H_LOC3 = 27;

/** The little-endian u32 at buf[at] (the caller knows at + 4 <= buf.length). */
function u32le(buf: Buffer, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}

export class PrimaryIndex {
  private chunks: Chunk[] = [];
  private freeHead = NONE;
  private nextUnused = 0;
  private liveCount = 0;
  /**
   * Counts the changes of which digest maps to which entry id (every insert, removal and clear; not
   * changes of an entry's metadata, nor bucket growth, which keeps the ids). An id found for a
   * digest is still that digest's entry (or the digest still absent) while this is unchanged.
   */
  mutations = 0;
  /** every partition's bucket heads, each partition a region [bucketStart, bucketStart + bucketCount) */
  private heads = new Uint32Array(0);
  /** first unused slot of `heads` (regions are taken at the end) */
  private headsUsed = 0;
  /** slots of `heads` in live regions */
  private headsLive = 0;
  private readonly bucketStart = new Uint32Array(N_PARTITIONS);
  /** a power of two, or 0 for a partition that never had an entry */
  private readonly bucketCount = new Uint32Array(N_PARTITIONS);
  private readonly counts = new Uint32Array(N_PARTITIONS);

  /** Number of entries in the index. */
  get size(): number {
    return this.liveCount;
  }

  /** Entries in one partition. */
  partitionSize(pid: number): number {
    return this.counts[pid]!;
  }

  /** Bytes of memory held by the index (entry chunks plus bucket arrays). */
  get memoryBytes(): number {
    return this.chunks.length * ENTRIES_PER_CHUNK * ENTRY_BYTES + this.heads.byteLength + 3 * N_PARTITIONS * 4;
  }

  private chunkOf(id: number): Chunk {
    return this.chunks[id >>> CHUNK_SHIFT]!;
  }

  private offsetOf(id: number): number {
    return (id & CHUNK_MASK) * ENTRY_BYTES;
  }

  /** digest bytes 0-1 choose the partition; bytes 4-7 are independent and uniformly distributed */
  private static hash(digest: Buffer, off: number): number {
    return digest.readUInt32LE(off + 4);
  }

  /** Finds the entry for a digest; returns its id or -1. */
  find(digest: Buffer, dOff = 0): number {
    const pid = partitionOf(digest, dOff);
    if (this.counts[pid] === 0) return -1;
    // the digest's words read inline (Buffer.readUInt32LE checks its offset on every call)
    const d1 = u32le(digest, dOff + 4);
    let id = this.heads[this.bucketStart[pid]! + (d1 & (this.bucketCount[pid]! - 1))]!;
    if (id === NONE) return -1;
    const d0 = u32le(digest, dOff);
    const d2 = u32le(digest, dOff + 8);
    const d3 = u32le(digest, dOff + 12);
    const d4 = u32le(digest, dOff + 16);
    while (id !== NONE) {
      const u32 = this.chunks[id >>> CHUNK_SHIFT]!.u32;
      const w = (id & CHUNK_MASK) * E32;
      if (u32[w + 1] === d1 && u32[w] === d0 && u32[w + 2] === d2 && u32[w + 3] === d3 && u32[w + 4] === d4) return id;
      id = u32[w + W_NEXT]!;
    }
    return -1;
  }

  /**
   * Looks up `n` digests at once: `ids[i]` gets the entry id of the digest at `digests[offsets[i]]`
   * (20 bytes), or -1. The same answers as {@link find} one by one, but the lookups' memory reads
   * are issued stage by stage (every bucket head, then every chain), so the cache and TLB misses of
   * different digests overlap instead of following one another (a batch's rows).
   */
  findMany(digests: Buffer, offsets: Int32Array, n: number, ids: Int32Array): void {
    const heads = this.heads;
    for (let i = 0; i < n; i++) {
      const off = offsets[i]!;
      const pid = partitionOf(digests, off);
      ids[i] = this.counts[pid] === 0 ? -1 : heads[this.bucketStart[pid]! + (u32le(digests, off + 4) & (this.bucketCount[pid]! - 1))]! | 0;
    }
    const chunks = this.chunks;
    for (let i = 0; i < n; i++) {
      let id = ids[i]!;
      if (id === -1) continue;
      const off = offsets[i]!;
      const d0 = u32le(digests, off);
      const d1 = u32le(digests, off + 4);
      let found = -1;
      while (id !== -1) {
        const u32 = chunks[id >>> CHUNK_SHIFT]!.u32;
        const w = (id & CHUNK_MASK) * E32;
        if (u32[w + 1] === d1 && u32[w] === d0 && u32[w + 2] === u32le(digests, off + 8) && u32[w + 3] === u32le(digests, off + 12) && u32[w + 4] === u32le(digests, off + 16)) {
          found = id;
          break;
        }
        id = u32[w + W_NEXT]! | 0;
      }
      ids[i] = found;
    }
  }

  private allocEntry(): number {
    if (this.freeHead !== NONE) {
      const id = this.freeHead;
      this.freeHead = this.chunkOf(id).u32[((id & CHUNK_MASK) * E32) + W_NEXT]!;
      return id;
    }
    const id = this.nextUnused++;
    if (id >>> CHUNK_SHIFT >= this.chunks.length) this.chunks.push(newChunk());
    return id;
  }

  /** Inserts a new entry (the digest must not be present); returns its id with zeroed metadata. */
  insert(digest: Buffer, dOff = 0): number {
    const pid = partitionOf(digest, dOff);
    if (this.counts[pid]! >= this.bucketCount[pid]!) this.grow(pid);
    const id = this.allocEntry();
    const c = this.chunkOf(id);
    const o = this.offsetOf(id);
    const w = o >>> 2;
    c.u32.fill(0, w, w + E32);
    digest.copy(c.buf, o, dOff, dOff + 20);
    const b = this.bucketStart[pid]! + (PrimaryIndex.hash(digest, dOff) & (this.bucketCount[pid]! - 1));
    c.u32[w + W_NEXT] = this.heads[b]!;
    c.buf[o + B_FLAGS] = EntryFlag.IN_USE;
    this.heads[b] = id;
    this.counts[pid]!++;
    this.liveCount++;
    this.mutations++;
    return id;
  }

  /** Doubles a partition's buckets: a new region at the end of `heads`, its chains rehashed into it. */
  private grow(pid: number): void {
    const oldSize = this.bucketCount[pid]!;
    const nextSize = oldSize === 0 ? INITIAL_BUCKETS : oldSize * 2;
    if (this.headsUsed + nextSize > this.heads.length) this.repack(nextSize);
    const heads = this.heads;
    const oldStart = this.bucketStart[pid]!;
    const start = this.headsUsed;
    heads.fill(NONE, start, start + nextSize);
    for (let b = oldStart; b < oldStart + oldSize; b++) {
      let id = heads[b]!;
      while (id !== NONE) {
        const u32 = this.chunkOf(id).u32;
        const w = (id & CHUNK_MASK) * E32;
        const after = u32[w + W_NEXT]!;
        const nb = start + (u32[w + 1]! & (nextSize - 1));
        u32[w + W_NEXT] = heads[nb]!;
        heads[nb] = id;
        id = after;
      }
    }
    this.headsUsed = start + nextSize;
    this.headsLive += nextSize - oldSize;
    this.bucketStart[pid] = start;
    this.bucketCount[pid] = nextSize;
  }

  /**
   * Packs the live regions into a new `heads` with room for HEADS_GROWTH times them plus a region of
   * `needed` slots (the regions left behind by grown partitions are dropped).
   */
  private repack(needed: number): void {
    const live = this.headsLive + needed;
    const next = new Uint32Array(Math.max(INITIAL_BUCKETS * 64, Math.ceil(live * HEADS_GROWTH)));
    let at = 0;
    for (let pid = 0; pid < N_PARTITIONS; pid++) {
      const size = this.bucketCount[pid]!;
      if (size === 0) continue;
      const start = this.bucketStart[pid]!;
      next.set(this.heads.subarray(start, start + size), at);
      this.bucketStart[pid] = at;
      at += size;
    }
    this.heads = next;
    this.headsUsed = at;
  }

  /** Removes the entry for a digest; returns true if it was present. */
  remove(digest: Buffer, dOff = 0): boolean {
    const pid = partitionOf(digest, dOff);
    if (this.counts[pid] === 0) return false;
    const b = this.bucketStart[pid]! + (PrimaryIndex.hash(digest, dOff) & (this.bucketCount[pid]! - 1));
    const target = this.find(digest, dOff);
    if (target < 0) return false;
    let prev = NONE;
    let id = this.heads[b]!;
    while (id !== NONE) {
      const c = this.chunkOf(id);
      const w = (id & CHUNK_MASK) * E32;
      const after = c.u32[w + W_NEXT]!;
      if (id === target) {
        if (prev === NONE) this.heads[b] = after;
        else this.chunkOf(prev).u32[((prev & CHUNK_MASK) * E32) + W_NEXT] = after;
        c.buf[(w << 2) + B_FLAGS] = 0;
        c.u32[w + W_NEXT] = this.freeHead;
        this.freeHead = id;
        this.counts[pid]!--;
        this.liveCount--;
        this.mutations++;
        return true;
      }
      prev = id;
      id = after;
    }
    return false;
  }

  /** Copies the entry's digest into a fresh Buffer. */
  digestOf(id: number): Buffer {
    const o = this.offsetOf(id);
    return Buffer.from(this.chunkOf(id).buf.subarray(o, o + 20));
  }

  /** The entry's digest as a view (valid until the entry is removed). */
  digestView(id: number): Buffer {
    const o = this.offsetOf(id);
    return this.chunkOf(id).buf.subarray(o, o + 20);
  }

  voidTime(id: number): number {
    return this.chunkOf(id).u32[((id & CHUNK_MASK) * E32) + W_VOID]!;
  }
  generation(id: number): number {
    return this.chunkOf(id).u16[((id & CHUNK_MASK) * E16) + H_GEN]!;
  }
  setId(id: number): number {
    return this.chunkOf(id).u16[((id & CHUNK_MASK) * E16) + H_SET]!;
  }
  lastUpdateMs(id: number): number {
    return this.chunkOf(id).f64[((id & CHUNK_MASK) * E64) + D_LUT]!;
  }
  locator(id: number): number {
    return this.chunkOf(id).u32[((id & CHUNK_MASK) * E32) + W_LOC]!;
  }
  storedSize(id: number): number {
    return this.chunkOf(id).u32[((id & CHUNK_MASK) * E32) + W_SIZE]!;
  }
  partitionId(id: number): number {
    return partitionOf(this.chunkOf(id).buf, this.offsetOf(id));
  }
  locator2(id: number): number {
    return this.chunkOf(id).u32[((id & CHUNK_MASK) * E32) + W_LOC2]!;
  }
  locator3(id: number): number {
    return this.chunkOf(id).u16[((id & CHUNK_MASK) * E16) + H_LOC3]!;
  }
  flags(id: number): number {
    return this.chunkOf(id).buf[this.offsetOf(id) + B_FLAGS]!;
  }

  setVoidTime(id: number, v: number): void {
    this.chunkOf(id).u32[((id & CHUNK_MASK) * E32) + W_VOID] = v >>> 0;
  }
  setGeneration(id: number, v: number): void {
    this.chunkOf(id).u16[((id & CHUNK_MASK) * E16) + H_GEN] = v & 0xffff;
  }
  setSetId(id: number, v: number): void {
    this.chunkOf(id).u16[((id & CHUNK_MASK) * E16) + H_SET] = v;
  }
  setLastUpdateMs(id: number, v: number): void {
    this.chunkOf(id).f64[((id & CHUNK_MASK) * E64) + D_LUT] = v;
  }
  setLocator(id: number, v: number): void {
    this.chunkOf(id).u32[((id & CHUNK_MASK) * E32) + W_LOC] = v >>> 0;
  }
  setStoredSize(id: number, v: number): void {
    this.chunkOf(id).u32[((id & CHUNK_MASK) * E32) + W_SIZE] = v >>> 0;
  }
  setLocator2(id: number, v: number): void {
    this.chunkOf(id).u32[((id & CHUNK_MASK) * E32) + W_LOC2] = v >>> 0;
  }
  /** locator3 holds 16 bits */
  setLocator3(id: number, v: number): void {
    if (v >>> 16 !== 0) throw new RangeError(`locator3 ${v} does not fit in 16 bits`);
    this.chunkOf(id).u16[((id & CHUNK_MASK) * E16) + H_LOC3] = v;
  }
  setFlags(id: number, v: number): void {
    this.chunkOf(id).buf[this.offsetOf(id) + B_FLAGS] = v | EntryFlag.IN_USE;
  }

  /** Calls fn for every entry id of a partition. fn may not insert or remove entries. */
  forEachInPartition(pid: number, fn: (id: number) => void): void {
    if (this.counts[pid] === 0) return;
    const start = this.bucketStart[pid]!;
    const end = start + this.bucketCount[pid]!;
    for (let b = start; b < end; b++) {
      // fn may not insert or remove, so `heads` stays the same array during the walk
      let id = this.heads[b]!;
      while (id !== NONE) {
        const next = this.chunkOf(id).u32[((id & CHUNK_MASK) * E32) + W_NEXT]!;
        fn(id);
        id = next;
      }
    }
  }

  /** Entry ids of a partition, snapshotted (safe to mutate the index while using the result). */
  partitionIds(pid: number): Uint32Array {
    const out = new Uint32Array(this.counts[pid]!);
    let i = 0;
    this.forEachInPartition(pid, (id) => {
      out[i++] = id;
    });
    return out;
  }

  /** Removes every entry (used by tests and namespace truncation). */
  clear(): void {
    this.mutations++;
    this.chunks = [];
    this.freeHead = NONE;
    this.nextUnused = 0;
    this.liveCount = 0;
    this.heads = new Uint32Array(0);
    this.headsUsed = 0;
    this.headsLive = 0;
    this.bucketStart.fill(0);
    this.bucketCount.fill(0);
    this.counts.fill(0);
  }
}
