/**
 * Aerospike EE TLS details beyond the basic service port (issue 17.3), against real strato
 * processes with certificates the test makes with openssl: `pki-user-append-ou` (the PKI user is
 * the certificate's CN followed by its OUs), `tls <hostname>` / `tls-name <cluster-name>`
 * substitution, and `tls-refresh-period` (certificate files read again while the node runs: new
 * connections get the new certificate, on the service port and the HTTPS metrics endpoint alike;
 * a file that no longer loads keeps the old one and is named in a warning).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { startStrato } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';
import { createTestPki, type TestPki } from '../helpers/tls-certs.js';
import { freePorts } from '../helpers/strato-cluster.js';

const NS = `namespace test {\n  replication-factor 1\n  storage-engine memory {\n    data-size 64M\n  }\n}\n`;
let pki: TestPki;

before(() => {
  pki = createTestPki();
});
after(() => {
  pki?.remove();
});

/** An open TLS connection to a node: its certificate, and raw frame / info exchanges on it. */
interface TlsConn {
  cert: PeerCertificate;
  frame(out: Buffer): Promise<Buffer>;
  info(cmd: string): Promise<string>;
  close(): void;
}

/** Opens a TLS connection (CA = the test's, SNI = `servername`). */
function tlsOpen(port: number, servername: string, opts: ConnectionOptions = {}): Promise<TlsConn> {
  return new Promise((resolve, reject) => {
    const sock = tlsConnect({ host: '127.0.0.1', port, servername, ca: readFileSync(pki.caFile), ...opts });
    sock.once('error', reject);
    sock.once('secureConnect', () => {
      const frame = (out: Buffer) =>
        new Promise<Buffer>((res, rej) => {
          let buf = Buffer.alloc(0);
          const onData = (d: Buffer) => {
            buf = Buffer.concat([buf, d]);
            if (buf.length >= 8 && buf.length >= 8 + buf.readUIntBE(2, 6)) {
              sock.off('data', onData);
              res(buf.subarray(0, 8 + buf.readUIntBE(2, 6)));
            }
          };
          sock.on('data', onData);
          sock.once('error', rej);
          sock.write(out);
        });
      const info = async (cmd: string) => {
        const body = Buffer.from(`${cmd}\n`);
        const head = Buffer.alloc(8);
        head[0] = 2;
        head[1] = 1;
        head.writeUIntBE(body.length, 2, 6);
        return (await frame(Buffer.concat([head, body]))).subarray(8).toString().trim();
      };
      resolve({ cert: sock.getPeerCertificate(), frame, info, close: () => sock.destroy() });
    });
  });
}

/** The clients' PKI LOGIN (admin command 20, no field) on an open connection; resolves with the result code. */
async function pkiLogin(s: TlsConn): Promise<number> {
  const out = Buffer.alloc(24);
  out[0] = 2;
  out[1] = 2;
  out.writeUIntBE(16, 2, 6);
  out[10] = 20;
  return (await s.frame(out))[9]!;
}

function readSerial(certFile: string): string {
  return new X509Certificate(readFileSync(certFile)).serialNumber;
}

/** Waits (bounded: `tries` × 100 ms) until `check` holds; the last value is returned for the assertion. */
async function eventually<T>(probe: () => Promise<T>, check: (v: T) => boolean, tries = 100): Promise<T> {
  let v = await probe();
  for (let i = 0; i < tries && !check(v); i++) {
    await new Promise((r) => setTimeout(r, 100));
    v = await probe();
  }
  return v;
}

function tlsConfig(opts: { name: string; tlsName?: string; cert: string; key: string; tlsPort: number; security?: boolean; extraTls?: string; service?: string; authenticate?: string; https?: boolean }): string {
  return `
service {
  cluster-name tls-names
${opts.service ?? ''}
}
${opts.security ? 'security {\n}\n' : ''}
network {
  tls ${opts.name} {
    cert-file ${opts.cert}
    key-file ${opts.key}
    ca-file ${pki.caFile}
${opts.extraTls ?? ''}
  }
  service {
    address 127.0.0.1
    port 3000
    tls-port ${opts.tlsPort}
    tls-name ${opts.tlsName ?? opts.name}
    tls-authenticate-client ${opts.authenticate ?? 'false'}
  }
${opts.https ? `  http {\n    address 127.0.0.1\n    port 0\n    tls-name ${opts.tlsName ?? opts.name}\n  }` : ''}
}
${NS}`;
}

test('pki-user-append-ou true: a PKI login is the user named by the CN followed by the OUs', async () => {
  const server = pki.issue('ou.test');
  const carolEng = pki.issue('carol', { ou: ['eng'] });
  const carolTwo = pki.issue('carol', { ou: ['eng', 'db'] });
  const carolNone = pki.issue('carol');
  const [tlsPort] = await freePorts(1);
  const node = await startStrato({
    config: tlsConfig({ name: 'ou.test', cert: server.cert, key: server.key, tlsPort: tlsPort!, security: true, authenticate: 'any', extraTls: '    pki-user-append-ou true' }),
  });
  try {
    const admin = await connectClient({ hosts: [{ addr: '127.0.0.1', port: node.port }], user: 'admin', password: 'admin' });
    try {
      await admin.createPKIUser('carol.eng', ['read-write']);
      await admin.createPKIUser('carol.eng.db', ['read']);
    } finally {
      await admin.close();
    }
    const hosts = [{ addr: '127.0.0.1', port: tlsPort!, tlsname: 'ou.test' }];
    const client = await connectClient({ hosts, tls: { cafile: pki.caFile, certfile: carolEng.cert, keyfile: carolEng.key }, authMode: Aerospike.auth.AUTH_PKI });
    try {
      const key = new Aerospike.Key('test', 'ou', 'k1');
      await client.put(key, { by: 'carol.eng' });
      assert.deepEqual((await client.get(key)).bins, { by: 'carol.eng' });
    } finally {
      await client.close();
    }
    // two OUs, in the certificate's order: carol.eng.db holds read only
    const reader = await connectClient({ hosts, tls: { cafile: pki.caFile, certfile: carolTwo.cert, keyfile: carolTwo.key }, authMode: Aerospike.auth.AUTH_PKI });
    try {
      await assert.rejects(reader.put(new Aerospike.Key('test', 'ou', 'k2'), { a: 1 }), (e: unknown) => (e as { code?: number }).code === 81);
    } finally {
      await reader.close();
    }
    // no OU: the user is 'carol', who does not exist (INVALID_USER on the PKI LOGIN)
    const s = await tlsOpen(tlsPort!, 'ou.test', { cert: readFileSync(carolNone.cert), key: readFileSync(carolNone.key) });
    try {
      const answer = await pkiLogin(s);
      assert.equal(answer, 60);
    } finally {
      s.close();
    }
  } finally {
    await node.stop();
  }
});

test('tls <hostname> and tls-name <cluster-name> are substituted as Aerospike EE does', async () => {
  const host = hostname();
  const byHost = pki.issue(host);
  const byCluster = pki.issue('tls-names');
  const [p1, p2] = await freePorts(2);
  const a = await startStrato({ config: tlsConfig({ name: '<hostname>', cert: byHost.cert, key: byHost.key, tlsPort: p1! }) });
  try {
    // the node presents, and clients verify, the machine's host name
    const client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: p1!, tlsname: host }], tls: { cafile: pki.caFile } });
    try {
      const key = new Aerospike.Key('test', 'host', 'k');
      await client.put(key, { h: host });
      assert.deepEqual((await client.get(key)).bins, { h: host });
    } finally {
      await client.close();
    }
    assert.match(a.output(), new RegExp(`tls-name ${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`));
  } finally {
    await a.stop();
  }
  const b = await startStrato({ config: tlsConfig({ name: 'tls-names', tlsName: '<cluster-name>', cert: byCluster.cert, key: byCluster.key, tlsPort: p2! }) });
  try {
    const s = await tlsOpen(p2!, 'tls-names');
    try {
      assert.equal(s.cert.subject.CN, 'tls-names');
      assert.equal(await s.info('service-tls-std'), `service-tls-std\t127.0.0.1:${p2}`);
    } finally {
      s.close();
    }
  } finally {
    await b.stop();
  }
});

test('tls-refresh-period: new connections get a replaced certificate, open ones keep theirs, a broken file keeps the old one', async () => {
  const first = pki.issue('refresh.test');
  const second = pki.issue('refresh.test');
  const dir = pki.dir;
  const cert = join(dir, 'live-cert.pem');
  const key = join(dir, 'live-key.pem');
  copyFileSync(first.cert, cert);
  copyFileSync(first.key, key);
  const [tlsPort] = await freePorts(1);
  const node = await startStrato({ config: tlsConfig({ name: 'refresh.test', cert, key, tlsPort: tlsPort!, service: '  tls-refresh-period 1', https: true }) });
  const httpsPort = Number(/metrics endpoint: https:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(node.output())?.[1]);
  try {
    const firstSerial = (await tlsOpen(tlsPort!, 'refresh.test').then((s) => (s.close(), s.cert))).serialNumber;
    assert.equal((await tlsOpen(httpsPort, 'refresh.test').then((s) => (s.close(), s.cert))).serialNumber, firstSerial);
    const open = await tlsOpen(tlsPort!, 'refresh.test');
    try {
      assert.equal(open.cert.serialNumber, firstSerial);
      // replace both files (each by a rename, as a certificate manager does)
      copyFileSync(second.cert, `${cert}.new`);
      copyFileSync(second.key, `${key}.new`);
      renameSync(`${key}.new`, key);
      renameSync(`${cert}.new`, cert);
      const secondSerial = readSerial(second.cert);
      const seen = await eventually(
        () => tlsOpen(tlsPort!, 'refresh.test').then((s) => (s.close(), s.cert.serialNumber)),
        (serial) => serial === secondSerial,
      );
      assert.equal(seen, secondSerial);
      // the HTTPS metrics endpoint (http tls-name) presents it too
      const seenHttps = await eventually(
        () => tlsOpen(httpsPort, 'refresh.test').then((s) => (s.close(), s.cert.serialNumber)),
        (serial) => serial === secondSerial,
      );
      assert.equal(seenHttps, secondSerial);
      // the connection opened before the refresh still works
      assert.equal(await open.info('status'), 'status\tok');
    } finally {
      open.close();
    }
    // a file OpenSSL refuses: the node keeps serving the certificate it has and says which file
    writeFileSync(cert, 'not a certificate\n');
    const warned = new RegExp(`refresh failed - keeping the loaded context: ${cert.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
    await eventually(async () => node.output(), (out) => warned.test(out));
    assert.match(node.output(), warned);
    const still = await tlsOpen(tlsPort!, 'refresh.test');
    try {
      assert.equal(still.cert.serialNumber, readSerial(second.cert));
      // the period is a service parameter, shown and changed as Aerospike EE does
      assert.equal(await still.info('get-config:context=service').then((t) => /tls-refresh-period=(\d+)/.exec(t)?.[1]), '1');
      assert.equal(await still.info('set-config:context=service;tls-refresh-period=2m'), 'set-config:context=service;tls-refresh-period=2m\tok');
      assert.equal(await still.info('get-config:context=service').then((t) => /tls-refresh-period=(\d+)/.exec(t)?.[1]), '120');
    } finally {
      still.close();
    }
  } finally {
    await node.stop();
  }
});
