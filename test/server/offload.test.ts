/**
 * Long pure work off the event loop (issue 16.2, server/offload.ts): a large GeoJSON region is
 * covered and CDT ops on large lists and maps run on a worker thread before the transaction. The
 * answers and stored values are exactly those computed in line; a result computed on a bin that
 * changed meanwhile is never used. Large puts of plain bin writes are applied there too.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';
import { WireConnection } from '../../src/client/wire-connection.js';
import { encodeGet } from '../../src/client/message-encoder.js';
import { computeDigest } from '../../src/util/digest.js';
import { parseMessage } from '../../src/protocol/message.js';
import { encodeGeoJsonParticle } from '../../src/geo/index.js';
import { OFFLOAD_CDT_MIN_BYTES, OFFLOAD_GEOJSON_MIN_BYTES, OFFLOAD_WRITE_MIN_OPS } from '../../src/server/offload.js';
import { setOffloadedParticleOp, setOffloadedWrite, takeOffloadedParticleOp, takeOffloadedWrite } from '../../src/values/offloaded.js';
import { Particle } from '../../src/protocol/particle.js';

let server: StratoProcess;
let client: any;
const SET = 'offload';
const key = (k: string) => new Aerospike.Key('test', SET, k);
const slow = { totalTimeout: 120_000, socketTimeout: 120_000 };

before(async () => {
  server = await startStrato({
    config: `namespace test {\n  replication-factor 1\n  max-record-size 8M\n  storage-engine memory {\n    data-size 1G\n  }\n}\n`,
  });
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
});
after(async () => {
  await client?.close(false);
  await server?.stop();
});

/** The node's `offload_requests` statistic. */
async function offloaded(port = server.port): Promise<number> {
  const conn = await WireConnection.open('127.0.0.1', port);
  try {
    const text = (await conn.info(['statistics'])).get('statistics') ?? '';
    return Number(/offload_requests=(\d+)/.exec(text)![1]);
  } finally {
    conn.close();
  }
}

/** A star-shaped polygon of `vertices` points around (10, 20). */
function polygon(vertices: number): string {
  const ring: [number, number][] = [];
  for (let i = 0; i < vertices; i++) {
    const a = (2 * Math.PI * i) / vertices;
    const r = 1 + 0.1 * Math.sin(a * 37);
    ring.push([10 + r * Math.cos(a), 20 + r * Math.sin(a)]);
  }
  ring.push(ring[0]!);
  return JSON.stringify({ type: 'Polygon', coordinates: [ring] });
}

test('a GeoJSON polygon of 25,000 vertices is stored with the cells covering it in line gives', async () => {
  const json = polygon(25_000);
  assert.ok(json.length >= OFFLOAD_GEOJSON_MIN_BYTES, 'large enough to be covered on the worker');
  const before = await offloaded();
  await client.put(key('poly'), { g: new Aerospike.GeoJSON(json) }, {}, slow);
  assert.equal(await offloaded(), before + 1, 'the covering ran on the worker');
  const conn = await WireConnection.open('127.0.0.1', server.port);
  try {
    const body = await conn.request(encodeGet('test', SET, computeDigest(SET, 3, Buffer.from('poly'))));
    const msg = parseMessage(body, 0, body.length);
    assert.equal(msg.resultCode, 0);
    assert.equal(msg.ops[0]!.particleType, Particle.GEOJSON);
    assert.deepEqual(msg.ops[0]!.value, encodeGeoJsonParticle(json), 'flags, S2 cells and text as covered in line');
  } finally {
    conn.close();
  }
});

test('an invalid large GeoJSON value is refused with GEO_INVALID_GEOJSON (160) as in line', async () => {
  const json = JSON.stringify({ type: 'Polygon', coordinates: [[[0, 0], [1, 1], [2, 2]]], pad: 'x'.repeat(OFFLOAD_GEOJSON_MIN_BYTES) });
  await assert.rejects(client.put(key('badpoly'), { g: new Aerospike.GeoJSON(json) }, {}, slow), (e: any) => e.code === 160);
});

test('CDT ops on a list and a map of 100,000 elements answer what the operations define', async () => {
  const items = Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 100_003);
  assert.ok(items.length * 4 >= OFFLOAD_CDT_MIN_BYTES);
  const before = await offloaded();
  const appended = await client.operate(key('list'), [Aerospike.lists.appendItems('l', items)], {}, slow);
  assert.equal(appended.bins.l, 100_000, 'append answers the new size');
  await client.operate(key('list'), [Aerospike.lists.sort('l', 0)], {}, slow);
  const sorted = [...items].sort((a, b) => a - b);
  const range = await client.operate(key('list'), [Aerospike.lists.getRange('l', 500, 5)], {}, slow);
  assert.deepEqual(range.bins.l, sorted.slice(500, 505));
  const map: Record<string, number> = {};
  for (let i = 0; i < 100_000; i++) map[`k${(i * 7919) % 100_003}`] = i;
  const put = await client.operate(key('map'), [Aerospike.maps.putItems('m', map, { order: Aerospike.maps.order.KEY_ORDERED })], {}, slow);
  assert.equal(put.bins.m, 100_000, 'put-items answers the new size');
  const byRank = await client.operate(key('map'), [Aerospike.maps.getByRankRange('m', 10, 3, Aerospike.maps.returnType.KEY)], {}, slow);
  const expected = Object.entries(map)
    .sort((a, b) => a[1] - b[1])
    .slice(10, 13)
    .map(([k]) => k);
  assert.deepEqual([...byRank.bins.m].sort(), expected.sort());
  assert.equal(await offloaded(), before + 5, 'each op ran on the worker');
  // a write between two large ops still lands: the second op sees it
  await client.operate(key('list'), [Aerospike.lists.insert('l', 0, -1)], {}, slow);
  const head = await client.operate(key('list'), [Aerospike.lists.getRange('l', 0, 2)], {}, slow);
  assert.deepEqual(head.bins.l, [-1, sorted[0]]);
});

test('an error a CDT op raises on the worker is the answer in line gives (INCOMPATIBLE_TYPE on a map op to a list)', async () => {
  await assert.rejects(client.operate(key('list'), [Aerospike.maps.getByRankRange('l', 0, 1, Aerospike.maps.returnType.KEY)], {}, slow), (e: any) => e.code === 12);
});

test('puts of many bins applied on the worker store what in-line puts store: merge, update, delete, replace, generation', async () => {
  const n = OFFLOAD_WRITE_MIN_OPS * 2;
  const first: Record<string, number | string> = {};
  for (let i = 0; i < n; i++) first[`b${i}`] = i;
  const before = await offloaded();
  await client.put(key('many'), first, {}, slow);
  // a second put updates half, adds new bins and deletes one (a null value deletes the bin)
  const second: Record<string, number | string | null> = {};
  for (let i = 0; i < n; i += 2) second[`b${i}`] = `s${i}`;
  for (let i = 0; i < 10; i++) second[`new${i}`] = i;
  second['b1'] = null;
  await client.put(key('many'), second, {}, slow);
  assert.equal(await offloaded(), before + 2, 'both puts ran on the worker');
  const rec = await client.get(key('many'), slow);
  assert.equal(rec.gen, 2);
  const expected: Record<string, number | string> = { ...first };
  for (const [k, v] of Object.entries(second)) {
    if (v === null) delete expected[k];
    else expected[k] = v;
  }
  assert.deepEqual(rec.bins, expected);
  // a replace keeps only the bins it writes
  const third: Record<string, number> = {};
  for (let i = 0; i < n; i++) third[`r${i}`] = -i - 1;
  await client.put(key('many'), third, {}, { ...slow, exists: Aerospike.policy.exists.REPLACE });
  assert.deepEqual((await client.get(key('many'), slow)).bins, third);
});

test('refusals of a put of many bins are the in-line ones: a bin delete in a replace (4), create-only on a record that exists (5)', async () => {
  const bins: Record<string, number | null> = {};
  for (let i = 0; i < OFFLOAD_WRITE_MIN_OPS; i++) bins[`b${i}`] = i;
  const before = await offloaded();
  await assert.rejects(client.put(key('refused'), { ...bins, gone: null }, {}, { ...slow, exists: Aerospike.policy.exists.CREATE_OR_REPLACE }), (e: any) => e.code === 4);
  await client.put(key('refused'), bins, {}, slow);
  await assert.rejects(client.put(key('refused'), bins, {}, { ...slow, exists: Aerospike.policy.exists.CREATE }), (e: any) => e.code === 5);
  assert.equal((await client.get(key('refused'), slow)).gen, 1);
  assert.equal(await offloaded(), before + 3, 'all three went to the worker');
});

test('an operate mixing large CDT ops with other ops answers as in line, also when an op rewrites the bin between two CDT ops', async () => {
  const items = Array.from({ length: 50_000 }, (_, i) => i);
  await client.put(key('mixed'), { other: 1 }, {}, slow);
  const before = await offloaded();
  const r = await client.operate(
    key('mixed'),
    [Aerospike.lists.appendItems('l', items), Aerospike.operations.incr('other', 1), Aerospike.lists.size('l'), Aerospike.operations.read('other')],
    {},
    slow,
  );
  assert.equal(await offloaded(), before + 1, 'the CDT ops ran on the worker');
  assert.equal(r.bins.l, 50_000);
  assert.equal(r.bins.other, 2);
  // the WRITE of l between the two CDT ops changes the second one's input: it is computed in line
  const w = await client.operate(
    key('mixed'),
    [Aerospike.lists.sort('l', 0), Aerospike.operations.write('l', [7, 8, 9]), Aerospike.lists.getRange('l', 1, 2)],
    {},
    slow,
  );
  assert.deepEqual(w.bins.l, [8, 9]);
  assert.deepEqual((await client.get(key('mixed'), slow)).bins, { other: 2, l: [7, 8, 9] });
});

test('batch rows with a large polygon or a large CDT op run them on the worker and answer as in line', async () => {
  const json = polygon(25_000);
  const items = Array.from({ length: 100_000 }, (_, i) => i);
  const before = await offloaded();
  const results = await client.batchWrite(
    [
      { type: Aerospike.batchType.BATCH_WRITE, key: key('bpoly'), ops: [Aerospike.operations.write('g', new Aerospike.GeoJSON(json))] },
      { type: Aerospike.batchType.BATCH_WRITE, key: key('blist'), ops: [Aerospike.lists.appendItems('l', items)] },
      { type: Aerospike.batchType.BATCH_WRITE, key: key('bsmall'), ops: [Aerospike.operations.write('v', 1)] },
    ],
    slow,
  );
  assert.deepEqual(
    results.map((r: any) => r.status),
    [0, 0, 0],
  );
  assert.equal(results[1].record.bins.l, 100_000);
  assert.equal(await offloaded(), before + 2, 'the polygon row and the list row ran on the worker');
  const conn = await WireConnection.open('127.0.0.1', server.port);
  try {
    const body = await conn.request(encodeGet('test', SET, computeDigest(SET, 3, Buffer.from('bpoly'))));
    assert.deepEqual(parseMessage(body, 0, body.length).ops[0]!.value, encodeGeoJsonParticle(json));
  } finally {
    conn.close();
  }
  const list = await client.operate(key('blist'), [Aerospike.lists.getRange('l', 99_998, 2)], {}, slow);
  assert.deepEqual(list.bins.l, [99_998, 99_999]);
});

test('on device storage, puts of many bins and a large CDT op done on the worker survive a restart', async () => {
  // the data file outlives both processes (each removes its own temporary directory when stopped)
  const dataDir = mkdtempSync(join(tmpdir(), 'offload-dev-'));
  const config = `namespace test {\n  replication-factor 1\n  storage-engine device {\n    file ${dataDir}/d.dat\n    filesize 64M\n    write-block-size 1M\n  }\n}\n`;
  const dev = await startStrato({ config });
  let c: any;
  try {
    c = await connectClient({ hosts: [{ addr: '127.0.0.1', port: dev.port }], log: { level: -1 } as any });
    const bins: Record<string, number | string> = {};
    for (let i = 0; i < OFFLOAD_WRITE_MIN_OPS * 2; i++) bins[`b${i}`] = i;
    await c.put(key('dev'), bins, {}, slow);
    const upd: Record<string, string> = {};
    for (let i = 0; i < OFFLOAD_WRITE_MIN_OPS * 2; i += 2) upd[`b${i}`] = `s${i}`;
    await c.put(key('dev'), upd, {}, slow);
    await c.operate(key('dev'), [Aerospike.lists.appendItems('l', Array.from({ length: 30_000 }, (_, i) => i))], {}, slow);
    assert.equal(await offloaded(dev.port), 3, 'both puts and the append ran on the worker');
    const before = await c.get(key('dev'), slow);
    assert.equal(before.gen, 3);
    assert.equal(before.bins.b2, 's2');
    assert.equal(before.bins.b3, 3);
    assert.equal(before.bins.l.length, 30_000);
    await c.close(false);
    c = undefined;
    await dev.stop();
    const again = await startStrato({ config });
    try {
      c = await connectClient({ hosts: [{ addr: '127.0.0.1', port: again.port }], log: { level: -1 } as any });
      const after = await c.get(key('dev'), slow);
      assert.equal(after.gen, 3);
      assert.deepEqual(after.bins, before.bins, 'the cold start reads what the worker built');
    } finally {
      await c?.close(false);
      c = undefined;
      await again.stop();
    }
  } finally {
    await c?.close(false);
    await dev.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a write computed on a record that has changed since is not used, and is used once', () => {
  const body = Buffer.from('request');
  const outcome = { record: Buffer.from('new record'), binCount: 1 };
  setOffloadedWrite(body, Buffer.from('old'), outcome);
  assert.equal(takeOffloadedWrite(body, Buffer.from('other')), undefined, 'other bytes: compute in line');
  setOffloadedWrite(body, Buffer.from('old'), outcome);
  assert.equal(takeOffloadedWrite(body, undefined), undefined, 'record gone: compute in line');
  setOffloadedWrite(body, undefined, outcome);
  assert.equal(takeOffloadedWrite(body, Buffer.from('old')), undefined, 'record created meanwhile: compute in line');
  setOffloadedWrite(body, Buffer.from('old'), outcome);
  assert.equal(takeOffloadedWrite(body, Buffer.from('old')), outcome, 'same bytes: the computed record');
  assert.equal(takeOffloadedWrite(body, Buffer.from('old')), undefined, 'used once');
});

test('a result computed on a bin that has changed since is not used, and is used once', () => {
  const payload = Buffer.from([0x93, 1, 2, 3]);
  const input = { type: Particle.LIST, value: Buffer.from([0x91, 1]) };
  const outcome = { result: { type: Particle.INTEGER, value: Buffer.alloc(8, 1) }, newBin: undefined };
  setOffloadedParticleOp(payload, { input, outcome });
  assert.equal(takeOffloadedParticleOp(payload, { type: Particle.LIST, value: Buffer.from([0x91, 2]) }), undefined, 'other bytes: compute in line');
  setOffloadedParticleOp(payload, { input, outcome });
  assert.equal(takeOffloadedParticleOp(payload, undefined), undefined, 'bin gone: compute in line');
  setOffloadedParticleOp(payload, { input, outcome });
  const used = takeOffloadedParticleOp(payload, { type: Particle.LIST, value: Buffer.from([0x91, 1]) });
  assert.ok(used, 'same bytes: the computed outcome');
  assert.equal(takeOffloadedParticleOp(payload, { type: Particle.LIST, value: Buffer.from([0x91, 1]) }), undefined, 'used once');
});
