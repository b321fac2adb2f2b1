/**
 * The primary index: digest → record metadata, in fixed 64-byte entries packed into large Buffers
 * (Aerospike also spends 64 bytes per record). No JS object per record.
 *
 * Layout of an entry (little-endian):
 *   0  digest            20 bytes
 *   20 next              u32   next entry in the partition's hash chain (NONE = end)
 *   24 void-time         u32   seconds since 2010-01-01, 0 = never expires
 *   28 generation        u16
 *   30 set id            u16   0 = no set
 *   32 last-update-time  f64   Unix ms
 *   40 locator           u32   storage-specific (memory: slot; device: block)
 *   44 stored size       u32   bytes of the stored record
 *   48 flags             u8    bit0 has stored key, bit1 tombstone, bit2 in use
 *   49 (reserved)        u8
 *   50 partition id      u16
 *   52 locator2          u32   storage-specific (device: offset in block)
 *   56 locator3          u32   storage-specific (device: file index)
 *   60 (reserved)        u32
 *
 * Each of the 4096 partitions has its own chained hash table (a Uint32Array of bucket heads) so a
 * partition can be walked, counted or dropped on its own, as migrations and scans need.
 */
import { N_PARTITIONS, partitionOf } from '../util/digest.js';

export const ENTRY_BYTES = 64;
const NONE = 0xffffffff;
const ENTRIES_PER_CHUNK = 1 << 16; // 4 MiB per chunk
const CHUNK_SHIFT = 16;
const CHUNK_MASK = ENTRIES_PER_CHUNK - 1;
const INITIAL_BUCKETS = 16;

export const EntryFlag = {
  HAS_KEY: 1,
  TOMBSTONE: 2,
  IN_USE: 4,
} as const;

interface PartitionTable {
  buckets: Uint32Array;
  count: number;
}

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

export class PrimaryIndex {
  private chunks: Buffer[] = [];
  private freeHead = NONE;
  private nextUnused = 0;
  private liveCount = 0;
  private readonly partitions: PartitionTable[] = [];

  constructor() {
    for (let p = 0; p < N_PARTITIONS; p++) {
      this.partitions.push({ buckets: new Uint32Array(0), count: 0 });
    }
  }

  /** Number of entries in the index. */
  get size(): number {
    return this.liveCount;
  }

  /** Entries in one partition. */
  partitionSize(pid: number): number {
    return this.partitions[pid]!.count;
  }

  /** Bytes of memory held by the index (entry chunks plus bucket arrays). */
  get memoryBytes(): number {
    let b = this.chunks.length * ENTRIES_PER_CHUNK * ENTRY_BYTES;
    for (const p of this.partitions) b += p.buckets.byteLength;
    return b;
  }

  private chunkOf(id: number): Buffer {
    return this.chunks[id >>> CHUNK_SHIFT]!;
  }

  private offsetOf(id: number): number {
    return (id & CHUNK_MASK) * ENTRY_BYTES;
  }

  private static hash(digest: Buffer, off: number): number {
    // digest bytes 0-1 choose the partition; bytes 4-7 are independent and uniformly distributed
    return digest.readUInt32LE(off + 4);
  }

  private digestEquals(id: number, digest: Buffer, dOff: number): boolean {
    const c = this.chunkOf(id);
    const o = this.offsetOf(id);
    return c.compare(digest, dOff, dOff + 20, o, o + 20) === 0;
  }

  /** Finds the entry for a digest; returns its id or -1. */
  find(digest: Buffer, dOff = 0): number {
    const table = this.partitions[partitionOf(digest, dOff)]!;
    if (table.count === 0) return -1;
    let id = table.buckets[PrimaryIndex.hash(digest, dOff) & (table.buckets.length - 1)]!;
    while (id !== NONE) {
      if (this.digestEquals(id, digest, dOff)) return id;
      id = this.chunkOf(id).readUInt32LE(this.offsetOf(id) + 20);
    }
    return -1;
  }

  private allocEntry(): number {
    if (this.freeHead !== NONE) {
      const id = this.freeHead;
      this.freeHead = this.chunkOf(id).readUInt32LE(this.offsetOf(id) + 20);
      return id;
    }
    const id = this.nextUnused++;
    if ((id >>> CHUNK_SHIFT) >= this.chunks.length) {
      this.chunks.push(Buffer.alloc(ENTRIES_PER_CHUNK * ENTRY_BYTES));
    }
    return id;
  }

  /** Inserts a new entry (the digest must not be present); returns its id with zeroed metadata. */
  insert(digest: Buffer, dOff = 0): number {
    const pid = partitionOf(digest, dOff);
    const table = this.partitions[pid]!;
    if (table.count >= table.buckets.length) this.grow(table);
    const id = this.allocEntry();
    const c = this.chunkOf(id);
    const o = this.offsetOf(id);
    c.fill(0, o, o + ENTRY_BYTES);
    digest.copy(c, o, dOff, dOff + 20);
    const b = PrimaryIndex.hash(digest, dOff) & (table.buckets.length - 1);
    c.writeUInt32LE(table.buckets[b]!, o + 20);
    c.writeUInt16LE(pid, o + 50);
    c[o + 48] = EntryFlag.IN_USE;
    table.buckets[b] = id;
    table.count++;
    this.liveCount++;
    return id;
  }

  private grow(table: PartitionTable): void {
    const nextSize = table.buckets.length === 0 ? INITIAL_BUCKETS : table.buckets.length * 2;
    const next = new Uint32Array(nextSize).fill(NONE);
    const old = table.buckets;
    for (let b = 0; b < old.length; b++) {
      let id = old[b]!;
      while (id !== NONE) {
        const c = this.chunkOf(id);
        const o = this.offsetOf(id);
        const after = c.readUInt32LE(o + 20);
        const nb = PrimaryIndex.hash(c, o) & (nextSize - 1);
        c.writeUInt32LE(next[nb]!, o + 20);
        next[nb] = id;
        id = after;
      }
    }
    table.buckets = next;
  }

  /** Removes the entry for a digest; returns true if it was present. */
  remove(digest: Buffer, dOff = 0): boolean {
    const table = this.partitions[partitionOf(digest, dOff)]!;
    if (table.count === 0) return false;
    const b = PrimaryIndex.hash(digest, dOff) & (table.buckets.length - 1);
    let prev = NONE;
    let id = table.buckets[b]!;
    while (id !== NONE) {
      const c = this.chunkOf(id);
      const o = this.offsetOf(id);
      const after = c.readUInt32LE(o + 20);
      if (this.digestEquals(id, digest, dOff)) {
        if (prev === NONE) table.buckets[b] = after;
        else this.chunkOf(prev).writeUInt32LE(after, this.offsetOf(prev) + 20);
        c[o + 48] = 0;
        c.writeUInt32LE(this.freeHead, o + 20);
        this.freeHead = id;
        table.count--;
        this.liveCount--;
        return true;
      }
      prev = id;
      id = after;
    }
    return false;
  }

  /** Copies the entry's digest into a fresh Buffer. */
  digestOf(id: number): Buffer {
    const c = this.chunkOf(id);
    const o = this.offsetOf(id);
    return Buffer.from(c.subarray(o, o + 20));
  }

  /** The entry's digest as a view (valid until the entry is removed). */
  digestView(id: number): Buffer {
    const o = this.offsetOf(id);
    return this.chunkOf(id).subarray(o, o + 20);
  }

  voidTime(id: number): number {
    return this.chunkOf(id).readUInt32LE(this.offsetOf(id) + 24);
  }
  generation(id: number): number {
    return this.chunkOf(id).readUInt16LE(this.offsetOf(id) + 28);
  }
  setId(id: number): number {
    return this.chunkOf(id).readUInt16LE(this.offsetOf(id) + 30);
  }
  lastUpdateMs(id: number): number {
    return this.chunkOf(id).readDoubleLE(this.offsetOf(id) + 32);
  }
  locator(id: number): number {
    return this.chunkOf(id).readUInt32LE(this.offsetOf(id) + 40);
  }
  storedSize(id: number): number {
    return this.chunkOf(id).readUInt32LE(this.offsetOf(id) + 44);
  }
  flags(id: number): number {
    return this.chunkOf(id)[this.offsetOf(id) + 48]!;
  }
  partitionId(id: number): number {
    return this.chunkOf(id).readUInt16LE(this.offsetOf(id) + 50);
  }
  locator2(id: number): number {
    return this.chunkOf(id).readUInt32LE(this.offsetOf(id) + 52);
  }
  locator3(id: number): number {
    return this.chunkOf(id).readUInt32LE(this.offsetOf(id) + 56);
  }

  setVoidTime(id: number, v: number): void {
    this.chunkOf(id).writeUInt32LE(v >>> 0, this.offsetOf(id) + 24);
  }
  setGeneration(id: number, v: number): void {
    this.chunkOf(id).writeUInt16LE(v & 0xffff, this.offsetOf(id) + 28);
  }
  setSetId(id: number, v: number): void {
    this.chunkOf(id).writeUInt16LE(v, this.offsetOf(id) + 30);
  }
  setLastUpdateMs(id: number, v: number): void {
    this.chunkOf(id).writeDoubleLE(v, this.offsetOf(id) + 32);
  }
  setLocator(id: number, v: number): void {
    this.chunkOf(id).writeUInt32LE(v >>> 0, this.offsetOf(id) + 40);
  }
  setStoredSize(id: number, v: number): void {
    this.chunkOf(id).writeUInt32LE(v >>> 0, this.offsetOf(id) + 44);
  }
  setFlags(id: number, v: number): void {
    this.chunkOf(id)[this.offsetOf(id) + 48] = v | EntryFlag.IN_USE;
  }
  setLocator2(id: number, v: number): void {
    this.chunkOf(id).writeUInt32LE(v >>> 0, this.offsetOf(id) + 52);
  }
  setLocator3(id: number, v: number): void {
    this.chunkOf(id).writeUInt32LE(v >>> 0, this.offsetOf(id) + 56);
  }

  /** Calls fn for every entry id of a partition. fn may not insert or remove entries. */
  forEachInPartition(pid: number, fn: (id: number) => void): void {
    const table = this.partitions[pid]!;
    if (table.count === 0) return;
    const buckets = table.buckets;
    for (let b = 0; b < buckets.length; b++) {
      let id = buckets[b]!;
      while (id !== NONE) {
        const next = this.chunkOf(id).readUInt32LE(this.offsetOf(id) + 20);
        fn(id);
        id = next;
      }
    }
  }

  /** Entry ids of a partition, snapshotted (safe to mutate the index while using the result). */
  partitionIds(pid: number): Uint32Array {
    const out = new Uint32Array(this.partitions[pid]!.count);
    let i = 0;
    this.forEachInPartition(pid, (id) => {
      out[i++] = id;
    });
    return out;
  }

  /** Removes every entry (used by tests and namespace truncation). */
  clear(): void {
    this.chunks = [];
    this.freeHead = NONE;
    this.nextUnused = 0;
    this.liveCount = 0;
    for (const p of this.partitions) {
      p.buckets = new Uint32Array(0);
      p.count = 0;
    }
  }
}
