/**
 * List op dispatch: checks in the server's order (missing list, argument parsing, value
 * normalisation, order restrictions), then the operation (server:
 * cdt_process_state_packed_list_modify_optype / _read_optype).
 */
import type { AsValue } from '../protocol/msgpack.js';
import { badParam, incompatible, ListOp as L, notApplicable, RT, RT_INVERTED } from './constants.js';
import {
  getRemoveAllByValueList,
  getRemoveByIndexRange,
  getRemoveByRankRange,
  getRemoveByRelRankRange,
  getRemoveByValueInterval,
  ListWork,
} from './list-select.js';
import { addItemsOrdered, addOrdered, increment, insert, set, setFlags, sort } from './list-write.js';
import { listFlagsOf, makeList, normalizeStorage } from './normalize.js';
import { isList } from './order.js';
import type { ParamsThunk, TargetOutcome } from './outcome.js';
import { makeResult } from './result.js';

/** Flags a creating op gives a new list: invalid flags mean unordered, persist-index is dropped. */
function createFlags(flags: bigint): number {
  const f = Number(flags & 0xffn);
  return (f & ~0x11) !== 0 ? 0 : f & 1;
}

/** The list a write works on: the target, or a new empty list with `flags` when it is missing. */
function workFor(target: AsValue[] | undefined, flags: number, modify: boolean): { w: ListWork; placeholder?: AsValue } {
  if (target) return { w: new ListWork(target, listFlagsOf(target), modify) };
  const placeholder = makeList([], flags);
  return { w: new ListWork([], flags, modify), placeholder };
}

function done(w: ListWork, result: AsValue | undefined, placeholder?: AsValue): TargetOutcome {
  const out: TargetOutcome = { result, touched: w.touched };
  if (w.written) out.written = w.written;
  if (placeholder) out.placeholder = placeholder;
  return out;
}

/** Value arguments of append/insert: storable, and a list for the *_ITEMS ops. */
function storableValues(v: AsValue, isItems: boolean): AsValue[] {
  const n = normalizeStorage(v);
  if (!isItems) return [n];
  if (!isList(n)) badParam('items must be a list');
  return n.slice();
}

/**
 * Runs a list modify op. `target` is the list (undefined when the bin or the context element does
 * not exist yet); `topMissing` tells a missing bin (SORT then answers INCOMPATIBLE_TYPE) from an
 * element that a context is creating.
 */
export function listModify(target: AsValue[] | undefined, code: number, params: ParamsThunk, topMissing: boolean): TargetOutcome {
  const missing = target === undefined;
  switch (code) {
    case L.SET_TYPE: {
      const p = params();
      const { w, placeholder } = workFor(target, 0, true);
      setFlags(w, p.int(0));
      return done(w, undefined, placeholder);
    }
    case L.APPEND:
    case L.APPEND_ITEMS: {
      const p = params();
      const isItems = code === L.APPEND_ITEMS;
      const { w, placeholder } = workFor(target, createFlags(p.int(1)), true);
      const values = storableValues(p.req(0), isItems);
      const rd = makeResult(BigInt(RT.COUNT), false);
      if (w.ordered) {
        if (isItems) addItemsOrdered(w, rd, values, p.int(2));
        else addOrdered(w, rd, values[0]!, p.int(2));
      } else insert(w, rd, BigInt(w.n), values, isItems, p.int(2));
      return done(w, rd.result, placeholder);
    }
    case L.INSERT:
    case L.INSERT_ITEMS: {
      const p = params();
      const isItems = code === L.INSERT_ITEMS;
      const { w, placeholder } = workFor(target, 0, true);
      const values = storableValues(p.req(1), isItems);
      if (w.ordered) notApplicableOrdered();
      const rd = makeResult(BigInt(RT.COUNT), false);
      insert(w, rd, p.int(0), values, isItems, p.int(2));
      return done(w, rd.result, placeholder);
    }
    case L.SET: {
      const p = params();
      const { w, placeholder } = workFor(target, 0, true);
      const [value] = storableValues(p.req(1), false);
      set(w, p.int(0), value!, p.int(2));
      return done(w, undefined, placeholder);
    }
    case L.INCREMENT: {
      const p = params();
      const { w, placeholder } = workFor(target, createFlags(p.int(2)), true);
      const rd = makeResult(BigInt(RT.VALUE), false);
      increment(w, rd, p.int(0), p.value(1), p.int(3));
      return done(w, rd.result, placeholder);
    }
    case L.SORT: {
      if (topMissing) incompatible('sort on a missing bin');
      const p = params();
      const w = new ListWork(target ?? [], target ? listFlagsOf(target) : 0, true);
      sort(w, p.int(0));
      return done(w, undefined);
    }
  }

  // everything below removes elements: a missing list is a no-op, arguments unchecked
  if (missing) {
    if (isListRemoveOp(code)) return { result: undefined };
    badParam(`invalid list modify op ${code}`);
  }
  const w = new ListWork(target, listFlagsOf(target), true);
  switch (code) {
    case L.POP:
    case L.REMOVE: {
      const p = params();
      const rd = makeResult(BigInt(code === L.REMOVE ? RT.COUNT : RT.VALUE), false);
      getRemoveByIndexRange(w, rd, p.int(0), 1n);
      return done(w, rd.result);
    }
    case L.POP_RANGE:
    case L.REMOVE_RANGE: {
      const p = params();
      const rd = makeResult(BigInt(code === L.REMOVE_RANGE ? RT.COUNT : RT.VALUE), true);
      getRemoveByIndexRange(w, rd, p.int(0), p.int(1));
      return done(w, rd.result);
    }
    case L.TRIM: {
      const p = params();
      const rd = makeResult(BigInt(RT.COUNT) | RT_INVERTED, true);
      getRemoveByIndexRange(w, rd, p.int(0), p.int(1));
      return done(w, rd.result);
    }
    case L.CLEAR:
      w.setEmpty(w.ordered);
      return done(w, undefined);
    default:
      return done(w, selectOp(w, code, params, true));
  }
}

function notApplicableOrdered(): never {
  notApplicable('insert on an ordered list');
}

function isListRemoveOp(code: number): boolean {
  return (
    code === L.POP ||
    code === L.POP_RANGE ||
    code === L.REMOVE ||
    code === L.REMOVE_RANGE ||
    code === L.TRIM ||
    code === L.CLEAR ||
    (code >= L.REMOVE_BY_INDEX && code <= L.REMOVE_BY_VALUE_REL_RANK_RANGE)
  );
}

/** The get_by / remove_by family; `modify` picks the remove variants of the op codes. */
function selectOp(w: ListWork, code: number, params: ParamsThunk, modify: boolean): AsValue | undefined {
  const base = modify ? code - (L.REMOVE_BY_INDEX - L.GET_BY_INDEX) : code;
  const valid = modify
    ? code >= L.REMOVE_BY_INDEX && code <= L.REMOVE_BY_VALUE_REL_RANK_RANGE
    : code >= L.GET_BY_INDEX && code <= L.GET_BY_VALUE_REL_RANK_RANGE;
  if (!valid) badParam(`invalid list op ${code}`);
  const p = params();
  const rt = p.int(0);
  switch (base) {
    case L.GET_BY_INDEX: {
      const rd = makeResult(rt, false);
      getRemoveByIndexRange(w, rd, p.int(1), 1n);
      return rd.result;
    }
    case L.GET_BY_VALUE:
    case L.GET_ALL_BY_VALUE: {
      const rd = makeResult(rt, base === L.GET_ALL_BY_VALUE);
      const v = p.req(1);
      getRemoveByValueInterval(w, rd, v, v, true);
      return rd.result;
    }
    case L.GET_BY_RANK: {
      const rd = makeResult(rt, false);
      getRemoveByRankRange(w, rd, p.int(1), 1n);
      return rd.result;
    }
    case L.GET_ALL_BY_VALUE_LIST: {
      const rd = makeResult(rt, true);
      getRemoveAllByValueList(w, rd, p.req(1));
      return rd.result;
    }
    case L.GET_BY_INDEX_RANGE: {
      const rd = makeResult(rt, true);
      getRemoveByIndexRange(w, rd, p.int(1), p.int(2));
      return rd.result;
    }
    case L.GET_BY_VALUE_INTERVAL: {
      const rd = makeResult(rt, true);
      getRemoveByValueInterval(w, rd, p.req(1), p.value(2), false);
      return rd.result;
    }
    case L.GET_BY_RANK_RANGE: {
      const rd = makeResult(rt, true);
      getRemoveByRankRange(w, rd, p.int(1), p.int(2));
      return rd.result;
    }
    case L.GET_BY_VALUE_REL_RANK_RANGE: {
      const rd = makeResult(rt, true);
      getRemoveByRelRankRange(w, rd, p.req(1), p.int(2), p.int(3));
      return rd.result;
    }
    default:
      badParam(`invalid list op ${code}`);
  }
}

/** Runs a list read op against an existing list. */
export function listRead(target: AsValue[], code: number, params: ParamsThunk): AsValue | undefined {
  const w = new ListWork(target, listFlagsOf(target), false);
  switch (code) {
    case L.SIZE:
      return BigInt(w.n);
    case L.GET: {
      const p = params();
      const rd = makeResult(BigInt(RT.VALUE), false);
      getRemoveByIndexRange(w, rd, p.int(0), 1n);
      return rd.result;
    }
    case L.GET_RANGE: {
      const p = params();
      const rd = makeResult(BigInt(RT.VALUE), true);
      getRemoveByIndexRange(w, rd, p.int(0), p.int(1));
      return rd.result;
    }
    default:
      return selectOp(w, code, params, false);
  }
}

