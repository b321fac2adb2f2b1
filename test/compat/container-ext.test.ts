/**
 * Lists and maps whose first element is an ext header carrying content (an offset or full index a
 * client or another server may send): Aerospike 8.1.2 keeps the flags, drops the content and stores
 * its compact form; a fixext 1 header is refused with SERVER_ERROR. Written with raw frames (the
 * official client never sends index bytes), read back with the official client.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { requestFrame } from '../helpers/raw-client.js';
import { encodeMessage, keyFields } from '../../src/client/message-encoder.js';
import { computeDigest } from '../../src/util/digest.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
const key = new Aerospike.Key('test', 'ext', 'k1');
const digest = computeDigest('ext', 3, Buffer.from('k1'));

before(async () => {
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
});
after(async () => {
  await client?.close(false);
  await server?.stop();
});

/** Writes one bin of particle type `type` (19 map, 20 list) with raw msgpack; answers the result code. */
async function writeRaw(bin: string, type: number, hex: string): Promise<number> {
  const req = encodeMessage({ info2: 1 }, keyFields('test', 'ext', digest), [{ op: 2, type, name: bin, value: Buffer.from(hex, 'hex') }]);
  return (await requestFrame('127.0.0.1', server.port, req, 5000))[13]!;
}

/** Reads a bin's stored bytes back as a raw frame (particle bytes of the first op). */
async function readRaw(bin: string): Promise<string> {
  const req = encodeMessage({ info1: 1 }, keyFields('test', 'ext', digest), [{ op: 1, type: 0, name: bin }]);
  const ans = await requestFrame('127.0.0.1', server.port, req, 5000);
  const opStart = 8 + 22;
  const size = ans.readUInt32BE(opStart);
  const nameLen = ans[opStart + 7]!;
  return ans.subarray(opStart + 8 + nameLen, opStart + 4 + size).toString('hex');
}

test('a key-ordered map with index bytes in its ext header is stored in the compact form', async () => {
  // {a:1, b:2, c:3} with a two-byte offset index in the ext
  assert.equal(await writeRaw('m', 19, '84c702010408c0a2036101a2036202a2036303'), 0);
  assert.equal(await readRaw('m'), '84c70001c0a2036101a2036202a2036303');
  const rec = await client.operate(key, [Aerospike.maps.getByKey('m', 'b', Aerospike.maps.returnType.VALUE)]);
  assert.equal(rec.bins.m, 2);
  await client.operate(key, [Aerospike.maps.put('m', 'd', 4)]);
  assert.equal(await readRaw('m'), '85c70001c0a2036101a2036202a2036303a2036404', 'still key-ordered');
});

test('persist-index and full-index headers keep only the order flags', async () => {
  assert.equal(await writeRaw('p', 19, '84c70011c0a2036101a2036202a2036303'), 0);
  assert.equal(await readRaw('p'), '84c70001c0a2036101a2036202a2036303');
  // key-value ordered with offset and value-order bytes (fixext 4 content)
  assert.equal(await writeRaw('kv', 19, '84d60303040800c0a2036101a2036202a2036303'), 0);
  assert.equal(await readRaw('kv'), '84c70003c0a2036101a2036202a2036303');
});

test('an ordered list with index bytes in its ext header keeps its flag and drops them', async () => {
  assert.equal(await writeRaw('l', 20, '94c702010102010203'), 0);
  assert.equal(await readRaw('l'), '94c70001010203');
  await client.operate(key, [Aerospike.lists.append('l', 0)]);
  assert.deepEqual((await client.get(key)).bins.l, [0, 1, 2, 3], 'appends still go to their sorted place');
});

test('a fixext 1 header is SERVER_ERROR and writes nothing', async () => {
  const before = (await client.get(key)).gen;
  assert.equal(await writeRaw('bad', 19, '84d40100c0a2036101a2036202a2036303'), 1);
  const rec = await client.get(key);
  assert.equal(rec.gen, before);
  assert.equal(rec.bins.bad, undefined);
});
