/**
 * List get/remove by index, value, rank, value list and relative rank (server: the
 * packed_list_get_remove_* family). One function per server code path, because the result order
 * and the handling of duplicates differ between them and clients can see it.
 */
import type { AsValue } from '../protocol/msgpack.js';
import { badParam, notApplicable, RT } from './constants.js';
import { makeList } from './normalize.js';
import { compareValues, countLess, hasNaN, SORTED_RANK_MIN } from './order.js';
import { calcIndexCount, calcRelIndexCount } from './range.js';
import {
  intRange,
  invertMask,
  isReturnIndexRange,
  isReturnRankRange,
  maskCount,
  newMask,
  setByIrc,
  setByItemlistIrc,
  setElement,
  setIndexRankCount,
  setInt,
  setBool,
  setIntListByMask,
  setNotFound,
  setRange,
  type ResultData,
} from './result.js';
import { findRank, orderHeapByRange } from './search.js';

/** A list being operated on: its elements, flags, and what the op wrote. */
export class ListWork {
  /** the new list when the op changed it */
  written: AsValue[] | undefined;
  /** the op completed as a no-op that still materialises a container being created */
  touched = false;

  constructor(
    readonly items: AsValue[],
    readonly flags: number,
    readonly modify: boolean,
  ) {}

  get n(): number {
    return this.items.length;
  }

  get ordered(): boolean {
    return (this.flags & 1) !== 0;
  }

  write(items: AsValue[], flags = this.flags): void {
    this.written = makeList(items, flags);
  }

  setEmpty(ordered: boolean): void {
    this.written = makeList([], ordered ? 1 : 0);
  }

  private sorted: AsValue[] | null | undefined;

  /** Number of elements less than `v` (rank of the first element equal to `v`). */
  rankOf(v: AsValue): number {
    if (this.sorted === undefined) {
      const big = this.n >= SORTED_RANK_MIN && !hasNaN(this.items) && !hasNaN(v);
      this.sorted = big ? this.items.slice().sort(compareValues) : null;
    }
    if (this.sorted && !(typeof v === 'number' && Number.isNaN(v))) return countLess(this.sorted, v);
    let r = 0;
    for (const e of this.items) if (compareValues(e, v) < 0) r++;
    return r;
  }

  removeMask(mask: boolean[]): void {
    this.write(this.items.filter((_, i) => !mask[i]));
  }
}

/** Not-found result for lists: map return types do not apply (server: list_result_data_set_not_found). */
function listNotFound(rd: ResultData, index: number): void {
  switch (rd.type) {
    case RT.KEY:
    case RT.KEY_VALUE:
    case RT.UNORDERED_MAP:
    case RT.ORDERED_MAP:
      notApplicable('map return type on a list');
  }
  if (!setNotFound(rd, index)) notApplicable('invalid return type');
}

function valuesByMask(items: AsValue[], mask: boolean[]): AsValue[] {
  const out: AsValue[] = [];
  for (let i = 0; i < items.length; i++) if (mask[i]) out.push(items[i]!);
  return out;
}

/** Selects by index range; handles every return type the server supports for lists. */
export function getRemoveByIndexRange(w: ListWork, rd: ResultData, index: bigint, count: bigint): void {
  const n = w.n;
  const r = calcIndexCount(index, count, n, rd.multi);
  if (!r) notApplicable('index out of bounds');
  let [start, cnt] = r;
  if (rd.inverted) {
    if (!rd.multi) notApplicable('INVERTED on a single result op');
    if (isReturnIndexRange(rd) || isReturnRankRange(rd)) notApplicable('range return type with INVERTED');
    rd.inverted = false;
    if (cnt === 0) {
      start = 0;
      cnt = n;
    } else if (start === 0) {
      start = cnt;
      cnt = n - cnt;
    } else if (start + cnt >= n) {
      cnt = start;
      start = 0;
    } else return trim(w, rd, start, cnt);
  }
  if (cnt === 0) return listNotFound(rd, start);

  const removed = w.items.slice(start, start + cnt);
  const newCount = n - cnt;
  if (w.modify) {
    if (newCount === 0) w.setEmpty(w.ordered);
    else w.write([...w.items.slice(0, start), ...w.items.slice(start + cnt)]);
  }
  switch (rd.type) {
    case RT.NONE:
      return;
    case RT.INDEX:
    case RT.REVINDEX:
      return setIndexRankCount(rd, start, cnt, n);
    case RT.RANK:
    case RT.REVRANK: {
      const rev = rd.type === RT.REVRANK;
      if (newCount === 0) return setIndexRankCount(rd, 0, cnt, n);
      if (!rd.multi) {
        const rank = w.ordered ? start : w.rankOf(removed[0]!);
        return setInt(rd, rev ? n - rank - 1 : rank);
      }
      if (w.ordered) rd.result = intRange(start, cnt, n, rev);
      else rd.result = removed.map((v) => BigInt(rev ? n - w.rankOf(v) - 1 : w.rankOf(v)));
      return;
    }
    case RT.COUNT:
      return setInt(rd, cnt);
    case RT.EXISTS:
      return setBool(rd, cnt !== 0);
    case RT.VALUE:
      if (rd.multi) rd.result = removed;
      else setElement(rd, removed[0]!);
      return;
    case RT.INDEX_RANGE:
    case RT.REVINDEX_RANGE:
      rd.result = [BigInt(rd.type === RT.REVINDEX_RANGE ? n - start - cnt : start), BigInt(cnt)];
      return;
    case RT.RANK_RANGE:
    case RT.REVRANK_RANGE:
      if (w.ordered) return setRange(rd, start, cnt, n);
      notApplicable('rank range return type on an unordered list');
      break;
    default:
      notApplicable('invalid return type');
  }
}

/** Keeps [start, start+count) and removes the rest (server: packed_list_trim). */
function trim(w: ListWork, rd: ResultData, start: number, count: number): void {
  const n = w.n;
  const end = start + count;
  const rmCount = n - count;
  const head = w.items.slice(0, start);
  const tail = w.items.slice(end);
  if (w.modify) w.write(w.items.slice(start, end));
  switch (rd.type) {
    case RT.NONE:
      return;
    case RT.COUNT:
      return setInt(rd, rmCount);
    case RT.EXISTS:
      return setBool(rd, rmCount !== 0);
    case RT.INDEX:
    case RT.REVINDEX: {
      const rev = rd.type === RT.REVINDEX;
      rd.result = [...intRange(0, start, n, rev), ...intRange(end, n - end, n, rev)];
      return;
    }
    case RT.RANK:
    case RT.REVRANK: {
      const rev = rd.type === RT.REVRANK;
      if (w.ordered) {
        rd.result = [...intRange(0, start, n, rev), ...intRange(end, rmCount - start, n, rev)];
        return;
      }
      rd.result = [...head, ...tail].map((v) => BigInt(rev ? n - w.rankOf(v) - 1 : w.rankOf(v)));
      return;
    }
    case RT.VALUE:
      rd.result = [...head, ...tail];
      return;
    default:
      notApplicable('return type not supported by trim');
  }
}

/**
 * Rank and count of [start, end) in an ordered list (server:
 * packed_list_find_rank_range_by_value_interval_ordered). `end` undefined = up to the largest value;
 * `single` = the op looks for one value (start == end).
 */
export function orderedRankRange(
  items: AsValue[],
  start: AsValue,
  end: AsValue | undefined,
  single: boolean,
  multi: boolean,
): [number, number] {
  const n = items.length;
  const find = (v: AsValue, from: number, target: number) =>
    findRank((i) => compareValues(v, items[i]!), n, from, n - from, target);
  const f = find(start, 0, 0);
  const rank = f.rank;
  if (single) {
    if (!f.found) return [rank, 0];
    if (!multi) return [rank, 1];
    const last = find(start, rank + 1, n);
    return [rank, last.found ? last.rank - rank : 1];
  }
  if (end === undefined) return [rank, n - rank];
  if (compareValues(start, end) >= 0) return [rank, 0];
  const e = find(end, rank, 0);
  return [rank, e.rank - rank];
}

/** Selects values in [start, end) (or equal to `start` when `single`). */
export function getRemoveByValueInterval(
  w: ListWork,
  rd: ResultData,
  start: AsValue,
  end: AsValue | undefined,
  single: boolean,
): void {
  const inverted = rd.inverted;
  if (inverted && !rd.multi) notApplicable('INVERTED on a single result op');
  const n = w.n;
  if (w.ordered) {
    const [rank, count] = orderedRankRange(w.items, start, end, single, rd.multi);
    if (count === 0 && !rd.multi) return listNotFound(rd, 0);
    return getRemoveByIndexRange(w, rd, BigInt(rank), BigInt(count));
  }

  // unordered: one scan computes the rank of `start`, the selection and the first match
  let rank = 0;
  let count = 0;
  let first = 0;
  const mask = newMask(n);
  for (let i = 0; i < n; i++) {
    const e = w.items[i]!;
    const cs = compareValues(e, start);
    if (cs < 0) {
      rank++;
      if (inverted) {
        mask[i] = true;
        count++;
      }
    } else if (!single) {
      const ce = end === undefined ? -1 : compareValues(e, end);
      if ((ce < 0 && !inverted) || (ce >= 0 && inverted)) {
        mask[i] = true;
        count++;
      }
    } else if (cs === 0) {
      if (rd.multi) {
        if (!inverted) {
          mask[i] = true;
          count++;
        }
      } else if (count === 0) {
        first = i;
        count++;
      }
    } else if (inverted && rd.multi) {
      mask[i] = true;
      count++;
    }
  }

  if (w.modify) {
    if (count === n) w.setEmpty(false);
    else if (count !== 0) {
      if (rd.multi) w.removeMask(mask);
      else w.write(w.items.filter((_, i) => i !== first));
    }
  }
  switch (rd.type) {
    case RT.NONE:
    case RT.COUNT:
    case RT.EXISTS:
    case RT.RANK:
    case RT.REVRANK:
    case RT.RANK_RANGE:
    case RT.REVRANK_RANGE:
      return setRange(rd, rank, inverted ? n - count : count, n);
    case RT.INDEX:
    case RT.REVINDEX:
      if (rd.multi) return setIntListByMask(rd, mask, count, n);
      return setIndexRankCount(rd, first, count, n);
    case RT.VALUE:
      if (rd.multi) rd.result = valuesByMask(w.items, mask);
      else if (count !== 0) setElement(rd, w.items[first]!);
      return;
    default:
      notApplicable('invalid return type');
  }
}

/** Selects by rank range; unordered lists use the server's order heap (duplicates matter). */
export function getRemoveByRankRange(w: ListWork, rd: ResultData, rank: bigint, count: bigint): void {
  const inverted = rd.inverted;
  if (inverted && !rd.multi) notApplicable('INVERTED on a single result op');
  if (w.ordered) return getRemoveByIndexRange(w, rd, rank, count);
  const n = w.n;
  const r = calcIndexCount(rank, count, n, rd.multi);
  if (!r) notApplicable('rank out of bounds');
  const [urank, cnt] = r;
  const items = w.items;
  const { heap, filled } = orderHeapByRange(n, urank, cnt, (a, b) => compareValues(items[a]!, items[b]!));
  const rmCount = inverted ? n - cnt : cnt;
  if (rmCount === 0) return listNotFound(rd, urank);

  const mask = newMask(n);
  for (let i = 0; i < cnt; i++) mask[heap[filled + i]!] = true;
  if (inverted) {
    invertMask(mask);
    if (isReturnRankRange(rd)) notApplicable('range return type with INVERTED');
  }
  const selected = inverted ? [] : heap.slice(filled, filled + rmCount);
  if (w.modify) w.removeMask(mask);
  switch (rd.type) {
    case RT.NONE:
    case RT.COUNT:
    case RT.EXISTS:
    case RT.RANK:
    case RT.REVRANK:
    case RT.RANK_RANGE:
    case RT.REVRANK_RANGE:
      return setRange(rd, urank, cnt, n);
    case RT.INDEX:
    case RT.REVINDEX:
      return setIntListByMask(rd, mask, rmCount, n);
    case RT.VALUE:
      if (inverted) rd.result = valuesByMask(items, mask);
      else if (!rd.multi) setElement(rd, items[selected[0]!]!);
      else rd.result = selected.map((i) => items[i]!);
      return;
    default:
      notApplicable('invalid return type');
  }
}

/** Maximum number of values in a value-list argument (server: CDT_MAX_PARAM_LIST_COUNT). */
export const MAX_PARAM_LIST_COUNT = 1024 * 1024;

/** Selects every element equal to one of `list` (a list argument, checked after the return type). */
export function getRemoveAllByValueList(w: ListWork, rd: ResultData, list: AsValue): void {
  if (isReturnRankRange(rd) || isReturnIndexRange(rd)) notApplicable('range return type for a value list');
  if (!Array.isArray(list) || list.length > MAX_PARAM_LIST_COUNT) badParam('expected a list of values');
  const values: AsValue[] = list;
  const inverted = rd.inverted;
  if (values.length === 0) {
    if (!inverted) return listNotFound(rd, 0);
    rd.inverted = false;
    return getRemoveByIndexRange(w, rd, 0n, BigInt(w.n));
  }
  if (w.ordered) return valueListOrdered(w, rd, values);
  return valueListUnordered(w, rd, values);
}

function valueListOrdered(w: ListWork, rd: ResultData, values: AsValue[]): void {
  const n = w.n;
  const inverted = rd.inverted;
  const needMask = w.modify || rd.type === RT.COUNT || (inverted && rd.type !== RT.NONE);
  const rc: [number, number][] = values.map((v) => orderedRankRange(w.items, v, v, true, true));
  let rcCount = 0;
  for (const [, c] of rc) rcCount += c;
  const mask = newMask(n);
  let rmCount = rcCount;
  if (needMask) {
    for (const [rank, c] of rc) for (let j = rank; j < rank + c; j++) mask[j] = true;
    if (inverted) invertMask(mask);
    rmCount = maskCount(mask);
  }
  if (w.modify) {
    if (rmCount === n) w.setEmpty(true);
    else if (rmCount !== 0) w.removeMask(mask);
  }
  switch (rd.type) {
    case RT.NONE:
      return;
    case RT.COUNT:
      return setInt(rd, rmCount);
    case RT.EXISTS:
      return setBool(rd, rmCount !== 0);
    case RT.INDEX:
    case RT.REVINDEX:
    case RT.RANK:
    case RT.REVRANK:
      if (inverted) return setIntListByMask(rd, mask, rmCount, n);
      return setByIrc(rd, rc, n, null);
    case RT.VALUE:
      if (inverted) rd.result = valuesByMask(w.items, mask);
      else {
        const out: AsValue[] = [];
        for (const [rank, c] of rc) for (let j = rank; j < rank + c; j++) out.push(w.items[j]!);
        rd.result = out;
      }
      return;
    default:
      notApplicable('invalid return type');
  }
}

/**
 * Matches list elements against the sorted item list (server: offset_index_find_items). Returns the
 * mask of selected elements, their count, the sorted item order and, when asked, each item's
 * (rank, count) among the elements.
 */
export function findItems(
  elements: AsValue[],
  values: AsValue[],
  inverted: boolean,
  wantRanks: boolean,
): { mask: boolean[]; count: number; itemsOrd: number[]; irc: [number, number][] } {
  const m = values.length;
  const itemsOrd = values.map((_, i) => i);
  itemsOrd.sort((a, b) => compareValues(values[a]!, values[b]!) || a - b);
  const irc: [number, number][] = values.map(() => [0, 0]);
  const mask = newMask(elements.length);
  let count = 0;
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i]!;
    const f = findRank(
      (r) => compareValues(e, values[itemsOrd[r]!]!),
      m,
      0,
      m,
      wantRanks ? m : m + 1,
      (r) => itemsOrd[r]!,
    );
    if (wantRanks) {
      if (f.found) irc[itemsOrd[f.rank - 1]!]![1]++;
      if (f.rank !== m) irc[itemsOrd[f.rank]!]![0]++;
    }
    if (f.found !== inverted) {
      mask[i] = true;
      count++;
    }
  }
  if (wantRanks) {
    for (let i = 1; i < m; i++) irc[itemsOrd[i]!]![0] += irc[itemsOrd[i - 1]!]![0];
  }
  return { mask, count, itemsOrd, irc };
}

function valueListUnordered(w: ListWork, rd: ResultData, values: AsValue[]): void {
  const n = w.n;
  const wantRanks = rd.type === RT.RANK || rd.type === RT.REVRANK;
  const { mask, count, itemsOrd, irc } = findItems(w.items, values, rd.inverted, wantRanks);
  if (w.modify) {
    if (count === n) w.setEmpty(false);
    else if (count !== 0) w.removeMask(mask);
  }
  switch (rd.type) {
    case RT.NONE:
      return;
    case RT.INDEX:
    case RT.REVINDEX:
      return setIntListByMask(rd, mask, count, n);
    case RT.RANK:
    case RT.REVRANK:
      return setByItemlistIrc(rd, itemsOrd, irc, n);
    case RT.COUNT:
      return setInt(rd, count);
    case RT.EXISTS:
      return setBool(rd, count !== 0);
    case RT.VALUE:
      rd.result = valuesByMask(w.items, mask);
      return;
    default:
      notApplicable('invalid return type');
  }
}

/** Selects by rank relative to the rank of `value`. */
export function getRemoveByRelRankRange(w: ListWork, rd: ResultData, value: AsValue, rank: bigint, count: bigint): void {
  if (w.ordered) {
    const [rel] = orderedRankRange(w.items, value, value, true, rd.multi);
    const [i, c] = calcRelIndexCount(rank, count, rel);
    return getRemoveByIndexRange(w, rd, i, c);
  }
  const [i, c] = calcRelIndexCount(rank, count, w.rankOf(value));
  return getRemoveByRankRange(w, rd, i, c);
}
