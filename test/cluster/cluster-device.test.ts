/**
 * A cluster on device storage: a node restarted with its data files merges what it kept with what
 * changed while it was away (newer generations win), and a rolling restart of every node under a
 * client load loses no acknowledged write and fails (almost) no request: a node stopped with
 * SIGTERM tells its peers and keeps serving until they have taken over.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { localNodeSpecs, TestCluster } from '../helpers/strato-cluster.js';
import { connectClient } from '../helpers/client.js';

const N = 3000;
/**
 * Pause of each load writer between two writes, ms: 8 writers write at most ~1,600 times a second.
 * Unpaced they wrote ~4,000 a second, and that load (client, node and replica CPU) took most of
 * the file's CPU and slowed the migrations the restarts wait for.
 */
const WRITER_PACE_MS = 5;
let dataDir: string;
let cluster: TestCluster;
let client: any;
const key = (i: number) => new Aerospike.Key('test', 'dev', i);

async function putAll(from: number, to: number, step: number, bins: (i: number) => Record<string, unknown>): Promise<void> {
  const jobs: Promise<unknown>[] = [];
  for (let i = from; i < to; i += step) {
    jobs.push(client.put(key(i), bins(i)));
    if (jobs.length >= 64) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'strato-cluster-dev-'));
  const specs = await localNodeSpecs(3);
  for (const s of specs) mkdirSync(join(dataDir, s.nodeId));
  cluster = new TestCluster(specs, {
    replicationFactor: 2,
    storage: (s) => `  storage-engine device {\n    file ${join(dataDir, s.nodeId, 'data.dat')}\n    filesize 64M\n  }`,
  });
  await cluster.startAll();
  await cluster.waitStable([0, 1, 2], 3);
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: specs[0]!.servicePort }], log: { level: -1 } as any });
});

after(async () => {
  await client?.close(false);
  await cluster?.stopAll();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a node restarted with its data merges it back: records updated meanwhile keep the newer copy', async () => {
  await putAll(0, N, 1, (i) => ({ i, v: 'first' }));
  await cluster.kill(2, 'SIGTERM');
  await cluster.waitStable([0, 1], 2);
  await putAll(0, N, 2, (i) => ({ i, v: 'second' }));
  await cluster.start(2);
  assert.match(cluster.procs[2]!.output(), /cold start loaded [1-9]\d* records/);
  await cluster.waitStable([0, 1, 2], 3);
  const wrong: number[] = [];
  for (let i = 0; i < N; i += 64) {
    const recs = await Promise.all(Array.from({ length: Math.min(64, N - i) }, (_, j) => client.get(key(i + j))));
    recs.forEach((r: any, j: number) => {
      if (r.bins.v !== ((i + j) % 2 === 0 ? 'second' : 'first')) wrong.push(i + j);
    });
  }
  assert.deepEqual(wrong.slice(0, 10), []);
  assert.equal(await cluster.sumNamespaceStat([0, 1, 2], 'master_objects'), N);
  assert.equal(await cluster.sumNamespaceStat([0, 1, 2], 'prole_objects'), N);
  assert.equal(await cluster.sumNamespaceStat([0, 1, 2], 'non_replica_objects'), 0);
});

test('a rolling restart of every node under load loses no acknowledged write', async (t) => {
  const acked = new Map<number, number>();
  const attempted = new Set<number>(); // a write that failed at the client may still have landed (AP)
  let stop = false;
  let errors = 0;
  let successes = 0;
  const deadline = Date.now() + 60_000; // bounded even if the restarts stall
  const writers = Array.from({ length: 8 }, async (_, w) => {
    let n = 0;
    while (!stop && Date.now() < deadline) {
      const k = N + w * 1000 + (n % 200);
      const version = n++;
      attempted.add(k);
      try {
        await client.put(key(k), { ver: version });
        acked.set(k, version);
        successes++;
      } catch {
        errors++; // requests caught by a node going down; the client retries the next one
      }
      await new Promise((r) => setTimeout(r, WRITER_PACE_MS));
    }
  });
  for (const i of [0, 1, 2]) {
    await cluster.kill(i, 'SIGTERM');
    await cluster.waitStable([0, 1, 2].filter((j) => j !== i), 2);
    await cluster.start(i);
    await cluster.waitStable([0, 1, 2], 3);
  }
  stop = true;
  await Promise.all(writers);
  t.diagnostic(`${successes} writes acknowledged, ${errors} failed during the restarts`);
  assert.ok(acked.size > 100, `load ran: ${acked.size} keys acknowledged, ${errors} errors`);
  // a stopping node hands its partitions over before closing its port: (almost) no failed requests
  assert.ok(errors <= successes / 100, `${errors} failed requests against ${successes} acknowledged`);
  for (const [k, version] of acked) {
    const r = await client.get(key(k));
    assert.ok(r.bins.ver >= version, `key ${k}: acknowledged ${version}, read ${r.bins.ver}`);
  }
  const total = await cluster.sumNamespaceStat([0, 1, 2], 'master_objects');
  assert.ok(total >= N + acked.size && total <= N + attempted.size, `${total} records after the restarts`);
  assert.equal(await cluster.sumNamespaceStat([0, 1, 2], 'prole_objects'), total);
});

test('a durable delete made while a node is down stays deleted when the node returns with the old copy on its disk', async () => {
  const dkey = (i: number) => new Aerospike.Key('test', 'dd', i);
  for (let i = 0; i < 100; i++) await client.put(dkey(i), { i });
  await cluster.kill(1, 'SIGTERM');
  await cluster.waitStable([0, 2], 2);
  for (let i = 0; i < 100; i++) await client.remove(dkey(i), { durableDelete: true });
  await cluster.start(1);
  assert.match(cluster.procs[1]!.output(), /cold start loaded [1-9]\d* records/);
  await cluster.waitStable([0, 1, 2], 3);
  let back = 0;
  for (let i = 0; i < 100; i++) {
    try {
      await client.get(dkey(i));
      back++;
    } catch (e: any) {
      assert.equal(e.code, 2);
    }
  }
  assert.equal(back, 0, 'no deleted record came back from the returning node');
});
