/**
 * cond, let/var (nested scopes), unknown, quote, literals, wire-level malformations and the size
 * limits; also checks the test encoder itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsBytes, AsGeoJson, AsSpecial, MsgpackWriter, type AsValue } from '../../src/protocol/msgpack.js';
import { AsError, ResultCode } from '../../src/protocol/result-codes.js';
import { compileExpOp, compileFilter, EXP_MAX_DEPTH, EXP_MAX_NODES, UNKNOWN } from '../../src/expressions/index.js';
import { blob, enc, ENV, flt, geo, kmap, raw, rec, val, X, type E } from './exp-fixtures.test.js';

const R = rec({ i: 10n, s: 'hello', a: 1n });

function ev(e: E): AsValue | typeof UNKNOWN {
  return compileExpOp(enc([e])).evaluate(R, ENV);
}
function rejectsBytes(b: Buffer, filter = true): void {
  assert.throws(
    () => (filter ? compileFilter(b) : compileExpOp(b)),
    (err: unknown) => err instanceof AsError && err.code === ResultCode.PARAMETER,
  );
}
function rejects(e: E): void {
  rejectsBytes(enc([e]), false);
}

test('encoder: ops, raw names, tagged literals', () => {
  assert.equal(enc(X.eq(X.intBin('a'), 5)).toString('hex'), '9301935102a16105');
  assert.equal(enc('ab').toString('hex'), 'a3036162');
  assert.equal(enc(flt(1.5)).toString('hex'), 'cb3ff8000000000000');
  assert.equal(enc(X.let('x', 1, X.varRef('x'))).toString('hex'), '947da17801927ca178');
});

test('literals of every type (corpus exp-eval#3-#15)', () => {
  assert.equal(ev(7), 7n);
  assert.equal(ev(-1), -1n);
  assert.equal(ev(2n ** 40n), 2n ** 40n);
  assert.equal(ev(2n ** 64n - 1n), -1n, 'uint64 wraps to int64');
  assert.equal(ev(flt(1.25)), 1.25);
  assert.equal(ev('abc'), 'abc');
  assert.equal(ev(true), true);
  assert.equal(ev(false), false);
  assert.deepEqual(ev(blob([1, 2])), new AsBytes(4, Buffer.from([1, 2])));
  assert.equal(ev(null), null);
  assert.deepEqual(ev(X.quote([1n, 'x'])), [1n, 'x']);
  assert.deepEqual(ev(kmap([['k', 1n]])), kmap([['k', 1n]]));
  const g = '{"type":"Point","coordinates":[103.9,1.3]}';
  assert.deepEqual(ev(geo(g)), new AsGeoJson(g));
  // float32 literals are accepted as doubles
  assert.equal(compileExpOp(Buffer.from('91ca3fc00000', 'hex')).evaluate(R, ENV), 1.5);
});

test('invalid literals: untagged or unknown-tag strings, empty blobs, bare lists, ext without type', () => {
  rejects(raw('abc')); // a raw string is not a value
  rejects(raw(''));
  rejectsBytes(Buffer.from('91a20761', 'hex'), false); // tag 7 (java blob) literal
  rejectsBytes(Buffer.from('92d4ff0200', 'hex'), false); // ff ext that is neither WILDCARD nor INF
  // an ext literal has no expression type: fine inside a comparison, not as a result
  assert.equal(ev(X.eq(val(AsSpecial.WILDCARD), val(AsSpecial.WILDCARD))), true);
  rejects(val(AsSpecial.WILDCARD));
  rejects(X.quote('notalist' as unknown as AsValue[]));
});

test('cond: first true case wins; unknown condition is unknown; branch types must agree', () => {
  assert.equal(ev(X.cond(X.gt(X.intBin('i'), 5), 'big', 'small')), 'big'); // exp-eval#85
  assert.equal(ev(X.cond(X.gt(X.intBin('i'), 50), 1, X.gt(X.intBin('i'), 5), 2, 3)), 2n); // exp-eval#86
  assert.equal(ev(X.cond(false, 1, false, 2, 3)), 3n);
  assert.equal(ev(X.cond(false, 1, X.unknown())), UNKNOWN); // exp-eval#88
  assert.equal(ev(X.cond(X.unknown(), 1, 2)), UNKNOWN);
  assert.equal(ev(X.cond(X.eq(X.intBin('zz'), 1), 1, 2)), UNKNOWN);
  assert.equal(ev(X.cond(true, X.unknown(), 'x')), UNKNOWN, 'unknown branches fit any type');
  assert.equal(ev(X.cond(false, X.unknown(), X.unknown())), UNKNOWN);
  rejects(X.cond(true, 1, 'x')); // exp-eval#87
  rejects(X.cond(true, 1)); // no default
  rejects(X.cond(true, 1, false, 2)); // even count
  rejects(X.cond(1, 1, 2)); // non-boolean condition
  assert.equal(compileFilter(enc(X.cond(X.gt(X.intBin('a'), 0), true, false))).matches(R, ENV), true); // exp-filter#42
});

test('let / var: sequential definitions, nesting, shadowing rules', () => {
  assert.equal(ev(X.let('x', X.mul(X.intBin('i'), 2), 'y', X.add(X.varRef('x'), 1), X.varRef('y'))), 21n); // exp-eval#89
  assert.equal(ev(X.let('x', X.strBin('s'), X.cond(X.eq(X.varRef('x'), 'hello'), 1, 0))), 1n); // exp-eval#90
  assert.equal(compileFilter(enc(X.let('x', X.intBin('a'), X.gt(X.varRef('x'), 0)))).matches(R, ENV), true); // exp-filter#41
  // nested lets see outer variables; sibling lets reuse slots without clobbering live ones
  const nested = X.let(
    'a1',
    5,
    X.add(
      X.let('b', X.mul(X.varRef('a1'), 2), X.varRef('b')),
      X.let('c', X.add(X.varRef('a1'), 100), X.let('d', X.varRef('c'), X.add(X.varRef('d'), X.varRef('a1')))),
    ),
  );
  assert.equal(ev(nested), 10n + 110n);
  // a variable defined inside another's definition
  assert.equal(ev(X.let('x', X.let('y', 3, X.mul(X.varRef('y'), X.varRef('y'))), X.varRef('x'))), 9n);
  // unknown values flow through variables
  assert.equal(ev(X.let('u', X.intBin('missing'), X.cond(true, 1, X.varRef('u')))), 1n);
  assert.equal(ev(X.let('u', X.intBin('missing'), X.varRef('u'))), UNKNOWN);
  assert.equal(ev(X.let('_x9', 1, X.varRef('_x9'))), 1n);
  rejects(X.let('x', 1, X.varRef('y'))); // undefined
  rejects(X.let('x', X.varRef('x'), 1)); // used while being defined
  rejects(X.let('x', 1, X.let('x', 2, X.varRef('x')))); // duplicate across scopes
  rejects(X.let('x', 1, 'x', 2, X.varRef('x'))); // duplicate in one let
  rejects(X.let('1x', 1, 1)); // must start with alpha or _
  rejects(X.let('a-b', 1, 1));
  rejects(X.let('', 1, 1));
  rejects(X.let('x', 1)); // too few
  rejects(X.let('x', 1, 'y', 2)); // even count
  rejects(X.add(X.let('x', 1, X.varRef('x')), X.varRef('x'))); // out of scope
  rejects(X.let('x', val(AsSpecial.WILDCARD), X.eq(X.varRef('x'), 1)));
});

test('unknown op, remove result, builtin vars', () => {
  assert.equal(ev(X.unknown()), UNKNOWN); // exp-eval#91
  rejects([0, 1]);
  assert.equal(ev([100]), UNKNOWN, 'REMOVE is no value outside CDT apply');
  assert.equal(ev([122, 2, 0]), UNKNOWN, 'loop variables are unknown outside select/apply');
  rejects([122, 3, 2]); // index var must be int
  rejects([122, 2, 3]);
  rejects([122, 12, 0]);
});

test('malformed wire input is PARAMETER (corpus exp-raw)', () => {
  rejectsBytes(Buffer.alloc(0)); // exp-raw#7
  rejectsBytes(Buffer.from('9301', 'hex')); // exp-raw#10 (truncated)
  rejectsBytes(Buffer.from('c3c3', 'hex')); // exp-raw#16 (trailing bytes)
  rejectsBytes(enc([200, 1, 1])); // exp-raw#8 (unknown op)
  rejectsBytes(enc([10, 1, 1])); // gap in the op table
  rejectsBytes(enc([128]));
  rejectsBytes(enc([-1, 1]));
  rejectsBytes(enc([flt(1), 1, 1]));
  rejectsBytes(enc([]));
  rejectsBytes(Buffer.from('c1', 'hex'));
  // nesting 300 deep (exp-raw#15)
  rejectsBytes(Buffer.concat([Buffer.alloc(300, 0x91), Buffer.from([0xc3])]));
});

test('limits: depth and node count are bounded, not stack overflows', () => {
  const deep = (n: number): E => (n === 0 ? true : X.not(deep(n - 1)));
  assert.equal(compileFilter(enc(deep(EXP_MAX_DEPTH - 2))).matches(R, ENV), true);
  rejectsBytes(enc(deep(EXP_MAX_DEPTH + 10)));
  // a 2^20-deep array nest must not overflow the stack
  rejectsBytes(Buffer.concat([Buffer.alloc(1 << 20, 0x91), Buffer.from([0xc3])]));
  const wide = X.and(...new Array<E>(EXP_MAX_NODES + 5).fill(true));
  rejectsBytes(enc(wide));
  const fine = X.and(...new Array<E>(1000).fill(true));
  assert.equal(compileFilter(enc(fine)).matches(R, ENV), true);
});

test('exp op payload shape: [exp] and [exp, flags]; other shapes are PARAMETER', () => {
  const w = new MsgpackWriter();
  w.int(1n);
  rejectsBytes(Buffer.from(w.bytes()), false); // exp-raw#17
  assert.equal(compileExpOp(enc([X.eq(1, 1)])).evaluate(R, ENV), true); // exp-raw#18
  assert.equal(compileExpOp(enc([X.eq(1, 1), 0])).flags, 0); // exp-raw#19
  rejectsBytes(enc([]), false);
  rejectsBytes(enc([1, 0, 0]), false);
  assert.throws(() => compileExpOp(enc([X.eq(1, 1), 255]), 'read'), (e: unknown) => e instanceof AsError && e.code === 4); // exp-raw#20
  assert.equal(compileExpOp(enc([1, 'not-flags'])).flags, 0, 'a non-integer second element is ignored');
});
