/**
 * Result builders for map selections (server: packed_map_build_*_result_*): elements (keys, values,
 * maps), key indexes and ranks, from an index range, an ordered list of entries, or a mask.
 */
import { AsMap, type AsValue } from '../protocol/msgpack.js';
import { RT } from './constants.js';
import type { Entry, MapWork } from './map-work.js';
import { compareValues } from './order.js';
import { isReturnMap, resultMapFlags, setElement, setInt, setNotFound, type ResultData } from './result.js';

function maskIndexes(mask: boolean[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) out.push(i);
  return out;
}

function mapResult(w: MapWork, rd: ResultData, entries: Entry[], sortIfOrdered: boolean): void {
  const flags = resultMapFlags(rd.type);
  let e = entries;
  if (sortIfOrdered && rd.type === RT.ORDERED_MAP && !w.kOrdered && e.length > 1) {
    e = e.slice().sort((a, b) => compareValues(a[0], b[0]));
  }
  rd.result = new AsMap(e, flags);
}

function pick(w: MapWork, rd: ResultData, i: number): AsValue {
  return rd.type === RT.KEY ? w.key(i) : w.value(i);
}

/** Elements of index range [start, start+count), or of its complement when INVERTED. */
export function eleByIdxRange(w: MapWork, rd: ResultData, start: number, count: number): void {
  const idxs: number[] = [];
  if (rd.inverted) {
    for (let i = 0; i < start; i++) idxs.push(i);
    for (let i = start + count; i < w.n; i++) idxs.push(i);
  } else for (let i = start; i < start + count; i++) idxs.push(i);
  if (isReturnMap(rd)) return mapResult(w, rd, idxs.map((i) => w.entries[i]!), true);
  if (!rd.multi) return setElement(rd, pick(w, rd, start));
  rd.result = idxs.map((i) => pick(w, rd, i));
}

/** Elements of the given entries, in that order. */
export function eleByEleIdx(w: MapWork, rd: ResultData, idxs: number[]): void {
  if (isReturnMap(rd)) return mapResult(w, rd, idxs.map((i) => w.entries[i]!), false);
  if (!rd.multi) {
    if (idxs.length !== 0) setElement(rd, pick(w, rd, idxs[0]!));
    return;
  }
  rd.result = idxs.map((i) => pick(w, rd, i));
}

/** Elements selected by a mask, in key order. */
export function eleByMask(w: MapWork, rd: ResultData, mask: boolean[]): void {
  const idxs = maskIndexes(mask);
  if (!rd.multi) return eleByEleIdx(w, rd, idxs.slice(0, 1));
  if (isReturnMap(rd)) return mapResult(w, rd, idxs.map((i) => w.entries[i]!), true);
  rd.result = idxs.map((i) => pick(w, rd, i));
}

/** Key indexes of the given entries, in that order. */
export function indexByEleIdx(w: MapWork, rd: ResultData, idxs: number[], notFoundIndex: number): void {
  const rev = rd.type === RT.REVINDEX;
  if (idxs.length === 0) {
    setNotFound(rd, notFoundIndex);
    return;
  }
  if (!rd.multi) return setInt(rd, rev ? w.n - idxs[0]! - 1 : idxs[0]!);
  rd.result = idxs.map((i) => BigInt(rev ? w.n - i - 1 : i));
}

/** Key indexes selected by a mask. */
export function indexByMask(w: MapWork, rd: ResultData, mask: boolean[]): void {
  indexByEleIdx(w, rd, maskIndexes(mask), -1);
}

function rankValue(w: MapWork, rd: ResultData, idx: number): bigint {
  const r = w.rankOfEntry(idx);
  return BigInt(rd.type === RT.REVRANK ? w.n - r - 1 : r);
}

/** Ranks of the given entries, in that order. */
export function rankByEleIdx(w: MapWork, rd: ResultData, idxs: number[]): void {
  if (!rd.multi) {
    rd.result = rankValue(w, rd, idxs[0] ?? 0);
    return;
  }
  rd.result = idxs.map((i) => rankValue(w, rd, i));
}

/** Ranks of the entries selected by a mask, in key order. */
export function rankByMask(w: MapWork, rd: ResultData, mask: boolean[]): void {
  rankByEleIdx(w, rd, maskIndexes(mask));
}

/** Ranks of index range [index, index+count) (or its complement when INVERTED), in key order. */
export function rankByIndexRange(w: MapWork, rd: ResultData, index: number, count: number): void {
  if (!rd.multi) {
    rd.result = rankValue(w, rd, index);
    return;
  }
  const idxs: number[] = [];
  if (rd.inverted) {
    for (let i = 0; i < index; i++) idxs.push(i);
    for (let i = index + count; i < w.n; i++) idxs.push(i);
  } else for (let i = index; i < index + count; i++) idxs.push(i);
  rd.result = idxs.map((i) => rankValue(w, rd, i));
}

/** Result of a single-key lookup on an unordered map (server: packed_map_build_result_by_key). */
export function resultByKey(w: MapWork, rd: ResultData, key: AsValue, idx: number, count: number): boolean {
  switch (rd.type) {
    case RT.NONE:
      return true;
    case RT.INDEX_RANGE:
    case RT.REVINDEX_RANGE:
    case RT.INDEX:
    case RT.REVINDEX: {
      let index = w.kOrdered ? idx : w.keyIndex(key);
      const rev = rd.type === RT.REVINDEX || rd.type === RT.REVINDEX_RANGE;
      if (rev) index = w.n - index - count;
      if (rd.type === RT.INDEX_RANGE || rd.type === RT.REVINDEX_RANGE) rd.result = [BigInt(index), BigInt(count)];
      else setInt(rd, index);
      return true;
    }
    case RT.RANK:
    case RT.REVRANK:
      if (rd.multi) rd.result = Array.from({ length: count }, () => rankValue(w, rd, idx));
      else rd.result = rankValue(w, rd, idx);
      return true;
    case RT.COUNT:
      setInt(rd, count);
      return true;
    case RT.EXISTS:
      rd.result = count !== 0;
      return true;
    case RT.KEY:
    case RT.VALUE:
    case RT.KEY_VALUE:
    case RT.UNORDERED_MAP:
    case RT.ORDERED_MAP:
      eleByIdxRange(w, rd, idx, count);
      return true;
    default:
      return false;
  }
}
