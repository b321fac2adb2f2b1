/**
 * Map writes: put/add/replace (one entry or items, with CREATE_ONLY, UPDATE_ONLY, NO_FAIL,
 * PARTIAL), increment/decrement, set-type and clear (server: map_add, map_add_items(_ordered),
 * map_increment, map_set_flags, map_clear).
 */
import { AsError, ResultCode } from '../protocol/result-codes.js';
import type { AsValue } from '../protocol/msgpack.js';
import { badParam, MapWrite, notApplicable } from './constants.js';
import { applyDelta, parseDelta } from './delta.js';
import type { Entry, MapWork } from './map-work.js';
import { hasNonStorage, isMapKey, normalizeStorage } from './normalize.js';
import { isMap } from './order.js';
import { setInt, type ResultData } from './result.js';

/** What a put may do with existing and missing keys. */
export interface AddControl {
  allowOverwrite: boolean;
  allowCreate: boolean;
  noFail: boolean;
  partial: boolean;
}

/** Control for PUT/PUT_ITEMS from the map write flags. */
export function putControl(flags: bigint): AddControl {
  const f = Number(flags & 0xffn);
  return {
    allowOverwrite: (f & MapWrite.CREATE_ONLY) === 0,
    allowCreate: (f & MapWrite.UPDATE_ONLY) === 0,
    noFail: (f & MapWrite.NO_FAIL) !== 0,
    partial: (f & MapWrite.PARTIAL) !== 0,
  };
}

export const ADD_CONTROL: AddControl = { allowOverwrite: false, allowCreate: true, noFail: false, partial: false };
export const REPLACE_CONTROL: AddControl = { allowOverwrite: true, allowCreate: false, noFail: false, partial: false };
const INCREMENT_CONTROL: AddControl = { allowOverwrite: true, allowCreate: true, noFail: false, partial: false };

function resultInt(rd: ResultData | null, v: number): void {
  if (rd) setInt(rd, v);
}

/** Puts one entry; `rd` null = no result (increment sets its own). */
export function add(w: MapWork, key: AsValue, value: AsValue, control: AddControl, rd: ResultData | null): void {
  if (hasNonStorage(key) || hasNonStorage(value) || !isMapKey(key)) badParam('invalid map key or value');
  const k = normalizeStorage(key);
  const v = normalizeStorage(value);
  const f = w.kOrdered ? w.findKeyIndexed(k) : w.findKeyForInsert(k);
  if (f.found) {
    if (!control.allowOverwrite) {
      if (control.noFail) return resultInt(rd, w.n);
      throw new AsError(ResultCode.ELEMENT_EXISTS);
    }
  } else if (!control.allowCreate) {
    if (control.noFail) return resultInt(rd, w.n);
    throw new AsError(ResultCode.ELEMENT_NOT_FOUND);
  }
  const out = w.entries.slice();
  if (f.found) out[f.idx] = [k, v];
  else out.splice(f.idx, 0, [k, v]);
  w.write(out);
  resultInt(rd, out.length);
}

/** Puts every entry of `items` (a map); entries are merged in key order. */
export function addItems(w: MapWork, items: AsValue, control: AddControl, rd: ResultData): void {
  const normalized = normalizeStorage(items);
  if (!isMap(normalized)) badParam('items must be a map');
  const vals = normalized.entries;
  if (vals.length === 0) {
    setInt(rd, w.n);
    w.touched = true;
    return;
  }
  const n = w.n;
  if (n === 0) {
    if (!control.allowCreate) {
      if (!control.noFail) throw new AsError(ResultCode.ELEMENT_NOT_FOUND);
      if (!control.partial) return setInt(rd, n);
      // with NO_FAIL|PARTIAL the server adds the items anyway when the map is empty
    }
    w.write(vals.slice());
    return setInt(rd, vals.length);
  }
  const plan: { entry: Entry; at: number; replace: boolean }[] = [];
  for (const entry of vals) {
    const f = w.findKeyIndexed(entry[0]);
    if (f.found) {
      if (!control.allowOverwrite) {
        if (control.noFail) {
          if (control.partial) continue;
          return setInt(rd, n);
        }
        throw new AsError(ResultCode.ELEMENT_EXISTS);
      }
    } else if (!control.allowCreate) {
      if (control.noFail) {
        if (control.partial) continue;
        return setInt(rd, n);
      }
      throw new AsError(ResultCode.ELEMENT_NOT_FOUND);
    }
    plan.push({ entry, at: f.idx, replace: f.found });
  }
  const out: Entry[] = [];
  let from = 0;
  for (const p of plan) {
    while (from < p.at) out.push(w.entries[from++]!);
    if (p.replace) from = p.at + 1;
    out.push(p.entry);
  }
  while (from < n) out.push(w.entries[from++]!);
  w.write(out);
  setInt(rd, out.length);
}

/** MAP_INCREMENT / MAP_DECREMENT: the result is the new value. */
export function increment(w: MapWork, rd: ResultData, key: AsValue, delta: AsValue | undefined, decrement: boolean): void {
  const f = w.findKey(key);
  const d = parseDelta(delta, decrement);
  const value = applyDelta(f.found ? w.value(f.idx) : undefined, d);
  rd.result = value;
  add(w, key, value, INCREMENT_CONTROL, null);
}

/** MAP_SET_TYPE: valid flags are K_ORDERED, KV_ORDERED (V_ORDERED alone is accepted) and persist-index. */
export function setFlags(w: MapWork, flags: bigint): void {
  const f = Number(flags & 0xffn);
  if ((f & ~0x13) !== 0) notApplicable('invalid map flags');
  w.write(w.entries.slice(), f);
}

export function clear(w: MapWork): void {
  w.write([]);
}
