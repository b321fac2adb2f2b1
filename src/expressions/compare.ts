/**
 * Ordering of msgpack values as Aerospike's `msgpack_cmp` defines it (§9.1), used by the
 * comparisons of list / map / msgpack operands and by IN_LIST:
 * NIL < false < true < negative int < int < string < list < map < bytes < double < geojson < ext
 * < INF; WILDCARD ends the whole comparison as "equal". Same-type values: numbers numerically,
 * strings / bytes (tag byte included) bytewise then by length, lists element-wise then by length,
 * maps by pair count then pairs in stored order. A double NaN compares equal to any double.
 */
import { AsBytes, AsExt, AsGeoJson, AsMap, AsSpecial, type AsValue } from '../protocol/msgpack.js';

/** Result of {@link compareMsgpack}. */
export interface MsgpackCmp {
  /** -1, 0 or 1 */
  cmp: number;
  /** a non-empty map that is not key-ordered was met (Aerospike then refuses to order) */
  unorderedMap: boolean;
}

const WILD = 2;

/** Type rank in msgpack_cmp order (`msgpack_type` enum). */
function rank(v: AsValue): number {
  if (v === null) return 1;
  switch (typeof v) {
    case 'boolean':
      return v ? 3 : 2;
    case 'bigint':
      return v < 0n ? 4 : 5;
    case 'string':
      return 6;
    case 'number':
      return 10;
  }
  if (Array.isArray(v)) return 7;
  if (v instanceof AsMap) return 8;
  if (v instanceof AsBytes) return 9;
  if (v instanceof AsGeoJson) return 11;
  if (v instanceof AsExt) return 12;
  if (v instanceof AsSpecial) return v === AsSpecial.WILDCARD ? 13 : 14;
  return 0;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Compares strings by their UTF-8 bytes. */
function cmpStrings(a: string, b: string): number {
  if (a === b) return 0;
  if (SURROGATE.test(a) || SURROGATE.test(b)) return Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  // without surrogates UTF-16 code unit order is code point order, which is UTF-8 byte order
  return a < b ? -1 : 1;
}

function cmpBytes(ta: number, a: Buffer, tb: number, b: Buffer): number {
  if (ta !== tb) return ta < tb ? -1 : 1;
  return Math.sign(Buffer.compare(a, b));
}

function checkMap(v: AsValue, st: MsgpackCmp): void {
  if (v instanceof AsMap && v.entries.length > 0 && (v.flags & 1) === 0) st.unorderedMap = true;
}

function cmp(a: AsValue, b: AsValue, st: MsgpackCmp): number {
  checkMap(a, st);
  checkMap(b, st);
  const ra = rank(a);
  const rb = rank(b);
  if (ra === 13 || rb === 13) return WILD;
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 4:
    case 5:
      return (a as bigint) < (b as bigint) ? -1 : (a as bigint) > (b as bigint) ? 1 : 0;
    case 6:
      return cmpStrings(a as string, b as string);
    case 10:
      return (a as number) > (b as number) ? 1 : (a as number) < (b as number) ? -1 : 0;
    case 9: {
      const x = a as AsBytes;
      const y = b as AsBytes;
      return cmpBytes(x.type, x.bytes, y.type, y.bytes);
    }
    case 11:
      return cmpStrings((a as AsGeoJson).json, (b as AsGeoJson).json);
    case 12:
      return Math.sign(Buffer.compare((a as AsExt).data, (b as AsExt).data));
    case 7: {
      const x = a as AsValue[];
      const y = b as AsValue[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = cmp(x[i]!, y[i]!, st);
        if (c !== 0) return c;
      }
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
    case 8: {
      const x = (a as AsMap).entries;
      const y = (b as AsMap).entries;
      if (x.length !== y.length) return x.length < y.length ? -1 : 1;
      for (let i = 0; i < x.length; i++) {
        let c = cmp(x[i]![0], y[i]![0], st);
        if (c !== 0) return c;
        c = cmp(x[i]![1], y[i]![1], st);
        if (c !== 0) return c;
      }
      return 0;
    }
    default:
      return 0;
  }
}

/** Compares two values in msgpack order. */
export function compareMsgpack(a: AsValue, b: AsValue): MsgpackCmp {
  const st: MsgpackCmp = { cmp: 0, unorderedMap: false };
  const c = cmp(a, b, st);
  st.cmp = c === WILD ? 0 : c;
  return st;
}
