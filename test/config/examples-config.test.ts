/** The example configurations shipped in examples/ parse and describe a three-node mesh. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/parser.js';
import { ROOT } from '../helpers/paths.js';

const DIR = join(ROOT, 'examples', 'cluster');

test('the three example cluster nodes parse, share a cluster name and seed each other', () => {
  const cfgs = [1, 2, 3].map((i) => parseConfig(readFileSync(join(DIR, `node${i}.conf`), 'utf8'), `node${i}.conf`));
  const ports = new Set<number>();
  for (const c of cfgs) {
    assert.equal(c.service.clusterName, 'strato-local');
    assert.equal(c.network.heartbeat.mode, 'mesh');
    assert.equal(c.namespaces[0]!.replicationFactor, 2);
    for (const p of [c.network.service.port, c.network.heartbeat.port, c.network.fabric.port]) {
      assert.ok(!ports.has(p), `port ${p} used twice`);
      ports.add(p);
    }
  }
  assert.deepEqual(new Set(cfgs.map((c) => c.service.nodeId)), new Set(['A1', 'A2', 'A3']));
  const seeds = cfgs[0]!.network.heartbeat.meshSeeds.map((s) => s.port);
  assert.ok(seeds.every((p) => cfgs.some((c) => c.network.heartbeat.port === p)), 'seeds are heartbeat ports of the example nodes');
});
