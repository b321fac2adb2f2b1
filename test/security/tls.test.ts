/**
 * TLS on the service port (issue 17.3) against real strato processes, with certificates the test
 * makes with openssl: the official client's `tls` config and `host:port:tlsname` hosts, the info
 * answers clients discover TLS endpoints with, mutual TLS (`tls-authenticate-client` any / subject
 * names) refusing a client without a certificate or with another name, PKI login (the client's
 * AUTH_PKI mode: the certificate's CN is the user), and config errors naming file:line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { get as httpsGet } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from '../helpers/run-tool.js';
import Aerospike from 'aerospike';
import { runStratoExpectingFailure, startStrato, waitForOutput, type StratoProcess } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';
import { createTestPki, type CertFiles, type TestPki } from '../helpers/tls-certs.js';
import { freePorts } from '../helpers/strato-cluster.js';

const TLS_NAME = 'strato.test';
let pki: TestPki;
let serverCert: CertFiles;
let alice: CertFiles;
let ghost: CertFiles;
let bob: CertFiles;
let plain: StratoProcess; // TLS without client certificates, no security
let plainTlsPort: number;
let mutual: StratoProcess; // security on, tls-authenticate-client alice / ghost
let mutualTlsPort: number;

/** A port free right now, from outside the ephemeral range (see freePorts). */
const freePort = async (): Promise<number> => (await freePorts(1))[0]!;

function config(tlsPort: number, extra: { security?: boolean; authenticate: string[] }): string {
  return `
service {
  cluster-name tls-test
}
${extra.security ? 'security {\n}\n' : ''}
network {
  tls ${TLS_NAME} {
    cert-file ${serverCert.cert}
    key-file ${serverCert.key}
    ca-file ${pki.caFile}
  }
  service {
    address 127.0.0.1
    port 3000
    tls-port ${tlsPort}
    tls-name ${TLS_NAME}
${extra.authenticate.map((a) => `    tls-authenticate-client ${a}`).join('\n')}
  }
${extra.security ? `  http {\n    address 127.0.0.1\n    port 0\n    tls-name ${TLS_NAME}\n    tls-authenticate-client alice\n  }` : ''}
}
namespace test {
  replication-factor 1
  storage-engine memory {
    data-size 64M
  }
}
`;
}

before(async () => {
  pki = createTestPki();
  serverCert = pki.issue(TLS_NAME);
  alice = pki.issue('alice');
  ghost = pki.issue('ghost');
  bob = pki.issue('bob');
  plainTlsPort = await freePort();
  plain = await startStrato({ config: config(plainTlsPort, { authenticate: ['false'] }) });
  mutualTlsPort = await freePort();
  mutual = await startStrato({ config: config(mutualTlsPort, { security: true, authenticate: ['alice', 'ghost'] }) });
  const admin = await connectClient({ hosts: [{ addr: '127.0.0.1', port: mutual.port }], user: 'admin', password: 'admin' });
  try {
    await admin.createPKIUser('alice', ['read-write']);
  } finally {
    await admin.close();
  }
});

after(async () => {
  await plain?.stop();
  await mutual?.stop();
  pki?.remove();
});

const tlsHost = (port: number) => [{ addr: '127.0.0.1', port, tlsname: TLS_NAME }];
/**
 * Connects a client expected to be refused, and closes it either way: a client whose connect
 * failed still holds the event loop (its tend thread), which would keep the test file from ending.
 */
async function refusedConnect(config: Parameters<typeof Aerospike.client>[0]): Promise<void> {
  const client = Aerospike.client(config);
  try {
    await client.connect();
  } finally {
    client.close();
  }
}

const FAST_FAIL = { connTimeoutMs: 2000, loginTimeoutMs: 2000, policies: { info: { timeout: 2000 } } };

/** The clients' PKI LOGIN: admin command 20 with no field. */
const PKI_LOGIN = (() => {
  const frame = Buffer.alloc(24);
  frame[0] = 2;
  frame[1] = 2;
  frame.writeUIntBE(16, 2, 6);
  frame[10] = 20;
  return frame;
})();

/** Sends one info command over a raw TLS connection; rejects when the handshake or the node refuses. */
async function rawTlsInfo(port: number, command: string, opts: ConnectionOptions): Promise<string> {
  const body = Buffer.from(`${command}\n`);
  const head = Buffer.alloc(8);
  head[0] = 2;
  head[1] = 1;
  head.writeUIntBE(body.length, 2, 6);
  const answer = await rawTlsFrame(port, Buffer.concat([head, body]), opts);
  return answer.subarray(8).toString().trim();
}

/** Sends one frame over a raw TLS connection and resolves with the whole answer frame. */
function rawTlsFrame(port: number, frame: Buffer, opts: ConnectionOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = tlsConnect({ host: '127.0.0.1', port, servername: TLS_NAME, ca: readFileSync(pki.caFile), ...opts });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('no answer in 5 s'));
    }, 5000);
    let buf = Buffer.alloc(0);
    sock.on('secureConnect', () => sock.write(frame));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 8 && buf.length >= 8 + buf.readUIntBE(2, 6)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(buf.subarray(0, 8 + buf.readUIntBE(2, 6)));
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      reject(new Error('connection closed before an answer'));
    });
  });
}

test('the official client connects over TLS (tls config, host tlsname) and writes and reads a record', async () => {
  const client = await connectClient({ hosts: tlsHost(plainTlsPort), tls: { cafile: pki.caFile } });
  try {
    const key = new Aerospike.Key('test', 'tls', 'k1');
    await client.put(key, { a: 1, s: 'over tls' });
    const rec = await client.get(key);
    assert.deepEqual(rec.bins, { a: 1, s: 'over tls' });
  } finally {
    await client.close();
  }
});

test('the client refuses a node whose certificate does not name the tlsname it expects', async () => {
  await assert.rejects(refusedConnect({ hosts: [{ addr: '127.0.0.1', port: plainTlsPort, tlsname: 'other.name' }], tls: { cafile: pki.caFile }, ...FAST_FAIL }));
});

test('service-tls-std and peers-tls-std answer the TLS endpoint and name clients discover', async () => {
  assert.equal(await rawTlsInfo(plainTlsPort, 'service-tls-std', {}), `service-tls-std\t127.0.0.1:${plainTlsPort}`);
  // a lone node has no peers; the default port is the TLS port
  assert.equal(await rawTlsInfo(plainTlsPort, 'peers-tls-std', {}), `peers-tls-std\t0,${plainTlsPort},[]`);
  // the clear port answers the same, and keeps serving clear clients
  const clear = await connectClient({ hosts: [{ addr: '127.0.0.1', port: plain.port }] });
  try {
    const info = await clear.infoAny('service-tls-std');
    assert.equal(info.trim(), `service-tls-std\t127.0.0.1:${plainTlsPort}`);
  } finally {
    await clear.close();
  }
});

test('a node without a TLS port answers the TLS info commands as Community Edition', async () => {
  const node = await startStrato({});
  try {
    const client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: node.port }] });
    try {
      await assert.rejects(client.infoAny('peers-tls-std'), /enterprise only/);
      assert.equal((await client.infoAny('service-tls-std')).trim(), 'service-tls-std');
    } finally {
      await client.close();
    }
  } finally {
    await node.stop();
  }
});

test('mutual TLS refuses a client without a certificate', async () => {
  await assert.rejects(rawTlsInfo(mutualTlsPort, 'status', {}));
  await assert.rejects(refusedConnect({ hosts: tlsHost(mutualTlsPort), tls: { cafile: pki.caFile }, user: 'admin', password: 'admin', ...FAST_FAIL }));
});

test('mutual TLS refuses a certificate whose subject is not a tls-authenticate-client name', async () => {
  await assert.rejects(rawTlsInfo(mutualTlsPort, 'status', { cert: readFileSync(bob.cert), key: readFileSync(bob.key) }));
  await waitForOutput(mutual, /refusing TLS client .* certificate names bob, not alice or ghost/);
});

test('mutual TLS refuses a certificate another CA signed', async () => {
  const other = createTestPki('Other CA');
  try {
    const forged = other.issue('alice');
    await assert.rejects(rawTlsInfo(mutualTlsPort, 'status', { cert: readFileSync(forged.cert), key: readFileSync(forged.key) }));
  } finally {
    other.remove();
  }
});

test('mutual TLS accepts a listed name, and a password login works over it', async () => {
  // the handshake passes; the node (security on) then wants a login before any info command
  assert.match(await rawTlsInfo(mutualTlsPort, 'status', { cert: readFileSync(alice.cert), key: readFileSync(alice.key) }), /^ERROR:80:not authenticated/);
  const client = await connectClient({ hosts: tlsHost(mutualTlsPort), tls: { cafile: pki.caFile, certfile: alice.cert, keyfile: alice.key }, user: 'admin', password: 'admin' });
  try {
    const users = await client.queryUsers();
    assert.ok(users.some((u) => u.name === 'alice'));
  } finally {
    await client.close();
  }
});

test('PKI login: the client certificate CN is the user, with that user roles', async () => {
  const client = await connectClient({
    hosts: tlsHost(mutualTlsPort),
    tls: { cafile: pki.caFile, certfile: alice.cert, keyfile: alice.key },
    authMode: Aerospike.auth.AUTH_PKI,
  });
  try {
    const key = new Aerospike.Key('test', 'pki', 'k1');
    await client.put(key, { who: 'alice' });
    assert.deepEqual((await client.get(key)).bins, { who: 'alice' });
    // read-write holds no user-admin: alice cannot create users
    await assert.rejects(client.createUser('mallory', 'pw', ['read']), (e: unknown) => (e as { code?: number }).code === 81);
  } finally {
    await client.close();
  }
});

test('PKI login with a certificate naming no user is refused with INVALID_USER', async () => {
  await assert.rejects(
    refusedConnect({ hosts: tlsHost(mutualTlsPort), tls: { cafile: pki.caFile, certfile: ghost.cert, keyfile: ghost.key }, authMode: Aerospike.auth.AUTH_PKI, ...FAST_FAIL }),
  );
  // what the node answered the client's PKI LOGIN (the client reports only that it could not connect)
  const answer = await rawTlsFrame(mutualTlsPort, PKI_LOGIN, { cert: readFileSync(ghost.cert), key: readFileSync(ghost.key) });
  assert.equal(answer[9], 60); // INVALID_USER
  const ok = await rawTlsFrame(mutualTlsPort, PKI_LOGIN, { cert: readFileSync(alice.cert), key: readFileSync(alice.key) });
  assert.equal(ok[9], 0);
});

test('a PKI-only user cannot log in with a password', async () => {
  await assert.rejects(
    refusedConnect({ hosts: [{ addr: '127.0.0.1', port: mutual.port }], user: 'alice', password: 'nopassword', ...FAST_FAIL }),
    (e: unknown) => (e as { code?: number }).code === 65,
  );
});

test('PKI login on the clear port (no certificate) is refused', async () => {
  // the clients refuse PKI without TLS themselves; send the PKI LOGIN frame (no fields) directly
  const { connect } = await import('node:net');
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port: mutual.port });
    const frame = Buffer.alloc(24);
    frame[0] = 2;
    frame[1] = 2;
    frame.writeUIntBE(16, 2, 6);
    frame[10] = 20; // LOGIN, no fields
    sock.on('connect', () => sock.write(frame));
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 24) {
        sock.destroy();
        resolve(buf);
      }
    });
    sock.on('error', reject);
  });
  assert.equal(answer[9], 65); // INVALID_CREDENTIAL
});

test('asinfo --tls-enable asks a node over TLS, with host:tlsname:port or --tls-name', async () => {
  const a = await runTool('asinfo', ['--tls-enable', '--tls-cafile', pki.caFile, '-h', `127.0.0.1:${TLS_NAME}:${plainTlsPort}`, '-v', 'service-tls-std']);
  assert.equal(a.code, 0, a.err);
  assert.equal(a.out.trim(), `127.0.0.1:${plainTlsPort}`);
  const b = await runTool('asinfo', ['--tls-enable', '--tls-cafile', pki.caFile, '--tls-name', TLS_NAME, '-h', '127.0.0.1', '-p', String(plainTlsPort), '-v', 'status']);
  assert.equal(b.code, 0, b.err);
  assert.equal(b.out.trim(), 'ok');
});

test('asinfo refuses a node whose certificate does not present the TLS name', async () => {
  const r = await runTool('asinfo', ['--tls-enable', '--tls-cafile', pki.caFile, '-h', `127.0.0.1:wrong.name:${plainTlsPort}`, '-v', 'status']);
  assert.equal(r.code, 1);
  assert.match(r.err, /wrong\.name/);
});

test('asinfo with a client certificate and --auth PKI logs in on a mutual-TLS node', async () => {
  const tls = ['--tls-enable', '--tls-cafile', pki.caFile, '--tls-certfile', alice.cert, '--tls-keyfile', alice.key, '-h', `127.0.0.1:${TLS_NAME}:${mutualTlsPort}`];
  const ok = await runTool('asinfo', [...tls, '--auth', 'PKI', '-v', 'status']);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.out.trim(), 'ok');
  // a sys-admin command: alice holds read-write only
  const refused = await runTool('asinfo', [...tls, '--auth', 'PKI', '-v', 'set-config:context=service;ticker-interval=10']);
  assert.match(refused.out + refused.err, /ERROR:81|role violation/i);
  const noCert = await runTool('asinfo', ['--tls-enable', '--tls-cafile', pki.caFile, '-h', `127.0.0.1:${TLS_NAME}:${mutualTlsPort}`, '-v', 'status']);
  assert.equal(noCert.code, 1);
});

test('asadm --tls-enable runs info network and show statistics over TLS, finding the node with peers-tls-std', async () => {
  const r = await runTool('asadm', ['--tls-enable', '--tls-cafile', pki.caFile, '-h', `127.0.0.1:${TLS_NAME}:${plainTlsPort}`, '-e', 'info network; show statistics service']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Network Information/);
  // the Node column is the TLS endpoint asadm reached
  assert.match(r.out, new RegExp(`127\\.0\\.0\\.1:${plainTlsPort}`));
  assert.match(r.out, /Number of rows: 1/);
  assert.match(r.out, /Service Statistics/);
  assert.match(r.out, /cluster_size\s*\|\s*1/);
  // --tls-name with a plain host and -p, in interactive mode (the banner counts the nodes found)
  const b = await runTool('asadm', ['--tls-enable', '--tls-cafile', pki.caFile, '--tls-name', TLS_NAME, '-h', '127.0.0.1', '-p', String(plainTlsPort)]);
  assert.equal(b.code, 0, b.err);
  assert.match(b.out, /1 node\(s\) found/);
});

test('asadm refuses a node whose certificate does not present the TLS name, naming it', async () => {
  const r = await runTool('asadm', ['--tls-enable', '--tls-cafile', pki.caFile, '-h', `127.0.0.1:wrong.name:${plainTlsPort}`, '-e', 'info network']);
  assert.equal(r.code, 2, "asadm's exit code after it logged an error");
  assert.match(r.err, /Not able to connect any cluster/);
  assert.match(r.err, /wrong\.name/);
  assert.doesNotMatch(r.out, /Network Information/);
});

test('asadm with a client certificate and --auth PKI logs in on a mutual-TLS node with security', async () => {
  const tls = ['--tls-enable', '--tls-cafile', pki.caFile, '--tls-certfile', alice.cert, '--tls-keyfile', alice.key, '-h', `127.0.0.1:${TLS_NAME}:${mutualTlsPort}`];
  const ok = await runTool('asadm', [...tls, '--auth', 'PKI', '-e', 'info network']);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, new RegExp(`127\\.0\\.0\\.1:${mutualTlsPort}`));
  // the certificate names the user: the node shows alice her own user and roles
  const users = await runTool('asadm', [...tls, '--auth', 'PKI', '-e', 'show users alice']);
  assert.equal(users.code, 0, users.err);
  assert.match(users.out, /alice\s*\|\s*read-write/);
  // without the PKI login the secured node answers no info request: asadm says so and stops
  const noLogin = await runTool('asadm', [...tls, '-e', 'info network']);
  assert.equal(noLogin.code, 2);
  assert.equal(noLogin.err, `ERROR: Connection failed : not authenticated.\nERROR: Not able to connect any cluster with [('127.0.0.1', ${mutualTlsPort}, '${TLS_NAME}')].\n`);
  assert.equal(noLogin.out, '');
  // PKI without TLS options is refused by name, not ignored
  const noTls = await runTool('asadm', ['--auth', 'PKI', '-p', String(mutual.port), '-e', 'info network']);
  assert.equal(noTls.code, 1);
  assert.match(noTls.err, /--auth PKI needs --tls-enable with --tls-certfile and --tls-keyfile/);
  const stray = await runTool('asadm', ['--tls-cafile', pki.caFile, '-p', String(mutual.port), '-e', 'info network']);
  assert.equal(stray.code, 1);
  assert.match(stray.err, /--tls-cafile needs --tls-enable/);
});

test('asbackup and asrestore run over TLS, and with --auth PKI on a mutual-TLS node with security', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-tls-backup-'));
  try {
    // 50 records on the TLS node without security, backed up over TLS with host:tlsname:port
    const client = await connectClient({ hosts: tlsHost(plainTlsPort), tls: { cafile: pki.caFile } });
    try {
      for (let i = 0; i < 50; i++) await client.put(new Aerospike.Key('test', 'bk', `r${i}`), { i });
    } finally {
      await client.close();
    }
    const file = join(dir, 'tls.asb');
    const host = (port: number) => `127.0.0.1:${TLS_NAME}:${port}`;
    const backup = await runTool('asbackup', ['--tls-enable', '--tls-cafile', pki.caFile, '-h', host(plainTlsPort), '-n', 'test', '-s', 'bk', '-o', file]);
    assert.equal(backup.code, 0, backup.err);
    assert.equal((readFileSync(file, "utf8").match(/^- I i /gm) ?? []).length, 50, readFileSync(file, "utf8").slice(0, 800));
    // restored into the secured node as alice (read-write) through PKI: the writes log in too
    const pkiArgs = ['--tls-enable', '--tls-cafile', pki.caFile, '--tls-certfile', alice.cert, '--tls-keyfile', alice.key, '--auth', 'PKI'];
    const restore = await runTool('asrestore', [...pkiArgs, '-h', host(mutualTlsPort), '-n', 'test', '-i', file]);
    assert.equal(restore.code, 0, restore.err);
    // and read back with a scan that logs in on its own socket
    const again = join(dir, 'again.asb');
    const back = await runTool('asbackup', [...pkiArgs, '-h', host(mutualTlsPort), '-n', 'test', '-s', 'bk', '-o', again]);
    assert.equal(back.code, 0, back.err);
    assert.equal((readFileSync(again, 'utf8').match(/^- I i /gm) ?? []).length, 50);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TLS options without --tls-enable, and --auth PKI without a certificate, are refused by name', async () => {
  const a = await runTool('asinfo', ['--tls-cafile', pki.caFile, '-v', 'status']);
  assert.equal(a.code, 1);
  assert.match(a.err, /--tls-cafile needs --tls-enable/);
  const b = await runTool('asinfo', ['--tls-enable', '--auth', 'PKI', '-v', 'status']);
  assert.equal(b.code, 1);
  assert.match(b.err, /--auth PKI needs --tls-enable with --tls-certfile/);
});

test('a tls-name naming no tls stanza stops the start naming file and line', async () => {
  const r = await runStratoExpectingFailure(config(4333, { authenticate: ['false'] }).replace(`tls-name ${TLS_NAME}`, 'tls-name nosuch'));
  assert.equal(r.code, 1);
  assert.match(r.output, /strato\.conf:16: service 'tls-name' nosuch names no 'tls' stanza/);
});

test('an unreadable cert-file stops the start naming file and line', async () => {
  const r = await runStratoExpectingFailure(config(4333, { authenticate: ['false'] }).replace(serverCert.cert, '/nonexistent/cert.pem'));
  assert.equal(r.code, 1);
  assert.match(r.output, /strato\.conf:8: tls 'strato\.test' 'cert-file' cannot be read: ENOENT/);
});

test('mutual TLS without ca-file or ca-path stops the start naming the tls stanza', async () => {
  const r = await runStratoExpectingFailure(config(4333, { authenticate: ['any'] }).replace(/\s*ca-file .*/, ''));
  assert.equal(r.code, 1);
  assert.match(r.output, /strato\.conf:7: tls 'strato\.test' needs 'ca-file' or 'ca-path'/);
});

/** GET over HTTPS from the mutual node's http endpoint (with a client certificate); rejects when the handshake fails. */
function httpsFetch(port: number, path: string, opts: { ca?: Buffer; authorization?: string; client?: CertFiles }): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const client = opts.client ? { cert: readFileSync(opts.client.cert), key: readFileSync(opts.client.key) } : {};
    const req = httpsGet({ host: '127.0.0.1', port, path, servername: TLS_NAME, ca: opts.ca, ...client, agent: false, headers: opts.authorization ? { authorization: opts.authorization } : {}, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
    req.on('error', reject);
  });
}

test('an http tls-name makes the metrics endpoint HTTPS with that certificate, asking the client certificates it names; /metrics still needs basic auth', async () => {
  const m = /metrics endpoint: https:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(mutual.output());
  assert.ok(m, 'the log names the https endpoint');
  const port = Number(m[1]);
  const admin = await connectClient({ hosts: [{ addr: '127.0.0.1', port: mutual.port }], user: 'admin', password: 'admin' });
  try {
    await admin.createUser('scraper', 'scrapepw', ['read']);
  } finally {
    await admin.close();
  }
  const ca = readFileSync(pki.caFile);
  const authorization = `Basic ${Buffer.from('scraper:scrapepw').toString('base64')}`;
  const ok = await httpsFetch(port, '/metrics', { ca, authorization, client: alice });
  assert.equal(ok.status, 200);
  assert.match(ok.body, /^aerospike_node_up\{.*\} 1$/m);
  const anon = await httpsFetch(port, '/metrics', { ca, client: alice });
  assert.equal(anon.status, 401);
  assert.match(String(anon.headers['www-authenticate']), /^Basic realm=/);
  // tls-authenticate-client alice: no certificate, or one naming bob, is refused before any request
  await assert.rejects(httpsFetch(port, '/metrics', { ca, authorization }));
  await assert.rejects(httpsFetch(port, '/metrics', { ca, authorization, client: bob }));
  // the server certificate is verified as any HTTPS client does: without the CA the handshake fails
  await assert.rejects(httpsFetch(port, '/metrics', { authorization, client: alice }), /self[- ]signed|unable to (get|verify)/i);
  // the port speaks only TLS
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`));
  await waitForOutput(mutual, /refusing https client 127\.0\.0\.1:\d+ - certificate names bob, not alice/);
});
