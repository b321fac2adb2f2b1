/** Partition scans through the official client against a real strato process. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
const N = 500;

before(async () => {
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  const policy = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
  for (let i = 0; i < N; i++) await client.put(new Aerospike.Key('test', 'scanset', i), { n: i, s: `v${i}` }, {}, policy);
  await client.put(new Aerospike.Key('test', 'otherset', 1), { n: -1 });
});

after(async () => {
  await client?.close(false);
  await server?.stop();
});

async function collect(scan: any, policy?: any): Promise<any[]> {
  const out: any[] = [];
  const stream = scan.foreach(policy);
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (r: any) => out.push(r));
    stream.on('error', reject);
    stream.on('end', () => resolve());
  });
  return out;
}

test('a scan of a set returns every record of that set once, with its stored key', async () => {
  const recs = await collect(client.scan('test', 'scanset'));
  assert.equal(recs.length, N);
  const ns = new Set(recs.map((r) => r.bins.n));
  assert.equal(ns.size, N);
  assert.ok(recs.every((r) => typeof r.key.key === 'number' && r.bins.s === `v${r.key.key}`));
});

test('a scan selecting one bin returns only that bin', async () => {
  const scan = client.scan('test', 'scanset', { select: ['s'] });
  const recs = await collect(scan);
  assert.equal(recs.length, N);
  assert.ok(recs.every((r) => Object.keys(r.bins).join() === 's'));
});

test('a scan without bin data returns metadata only', async () => {
  const scan = client.scan('test', 'scanset', { nobins: true });
  const recs = await collect(scan);
  assert.equal(recs.length, N);
  assert.ok(recs.every((r) => Object.keys(r.bins ?? {}).length === 0 && r.gen === 1));
});

test('maxRecords bounds a scan', async () => {
  const recs = await collect(client.scan('test', 'scanset'), new Aerospike.ScanPolicy({ maxRecords: 37 }));
  assert.ok(recs.length <= 37 && recs.length > 0, `got ${recs.length}`);
});

test('a partition-range scan returns only records of those partitions', async () => {
  const scan = client.scan('test', 'scanset');
  scan.partitions(0, 2048);
  const first = await collect(scan);
  const scan2 = client.scan('test', 'scanset');
  scan2.partitions(2048, 2048);
  const second = await collect(scan2);
  assert.equal(first.length + second.length, N);
});

test('query-show lists a finished scan job', async () => {
  await collect(client.scan('test', 'scanset'));
  const node = client.getNodes()[0];
  const jobs = await client.infoNode('query-show', node);
  assert.match(jobs, /status=done\(ok\)/);
});
