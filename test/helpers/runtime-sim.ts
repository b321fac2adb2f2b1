/** What the simulated-cluster (RuntimeSim) tests share. */
import assert from 'node:assert/strict';
import { RuntimeSim } from '../../src/testing/runtime-simulation.js';

/** Three nodes (replication factor 2) booted within 300 ms of each other and settled into one cluster by 6 s. */
export async function settledCluster(seed: number): Promise<RuntimeSim> {
  const sim = new RuntimeSim({ seed, nodeCount: 3, replicationFactor: 2 });
  for (let i = 0; i < 3; i++) sim.clock.setTimer(sim.prng.range(0, 300), () => void sim.boot(i));
  await sim.runUntil(6_000);
  assert.deepEqual(sim.check(), [], `seed ${seed}: the cluster settled`);
  return sim;
}
