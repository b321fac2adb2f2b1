/**
 * The cluster runtime itself under simulated time: real ClusterRuntime objects exchanging real
 * fabric messages over seeded simulated links, with a client write load, a crash and restart or a
 * network split and heal, a node joining a loaded cluster or leaving it for good. After the last fault the cluster must settle with every partition's
 * copies identical on its row, one serving node agreed by all, and no acknowledged write lost
 * (replication factor 2; the newest write wins merges). Replay one seed with
 * STRATO_RUNTIME_SEED=<n>; run more seeds with STRATO_RUNTIME_SEEDS=<count> (`npm run sim` runs 30).
 * `npm test` runs 2 per scenario: each seed costs ~1 s of CPU (this file was the suite's largest
 * pure-CPU cost at 3, ~25 s), and seeds 1 and 2 still cover both node counts of the default layout
 * (3 + seed % 2); `npm run sim` is the deep run.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ModuleWorker } from '../helpers/in-worker.js';
import type { Fault, SeedResult } from './runtime-sim-scenarios.js';

const ONLY = process.env['STRATO_RUNTIME_SEED'] !== undefined ? Number(process.env['STRATO_RUNTIME_SEED']) : undefined;
/** Seeds per scenario in `npm test`; a longer campaign sets STRATO_RUNTIME_SEEDS. */
const SEED_COUNT = Number(process.env['STRATO_RUNTIME_SEEDS'] ?? 2);
const SEEDS = ONLY !== undefined ? [ONLY] : Array.from({ length: SEED_COUNT }, (_, i) => i + 1);

/** The scenarios run in a worker thread (see runtime-sim-scenarios.ts), one after the other. */
const scenarios = new ModuleWorker(new URL('./runtime-sim-scenarios.js', import.meta.url));
after(() => scenarios.close());
const runSeeds = (kind: Fault | 'merge', layout: string): Promise<SeedResult[]> => scenarios.call<SeedResult[]>('runSeeds', [kind, layout, SEEDS]);

for (const fault of ['crash', 'split', 'join', 'leave'] as const) {
  test(`runtime simulation, ${fault} under a write load: ${SEEDS.length} seeds settle with every acknowledged write kept`, async (t) => {
    const failures: string[] = [];
    for (const r of await runSeeds(fault, 'default')) {
      const seed = r.seed;
      t.diagnostic(`seed ${seed}: ${r.acked} keys acknowledged of ${r.tried} writes tried`);
      assert.ok(r.acked > 50, `seed ${seed}: the load ran`);
      if (r.problems.length > 0) failures.push(`seed ${seed}: ${r.problems.slice(0, 5).join('; ')}`);
    }
    assert.deepEqual(failures, []);
  });
}

for (const [name, layout] of [
  ['two hosts of two nodes', 'twoHosts'],
  ['three racks over five nodes', 'threeRacks'],
] as const) {
  test(`runtime simulation with ${name}: after a crash and restart under load every partition's copies sit in distinct groups (${SEEDS.length} seeds)`, async (t) => {
    const failures: string[] = [];
    for (const r of await runSeeds('crash', layout)) {
      const seed = r.seed;
      t.diagnostic(`seed ${seed}: ${r.acked} keys acknowledged of ${r.tried} writes tried`);
      if (r.problems.length > 0) failures.push(`seed ${seed}: ${r.problems.slice(0, 5).join('; ')}`);
    }
    assert.deepEqual(failures, []);
  });
}

test(`runtime simulation, two 2-node clusters merging while one-way messages get lost: every migration finishes and every acknowledged write is kept (${SEEDS.length} seeds)`, async (t) => {
  const failures: string[] = [];
  for (const r of await runSeeds('merge', 'default')) {
    const seed = r.seed;
    t.diagnostic(`seed ${seed}: ${r.acked} keys acknowledged of ${r.tried} writes tried`);
    assert.ok(r.acked > 50, `seed ${seed}: the load ran`);
    if (r.problems.length > 0) failures.push(`seed ${seed}: ${r.problems.slice(0, 5).join('; ')}`);
  }
  assert.deepEqual(failures, []);
});
