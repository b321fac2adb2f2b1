/**
 * The cluster runtime itself under simulated time: real ClusterRuntime objects exchanging real
 * fabric messages over seeded simulated links, with a client write load, a crash and restart or a
 * network split and heal, a node joining a loaded cluster or leaving it for good. After the last fault the cluster must settle with every partition's
 * copies identical on its row, one serving node agreed by all, and no acknowledged write lost
 * (replication factor 2; the newest write wins merges). Replay one seed with
 * STRATO_RUNTIME_SEED=<n>; run more seeds with STRATO_RUNTIME_SEEDS=<count> (`npm run sim` runs 30).
 * `npm test` runs 3 per scenario: each seed costs ~2 s of CPU, and the suite must stay quick.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeSim } from '../../src/testing/runtime-simulation.js';

const ONLY = process.env['STRATO_RUNTIME_SEED'] !== undefined ? Number(process.env['STRATO_RUNTIME_SEED']) : undefined;
/** Seeds per scenario in `npm test`; a longer campaign sets STRATO_RUNTIME_SEEDS. */
const SEED_COUNT = Number(process.env['STRATO_RUNTIME_SEEDS'] ?? 3);
const SEEDS = ONLY !== undefined ? [ONLY] : Array.from({ length: SEED_COUNT }, (_, i) => i + 1);

type Fault = 'crash' | 'split' | 'join' | 'leave';

interface Layout {
  nodeCount?: number;
  hostOf?: (i: number) => bigint;
  rackOf?: (i: number) => number;
  /** the placement group a check demands distinct copies across (node index → name) */
  groupOf?: (i: number) => string;
}

async function scenario(seed: number, fault: Fault, layout: Layout = {}): Promise<{ problems: string[]; acked: number; tried: number }> {
  const sim = new RuntimeSim({ seed, nodeCount: layout.nodeCount ?? 3 + (seed % 2), replicationFactor: 2, hostOf: layout.hostOf, rackOf: layout.rackOf });
  const last = sim.nodes.length - 1;
  try {
    for (let i = 0; i < sim.nodes.length; i++) {
      if (fault === 'join' && i === last) continue; // joins a loaded cluster later
      const at = sim.prng.range(0, 600);
      sim.clock.setTimer(at, () => void sim.boot(i));
    }
    await sim.runUntil(4_000);
    sim.scheduleWrites(4_000, 12_000, 4, 300);
    const victim = sim.prng.range(0, sim.nodes.length - 1);
    await sim.runUntil(6_000 + sim.prng.range(0, 1_000));
    if (fault === 'crash') {
      await sim.crash(victim);
      await sim.runUntil(9_000 + sim.prng.range(0, 1_000));
      await sim.boot(victim);
    } else if (fault === 'join') {
      await sim.boot(last);
    } else if (fault === 'leave') {
      await sim.crash(victim); // and it stays away: the others re-replicate among themselves
    } else {
      const hosts = sim.nodes.map((n) => n.host);
      sim.net.partition([[hosts[victim]!], hosts.filter((_, i) => i !== victim)]);
      await sim.runUntil(9_000 + sim.prng.range(0, 1_000));
      sim.net.heal();
    }
    await sim.runUntil(30_000);
    const problems = sim.check();
    if (problems.length === 0 && layout.groupOf) problems.push(...sim.sharedGroupRows(layout.groupOf));
    return { problems, acked: sim.acked.size, tried: sim.writesTried };
  } finally {
    await sim.stopAll();
  }
}

for (const fault of ['crash', 'split', 'join', 'leave'] as const) {
  test(`runtime simulation, ${fault} under a write load: ${SEEDS.length} seeds settle with every acknowledged write kept`, async (t) => {
    const failures: string[] = [];
    for (const seed of SEEDS) {
      const r = await scenario(seed, fault);
      t.diagnostic(`seed ${seed}: ${r.acked} keys acknowledged of ${r.tried} writes tried`);
      assert.ok(r.acked > 50, `seed ${seed}: the load ran`);
      if (r.problems.length > 0) failures.push(`seed ${seed}: ${r.problems.slice(0, 5).join('; ')}`);
    }
    assert.deepEqual(failures, []);
  });
}

// two "machines" of two or three nodes each (nodes of one strato start share a host id)
const twoHosts: Layout = { nodeCount: 4, hostOf: (i) => BigInt(0x100 + (i % 2)), groupOf: (i) => `host${i % 2}` };
// three racks over five nodes, each node a host of its own: racks, not hosts, must differ
const threeRacks: Layout = { nodeCount: 5, rackOf: (i) => 1 + (i % 3), groupOf: (i) => `rack${1 + (i % 3)}` };

for (const [name, layout] of [
  ['two hosts of two nodes', twoHosts],
  ['three racks over five nodes', threeRacks],
] as const) {
  test(`runtime simulation with ${name}: after a crash and restart under load every partition's copies sit in distinct groups (${SEEDS.length} seeds)`, async (t) => {
    const failures: string[] = [];
    for (const seed of SEEDS) {
      const r = await scenario(seed, 'crash', layout);
      t.diagnostic(`seed ${seed}: ${r.acked} keys acknowledged of ${r.tried} writes tried`);
      if (r.problems.length > 0) failures.push(`seed ${seed}: ${r.problems.slice(0, 5).join('; ')}`);
    }
    assert.deepEqual(failures, []);
  });
}

/**
 * Two clusters of two nodes (each pair on a host of its own, one node of each pair per rack, as
 * two `strato` starts with rack awareness) formed apart, then joined under a write load while
 * one-way messages get lost now and then (a PeerNet connection that times out drops the one-way
 * frames queued on it). Every partition's migrations must finish: a lost COMPLETE used to leave a
 * member with partitions that never became ready (its later completions were "not runnable").
 */
async function mergeScenario(seed: number): Promise<{ problems: string[]; acked: number; tried: number }> {
  const sim = new RuntimeSim({
    seed,
    nodeCount: 4,
    replicationFactor: 2,
    hostOf: (i) => BigInt(0x100 + (i < 2 ? 0 : 1)),
    rackOf: (i) => 1 + (i % 2),
    // the second pair also knows the first (as a second host started with the first's seeds)
    seedsOf: (i) => (i < 2 ? [0] : [5 - i, 0]),
    oneWayLossRate: 0.05,
  });
  try {
    const hosts = sim.nodes.map((n) => n.host);
    sim.net.partition([hosts.slice(0, 2), hosts.slice(2)]);
    for (let i = 0; i < sim.nodes.length; i++) sim.clock.setTimer(sim.prng.range(0, 600), () => void sim.boot(i));
    await sim.runUntil(4_000);
    sim.scheduleWrites(4_000, 12_000, 4, 300);
    await sim.runUntil(6_000 + sim.prng.range(0, 1_000));
    sim.net.heal();
    await sim.runUntil(30_000);
    const problems = sim.check();
    if (problems.length === 0) problems.push(...sim.sharedGroupRows((i) => `rack${1 + (i % 2)}`));
    return { problems, acked: sim.acked.size, tried: sim.writesTried };
  } finally {
    await sim.stopAll();
  }
}

test(`runtime simulation, two 2-node clusters merging while one-way messages get lost: every migration finishes and every acknowledged write is kept (${SEEDS.length} seeds)`, async (t) => {
  const failures: string[] = [];
  for (const seed of SEEDS) {
    const r = await mergeScenario(seed);
    t.diagnostic(`seed ${seed}: ${r.acked} keys acknowledged of ${r.tried} writes tried`);
    assert.ok(r.acked > 50, `seed ${seed}: the load ran`);
    if (r.problems.length > 0) failures.push(`seed ${seed}: ${r.problems.slice(0, 5).join('; ')}`);
  }
  assert.deepEqual(failures, []);
});
