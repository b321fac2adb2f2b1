/**
 * recordSize() / memorySize() / deviceSize() in expressions report Aerospike 8.1's stored record
 * size (its flat record form rounded to 16-byte blocks), through the official client, so
 * `recordSize() > N` filters select what they select on Aerospike.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { resultCode } from '../helpers/result-code.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
const exp = Aerospike.exp;

before(async () => {
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
});
after(async () => {
  await client?.close(false);
  await server?.stop();
});

async function sizes(key: any): Promise<{ record: number; memory: number; device: number }> {
  const rec = await client.operate(key, [
    exp.operations.read('r', exp.recordSize(), 0),
    exp.operations.read('m', exp.memorySize(), 0),
    exp.operations.read('d', exp.deviceSize(), 0),
  ]);
  return { record: rec.bins.r, memory: rec.bins.m, device: rec.bins.d };
}

test('a small record takes whole 16-byte blocks of its flat form (header 35, set, bins, end mark 4)', async () => {
  const key = new Aerospike.Key('test', 'rs', 'a');
  await client.put(key, { i: 7 });
  // 35 + set (1 + 2) + bin count 1 + bin (1 + 1 name, 2 + 1 int) + 4 = 48
  assert.deepEqual(await sizes(key), { record: 48, memory: 48, device: 0 });
  await client.put(key, { i: 70000 });
  // the integer now takes 4 bytes: 50 → 64
  assert.equal((await sizes(key)).record, 64);
});

test('a TTL, a stored key and strings, floats and lists add what the flat form holds', async () => {
  const key = new Aerospike.Key('test', 'rs', 'key1');
  await client.put(key, { s: 'hello', f: 1.5, l: [1, 2, 3] }, { ttl: 1000 }, new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND }));
  // 35 + void time 4 + set 3 + key (1 + 1 type + 4) + bin count 1
  // + s (2 + 5 + 5) + f (2 + 9) + l (2 + 5 + 4 msgpack) + end 4 = 87 → 96
  assert.equal((await sizes(key)).record, 96);
});

test('the size is the stored one: an operate sees the record as it was before its own writes', async () => {
  const key = new Aerospike.Key('test', 'rs', 'b');
  await client.put(key, { i: 1 });
  const rec = await client.operate(key, [Aerospike.operations.write('big', 'x'.repeat(100)), exp.operations.read('r', exp.recordSize(), 0)]);
  assert.equal(rec.bins.r, 48);
  assert.ok((await sizes(key)).record > 100);
});

test('recordSize() > N filters select by the flat size', async () => {
  const small = new Aerospike.Key('test', 'rs', 'small');
  const large = new Aerospike.Key('test', 'rs', 'large');
  await client.put(small, { v: 'x' });
  await client.put(large, { v: 'x'.repeat(200) });
  const policy = new Aerospike.ReadPolicy({ filterExpression: exp.gt(exp.recordSize(), exp.int(200)) });
  assert.equal(await resultCode(client.get(small, policy)), 27);
  assert.equal((await client.get(large, policy)).bins.v.length, 200);
});
