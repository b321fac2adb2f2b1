/**
 * Single-record commands through the official Aerospike Node.js client against a real strato
 * process: every command, policy and result code the node core promises.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { resultCode as code } from '../helpers/result-code.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
const NS = 'test';
const SET = 'kvc';
const key = (k: string | number) => new Aerospike.Key(NS, SET, k);


before(async () => {
  // test hooks: expiry is tested by moving the node's clock, not by sleeping
  server = await startStrato({ env: { STRATO_TEST_HOOKS: '1' } });
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
});

after(async () => {
  await client?.close(false);
  await server?.stop();
});

test('put then get returns every bin type unchanged with generation 1', async () => {
  const bins = {
    i: 42,
    neg: -7,
    big: BigInt('9223372036854775807'),
    f: 1.5,
    s: 'héllo',
    b: Buffer.from([0, 1, 2, 255]),
    l: [1, 'two', [3], { four: 4 }],
    m: { a: 1, b: [1, 2] },
    t: true,
  };
  await client.put(key('types'), bins);
  const rec = await client.get(key('types'));
  assert.equal(rec.gen, 1);
  assert.equal(rec.bins.i, 42);
  assert.equal(rec.bins.neg, -7);
  assert.equal(rec.bins.big, BigInt('9223372036854775807'));
  assert.equal(rec.bins.f, 1.5);
  assert.equal(rec.bins.s, 'héllo');
  assert.deepEqual(rec.bins.b, Buffer.from([0, 1, 2, 255]));
  assert.deepEqual(rec.bins.l, [1, 'two', [3], { four: 4 }]);
  assert.deepEqual(rec.bins.m, { a: 1, b: [1, 2] });
  assert.equal(rec.bins.t, true);
});

test('a GeoJSON bin round-trips as GeoJSON', async () => {
  const point = new Aerospike.GeoJSON({ type: 'Point', coordinates: [103.9, 1.3] });
  await client.put(key('geo'), { g: point });
  const rec = await client.get(key('geo'));
  assert.deepEqual(JSON.parse(String(rec.bins.g)), { type: 'Point', coordinates: [103.9, 1.3] });
});

test('get of a missing record answers KEY_NOT_FOUND (2)', async () => {
  assert.equal(await code(client.get(key('missing'))), Aerospike.status.ERR_RECORD_NOT_FOUND);
});

test('select returns only the named bins that exist', async () => {
  await client.put(key('sel'), { a: 1, b: 2, c: 3 });
  const rec = await client.select(key('sel'), ['a', 'c', 'zz']);
  assert.deepEqual(rec.bins, { a: 1, c: 3 });
});

test('exists is true for a stored record and false for a missing one', async () => {
  await client.put(key('ex'), { a: 1 });
  assert.equal(await client.exists(key('ex')), true);
  assert.equal(await client.exists(key('ex-missing')), false);
});

test('remove deletes the record and a second remove answers KEY_NOT_FOUND', async () => {
  await client.put(key('rm'), { a: 1 });
  await client.remove(key('rm'));
  assert.equal(await client.exists(key('rm')), false);
  assert.equal(await code(client.remove(key('rm'))), Aerospike.status.ERR_RECORD_NOT_FOUND);
});

test('a durable delete in a memory namespace answers ENTERPRISE_ONLY like Aerospike CE', async () => {
  await client.put(key('dd'), { a: 1 });
  assert.equal(await code(client.remove(key('dd'), { durableDelete: true })), Aerospike.status.ERR_ENTERPRISE_ONLY);
});

test('each write increments the generation', async () => {
  await client.put(key('gen'), { a: 1 });
  await client.put(key('gen'), { a: 2 });
  const rec = await client.get(key('gen'));
  assert.equal(rec.gen, 2);
});

test('touch bumps the generation and sets a new TTL', async () => {
  await client.put(key('touch'), { a: 1 }, { ttl: 100 });
  await client.operate(key('touch'), [Aerospike.operations.touch(1000)]);
  const rec = await client.get(key('touch'));
  assert.equal(rec.gen, 2);
  assert.ok(rec.ttl > 900 && rec.ttl <= 1000, `ttl ${rec.ttl}`);
});

test('TTL -1 never expires and the client reports it as never', async () => {
  await client.put(key('ttl-never'), { a: 1 }, { ttl: -1 });
  const rec = await client.get(key('ttl-never'));
  assert.equal(rec.ttl, -1);
});

test('TTL -2 on update keeps the existing void time', async () => {
  await client.put(key('ttl-keep'), { a: 1 }, { ttl: 5000 });
  await client.put(key('ttl-keep'), { a: 2 }, { ttl: -2 });
  const rec = await client.get(key('ttl-keep'));
  assert.ok(rec.ttl > 4900 && rec.ttl <= 5000, `ttl ${rec.ttl}`);
});

test('a TTL above ten years answers PARAMETER (4)', async () => {
  assert.equal(await code(client.put(key('ttl-big'), { a: 1 }, { ttl: 315360001 })), Aerospike.status.ERR_REQUEST_INVALID);
});

test('a record whose TTL passed is not found', async () => {
  await client.put(key('ttl-1'), { a: 1 }, { ttl: 1 });
  await client.infoAny('strato-test-clock:advance-sec=2');
  assert.equal(await code(client.get(key('ttl-1'))), Aerospike.status.ERR_RECORD_NOT_FOUND);
});

test('exists policy CREATE on an existing record answers KEY_EXISTS (5)', async () => {
  await client.put(key('create'), { a: 1 });
  const policy = new Aerospike.WritePolicy({ exists: Aerospike.policy.exists.CREATE });
  assert.equal(await code(client.put(key('create'), { a: 2 }, {}, policy)), Aerospike.status.ERR_RECORD_EXISTS);
});

test('exists policy UPDATE on a missing record answers KEY_NOT_FOUND and REPLACE drops other bins', async () => {
  const update = new Aerospike.WritePolicy({ exists: Aerospike.policy.exists.UPDATE });
  assert.equal(await code(client.put(key('upd-missing'), { a: 1 }, {}, update)), Aerospike.status.ERR_RECORD_NOT_FOUND);
  await client.put(key('replace'), { a: 1, b: 2 });
  const replace = new Aerospike.WritePolicy({ exists: Aerospike.policy.exists.REPLACE });
  await client.put(key('replace'), { c: 3 }, {}, replace);
  assert.deepEqual((await client.get(key('replace'))).bins, { c: 3 });
});

test('CREATE_OR_REPLACE creates a missing record and replaces an existing one', async () => {
  const cor = new Aerospike.WritePolicy({ exists: Aerospike.policy.exists.CREATE_OR_REPLACE });
  await client.put(key('cor'), { a: 1, b: 2 }, {}, cor);
  await client.put(key('cor'), { z: 9 }, {}, cor);
  assert.deepEqual((await client.get(key('cor'))).bins, { z: 9 });
});

test('generation policy EQ fails with GENERATION (3) on a stale generation', async () => {
  await client.put(key('geneq'), { a: 1 });
  const policy = new Aerospike.WritePolicy({ gen: Aerospike.policy.gen.EQ });
  assert.equal(await code(client.put(key('geneq'), { a: 2 }, { gen: 5 }, policy)), Aerospike.status.ERR_RECORD_GENERATION);
  await client.put(key('geneq'), { a: 3 }, { gen: 1 }, policy);
  assert.equal((await client.get(key('geneq'))).bins.a, 3);
});

test('generation policy GT only writes when the given generation is greater', async () => {
  await client.put(key('gengt'), { a: 1 });
  const policy = new Aerospike.WritePolicy({ gen: Aerospike.policy.gen.GT });
  assert.equal(await code(client.put(key('gengt'), { a: 2 }, { gen: 1 }, policy)), Aerospike.status.ERR_RECORD_GENERATION);
  await client.put(key('gengt'), { a: 3 }, { gen: 7 }, policy);
  assert.equal((await client.get(key('gengt'))).bins.a, 3);
});

test('send-key stores the user key and a mismatched key answers KEY_MISMATCH', async () => {
  const policy = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
  await client.put(key('sendkey'), { a: 1 }, {}, policy);
  const rec = await client.get(key('sendkey'), new Aerospike.ReadPolicy({ key: Aerospike.policy.key.SEND }));
  assert.equal(rec.bins.a, 1);
});

test('operate applies incr, append, prepend and reads in order', async () => {
  await client.put(key('op'), { n: 1, s: 'b', f: 1.5 });
  const ops = Aerospike.operations;
  const rec = await client.operate(key('op'), [
    ops.incr('n', 10),
    ops.append('s', 'c'),
    ops.prepend('s', 'a'),
    ops.incr('f', 2.25),
    ops.read('n'),
    ops.read('s'),
    ops.read('f'),
  ]);
  assert.deepEqual(rec.bins, { n: 11, s: 'abc', f: 3.75 });
});

test('incr on a string bin answers INCOMPATIBLE_TYPE (12)', async () => {
  await client.put(key('op-bad'), { s: 'x' });
  const ops = Aerospike.operations;
  assert.equal(await code(client.operate(key('op-bad'), [ops.incr('s', 1)])), Aerospike.status.ERR_BIN_INCOMPATIBLE_TYPE);
});

test('operate delete then write recreates the record with only the new bin', async () => {
  await client.put(key('op-del'), { a: 1, b: 2 });
  const ops = Aerospike.operations;
  await client.operate(key('op-del'), [ops.delete(), ops.write('c', 1)]);
  assert.deepEqual((await client.get(key('op-del'))).bins, { c: 1 });
});

test('operate touch extends the TTL', async () => {
  await client.put(key('op-touch'), { a: 1 }, { ttl: 50 });
  const ops = Aerospike.operations;
  await client.operate(key('op-touch'), [ops.touch(3000)]);
  const rec = await client.get(key('op-touch'));
  assert.ok(rec.ttl > 2900, `ttl ${rec.ttl}`);
});

test('a record over max-record-size answers RECORD_TOO_BIG (13)', async () => {
  assert.equal(await code(client.put(key('big'), { b: Buffer.alloc(1024 * 1024 + 1) })), Aerospike.status.ERR_RECORD_TOO_BIG);
  await client.put(key('big-ok'), { b: Buffer.alloc(512 * 1024) });
});

test('an unknown namespace answers NAMESPACE_NOT_FOUND (20)', async () => {
  assert.equal(await code(client.put(new Aerospike.Key('nons', SET, 1), { a: 1 })), Aerospike.status.ERR_NAMESPACE_NOT_FOUND);
});

test('setting a bin to null removes it and removing the last bin deletes the record', async () => {
  await client.put(key('nullbin'), { a: 1, b: 2 });
  await client.put(key('nullbin'), { a: null });
  assert.deepEqual((await client.get(key('nullbin'))).bins, { b: 2 });
  await client.put(key('nullbin'), { b: null });
  assert.equal(await client.exists(key('nullbin')), false);
});

test('info commands answer what tools expect', async () => {
  const node = client.getNodes()[0];
  const build = await client.infoNode('build', node);
  assert.match(build, /^build\t8\.1\.2\.0\n$/);
  const nss = await client.infoNode('namespaces', node);
  assert.match(nss, /test/);
  await assert.rejects(client.infoNode('no-such-command', node), /unrecognized command/);
});

test('compressed requests and responses round-trip when the client asks for compression', async () => {
  const policy = new Aerospike.WritePolicy({ compress: true });
  const big = 'x'.repeat(50_000);
  await client.put(key('compressed'), { s: big, n: 7 }, {}, policy);
  const rec = await client.get(key('compressed'), new Aerospike.ReadPolicy({ compress: true }));
  assert.equal(rec.bins.s, big);
  assert.equal(rec.bins.n, 7);
});
