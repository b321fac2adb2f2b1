/**
 * Access control (issue 17.1) with the official client against a real node whose config has a
 * `security { }` stanza: the admin user, every admin command, a role violation per privilege kind,
 * allowlist and quota refusals, session expiry, users kept across a restart, malformed admin frames
 * and brute-force logins.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';
import { resultCode } from '../helpers/result-code.js';
import { infoFrame } from '../helpers/raw-client.js';
import { AdminSession, adminField, adminFrame } from '../helpers/admin-session.js';
import { clientCredential } from '../../src/security/credential.js';
import { LOGIN_FAILURES_MAX } from '../../src/security/admin.js';

const { Privilege } = Aerospike.admin;
const P = Aerospike.privilegeCode;
let dir: string;
let server: StratoProcess;

function config(): string {
  return `
service {
  cluster-name sec
  work-directory ${dir}
}
security {
  session-ttl 600
  enable-quotas true
}
namespace test {
  replication-factor 1
  storage-engine memory {
    data-size 64M
  }
}
`;
}

const start = () => startStrato({ config: config(), env: { STRATO_TEST_HOOKS: '1' } });
const hosts = () => [{ addr: '127.0.0.1', port: server.port }];
/** Per-command time on a machine shared by many test runs (the clients' 1 s default timed out under load). */
const COMMAND_TIMEOUT_MS = 5000;
const slow = { totalTimeout: COMMAND_TIMEOUT_MS, socketTimeout: COMMAND_TIMEOUT_MS };
const open = (user: string, password: string) =>
  connectClient({
    hosts: hosts(),
    user,
    password,
    policies: { admin: { timeout: COMMAND_TIMEOUT_MS }, read: slow, write: slow, remove: slow, batch: slow, scan: slow, query: slow, apply: slow },
  } as Parameters<typeof connectClient>[0]);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strato-sec-'));
  server = await start();
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// ---- a raw admin connection (frames the clients send) ----

async function rawLogin(user: string, password: string): Promise<{ raw: AdminSession; code: number; token?: Buffer; ttl?: number }> {
  const raw = await AdminSession.open(server.port);
  const a = await raw.ask(adminFrame(20, [adminField(0, user), adminField(3, clientCredential(password))]));
  const code = a[9]!;
  if (code !== 0) return { raw, code };
  let p = 24;
  let token: Buffer | undefined;
  let ttl: number | undefined;
  for (let i = 0; i < a[11]!; i++) {
    const len = a.readUInt32BE(p);
    const id = a[p + 4]!;
    const data = a.subarray(p + 5, p + 4 + len);
    if (id === 5) token = Buffer.from(data);
    if (id === 6) ttl = data.readUInt32BE(0);
    p += 4 + len;
  }
  return { raw, code, token, ttl };
}

// ---- tests ----

test('the admin user logs in with admin/admin and a client without credentials is refused', async () => {
  const admin = await open('admin', 'admin');
  try {
    const me = await admin.queryUser('admin');
    assert.deepEqual(me.roles, ['user-admin']);
  } finally {
    await admin.close();
  }
  // no user: a data request answers NOT_AUTHENTICATED (80), an info command that needs a privilege too
  const raw = await AdminSession.open(server.port);
  try {
    const get = Buffer.alloc(8 + 22);
    get[0] = 2;
    get[1] = 3;
    get.writeUIntBE(22, 2, 6);
    get[8] = 22;
    get[9] = 1; // info1 READ
    assert.equal((await raw.ask(get))[8 + 5], 80);
    // as Aerospike: an info request on a connection not logged in answers only the error, whatever it asks
    for (const cmd of ['truncate:namespace=test', 'build', '']) {
      const a = await raw.ask(infoFrame(cmd === '' ? [] : [cmd]));
      assert.equal(a.subarray(8).toString(), 'ERROR:80:not authenticated\n', cmd);
    }
  } finally {
    raw.close();
  }
  assert.equal(await resultCode(open('admin', 'wrong')), 65);
});

test('each privilege kind refuses what it does not grant with ROLE_VIOLATION (81)', async () => {
  const admin = await open('admin', 'admin');
  const made: string[] = [];
  const clients: { close(): unknown }[] = [];
  try {
    // a writer to seed records
    await admin.createUser('rw', 'pw', ['read-write']);
    made.push('rw');
    const rw = await open('rw', 'pw');
    clients.push(rw);
    const key = new Aerospike.Key('test', 'users', 'k1');
    const other = new Aerospike.Key('test', 'other', 'k1');
    await rw.put(key, { a: 1 });
    await rw.put(other, { a: 1 });

    await admin.createRole('read_users', [new Privilege(P.READ, { namespace: 'test', set: 'users' })], null);
    await admin.createUser('reader', 'pw', ['read_users']);
    made.push('reader');
    const reader = await open('reader', 'pw');
    clients.push(reader);
    assert.equal((await reader.get(key)).bins['a'], 1);
    assert.equal(await resultCode(reader.get(other)), 81, 'read outside the set scope');
    assert.equal(await resultCode(reader.put(key, { a: 2 })), 81, 'write with read');
    assert.equal(await resultCode(reader.remove(key)), 81, 'delete with read');
    // as Aerospike checks each batch sub-transaction: the row outside the scope answers 81 on its
    // row, the row inside is read (the clients' default batch policy reports every row)
    const rows = await reader.batchRead([{ key, readAllBins: true }, { key: other, readAllBins: true }]);
    assert.deepEqual(
      rows.map((r) => r.status),
      [0, 81],
      'batch row outside the scope',
    );
    assert.equal(rows[0]!.record.bins['a'], 1);
    const scanned: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      const s = reader.scan('test', 'users').foreach();
      s.on('data', (r: unknown) => scanned.push(r));
      s.on('error', reject);
      s.on('end', () => resolve());
    });
    assert.equal(scanned.length, 1);

    await admin.createUser('writer', 'pw', ['write']);
    made.push('writer');
    const writer = await open('writer', 'pw');
    clients.push(writer);
    await writer.put(key, { a: 3 });
    assert.equal(await resultCode(writer.get(key)), 81, 'read with write');
    assert.equal(await resultCode(writer.apply(key, { module: 'none', funcname: 'f' })), 81, 'udf with write');
    // info commands on a connection authenticated as the writer
    const session = await rawLogin('writer', 'pw');
    try {
      assert.equal(session.code, 0);
      assert.match(await session.raw.info('truncate:namespace=test;set=users'), /^ERROR:81/);
      assert.match(await session.raw.info('udf-put:filename=x.lua;content=;content-len=0;udf-type=LUA'), /^ERROR:81/);
      assert.match(await session.raw.info('sindex-create:namespace=test;set=users;indexname=i;bin=a;type=numeric'), /^ERROR:81/);
      assert.equal(await session.raw.info('set-config:context=service;proto-fd-idle-ms=70000'), "ERROR:81:role violation - requires permission 'set-config'");
      assert.match(await session.raw.info('build'), /^\d/);
    } finally {
      session.raw.close();
    }

    // a connection already open loses a revoked role at once
    await admin.revokeRoles('writer', ['write']);
    assert.equal(await resultCode(writer.put(key, { a: 4 })), 81, 'write after revoke');

    await admin.createUser('truncator', 'pw', ['truncate']);
    made.push('truncator');
    const truncator = await open('truncator', 'pw');
    clients.push(truncator);
    const tsession = await rawLogin('truncator', 'pw');
    try {
      assert.equal(await tsession.raw.info('truncate:namespace=test;set=other'), 'ok');
    } finally {
      tsession.raw.close();
    }
    assert.equal(await resultCode(truncator.get(key)), 81);
  } finally {
    for (const c of clients) await c.close();
    for (const u of made) await admin.dropUser(u).catch(() => undefined);
    await admin.dropRole('read_users').catch(() => undefined);
    await admin.close();
  }
});

test('an allowlist refuses other addresses with NOT_WHITELISTED (82) and a quota with QUOTA_EXCEEDED (83)', async () => {
  const admin = await open('admin', 'admin');
  try {
    await admin.createRole('far', [new Privilege(P.READ)], null, ['10.9.9.9']);
    await admin.createUser('faraway', 'pw', ['far']);
    assert.equal(await resultCode(open('faraway', 'pw')), 82);

    await admin.createRole('slow', [new Privilege(P.READ_WRITE)], null, [], 2, 2);
    await admin.createUser('slowpoke', 'pw', ['slow']);
    const slow = await open('slowpoke', 'pw');
    try {
      const key = new Aerospike.Key('test', 'q', 1);
      const codes: number[] = [];
      // 2 writes per second allowed: 10 back-to-back writes cross at most two seconds
      for (let i = 0; i < 10; i++) codes.push(await resultCode(slow.put(key, { i })));
      assert.ok(codes.includes(83), `codes ${codes}`);
      assert.ok(codes.includes(0), `codes ${codes}`);
    } finally {
      await slow.close();
    }
  } finally {
    await admin.close();
  }
});

test('a session token expires after session-ttl (the node clock driven forward)', async () => {
  const login = await rawLogin('admin', 'admin');
  try {
    assert.equal(login.code, 0);
    assert.equal(login.ttl, 600);
    assert.ok(login.token && login.token.length > 0);
    // the login connection is authenticated
    assert.doesNotMatch(await login.raw.info('build'), /ERROR/);
    const other = await AdminSession.open(server.port);
    try {
      const ok = await other.ask(adminFrame(0, [adminField(0, 'admin'), adminField(5, login.token!)]));
      assert.equal(ok[9], 0);
      const forged = Buffer.from(login.token!);
      forged[forged.length - 1] ^= 1;
      assert.equal((await other.ask(adminFrame(0, [adminField(0, 'admin'), adminField(5, forged)])))[9], 65);
      assert.match(await login.raw.info('strato-test-clock:advance-sec=601'), /^\d+$/);
      assert.equal((await other.ask(adminFrame(0, [adminField(0, 'admin'), adminField(5, login.token!)])))[9], 66);
    } finally {
      other.close();
    }
  } finally {
    login.raw.close();
  }
});

test('malformed admin frames answer a code and the node keeps serving', async () => {
  const raw = await AdminSession.open(server.port);
  try {
    const short = Buffer.alloc(8 + 4);
    short[0] = 2;
    short[1] = 2;
    short.writeUIntBE(4, 2, 6);
    assert.equal((await raw.ask(short))[9], 54);
    // a field count past the data
    assert.equal((await raw.ask(adminFrame(20, [adminField(0, 'admin')], 3)))[9], 55);
    // a field length past the data
    const bad = adminFrame(20, [adminField(0, 'admin')]);
    bad.writeUInt32BE(1000, 24);
    assert.equal((await raw.ask(bad))[9], 55);
    // an unknown command from an unauthenticated connection
    assert.equal((await raw.ask(adminFrame(99, [])))[9], 80);
    // an oversized user name
    const login = await rawLogin('admin', 'admin');
    try {
      assert.equal((await login.raw.ask(adminFrame(1, [adminField(0, 'u'.repeat(64)), adminField(1, clientCredential('x'))])))[9], 60);
      assert.equal((await login.raw.ask(adminFrame(99, [])))[9], 54);
    } finally {
      login.raw.close();
    }
  } finally {
    raw.close();
  }
  const admin = await open('admin', 'admin');
  await admin.close();
});

test('repeated failed logins lock the user out from that address for a while', async () => {
  const admin = await open('admin', 'admin');
  try {
    await admin.createUser('guessme', 'right', ['read']);
  } finally {
    await admin.close();
  }
  for (let i = 0; i < LOGIN_FAILURES_MAX; i++) {
    const r = await rawLogin('guessme', `wrong${i}`);
    r.raw.close();
    assert.equal(r.code, 65);
  }
  const locked = await rawLogin('guessme', 'right');
  locked.raw.close();
  assert.equal(locked.code, 65, 'the right password is refused during the lockout');
  const other = await rawLogin('admin', 'admin');
  other.raw.close();
  assert.equal(other.code, 0, 'other users are not locked out');
});

// Runs after the others: a client whose user was just dropped leaves the official client's next
// new client failing its first command now and then (seen as a client-side timeout in ~1 ms);
// under investigation, see the report of issue 17.
test('every admin command works through the official client and user-admin alone may run them', async () => {
  const admin = await open('admin', 'admin');
  try {
    await admin.createUser('alice', 'alice-pw', ['read-write']);
    await admin.createRole('reader_users', [new Privilege(P.READ, { namespace: 'test', set: 'users' })], null);
    await admin.grantRoles('alice', ['reader_users']);
    let alice = await admin.queryUser('alice');
    assert.deepEqual(alice.roles.sort(), ['read-write', 'reader_users']);
    await admin.revokeRoles('alice', ['read-write']);
    alice = await admin.queryUser('alice');
    assert.deepEqual(alice.roles, ['reader_users']);
    const users = await admin.queryUsers();
    const names = users.map((u: { name: string }) => u.name);
    assert.ok(names.includes('admin') && names.includes('alice'), `users ${names}`);

    await admin.grantPrivileges('reader_users', [new Privilege(P.WRITE, { namespace: 'test', set: 'users' })]);
    let role = await admin.queryRole('reader_users');
    assert.deepEqual(role.privileges.map((p: { code: number; namespace: string; set: string }) => [p.code, p.namespace, p.set]).sort(), [
      [P.READ, 'test', 'users'],
      [P.WRITE, 'test', 'users'],
    ]);
    await admin.revokePrivileges('reader_users', [new Privilege(P.WRITE, { namespace: 'test', set: 'users' })]);
    role = await admin.queryRole('reader_users');
    assert.equal(role.privileges.length, 1);
    await admin.setWhitelist('reader_users', ['127.0.0.1', '10.1.0.0/16']);
    await admin.setQuotas('reader_users', 100, 50);
    role = await admin.queryRole('reader_users');
    assert.deepEqual(role.whitelist, ['127.0.0.1', '10.1.0.0/16']);
    assert.equal(role.readQuota, 100);
    assert.equal(role.writeQuota, 50);
    const roles = await admin.queryRoles();
    for (const name of ['user-admin', 'sys-admin', 'data-admin', 'udf-admin', 'sindex-admin', 'read', 'read-write', 'read-write-udf', 'write', 'truncate', 'reader_users']) {
      assert.ok(roles.some((r: { name: string }) => r.name === name), `role ${name} listed`);
    }

    await admin.changePassword('alice', 'alice-pw2');
    assert.equal(await resultCode(open('alice', 'alice-pw')), 65);
    const a2 = await open('alice', 'alice-pw2');
    await a2.close();

    // errors the clients expect
    assert.equal(await resultCode(admin.createUser('alice', 'x', [])), 61);
    assert.equal(await resultCode(admin.createRole('reader_users', [new Privilege(P.READ)], null)), 71);
    assert.equal(await resultCode(admin.grantRoles('alice', ['no-such-role'])), 70);
    assert.equal(await resultCode(admin.dropUser('nobody')), 60);

    // a user without user-admin may not administer
    const rw = await open('alice', 'alice-pw2');
    try {
      assert.equal(await resultCode(rw.createUser('mallory', 'x', ['sys-admin'])), 81);
    } finally {
      await rw.close();
    }
    await admin.dropRole('reader_users');
    assert.deepEqual((await admin.queryUser('alice')).roles, []);
    await admin.dropUser('alice');
    assert.equal(await resultCode(open('alice', 'alice-pw2')), 60);
  } finally {
    await admin.close();
  }
});

test('users, roles and passwords survive a restart', async () => {
  const admin = await open('admin', 'admin');
  try {
    await admin.createRole('keeper', [new Privilege(P.READ, { namespace: 'test' })], null);
    await admin.createUser('kept', 'kept-pw', ['keeper']);
  } finally {
    await admin.close();
  }
  await server.stop();
  server = await start();
  const kept = await open('kept', 'kept-pw');
  try {
    assert.deepEqual((await kept.queryUser('kept')).roles, ['keeper']);
  } finally {
    await kept.close();
  }
});

test('query users reports a running rps-limited scan of the user in its read info, as asadm reads it', async () => {
  const admin = await open('admin', 'admin');
  const clients = [admin];
  try {
    await admin.createUser('scanner', 'pw', ['read-write']);
    const sc = await open('scanner', 'pw');
    clients.push(sc);
    for (let i = 0; i < 6; i++) await sc.put(new Aerospike.Key('test', 'slow', i), { i });
    // 6 records at 2 per second: the scan runs for about 3 s, long enough to be seen running
    const stream = sc.scan('test', 'slow').foreach({ recordsPerSecond: 2 } as Parameters<ReturnType<typeof sc.scan>['foreach']>[0]);
    const ended = new Promise<void>((resolve) => {
      stream.on('end', () => resolve());
      stream.on('error', () => resolve());
    });
    try {
      // read-info: quota, single-record TPS, scan/query rps-limited, scan/query limitless
      const deadline = Date.now() + 10_000;
      let info: number[] = [];
      while (Date.now() < deadline) {
        info = ((await admin.queryUser('scanner')) as unknown as { readInfo: number[] }).readInfo;
        if (info[2] === 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(info[2], 2, `read-info ${info.join(',')}`);
      assert.equal(info[3], 0);
      assert.deepEqual(((await admin.queryUser('admin')) as unknown as { readInfo: number[] }).readInfo.slice(2), [0, 0]);
    } finally {
      // let it end on its own: closing a client under a running scan crashes the native client
      await ended;
    }
    assert.deepEqual(((await admin.queryUser('scanner')) as unknown as { readInfo: number[] }).readInfo.slice(2), [0, 0], 'a finished scan no longer counts');
    await admin.dropUser('scanner');
  } finally {
    for (const c of clients) await c.close();
  }
});
