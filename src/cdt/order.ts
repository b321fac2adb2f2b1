/**
 * Aerospike's value ordering (server `msgpack_cmp`): type first, then value.
 *
 * Type order: NIL < false < true < integer < string < list < map < bytes < double < geojson <
 * other ext < WILDCARD < INF. Integers and doubles are not compared numerically with each other.
 * Strings, blobs and GeoJSON compare their particle-tagged bytes with memcmp, then by length; lists
 * element by element, then by length; maps by entry count, then key/value pairs in stored order.
 *
 * WILDCARD ends the whole comparison as "equal" the moment it is reached (so `[1, *]` equals every
 * list starting with 1, and a wildcard nested in the first element of a pair also ends the compare
 * of the outer containers): that is how the server's flat msgpack walk behaves.
 */
import { AsBytes, AsExt, AsGeoJson, AsMap, AsSpecial, type AsValue } from '../protocol/msgpack.js';

const T_NIL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_INT = 4;
const T_STRING = 6;
const T_LIST = 7;
const T_MAP = 8;
const T_BYTES = 9;
const T_DOUBLE = 10;
const T_GEOJSON = 11;
const T_EXT = 12;
const T_WILDCARD = 13;
const T_INF = 14;

/** Internal marker: a wildcard was reached, the comparison is over and "equal". */
const WILD = 2;

/** Nesting bound for comparisons (values come from msgpack decoding, which is bounded at 256). */
const MAX_DEPTH = 1024;

function typeRank(v: AsValue): number {
  if (v === null) return T_NIL;
  switch (typeof v) {
    case 'boolean':
      return v ? T_TRUE : T_FALSE;
    case 'bigint':
      return T_INT;
    case 'string':
      return T_STRING;
    case 'number':
      return T_DOUBLE;
  }
  if (Array.isArray(v)) return T_LIST;
  if (v instanceof AsMap) return T_MAP;
  if (v instanceof AsBytes) return T_BYTES;
  if (v instanceof AsGeoJson) return T_GEOJSON;
  if (v instanceof AsSpecial) return v === AsSpecial.WILDCARD ? T_WILDCARD : T_INF;
  return T_EXT;
}

/** Code-point order of two JS strings, i.e. the order of their UTF-8 bytes. */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // surrogates (code points >= 0x10000) sort after the BMP range 0xE000..0xFFFF in UTF-8
    if (x >= 0xd800) x = x < 0xe000 ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function compareTagged(ta: number, a: Buffer, tb: number, b: Buffer): number {
  if (ta !== tb) return ta < tb ? -1 : 1;
  return Buffer.compare(a, b);
}

function compareBuffers(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

/** Returns -1, 0, 1, or WILD (2) when a wildcard ended the comparison. */
function cmp(a: AsValue, b: AsValue, depth: number): number {
  if (depth > MAX_DEPTH) return 0;
  const ta = typeRank(a);
  const tb = typeRank(b);
  if (ta === T_WILDCARD || tb === T_WILDCARD) return WILD;
  if (ta !== tb) return ta < tb ? -1 : 1;
  switch (ta) {
    case T_NIL:
    case T_FALSE:
    case T_TRUE:
    case T_INF:
      return 0;
    case T_INT: {
      const x = a as bigint;
      const y = b as bigint;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case T_DOUBLE: {
      const x = a as number;
      const y = b as number;
      // NaN compares equal to every double, as in the server
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case T_STRING:
      return compareStrings(a as string, b as string);
    case T_BYTES: {
      const x = a as AsBytes;
      const y = b as AsBytes;
      return compareTagged(x.type, x.bytes, y.type, y.bytes);
    }
    case T_GEOJSON:
      return compareStrings((a as AsGeoJson).json, (b as AsGeoJson).json);
    case T_EXT:
      return compareBuffers((a as AsExt).data, (b as AsExt).data);
    case T_LIST: {
      const x = a as AsValue[];
      const y = b as AsValue[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = cmp(x[i]!, y[i]!, depth + 1);
        if (c !== 0) return c;
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    }
    case T_MAP: {
      const x = (a as AsMap).entries;
      const y = (b as AsMap).entries;
      if (x.length !== y.length) return x.length < y.length ? -1 : 1;
      for (let i = 0; i < x.length; i++) {
        let c = cmp(x[i]![0], y[i]![0], depth + 1);
        if (c !== 0) return c;
        c = cmp(x[i]![1], y[i]![1], depth + 1);
        if (c !== 0) return c;
      }
      return 0;
    }
  }
  return 0;
}

/**
 * Aerospike's cross-type value ordering: negative, zero or positive like a sort comparator.
 * WILDCARD equals anything; INF is greater than everything but WILDCARD.
 */
export function compareValues(a: AsValue, b: AsValue): number {
  const c = cmp(a, b, 0);
  return c === WILD ? 0 : c;
}

/**
 * True when `v` holds a NaN double anywhere: NaN equals every double, so orders over such values are
 * not transitive and sorted shortcuts would disagree with the server's linear scans.
 */
export function hasNaN(v: AsValue, depth = 0): boolean {
  if (typeof v === 'number') return Number.isNaN(v);
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(v)) return v.some((e) => hasNaN(e, depth + 1));
  if (v instanceof AsMap) return v.entries.some(([k, e]) => hasNaN(k, depth + 1) || hasNaN(e, depth + 1));
  return false;
}

/** Number of elements of sorted `sorted` less than `v` (binary search). */
export function countLess(sorted: AsValue[], v: AsValue): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareValues(sorted[mid]!, v) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Containers at least this big answer per-element ranks from a sorted copy instead of a scan. */
export const SORTED_RANK_MIN = 32;

/** True when `v` is a list value (array). */
export function isList(v: AsValue | undefined): v is AsValue[] {
  return Array.isArray(v);
}

/** True when `v` is a map value. */
export function isMap(v: AsValue | undefined): v is AsMap {
  return v instanceof AsMap;
}

/** Stable sort of indexes 0..n-1 by `compare` (the server sorts with glibc's merge sort). */
export function sortedIndexes(n: number, compare: (i: number, j: number) => number): number[] {
  const idx = new Array<number>(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((i, j) => compare(i, j) || i - j);
  return idx;
}
