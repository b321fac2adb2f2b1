/**
 * The partition map: a pure function of the succession list that every node of a cluster
 * computes alike. Balanced masters and proles, small movement when a node joins or leaves,
 * replication factor clamped to the cluster size, and the exact `replicas` bitmaps clients parse
 * (protocol reference §2.6).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  columnCounts,
  computePartitionMap,
  mapDelta,
  masterOf,
  partitionNodeSequence,
  replicaIndexOf,
  replicasBitmaps,
  replicasInfoEntry,
  replicasOf,
} from '../../src/cluster/partition-map.js';
import { Prng } from '../../src/testing/prng.js';
import { formatNodeId, parseNodeId } from '../../src/cluster/node-id.js';

const A = 0xbb9020011ac4202n;
const B = 0xbb9030011ac4202n;
const C = 0xbb9040011ac4202n;

function randomNodes(prng: Prng, n: number): bigint[] {
  const ids = new Set<bigint>();
  while (ids.size < n) ids.add(prng.nextU64() | 1n);
  return [...ids];
}

function mapDigest(m: ReturnType<typeof computePartitionMap>): string {
  const h = createHash('sha256');
  for (const col of m.replicas) h.update(col);
  return h.digest('hex');
}

test('the same succession list gives the same map, whatever its order', () => {
  const prng = new Prng(1);
  const nodes = randomNodes(prng, 6);
  const m1 = computePartitionMap(nodes, 4096, 2);
  const m2 = computePartitionMap(prng.shuffled(nodes), 4096, 2);
  assert.equal(mapDigest(m1), mapDigest(m2));
  assert.deepEqual(m1.succession, [...nodes].sort((a, b) => (a > b ? -1 : 1)));
});

test('the algorithm is pinned: a mixed-version cluster must agree on owners', () => {
  // changing the hash or the balancing walk would make nodes of two builds disagree on masters
  const m = computePartitionMap([A, B, C], 4096, 2);
  const rows = [0, 1, 2, 3, 4, 5, 6, 7].map((p) => replicasOf(m, p).map(formatNodeId).join('/'));
  assert.deepEqual(rows, [
    'BB9030011AC4202/BB9040011AC4202',
    'BB9030011AC4202/BB9040011AC4202',
    'BB9040011AC4202/BB9030011AC4202',
    'BB9020011AC4202/BB9040011AC4202',
    'BB9040011AC4202/BB9030011AC4202',
    'BB9040011AC4202/BB9030011AC4202',
    'BB9040011AC4202/BB9020011AC4202',
    'BB9020011AC4202/BB9030011AC4202',
  ]);
  assert.equal(mapDigest(m), '3a962b26f1a033bc6e8caa8ccf398ab0adc7836e97ddebab6087067199b61c19');
});

test('every node masters floor(4096/N) or ceil(4096/N) partitions, in every replica column', () => {
  const prng = new Prng(2);
  for (let n = 1; n <= 16; n++) {
    for (const rf of [1, 2, 3]) {
      const m = computePartitionMap(randomNodes(prng, n), 4096, rf);
      const lo = Math.floor(4096 / n);
      for (let col = 0; col < m.replicationFactor; col++) {
        for (const [node, count] of columnCounts(m, col)) {
          assert.ok(count === lo || count === lo + 1, `n=${n} rf=${rf} column ${col}: ${formatNodeId(node)} holds ${count}`);
        }
      }
    }
  }
});

test('master counts stay within ±1% of 4096/N for 3 to 7 nodes', () => {
  const prng = new Prng(3);
  for (let n = 3; n <= 7; n++) {
    const m = computePartitionMap(randomNodes(prng, n), 4096, 2);
    const mean = 4096 / n;
    for (const count of columnCounts(m, 0).values()) assert.ok(Math.abs(count - mean) <= mean * 0.01, `n=${n}: ${count} vs ${mean}`);
  }
});

test('replicas of a partition are distinct nodes, master first', () => {
  const prng = new Prng(4);
  const nodes = randomNodes(prng, 5);
  const m = computePartitionMap(nodes, 4096, 3);
  for (let pid = 0; pid < 4096; pid++) {
    const row = replicasOf(m, pid);
    assert.equal(new Set(row).size, 3);
    assert.equal(row[0], masterOf(m, pid));
    assert.equal(replicaIndexOf(m, pid, row[2]!), 2);
  }
  assert.equal(replicaIndexOf(m, 0, 12345n), -1);
});

test('when one of N nodes leaves, about 1/N of the masters move (and about RF/N of the copies)', () => {
  const prng = new Prng(5);
  for (let n = 3; n <= 8; n++) {
    let moved = 0;
    let added = 0;
    const trials = 8;
    for (let t = 0; t < trials; t++) {
      const nodes = randomNodes(prng, n);
      const before = computePartitionMap(nodes, 4096, 2);
      const gone = prng.pick(nodes);
      const after = computePartitionMap(
        nodes.filter((x) => x !== gone),
        4096,
        2,
      );
      const d = mapDelta(before, after);
      moved += d.mastersMoved / 4096;
      added += d.replicasAdded / 4096;
      // the departed node's masters must move; anything beyond that is balancing churn
      assert.ok(d.mastersMoved >= columnCounts(before, 0).get(gone)!);
    }
    const avgMoved = moved / trials;
    const avgAdded = added / trials;
    assert.ok(avgMoved >= 1 / n - 0.005 && avgMoved <= 1 / n + 0.02, `n=${n}: ${avgMoved.toFixed(4)} of masters moved, 1/N = ${(1 / n).toFixed(4)}`);
    assert.ok(avgAdded >= 2 / n - 0.005 && avgAdded <= 2 / n + 0.02, `n=${n}: ${avgAdded.toFixed(4)} replica copies created, RF/N = ${(2 / n).toFixed(4)}`);
  }
});

test('when a node joins N nodes, about 1/(N+1) of the masters move to it', () => {
  const prng = new Prng(6);
  for (let n = 2; n <= 7; n++) {
    const nodes = randomNodes(prng, n);
    const joiner = randomNodes(prng, 1)[0]!;
    const before = computePartitionMap(nodes, 4096, 2);
    const after = computePartitionMap([...nodes, joiner], 4096, 2);
    const d = mapDelta(before, after);
    const share = 1 / (n + 1);
    assert.ok(d.mastersMoved / 4096 <= share + 0.02, `n=${n}: ${d.mastersMoved} masters moved`);
    assert.ok(columnCounts(after, 0).get(joiner)! >= Math.floor(4096 / (n + 1)));
  }
});

test('the replication factor is clamped to the cluster size and must be at least 1', () => {
  assert.equal(computePartitionMap([A], 4096, 2).replicationFactor, 1);
  assert.equal(computePartitionMap([A, B], 4096, 3).replicationFactor, 2);
  assert.equal(computePartitionMap([A, B, C], 4096, 3).replicationFactor, 3);
  assert.throws(() => computePartitionMap([A, B], 4096, 0), RangeError);
});

test('a malformed succession list is refused', () => {
  assert.throws(() => computePartitionMap([], 4096, 1), RangeError);
  assert.throws(() => computePartitionMap([A, A], 4096, 1), RangeError);
  assert.throws(() => computePartitionMap([0n, A], 4096, 1), RangeError);
  assert.throws(() => computePartitionMap([A], 4097, 1), RangeError);
});

test('a partition node sequence prefers the same nodes the map starts from', () => {
  const prng = new Prng(7);
  const nodes = randomNodes(prng, 5);
  const m = computePartitionMap(nodes, 4096, 1);
  let firstChoice = 0;
  for (let pid = 0; pid < 4096; pid += 16) if (partitionNodeSequence(nodes, pid)[0] === masterOf(m, pid)) firstChoice++;
  // balancing overrides the first choice only where that node was already full
  assert.ok(firstChoice / 256 > 0.9, `${firstChoice}/256 partitions mastered by their first-choice node`);
});

test('a single node announces every partition: test:0,1, followed by 170 "////" and "//8="', () => {
  const m = computePartitionMap([A], 4096, 2);
  const entry = replicasInfoEntry('test', m, A);
  assert.equal(entry, `test:0,1,${'////'.repeat(170)}//8=`);
  assert.equal(entry.length - 'test:0,1,'.length, 684);
});

test('replica bitmaps are 684 base64 characters; columns past the RF and foreign nodes are all zero', () => {
  const m = computePartitionMap([A, B, C], 4096, 2);
  const cols = replicasBitmaps(m, A, 3);
  assert.equal(cols.length, 3);
  for (const c of cols) assert.equal(c.length, 684);
  assert.equal(cols[2], `${'AAAA'.repeat(170)}AAA=`);
  assert.deepEqual(replicasBitmaps(m, 0x1234n, 1), [`${'AAAA'.repeat(170)}AAA=`]);
  assert.equal(replicasInfoEntry('test', m, A, 1).split(',').length, 3); // replicas:max=1
});

test('bit 0x80 >> (p % 8) of byte p / 8 marks partition p, and the nodes\' master columns tile all 4096', () => {
  const m = computePartitionMap([A, B, C], 4096, 2);
  const seen = new Uint8Array(4096);
  for (const node of [A, B, C]) {
    const [master, prole] = replicasBitmaps(m, node, 2).map((b) => Buffer.from(b, 'base64'));
    for (let pid = 0; pid < 4096; pid++) {
      const isMaster = (master![pid >> 3]! & (0x80 >> (pid & 7))) !== 0;
      const isProle = (prole![pid >> 3]! & (0x80 >> (pid & 7))) !== 0;
      assert.equal(isMaster, masterOf(m, pid) === node);
      assert.equal(isProle, replicasOf(m, pid)[1] === node);
      if (isMaster) seen[pid]!++;
    }
  }
  assert.ok(seen.every((c) => c === 1));
});

test('node ids print as uppercase hex without leading zeros and parse back', () => {
  assert.equal(formatNodeId(A), 'BB9020011AC4202');
  assert.equal(parseNodeId('BB9020011AC4202'), A);
  assert.throws(() => parseNodeId('0'), RangeError);
  assert.throws(() => parseNodeId('xyz'), RangeError);
});

test('computing a 4096-partition map for 7 nodes takes milliseconds', () => {
  const nodes = randomNodes(new Prng(8), 7);
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) computePartitionMap(nodes, 4096, 2);
  const perMapMs = (performance.now() - t0) / 10;
  assert.ok(perMapMs < 100, `${perMapMs.toFixed(1)} ms per map`);
});

// ---------------------------------------------------------------------------------------------
// placement groups: rack-id (Aerospike EE's rack awareness) and hosts (one strato start)

function groupsOf(m: ReturnType<typeof computePartitionMap>, pid: number, group: (id: bigint) => string): string[] {
  return replicasOf(m, pid).map(group);
}

test('with two hosts of several nodes, no partition keeps two copies on one host (random clusters, RF 2 and 3)', () => {
  const prng = new Prng(21);
  for (let trial = 0; trial < 12; trial++) {
    const n = prng.range(3, 9);
    const nodes = randomNodes(prng, n);
    const nHosts = prng.range(2, Math.min(4, n));
    const hostOf = new Map(nodes.map((id, i) => [id, BigInt(1 + (i % nHosts))]));
    const placement = new Map(nodes.map((id) => [id, { rack: 0, host: hostOf.get(id)! }]));
    for (const rf of [2, 3]) {
      const m = computePartitionMap(nodes, 4096, rf, placement);
      for (let pid = 0; pid < 4096; pid++) {
        const hosts = groupsOf(m, pid, (id) => String(hostOf.get(id)));
        const distinctWanted = Math.min(hosts.length, nHosts);
        assert.equal(new Set(hosts).size, distinctWanted, `trial ${trial} rf ${rf} pid ${pid}: ${hosts}`);
      }
      // masters keep their balance whatever the groups
      const counts = [...columnCounts(m, 0).values()];
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1);
    }
  }
});

test('rack-id places a partition\'s copies on distinct racks and keeps prole columns balanced when racks are even', () => {
  const prng = new Prng(22);
  const nodes = randomNodes(prng, 6);
  const rackOf = new Map(nodes.map((id, i) => [id, 1 + (i % 2)]));
  const placement = new Map(nodes.map((id) => [id, { rack: rackOf.get(id)!, host: id }]));
  const m = computePartitionMap(nodes, 4096, 2, placement);
  for (let pid = 0; pid < 4096; pid++) {
    const racks = groupsOf(m, pid, (id) => String(rackOf.get(id)));
    assert.notEqual(racks[0], racks[1], `pid ${pid}`);
  }
  const proles = [...columnCounts(m, 1).values()];
  assert.ok(Math.max(...proles) - Math.min(...proles) <= 1, `prole counts ${proles}`);
});

test('a rack of one node holds the copies the other rack masters, and the rack rule beats the host rule', () => {
  const [a, b, c, d] = randomNodes(new Prng(23), 4) as [bigint, bigint, bigint, bigint];
  // rack 1 = {a}, rack 2 = {b, c, d}; b and c share a host with a (inside rack rule only)
  const placement = new Map([
    [a, { rack: 1, host: 1n }],
    [b, { rack: 2, host: 1n }],
    [c, { rack: 2, host: 2n }],
    [d, { rack: 2, host: 3n }],
  ]);
  const m = computePartitionMap([a, b, c, d], 4096, 2, placement);
  for (let pid = 0; pid < 4096; pid++) {
    const [m0, p1] = replicasOf(m, pid) as [bigint, bigint];
    assert.notEqual(placement.get(m0)!.rack, placement.get(p1)!.rack, `pid ${pid}`);
  }
  assert.equal(columnCounts(m, 1).get(a), 4096 - columnCounts(m, 0).get(a)!);
});

test('one rack and one host change nothing: the map equals the one without groups', () => {
  const nodes = randomNodes(new Prng(24), 5);
  const same = new Map(nodes.map((id) => [id, { rack: 7, host: 99n }]));
  assert.equal(mapDigest(computePartitionMap(nodes, 4096, 2, same)), mapDigest(computePartitionMap(nodes, 4096, 2)));
});

test('the map with groups is the same whatever the order of the succession list', () => {
  const prng = new Prng(25);
  const nodes = randomNodes(prng, 7);
  const placement = new Map(nodes.map((id, i) => [id, { rack: i % 3, host: BigInt(i % 2) + 1n }]));
  assert.equal(mapDigest(computePartitionMap(nodes, 4096, 3, placement)), mapDigest(computePartitionMap(prng.shuffled(nodes), 4096, 3, placement)));
});
