/**
 * Membership, one behaviour at a time, on the deterministic clock and network: who becomes
 * principal, what a dead node, a foreign cluster name, a split or a one-way link does, how
 * min-cluster-size holds a cluster back; plus the clock, the simulated network and the
 * heartbeat encoding the real sockets will carry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock } from '../../src/testing/sim-clock.js';
import { SimNetwork, type LinkFaults } from '../../src/testing/sim-network.js';
import { decodeHeartbeat, encodeHeartbeat, heartbeatCodec, HeartbeatDecodeError, type Heartbeat } from '../../src/cluster/heartbeat.js';
import { Membership, type ClusterView } from '../../src/cluster/membership.js';
import { Prng } from '../../src/testing/prng.js';

const A = 0xa1n;
const B = 0xb2n;
const C = 0xc3n;
const D = 0xd4n;
const E = 0xe5n;
const INTERVAL = 150;
const TIMEOUT_MS = 10 * INTERVAL;

interface Harness {
  clock: SimClock;
  net: SimNetwork<Heartbeat>;
  nodes: Map<bigint, Membership>;
  boot(id: bigint, opts?: { clusterName?: string; minClusterSize?: number }): Membership;
  crash(id: bigint): void;
  run(ms: number): void;
}

function harness(seed = 1, faults: Partial<LinkFaults> = {}, ids: bigint[] = [A, B, C]): Harness {
  const clock = new SimClock(1_000);
  const prng = new Prng(seed);
  const net = new SimNetwork<Heartbeat>(clock, prng.fork(), { delayMinMs: 1, delayMaxMs: 5, ...faults }, heartbeatCodec);
  const nodes = new Map<bigint, Membership>();
  const h: Harness = {
    clock,
    net,
    nodes,
    boot(id, opts = {}) {
      const m = new Membership({
        nodeId: id,
        clusterName: opts.clusterName ?? 'prod',
        seeds: ids.filter((x) => x !== id),
        clock,
        transport: net.attach(id),
        minClusterSize: opts.minClusterSize ?? 1,
        randomU64: () => prng.nextU64(),
      });
      m.start();
      nodes.set(id, m);
      return m;
    },
    crash(id) {
      nodes.get(id)?.stop();
      nodes.delete(id);
      net.detach(id);
    },
    run(ms) {
      clock.runFor(ms);
    },
  };
  return h;
}

function assertOneCluster(h: Harness, members: bigint[], integrity = true): bigint {
  const expected = members.slice().sort((a, b) => (a > b ? -1 : 1));
  const key = h.nodes.get(expected[0]!)!.clusterKey;
  assert.notEqual(key, 0n);
  for (const id of members) {
    const m = h.nodes.get(id)!;
    assert.equal(m.clusterKey, key, `node ${id.toString(16)} key`);
    assert.deepEqual(m.succession, expected);
    assert.equal(m.principal, expected[0]);
    assert.equal(m.clusterSize, expected.length);
    if (integrity) assert.equal(m.integrity, true, `node ${id.toString(16)} integrity`);
  }
  return key;
}

test('three nodes form one cluster led by the highest node id, within a few intervals', () => {
  const h = harness();
  for (const id of [A, B, C]) h.boot(id);
  h.run(8 * INTERVAL);
  assertOneCluster(h, [A, B, C]);
  assert.equal(h.nodes.get(C)!.isPrincipal, true);
});

test('a node that boots alone forms a cluster of one once its quiet period is over', () => {
  const h = harness(1, {}, [A]);
  const a = h.boot(A);
  h.run(INTERVAL);
  assert.equal(a.clusterKey, 0n, 'listens before leading');
  h.run(3 * INTERVAL);
  assertOneCluster(h, [A]);
});

test('every change is reported to listeners with the new view', () => {
  const h = harness();
  const seen: ClusterView[] = [];
  h.boot(A).onChange((v) => seen.push(v));
  h.boot(B);
  h.boot(C);
  h.run(8 * INTERVAL);
  const last = seen.at(-1)!;
  assert.equal(last.clusterKey, h.nodes.get(C)!.clusterKey);
  assert.equal(last.integrity, true);
  assert.deepEqual(last.succession, [C, B, A]);
});

test('a node missing for the heartbeat timeout is gone and the cluster re-forms under a new key', () => {
  const h = harness();
  for (const id of [A, B, C]) h.boot(id);
  h.run(8 * INTERVAL);
  const before = assertOneCluster(h, [A, B, C]);
  h.crash(C);
  h.run(TIMEOUT_MS - 2 * INTERVAL);
  assert.equal(h.nodes.get(A)!.clusterKey, before, 'still within the timeout');
  h.run(8 * INTERVAL);
  const after = assertOneCluster(h, [A, B]);
  assert.notEqual(after, before);
});

test('a node restarting within the timeout still makes the principal draw a new key', () => {
  const h = harness();
  for (const id of [A, B, C]) h.boot(id);
  h.run(8 * INTERVAL);
  const before = assertOneCluster(h, [A, B, C]);
  h.crash(A);
  h.run(2 * INTERVAL);
  h.boot(A);
  h.run(6 * INTERVAL);
  const after = assertOneCluster(h, [A, B, C]);
  assert.notEqual(after, before, 'the restarted node lost its partitions: they must be re-balanced');
});

test('heartbeats with another cluster name are ignored: the two clusters never merge', () => {
  const h = harness(1, {}, [A, B, C, D]);
  h.boot(A);
  h.boot(B);
  h.boot(C, { clusterName: 'staging' });
  h.boot(D, { clusterName: 'staging' });
  h.run(10 * INTERVAL);
  assertOneCluster(h, [A, B]);
  assertOneCluster(h, [C, D]);
  assert.ok(h.nodes.get(A)!.stats.ignoredForeignCluster > 0);
  assert.deepEqual(h.nodes.get(A)!.adjacency(), [B]);
});

test('a split makes two clusters; healing merges them under the highest node', () => {
  const h = harness(2, {}, [A, B, C, D]);
  for (const id of [A, B, C, D]) h.boot(id);
  h.run(8 * INTERVAL);
  const whole = assertOneCluster(h, [A, B, C, D]);
  h.net.partition([[A, D], [B, C]]);
  h.run(TIMEOUT_MS + 6 * INTERVAL);
  const left = assertOneCluster(h, [A, D]);
  const right = assertOneCluster(h, [B, C]);
  assert.notEqual(left, right);
  assert.notEqual(left, whole);
  h.net.heal();
  h.run(8 * INTERVAL);
  const healed = assertOneCluster(h, [A, B, C, D]);
  assert.ok(![whole, left, right].includes(healed), 'a merged cluster gets a fresh key');
});

test('min-cluster-size: the minority side does not form a cluster; the majority does', () => {
  const h = harness(3, {}, [A, B, C, D, E]);
  for (const id of [A, B, C, D, E]) h.boot(id, { minClusterSize: 3 });
  h.run(8 * INTERVAL);
  const whole = assertOneCluster(h, [A, B, C, D, E]);
  h.net.partition([[D, E], [A, B, C]]);
  h.run(TIMEOUT_MS + 6 * INTERVAL);
  const majority = assertOneCluster(h, [A, B, C]);
  assert.notEqual(majority, whole);
  for (const id of [D, E]) {
    const m = h.nodes.get(id)!;
    assert.equal(m.clusterKey, whole, 'held back: keeps the old cluster, forms nothing new');
    assert.equal(m.integrity, false);
  }
  h.net.heal();
  h.run(8 * INTERVAL);
  const healed = assertOneCluster(h, [A, B, C, D, E]);
  assert.ok(healed !== whole && healed !== majority);
});

test('min-cluster-size: nodes booting below it stay out of any cluster until enough arrive', () => {
  const h = harness(4, {}, [A, B, C]);
  h.boot(A, { minClusterSize: 3 });
  h.boot(B, { minClusterSize: 3 });
  h.run(20 * INTERVAL);
  assert.equal(h.nodes.get(A)!.clusterKey, 0n);
  assert.equal(h.nodes.get(B)!.clusterKey, 0n);
  h.boot(C, { minClusterSize: 3 });
  h.run(8 * INTERVAL);
  assertOneCluster(h, [A, B, C]);
});

test('a one-way link failure keeps the two nodes apart; the cluster is the largest clique around the principal', () => {
  const h = harness(5, {}, [A, B, C]);
  for (const id of [A, B, C]) h.boot(id);
  h.run(8 * INTERVAL);
  h.net.cutLink(A, B); // B no longer hears A, A still hears B
  h.run(TIMEOUT_MS + 8 * INTERVAL);
  // C keeps the higher of the two; A, seeing the cluster it cannot fully join, forms its own
  assertOneCluster(h, [B, C], false);
  assertOneCluster(h, [A], false);
  // A and C still see each other across two clusters: an integrity fault on both, not on B
  assert.equal(h.nodes.get(C)!.integrity, false);
  assert.equal(h.nodes.get(A)!.integrity, false);
  assert.equal(h.nodes.get(B)!.integrity, true);
  h.net.restoreLink(A, B);
  h.run(10 * INTERVAL);
  assertOneCluster(h, [A, B, C]);
});

test('heavy loss, duplication and reordering still converge, and stale heartbeats are discarded', () => {
  const h = harness(6, { dropRate: 0.3, duplicateRate: 0.3, reorderRate: 0.3, reorderMaxMs: 400, delayMaxMs: 60 }, [A, B, C, D]);
  for (const id of [A, B, C, D]) h.boot(id);
  h.run(30 * INTERVAL);
  assertOneCluster(h, [A, B, C, D]);
  const stale = [...h.nodes.values()].reduce((n, m) => n + m.stats.ignoredStale, 0);
  assert.ok(stale > 0, 'duplicates and overtaken heartbeats were seen and ignored');
});

test('SimClock runs events in time order, same-time events in scheduling order, and cancels', () => {
  const clock = new SimClock(0);
  const order: string[] = [];
  clock.setTimer(20, () => order.push('b'));
  clock.setTimer(10, () => order.push('a'));
  clock.setTimer(20, () => order.push('c'));
  const t = clock.setTimer(15, () => order.push('cancelled'));
  clock.clearTimer(t);
  clock.setTimer(5, () => clock.setTimer(0, () => order.push('nested')));
  clock.runUntil(100);
  assert.deepEqual(order, ['nested', 'a', 'b', 'c']);
  assert.equal(clock.nowMs(), 100);
  assert.throws(() => clock.runUntil(50), RangeError);
});

test('SimClock refuses to spin forever', () => {
  const clock = new SimClock(0);
  const again = (): void => {
    clock.setTimer(0, again);
  };
  again();
  assert.throws(() => clock.runUntil(1, 1000), /livelock/);
});

test('SimNetwork replays the same drops and delays for the same seed', () => {
  const run = (seed: number) => {
    const clock = new SimClock(0);
    const net = new SimNetwork<number>(clock, new Prng(seed), { dropRate: 0.2, duplicateRate: 0.2, delayMinMs: 1, delayMaxMs: 30 });
    const a = net.attach(1n);
    const b = net.attach(2n);
    const got: string[] = [];
    b.onMessage((from, msg) => got.push(`${clock.nowMs().toFixed(3)}:${from}:${msg}`));
    for (let i = 0; i < 200; i++) a.send(2n, i);
    clock.runUntil(1000);
    return { got, stats: { ...net.stats } };
  };
  assert.deepEqual(run(42), run(42));
  assert.notDeepEqual(run(42).got, run(43).got);
  const { stats } = run(42);
  assert.ok(stats.dropped > 20 && stats.dropped < 60, `${stats.dropped} of 200 dropped at 20%`);
  assert.ok(stats.duplicated > 15 && stats.duplicated < 60, `${stats.duplicated} duplicated at 20%`);
  assert.equal(stats.delivered, 200 - stats.dropped + stats.duplicated);
});

test('SimNetwork partitions block both directions, lose in-flight messages, and heal', () => {
  const clock = new SimClock(0);
  const net = new SimNetwork<string>(clock, new Prng(1), { delayMinMs: 10, delayMaxMs: 10 });
  const a = net.attach(1n);
  const b = net.attach(2n);
  const got: string[] = [];
  b.onMessage((_from, m) => got.push(m));
  a.onMessage((_from, m) => got.push(m));
  a.send(2n, 'in flight');
  net.partition([[1n], [2n]]);
  a.send(2n, 'blocked');
  b.send(1n, 'blocked back');
  clock.runFor(50);
  assert.equal(got.length, 0);
  net.heal();
  a.send(2n, 'through');
  clock.runFor(50);
  assert.deepEqual(got, ['through']);
  // a message to a node that crashes and restarts before delivery is lost with the old process
  a.send(2n, 'to the old process');
  net.detach(2n);
  net.attach(2n).onMessage((_from, m) => got.push(m));
  clock.runFor(50);
  assert.deepEqual(got, ['through']);
});

test('a heartbeat survives its byte encoding, and malformed bytes are refused', () => {
  const hb: Heartbeat = {
    clusterName: 'prod-1',
    nodeId: 0xbb9020011ac4202n,
    incarnation: 1_700_000_000_000,
    seq: 42,
    clusterKey: 0xfedcba9876543210n,
    principal: 0xbb9020011ac4202n,
    succession: [0xbb9020011ac4202n, 0x1n],
    adjacency: [0x1n, 0x2n],
  };
  const bytes = encodeHeartbeat(hb);
  assert.deepEqual(decodeHeartbeat(bytes), hb);
  assert.throws(() => decodeHeartbeat(bytes.subarray(0, bytes.length - 1)), HeartbeatDecodeError);
  assert.throws(() => decodeHeartbeat(Buffer.concat([bytes, Buffer.from([0])])), HeartbeatDecodeError);
  const badVersion = Buffer.from(bytes);
  badVersion[0] = 9;
  assert.throws(() => decodeHeartbeat(badVersion), HeartbeatDecodeError);
  const huge = Buffer.from(bytes);
  huge.writeUInt16BE(0xffff, 1 + 1 + 6 + 8 + 8 + 4 + 8 + 8); // succession count far past the limit
  assert.throws(() => decodeHeartbeat(huge), HeartbeatDecodeError);
});

test('heartbeat timing changed at run time (set-config): a dead peer is gone after the new timeout', () => {
  const h = harness(7, {}, [A, B]);
  const a = h.boot(A);
  h.boot(B);
  h.run(3_000);
  assert.equal(a.clusterSize, 2);
  for (const m of h.nodes.values()) m.setTiming(100, 3);
  h.crash(B);
  h.run(1_000); // the new timeout (300 ms) plus the quiet period before re-forming; the old one alone is 1500 ms
  assert.equal(a.clusterSize, 1, 'gone after 3 intervals of 100 ms, not 10 of 150');
  assert.throws(() => a.setTiming(0, 10), RangeError);
  assert.throws(() => a.setTiming(100, 1), RangeError);
});
