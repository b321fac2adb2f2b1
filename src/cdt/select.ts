/**
 * Select / apply by path (CDT op 0xfe, Aerospike 8.1 path expressions; server `cdt_process_state_select`
 * and the `cdt_select_*` walk in cdt.c).
 *
 * Payload: `[0xfe, ctx, flags]` selects, `[0xfe, ctx, flags | APPLY, modify_exp]` rewrites. `ctx` is
 * a flat list of (type, value) pairs, one per level: INDEX / RANK (an integer, out of range selects
 * nothing), KEY / VALUE (equality), KEY_LIST (0x2a "map keys in": a list of keys), EXP (4: a boolean
 * expression over the loop variables KEY / VALUE / INDEX, or `true` for every child), and AND
 * (0x204: one more expression narrowing the level before it). Type bits 0x10 / 0x20 restrict a level
 * to lists / maps (PARAMETER otherwise).
 *
 * Flags (low nibble): 0 the matching tree (the containers along the path holding only what
 * matched), 1 the leaf values, 2 the leaf map keys, 3 keys and values interleaved, 4 apply; 0x10
 * NO_FAIL turns an unknown filter or a map-key selection on a list into "not selected" (and an
 * unknown modify result into "unchanged").
 *
 * Results and codes as 8.1.2 answers them: a bin that is neither list nor map → INCOMPATIBLE_TYPE;
 * malformed payload, unknown filter result, apply on a read → PARAMETER; an unknown modify result
 * → SERVER_ERROR (1); a non-storable modify result → INCOMPATIBLE_TYPE; map keys selected from a
 * list → INCOMPATIBLE_TYPE. Ordered lists touched by an apply are re-sorted.
 *
 * Expressions are compiled by the expression engine, installed with {@link setPathExpCompiler}
 * (the CDT layer does not import the expression layer).
 */
import { AsMap, LIST_FLAGS, MsgpackReader, type AsList, type AsValue } from '../protocol/msgpack.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { badParam, incompatible } from './constants.js';
import { MapWork, sortedEntries } from './map-work.js';
import { hasNonStorage, listFlagsOf } from './normalize.js';
import { compareValues, isList, isMap } from './order.js';
import { calcIndexCount } from './range.js';
import { orderHeapByRange } from './search.js';

/** Loop variables of one element: KEY (maps), VALUE, INDEX (lists); undefined = not defined. */
export interface LoopVars {
  key: AsValue | undefined;
  value: AsValue | undefined;
  index: number | undefined;
}

/** What a modify expression asked for one element. */
export type PathApplyResult = { remove: true } | { remove: false; value: AsValue };

/** A compiled path expression. */
export interface PathExp {
  /** filter: true / false, undefined when unknown (a non-boolean result is false) */
  test(vars: LoopVars): boolean | undefined;
  /** modify: the element's new value or its removal; undefined when unknown */
  apply(vars: LoopVars): PathApplyResult | undefined;
}

/** Compiles expression wire bytes; throws AsError(PARAMETER) when malformed. */
export type PathExpCompiler = (wire: Buffer) => PathExp;

let compiler: PathExpCompiler | undefined;

/** Installs the expression compiler used by path contexts and modify expressions. */
export function setPathExpCompiler(c: PathExpCompiler): void {
  compiler = c;
}

function compile(wire: Buffer): PathExp {
  if (!compiler) throw new AsError(ResultCode.PARAMETER, 'path expressions are not available');
  return compiler(wire);
}

/** Select modes (flags & 0x0f) and the NO_FAIL flag. */
export const SelectFlag = {
  TREE: 0,
  LEAF_LIST: 1,
  LEAF_MAP_KEY: 2,
  LEAF_MAP_KEY_VALUE: 3,
  APPLY: 4,
  NO_FAIL: 0x10,
} as const;

const CTX_INDEX = 0;
const CTX_RANK = 1;
const CTX_KEY = 2;
const CTX_VALUE = 3;
const CTX_EXP = 4;
const CTX_KEY_LIST = 10;
const CTX_AND = 0x200;

/** Most path levels (context pairs) a select accepts, as the server. */
export const MAX_SELECT_LEVELS = 64;

interface Level {
  ctxType: number;
  /** INDEX / RANK */
  index: bigint;
  /** KEY / VALUE / KEY_LIST */
  value: AsValue;
  /** EXP: null = every child */
  exp: PathExp | null;
  and: PathExp | null;
  hasAnd: boolean;
  /** KEY_LIST parsed once: the keys */
  keys?: AsValue[];
}

interface State {
  levels: Level[];
  mode: number;
  noFail: boolean;
  modifyExp: PathExp | null;
  /** leaf modes: the flat result */
  out: AsValue[];
}

const TRUE = 1;
const FALSE = 0;
const UNK = 2;
type Tri = 0 | 1 | 2;

function tri(v: boolean | undefined): Tri {
  return v === undefined ? UNK : v ? TRUE : FALSE;
}

function readExpBytes(r: MsgpackReader): Buffer {
  const start = r.skip();
  return r.buf.subarray(start, r.pos);
}

/** Reads the context pairs (server select_stack_init). */
function parseLevels(r: MsgpackReader): Level[] {
  const n = r.readArrayHeader();
  if (n <= 0 || n % 2 === 1) badParam('select: context must be a non-empty list of pairs');
  if (n / 2 > MAX_SELECT_LEVELS) badParam(`select: more than ${MAX_SELECT_LEVELS} levels`);
  const levels: Level[] = [];
  for (let j = 0; j < n / 2; j++) {
    const t = r.readIntOrNull();
    if (t === null || t < 0n) badParam(`select: context pair ${j} type is not an integer`);
    let level: Level;
    const isAnd = (t & BigInt(CTX_AND)) !== 0n;
    if (isAnd) {
      if (t !== BigInt(CTX_AND | CTX_EXP)) badParam(`select: invalid AND context type at pair ${j}`);
      const prev = levels[levels.length - 1];
      if (!prev) badParam('select: AND context with no preceding entry');
      if (prev.hasAnd) badParam('select: duplicate AND context');
      if ((prev.ctxType & 0x0f) === CTX_EXP) badParam('select: AND context on an expression level');
      prev.hasAnd = true;
      level = prev;
    } else {
      level = { ctxType: Number(BigInt.asUintN(32, t)), index: 0n, value: null, exp: null, and: null, hasAnd: false };
      levels.push(level);
    }
    switch (Number(t & 0x0fn)) {
      case CTX_INDEX:
      case CTX_RANK: {
        const v = r.readIntOrNull();
        if (v === null) badParam(`select: invalid index at pair ${j}`);
        level.index = v;
        break;
      }
      case CTX_KEY:
      case CTX_VALUE:
      case CTX_KEY_LIST:
        level.value = r.read();
        break;
      case CTX_EXP: {
        const b = r.peekByte();
        const isArray = (b & 0xf0) === 0x90 || b === 0xdc || b === 0xdd;
        if (isArray) {
          const e = compile(readExpBytes(r));
          if (isAnd) level.and = e;
          else level.exp = e;
        } else if (b !== 0xc3) badParam(`select: invalid expression at pair ${j}`);
        else r.pos++;
        break;
      }
      default:
        badParam(`select: invalid context type 0x${t.toString(16)} at pair ${j}`);
    }
  }
  return levels;
}

export interface SelectOutcome {
  /** the selection (read modes) */
  result: AsValue | undefined;
  /** the rewritten bin (apply) */
  newValue?: AsValue;
}

/**
 * Runs a select/apply op. `r` is positioned after the op code, `count` is the number of
 * parameters after it. `current` undefined: the bin does not exist.
 */
export function executeSelect(current: AsValue | undefined, r: MsgpackReader, count: number, modify: boolean): SelectOutcome {
  if (current === undefined || (!isList(current) && !isMap(current))) incompatible('select: bin is not a list or map');
  const levels = parseLevels(r);
  const flags = r.readIntOrNull();
  if (flags === null) badParam('select: flags must be an integer');
  const mode = Number(flags & 0x0fn);
  if (mode > SelectFlag.APPLY) badParam(`select: invalid select type ${mode}`);
  const expected = mode === SelectFlag.APPLY ? 3 : 2;
  if (count !== expected) badParam(`select: ${count} parameters, expected ${expected}`);
  const st: State = { levels, mode, noFail: (flags & BigInt(SelectFlag.NO_FAIL)) !== 0n, modifyExp: null, out: [] };
  if (mode === SelectFlag.APPLY) {
    if (!modify) badParam('select: apply on a read op');
    const b = r.peekByte();
    const isArray = (b & 0xf0) === 0x90 || b === 0xdc || b === 0xdd;
    if (!isArray) {
      // the server's builder refuses any non-list expression here
      r.skip();
      badParam('select: invalid apply expression');
    }
    st.modifyExp = compile(readExpBytes(r));
    const next = walk(st, current, 0);
    return { result: undefined, newValue: next };
  }
  if (mode === SelectFlag.TREE) return { result: walk(st, current, 0) };
  walk(st, current, 0);
  return { result: st.out };
}

/** Visits a container at `level`; returns its tree output (TREE) or its new value (APPLY). */
function walk(st: State, v: AsValue, level: number): AsValue {
  if (isList(v)) return walkList(st, v, level);
  return walkMap(st, v as AsMap, level);
}

function isCdt(v: AsValue): boolean {
  return isList(v) || isMap(v);
}

function walkList(st: State, list: AsValue[], level: number): AsValue {
  const leaf = level + 1 === st.levels.length;
  const flags = (list as AsList)[LIST_FLAGS];
  const n = list.length;
  const tree = st.mode === SelectFlag.TREE;
  const apply = st.mode === SelectFlag.APPLY;
  if (n === 0) {
    if (flags === undefined) return tree ? [] : list;
    // only the flags ext: the tree keeps it, nothing else to do
    if (tree) {
      const out: AsList = [];
      out[LIST_FLAGS] = flags;
      return out;
    }
    return list;
  }
  if (leaf && (st.mode & SelectFlag.LEAF_MAP_KEY) !== 0) {
    if (!st.noFail) incompatible('select: map keys from a list');
    return list;
  }
  const entry = st.levels[level]!;
  const cdtType = entry.ctxType & 0x30;
  if (cdtType !== 0 && cdtType !== 0x10) badParam('select: map context on a list');
  const byType = entry.ctxType & 0x0f;
  const treeOut: AsValue[] = [];
  let changed: AsValue[] | undefined;
  const vars: LoopVars = { key: undefined, value: undefined, index: undefined };

  const include = (i: number): void => {
    const e = list[i]!;
    if (!leaf && isCdt(e)) {
      const sub = walk(st, e, level + 1);
      if (tree) treeOut.push(sub);
      else if (apply && sub !== e) (changed ??= list.slice())[i] = sub;
      return;
    }
    if (!tree && !leaf) return;
    if (apply) {
      vars.value = e;
      vars.index = i;
      const res = modifyOne(st, vars);
      if (res === undefined) return;
      changed ??= list.slice();
      changed[i] = res.remove ? REMOVED : res.value;
      return;
    }
    if (tree) treeOut.push(e);
    else st.out.push(e);
  };

  if (byType === CTX_INDEX || byType === CTX_RANK) {
    const r = calcIndexCount(entry.index, 1n, n, false);
    if (r && r[1] > 0) {
      let idx = r[0];
      if (byType === CTX_RANK && (listFlagsOf(list) & 1) === 0) {
        const { heap, filled } = orderHeapByRange(n, idx, 1, (a, b) => compareValues(list[a]!, list[b]!));
        idx = heap[filled]!;
      }
      let t: Tri = TRUE;
      if (entry.and) {
        vars.value = list[idx]!;
        vars.index = idx;
        t = tri(entry.and.test(vars));
      }
      if (t === TRUE) include(idx);
    }
  } else {
    for (let i = 0; i < n; i++) {
      let t: Tri;
      vars.value = list[i]!;
      vars.index = i;
      vars.key = undefined;
      if (byType === CTX_EXP) t = entry.exp ? tri(entry.exp.test(vars)) : TRUE;
      else if (byType === CTX_VALUE) t = compareValues(list[i]!, entry.value) === 0 ? TRUE : FALSE;
      else t = UNK;
      if (t === TRUE && entry.and) t = tri(entry.and.test(vars));
      if (t === UNK) {
        if (!st.noFail) badParam('select: filter is unknown');
        t = FALSE;
      }
      if (t === TRUE) include(i);
    }
  }

  if (tree) return treeOut;
  if (!changed) return list;
  const items = changed.filter((e) => e !== REMOVED);
  const out = items as AsList;
  if (flags !== undefined) {
    out[LIST_FLAGS] = flags;
    if (flags & 1) items.sort(compareValues);
  }
  return out;
}

/** Placeholder for a removed element while a container is rebuilt. */
const REMOVED = new AsMap();

function keyListOf(entry: Level): AsValue[] {
  if (entry.keys) return entry.keys;
  const v = entry.value;
  if (!isList(v)) badParam('select: map keys context needs a list');
  const keys = v.slice();
  if (listFlagsOf(v) & 1) {
    for (let i = 1; i < keys.length; i++) if (compareValues(keys[i - 1]!, keys[i]!) > 0) badParam('select: key list not ordered');
  } else keys.sort(compareValues);
  entry.keys = keys;
  return keys;
}

function inKeys(keys: AsValue[], k: AsValue): boolean {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareValues(keys[mid]!, k);
    if (c === 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

function walkMap(st: State, map: AsMap, level: number): AsValue {
  const leaf = level + 1 === st.levels.length;
  const entries = sortedEntries(map);
  const n = entries.length;
  const tree = st.mode === SelectFlag.TREE;
  const apply = st.mode === SelectFlag.APPLY;
  if (n === 0) {
    if (!tree) return map;
    return map.flags === 0 ? new AsMap() : new AsMap([], map.flags);
  }
  const entry = st.levels[level]!;
  const cdtType = entry.ctxType & 0xf0;
  if (cdtType !== 0 && cdtType !== 0x20) badParam('select: list context on a map');
  const byType = entry.ctxType & 0x0f;
  const treeOut: [AsValue, AsValue][] = [];
  let changed: [AsValue, AsValue][] | undefined;
  const vars: LoopVars = { key: undefined, value: undefined, index: undefined };

  const include = (i: number): void => {
    const [k, val] = entries[i]!;
    if (!leaf && isCdt(val)) {
      const sub = walk(st, val, level + 1);
      if (tree) treeOut.push([k, sub]);
      else if (apply && sub !== val) (changed ??= entries.slice())[i] = [k, sub];
      return;
    }
    if (leaf && (st.mode & SelectFlag.LEAF_MAP_KEY) !== 0) st.out.push(k);
    if (leaf && (st.mode & SelectFlag.LEAF_LIST) !== 0) st.out.push(val);
    if (apply && leaf) {
      vars.key = k;
      vars.value = val;
      vars.index = undefined;
      const res = modifyOne(st, vars);
      if (res === undefined) return;
      changed ??= entries.slice();
      changed[i] = res.remove ? REMOVED_ENTRY : [k, res.value];
    } else if (tree) treeOut.push([k, val]);
  };

  if (byType === CTX_INDEX || byType === CTX_RANK) {
    const r = calcIndexCount(entry.index, 1n, n, false);
    if (r && r[1] > 0) {
      const idx = byType === CTX_INDEX ? r[0] : new MapWork(entries, map.flags, false).byRank()[r[0]]!;
      let t: Tri = TRUE;
      if (entry.and) {
        vars.key = entries[idx]![0];
        vars.value = entries[idx]![1];
        t = tri(entry.and.test(vars));
      }
      if (t === TRUE) include(idx);
    }
  } else {
    const keys = byType === CTX_KEY_LIST ? keyListOf(entry) : undefined;
    let foundAll = false;
    for (let i = 0; i < n; i++) {
      const [k, val] = entries[i]!;
      vars.key = k;
      vars.value = val;
      vars.index = undefined;
      let t: Tri;
      if (foundAll) t = FALSE;
      else if (byType === CTX_EXP) t = entry.exp ? tri(entry.exp.test(vars)) : TRUE;
      else if (byType === CTX_KEY) {
        t = compareValues(k, entry.value) === 0 ? TRUE : FALSE;
        if (t === TRUE) foundAll = true;
      } else if (byType === CTX_VALUE) t = compareValues(val, entry.value) === 0 ? TRUE : FALSE;
      else if (keys) t = inKeys(keys, k) ? TRUE : FALSE;
      else t = UNK;
      if (t === TRUE && entry.and) t = tri(entry.and.test(vars));
      if (t === UNK) {
        if (!st.noFail) badParam('select: filter is unknown');
        t = FALSE;
      }
      if (t === TRUE) include(i);
    }
  }

  if (tree) return new AsMap(treeOut);
  if (!changed) return map;
  return new AsMap(
    changed.filter((e) => e !== REMOVED_ENTRY),
    map.flags,
  );
}

const REMOVED_ENTRY: [AsValue, AsValue] = [null, null];

/** Evaluates the modify expression for one element (server cdt_select_modify). */
function modifyOne(st: State, vars: LoopVars): PathApplyResult | undefined {
  const res = st.modifyExp!.apply(vars);
  if (res === undefined) {
    if (!st.noFail) throw new AsError(ResultCode.UNKNOWN, 'select: modify expression is unknown');
    return undefined;
  }
  if (!res.remove && hasNonStorage(res.value)) incompatible('select: modify result is not storable');
  return res;
}
