/**
 * A network partition between real nodes: three `strato` processes, each in its own network
 * namespace (made here with `ip netns`, veth pairs and a bridge, removed at the end), one cut
 * off from the other two by blackhole routes while the test host still reaches every node. Both
 * sides keep serving (AP); after the heal every record converges to the copy the
 * conflict-resolution policy (generation) picks.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import Aerospike from 'aerospike';
import { TestCluster, type ClusterNodeSpec } from '../helpers/strato-cluster.js';
import { connectClient } from '../helpers/client.js';

const canRun = process.getuid?.() === 0 && hasIp();
const tag = `s${process.pid % 100000}`;
const subnet = `10.231.${process.pid % 250}`;
const bridge = `${tag}br`;
const nsNames = [1, 2, 3].map((i) => `${tag}n${i}`);
let cluster: TestCluster | undefined;
const clients: any[] = [];

function hasIp(): boolean {
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function nsIp(ns: string, ...args: string[]): void {
  execFileSync('ip', ['netns', 'exec', ns, 'ip', ...args], { stdio: 'pipe' });
}

function teardownNetwork(): void {
  for (const ns of nsNames) {
    try {
      ip('netns', 'del', ns);
    } catch {
      /* not created */
    }
  }
  try {
    ip('link', 'del', bridge);
  } catch {
    /* not created */
  }
}

function setupNetwork(): void {
  teardownNetwork();
  ip('link', 'add', bridge, 'type', 'bridge');
  ip('addr', 'add', `${subnet}.254/24`, 'dev', bridge);
  ip('link', 'set', bridge, 'up');
  nsNames.forEach((ns, i) => {
    const host = `${tag}v${i + 1}`;
    const peer = `${tag}p${i + 1}`;
    ip('netns', 'add', ns);
    ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
    ip('link', 'set', peer, 'netns', ns);
    ip('link', 'set', host, 'master', bridge, 'up');
    nsIp(ns, 'addr', 'add', `${subnet}.${i + 1}/24`, 'dev', peer);
    nsIp(ns, 'link', 'set', peer, 'up');
    nsIp(ns, 'link', 'set', 'lo', 'up');
  });
}

/** Cuts (or heals) node traffic between `isolated` and the others; the test host keeps reaching all. */
function cut(isolated: number, on: boolean): void {
  const verb = on ? 'add' : 'del';
  for (let j = 0; j < 3; j++) {
    if (j === isolated) continue;
    nsIp(nsNames[isolated]!, 'route', verb, 'blackhole', `${subnet}.${j + 1}/32`);
    nsIp(nsNames[j]!, 'route', verb, 'blackhole', `${subnet}.${isolated + 1}/32`);
  }
}

async function connectTo(spec: ClusterNodeSpec): Promise<any> {
  const c = await connectClient({ hosts: [{ addr: spec.host, port: spec.servicePort }], log: { level: -1 } as any });
  clients.push(c);
  return c;
}

const key = (i: number | string) => new Aerospike.Key('test', 'split', i);

before(() => {
  if (canRun) setupNetwork();
});

after(async () => {
  for (const c of clients) await c.close(false);
  await cluster?.stopAll();
  if (canRun) teardownNetwork();
});

test('a cut-off node and the rest both keep serving; after the heal every record converges to the winning copy', { skip: canRun ? false : 'needs root and iproute2 (ip netns)' }, async () => {
  const specs: ClusterNodeSpec[] = nsNames.map((ns, i) => ({
    nodeId: `C${i + 1}`,
    host: `${subnet}.${i + 1}`,
    servicePort: 3000,
    fabricPort: 3001,
    heartbeatPort: 3002,
    wrapper: ['ip', 'netns', 'exec', ns],
  }));
  cluster = new TestCluster(specs, { replicationFactor: 2, seeds: [0, 1] });
  await cluster.startAll();
  await cluster.waitStable([0, 1, 2], 3);

  const N = 2000;
  const before = await connectTo(specs[0]!);
  for (let i = 0; i < N; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => before.put(key(i + j), { v: 'base', i: i + j })));
  await before.close(false);
  clients.length = 0;

  cut(2, true);
  // both sides re-form: {C1, C2} and {C3} alone
  await cluster.waitStable([0, 1], 2, 30_000);
  await cluster.waitStable([2], 1, 30_000);

  const sideA = await connectTo(specs[0]!);
  const sideB = await connectTo(specs[2]!);
  assert.equal(sideA.getNodes().length, 2);
  assert.equal(sideB.getNodes().length, 1);
  // side A updates 0..999 twice (generation 3); side B updates 500..1499 once
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 1000; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => sideA.put(key(i + j), { v: 'A', i: i + j })));
  }
  for (let i = 500; i < 1500; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => sideB.put(key(i + j), { v: 'B', i: i + j })));
  await sideA.put(key('onlyA'), { v: 'A' });
  await sideB.put(key('onlyB'), { v: 'B' });
  assert.equal((await sideB.get(key(1200))).bins.v, 'B');
  assert.equal((await sideA.get(key(1200))).bins.v, 'base');

  cut(2, false);
  // read as soon as the cluster has re-formed, migrations still running: the working master
  // resolves each record against the copies not merged yet, so reads already see the winner
  await cluster.waitStable([0, 1, 2], 3, 60_000, true);
  const healed = await connectTo(specs[1]!);
  assert.equal(healed.getNodes().length, 3);
  const expected = (i: number) => (i < 1000 ? 'A' : i < 1500 ? 'B' : 'base');
  const wrong: string[] = [];
  for (let i = 0; i < N; i += 50) {
    const recs = await Promise.all(Array.from({ length: 50 }, (_, j) => healed.get(key(i + j))));
    recs.forEach((r: any, j: number) => {
      if (r.bins.v !== expected(i + j)) wrong.push(`${i + j}:${r.bins.v}`);
    });
  }
  assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} records did not converge`);
  await cluster.waitStable([0, 1, 2], 3, 60_000);
  assert.equal((await healed.get(key('onlyA'))).bins.v, 'A');
  assert.equal((await healed.get(key('onlyB'))).bins.v, 'B');
  assert.equal(await cluster.sumNamespaceStat([0, 1, 2], 'master_objects'), N + 2);
  assert.equal(await cluster.sumNamespaceStat([0, 1, 2], 'prole_objects'), N + 2);
});
