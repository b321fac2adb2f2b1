/**
 * The console's query box in a real three-node cluster, through its HTTP API (the call the page
 * makes; no browser needed): whichever node's console is asked, the answer holds every record of
 * the set, each once, from the partitions of all members, within the row cap.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { TestCluster, localNodeSpecs } from '../helpers/strato-cluster.js';
import { connectClient } from '../helpers/client.js';

const RECORDS = 150;
let cluster: TestCluster | undefined;
let client: any;
const bases: string[] = [];

interface Answer {
  records: { digest: string; key: unknown; bins: Record<string, unknown> }[];
  partitionsSkipped: number;
  nodes: string[];
  peerErrors: string[];
  timedOut: boolean;
}

async function query(base: string, body: Record<string, unknown>): Promise<Answer> {
  const r = await fetch(`${base}/api/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()) as Answer;
}

before(async () => {
  cluster = new TestCluster(await localNodeSpecs(3), {
    clusterName: 'console-cluster',
    networkExtra: '  http {\n    address 127.0.0.1\n    port 0\n  }',
  });
  await cluster.startAll();
  await cluster.waitStable([0, 1, 2], 3);
  for (const p of cluster.procs) {
    const m = /metrics endpoint: (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(p!.output());
    assert.ok(m, 'each node logs its http endpoint');
    bases.push(m[1]!);
  }
  const s = cluster.specs[0]!;
  client = await connectClient({ hosts: [{ addr: s.host, port: s.servicePort }], log: { level: -1 } as any });
  const send = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
  for (let i = 0; i < RECORDS; i++) await client.put(new Aerospike.Key('test', 'people', i), { n: i, name: `p${i}` }, {}, send);
});

after(async () => {
  await client?.close();
  await cluster?.stopAll();
});

test('a set scan from any node console returns every record of the cluster once', async () => {
  for (const base of bases) {
    const a = await query(base, { ns: 'test', set: 'people', mode: 'scan', max: 200 });
    assert.equal(a.timedOut, false);
    assert.deepEqual(a.peerErrors, []);
    assert.equal(a.partitionsSkipped, 0);
    assert.equal(a.records.length, RECORDS);
    assert.equal(new Set(a.records.map((r) => r.digest)).size, RECORDS, 'no record twice');
    const keys = a.records.map((r) => Number(r.key)).sort((x, y) => x - y);
    assert.deepEqual(keys, Array.from({ length: RECORDS }, (_, i) => i));
    for (const r of a.records) assert.deepEqual(r.bins, { n: Number(r.key), name: `p${Number(r.key)}` });
    assert.ok(a.nodes.length >= 2, `records came from several nodes: ${a.nodes.join(',')}`);
  }
});

test('a filtered scan is answered across the cluster and the row cap holds', async () => {
  const f = await query(bases[1]!, { ns: 'test', set: 'people', mode: 'filter', bin: 'n', op: 'ge', value: '100', max: 200 });
  assert.deepEqual(
    f.records.map((r) => Number(r.key)).sort((x, y) => x - y),
    Array.from({ length: RECORDS - 100 }, (_, i) => 100 + i),
  );
  const capped = await query(bases[2]!, { ns: 'test', set: 'people', mode: 'scan', max: 120 });
  assert.equal(capped.records.length, 120);
  assert.equal(new Set(capped.records.map((r) => r.digest)).size, 120);
});
