/**
 * The scenarios of the cluster runtime simulation test (cluster-runtime-sim.test.ts), in a module
 * of their own so the test runs them in a worker thread (helpers/in-worker.ts): each scenario is a
 * long run of promises, and the test thread's async hooks (node:test) made those a fifth more
 * expensive. Everything here is plain data in and out.
 */
import { RuntimeSim } from '../../src/testing/runtime-simulation.js';

export type Fault = 'crash' | 'split' | 'join' | 'leave';

export interface Layout {
  nodeCount?: number;
  hostOf?: (i: number) => bigint;
  rackOf?: (i: number) => number;
  /** the placement group a check demands distinct copies across (node index → name) */
  groupOf?: (i: number) => string;
}

export async function scenario(seed: number, fault: Fault, layout: Layout = {}): Promise<{ problems: string[]; acked: number; tried: number }> {
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

// two "machines" of two or three nodes each (nodes of one strato start share a host id)
export const twoHosts: Layout = { nodeCount: 4, hostOf: (i) => BigInt(0x100 + (i % 2)), groupOf: (i) => `host${i % 2}` };
// three racks over five nodes, each node a host of its own: racks, not hosts, must differ
export const threeRacks: Layout = { nodeCount: 5, rackOf: (i) => 1 + (i % 3), groupOf: (i) => `rack${1 + (i % 3)}` };

/**
 * Two clusters of two nodes (each pair on a host of its own, one node of each pair per rack, as
 * two `strato` starts with rack awareness) formed apart, then joined under a write load while
 * one-way messages get lost now and then (a PeerNet connection that times out drops the one-way
 * frames queued on it). Every partition's migrations must finish: a lost COMPLETE used to leave a
 * member with partitions that never became ready (its later completions were "not runnable").
 */
export async function mergeScenario(seed: number): Promise<{ problems: string[]; acked: number; tried: number }> {
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

/** The outcome of one seed of a scenario. */
export interface SeedResult {
  seed: number;
  problems: string[];
  acked: number;
  tried: number;
}

/** The layouts a test names (functions do not cross into a worker; their names do). */
const LAYOUTS: Record<string, Layout> = { default: {}, twoHosts, threeRacks };

/** Runs `seeds` of a scenario one after the other: a fault under the named layout, or the two-cluster merge. */
export async function runSeeds(kind: Fault | 'merge', layout: string, seeds: number[]): Promise<SeedResult[]> {
  const out: SeedResult[] = [];
  for (const seed of seeds) {
    const r = kind === 'merge' ? await mergeScenario(seed) : await scenario(seed, kind, LAYOUTS[layout]);
    out.push({ seed, ...r });
  }
  return out;
}
