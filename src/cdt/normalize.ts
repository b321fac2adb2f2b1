/**
 * Normalisation of values that are about to be stored inside a list or map (server:
 * cdt_untrusted_rewrite): unordered maps are sorted by key, ordered lists/maps must already be in
 * order, map keys must be integers, strings or blobs, duplicate keys are refused, only the flags a
 * stored container may carry are kept, and WILDCARD / INF are not storable. Any violation is
 * PARAMETER (4).
 */
import { AsBytes, AsExt, AsMap, AsSpecial, LIST_FLAGS, type AsList, type AsValue } from '../protocol/msgpack.js';
import { badParam, ListFlag, MapFlag } from './constants.js';
import { compareValues, isList, isMap } from './order.js';

/** Nesting bound for the recursive walks (decoded msgpack is bounded at 256 levels). */
const MAX_DEPTH = 512;

/** The ext type the server reserves for WILDCARD / INF (CMP_EXT_TYPE). */
const CMP_EXT_TYPE = 0xff;

/** True when `v` contains WILDCARD, INF or another comparison-only ext anywhere. */
export function hasNonStorage(v: AsValue, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  if (v instanceof AsSpecial) return true;
  if (v instanceof AsExt) return v.type === CMP_EXT_TYPE && v.data.length > 0 && v.data.length < 4;
  if (Array.isArray(v)) {
    for (const e of v) if (hasNonStorage(e, depth + 1)) return true;
    return false;
  }
  if (v instanceof AsMap) {
    for (const [k, val] of v.entries) if (hasNonStorage(k, depth + 1) || hasNonStorage(val, depth + 1)) return true;
  }
  return false;
}

/** True when `v` may be a map key: an integer, a string or a (type 4) blob (server: map_is_key). */
export function isMapKey(v: AsValue): boolean {
  return typeof v === 'bigint' || typeof v === 'string' || (v instanceof AsBytes && v.type === 4);
}

/** Flags of a list value (0 when unordered). */
export function listFlagsOf(v: AsValue[]): number {
  return (v as AsList)[LIST_FLAGS] ?? 0;
}

/** Builds a list value carrying `flags` (only ORDERED survives; persist-index is never stored). */
export function makeList(items: AsValue[], flags: number): AsList {
  const out = items as AsList;
  const f = flags & ListFlag.ORDERED;
  if (f !== 0) out[LIST_FLAGS] = f;
  else delete out[LIST_FLAGS];
  return out;
}

/** Map flags as stored (persist-index dropped: the server strips it from everything it returns). */
export function storedMapFlags(flags: number): number {
  return flags & MapFlag.KV_ORDERED;
}

/** Returns a storable copy of `v`, or throws PARAMETER. */
export function normalizeStorage(v: AsValue): AsValue {
  if (hasNonStorage(v)) badParam('value is not storable');
  return rewrite(v, 0);
}

function rewrite(v: AsValue, depth: number): AsValue {
  if (depth > MAX_DEPTH) badParam('value nested too deep');
  if (isList(v)) {
    const flags = listFlagsOf(v) & ListFlag.ORDERED;
    const items = v.map((e) => rewrite(e, depth + 1));
    if (flags !== 0) {
      for (let i = 1; i < items.length; i++) {
        if (compareValues(items[i - 1]!, items[i]!) > 0) badParam('ordered list out of order');
      }
    }
    return makeList(items, flags);
  }
  if (isMap(v)) return rewriteMap(v, depth);
  return v;
}

function rewriteMap(m: AsMap, depth: number): AsMap {
  const flags = m.flags & MapFlag.KV_ORDERED;
  const entries: [AsValue, AsValue][] = [];
  let needSort = false;
  for (let i = 0; i < m.entries.length; i++) {
    const [k, val] = m.entries[i]!;
    if (!isMapKey(k)) badParam('invalid map key type');
    if (i > 0 && !needSort) {
      const c = compareValues(entries[i - 1]![0], k);
      if (c === 0) badParam('duplicate map key');
      if (c > 0) {
        if (flags & MapFlag.K_ORDERED) badParam('key-ordered map out of order');
        needSort = true;
      }
    }
    entries.push([k, rewrite(val, depth + 1)]);
  }
  if (needSort) {
    entries.sort((a, b) => compareValues(a[0], b[0]));
    for (let i = 1; i < entries.length; i++) {
      if (compareValues(entries[i - 1]![0], entries[i]![0]) === 0) badParam('duplicate map key');
    }
  }
  return new AsMap(entries, flags);
}

/**
 * Normalises a whole bin value the way the server does when a list/map bin is written (sorting
 * unordered maps at every level, checking ordered containers). Exposed for the write path; throws
 * PARAMETER on values Aerospike refuses.
 */
export function normalizeBinValue(v: AsValue): AsValue {
  return normalizeStorage(v);
}
