/**
 * Arithmetic and integer ops with Aerospike's 64-bit (x86-64 C) semantics; values cross-checked
 * with the corpus where it has them (exp-eval, exp-raw-eval steps cited).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AsValue } from '../../src/protocol/msgpack.js';
import { AsError, ResultCode } from '../../src/protocol/result-codes.js';
import { compileExpOp, UNKNOWN } from '../../src/expressions/index.js';
import { enc, ENV, flt, rec, X, type E } from './exp-fixtures.test.js';

const R = rec({ i: 10n, n: -3n, f: 2.5 });
const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;

function ev(e: E): AsValue | typeof UNKNOWN {
  return compileExpOp(enc([e])).evaluate(R, ENV);
}
function rejects(e: E): void {
  assert.throws(() => compileExpOp(enc([e])), (err: unknown) => err instanceof AsError && err.code === ResultCode.PARAMETER);
}

test('add / sub / mul: ints wrap at 64 bits, floats are doubles', () => {
  assert.equal(ev(X.add(X.intBin('i'), 5, X.intBin('n'))), 12n); // exp-eval#69
  assert.equal(ev(X.add(X.floatBin('f'), flt(0.5))), 3); // exp-eval#70
  assert.equal(ev(X.add(1)), 1n); // exp-raw-eval#37
  assert.equal(ev(X.add(MAX, 1)), MIN); // exp-raw-eval#41
  assert.equal(ev(X.sub(X.intBin('i'), 20)), -10n); // exp-eval#72
  assert.equal(ev(X.sub(X.intBin('i'))), -10n); // exp-eval#73
  assert.equal(ev(X.sub(MIN)), MIN);
  assert.equal(ev(X.sub(flt(1.5))), -1.5);
  assert.equal(ev(X.sub(10, 1, 2, 3)), 4n);
  assert.equal(ev(X.mul(X.intBin('i'), X.intBin('n'))), -30n); // exp-eval#74
  assert.equal(ev(X.mul(2n ** 52n, 4096)), 0n); // exp-eval#75
  assert.equal(ev(X.mul(MAX, 2)), -2n); // exp-raw-eval#40
  assert.equal(ev(X.mul(flt(1.5), flt(2), flt(-1))), -3);
  assert.equal(ev(X.add(X.intBin('missing'), 1)), UNKNOWN);
  assert.equal(ev(X.add(1, 2, X.intBin('missing'))), UNKNOWN);
});

test('div: first operand over the product of the rest; zero and INT64_MIN/-1 are unknown', () => {
  assert.equal(ev(X.div(X.intBin('i'), 3)), 3n); // exp-eval#76
  assert.equal(ev(X.div(X.intBin('n'), 2)), -1n); // exp-eval#77 (toward zero)
  assert.equal(ev(X.div(X.intBin('i'), 0)), UNKNOWN); // exp-eval#78
  assert.equal(ev(X.div(X.floatBin('f'), flt(0))), Infinity); // exp-eval#79
  assert.equal(ev(X.div(X.intBin('i'))), 0n); // exp-eval#80 (reciprocal)
  assert.equal(ev(X.div(2)), 0n); // exp-raw-eval#39
  assert.equal(ev(X.div(1)), 1n);
  assert.equal(ev(X.div(-1)), -1n);
  assert.equal(ev(X.div(0)), UNKNOWN);
  assert.equal(ev(X.div(flt(4))), 0.25);
  assert.equal(ev(X.div(100, 5, 2)), 10n);
  assert.equal(ev(X.div(100, 2n ** 32n, 2n ** 32n)), UNKNOWN, 'the divisor product wraps to 0');
  assert.equal(ev(X.div(MIN, -1)), UNKNOWN, 'Aerospike 8.1.2 dies on this one');
  assert.equal(ev(X.div(MIN, 1)), MIN);
  assert.equal(ev(X.div(flt(1), flt(2), flt(4))), 0.125);
});

test('min / max', () => {
  assert.equal(ev(X.min(X.intBin('i'), X.intBin('n'), 4)), -3n); // exp-eval#81
  assert.equal(ev(X.max(X.floatBin('f'), flt(1), flt(9.5))), 9.5); // exp-eval#82
  assert.equal(ev(X.max(7)), 7n);
  assert.ok(Number.isNaN(ev(X.min(flt(NaN), flt(1))) as number), 'NaN first stays (C comparison)');
  assert.equal(ev(X.min(flt(1), flt(NaN))), 1);
  rejects(X.min(1, flt(2))); // exp-eval#83
});

test('math ops reject wrong or mixed types', () => {
  rejects(X.add(X.intBin('i'), X.floatBin('f'))); // exp-eval#71
  rejects(X.add(X.strBin('s'), 1)); // exp-eval#84
  rejects([20]); // exp-raw-eval#36
  rejects(X.pow(X.floatBin('f'), 2)); // exp-raw-eval#2
  rejects(X.pow(2, flt(0.5))); // exp-raw-eval#3
  rejects(X.pow(2, 3)); // exp-raw-eval#4
  rejects(X.log(100, 10)); // exp-raw-eval#5
  rejects(X.mod(X.floatBin('f'), 2)); // exp-raw-eval#10
  rejects(X.floor(3)); // exp-raw-eval#17
  rejects(X.toFloat(flt(2.5))); // exp-raw-eval#23
  rejects(X.toInt(3));
  rejects(X.abs('x'));
  rejects(X.intAnd(1, flt(1)));
  rejects(X.lscan(1, 1));
  rejects(X.lshift(1, flt(1)));
});

test('pow / log / floor / ceil / abs / to_int / to_float', () => {
  assert.equal(ev(X.pow(flt(2), flt(10))), 1024);
  assert.equal(ev(X.pow(flt(1), flt(NaN))), 1, 'C pow(1, NaN) = 1');
  assert.equal(ev(X.pow(flt(-1), flt(Infinity))), 1);
  assert.ok(Math.abs((ev(X.log(flt(100), flt(10))) as number) - 2) < 1e-12);
  assert.ok(Number.isNaN(ev(X.log(flt(-1), flt(10))) as number));
  assert.equal(ev(X.floor(X.floatBin('f'))), 2); // exp-raw-eval#14
  assert.equal(ev(X.ceil(X.floatBin('f'))), 3); // exp-raw-eval#15
  assert.equal(ev(X.floor(flt(-2.5))), -3); // exp-raw-eval#16
  assert.equal(ev(X.abs(X.intBin('n'))), 3n); // exp-raw-eval#11
  assert.equal(ev(X.abs(flt(-2.5))), 2.5); // exp-raw-eval#12
  assert.equal(ev(X.abs(MIN)), MIN); // exp-raw-eval#13
  assert.equal(ev(X.toInt(X.floatBin('f'))), 2n); // exp-raw-eval#18
  assert.equal(ev(X.toInt(flt(-2.7))), -2n); // exp-raw-eval#19
  assert.equal(ev(X.toInt(flt(1e300))), MIN); // exp-raw-eval#20
  assert.equal(ev(X.toInt(flt(NaN))), MIN); // exp-raw-eval#21
  assert.equal(ev(X.toInt(flt(-1e300))), MIN);
  assert.equal(ev(X.toInt(flt(2 ** 63))), MIN);
  assert.equal(ev(X.toInt(flt(-(2 ** 63)))), MIN);
  assert.equal(ev(X.toInt(flt(2 ** 62))), 2n ** 62n);
  assert.equal(ev(X.toFloat(X.intBin('i'))), 10); // exp-raw-eval#22
  assert.equal(ev(X.toFloat(MAX)), 2 ** 63);
  assert.equal(ev(X.floor(X.floatBin('missing'))), UNKNOWN);
});

test('mod: sign of the dividend, zero divisor unknown', () => {
  assert.equal(ev(X.mod(X.intBin('i'), 3)), 1n); // exp-raw-eval#7
  assert.equal(ev(X.mod(X.intBin('n'), 2)), -1n); // exp-raw-eval#8
  assert.equal(ev(X.mod(X.intBin('i'), 0)), UNKNOWN); // exp-raw-eval#9
  assert.equal(ev(X.mod(MIN, -1)), 0n);
  assert.equal(ev(X.mod(7, -3)), 1n);
});

test('integer bit ops', () => {
  assert.equal(ev(X.intAnd(X.intBin('i'), 6)), 2n); // exp-raw-eval#24
  assert.equal(ev(X.intOr(8, 1, 2)), 11n);
  assert.equal(ev(X.intXor(-1, 5)), -6n);
  assert.equal(ev(X.intNot(X.intBin('i'))), -11n); // exp-raw-eval#25
  assert.equal(ev(X.lshift(X.intBin('i'), 2)), 40n); // exp-raw-eval#26
  assert.equal(ev(X.lshift(1, 64)), 1n); // exp-raw-eval#27 (count masked to 6 bits)
  assert.equal(ev(X.lshift(1, 63)), MIN);
  assert.equal(ev(X.lshift(1, -1)), MIN, '-1 & 63 = 63');
  assert.equal(ev(X.rshift(X.intBin('n'), 1)), 9223372036854775806n); // exp-raw-eval#28
  assert.equal(ev(X.arshift(X.intBin('n'), 1)), -2n); // exp-raw-eval#29
  assert.equal(ev(X.rshift(-1, 64)), -1n);
  assert.equal(ev(X.count(X.intBin('i'))), 2n); // exp-raw-eval#30
  assert.equal(ev(X.count(-1)), 64n); // exp-raw-eval#31
  assert.equal(ev(X.lscan(X.intBin('i'), true)), 60n); // exp-raw-eval#32
  assert.equal(ev(X.lscan(0, true)), -1n); // exp-raw-eval#33
  assert.equal(ev(X.lscan(-1, false)), -1n);
  assert.equal(ev(X.lscan(1n << 62n, false)), 0n);
  assert.equal(ev(X.rscan(X.intBin('i'), true)), 62n); // exp-raw-eval#34
  assert.equal(ev(X.rscan(-1, false)), -1n); // exp-raw-eval#35
  assert.equal(ev(X.rscan(MIN, true)), 0n);
  assert.equal(ev(X.rscan(1, true)), 63n);
  assert.equal(ev(X.lscan(1, X.boolBin('missing'))), UNKNOWN);
  assert.equal(ev(X.intAnd(1, X.intBin('missing'))), UNKNOWN);
});
