/**
 * Comparison and logic ops: EQ..LE (1-6), CMP_REGEX (7), CMP_GEO (8), IN_LIST (9), AND, OR, NOT,
 * EXCLUSIVE (16-19). Three-valued as in Aerospike's `exp.c`:
 * - a comparison with an unknown operand is unknown;
 * - AND is false if any operand is false, else unknown if any is unknown (all operands are
 *   evaluated until a false one); OR symmetrically; NOT of unknown is unknown;
 * - EXCLUSIVE is unknown as soon as an operand is unknown, false at the second true.
 */
import type { AsValue } from '../protocol/msgpack.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { compareMsgpack } from './compare.js';
import { arity, type Node, type OpCompiler } from './compile.js';
import { paramError } from './decode.js';
import { geoMatch, type GeoValue } from './geo.js';
import { compileRegex, regexMatches, RegexBudgetError, RegexSyntaxError, type CompiledRegex } from './regex.js';
import { ExpOp, ExpType, typeName, UNKNOWN, type Ev, type RtValue } from './types.js';
import { rtToAsValue } from './values.js';

type Rel = (a: RtValue, b: RtValue) => boolean | typeof UNKNOWN;

/** Relational op on values JS orders natively (bigint, number, boolean). */
function nativeRel(code: number): Rel {
  switch (code) {
    case ExpOp.EQ:
      return (a, b) => a === b;
    case ExpOp.NE:
      return (a, b) => a !== b;
    case ExpOp.GT:
      return (a, b) => (a as number) > (b as number);
    case ExpOp.GE:
      return (a, b) => (a as number) >= (b as number);
    case ExpOp.LT:
      return (a, b) => (a as number) < (b as number);
    default:
      return (a, b) => (a as number) <= (b as number);
  }
}

/** Predicate on an ordering result (-1 / 0 / 1). */
function ordPred(code: number): (o: number) => boolean {
  switch (code) {
    case ExpOp.EQ:
      return (o) => o === 0;
    case ExpOp.NE:
      return (o) => o !== 0;
    case ExpOp.GT:
      return (o) => o > 0;
    case ExpOp.GE:
      return (o) => o >= 0;
    case ExpOp.LT:
      return (o) => o < 0;
    default:
      return (o) => o <= 0;
  }
}

function relFor(code: number, type: number): Rel {
  switch (type) {
    case ExpType.NIL: {
      const r = code === ExpOp.EQ || code === ExpOp.GE || code === ExpOp.LE;
      return () => r;
    }
    case ExpType.BOOL:
    case ExpType.INT:
    case ExpType.FLOAT:
      return nativeRel(code);
    case ExpType.STR:
    case ExpType.BLOB: {
      const p = ordPred(code);
      return (a, b) => p(Buffer.compare(a as Buffer, b as Buffer));
    }
    case ExpType.LIST:
    case ExpType.MAP:
    case ExpType.ANY: {
      const p = ordPred(code);
      return (a, b) => {
        const r = compareMsgpack(a as AsValue, b as AsValue);
        return r.unorderedMap ? UNKNOWN : p(r.cmp);
      };
    }
    default:
      // REMOVE operands: no ordering (Aerospike aborts); unknown
      return () => UNKNOWN;
  }
}

/** `[1..6, a, b]` */
const compileCompare: OpCompiler = (cx, argc, code) => {
  arity(argc, 2, 'compare');
  const l = cx.node();
  const r = cx.node();
  if (l.type !== r.type) paramError(`compare: mismatched arg types ${typeName(l.type)} and ${typeName(r.type)}`);
  if (l.type === ExpType.GEO || l.type === ExpType.HLL) paramError(`compare: cannot compare ${typeName(l.type)}`);
  const L = l.ev;
  const R = r.ev;
  // fast paths: an int operand against an int literal
  if (l.type === ExpType.INT && r.constant) return { type: ExpType.BOOL, ev: intVsConst(code, L, r.constant.value as bigint) };
  const rel = relFor(code, l.type);
  const ev: Ev = (c) => {
    const a = L(c);
    if (a === UNKNOWN) return UNKNOWN;
    const b = R(c);
    if (b === UNKNOWN) return UNKNOWN;
    return rel(a, b);
  };
  return { type: ExpType.BOOL, ev };
};

function intVsConst(code: number, L: Ev, k: bigint): Ev {
  switch (code) {
    case ExpOp.EQ:
      return (c) => {
        const a = L(c);
        return a === UNKNOWN ? UNKNOWN : a === k;
      };
    case ExpOp.NE:
      return (c) => {
        const a = L(c);
        return a === UNKNOWN ? UNKNOWN : a !== k;
      };
    case ExpOp.GT:
      return (c) => {
        const a = L(c);
        return a === UNKNOWN ? UNKNOWN : (a as bigint) > k;
      };
    case ExpOp.GE:
      return (c) => {
        const a = L(c);
        return a === UNKNOWN ? UNKNOWN : (a as bigint) >= k;
      };
    case ExpOp.LT:
      return (c) => {
        const a = L(c);
        return a === UNKNOWN ? UNKNOWN : (a as bigint) < k;
      };
    default:
      return (c) => {
        const a = L(c);
        return a === UNKNOWN ? UNKNOWN : (a as bigint) <= k;
      };
  }
}

/** `[7, flags, pattern(raw str), string-expr]` */
const compileRegexOp: OpCompiler = (cx, argc) => {
  arity(argc, 3, 'cmp_regex');
  const flags = cx.d.int64();
  const pattern = cx.d.rawBytes();
  const subject = cx.typed('cmp_regex', ExpType.STR);
  let re: CompiledRegex;
  try {
    re = compileRegex(pattern, Number(BigInt.asIntN(32, flags)));
  } catch (e) {
    if (e instanceof RegexSyntaxError) paramError(`regex compile: ${e.message}`);
    throw e;
  }
  const S = subject.ev;
  const ev: Ev = (c) => {
    const s = S(c);
    if (s === UNKNOWN) return UNKNOWN;
    try {
      return regexMatches(re, s as Buffer);
    } catch (e) {
      // only back-reference patterns have a budget: refuse the request rather than stall the node
      if (e instanceof RegexBudgetError) throw new AsError(ResultCode.PARAMETER, `expression: regex: ${e.message}`);
      throw e;
    }
  };
  return { type: ExpType.BOOL, ev };
};

/** `[8, candidate, query]` — both GeoJSON. */
const compileGeo: OpCompiler = (cx, argc) => {
  arity(argc, 2, 'cmp_geo');
  const A = cx.typed('cmp_geo', ExpType.GEO).ev;
  const B = cx.typed('cmp_geo', ExpType.GEO).ev;
  const ev: Ev = (c) => {
    const a = A(c);
    if (a === UNKNOWN) return UNKNOWN;
    const b = B(c);
    if (b === UNKNOWN) return UNKNOWN;
    const sa = (a as GeoValue).shape;
    const sb = (b as GeoValue).shape;
    if (!sa || !sb) return UNKNOWN;
    return geoMatch(sa, sb);
  };
  return { type: ExpType.BOOL, ev };
};

/** `[9, value, list]` */
const compileInList: OpCompiler = (cx, argc) => {
  arity(argc, 2, 'in_list');
  const v: Node = cx.node();
  const list = cx.typed('in_list', ExpType.LIST);
  const V = v.ev;
  const vType = v.type;
  const Lst = list.ev;
  const ev: Ev = (c) => {
    const x = V(c);
    if (x === UNKNOWN) return UNKNOWN;
    const l = Lst(c);
    if (l === UNKNOWN) return UNKNOWN;
    const needle = rtToAsValue(vType, x);
    if (needle === UNKNOWN) return UNKNOWN;
    for (const e of l as AsValue[]) if (compareMsgpack(needle, e).cmp === 0) return true;
    return false;
  };
  return { type: ExpType.BOOL, ev };
};

function boolArgs(cx: Parameters<OpCompiler>[0], argc: number, name: string): Ev[] {
  if (argc < 2) paramError(`${name}: too few args ${argc}`);
  const evs: Ev[] = [];
  for (let i = 0; i < argc; i++) evs.push(cx.typed(name, ExpType.BOOL).ev);
  return evs;
}

const compileAnd: OpCompiler = (cx, argc) => {
  const args = boolArgs(cx, argc, 'and');
  const n = args.length;
  if (n === 2) {
    const [A, B] = args as [Ev, Ev];
    return {
      type: ExpType.BOOL,
      ev: (c) => {
        const a = A(c);
        if (a === false) return false;
        const b = B(c);
        if (b === false) return false;
        return a === UNKNOWN || b === UNKNOWN ? UNKNOWN : true;
      },
    };
  }
  const ev: Ev = (c) => {
    let unk = false;
    for (let i = 0; i < n; i++) {
      const v = args[i]!(c);
      if (v === false) return false;
      if (v === UNKNOWN) unk = true;
    }
    return unk ? UNKNOWN : true;
  };
  return { type: ExpType.BOOL, ev };
};

const compileOr: OpCompiler = (cx, argc) => {
  const args = boolArgs(cx, argc, 'or');
  const n = args.length;
  const ev: Ev = (c) => {
    let unk = false;
    for (let i = 0; i < n; i++) {
      const v = args[i]!(c);
      if (v === true) return true;
      if (v === UNKNOWN) unk = true;
    }
    return unk ? UNKNOWN : false;
  };
  return { type: ExpType.BOOL, ev };
};

const compileNot: OpCompiler = (cx, argc) => {
  arity(argc, 1, 'not');
  const A = cx.typed('not', ExpType.BOOL).ev;
  return {
    type: ExpType.BOOL,
    ev: (c) => {
      const a = A(c);
      return a === UNKNOWN ? UNKNOWN : !a;
    },
  };
};

const compileExclusive: OpCompiler = (cx, argc) => {
  const args = boolArgs(cx, argc, 'exclusive');
  const n = args.length;
  const ev: Ev = (c) => {
    let seen = false;
    for (let i = 0; i < n; i++) {
      const v = args[i]!(c);
      if (v === UNKNOWN) return UNKNOWN;
      if (v === true) {
        if (seen) return false;
        seen = true;
      }
    }
    return seen;
  };
  return { type: ExpType.BOOL, ev };
};

/** The comparison and logic ops, by op code. */
export const LOGIC_OPS: Record<number, OpCompiler> = {
  [ExpOp.EQ]: compileCompare,
  [ExpOp.NE]: compileCompare,
  [ExpOp.GT]: compileCompare,
  [ExpOp.GE]: compileCompare,
  [ExpOp.LT]: compileCompare,
  [ExpOp.LE]: compileCompare,
  [ExpOp.CMP_REGEX]: compileRegexOp,
  [ExpOp.CMP_GEO]: compileGeo,
  [ExpOp.IN_LIST]: compileInList,
  [ExpOp.AND]: compileAnd,
  [ExpOp.OR]: compileOr,
  [ExpOp.NOT]: compileNot,
  [ExpOp.EXCLUSIVE]: compileExclusive,
};
