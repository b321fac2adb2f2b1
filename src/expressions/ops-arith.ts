/**
 * Arithmetic and integer ops (20-41, 50, 51) with Aerospike's (x86-64 C) semantics:
 * - integer results wrap to 64 bits; `abs(INT64_MIN)` is INT64_MIN;
 * - DIV divides the first operand by the product of the others (one operand: its reciprocal);
 *   an integer divisor of 0 is unknown, and so is INT64_MIN / -1 (Aerospike dies on it);
 * - MOD by 0 is unknown; `INT64_MIN % -1` is 0;
 * - shift counts use their low 6 bits (x86 `shl`/`shr`/`sar`);
 * - TO_INT truncates; NaN and out-of-range doubles give INT64_MIN (`cvttsd2si`);
 * - POW/LOG follow C `pow` / `log(a)/log(b)`;
 * - all operands of ADD/SUB/MUL/DIV/MIN/MAX are ints or all floats (else PARAMETER).
 */
import type { Compiler, OpCompiler } from './compile.js';
import { arity } from './compile.js';
import { paramError } from './decode.js';
import { ExpOp, ExpType, UNKNOWN, type Ev, type ExpTypeCode } from './types.js';

const INT64_MIN = -(1n << 63n);
const wrap = (v: bigint): bigint => BigInt.asIntN(64, v);

/** Operands of a math varargs op: all int or all float. */
function numericArgs(cx: Compiler, argc: number, name: string): { evs: Ev[]; type: ExpTypeCode } {
  if (argc < 1) paramError(`${name}: too few args ${argc}`);
  const evs: Ev[] = [];
  let type: ExpTypeCode | undefined;
  for (let i = 0; i < argc; i++) {
    const n = cx.node();
    if (n.type !== ExpType.INT && n.type !== ExpType.FLOAT) paramError(`${name}: invalid type ${n.type} at arg ${i + 1}`);
    type ??= n.type;
    if (n.type !== type) paramError(`${name}: mixed types at arg ${i + 1}`);
    evs.push(n.ev);
  }
  return { evs, type: type! };
}

/** Evaluates all operands; UNKNOWN if any is. */
function evalAll(evs: Ev[], c: Parameters<Ev>[0], out: unknown[]): boolean {
  for (let i = 0; i < evs.length; i++) {
    const v = evs[i]!(c);
    if (v === UNKNOWN) return false;
    out[i] = v;
  }
  return true;
}

type Fold = (vals: unknown[]) => unknown;

function varargs(cx: Compiler, argc: number, name: string, intFold: Fold, floatFold: Fold): ReturnType<OpCompiler> {
  const { evs, type } = numericArgs(cx, argc, name);
  const fold = type === ExpType.INT ? intFold : floatFold;
  if (evs.length === 2) {
    const [A, B] = evs as [Ev, Ev];
    return {
      type,
      ev: (c) => {
        const a = A(c);
        if (a === UNKNOWN) return UNKNOWN;
        const b = B(c);
        if (b === UNKNOWN) return UNKNOWN;
        return fold([a, b]);
      },
    };
  }
  const ev: Ev = (c) => {
    const vals = new Array<unknown>(evs.length);
    return evalAll(evs, c, vals) ? fold(vals) : UNKNOWN;
  };
  return { type, ev };
}

const ints = (v: unknown[]) => v as bigint[];
const floats = (v: unknown[]) => v as number[];

const compileAdd: OpCompiler = (cx, argc) =>
  varargs(
    cx,
    argc,
    'add',
    (v) => {
      let s = 0n;
      for (const x of ints(v)) s += x;
      return wrap(s);
    },
    (v) => {
      const f = floats(v);
      let s = f[0]!;
      for (let i = 1; i < f.length; i++) s += f[i]!;
      return s;
    },
  );

const compileSub: OpCompiler = (cx, argc) =>
  varargs(
    cx,
    argc,
    'sub',
    (v) => {
      const a = ints(v);
      if (a.length === 1) return wrap(-a[0]!);
      let s = a[0]!;
      for (let i = 1; i < a.length; i++) s -= a[i]!;
      return wrap(s);
    },
    (v) => {
      const f = floats(v);
      if (f.length === 1) return 0.0 - f[0]!;
      let s = f[0]!;
      for (let i = 1; i < f.length; i++) s -= f[i]!;
      return s;
    },
  );

const compileMul: OpCompiler = (cx, argc) =>
  varargs(
    cx,
    argc,
    'mul',
    (v) => {
      const a = ints(v);
      let p = a[0]!;
      for (let i = 1; i < a.length; i++) p = wrap(p * a[i]!);
      return p;
    },
    (v) => {
      const f = floats(v);
      let p = f[0]!;
      for (let i = 1; i < f.length; i++) p *= f[i]!;
      return p;
    },
  );

const compileDiv: OpCompiler = (cx, argc) =>
  varargs(
    cx,
    argc,
    'div',
    (v) => {
      const a = ints(v);
      let num = a[0]!;
      let den = 1n;
      if (a.length === 1) {
        den = num;
        num = 1n;
      } else for (let i = 1; i < a.length; i++) den = wrap(den * a[i]!);
      if (den === 0n) return UNKNOWN;
      if (num === INT64_MIN && den === -1n) return UNKNOWN;
      return num / den;
    },
    (v) => {
      const f = floats(v);
      let num = f[0]!;
      let den = 1.0;
      if (f.length === 1) {
        den = num;
        num = 1.0;
      } else for (let i = 1; i < f.length; i++) den *= f[i]!;
      return num / den;
    },
  );

const compileMin: OpCompiler = (cx, argc) =>
  varargs(
    cx,
    argc,
    'min',
    (v) => {
      const a = ints(v);
      let m = a[0]!;
      for (let i = 1; i < a.length; i++) if (m > a[i]!) m = a[i]!;
      return m;
    },
    (v) => {
      const f = floats(v);
      let m = f[0]!;
      for (let i = 1; i < f.length; i++) if (m > f[i]!) m = f[i]!;
      return m;
    },
  );

const compileMax: OpCompiler = (cx, argc) =>
  varargs(
    cx,
    argc,
    'max',
    (v) => {
      const a = ints(v);
      let m = a[0]!;
      for (let i = 1; i < a.length; i++) if (m < a[i]!) m = a[i]!;
      return m;
    },
    (v) => {
      const f = floats(v);
      let m = f[0]!;
      for (let i = 1; i < f.length; i++) if (m < f[i]!) m = f[i]!;
      return m;
    },
  );

/** Two operands of fixed types; `f` gets both values. */
function binary(cx: Compiler, argc: number, name: string, t0: ExpTypeCode, t1: ExpTypeCode, result: ExpTypeCode, f: (a: unknown, b: unknown) => unknown): ReturnType<OpCompiler> {
  arity(argc, 2, name);
  const a = cx.node();
  const b = cx.node();
  if (a.type !== t0 || b.type !== t1) paramError(`${name}: invalid arg types ${a.type} ${b.type}`);
  const A = a.ev;
  const B = b.ev;
  return {
    type: result,
    ev: (c) => {
      const x = A(c);
      if (x === UNKNOWN) return UNKNOWN;
      const y = B(c);
      if (y === UNKNOWN) return UNKNOWN;
      return f(x, y);
    },
  };
}

function unary(cx: Compiler, argc: number, name: string, t: ExpTypeCode, result: ExpTypeCode, f: (a: unknown) => unknown): ReturnType<OpCompiler> {
  arity(argc, 1, name);
  const A = cx.typed(name, t).ev;
  return {
    type: result,
    ev: (c) => {
      const x = A(c);
      return x === UNKNOWN ? UNKNOWN : f(x);
    },
  };
}

/** C `pow` where it differs from `**`: pow(1, y) = 1 and pow(-1, ±inf) = 1. */
export function cPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return x ** y;
}

/** `(int64_t)double` on x86-64. */
export function toInt64(x: number): bigint {
  if (!(x >= -9223372036854775808 && x < 9223372036854775808)) return INT64_MIN;
  return BigInt(Math.trunc(x));
}

function popcount64(v: bigint): number {
  let x = BigInt.asUintN(64, v);
  let n = 0;
  while (x !== 0n) {
    x &= x - 1n;
    n++;
  }
  return n;
}

/** Count of leading zero bits of a 64-bit value (64 for 0). */
function clz64(v: bigint): number {
  const x = BigInt.asUintN(64, v);
  const hi = Number(x >> 32n);
  if (hi !== 0) return Math.clz32(hi);
  return 32 + Math.clz32(Number(x & 0xffffffffn));
}

/** Count of trailing zero bits of a 64-bit value (64 for 0). */
function ctz64(v: bigint): number {
  const x = BigInt.asUintN(64, v);
  if (x === 0n) return 64;
  let n = 0;
  let y = x;
  while ((y & 0xffffffffn) === 0n) {
    y >>= 32n;
    n += 32;
  }
  let lo = Number(y & 0xffffffffn);
  while ((lo & 1) === 0) {
    lo >>>= 1;
    n++;
  }
  return n;
}

const intVargs =
  (name: string, op: (a: bigint, b: bigint) => bigint): OpCompiler =>
  (cx, argc) => {
    if (argc < 1) paramError(`${name}: too few args ${argc}`);
    const evs: Ev[] = [];
    for (let i = 0; i < argc; i++) evs.push(cx.typed(name, ExpType.INT).ev);
    const ev: Ev = (c) => {
      let acc = evs[0]!(c);
      if (acc === UNKNOWN) return UNKNOWN;
      for (let i = 1; i < evs.length; i++) {
        const v = evs[i]!(c);
        if (v === UNKNOWN) return UNKNOWN;
        acc = op(acc as bigint, v as bigint);
      }
      return acc;
    };
    return { type: ExpType.INT, ev };
  };

const shift = (s: bigint): bigint => s & 63n;

/** The arithmetic and integer ops, by op code. */
export const ARITH_OPS: Record<number, OpCompiler> = {
  [ExpOp.ADD]: compileAdd,
  [ExpOp.SUB]: compileSub,
  [ExpOp.MUL]: compileMul,
  [ExpOp.DIV]: compileDiv,
  [ExpOp.MIN]: compileMin,
  [ExpOp.MAX]: compileMax,
  [ExpOp.POW]: (cx, argc) => binary(cx, argc, 'pow', ExpType.FLOAT, ExpType.FLOAT, ExpType.FLOAT, (a, b) => cPow(a as number, b as number)),
  [ExpOp.LOG]: (cx, argc) => binary(cx, argc, 'log', ExpType.FLOAT, ExpType.FLOAT, ExpType.FLOAT, (a, b) => Math.log(a as number) / Math.log(b as number)),
  [ExpOp.MOD]: (cx, argc) =>
    binary(cx, argc, 'mod', ExpType.INT, ExpType.INT, ExpType.INT, (a, b) => ((b as bigint) === 0n ? UNKNOWN : (a as bigint) % (b as bigint))),
  [ExpOp.ABS]: (cx, argc) => {
    arity(argc, 1, 'abs');
    const n = cx.typed('abs', ExpType.INT, ExpType.FLOAT);
    const A = n.ev;
    const ev: Ev =
      n.type === ExpType.INT
        ? (c) => {
            const x = A(c);
            if (x === UNKNOWN) return UNKNOWN;
            return (x as bigint) < 0n ? wrap(-(x as bigint)) : x;
          }
        : (c) => {
            const x = A(c);
            return x === UNKNOWN ? UNKNOWN : Math.abs(x as number);
          };
    return { type: n.type, ev };
  },
  [ExpOp.FLOOR]: (cx, argc) => unary(cx, argc, 'floor', ExpType.FLOAT, ExpType.FLOAT, (a) => Math.floor(a as number)),
  [ExpOp.CEIL]: (cx, argc) => unary(cx, argc, 'ceil', ExpType.FLOAT, ExpType.FLOAT, (a) => Math.ceil(a as number)),
  [ExpOp.TO_INT]: (cx, argc) => unary(cx, argc, 'to_int', ExpType.FLOAT, ExpType.INT, (a) => toInt64(a as number)),
  [ExpOp.TO_FLOAT]: (cx, argc) => unary(cx, argc, 'to_float', ExpType.INT, ExpType.FLOAT, (a) => Number(a as bigint)),
  [ExpOp.INT_AND]: intVargs('int_and', (a, b) => a & b),
  [ExpOp.INT_OR]: intVargs('int_or', (a, b) => a | b),
  [ExpOp.INT_XOR]: intVargs('int_xor', (a, b) => a ^ b),
  [ExpOp.INT_NOT]: (cx, argc) => unary(cx, argc, 'int_not', ExpType.INT, ExpType.INT, (a) => ~(a as bigint)),
  [ExpOp.INT_LSHIFT]: (cx, argc) =>
    binary(cx, argc, 'int_lshift', ExpType.INT, ExpType.INT, ExpType.INT, (a, s) => wrap((a as bigint) << shift(s as bigint))),
  [ExpOp.INT_RSHIFT]: (cx, argc) =>
    binary(cx, argc, 'int_rshift', ExpType.INT, ExpType.INT, ExpType.INT, (a, s) => wrap(BigInt.asUintN(64, a as bigint) >> shift(s as bigint))),
  [ExpOp.INT_ARSHIFT]: (cx, argc) =>
    binary(cx, argc, 'int_arshift', ExpType.INT, ExpType.INT, ExpType.INT, (a, s) => (a as bigint) >> shift(s as bigint)),
  [ExpOp.INT_COUNT]: (cx, argc) => unary(cx, argc, 'int_count', ExpType.INT, ExpType.INT, (a) => BigInt(popcount64(a as bigint))),
  [ExpOp.INT_LSCAN]: (cx, argc) =>
    binary(cx, argc, 'int_lscan', ExpType.INT, ExpType.BOOL, ExpType.INT, (a, set) => {
      const v = set ? (a as bigint) : ~(a as bigint);
      const n = clz64(v);
      return n === 64 ? -1n : BigInt(n);
    }),
  [ExpOp.INT_RSCAN]: (cx, argc) =>
    binary(cx, argc, 'int_rscan', ExpType.INT, ExpType.BOOL, ExpType.INT, (a, set) => {
      const v = set ? (a as bigint) : ~(a as bigint);
      return BigInt(63 - ctz64(v));
    }),
};
