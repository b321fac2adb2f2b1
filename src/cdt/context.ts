/**
 * CDT contexts (protocol reference §9.6; server: cdt_context_dig and the *_subcontext_by_*
 * functions): walk from the bin into nested lists/maps, optionally creating the missing element
 * (create flags on LIST_INDEX / MAP_KEY), and write the modified element back, re-sorting it within
 * ordered parent lists.
 *
 * Error codes follow the server: a malformed context list or a context on a bin that is neither a
 * list nor a map is PARAMETER; an element that cannot be found, a wrong context kind for the
 * container, or an invalid create request is OP_NOT_APPLICABLE.
 */
import { AsMap, type AsValue } from '../protocol/msgpack.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { badParam, Ctx, MAX_CTX_LEVELS, MAX_LIST_ELEMENTS, notApplicable } from './constants.js';
import { orderedRankRange } from './list-select.js';
import { sortedEntries, type Entry, MapWork } from './map-work.js';
import { hasNonStorage, listFlagsOf, makeList, normalizeStorage, storedMapFlags } from './normalize.js';
import { compareValues, isList, isMap } from './order.js';
import { calcIndexCount } from './range.js';
import { findRank, orderHeapByRange } from './search.js';

/** One container on the path from the bin to the target, and where the child sits in it. */
type Step =
  | { kind: 'list'; items: AsValue[]; flags: number; index: number; create?: { pad: number } }
  | { kind: 'map'; entries: Entry[]; flags: number; index: number; create?: { key: AsValue } };

/** A container to build below a created element (one per context level after the trigger). */
type NewLevel = { kind: 'map'; flags: number; key: AsValue } | { kind: 'list'; flags: number; pad: number };

export interface DigResult {
  steps: Step[];
  /** the element the op works on; undefined when it is being created */
  target: AsValue | undefined;
  /** containers to create around the op's target, outermost first (creation only) */
  chain: NewLevel[];
  /** the bin itself is being created by the context */
  createBin: boolean;
  /** a WILDCARD/INF was seen in a value context (the server's flag is sticky into the op's args) */
  nonStorageSeen: boolean;
}

interface Level {
  type: number;
  value: AsValue;
}

function parseLevels(ctx: AsValue[]): Level[] {
  if (ctx.length === 0 || ctx.length % 2 !== 0) badParam('bad context length');
  if (ctx.length / 2 > MAX_CTX_LEVELS) badParam('context too deep');
  const out: Level[] = [];
  for (let i = 0; i < ctx.length; i += 2) {
    const t = ctx[i];
    out.push({ type: typeof t === 'bigint' ? Number(BigInt.asUintN(16, t)) : -1, value: ctx[i + 1]! });
  }
  return out;
}

/** Checks a context type: kind must be INDEX..VALUE, create flags only on list/map typed contexts. */
function checkType(type: number): void {
  if (type < 0) badParam('context type must be an integer');
  const base = type & Ctx.BASE_MASK;
  const masked = type & Ctx.TYPE_MASK;
  const create = type & Ctx.CREATE_MASK;
  if (base > Ctx.VALUE) notApplicable('invalid context type');
  if ((masked & (Ctx.LIST | Ctx.MAP)) === 0 && create !== 0) notApplicable('create flags on an untyped context');
}

function createOn(type: number): boolean {
  return (type & Ctx.CREATE_MASK & ~Ctx.CREATE_PERSIST_INDEX) !== 0;
}

/** Container created for a context level (server: cdt_context_ctx_type_create_sz / fill_create). */
function newLevel(level: Level, top: boolean): NewLevel {
  const type = level.type;
  checkType(type);
  const masked = type & Ctx.TYPE_MASK;
  const create = type & Ctx.CREATE_MASK;
  if (!top && (create & Ctx.CREATE_PERSIST_INDEX) !== 0) notApplicable('persist index below the top level');
  if (masked === (Ctx.KEY | Ctx.MAP)) {
    if (hasNonStorage(level.value)) notApplicable('context key is not storable');
    let key: AsValue;
    try {
      key = normalizeStorage(level.value);
    } catch {
      notApplicable('invalid context key');
    }
    const order = create & ~Ctx.CREATE_PERSIST_INDEX;
    const flags = order === Ctx.CREATE_MAP_K_ORDERED ? 1 : order === Ctx.CREATE_MAP_KV_ORDERED ? 3 : 0;
    return { kind: 'map', flags, key };
  }
  if (masked === (Ctx.INDEX | Ctx.LIST)) {
    const idx = level.value;
    if (typeof idx !== 'bigint' || idx < -1n) notApplicable('invalid context index');
    const order = create & ~Ctx.CREATE_PERSIST_INDEX;
    const pad = idx > 0n ? Number(idx) : 0;
    if (order === Ctx.CREATE_LIST_UNBOUND) {
      if (pad > MAX_LIST_ELEMENTS) tooBig();
      return { kind: 'list', flags: 0, pad };
    }
    if (order === Ctx.CREATE_LIST_ORDERED) return { kind: 'list', flags: 1, pad: 0 };
    if ((create & Ctx.CREATE_PERSIST_INDEX) !== 0) return { kind: 'list', flags: 0, pad: 0 };
    if (idx > 0n) notApplicable('context index out of bounds');
    return { kind: 'list', flags: 0, pad: 0 };
  }
  notApplicable('context type cannot create');
}


function tooBig(): never {
  throw new AsError(ResultCode.RECORD_TOO_BIG, 'context index too large');
}

/**
 * Walks `ctx` from `bin`. `modify` allows creation; without create flags a missing element is
 * OP_NOT_APPLICABLE. `bin` undefined (modify only) means the bin is created by the context.
 */
export function dig(bin: AsValue | undefined, ctxValue: AsValue, modify: boolean): DigResult {
  if (bin !== undefined && !isList(bin) && !isMap(bin)) badParam('context on a bin that is not a list or map');
  if (!isList(ctxValue)) badParam('context must be a list');
  const levels = parseLevels(ctxValue);
  const steps: Step[] = [];
  let nonStorageSeen = false;

  if (bin === undefined) {
    const first = levels[0]!;
    if (first.type < 0) badParam('context type must be an integer');
    checkType(first.type);
    if (!createOn(first.type)) notApplicable('bin missing and no create flag');
    const chain = levels.map((l, i) => newLevel(l, i === 0));
    return { steps, target: undefined, chain, createBin: true, nonStorageSeen: false };
  }

  let cur: AsValue = bin;
  for (let i = 0; i < levels.length; i++) {
    const { type, value } = levels[i]!;
    checkType(type);
    const base = type & Ctx.BASE_MASK;
    const create = createOn(type);
    if (isList(cur)) {
      if ((type & Ctx.MAP) !== 0) notApplicable('map context on a list');
      const items: AsValue[] = cur;
      const flags = listFlagsOf(items);
      const ordered = (flags & 1) !== 0;
      if (base === Ctx.VALUE && hasNonStorage(value)) nonStorageSeen = true;
      const r = listChild(items, ordered, base, value, create, type);
      if (r.create) {
        if (!modify) notApplicable('create context on a read');
        steps.push({ kind: 'list', items, flags, index: r.index, create: { pad: r.pad } });
        const chain = levels.slice(i + 1).map((l) => newLevel(l, false));
        return { steps, target: undefined, chain, createBin: false, nonStorageSeen: seenAfter(chain, nonStorageSeen) };
      }
      steps.push({ kind: 'list', items, flags, index: r.index });
      cur = items[r.index]!;
    } else if (isMap(cur)) {
      if ((type & Ctx.LIST) !== 0) notApplicable('list context on a map');
      const entries = sortedEntries(cur);
      const flags = cur.flags;
      if (base === Ctx.KEY) nonStorageSeen = false;
      if (base === Ctx.VALUE && hasNonStorage(value)) nonStorageSeen = true;
      const r = mapChild(new MapWork(entries, flags, false), base, value, create);
      if (r.createKey !== undefined) {
        if (!modify) notApplicable('create context on a read');
        steps.push({ kind: 'map', entries, flags, index: r.index, create: { key: r.createKey } });
        const chain = levels.slice(i + 1).map((l) => newLevel(l, false));
        return { steps, target: undefined, chain, createBin: false, nonStorageSeen: seenAfter(chain, false) };
      }
      steps.push({ kind: 'map', entries, flags, index: r.index });
      cur = entries[r.index]![1];
    } else notApplicable('context element is not a list or map');
  }
  return { steps, target: cur, chain: [], createBin: false, nonStorageSeen };
}

/** Parsing a map key in the create chain resets the server's sticky non-storage flag. */
function seenAfter(chain: NewLevel[], seen: boolean): boolean {
  return chain.some((l) => l.kind === 'map') ? false : seen;
}

function listChild(
  items: AsValue[],
  ordered: boolean,
  base: number,
  value: AsValue,
  create: boolean,
  type: number,
): { index: number; create?: boolean; pad: number } {
  const n = items.length;
  if (base === Ctx.INDEX || (base === Ctx.RANK && ordered)) {
    if (typeof value !== 'bigint') notApplicable('context index must be an integer');
    const r = calcIndexCount(value, 1n, n, false);
    if (r) return { index: r[0], pad: 0 };
    if (!create) notApplicable('context index out of bounds');
    if (n === 0 && value === -1n) return { index: 0, create: true, pad: 0 };
    if (value === BigInt(n)) return { index: n, create: true, pad: 0 };
    if (ordered) return { index: n, create: true, pad: 0 };
    if ((type & Ctx.CREATE_MASK) === Ctx.CREATE_LIST_UNBOUND && value > BigInt(n)) {
      const pad = Number(value - BigInt(n));
      if (n + pad > MAX_LIST_ELEMENTS) tooBig();
      return { index: n + pad, create: true, pad };
    }
    notApplicable('context index out of bounds');
  }
  if (base === Ctx.RANK) {
    if (typeof value !== 'bigint') notApplicable('context rank must be an integer');
    const r = calcIndexCount(value, 1n, n, false);
    if (!r) notApplicable('context rank out of bounds');
    const { heap, filled } = orderHeapByRange(n, r[0], r[1], (a, b) => compareValues(items[a]!, items[b]!));
    return { index: heap[filled]!, pad: 0 };
  }
  if (base === Ctx.VALUE) {
    if (n === 0) notApplicable('context value in an empty list');
    if (ordered) {
      const [rank, count] = orderedRankRange(items, value, value, true, false);
      if (count === 0) notApplicable('context value not found');
      return { index: rank, pad: 0 };
    }
    for (let i = 0; i < n; i++) if (compareValues(items[i]!, value) === 0) return { index: i, pad: 0 };
    notApplicable('context value not found');
  }
  notApplicable('key context on a list');
}

function mapChild(w: MapWork, base: number, value: AsValue, create: boolean): { index: number; createKey?: AsValue } {
  const n = w.n;
  if (base === Ctx.INDEX || base === Ctx.RANK) {
    if (typeof value !== 'bigint') notApplicable('context index must be an integer');
    const r = calcIndexCount(value, 1n, n, false);
    if (!r) notApplicable('context index out of bounds');
    return { index: base === Ctx.INDEX ? r[0] : w.byRank()[r[0]]! };
  }
  if (base === Ctx.KEY) {
    let key: AsValue;
    try {
      key = normalizeStorage(value);
    } catch {
      notApplicable('invalid context key');
    }
    const f = w.kOrdered ? w.findKeyIndexed(key) : w.findKeyForInsert(key);
    if (f.found) return { index: f.idx };
    if (create) return { index: f.idx, createKey: key };
    notApplicable('context key not found');
  }
  // VALUE
  if (n === 0) notApplicable('context value in an empty map');
  for (let i = 0; i < n; i++) if (compareValues(w.value(i), value) === 0) return { index: i };
  notApplicable('context value not found');
}

/** Builds the containers of a create chain around the op's new target. */
function buildChain(chain: NewLevel[], target: AsValue): AsValue {
  let v = target;
  for (let i = chain.length - 1; i >= 0; i--) {
    const l = chain[i]!;
    if (l.kind === 'map') v = new AsMap([[l.key, v]], storedMapFlags(l.flags));
    else v = makeList([...new Array<AsValue>(l.pad).fill(null), v], l.flags);
  }
  return v;
}

/** Position of `child` in an ordered list after it replaced (or was added at) `index`. */
function sortedPosition(orig: AsValue[], index: number, child: AsValue, added: boolean): number {
  const n = orig.length;
  const { rank } = findRank((i) => compareValues(child, orig[i]!), n, 0, n, 0);
  if (added) return rank;
  if (rank === index || rank === index + 1) return index;
  return rank < index ? rank : rank - 1;
}

/**
 * Writes `newTarget` back into the path and returns the new bin value. For a created element,
 * `newTarget` is wrapped in the create chain first.
 */
export function writeBack(d: DigResult, newTarget: AsValue): AsValue {
  let child = buildChain(d.chain, newTarget);
  for (let s = d.steps.length - 1; s >= 0; s--) {
    const st = d.steps[s]!;
    if (st.kind === 'list') {
      const ordered = (st.flags & 1) !== 0;
      let items: AsValue[];
      if (st.create) {
        items = [...st.items, ...new Array<AsValue>(st.create.pad).fill(null)];
        if (ordered) items.splice(sortedPosition(st.items, st.items.length, child, true), 0, child);
        else items.push(child);
      } else {
        items = st.items.slice();
        if (ordered) {
          items.splice(st.index, 1);
          items.splice(sortedPosition(st.items, st.index, child, false), 0, child);
        } else items[st.index] = child;
      }
      child = makeList(items, st.flags);
    } else {
      const entries = st.entries.slice();
      if (st.create) entries.splice(st.index, 0, [st.create.key, child]);
      else entries[st.index] = [entries[st.index]![0], child];
      child = new AsMap(entries, storedMapFlags(st.flags));
    }
  }
  return child;
}
