/**
 * Several nodes per host: one `strato` start runs N full nodes (one process each) that form one
 * cluster; a client seeded with the first finds the rest; a node killed with SIGKILL is started
 * again by the supervisor and rejoins; SIGTERM stops every node cleanly. Two starts ("hosts") with
 * replication factor 2 keep a partition's two copies on different hosts, and rack-aware clients
 * read from their own rack.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { defaultConfig } from '../../src/config/defaults.js';
import { parseConfig } from '../../src/config/parser.js';
import { applyHostNodePlan, HOST_NODE_PORT_STRIDE, nodeWorkDirectory, planHostNodes } from '../../src/server/host-nodes.js';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { freePortBlock, info, kv } from '../helpers/strato-cluster.js';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { connectClient } from '../helpers/client.js';
import { requestFrame } from '../helpers/raw-client.js';
import { encodeGet } from '../../src/client/message-encoder.js';
import { computeDigest } from '../../src/util/digest.js';

function asinfo(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'asinfo.js'), ...args], { timeout: 20_000 }, (e, out, err) => {
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: out + err });
    });
  });
}

const started: StratoProcess[] = [];
after(async () => {
  for (const p of started) await p.stop('SIGTERM');
});

async function host(opts: Parameters<typeof startStrato>[0]): Promise<StratoProcess> {
  const p = await startStrato(opts);
  started.push(p);
  return p;
}

/** The service ports of a host's nodes, from the supervisor's "host ready" line. */
function nodePorts(p: StratoProcess): number[] {
  const m = /host ready: \d+ nodes \[([^\]]*)\]/.exec(p.output());
  assert.ok(m, 'the supervisor logged its nodes');
  return m[1]!.split(', ').map((s) => Number(s.split('@')[1]));
}

/** The pid the supervisor last reported for node `index`. */
function childPid(p: StratoProcess, index: number): number {
  const all = [...p.output().matchAll(new RegExp(`node ${index} \\([0-9A-F]+, pid (\\d+)\\) ready`, 'g'))];
  assert.ok(all.length > 0, `node ${index} reported ready`);
  return Number(all[all.length - 1]![1]);
}

/** Waits until every port answers one cluster key for a cluster of `size` with migrations done. */
async function waitStable(ports: number[], size: number, timeoutMs = 60_000, ignoreMigrations = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const keys = await Promise.all(ports.map(async (port) => (await info('127.0.0.1', port, `cluster-stable:size=${size};ignore-migrations=${ignoreMigrations}`))[0] ?? ''));
      last = keys.join(' ');
      if (keys.every((k) => k === keys[0] && /^[0-9A-F]+$/.test(k))) return;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  // what each node sees, so a failure says whether membership or migrations are stuck
  const views = await Promise.all(
    ports.map(async (port) => {
      try {
        const [st, ns] = await info('127.0.0.1', port, 'statistics', 'namespace/test');
        const s = kv(st!);
        const n = kv(ns!);
        return `${port}: size ${s.get('cluster_size')} key ${s.get('cluster_key')} principal ${s.get('cluster_principal')} migrate tx/rx remaining ${n.get('migrate_tx_partitions_remaining')}/${n.get('migrate_rx_partitions_remaining')}`;
      } catch (e) {
        return `${port}: ${String(e)}`;
      }
    }),
  );
  throw new Error(`not stable at size ${size}: ${last}\n${views.join('\n')}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const memoryConfig = (extra = '', nsExtra = '') => `
service {
  cluster-name host-test
  work-directory \${DIR}
  ticker-interval 1
}
logging {
  console {
    context any info
  }
}
network {
  service {
    address 127.0.0.1
    port 3000
  }
${extra}
}
namespace test {
  replication-factor 2
${nsExtra}
  storage-engine memory {
    data-size 128M
  }
}
`;

test('each node of a host gets its own ports, node id, work directory, share of data-size and files', () => {
  const raw = parseConfig(
    `service {\n  node-id A0\n  work-directory /var/strato\n}\nnetwork {\n  service {\n    address 127.0.0.1\n    port 3000\n  }\n}\n` +
      `namespace m {\n  storage-engine memory {\n    data-size 4G\n  }\n}\n` +
      `namespace d {\n  storage-engine device {\n    file /d/a.dat\n    filesize 64M\n  }\n}\n` +
      `namespace e {\n  storage-engine device {\n    file /e/0.dat\n    file /e/1.dat\n    file /e/2.dat\n    file /e/3.dat\n    filesize 64M\n  }\n}\n`,
    'strato.conf',
  );
  const plans = planHostNodes(raw, 2);
  assert.deepEqual(
    plans.map((p) => [p.servicePort, p.fabricPort, p.heartbeatPort]),
    [
      [3000, 3001, 3002],
      [3000 + HOST_NODE_PORT_STRIDE, 3001 + HOST_NODE_PORT_STRIDE, 3002 + HOST_NODE_PORT_STRIDE],
    ],
  );
  assert.equal(plans[0]!.hostIdHex, 'A0');
  const node1 = structuredClone(raw);
  applyHostNodePlan(node1, plans[1]!);
  assert.equal(node1.service.nodeId, 'A1');
  assert.equal(node1.service.workDirectory, nodeWorkDirectory('/var/strato', 1, 2));
  assert.equal(node1.service.workDirectory, '/var/strato/node-1');
  assert.equal(node1.network.heartbeat.mode, 'mesh');
  assert.deepEqual(node1.network.heartbeat.meshSeeds, [{ host: '127.0.0.1', port: 3002 }]);
  const [m, d, e] = node1.namespaces;
  assert.equal(m!.storage.kind === 'memory' && m!.storage.dataSizeBytes, 2 * 1024 ** 3);
  assert.deepEqual(d!.storage.files.map((f) => f.path), ['/d/a.dat.node1']);
  assert.deepEqual(e!.storage.files.map((f) => f.path), ['/e/1.dat', '/e/3.dat']);
  // one node per host changes nothing
  const single = structuredClone(raw);
  applyHostNodePlan(single, planHostNodes(raw, 1)[0]!);
  assert.deepEqual(single, raw);
  assert.equal(nodeWorkDirectory('./data', 0, 1), './data');
});

test('nodes-per-host refuses ports that would collide or leave the port range, naming them', () => {
  const raw = defaultConfig();
  raw.network.fabric.port = 3010; // node 1's service port with a stride of 10
  assert.throws(() => planHostNodes(raw, 2), /node 1 service port 3010 is also node 0 fabric port 3010/);
  const high = defaultConfig();
  high.network.service.port = 65530;
  assert.throws(() => planHostNodes(high, 2), /outside 1\.\.65535/);
  assert.throws(() => planHostNodes(defaultConfig(), 0), /nodes-per-host/);
});

test('a host of two nodes: one seed finds both, writes, reads, batches and scans work, a SIGKILLed node is restarted and rejoins, SIGTERM stops all', async () => {
  const h = await host({ nodesPerHost: 2, config: memoryConfig(), port: 0 });
  const ports = nodePorts(h);
  assert.equal(ports.length, 2);
  await waitStable(ports, 2);
  const client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: ports[0]! }], log: { level: -1 } as any });
  try {
    assert.equal(client.getNodes().length, 2, 'the client found the second node from one seed');
    const N = 400;
    const key = (i: number) => new Aerospike.Key('test', 'hn', i);
    for (let i = 0; i < N; i++) await client.put(key(i), { i, s: `v${i}` });
    for (let i = 0; i < N; i += 37) assert.equal((await client.get(key(i))).bins.i, i);
    const batch = await client.batchRead(Array.from({ length: 100 }, (_, i) => ({ key: key(i), readAllBins: true })));
    assert.equal(batch.filter((r: any) => r.status === 0).length, 100);
    let scanned = 0;
    await new Promise<void>((resolve, reject) => {
      const stream = client.scan('test', 'hn').foreach();
      stream.on('data', () => scanned++);
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
    assert.equal(scanned, N);
    // both nodes hold records: the data is spread over the host's nodes
    const objects = await Promise.all(ports.map(async (port) => Number(kv((await info('127.0.0.1', port, 'namespace/test'))[0]!).get('master_objects'))));
    assert.equal(objects[0]! + objects[1]!, N);
    assert.ok(objects.every((o) => o > 0), `master objects per node ${objects}`);
    // asinfo shows each node and the host's totals; the supervisor's ticker does too
    const r = await asinfo('-p', String(ports[0]), '--host-nodes', '-v', 'namespace/test');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`node 0 127\\.0\\.0\\.1:${ports[0]}:`));
    assert.match(r.out, new RegExp(`node 1 127\\.0\\.0\\.1:${ports[1]}:`));
    assert.match(r.out, new RegExp(`host total \\(2 of 2 nodes\\):\n.*(^|;)master_objects=${N}(;|$)`, 'm'));
    // replication factor 2 over two nodes: each holds every record (master or prole)
    const tick = new RegExp(`\\{host\\} total: nodes 2/2 up objects ${2 * N}`);
    const tickDeadline = Date.now() + 20_000;
    while (!tick.test(h.output()) && Date.now() < tickDeadline) await new Promise((r) => setTimeout(r, 200));
    assert.match(h.output(), tick);
    assert.match(h.output(), /\{host\} node 1 [0-9A-F]+ port \d+: objects \d+/);

    // a crash: the supervisor starts the node again on its port and it rejoins
    const before = childPid(h, 1);
    process.kill(before, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    while (childPid(h, 1) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.notEqual(childPid(h, 1), before, 'node 1 came back under a new pid');
    assert.match(h.output(), /node 1 \(pid \d+\) exited with signal SIGKILL; restarting it/);
    await waitStable(ports, 2);
    // replication factor 2: the survivor held every record and the restarted node is filled again
    for (let i = 0; i < N; i += 11) assert.equal((await client.get(key(i))).bins.s, `v${i}`);
  } finally {
    await client.close(false);
  }
  const pids = [childPid(h, 0), childPid(h, 1)];
  assert.equal(await h.stop('SIGTERM'), 0);
  started.splice(started.indexOf(h), 1);
  assert.match(h.output(), /every node of the host stopped cleanly/);
  assert.equal((h.output().match(/finished clean shutdown/g) ?? []).length, 2, 'node 0 and the restarted node 1 each stopped cleanly');
  assert.deepEqual(pids.map(alive), [false, false]);
});

test('two hosts of two nodes with replication factor 2: every partition has a copy on each host, and a rack-aware client reads from its own rack', async (t) => {
  const bases = [await freePortBlock(3 + HOST_NODE_PORT_STRIDE), await freePortBlock(3 + HOST_NODE_PORT_STRIDE)];
  const net = (base: number, seed?: number) => `
  heartbeat {
    mode mesh
    address 127.0.0.1
    port ${base + 2}
${seed !== undefined ? `    mesh-seed-address-port 127.0.0.1 ${seed}` : ''}
    interval 150
    timeout 10
  }
  fabric {
    address 127.0.0.1
    port ${base + 1}
  }`;
  const a = await host({ nodesPerHost: 2, port: bases[0]!, config: memoryConfig(net(bases[0]!), '  rack-id 1') });
  // the second host joins a settled first one (as operators add hosts): two clusters merge
  await waitStable(nodePorts(a), 2);
  const b = await host({ nodesPerHost: 2, port: bases[1]!, config: memoryConfig(net(bases[1]!, bases[0]! + 2), '  rack-id 2') });
  const hostOfPort = new Map<number, string>();
  for (const p of nodePorts(a)) hostOfPort.set(p, 'A');
  for (const p of nodePorts(b)) hostOfPort.set(p, 'B');
  const ports = [...hostOfPort.keys()];
  // the map (what this test checks first) is fixed once the four agree on the cluster; then every
  // migration of the merge must finish (a lost COMPLETE used to leave a few partitions unready)
  await waitStable(ports, 4, 90_000, true);
  try {
    await waitStable(ports, 4, 90_000);
  } catch (e) {
    // the nodes' own account: warnings, cluster changes and plans
    const notable = (p: StratoProcess) => p.output().split('\n').filter((l) => !l.includes('ticker.ts') && /WARNING|CLUSTER-SIZE|rebalanced|migrations:/.test(l)).slice(-40).join('\n');
    t.diagnostic(`migrations not done:\nhost A:\n${notable(a)}\nhost B:\n${notable(b)}`);
    throw e;
  }

  // the replicas info of every node: which partitions it holds as master (column 0) / prole (1)
  const holder: string[][] = Array.from({ length: 4096 }, () => []);
  for (const port of ports) {
    const [replicas] = await info('127.0.0.1', port, 'replicas');
    const [, rest] = replicas!.split(':') as [string, string];
    const [, n, ...cols] = rest.split(',');
    assert.equal(n, '2');
    cols.forEach((b64, col) => {
      const bits = Buffer.from(b64, 'base64');
      for (let pid = 0; pid < 4096; pid++) if (bits[pid >> 3]! & (0x80 >> (pid & 7))) holder[pid]![col] = hostOfPort.get(port)!;
    });
  }
  const sameHost = holder.filter((h) => h[0] === h[1]).length;
  assert.equal(sameHost, 0, 'no partition keeps both copies on one host');
  assert.ok(holder.every((h) => h[0] !== undefined && h[1] !== undefined));

  // rack-ids / racks answer as rack-aware clients expect
  const [rackIds, racks] = await info('127.0.0.1', nodePorts(b)[0]!, 'rack-ids', 'racks');
  assert.equal(rackIds, 'test:2');
  assert.match(racks!, /^ns=test:rack_1=[0-9A-F]+,[0-9A-F]+:rack_2=[0-9A-F]+,[0-9A-F]+$/);

  const client = await connectClient({
    hosts: [{ addr: '127.0.0.1', port: nodePorts(a)[0]! }],
    rackAware: true,
    rackId: 2,
    log: { level: -1 } as any,
  } as any);
  try {
    const N = 200;
    const key = (i: number) => new Aerospike.Key('test', 'rk', i);
    for (let i = 0; i < N; i++) await client.put(key(i), { i });
    const readsOf = async (port: number) => Number(kv((await info('127.0.0.1', port, 'namespace/test'))[0]!).get('client_read_success'));
    const before = await Promise.all(ports.map(readsOf));
    const policy = new Aerospike.ReadPolicy({ replica: Aerospike.policy.replica.PREFER_RACK });
    for (let i = 0; i < N; i++) assert.equal((await client.get(key(i), policy)).bins.i, i);
    const after = await Promise.all(ports.map(readsOf));
    const served = ports.map((p, k) => [hostOfPort.get(p), after[k]! - before[k]!] as const);
    const onRack2 = served.filter(([h]) => h === 'B').reduce((s, [, n]) => s + n, 0);
    // every read: each partition has its copy on rack 2 once migrations finished
    assert.equal(onRack2, N, `reads served per node: ${JSON.stringify(served)}`);
  } finally {
    await client.close(false);
  }
});

test('a host of two nodes with replication factor 1 answers every batch row and request on the node that stores it: nothing is proxied once migrations are done, and a request sent to the wrong node is proxied and counted', async () => {
  const h = await host({ nodesPerHost: 2, config: memoryConfig().replace('replication-factor 2', 'replication-factor 1'), port: 0 });
  const ports = nodePorts(h);
  await waitStable(ports, 2);
  const nsStats = async (port: number) => kv((await info('127.0.0.1', port, 'namespace/test'))[0]!);
  const client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: ports[0]! }], log: { level: -1 } as any });
  const N = 120;
  const keyOf = (i: number) => `k${i}`;
  try {
    assert.equal(client.getNodes().length, 2);
    for (let i = 0; i < N; i++) await client.put(new Aerospike.Key('test', 'px', keyOf(i)), { i });
    const ROUNDS = 5;
    for (let r = 0; r < ROUNDS; r++) {
      const rows = await client.batchRead(Array.from({ length: 100 }, (_, i) => ({ key: new Aerospike.Key('test', 'px', keyOf(i)), readAllBins: true })));
      assert.equal(rows.filter((x: any) => x.status === 0).length, 100);
    }
    const stats = await Promise.all(ports.map(nsStats));
    // the client split every batch per node, and each node answered its rows itself
    const rowsRead = stats.map((s) => Number(s.get('batch_sub_read_success')));
    assert.ok(rowsRead.every((n) => n > 0), `batch rows answered per node: ${rowsRead}`);
    assert.equal(rowsRead[0]! + rowsRead[1]!, ROUNDS * 100);
    for (const [i, s] of stats.entries()) {
      assert.equal(s.get('batch_sub_proxy_complete'), '0', `node ${i} proxied no batch row`);
      assert.equal(s.get('client_proxy_complete'), '0', `node ${i} proxied no request`);
      assert.equal(s.get('batch_sub_proxy_error'), '0');
      assert.equal(s.get('client_proxy_timeout'), '0');
    }
    // every key read through node 0: the keys node 1 stores are proxied there, and counted
    const onNode1 = Number(kv((await info('127.0.0.1', ports[1]!, 'namespace/test'))[0]!).get('master_objects'));
    assert.ok(onNode1 > 0 && onNode1 < N, `node 1 stores ${onNode1} of ${N}`);
    for (let i = 0; i < N; i++) {
      const digest = computeDigest('px', 3, Buffer.from(keyOf(i)));
      const answer = await requestFrame('127.0.0.1', ports[0]!, encodeGet('test', 'px', digest), 5000);
      assert.equal(answer[8 + 5], 0, `key ${i} read through node 0`);
    }
    assert.equal((await nsStats(ports[0]!)).get('client_proxy_complete'), String(onNode1));
    assert.equal((await nsStats(ports[1]!)).get('client_proxy_complete'), '0');
  } finally {
    await client.close(false);
  }
});
