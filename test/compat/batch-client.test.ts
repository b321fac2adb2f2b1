/**
 * Batch calls of the official client against a real strato process: each row is its own
 * transaction with its own result code.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
const key = (k: string | number) => new Aerospike.Key('test', 'batch', k);
const ops = () => Aerospike.operations;

before(async () => {
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  for (let i = 0; i < 10; i++) await client.put(key(i), { i, s: `v${i}` });
});
after(async () => {
  await client?.close(false);
  await server?.stop();
});


test('batchGet returns hits and misses in key order with per-row status', async () => {
  const results = await client.batchGet([key(1), key('missing'), key(2)]);
  assert.deepEqual(
    results.map((r: any) => r.status),
    [Aerospike.status.OK, Aerospike.status.ERR_RECORD_NOT_FOUND, Aerospike.status.OK],
  );
  assert.deepEqual(results[0].record.bins, { i: 1, s: 'v1' });
  assert.deepEqual(results[2].record.bins, { i: 2, s: 'v2' });
});

test('batchExists and batchSelect answer per row', async () => {
  const exists = await client.batchExists([key(3), key('nope')]);
  assert.deepEqual(exists.map((r: any) => r.status), [0, 2]);
  const sel = await client.batchSelect([key(4), key(5)], ['s']);
  assert.deepEqual(sel.map((r: any) => r.record.bins), [{ s: 'v4' }, { s: 'v5' }]);
});

test('a key repeated in one batch is processed once per occurrence', async () => {
  const results = await client.batchGet([key(6), key(6), key(6)]);
  assert.equal(results.length, 3);
  assert.ok(results.every((r: any) => r.status === 0 && r.record.bins.i === 6));
});

test('batchRead mixes all-bins, bin lists, header-only and read ops rows', async () => {
  const records = [
    { type: Aerospike.batchType.BATCH_READ, key: key(1), readAllBins: true },
    { type: Aerospike.batchType.BATCH_READ, key: key(2), bins: ['i'] },
    { type: Aerospike.batchType.BATCH_READ, key: key(3), readAllBins: false },
    { type: Aerospike.batchType.BATCH_READ, key: key(4), ops: [ops().read('s')] },
  ];
  const results = await client.batchRead(records);
  assert.deepEqual(results[0].record.bins, { i: 1, s: 'v1' });
  assert.deepEqual(results[1].record.bins, { i: 2 });
  assert.equal(results[2].status, 0);
  assert.deepEqual(results[3].record.bins, { s: 'v4' });
});

test('batchWrite applies write and operate rows with their own policies and codes', async () => {
  const records = [
    { type: Aerospike.batchType.BATCH_WRITE, key: key('w1'), ops: [ops().write('a', 1), ops().write('b', 'x')] },
    { type: Aerospike.batchType.BATCH_WRITE, key: key(7), ops: [ops().incr('i', 100), ops().read('i')] },
    {
      type: Aerospike.batchType.BATCH_WRITE,
      key: key(8),
      ops: [ops().write('z', 1)],
      policy: new Aerospike.BatchWritePolicy({ exists: Aerospike.policy.exists.CREATE }),
    },
    { type: Aerospike.batchType.BATCH_WRITE, key: key(9), ops: [ops().incr('s', 1)] },
  ];
  const results = await client.batchWrite(records);
  assert.deepEqual(
    results.map((r: any) => r.status),
    [0, 0, Aerospike.status.ERR_RECORD_EXISTS, Aerospike.status.ERR_BIN_INCOMPATIBLE_TYPE],
  );
  assert.equal(results[1].record.bins.i, 107);
  assert.deepEqual((await client.get(key('w1'))).bins, { a: 1, b: 'x' });
});

test('batchRemove removes existing records and reports missing ones', async () => {
  await client.put(key('r1'), { a: 1 });
  const results = await client.batchRemove([key('r1'), key('r-missing')]);
  assert.deepEqual(results.map((r: any) => r.status), [0, 2]);
  assert.equal(await client.exists(key('r1')), false);
});

test('batchApply of an unknown UDF module answers UDF_EXECUTION per row', async () => {
  // the client turns failed rows into a batch-level error
  await assert.rejects(client.batchApply([key(1), key(2)], { module: 'no_such', funcname: 'f', args: [] }), /batch sub-commands failed/);
});

test('a batch of 5000 rows is answered row by row', async () => {
  const keys = Array.from({ length: 5000 }, (_, i) => key(i % 20));
  const results = await client.batchGet(keys);
  assert.equal(results.length, 5000);
  assert.equal(results.filter((r: any) => r.status === 0).length, 5000 / 2);
});

test('with batch-max-requests at its 8.1 default of 0 a batch of 5001 rows is answered', async () => {
  const keys = Array.from({ length: 5001 }, (_, i) => key(i % 20));
  const results = await client.batchGet(keys);
  assert.equal(results.length, 5001);
});

test('a batch over batch-max-requests is refused whole with BATCH_MAX_REQUESTS', async () => {
  const node = client.getNodes()[0];
  assert.match(await client.infoNode('set-config:context=service;batch-max-requests=5000', node), /ok/);
  try {
    const keys = Array.from({ length: 5001 }, (_, i) => key(i));
    await assert.rejects(client.batchGet(keys), (e: any) => e.code === Aerospike.status.ERR_BATCH_MAX_REQUESTS_EXCEEDED);
  } finally {
    await client.infoNode('set-config:context=service;batch-max-requests=0', node);
  }
});

test('batch statistics count initiated and completed batches', async () => {
  const node = client.getNodes()[0];
  const stats: string = await client.infoNode('statistics', node);
  const initiated = Number(/batch_index_initiate=(\d+)/.exec(stats)![1]);
  const complete = Number(/batch_index_complete=(\d+)/.exec(stats)![1]);
  assert.ok(initiated >= 7 && complete >= 6, stats);
});

test('namespace statistics count batch sub-transactions by kind and outcome', async () => {
  const node = client.getNodes()[0];
  const ns: string = await client.infoNode('namespace/test', node);
  const stat = (name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(ns)![1]);
  assert.ok(stat('batch_sub_read_success') >= 20, ns);
  assert.ok(stat('batch_sub_read_not_found') >= 2);
  assert.ok(stat('batch_sub_write_success') >= 2);
  assert.ok(stat('batch_sub_write_error') >= 2);
  assert.ok(stat('batch_sub_delete_success') >= 1);
  assert.ok(stat('batch_sub_udf_error') >= 2);
});

test('latencies report batch-index and per-namespace read histograms', async () => {
  const node = client.getNodes()[0];
  const lat: string = await client.infoNode('latencies', node);
  // 8.1's layout: name:msec,<ops/sec>,<17 percentages>, or name: before the ticker's second dump
  assert.match(lat, /(^|\t)batch-index:(msec,[\d.]+(,[\d.]+){17})?;/);
  assert.match(lat, /;\{test\}-read:(msec,[\d.]+(,[\d.]+){17})?;/);
});
