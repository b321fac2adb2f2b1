/**
 * LDAP over TLS (Aerospike's `security { ldap { } }` with TLS on, its default) against a real
 * OpenLDAP `slapd` the test starts with a certificate the test's own CA signs: LDAPS on an
 * ldaps:// URL, StartTLS on an ldap:// one, the certificate checked against `tls-ca-file`. The
 * directory refuses simple binds in clear (`security simple_bind=128`), so a login that works
 * went over TLS; the query user's searches and role polls go over TLS too. Also `login-threads` (LDAP logins talking to the directory at once, counted by a
 * real TCP relay in front of slapd) and `token-hash-method` (the session token's HMAC).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Attribute, Change } from 'ldapts';
import Aerospike from 'aerospike';
import { addDirectoryEntries, startSlapd, type Slapd, queryUserSecurityStanza } from '../helpers/slapd.js';
import { startStrato, waitForOutput, type StratoProcess } from '../helpers/strato-process.js';
import { createTestPki, type TestPki } from '../helpers/tls-certs.js';
import { freePorts } from '../helpers/strato-cluster.js';
import { connectClient } from '../helpers/client.js';
import { AdminSession, adminField, adminFrame } from '../helpers/admin-session.js';
import { clientCredential } from '../../src/security/credential.js';

const BASE = 'dc=example,dc=com';
let pki: TestPki;
let otherPki: TestPki;
let slapd: Slapd;

before(async () => {
  pki = createTestPki('LDAP Test CA');
  otherPki = createTestPki('Not The LDAP CA');
  // the certificate names ldap.test and IP 127.0.0.1: the URLs below reach it by address
  const cert = pki.issue('ldap.test');
  slapd = await startSlapd(BASE, { cert: cert.cert, key: cert.key, ca: pki.caFile });
  await addDirectoryEntries(slapd, BASE, [['alice', 'alice-pw']], [['read-write', '5000', 'alice']]);
});

after(async () => {
  await slapd?.stop();
  pki?.remove();
  otherPki?.remove();
});

/** A node whose ldap stanza binds users by DN pattern (one directory connection per login). */
function startNode(ldapLines: string): Promise<StratoProcess> {
  return startStrato({
    config: `
service {
  cluster-name ldap-tls
  work-directory \${DIR}
}
security {
  ldap {
${ldapLines}
    query-base-dn ${BASE}
    user-dn-pattern uid=\${un},ou=People,${BASE}
    role-query-base-dn ou=Groups,${BASE}
    role-query-pattern (&(objectClass=posixGroup)(memberUid=\${un}))
    polling-period 0
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
}

/** LOGIN as the clients' external mode sends it; the result code and the session token. */
async function externalLogin(port: number, user: string, password: string): Promise<{ code: number; token?: Buffer }> {
  const s = await AdminSession.open(port);
  try {
    const a = await s.ask(adminFrame(20, [adminField(0, user), adminField(3, clientCredential(password)), adminField(4, password)]));
    let token: Buffer | undefined;
    // fields after the 8-byte proto header and 16-byte admin header: [len:4][id:1][data]
    for (let o = 24, n = a[11]!; n > 0 && o + 5 <= a.length; n--) {
      const len = a.readUInt32BE(o);
      if (a[o + 4] === 5) token = a.subarray(o + 5, o + 4 + len);
      o += 4 + len;
    }
    return { code: a[9]!, token };
  } finally {
    s.close();
  }
}

function external(port: number, user: string, password: string) {
  return connectClient({
    hosts: [{ addr: '127.0.0.1', port }],
    user,
    password,
    // EXTERNAL_INSECURE: the same LOGIN as EXTERNAL without the client's TLS requirement on the
    // service port (this test is about the node's link to the directory)
    authMode: Aerospike.auth.EXTERNAL_INSECURE,
  } as Parameters<typeof connectClient>[0]);
}

test('over ldaps:// with tls-ca-file an LDAP user logs in and gets its roles; an unreachable first server is skipped', async () => {
  const [dead] = await freePorts(1);
  const node = await startNode(`    server ldaps://127.0.0.1:${dead},${slapd.ldapsUrl}\n    tls-ca-file ${pki.caFile}`);
  try {
    const alice = await external(node.port, 'alice', 'alice-pw');
    try {
      const key = new Aerospike.Key('test', 'ldaps', 'a1');
      await alice.put(key, { v: 1 });
      assert.equal((await alice.get(key)).bins['v'], 1);
    } finally {
      await alice.close();
    }
  } finally {
    await node.stop();
  }
});

test('over ldap:// with TLS on the node runs StartTLS, and with disable-tls the directory refuses the clear bind (65)', async () => {
  const node = await startNode(`    server ${slapd.url}\n    tls-ca-file ${pki.caFile}`);
  try {
    assert.equal((await externalLogin(node.port, 'alice', 'alice-pw')).code, 0);
    assert.equal((await externalLogin(node.port, 'alice', 'wrong')).code, 65);
  } finally {
    await node.stop();
  }
  // the same directory in clear: slapd answers confidentialityRequired, the login INVALID_CREDENTIAL
  const clear = await startNode(`    server ${slapd.url}\n    disable-tls true`);
  try {
    assert.equal((await externalLogin(clear.port, 'alice', 'alice-pw')).code, 65);
    await waitForOutput(clear, /LDAP login of alice refused: bind as uid=alice,ou=People,dc=example,dc=com refused/);
  } finally {
    await clear.stop();
  }
});

test('a directory certificate that tls-ca-file does not sign is refused (65) on ldaps and StartTLS, and the node keeps serving', async () => {
  const node = await startNode(`    server ${slapd.ldapsUrl}\n    tls-ca-file ${otherPki.caFile}`);
  try {
    assert.equal((await externalLogin(node.port, 'alice', 'alice-pw')).code, 65);
    await waitForOutput(node, /LDAP login of alice refused: LDAP server ldaps:.*(certificate|self.signed|issuer)/i);
    const s = await AdminSession.open(node.port);
    try {
      assert.equal(await s.login('admin', 'admin'), 0);
    } finally {
      s.close();
    }
  } finally {
    await node.stop();
  }
  const startTls = await startNode(`    server ${slapd.url}\n    tls-ca-file ${otherPki.caFile}`);
  try {
    assert.equal((await externalLogin(startTls.port, 'alice', 'alice-pw')).code, 65);
  } finally {
    await startTls.stop();
  }
});

/**
 * A TCP relay in front of slapd's LDAPS port that counts the connections relaying at once; each
 * is held `holdMs` before it is relayed (so logins overlap whatever the machine's speed) and
 * counted from then until it closes, so a connection the node closed just before opening the
 * next one is never counted together with it.
 */
async function countingRelay(target: number, holdMs: number): Promise<{ port: number; peak: () => number; close: () => Promise<void> }> {
  let open = 0;
  let peak = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    sockets.add(inbound);
    let counted = false;
    inbound.pause();
    const timer = setTimeout(() => {
      counted = true;
      open++;
      peak = Math.max(peak, open);
      const outbound = connect(target, '127.0.0.1', () => {
        inbound.pipe(outbound).pipe(inbound);
        inbound.resume();
      });
      sockets.add(outbound);
      outbound.on('error', () => inbound.destroy());
      outbound.on('close', () => inbound.destroy());
    }, holdMs);
    inbound.on('error', () => undefined);
    inbound.on('close', () => {
      clearTimeout(timer);
      if (counted) open--;
    });
  });
  const [port] = await freePorts(1);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port: port!,
    peak: () => peak,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

test('login-threads bounds the LDAP logins talking to the directory at once; the others wait their turn and succeed', async () => {
  const ldapsPort = Number(new URL(slapd.ldapsUrl!).port);
  const relay = await countingRelay(ldapsPort, 300);
  try {
    const node = await startNode(`    server ldaps://127.0.0.1:${relay.port}\n    tls-ca-file ${pki.caFile}\n    login-threads 2`);
    try {
      const codes = await Promise.all(Array.from({ length: 6 }, () => externalLogin(node.port, 'alice', 'alice-pw')));
      assert.deepEqual(
        codes.map((c) => c.code),
        [0, 0, 0, 0, 0, 0],
      );
      // six logins at once, each holding its directory connection 300 ms: two ran together, never more
      assert.equal(relay.peak(), 2);
    } finally {
      await node.stop();
    }
  } finally {
    await relay.close();
  }
});

test('token-hash-method sha-512 makes the session token an HMAC-SHA-512, which the clients use like any other', async () => {
  const node = await startNode(`    server ${slapd.ldapsUrl}\n    tls-ca-file ${pki.caFile}\n    token-hash-method sha-512`);
  try {
    const { code, token } = await externalLogin(node.port, 'alice', 'alice-pw');
    assert.equal(code, 0);
    // version, expiry, name length, name, then the 64-byte MAC (32 with the default sha-256)
    assert.equal(token?.length, 6 + 'alice'.length + 64);
    // the official client authenticates its further connections with the token
    const alice = await external(node.port, 'alice', 'alice-pw');
    try {
      const key = new Aerospike.Key('test', 'ldaps', 't1');
      await alice.put(key, { v: 2 });
      assert.equal((await alice.get(key)).bins['v'], 2);
    } finally {
      await alice.close();
    }
    // an internal user's token is made the same way
    const s = await AdminSession.open(node.port);
    try {
      const a = await s.ask(adminFrame(20, [adminField(0, 'admin'), adminField(3, clientCredential('admin'))]));
      assert.equal(a[9], 0);
      assert.equal(a.readUInt32BE(24) - 1, 6 + 'admin'.length + 64);
    } finally {
      s.close();
    }
  } finally {
    await node.stop();
  }
});

test('with a query user over StartTLS, users are found by search and their roles re-read every polling-period', async () => {
  const c = await slapd.admin();
  try {
    await c.add(`uid=frank,ou=People,${BASE}`, { objectClass: 'inetOrgPerson', uid: 'frank', cn: 'frank', sn: 'frank', userPassword: 'frank-pw' });
    await c.add(`cn=read,ou=Groups,${BASE}`, { objectClass: 'posixGroup', cn: 'read', gidNumber: '5002', memberUid: 'frank' });
  } finally {
    await c.unbind();
  }
  const node = await startStrato({
    prepare: (dir) => writeFileSync(join(dir, 'ldap-query.pw'), `${slapd.rootPassword}\n`),
    config: `
service {
  cluster-name ldap-tls
  work-directory \${DIR}
}
${queryUserSecurityStanza(slapd, BASE, `tls-ca-file ${pki.caFile}`, '${DIR}/ldap-query.pw')}
namespace test {
  replication-factor 1
  storage-engine memory {
    data-size 64M
  }
}
`,
  });
  try {
    const frank = await external(node.port, 'frank', 'frank-pw');
    try {
      const key = new Aerospike.Key('test', 'ldaps', 'f1');
      await frank.put(key, { v: 1 }).then(
        () => assert.fail('read alone must not write'),
        (e: { code?: number }) => assert.equal(e.code, 81),
      );
      // the directory gives frank read-write: the next poll (over StartTLS, as the query user) lets him write
      const admin = await slapd.admin();
      try {
        await admin.modify(`cn=read-write,ou=Groups,${BASE}`, [new Change({ operation: 'add', modification: new Attribute({ type: 'memberUid', values: ['frank'] }) })]);
      } finally {
        await admin.unbind();
      }
      const deadline = Date.now() + 15_000;
      let code = -1;
      while (Date.now() < deadline) {
        code = await frank.put(key, { v: 2 }).then(
          () => 0,
          (e: { code?: number }) => e.code ?? -1,
        );
        if (code === 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(code, 0);
    } finally {
      await frank.close();
    }
  } finally {
    await node.stop();
  }
});
