/**
 * Cluster routing of asbackup and asrestore: the parsers of the info answers the cluster map is
 * built from; discovery and the refresh-and-retry paths against a real node (a dead port and a
 * connection cut mid-scan stand in for a node that left); and, with three-node Strato clusters,
 * a backup that gets every record exactly once and a restore that writes each record to its
 * partition's master.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { freePorts, localNodeSpecs, TestCluster } from '../helpers/strato-cluster.js';
import { BITMAP_BYTES, InfoParseError, hasPartition, parsePeers, parseReplicas, parseReplicasMaster } from '../../src/client/cluster-info.js';
import { resolveMasters } from '../../src/client/partition-owners.js';
import { ClusterMap } from '../../src/client/cluster-map.js';
import { infoRequest } from '../../src/client/info-request.js';
import { planJobs, splitJobsByNode, type PartitionCursor } from '../../src/tools/backup/partition-plan.js';
import { RecordBudget, scanJob, type ScanJobOptions, type ScanRouter } from '../../src/tools/backup/scan-driver.js';
import type { ScanRecordMessage } from '../../src/client/scan-stream.js';
import { RestoreWriter } from '../../src/tools/backup/restore-writer.js';
import type { WriteRecord } from '../../src/client/write-request.js';
import { readBackup } from '../helpers/backup-files.js';
import { N_PARTITIONS, computeDigest, partitionOf } from '../../src/util/digest.js';
import { ROOT } from '../helpers/paths.js';
import { connectClient } from '../helpers/client.js';

const ASBACKUP = join(ROOT, 'bin', 'asbackup.js');
const ASRESTORE = join(ROOT, 'bin', 'asrestore.js');

/** base64 of a 4096-bit bitmap with the given partitions set. */
function bitmap(pids: Iterable<number>): string {
  const b = Buffer.alloc(BITMAP_BYTES);
  for (const p of pids) b[p >> 3]! |= 0x80 >> (p & 7);
  return b.toString('base64');
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const ALL = bitmap(range(0, N_PARTITIONS));

function throwsParse(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof InfoParseError && re.test(e.message));
}

interface Run {
  code: number | null;
  stderr: string;
}

function run(tool: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [tool, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, _stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr: stderr.toString() });
    });
  });
}

const intKeyBytes = (i: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(i));
  return b;
};

describe('info answer parsers', () => {
  test('peers-clear-std: default port, explicit ports, IPv6, several addresses, TLS names, no peers', () => {
    const p = parsePeers('3,3000,[[BB9020011AC4202,,[172.17.0.3]],[BB9030011AC4202,,[127.0.0.1:3100]]]');
    assert.equal(p.generation, 3);
    assert.equal(p.defaultPort, 3000);
    assert.deepEqual(p.peers, [
      { nodeId: 'BB9020011AC4202', tlsName: '', endpoints: [{ host: '172.17.0.3', port: 3000 }] },
      { nodeId: 'BB9030011AC4202', tlsName: '', endpoints: [{ host: '127.0.0.1', port: 3100 }] },
    ]);
    assert.deepEqual(parsePeers('0,3000,[]'), { generation: 0, defaultPort: 3000, peers: [] });
    assert.deepEqual(parsePeers('12,4000,[[a1,db.example,[[2001:db8::1]:4100,[::1],10.0.0.7:4001,node-b.local]]]\n').peers, [
      {
        nodeId: 'A1',
        tlsName: 'db.example',
        endpoints: [
          { host: '2001:db8::1', port: 4100 },
          { host: '::1', port: 4000 },
          { host: '10.0.0.7', port: 4001 },
          { host: 'node-b.local', port: 4000 },
        ],
      },
    ]);
    assert.deepEqual(parsePeers('1,3000,[[A2,,[]]]').peers, [{ nodeId: 'A2', tlsName: '', endpoints: [] }]);
  });

  test('peers-clear-std: malformed answers name what was expected and where', () => {
    throwsParse(() => parsePeers(''), /invalid peers-clear-std answer "": invalid peers generation ''/);
    throwsParse(() => parsePeers('ERROR:4:unrecognized command'), /invalid peers generation 'ERROR:4:unrecognized command'/);
    throwsParse(() => parsePeers('3,3000'), /expected ',' but the answer ended at offset 6/);
    throwsParse(() => parsePeers('3,70000,[]'), /invalid port '70000'/);
    // a node on an ephemeral port may report default port 0: fine until an address needs it
    assert.deepEqual(parsePeers('0,0,[[A1,,[10.0.0.1:3100]]]').peers[0]!.endpoints, [{ host: '10.0.0.1', port: 3100 }]);
    throwsParse(() => parsePeers('0,0,[[A1,,[10.0.0.1]]]'), /address '10\.0\.0\.1' has no port and the default port is 0/);
    throwsParse(() => parsePeers('3,3000,[[XYZ,,[1.2.3.4]]]'), /invalid node id 'XYZ' at offset 12/);
    throwsParse(() => parsePeers('3,3000,[[A1,,[1.2.3.4:99999]]]'), /invalid port '99999'/);
    throwsParse(() => parsePeers('3,3000,[[A1,,[1.2.3.4]]'), /expected ']' but the answer ended/);
    throwsParse(() => parsePeers('3,3000,[[A1,,[1.2.3.4]]]]'), /unexpected text after the peer list at offset 24/);
    throwsParse(() => parsePeers('3,3000,[[A1,,[,1.2.3.4]]]'), /empty address/);
    throwsParse(() => parsePeers('3,3000,[A1,,[1.2.3.4]]'), /expected '\[' but found 'A'/);
  });

  test('replicas: regime, replica columns and partition bits, several namespaces', () => {
    const m = parseReplicas(`test:0,2,${bitmap([0, 7, 8, 4095])},${bitmap([1])};bar:3,1,${ALL};`);
    assert.deepEqual([...m.keys()], ['test', 'bar']);
    const t = m.get('test')!;
    assert.equal(t.regime, 0);
    assert.equal(t.columns.length, 2);
    const owned = range(0, N_PARTITIONS).filter((p) => hasPartition(t.columns[0]!, p));
    assert.deepEqual(owned, [0, 7, 8, 4095]);
    assert.ok(hasPartition(t.columns[1]!, 1) && !hasPartition(t.columns[1]!, 0));
    // bit 0x80 of byte 0 is partition 0, bit 0x01 of byte 0 is partition 7
    assert.equal(t.columns[0]![0], 0x81);
    assert.equal(m.get('bar')!.regime, 3);
    assert.equal(parseReplicas('').size, 0);
    const master = parseReplicasMaster(`test:${bitmap([5])};bar:${ALL}`);
    assert.equal(master.get('test')!.columns.length, 1);
    assert.ok(hasPartition(master.get('test')!.columns[0]!, 5));
  });

  test('replicas: malformed answers give clear errors', () => {
    throwsParse(() => parseReplicas(`test:0,2,${ALL}`), /namespace test: 2 replica bitmap\(s\) announced, 1 given/);
    throwsParse(() => parseReplicas(`test:x,1,${ALL}`), /namespace test: invalid regime 'x'/);
    throwsParse(() => parseReplicas('test:0'), /namespace test: invalid replica count ''/);
    throwsParse(() => parseReplicas(`test:0,1,${ALL.slice(4)}`), /namespace test: a partition bitmap must be base64 of 512 bytes/);
    throwsParse(() => parseReplicas('test:0,1,not*base64'), /base64 of 512 bytes/);
    throwsParse(() => parseReplicas(`${ALL}`), /is not <namespace>:<value>/);
    throwsParse(() => parseReplicas(`test:0,1,${ALL};test:0,1,${ALL}`), /namespace test appears twice/);
    throwsParse(() => parseReplicasMaster(`test:${ALL},${ALL}`), /invalid replicas-master answer .*base64 of 512 bytes/);
  });

  test('two claims of one partition: higher partition-generation wins, then the lower node id', () => {
    const claim = (nodeId: string, gen: number, pids: number[]) => ({
      nodeId,
      partitionGeneration: gen,
      replicas: parseReplicas(`test:0,1,${bitmap(pids)}`),
    });
    const t = resolveMasters([claim('B2', 5, [1, 2, 3]), claim('A1', 7, [3, 4]), claim('C3', 5, [1, 5])]).get('test')!;
    assert.equal(t[1], 'B2'); // B2 and C3 at generation 5: the lower id
    assert.equal(t[2], 'B2');
    assert.equal(t[3], 'A1'); // generation 7 beats 5
    assert.equal(t[4], 'A1');
    assert.equal(t[5], 'C3');
    assert.equal(t[0], undefined);
    // the order the answers came in does not matter
    const again = resolveMasters([claim('C3', 5, [1, 5]), claim('A1', 7, [3, 4]), claim('B2', 5, [1, 2, 3])]).get('test')!;
    assert.deepEqual(again, t);
    // node ids compare as numbers: F < 1A
    assert.equal(resolveMasters([claim('1A', 1, [9]), claim('F', 1, [9])]).get('test')![9], 'F');
  });

  test('jobs split per node and interleave; with one node they stay as planned', () => {
    const plan = planJobs(undefined, 4);
    assert.deepEqual(splitJobsByNode(plan.jobs, () => 'A'), plan.jobs);
    const owner = (pid: number) => ['A', 'B', 'C'][pid % 3]!;
    const pieces = splitJobsByNode(planJobs(undefined, 2).jobs, owner);
    assert.equal(pieces.length, 6);
    assert.deepEqual(pieces.map((j) => owner(j[0]!.pid)), ['A', 'B', 'C', 'A', 'B', 'C']);
    for (const j of pieces) assert.ok(j.every((c) => owner(c.pid) === owner(j[0]!.pid)));
    assert.equal(pieces.reduce((n, j) => n + j.length, 0), N_PARTITIONS);
  });
});

const SINGLE_CONFIG = `
service {
  cluster-name routing-test
}
namespace test {
  replication-factor 1
  nsup-period 120
  storage-engine memory {
    data-size 1G
  }
}
`;

describe('one node', () => {
  let node: StratoProcess;
  let client: any;
  let deadPort: number;
  let work: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'backup-routing-'));
    node = await startStrato({ config: SINGLE_CONFIG });
    [deadPort] = (await freePorts(1)) as [number];
    client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: node.port }], log: { level: -1 } as any });
    const big = 'y'.repeat(400);
    for (let i = 0; i < 2000; i += 50) {
      await Promise.all(range(i, i + 50).map((k) => client.put(new Aerospike.Key('test', 'scan', k), { n: k, pad: big })));
    }
  });

  after(async () => {
    await client?.close(false);
    await node?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('discovery finds the one node, master of all 4096 partitions, whatever seeds fail first', async () => {
    const id = (await infoRequest({ host: '127.0.0.1', port: node.port }, ['node'], 2000)).get('node');
    const seeds = [
      { host: '127.0.0.1', port: deadPort },
      { host: '127.0.0.1', port: node.port },
      { host: '127.0.0.1', port: node.port },
    ];
    const map = await ClusterMap.discover(seeds, { timeoutMs: 2000 });
    assert.equal(map.nodes.length, 1);
    assert.deepEqual({ ...map.nodes[0] }, { id, host: '127.0.0.1', port: node.port, partitionGeneration: map.nodes[0]!.partitionGeneration });
    for (let p = 0; p < N_PARTITIONS; p++) assert.equal(map.master('test', p)?.id, id, `partition ${p}`);
    assert.equal(map.master('nope', 0), undefined);
    const groups = map.group('test', range(0, N_PARTITIONS), (p) => p);
    assert.equal(groups.length, 1);
    assert.equal(groups[0]!.items.length, N_PARTITIONS);
    await map.refresh();
    assert.equal(map.refreshes, 1);
    assert.equal(map.nodes[0]!.id, id);
    await assert.rejects(
      ClusterMap.discover([{ host: '127.0.0.1', port: deadPort }], { timeoutMs: 2000 }),
      new RegExp(`^Error: Error while connecting to 127\\.0\\.0\\.1:${deadPort}: `),
    );
  });

  test('asbackup and asrestore discover the node and log the cluster with -v', async () => {
    const a = await run(ASBACKUP, ['-h', `127.0.0.1:${deadPort},127.0.0.1:${node.port}`, '-n', 'test', '-s', 'scan', '-d', join(work, 'one'), '-w', '3', '-v']);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stderr, /Cluster: 1 node\(s\): \w+@127\.0\.0\.1:\d+/);
    assert.match(a.stderr, /Backed up 2000 record\(s\)/);
    assert.doesNotMatch(a.stderr, /on node /, 'one node: the job log lines are unchanged');
    assert.equal((await readBackup(join(work, 'one'))).size, 2000);
    const r = await run(ASRESTORE, ['-h', '127.0.0.1', '-p', String(node.port), '-d', join(work, 'one'), '-g', '-v']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /inserted 2000: failed 0/);
  });

  test('a scan cut off mid-way is retried after a refresh and resumes without repeating a record', async () => {
    // a relay that drops the connection after ~150 KiB: the node "left" in the middle of the scan
    let relayed = 0;
    const sockets = new Set<Socket>();
    const relay = createServer((down) => {
      const up = connect(node.port, '127.0.0.1');
      sockets.add(down).add(up);
      down.on('data', (d) => up.write(d));
      up.on('data', (d) => {
        const room = 150 * 1024 - relayed;
        relayed += d.length;
        if (room >= d.length) return void down.write(d);
        down.end(d.subarray(0, Math.max(0, room)));
        down.destroy();
        up.destroy();
      });
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const relayPort = (relay.address() as { port: number }).port;
    let refreshes = 0;
    let resumable = 0;
    const cursors: PartitionCursor[] = range(0, N_PARTITIONS).map((pid) => ({ pid, done: false }));
    const router: ScanRouter = {
      route: (cs) => [{ host: '127.0.0.1', port: refreshes === 0 ? relayPort : node.port, label: 'n', cursors: cs }],
      refresh: async () => {
        refreshes++;
        // partitions the retry resumes after a digest rather than from their start
        resumable = cursors.filter((c) => c.after !== undefined && !c.done).length;
      },
    };
    const seen = new Map<string, number>();
    const logs: string[] = [];
    try {
      await scanJob(
        cursors,
        ...countingScan(router, 'scan', seen, logs),
      );
    } finally {
      relay.close();
      for (const s of sockets) s.destroy();
    }
    assert.equal(refreshes, 1, logs.join('\n'));
    assert.match(logs.join('\n'), /scan attempt failed \(connection to 127\.0\.0\.1:\d+ closed before the scan ended\), retrying \(1\/2\)/);
    assert.ok(resumable > 0 && resumable < N_PARTITIONS, `${resumable} partition(s) begun before the cut`);
    assert.equal(seen.size, 2000);
    assert.ok([...seen.values()].every((n) => n === 1), 'no record delivered twice');
    assert.ok(cursors.every((c) => c.done));
  });

  test('restore writes refused by a lost node are retried on the node a refresh names', async () => {
    let refreshes = 0;
    const writer = new RestoreWriter({
      router: {
        nodeFor: () => ({ host: '127.0.0.1', port: refreshes === 0 ? deadPort : node.port }),
        refresh: async () => void refreshes++,
      },
      policy: { createOnly: false, replace: false, generationGt: false },
      batchWrites: true,
      batchSize: 50,
      maxAsyncBatches: 4,
      socketTimeoutMs: 5000,
      totalTimeoutMs: 5000,
      maxRetries: 3,
      ignoreRecordError: false,
      log: () => {},
    });
    const records: WriteRecord[] = range(0, 200).map((i) => ({
      namespace: 'test',
      set: 'rw',
      digest: computeDigest('rw', 1, intKeyBytes(i)),
      key: { type: 1, value: intKeyBytes(i) },
      bins: [{ name: 'v', type: 1, value: intKeyBytes(i * 3) }],
      generation: 1,
      ttl: 0xffffffff,
    }));
    for (let i = 0; i < records.length; i += 50) await writer.submit(records.slice(i, i + 50));
    await writer.drain();
    writer.close();
    assert.ok(refreshes >= 1);
    assert.equal(writer.counters.inserted, 200);
    assert.ok(writer.counters.retries >= 1);
    assert.deepEqual([...writer.insertedPerNode], [[`127.0.0.1:${node.port}`, 200]]);
    for (const i of [0, 77, 199]) assert.equal((await client.get(new Aerospike.Key('test', 'rw', i))).bins.v, i * 3);
  });
});

interface Cluster {
  nodes: StratoProcess[];
  /** node id by service port */
  ids: Map<number, string>;
}

/** How long a cluster may take to form and finish migrating (STRATO_TEST_CLUSTER_WAIT_MS overrides). */
const CLUSTER_WAIT_MS = Number(process.env['STRATO_TEST_CLUSTER_WAIT_MS'] ?? 30_000);

/** scanJob's options and record callback for `set`: counts each digest seen, collects the log. */
function countingScan(router: ScanRouter, set: string, seen: Map<string, number>, logs: string[]): [ScanJobOptions, (rec: ScanRecordMessage) => void] {
  return [
    {
      router,
      namespace: 'test',
      set,
      noBins: false,
      recordsPerSecond: 0,
      socketTimeoutMs: 5000,
      totalTimeoutMs: 0,
      maxRetries: 2,
      retryDelayMs: 0,
      signal: new AbortController().signal,
      budget: new RecordBudget(Infinity),
      log: (m: string) => logs.push(m),
    },
    (rec) => {
      const k = rec.digest.toString('hex');
      seen.set(k, (seen.get(k) ?? 0) + 1);
    },
  ];
}

async function startCluster(size: number): Promise<Cluster> {
  // nsup runs so restored records with a TTL are accepted
  const tc = new TestCluster(await localNodeSpecs(size), { replicationFactor: 2, namespaces: ['test', 'bar'], namespaceExtra: '  nsup-period 120' });
  try {
    await tc.startAll();
    await tc.waitStable(range(0, size), size, CLUSTER_WAIT_MS);
  } catch (e) {
    await tc.stopAll();
    throw e;
  }
  return { nodes: tc.procs.map((p) => p!), ids: new Map(tc.specs.map((sp) => [sp.servicePort, sp.nodeId])) };
}

/** Service port of each partition's master, read from every node's own `replicas` answer. */
async function mastersByPort(c: Cluster, ns: string): Promise<number[]> {
  const owners: number[] = new Array(N_PARTITIONS).fill(0);
  for (const n of c.nodes) {
    const col = parseReplicas((await infoRequest({ host: '127.0.0.1', port: n.port }, ['replicas'], 2000)).get('replicas') ?? '').get(ns)!.columns[0]!;
    for (let p = 0; p < N_PARTITIONS; p++) if (hasPartition(col, p)) owners[p] = n.port;
  }
  return owners;
}

async function nsStat(port: number, ns: string, key: string): Promise<number> {
  const text = (await infoRequest({ host: '127.0.0.1', port }, [`namespace/${ns}`], 2000)).get(`namespace/${ns}`) ?? '';
  const m = new RegExp(`(?:^|;)${key}=(\\d+)`).exec(text);
  assert.ok(m, `namespace/${ns} on port ${port} reports ${key}`);
  return Number(m[1]);
}

/** Parses the `Inserted per node: host:port n, ...` line asrestore -v prints for a cluster. */
function insertedPerPort(stderr: string): Map<number, number> {
  const line = /Inserted per node: (.*)/.exec(stderr)?.[1];
  assert.ok(line, stderr);
  return new Map(line.split(', ').map((e) => {
    const m = /:(\d+) (\d+)$/.exec(e)!;
    return [Number(m[1]), Number(m[2])];
  }));
}

describe('three-node clusters (replication-factor 2)', { timeout: 240_000 }, () => {
  const RECORDS = 3000;
  let src: Cluster | undefined;
  let dst: Cluster | undefined;
  let srcClient: any;
  let dstClient: any;
  let work: string;
  const key = (i: number, ns = 'test') => new Aerospike.Key(ns, 'cl', i);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'backup-routing-cluster-'));
    const started = await Promise.allSettled([startCluster(3), startCluster(3)]);
    // keep what did start, so after() stops it
    [src, dst] = started.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    const hosts = (c: Cluster) => c.nodes.map((n) => ({ addr: '127.0.0.1', port: n.port }));
    [srcClient, dstClient] = await Promise.all([
      connectClient({ hosts: hosts(src!), log: { level: -1 } as any }),
      connectClient({ hosts: hosts(dst!), log: { level: -1 } as any }),
    ]);
    const send = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
    for (let i = 0; i < RECORDS; i += 50) {
      await Promise.all(range(i, i + 50).map((k) => srcClient.put(key(k), { n: k, s: `value ${k}` }, {}, send)));
    }
  });

  after(async () => {
    await srcClient?.close(false);
    await dstClient?.close(false);
    await Promise.all([...(src?.nodes ?? []), ...(dst?.nodes ?? [])].map((n) => n.stop()));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('a backup through one seed scans every node and holds every record exactly once', async () => {
    const a = await run(ASBACKUP, ['-h', `127.0.0.1:${src!.nodes[1]!.port}`, '-n', 'test', '-d', join(work, 'cluster'), '-w', '3', '-v']);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stderr, /Cluster: 3 node\(s\)/);
    assert.match(a.stderr, new RegExp(`Backed up ${RECORDS} record\\(s\\)`));
    for (const id of src!.ids.values()) assert.match(a.stderr, new RegExp(`Starting backup for .* on node ${id}\\b`), `scans ran on node ${id}`);
    const recs = await readBackup(join(work, 'cluster'));
    assert.equal(recs.size, RECORDS);
    const keys = new Set([...recs.values()].map((r) => Number(r.key!.value.readBigInt64BE())));
    assert.equal(keys.size, RECORDS);
    for (let i = 0; i < RECORDS; i++) assert.ok(keys.has(i), `key ${i} backed up`);
  });

  test('partitions a node does not master come back unavailable and are scanned on their master after a refresh', async () => {
    const map = await ClusterMap.discover([{ host: '127.0.0.1', port: src!.nodes[0]!.port }], { timeoutMs: 2000 });
    assert.equal(map.nodes.length, 3);
    const wrong = map.nodes[0]!;
    const owned = range(0, N_PARTITIONS).filter((p) => map.master('test', p)?.id === wrong.id).length;
    let refreshes = 0;
    // the first pass sends every partition to one node, as a stale map would
    const router: ScanRouter = {
      route: (cursors) =>
        refreshes === 0
          ? [{ host: wrong.host, port: wrong.port, label: `node ${wrong.id}`, cursors }]
          : map.group('test', cursors, (c) => c.pid).map((g) => ({ host: g.node.host, port: g.node.port, label: `node ${g.node.id}`, cursors: g.items })),
      refresh: async () => {
        refreshes++;
        await map.refresh();
      },
    };
    const cursors: PartitionCursor[] = range(0, N_PARTITIONS).map((pid) => ({ pid, done: false }));
    const seen = new Map<string, number>();
    const logs: string[] = [];
    await scanJob(
      cursors,
      ...countingScan(router, 'cl', seen, logs),
    );
    assert.equal(refreshes, 1, logs.join('\n'));
    assert.deepEqual(logs, [`${N_PARTITIONS - owned} partition(s) unavailable on node ${wrong.id}, retrying`]);
    assert.equal(seen.size, RECORDS);
    assert.ok([...seen.values()].every((n) => n === 1), 'no record delivered twice');
    assert.ok(cursors.every((c) => c.done));
  });

  test('a restore into a fresh cluster writes every record to its partition master (batch and single puts)', async () => {
    const recs = await readBackup(join(work, 'cluster'));
    const expected = async (ns: string) => {
      const owners = await mastersByPort(dst!, ns);
      const m = new Map<number, number>();
      for (const r of recs.values()) {
        const port = owners[partitionOf(r.digest)]!;
        m.set(port, (m.get(port) ?? 0) + 1);
      }
      return m;
    };
    const ports = dst!.nodes.map((n) => n.port);
    const statsOf = (ns: string, stat: string) => Promise.all(ports.map((p) => nsStat(p, ns, stat)));

    // batch writes, through a seed that is not the first node
    const wantTest = await expected('test');
    assert.equal(wantTest.size, 3, 'every node masters some of the records');
    const batchBefore = await statsOf('test', 'batch_sub_write_success');
    const r = await run(ASRESTORE, ['-h', `127.0.0.1:${ports[2]}`, '-d', join(work, 'cluster'), '-v']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`inserted ${RECORDS}: failed 0`));
    assert.deepEqual(insertedPerPort(r.stderr), wantTest);
    const batchAfter = await statsOf('test', 'batch_sub_write_success');
    ports.forEach((p, i) => assert.equal(batchAfter[i]! - batchBefore[i]!, wantTest.get(p), `batch writes received by the node on port ${p}`));

    // single puts into the other namespace
    const wantBar = await expected('bar');
    const putBefore = await statsOf('bar', 'client_write_success');
    const s = await run(ASRESTORE, ['-h', `127.0.0.1:${ports[0]}`, '-d', join(work, 'cluster'), '-n', 'test,bar', '--disable-batch-writes', '-v']);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stderr, new RegExp(`inserted ${RECORDS}: failed 0`));
    assert.deepEqual(insertedPerPort(s.stderr), wantBar);
    const putAfter = await statsOf('bar', 'client_write_success');
    ports.forEach((p, i) => assert.equal(putAfter[i]! - putBefore[i]!, wantBar.get(p), `single puts received by the node on port ${p}`));

    // the official client, routing on its own, reads every record back from both namespaces
    for (let i = 0; i < RECORDS; i += 100) {
      const got = await Promise.all(range(i, i + 100).flatMap((k) => [dstClient.get(key(k)), dstClient.get(key(k, 'bar'))]));
      got.forEach((rec, j) => {
        const k = i + (j >> 1);
        assert.deepEqual(rec.bins, { n: k, s: `value ${k}` });
      });
    }
  });
});
