/**
 * Select / apply by path (CDT op 0xfe) on decoded values: the four result shapes, every path
 * context kind, NO_FAIL, apply with removal and re-sorting, and the checks the server makes on the
 * payload (as_src cdt.c cdt_process_state_select / select_stack_init). The recorded exchanges
 * (test/fixtures/corpus/path.jsonl) are replayed byte for byte by the corpus replay test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AsError, ResultCode } from '../../src/protocol/result-codes.js';
import { AsBytes, AsMap, AsSpecial, LIST_FLAGS, pack, type AsList, type AsValue } from '../../src/protocol/msgpack.js';
import { executeCdtWireOp, MAX_SELECT_LEVELS, setPathExpCompiler } from '../../src/cdt/index.js';
import { compilePathExp, setCallEngines } from '../../src/expressions/index.js';
import { executeHllOp } from '../../src/hll/index.js';

setPathExpCompiler(compilePathExp);
setCallEngines({ hll: executeHllOp });

const SELECT = 0xfen;
const F = { TREE: 0n, VALUE: 1n, KEY: 2n, KEY_VALUE: 3n, APPLY: 4n, NO_FAIL: 0x10n };
const CTX = { EXP: 4n, LIST_INDEX: 0x10n, LIST_RANK: 0x11n, LIST_VALUE: 0x13n, MAP_INDEX: 0x20n, MAP_RANK: 0x21n, MAP_KEY: 0x22n, MAP_VALUE: 0x23n, KEYS_IN: 0x2an, AND: 0x204n };
/** `[122, type, id]`: loop variable KEY 0 / VALUE 1 / INDEX 2 of expression type INT 2. */
const intVar = (id: bigint): AsValue[] => [122n, 2n, id];
const gt = (a: AsValue, b: AsValue): AsValue[] => [3n, a, b];

const L = (...v: number[]): AsValue[] => v.map((x) => BigInt(x));
const M = (o: Record<string, AsValue>, flags = 1): AsMap => new AsMap(Object.entries(o), flags);
function ordered(items: AsValue[]): AsList {
  const l = items as AsList;
  l[LIST_FLAGS] = 1;
  return l;
}

function run(current: AsValue | undefined, args: AsValue[], modify = false): { result: AsValue | undefined; newValue?: AsValue } {
  return executeCdtWireOp(current, pack([SELECT, ...args]), modify);
}

function code(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof AsError) return e.code;
    throw e;
  }
  return ResultCode.OK;
}

const doc = M({ a: M({ x: 1n, y: 2n }), b: L(5, 6, 7), c: 9n });

test('the matching tree keeps the containers along the path; leaf modes answer a flat list', () => {
  const path = [CTX.MAP_KEY, 'b', CTX.EXP, gt(intVar(1n), 5n)];
  const tree = run(doc, [path, F.TREE]).result as AsMap;
  assert.deepEqual(tree.entries, [['b', L(6, 7)]]);
  assert.equal(tree.flags, 0, 'a selected tree carries no order flag');
  assert.deepEqual(run(doc, [path, F.VALUE]).result, L(6, 7));
  // keys asked of a list leaf (b) fail the select; NO_FAIL skips it
  assert.equal(code(() => run(doc, [[CTX.EXP, true, CTX.EXP, true], F.KEY_VALUE])), ResultCode.INCOMPATIBLE_TYPE);
  assert.deepEqual(run(doc, [[CTX.EXP, true, CTX.EXP, true], F.KEY_VALUE | F.NO_FAIL]).result, ['x', 1n, 'y', 2n]);
  // a scalar met above the leaf level is kept whole in the tree and skipped by leaf modes
  const all2 = [CTX.EXP, true, CTX.EXP, true];
  assert.deepEqual((run(doc, [all2, F.TREE]).result as AsMap).entries, [
    ['a', new AsMap([['x', 1n], ['y', 2n]])],
    ['b', L(5, 6, 7)],
    ['c', 9n],
  ]);
  assert.deepEqual(run(doc, [all2, F.VALUE]).result, L(1, 2, 5, 6, 7));
});

test('index, rank, value, key and keys-in contexts; out of range selects nothing', () => {
  const list = L(30, 10, 20);
  assert.deepEqual(run(list, [[CTX.LIST_RANK, 0n], F.VALUE]).result, L(10));
  assert.deepEqual(run(list, [[CTX.LIST_RANK, -1n], F.VALUE]).result, L(30));
  assert.deepEqual(run(list, [[CTX.LIST_INDEX, 5n], F.VALUE]).result, []);
  assert.deepEqual(run(list, [[CTX.LIST_VALUE, 20n], F.VALUE]).result, L(20));
  const m = M({ a: 3n, b: 1n, c: 2n });
  assert.deepEqual(run(m, [[CTX.MAP_RANK, 0n], F.KEY]).result, ['b']);
  assert.deepEqual(run(m, [[CTX.MAP_INDEX, -1n], F.KEY]).result, ['c']);
  assert.deepEqual(run(m, [[CTX.MAP_VALUE, 2n], F.KEY]).result, ['c']);
  assert.deepEqual(run(m, [[CTX.KEYS_IN, ['c', 'a', 'zz']], F.KEY_VALUE]).result, ['a', 3n, 'c', 2n]);
  assert.deepEqual(run(m, [[CTX.KEYS_IN, ['a', 'b'], CTX.AND, gt(intVar(1n), 1n)], F.KEY]).result, ['a']);
  assert.equal(code(() => run(m, [[CTX.KEYS_IN, ordered(['b', 'a'])], F.KEY])), ResultCode.PARAMETER, 'an ordered key list must be in order');
  assert.equal(code(() => run(m, [[CTX.KEYS_IN, 'a'], F.KEY])), ResultCode.PARAMETER);
});

test('the type bits of a level must suit the container; keys of a list are INCOMPATIBLE_TYPE', () => {
  assert.equal(code(() => run(L(1), [[CTX.MAP_INDEX, 0n], F.VALUE])), ResultCode.PARAMETER);
  assert.equal(code(() => run(M({ a: 1n }), [[CTX.LIST_INDEX, 0n], F.VALUE])), ResultCode.PARAMETER);
  assert.equal(code(() => run(L(1), [[CTX.MAP_KEY, 'a'], F.VALUE | F.NO_FAIL])), ResultCode.PARAMETER, 'a map-typed level on a list');
  assert.equal(code(() => run(L(1), [[2n, 'a'], F.VALUE])), ResultCode.PARAMETER, 'an untyped key context on a list is unknown');
  assert.deepEqual(run(L(1), [[2n, 'a'], F.VALUE | F.NO_FAIL]).result, []);
  assert.equal(code(() => run(L(1), [[CTX.EXP, true], F.KEY])), ResultCode.INCOMPATIBLE_TYPE);
  assert.equal(code(() => run(5n, [[CTX.EXP, true], F.VALUE])), ResultCode.INCOMPATIBLE_TYPE);
});

test('malformed payloads are PARAMETER, in the server order', () => {
  const deep: AsValue[] = [];
  for (let i = 0; i <= MAX_SELECT_LEVELS; i++) deep.push(CTX.EXP, true);
  assert.equal(code(() => run(L(1), [deep, F.VALUE])), ResultCode.PARAMETER, 'more than 64 levels');
  assert.equal(code(() => run(L(1), [[CTX.EXP, true, CTX.AND, gt(intVar(1n), 0n)], F.VALUE])), ResultCode.PARAMETER, 'AND after an expression level');
  assert.equal(code(() => run(L(1), [[CTX.AND, gt(intVar(1n), 0n)], F.VALUE])), ResultCode.PARAMETER, 'AND first');
  const twoAnds = [CTX.LIST_INDEX, 0n, CTX.AND, gt(intVar(1n), 0n), CTX.AND, gt(intVar(1n), 0n)];
  assert.equal(code(() => run(L(1), [twoAnds, F.VALUE])), ResultCode.PARAMETER);
  assert.equal(code(() => run(L(1), [[CTX.EXP, 7n], F.VALUE])), ResultCode.PARAMETER, 'an expression must be a list or true');
  assert.equal(code(() => run(L(1), [[CTX.EXP, [9999n]], F.VALUE])), ResultCode.PARAMETER, 'a bad expression');
  assert.equal(code(() => run(L(1), [[CTX.EXP, true], 5n])), ResultCode.PARAMETER, 'select type 5');
  assert.equal(code(() => run(L(1), [[CTX.EXP, true], F.VALUE, 1n])), ResultCode.PARAMETER, 'one parameter too many');
  assert.equal(code(() => run(L(1), [[CTX.EXP, true], F.APPLY])), ResultCode.PARAMETER, 'apply without expression');
  assert.equal(code(() => run(L(1), [[CTX.EXP, true], F.APPLY, [22n, intVar(1n), 2n]])), ResultCode.PARAMETER, 'apply on a read');
  assert.equal(code(() => run(undefined, [[CTX.EXP, true], F.APPLY, [22n, intVar(1n), 2n]], true)), ResultCode.INCOMPATIBLE_TYPE, 'apply on a missing bin');
});

test('apply rewrites leaves, removes entries, re-sorts ordered lists, and keeps map flags', () => {
  const times10 = [22n, intVar(1n), 10n];
  assert.deepEqual(run(L(1, 2), [[CTX.EXP, true], F.APPLY, times10], true).newValue, L(10, 20));
  const negated = run(ordered(L(1, 2, 3)), [[CTX.EXP, true], F.APPLY, [21n, 0n, intVar(1n)]], true).newValue as AsList;
  assert.deepEqual([...negated], L(-3, -2, -1));
  assert.equal(negated[LIST_FLAGS], 1);
  // an ordered list above the leaf is re-sorted when a child changes
  const nested = run(ordered([L(5), L(1)] as AsValue[]), [[CTX.EXP, true, CTX.LIST_INDEX, 0n], F.APPLY, times10], true).newValue as AsList;
  assert.deepEqual([...nested], [L(10), L(50)]);
  const removed = run(M({ a: 1n, b: 5n, c: 2n }), [[CTX.EXP, gt(intVar(1n), 1n)], F.APPLY, [100n]], true).newValue as AsMap;
  assert.deepEqual(removed.entries, [['a', 1n]]);
  assert.equal(removed.flags, 1);
});

test('an unknown modify result is SERVER_ERROR unless NO_FAIL; a non-storable one is INCOMPATIBLE_TYPE', () => {
  const plus1 = [20n, intVar(1n), 1n];
  const mixed = [1n, 'x', 3n] as AsValue[];
  assert.equal(code(() => run(mixed, [[CTX.EXP, true], F.APPLY, plus1], true)), ResultCode.UNKNOWN);
  assert.deepEqual(run(mixed, [[CTX.EXP, true], F.APPLY | F.NO_FAIL, plus1], true).newValue, [2n, 'x', 4n]);
  const wildList = [126n, [AsSpecial.WILDCARD]];
  assert.equal(code(() => run(L(1), [[CTX.EXP, true], F.APPLY, wildList], true)), ResultCode.INCOMPATIBLE_TYPE);
});

test('loop variables carry the element types: strings, blobs, HLLs, lists, maps', () => {
  const items = ['s', new AsBytes(4, Buffer.from([1])), L(1), M({ k: 1n })] as AsValue[];
  // a typed variable compared with itself is true when the element has that type, unknown otherwise
  const isType = (t: bigint): AsValue[] => [1n, [122n, t, 1n], [122n, t, 1n]];
  const select = (t: bigint) => run(items, [[CTX.EXP, isType(t)], F.VALUE | F.NO_FAIL]).result;
  assert.deepEqual(select(3n), ['s']);
  assert.deepEqual(select(6n), [items[1]]);
  assert.deepEqual(select(4n), [L(1)]);
  assert.deepEqual(select(5n), [items[3]]);
  // an HLL element: its count through a CALL on the loop variable (a real sketch: INIT + ADD)
  const init = executeHllOp(undefined, 0, [8n, 0n], true).newBin!;
  const sketch = executeHllOp(init, 1, [['a', 'b', 'c'], 8n, 0n], true).newBin!;
  const withHll = [1n, new AsBytes(18, sketch.value)] as AsValue[];
  const countIs3 = [1n, [127n, 2n, 2n, [50n], [122n, 9n, 1n]], 3n];
  assert.deepEqual(run(withHll, [[CTX.EXP, countIs3], F.VALUE | F.NO_FAIL]).result, [withHll[1]]);
  assert.deepEqual(run(items, [[CTX.EXP, [1n, [72n], false]], F.VALUE | F.NO_FAIL]).result, items, 'metadata of no record: every element');
});

test('any payload after the select code answers a result code, never a crash', () => {
  const bins: AsValue[] = [L(1, 2, 3), doc, ordered(L(1, 5)), [doc, L(4)] as AsValue[]];
  const ctxItem = fc.oneof(
    fc.constantFrom<AsValue>(CTX.EXP, CTX.LIST_INDEX, CTX.LIST_RANK, CTX.MAP_KEY, CTX.KEYS_IN, CTX.AND, 2n, 3n, 0x12n, 0x240n, true, false, null),
    fc.bigInt({ min: -3n, max: 3n }),
    fc.constantFrom<AsValue>('a', 'b', ['a', 'c'], gt(intVar(1n), 1n), gt(intVar(2n), 0n), [1n, [122n, 3n, 0n], 'a'], [9999n]),
  );
  fc.assert(
    fc.property(fc.array(ctxItem, { maxLength: 8 }), fc.bigInt({ min: -1n, max: 0x40n }), fc.integer({ min: 0, max: 3 }), fc.boolean(), (ctx, flags, b, modify) => {
      const args: AsValue[] = flags & 4n ? [ctx, flags, [20n, intVar(1n), 1n]] : [ctx, flags];
      try {
        run(bins[b], args, modify);
      } catch (e) {
        if (!(e instanceof AsError)) throw e;
      }
    }),
    { seed: 42, numRuns: 400 },
  );
  for (let seed = 0; seed < 300; seed++) {
    const bytes = Buffer.alloc(1 + (seed % 24));
    for (let i = 0; i < bytes.length; i++) bytes[i] = (seed * 131 + i * 29 + ((seed * i) >> 2)) & 0xff;
    for (const b of bins) {
      try {
        executeCdtWireOp(b, Buffer.concat([Buffer.from([0x94, 0xcc, 0xfe]), bytes]), true);
      } catch (e) {
        if (!(e instanceof AsError)) throw e;
      }
    }
  }
});
