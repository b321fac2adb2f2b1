/**
 * Result building shared by list and map ops (server: cdt_result_data and the result_data_set_*
 * helpers). A result of `undefined` means the server's result bin stayed empty: the op yields no
 * result entry (or a NULL one under RESPOND_ALL_OPS). A nil value found by a VALUE/KEY lookup is also
 * reported as `undefined`, because the server's result bin is empty for nil too.
 */
import { AsMap, type AsValue } from '../protocol/msgpack.js';
import { MapFlag, notApplicable, RT, RT_INVERTED, RT_TYPE_MASK } from './constants.js';

export interface ResultData {
  /** return type without flags (rt & 0xffff) */
  type: number;
  /** INVERTED (0x10000) was set; ops clear it when they reduce an inverted range */
  inverted: boolean;
  /** the op returns a list of results rather than a single one */
  multi: boolean;
  result: AsValue | undefined;
}

/** Splits a wire return type (uint64) into type and INVERTED flag. */
export function makeResult(rt: bigint, multi: boolean): ResultData {
  const u = BigInt.asUintN(64, rt);
  return { type: Number(u & RT_TYPE_MASK), inverted: (u & RT_INVERTED) !== 0n, multi, result: undefined };
}

export function isReturnMap(rd: ResultData): boolean {
  return rd.type === RT.KEY_VALUE || rd.type === RT.UNORDERED_MAP || rd.type === RT.ORDERED_MAP;
}

export function isReturnElements(rd: ResultData): boolean {
  return rd.type === RT.KEY || rd.type === RT.VALUE || isReturnMap(rd);
}

export function isReturnIndex(rd: ResultData): boolean {
  return rd.type === RT.INDEX || rd.type === RT.REVINDEX;
}

export function isReturnIndexRange(rd: ResultData): boolean {
  return rd.type === RT.INDEX_RANGE || rd.type === RT.REVINDEX_RANGE;
}

export function isReturnRank(rd: ResultData): boolean {
  return rd.type === RT.RANK || rd.type === RT.REVRANK;
}

export function isReturnRankRange(rd: ResultData): boolean {
  return rd.type === RT.RANK_RANGE || rd.type === RT.REVRANK_RANGE;
}

/** Map flags of a map-typed result: KEY_VALUE is PRESERVE_ORDER, ORDERED_MAP key-ordered. */
export function resultMapFlags(type: number): number {
  if (type === RT.KEY_VALUE) return MapFlag.PRESERVE_ORDER;
  if (type === RT.ORDERED_MAP) return MapFlag.K_ORDERED;
  return 0;
}

/** `count` consecutive integers from `start`, mirrored when `rev` (server: add_int_range). */
export function intRange(start: number, count: number, eleCount: number, rev: boolean): bigint[] {
  const s = rev ? eleCount - start - count : start;
  const out = new Array<bigint>(count);
  for (let i = 0; i < count; i++) out[i] = BigInt(s + i);
  return out;
}

export function setInt(rd: ResultData, v: number | bigint): void {
  rd.result = typeof v === 'bigint' ? v : BigInt(v);
}

export function setBool(rd: ResultData, v: boolean): void {
  rd.result = v;
}

/** A single element found by lookup; nil leaves the result bin empty. */
export function setElement(rd: ResultData, v: AsValue): void {
  rd.result = v === null ? undefined : v;
}

/** Empty result for a selection that matched nothing; false = the return type does not apply. */
export function setNotFound(rd: ResultData, index: number): boolean {
  switch (rd.type) {
    case RT.NONE:
      return true;
    case RT.INDEX_RANGE:
    case RT.REVINDEX_RANGE:
    case RT.RANK_RANGE:
    case RT.REVRANK_RANGE:
      rd.result = [BigInt(index), 0n];
      return true;
    case RT.INDEX:
    case RT.REVINDEX:
    case RT.RANK:
    case RT.REVRANK:
      rd.result = rd.multi ? [] : -1n;
      return true;
    case RT.COUNT:
      rd.result = 0n;
      return true;
    case RT.EXISTS:
      rd.result = false;
      return true;
    case RT.KEY:
    case RT.VALUE:
      if (rd.multi) rd.result = [];
      return true;
    case RT.KEY_VALUE:
    case RT.UNORDERED_MAP:
    case RT.ORDERED_MAP:
      rd.result = new AsMap([], resultMapFlags(rd.type));
      return true;
    default:
      return false;
  }
}

/**
 * Result for a contiguous range [start, start+count) of indexes or ranks (server:
 * result_data_set_index_rank_count); honours INVERTED.
 */
export function setIndexRankCount(rd: ResultData, start: number, count: number, eleCount: number): void {
  const inv = rd.inverted;
  switch (rd.type) {
    case RT.NONE:
      return;
    case RT.COUNT:
      setInt(rd, inv ? eleCount - count : count);
      return;
    case RT.EXISTS:
      setBool(rd, inv ? count === 0 : count !== 0);
      return;
    case RT.REVINDEX:
    case RT.REVRANK:
    case RT.INDEX:
    case RT.RANK: {
      const rev = rd.type === RT.REVINDEX || rd.type === RT.REVRANK;
      if (!rd.multi) {
        if (count === 0) setInt(rd, -1);
        else setInt(rd, rev ? eleCount - start - 1 : start);
        return;
      }
      if (inv) {
        rd.result = [
          ...intRange(0, start, eleCount, rev),
          ...intRange(start + count, eleCount - start - count, eleCount, rev),
        ];
      } else rd.result = intRange(start, count, eleCount, rev);
      return;
    }
    default:
      notApplicable('invalid return type');
  }
}

/** Result for a range selection (server: result_data_set_range). */
export function setRange(rd: ResultData, start: number, count: number, eleCount: number): void {
  switch (rd.type) {
    case RT.NONE:
      return;
    case RT.COUNT:
    case RT.EXISTS:
    case RT.REVINDEX:
    case RT.REVRANK:
    case RT.INDEX:
    case RT.RANK:
      setIndexRankCount(rd, start, count, eleCount);
      return;
    case RT.REVINDEX_RANGE:
    case RT.REVRANK_RANGE:
    case RT.INDEX_RANGE:
    case RT.RANK_RANGE: {
      if (rd.inverted) notApplicable('range return type with INVERTED');
      const s = rd.type === RT.REVINDEX_RANGE || rd.type === RT.REVRANK_RANGE ? eleCount - start - count : start;
      rd.result = [BigInt(s), BigInt(count)];
      return;
    }
    default:
      notApplicable('invalid return type');
  }
}

/**
 * Indexes/ranks from (rank, count) pairs in item order, optionally mapped through `idxMap`
 * (server: result_data_set_by_irc). Does not honour INVERTED.
 */
export function setByIrc(rd: ResultData, irc: [number, number][], maxIdx: number, idxMap: number[] | null): void {
  const rev = rd.type === RT.REVINDEX || rd.type === RT.REVRANK;
  const out: bigint[] = [];
  for (const [rank, count] of irc) {
    if (count === 0) continue;
    if (idxMap) for (let j = rank; j < rank + count; j++) out.push(...intRange(idxMap[j]!, 1, maxIdx, rev));
    else out.push(...intRange(rank, count, maxIdx, rev));
  }
  rd.result = out;
}

/**
 * Ranks for a list of items (server: result_data_set_by_itemlist_irc): per item in request order,
 * or when INVERTED the complement walked in sorted item order.
 */
export function setByItemlistIrc(rd: ResultData, itemsOrd: number[], irc: [number, number][], eleCount: number): void {
  const rev = rd.type === RT.REVINDEX || rd.type === RT.REVRANK;
  const out: bigint[] = [];
  if (!rd.inverted) {
    for (let i = 0; i < irc.length; i++) {
      const [rank, count] = irc[i]!;
      for (let j = 0; j < count; j++) out.push(...intRange(rank + j, 1, eleCount, rev));
    }
  } else {
    let prev = 0;
    for (const klIdx of itemsOrd) {
      const [index, count] = irc[klIdx]!;
      if (count === 0) continue;
      out.push(...intRange(prev, index - prev, eleCount, rev));
      prev = index + count;
    }
    out.push(...intRange(prev, eleCount - prev, eleCount, rev));
  }
  rd.result = out;
}

/** Indexes of the set mask bits in order (server: result_data_set_int_list_by_mask). */
export function setIntListByMask(rd: ResultData, mask: boolean[], count: number, eleCount: number): void {
  const rev = rd.type === RT.REVINDEX || rd.type === RT.REVRANK;
  if (!rd.multi) {
    let idx = mask.indexOf(true);
    if (idx < 0) idx = eleCount;
    setInt(rd, rev ? eleCount - idx - 1 : idx);
    return;
  }
  const out: bigint[] = [];
  for (let i = 0; i < eleCount && out.length < count; i++) {
    if (mask[i]) out.push(BigInt(rev ? eleCount - i - 1 : i));
  }
  rd.result = out;
}

/** Mask helpers (server: cdt_idx_mask). */
export function newMask(n: number): boolean[] {
  return new Array<boolean>(n).fill(false);
}

export function invertMask(mask: boolean[]): void {
  for (let i = 0; i < mask.length; i++) mask[i] = !mask[i];
}

export function maskCount(mask: boolean[]): number {
  let c = 0;
  for (const b of mask) if (b) c++;
  return c;
}
