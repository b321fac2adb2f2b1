/**
 * Cluster bench: (1) how fast a third node takes its share of a loaded two-node cluster
 * (records migrated/s, MB/s, time until every node reports the cluster stable), and (2) the same
 * 80/20 read/write workload through the official client against one node and against three
 * (replication-factor 2). Every node is a child process on 127.0.0.1 of this machine, so the
 * figures describe nodes and client sharing its cores, not a cluster of machines.
 *
 * Environment: BENCH_CLUSTER_RECORDS (default 200,000), BENCH_CLUSTER_SECONDS (workload length,
 * default 5). Runs on its own as `node dist/bench/cluster-bench.js`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Aerospike from 'aerospike';
import { ClusterMap } from '../src/client/cluster-map.js';
import { infoRequest, type Endpoint } from '../src/client/info-request.js';
import { WireConnection } from '../src/client/wire-connection.js';
import { batchRowResult, encodeBatchWrite, type WriteRecord } from '../src/client/write-request.js';
import { computeDigest, partitionOf } from '../src/util/digest.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const STRATO = join(HERE, '..', '..', 'bin', 'strato.js');
const RECORDS = Number(process.env['BENCH_CLUSTER_RECORDS'] ?? 200_000);
const SECONDS = Number(process.env['BENCH_CLUSTER_SECONDS'] ?? 5);
const NS = 'test';
const SET = 'bench';
const VALUE_BYTES = 200;
const BLOB = 4; // particle type of the value bin
const INTEGER_KEY = 1; // particle type of the user key (the official client's digest of an integer key)
const BATCH_ROWS = 250;
const CONNECTIONS_PER_NODE = 4;
const IN_FLIGHT = 64;
const READ_PCT = 80;
const START_TIMEOUT_MS = 15_000;
const STABLE_TIMEOUT_MS = 30_000;
/** the join is reported as unsettled past this, keeping the bench bounded */
const MIGRATION_TIMEOUT_MS = 75_000;
const STOP_GRACE_MS = 10_000;

interface NodeSpec {
  nodeId: string;
  servicePort: number;
  heartbeatPort: number;
  fabricPort: number;
}

interface RunningNode {
  spec: NodeSpec;
  endpoint: Endpoint;
  proc: ChildProcess;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port the OS reports free right now (bound on port 0, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function nodeSpec(nodeId: string): Promise<NodeSpec> {
  return { nodeId, servicePort: await freePort(), heartbeatPort: await freePort(), fabricPort: await freePort() };
}

/**
 * The node's config file. `context as info` on top of `any warning` keeps the console quiet but
 * still prints the "listening on" line the start waits for.
 */
function nodeConfig(spec: NodeSpec, workDir: string, seed: NodeSpec, replicationFactor: number): string {
  return `service {
  cluster-name strato-bench
  node-id ${spec.nodeId}
  work-directory ${workDir}
}
logging {
  console {
    context any warning
    context as info
  }
}
network {
  service {
    address 127.0.0.1
    port ${spec.servicePort}
  }
  heartbeat {
    mode mesh
    address 127.0.0.1
    port ${spec.heartbeatPort}
    mesh-seed-address-port 127.0.0.1 ${seed.heartbeatPort}
    interval 150
    timeout 10
  }
  fabric {
    address 127.0.0.1
    port ${spec.fabricPort}
  }
}
namespace ${NS} {
  replication-factor ${replicationFactor}
  storage-engine memory {
    data-size 2G
  }
}
`;
}

/** Spawns a node (seeded with `seed`'s heartbeat port) and resolves once it logs the port it listens on. */
async function startNode(root: string, spec: NodeSpec, seed: NodeSpec, replicationFactor: number, nodes: RunningNode[]): Promise<RunningNode> {
  const dir = join(root, spec.nodeId);
  mkdirSync(dir);
  const conf = join(dir, 'strato.conf');
  writeFileSync(conf, nodeConfig(spec, dir, seed, replicationFactor));
  const proc = spawn(process.execPath, [STRATO, '--config-file', conf, '--nodes-per-host', '1'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const node: RunningNode = { spec, endpoint: { host: '127.0.0.1', port: spec.servicePort }, proc };
  nodes.push(node); // registered before it listens, so the caller's finally stops it whatever happens
  let out = '';
  let listening = false;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${spec.nodeId} did not start:\n${out}`)), START_TIMEOUT_MS);
    // the pipes stay drained after the start (a full pipe would stall the node); only the start output is kept
    const onData = (d: Buffer) => {
      if (listening) return;
      out += d.toString();
      if (/listening on [^\s:]+:(\d+)/.test(out)) {
        listening = true;
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node ${spec.nodeId} exited with ${code}:\n${out}`));
    });
  });
  return node;
}

/** SIGTERM by PID, SIGKILL when the node has not exited after the grace period. */
function stopNode(node: RunningNode): Promise<void> {
  const { proc } = node;
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => process.kill(proc.pid!, 'SIGKILL'), STOP_GRACE_MS);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    process.kill(proc.pid!, 'SIGTERM');
  });
}

async function infoValue(ep: Endpoint, command: string): Promise<string> {
  return (await infoRequest(ep, [command], 3000)).get(command) ?? '';
}

/**
 * Polls `cluster-stable` on every node every 100 ms until all answer the same cluster key;
 * resolves with the seconds waited, or undefined when `timeoutMs` passed first.
 */
async function waitStable(nodes: RunningNode[], size: number, timeoutMs: number): Promise<number | undefined> {
  const t0 = performance.now();
  const command = `cluster-stable:size=${size};ignore-migrations=false`;
  while (performance.now() - t0 < timeoutMs) {
    // a node still starting may refuse the connection: that is "not stable yet"
    const keys = await Promise.all(nodes.map((n) => infoValue(n.endpoint, command).catch(() => '')));
    if (keys.every((k) => k === keys[0] && /^[0-9A-F]+$/.test(k))) return (performance.now() - t0) / 1000;
    await sleep(100);
  }
  return undefined;
}

async function requireStable(nodes: RunningNode[]): Promise<void> {
  if ((await waitStable(nodes, nodes.length, STABLE_TIMEOUT_MS)) === undefined) {
    throw new Error(`cluster of ${nodes.length} node(s) not stable after ${STABLE_TIMEOUT_MS / 1000} s`);
  }
}

async function namespaceStats(ep: Endpoint): Promise<Map<string, number>> {
  const text = await infoValue(ep, `namespace/${NS}`);
  return new Map(text.split(';').map((kv) => [kv.slice(0, kv.indexOf('=')), Number(kv.slice(kv.indexOf('=') + 1))]));
}

async function sumStat(nodes: RunningNode[], stat: string): Promise<number> {
  const all = await Promise.all(nodes.map((n) => namespaceStats(n.endpoint)));
  return all.reduce((sum, s) => sum + (s.get(stat) ?? NaN), 0);
}

/** The record the official client writes for integer key `k`: same digest, a 200-byte blob. */
function benchRecord(k: number): WriteRecord {
  const key = Buffer.alloc(8);
  key.writeBigInt64BE(BigInt(k));
  const value = Buffer.alloc(VALUE_BYTES, k & 0xff);
  value.writeUInt32BE(k);
  return { namespace: NS, set: SET, digest: computeDigest(SET, INTEGER_KEY, key), bins: [{ name: 'v', type: BLOB, value }], generation: 0, ttl: 0 };
}

/** Sends one batch write; returns how many rows failed. */
async function writeBatch(conn: WireConnection, rows: WriteRecord[]): Promise<number> {
  let failed = 0;
  const policy = { createOnly: false, replace: false, generationGt: false };
  const code = await conn.stream(encodeBatchWrite(rows, policy, 10_000), (body, offset) => {
    if (batchRowResult(body, offset).resultCode !== 0) failed++;
  });
  return code === 0 ? failed : rows.length;
}

/**
 * Writes keys 0..count-1 with batch writes sent straight to each partition's master (so no row
 * is proxied), several connections per node. Returns the rows that failed.
 */
async function loadRecords(seed: Endpoint, count: number): Promise<number> {
  const map = await ClusterMap.discover([seed], { timeoutMs: 5000 });
  const records = Array.from({ length: count }, (_, k) => benchRecord(k));
  const groups = map.group(NS, records, (r) => partitionOf(r.digest));
  let failed = 0;
  await Promise.all(
    groups.map(async ({ node, items }) => {
      let next = 0;
      const conns = await Promise.all(Array.from({ length: CONNECTIONS_PER_NODE }, () => WireConnection.open(node.host, node.port)));
      try {
        await Promise.all(
          conns.map(async (conn) => {
            while (next < items.length) {
              const rows = items.slice(next, (next += BATCH_ROWS));
              failed += await writeBatch(conn, rows);
            }
          }),
        );
      } finally {
        for (const c of conns) c.close();
      }
    }),
  );
  return failed;
}

async function loadAndReport(nodes: RunningNode[], lines: string[], label: string): Promise<void> {
  const t0 = performance.now();
  const failed = await loadRecords(nodes[0]!.endpoint, RECORDS);
  const sec = (performance.now() - t0) / 1000;
  lines.push(
    `cluster load (${label}): ${RECORDS} records of ${VALUE_BYTES}-byte blobs by batch writes to each master, ` +
      `${CONNECTIONS_PER_NODE} connections per node: ${sec.toFixed(1)} s (${Math.round(RECORDS / sec)} records/s, failed rows ${failed})`,
  );
}

/** Starts the third node and times it until every node reports the 3-node cluster stable. */
async function measureJoin(root: string, nodes: RunningNode[], lines: string[]): Promise<void> {
  const txBefore = await sumStat(nodes, 'migrate_records_transmitted');
  const t0 = performance.now();
  await startNode(root, await nodeSpec('A3'), nodes[0]!.spec, 2, nodes);
  const waited = await waitStable(nodes, 3, MIGRATION_TIMEOUT_MS);
  const sec = (performance.now() - t0) / 1000;
  const migrated = (await sumStat(nodes, 'migrate_records_transmitted')) - txBefore;
  const stored = await storedRecordBytes(nodes);
  if (waited === undefined) {
    lines.push(`cluster join: NOT stable after ${sec.toFixed(1)} s (cap); ${migrated} records migrated so far`);
  } else {
    lines.push(
      `cluster join (2 -> 3 nodes, replication-factor 2, ${RECORDS} records loaded): stable at size 3 after ${sec.toFixed(1)} s ` +
        `(from spawning the node); ${migrated} records migrated = ${Math.round(migrated / sec)} records/s, ` +
        `${((migrated * stored) / sec / 1e6).toFixed(1)} MB/s at ${stored.toFixed(0)} bytes/record stored`,
    );
  }
  const master = await sumStat(nodes, 'master_objects');
  const prole = await sumStat(nodes, 'prole_objects');
  const nonReplica = await sumStat(nodes, 'non_replica_objects');
  lines.push(`cluster after join: master_objects ${master}, prole_objects ${prole}, non_replica_objects ${nonReplica} (expected ${RECORDS} each, 0)`);
}

/** Average stored size of a record (data_used_bytes / objects over all nodes). */
async function storedRecordBytes(nodes: RunningNode[]): Promise<number> {
  return (await sumStat(nodes, 'data_used_bytes')) / (await sumStat(nodes, 'objects'));
}

interface WorkloadResult {
  ops: number;
  reads: number;
  writes: number;
  errors: number;
  seconds: number;
}

/** 80% reads / 20% writes of random loaded keys for SECONDS, IN_FLIGHT requests at a time. */
async function runWorkload(seed: Endpoint): Promise<WorkloadResult> {
  const client = await Aerospike.connect({
    hosts: [{ addr: seed.host, port: seed.port }],
    log: { level: -1 },
    policies: { read: new Aerospike.ReadPolicy({ totalTimeout: 2000 }), write: new Aerospike.WritePolicy({ totalTimeout: 2000 }) },
  });
  const r: WorkloadResult = { ops: 0, reads: 0, writes: 0, errors: 0, seconds: 0 };
  const value = Buffer.alloc(VALUE_BYTES, 7);
  try {
    const t0 = performance.now();
    const end = t0 + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (performance.now() < end) {
          const key = new Aerospike.Key(NS, SET, Math.floor(Math.random() * RECORDS));
          const read = Math.random() * 100 < READ_PCT;
          try {
            if (read) await client.get(key);
            else await client.put(key, { v: value });
            read ? r.reads++ : r.writes++;
          } catch {
            r.errors++;
          }
        }
      }),
    );
    r.seconds = (performance.now() - t0) / 1000;
    r.ops = r.reads + r.writes;
    return r;
  } finally {
    await client.close(false);
  }
}

function workloadLine(label: string, r: WorkloadResult): string {
  return (
    `cluster throughput, ${label}: ${Math.round(r.ops / r.seconds)} tps ` +
    `(${READ_PCT}/${100 - READ_PCT} read/write, official client, ${IN_FLIGHT} in flight, ${RECORDS} keys, ${VALUE_BYTES}-byte blobs, ` +
    `${r.seconds.toFixed(1)} s; reads ${r.reads}, writes ${r.writes}, errors ${r.errors})`
  );
}

/** Section 1 and the 3-node half of section 2, on one cluster. */
async function threeNodeBench(root: string, lines: string[]): Promise<void> {
  const nodes: RunningNode[] = [];
  try {
    const a1 = await nodeSpec('A1');
    await startNode(root, a1, a1, 2, nodes);
    await startNode(root, await nodeSpec('A2'), a1, 2, nodes);
    await requireStable(nodes);
    await loadAndReport(nodes, lines, '2 nodes, replication-factor 2');
    await measureJoin(root, nodes, lines);
    lines.push(workloadLine('3 nodes, replication-factor 2', await runWorkload(nodes[0]!.endpoint)));
  } finally {
    await Promise.all(nodes.map(stopNode));
  }
}

/** The 1-node half of section 2: the same data and workload on a single-node cluster. */
async function singleNodeBench(root: string, lines: string[]): Promise<void> {
  const nodes: RunningNode[] = [];
  try {
    const b1 = await nodeSpec('B1');
    await startNode(root, b1, b1, 2, nodes);
    await requireStable(nodes);
    await loadAndReport(nodes, lines, '1 node');
    lines.push(workloadLine('1 node', await runWorkload(nodes[0]!.endpoint)));
  } finally {
    await Promise.all(nodes.map(stopNode));
  }
}

export async function runClusterBench(): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'strato-cluster-bench-'));
  const lines: string[] = [];
  try {
    await threeNodeBench(root, lines);
    await singleNodeBench(root, lines);
    lines.push('cluster note: every node and the client share this machine\'s cores, so the tps figures compare setups here, they are not targets');
    return lines;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// run on its own: `node dist/bench/cluster-bench.js`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of await runClusterBench()) console.log(line);
}
