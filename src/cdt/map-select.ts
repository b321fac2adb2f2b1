/**
 * Map get/remove by key, index, value, rank, key/value list and relative index/rank (server: the
 * packed_map_get_remove_* family), one function per server code path.
 */
import type { AsValue } from '../protocol/msgpack.js';
import { notApplicable, RT } from './constants.js';
import { findItems } from './list-select.js';
import {
  eleByEleIdx,
  eleByIdxRange,
  eleByMask,
  indexByEleIdx,
  indexByMask,
  rankByEleIdx,
  rankByIndexRange,
  rankByMask,
  resultByKey,
} from './map-result.js';
import type { MapWork } from './map-work.js';
import { compareValues } from './order.js';
import { calcIndexCount, calcRelIndexCount } from './range.js';
import {
  intRange,
  invertMask,
  isReturnElements,
  isReturnIndex,
  isReturnIndexRange,
  isReturnRank,
  isReturnRankRange,
  maskCount,
  newMask,
  setBool,
  setByIrc,
  setByItemlistIrc,
  setIndexRankCount,
  setInt,
  setIntListByMask,
  setNotFound,
  setRange,
  type ResultData,
} from './result.js';
import { hasNonStorage } from './normalize.js';
import { findRank } from './search.js';

function keyNotFound(rd: ResultData, index: number): void {
  if (isReturnRankRange(rd) || !setNotFound(rd, index)) notApplicable('invalid return type');
}

function valueNotFound(rd: ResultData, rank: number): void {
  if (isReturnIndexRange(rd) || !setNotFound(rd, rank)) notApplicable('invalid return type');
}

/** Index and count of keys in [start, end) of a key-ordered map (end undefined = to the end). */
function keyRangeOrdered(w: MapWork, start: AsValue, end: AsValue | undefined, single: boolean): [number, number] {
  const f = w.findKeyIndexed(start);
  if (single) return [f.idx, f.found ? 1 : 0];
  if (end === undefined) return [f.idx, w.n - f.idx];
  const e = w.findKeyIndexed(end);
  return [f.idx, e.idx <= f.idx ? 0 : e.idx - f.idx];
}

/** Selects by key or key interval [start, end). */
export function getRemoveByKeyInterval(w: MapWork, rd: ResultData, start: AsValue, end: AsValue | undefined, single: boolean): void {
  if (isReturnRankRange(rd)) notApplicable('rank range return type for a key selection');
  if (w.kOrdered) {
    const [index, count] = keyRangeOrdered(w, start, end, single);
    if (count === 0 && !rd.multi) return keyNotFound(rd, -1);
    return getRemoveByIndexRange(w, rd, BigInt(index), BigInt(count));
  }
  const inverted = rd.inverted;
  if (inverted && !rd.multi) notApplicable('INVERTED on a single result op');
  if (single) {
    const f = w.findKey(start);
    if (!f.found) return keyNotFound(rd, -1);
    if (w.modify) w.write(w.entries.filter((_, i) => i !== f.idx));
    if (!resultByKey(w, rd, start, f.idx, 1)) notApplicable('invalid return type');
    return;
  }
  let index = 0;
  let count = 0;
  const mask = newMask(w.n);
  for (let i = 0; i < w.n; i++) {
    const k = w.key(i);
    if (compareValues(k, start) < 0) index++;
    else if (end === undefined || compareValues(k, end) < 0) {
      mask[i] = true;
      count++;
    }
  }
  let rmCount = count;
  if (inverted) {
    rmCount = w.n - count;
    invertMask(mask);
  }
  if (w.modify && rmCount !== 0) w.removeMask(mask);
  if (isReturnElements(rd)) eleByMask(w, rd, mask);
  else if (isReturnRank(rd)) rankByMask(w, rd, mask);
  else setRange(rd, index, count, w.n);
}

/** Keeps [index, index+count) of a key-ordered map (server: packed_map_trim_ordered). */
function trimOrdered(w: MapWork, rd: ResultData, index: number, count: number): void {
  const n = w.n;
  const end = index + count;
  const rmCount = n - count;
  if (w.modify) w.write(w.entries.slice(index, end));
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
      rd.result = [...intRange(0, index, n, rev), ...intRange(end, n - end, n, rev)];
      return;
    }
    case RT.RANK:
    case RT.REVRANK:
      rd.inverted = true;
      return rankByIndexRange(w, rd, index, count);
    case RT.KEY:
    case RT.VALUE:
    case RT.KEY_VALUE:
    case RT.UNORDERED_MAP:
    case RT.ORDERED_MAP:
      rd.inverted = true;
      return eleByIdxRange(w, rd, index, count);
    default:
      notApplicable('invalid return type');
  }
}

/** Selects every entry (server: packed_map_get_remove_all). */
function getRemoveAll(w: MapWork, rd: ResultData): void {
  const n = w.n;
  if (w.modify) w.write([]);
  switch (rd.type) {
    case RT.NONE:
      return;
    case RT.INDEX:
    case RT.REVINDEX:
    case RT.RANK:
    case RT.REVRANK:
      if (!rd.multi) return setInt(rd, 0);
      rd.result = intRange(0, n, n, false);
      return;
    case RT.COUNT:
      return setInt(rd, n);
    case RT.EXISTS:
      return setBool(rd, n !== 0);
    case RT.KEY:
    case RT.VALUE:
    case RT.KEY_VALUE:
    case RT.UNORDERED_MAP:
    case RT.ORDERED_MAP:
      return eleByIdxRange(w, rd, 0, n);
    case RT.INDEX_RANGE:
    case RT.REVINDEX_RANGE:
    case RT.RANK_RANGE:
    case RT.REVRANK_RANGE:
      rd.result = [0n, BigInt(n)];
      return;
    default:
      notApplicable('invalid return type');
  }
}

/** Selects by key index range (key order). */
export function getRemoveByIndexRange(w: MapWork, rd: ResultData, index: bigint, count: bigint): void {
  const n = w.n;
  const r = calcIndexCount(index, count, n, rd.multi);
  if (!r) notApplicable('index out of bounds');
  if (isReturnRankRange(rd)) notApplicable('rank range return type for an index selection');
  let [start, cnt] = r;
  if (rd.inverted) {
    if (!rd.multi) notApplicable('INVERTED on a single result op');
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
    } else if (w.kOrdered) return trimOrdered(w, rd, start, cnt);
    else rd.inverted = true;
  }
  if (cnt === 0) return keyNotFound(rd, start);
  if (cnt === n) return getRemoveAll(w, rd);

  if (w.kOrdered) {
    if (w.modify) w.write([...w.entries.slice(0, start), ...w.entries.slice(start + cnt)]);
    if (isReturnElements(rd)) eleByIdxRange(w, rd, start, cnt);
    else if (isReturnRank(rd)) rankByIndexRange(w, rd, start, cnt);
    else setRange(rd, start, cnt, n);
    return;
  }
  const inverted = rd.inverted;
  const selected: number[] = [];
  for (let i = start; i < start + cnt; i++) selected.push(i);
  const mask = newMask(n);
  for (const i of selected) mask[i] = true;
  if (inverted) invertMask(mask);
  if (w.modify) w.removeMask(mask);
  switch (rd.type) {
    case RT.RANK:
    case RT.REVRANK:
      if (inverted) rankByMask(w, rd, mask);
      else rankByEleIdx(w, rd, selected);
      return;
    case RT.KEY:
    case RT.VALUE:
    case RT.KEY_VALUE:
    case RT.UNORDERED_MAP:
    case RT.ORDERED_MAP:
      if (inverted) eleByMask(w, rd, mask);
      else eleByEleIdx(w, rd, selected);
      return;
    default:
      setRange(rd, start, cnt, n);
  }
}

/** Selects by value or value interval [start, end). */
export function getRemoveByValueInterval(w: MapWork, rd: ResultData, start: AsValue, end: AsValue | undefined, single: boolean): void {
  if (isReturnIndexRange(rd)) notApplicable('index range return type for a value selection');
  if (rd.inverted && !rd.multi) notApplicable('INVERTED on a single result op');
  const n = w.n;
  if (n === 0) return valueNotFound(rd, -1);
  const wantRank = isReturnRank(rd) || isReturnRankRange(rd);
  let rank = 0;
  let count = 0;
  let first = -1;
  const mask = newMask(n);
  for (let i = 0; i < n; i++) {
    const v = w.value(i);
    const cs = compareValues(v, start);
    if (cs < 0) rank++;
    else if (!single) {
      if (end === undefined || compareValues(v, end) < 0) {
        mask[i] = true;
        count++;
      }
    } else if (cs === 0) {
      if (!rd.multi) {
        if (count === 0) {
          first = i;
          count = 1;
          if (!wantRank) break;
        }
        continue;
      }
      mask[i] = true;
      count++;
    }
  }
  if (!wantRank) rank = 0;
  if (count === 0) {
    if (rd.inverted) {
      rd.inverted = false;
      return getRemoveAll(w, rd);
    }
    return valueNotFound(rd, rank);
  }
  if (!rd.multi) {
    mask.fill(false);
    mask[first] = true;
    count = 1;
  }
  let rmCount = count;
  if (rd.inverted) {
    invertMask(mask);
    rmCount = n - count;
  }
  if (w.modify && rmCount !== 0) w.removeMask(mask);
  if (isReturnElements(rd)) eleByMask(w, rd, mask);
  else if (isReturnIndex(rd)) indexByMask(w, rd, mask);
  else setRange(rd, rank, count, n);
}

/** Selects by rank range ((value, key) order). */
export function getRemoveByRankRange(w: MapWork, rd: ResultData, rank: bigint, count: bigint): void {
  const n = w.n;
  const r = calcIndexCount(rank, count, n, rd.multi);
  if (!r) notApplicable('rank out of bounds');
  if (isReturnIndexRange(rd)) notApplicable('index range return type for a rank selection');
  let [urank, cnt] = r;
  if (rd.inverted) {
    if (!rd.multi) notApplicable('INVERTED on a single result op');
    rd.inverted = false;
    if (cnt === 0) {
      urank = 0;
      cnt = n;
    } else if (urank === 0) {
      urank = cnt;
      cnt = n - cnt;
    } else if (urank + cnt >= n) {
      cnt = urank;
      urank = 0;
    } else rd.inverted = true;
  }
  if (cnt === 0) return valueNotFound(rd, urank);
  const inverted = rd.inverted;
  const rmCount = inverted ? n - cnt : cnt;
  const selected = w.byRank().slice(urank, urank + cnt);
  const mask = newMask(n);
  for (const i of selected) mask[i] = true;
  if (inverted) invertMask(mask);
  const byMask = inverted || rd.type === RT.ORDERED_MAP;
  if (!byMask) {
    if (isReturnIndex(rd)) indexByEleIdx(w, rd, selected, urank);
    else if (isReturnElements(rd)) eleByEleIdx(w, rd, selected);
  }
  if (w.modify) w.removeMask(mask);
  switch (rd.type) {
    case RT.NONE:
    case RT.COUNT:
    case RT.EXISTS:
    case RT.RANK:
    case RT.REVRANK:
      return setIndexRankCount(rd, urank, cnt, n);
    case RT.INDEX:
    case RT.REVINDEX:
      if (inverted) indexByMask(w, rd, mask);
      return;
    case RT.KEY:
    case RT.VALUE:
    case RT.KEY_VALUE:
    case RT.UNORDERED_MAP:
    case RT.ORDERED_MAP:
      if (byMask) eleByMask(w, rd, mask);
      return;
    case RT.RANK_RANGE:
    case RT.REVRANK_RANGE:
      return setRange(rd, urank, rmCount, n);
    default:
      notApplicable('invalid return type');
  }
}

/** Selects every entry whose key is in `keys`. */
export function getRemoveAllByKeyList(w: MapWork, rd: ResultData, keys: AsValue[]): void {
  if (keys.length === 0) {
    switch (rd.type) {
      case RT.RANK:
      case RT.REVRANK:
      case RT.INDEX_RANGE:
      case RT.REVINDEX_RANGE:
      case RT.RANK_RANGE:
      case RT.REVRANK_RANGE:
        notApplicable('invalid return type for an empty key list');
    }
    if (!rd.inverted) {
      setNotFound(rd, 0);
      return;
    }
    rd.inverted = false;
    return getRemoveAll(w, rd);
  }
  if (w.kOrdered) return keyListOrdered(w, rd, keys);
  return keyListUnordered(w, rd, keys);
}

function keyListOrdered(w: MapWork, rd: ResultData, keys: AsValue[]): void {
  const n = w.n;
  const inverted = rd.inverted;
  const needMask = w.modify || isReturnElements(rd) || rd.type === RT.COUNT || (inverted && rd.type !== RT.NONE);
  const rc: [number, number][] = keys.map((key) => {
    if (hasNonStorage(key)) {
      // a WILDCARD key may match several entries: first and one-past-last equal keys
      const probe = (i: number) => compareValues(key, w.key(i));
      const f = findRank(probe, n, 0, n, 0);
      if (!f.found) return [f.rank, 0];
      const e = findRank(probe, n, f.rank, n - f.rank, n);
      return [f.rank, e.rank - f.rank];
    }
    const f = w.findKey(key);
    return [f.idx, f.found ? 1 : 0];
  });
  let rcCount = 0;
  for (const [, c] of rc) rcCount += c;
  const mask = newMask(n);
  let rmCount = 0;
  if (needMask) {
    for (const [rank, c] of rc) for (let j = rank; j < rank + c; j++) mask[j] = true;
    if (inverted) invertMask(mask);
    rmCount = maskCount(mask);
  } else if (rd.type === RT.EXISTS) rmCount = rcCount;
  if (w.modify && rmCount !== 0) w.removeMask(mask);
  switch (rd.type) {
    case RT.NONE:
      return;
    case RT.INDEX:
    case RT.REVINDEX:
      if (inverted) return setIntListByMask(rd, mask, rmCount, n);
      return setByIrc(rd, rc, n, null);
    case RT.COUNT:
      return setInt(rd, rmCount);
    case RT.EXISTS:
      return setBool(rd, rmCount !== 0);
    case RT.KEY:
    case RT.VALUE:
    case RT.KEY_VALUE:
    case RT.UNORDERED_MAP:
    case RT.ORDERED_MAP:
      return eleByMask(w, rd, mask);
    default:
      notApplicable('invalid return type');
  }
}

function keyListUnordered(w: MapWork, rd: ResultData, keys: AsValue[]): void {
  const wantIndex = isReturnIndex(rd);
  const { mask, count, itemsOrd, irc } = findItems(
    w.entries.map((e) => e[0]),
    keys,
    rd.inverted,
    wantIndex,
  );
  if (w.modify && count !== 0) w.removeMask(mask);
  switch (rd.type) {
    case RT.NONE:
      return;
    case RT.INDEX:
    case RT.REVINDEX:
      return setByItemlistIrc(rd, itemsOrd, irc, w.n);
    case RT.COUNT:
      return setInt(rd, count);
    case RT.EXISTS:
      return setBool(rd, count !== 0);
    case RT.KEY:
    case RT.VALUE:
    case RT.KEY_VALUE:
    case RT.UNORDERED_MAP:
    case RT.ORDERED_MAP:
      return eleByMask(w, rd, mask);
    default:
      notApplicable('invalid return type');
  }
}

/** Selects every entry whose value is in `values`. */
export function getRemoveAllByValueList(w: MapWork, rd: ResultData, values: AsValue[]): void {
  if (values.length === 0) {
    if (isReturnIndexRange(rd) || isReturnRankRange(rd)) notApplicable('invalid return type for an empty value list');
    if (!rd.inverted) {
      setNotFound(rd, 0);
      return;
    }
    rd.inverted = false;
    return getRemoveAll(w, rd);
  }
  const wantRank = isReturnRank(rd);
  const { mask, count, itemsOrd, irc } = findItems(
    w.entries.map((e) => e[1]),
    values,
    rd.inverted,
    wantRank,
  );
  if (w.modify && count !== 0) w.removeMask(mask);
  switch (rd.type) {
    case RT.NONE:
      return;
    case RT.INDEX:
    case RT.REVINDEX:
      return indexByMask(w, rd, mask);
    case RT.RANK:
    case RT.REVRANK:
      return setByItemlistIrc(rd, itemsOrd, irc, w.n);
    case RT.COUNT:
      return setInt(rd, count);
    case RT.EXISTS:
      return setBool(rd, count !== 0);
    case RT.KEY:
    case RT.VALUE:
    case RT.KEY_VALUE:
    case RT.UNORDERED_MAP:
    case RT.ORDERED_MAP:
      return eleByMask(w, rd, mask);
    default:
      notApplicable('invalid return type');
  }
}

/** Selects by key index relative to the index of `key`. */
export function getRemoveByRelIndexRange(w: MapWork, rd: ResultData, key: AsValue, index: bigint, count: bigint): void {
  const rel = w.kOrdered ? keyRangeOrdered(w, key, key, true)[0] : w.keyIndex(key);
  const [i, c] = calcRelIndexCount(index, count, rel);
  getRemoveByIndexRange(w, rd, i, c);
}

/** Selects by rank relative to the rank of `value`. */
export function getRemoveByRelRankRange(w: MapWork, rd: ResultData, value: AsValue, rank: bigint, count: bigint): void {
  const [i, c] = calcRelIndexCount(rank, count, w.valueRank(value));
  getRemoveByRankRange(w, rd, i, c);
}
