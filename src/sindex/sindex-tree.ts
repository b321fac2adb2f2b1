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

/**
 * One partition's entries. A bval is kept as two 32-bit halves (signed high, unsigned low) in
 * typed arrays: comparing numbers allocates nothing, where reading a BigInt64Array allocates a
 * BigInt per element read.
 */
class PartitionEntries {
  count = 0;
  hi = new Int32Array(INITIAL_CAPACITY);
  lo = new Uint32Array(INITIAL_CAPACITY);
  digests = Buffer.allocUnsafe(INITIAL_CAPACITY * DIGEST_BYTES);

  get capacity(): number {
    return this.hi.length;
  }

  bval(i: number): bigint {
    return (BigInt(this.hi[i]!) << 32n) | BigInt(this.lo[i]!);
  }

  /** Compares entry i with (h, l, digest at d[dOff]). */
  private cmp(i: number, h: number, l: number, d: Buffer, dOff: number): number {
    const eh = this.hi[i]!;
    if (eh !== h) return eh < h ? -1 : 1;
    const el = this.lo[i]!;
    if (el !== l) return el < l ? -1 : 1;
    const base = i * DIGEST_BYTES;
    const digests = this.digests;
    for (let k = 0; k < DIGEST_BYTES; k++) {
      const x = digests[base + k]! - d[dOff + k]!;
      if (x !== 0) return x;
    }
    return 0;
  }

  /** First position whose entry is >= (h, l, digest). */
  lowerBound(h: number, l: number, d: Buffer, dOff: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmp(mid, h, l, d, dOff) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First position whose bval is >= (h, l). */
  lowerBoundBval(h: number, l: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const eh = this.hi[mid]!;
      if (eh < h || (eh === h && this.lo[mid]! < l)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Whether entry i's bval is greater than (h, l). */
  after(i: number, h: number, l: number): boolean {
    const eh = this.hi[i]!;
    return eh > h || (eh === h && this.lo[i]! > l);
  }

  equals(i: number, h: number, l: number, d: Buffer, dOff: number): boolean {
    return this.cmp(i, h, l, d, dOff) === 0;
  }

  insert(h: number, l: number, d: Buffer, dOff: number): boolean {
    const at = this.lowerBound(h, l, d, dOff);
    if (at < this.count && this.cmp(at, h, l, d, dOff) === 0) return false;
    if (this.count === this.capacity) this.resize(this.capacity * 2);
    if (at < this.count) {
      this.hi.copyWithin(at + 1, at, this.count);
      this.lo.copyWithin(at + 1, at, this.count);
      this.digests.copyWithin((at + 1) * DIGEST_BYTES, at * DIGEST_BYTES, this.count * DIGEST_BYTES);
    }
    this.hi[at] = h;
    this.lo[at] = l;
    d.copy(this.digests, at * DIGEST_BYTES, dOff, dOff + DIGEST_BYTES);
    this.count++;
    return true;
  }

  remove(h: number, l: number, d: Buffer, dOff: number): boolean {
    const at = this.lowerBound(h, l, d, dOff);
    if (at >= this.count || this.cmp(at, h, l, d, dOff) !== 0) return false;
    this.hi.copyWithin(at, at + 1, this.count);
    this.lo.copyWithin(at, at + 1, this.count);
    this.digests.copyWithin(at * DIGEST_BYTES, (at + 1) * DIGEST_BYTES, this.count * DIGEST_BYTES);
    this.count--;
    if (this.count < this.capacity / 4 && this.capacity > INITIAL_CAPACITY) this.resize(Math.max(INITIAL_CAPACITY, this.capacity >> 1));
    return true;
  }

  private resize(cap: number): void {
    const h = new Int32Array(cap);
    h.set(this.hi.subarray(0, this.count));
    const l = new Uint32Array(cap);
    l.set(this.lo.subarray(0, this.count));
    const d = Buffer.allocUnsafe(cap * DIGEST_BYTES);
    this.digests.copy(d, 0, 0, this.count * DIGEST_BYTES);
    this.hi = h;
    this.lo = l;
    this.digests = d;
  }
}

/** Halves of the last bval split by {@link split} (no array allocated per call). */
let H = 0;
let L = 0;

/** Splits a signed 64-bit bval into H (signed high 32 bits) and L (unsigned low 32 bits). */
function split(bval: bigint): void {
  H = Number(bval >> 32n);
  L = Number(bval & 0xffffffffn);
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
    split(bval);
    if (!p.insert(H, L, digest, dOff)) return false;
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
    split(bval);
    if (!p.remove(H, L, digest, dOff)) return false;
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
    split(end);
    const eh = H;
    const el = L;
    let i: number;
    if (after && after.bval >= begin) {
      if (after.bval > end) return true;
      split(after.bval);
      i = p.lowerBound(H, L, after.digest, 0);
      if (i < p.count && p.equals(i, H, L, after.digest, 0)) i++;
    } else {
      split(begin);
      i = p.lowerBoundBval(H, L);
    }
    for (; i < p.count; i++) {
      if (p.after(i, eh, el)) break;
      if (!fn(p.bval(i), p.digests, i * DIGEST_BYTES)) return false;
    }
    return true;
  }
}
