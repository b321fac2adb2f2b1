/**
 * LDAP external authentication (issue 17.4) against a real OpenLDAP `slapd` the test starts on
 * 127.0.0.1 with its own configuration: users found with user-query-pattern by a query user,
 * roles from posixGroup membership, the official client's EXTERNAL auth mode (it sends the clear
 * password), refusals, and a role taken away in the directory reaching open connections after
 * polling-period; the web console's login of an LDAP user. The client runs in EXTERNAL_INSECURE
 * mode: EXTERNAL sends the same LOGIN but only over TLS.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { Attribute, Change } from 'ldapts';
import { addDirectoryEntries, startSlapd, type Slapd, queryUserSecurityStanza } from '../helpers/slapd.js';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';
import { AdminSession, adminField, adminFrame } from '../helpers/admin-session.js';
import { resultCode } from '../helpers/result-code.js';
import { clientCredential } from '../../src/security/credential.js';
import { parseConfig } from '../../src/config/parser.js';
import { execFile } from 'node:child_process';
import { ROOT } from '../helpers/paths.js';
import { parseTable } from '../../src/tools/asadm/table.js';

let slapd: Slapd;
let server: StratoProcess;
const BASE = 'dc=example,dc=com';

before(async () => {
  slapd = await startSlapd(BASE);
  // the group's cn is the role: alice may read and write
  await addDirectoryEntries(slapd, BASE, [['alice', 'alice-pw'], ['bob', 'bob-pw']], [['read-write', '5000', 'alice']]);
  server = await startStrato({
    prepare: (dir) => writeFileSync(join(dir, 'ldap-query.pw'), `${slapd.rootPassword}\n`),
    config: `
service {
  cluster-name ldap
  work-directory \${DIR}
}
${queryUserSecurityStanza(slapd, BASE, 'disable-tls true', '${DIR}/ldap-query.pw')}
network {
  service {
    address 127.0.0.1
    port 3000
  }
  http {
    address 127.0.0.1
    port 0
  }
}
namespace test {
  replication-factor 1
  storage-engine memory {
    data-size 64M
  }
}
`,
  });
});

after(async () => {
  await server?.stop();
  await slapd?.stop();
});

/** Runs the asadm tool against the node; its exit code and output. */
function runAsadm(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'asadm.js'), ...args], { timeout: 30_000 }, (e, out, err) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }));
  });
}

function external(user: string, password: string) {
  return connectClient({
    hosts: [{ addr: '127.0.0.1', port: server.port }],
    user,
    password,
    // EXTERNAL_INSECURE: the same LOGIN as EXTERNAL (clear password included) without the
    // client's TLS requirement; EXTERNAL itself needs the node's TLS service port
    authMode: Aerospike.auth.EXTERNAL_INSECURE,
  } as Parameters<typeof connectClient>[0]);
}

/** LOGIN as the external mode sends it (user, credential, clear password); the result code. */
async function externalLogin(user: string, password: string): Promise<number> {
  const s = await AdminSession.open(server.port);
  try {
    const a = await s.ask(adminFrame(20, [adminField(0, user), adminField(3, clientCredential(password)), adminField(4, password)]));
    return a[9]!;
  } finally {
    s.close();
  }
}

test('a user only the LDAP server knows logs in with the external auth mode and gets its groups as roles', async () => {
  const alice = await external('alice', 'alice-pw');
  try {
    const key = new Aerospike.Key('test', 'ldap', 'a1');
    await alice.put(key, { v: 1 });
    assert.equal((await alice.get(key)).bins['v'], 1);
    const admin = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], user: 'admin', password: 'admin' } as Parameters<typeof connectClient>[0]);
    try {
      // the internal admin user still logs in as before, next to the LDAP users
      assert.ok((await admin.queryUser('admin')).roles.includes('user-admin'));
    } finally {
      await admin.close();
    }
  } finally {
    await alice.close();
  }
});

test('an LDAP user who logged in is listed by query users and asadm show users with the roles its groups give', async () => {
  const alice = await external('alice', 'alice-pw');
  const admin = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], user: 'admin', password: 'admin' } as Parameters<typeof connectClient>[0]);
  try {
    const all = await admin.queryUsers();
    assert.deepEqual(all.find((u) => u.name === 'alice')?.roles, ['read-write']);
    assert.deepEqual(all.find((u) => u.name === 'admin')?.roles, ['user-admin']);
    assert.deepEqual((await admin.queryUser('alice')).roles, ['read-write']);
    // like an internal user, alice may read her own user and the roles she holds, not others
    assert.deepEqual((await alice.queryUser('alice')).roles, ['read-write']);
    assert.equal((await alice.queryRole('read-write')).name, 'read-write');
    assert.equal(await resultCode(alice.queryRole('sys-admin')), 81);
    // her password is the directory's: she cannot give herself one here (INVALID_PASSWORD)
    assert.equal(await resultCode(alice.changePassword('alice', 'local-pw')), 62);
    // an LDAP user that never logged in here is not known to the node
    assert.equal(await resultCode(admin.queryUser('carol')), 60);
    const r = await runAsadm('-p', String(server.port), '-U', 'admin', '-P', 'admin', '-e', 'show users');
    assert.equal(r.code, 0, r.err);
    const t = parseTable(r.out, 'Users');
    assert.ok(t, r.out);
    const row = t.rows.find((x) => x[t.headers.indexOf('User')] === 'alice');
    assert.equal(row?.[t.headers.indexOf('Roles')], 'read-write');
  } finally {
    await admin.close();
    await alice.close();
  }
});

test('a wrong LDAP password, an empty one and an unknown user are refused with INVALID_CREDENTIAL (65)', async () => {
  assert.equal(await externalLogin('alice', 'wrong'), 65);
  assert.equal(await externalLogin('alice', ''), 65);
  assert.equal(await externalLogin('nobody', 'x'), 65);
  // a filter-significant name is escaped, not interpreted: no entry matches it
  assert.equal(await externalLogin('*', 'alice-pw'), 65);
  // the internal mode never asks the directory: alice (an LDAP user the node keeps since her
  // login) has no password here (65), and dave, never seen here, is unknown (60)
  const s = await AdminSession.open(server.port);
  try {
    assert.equal(await s.login('alice', 'alice-pw'), 65);
    assert.equal(await s.login('dave', 'dave-pw'), 60);
  } finally {
    s.close();
  }
});

test('an LDAP user in no group logs in but holds no privilege', async () => {
  const bob = await external('bob', 'bob-pw');
  try {
    assert.equal(await resultCode(bob.put(new Aerospike.Key('test', 'ldap', 'b1'), { v: 1 })), 81);
  } finally {
    await bob.close();
  }
});

test('an LDAP user logs in to the web console and scrapes /metrics, with the roles its groups give', async () => {
  const base = /metrics endpoint: (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(server.output())![1]!;
  const login = (user: string, password: string) => fetch(`${base}/api/login`, { method: 'POST', body: JSON.stringify({ user, password }) });
  const r = await login('alice', 'alice-pw');
  assert.equal(r.status, 200);
  const cookie = /^(strato_session=[^;]+)/.exec(r.headers.get('set-cookie') ?? '')![1]!;
  assert.deepEqual(await (await fetch(`${base}/api/session`, { headers: { cookie } })).json(), { security: true, user: 'alice' });
  // read-write from her group: the record browser may read namespace test
  assert.equal((await fetch(`${base}/api/records?ns=test`, { headers: { cookie } })).status, 200);
  const refused = await login('bob', 'not-bob');
  assert.equal(refused.status, 401);
  assert.equal(((await refused.json()) as { code: number }).code, 65);
  // /metrics basic auth takes LDAP users too: alice holds read-write (read) globally, bob nothing
  const scrape = (user: string, password: string) => fetch(`${base}/metrics`, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
  assert.equal((await scrape('alice', 'alice-pw')).status, 200);
  assert.equal((await scrape('bob', 'bob-pw')).status, 403);
});

test('a group membership removed in the directory reaches open connections after polling-period', async () => {
  const alice = await external('alice', 'alice-pw');
  const c = await slapd.admin();
  try {
    await alice.put(new Aerospike.Key('test', 'ldap', 'a2'), { v: 2 });
    await c.modify(`cn=read-write,ou=Groups,${BASE}`, [new Change({ operation: 'delete', modification: new Attribute({ type: 'memberUid', values: ['alice'] }) })]);
    const deadline = Date.now() + 15_000;
    let code = 0;
    while (Date.now() < deadline) {
      code = await resultCode(alice.put(new Aerospike.Key('test', 'ldap', 'a3'), { v: 3 }));
      if (code === 81) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(code, 81);
  } finally {
    await c.unbind();
    await alice.close();
  }
});

test('the ldap stanza is read with Aerospike\'s names and a missing piece is named', () => {
  const base = (inner: string) => `namespace test {\n storage-engine memory {\n  data-size 64M\n }\n}\nsecurity {\n  ldap {\n${inner}\n  }\n}\n`;
  const cfg = parseConfig(
    base('    server ldap://h:389\n    disable-tls true\n    query-base-dn dc=x\n    user-dn-pattern uid=${un},dc=x\n    role-query-pattern (memberUid=${un})\n    role-query-pattern (member=${dn})\n    polling-period 10m'),
    'ldap.conf',
  );
  assert.equal(cfg.security?.ldap?.userDnPattern, 'uid=${un},dc=x');
  assert.deepEqual(cfg.security?.ldap?.roleQueryPatterns, ['(memberUid=${un})', '(member=${dn})']);
  assert.equal(cfg.security?.ldap?.pollingPeriod, 600);
  assert.throws(() => parseConfig(base('    server ldap://h:389\n    disable-tls true\n    query-base-dn dc=x\n    role-query-pattern (a=b)'), 'ldap.conf'), /ldap\.conf:7: security ldap needs 'user-dn-pattern', or 'query-user-dn' with 'user-query-pattern'/);
  assert.throws(() => parseConfig(base('    server ldap://h:389\n    query-base-dn dc=x\n    user-dn-pattern uid=${un}\n    role-query-pattern (a=b)'), 'ldap.conf'), /needs 'tls-ca-file' unless 'disable-tls' is true/);
  assert.throws(() => parseConfig(base('    server http://h'), 'ldap.conf'), /ldap\.conf:8: 'server' must be an ldap:\/\/ or ldaps:\/\/ URL/);
  // several servers, comma-separated as in Aerospike: each must be an LDAP URL
  assert.throws(() => parseConfig(base('    server ldaps://a:636,http://b'), 'ldap.conf'), /ldap\.conf:8: 'server' must be an ldap:\/\/ or ldaps:\/\/ URL \(several: comma-separated\)/);
  const two = parseConfig(base('    server ldaps://a:636,ldap://b\n    tls-ca-file /ca.pem\n    query-base-dn dc=x\n    user-dn-pattern uid=${un},dc=x\n    role-query-pattern (a=b)'), 'ldap.conf');
  assert.equal(two.security?.ldap?.server, 'ldaps://a:636,ldap://b');
  assert.equal(two.security?.ldap?.loginThreads, 8);
  assert.equal(two.security?.ldap?.tokenHashMethod, 'sha-256');
  assert.equal(two.security?.ldap?.disableTls, false);
});

test('set-config ldap.polling-period 0 stops the role refresh and a new period restarts it; get-config shows it', async () => {
  const admin = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], user: 'admin', password: 'admin' } as Parameters<typeof connectClient>[0]);
  try {
    await admin.createUser('ldap-ops', 'ldap-ops-pw', ['sys-admin']);
  } finally {
    await admin.close();
  }
  const ops = await AdminSession.open(server.port);
  const c = await slapd.admin();
  const bob = await external('bob', 'bob-pw');
  const group = `cn=read-write,ou=Groups,${BASE}`;
  const member = (operation: 'add' | 'delete') => c.modify(group, [new Change({ operation, modification: new Attribute({ type: 'memberUid', values: ['bob'] }) })]);
  try {
    assert.equal(await ops.login('ldap-ops', 'ldap-ops-pw'), 0);
    assert.equal(await ops.info('set-config:context=security;ldap.polling-period=0'), 'ok');
    assert.match(await ops.info('get-config:context=security'), /;ldap\.login-threads=8;ldap\.polling-period=0;ldap\.query-base-dn=dc=example,dc=com;/);
    assert.equal(await resultCode(bob.put(new Aerospike.Key('test', 'ldap', 'b2'), { v: 2 })), 81);
    await member('add');
    // three of the former 1 s periods: no refresh gives bob the group's role
    const quietUntil = Date.now() + 3_000;
    while (Date.now() < quietUntil) {
      assert.equal(await resultCode(bob.put(new Aerospike.Key('test', 'ldap', 'b2'), { v: 2 })), 81);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(await ops.info('set-config:context=security;ldap.polling-period=86401'), 'ERROR:4:invalid set-config parameter');
    assert.equal(await ops.info('set-config:context=security;ldap.polling-period=1'), 'ok');
    const deadline = Date.now() + 15_000;
    let code = -1;
    while (Date.now() < deadline) {
      code = await resultCode(bob.put(new Aerospike.Key('test', 'ldap', 'b2'), { v: 2 }));
      if (code === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(code, 0, 'the restarted refresh gives bob the role of his new group');
    assert.match(await ops.info('get-config:context=security'), /;ldap\.polling-period=1;/);
    // asadm's form: a security subcontext names the parameter's prefix
    const r = await runAsadm('-p', String(server.port), '-U', 'ldap-ops', '-P', 'ldap-ops-pw', '--enable', '-e', 'manage config security ldap param polling-period to 2; show config security');
    assert.equal(r.code, 0, r.err + r.out);
    const table = parseTable(r.out, 'Security Configuration');
    assert.deepEqual(table?.rows.find((row) => row[0] === 'ldap.polling-period')?.slice(1), ['2']);
    assert.deepEqual(table?.rows.find((row) => row[0] === 'session-ttl')?.slice(1), ['86400']);
  } finally {
    await member('delete').catch(() => undefined);
    await c.unbind();
    await bob.close();
    ops.close();
  }
});
