/**
 * Helpers shared by the expression tests (exp-*.test.ts): an expression encoder and in-memory
 * records. No tests of its own (exp-control.test.ts checks the encoder).
 */
import { AsMap, MsgpackWriter, type AsValue } from '../../src/protocol/msgpack.js';
import { type Bin } from '../../src/protocol/particle.js';
import { valueToParticle } from '../../src/values/bin-particles.js';
import type { ExpEnv, ExpRecord } from '../../src/expressions/index.js';

/** Wire-form building blocks for {@link enc}. */
export class Raw {
  constructor(readonly s: string) {}
}
export class Flt {
  constructor(readonly v: number) {}
}
export class Tagged {
  constructor(
    readonly tag: number,
    readonly payload: Buffer,
  ) {}
}
export class Val {
  constructor(readonly v: AsValue) {}
}
/** A raw (untagged) msgpack string: bin/var names, regex patterns. */
export const raw = (s: string) => new Raw(s);
/** A float literal (plain JS numbers encode as integers). */
export const flt = (v: number) => new Flt(v);
export const blob = (b: Buffer | number[]) => new Tagged(4, Buffer.from(b));
export const hllLit = (b: Buffer) => new Tagged(18, b);
export const geo = (json: string | object) => new Tagged(23, Buffer.from(typeof json === 'string' ? json : JSON.stringify(json)));
/** Any msgpack value written as is (maps, quoted lists' contents). */
export const val = (v: AsValue) => new Val(v);

export type E = number | bigint | string | boolean | null | Raw | Flt | Tagged | Val | AsMap | E[];

/** Encodes an expression: arrays are ops, numbers ints, strings tagged strings. */
export function enc(e: E): Buffer {
  const w = new MsgpackWriter(64);
  const put = (x: E): void => {
    if (x === null) w.nil();
    else if (typeof x === 'boolean') w.bool(x);
    else if (typeof x === 'number') w.int(BigInt(x));
    else if (typeof x === 'bigint') w.int(x);
    else if (typeof x === 'string') w.tagged(3, x);
    else if (x instanceof Raw) w.rawString(x.s);
    else if (x instanceof Flt) w.double(x.v);
    else if (x instanceof Tagged) w.tagged(x.tag, x.payload);
    else if (x instanceof Val) w.value(x.v);
    else if (x instanceof AsMap) w.value(x);
    else {
      w.arrayHeader(x.length);
      for (const y of x) put(y);
    }
  };
  put(e);
  return Buffer.from(w.bytes());
}

/** Expression helpers by name (the op codes of §10.3). */
export const X = {
  unknown: (): E => [0],
  eq: (a: E, b: E): E => [1, a, b],
  ne: (a: E, b: E): E => [2, a, b],
  gt: (a: E, b: E): E => [3, a, b],
  ge: (a: E, b: E): E => [4, a, b],
  lt: (a: E, b: E): E => [5, a, b],
  le: (a: E, b: E): E => [6, a, b],
  regex: (flags: number, pattern: string, s: E): E => [7, flags, raw(pattern), s],
  geoCmp: (a: E, b: E): E => [8, a, b],
  inList: (v: E, l: E): E => [9, v, l],
  and: (...a: E[]): E => [16, ...a],
  or: (...a: E[]): E => [17, ...a],
  not: (a: E): E => [18, a],
  excl: (...a: E[]): E => [19, ...a],
  add: (...a: E[]): E => [20, ...a],
  sub: (...a: E[]): E => [21, ...a],
  mul: (...a: E[]): E => [22, ...a],
  div: (...a: E[]): E => [23, ...a],
  pow: (a: E, b: E): E => [24, a, b],
  log: (a: E, b: E): E => [25, a, b],
  mod: (a: E, b: E): E => [26, a, b],
  abs: (a: E): E => [27, a],
  floor: (a: E): E => [28, a],
  ceil: (a: E): E => [29, a],
  toInt: (a: E): E => [30, a],
  toFloat: (a: E): E => [31, a],
  intAnd: (...a: E[]): E => [32, ...a],
  intOr: (...a: E[]): E => [33, ...a],
  intXor: (...a: E[]): E => [34, ...a],
  intNot: (a: E): E => [35, a],
  lshift: (a: E, s: E): E => [36, a, s],
  rshift: (a: E, s: E): E => [37, a, s],
  arshift: (a: E, s: E): E => [38, a, s],
  count: (a: E): E => [39, a],
  lscan: (a: E, b: E): E => [40, a, b],
  rscan: (a: E, b: E): E => [41, a, b],
  min: (...a: E[]): E => [50, ...a],
  max: (...a: E[]): E => [51, ...a],
  digestModulo: (m: number): E => [64, m],
  deviceSize: (): E => [65],
  lastUpdate: (): E => [66],
  sinceUpdate: (): E => [67],
  voidTime: (): E => [68],
  ttl: (): E => [69],
  setName: (): E => [70],
  keyExists: (): E => [71],
  isTombstone: (): E => [72],
  memorySize: (): E => [73],
  recordSize: (): E => [74],
  key: (type: number): E => [80, type],
  bin: (type: number, name: string): E => [81, type, raw(name)],
  intBin: (name: string): E => [81, 2, raw(name)],
  floatBin: (name: string): E => [81, 7, raw(name)],
  strBin: (name: string): E => [81, 3, raw(name)],
  boolBin: (name: string): E => [81, 1, raw(name)],
  listBin: (name: string): E => [81, 4, raw(name)],
  mapBin: (name: string): E => [81, 5, raw(name)],
  blobBin: (name: string): E => [81, 6, raw(name)],
  geoBin: (name: string): E => [81, 8, raw(name)],
  hllBin: (name: string): E => [81, 9, raw(name)],
  binType: (name: string): E => [82, raw(name)],
  mapKeys: (m: E): E => [101, m],
  mapValues: (m: E): E => [102, m],
  cond: (...a: E[]): E => [123, ...a],
  varRef: (name: string): E => [124, raw(name)],
  let: (...a: E[]): E => [125, ...a.map((x, i) => (i % 2 === 0 && i < a.length - 1 && typeof x === 'string' ? raw(x) : x))],
  quote: (list: AsValue[]): E => [126, val(list)],
  call: (rtype: number, system: number, payload: E, binExpr: E): E => [127, rtype, system, payload, binExpr],
};

export interface RecOptions {
  exists?: boolean;
  generation?: number;
  voidTime?: number;
  lastUpdateMs?: number;
  setName?: string;
  digest?: Buffer;
  key?: { type: number; value: Buffer };
  recordSizeBytes?: number;
  memorySizeBytes?: number;
  deviceSizeBytes?: number;
  isTombstone?: boolean;
}

/** A record whose bins are given as stored particles. */
export function recFromBins(bins: Bin[], o: RecOptions = {}): ExpRecord {
  const byName = new Map(bins.map((b) => [b.name, b]));
  return {
    getBin: (n) => byName.get(n),
    binNames: () => [...byName.keys()],
    exists: o.exists ?? true,
    generation: o.generation ?? 1,
    voidTime: o.voidTime ?? 0,
    lastUpdateMs: o.lastUpdateMs ?? 1_700_000_000_000,
    setName: o.setName ?? 'set',
    digest: o.digest ?? Buffer.alloc(20),
    key: o.key,
    recordSizeBytes: o.recordSizeBytes ?? 100,
    memorySizeBytes: o.memorySizeBytes ?? 100,
    deviceSizeBytes: o.deviceSizeBytes ?? 0,
    isTombstone: o.isTombstone ?? false,
  };
}

/** A record with bins given in the value model (bigint ints, number floats, strings, ...). */
export function rec(bins: Record<string, AsValue>, o: RecOptions = {}): ExpRecord {
  return recFromBins(
    Object.entries(bins).map(([name, v]) => ({ name, ...valueToParticle(v) })),
    o,
  );
}

export const ENV: ExpEnv = { nowMs: 1_700_000_060_000 };

/** An ordered map value. */
export function kmap(entries: [AsValue, AsValue][]): AsMap {
  return new AsMap(entries, 1);
}
