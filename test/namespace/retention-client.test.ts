/**
 * Record aging through the official client: void-times, expiry, NSUP reaping and truncation.
 * Time moves through the node's test clock hook, never by sleeping.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { resultCode as code } from '../helpers/result-code.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
let node: any;
const key = (k: string) => new Aerospike.Key('test', 'ret', k);

async function info(cmd: string): Promise<string> {
  const answer: string = await client.infoNode(cmd, node);
  return answer.slice(answer.indexOf('\t') + 1).trim();
}

async function nsStat(name: string): Promise<number> {
  const m = new RegExp(`(?:^|;)${name}=(\\d+)`).exec(await info('namespace/test'));
  return Number(m![1]);
}


before(async () => {
  server = await startStrato({ env: { STRATO_TEST_HOOKS: '1' } });
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  node = client.getNodes()[0];
});
after(async () => {
  await client?.close(false);
  await server?.stop();
});

test('a record is not found once its void-time passes, and an update recreates it at generation 1', async () => {
  await client.put(key('ttl'), { a: 1 }, { ttl: 100 });
  await client.put(key('ttl'), { a: 2 }, { ttl: 100 });
  await info('strato-test-clock:advance-sec=101');
  assert.equal(await code(client.get(key('ttl'))), Aerospike.status.ERR_RECORD_NOT_FOUND);
  assert.equal(await client.exists(key('ttl')), false);
  await client.put(key('ttl'), { a: 3 });
  assert.equal((await client.get(key('ttl'))).gen, 1);
});

test('nsup removes expired records and counts them in expired_objects', async () => {
  for (let i = 0; i < 20; i++) await client.put(key(`exp${i}`), { i }, { ttl: 50 });
  await client.put(key('forever'), { a: 1 }, { ttl: -1 });
  const before = await nsStat('expired_objects');
  await info('strato-test-clock:advance-sec=51');
  await info('strato-test-nsup:namespace=test');
  let after = before;
  for (let i = 0; i < 100 && after < before + 20; i++) {
    await new Promise((r) => setTimeout(r, 20));
    after = await nsStat('expired_objects');
  }
  assert.ok(after >= before + 20, `expired ${before} -> ${after}`);
  assert.equal(await client.exists(key('forever')), true);
});

test('truncating a set hides its records at once and later writes are unaffected', async () => {
  for (let i = 0; i < 10; i++) await client.put(new Aerospike.Key('test', 'trunc', i), { i });
  await client.truncate('test', 'trunc', 0);
  for (let i = 0; i < 10; i++) assert.equal(await client.exists(new Aerospike.Key('test', 'trunc', i)), false);
  await new Promise((r) => setTimeout(r, 5));
  await client.put(new Aerospike.Key('test', 'trunc', 1), { i: 1 });
  assert.equal(await client.exists(new Aerospike.Key('test', 'trunc', 1)), true);
  const sets = await info('sets/test/trunc');
  assert.match(sets, /objects=1:/);
});

test('truncate with a last-update cut keeps records written after it', async () => {
  await client.put(new Aerospike.Key('test', 'trunc-lut', 'old'), { a: 1 });
  await new Promise((r) => setTimeout(r, 20));
  const cutNs = BigInt(await info('strato-test-clock')) * 1000000n;
  await new Promise((r) => setTimeout(r, 20));
  await client.put(new Aerospike.Key('test', 'trunc-lut', 'new'), { a: 1 });
  assert.equal(await info(`truncate:namespace=test;set=trunc-lut;lut=${cutNs}`), 'ok');
  assert.equal(await client.exists(new Aerospike.Key('test', 'trunc-lut', 'old')), false);
  assert.equal(await client.exists(new Aerospike.Key('test', 'trunc-lut', 'new')), true);
});

test('a truncate in the future is refused', async () => {
  const future = (BigInt(await info('strato-test-clock')) + 3600_000n) * 1000000n;
  await assert.rejects(info(`truncate:namespace=test;set=x;lut=${future}`), /would truncate in the future/);
});
