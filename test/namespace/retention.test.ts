/**
 * Record aging through the wire: void-times, expiry, NSUP reaping and truncation. The node runs in
 * the test's process (helpers/in-process.ts) on a manual clock: time moves only when the test moves
 * it, and NSUP runs when the test runs it, so nothing here sleeps or polls.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessNode, type InProcessConnection } from '../helpers/in-process.js';
import { encodeGet, encodeMessage, encodePut, keyFields } from '../../src/client/message-encoder.js';
import { computeDigest } from '../../src/util/digest.js';
import { Particle } from '../../src/protocol/particle.js';
import { ResultCode } from '../../src/protocol/result-codes.js';
import { runNsupCycle } from '../../src/namespace/nsup.js';

let server: InProcessNode;
let conn: InProcessConnection;

before(async () => {
  server = await InProcessNode.start();
  conn = server.connect();
});
after(async () => {
  await server?.stop();
});

/** A string user key's digest in `set`. */
function digest(set: string, key: string): Buffer {
  return computeDigest(set, Particle.STRING, Buffer.from(key, 'utf8'));
}

/** One integer bin `name`. */
function intBin(name: string, v: number) {
  const value = Buffer.alloc(8);
  value.writeBigInt64BE(BigInt(v));
  return { name, type: Particle.INTEGER, value };
}

/** Sends one single-record request; its result code and generation. */
async function request(frame: Buffer): Promise<{ code: number; generation: number }> {
  const r = await conn.exchange(frame);
  assert.ok(r.received.length >= 8 + 22, 'an answer');
  return { code: r.received[8 + 5]!, generation: r.received.readUInt32BE(8 + 6) };
}

/** Writes { name: v } to (test, set, key) with a TTL in seconds (-1: never expires, 0: the namespace default). */
function put(set: string, key: string, v: number, ttl = 0) {
  return request(encodePut('test', set, digest(set, key), [intBin('a', v)], ttl));
}

function get(set: string, key: string) {
  return request(encodeGet('test', set, digest(set, key)));
}

/** Whether the record exists (a read of no bins, as the client's exists sends). */
async function exists(set: string, key: string): Promise<boolean> {
  const r = await request(encodeMessage({ info1: 0x01 | 0x20 }, keyFields('test', set, digest(set, key)), []));
  assert.ok(r.code === ResultCode.OK || r.code === ResultCode.NOT_FOUND, `exists answered ${r.code}`);
  return r.code === ResultCode.OK;
}

async function info(cmd: string): Promise<string> {
  const answer = await server.info(cmd);
  return answer.slice(answer.indexOf('\t') + 1).trim();
}

async function nsStat(name: string): Promise<number> {
  const m = new RegExp(`(?:^|;)${name}=(\\d+)`).exec(await info('namespace/test'));
  return Number(m![1]);
}

test('a record is not found once its void-time passes, and an update recreates it at generation 1', async () => {
  assert.equal((await put('ret', 'ttl', 1, 100)).code, ResultCode.OK);
  assert.equal((await put('ret', 'ttl', 2, 100)).generation, 2);
  server.advance(99_000);
  assert.equal((await get('ret', 'ttl')).code, ResultCode.OK, 'still there a second before its void-time');
  server.advance(2_000);
  assert.equal((await get('ret', 'ttl')).code, ResultCode.NOT_FOUND);
  assert.equal(await exists('ret', 'ttl'), false);
  await put('ret', 'ttl', 3);
  assert.equal((await get('ret', 'ttl')).generation, 1);
});

test('nsup removes expired records and counts them in expired_objects', async () => {
  for (let i = 0; i < 20; i++) await put('ret', `exp${i}`, i, 50);
  await put('ret', 'forever', 1, -1);
  const before = await nsStat('expired_objects');
  const objects = await nsStat('objects');
  server.advance(51_000);
  await runNsupCycle(server.node.namespace('test')!);
  assert.equal(await nsStat('expired_objects'), before + 20);
  assert.equal(await nsStat('objects'), objects - 20);
  assert.equal(await exists('ret', 'forever'), true);
});

test('truncating a set hides its records at once and later writes are unaffected', async () => {
  for (let i = 0; i < 10; i++) await put('trunc', `k${i}`, i);
  server.advance(1);
  assert.equal(await info('truncate:namespace=test;set=trunc'), 'ok');
  for (let i = 0; i < 10; i++) assert.equal(await exists('trunc', `k${i}`), false);
  server.advance(5);
  await put('trunc', 'k1', 1);
  assert.equal(await exists('trunc', 'k1'), true);
  assert.match(await info('sets/test/trunc'), /objects=1:/);
});

test('a record written in the millisecond of a truncate, after it, stays: the cut removes records updated strictly before it, as Aerospike', async () => {
  await put('trunc-ms', 'before', 1);
  server.advance(1);
  assert.equal(await info('truncate:namespace=test;set=trunc-ms'), 'ok');
  // the clock has not moved: this write's last-update time equals the cut
  await put('trunc-ms', 'same-ms', 1);
  assert.equal(await exists('trunc-ms', 'before'), false);
  assert.equal(await exists('trunc-ms', 'same-ms'), true);
  assert.match(await info('sets/test/trunc-ms'), /objects=1:/);
});

test('truncate with a last-update cut keeps records written after it', async () => {
  await put('trunc-lut', 'old', 1);
  server.advance(20);
  const cutNs = BigInt(server.nowMs()) * 1_000_000n;
  server.advance(20);
  await put('trunc-lut', 'new', 1);
  assert.equal(await info(`truncate:namespace=test;set=trunc-lut;lut=${cutNs}`), 'ok');
  assert.equal(await exists('trunc-lut', 'old'), false);
  assert.equal(await exists('trunc-lut', 'new'), true);
});

test('a truncate in the future is refused', async () => {
  const future = (BigInt(server.nowMs()) + 3600_000n) * 1_000_000n;
  assert.match(await info(`truncate:namespace=test;set=x;lut=${future}`), /would truncate in the future/);
});
