/**
 * UDF modules, secondary index definitions and truncation points as system metadata items (stamp
 * per item, tombstones for removals) through the acknowledged SMD delivery, under simulated time:
 * real ClusterRuntime objects over seeded simulated links, each node holding a real UdfRegistry,
 * SindexCatalog and Namespace. The info command runs on one node's registry and the change goes
 * out as the service sends it (RuntimeSim.smdChanged). A change made while a member's fabric is
 * blocked reaches it once unblocked; a UDF or sindex removed while a member was in another cluster
 * (a network partition) stays removed after the partition heals, and the member that was away
 * drops its copy. Replay one seed with STRATO_SMD_SEED=<n>.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeSim } from '../../src/testing/runtime-simulation.js';
import { settledCluster } from '../helpers/runtime-sim.js';
import { SMD_RETRY_MS } from '../../src/cluster/runtime/smd-delivery.js';
import { truncate } from '../../src/namespace/truncate.js';
import { UdfRegistry } from '../../src/udf/index.js';
import { SindexCatalog } from '../../src/sindex/catalog.js';
import { makeSmdItems } from '../../src/server/cluster-smd.js';

const ONLY = process.env['STRATO_SMD_SEED'] !== undefined ? Number(process.env['STRATO_SMD_SEED']) : undefined;
const SEEDS = ONLY !== undefined ? [ONLY] : [11, 12];
const FABRIC_PORT = 3001;
const SRC = Buffer.from('function hello(rec)\n  return 1\nend\n').toString('base64');
const SINDEX = 'namespace=test;set=sim;indexname=ix_n;bin=n;type=numeric;indextype=default';

type Node = RuntimeSim['nodes'][number];

const hasIndex = (n: Node): boolean => n.sindexes.definitions().some((d) => d.name === 'ix_n');

test('a UDF put, a sindex create and a truncate made while a member drops fabric messages reach it once they get through', async () => {
  for (const seed of SEEDS) {
    const sim = await settledCluster(seed);
    try {
      const [n1, n2, n3] = sim.nodes as [Node, Node, Node];
      const keyBefore = n1.rt.clusterView.clusterKey;
      sim.net.block(`${n3.host}:${FABRIC_PORT}`);
      n1.udf.put('hello.lua', SRC);
      sim.smdChanged(0, 'udf');
      assert.equal(n1.sindexes.create(SINDEX), 'ok');
      sim.smdChanged(0, 'sindex');
      const cut = sim.clock.nowMs();
      assert.equal(n2.ns.sets.namespaceTruncateLutMs, 0);
      // truncate-namespace entered at n2
      assert.deepEqual(truncate(n2.ns, undefined, cut), { ok: true });
      sim.smdChanged(1, 'truncate');
      await sim.runUntil(sim.clock.nowMs() + 3 * SMD_RETRY_MS);
      assert.equal(n2.udf.get('hello.lua')?.content64, SRC, `seed ${seed}: n2 has the UDF`);
      assert.ok(hasIndex(n2), `seed ${seed}: n2 has the index`);
      assert.equal(n1.ns.sets.namespaceTruncateLutMs, cut, `seed ${seed}: n1 has the truncation point`);
      assert.equal(n3.udf.get('hello.lua'), undefined, `seed ${seed}: n3's fabric is blocked`);
      assert.ok(!hasIndex(n3));
      assert.equal(n3.ns.sets.namespaceTruncateLutMs, 0);
      assert.deepEqual(n1.rt.smdDelivery.pendingMembers(), [n3.id]);
      assert.deepEqual(n2.rt.smdDelivery.pendingMembers(), [n3.id]);

      sim.net.unblock(`${n3.host}:${FABRIC_PORT}`);
      await sim.runUntil(sim.clock.nowMs() + 3 * SMD_RETRY_MS);
      assert.equal(n3.udf.get('hello.lua')?.content64, SRC, `seed ${seed}: n3 got the UDF`);
      assert.ok(hasIndex(n3), `seed ${seed}: n3 got the index`);
      assert.equal(n3.ns.sets.namespaceTruncateLutMs, cut, `seed ${seed}: n3 got the truncation point`);
      assert.deepEqual(n1.rt.smdDelivery.pendingMembers(), []);
      assert.deepEqual(n2.rt.smdDelivery.pendingMembers(), []);
      // heartbeats flowed throughout: no new cluster (no full exchange) carried them
      assert.equal(n1.rt.clusterView.clusterKey, keyBefore, `seed ${seed}: same cluster`);
      // udf-list as a client sees it on every member
      for (const n of [n1, n2, n3]) assert.match(n.udf.infoList(), /filename=hello\.lua,hash=[0-9a-f]{40},type=LUA;/);
    } finally {
      await sim.stopAll();
    }
  }
});

test('a UDF and a sindex removed while a member was in another cluster stay removed when it rejoins, and it drops its copies', async () => {
  for (const seed of SEEDS) {
    const sim = await settledCluster(seed);
    try {
      const [n1, n2, n3] = sim.nodes as [Node, Node, Node];
      n1.udf.put('hello.lua', SRC);
      sim.smdChanged(0, 'udf');
      assert.equal(n1.sindexes.create(SINDEX), 'ok');
      sim.smdChanged(0, 'sindex');
      await sim.runUntil(sim.clock.nowMs() + SMD_RETRY_MS);
      assert.ok(n3.udf.get('hello.lua') && hasIndex(n3), `seed ${seed}: everyone has both`);

      sim.net.partition([[n1.host, n2.host], [n3.host]]);
      await sim.runUntil(sim.clock.nowMs() + 6_000);
      assert.equal(n1.rt.clusterView.clusterSize, 2, `seed ${seed}: n3 left n1's cluster`);
      n2.udf.remove('hello.lua');
      sim.smdChanged(1, 'udf');
      assert.equal(n2.sindexes.delete('namespace=test;indexname=ix_n'), 'ok');
      sim.smdChanged(1, 'sindex');
      await sim.runUntil(sim.clock.nowMs() + SMD_RETRY_MS);
      assert.equal(n1.udf.get('hello.lua'), undefined);
      assert.ok(!hasIndex(n1));
      assert.ok(n3.udf.get('hello.lua') && hasIndex(n3), `seed ${seed}: n3 was away`);

      sim.net.heal();
      await sim.runUntil(sim.clock.nowMs() + 12_000);
      assert.deepEqual(sim.check(), [], `seed ${seed}: one cluster again`);
      for (const n of [n1, n2, n3]) {
        assert.equal(n.udf.get('hello.lua'), undefined, `seed ${seed}: ${n.host} has no UDF (no resurrection)`);
        assert.ok(!hasIndex(n), `seed ${seed}: ${n.host} has no index (no resurrection)`);
        assert.ok(n.smd.items().some((i) => i.module === 'udf' && i.key === 'hello.lua' && i.value === undefined), `seed ${seed}: ${n.host} holds the tombstone`);
      }
    } finally {
      await sim.stopAll();
    }
  }
});

test('a module registered on a member while it was away comes with it when it rejoins (no tombstone, the union still holds)', async () => {
  const sim = await settledCluster(ONLY ?? 13);
  try {
    const [n1, n2, n3] = sim.nodes as [Node, Node, Node];
    sim.net.partition([[n1.host, n2.host], [n3.host]]);
    await sim.runUntil(sim.clock.nowMs() + 6_000);
    n3.udf.put('away.lua', SRC);
    sim.smdChanged(2, 'udf');
    sim.net.heal();
    await sim.runUntil(sim.clock.nowMs() + 12_000);
    assert.deepEqual(sim.check(), []);
    assert.equal(n1.udf.get('away.lua')?.content64, SRC);
    assert.equal(n2.udf.get('away.lua')?.content64, SRC);
  } finally {
    await sim.stopAll();
  }
});

test('modules a node loaded from disk before its item table was built keep the lowest stamp; only a later local change is stamped', () => {
  const udf = new UdfRegistry();
  udf.put('disk.lua', SRC);
  const items = makeSmdItems({ udf, sindexes: new SindexCatalog([]), namespaces: () => [], persistTruncation: () => undefined, validateUdfs: false }, 'n9', () => 5_000);
  udf.put('new.lua', SRC);
  const changed = items.noteLocal('udf');
  assert.deepEqual(changed.map((i) => [i.key, i.stamp]), [['new.lua', { t: 5_000, n: 'n9' }]]);
  assert.deepEqual(items.items().find((i) => i.key === 'disk.lua')?.stamp, { t: 0, n: '' });
  // a member's tombstone for the disk copy wins over it
  items.merge([{ module: 'udf', key: 'disk.lua', stamp: { t: 1, n: 'n1' } }]);
  assert.equal(udf.get('disk.lua'), undefined);
});
