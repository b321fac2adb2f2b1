/**
 * Background jobs and aggregations on a three-node cluster (replication factor 2): each node works
 * on the partitions it serves, so every record is written once and counted once, and the writes
 * reach the replicas.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { TestCluster, info, localNodeSpecs } from '../helpers/strato-cluster.js';
import { connectClient } from '../helpers/client.js';

const N = 600;
let cluster: TestCluster;
let client: any;
let dir: string;

const LUA = `
function bump(rec)
  rec['u'] = (rec['u'] or 0) + 1
  aerospike:update(rec)
end
local function add(a, b) return a + b end
function sum_n(stream) return stream : map(function(rec) return rec['n'] end) : reduce(add) end
function count(stream) return stream : map(function() return 1 end) : reduce(add) end
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strato-cjobs-'));
  writeFileSync(join(dir, 'cjobs.lua'), LUA);
  cluster = new TestCluster(await localNodeSpecs(3), { replicationFactor: 2 });
  await cluster.startAll();
  await cluster.waitStable([0, 1, 2], 3);
  const s = cluster.specs[0]!;
  client = await connectClient({ hosts: [{ addr: s.host, port: s.servicePort }], log: { level: -1 } as any, modlua: { userPath: dir } } as any);
  for (let i = 0; i < N; i++) await client.put(new Aerospike.Key('test', 'cj', i), { n: i });
  const reg = await client.udfRegister(join(dir, 'cjobs.lua'));
  await reg.wait(20);
});

after(async () => {
  await client?.close(false);
  await cluster?.stopAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function jobLines(trid: number): Promise<string[]> {
  return Promise.all(cluster.specs.map(async (s) => (await info(s.host, s.servicePort, `query-show:trid=${trid}`))[0] ?? ''));
}

const succeeded = (line: string) => Number(/recs-succeeded=(\d+)/.exec(line)?.[1] ?? NaN);

test('scan.operate on a cluster writes every record exactly once, split over the nodes', async () => {
  const job = await client.scan('test', 'cj').operate([Aerospike.operations.incr('n', 1)]);
  await job.waitUntilDone(20);
  const lines = await jobLines(job.jobID);
  assert.ok(lines.every((l) => /status=done\(ok\)/.test(l)), lines.join('\n'));
  assert.equal(lines.map(succeeded).reduce((a, b) => a + b, 0), N);
  assert.ok(lines.every((l) => succeeded(l) > 0), 'every node had partitions to do');
  for (let i = 0; i < N; i += 37) assert.equal((await client.get(new Aerospike.Key('test', 'cj', i))).bins.n, i + 1);
});

test('a background UDF on a cluster runs once per record and its writes reach the replicas', async () => {
  const job = await client.scan('test', 'cj').background('cjobs', 'bump', []);
  await job.waitUntilDone(20);
  assert.equal((await jobLines(job.jobID)).map(succeeded).reduce((a, b) => a + b, 0), N);
  for (let i = 0; i < N; i += 41) assert.equal((await client.get(new Aerospike.Key('test', 'cj', i))).bins.u, 1);
  const ops = await cluster.sumNamespaceStat([0, 1, 2], 'udf_sub_udf_complete');
  assert.equal(ops, N);
});

test('an aggregation on a cluster counts each record once although every record has two copies', async () => {
  assert.equal(await client.query('test', 'cj').apply('cjobs', 'count'), N);
  assert.equal(await client.query('test', 'cj').apply('cjobs', 'sum_n'), (N * (N - 1)) / 2 + N);
});

test('after a node is lost, the surviving copies hold what the background jobs wrote', async () => {
  await cluster.kill(2);
  await cluster.waitStable([0, 1], 2);
  for (let i = 0; i < N; i++) {
    const rec = await client.get(new Aerospike.Key('test', 'cj', i));
    assert.deepEqual([rec.bins.n, rec.bins.u], [i + 1, 1], `record ${i}`);
  }
});
