/**
 * Map op dispatch in the server's order of checks (server:
 * cdt_process_state_packed_map_modify_optype / _read_optype).
 */
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { AsMap, type AsValue } from '../protocol/msgpack.js';
import { badParam, MapOp as M, RT } from './constants.js';
import {
  getRemoveAllByKeyList,
  getRemoveAllByValueList,
  getRemoveByIndexRange,
  getRemoveByKeyInterval,
  getRemoveByRankRange,
  getRemoveByRelIndexRange,
  getRemoveByRelRankRange,
  getRemoveByValueInterval,
} from './map-select.js';
import { MAX_PARAM_LIST_COUNT } from './list-select.js';
import { MapWork } from './map-work.js';
import { add, ADD_CONTROL, addItems, clear, increment, putControl, REPLACE_CONTROL, setFlags } from './map-write.js';
import { storedMapFlags } from './normalize.js';
import { isList } from './order.js';
import type { ParamsThunk, TargetOutcome } from './outcome.js';
import { makeResult } from './result.js';

/** Flags a creating op gives a new map: invalid flags mean unordered, persist-index is dropped. */
function createFlags(flags: bigint): number {
  const f = Number(flags & 0xffn);
  return (f & ~0x13) !== 0 ? 0 : storedMapFlags(f);
}

function workFor(target: AsMap | undefined, flags: number): { w: MapWork; placeholder?: AsValue } {
  if (target) return { w: MapWork.of(target, true) };
  return { w: new MapWork([], flags, true), placeholder: new AsMap([], flags) };
}

function done(w: MapWork, result: AsValue | undefined, placeholder?: AsValue): TargetOutcome {
  const out: TargetOutcome = { result, touched: w.touched };
  if (w.written) out.written = w.written;
  if (placeholder) out.placeholder = placeholder;
  return out;
}

/** Read op code for each remove_by op code (the result logic is shared). */
const REMOVE_TO_GET = new Map<number, number>([
  [M.REMOVE_BY_KEY, M.GET_BY_KEY],
  [M.REMOVE_BY_INDEX, M.GET_BY_INDEX],
  [M.REMOVE_BY_VALUE, M.GET_BY_VALUE],
  [M.REMOVE_BY_RANK, M.GET_BY_RANK],
  [M.REMOVE_BY_KEY_LIST, M.GET_BY_KEY_LIST],
  [M.REMOVE_ALL_BY_VALUE, M.GET_ALL_BY_VALUE],
  [M.REMOVE_BY_VALUE_LIST, M.GET_BY_VALUE_LIST],
  [M.REMOVE_BY_KEY_INTERVAL, M.GET_BY_KEY_INTERVAL],
  [M.REMOVE_BY_INDEX_RANGE, M.GET_BY_INDEX_RANGE],
  [M.REMOVE_BY_VALUE_INTERVAL, M.GET_BY_VALUE_INTERVAL],
  [M.REMOVE_BY_RANK_RANGE, M.GET_BY_RANK_RANGE],
  [M.REMOVE_BY_KEY_REL_INDEX_RANGE, M.GET_BY_KEY_REL_INDEX_RANGE],
  [M.REMOVE_BY_VALUE_REL_RANK_RANGE, M.GET_BY_VALUE_REL_RANK_RANGE],
]);

function listArg(v: AsValue): AsValue[] {
  if (!isList(v) || v.length > MAX_PARAM_LIST_COUNT) badParam('expected a list argument');
  return v;
}

/**
 * Runs a map modify op. `target` is the map, or undefined when the bin or the context element does
 * not exist yet.
 */
export function mapModify(target: AsMap | undefined, code: number, params: ParamsThunk): TargetOutcome {
  switch (code) {
    case M.SET_TYPE: {
      const p = params();
      const { w, placeholder } = workFor(target, 0);
      setFlags(w, p.int(0));
      return done(w, undefined, placeholder);
    }
    case M.ADD:
    case M.PUT:
    case M.REPLACE: {
      const p = params();
      const { w, placeholder } = workFor(target, code === M.REPLACE ? 0 : createFlags(p.int(2)));
      const control = code === M.ADD ? ADD_CONTROL : code === M.REPLACE ? REPLACE_CONTROL : putControl(p.int(3));
      const rd = makeResult(BigInt(RT.COUNT), false);
      add(w, p.req(0), p.req(1), control, rd);
      return done(w, rd.result, placeholder);
    }
    case M.ADD_ITEMS:
    case M.PUT_ITEMS: {
      const p = params();
      const { w, placeholder } = workFor(target, createFlags(p.int(1)));
      const control = code === M.ADD_ITEMS ? ADD_CONTROL : putControl(p.int(2));
      const rd = makeResult(BigInt(RT.COUNT), false);
      addItems(w, p.req(0), control, rd);
      return done(w, rd.result, placeholder);
    }
    case M.REPLACE_ITEMS: {
      if (!target) throw new AsError(ResultCode.ELEMENT_NOT_FOUND);
      const p = params();
      const w = MapWork.of(target, true);
      const rd = makeResult(BigInt(RT.COUNT), false);
      addItems(w, p.req(0), REPLACE_CONTROL, rd);
      return done(w, rd.result);
    }
    case M.INCREMENT:
    case M.DECREMENT: {
      const p = params();
      const { w, placeholder } = workFor(target, createFlags(p.int(2)));
      const rd = makeResult(BigInt(RT.VALUE), false);
      increment(w, rd, p.req(0), p.value(1), code === M.DECREMENT);
      return done(w, rd.result, placeholder);
    }
    case M.CLEAR: {
      if (!target) return { result: undefined };
      const w = MapWork.of(target, true);
      clear(w);
      return done(w, undefined);
    }
  }
  const get = REMOVE_TO_GET.get(code);
  if (get === undefined) badParam(`invalid map modify op ${code}`);
  if (!target) return { result: undefined };
  const w = MapWork.of(target, true);
  return done(w, selectOp(w, get, params));
}

/** Runs a map read op against an existing map. */
export function mapRead(target: AsMap, code: number, params: ParamsThunk): AsValue | undefined {
  const w = MapWork.of(target, false);
  if (code === M.SIZE) return BigInt(w.n);
  return selectOp(w, code, params);
}

function selectOp(w: MapWork, code: number, params: ParamsThunk): AsValue | undefined {
  switch (code) {
    case M.GET_BY_KEY:
    case M.GET_BY_VALUE:
    case M.GET_ALL_BY_VALUE: {
      const p = params();
      const rd = makeResult(p.int(0), code === M.GET_ALL_BY_VALUE);
      const v = p.req(1);
      if (code === M.GET_BY_KEY) getRemoveByKeyInterval(w, rd, v, v, true);
      else getRemoveByValueInterval(w, rd, v, v, true);
      return rd.result;
    }
    case M.GET_BY_INDEX:
    case M.GET_BY_RANK: {
      const p = params();
      const rd = makeResult(p.int(0), false);
      if (code === M.GET_BY_INDEX) getRemoveByIndexRange(w, rd, p.int(1), 1n);
      else getRemoveByRankRange(w, rd, p.int(1), 1n);
      return rd.result;
    }
    case M.GET_BY_KEY_INTERVAL:
    case M.GET_BY_VALUE_INTERVAL: {
      const p = params();
      const rd = makeResult(p.int(0), true);
      if (code === M.GET_BY_KEY_INTERVAL) getRemoveByKeyInterval(w, rd, p.req(1), p.value(2), false);
      else getRemoveByValueInterval(w, rd, p.req(1), p.value(2), false);
      return rd.result;
    }
    case M.GET_BY_INDEX_RANGE:
    case M.GET_BY_RANK_RANGE: {
      const p = params();
      const rd = makeResult(p.int(0), true);
      if (code === M.GET_BY_INDEX_RANGE) getRemoveByIndexRange(w, rd, p.int(1), p.int(2));
      else getRemoveByRankRange(w, rd, p.int(1), p.int(2));
      return rd.result;
    }
    case M.GET_BY_KEY_LIST:
    case M.GET_BY_VALUE_LIST: {
      const p = params();
      const rd = makeResult(p.int(0), true);
      const items = listArg(p.req(1));
      if (code === M.GET_BY_KEY_LIST) getRemoveAllByKeyList(w, rd, items);
      else getRemoveAllByValueList(w, rd, items);
      return rd.result;
    }
    case M.GET_BY_KEY_REL_INDEX_RANGE:
    case M.GET_BY_VALUE_REL_RANK_RANGE: {
      const p = params();
      const rd = makeResult(p.int(0), true);
      if (code === M.GET_BY_KEY_REL_INDEX_RANGE) getRemoveByRelIndexRange(w, rd, p.req(1), p.int(2), p.int(3));
      else getRemoveByRelRankRange(w, rd, p.req(1), p.int(2), p.int(3));
      return rd.result;
    }
    default:
      badParam(`invalid map op ${code}`);
  }
}
