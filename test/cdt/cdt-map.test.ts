/**
 * Map operations. Expected values come from the exchanges recorded against Aerospike 8.1.2
 * (test/fixtures/corpus/cdt-map.jsonl, scenario and step named in each test), from the C client's
 * server tests (map_basics.c, answers of a real server) and from the server source for edge cases.
 * The whole corpus is also replayed byte for byte by cdt-corpus.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AsError, ResultCode } from '../../src/protocol/result-codes.js';
import { AsBytes, AsMap, AsSpecial, pack, type AsValue } from '../../src/protocol/msgpack.js';
import { compareValues, executeCdtWireOp, type CdtOutcome } from '../../src/cdt/index.js';

const WILD = AsSpecial.WILDCARD;
const INF = AsSpecial.INF;
const INVERTED = 0x10000n;
const RT = {
  NONE: 0n,
  INDEX: 1n,
  REVINDEX: 2n,
  RANK: 3n,
  REVRANK: 4n,
  COUNT: 5n,
  KEY: 6n,
  VALUE: 7n,
  KEY_VALUE: 8n,
  EXISTS: 13n,
  UNORDERED_MAP: 16n,
  ORDERED_MAP: 17n,
};

/** A map from [key, integer] pairs with the given flags (1 = key ordered). */
function M(flags: number, ...kv: [AsValue, number | AsValue][]): AsMap {
  return new AsMap(
    kv.map(([k, v]) => [k, typeof v === 'number' ? BigInt(v) : v]),
    flags,
  );
}

function hex(v: AsValue | undefined): string {
  return v === undefined ? '' : pack(v).toString('hex');
}

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

const L = (...v: number[]) => v.map((x) => BigInt(x));

/** {a:1, b:2, c:2, d:9, e:5, f:7} as in the map-read scenarios. */
const SAMPLE = (flags = 0) => M(flags, ['a', 1], ['b', 2], ['c', 2], ['d', 9], ['e', 5], ['f', 7]);

// --- reads (map-read-unordered / key-ordered / key-value-ordered) ---

test('getByKey answers index, rank, key, value and the entry in every map form (map-read-unordered #4-#14)', () => {
  for (const flags of [0, 1, 3]) {
    const m = SAMPLE(flags);
    assert.equal(read(m, 97, RT.INDEX, 'b'), 1n);
    assert.equal(read(m, 97, RT.REVINDEX, 'b'), 4n);
    assert.equal(read(m, 97, RT.RANK, 'b'), 1n);
    assert.equal(read(m, 97, RT.REVRANK, 'b'), 4n);
    assert.equal(read(m, 97, RT.KEY, 'b'), 'b');
    assert.equal(read(m, 97, RT.VALUE, 'b'), 2n);
    assert.equal(hex(read(m, 97, RT.KEY_VALUE, 'b')), hex(M(8, ['b', 2])));
    assert.equal(hex(read(m, 97, RT.UNORDERED_MAP, 'b')), hex(M(0, ['b', 2])));
    assert.equal(hex(read(m, 97, RT.ORDERED_MAP, 'b')), hex(M(1, ['b', 2])));
  }
});

test('getByKey of a missing key answers -1, 0, false, empty maps and no value (map-read-unordered #15-#26)', () => {
  const m = SAMPLE();
  assert.equal(read(m, 97, RT.NONE, 'zz'), undefined);
  assert.equal(read(m, 97, RT.INDEX, 'zz'), -1n);
  assert.equal(read(m, 97, RT.RANK, 'zz'), -1n);
  assert.equal(read(m, 97, RT.COUNT, 'zz'), 0n);
  assert.equal(read(m, 97, RT.VALUE, 'zz'), undefined);
  assert.equal(read(m, 97, RT.EXISTS, 'zz'), false);
  assert.equal(hex(read(m, 97, RT.KEY_VALUE, 'zz')), '81c70008c0');
  assert.equal(hex(read(m, 97, RT.ORDERED_MAP, 'zz')), '81c70001c0');
  assert.equal(hex(read(m, 97, RT.UNORDERED_MAP, 'zz')), '80');
});

test('getByKeyList returns found keys in request order; RANK is not applicable (map-read-unordered #28-#38)', () => {
  const m = SAMPLE();
  assert.deepEqual(read(m, 107, RT.INDEX, ['a', 'd', 'zz']), L(0, 3));
  assert.deepEqual(read(m, 107, RT.REVINDEX, ['a', 'd', 'zz']), L(5, 2));
  assert.equal(code(() => read(m, 107, RT.RANK, ['a', 'd', 'zz'])), ResultCode.OP_NOT_APPLICABLE);
  assert.deepEqual(read(m, 107, RT.VALUE, ['a', 'd', 'zz']), L(1, 9));
  assert.equal(hex(read(m, 107, RT.KEY_VALUE, ['a', 'd', 'zz'])), hex(M(8, ['a', 1], ['d', 9])));
});

test('getByKeyRange answers indexes as a range and ranks per entry (map-read-unordered #40-#58)', () => {
  const m = SAMPLE();
  assert.deepEqual(read(m, 103, RT.INDEX, 'b', 'e'), L(1, 2, 3));
  assert.deepEqual(read(m, 103, RT.REVINDEX, 'b', 'e'), L(2, 3, 4));
  assert.deepEqual(read(m, 103, RT.RANK, 'b', 'e'), L(1, 2, 5));
  assert.deepEqual(read(m, 103, RT.REVRANK, 'b', 'e'), L(4, 3, 0));
  assert.deepEqual(read(m, 103, RT.RANK, 'c'), L(2, 5, 3, 4));
  assert.deepEqual(read(m, 103, RT.KEY, 'c'), ['c', 'd', 'e', 'f']);
});

test('getByKeyRelIndexRange counts from the index the key has or would have (map-read-unordered #64-#82)', () => {
  const m = SAMPLE();
  assert.deepEqual(read(m, 109, RT.KEY, 'c', 1n, 2n), ['d', 'e']);
  assert.deepEqual(read(m, 109, RT.RANK, 'c', 1n, 2n), L(5, 3));
  assert.deepEqual(read(m, 109, RT.KEY, 'bb', -1n), ['b', 'c', 'd', 'e', 'f']);
});

test('getByValue on a map: indexes by entry, ranks as a range (map-read-unordered #88-#94)', () => {
  const m = SAMPLE();
  assert.deepEqual(read(m, 102, RT.INDEX, 2n), L(1, 2));
  assert.deepEqual(read(m, 102, RT.REVINDEX, 2n), L(4, 3));
  assert.deepEqual(read(m, 102, RT.RANK, 2n), L(1, 2));
  assert.deepEqual(read(m, 102, RT.REVRANK, 2n), L(3, 4));
  assert.deepEqual(read(m, 102, RT.KEY, 2n), ['b', 'c']);
});

test('getByValueList ranks each entry by value (map-read-unordered #100-#106)', () => {
  const m = SAMPLE();
  assert.deepEqual(read(m, 108, RT.INDEX, L(2, 7, 100)), L(1, 2, 5));
  assert.deepEqual(read(m, 108, RT.RANK, L(2, 7, 100)), L(1, 2, 4));
  assert.deepEqual(read(m, 108, RT.REVRANK, L(2, 7, 100)), L(4, 3, 1));
  assert.deepEqual(read(m, 108, RT.KEY, L(2, 7, 100)), ['b', 'c', 'f']);
});

test('getByValueRange and getByValueRelRankRange select by value (map-read-unordered #112-#130)', () => {
  const m = SAMPLE();
  assert.deepEqual(read(m, 105, RT.INDEX, 2n, 7n), L(1, 2, 4));
  assert.deepEqual(read(m, 105, RT.RANK, 2n, 7n), L(1, 2, 3));
  assert.deepEqual(read(m, 110, RT.INDEX, 5n, 0n, 2n), L(4, 5));
  assert.deepEqual(read(m, 110, RT.REVRANK, 5n, 0n, 2n), L(1, 2));
  assert.deepEqual(read(m, 110, RT.VALUE, 5n, 0n, 2n), L(5, 7));
});

test('getByRankRange answers in rank order, except ORDERED_MAP which is sorted by key (map-read-unordered #184-#194)', () => {
  const m = SAMPLE();
  assert.deepEqual(read(m, 106, RT.INDEX, -2n), L(5, 3));
  assert.deepEqual(read(m, 106, RT.REVINDEX, -2n), L(0, 2));
  assert.deepEqual(read(m, 106, RT.RANK, -2n), L(4, 5));
  assert.deepEqual(read(m, 106, RT.KEY, -2n), ['f', 'd']);
  assert.equal(hex(read(m, 106, RT.KEY_VALUE, -2n)), hex(M(8, ['f', 7], ['d', 9])));
  assert.equal(hex(read(m, 106, RT.UNORDERED_MAP, -2n)), hex(M(0, ['f', 7], ['d', 9])));
  assert.equal(hex(read(m, 106, RT.ORDERED_MAP, -2n)), hex(M(1, ['d', 9], ['f', 7])));
});

test('getByIndex(-1) and getByRank(0) pick entries by key and by value (map-read-unordered #148-#178)', () => {
  const m = SAMPLE();
  assert.equal(read(m, 98, RT.KEY, -1n), 'f');
  assert.equal(read(m, 98, RT.RANK, -1n), 4n);
  assert.equal(read(m, 100, RT.KEY, 0n), 'a');
  assert.equal(read(m, 100, RT.REVINDEX, 0n), 5n);
  assert.equal(code(() => read(m, 98, RT.VALUE, 10n)), ResultCode.OP_NOT_APPLICABLE);
});

test('INVERTED selections answer the complement (map-read-unordered #195-#216)', () => {
  const m = SAMPLE();
  assert.deepEqual(read(m, 107, RT.KEY | INVERTED, ['a', 'd', 'zz']), ['b', 'c', 'e', 'f']);
  assert.deepEqual(read(m, 103, RT.KEY | INVERTED, 'b', 'e'), ['a', 'e', 'f']);
  assert.deepEqual(read(m, 109, RT.KEY | INVERTED, 'c', 1n, 2n), ['a', 'b', 'c', 'f']);
  assert.deepEqual(read(m, 102, RT.COUNT | INVERTED, 2n), 4n);
  assert.deepEqual(read(m, 110, RT.KEY | INVERTED, 5n, 0n, 2n), ['a', 'b', 'c', 'd']);
  assert.deepEqual(read(m, 106, RT.KEY | INVERTED, -2n), ['a', 'b', 'c', 'e']);
});

test('INVERTED EXISTS of a middle index range differs between unordered and key-ordered maps, as in the server', () => {
  const flat = M(0, ['a', 1], ['b', 2], ['c', 3], ['d', 4]);
  const sorted = M(1, ['a', 1], ['b', 2], ['c', 3], ['d', 4]);
  assert.equal(read(flat, 104, RT.EXISTS | INVERTED, 1n, 2n), false);
  assert.equal(read(sorted, 104, RT.EXISTS | INVERTED, 1n, 2n), true);
});

test('size and reads on a missing bin (map-read-unordered #217, #219)', () => {
  assert.equal(read(SAMPLE(), 96), 6n);
  assert.deepEqual(wire(undefined, [96n]), { result: undefined });
});

// --- writes (map-modify) ---

const ABC = () => M(1, ['a', 1], ['b', 2], ['c', 3]);

test('put adds or overwrites and returns the size (map-modify #1, #2)', () => {
  assert.deepEqual(modify(ABC(), 67, 'd', 4n, 0n), { result: 4n, newValue: M(1, ['a', 1], ['b', 2], ['c', 3], ['d', 4]) });
  assert.deepEqual(modify(ABC(), 67, 'a', 10n, 0n).newValue, M(1, ['a', 10], ['b', 2], ['c', 3]));
});

test('CREATE_ONLY and UPDATE_ONLY fail with ELEMENT_EXISTS / ELEMENT_NOT_FOUND unless NO_FAIL (map-modify #3-#6)', () => {
  assert.equal(code(() => modify(ABC(), 67, 'a', 10n, 0n, 1n)), ResultCode.ELEMENT_EXISTS);
  assert.deepEqual(modify(ABC(), 67, 'a', 10n, 0n, 5n), { result: 3n });
  assert.equal(code(() => modify(ABC(), 67, 'z', 1n, 0n, 2n)), ResultCode.ELEMENT_NOT_FOUND);
  assert.deepEqual(modify(ABC(), 67, 'z', 1n, 0n, 6n), { result: 3n });
});

test('legacy ADD and REPLACE ops behave as create-only and update-only puts (map-modify #7-#10)', () => {
  assert.equal(code(() => modify(ABC(), 65, 'a', 10n, 0n)), ResultCode.ELEMENT_EXISTS);
  assert.equal(code(() => modify(ABC(), 69, 'z', 1n)), ResultCode.ELEMENT_NOT_FOUND);
  assert.deepEqual(modify(ABC(), 69, 'a', 11n).newValue, M(1, ['a', 11], ['b', 2], ['c', 3]));
  assert.equal(modify(ABC(), 65, 'z', 1n, 0n).result, 4n);
});

test('putItems honours CREATE_ONLY, UPDATE_ONLY, NO_FAIL and PARTIAL per item (map-modify #11-#17)', () => {
  const items = M(1, ['a', 9], ['x', 1]);
  assert.equal(modify(ABC(), 68, M(1, ['d', 4], ['e', 5]), 0n).result, 5n);
  assert.equal(code(() => modify(ABC(), 68, items, 0n, 1n)), ResultCode.ELEMENT_EXISTS);
  assert.deepEqual(modify(ABC(), 68, items, 0n, 13n).newValue, M(1, ['a', 1], ['b', 2], ['c', 3], ['x', 1]));
  assert.deepEqual(modify(ABC(), 68, items, 0n, 5n), { result: 3n });
  assert.deepEqual(modify(ABC(), 68, items, 0n, 14n).newValue, M(1, ['a', 9], ['b', 2], ['c', 3]));
  assert.equal(modify(ABC(), 68, M(1), 0n).result, 3n);
  assert.equal(hex(modify(ABC(), 68, M(1, [1n, 'one'], [2n, 'two']), 0n).newValue), hex(M(1, [1n, 'one'], [2n, 'two'], ['a', 1], ['b', 2], ['c', 3])));
});

test('map keys must be integers, strings or blobs (map-modify #18-#20, map-raw #20, #21)', () => {
  assert.equal(code(() => modify(ABC(), 67, L(1, 2), 'listkey', 0n)), ResultCode.PARAMETER);
  assert.equal(code(() => modify(ABC(), 67, 1.5, 'dbl', 0n)), ResultCode.PARAMETER);
  assert.equal(code(() => modify(ABC(), 67, null, 1n, 0n)), ResultCode.PARAMETER);
  assert.equal(code(() => modify(ABC(), 67, M(0, ['a', 1]), 1n, 0n)), ResultCode.PARAMETER);
  const blob = new AsBytes(4, Buffer.from([7]));
  assert.equal(hex(modify(ABC(), 67, blob, 'blobkey', 0n).newValue), hex(M(1, ['a', 1], ['b', 2], ['c', 3], [blob, 'blobkey'])));
});

test('increment and decrement keep the value type; a non-number value is PARAMETER (map-modify #21-#27)', () => {
  assert.deepEqual(modify(ABC(), 73, 'a', 5n, 0n), { result: 6n, newValue: M(1, ['a', 6], ['b', 2], ['c', 3]) });
  assert.deepEqual(modify(ABC(), 73, 'new', 2n, 0n).result, 2n);
  assert.equal(modify(ABC(), 73, 'a', 0.5, 0n).result, 1n);
  assert.equal(modify(ABC(), 74, 'b', 1n, 0n).result, 1n);
  assert.equal(code(() => modify(M(1, ['s', 'x']), 73, 's', 1n, 0n)), ResultCode.PARAMETER);
  assert.equal(code(() => modify(ABC(), 73, 'a', 'x')), ResultCode.PARAMETER);
});

test('clear empties the map and keeps its order (map-modify #28)', () => {
  assert.equal(hex(modify(ABC(), 75).newValue), '81c70001c0');
});

test('removeBy* answer the removed selection (map-modify #29-#45)', () => {
  assert.deepEqual(modify(ABC(), 76, RT.VALUE, 'a'), { result: 1n, newValue: M(1, ['b', 2], ['c', 3]) });
  assert.deepEqual(modify(ABC(), 76, RT.VALUE, 'zz'), { result: undefined });
  assert.equal(hex(modify(ABC(), 81, RT.KEY_VALUE, ['a', 'c']).result), hex(M(8, ['a', 1], ['c', 3])));
  assert.deepEqual(modify(ABC(), 81, RT.KEY | INVERTED, ['a']).result, ['b', 'c']);
  assert.equal(modify(ABC(), 84, RT.COUNT, 'a', 'c').result, 2n);
  assert.deepEqual(modify(ABC(), 88, RT.KEY, 'b', 0n, 1n).result, ['b']);
  assert.deepEqual(modify(ABC(), 82, RT.KEY, 2n).result, ['b']);
  assert.deepEqual(modify(ABC(), 83, RT.VALUE, L(1, 3)).result, L(1, 3));
  assert.equal(modify(ABC(), 86, RT.COUNT | INVERTED, 2n, 4n).result, 1n);
  assert.deepEqual(modify(ABC(), 89, RT.VALUE, 2n, 0n, 1n).result, L(2));
  assert.equal(hex(modify(ABC(), 77, RT.KEY_VALUE, 0n).result), hex(M(8, ['a', 1])));
  assert.deepEqual(modify(ABC(), 85, RT.KEY, 1n).result, ['b', 'c']);
  assert.equal(modify(ABC(), 79, RT.VALUE, 0n).result, 1n);
  assert.equal(hex(modify(ABC(), 87, RT.UNORDERED_MAP, 0n, 2n).result), hex(M(0, ['a', 1], ['b', 2])));
  assert.equal(code(() => modify(ABC(), 77, RT.VALUE, 10n)), ResultCode.OP_NOT_APPLICABLE);
});

test('setType changes the order flags; value-ordered alone is accepted (map-modify #46, #47, map-raw #18, #19)', () => {
  assert.equal(hex(modify(M(0, ['a', 1]), 64, 1n).newValue), hex(M(1, ['a', 1])));
  assert.equal(hex(modify(ABC(), 64, 3n).newValue), hex(M(3, ['a', 1], ['b', 2], ['c', 3])));
  assert.equal(hex(modify(ABC(), 64, 2n).newValue), hex(M(2, ['a', 1], ['b', 2], ['c', 3])));
  assert.equal(code(() => modify(ABC(), 64, 4n)), ResultCode.OP_NOT_APPLICABLE);
});

test('a map op on a list bin is INCOMPATIBLE_TYPE (map-modify #48, map-raw #22)', () => {
  assert.equal(code(() => modify(L(1), 67, 'a', 1n, 0n)), ResultCode.INCOMPATIBLE_TYPE);
  assert.equal(code(() => modify(0n, 67, 'a', 1n, 0n)), ResultCode.INCOMPATIBLE_TYPE);
});

test('put on a missing bin creates the map with the requested order (map-modify #49-#53)', () => {
  assert.deepEqual(modify(undefined, 67, 'k', 'v', 0n), { result: 1n, newValue: M(0, ['k', 'v']) });
  const first = modify(undefined, 67, 'b', 1n, 1n).newValue;
  assert.equal(hex(modify(first, 67, 'a', 2n, 1n).newValue), hex(M(1, ['a', 2], ['b', 1])));
  assert.equal(hex(modify(undefined, 64, 17n).newValue), hex(M(1)));
  assert.equal(hex(modify(M(1, ['a', 2], ['b', 1]), 64, 0n).newValue), hex(M(0, ['a', 2], ['b', 1])));
});

test('clear and removeByKey on a missing bin are no-ops (map-modify #54, #55)', () => {
  assert.deepEqual(modify(undefined, 75), { result: undefined });
  assert.deepEqual(modify(undefined, 76, RT.VALUE, 'a'), { result: undefined });
});

test('an update-only put that changes nothing still creates the missing bin, as the server static map does', () => {
  assert.equal(hex(modify(undefined, 67, 'a', 1n, 1n, 6n).newValue), hex(M(1)));
  assert.equal(code(() => modify(undefined, 70, M(0, ['a', 1]))), ResultCode.ELEMENT_NOT_FOUND);
});

test('100 put items keep key order and rank/key ranges read them (map-modify #56-#58)', () => {
  const items = M(1, ...Array.from({ length: 100 }, (_, i) => [`k${String(i).padStart(3, '0')}`, i] as [string, number]));
  const out = modify(undefined, 68, items, 1n);
  assert.equal(out.result, 100n);
  assert.equal(hex(read(out.newValue!, 106, RT.KEY_VALUE, -5n)), hex(M(8, ['k095', 95], ['k096', 96], ['k097', 97], ['k098', 98], ['k099', 99])));
  assert.deepEqual(read(out.newValue!, 103, RT.KEY, 'k010', 'k015'), ['k010', 'k011', 'k012', 'k013', 'k014']);
});

test('an unordered map gets new keys at their sorted place and its items written sorted (map-raw #1-#6)', () => {
  assert.equal(hex(modify(M(0, ['b', 1], ['a', 2]), 67, 'c', 3n, 0n).newValue), hex(M(0, ['a', 2], ['b', 1], ['c', 3])));
  assert.equal(hex(modify(M(0, ['a', 1], ['c', 3]), 67, 'b', 2n, 0n).newValue), hex(M(0, ['a', 1], ['b', 2], ['c', 3])));
  assert.equal(hex(modify(M(0, ['a', 1]), 68, M(0, ['z', 1], ['b', 2])).newValue), hex(M(0, ['a', 1], ['b', 2], ['z', 1])));
});

test('raw map ops: ADD, REPLACE, REPLACE_ITEMS, ADD_ITEMS, INF interval and WILDCARD value (map-raw #7-#14)', () => {
  const m = M(0, ['a', 2], ['b', 1], ['c', 3]);
  assert.equal(code(() => modify(m, 67, 'c', 3n, 1n, 1n)), ResultCode.ELEMENT_EXISTS);
  assert.equal(code(() => modify(m, 65, 'a', 9n, 0n)), ResultCode.ELEMENT_EXISTS);
  assert.equal(code(() => modify(m, 69, 'q', 9n)), ResultCode.ELEMENT_NOT_FOUND);
  const replaced = modify(m, 70, M(0, ['a', 20]));
  assert.equal(replaced.result, 3n);
  const added = modify(replaced.newValue, 66, M(0, ['d', 4]), 0n).newValue!;
  assert.deepEqual(read(added, 103, RT.KEY, 'b', INF), ['b', 'c', 'd']);
  assert.equal(read(added, 99, RT.COUNT, WILD), 1n);
});

test('bad map payloads are PARAMETER (map-raw #15-#17, #23, #24)', () => {
  const m = ABC();
  assert.equal(code(() => read(m, 71)), ResultCode.PARAMETER);
  assert.equal(code(() => read(m, 120)), ResultCode.PARAMETER);
  assert.equal(code(() => read(m, 67, 'z', 1n)), ResultCode.PARAMETER);
  assert.equal(code(() => modify(m, 68, L(1, 2))), ResultCode.PARAMETER);
  assert.equal(code(() => modify(m, 67, 'k', WILD, 0n)), ResultCode.PARAMETER);
});

// --- vectors from the C client's map tests (answers of a real server) ---

test('rank queries of map_basics.c "map_rank" answer like the server', () => {
  let m: AsValue = modify(undefined, 68, M(0, ['Charlie', 55], ['Jim', 98], ['John', 76], ['Harry', 82]), 0n).newValue!;
  m = modify(m, 73, 'John', 5n, 0n).newValue!;
  m = modify(m, 74, 'Jim', 4n, 0n).newValue!;
  assert.deepEqual(read(m, 106, RT.KEY, -2n, 2n), ['Harry', 'Jim']);
  assert.equal(hex(read(m, 106, RT.KEY_VALUE, 0n, 2n)), hex(M(8, ['Charlie', 55], ['John', 81])));
  assert.equal(read(m, 100, RT.VALUE, 0n), 55n);
  assert.equal(read(m, 100, RT.KEY, 2n), 'Harry');
  assert.deepEqual(read(m, 105, RT.RANK, 90n, 95n), L(3));
  assert.equal(read(m, 105, RT.COUNT, 90n, 95n), 1n);
  assert.deepEqual(read(m, 105, RT.KEY, 81n, 82n), ['John']);
  assert.deepEqual(read(m, 102, RT.KEY, 77n), []);
  assert.deepEqual(read(m, 102, RT.RANK, 81n), L(1));
  assert.equal(read(m, 97, RT.RANK, 'Charlie'), 0n);
  assert.equal(read(m, 97, RT.REVRANK, 'Charlie'), 3n);
});

test('remove sequences of map_basics.c "map_remove" and "map_remove_range" answer like the server', () => {
  const people = () => M(0, ['Charlie', 55], ['Jim', 98], ['John', 76], ['Harry', 82], ['Sally', 79], ['Lenny', 84], ['Abe', 88]);
  let m: AsValue = modify(undefined, 68, people(), 0n).newValue!;
  const step = (c: number, ...args: AsValue[]) => {
    const o = modify(m, c, ...args);
    if (o.newValue !== undefined) m = o.newValue;
    return o.result;
  };
  assert.equal(step(76, RT.VALUE, 'NOTFOUND'), undefined);
  assert.equal(step(76, RT.VALUE, 'Jim'), 98n);
  assert.equal(step(81, RT.COUNT, ['Sally', 'Unknown', 'Lenny']), 2n);
  assert.deepEqual(step(82, RT.KEY, 55n), ['Charlie']);
  assert.equal(read(m, 96), 3n);

  m = modify(undefined, 68, people(), 0n).newValue!;
  assert.equal(step(84, RT.COUNT, 'J', 'K'), 2n);
  assert.equal(step(86, RT.COUNT, 80n, 85n), 2n);
  assert.equal(step(85, RT.COUNT, 0n, 2n), 2n);
  assert.equal(step(87, RT.COUNT, 0n, 2n), 1n);
});

test('ranks tie-break equal values by key', () => {
  const m = M(0, ['x', 1], ['a', 1], ['m', 0]);
  assert.deepEqual(read(m, 106, RT.KEY, 0n, 3n), ['m', 'a', 'x']);
  assert.equal(read(m, 97, RT.RANK, 'x'), 2n);
});

test('a key list on a key-ordered map answers indexes per requested key, duplicates included', () => {
  const abc = M(1, ['a', 3], ['b', 1], ['c', 2]);
  assert.deepEqual(read(abc, 107, RT.INDEX, ['c', 'a', 'c']), L(2, 0, 2));
  assert.deepEqual(read(M(0, ['a', 3], ['b', 1], ['c', 2]), 107, RT.INDEX, ['c', 'a', 'c']), L(0, 2));
  assert.equal(read(abc, 107, RT.COUNT, [WILD]), 3n);
});

test('an inverted value range that matches nothing removes the whole map', () => {
  assert.deepEqual(modify(M(1, ['a', 3]), 86, RT.COUNT | INVERTED, 10n, 20n), { result: 1n, newValue: M(1) });
});

// --- contexts (map-context) ---

const DOC = () =>
  M(
    1,
    ['list', [M(1, ['x', 1]), M(1, ['x', 2])]],
    ['n', 5],
    ['user', M(1, ['name', 'ann'], ['scores', M(1, ['art', 70], ['math', 90])], ['tags', ['a', 'b']])],
  );

test('contexts reach nested maps and lists (map-context #2-#7)', () => {
  assert.equal(wire(DOC(), [97n, RT.VALUE, 'name'], false, [0x22n, 'user']).result, 'ann');
  assert.equal(wire(DOC(), [67n, 'age', 30n, 0n], true, [0x22n, 'user']).result, 4n);
  assert.equal(wire(DOC(), [73n, 'math', 5n, 0n], true, [0x22n, 'user', 0x22n, 'scores']).result, 95n);
  assert.equal(wire(DOC(), [100n, RT.KEY, -1n], false, [0x22n, 'user', 0x22n, 'scores']).result, 'math');
  assert.equal(wire(DOC(), [1n, 'c'], true, [0x22n, 'user', 0x22n, 'tags']).result, 3n);
  assert.equal(wire(DOC(), [67n, 'y', 3n, 0n], true, [0x22n, 'list', 0x10n, 1n]).result, 2n);
});

test('map index, rank and value contexts (map-context #8-#11, #16)', () => {
  assert.equal(code(() => wire(DOC(), [96n], false, [0x20n, 0n])), ResultCode.INCOMPATIBLE_TYPE);
  assert.equal(wire(DOC(), [96n], false, [0x21n, -1n]).result, 3n);
  assert.equal(wire(DOC(), [97n, RT.VALUE, 'x'], false, [0x22n, 'list', 0x13n, M(1, ['x', 1])]).result, 1n);
  assert.equal(code(() => wire(DOC(), [97n, RT.VALUE, 'a'], false, [0x22n, 'missing'])), ResultCode.OP_NOT_APPLICABLE);
  assert.equal(code(() => wire(DOC(), [97n, RT.VALUE, 'name'], false, [0x23n, M(1, ['name', 'zz'])])), ResultCode.OP_NOT_APPLICABLE);
});

test('mapKeyCreate creates the levels with the order each context level asks for (map-context #12, #13, #17)', () => {
  const created = wire(DOC(), [67n, 'k', 1n, 0n], true, [0xa2n, 'newmap']).newValue as AsMap;
  assert.equal(hex(created.entries.find((e) => e[0] === 'newmap')![1]), hex(M(0, ['k', 1])));
  const deep = wire(DOC(), [67n, 'k', 1n, 0n], true, [0x62n, 'deep', 0xe2n, 'er']).newValue as AsMap;
  assert.equal(hex(deep.entries.find((e) => e[0] === 'deep')![1]), hex(M(3, ['er', M(0, ['k', 1])])));
  const typed = wire(DOC(), [64n, 1n], true, [0xa2n, 'created']).newValue as AsMap;
  assert.equal(hex(typed.entries[0]![1]), hex(M(1)));
});

test('a map context on an integer element is INCOMPATIBLE_TYPE for the op (map-context #14, map-raw #25)', () => {
  assert.equal(code(() => wire(DOC(), [67n, 'k', 1n, 0n], true, [0x22n, 'n'])), ResultCode.INCOMPATIBLE_TYPE);
});

test('MAP_KEYS_IN contexts are not supported by 8.1.2 (map-raw #27)', () => {
  assert.equal(code(() => wire(DOC(), [96n], false, [0x2an, ['user']])), ResultCode.OP_NOT_APPLICABLE);
});

test('a create context with an untyped create flag or a persist index below the top is refused', () => {
  assert.equal(code(() => wire(DOC(), [96n], false, [0x42n, 'user'])), ResultCode.OP_NOT_APPLICABLE);
  assert.equal(code(() => wire(DOC(), [67n, 'k', 1n, 0n], true, [0xa2n, 'p', 0x1a2n, 'q'])), ResultCode.OP_NOT_APPLICABLE);
});

// --- properties ---

const key = fc.oneof(fc.bigInt({ min: -5n, max: 5n }), fc.string({ maxLength: 2 }));
const val = fc.oneof(fc.constant(null), fc.boolean(), fc.bigInt({ min: -5n, max: 5n }), fc.string({ maxLength: 2 }), fc.double());
const anyMap = fc
  .tuple(fc.uniqueArray(fc.tuple(key, val), { selector: (e) => (typeof e[0] === 'bigint' ? `i${e[0]}` : `s${e[0]}`), maxLength: 6 }), fc.constantFrom(0, 1, 3))
  .map(([e, f]) => new AsMap(e, f));

test('random map payloads never throw anything but AsError, and never an internal error', () => {
  fc.assert(
    fc.property(
      fc.option(anyMap, { nil: undefined }),
      fc.integer({ min: 60, max: 112 }),
      fc.array(fc.oneof(key, val, anyMap, fc.array(key, { maxLength: 3 }), fc.constantFrom<AsValue>(WILD, INF, 0x10006n, 0x10007n, 8n, 16n, 17n, 99n)), { maxLength: 5 }),
      fc.boolean(),
      (current, opCode, args, isModify) => {
        try {
          const out = executeCdtWireOp(current, pack([BigInt(opCode), ...args]), isModify);
          if (out.newValue !== undefined) pack(out.newValue);
        } catch (e) {
          assert.ok(e instanceof AsError, String(e));
          assert.notEqual(e.code, ResultCode.UNKNOWN, e.message);
        }
      },
    ),
    { numRuns: 3000 },
  );
});

test('any sequence of puts and removes keeps map entries sorted by key', () => {
  const op = fc.oneof(
    fc.tuple(key, val).map(([k, v]) => [67n, k, v, 0n] as AsValue[]),
    fc.tuple(anyMap).map(([m]) => [68n, m, 0n] as AsValue[]),
    fc.tuple(key).map(([k]) => [76n, 0n, k] as AsValue[]),
    fc.tuple(fc.integer({ min: -3, max: 3 })).map(([r]) => [79n, 0n, BigInt(r)] as AsValue[]),
  );
  fc.assert(
    fc.property(fc.constantFrom(0, 1, 3), fc.array(op, { maxLength: 12 }), (flags, ops) => {
      let m: AsValue = new AsMap([], flags);
      for (const o of ops) {
        try {
          const out = executeCdtWireOp(m, pack(o), true);
          if (out.newValue !== undefined) m = out.newValue;
        } catch (e) {
          assert.ok(e instanceof AsError);
        }
      }
      const entries = (m as AsMap).entries;
      assert.equal((m as AsMap).flags, flags);
      for (let i = 1; i < entries.length; i++) assert.ok(compareValues(entries[i - 1]![0], entries[i]![0]) < 0);
    }),
    { numRuns: 500 },
  );
});

test('per-entry ranks of a large map follow (value, key) order', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: -5n, max: 5n })), { selector: (e) => e[0], minLength: 32, maxLength: 60 }), (pairs) => {
      const m = new AsMap(pairs.slice().sort((a, b) => (a[0] < b[0] ? -1 : 1)), 1);
      const ranks = read(m, 104, RT.RANK, 0n, BigInt(pairs.length - 1)) as bigint[];
      const e = m.entries;
      const expected = e.slice(0, -1).map(([k, v]) => BigInt(e.filter(([k2, v2]) => compareValues(v2, v) < 0 || (compareValues(v2, v) === 0 && compareValues(k2, k) < 0)).length));
      assert.deepEqual(ranks, expected);
    }),
    { numRuns: 200 },
  );
});
