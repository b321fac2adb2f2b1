/**
 * Comparison and logic ops: true / false / unknown for every family, compile-time type checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsGeoJson, AsMap, type AsValue } from '../../src/protocol/msgpack.js';
import { AsError, ResultCode } from '../../src/protocol/result-codes.js';
import { compileExpOp, compileFilter, UNKNOWN, type ExpRecord } from '../../src/expressions/index.js';
import { blob, enc, ENV, flt, geo, hllLit, kmap, raw, rec, recFromBins, X, type E } from './exp-fixtures.test.js';

const R = rec({
  i: 10n,
  n: -3n,
  f: 2.5,
  s: 'hello',
  t: true,
  l: [1n, 2n, 3n, 'a', [4n, 5n]],
  m: kmap([
    ['a', 1n],
    ['b', 2n],
  ]),
  um: new AsMap([
    ['b', 2n],
    ['a', 1n],
  ]),
  g: new AsGeoJson('{"type":"Point","coordinates":[103.9,1.3]}'),
});

function ev(e: E, r: ExpRecord = R): AsValue | typeof UNKNOWN {
  return compileExpOp(enc([e])).evaluate(r, ENV);
}

function rejects(e: E, filter = false): void {
  assert.throws(
    () => (filter ? compileFilter(enc(e)) : compileExpOp(enc([e]))),
    (err: unknown) => err instanceof AsError && err.code === ResultCode.PARAMETER,
  );
}

test('compare ints: each relation true and false', () => {
  assert.equal(ev(X.eq(X.intBin('i'), 10)), true);
  assert.equal(ev(X.eq(X.intBin('i'), 11)), false);
  assert.equal(ev(X.ne(X.intBin('i'), 10)), false);
  assert.equal(ev(X.gt(X.intBin('i'), 9)), true);
  assert.equal(ev(X.gt(X.intBin('i'), 10)), false);
  assert.equal(ev(X.ge(X.intBin('i'), 10)), true);
  assert.equal(ev(X.lt(X.intBin('n'), 0)), true);
  assert.equal(ev(X.le(X.intBin('n'), -4)), false);
  // both sides evaluated (not the literal fast path)
  assert.equal(ev(X.gt(X.intBin('i'), X.intBin('n'))), true);
  assert.equal(ev(X.lt(-(2n ** 63n), 2n ** 63n - 1n)), true);
});

test('compare: unknown when an operand is unknown (missing bin, wrong bin type)', () => {
  assert.equal(ev(X.eq(X.intBin('missing'), 1)), UNKNOWN);
  assert.equal(ev(X.eq(1, X.intBin('missing'))), UNKNOWN);
  assert.equal(ev(X.eq(X.intBin('s'), 1)), UNKNOWN);
  assert.equal(ev(X.eq(X.strBin('i'), 'x')), UNKNOWN);
  assert.equal(ev(X.ne(X.unknown(), true)), UNKNOWN);
});

test('compare floats, strings, blobs, bools, nil', () => {
  assert.equal(ev(X.lt(X.floatBin('f'), flt(3))), true);
  assert.equal(ev(X.le(X.floatBin('f'), flt(2.5))), true);
  assert.equal(ev(X.eq(flt(NaN), flt(NaN))), false);
  assert.equal(ev(X.ne(flt(NaN), flt(NaN))), true);
  assert.equal(ev(X.eq(X.strBin('s'), 'hello')), true);
  assert.equal(ev(X.gt(X.strBin('s'), 'hellp')), false);
  assert.equal(ev(X.lt('hell', 'hello')), true);
  // UTF-8 byte order: U+FFFD (ef bf bd) < U+1F600 (f0 9f 98 80), unlike UTF-16 order
  assert.equal(ev(X.lt('\ufffd', '\u{1F600}')), true);
  assert.equal(ev(X.eq(blob([1, 2]), blob([1, 2]))), true);
  assert.equal(ev(X.gt(blob([1, 3]), blob([1, 2, 9]))), true);
  assert.equal(ev(X.eq(X.boolBin('t'), true)), true);
  assert.equal(ev(X.gt(true, false)), true);
  assert.equal(ev(X.eq(null, null)), true);
  assert.equal(ev(X.ge(null, null)), true);
  assert.equal(ev(X.lt(null, null)), false);
});

test('compare lists and maps in msgpack order; unordered maps make it unknown', () => {
  assert.equal(ev(X.eq(X.listBin('l'), X.quote([1n, 2n, 3n, 'a', [4n, 5n]]))), true);
  assert.equal(ev(X.lt(X.quote([1n, 2n]), X.quote([1n, 2n, 0n]))), true);
  assert.equal(ev(X.gt(X.quote([1n, 'a']), X.quote([1n, 5n]))), true, 'string > int');
  assert.equal(ev(X.eq(X.mapBin('m'), kmap([['a', 1n], ['b', 2n]]))), true);
  assert.equal(ev(X.lt(X.mapBin('m'), kmap([['a', 1n], ['b', 2n], ['c', 0n]]))), true, 'fewer pairs sort first');
  assert.equal(ev(X.eq(X.mapBin('um'), X.mapBin('um'))), UNKNOWN);
  assert.equal(ev(X.eq(new AsMap([]), new AsMap([]))), true, 'empty maps are fine');
});

test('compare: mismatched or uncomparable types do not compile (PARAMETER)', () => {
  rejects(X.eq(1, flt(1))); // corpus exp-eval#49
  rejects(X.lt('a', 1)); // corpus exp-eval#50
  rejects(X.eq(geo({ type: 'Point', coordinates: [0, 0] }), geo({ type: 'Point', coordinates: [0, 0] })));
  rejects(X.eq(hllLit(Buffer.alloc(4)), hllLit(Buffer.alloc(4))));
  rejects([1, 1]); // missing operand, corpus exp-raw#9
  rejects([1, 1, 1, 1]);
});

test('regex: POSIX flags, unknown subject, compile errors', () => {
  assert.equal(ev(X.regex(0, '^hel', X.strBin('s'))), true); // corpus exp-eval#52
  assert.equal(ev(X.regex(2, '^HEL', X.strBin('s'))), true); // corpus exp-eval#53
  assert.equal(ev(X.regex(0, 'x$', X.strBin('s'))), false); // corpus exp-eval#54
  assert.equal(ev(X.regex(1, 'l+o$', X.strBin('s'))), true);
  assert.equal(ev(X.regex(0, 'l+o$', X.strBin('s'))), false, 'BRE: + is literal');
  assert.equal(ev(X.regex(0, 'l\\+o$', X.strBin('s'))), true, 'GNU BRE \\+');
  assert.equal(ev(X.regex(3, 'HEL{2}O', X.strBin('s'))), true);
  assert.equal(ev(X.regex(0, 'x', X.strBin('missing'))), UNKNOWN);
  rejects(X.regex(0, '1', X.intBin('i'))); // corpus exp-eval#55
  rejects(X.regex(1, '(a', X.strBin('s')));
  rejects(X.regex(0, '[a', X.strBin('s')));
  rejects([7, 0, raw('x')]); // no subject
});

test('geo: point within region, region containing point, circles, invalid geojson', () => {
  const square = geo({ type: 'Polygon', coordinates: [[[103, 1], [105, 1], [105, 2], [103, 2], [103, 1]]] });
  const far = geo({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] });
  assert.equal(ev(X.geoCmp(X.geoBin('g'), square)), true); // corpus exp-eval#56
  assert.equal(ev(X.geoCmp(square, X.geoBin('g'))), true); // corpus exp-eval#57
  assert.equal(ev(X.geoCmp(X.geoBin('g'), far)), false);
  assert.equal(ev(X.geoCmp(X.geoBin('g'), X.geoBin('g'))), false, 'point/point never matches');
  const circle = geo({ type: 'AeroCircle', coordinates: [[103.9, 1.31], 2000] });
  const small = geo({ type: 'AeroCircle', coordinates: [[103.9, 1.31], 500] });
  assert.equal(ev(X.geoCmp(X.geoBin('g'), circle)), true, '~1.1 km away');
  assert.equal(ev(X.geoCmp(X.geoBin('g'), small)), false);
  const multi = geo({ type: 'MultiPolygon', coordinates: [[[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]], [[[103, 1], [105, 1], [105, 2], [103, 2], [103, 1]]]] });
  assert.equal(ev(X.geoCmp(X.geoBin('g'), multi)), true);
  const holed = geo({
    type: 'Polygon',
    coordinates: [
      [[100, 0], [110, 0], [110, 5], [100, 5], [100, 0]],
      [[103, 1], [105, 1], [105, 2], [103, 2], [103, 1]],
    ],
  });
  assert.equal(ev(X.geoCmp(X.geoBin('g'), holed)), false, 'inside the hole');
  assert.equal(ev(X.geoCmp(X.geoBin('missing'), square)), UNKNOWN);
  rejects(X.geoCmp(X.geoBin('g'), geo('{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}')));
  rejects(X.geoCmp(X.geoBin('g'), geo('not json')));
  rejects(X.geoCmp(X.geoBin('g'), 'a string'));
  const badGeo = recFromBins([{ name: 'g', type: 23, value: Buffer.concat([Buffer.alloc(3), Buffer.from('{"type":"Nope"}')]) }]);
  assert.equal(ev(X.geoCmp(X.geoBin('g'), square), badGeo), UNKNOWN);
});

test('in_list: membership, unknown operands, type check', () => {
  assert.equal(ev(X.inList(2, X.listBin('l'))), true); // corpus exp-eval#58
  assert.equal(ev(X.inList(9, X.listBin('l'))), false); // corpus exp-eval#59
  assert.equal(ev(X.inList('a', X.listBin('l'))), true);
  assert.equal(ev(X.inList(X.quote([4n, 5n]), X.listBin('l'))), true);
  assert.equal(ev(X.inList(X.intBin('missing'), X.listBin('l'))), UNKNOWN);
  assert.equal(ev(X.inList(1, X.listBin('missing'))), UNKNOWN);
  rejects(X.inList(1, X.intBin('i')));
});

const T = true;
const F = false;
const U = X.unknown();

test('and / or / not: three-valued truth tables', () => {
  assert.equal(ev(X.and(T, T)), true);
  assert.equal(ev(X.and(T, F)), false);
  assert.equal(ev(X.and(U, F)), false);
  assert.equal(ev(X.and(F, U)), false);
  assert.equal(ev(X.and(T, U)), UNKNOWN);
  assert.equal(ev(X.and(U, T, T)), UNKNOWN);
  assert.equal(ev(X.and(T, T, F)), false);
  assert.equal(ev(X.or(F, F)), false);
  assert.equal(ev(X.or(U, T)), true);
  assert.equal(ev(X.or(T, U)), true);
  assert.equal(ev(X.or(F, U)), UNKNOWN);
  assert.equal(ev(X.or(F, F, U)), UNKNOWN);
  assert.equal(ev(X.not(T)), false);
  assert.equal(ev(X.not(F)), true);
  assert.equal(ev(X.not(U)), UNKNOWN);
  rejects([16]); // corpus exp-raw#14
  rejects(X.and(T));
  rejects(X.and(T, 1));
  rejects([18, 1]); // corpus exp-eval#68
  rejects([18]); // corpus exp-eval#95
});

test('exclusive: exactly one true; unknown as soon as an operand is unknown', () => {
  assert.equal(ev(X.excl(T, F, F)), true); // corpus exp-eval#64
  assert.equal(ev(X.excl(T, T)), false); // corpus exp-eval#65
  assert.equal(ev(X.excl(F, F)), false);
  assert.equal(ev(X.excl(F, U)), UNKNOWN);
  assert.equal(ev(X.excl(T, T, U)), false, 'decided at the second true');
  assert.equal(ev(X.excl(U, T, T)), UNKNOWN);
});

test('filters: unknown is not a match; non-boolean filters do not compile', () => {
  const f = (e: E) => compileFilter(enc(e)).matches(R, ENV);
  assert.equal(f(X.eq(X.intBin('i'), 10)), true);
  assert.equal(f(X.eq(X.intBin('zz'), 1)), false); // corpus exp-filter#21
  assert.equal(f(X.not(X.eq(X.intBin('zz'), 1))), false); // corpus exp-filter#22
  assert.equal(f(true), true);
  assert.equal(f(false), false);
  assert.equal(f(U), false); // corpus exp-filter#39
  rejects(1, true); // corpus exp-filter#36
  rejects(X.add(1, 2), true);
  rejects(X.intBin('i'), true);
  assert.equal(f(X.eq(X.binType('i'), 1)), true);
  assert.equal(f([1, [81, 2, 'i'], 10]), false, 'a tagged bin name names another bin (corpus exp-raw#12)');
});
