/**
 * Secondary indexes on a three-node cluster (replication factor 2): an index created through one
 * node exists on every node, each node answers a query for the partitions it serves (every
 * matching record once), and the answers stay exact under writes, after a node leaves and after
 * it comes back empty (it learns the definitions and indexes the records migrating in).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { TestCluster, info, localNodeSpecs } from '../helpers/strato-cluster.js';
import { connectClient } from '../helpers/client.js';

const N = 600;
let cluster: TestCluster;
let client: any;

before(async () => {
  cluster = new TestCluster(await localNodeSpecs(3), { replicationFactor: 2 });
  await cluster.startAll();
  await cluster.waitStable([0, 1, 2], 3);
  const s = cluster.specs[0]!;
  client = await connectClient({ hosts: [{ addr: s.host, port: s.servicePort }], log: { level: -1 } as any });
  const policy = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
  for (let i = 0; i < N; i++) await client.put(new Aerospike.Key('test', 'cs', i), { n: i, s: `s${i % 4}` }, {}, policy);
  // the client polls every node's sindex-stat until each reports load_pct=100
  await (await client.createIntegerIndex({ ns: 'test', set: 'cs', bin: 'n', index: 'cs_n' })).wait(10);
  await (await client.createStringIndex({ ns: 'test', set: 'cs', bin: 's', index: 'cs_s' })).wait(10);
});

after(async () => {
  await client?.close(false);
  await cluster?.stopAll();
});

/**
 * Codes an application retries a whole query or scan on right after the cluster changes: the
 * client routes by the map and node list it tended before the change (it tends every second), so
 * a node that no longer serves a partition answers PARTITION_UNAVAILABLE (11, ERR_CLUSTER), as
 * Aerospike's does, and a node that just left fails to connect (ERR_ASYNC_CONNECTION, -6).
 */
const RETRIED = new Set<number>([Aerospike.status.ERR_CLUSTER, Aerospike.status.ERR_ASYNC_CONNECTION]);

/** Runs `run` again while it fails with a RETRIED code. Bounded: 40 tries, 100 ms apart. */
async function retryUnavailable<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      if (!RETRIED.has((e as { code?: number }).code ?? 0) || attempt >= 40) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function rangeKeys(lo: number, hi: number): Promise<number[]> {
  const keys = await retryUnavailable(async () => {
    const q = client.query('test', 'cs');
    q.where(Aerospike.filter.range('n', lo, hi));
    return (await q.results()).map((r: any) => r.key.key as number);
  });
  assert.equal(new Set(keys).size, keys.length, 'a record answered twice');
  return keys.sort((a: number, b: number) => a - b);
}

async function scanKeys(pred: (bins: any) => boolean): Promise<number[]> {
  const recs: any[] = await retryUnavailable(() => client.scan('test', 'cs').results());
  return recs
    .filter((r: any) => pred(r.bins))
    .map((r: any) => r.key.key as number)
    .sort((a: number, b: number) => a - b);
}

test('an index created through one node is listed and readable on every node', async () => {
  for (const s of cluster.specs) {
    const [list] = await info(s.host, s.servicePort, 'sindex-list:ns=test');
    assert.match(list!, /indexname=cs_n:set=cs:bin=n:type=numeric:indextype=default:context=null:exp=null:state=RW/);
    assert.match(list!, /indexname=cs_s:/);
  }
});

test('a query on the cluster returns every matching record once, each node answering for its partitions', async () => {
  assert.deepEqual(await rangeKeys(100, 299), [...Array(200).keys()].map((i) => i + 100));
  const q = client.query('test', 'cs');
  q.where(Aerospike.filter.equal('s', 's1'));
  const keys = (await q.results()).map((r: any) => r.key.key as number).sort((a: number, b: number) => a - b);
  assert.deepEqual(keys, await scanKeys((b) => b.s === 's1'));
});

test('queries stay exact after updates and deletes through the cluster', async () => {
  const policy = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
  for (let i = 0; i < N; i += 7) await client.put(new Aerospike.Key('test', 'cs', i), { n: i + 10000 }, {}, policy);
  for (let i = 3; i < N; i += 11) await client.remove(new Aerospike.Key('test', 'cs', i));
  assert.deepEqual(await rangeKeys(0, 20000), await scanKeys((b) => typeof b.n === 'number'));
  assert.deepEqual(await rangeKeys(10000, 20000), await scanKeys((b) => b.n >= 10000));
});

test('after a node leaves and comes back empty, it has the index and queries are still exact', async () => {
  await cluster.kill(2);
  await cluster.waitStable([0, 1], 2);
  assert.deepEqual(await rangeKeys(0, 20000), await scanKeys((b) => typeof b.n === 'number'));
  await cluster.start(2);
  await cluster.waitStable([0, 1, 2], 3);
  const s = cluster.specs[2]!;
  let stat = '';
  for (let i = 0; i < 200 && !/load_pct=100/.test(stat); i++) {
    [stat = ''] = await info(s.host, s.servicePort, 'sindex-stat:namespace=test;indexname=cs_n');
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.match(stat, /load_pct=100/);
  assert.match(stat, /entries=[1-9]\d*;/, 'the returning node indexed the records that migrated to it');
  assert.deepEqual(await rangeKeys(0, 20000), await scanKeys((b) => typeof b.n === 'number'));
});
