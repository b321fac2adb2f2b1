/**
 * EXP_READ / EXP_MODIFY flag semantics (Aerospike `expop.c`), cross-checked with the exp-write
 * scenario of the corpus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsError, ResultCode } from '../../src/protocol/result-codes.js';
import {
  applyExpRead,
  applyExpWrite,
  compileExpOp,
  expReadPayload,
  expWritePayload,
  ExpOpFlag,
  UNKNOWN,
} from '../../src/expressions/index.js';
import { enc, ENV, rec, X, type E } from './exp-fixtures.test.js';

const R = rec({ i: 5n, j: 11n });
const { CREATE_ONLY, UPDATE_ONLY, ALLOW_DELETE, POLICY_NO_FAIL, EVAL_NO_FAIL } = ExpOpFlag;

const op = (e: E, flags = 0) => compileExpOp(enc([e, flags]));
const code = (c: number) => (e: unknown) => e instanceof AsError && e.code === c;

test('read: value, unknown → OP_NOT_APPLICABLE, EVAL_NO_FAIL → nil', () => {
  assert.equal(applyExpRead(op(X.intBin('i')), R, ENV), 5n);
  assert.throws(() => applyExpRead(op(X.intBin('missing')), R, ENV), code(ResultCode.OP_NOT_APPLICABLE)); // exp-eval#28
  assert.equal(applyExpRead(op(X.intBin('missing'), EVAL_NO_FAIL), R, ENV), null); // exp-eval#35
  assert.equal(applyExpRead(op(X.unknown(), EVAL_NO_FAIL), R, ENV), null); // exp-eval#92
  assert.equal(applyExpRead(op(null), R, ENV), null); // exp-eval#12
  assert.throws(() => applyExpRead(op(1, CREATE_ONLY), R, ENV), code(ResultCode.PARAMETER), 'write flags on a read');
  assert.throws(() => compileExpOp(enc([1, 255]), 'read'), code(ResultCode.PARAMETER)); // exp-raw#20
  assert.throws(() => compileExpOp(enc([1, 32]), 'modify'), code(ResultCode.PARAMETER));
  assert.throws(() => compileExpOp(enc([1, -1]), 'modify'), code(ResultCode.PARAMETER));
  assert.equal(compileExpOp(enc([1, 31]), 'modify').flags, 31);
  assert.equal(op(X.unknown()).evaluate(R, ENV), UNKNOWN);
});

test('write: value to store', () => {
  assert.deepEqual(applyExpWrite(op(X.mul(X.intBin('i'), 2)), R, ENV, true), { action: 'write', value: 10n }); // exp-write#2
  assert.deepEqual(applyExpWrite(op(X.add(X.intBin('i'), 1)), R, ENV, false), { action: 'write', value: 6n }); // exp-write#3
  assert.deepEqual(applyExpWrite(op(X.quote([1n, [2n]])), R, ENV, false), { action: 'write', value: [1n, [2n]] }); // exp-write#19
  assert.deepEqual(applyExpWrite(op(false), R, ENV, false), { action: 'write', value: false }); // exp-write#18
});

test('write: CREATE_ONLY and UPDATE_ONLY, with and without POLICY_NO_FAIL', () => {
  assert.throws(() => applyExpWrite(op('x', CREATE_ONLY), R, ENV, true), code(ResultCode.BIN_EXISTS)); // exp-write#4
  assert.deepEqual(applyExpWrite(op('x', CREATE_ONLY | POLICY_NO_FAIL), R, ENV, true), { action: 'skip' }); // exp-write#5
  assert.deepEqual(applyExpWrite(op('x', CREATE_ONLY), R, ENV, false), { action: 'write', value: 'x' });
  assert.throws(() => applyExpWrite(op(1, UPDATE_ONLY), R, ENV, false), code(ResultCode.BIN_NOT_FOUND)); // exp-write#6
  assert.deepEqual(applyExpWrite(op(1, UPDATE_ONLY | POLICY_NO_FAIL), R, ENV, false), { action: 'skip' }); // exp-write#7
  assert.deepEqual(applyExpWrite(op(1, UPDATE_ONLY), R, ENV, true), { action: 'write', value: 1n });
  // the bin checks come before evaluation
  assert.throws(() => applyExpWrite(op(X.unknown(), UPDATE_ONLY), R, ENV, false), code(ResultCode.BIN_NOT_FOUND));
});

test('write: unknown result, EVAL_NO_FAIL', () => {
  assert.throws(() => applyExpWrite(op(X.add(X.intBin('missing'), 1)), R, ENV, false), code(ResultCode.OP_NOT_APPLICABLE)); // exp-write#10
  assert.deepEqual(applyExpWrite(op(X.add(X.intBin('missing'), 1), EVAL_NO_FAIL), R, ENV, false), { action: 'skip' }); // exp-write#11
  assert.throws(() => applyExpWrite(op([100]), R, ENV, true), code(ResultCode.OP_NOT_APPLICABLE), 'REMOVE cannot be stored');
});

test('write: nil result deletes only with ALLOW_DELETE; Aerospike skips it for any other non-zero flags', () => {
  assert.throws(() => applyExpWrite(op(null), R, ENV, true), code(ResultCode.OP_NOT_APPLICABLE)); // exp-write#8
  assert.deepEqual(applyExpWrite(op(null, ALLOW_DELETE), R, ENV, true), { action: 'delete' }); // exp-write#9
  assert.deepEqual(applyExpWrite(op(null, ALLOW_DELETE), R, ENV, false), { action: 'skip' });
  assert.deepEqual(applyExpWrite(op(null), R, ENV, false), { action: 'skip' });
  // expop.c tests `flags && AS_EXP_FLAG_POLICY_NO_FAIL != 0`, i.e. any flag
  assert.deepEqual(applyExpWrite(op(null, EVAL_NO_FAIL), R, ENV, true), { action: 'skip' });
  assert.deepEqual(applyExpWrite(op(null, UPDATE_ONLY), R, ENV, true), { action: 'skip' });
});

test('payload seams for the transaction layer', () => {
  assert.equal(expReadPayload(enc([X.intBin('j'), 0]), R, ENV), 11n);
  assert.deepEqual(expWritePayload(enc([X.intBin('j'), 0]), R, ENV, false), { action: 'write', value: 11n });
  assert.throws(() => expReadPayload(enc([X.intBin('j'), 1]), R, ENV), code(ResultCode.PARAMETER));
  assert.throws(() => expWritePayload(enc([X.eq(1, 'a'), 0]), R, ENV, false), code(ResultCode.PARAMETER));
});
