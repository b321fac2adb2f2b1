/**
 * CALL (op 127): payload parsing, evaluated arguments, contexts, MODIFY_LOCAL, result typing and
 * unknown propagation, with a recording fake CDT engine; the real bit engine where it is loaded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsBytes, type AsValue } from '../../src/protocol/msgpack.js';
import { AsError, ResultCode } from '../../src/protocol/result-codes.js';
import { callEnginesReady, compileExpOp, setCallEngines, UNKNOWN, type CdtCall } from '../../src/expressions/index.js';
import { callEngines } from '../../src/expressions/call-engines.js';
import { blob, enc, ENV, kmap, raw, rec, X, type E } from './exp-fixtures.test.js';

interface Seen {
  current: AsValue | undefined;
  code: number;
  args: AsValue[];
  ctx: AsValue[] | null;
  modify: boolean;
}
const calls: Seen[] = [];

/** A fake CDT engine: 16 = size, 19 = get by index, 1 = append, 99 = throws, 98 = returns a string. */
const fakeCdt: CdtCall = (current, code, args, ctx, modify) => {
  calls.push({ current, code, args, ctx, modify });
  const list = (current ?? []) as AsValue[];
  switch (code) {
    case 16:
      return { result: BigInt(list.length) };
    case 19:
      return { result: list[Number(args[1])] };
    case 1:
      return modify ? { result: BigInt(list.length + 1), newValue: [...list, args[0]!] } : { result: undefined };
    case 2:
      return { result: 0n }; // modify that changes nothing
    case 98:
      return { result: 'str' };
    default:
      throw new AsError(ResultCode.OP_NOT_APPLICABLE);
  }
};

await callEnginesReady;
setCallEngines({ cdt: fakeCdt });

const R = rec({ l: [1n, 2n, 'a'], m: kmap([['k', 1n]]), i: 7n, bits: new AsBytes(4, Buffer.from([0xf0, 0x0f])) });

function ev(e: E): AsValue | typeof UNKNOWN {
  return compileExpOp(enc([e])).evaluate(R, ENV);
}
function rejects(e: E): void {
  assert.throws(() => compileExpOp(enc([e])), (err: unknown) => err instanceof AsError && err.code === ResultCode.PARAMETER);
}

test('CDT read: op code, literal args, result of the declared type', () => {
  calls.length = 0;
  assert.equal(ev(X.call(2, 0, [16], X.listBin('l'))), 3n);
  assert.deepEqual(calls[0], { current: [1n, 2n, 'a'], code: 16, args: [], ctx: null, modify: false });
  assert.equal(ev(X.call(2, 0, [19, 7, 1], X.listBin('l'))), 2n);
  assert.equal(ev(X.call(3, 0, [19, 7, 2], X.listBin('l'))), 'a');
  assert.equal(ev(X.call(3, 0, [19, 7, 0], X.listBin('l'))), UNKNOWN, 'result type differs (corpus exp-eval#118)');
  assert.equal(ev(X.call(2, 0, [19, 7, 9], X.listBin('l'))), UNKNOWN, 'no result is nil, not int');
  assert.equal(ev(X.call(0, 0, [19, 7, 9], X.listBin('l'))), null, 'nil result declared nil');
  assert.equal(ev(X.call(2, 0, [99], X.listBin('l'))), UNKNOWN, 'the op failed');
  assert.equal(ev(X.call(2, 0, [16], X.listBin('missing'))), UNKNOWN);
  assert.equal(ev(X.call(2, 0, [16], X.listBin('i'))), UNKNOWN, 'corpus exp-eval#129');
  assert.equal(ev(X.call(2, 0, [16], X.quote([1n, 2n]))), 2n, 'corpus exp-eval#128');
  assert.equal(ev(X.call(3, 0, [98], X.mapBin('m'))), 'str');
});

test('CDT: context payload and evaluated arguments', () => {
  calls.length = 0;
  assert.equal(ev(X.call(2, 0, [0xff, [0x10, 4], [16]], X.listBin('l'))), 3n);
  assert.deepEqual(calls[0]!.ctx, [0x10n, 4n]);
  assert.equal(calls[0]!.code, 16);
  calls.length = 0;
  ev(X.call(2, 0, [19, 7, X.add(X.intBin('i'), -6)], X.listBin('l')));
  assert.deepEqual(calls[0]!.args, [7n, 1n], 'array args are expressions');
  calls.length = 0;
  ev(X.call(4, 64, [1, X.quote(['x']), 'tagged'], X.listBin('l')));
  assert.deepEqual(calls[0]!.args, [['x'], 'tagged']);
  calls.length = 0;
  assert.equal(ev(X.call(2, 0, [19, 7, X.intBin('missing')], X.listBin('l'))), UNKNOWN);
  assert.equal(calls.length, 0, 'an unknown argument stops the call');
  rejects(X.call(2, 0, [0xff, [0x10, 4]], X.listBin('l')));
  rejects(X.call(2, 0, [], X.listBin('l')));
  rejects(X.call(2, 0, 16, X.listBin('l')));
  rejects(X.call(2, 0, [16, X.eq(1, 'a')], X.listBin('l')));
});

test('MODIFY_LOCAL: the modified copy is the value; the bin is untouched', () => {
  calls.length = 0;
  assert.deepEqual(ev(X.call(4, 0x40, [1, 9], X.listBin('l'))), [1n, 2n, 'a', 9n]);
  assert.equal(calls[0]!.modify, true);
  assert.deepEqual(R.getBin('l')!.value, enc(X.quote([1n, 2n, 'a'])).subarray(2), 'stored bin unchanged');
  assert.deepEqual(ev(X.call(4, 0x40, [2], X.listBin('l'))), [1n, 2n, 'a'], 'no change: the current value');
  assert.equal(ev(X.call(5, 0x40, [1, 9], X.listBin('l'))), UNKNOWN, 'declared map, got list');
  assert.deepEqual(ev(X.call(4, 0x40, [1, 9], null)), [9n], 'a nil bin starts empty');
  // nested: count of the appended copy
  assert.equal(ev(X.call(2, 0, [16], X.call(4, 0x40, [1, 9], X.listBin('l')))), 4n);
});

test('CALL compile checks: result type, system, bin argument type', () => {
  rejects(X.call(10, 0, [16], X.listBin('l')));
  rejects(X.call(2, 3, [16], X.listBin('l')));
  rejects(X.call(2, 0x80, [16], X.listBin('l')));
  rejects(X.call(2, 0, [16], X.intBin('i'))); // CDT on an int expression
  rejects(X.call(2, 1, [51, 0, 8], X.listBin('l'))); // bits on a list
  rejects(X.call(2, 2, [50], X.blobBin('bits'))); // HLL on a blob
  rejects([127, 2, 0, [16]]);
  rejects([127, 2, 0, [16], X.listBin('l'), 1]);
  rejects([127, raw('x'), 0, [16], X.listBin('l')]);
});

test('bit calls through the bit engine (corpus exp-eval#141-#149)', { skip: !callEngines.bits && 'bit engine not loaded' }, () => {
  assert.deepEqual(ev(X.call(6, 1, [50, 0, 8], X.blobBin('bits'))), new AsBytes(4, Buffer.from([0xf0])));
  assert.equal(ev(X.call(2, 1, [51, 0, 16], X.blobBin('bits'))), 8n);
  assert.equal(ev(X.call(2, 1, [54, 0, 8, 1], X.blobBin('bits'))), -16n);
  assert.deepEqual(ev(X.call(6, 0x41, [3, 0, 8, blob([0xaa]), 0], X.blobBin('bits'))), new AsBytes(4, Buffer.from([0xaa, 0x0f])));
  assert.deepEqual(ev(X.call(6, 0x41, [7, 0, 16, 0], X.blobBin('bits'))), new AsBytes(4, Buffer.from([0x0f, 0xf0])));
  assert.equal(ev(X.call(6, 1, [50, 16, 8], X.blobBin('bits'))), UNKNOWN, 'past the end');
  assert.deepEqual(ev(X.call(6, 1, [50, 0, 8], blob([0x81]))), new AsBytes(4, Buffer.from([0x81])), 'a blob literal as the bin');
});
