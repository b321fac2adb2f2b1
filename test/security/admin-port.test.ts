/**
 * The admin port of Aerospike 8.1 (`network { admin { port; tls-port; tls-name;
 * tls-authenticate-client } }`, TLS being EE): a port for administration tools that serves info
 * and admin (security) messages only, outside proto-fd-max, at most 100 connections; over TLS as
 * the service's TLS port. Real strato processes, raw sockets and the tools run as processes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { runTool } from '../helpers/run-tool.js';
import { startStrato, runStratoExpectingFailure, waitForOutput, type StratoProcess } from '../helpers/strato-process.js';
import { createTestPki, type CertFiles, type TestPki } from '../helpers/tls-certs.js';
import { freePorts } from '../helpers/strato-cluster.js';
import { connectClient } from '../helpers/client.js';

const TLS_NAME = 'admin.test';
const NS = `namespace test {\n  replication-factor 1\n  storage-engine memory {\n    data-size 64M\n  }\n}\n`;
let pki: TestPki;
let serverCert: CertFiles;
let carol: CertFiles;
let node: StratoProcess;
let adminPort: number;
let adminTlsPort: number;

before(async () => {
  pki = createTestPki();
  serverCert = pki.issue(TLS_NAME);
  carol = pki.issue('carol');
  [adminPort, adminTlsPort] = (await freePorts(2)) as [number, number];
  node = await startStrato({
    config: `
service {
  cluster-name admin-port
  ticker-interval 1
}
security {
}
network {
  tls ${TLS_NAME} {
    cert-file ${serverCert.cert}
    key-file ${serverCert.key}
    ca-file ${pki.caFile}
  }
  service {
    address 127.0.0.1
    port 3000
  }
  admin {
    address 127.0.0.1
    port ${adminPort}
    tls-port ${adminTlsPort}
    tls-name ${TLS_NAME}
    tls-authenticate-client any
  }
}
${NS}`,
  });
  const admin = await connectClient({ hosts: [{ addr: '127.0.0.1', port: node.port }], user: 'admin', password: 'admin' });
  try {
    await admin.createUser('ops', 'ops-pw', ['sys-admin']);
    await admin.createPKIUser('carol', ['sys-admin']);
  } finally {
    await admin.close();
  }
});

after(async () => {
  await node?.stop();
  pki?.remove();
});

function frame(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head[0] = 2;
  head[1] = type;
  head.writeUIntBE(body.length, 2, 6);
  return Buffer.concat([head, body]);
}

/** Sends `out` on a fresh clear connection; resolves with the answer frame, or 'closed' when the node closed it first. */
function exchange(port: number, out: Buffer): Promise<Buffer | 'closed'> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('no answer in 5 s'));
    }, 5000);
    let buf = Buffer.alloc(0);
    sock.on('connect', () => sock.write(out));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 8 && buf.length >= 8 + buf.readUIntBE(2, 6)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(buf.subarray(0, 8 + buf.readUIntBE(2, 6)));
      }
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
    sock.on('error', () => undefined);
  });
}

const info = (cmd: string) => frame(1, Buffer.from(`${cmd}\n`));

test('the admin port answers info (a login first, security being on) and says it is the admin port', async () => {
  const unauth = await exchange(adminPort, info('build'));
  assert.notEqual(unauth, 'closed');
  assert.match((unauth as Buffer).subarray(8).toString(), /ERROR:80/);
  const r = await runTool('asinfo', ['-h', '127.0.0.1', '-p', String(adminPort), '-U', 'ops', '-P', 'ops-pw', '-v', 'connection']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.trim(), 'admin=true');
  const svc = await runTool('asinfo', ['-h', '127.0.0.1', '-p', String(node.port), '-U', 'ops', '-P', 'ops-pw', '-v', 'connection']);
  assert.equal(svc.out.trim(), 'admin=false');
  const eps = await runTool('asinfo', ['-h', '127.0.0.1', '-p', String(node.port), '-U', 'ops', '-P', 'ops-pw', '-v', 'admin-clear-std']);
  assert.equal(eps.out.trim(), `127.0.0.1:${adminPort}`);
  const tlsEps = await runTool('asinfo', ['-h', '127.0.0.1', '-p', String(node.port), '-U', 'ops', '-P', 'ops-pw', '-v', 'admin-tls-std']);
  assert.equal(tlsEps.out.trim(), `127.0.0.1:${adminTlsPort}`);
});

test('the admin port closes a connection that sends a data message, with Aerospike warning', async () => {
  // a read message (type 3): not info, not security
  const msg = Buffer.alloc(22);
  msg[0] = 22;
  assert.equal(await exchange(adminPort, frame(3, msg)), 'closed');
  const warning = /expected info or security type on admin port, got 3/;
  await waitForOutput(node, warning);
  // the service port still takes it (answers NOT_AUTHENTICATED here, security being on)
  assert.notEqual(await exchange(node.port, frame(3, msg)), 'closed');
});

test('the ticker counts admin-port connections apart, as Aerospike 8.1 does', async () => {
  // the node runs its ticker every ticker-interval (1 s here): wait for a line (bounded)
  const line = /fds: proto \(\d+,\d+,\d+\) admin \(\d+,\d+,\d+\)/;
  for (let i = 0; i < 100 && !line.test(node.output()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(node.output(), line);
});

test('admin connections are counted apart from client connections', async () => {
  const stats = await runTool('asinfo', ['-h', '127.0.0.1', '-p', String(adminPort), '-U', 'ops', '-P', 'ops-pw', '-v', 'statistics']);
  assert.equal(stats.code, 0, stats.err);
  const value = (k: string) => Number(new RegExp(`(?:^|;)${k}=(\\d+)`).exec(stats.out)?.[1]);
  assert.ok(value('admin_connections') >= 1, stats.out);
  assert.ok(value('admin_connections_opened') >= value('admin_connections'));
  assert.ok(value('admin_connections_closed') >= 1);
});

test('the admin port takes at most 100 connections at once', async () => {
  const held: Socket[] = [];
  try {
    for (let i = 0; i < 100; i++) {
      const s = connect({ host: '127.0.0.1', port: adminPort });
      s.on('error', () => undefined);
      held.push(s);
      await new Promise((r) => s.once('connect', r));
    }
    // each held socket is open on the node once a request on it is answered
    const last = held[held.length - 1]!;
    const answered = new Promise((r) => last.once('data', r));
    last.write(info('build'));
    await answered;
    assert.equal(await exchange(adminPort, info('build')), 'closed');
    const warning = /refusing admin connection - breached connection limit of 100/;
    await waitForOutput(node, warning);
  } finally {
    for (const s of held) s.destroy();
  }
  // the service port was never limited by them
  assert.notEqual(await exchange(node.port, info('build')), 'closed');
});

test('the TLS admin port serves over TLS as the service TLS port does, with PKI login', async () => {
  const tls = ['--tls-enable', '--tls-cafile', pki.caFile, '--tls-certfile', carol.cert, '--tls-keyfile', carol.key, '-h', `127.0.0.1:${TLS_NAME}:${adminTlsPort}`];
  const r = await runTool('asinfo', [...tls, '--auth', 'PKI', '-v', 'connection']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.trim(), 'admin=true');
  // tls-authenticate-client any: no client certificate, no handshake
  await assert.rejects(
    new Promise<void>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: adminTlsPort, servername: TLS_NAME, ca: readFileSync(pki.caFile) });
      s.on('secureConnect', () => {
        s.write(info('build'));
      });
      s.on('data', () => {
        s.destroy();
        resolve();
      });
      s.on('error', reject);
      s.on('close', () => reject(new Error('closed')));
    }),
  );
});

test('an admin stanza needs a port or a TLS port, and a TLS port its tls-name', async () => {
  const noPort = await runStratoExpectingFailure(`network {\n  admin {\n    address 127.0.0.1\n  }\n}\n${NS}`);
  assert.notEqual(noPort.code, 0);
  assert.match(noPort.output, /network 'admin' stanza must configure 'port' or 'tls-port'/);
  const noName = await runStratoExpectingFailure(`network {\n  admin {\n    tls-port 3018\n  }\n}\n${NS}`);
  assert.notEqual(noName.code, 0);
  assert.match(noName.output, /:3: admin 'tls-port' needs 'tls-name'/);
});
