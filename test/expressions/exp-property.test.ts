/**
 * Property tests (fast-check):
 * - random well-typed integer/boolean expression trees never crash the evaluator and agree with a
 *   small reference evaluator written here from Aerospike's rules (64-bit wrap, unknown
 *   propagation, three-valued and/or/not/exclusive, cond, let);
 * - random bytes and random op-shaped msgpack only ever throw AsError from compile, and whatever
 *   compiles evaluates without throwing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AsError } from '../../src/protocol/result-codes.js';
import { compileExpOp, compileFilter, UNKNOWN } from '../../src/expressions/index.js';
import { enc, ENV, flt, raw, rec, X, type E } from './exp-fixtures.test.js';

// ---- the reference model ------------------------------------------------------------------------

type U = 'U';
const Unk: U = 'U';
type IntNode =
  | { k: 'lit'; v: bigint }
  | { k: 'bin'; name: 'a' | 'b' | 'z' }
  | { k: 'var' }
  | { k: 'vargs'; op: 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max' | 'iand' | 'ior' | 'ixor'; args: IntNode[] }
  | { k: 'bin2'; op: 'mod' | 'shl' | 'shr' | 'ashr'; a: IntNode; b: IntNode }
  | { k: 'un'; op: 'abs' | 'inot' | 'count'; a: IntNode }
  | { k: 'scan'; op: 'lscan' | 'rscan'; a: IntNode; b: BoolNode }
  | { k: 'icond'; cases: [BoolNode, IntNode][]; def: IntNode };
type BoolNode =
  | { k: 'blit'; v: boolean }
  | { k: 'bbin'; name: 't' | 'z' }
  | { k: 'unknown' }
  | { k: 'cmp'; op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; a: IntNode; b: IntNode }
  | { k: 'logic'; op: 'and' | 'or' | 'excl'; args: BoolNode[] }
  | { k: 'not'; a: BoolNode };

const MIN = -(2n ** 63n);
const w = (v: bigint) => BigInt.asIntN(64, v);

interface Env {
  a: bigint;
  b: bigint;
  t: boolean;
  x: bigint | U;
}

function refInt(n: IntNode, env: Env): bigint | U {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'bin':
      return n.name === 'z' ? Unk : env[n.name];
    case 'var':
      return env.x;
    case 'vargs': {
      const vals: bigint[] = [];
      for (const a of n.args) {
        const v = refInt(a, env);
        if (v === Unk) return Unk;
        vals.push(v);
      }
      const [first, ...rest] = vals as [bigint, ...bigint[]];
      switch (n.op) {
        case 'add':
          return w(vals.reduce((s, v) => s + v, 0n));
        case 'sub':
          return rest.length === 0 ? w(-first) : w(rest.reduce((s, v) => s - v, first));
        case 'mul':
          return vals.reduce((p, v) => w(p * v), 1n);
        case 'div': {
          const num = rest.length === 0 ? 1n : first;
          const den = rest.length === 0 ? first : rest.reduce((p, v) => w(p * v), 1n);
          if (den === 0n || (num === MIN && den === -1n)) return Unk;
          return num / den;
        }
        case 'min':
          return vals.reduce((m, v) => (v < m ? v : m));
        case 'max':
          return vals.reduce((m, v) => (v > m ? v : m));
        case 'iand':
          return vals.reduce((m, v) => m & v);
        case 'ior':
          return vals.reduce((m, v) => m | v);
        case 'ixor':
          return vals.reduce((m, v) => m ^ v);
      }
      break;
    }
    case 'bin2': {
      const a = refInt(n.a, env);
      if (a === Unk) return Unk;
      const b = refInt(n.b, env);
      if (b === Unk) return Unk;
      const s = BigInt(Number(BigInt.asUintN(6, b)));
      switch (n.op) {
        case 'mod':
          return b === 0n ? Unk : a % b;
        case 'shl':
          return w(a << s);
        case 'shr':
          return w(BigInt.asUintN(64, a) >> s);
        case 'ashr':
          return a >> s;
      }
      break;
    }
    case 'un': {
      const a = refInt(n.a, env);
      if (a === Unk) return Unk;
      switch (n.op) {
        case 'abs':
          return w(a < 0n ? -a : a);
        case 'inot':
          return ~a;
        case 'count':
          return BigInt([...BigInt.asUintN(64, a).toString(2)].filter((c) => c === '1').length);
      }
      break;
    }
    case 'scan': {
      const a = refInt(n.a, env);
      if (a === Unk) return Unk;
      const b = refBool(n.b, env);
      if (b === Unk) return Unk;
      const bits = BigInt.asUintN(64, b ? a : ~a).toString(2).padStart(64, '0');
      if (n.op === 'lscan') {
        const i = bits.indexOf('1');
        return BigInt(i);
      }
      const j = bits.lastIndexOf('1');
      return j < 0 ? -1n : BigInt(j);
    }
    case 'icond': {
      for (const [c, v] of n.cases) {
        const t = refBool(c, env);
        if (t === Unk) return Unk;
        if (t) return refInt(v, env);
      }
      return refInt(n.def, env);
    }
  }
  throw new Error('unreachable');
}

function refBool(n: BoolNode, env: Env): boolean | U {
  switch (n.k) {
    case 'blit':
      return n.v;
    case 'bbin':
      return n.name === 'z' ? Unk : env.t;
    case 'unknown':
      return Unk;
    case 'cmp': {
      const a = refInt(n.a, env);
      if (a === Unk) return Unk;
      const b = refInt(n.b, env);
      if (b === Unk) return Unk;
      return { eq: a === b, ne: a !== b, gt: a > b, ge: a >= b, lt: a < b, le: a <= b }[n.op];
    }
    case 'not': {
      const a = refBool(n.a, env);
      return a === Unk ? Unk : !a;
    }
    case 'logic': {
      const vals = n.args.map((a) => refBool(a, env));
      if (n.op === 'and') return vals.includes(false) ? false : vals.includes(Unk) ? Unk : true;
      if (n.op === 'or') return vals.includes(true) ? true : vals.includes(Unk) ? Unk : false;
      let seen = false;
      for (const v of vals) {
        if (v === Unk) return Unk;
        if (v) {
          if (seen) return false;
          seen = true;
        }
      }
      return seen;
    }
  }
}

// ---- to the wire ---------------------------------------------------------------------------------

function intE(n: IntNode): E {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'bin':
      return X.intBin(n.name);
    case 'var':
      return X.varRef('x');
    case 'vargs': {
      const code = { add: 20, sub: 21, mul: 22, div: 23, min: 50, max: 51, iand: 32, ior: 33, ixor: 34 }[n.op];
      return [code, ...n.args.map(intE)];
    }
    case 'bin2':
      return [{ mod: 26, shl: 36, shr: 37, ashr: 38 }[n.op], intE(n.a), intE(n.b)];
    case 'un':
      return [{ abs: 27, inot: 35, count: 39 }[n.op], intE(n.a)];
    case 'scan':
      return [n.op === 'lscan' ? 40 : 41, intE(n.a), boolE(n.b)];
    case 'icond':
      return X.cond(...n.cases.flatMap(([c, v]) => [boolE(c), intE(v)]), intE(n.def));
  }
}

function boolE(n: BoolNode): E {
  switch (n.k) {
    case 'blit':
      return n.v;
    case 'bbin':
      return X.boolBin(n.name);
    case 'unknown':
      return X.unknown();
    case 'cmp':
      return [{ eq: 1, ne: 2, gt: 3, ge: 4, lt: 5, le: 6 }[n.op], intE(n.a), intE(n.b)];
    case 'not':
      return X.not(boolE(n.a));
    case 'logic':
      return [{ and: 16, or: 17, excl: 19 }[n.op], ...n.args.map(boolE)];
  }
}

// ---- arbitraries -----------------------------------------------------------------------------------

const int64 = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(0n, 1n, -1n, 2n, 63n, 64n, MIN, 2n ** 63n - 1n),
  fc.bigInt({ min: -100n, max: 100n }),
);

const trees = fc.letrec<{ int: IntNode; bool: BoolNode }>((tie) => ({
  int: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    int64.map((v): IntNode => ({ k: 'lit', v })),
    fc.constantFrom<IntNode>({ k: 'bin', name: 'a' }, { k: 'bin', name: 'b' }, { k: 'bin', name: 'z' }, { k: 'var' }),
    fc
      .record({
        op: fc.constantFrom('add', 'sub', 'mul', 'div', 'min', 'max', 'iand', 'ior', 'ixor' as const),
        args: fc.array(tie('int') as fc.Arbitrary<IntNode>, { minLength: 1, maxLength: 4 }),
      })
      .map((r): IntNode => ({ k: 'vargs', ...r })),
    fc
      .record({ op: fc.constantFrom('mod', 'shl', 'shr', 'ashr' as const), a: tie('int') as fc.Arbitrary<IntNode>, b: tie('int') as fc.Arbitrary<IntNode> })
      .map((r): IntNode => ({ k: 'bin2', ...r })),
    fc.record({ op: fc.constantFrom('abs', 'inot', 'count' as const), a: tie('int') as fc.Arbitrary<IntNode> }).map((r): IntNode => ({ k: 'un', ...r })),
    fc
      .record({ op: fc.constantFrom('lscan', 'rscan' as const), a: tie('int') as fc.Arbitrary<IntNode>, b: tie('bool') as fc.Arbitrary<BoolNode> })
      .map((r): IntNode => ({ k: 'scan', ...r })),
    fc
      .record({
        cases: fc.array(fc.tuple(tie('bool') as fc.Arbitrary<BoolNode>, tie('int') as fc.Arbitrary<IntNode>), { minLength: 1, maxLength: 3 }),
        def: tie('int') as fc.Arbitrary<IntNode>,
      })
      .map((r): IntNode => ({ k: 'icond', ...r })),
  ),
  bool: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.boolean().map((v): BoolNode => ({ k: 'blit', v })),
    fc.constantFrom<BoolNode>({ k: 'bbin', name: 't' }, { k: 'bbin', name: 'z' }, { k: 'unknown' }),
    fc
      .record({ op: fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le' as const), a: tie('int') as fc.Arbitrary<IntNode>, b: tie('int') as fc.Arbitrary<IntNode> })
      .map((r): BoolNode => ({ k: 'cmp', ...r })),
    fc
      .record({ op: fc.constantFrom('and', 'or', 'excl' as const), args: fc.array(tie('bool') as fc.Arbitrary<BoolNode>, { minLength: 2, maxLength: 4 }) })
      .map((r): BoolNode => ({ k: 'logic', ...r })),
    (tie('bool') as fc.Arbitrary<BoolNode>).map((a): BoolNode => ({ k: 'not', a })),
  ),
}));

const envArb = fc.record({ a: int64, b: int64, t: fc.boolean() });

const toRt = (v: unknown) => (v === UNKNOWN ? Unk : v);

test('random int trees agree with the reference evaluator (inside a let)', () => {
  fc.assert(
    fc.property(trees.int, trees.int, envArb, (def, body, e) => {
      const r = rec({ a: e.a, b: e.b, t: e.t });
      const x = refInt(def, { ...e, x: Unk });
      const expected = refInt(body, { ...e, x });
      // `def` cannot see x: its var leaves read the missing bin z instead (unknown, like x here)
      const wire = X.let('x', intE(replaceVar(def)), intE(body));
      const got = toRt(compileExpOp(enc([wire])).evaluate(r, ENV));
      assert.equal(got, expected);
    }),
    { numRuns: 400 },
  );
});

/** The definition of x must not mention x: its var leaves read bin z (unknown), as the reference does. */
function replaceVar(n: IntNode): IntNode {
  switch (n.k) {
    case 'var':
      return { k: 'bin', name: 'z' };
    case 'vargs':
      return { ...n, args: n.args.map(replaceVar) };
    case 'bin2':
      return { ...n, a: replaceVar(n.a), b: replaceVar(n.b) };
    case 'un':
      return { ...n, a: replaceVar(n.a) };
    case 'scan':
      return { ...n, a: replaceVar(n.a), b: replaceVarB(n.b) };
    case 'icond':
      return { ...n, cases: n.cases.map(([c, v]) => [replaceVarB(c), replaceVar(v)]), def: replaceVar(n.def) };
    default:
      return n;
  }
}
function replaceVarB(n: BoolNode): BoolNode {
  switch (n.k) {
    case 'cmp':
      return { ...n, a: replaceVar(n.a), b: replaceVar(n.b) };
    case 'logic':
      return { ...n, args: n.args.map(replaceVarB) };
    case 'not':
      return { ...n, a: replaceVarB(n.a) };
    default:
      return n;
  }
}

test('random boolean filters agree with the reference (unknown never matches)', () => {
  fc.assert(
    fc.property(trees.bool, envArb, (tree, e) => {
      const t = replaceVarB(tree);
      const r = rec({ a: e.a, b: e.b, t: e.t });
      const expected = refBool(t, { ...e, x: Unk });
      assert.equal(toRt(compileExpOp(enc([boolE(t)])).evaluate(r, ENV)), expected);
      assert.equal(compileFilter(enc(boolE(t))).matches(r, ENV), expected === true);
    }),
    { numRuns: 400 },
  );
});

const R = rec({ a: 1n, s: 'x', l: [1n], f: 1.5, t: true });

function compileOnly(bytes: Uint8Array): void {
  for (const compile of [compileFilter, compileExpOp] as ((b: Buffer) => { matches?: unknown })[]) {
    let c: unknown;
    try {
      c = compile(Buffer.from(bytes));
    } catch (err) {
      if (!(err instanceof AsError)) throw err;
      continue;
    }
    // whatever compiles evaluates without throwing
    const anyC = c as { matches?: (r: typeof R, e: typeof ENV) => boolean; evaluate?: (r: typeof R, e: typeof ENV) => unknown };
    if (anyC.matches) anyC.matches(R, ENV);
    if (anyC.evaluate) anyC.evaluate(R, ENV);
  }
}

test('random bytes only ever throw AsError from compile', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => compileOnly(bytes)),
    { numRuns: 3000 },
  );
});

test('random op-shaped msgpack only ever throws AsError, and what compiles evaluates', () => {
  const leaf = fc.oneof(
    fc.integer({ min: -2, max: 130 }),
    fc.constantFrom<E>(raw('a'), raw('s'), raw('l'), raw('x'), raw(''), 'x', flt(1.5), null, true, false, 2n ** 63n),
  );
  const tree = fc.letrec<{ node: E }>((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 5 }), fc.tuple(fc.integer({ min: 0, max: 127 }), fc.array(tie('node'), { maxLength: 4 })).map(([op, args]) => [op, ...args] as E)),
  }));
  fc.assert(
    fc.property(tree.node, fc.boolean(), (t, asOp) => compileOnly(enc(asOp ? [t, 0] : t))),
    { numRuns: 3000 },
  );
});

test('mutated valid expressions only ever throw AsError', () => {
  const base = enc(
    X.and(
      X.gt(X.add(X.intBin('a'), 5), X.mul(2, 3)),
      X.let('v', X.strBin('s'), X.regex(1, 'x+', X.varRef('v'))),
      X.inList(1, X.listBin('l')),
      X.cond(X.boolBin('t'), X.lt(X.floatBin('f'), flt(2)), false),
    ),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
      const b = Buffer.from(base);
      for (const [i, v] of edits) b[i] = v;
      compileOnly(b);
    }),
    { numRuns: 3000 },
  );
});
