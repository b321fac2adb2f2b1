/**
 * LDAP users in a two-node cluster, against a real OpenLDAP `slapd` the test starts: as in
 * Aerospike, an LDAP user that logged in through one node is kept with the roles its groups give
 * (in system metadata) and listed by every node's query users; its roles follow the directory
 * (polling-period) on every node; an admin's drop reaches every node, and the user comes back at
 * its next login. Raw admin frames go to one node at a time (the official client logs in to
 * every node, so only a raw frame shows what one node knows).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change } from 'ldapts';
import { addDirectoryEntries, startSlapd, type Slapd, queryUserSecurityStanza } from '../helpers/slapd.js';
import { localNodeSpecs, TestCluster } from '../helpers/strato-cluster.js';
import { AdminSession, adminField, adminFrame } from '../helpers/admin-session.js';
import { clientCredential } from '../../src/security/credential.js';

const BASE = 'dc=example,dc=com';
/** How long a change may take to reach the other node (one acknowledged fabric message; generous for a loaded machine). */
const SPREAD_TIMEOUT_MS = 15_000;

let slapd: Slapd;
let cluster: TestCluster;
let dir: string;

before(async () => {
  slapd = await startSlapd(BASE);
  await addDirectoryEntries(slapd, BASE, [['alice', 'alice-pw']], [['read-write', '5000', 'alice'], ['truncate', '5001', 'alice']]);
  dir = mkdtempSync(join(tmpdir(), 'strato-ldapcl-'));
  const pw = join(dir, 'ldap-query.pw');
  writeFileSync(pw, `${slapd.rootPassword}\n`);
  cluster = new TestCluster(await localNodeSpecs(2), {
    clusterName: 'ldapcl',
    extraStanzas: queryUserSecurityStanza(slapd, BASE, 'disable-tls true', pw),
    login: { user: 'admin', password: 'admin' },
  });
  await cluster.startAll();
  await cluster.waitStable([0, 1], 2);
});

after(async () => {
  await cluster?.stopAll();
  await slapd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const portOf = (i: number) => cluster.specs[i]!.servicePort;

/** LOGIN as the clients' external mode sends it, to node `i` only; the result code. */
async function externalLogin(i: number, user: string, password: string): Promise<number> {
  const s = await AdminSession.open(portOf(i));
  try {
    return (await s.ask(adminFrame(20, [adminField(0, user), adminField(3, clientCredential(password)), adminField(4, password)])))[9]!;
  } finally {
    s.close();
  }
}

/** Query user `user` on node `i` as admin: the result code and the roles it lists. */
async function queryUser(i: number, user: string): Promise<{ code: number; roles: string[] }> {
  const s = await AdminSession.open(portOf(i));
  try {
    assert.equal(await s.login('admin', 'admin'), 0);
    const a = await s.ask(adminFrame(9, [adminField(0, user)]));
    const roles: string[] = [];
    // the first block's fields: [len:4][id:1][data]; ROLES (10) is [count:1] then [len:1][name]
    for (let o = 24, n = a[11]!; n > 0 && o + 5 <= a.length; n--) {
      const len = a.readUInt32BE(o);
      if (a[o + 4] === 10) {
        for (let p = o + 6, k = a[o + 5]!; k > 0; k--) {
          roles.push(a.toString('utf8', p + 1, p + 1 + a[p]!));
          p += 1 + a[p]!;
        }
      }
      o += 4 + len;
    }
    return { code: a[9]!, roles };
  } finally {
    s.close();
  }
}

/** Waits until node `i` answers query user `user` with `code` and `roles`. */
async function waitListed(i: number, user: string, code: number, roles: string[]): Promise<void> {
  const deadline = Date.now() + SPREAD_TIMEOUT_MS;
  let last: { code: number; roles: string[] } = { code: -1, roles: [] };
  while (Date.now() < deadline) {
    last = await queryUser(i, user);
    if (last.code === code && JSON.stringify([...last.roles].sort()) === JSON.stringify([...roles].sort())) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`node ${i} answered query user ${user} with ${last.code} [${last.roles.join(',')}], wanted ${code} [${roles.join(',')}]`);
}

test('an LDAP user that logged in through one node is listed with its roles by every node', async () => {
  // nobody logged in yet: no node knows alice
  assert.equal((await queryUser(1, 'alice')).code, 60);
  assert.equal(await externalLogin(0, 'alice', 'alice-pw'), 0);
  await waitListed(0, 'alice', 0, ['read-write', 'truncate']);
  await waitListed(1, 'alice', 0, ['read-write', 'truncate']);
});

test('a group membership removed in the directory reaches every node, and an admin drop reaches every node until the next login', async () => {
  assert.equal(await externalLogin(0, 'alice', 'alice-pw'), 0);
  const c = await slapd.admin();
  try {
    await c.modify(`cn=truncate,ou=Groups,${BASE}`, [new Change({ operation: 'delete', modification: new Attribute({ type: 'memberUid', values: ['alice'] }) })]);
  } finally {
    await c.unbind();
  }
  // node 0, which alice logged in through, re-reads her groups every polling-period
  await waitListed(1, 'alice', 0, ['read-write']);
  const s = await AdminSession.open(portOf(1));
  try {
    assert.equal(await s.login('admin', 'admin'), 0);
    assert.equal((await s.ask(adminFrame(2, [adminField(0, 'alice')])))[9], 0); // DROP_USER
  } finally {
    s.close();
  }
  await waitListed(0, 'alice', 60, []);
  // dropped, not locked out: her next login through either node brings her back everywhere
  assert.equal(await externalLogin(1, 'alice', 'alice-pw'), 0);
  await waitListed(0, 'alice', 0, ['read-write']);
});
