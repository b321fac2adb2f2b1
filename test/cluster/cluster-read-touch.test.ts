/**
 * read-touch-ttl-percent in a two-node cluster (replication factor 2): a touching read runs on the
 * partition's master and the new void time reaches the replica, so both copies keep the record
 * alive alike. Time moves through each node's test clock hook.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { TestCluster, info, localNodeSpecs } from '../helpers/strato-cluster.js';
import { requestFrame } from '../helpers/raw-client.js';
import { encodeGet } from '../../src/client/message-encoder.js';
import { computeDigest } from '../../src/util/digest.js';
import { connectClient } from '../helpers/client.js';

let cluster: TestCluster;
let client: any;

/** Most time the replica gets to apply the touch (it is shipped in the background). */
const REPLICA_DEADLINE_MS = 10_000;

before(async () => {
  cluster = new TestCluster(await localNodeSpecs(2), { replicationFactor: 2, namespaceExtra: 'nsup-period 120', env: { STRATO_TEST_HOOKS: '1' } });
  await cluster.startAll();
  await cluster.waitStable([0, 1], 2);
  const s = cluster.specs[0]!;
  client = await connectClient({ hosts: [{ addr: s.host, port: s.servicePort }], log: { level: -1 } as any });
});
after(async () => {
  await client?.close(false);
  await cluster?.stopAll();
});

/** The void time each node answers for the record from its own copy (a plain read, no touch). */
async function voidTimes(digest: Buffer): Promise<number[]> {
  const out: number[] = [];
  for (const s of cluster.specs) {
    const answer = await requestFrame(s.host, s.servicePort, encodeGet('test', 'crt', digest), 5000);
    assert.equal(answer[13], 0, 'both nodes hold the record');
    out.push(answer.readUInt32BE(18));
  }
  return out;
}

test('a touching read resets the TTL on the master and on the replica', async () => {
  const key = new Aerospike.Key('test', 'crt', 'k');
  const digest = computeDigest('crt', 3, Buffer.from('k'));
  await client.put(key, { a: 1 }, { ttl: 100 }, new Aerospike.WritePolicy({ commitLevel: Aerospike.policy.commitLevel.ALL }));
  const [before0, before1] = await voidTimes(digest);
  assert.equal(before0, before1);
  for (const s of cluster.specs) await info(s.host, s.servicePort, 'strato-test-clock:advance-sec=60');
  await client.get(key, new Aerospike.ReadPolicy({ readTouchTtlPercent: 50 }));
  const deadline = Date.now() + REPLICA_DEADLINE_MS;
  let after = await voidTimes(digest);
  while ((after[0] !== after[1] || after[0]! <= before0!) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    after = await voidTimes(digest);
  }
  assert.ok(after[0]! >= before0! + 59, `master void time moved: ${before0} -> ${after[0]}`);
  assert.equal(after[1], after[0], 'the replica has the same void time');
  assert.equal((await client.get(key)).gen, 1);
});
