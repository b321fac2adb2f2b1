/**
 * The entries of one secondary index: (bval, digest) pairs kept sorted per partition, as
 * Aerospike's sindex keeps one tree per partition. A partition query walks one partition from a
 * resume point (bval, digest) in order, so pagination resumes exactly where it stopped, and a
 * partition that migrates away is dropped on its own.
 *
 * Storage per partition: a BigInt64Array of bvals and a Buffer of 20-byte digests, parallel and
 * sorted by (bval, digest) — 28 bytes per entry plus growth slack, no object per entry. Inserts and
 * removals shift within one partition (a few hundred entries per partition at a million entries).
 */
import { N_PARTITIONS, partitionOf } from '../util/digest.js';

const DIGEST_BYTES = 20;
/** Bytes one entry takes in the arrays (bval + digest). */
export const SINDEX_ENTRY_BYTES = 8 + DIGEST_BYTES;
/** First allocation of a partition's arrays, in entries. */
const INITIAL_CAPACITY = 8;

class PartitionEntries {
  count = 0;
  bvals = new BigInt64Array(INITIAL_CAPACITY);
  digests = Buffer.alloc(INITIAL_CAPACITY * DIGEST_BYTES);

  get capacity(): number {
    return this.bvals.length;
  }

  /** Compares entry i with (bval, digest at d[dOff]). */
  private cmp(i: number, bval: bigint, d: Buffer, dOff: number): number {
    const b = this.bvals[i]!;
    if (b !== bval) return b < bval ? -1 : 1;
    const base = i * DIGEST_BYTES;
    for (let k = 0; k < DIGEST_BYTES; k++) {
      const x = this.digests[base + k]! - d[dOff + k]!;
      if (x !== 0) return x;
    }
    return 0;
  }

  /** First position whose entry is >= (bval, digest). */
  lowerBound(bval: bigint, d: Buffer, dOff: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmp(mid, bval, d, dOff) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First position whose bval is >= bval. */
  lowerBoundBval(bval: bigint): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.bvals[mid]! < bval) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(bval: bigint, d: Buffer, dOff: number): boolean {
    const at = this.lowerBound(bval, d, dOff);
    if (at < this.count && this.cmp(at, bval, d, dOff) === 0) return false;
    if (this.count === this.capacity) this.grow();
    this.bvals.copyWithin(at + 1, at, this.count);
    this.digests.copyWithin((at + 1) * DIGEST_BYTES, at * DIGEST_BYTES, this.count * DIGEST_BYTES);
    this.bvals[at] = bval;
    d.copy(this.digests, at * DIGEST_BYTES, dOff, dOff + DIGEST_BYTES);
    this.count++;
    return true;
  }

  remove(bval: bigint, d: Buffer, dOff: number): boolean {
    const at = this.lowerBound(bval, d, dOff);
    if (at >= this.count || this.cmp(at, bval, d, dOff) !== 0) return false;
    this.bvals.copyWithin(at, at + 1, this.count);
    this.digests.copyWithin(at * DIGEST_BYTES, (at + 1) * DIGEST_BYTES, this.count * DIGEST_BYTES);
    this.count--;
    if (this.count < this.capacity / 4 && this.capacity > INITIAL_CAPACITY) this.resize(Math.max(INITIAL_CAPACITY, this.capacity >> 1));
    return true;
  }

  private grow(): void {
    this.resize(this.capacity * 2);
  }

  private resize(cap: number): void {
    const b = new BigInt64Array(cap);
    b.set(this.bvals.subarray(0, this.count));
    const d = Buffer.alloc(cap * DIGEST_BYTES);
    this.digests.copy(d, 0, 0, this.count * DIGEST_BYTES);
    this.bvals = b;
    this.digests = d;
  }
}

/** Where a partition query resumes: strictly after this entry. */
export interface ResumePoint {
  bval: bigint;
  digest: Buffer;
}

export class SindexTree {
  private readonly parts: (PartitionEntries | undefined)[] = new Array(N_PARTITIONS);
  private entries = 0;
  private capacityEntries = 0;

  /** Entries in the index. */
  get size(): number {
    return this.entries;
  }

  /** Bytes the arrays hold (allocated capacity, including slack). */
  get memoryBytes(): number {
    return this.capacityEntries * SINDEX_ENTRY_BYTES;
  }

  private part(pid: number): PartitionEntries {
    let p = this.parts[pid];
    if (!p) {
      p = new PartitionEntries();
      this.parts[pid] = p;
      this.capacityEntries += p.capacity;
    }
    return p;
  }

  /** Adds (bval, digest); false when it was already there. */
  insert(bval: bigint, digest: Buffer, dOff = 0): boolean {
    const p = this.part(partitionOf(digest, dOff));
    const cap = p.capacity;
    if (!p.insert(bval, digest, dOff)) return false;
    this.capacityEntries += p.capacity - cap;
    this.entries++;
    return true;
  }

  /** Removes (bval, digest); false when it was not there. */
  remove(bval: bigint, digest: Buffer, dOff = 0): boolean {
    const pid = partitionOf(digest, dOff);
    const p = this.parts[pid];
    if (!p) return false;
    const cap = p.capacity;
    if (!p.remove(bval, digest, dOff)) return false;
    this.capacityEntries += p.capacity - cap;
    this.entries--;
    if (p.count === 0) {
      this.parts[pid] = undefined;
      this.capacityEntries -= p.capacity;
    }
    return true;
  }

  /** Drops a whole partition (it migrated away, or the index is rebuilt). */
  dropPartition(pid: number): void {
    const p = this.parts[pid];
    if (!p) return;
    this.entries -= p.count;
    this.capacityEntries -= p.capacity;
    this.parts[pid] = undefined;
  }

  /** Entries in one partition. */
  partitionSize(pid: number): number {
    return this.parts[pid]?.count ?? 0;
  }

  /**
   * Visits the entries of partition `pid` with begin <= bval <= end, in (bval, digest) order,
   * strictly after `after` when given. `fn` gets the digest array and offset (valid only during
   * the call) and returns false to stop. Returns false when stopped.
   */
  forEachInRange(
    pid: number,
    begin: bigint,
    end: bigint,
    after: ResumePoint | undefined,
    fn: (bval: bigint, digests: Buffer, dOff: number) => boolean,
  ): boolean {
    const p = this.parts[pid];
    if (!p) return true;
    let i: number;
    if (after && after.bval >= begin) {
      if (after.bval > end) return true;
      i = p.lowerBound(after.bval, after.digest, 0);
      if (i < p.count && p.bvals[i] === after.bval && p.digests.compare(after.digest, 0, DIGEST_BYTES, i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES) === 0) i++;
    } else {
      i = p.lowerBoundBval(begin);
    }
    for (; i < p.count; i++) {
      const b = p.bvals[i]!;
      if (b > end) break;
      if (!fn(b, p.digests, i * DIGEST_BYTES)) return false;
    }
    return true;
  }
}
