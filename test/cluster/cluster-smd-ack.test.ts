/**
 * System metadata acknowledged between members, under simulated time: real ClusterRuntime objects
 * over seeded simulated links, each node holding a real SecurityStore whose changes go out through
 * the runtime's SMD delivery (src/cluster/runtime/smd-delivery.ts). A user created while one
 * member's fabric messages are dropped (its heartbeats still flow, so the cluster does not change
 * and no full exchange happens) reaches that member once its fabric is back; the creating node
 * sends again only to the member that did not acknowledge, every SMD_RETRY_MS, and stops once
 * every member acknowledged. A member that never answers is given up after
 * SMD_RETRY_MAX_ATTEMPTS sends. Replay one seed with STRATO_SMD_SEED=<n>.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settledCluster } from '../helpers/runtime-sim.js';
import { SMD_RETRY_MAX_ATTEMPTS, SMD_RETRY_MS } from '../../src/cluster/runtime/smd-delivery.js';

const ONLY = process.env['STRATO_SMD_SEED'] !== undefined ? Number(process.env['STRATO_SMD_SEED']) : undefined;
const SEEDS = ONLY !== undefined ? [ONLY] : [1, 2, 3];
const FABRIC_PORT = 3001;

test('a user created while a member drops fabric messages reaches it once they get through, and re-sending stops once every member acknowledged', async () => {
  for (const seed of SEEDS) {
    const sim = await settledCluster(seed);
    try {
      const [n1, n2, n3] = sim.nodes as [(typeof sim.nodes)[0], (typeof sim.nodes)[0], (typeof sim.nodes)[0]];
      const keyBefore = n1.rt.clusterView.clusterKey;
      sim.net.block(`${n3.host}:${FABRIC_PORT}`);
      const start = n1.rt.smdDelivery.stats.sent;
      n1.security.putUser({ name: 'carol', credential: 'c', roles: ['read'] });
      await sim.runUntil(sim.clock.nowMs() + 4.5 * SMD_RETRY_MS);
      // n2 acknowledged at once; n3 did not, and is sent the change again at each retry
      assert.ok(n2.security.users.has('carol'), `seed ${seed}: n2 has the user`);
      assert.ok(!n3.security.users.has('carol'), `seed ${seed}: n3's fabric is blocked`);
      assert.deepEqual(n1.rt.smdDelivery.pendingMembers(), [n3.id], `seed ${seed}: only n3 owes an acknowledgement`);
      const sentWhileBlocked = n1.rt.smdDelivery.stats.sent - start;
      // one send to each member, then to n3 alone once per ack timeout + SMD_RETRY_MS (5 s):
      // at +5 s and +10 s of the 13.5 s run
      assert.equal(sentWhileBlocked, 4, `seed ${seed}: ${sentWhileBlocked} sends`);
      // its heartbeats flowed: the cluster did not change, so no full exchange brought the user
      assert.equal(n1.rt.clusterView.clusterKey, keyBefore, `seed ${seed}: same cluster`);

      sim.net.unblock(`${n3.host}:${FABRIC_PORT}`);
      await sim.runUntil(sim.clock.nowMs() + 2 * SMD_RETRY_MS);
      assert.deepEqual(n3.security.users.get('carol')?.roles, ['read'], `seed ${seed}: n3 got the user`);
      assert.deepEqual(n1.rt.smdDelivery.pendingMembers(), [], `seed ${seed}: every member acknowledged`);
      const sentAfterAcks = n1.rt.smdDelivery.stats.sent;
      await sim.runUntil(sim.clock.nowMs() + 10 * SMD_RETRY_MS);
      assert.equal(n1.rt.smdDelivery.stats.sent, sentAfterAcks, `seed ${seed}: nothing re-sent after the acknowledgements`);
      assert.equal(n1.rt.clusterView.clusterKey, keyBefore, `seed ${seed}: still the same cluster`);
    } finally {
      await sim.stopAll();
    }
  }
});

test('a drop made on one member while another drops fabric messages reaches it too, leaving a tombstone there', async () => {
  const sim = await settledCluster(ONLY ?? 4);
  try {
    const [n1, n2, n3] = sim.nodes as [(typeof sim.nodes)[0], (typeof sim.nodes)[0], (typeof sim.nodes)[0]];
    n2.security.putUser({ name: 'dave', credential: 'd', roles: ['read'] });
    await sim.runUntil(sim.clock.nowMs() + SMD_RETRY_MS);
    assert.ok(n1.security.users.has('dave') && n3.security.users.has('dave'));
    sim.net.block(`${n1.host}:${FABRIC_PORT}`);
    n2.security.dropUser('dave');
    await sim.runUntil(sim.clock.nowMs() + 3 * SMD_RETRY_MS);
    assert.ok(n1.security.users.has('dave'), 'n1 has not heard of the drop yet');
    assert.ok(!n3.security.users.has('dave'));
    sim.net.unblock(`${n1.host}:${FABRIC_PORT}`);
    await sim.runUntil(sim.clock.nowMs() + 2 * SMD_RETRY_MS);
    assert.ok(!n1.security.users.has('dave'), 'the drop reached n1');
    assert.ok(n1.security.items().some((i) => i.kind === 'user' && i.name === 'dave' && i.user === undefined), 'as a tombstone');
    assert.deepEqual(n2.rt.smdDelivery.pendingMembers(), []);
  } finally {
    await sim.stopAll();
  }
});

test('a member that stays in the cluster but never acknowledges is sent the change SMD_RETRY_MAX_ATTEMPTS times, then given up with a warning', async () => {
  const sim = await settledCluster(ONLY ?? 5);
  try {
    const [n1, , n3] = sim.nodes as [(typeof sim.nodes)[0], (typeof sim.nodes)[0], (typeof sim.nodes)[0]];
    sim.net.block(`${n3.host}:${FABRIC_PORT}`);
    const start = n1.rt.smdDelivery.stats.sent;
    n1.security.putUser({ name: 'erin', credential: 'e', roles: ['read'] });
    // each attempt waits for its ack timeout, then SMD_RETRY_MS: run well past the last one
    await sim.runUntil(sim.clock.nowMs() + (SMD_RETRY_MAX_ATTEMPTS + 10) * (SMD_RETRY_MS + 2_000));
    assert.deepEqual(n1.rt.smdDelivery.pendingMembers(), []);
    assert.equal(n1.rt.smdDelivery.stats.abandoned, 1);
    // one send to n2 (acknowledged) and SMD_RETRY_MAX_ATTEMPTS to n3
    assert.equal(n1.rt.smdDelivery.stats.sent - start, 1 + SMD_RETRY_MAX_ATTEMPTS);
    assert.ok(sim.warnings.some((w) => /acknowledged nothing in 200 sends/.test(w)), sim.warnings.join('\n'));
    assert.ok(!n3.security.users.has('erin'));
  } finally {
    await sim.stopAll();
  }
});
