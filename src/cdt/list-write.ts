/**
 * List writes: append/insert (with ADD_UNIQUE, INSERT_BOUNDED, NO_FAIL, PARTIAL), set, increment,
 * sort and set-type (server: list_append, packed_list_insert, packed_list_add_*_ordered, list_set,
 * list_increment, list_sort, list_set_flags).
 */
import { AsError, ResultCode } from '../protocol/result-codes.js';
import type { AsValue } from '../protocol/msgpack.js';
import { badParam, INT32_MAX, ListWrite, MAX_LIST_ELEMENTS, notApplicable, SortFlag, UINT32_MAX } from './constants.js';
import { applyDelta, parseDelta } from './delta.js';
import type { ListWork } from './list-select.js';
import { compareValues, countLess, hasNaN, sortedIndexes } from './order.js';
import { setInt, type ResultData } from './result.js';
import { findRank } from './search.js';


const isUnique = (f: bigint) => (f & BigInt(ListWrite.ADD_UNIQUE)) !== 0n;
const isBounded = (f: bigint) => (f & BigInt(ListWrite.INSERT_BOUNDED)) !== 0n;
const isNoFail = (f: bigint) => (f & BigInt(ListWrite.NO_FAIL)) !== 0n;
const isPartial = (f: bigint) => (f & BigInt(ListWrite.NO_FAIL | ListWrite.PARTIAL)) === BigInt(ListWrite.NO_FAIL | ListWrite.PARTIAL);

/** ELEMENT_EXISTS, or a silent no-op with NO_FAIL. */
function exists(flags: bigint): void {
  if (!isNoFail(flags)) throw new AsError(ResultCode.ELEMENT_EXISTS);
}

function resultInt(rd: ResultData | null, v: number): void {
  if (rd) setInt(rd, v);
}

function checkSize(n: number): void {
  if (n > MAX_LIST_ELEMENTS) throw new AsError(ResultCode.RECORD_TOO_BIG, 'list too large');
}

/** Number of elements equal to `v` (0 or 1 when `all` is false). */
function countEqual(items: AsValue[], v: AsValue, all: boolean): { count: number; first: number } {
  let count = 0;
  let first = -1;
  for (let i = 0; i < items.length; i++) {
    if (compareValues(items[i]!, v) === 0) {
      if (count === 0) first = i;
      count++;
      if (!all) break;
    }
  }
  return { count, first };
}

/** Sizes above which the unique checks use sorted copies instead of pairwise scans. */
const SORTED_CHECK_MIN = 32;

/** Whether each of `values` is already in the list (server: one scan per value). */
function membership(w: ListWork, values: AsValue[]): (i: number) => boolean {
  if (w.n + values.length < SORTED_CHECK_MIN || hasNaN(w.items) || hasNaN(values)) {
    return (i) => countEqual(w.items, values[i]!, false).count !== 0;
  }
  const sorted = w.items.slice().sort(compareValues);
  return (i) => {
    const v = values[i]!;
    const at = countLess(sorted, v);
    return at < sorted.length && compareValues(sorted[at]!, v) === 0;
  };
}

/** Whether each of `values` equals one before it (server: pairwise scan of the earlier values). */
function earlierDuplicates(values: AsValue[]): (i: number) => boolean {
  if (values.length < SORTED_CHECK_MIN || hasNaN(values)) {
    return (i) => {
      for (let j = 0; j < i; j++) if (compareValues(values[i]!, values[j]!) === 0) return true;
      return false;
    };
  }
  const dup = new Array<boolean>(values.length).fill(false);
  const ord = sortedIndexes(values.length, (a, b) => compareValues(values[a]!, values[b]!));
  for (let k = 1; k < ord.length; k++) {
    if (compareValues(values[ord[k - 1]!]!, values[ord[k]!]!) === 0) dup[ord[k]!] = true;
  }
  return (i) => dup[i]!;
}

/**
 * Inserts `values` at `index` (padding with nil past the end); `rd` null = no result (LIST_SET).
 * `isItems` distinguishes INSERT_ITEMS/APPEND_ITEMS from a single value.
 */
export function insert(w: ListWork, rd: ResultData | null, index: bigint, values: AsValue[], isItems: boolean, flags: bigint): void {
  const n = w.n;
  if (isItems && values.length === 0) {
    resultInt(rd, n);
    w.touched = true;
    return;
  }
  if (index > INT32_MAX) notApplicable('index out of bounds');
  const idx = index < 0n ? BigInt(n) + index : index;
  if (idx < 0n) notApplicable('index out of bounds');
  const at = Number(idx);
  if (isBounded(flags) && at > n) {
    if (isNoFail(flags)) return resultInt(rd, n);
    notApplicable('insert out of bounds');
  }

  let add = values;
  if (isUnique(flags)) {
    if (isItems) {
      add = [];
      let skipped = 0;
      const inList = membership(w, values);
      const earlierDup = earlierDuplicates(values);
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (!inList(i)) {
          if (earlierDup(i)) {
            if (!isNoFail(flags)) notApplicable('duplicate values in items');
            if (!isPartial(flags)) return resultInt(rd, n);
            skipped++;
          } else add.push(v);
        } else if (isPartial(flags)) skipped++;
        else {
          resultInt(rd, n);
          return exists(flags);
        }
      }
      if (skipped === values.length) {
        resultInt(rd, n);
        return exists(flags);
      }
    } else if (countEqual(w.items, values[0]!, false).count !== 0) {
      resultInt(rd, n);
      return exists(flags);
    }
  }

  if (at + add.length >= 0x7fffffff) badParam('list too large');
  const pad = at > n ? at - n : 0;
  checkSize(n + pad + add.length);
  const out = at >= n ? [...w.items, ...new Array<AsValue>(pad).fill(null), ...add] : [...w.items.slice(0, at), ...add, ...w.items.slice(at)];
  w.write(out);
  resultInt(rd, out.length);
}

/** APPEND to an ordered list: inserted at its sorted position. */
export function addOrdered(w: ListWork, rd: ResultData, value: AsValue, flags: bigint): void {
  const n = w.n;
  const f = findRank((i) => compareValues(value, w.items[i]!), n, 0, n, n + 1);
  if (f.found && isUnique(flags)) {
    setInt(rd, n);
    return exists(flags);
  }
  insert(w, rd, BigInt(f.rank), [value], false, 0n);
}

/** APPEND_ITEMS to an ordered list: each value merged at its sorted position. */
export function addItemsOrdered(w: ListWork, rd: ResultData, values: AsValue[], flags: bigint): void {
  const n = w.n;
  if (values.length === 0) {
    setInt(rd, n);
    w.touched = true;
    return;
  }
  const ord = sortedIndexes(values.length, (a, b) => compareValues(values[a]!, values[b]!));
  const keep = new Array<boolean>(values.length).fill(true);
  const unique = isUnique(flags);
  if (unique) {
    let dups = 0;
    for (let i = 1; i < ord.length; i++) {
      if (compareValues(values[ord[i - 1]!]!, values[ord[i]!]!) === 0) {
        keep[i] = false;
        dups++;
      }
    }
    if (dups !== 0) {
      if (!isNoFail(flags)) notApplicable('duplicate values in items');
      if (!isPartial(flags)) return setInt(rd, n);
    }
  }
  const at: number[] = new Array<number>(ord.length).fill(0);
  let added = 0;
  for (let i = 0; i < ord.length; i++) {
    if (!keep[i]) continue;
    const v = values[ord[i]!]!;
    const f = findRank((j) => compareValues(v, w.items[j]!), n, 0, n, n + 1);
    if (unique && f.found) {
      if (isPartial(flags)) keep[i] = false;
      else {
        setInt(rd, n);
        return exists(flags);
      }
    } else {
      at[i] = f.rank;
      added++;
    }
  }
  checkSize(n + added);
  const out: AsValue[] = [];
  let from = 0;
  for (let i = 0; i < ord.length; i++) {
    if (!keep[i]) continue;
    const pos = at[i]!;
    while (from < pos) out.push(w.items[from++]!);
    out.push(values[ord[i]!]!);
  }
  while (from < n) out.push(w.items[from++]!);
  w.write(out);
  setInt(rd, out.length);
}

/** LIST_SET: replaces the element at `index`, or pads and appends past the end. */
export function set(w: ListWork, index: bigint, value: AsValue, flags: bigint): void {
  if (w.ordered) notApplicable('set on an ordered list');
  const n = w.n;
  if (index >= BigInt(n)) return insert(w, null, index, [value], false, flags);
  if (index > UINT32_MAX) notApplicable('index out of bounds');
  const idx = index < 0n ? BigInt(n) + index : index;
  if (idx < 0n) notApplicable('index out of bounds');
  const at = Number(idx);
  if (isUnique(flags)) {
    const { count, first } = countEqual(w.items, value, false);
    if (count !== 0) {
      if (first !== at) return exists(flags);
      if (countEqual(w.items, value, true).count > 1) return exists(flags);
    }
  }
  const out = w.items.slice();
  out[at] = value;
  w.write(out);
}

/** LIST_INCREMENT: the result is the new element value. */
export function increment(w: ListWork, rd: ResultData, index: bigint, delta: AsValue | undefined, flags: bigint): void {
  const n = w.n;
  if (index > INT32_MAX) notApplicable('index out of bounds');
  const idx = index < 0n ? BigInt(n) + index : index;
  if (idx < 0n) notApplicable('index out of bounds');
  const at = Number(idx);
  const d = parseDelta(delta, false);
  const value = applyDelta(at < n ? w.items[at]! : undefined, d);
  rd.result = value;
  if (w.ordered) return replaceOrdered(w, at, value, flags);
  set(w, BigInt(at), value, flags);
}

/** Replaces the element at `index` of an ordered list and moves it to its sorted position. */
function replaceOrdered(w: ListWork, index: number, value: AsValue, flags: bigint): void {
  const n = w.n;
  const first = findRank((i) => compareValues(value, w.items[i]!), n, 0, n, 0);
  if (index > n) notApplicable('index out of bounds for an ordered list');
  if (isUnique(flags) && first.found) {
    if (first.rank === index) return;
    return exists(flags);
  }
  const rest = index < n ? [...w.items.slice(0, index), ...w.items.slice(index + 1)] : w.items.slice();
  const pos = first.rank <= index ? first.rank : first.rank - 1;
  rest.splice(pos, 0, value);
  w.write(rest);
}

/** LIST_SORT: ascending/descending, optionally dropping duplicates (ordered lists keep their order). */
export function sort(w: ListWork, sortFlags: bigint): void {
  const n = w.n;
  if (n <= 1) return;
  const desc = (sortFlags & BigInt(SortFlag.DESCENDING)) !== 0n;
  const items = w.items;
  const ord = w.ordered
    ? items.map((_, i) => i)
    : sortedIndexes(n, (a, b) => (desc ? -1 : 1) * compareValues(items[a]!, items[b]!));
  let out: AsValue[] = ord.map((i) => items[i]!);
  if ((sortFlags & BigInt(SortFlag.DROP_DUPLICATES)) !== 0n) {
    const kept: AsValue[] = [out[0]!];
    for (let i = 1; i < n; i++) {
      const c = compareValues(out[i - 1]!, out[i]!);
      if (c === 0) continue;
      // the server's duplicate scan expects ascending order and refuses anything else
      if (c > 0) badParam('list not in ascending order');
      kept.push(out[i]!);
    }
    out = kept;
  }
  w.write(out);
}

/** LIST_SET_TYPE: changes the order flag, sorting when the list becomes ordered. */
export function setFlags(w: ListWork, flags: bigint): void {
  const f = Number(flags & 0xffn);
  if ((f & ~0x11) !== 0) notApplicable('invalid list flags');
  const ordered = (f & 1) !== 0;
  if (ordered === w.ordered) {
    w.touched = true;
    // same order flag: the server rewrites only when the persist-index bit differs
    if ((f & 0x10) !== 0) w.write(w.items.slice(), f);
    return;
  }
  const items = ordered && w.n > 1 ? sortedIndexes(w.n, (a, b) => compareValues(w.items[a]!, w.items[b]!)).map((i) => w.items[i]!) : w.items.slice();
  w.write(items, f);
}
