/**
 * The audit trail (issue 17.2): `security { log { report-… } }` writes Aerospike EE's lines
 * (`permitted | client: <addr:port> | authenticated user: <user> | action: <action> | detail: <detail>`)
 * in the log's `audit` context, so they reach the console sink and a `logging { syslog { } }` sink,
 * here a unix datagram socket the test binds in place of /dev/log. Official client and raw admin
 * sessions against a real node.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';
import { AdminSession, loginFrame } from '../helpers/admin-session.js';
import { parseConfig } from '../../src/config/parser.js';

const require = createRequire(import.meta.url);
const { DgramSocket } = require('node-unix-socket') as {
  DgramSocket: new () => { bind(path: string): void; on(e: 'data', fn: (b: Buffer) => void): void; close(): void };
};

/** How long a line may take to show (the log and the socket are asynchronous). */
const LINE_TIMEOUT_MS = 10_000;

let server: StratoProcess;
let syslog: InstanceType<typeof DgramSocket> | undefined;
const datagrams: string[] = [];

const config = `
service {
  cluster-name audit
  work-directory \${DIR}
}
logging {
  console {
    context any info
  }
  syslog {
    facility local3
    path \${DIR}/syslog.sock
    tag strato-audit
    context any critical
    context audit info
  }
}
security {
  log {
    report-authentication true
    report-user-admin true
    report-sys-admin true
    report-violation true
    report-data-op test audited
  }
}
namespace test {
  replication-factor 1
  storage-engine memory {
    data-size 64M
  }
}
`;

before(async () => {
  server = await startStrato({
    config,
    prepare: (dir) => {
      // the socket exists before the node starts, as /dev/log does
      syslog = new DgramSocket();
      syslog.bind(join(dir, 'syslog.sock'));
      syslog.on('data', (b) => datagrams.push(b.toString('utf8')));
    },
  });
});

after(async () => {
  await server?.stop();
  syslog?.close();
});

const open = (user: string, password: string) =>
  connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], user, password } as Parameters<typeof connectClient>[0]);

/** The first audit line of the node's log matching `re` (waits for it, bounded). */
async function logLine(re: RegExp): Promise<string> {
  const deadline = Date.now() + LINE_TIMEOUT_MS;
  for (;;) {
    const line = server.output().split('\n').find((l) => l.includes('(audit):') && re.test(l));
    if (line) return line;
    if (Date.now() > deadline) assert.fail(`no audit line matching ${re} in the log:\n${server.output().split('\n').filter((l) => l.includes('(audit)')).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The first syslog datagram matching `re`. */
async function syslogLine(re: RegExp): Promise<string> {
  const deadline = Date.now() + LINE_TIMEOUT_MS;
  for (;;) {
    const d = datagrams.find((l) => re.test(l));
    if (d) return d;
    if (Date.now() > deadline) assert.fail(`no syslog datagram matching ${re}:\n${datagrams.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('a login is reported as permitted with the client address and user, in the log and in syslog', async () => {
  const s = await AdminSession.open(server.port);
  try {
    assert.equal(await s.login('admin', 'admin'), 0);
    const want = `permitted | client: ${s.local} | authenticated user: admin | action: login | detail: user=admin`;
    const line = await logLine(new RegExp(esc(want)));
    assert.match(line, /^\w{3} \d\d \d{4} \d\d:\d\d:\d\d GMT: INFO \(audit\): \(audit\.ts\) /);
    // <PRI> = local3 (19) * 8 + info (6) = 158; `%b %e %T` time, the tag, then the log line from its level
    const d = await syslogLine(new RegExp(esc(want)));
    assert.match(d, new RegExp(`^<158>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d strato-audit: INFO \\(audit\\): \\(audit\\.ts\\) ${esc(want)}$`));
  } finally {
    s.close();
  }
});

test('a wrong password is reported as a violation naming the user tried, with no authenticated user', async () => {
  const s = await AdminSession.open(server.port);
  try {
    assert.equal(await s.login('admin', 'wrong'), 65);
    await logLine(new RegExp(esc(`authentication failed (password) | client: ${s.local} | authenticated user: <none> | action: login | detail: user=admin`)));
  } finally {
    s.close();
  }
});

test('user and role administration is reported with what each command names, never a password', async () => {
  const admin = await open('admin', 'admin');
  try {
    await admin.createRole('audited-rw', [new Aerospike.admin.Privilege(Aerospike.privilegeCode.READ_WRITE, { namespace: 'test', set: 'audited' })], null);
    await admin.createUser('aud', 'secret-pw', ['audited-rw']);
    await admin.grantRoles('aud', ['read']);
    await admin.revokeRoles('aud', ['read']);
    await admin.revokePrivileges('audited-rw', [new Aerospike.admin.Privilege(Aerospike.privilegeCode.READ_WRITE, { namespace: 'test', set: 'audited' })], null);
    await admin.grantPrivileges('audited-rw', [new Aerospike.admin.Privilege(Aerospike.privilegeCode.READ_WRITE, { namespace: 'test', set: 'audited' })], null);
    await admin.changePassword('aud', 'secret-pw2');
    await admin.queryRoles();
  } finally {
    await admin.close();
  }
  await logLine(/permitted \| client: 127\.0\.0\.1:\d+ \| authenticated user: admin \| action: create role \| detail: role=audited-rw;privs=rw\{test\|audited\}$/);
  await logLine(/permitted \| client: [\d.:]+ \| authenticated user: admin \| action: create user \| detail: user=aud;roles=audited-rw$/);
  await logLine(/action: grant roles \| detail: user=aud;roles=read$/);
  await logLine(/action: revoke roles \| detail: user=aud;roles=read$/);
  await logLine(/action: delete privs \| detail: role=audited-rw;privs=rw\{test\|audited\}$/);
  await logLine(/action: add privs \| detail: role=audited-rw;privs=rw\{test\|audited\}$/);
  await logLine(/action: (set|change) password \| detail: user=aud$/);
  await logLine(/action: query roles \| detail: <none>$/);
  assert.equal(/secret-pw/.test(server.output()), false, 'no password in the log');
});

test('data operations in a reported set are logged with the key, others are not, and a role violation is', async () => {
  const aud = await open('aud', 'secret-pw2');
  try {
    // a key sent with the request is logged as the key, else the digest (as Aerospike logs it)
    const send = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
    await aud.put(new Aerospike.Key('test', 'audited', 'k1'), { v: 1 }, undefined, send);
    await aud.put(new Aerospike.Key('test', 'audited', 42), { v: 2 }, undefined, send);
    await aud.get(new Aerospike.Key('test', 'audited', 42));
    await aud.remove(new Aerospike.Key('test', 'audited', 'k1'));
    assert.equal(await aud.put(new Aerospike.Key('test', 'elsewhere', 'k2'), { v: 1 }, undefined, send).then(() => 0, (e: { code: number }) => e.code), 81);
    // a batch row outside the role's scope is refused on its row and reported
    const rows = await aud.batchRead([{ key: new Aerospike.Key('test', 'audited', 42), readAllBins: true }, { key: new Aerospike.Key('test', 'private', 'k3'), readAllBins: true }]);
    assert.deepEqual(
      rows.map((r) => r.status),
      [0, 81],
    );
  } finally {
    await aud.close();
  }
  await logLine(/permitted \| client: [\d.:]+ \| authenticated user: aud \| action: write \| detail: \{test\|audited\} \[S\|k1\]$/);
  await logLine(/permitted \| client: [\d.:]+ \| authenticated user: aud \| action: write \| detail: \{test\|audited\} \[I\|42\]$/);
  await logLine(/permitted \| client: [\d.:]+ \| authenticated user: aud \| action: read \| detail: \{test\|audited\} \[D\|[0-9a-f]{40}\]$/);
  await logLine(/permitted \| client: [\d.:]+ \| authenticated user: aud \| action: delete \| detail: \{test\|audited\} \[D\|[0-9a-f]{40}\]$/);
  await logLine(/role violation \| client: [\d.:]+ \| authenticated user: aud \| action: write \| detail: \{test\|elsewhere\} \[S\|k2\]$/);
  await logLine(/role violation \| client: [\d.:]+ \| authenticated user: aud \| action: read \| detail: \{test\|private\} \[D\|[0-9a-f]{40}\]$/);
  assert.equal(/permitted .* detail: \{test\|elsewhere\}/.test(server.output()), false, 'a set not named by report-data-op is not reported');
});

test('an info command that needs sys-admin is reported with its parameters, refused or permitted', async () => {
  const admin = await open('admin', 'admin');
  try {
    await admin.createUser('ops', 'ops-pw', ['sys-admin']);
  } finally {
    await admin.close();
  }
  const s = await AdminSession.open(server.port);
  try {
    assert.equal(await s.login('ops', 'ops-pw'), 0);
    assert.equal(await s.info('set-config:context=service;proto-fd-idle-ms=70000'), 'ok');
    await logLine(new RegExp(esc(`permitted | client: ${s.local} | authenticated user: ops | action: set-config | detail: context=service;proto-fd-idle-ms=70000`)));
    assert.match(await s.info('truncate:namespace=test;set=audited'), /^ERROR:81/);
    await logLine(new RegExp(esc(`role violation | client: ${s.local} | authenticated user: ops | action: truncate | detail: namespace=test;set=audited`)));
  } finally {
    s.close();
  }
});

test('the security log stanza is read as Aerospike names it, and its obsolete syslog stanza is refused the way 8.1 refuses it', () => {
  const base = (inner: string) => `namespace test {\n storage-engine memory {\n  data-size 64M\n }\n}\nsecurity {\n${inner}\n}\n`;
  const cfg = parseConfig(base('  log {\n    report-violation true\n    report-data-op test s1\n    report-data-op test\n    report-data-op-user u1\n    report-data-op-role r1\n  }'), 'audit.conf');
  assert.deepEqual(cfg.security?.log, {
    reportAuthentication: false,
    reportUserAdmin: false,
    reportSysAdmin: false,
    reportViolation: true,
    reportDataOp: [
      { ns: 'test', set: 's1' },
      { ns: 'test', set: '' },
    ],
    reportDataOpRole: ['r1'],
    reportDataOpUser: ['u1'],
  });
  assert.throws(() => parseConfig(base('  syslog {\n    local 0\n  }'), 'audit.conf'), /audit\.conf:7: 'syslog' is obsolete - please use a logging context 'syslog' log sink/);
  assert.throws(() => parseConfig(base('  log {\n    report-data-op\n  }'), 'audit.conf'), /audit\.conf:8: 'report-data-op' takes <namespace> \[<set>\]/);
  assert.throws(() => parseConfig(base('  log {\n    report-violation maybe\n  }'), 'audit.conf'), /audit\.conf:8: .*must be true or false/);
  // as Aerospike EE, which refuses to start with an unknown namespace there
  assert.throws(() => parseConfig(base('  log {\n    report-data-op bar s1\n  }'), 'audit.conf'), /audit\.conf:8: 'report-data-op' names namespace 'bar', which is not configured/);
  assert.throws(() => parseConfig(base('  log {\n    report-data-op test a:b\n  }'), 'audit.conf'), /audit\.conf:8: .*set/);
});

// ---------------------------------------------------------------------------------------------
// The security config over info: get-config:context=security and set-config:context=security

/** The SESSION_TTL (field 6) of a LOGIN answer: seconds, as the node sent it. */
function ttlOf(answer: Buffer): number | undefined {
  let at = 8 + 16;
  while (at + 5 <= answer.length) {
    const len = answer.readUInt32BE(at);
    if (answer[at + 4] === 6) return answer.readUInt32BE(at + 5);
    at += 4 + len;
  }
  return undefined;
}

/** A logged-in raw session of `secops` (sys-admin and read-write), created on first use. */
let secopsMade = false;
async function secops(): Promise<AdminSession> {
  if (!secopsMade) {
    const admin = await open('admin', 'admin');
    try {
      await admin.createUser('secops', 'secops-pw', ['sys-admin', 'read-write']);
    } finally {
      await admin.close();
    }
    secopsMade = true;
  }
  const s = await AdminSession.open(server.port);
  assert.equal(await s.login('secops', 'secops-pw'), 0);
  return s;
}

const LOG_FLAGS = 'log.report-sys-admin=true;log.report-user-admin=true;log.report-violation=true';

test("get-config answers the security stanza in Aerospike EE's form, alone and after service and network", async () => {
  const s = await secops();
  try {
    const want = `enable-quotas=false;privilege-refresh-period=300;session-ttl=86400;tps-weight=2;log.report-authentication=true;log.report-data-op[0]=test|audited;${LOG_FLAGS}`;
    assert.equal(await s.info('get-config:context=security'), want);
    assert.ok((await s.info('get-config')).endsWith(`;${want}`));
  } finally {
    s.close();
  }
});

test('set-config:context=security changes session-ttl for the tokens issued after it; a refused value or a user without sys-admin changes nothing', async () => {
  const s = await secops();
  const other = await AdminSession.open(server.port);
  try {
    assert.equal(ttlOf(await other.ask(loginFrame('secops', 'secops-pw'))), 86400);
    assert.equal(await s.info('set-config:context=security;session-ttl=600'), 'ok');
    assert.equal(ttlOf(await other.ask(loginFrame('secops', 'secops-pw'))), 600);
    // below Aerospike's 120, not a number, unknown, not dynamic, or one bad key among good ones
    for (const bad of ['session-ttl=119', 'session-ttl=abc', 'session-ttl=', 'no-such=1', 'enable-quotas=true', 'default-password-file=/x', 'tps-weight=21', 'session-ttl=900;tps-weight=1', 'ldap.polling-period=10']) {
      assert.equal(await s.info(`set-config:context=security;${bad}`), 'ERROR:4:invalid set-config parameter', bad);
    }
    assert.equal(await s.info('set-config:context=security'), 'ERROR:4:invalid set-config parameter');
    const aud = await AdminSession.open(server.port);
    try {
      assert.equal(await aud.login('aud', 'secret-pw2'), 0);
      assert.match(await aud.info('set-config:context=security;session-ttl=900'), /^ERROR:81:role violation/);
    } finally {
      aud.close();
    }
    assert.match(await s.info('get-config:context=security'), /;session-ttl=600;tps-weight=2;/);
    assert.equal(ttlOf(await other.ask(loginFrame('secops', 'secops-pw'))), 600);
    assert.equal(await s.info('set-config:context=security;privilege-refresh-period=60;tps-weight=5'), 'ok');
    assert.match(await s.info('get-config:context=security'), /^enable-quotas=false;privilege-refresh-period=60;session-ttl=600;tps-weight=5;/);
    // the change is reported as the sys-admin command it is
    await logLine(new RegExp(esc(`permitted | client: ${s.local} | authenticated user: secops | action: set-config | detail: context=security;session-ttl=600`)));
  } finally {
    await s.info('set-config:context=security;session-ttl=86400;privilege-refresh-period=300;tps-weight=2');
    other.close();
    s.close();
  }
});

test('a report flag turned off by set-config stops its audit lines at once, and turned on again restarts them', async () => {
  const s = await secops();
  try {
    // Aerospike's security set-config takes true/false in any case
    assert.equal(await s.info('set-config:context=security;log.report-authentication=FALSE'), 'ok');
    assert.match(await s.info('get-config:context=security'), /;log\.report-authentication=false;/);
    const quiet = await AdminSession.open(server.port);
    try {
      assert.equal(await quiet.login('secops', 'secops-pw'), 0);
      // a later line (this set-config, report-sys-admin) shows the login line would have been written by now
      assert.equal(await s.info('set-config:context=security;log.report-authentication=true'), 'ok');
      await logLine(new RegExp(esc(`authenticated user: secops | action: set-config | detail: context=security;log.report-authentication=true`)));
      assert.equal(server.output().includes(`client: ${quiet.local} | authenticated user: secops | action: login`), false, 'no login line while report-authentication was off');
    } finally {
      quiet.close();
    }
    const loud = await AdminSession.open(server.port);
    try {
      assert.equal(await loud.login('secops', 'secops-pw'), 0);
      await logLine(new RegExp(esc(`permitted | client: ${loud.local} | authenticated user: secops | action: login | detail: user=secops`)));
    } finally {
      loud.close();
    }
    assert.equal(await s.info('set-config:context=security;log.report-violation=maybe'), 'ERROR:4:invalid set-config parameter');
    assert.match(await s.info('get-config:context=security'), /;log\.report-violation=true$/);
  } finally {
    await s.info('set-config:context=security;log.report-authentication=true');
    s.close();
  }
});

test('report-data-op scopes, roles and users are added and removed by set-config and the audit trail follows them', async () => {
  const s = await secops();
  const client = await open('secops', 'secops-pw');
  const send = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
  const cfg = () => s.info('get-config:context=security');
  try {
    assert.equal(await s.info('set-config:context=security;log.report-data-op=true;namespace=test;set=dyn'), 'ok');
    assert.match(await cfg(), /;log\.report-data-op\[0\]=test\|audited;log\.report-data-op\[1\]=test\|dyn;log\.report-sys-admin/);
    await client.put(new Aerospike.Key('test', 'dyn', 'd1'), { v: 1 }, undefined, send);
    await logLine(/permitted \| client: [\d.:]+ \| authenticated user: secops \| action: write \| detail: \{test\|dyn\} \[S\|d1\]$/);
    assert.equal(await s.info('set-config:context=security;log.report-data-op=false;namespace=test;set=dyn'), 'ok');
    await client.put(new Aerospike.Key('test', 'dyn', 'd2'), { v: 2 }, undefined, send);
    // a user scope: every data operation of that user, in any set
    assert.equal(await s.info('set-config:context=security;log.report-data-op=true;user=secops'), 'ok');
    assert.equal(await s.info('set-config:context=security;log.report-data-op=true;role=read'), 'ok');
    assert.match(await cfg(), /;log\.report-data-op\[0\]=test\|audited;log\.report-data-op-role\[0\]=read;log\.report-data-op-user\[0\]=secops;log\.report-sys-admin/);
    await client.put(new Aerospike.Key('test', 'dyn2', 'd3'), { v: 3 }, undefined, send);
    await logLine(/authenticated user: secops \| action: write \| detail: \{test\|dyn2\} \[S\|d3\]$/);
    assert.equal(server.output().includes('detail: {test|dyn} [S|d2]'), false, 'a removed scope is no longer reported');
    // refused: unknown namespace, a name listed twice or not listed, two selectors, no selector,
    // a set of a role, a set removed from a whole namespace, not a boolean
    const before = await cfg();
    for (const bad of [
      'log.report-data-op=true;namespace=nope',
      'log.report-data-op=true;user=secops',
      'log.report-data-op=false;role=write',
      'log.report-data-op=true;role=a;user=b',
      'log.report-data-op=true',
      'log.report-data-op=true;role=write;set=s',
      'log.report-data-op=yes;namespace=test',
      'log.report-data-op=true;namespace=test;set=',
      'log.report-data-op=true;namespace=test;tps-weight=3',
    ]) {
      assert.equal(await s.info(`set-config:context=security;${bad}`), 'ERROR:4:invalid set-config parameter', bad);
    }
    assert.equal(await cfg(), before);
    // the whole namespace replaces its sets, and one of its sets cannot then be removed alone
    assert.equal(await s.info('set-config:context=security;log.report-data-op=true;namespace=test'), 'ok');
    assert.match(await cfg(), /;log\.report-data-op\[0\]=test;log\.report-data-op-role/);
    assert.equal(await s.info('set-config:context=security;log.report-data-op=false;namespace=test;set=audited'), 'ERROR:4:invalid set-config parameter');
    assert.equal(await s.info('set-config:context=security;log.report-data-op=false;namespace=test'), 'ok');
    assert.doesNotMatch(await cfg(), /report-data-op\[/);
  } finally {
    await s.info('set-config:context=security;log.report-data-op=true;namespace=test;set=audited');
    await s.info('set-config:context=security;log.report-data-op=false;user=secops');
    await s.info('set-config:context=security;log.report-data-op=false;role=read');
    await client.close();
    s.close();
  }
  assert.equal(await (async () => {
    const t = await secops();
    try {
      return await t.info('get-config:context=security');
    } finally {
      t.close();
    }
  })(), `enable-quotas=false;privilege-refresh-period=300;session-ttl=86400;tps-weight=2;log.report-authentication=true;log.report-data-op[0]=test|audited;${LOG_FLAGS}`);
});
