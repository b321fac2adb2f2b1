/**
 * A real cluster: three `strato` processes on 127.0.0.1 forming a mesh, the official client
 * seeded with one of them. Records spread evenly with replication factor 2; a request sent to a
 * node that does not own the record is proxied; a node killed with SIGKILL under load loses no
 * acknowledged write, migrations re-replicate, and the node rejoins.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { localNodeSpecs, TestCluster, info, kv } from '../helpers/strato-cluster.js';
import { requestFrame } from '../helpers/raw-client.js';
import { runStratoExpectingFailure, startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { clusterConfig } from '../helpers/strato-cluster.js';
import { encodeGet, encodePut } from '../../src/client/message-encoder.js';
import { encodeBatchGet } from '../../src/client/batch-read-encoder.js';
import { batchRowResult, encodeBatchWrite } from '../../src/client/write-request.js';
import { messageEnd } from '../../src/client/wire-connection.js';
import { computeDigest } from '../../src/util/digest.js';
import { connectClient } from '../helpers/client.js';

const N_RECORDS = 20_000;
const SET = 'cl';
let cluster: TestCluster;
let client: any;
const key = (i: number) => new Aerospike.Key('test', SET, i);

/** Runs `fn` over 0..n-1 with `width` requests in flight. */
async function parallel(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

const rawRequest = (port: number, frame: Buffer) => requestFrame('127.0.0.1', port, frame, 5000);

before(async () => {
  cluster = new TestCluster(await localNodeSpecs(3), { replicationFactor: 2 });
  await cluster.startAll();
  await cluster.waitStable([0, 1, 2], 3);
  const seed = cluster.specs[0]!;
  client = await connectClient({ hosts: [{ addr: seed.host, port: seed.servicePort }], log: { level: -1 } as any });
});

after(async () => {
  await client?.close(false);
  await cluster?.stopAll();
});

test('the client seeded with one node finds all three, and the nodes agree on the cluster', async () => {
  const names = client.getNodes().map((n: any) => n.name).sort();
  assert.deepEqual(names, ['A1', 'A2', 'A3']);
  for (const s of cluster.specs) {
    const [stats, peers] = await info(s.host, s.servicePort, 'statistics', 'peers-clear-std');
    const st = kv(stats!);
    assert.equal(st.get('cluster_size'), '3');
    assert.equal(st.get('cluster_principal'), 'A3');
    assert.equal(st.get('cluster_integrity'), 'true');
    // every other node, with the service address the client must use
    for (const other of cluster.specs.filter((o) => o !== s)) assert.match(peers!, new RegExp(`\\[${other.nodeId},,\\[127\\.0\\.0\\.1:${other.servicePort}\\]\\]`));
  }
});

test('cluster-stable answers the cluster key, or the reference server\'s errors', async () => {
  const s = cluster.specs[1]!;
  const [key, wrongSize, badSize, badIgnore, badNs, nsOk] = await info(
    s.host,
    s.servicePort,
    'cluster-stable:size=3;ignore-migrations=false',
    'cluster-stable:size=4',
    'cluster-stable:size=three',
    'cluster-stable:ignore-migrations=maybe',
    'cluster-stable:namespace=nope',
    'cluster-stable:namespace=test',
  );
  const [stats] = await info(s.host, s.servicePort, 'statistics');
  assert.equal(key, kv(stats!).get('cluster_key'));
  assert.equal(nsOk, key);
  assert.equal(wrongSize, 'ERROR::cluster-not-specified-size');
  assert.equal(badSize, 'ERROR::bad-size');
  assert.equal(badIgnore, 'ERROR::bad-ignore-migrations');
  assert.equal(badNs, 'ERROR::unknown-namespace');
});

test('every partition has exactly one master and one prole across the cluster', async () => {
  const masters = new Uint8Array(4096);
  const proles = new Uint8Array(4096);
  for (const s of cluster.specs) {
    const [replicas] = await info(s.host, s.servicePort, 'replicas');
    const [, rest] = replicas!.split(':');
    const [regime, n, ...maps] = rest!.split(',');
    assert.equal(regime, '0');
    assert.equal(n, '2');
    const cols = maps.map((b) => Buffer.from(b, 'base64'));
    for (let pid = 0; pid < 4096; pid++) {
      if (cols[0]![pid >> 3]! & (0x80 >> (pid & 7))) masters[pid]!++;
      if (cols[1]![pid >> 3]! & (0x80 >> (pid & 7))) proles[pid]!++;
    }
  }
  assert.ok(masters.every((c) => c === 1), 'one master per partition');
  assert.ok(proles.every((c) => c === 1), 'one prole per partition');
});

test(`${N_RECORDS} records spread evenly: master objects sum to the count, prole objects too`, async () => {
  await parallel(N_RECORDS, 64, async (i) => {
    await client.put(key(i), { i, v: `value-${i}` });
  });
  const masters = await Promise.all([0, 1, 2].map((i) => cluster.namespaceStat(i, 'master_objects')));
  const proles = await Promise.all([0, 1, 2].map((i) => cluster.namespaceStat(i, 'prole_objects')));
  assert.equal(masters.reduce((a, b) => a + b), N_RECORDS);
  assert.equal(proles.reduce((a, b) => a + b), N_RECORDS);
  for (const m of masters) assert.ok(Math.abs(m - N_RECORDS / 3) < N_RECORDS * 0.05, `even spread: ${masters}`);
  const rec = await client.get(key(12345));
  assert.equal(rec.bins.v, 'value-12345');
});

test('a request sent to a node that does not serve the partition is proxied to the one that does', async () => {
  const digest = computeDigest('clp', 3, Buffer.from('proxied'));
  const value = Buffer.from('via-every-node');
  // write through each node in turn: two of the three must proxy
  for (const s of cluster.specs) {
    const answer = await rawRequest(s.servicePort, encodePut('test', 'clp', digest, [{ name: 'b', type: 3, value }]));
    assert.equal(answer[8 + 5], 0, `write via ${s.nodeId}`);
  }
  const gens: number[] = [];
  for (const s of cluster.specs) {
    const answer = await rawRequest(s.servicePort, encodeGet('test', 'clp', digest));
    assert.equal(answer[8 + 5], 0, `read via ${s.nodeId}`);
    gens.push(answer.readUInt32BE(8 + 6));
    assert.ok(answer.includes(Buffer.from('via-every-node')));
  }
  assert.deepEqual(gens, [3, 3, 3], 'three writes landed on one record, seen from every node');
});

/** Sends a batch request to one node and collects every row answer until the LAST message. */
function rawBatch(port: number, frame: Buffer): Promise<{ index: number; resultCode: number; body: Buffer }[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const rows: { index: number; resultCode: number; body: Buffer }[] = [];
    const sock = connect({ host: '127.0.0.1', port }, () => sock.write(frame));
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`batch answer incomplete after ${rows.length} rows`));
    }, 10_000);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 8 && buf.length >= 8 + buf.readUIntBE(2, 6)) {
        const body = buf.subarray(8, 8 + buf.readUIntBE(2, 6));
        buf = buf.subarray(8 + body.length);
        for (let p = 0; p < body.length; ) {
          const end = messageEnd(body, p);
          if (body[p + 3]! & 0x01) {
            clearTimeout(timer);
            sock.destroy();
            return resolve(rows);
          }
          rows.push({ ...batchRowResult(body, p), body: Buffer.from(body.subarray(p, end)) });
          p = end;
        }
      }
    });
    sock.on('error', reject);
  });
}

test('a batch sent whole to one node answers every row: rows of partitions it does not serve are proxied', async () => {
  const digests = Array.from({ length: 200 }, (_, i) => computeDigest('bp', 1, Buffer.from(BigInt(i).toString())));
  const records = digests.map((digest, i) => ({
    namespace: 'test',
    set: 'bp',
    digest,
    bins: [{ name: 'n', type: 3, value: Buffer.from(`row-${i}`) }],
    generation: 0,
    ttl: 0,
  }));
  const written = await rawBatch(cluster.specs[0]!.servicePort, encodeBatchWrite(records, { createOnly: false, replace: false, generationGt: false }, 5000));
  assert.equal(written.length, 200);
  assert.ok(written.every((r) => r.resultCode === 0), 'every row written');
  assert.deepEqual(written.map((r) => r.index).sort((a, b) => a - b), [...Array(200).keys()]);
  const proxiedRows = async () => Number(kv((await info('127.0.0.1', cluster.specs[1]!.servicePort, 'namespace/test'))[0]!).get('batch_sub_proxy_complete'));
  const proxiedBefore = await proxiedRows();
  const read = await rawBatch(cluster.specs[1]!.servicePort, encodeBatchGet('test', 'bp', digests, 5000));
  assert.equal(read.length, 200);
  for (const r of read) {
    assert.equal(r.resultCode, 0, `row ${r.index}`);
    assert.ok(r.body.includes(Buffer.from(`row-${r.index}`)), `row ${r.index} carries its own record`);
  }
  // rows of partitions this node holds no copy of went to a node that does, and were counted
  const proxied = (await proxiedRows()) - proxiedBefore;
  assert.ok(proxied > 0 && proxied < 200, `${proxied} of 200 rows proxied`);
  // the replicas have them too: master and prole counts of the set add up
  const sets = await Promise.all(cluster.specs.map((s) => info(s.host, s.servicePort, 'sets/test/bp')));
  assert.equal(sets.map(([v]) => Number(/objects=(\d+)/.exec(v ?? '')?.[1] ?? 0)).reduce((a, b) => a + b), 400);
});

test('truncate and UDF registration sent to one node apply on every node', async () => {
  const tkey = (i: number) => new Aerospike.Key('test', 'trunc', i);
  await parallel(300, 32, async (i) => {
    await client.put(tkey(i), { i });
  });
  const objects = async () =>
    (await Promise.all(cluster.specs.map((s) => info(s.host, s.servicePort, 'sets/test/trunc')))).map(([v]) => Number(/objects=(\d+)/.exec(v ?? '')?.[1] ?? 0));
  assert.equal((await objects()).reduce((a, b) => a + b), 600, 'two copies of each record');
  const [answer] = await info('127.0.0.1', cluster.specs[0]!.servicePort, 'truncate:namespace=test;set=trunc');
  assert.equal(answer, 'ok');
  const deadline = Date.now() + 5000;
  let counts = await objects();
  while (counts.some((c) => c > 0) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    counts = await objects();
  }
  assert.deepEqual(counts, [0, 0, 0]);
  await assert.rejects(client.get(tkey(5)), (e: any) => e.code === 2);

  const dir = mkdtempSync(join(tmpdir(), 'strato-udf-'));
  try {
    const file = join(dir, 'clusterudf.lua');
    writeFileSync(file, 'function hello(rec)\n  return 7\nend\n');
    const job = await client.udfRegister(file);
    await job.wait(50); // the client polls udf-list on every node until all have it
    for (const s of cluster.specs) {
      const [list] = await info(s.host, s.servicePort, 'udf-list');
      assert.match(list!, /filename=clusterudf\.lua/);
    }
    assert.equal(await client.apply(key(3), { module: 'clusterudf', funcname: 'hello' }), 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('batch reads and a scan through the client see every record exactly once', async () => {
  const keys = Array.from({ length: 500 }, (_, i) => ({ key: key(i * 37), readAllBins: true }));
  const results = await client.batchRead(keys);
  assert.equal(results.filter((r: any) => r.status === 0).length, 500);
  const seen = new Set<number>();
  const stream = client.scan('test', SET).foreach();
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (r: any) => {
      assert.ok(!seen.has(r.bins.i), `record ${r.bins.i} twice`);
      seen.add(r.bins.i);
    });
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  assert.equal(seen.size, N_RECORDS);
});

test('garbage on the heartbeat and fabric ports costs only that connection', async () => {
  const keyBefore = await cluster.waitStable([0, 1, 2], 3);
  const target = cluster.specs[1]!;
  const junk = [
    Buffer.from('GET / HTTP/1.1\r\n\r\n'),
    Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]),
    // well-framed: a request of an unknown type, then a heartbeat whose payload is nonsense
    Buffer.from([0, 0, 0, 9, 1, 99, 0, 0, 0, 1, 7, 7, 7]),
    Buffer.from([0, 0, 0, 9, 0, 1, 0, 0, 0, 0, 1, 2, 3]),
  ];
  for (const port of [target.heartbeatPort, target.fabricPort]) {
    for (const bytes of junk) {
      await new Promise<void>((resolve) => {
        const sock = connect({ host: '127.0.0.1', port }, () => sock.write(bytes));
        sock.on('error', () => undefined);
        sock.on('data', () => undefined);
        setTimeout(() => {
          sock.destroy();
          resolve();
        }, 100);
      });
    }
  }
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await cluster.waitStable([0, 1, 2], 3), keyBefore, 'the cluster did not change');
  assert.equal((await client.get(key(77))).bins.i, 77);
});

test('heartbeat mode multicast is refused at startup with a clear message', async () => {
  const r = await runStratoExpectingFailure('network {\n  heartbeat {\n    mode multicast\n    multicast-group 239.1.99.222\n    port 9918\n  }\n}\nnamespace test {\n  storage-engine memory {\n    data-size 64M\n  }\n}\n');
  assert.notEqual(r.code, 0);
  assert.match(r.output, /multicast is not supported by Strato - use mode mesh/);
});

test('SIGKILL of a node under load: acknowledged writes stay readable, migrations restore two copies, the node rejoins', async () => {
  const baseline = await cluster.sumNamespaceStat([0, 1, 2], 'master_objects');
  const acked = new Map<number, number>(); // key → last acknowledged version
  const attempted = new Set<number>(); // a write that failed at the client may still have landed (AP)
  let stop = false;
  let errors = 0;
  let acks = 0; // acknowledged writes (acked counts keys, which repeat)
  const deadline = Date.now() + 8000; // bounded load
  const load = parallel(16, 16, async (w) => {
    let n = 0;
    while (!stop && Date.now() < deadline) {
      const k = N_RECORDS + w * 100_000 + (n % 400);
      const version = n++;
      attempted.add(k);
      try {
        await client.put(key(k), { i: k, ver: version });
        acked.set(k, version);
        acks++;
        const r = await client.get(key(w * 1000 + (n % 1000)));
        assert.ok(r.bins.i !== undefined);
      } catch {
        errors++; // in-flight requests to the dead node fail until the client's map moves on
      }
    }
  });
  // the kill lands in a running load, and the load runs on until the survivors have dropped the dead
  // node, the client's map has followed and the client writes again (conditions polled rather than
  // fixed waits, each bounded by the load's deadline)
  const polled = async (cond: () => boolean | Promise<boolean>): Promise<void> => {
    while (!(await cond()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  };
  await polled(() => acks >= 100);
  await cluster.kill(2);
  const acksAtKill = acks;
  await polled(async () => {
    const [stats] = await info('127.0.0.1', cluster.specs[0]!.servicePort, 'statistics');
    return kv(stats!).get('cluster_size') === '2';
  });
  // the client's map has moved on once it no longer lists the dead node
  await polled(() => client.getNodes().length === 2);
  const acksAtRecluster = acks;
  await polled(() => acks >= acksAtRecluster + 100);
  stop = true;
  await load;
  assert.ok(acked.size > 100, `load ran (${acked.size} keys acknowledged, ${errors} errors)`);
  assert.ok(acks > acksAtKill, `writes were acknowledged after the kill (${acksAtKill} at the kill, ${acks} at the end)`);
  await cluster.waitStable([0, 1], 2);
  for (const [k, version] of acked) {
    const r = await client.get(key(k));
    assert.ok(r.bins.ver >= version, `key ${k}: acknowledged version ${version}, read ${r.bins.ver}`);
  }
  for (let i = 0; i < N_RECORDS; i += 97) assert.equal((await client.get(key(i))).bins.i, i);
  // every key the load wrote is a new record; one whose write failed at the client may exist too
  const total = await cluster.sumNamespaceStat([0, 1], 'master_objects');
  assert.ok(total >= baseline + acked.size && total <= baseline + attempted.size, `${total} records after the kill`);
  assert.equal(await cluster.sumNamespaceStat([0, 1], 'prole_objects'), total);

  await cluster.start(2);
  await cluster.waitStable([0, 1, 2], 3);
  assert.equal(await cluster.sumNamespaceStat([0, 1, 2], 'master_objects'), total);
  assert.equal(await cluster.sumNamespaceStat([0, 1, 2], 'prole_objects'), total);
  assert.equal(await cluster.sumNamespaceStat([0, 1, 2], 'non_replica_objects'), 0);
  const log = cluster.procs[0]!.output();
  assert.match(log, /migrations: starting/);
  assert.match(log, /migrations: complete/);
  for (let i = 0; i < N_RECORDS; i += 101) assert.equal((await client.get(key(i))).bins.i, i);
});

test('a node that was away learns the UDF modules and truncations registered meanwhile', async () => {
  // node A3 was killed and restarted empty by the previous test; the UDF and the truncate of the
  // earlier test reached the cluster before that
  const back = cluster.specs[2]!;
  const [list, sets] = await info(back.host, back.servicePort, 'udf-list', 'sets/test/trunc');
  assert.match(list!, /filename=clusterudf\.lua/);
  const [setsOnA1] = await info('127.0.0.1', cluster.specs[0]!.servicePort, 'sets/test/trunc');
  const lut = (v: string | undefined) => Number(/truncate_lut=(\d+)/.exec(v ?? '')?.[1] ?? 0);
  assert.ok(lut(sets) > 0 && lut(sets) >= lut(setsOnA1), `truncate_lut ${lut(sets)} on the returning node, ${lut(setsOnA1)} on A1`);
});

test('a node of another cluster name seeded with this cluster never joins it', async () => {
  // independent of how the previous test ended: all three nodes run
  for (const i of [0, 1, 2]) if (!cluster.procs[i]) await cluster.start(i);
  await cluster.waitStable([0, 1, 2], 3);
  const [spec] = await localNodeSpecs(1);
  let stranger: StratoProcess | undefined;
  try {
    stranger = await startStrato({
      config: clusterConfig({ ...spec!, nodeId: 'B9' }, [cluster.specs[0]!], { clusterName: 'other-cluster' }),
      port: spec!.servicePort,
    });
    await new Promise((r) => setTimeout(r, 2000));
    const [own] = await info('127.0.0.1', spec!.servicePort, 'statistics');
    assert.equal(kv(own!).get('cluster_size'), '1');
    const [ours] = await info('127.0.0.1', cluster.specs[0]!.servicePort, 'statistics');
    assert.equal(kv(ours!).get('cluster_size'), '3');
  } finally {
    await stranger?.stop();
  }
});
