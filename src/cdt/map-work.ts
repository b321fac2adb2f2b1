/**
 * A map being operated on, with the lookups the map ops share.
 *
 * Entries are kept sorted by key for every map order: Aerospike 8.x sorts unordered maps by key
 * when they are written and inserts new keys at their sorted position, so "index" means key order
 * and the stored order equals it. "Rank" orders entries by value, ties broken by key.
 */
import { AsMap, type AsValue } from '../protocol/msgpack.js';
import { MapFlag } from './constants.js';
import { storedMapFlags } from './normalize.js';
import { compareValues, hasNaN, SORTED_RANK_MIN } from './order.js';
import { findKeyIndexed } from './search.js';

export type Entry = [AsValue, AsValue];

/** Returns the entries sorted by key (a stored unordered map may come in any order). */
export function sortedEntries(m: AsMap): Entry[] {
  const e = m.entries;
  for (let i = 1; i < e.length; i++) {
    if (compareValues(e[i - 1]![0], e[i]![0]) > 0) return e.slice().sort((a, b) => compareValues(a[0], b[0]));
  }
  return e;
}

function inversePermutation(order: number[]): number[] {
  const pos = new Array<number>(order.length);
  for (let i = 0; i < order.length; i++) pos[order[i]!] = i;
  return pos;
}

export class MapWork {
  /** the new map when the op changed it */
  written: AsMap | undefined;
  /** the op finished as a no-op that still materialises a map created through a context */
  touched = false;

  constructor(
    readonly entries: Entry[],
    readonly flags: number,
    readonly modify: boolean,
  ) {}

  static of(m: AsMap, modify: boolean): MapWork {
    return new MapWork(sortedEntries(m), m.flags, modify);
  }

  get n(): number {
    return this.entries.length;
  }

  get kOrdered(): boolean {
    return (this.flags & MapFlag.K_ORDERED) !== 0;
  }

  key(i: number): AsValue {
    return this.entries[i]![0];
  }

  value(i: number): AsValue {
    return this.entries[i]![1];
  }

  write(entries: Entry[], flags = this.flags): void {
    this.written = new AsMap(entries, storedMapFlags(flags));
  }

  removeMask(mask: boolean[]): void {
    this.write(this.entries.filter((_, i) => !mask[i]));
  }

  /** Key lookup (server: packed_map_find_key): binary search when key-ordered, else linear. */
  findKey(key: AsValue): { found: boolean; idx: number } {
    if (this.kOrdered) return this.findKeyIndexed(key);
    for (let i = 0; i < this.n; i++) if (compareValues(key, this.key(i)) === 0) return { found: true, idx: i };
    return { found: false, idx: this.n };
  }

  /** Binary search over the keys: the equal key or the insertion point. */
  findKeyIndexed(key: AsValue): { found: boolean; idx: number } {
    return findKeyIndexed((i) => compareValues(key, this.key(i)), this.n);
  }

  /**
   * Key lookup for inserting into an unordered map (server: packed_map_find_key_maybe_unordered):
   * the equal key, or the first greater key while the keys seen so far are ascending.
   */
  findKeyForInsert(key: AsValue): { found: boolean; idx: number } {
    let idx = this.n;
    let ascending = true;
    for (let i = 0; i < this.n; i++) {
      const c = compareValues(key, this.key(i));
      if (ascending && i > 0 && compareValues(this.key(i - 1), this.key(i)) > 0) ascending = false;
      if (c === 0) return { found: true, idx: i };
      if (ascending && idx === this.n && c < 0) idx = i;
    }
    return { found: false, idx };
  }

  /** Number of keys less than `key` (the key index of `key`). */
  keyIndex(key: AsValue): number {
    let r = 0;
    for (let i = 0; i < this.n; i++) if (compareValues(this.key(i), key) < 0) r++;
    return r;
  }

  /** Number of values less than `v`. */
  valueRank(v: AsValue): number {
    let r = 0;
    for (let i = 0; i < this.n; i++) if (compareValues(this.value(i), v) < 0) r++;
    return r;
  }

  /** Orders entries by value, then key. */
  compareEntries(i: number, j: number): number {
    return compareValues(this.value(i), this.value(j)) || compareValues(this.key(i), this.key(j));
  }

  private rankOrder: number[] | undefined;
  private rankPos: number[] | null | undefined;

  /** Rank of entry `idx` in (value, key) order. */
  rankOfEntry(idx: number): number {
    if (this.rankPos === undefined) {
      const fast = this.n >= SORTED_RANK_MIN && !this.entries.some(([, v]) => hasNaN(v));
      this.rankPos = fast ? inversePermutation(this.byRank()) : null;
    }
    if (this.rankPos) return this.rankPos[idx]!;
    let r = 0;
    for (let i = 0; i < this.n; i++) if (this.compareEntries(i, idx) < 0) r++;
    return r;
  }

  /** Entry indexes sorted by (value, key). */
  byRank(): number[] {
    if (!this.rankOrder) {
      const idx = this.entries.map((_, i) => i);
      idx.sort((a, b) => this.compareEntries(a, b) || a - b);
      this.rankOrder = idx;
    }
    return this.rankOrder;
  }
}
