/**
 * A write operate with a read-all op (a READ without bin name, INFO1 READ|GET_ALL, what the
 * official client sends for `operations.read('')`) answers every bin as it stands at that op, in
 * single-record and batch writes; the requests Aerospike 8.1.2 refuses are PARAMETER (raw frames
 * where the client cannot build them).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { resultCode } from '../helpers/result-code.js';
import { requestFrame } from '../helpers/raw-client.js';
import { encodeMessage, keyFields } from '../../src/client/message-encoder.js';
import { computeDigest } from '../../src/util/digest.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
const ops = Aerospike.operations;
const key = (k: string) => new Aerospike.Key('test', 'rall', k);
const PARAMETER = 4;

before(async () => {
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
});
after(async () => {
  await client?.close(false);
  await server?.stop();
});

test('a write operate with a read-all op answers the record bins after the writes before it', async () => {
  await client.put(key('a'), { a: 1, b: 'x' });
  const rec = await client.operate(key('a'), [ops.write('c', 3), ops.incr('a', 10), ops.read('')]);
  assert.deepEqual(rec.bins, { a: 11, b: 'x', c: 3 });
  assert.equal(rec.gen, 2);
  const first = await client.operate(key('a'), [ops.read(''), ops.write('d', 4)]);
  assert.deepEqual(first.bins, { a: 11, b: 'x', c: 3 }, 'a read-all before a write sees the record as it was');
  assert.deepEqual((await client.get(key('a'))).bins, { a: 11, b: 'x', c: 3, d: 4 });
  const created = await client.operate(key('new'), [ops.write('n', 1), ops.read('')]);
  assert.deepEqual(created.bins, { n: 1 });
});

test('batch write rows with a read-all op answer their bins', async () => {
  await client.put(key('b1'), { a: 1 });
  const rows = await client.batchWrite([
    { type: Aerospike.batchType.BATCH_WRITE, key: key('b1'), ops: [ops.write('c', 3), ops.read('')] },
    { type: Aerospike.batchType.BATCH_WRITE, key: key('b2'), ops: [ops.write('q', 1), ops.read('')] },
  ]);
  assert.deepEqual(rows.map((r: any) => [r.status, r.record.bins]), [
    [0, { a: 1, c: 3 }],
    [0, { q: 1 }],
  ]);
});

test('a read-all op mixed with ops answering bins, or twice, is PARAMETER', async () => {
  await client.put(key('c'), { a: 1 });
  assert.equal(await resultCode(client.operate(key('c'), [ops.write('b', 2), ops.read(''), ops.read('a')])), PARAMETER);
  assert.equal(await resultCode(client.operate(key('c'), [ops.write('b', 2), ops.read(''), Aerospike.lists.append('l', 1)])), PARAMETER);
  assert.equal(await resultCode(client.operate(key('c'), [ops.write('b', 2), ops.read(''), ops.read('')])), PARAMETER);
  assert.deepEqual((await client.get(key('c'))).bins, { a: 1 }, 'nothing was written');
});

test('GET_ALL without a read-all op, or with RESPOND_ALL_OPS, is PARAMETER (raw frames)', async () => {
  await client.put(key('d'), { a: 1 });
  const digest = computeDigest('rall', 3, Buffer.from('d'));
  const send = async (info1: number, info2: number, readAll: boolean): Promise<number> => {
    const intVal = Buffer.alloc(8);
    intVal.writeBigInt64BE(2n);
    const o = [{ op: 2, type: 1, name: 'c', value: intVal }];
    if (readAll) o.push({ op: 1, type: 0, name: '', value: Buffer.alloc(0) });
    const answer = await requestFrame('127.0.0.1', server.port, encodeMessage({ info1, info2 }, keyFields('test', 'rall', digest), o), 5000);
    return answer[13]!;
  };
  assert.equal(await send(0x03, 0x01, false), PARAMETER, 'READ|GET_ALL on a plain write');
  assert.equal(await send(0x02, 0x01, false), PARAMETER, 'GET_ALL alone');
  assert.equal(await send(0x03, 0x01 | 0x80, true), PARAMETER, 'with RESPOND_ALL_OPS');
  assert.equal(await send(0x03, 0x01, true), 0);
  assert.deepEqual((await client.get(key('d'))).bins, { a: 1, c: 2 });
});
