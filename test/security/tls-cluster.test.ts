/**
 * Node-to-node TLS (issue 17.3): two real strato processes whose heartbeats and fabric run over
 * TLS (`heartbeat { tls-port; tls-name; tls-mesh-seed-address-port }`, `fabric { tls-port;
 * tls-name }`) form one cluster; the official client seeded with one node's TLS port finds both
 * through `peers-tls-std` and reads back what it wrote (replica writes and proxies cross the TLS
 * fabric); a node whose certificate names another TLS name is kept out.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { freePorts } from '../helpers/strato-cluster.js';
import { connectClient } from '../helpers/client.js';
import { createTestPki, type CertFiles, type TestPki } from '../helpers/tls-certs.js';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';

const TLS_NAME = 'cluster.test';
let pki: TestPki;
let cert: CertFiles;
const nodes: StratoProcess[] = [];
let ports: number[] = [];

interface Ports {
  service: number;
  tls: number;
  heartbeat: number;
  fabric: number;
}
const portsOf = (i: number): Ports => ({ service: ports[4 * i]!, tls: ports[4 * i + 1]!, heartbeat: ports[4 * i + 2]!, fabric: ports[4 * i + 3]! });

function nodeConfig(i: number, seed: Ports, files: CertFiles): string {
  const p = portsOf(i);
  return `
service {
  cluster-name tls-cluster
  node-id B${i + 1}
  work-directory \${DIR}
}
network {
  tls ${TLS_NAME} {
    cert-file ${files.cert}
    key-file ${files.key}
    ca-file ${pki.caFile}
  }
  service {
    address 127.0.0.1
    port ${p.service}
    tls-port ${p.tls}
    tls-name ${TLS_NAME}
    tls-authenticate-client false
${i === 1 ? '    tls-alternate-access-address 10.1.2.3\n    tls-alternate-access-port 4333' : ''}
  }
  heartbeat {
    mode mesh
    address 127.0.0.1
    tls-port ${p.heartbeat}
    tls-name ${TLS_NAME}
    tls-mesh-seed-address-port 127.0.0.1 ${seed.heartbeat}
    interval 150
    timeout 10
  }
  fabric {
    address 127.0.0.1
    tls-port ${p.fabric}
    tls-name ${TLS_NAME}
  }
}
namespace test {
  replication-factor 2
  storage-engine memory {
    data-size 64M
  }
}
`;
}

/** Polls a node's info over its clear port until `pred` holds (bounded). */
async function waitForInfo(port: number, command: string, pred: (v: string) => boolean, timeoutMs = 30_000): Promise<string> {
  const client = await connectClient({ hosts: [{ addr: '127.0.0.1', port }] });
  try {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      // the client raises an ERROR answer (cluster-stable's ERROR::unstable-cluster while the
      // members settle): not yet, ask again
      last = await client.infoAny(command).then(
        (v) => v.trim(),
        (e: Error) => `ERROR: ${e.message}`,
      );
      if (pred(last)) return last;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${command} on ${port}: still '${last}' after ${timeoutMs} ms`);
  } finally {
    await client.close();
  }
}

before(async () => {
  pki = createTestPki();
  cert = pki.issue(TLS_NAME);
  ports = await freePorts(12);
  nodes.push(await startStrato({ config: nodeConfig(0, portsOf(0), cert), port: portsOf(0).service }));
  nodes.push(await startStrato({ config: nodeConfig(1, portsOf(0), cert), port: portsOf(1).service }));
});

after(async () => {
  for (const n of nodes) await n.stop();
  pki?.remove();
});

test('two nodes form one cluster over TLS heartbeats and fabric', async () => {
  await waitForInfo(portsOf(0).service, 'statistics', (v) => /cluster_size=2;/.test(v));
  await waitForInfo(portsOf(1).service, 'statistics', (v) => /cluster_size=2;/.test(v));
  await waitForInfo(portsOf(0).service, 'cluster-stable:size=2', (v) => !v.includes('ERROR'));
  assert.match(nodes[0]!.output(), /mesh heartbeats on TLS port \d+ \(tls-name cluster\.test\), fabric on TLS port \d+/);
});

test('peers-tls-std lists the other member with its TLS endpoint and name', async () => {
  const p1 = portsOf(1);
  const answer = await waitForInfo(portsOf(0).service, 'peers-tls-std', (v) => v.includes('B2'));
  assert.match(answer, new RegExp(`peers-tls-std\\t\\d+,${portsOf(0).tls},\\[\\[B2,${TLS_NAME.replace('.', '\\.')},\\[127\\.0\\.0\\.1:${p1.tls}\\]\\]\\]`));
});

test('peers-tls-alt and service-tls-alt answer the tls-alternate-access endpoint, the standard one where none is configured', async () => {
  const p0 = portsOf(0);
  const name = TLS_NAME.replace('.', '\\.');
  // B2 configures tls-alternate-access-address 10.1.2.3 and -port 4333; B1 none
  const alt = await waitForInfo(p0.service, 'peers-tls-alt', (v) => v.includes('B2'));
  assert.match(alt, new RegExp(`peers-tls-alt\\t\\d+,${p0.tls},\\[\\[B2,${name},\\[10\\.1\\.2\\.3:4333\\]\\]\\]`));
  assert.equal(await waitForInfo(p0.service, 'service-tls-alt', () => true), 'service-tls-alt');
  assert.equal(await waitForInfo(portsOf(1).service, 'service-tls-alt', () => true), 'service-tls-alt\t10.1.2.3:4333');
  const back = await waitForInfo(portsOf(1).service, 'peers-tls-alt', (v) => v.includes('B1'));
  assert.match(back, new RegExp(`\\[\\[B1,${name},\\[127\\.0\\.0\\.1:${p0.tls}\\]\\]\\]`));
  // the -std answers stay the reachable endpoints
  const std = await waitForInfo(p0.service, 'peers-tls-std', (v) => v.includes('B2'));
  assert.match(std, new RegExp(`\\[B2,${name},\\[127\\.0\\.0\\.1:${portsOf(1).tls}\\]\\]`));
});

test('the official client seeded with one TLS port finds both nodes and reads back its writes', async () => {
  const client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: portsOf(0).tls, tlsname: TLS_NAME }], tls: { cafile: pki.caFile } });
  try {
    const deadline = Date.now() + 20_000;
    while (client.getNodes().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.equal(client.getNodes().length, 2);
    // 200 keys land on partitions of both nodes; each write reaches its replica over the TLS fabric
    for (let i = 0; i < 200; i++) await client.put(new Aerospike.Key('test', 'tls', `k${i}`), { i });
    for (let i = 0; i < 200; i++) assert.deepEqual((await client.get(new Aerospike.Key('test', 'tls', `k${i}`))).bins, { i });
  } finally {
    await client.close();
  }
  const stats = await waitForInfo(portsOf(1).service, 'namespace/test', (v) => /prole_objects=\d+/.test(v));
  const master = Number(/master_objects=(\d+)/.exec(stats)![1]);
  const prole = Number(/prole_objects=(\d+)/.exec(stats)![1]);
  assert.equal(master + prole, 200, `node B2: ${stats}`);
});

test('asadm seeded with one TLS port finds both nodes through peers-tls-std and shows their TLS endpoints', async () => {
  await waitForInfo(portsOf(0).service, 'peers-tls-std', (v) => v.includes('B2'));
  const r = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
    const args = ['--tls-enable', '--tls-cafile', pki.caFile, '-h', `127.0.0.1:${TLS_NAME}:${portsOf(0).tls}`, '-e', 'info network'];
    const child = execFile(process.execPath, [join(ROOT, 'bin', 'asadm.js'), ...args], { timeout: 20_000 }, (e, out, err) => {
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err });
    });
    child.stdin!.end();
  });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Number of rows: 2/);
  for (const i of [0, 1]) assert.match(r.out, new RegExp(`127\\.0\\.0\\.1:${portsOf(i).tls}\\|`), r.out);
  assert.doesNotMatch(r.out, /ERROR/);
});

test('a node whose certificate names another TLS name does not join', async () => {
  const other = pki.issue('intruder.test');
  const p = await freePorts(4);
  const extra = ports.length / 4;
  ports.push(...p);
  const intruder = await startStrato({ config: nodeConfig(extra, portsOf(0), other).replace(/node-id B\d+/, 'node-id BF'), port: p[0] });
  try {
    // several heartbeat intervals: the members refuse its handshakes and it cannot verify theirs
    await new Promise((r) => setTimeout(r, 3000));
    const stats = await waitForInfo(portsOf(0).service, 'statistics', () => true);
    assert.match(stats, /cluster_size=2;/);
    const peers = await waitForInfo(portsOf(0).service, 'peers-tls-std', () => true);
    assert.ok(!peers.includes('BF'), peers);
  } finally {
    await intruder.stop();
  }
});
