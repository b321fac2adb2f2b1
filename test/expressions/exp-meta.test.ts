/**
 * Record metadata, user key, bins of each type, bin_type and map keys/values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsBytes, AsGeoJson, type AsValue } from '../../src/protocol/msgpack.js';
import { AsError, ResultCode } from '../../src/protocol/result-codes.js';
import { compileExpOp, UNKNOWN, type ExpEnv, type ExpRecord } from '../../src/expressions/index.js';
import { enc, ENV, kmap, raw, rec, X, type E } from './exp-fixtures.test.js';

const CL_EPOCH = 1262304000;

function ev(e: E, r: ExpRecord, env: ExpEnv = ENV): AsValue | typeof UNKNOWN {
  return compileExpOp(enc([e])).evaluate(r, env);
}
function rejects(e: E): void {
  assert.throws(() => compileExpOp(enc([e])), (err: unknown) => err instanceof AsError && err.code === ResultCode.PARAMETER);
}

const digest = Buffer.from('2d1fdee37562f87040b7ed4a271b91b518481cc6', 'hex');

test('times: last_update ns, since_update ms, void_time ns / -1, ttl s / -1', () => {
  const nowMs = 1_795_285_213_000;
  const r = rec({}, { lastUpdateMs: nowMs - 117, voidTime: 0 });
  const env = { nowMs };
  assert.equal(ev(X.lastUpdate(), r, env), BigInt(nowMs - 117) * 1_000_000n);
  assert.equal(ev(X.sinceUpdate(), r, env), 117n);
  assert.equal(ev(X.voidTime(), r, env), -1n); // exp-eval#102
  assert.equal(ev(X.ttl(), r, env), -1n); // exp-eval#101
  const r2 = rec({}, { voidTime: 532982212, lastUpdateMs: nowMs + 5 });
  assert.equal(ev(X.voidTime(), r2, env), 1795286212000000000n); // exp-eval#114
  assert.equal(ev(X.ttl(), r2, env), BigInt(532982212 - (Math.floor(nowMs / 1000) - CL_EPOCH)));
  assert.equal(ev(X.sinceUpdate(), r2, env), 0n, 'clock skew clamps at 0');
  const expired = rec({}, { voidTime: 1000 });
  assert.equal(ev(X.ttl(), expired, env), 1n, 'floors at 1');
});

test('set name, key exists, tombstone, sizes', () => {
  const r = rec({ a: 1n }, { setName: 'corpus_exp', recordSizeBytes: 448, memorySizeBytes: 448, deviceSizeBytes: 0 });
  assert.equal(ev(X.setName(), r), 'corpus_exp'); // exp-eval#93
  assert.equal(ev(X.setName(), rec({}, { setName: '' })), '');
  assert.equal(ev(X.keyExists(), r), false); // exp-eval#94
  assert.equal(ev(X.isTombstone(), r), false);
  assert.equal(ev(X.isTombstone(), rec({}, { isTombstone: true })), true);
  assert.equal(ev(X.memorySize(), r), 448n); // exp-eval#99
  assert.equal(ev(X.recordSize(), r), 448n); // exp-eval#100
  assert.equal(ev(X.deviceSize(), r), 0n); // exp-eval#98
  rejects([70, 1]);
  rejects([74, raw('x')]);
});

test('digest_modulo: little-endian u32 of digest bytes 16..19, C remainder', () => {
  const r = rec({}, { digest });
  const v = digest.readUInt32LE(16);
  assert.equal(ev(X.digestModulo(3), r), BigInt(v % 3));
  assert.equal(ev(X.digestModulo(1000), r), BigInt(v % 1000));
  assert.equal(ev(X.digestModulo(-7), r), BigInt(v % 7), 'remainder has the sign of the (unsigned) dividend');
  rejects(X.digestModulo(0));
  rejects([64]); // exp-eval#96 (the Node client sent no modulus)
  rejects(X.digestModulo(2 ** 32)); // truncated to int32: 0
});

test('key: int / string / blob, unknown when absent or of another type', () => {
  const k = Buffer.alloc(8);
  k.writeBigInt64BE(77n);
  const ri = rec({}, { key: { type: 1, value: k } });
  assert.equal(ev(X.keyExists(), ri), true); // exp-eval#107
  assert.equal(ev(X.key(2), ri), 77n); // exp-eval#107
  assert.equal(ev(X.key(3), ri), UNKNOWN); // exp-eval#108
  const rs = rec({}, { key: { type: 3, value: Buffer.from('skey') } });
  assert.equal(ev(X.key(3), rs), 'skey'); // exp-eval#110
  const rb = rec({}, { key: { type: 4, value: Buffer.from([1, 2]) } });
  assert.deepEqual(ev(X.key(6), rb), new AsBytes(4, Buffer.from([1, 2])));
  assert.equal(ev(X.key(2), rec({})), UNKNOWN);
  rejects(X.key(7));
  rejects(X.key(4));
});

test('bins of each type; wrong type or missing bin is unknown', () => {
  const geoText = '{"type":"Point","coordinates":[103.9,1.3]}';
  const r = rec({
    i: 10n,
    f: 2.5,
    s: 'hello',
    b: new AsBytes(4, Buffer.from([1, 2, 3, 0xff])),
    jb: new AsBytes(7, Buffer.from([1])),
    t: true,
    l: [1n, [2n]],
    m: kmap([['a', 1n]]),
    g: new AsGeoJson(geoText),
    h: new AsBytes(18, Buffer.from([0, 8, 0])),
  });
  assert.equal(ev(X.intBin('i'), r), 10n); // exp-eval#16
  assert.equal(ev(X.floatBin('f'), r), 2.5); // exp-eval#18
  assert.equal(ev(X.strBin('s'), r), 'hello'); // exp-eval#19
  assert.deepEqual(ev(X.blobBin('b'), r), new AsBytes(4, Buffer.from([1, 2, 3, 0xff]))); // exp-eval#20
  assert.equal(ev(X.boolBin('t'), r), true); // exp-eval#21
  assert.deepEqual(ev(X.listBin('l'), r), [1n, [2n]]); // exp-eval#22
  assert.deepEqual(ev(X.mapBin('m'), r), kmap([['a', 1n]])); // exp-eval#23
  assert.deepEqual(ev(X.geoBin('g'), r), new AsGeoJson(geoText)); // exp-eval#24
  assert.deepEqual(ev(X.hllBin('h'), r), new AsBytes(18, Buffer.from([0, 8, 0]))); // exp-eval#25
  assert.equal(ev(X.intBin('s'), r), UNKNOWN); // exp-eval#26
  assert.equal(ev(X.strBin('i'), r), UNKNOWN); // exp-eval#27
  assert.equal(ev(X.intBin('missing'), r), UNKNOWN); // exp-eval#28
  assert.equal(ev(X.blobBin('jb'), r), UNKNOWN, 'a language blob is not a blob');
  assert.equal(ev(X.blobBin('h'), r), UNKNOWN, 'an HLL is not a blob');
  assert.equal(ev(X.bin(0, 'i'), r), UNKNOWN);
  assert.equal(ev(X.binType('i'), r), 1n); // exp-eval#29
  assert.equal(ev(X.binType('s'), r), 3n); // exp-eval#30
  assert.equal(ev(X.binType('l'), r), 20n); // exp-eval#31
  assert.equal(ev(X.binType('jb'), r), 7n);
  assert.equal(ev(X.binType('missing'), r), 0n); // exp-eval#32
  rejects(X.bin(10, 'i'));
  rejects([81, 2, raw('sixteen-chars-xx')]);
  rejects([81, 2, raw('a\0b')]);
  rejects([81, 2, 5]);
  rejects([82, raw('0123456789abcdef')]);
});

test('map_keys / map_values', () => {
  const r = rec({ m: kmap([['a', 1n], ['b', 2n]]), l: [1n] });
  assert.deepEqual(ev(X.mapKeys(X.mapBin('m')), r), ['a', 'b']);
  assert.deepEqual(ev(X.mapValues(X.mapBin('m')), r), [1n, 2n]);
  assert.equal(ev(X.mapKeys(X.listBin('l')), r), UNKNOWN);
  assert.equal(ev(X.mapKeys(X.mapBin('missing')), r), UNKNOWN);
  assert.deepEqual(ev(X.mapValues(kmap([[1n, 'x']])), r), ['x']);
});
