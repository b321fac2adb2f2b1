/**
 * List operations. Expected values come from the exchanges recorded against Aerospike 8.1.2
 * (test/fixtures/corpus/cdt-list.jsonl, scenario and step named in each test), from the C client's
 * server tests (list_basics.c, answers of a real server) and from the server source for edge cases.
 * The whole corpus is also replayed byte for byte by cdt-corpus.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AsError, ResultCode } from '../../src/protocol/result-codes.js';
import { AsBytes, AsMap, AsSpecial, LIST_FLAGS, pack, type AsList, type AsValue } from '../../src/protocol/msgpack.js';
import { compareValues, executeCdtOp, executeCdtWireOp, type CdtOutcome } from '../../src/cdt/index.js';

const WILD = AsSpecial.WILDCARD;
const INF = AsSpecial.INF;
const INVERTED = 0x10000n;
const RT = { NONE: 0n, INDEX: 1n, REVINDEX: 2n, RANK: 3n, REVRANK: 4n, COUNT: 5n, KEY: 6n, VALUE: 7n, EXISTS: 13n };

/** A list of integers (bigint). */
function L(...v: number[]): AsValue[] {
  return v.map((x) => BigInt(x));
}

function ordered(items: AsValue[]): AsList {
  const l = items as AsList;
  l[LIST_FLAGS] = 1;
  return l;
}

/** Runs a wire op `[code, ...args]` (or `[0xff, ctx, [code, ...args]]`). */
function wire(current: AsValue | undefined, op: AsValue[], modify = false, ctx?: AsValue[]): CdtOutcome {
  const payload = ctx ? pack([255n, ctx, op]) : pack(op);
  return executeCdtWireOp(current, payload, modify);
}

function read(current: AsValue, code: number, ...args: AsValue[]): AsValue | undefined {
  return wire(current, [BigInt(code), ...args]).result;
}

function modify(current: AsValue | undefined, code: number, ...args: AsValue[]): CdtOutcome {
  return wire(current, [BigInt(code), ...args], true);
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

const SAMPLE = () => L(7, 3, 9, 3, 1, 12, 5, 3, 8);

// --- reads on an unordered list (scenario list-read-unordered) ---

test('getByIndex(2) answers the index, mirrored index, rank and value of element 9 (list-read-unordered #4-#10)', () => {
  const l = SAMPLE();
  assert.equal(read(l, 19, RT.INDEX, 2n), 2n);
  assert.equal(read(l, 19, RT.REVINDEX, 2n), 6n);
  assert.equal(read(l, 19, RT.RANK, 2n), 7n);
  assert.equal(read(l, 19, RT.REVRANK, 2n), 1n);
  assert.equal(read(l, 19, RT.COUNT, 2n), 1n);
  assert.equal(read(l, 19, RT.VALUE, 2n), 9n);
  assert.equal(read(l, 19, RT.EXISTS, 2n), true);
});

test('getByIndex with return type NONE yields no result entry (list-read-unordered #3)', () => {
  assert.equal(read(SAMPLE(), 19, RT.NONE, 2n), undefined);
});

test('getByIndex out of range is OP_NOT_APPLICABLE whatever the return type (list-read-unordered #19-#26)', () => {
  for (const rt of [RT.NONE, RT.INDEX, RT.VALUE, RT.EXISTS]) assert.equal(code(() => read(SAMPLE(), 19, rt, 20n)), ResultCode.OP_NOT_APPLICABLE);
});

test('getByIndexRange(1, 3) ranks each selected element among all elements (list-read-unordered #30)', () => {
  assert.deepEqual(read(SAMPLE(), 24, RT.RANK, 1n, 3n), L(1, 7, 1));
  assert.deepEqual(read(SAMPLE(), 24, RT.REVRANK, 1n, 3n), L(7, 1, 7));
});

test('getByValue(3) returns every match, ranks as a contiguous range (list-read-unordered #44-#49)', () => {
  assert.deepEqual(read(SAMPLE(), 22, RT.INDEX, 3n), L(1, 3, 7));
  assert.deepEqual(read(SAMPLE(), 22, RT.REVINDEX, 3n), L(7, 5, 1));
  assert.deepEqual(read(SAMPLE(), 22, RT.RANK, 3n), L(1, 2, 3));
  assert.deepEqual(read(SAMPLE(), 22, RT.REVRANK, 3n), L(5, 6, 7));
  assert.deepEqual(read(SAMPLE(), 22, RT.VALUE, 3n), L(3, 3, 3));
});

test('getByValue of an absent value answers empty lists, COUNT 0 and EXISTS false (list-read-unordered #52-#58)', () => {
  assert.deepEqual(read(SAMPLE(), 22, RT.INDEX, 100n), []);
  assert.equal(read(SAMPLE(), 22, RT.COUNT, 100n), 0n);
  assert.equal(read(SAMPLE(), 22, RT.EXISTS, 100n), false);
});

test('getByValueList ranks follow the order of the requested values (list-read-unordered #60-#62)', () => {
  assert.deepEqual(read(SAMPLE(), 23, RT.INDEX, L(3, 9, 42)), L(1, 2, 3, 7));
  assert.deepEqual(read(SAMPLE(), 23, RT.REVINDEX, L(3, 9, 42)), L(7, 6, 5, 1));
  assert.deepEqual(read(SAMPLE(), 23, RT.RANK, L(3, 9, 42)), L(1, 2, 3, 7));
});

test('getByValueRange returns values in list order and ranks as a range (list-read-unordered #68-#73)', () => {
  assert.deepEqual(read(SAMPLE(), 25, RT.INDEX, 3n, 8n), L(0, 1, 3, 6, 7));
  assert.deepEqual(read(SAMPLE(), 25, RT.RANK, 3n, 8n), L(1, 2, 3, 4, 5));
  assert.deepEqual(read(SAMPLE(), 25, RT.VALUE, 3n, 8n), L(7, 3, 3, 5, 3));
});

test('getByValueRelRankRange(5, 1, 2) selects the two values ranked just above 5 (list-read-unordered #84-#89)', () => {
  assert.deepEqual(read(SAMPLE(), 27, RT.INDEX, 5n, 1n, 2n), L(0, 8));
  assert.deepEqual(read(SAMPLE(), 27, RT.VALUE, 5n, 1n, 2n), L(7, 8));
});

test('getByRank(-1) of an unordered list is the largest element (list-read-unordered #108-#113)', () => {
  assert.equal(read(SAMPLE(), 21, RT.INDEX, -1n), 5n);
  assert.equal(read(SAMPLE(), 21, RT.VALUE, -1n), 12n);
});

test('INVERTED selects the complement and answers it in list order (list-read-unordered #131-#160)', () => {
  assert.deepEqual(read(SAMPLE(), 24, RT.VALUE | INVERTED, 1n, 3n), L(7, 1, 12, 5, 3, 8));
  assert.deepEqual(read(SAMPLE(), 22, RT.INDEX | INVERTED, 3n), L(0, 2, 4, 5, 6, 8));
  assert.deepEqual(read(SAMPLE(), 27, RT.COUNT | INVERTED, 5n, 1n, 2n), 7n);
  assert.deepEqual(read(SAMPLE(), 26, RT.VALUE | INVERTED, -2n), L(7, 3, 3, 1, 5, 3, 8));
});

test('INVERTED on a single-result op is OP_NOT_APPLICABLE (list-raw #5)', () => {
  assert.equal(code(() => read(L(1, 2, 3, 4), 19, RT.VALUE | INVERTED, 0n)), ResultCode.OP_NOT_APPLICABLE);
});

test('size, get and getRange read an unordered list (list-read-unordered #161-#165)', () => {
  assert.equal(read(SAMPLE(), 16), 9n);
  assert.equal(read(SAMPLE(), 17, -1n), 8n);
  assert.equal(code(() => read(SAMPLE(), 17, 99n)), ResultCode.OP_NOT_APPLICABLE);
  assert.deepEqual(read(SAMPLE(), 18, 2n, 3n), L(9, 3, 1));
  assert.deepEqual(read(SAMPLE(), 18, -2n, 10n), L(3, 8));
});

test('a read op on a missing bin yields no result and checks nothing (list-read-unordered #166)', () => {
  assert.deepEqual(wire(undefined, [19n, 7n, 0n]), { result: undefined });
  assert.deepEqual(executeCdtWireOp(undefined, Buffer.from([0xff]), false), { result: undefined });
});

// --- ordered lists (list-read-ordered, list-ordered-writes) ---

test('setOrder ORDERED sorts the stored list and flags it (list-read-ordered #2-#3)', () => {
  const out = modify(SAMPLE(), 0, 1n);
  assert.deepEqual(out.newValue, ordered(L(1, 3, 3, 3, 5, 7, 8, 9, 12)));
  assert.equal(pack(out.newValue!).toString('hex'), '9ac7000101030303050708090c');
});

test('append to an ordered list inserts in order and ADD_UNIQUE refuses duplicates (list-ordered-writes #2-#3)', () => {
  const l = ordered(L(1, 3, 5, 9));
  assert.deepEqual(modify(l, 1, 4n, 1n, 0n).newValue, ordered(L(1, 3, 4, 5, 9)));
  assert.equal(code(() => modify(ordered(L(1, 3, 4, 5, 9)), 1, 4n, 1n, 1n)), ResultCode.ELEMENT_EXISTS);
});

test('insert and set are not applicable to an ordered list (list-ordered-writes #4, #5, #9)', () => {
  const l = ordered(L(1, 3));
  assert.equal(code(() => modify(l, 3, 0n, 100n)), ResultCode.OP_NOT_APPLICABLE);
  assert.equal(code(() => modify(l, 9, 0n, 100n)), ResultCode.OP_NOT_APPLICABLE);
  assert.equal(code(() => modify(l, 4, 0n, L(1))), ResultCode.OP_NOT_APPLICABLE);
});

test('increment in an ordered list re-sorts the element (list-ordered-writes #6)', () => {
  const out = modify(ordered(L(1, 3, 4, 5, 9)), 12, 0n, 10n);
  assert.equal(out.result, 11n);
  assert.deepEqual(out.newValue, ordered(L(3, 4, 5, 9, 11)));
});

test('appendItems ADD_UNIQUE|NO_FAIL|PARTIAL on an ordered list adds each new value once (list-ordered-writes #10)', () => {
  const out = modify(ordered(L(3, 4, 5, 9, 11)), 2, L(3, 7, 7), 1n, 13n);
  assert.equal(out.result, 6n);
  assert.deepEqual(out.newValue, ordered(L(3, 4, 5, 7, 9, 11)));
});

test('ordered list lookups use the order: value list indexes follow the requested values', () => {
  const l = ordered(L(1, 2, 3, 4, 5));
  // C client list_basics.c "list_switch_sort"
  assert.deepEqual(read(l, 22, RT.INDEX, 3n), L(2));
  assert.equal(read(l, 25, RT.COUNT, -1n, 3n), 2n);
  assert.deepEqual(read(l, 23, RT.RANK, L(4, 2)), L(3, 1));
  assert.deepEqual(read(l, 24, RT.VALUE, -2n, 2n), L(4, 5));
  assert.deepEqual(read(l, 26, RT.VALUE, 2n, 3n), L(3, 4, 5));
});

// --- cross-type order (list-mixed-types) ---

test('sort orders mixed types nil < bool < int < string < list < map < blob < double (list-mixed-types #2)', () => {
  const map = new AsMap([['k', 'v']], 1);
  const blob = new AsBytes(4, Buffer.from([1]));
  const out = modify([3n, 'b', 1.5, true, null, L(1, 2), map, 'a', blob, 2n, false], 13, 0n);
  assert.deepEqual(out.newValue, [null, false, true, 2n, 3n, 'a', 'b', L(1, 2), map, blob, 1.5]);
  assert.deepEqual(modify(out.newValue, 13, 1n).newValue, [1.5, blob, map, L(1, 2), 'b', 'a', 3n, 2n, true, false, null]);
});

test('getByValueRange(1, 3) does not match the double 1.5 (list-mixed-types #5)', () => {
  assert.deepEqual(read([null, false, true, 2n, 3n, 'a', 1.5], 25, RT.VALUE, 1n, 3n), L(2));
});

test('compareValues orders integers before doubles regardless of magnitude', () => {
  assert.equal(compareValues(100n, 1.5), -1);
  assert.equal(compareValues('a', L(1)), -1);
  assert.equal(compareValues(L(1, 2), L(1, 2, 0)), -1);
  assert.equal(compareValues(L(1, 5), [1n, WILD]), 0);
  assert.equal(compareValues(INF, new AsMap([])), 1);
  assert.equal(compareValues('\u{1F600}', '\uFFFF'), 1);
});

test('a WILDCARD value matches every list starting with the given elements (list-raw #7)', () => {
  assert.deepEqual(read([L(1, 2), L(1, 3), L(2, 1)], 22, RT.VALUE, [1n, WILD]), [L(1, 2), L(1, 3)]);
  assert.equal(read(L(1, 2, 3, 4), 20, RT.VALUE, WILD), 1n);
});

test('an INF interval end reaches the largest value (list-raw #6)', () => {
  assert.deepEqual(read(L(1, 2, 3, 4), 25, RT.VALUE, 2n, INF), L(2, 3, 4));
});

// --- modify ops (list-modify) ---

test('append returns the new size and creates a missing bin (list-modify #1, #70)', () => {
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 1, 6n), { result: 6n, newValue: L(1, 2, 3, 4, 5, 6) });
  assert.deepEqual(modify(undefined, 1, 1n), { result: 1n, newValue: L(1) });
});

test('append with ORDERED policy orders only a list it creates (list-modify #13, #14)', () => {
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 1, 0n, 1n, 0n).newValue, L(1, 2, 3, 4, 5, 0));
  const created = modify(undefined, 1, 5n, 1n, 0n).newValue;
  assert.deepEqual(created, ordered(L(5)));
  assert.deepEqual(modify(created, 1, 1n, 1n, 0n).newValue, ordered(L(1, 5)));
});

test('ADD_UNIQUE append fails with ELEMENT_EXISTS unless NO_FAIL (list-modify #7, #8)', () => {
  assert.equal(code(() => modify(L(1, 2, 3, 4, 5), 1, 3n, 0n, 1n)), ResultCode.ELEMENT_EXISTS);
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 1, 3n, 0n, 5n), { result: 5n });
});

test('appendItems ADD_UNIQUE adds the new values only with NO_FAIL|PARTIAL (list-modify #10-#12)', () => {
  assert.equal(code(() => modify(L(1, 2, 3, 4, 5), 2, L(3, 9), 0n, 1n)), ResultCode.ELEMENT_EXISTS);
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 2, L(3, 9), 0n, 13n).newValue, L(1, 2, 3, 4, 5, 9));
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 2, L(3, 9), 0n, 5n), { result: 5n });
});

test('ADD_UNIQUE refuses duplicates inside the items with OP_NOT_APPLICABLE', () => {
  assert.equal(code(() => modify(L(1), 2, L(9, 9), 0n, 1n)), ResultCode.OP_NOT_APPLICABLE);
  assert.deepEqual(modify(L(1), 2, L(9, 9), 0n, 13n).newValue, L(1, 9));
});

test('insert accepts negative indexes, pads past the end with nil and refuses before the start (list-modify #15-#22)', () => {
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 3, -1n, 99n).newValue, L(1, 2, 3, 4, 99, 5));
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 3, 8n, 8n), { result: 9n, newValue: [...L(1, 2, 3, 4, 5), null, null, null, 8n] });
  assert.equal(code(() => modify(L(1, 2, 3, 4, 5), 3, 8n, 8n, 2n)), ResultCode.OP_NOT_APPLICABLE);
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 3, 8n, 8n, 6n), { result: 5n });
  assert.equal(code(() => modify(L(1, 2, 3, 4, 5), 3, -10n, 1n)), ResultCode.OP_NOT_APPLICABLE);
});

test('pop and remove return the value and the count; out of range is OP_NOT_APPLICABLE (list-modify #26-#36)', () => {
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 5, -1n), { result: 5n, newValue: L(1, 2, 3, 4) });
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 6, 3n, 100n), { result: L(4, 5), newValue: L(1, 2, 3) });
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 8, 1n, 3n), { result: 3n, newValue: L(1, 5) });
  assert.equal(code(() => modify(L(1, 2, 3, 4, 5), 5, 10n)), ResultCode.OP_NOT_APPLICABLE);
  assert.equal(code(() => modify(L(1, 2, 3, 4, 5), 7, 10n)), ResultCode.OP_NOT_APPLICABLE);
});

test('set pads past the end, INSERT_BOUNDED refuses, ADD_UNIQUE finds duplicates (list-modify #37-#41)', () => {
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 9, -1n, 'last'), { result: undefined, newValue: [...L(1, 2, 3, 4), 'last'] });
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 9, 7n, 7n).newValue, [...L(1, 2, 3, 4, 5), null, null, 7n]);
  assert.equal(code(() => modify(L(1, 2, 3, 4, 5), 9, 7n, 7n, 2n)), ResultCode.OP_NOT_APPLICABLE);
  assert.equal(code(() => modify(L(1, 2, 3, 4, 5), 9, 0n, 2n, 1n)), ResultCode.ELEMENT_EXISTS);
});

test('trim keeps the range and reports how many were removed; out of range empties the list (list-modify #42-#44)', () => {
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 10, 1n, 2n), { result: 3n, newValue: L(2, 3) });
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 10, -2n, 5n), { result: 3n, newValue: L(4, 5) });
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 10, 10n, 2n), { result: 5n, newValue: [] });
});

test('increment keeps the element type: int + double truncates, double + int adds (list-modify #46-#51)', () => {
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 12, 1n, 2.5), { result: 4n, newValue: L(1, 4, 3, 4, 5) });
  assert.deepEqual(modify([1n, 2.5], 12, 1n, 1.5), { result: 4, newValue: [1n, 4] });
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 12, 10n, 1n).newValue, [...L(1, 2, 3, 4, 5), null, null, null, null, null, 1n]);
  assert.equal(code(() => modify(['a', 'b'], 12, 0n, 1n)), ResultCode.PARAMETER);
  assert.equal(modify(L(1), 12, 0n, -2.9).result, -1n);
});

test('removeBy* return the selection and rewrite the list (list-modify #52-#67)', () => {
  assert.deepEqual(modify(L(3, 1, 3, 2), 35, RT.INDEX, 3n), { result: L(0, 2), newValue: L(1, 2) });
  assert.deepEqual(modify(L(3, 1, 3, 2), 36, RT.VALUE | INVERTED, L(1, 3)), { result: L(2), newValue: L(3, 1, 3) });
  assert.deepEqual(modify(L(5, 1, 4), 39, RT.RANK, 0n, 2n), { result: L(0, 1), newValue: L(5) });
  assert.deepEqual(modify(L(5, 1, 4), 39, RT.REVRANK, -1n, 1n), { result: L(0), newValue: L(1, 4) });
  assert.deepEqual(modify(L(1, 2, 3, 4, 5), 35, RT.EXISTS, 42n), { result: false });
});

test('remove ops on a missing bin are no-ops, SORT on a missing bin is INCOMPATIBLE_TYPE (list-modify #71-#73)', () => {
  assert.deepEqual(modify(undefined, 5, 0n), { result: undefined });
  assert.deepEqual(modify(undefined, 11), { result: undefined });
  assert.deepEqual(modify(undefined, 37, 'garbage'), { result: undefined });
  assert.equal(code(() => modify(undefined, 13, 0n)), ResultCode.INCOMPATIBLE_TYPE);
});

test('a list op on a string bin is INCOMPATIBLE_TYPE (list-modify #69)', () => {
  assert.equal(code(() => modify('str', 1, 1n)), ResultCode.INCOMPATIBLE_TYPE);
  assert.equal(code(() => read(new AsMap([]), 16)), ResultCode.INCOMPATIBLE_TYPE);
});

test('creating ops on a missing bin store the empty list even when they change nothing (server static list)', () => {
  assert.deepEqual(modify(undefined, 2, []), { result: 0n, newValue: [] });
  assert.deepEqual(modify(undefined, 3, 3n, 5n, 6n), { result: 0n, newValue: [] });
  assert.deepEqual(modify(undefined, 0, 16n), { result: undefined, newValue: [] });
});

test('setOrder drops the persist-index flag the server never returns (list-raw #32-#33)', () => {
  const out = modify(L(3, 1), 0, 0x11n);
  assert.equal(pack(out.newValue!).toString('hex'), '93c7000101' + '03');
});

test('sort DROP_DUPLICATES keeps one of each; on an ordered list DESCENDING is ignored (list-mixed-types #8, list-raw #34)', () => {
  assert.deepEqual(modify(L(3, 1, 3, 2, 1), 13, 2n).newValue, L(1, 2, 3));
  assert.deepEqual(modify(ordered(L(1, 2, 3)), 13, 3n).newValue, ordered(L(1, 2, 3)));
  assert.deepEqual(modify(L(3, 1, 2, 3), 13, 1n).newValue, L(3, 3, 2, 1));
});

test('sort DESCENDING|DROP_DUPLICATES of distinct values is PARAMETER, as the server checks ascending order', () => {
  assert.equal(code(() => modify(L(3, 1, 2), 13, 3n)), ResultCode.PARAMETER);
});

test('removeByValueInterval [nil, INF) empties an ordered list but keeps it ordered (list-raw #35)', () => {
  const out = modify(ordered(L(1, 2, 3, 4)), 38, RT.COUNT, null, INF);
  assert.equal(out.result, 4n);
  assert.equal(pack(out.newValue!).toString('hex'), '91c70001');
});

// --- vectors from the C client's list tests (answers of a real server) ---

test('remove sequence of list_basics.c "list_remove" answers like the server', () => {
  let l: AsValue = L(-44, 33, -1, 33, -2, 0, 22, 11, 14, 6);
  const step = (c: number, ...args: AsValue[]) => {
    const o = modify(l, c, ...args);
    if (o.newValue !== undefined) l = o.newValue;
    return o.result;
  };
  assert.deepEqual(step(35, RT.INDEX, 0n), L(5));
  assert.deepEqual(step(36, RT.VALUE, L(-45, 14)), L(14));
  assert.deepEqual(step(38, RT.VALUE, 33n, 100n), L(33, 33));
  assert.equal(step(32, RT.VALUE, 1n), -1n);
  assert.deepEqual(step(37, RT.VALUE, 100n, 101n), []);
  assert.equal(step(34, RT.VALUE, 0n), -44n);
  assert.deepEqual(step(39, RT.VALUE, 3n, 1n), L(22));
});

test('INVERTED sequence of list_basics.c "list_inverted" answers like the server', () => {
  const l = L(4, 3, 1, 5, 2);
  assert.deepEqual(read(l, 22, RT.INDEX | INVERTED, 3n), L(0, 2, 3, 4));
  assert.equal(read(l, 25, RT.COUNT | INVERTED, -1n, 3n), 3n);
  assert.deepEqual(read(l, 23, RT.RANK | INVERTED, L(4, 2)), L(0, 2, 4));
  const a = modify(l, 37, RT.VALUE | INVERTED, -2n, 2n);
  assert.deepEqual(a.result, L(4, 3, 1));
  assert.deepEqual(modify(a.newValue, 39, RT.VALUE | INVERTED, 2n, 3n).result, L(5, 2));
});

test('a rank range near the low end comes back highest rank first, as the server heap leaves it', () => {
  // a list of maps ranked 0..5, read back with getByRankRange(0, 6): the published output of a
  // real server lists them from highest to lowest rank
  const m = (...kv: [string, number][]) => new AsMap(kv.map(([k, v]) => [k, BigInt(v)]), 1);
  const list = [m(['z', 26]), m(['a', 1], ['b', 2]), m(['a', 1], ['b', 2], ['c', 3], ['e', 5]), m(['b', 2], ['c', 3]), m(['b', 2], ['c', 3]), m(['a', 1])];
  const keys = (read(list, 26, RT.VALUE, 0n, 6n) as AsMap[]).map((x) => x.entries.map((e) => e[0]).join(''));
  assert.deepEqual(keys, ['abce', 'bc', 'bc', 'ab', 'z', 'a']);
  assert.deepEqual(read(L(5, 1, 4), 26, RT.VALUE, 1n, 2n), L(4, 5));
});

// --- contexts (list-context) ---

const NESTED = () => [L(1, 2, 3), L(4, 5, 6), [7n, L(8, 9)], new AsMap([['a', L(10, 11)], ['b', new AsMap([['c', L(12)]], 1)]], 1)];

test('a context walks list indexes and map keys (list-context #2-#6)', () => {
  assert.deepEqual(wire(NESTED(), [1n, 99n], true, [0x10n, 0n]).newValue, [L(1, 2, 3, 99), ...NESTED().slice(1)]);
  assert.equal(wire(NESTED(), [16n], false, [0x10n, 1n]).result, 3n);
  assert.equal(wire(NESTED(), [19n, 7n, 1n], false, [0x10n, 2n, 0x10n, 1n]).result, 9n);
  assert.equal(wire(NESTED(), [1n, 13n], true, [0x10n, -1n, 0x22n, 'a']).result, 3n);
});

test('list rank and value contexts select by order (list-context #7, #8)', () => {
  const afterStep2 = wire(NESTED(), [1n, 99n], true, [0x10n, 0n]).newValue!;
  assert.equal(wire(afterStep2, [16n], false, [0x11n, 0n]).result, 4n);
  assert.equal(wire(NESTED(), [21n, 7n, -1n], false, [0x13n, L(4, 5, 6)]).result, 6n);
});

test('context errors: missing element 26, non-list element 12, map context on a list 26 (list-context #9-#11)', () => {
  assert.equal(code(() => wire(NESTED(), [16n], false, [0x10n, 10n])), ResultCode.OP_NOT_APPLICABLE);
  assert.equal(code(() => wire(NESTED(), [1n, 1n], true, [0x10n, 0n, 0x10n, 0n])), ResultCode.INCOMPATIBLE_TYPE);
  assert.equal(code(() => wire(NESTED(), [1n, 1n], true, [0x22n, 'zz'])), ResultCode.OP_NOT_APPLICABLE);
});

test('malformed contexts are PARAMETER, unknown context types OP_NOT_APPLICABLE (list-raw #27-#30)', () => {
  assert.equal(code(() => wire(L(1, 2), [16n], false, [])), ResultCode.PARAMETER);
  assert.equal(code(() => wire(L(1, 2), [16n], false, [0x10n])), ResultCode.PARAMETER);
  assert.equal(code(() => wire(L(1, 2), [16n], false, [0x77n, 0n])), ResultCode.OP_NOT_APPLICABLE);
  assert.equal(code(() => wire(L(1, 2), [16n], false, [0x10n, 0n])), ResultCode.INCOMPATIBLE_TYPE);
  assert.equal(code(() => wire(5n, [16n], false, [0x10n, 0n])), ResultCode.PARAMETER);
});

test('listIndexCreate with pad creates nil padding; without pad an index past the end is refused (list-context #15, #16)', () => {
  const out = wire(NESTED(), [1n, 1n], true, [0x90n, 6n]);
  assert.deepEqual(out.newValue, [...NESTED(), null, null, L(1)]);
  assert.equal(code(() => wire(NESTED(), [1n, 1n], true, [0xd0n, 9n])), ResultCode.OP_NOT_APPLICABLE);
});

test('a map key created through a context holds the containers of the following levels (list-context #17, #18)', () => {
  const out = wire(NESTED(), [1n, 2n], true, [0x10n, 3n, 0xa2n, 'new', 0x50n, 0n]);
  const map = (out.newValue as AsValue[])[3] as AsMap;
  assert.deepEqual(map.entries[2], ['new', [L(2)]]);
  const ord = wire(NESTED(), [0n, 1n], true, [0x10n, 2n, 0xd0n, 2n]).newValue as AsValue[];
  assert.equal(pack(ord[2]!).toString('hex'), '9307' + '920809' + '91c70001');
});

test('a context on a missing bin needs a create flag and builds the bin from the context types', () => {
  assert.equal(code(() => wire(undefined, [1n, 5n], true, [0x10n, 0n])), ResultCode.OP_NOT_APPLICABLE);
  const out = wire(undefined, [1n, 5n], true, [0xa2n, 'k', 0x50n, 0n]);
  assert.equal(pack(out.newValue!).toString('hex'), pack(new AsMap([['k', [L(5)]]], 1)).toString('hex'));
});

test('a create context on a read op is OP_NOT_APPLICABLE', () => {
  assert.equal(code(() => wire(L(1), [16n], false, [0x90n, 3n])), ResultCode.OP_NOT_APPLICABLE);
});

test('modifying an element of an ordered list moves it to its sorted place', () => {
  const l = ordered([L(1), L(5), L(9)]);
  assert.deepEqual(wire(l, [1n, 10n], true, [0x10n, 0n]).newValue, ordered([L(1, 10), L(5), L(9)]));
  assert.deepEqual(wire(l, [9n, 0n, 7n], true, [0x10n, 0n]).newValue, ordered([L(5), L(7), L(9)]));
});

test('a WILDCARD in a value context makes the following storable argument PARAMETER, as in the server', () => {
  assert.equal(code(() => wire([L(1, 2)], [1n, 5n], true, [0x13n, [1n, WILD]])), ResultCode.PARAMETER);
  assert.equal(wire([L(1, 2)], [16n], false, [0x13n, [1n, WILD]]).result, 2n);
});

// --- payload decoding (list-raw) ---

test('bad payloads are PARAMETER: unknown op, read/modify mismatch, arg count or type (list-raw #9-#17)', () => {
  const l = L(1, 2, 3, 4);
  assert.equal(code(() => read(l, 60)), ResultCode.PARAMETER);
  assert.equal(code(() => modify(l, 14)), ResultCode.PARAMETER);
  assert.equal(code(() => read(l, 1, 5n)), ResultCode.PARAMETER);
  assert.equal(code(() => read(l, 19, 7n)), ResultCode.PARAMETER);
  assert.equal(code(() => read(l, 19, 7n, 'x')), ResultCode.PARAMETER);
  assert.equal(code(() => executeCdtWireOp(l, Buffer.from('10', 'hex'), false)), ResultCode.PARAMETER);
  assert.equal(code(() => executeCdtWireOp(l, Buffer.from('9213', 'hex'), false)), ResultCode.PARAMETER);
  assert.equal(code(() => executeCdtWireOp(l, Buffer.alloc(0), false)), ResultCode.PARAMETER);
});

test('extra arguments to an op without arguments are ignored (list-raw #12)', () => {
  assert.equal(read(L(1, 2, 3, 4), 16, 1n, 2n, 3n), 4n);
});

test('an unknown return type is OP_NOT_APPLICABLE (list-raw #18)', () => {
  assert.equal(code(() => read(L(1, 2), 19, 99n, 0n)), ResultCode.OP_NOT_APPLICABLE);
});

test('the deprecated form with a 16-bit op code is still accepted', () => {
  assert.deepEqual(executeCdtWireOp(L(1, 2), Buffer.from('0001910a', 'hex'), true), { result: 3n, newValue: L(1, 2, 10) });
  assert.equal(executeCdtWireOp(L(1, 2), Buffer.from('0010', 'hex'), false).result, 2n);
});

test('select by path (0xfe) answers the matching tree of a list bin and INCOMPATIBLE_TYPE on a scalar', () => {
  assert.deepEqual(read(L(1, 2), 0xfe, [0x10n, 1n], 0n), [2n]);
  assert.deepEqual(read(L(1, 2), 0xfe, [0x10n, 5n], 1n), [], 'an index past the end selects nothing');
  assert.equal(code(() => read(L(1), 0xfe, [0x20n, 0n], 0n)), ResultCode.PARAMETER, 'a map-typed level on a list');
  assert.equal(code(() => read(5n, 0xfe, [0x10n, 0n], 0n)), ResultCode.INCOMPATIBLE_TYPE);
});

test('WILDCARD is not storable: appending it is PARAMETER', () => {
  assert.equal(code(() => modify(L(1), 1, WILD)), ResultCode.PARAMETER);
  assert.equal(code(() => modify(L(1), 1, ordered(L(3, 1)))), ResultCode.PARAMETER);
});

test('executeCdtOp runs a decoded op, including the context form', () => {
  assert.deepEqual(executeCdtOp(L(1, 2), 1, [3n], null, true), { result: 3n, newValue: L(1, 2, 3) });
  assert.equal(executeCdtOp([L(1, 2)], 16, [], [0x10n, 0n], false).result, 2n);
  assert.equal(executeCdtOp([L(1, 2)], 255, [[0x10n, 0n], [16n]], null, false).result, 2n);
});

test('results never alias the stored list: modifying returns new arrays and leaves the input alone', () => {
  const l = L(1, 2, 3);
  const out = modify(l, 5, 0n);
  assert.deepEqual(l, L(1, 2, 3));
  assert.notEqual(out.newValue, l);
});

// --- properties ---

const scalar = fc.oneof(fc.constant(null), fc.boolean(), fc.bigInt({ min: -5n, max: 5n }), fc.double(), fc.string({ maxLength: 3 }));
const { value: anyValue } = fc.letrec<{ value: AsValue; list: AsValue }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, scalar, tie('list'), fc.constantFrom<AsValue>(WILD, INF)),
  list: fc.array(tie('value'), { maxLength: 4 }),
}));

test('random list payloads never throw anything but AsError, and never an internal error', () => {
  fc.assert(
    fc.property(
      fc.option(fc.array(scalar, { maxLength: 6 }), { nil: undefined }),
      fc.integer({ min: 0, max: 45 }),
      fc.array(fc.oneof(anyValue, fc.bigInt({ min: -8n, max: 8n }), fc.constantFrom(0x10007n, 0x10001n, 13n, 9n, 99n)), { maxLength: 5 }),
      fc.option(fc.array(fc.oneof(fc.constantFrom<AsValue>(0x10n, 0x11n, 0x13n, 0x90n, 0xd0n, 0x22n, 0x04n), anyValue), { maxLength: 4 }), { nil: undefined }),
      fc.boolean(),
      (current, opCode, args, ctx, isModify) => {
        for (const payload of [pack([BigInt(opCode), ...args]), pack([255n, ctx ?? [], [BigInt(opCode), ...args]])]) {
          try {
            const out = executeCdtWireOp(current, payload, isModify);
            if (out.newValue !== undefined) pack(out.newValue);
          } catch (e) {
            assert.ok(e instanceof AsError, String(e));
            assert.notEqual(e.code, ResultCode.UNKNOWN, e.message);
          }
        }
      },
    ),
    { numRuns: 3000 },
  );
});

test('random bytes after a list op code never throw anything but AsError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 24 }), fc.boolean(), (bytes, isModify) => {
      for (const prefix of [[], [0x93, 0x13, 0x07], [0x93, 0xff, 0x92, 0x10, 0x00]]) {
        try {
          executeCdtWireOp(L(1, 2, 3), Buffer.from([...prefix, ...bytes]), isModify);
        } catch (e) {
          assert.ok(e instanceof AsError, String(e));
          assert.notEqual(e.code, ResultCode.UNKNOWN, e.message);
        }
      }
    }),
    { numRuns: 3000 },
  );
});

test('an ordered list stays sorted through any sequence of writes', () => {
  const writeOp = fc.oneof(
    fc.tuple(fc.constant(1), fc.bigInt({ min: -9n, max: 9n })).map(([c, v]) => [BigInt(c), v]),
    fc.tuple(fc.constant(2), fc.array(fc.bigInt({ min: -9n, max: 9n }), { maxLength: 4 })).map(([c, v]) => [BigInt(c), v]),
    fc.tuple(fc.constant(12), fc.integer({ min: -3, max: 3 }), fc.bigInt({ min: -20n, max: 20n })).map(([c, i, d]) => [BigInt(c), BigInt(i), d]),
    fc.tuple(fc.constant(39), fc.integer({ min: -3, max: 3 })).map(([c, r]) => [BigInt(c), 0n, BigInt(r), 1n]),
  );
  fc.assert(
    fc.property(fc.array(writeOp, { maxLength: 12 }), (ops) => {
      let l: AsValue = ordered([]);
      for (const op of ops) {
        try {
          const out = executeCdtWireOp(l, pack(op as AsValue[]), true);
          if (out.newValue !== undefined) l = out.newValue;
        } catch (e) {
          assert.ok(e instanceof AsError);
        }
      }
      const items = l as AsList;
      assert.equal(items[LIST_FLAGS], 1);
      for (let i = 1; i < items.length; i++) assert.ok(compareValues(items[i - 1]!, items[i]!) <= 0);
    }),
    { numRuns: 500 },
  );
});

test('per-element ranks of a large list count the smaller elements, as the server scan does', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.bigInt({ min: -20n, max: 20n }), fc.string({ maxLength: 2 }), fc.double({ noNaN: true })), { minLength: 32, maxLength: 80 }), (items) => {
      const ranks = read(items, 24, RT.RANK, 0n, BigInt(items.length - 1)) as bigint[];
      const expected = items.slice(0, -1).map((v) => BigInt(items.filter((e) => compareValues(e, v) < 0).length));
      assert.deepEqual(ranks, expected);
    }),
    { numRuns: 200 },
  );
});

test('ADD_UNIQUE|NO_FAIL|PARTIAL appends each new value once, whatever the sizes', () => {
  const small = fc.bigInt({ min: -30n, max: 30n });
  fc.assert(
    fc.property(fc.array(small, { maxLength: 40 }), fc.array(small, { minLength: 1, maxLength: 40 }), (items, values) => {
      const out = modify(items, 2, values, 0n, 13n);
      const expected = [...items];
      for (const v of values) if (!expected.includes(v)) expected.push(v);
      if (expected.length === items.length) assert.deepEqual(out, { result: BigInt(items.length) });
      else assert.deepEqual(out.newValue, expected);
    }),
    { numRuns: 300 },
  );
});
