/**
 * Deterministic simulation of whole clusters: 3 to 7 nodes under seeded message loss, delay,
 * duplication and reordering, a network split and its heal, a crash and restart, a node of
 * another cluster heartbeating at everyone, and partition data moving by the migration plan.
 * After the last fault every invariant must hold: one cluster key and succession per network
 * component, integrity, one master per partition, even masters, every partition settled on its
 * replicas, nothing lost with persistent storage.
 *
 * A failing seed is printed with its fault schedule. Replay one exactly with
 *   STRATO_CLUSTER_SEED=<seed> node --test dist/test/cluster/cluster-sim.test.js
 * and run more seeds with STRATO_CLUSTER_SEEDS=<count>.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterSimulation, describeReport, randomFaults, runScenario, type SimulationConfig, type SimulationReport } from '../../src/testing/cluster-simulation.js';
import { Prng } from '../../src/testing/prng.js';

const INTERVAL_MS = 150;
/** After the last heal or restart, membership must settle within this many heartbeat intervals. */
const CONVERGENCE_BOUND_INTERVALS = 20;
const ONLY_SEED = process.env.STRATO_CLUSTER_SEED === undefined ? undefined : Number(process.env.STRATO_CLUSTER_SEED);
const SEED_COUNT = Number(process.env.STRATO_CLUSTER_SEEDS ?? 200);

function configFor(seed: number, overrides: Partial<SimulationConfig> = {}): SimulationConfig {
  const nodeCount = 3 + (seed % 5);
  return {
    seed,
    nodeCount,
    replicationFactor: 2,
    foreignNode: seed % 3 === 0,
    storage: seed % 2 === 0 ? 'memory' : 'persistent',
    intervalMs: INTERVAL_MS,
    ...overrides,
  };
}

/** Runs seeds, collects failures (including slow convergence) and fails once with all of them. */
function runSeeds(seeds: number[], overrides: (seed: number) => Partial<SimulationConfig>): { reports: SimulationReport[]; failures: string[] } {
  const reports: SimulationReport[] = [];
  const failures: string[] = [];
  for (const seed of seeds) {
    const r = runScenario(configFor(seed, overrides(seed)));
    reports.push(r);
    const slow = r.convergedAfterMs !== undefined && r.convergedAfterMs > CONVERGENCE_BOUND_INTERVALS * INTERVAL_MS;
    if (!r.ok || slow) {
      failures.push(
        `${describeReport({ ...r, ok: false })}${slow ? `\n  converged after ${r.convergedAfterMs}ms > bound ${CONVERGENCE_BOUND_INTERVALS * INTERVAL_MS}ms` : ''}` +
          `\n  replay: STRATO_CLUSTER_SEED=${seed} node --test dist/test/cluster/cluster-sim.test.js`,
      );
    }
  }
  return { reports, failures };
}

function summary(reports: SimulationReport[]): string {
  const conv = reports.map((r) => r.convergedAfterMs ?? Infinity).sort((a, b) => a - b);
  const migrations = reports.reduce((n, r) => n + r.migrations.completed, 0);
  const messages = reports.reduce((n, r) => n + r.messages.sent, 0);
  return `${reports.length} seeds; convergence after last fault p50 ${conv[conv.length >> 1]}ms, max ${conv.at(-1)}ms; ${messages} messages; ${migrations} migrations`;
}

const seeds = ONLY_SEED !== undefined ? [ONLY_SEED] : Array.from({ length: SEED_COUNT }, (_, i) => i + 1);

test(`${seeds.length} seeded runs of 3-7 nodes with loss, delay, duplicates, a split, a crash and a restart all converge and keep every invariant`, (t) => {
  const { reports, failures } = runSeeds(seeds, () => ({}));
  t.diagnostic(summary(reports));
  if (ONLY_SEED !== undefined) t.diagnostic(describeReport(reports[0]!));
  assert.equal(failures.length, 0, `${failures.length} failing seed(s):\n${failures.slice(0, 3).join('\n\n')}`);
});

test('with min-cluster-size at a majority, minorities hold back and everything still converges after the heal', (t) => {
  const majoritySeeds = ONLY_SEED !== undefined ? [ONLY_SEED] : Array.from({ length: 40 }, (_, i) => 10_001 + i);
  const { reports, failures } = runSeeds(majoritySeeds, (seed) => ({ minClusterSize: Math.floor((3 + (seed % 5)) / 2) + 1 }));
  t.diagnostic(summary(reports));
  assert.equal(failures.length, 0, `${failures.length} failing seed(s):\n${failures.slice(0, 3).join('\n\n')}`);
});

test('a seed replays exactly: same faults, same messages, same cluster keys', () => {
  const fingerprint = (r: SimulationReport) =>
    JSON.stringify({ ...r, finalViews: r.finalViews.map((v) => ({ ...v, clusterKey: v.clusterKey.toString(16), succession: v.succession.map(String), principal: String(v.principal), nodeId: String(v.nodeId) })) }, (_k, v) =>
      typeof v === 'bigint' ? v.toString(16) : v,
    );
  const a = runScenario(configFor(77));
  const b = runScenario(configFor(77));
  assert.equal(fingerprint(a), fingerprint(b));
  assert.notEqual(fingerprint(a), fingerprint(runScenario(configFor(78))));
});

test('a split that never heals leaves two clusters, each consistent on its own', () => {
  const sim = new ClusterSimulation({ seed: 5, nodeCount: 5, faults: { dropRate: 0.05, delayMinMs: 1, delayMaxMs: 20 } });
  for (const id of sim.ids) sim.boot(id);
  sim.runUntil(2_000);
  sim.network.partition([sim.ids.slice(0, 2), sim.ids.slice(2)]);
  sim.runUntil(8_000);
  assert.deepEqual(sim.convergenceProblems(), []);
  const keys = new Set(sim.views().map((v) => v.clusterKey));
  assert.equal(keys.size, 2);
  sim.checkMaps();
  sim.checkDataSettled();
  assert.deepEqual(sim.violations, []);
});

test('the invariant checker notices a cluster that has not converged', () => {
  const sim = new ClusterSimulation({ seed: 9, nodeCount: 3, faults: { delayMinMs: 1, delayMaxMs: 2 } });
  for (const id of sim.ids) sim.boot(id);
  sim.runUntil(150); // still in the quiet period: nobody has formed a cluster
  assert.ok(sim.convergenceProblems().length > 0);
  sim.runUntil(3_000);
  assert.deepEqual(sim.convergenceProblems(), []);
});

test('replication factor 2 in memory: a single crash at any moment (mid-migration included) loses no acknowledged write', () => {
  const failures: string[] = [];
  const runs = ONLY_SEED !== undefined ? [ONLY_SEED] : Array.from({ length: 30 }, (_, i) => 20_001 + i);
  for (const seed of runs) {
    const prng = new Prng(seed);
    const nodeCount = 3 + (seed % 3);
    const sim = new ClusterSimulation({ seed, nodeCount, replicationFactor: 2, storage: 'memory', faults: randomFaults(prng) });
    for (const id of sim.ids) sim.boot(id);
    // a node joins late, so migrations run when the crash comes
    const late = sim.ids[seed % nodeCount]!;
    sim.crash(late);
    sim.runUntil(3_000);
    sim.boot(late);
    sim.runUntil(3_000 + prng.range(0, 3_000));
    sim.crash(prng.pick(sim.ids));
    sim.runUntil(25_000);
    const lost = sim.lostTokens();
    const problems = [...sim.convergenceProblems(), ...sim.violations];
    if (lost.length > 0 || problems.length > 0) failures.push(`seed ${seed}: ${lost.length} tokens lost; ${problems.slice(0, 3).join('; ')}`);
  }
  assert.deepEqual(failures, []);
});
