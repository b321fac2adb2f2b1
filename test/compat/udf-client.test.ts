/** Lua record UDFs through the official client: register, apply, batch apply, errors. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { FIXTURES } from '../helpers/paths.js';
import { connectClient } from '../helpers/client.js';

const LUA = join(FIXTURES, 'udf', 'strato_test.lua');
let server: StratoProcess;
let client: any;
const key = (k: number | string) => new Aerospike.Key('test', 'udf', k);

before(async () => {
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  const job = await client.udfRegister(LUA);
  await job.wait(50);
});
after(async () => {
  await client?.close(false);
  await server?.stop();
});

test('a registered module is listed by udf-list', async () => {
  const list: string = await client.infoAny('udf-list');
  assert.match(list, /filename=strato_test\.lua,hash=[0-9a-f]{40},type=LUA;/);
});

test('apply creates and updates a record and returns the function result', async () => {
  assert.equal(await client.apply(key(1), { module: 'strato_test', funcname: 'add_bin', args: ['n', 5] }), 5);
  assert.equal(await client.apply(key(1), { module: 'strato_test', funcname: 'add_bin', args: ['n', 2] }), 7);
  const rec = await client.get(key(1));
  assert.equal(rec.bins.n, 7);
  assert.equal(rec.gen, 2);
});

test('a Lua map comes back as a map', async () => {
  await client.put(key(2), { a: 1, b: 2 });
  assert.deepEqual(await client.apply(key(2), { module: 'strato_test', funcname: 'describe', args: [] }), { gen: 1, bins: 2 });
});

test('a Lua error answers UDF_EXECUTION with the error text', async () => {
  await client.put(key(3), { a: 1 });
  await assert.rejects(client.apply(key(3), { module: 'strato_test', funcname: 'boom', args: [] }), (e: any) => {
    return e.code === Aerospike.status.ERR_UDF && /intentional/.test(e.message);
  });
});

test('batchApply runs the function on every row', async () => {
  const results = await client.batchApply([key(10), key(11), key(12)], { module: 'strato_test', funcname: 'add_bin', args: ['c', 1] });
  assert.deepEqual(results.map((r: any) => [r.status, r.record.bins.SUCCESS]), [[0, 1], [0, 1], [0, 1]]);
});

test('udfRemove unregisters the module and apply then fails', async () => {
  const job = await client.udfRemove('strato_test.lua');
  await job.wait(50);
  await assert.rejects(client.apply(key(1), { module: 'strato_test', funcname: 'add_bin', args: ['n', 1] }), (e: any) => e.code === Aerospike.status.ERR_UDF);
});
