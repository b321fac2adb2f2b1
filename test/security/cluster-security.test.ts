/**
 * Users and roles the same on every node of a three-node cluster (issue 17): a user created through
 * one node logs in on the others, a password change, a role revoke and a drop take effect
 * everywhere, a restarted node still knows its users, and a user dropped while a node was down
 * does not come back when it rejoins. Official client plus raw LOGIN frames sent to one node at a
 * time (the client logs in to every node, so only a raw frame shows what one node answers).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { localNodeSpecs, TestCluster } from '../helpers/strato-cluster.js';
import { connectClient } from '../helpers/client.js';
import { frame, requestFrame } from '../helpers/raw-client.js';
import { resultCode } from '../helpers/result-code.js';
import { clientCredential } from '../../src/security/credential.js';

/** How long a change may take to reach every member (one fabric message; generous for a loaded machine). */
const SPREAD_TIMEOUT_MS = 15_000;

let cluster: TestCluster;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strato-seccl-'));
  const specs = await localNodeSpecs(3);
  for (const s of specs) mkdirSync(join(dir, s.nodeId));
  cluster = new TestCluster(specs, {
    clusterName: 'sec',
    extraStanzas: 'security {\n  session-ttl 600\n}',
    workDirectory: (s) => join(dir, s.nodeId),
    login: { user: 'admin', password: 'admin' },
  });
  await cluster.startAll();
  await cluster.waitStable([0, 1, 2], 3);
});

after(async () => {
  await cluster?.stopAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const hostOf = (i: number) => ({ addr: '127.0.0.1', port: cluster.specs[i]!.servicePort });

/** The official client seeded with node `i` only (it still logs in to every node it discovers). */
function clientVia(i: number, user: string, password: string) {
  return connectClient({ hosts: [hostOf(i)], user, password, policies: { admin: { timeout: 5000 } } } as Parameters<typeof connectClient>[0]);
}

function adminField(id: number, data: string): Buffer {
  const d = Buffer.from(data);
  const h = Buffer.alloc(5);
  h.writeUInt32BE(d.length + 1);
  h[4] = id;
  return Buffer.concat([h, d]);
}

/** Result code node `i` answers a LOGIN (command 20: user field 0, credential field 3). */
async function loginCode(i: number, user: string, password: string): Promise<number> {
  const header = Buffer.alloc(16);
  header[2] = 20;
  header[3] = 2;
  const body = Buffer.concat([header, adminField(0, user), adminField(3, clientCredential(password))]);
  const answer = await requestFrame('127.0.0.1', cluster.specs[i]!.servicePort, frame(2, body), 5000);
  return answer[9]!;
}

/** Waits until every listed node answers `code` to the login; fails naming the nodes that did not. */
async function waitLogin(nodes: number[], user: string, password: string, code: number): Promise<void> {
  const deadline = Date.now() + SPREAD_TIMEOUT_MS;
  let last: number[] = [];
  while (Date.now() < deadline) {
    last = await Promise.all(nodes.map((i) => loginCode(i, user, password)));
    if (last.every((c) => c === code)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`login ${user} answered ${last.join(',')} on nodes ${nodes.join(',')} (wanted ${code} everywhere)`);
}

test('a user created through one node logs in through every other node', async () => {
  const admin = await clientVia(0, 'admin', 'admin');
  try {
    await admin.createUser('ann', 'pw1', ['read-write']);
  } finally {
    await admin.close();
  }
  await waitLogin([0, 1, 2], 'ann', 'pw1', 0);
  const ann = await clientVia(1, 'ann', 'pw1');
  try {
    const key = new Aerospike.Key('test', 'people', 'ann-1');
    await ann.put(key, { v: 1 });
    assert.equal((await ann.get(key)).bins['v'], 1);
  } finally {
    await ann.close();
  }
});

test('a password changed through one node is the only one every node accepts, and open sessions go on', async () => {
  const ann = await clientVia(2, 'ann', 'pw1');
  const admin = await clientVia(1, 'admin', 'admin');
  try {
    await admin.changePassword('ann', 'pw2');
    await waitLogin([0, 1, 2], 'ann', 'pw1', 65); // INVALID_CREDENTIAL
    await waitLogin([0, 1, 2], 'ann', 'pw2', 0);
    // as with Aerospike, a session opened before the change stays valid until it expires
    for (let i = 0; i < 20; i++) await ann.put(new Aerospike.Key('test', 'people', `after-change-${i}`), { v: i });
  } finally {
    await ann.close();
    await admin.close();
  }
});

test('a role revoked through one node refuses the open connections of every node', async () => {
  const ann = await clientVia(0, 'ann', 'pw2');
  const admin = await clientVia(2, 'admin', 'admin');
  try {
    await admin.revokeRoles('ann', ['read-write']);
    // 20 keys land on all three nodes' partitions: each must refuse with ROLE_VIOLATION (81)
    const deadline = Date.now() + SPREAD_TIMEOUT_MS;
    let codes: number[] = [];
    while (Date.now() < deadline) {
      codes = await Promise.all(Array.from({ length: 20 }, (_, i) => resultCode(ann.put(new Aerospike.Key('test', 'people', `revoked-${i}`), { v: i }))));
      if (codes.every((c) => c === 81)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(new Set(codes), new Set([81]));
    await admin.grantRoles('ann', ['read']);
    await admin.createUser('bob', 'bobpw', ['read']);
  } finally {
    await ann.close();
    await admin.close();
  }
  await waitLogin([0, 1, 2], 'bob', 'bobpw', 0);
});

test('a restarted node still knows the users, and one dropped while it was down stays dropped', async () => {
  await cluster.kill(2, 'SIGTERM');
  await cluster.waitStable([0, 1], 2);
  const admin = await clientVia(0, 'admin', 'admin');
  try {
    await admin.dropUser('ann');
  } finally {
    await admin.close();
  }
  await waitLogin([0, 1], 'ann', 'pw2', 60); // INVALID_USER
  await cluster.start(2);
  // on its own, straight after the restart, node 2 has its SMD file: bob is there
  assert.equal(await loginCode(2, 'bob', 'bobpw'), 0);
  await cluster.waitStable([0, 1, 2], 3);
  // node 2 still held ann from before the drop: the cluster's tombstone wins, everywhere
  await waitLogin([0, 1, 2], 'ann', 'pw2', 60);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await Promise.all([0, 1, 2].map((i) => loginCode(i, 'ann', 'pw2'))), [60, 60, 60]);
  const bob = await clientVia(2, 'bob', 'bobpw');
  try {
    const rec = await bob.get(new Aerospike.Key('test', 'people', 'ann-1'));
    assert.equal(rec.bins['v'], 1);
  } finally {
    await bob.close();
  }
});
