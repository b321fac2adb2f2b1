/**
 * asadm against real strato processes: one node (every info/show/manage command, summary, health,
 * the interactive prompt), a three-node cluster found from one seed through peers-clear-std
 * (summary totals, health's cross-node anomalies), and a node with security (logins, the refusal
 * without one, manage acl with prompted passwords, users statistics with totals). Output is parsed
 * back (tables, asadm's health report); exact layouts are in asadm-table.test.ts.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { TestCluster, localNodeSpecs, info } from '../helpers/strato-cluster.js';
import { ROOT } from '../helpers/paths.js';
import { bytes, parseTable, scientific } from '../../src/tools/asadm/table.js';
import { HEALTH_DEPRECATED } from '../../src/tools/asadm/commands.js';
import { connectClient } from '../helpers/client.js';

const ASADM = join(ROOT, 'bin', 'asadm.js');

function asadm(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ASADM, ...args], { timeout: 30_000 }, (e, out, err) => {
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err });
    });
  });
}

/** asadm with `input` on its standard input (then closed). */
function asadmIn(input: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [ASADM, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => proc.kill(), 30_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    proc.stdin.end(input);
  });
}

/**
 * asadm's health report: the Summary counters, the PASS lines, and the FAIL lines by level
 * (`CATEGORY:  message`).
 */
function healthReport(out: string): { total: number; passed: number; failed: number; skipped: number; pass: string[]; fail: Partial<Record<string, string[]>> } {
  const counter = (name: string) => Number(new RegExp(`^ *${name}:  (\\d+)$`, 'm').exec(out)?.[1]);
  const lines = out.split('\n');
  const pass: string[] = [];
  const fail: Partial<Record<string, string[]>> = {};
  let section = '';
  let level = '';
  for (const l of lines) {
    if (/^_+ PASS: count\(\d+\) _+$/.test(l)) section = 'pass';
    else if (/^_+ FAIL: count\(\d+\) _+$/.test(l)) section = 'fail';
    else if (/^_+$/.test(l)) section = '';
    else if (section === 'fail' && /^ +(INFO|WARNING|CRITICAL) +$/.test(l)) level = l.trim();
    else if (/^ {0,12}[A-Z]+:  /.test(l)) {
      if (section === 'pass') pass.push(l.trim());
      if (section === 'fail') (fail[level] ??= []).push(l.trim());
    }
  }
  return { total: counter('Total'), passed: counter('Passed'), failed: counter('Failed'), skipped: counter('Skipped'), pass, fail };
}

/** asadm's row sheet of one entry (Cluster Summary): field name → value, in order. */
function rowSheet(out: string, title: string): Map<string, string> {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.includes(`~${title}~`));
  assert.ok(start >= 0, `sheet '${title}' in:\n${out}`);
  const m = new Map<string, string>();
  for (const l of lines.slice(start + 1)) {
    if (l.startsWith('Number of rows: ')) break;
    const bar = l.indexOf('|');
    m.set(l.slice(0, bar).trim(), l.slice(bar + 1).trim());
  }
  return m;
}

/** The rows of a table as header → cell maps. */
function table(out: string, title: string): Map<string, string>[] {
  const t = parseTable(out, title);
  assert.ok(t, `table '${title}' in:\n${out}`);
  return t.rows.map((r) => new Map(t.headers.map((h, i) => [h, r[i] ?? ''])));
}

describe('asadm on one node', () => {
  let server: StratoProcess;
  let client: any;

  before(async () => {
    server = await startStrato();
    client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
    for (let i = 0; i < 20; i++) await client.put(new Aerospike.Key('test', 'people', i), { age: i, name: `n${i}` });
  });

  after(async () => {
    await client?.close();
    await server?.stop();
  });

  test('info network shows the node, its id marked principal, build and cluster size', async () => {
    const r = await asadm('-h', '127.0.0.1', '-p', String(server.port), '-e', 'info network');
    assert.equal(r.code, 0, r.err);
    const [row] = table(r.out, 'Network Information');
    const [nodeId] = await info('127.0.0.1', server.port, 'node');
    assert.equal(row!.get('Node'), `127.0.0.1:${server.port}`);
    assert.equal(row!.get('Node ID'), `*${nodeId}`);
    assert.equal(row!.get('Build'), 'C-8.1.2.0');
    assert.equal(row!.get('Cluster Size'), '1');
    assert.match(r.out, /Number of rows: 1/);
  });

  test('info namespace and info set count the records written', async () => {
    const r = await asadm('-p', String(server.port), '-e', 'info namespace object; info set');
    assert.equal(r.code, 0, r.err);
    const [ns] = table(r.out, 'Namespace Object Information');
    assert.equal(ns!.get('Namespace'), 'test');
    assert.equal(ns!.get('Total Records'), '20');
    const sets = table(r.out, 'Set Information');
    assert.equal(sets.find((s) => s.get('Set') === 'people')?.get('Objects'), '20');
  });

  test('manage sindex create shows in show sindex and info sindex with its entries', async () => {
    const c = await asadm('-p', String(server.port), '--enable', '-e', 'manage sindex create numeric age_ix ns test set people bin age');
    assert.equal(c.code, 0, c.err);
    const deadline = Date.now() + 10_000;
    let row: Map<string, string> | undefined;
    while (Date.now() < deadline) {
      const r = await asadm('-p', String(server.port), '-e', 'info sindex');
      row = table(r.out, 'Secondary Index Information').find((x) => x.get('Index Name') === 'age_ix');
      if (row?.get('Entries') === '20') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(row?.get('Bins'), 'age');
    assert.equal(row?.get('Entries'), '20');
    const s = await asadm('-p', String(server.port), '-e', 'show sindex');
    assert.equal(table(s.out, 'Secondary Indexes')[0]!.get('Bin Type'), 'numeric');
    const d = await asadm('-p', String(server.port), '--enable', '-e', 'manage sindex delete age_ix ns test; show sindex');
    assert.equal(d.code, 0, d.err);
    // asadm prints nothing for an empty sheet
    assert.equal(parseTable(d.out, 'Secondary Indexes'), undefined);
  });

  test('manage config changes a dynamic value that show config then shows', async () => {
    const r = await asadm('-p', String(server.port), '--enable', '-e', 'manage config namespace test param default-ttl to 1234; show config namespace');
    assert.equal(r.code, 0, r.err);
    const row = table(r.out, 'test Namespace Configuration').find((x) => x.get('Node') === 'default-ttl');
    assert.equal(row?.get(`127.0.0.1:${server.port}`), '1234');
    const [cfg] = await info('127.0.0.1', server.port, 'get-config:context=namespace;id=test');
    assert.match(cfg!, /(^|;)default-ttl=1234(;|$)/);
    const bad = await asadm('-p', String(server.port), '--enable', '-e', 'manage config namespace test param no-such-thing to 1');
    assert.equal(bad.code, 2);
  });

  test('show statistics, latencies, pmap, stop-writes and racks answer tables', async () => {
    const r = await asadm('-p', String(server.port), '-e', 'show statistics service; show latencies; show pmap; show stop-writes; show racks');
    assert.equal(r.code, 0, r.err);
    // several commands: asadm's header before each, the family word (show) left out
    assert.ok(r.out.startsWith('\n~~~ statistics service ~~~\n'), r.out.slice(0, 80));
    assert.match(r.out, /\n~~~ racks ~~~\n/);
    assert.equal(table(r.out, 'Service Statistics').find((x) => x.get('Node') === 'cluster_size')?.get(`127.0.0.1:${server.port}`), '1');
    assert.ok(table(r.out, 'Latency').some((x) => x.get('Namespace') === 'test' && x.get('Histogram') === 'write'));
    assert.equal(table(r.out, 'Partition Map Analysis')[0]!.get('Primary Partitions'), '4096');
    assert.equal(table(r.out, 'Stop Writes').find((x) => x.get('Metric') === 'data_used_pct')?.get('Stop-Writes'), 'False');
    assert.equal(table(r.out, 'Racks Information')[0]!.get('Rack ID'), '0');
  });

  test('manage udfs add and remove a module, seen by show udfs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asadm-udf-'));
    try {
      const file = join(dir, 'example.lua');
      writeFileSync(file, 'function hello(rec)\n  return 1\nend\n');
      const r = await asadm('-p', String(server.port), '--enable', '-e', `manage udfs add example.lua path ${file}; show udfs`);
      assert.equal(r.code, 0, r.err);
      assert.equal(table(r.out, 'UDF Modules')[0]!.get('Filename'), 'example.lua');
      const rm = await asadm('-p', String(server.port), '--enable', '-e', 'manage udfs remove example.lua; show udfs');
      assert.equal(rm.code, 0, rm.err);
      assert.equal(parseTable(rm.out, 'UDF Modules'), undefined);
      const missing = await asadm('-p', String(server.port), '--enable', '-e', `manage udfs add nope.lua path ${join(dir, 'nope.lua')}`);
      assert.equal(missing.code, 2);
      assert.match(missing.err, /cannot read .*nope\.lua: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('manage truncate removes a set', async () => {
    const r = await asadm('-p', String(server.port), '--enable', '-e', 'manage truncate ns test set people');
    assert.equal(r.code, 0, r.err);
    const deadline = Date.now() + 10_000;
    let objects = '';
    while (Date.now() < deadline) {
      const s = await asadm('-p', String(server.port), '-e', 'info set');
      objects = table(s.out, 'Set Information').find((x) => x.get('Set') === 'people')?.get('Objects') ?? '0';
      if (objects === '0') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(objects, '0');
  });

  test("health prints asadm's report: counters, the checks passed, the failures by level; a one-node RF 1 namespace is only asadm's INFO", async () => {
    const r = await asadm('-p', String(server.port), '-e', 'health');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, `${HEALTH_DEPRECATED}\n`);
    const h = healthReport(r.out);
    assert.equal(h.total, h.passed + h.failed + h.skipped);
    assert.ok(h.passed >= 20, r.out);
    for (const check of ['Cluster integrity fault check.', 'Cluster Key difference check.', 'Cluster stability check.', 'Namespace stop-writes flag check.', 'Critical Namespace storage-engine used pct check.', 'Namespace clock-skew-stop-writes flag check.']) {
      assert.ok(h.pass.includes(`OPERATIONS:  ${check}`), `${check} in:\n${r.out}`);
    }
    assert.deepEqual(h.fail, { INFO: ['OPERATIONS:  Non-default namespace replication-factor configuration.'] });
    // -v: the description and the failing keys (cluster/node/namespace and the value)
    const v = await asadm('-p', String(server.port), '-e', 'health -v');
    assert.match(v.out, new RegExp(`\\n {7}Keys::  C1/127\\.0\\.0\\.1:${server.port}/test \\{replication-factor:1\\}\\n`));
    assert.match(v.out, /\nDescription::  \S/);
  });

  test("summary prints asadm's Cluster Summary row sheet and Namespace Summary with the node's figures", async () => {
    for (let i = 0; i < 5; i++) await client.put(new Aerospike.Key('test', 'summary', i), { i });
    const r = await asadm('-p', String(server.port), '-e', 'summary; summary -l');
    assert.equal(r.code, 0, r.err);
    // -l: asadm's list view, numbered lines
    assert.match(r.out, /\n~~~ summary -l ~~~\nCluster\n=======\n\n {3}1\. {3}Cluster Name {13}: {2}\S/);
    assert.match(r.out, /\n {3}\d+\. +Active Namespaces {8}: {2}1 of 1\n/);
    assert.match(r.out, /\nNamespaces\n==========\n\n {3}test\n {3}====\n {3}1\. {3}Devices {18}: {2}Total 0, per-node 0\n/);
    const [stats] = await info('127.0.0.1', server.port, 'namespace/test');
    const stat = (name: string) => Number(new RegExp(`(?:^|;)${name}=(\\d+)`).exec(stats!)![1]);
    const c = rowSheet(r.out, 'Cluster Summary');
    assert.equal(c.get('Migrations'), 'False');
    assert.equal(c.get('Server Version'), 'C-8.1.2.0');
    assert.equal(c.get('Cluster Size'), '1');
    assert.equal(c.get('Devices Total'), '0', 'a memory namespace has no devices');
    assert.equal(c.get('Namespaces Total'), '1');
    assert.equal(c.get('Namespaces Active'), '1', 'test holds records');
    assert.match(c.get('Active Features') ?? '', /^KVS(,|$)/);
    assert.match(c.get('Data Memory Total') ?? '', /^\d+\.\d{3} [KMG]B$/);
    assert.match(c.get('Data Memory Used%') ?? '', /^\d+\.\d{1,2} %$/);
    assert.ok([...c.keys()].indexOf('Cluster Size') < [...c.keys()].indexOf('Data Memory Total'), 'fields in asadm order');
    const [ns] = table(r.out, 'Namespace Summary');
    assert.equal(ns!.get('Namespace'), 'test');
    assert.equal(ns!.get('Master Objects'), scientific(stat('master_objects'))!.trim(), 'in asadm units');
    assert.equal(ns!.get('Replication Factors'), '1');
    assert.equal(ns!.get('Drives Total'), '0');
    assert.match(ns!.get('Data Memory Avail%') ?? '', /^\d+\.\d{1,2} %$/);
    // the records' bytes over replication factor 1: asadm's license usage formula
    assert.equal(ns!.get('License Usage Latest'), bytes(stat('data_used_bytes')).trim());
  });

  test('manage commands need privileged mode, as in asadm (--enable or enable)', async () => {
    const r = await asadm('-p', String(server.port), '-e', 'manage config namespace test param default-ttl to 7');
    assert.equal(r.code, 2);
    assert.match(r.err, /User must be in privileged mode to issue "manage" commands/);
  });

  test('show users on a node without security says the node has no security', async () => {
    const r = await asadm('-p', String(server.port), '-e', 'show users');
    assert.equal(r.code, 2);
    assert.match(r.err, /ERROR: Failed to query users : Security not (supported|enabled)\./);
  });

  test('interactive mode prompts Admin> and runs each line from stdin', async () => {
    const proc = spawn(process.execPath, [ASADM, '-p', String(server.port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stdin.end('info network\nbogus\nenable\nexit\n');
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => proc.kill(), 20_000);
      proc.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 2, "the unknown command was an error: asadm's shell then exits 2");
    assert.equal(out.split('Admin> ').length - 1, 3);
    assert.equal(out.split('Admin+> ').length - 1, 1);
    assert.equal(table(out, 'Network Information').length, 1);
  });

  test('an unreachable seed is an error naming it, not a stall: asadm\'s message and its exit code 2 with -e', async () => {
    const r = await asadm('-h', '127.0.0.1:1', '-t', '500', '-e', 'info');
    assert.equal(r.code, 2);
    assert.equal(r.err, "ERROR: Not able to connect any cluster with [('127.0.0.1', 1, None)].\n");
    assert.equal(r.out, '');
  });
});

describe('nsup histograms (histogram:), show distribution and recluster on one node', () => {
  let server: StratoProcess;
  let client: any;

  before(async () => {
    server = await startStrato();
    client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  });

  after(async () => {
    await client?.close();
    await server?.stop();
  });

  const hist = async (params: string) => (await info('127.0.0.1', server.port, `histogram:${params}`))[0]!;
  const buckets = (answer: string) => answer.split(':buckets=')[1]!.split(',').map(Number);

  test('histogram: answers nothing before the first walk and the errors 8.1.2 answers for bad parameters', async () => {
    assert.equal(await hist('namespace=test;type=ttl'), '');
    assert.equal(await hist('namespace=nope;type=ttl'), 'ERROR:20:namespace not found on node');
    assert.equal(await hist('type=ttl'), "ERROR:20:missing 'namespace'");
    assert.equal(await hist('namespace=test'), "ERROR:4:missing 'type'");
    assert.equal(await hist('namespace=test;type=bogus'), 'ERROR:4:unknown hist name');
    assert.equal(await hist('namespace=test;type=ttl;set=nosuchset'), 'ERROR:4:unknown set name');
  });

  test('after a walk every live record is counted in the TTL and object-size histograms, per namespace and per set', async () => {
    for (let i = 0; i < 100; i++) {
      await client.put(new Aerospike.Key('test', 'dist', i), { b: 'x'.repeat(10 * i) }, { ttl: 1000 + 100 * i });
    }
    const set = await info('127.0.0.1', server.port, 'set-config:context=namespace;id=test;nsup-hist-period=1');
    assert.equal(set[0], 'ok');
    let ttl = '';
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      ttl = await hist('namespace=test;type=ttl');
      if (ttl !== '') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const m = /^units=seconds:hist-width=(\d+):bucket-width=(\d+):buckets=[\d,]+$/.exec(ttl);
    assert.ok(m, ttl);
    assert.equal(Number(m[1]), 100 * Number(m[2]));
    // 100 buckets from now to the latest void-time (about 10,900 s away)
    assert.ok(Number(m[2]) >= 108 && Number(m[2]) <= 110, ttl);
    assert.equal(buckets(ttl).length, 100);
    assert.equal(buckets(ttl).reduce((a, b) => a + b, 0), 100);
    const lin = await hist('namespace=test;type=object-size-linear');
    assert.match(lin, /^units=bytes:hist-width=1048576:bucket-width=1024:buckets=/);
    assert.equal(buckets(lin).length, 1024);
    assert.equal(buckets(lin).reduce((a, b) => a + b, 0), 100);
    const log2 = await hist('namespace=test;type=object-size');
    assert.match(log2, /^units=bytes(:\[\d+K?-\d+K?\)=\d+)+$/);
    assert.equal([...log2.matchAll(/=(\d+)/g)].reduce((a, x) => a + Number(x[1]), 0), 100);
    const perSet = await hist('namespace=test;type=ttl;set=dist');
    assert.equal(buckets(perSet).reduce((a, b) => a + b, 0), 100);
  });

  test('show distribution prints asadm percentile sheets from the histograms', async () => {
    const r = await asadm('-p', String(server.port), '-e', 'show distribution');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Percentage of records having ttl less than or equal to value\s+measured in Seconds/);
    const [row] = table(r.out, 'test - TTL Distribution in Seconds');
    assert.equal(row!.get('Node'), `127.0.0.1:${server.port}`);
    const pcts = ['10%', '20%', '30%', '40%', '50%', '60%', '70%', '80%', '90%', '100%'].map((k) => Number(row!.get(k)));
    assert.ok(pcts.every((v, i) => i === 0 || v >= pcts[i - 1]!), pcts.join(','));
    // TTLs run from 1000 s to 10,900 s, evenly: the median is near 6,000 s, the maximum near 10,900 s
    assert.ok(pcts[4]! > 4500 && pcts[4]! < 7000, pcts.join(','));
    assert.ok(pcts[9]! >= 10_800 && pcts[9]! <= 11_100, pcts.join(','));
    const [obj] = table(r.out, 'test - Object Size Distribution in bytes');
    assert.equal(Number(obj!.get('100%')) % 1024, 1023, 'object sizes end one byte before a bucket boundary');
  });

  test('recluster: draws a new cluster key, and asadm manage recluster says it started', async () => {
    const [before] = await info('127.0.0.1', server.port, 'cluster-key');
    const [answer] = await info('127.0.0.1', server.port, 'recluster:');
    assert.equal(answer, 'ok');
    const [afterKey] = await info('127.0.0.1', server.port, 'cluster-key');
    assert.notEqual(afterKey, before);
    const r = await asadm('-p', String(server.port), '--enable', '-e', 'manage recluster');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Successfully started recluster\n');
  });
});

describe('asadm on a three-node cluster', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = new TestCluster(await localNodeSpecs(3), { replicationFactor: 2 });
    await cluster.startAll();
    await cluster.waitStable([0, 1, 2], 3);
  });

  after(async () => {
    await cluster?.stopAll();
  });

  test('from one seed asadm finds all three nodes, one principal, one cluster key', async () => {
    const seed = cluster.specs[0]!;
    const r = await asadm('-h', `${seed.host}:${seed.servicePort}`, '-e', 'info network; show pmap; health');
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /\n~~~ health ~~~\n/, 'a one-word command keeps its word in the header');
    const rows = table(r.out, 'Network Information');
    assert.equal(rows.length, 3);
    assert.deepEqual(rows.map((x) => x.get('Node')).sort(), cluster.specs.map((s) => `${s.host}:${s.servicePort}`).sort());
    assert.equal(rows.filter((x) => x.get('Node ID')!.startsWith('*')).length, 1);
    assert.equal(new Set(rows.map((x) => x.get('Cluster Key'))).size, 1);
    assert.ok(rows.every((x) => x.get('Cluster Size') === '3'));
    const pmap = table(r.out, 'Partition Map Analysis');
    const sum = (col: string) => pmap.reduce((a, x) => a + Number(x.get(col)), 0);
    assert.equal(sum('Primary Partitions'), 4096);
    assert.equal(sum('Secondary Partitions'), 4096);
    const h = healthReport(r.out);
    for (const check of ['Cluster integrity fault check.', 'Cluster Key difference check.', 'Cluster stability check.', 'Namespace device size configuration difference check.', 'Namespaces per node count check.', 'Namespace configurations difference check.']) {
      assert.ok(h.pass.includes(`OPERATIONS:  ${check}`), `${check} in:\n${r.out}`);
    }
    assert.equal(h.fail.CRITICAL, undefined, r.out);
  });

  test('health flags a namespace configuration that one node does not share, naming the node (-v)', async () => {
    const [odd, seed] = [cluster.specs[2]!, cluster.specs[0]!];
    const [before] = await info(odd.host, odd.servicePort, 'get-config:context=namespace;id=test');
    const rps = /(?:^|;)background-query-max-rps=(\d+)/.exec(before!)![1]!;
    assert.equal((await info(odd.host, odd.servicePort, 'set-config:context=namespace;id=test;background-query-max-rps=4321'))[0], 'ok');
    try {
      const r = await asadm('-h', `${seed.host}:${seed.servicePort}`, '-e', 'health -v');
      assert.equal(r.code, 0, r.err);
      const h = healthReport(r.out);
      assert.ok(h.fail.WARNING?.includes('OPERATIONS:  Different namespace configurations.'), r.out);
      assert.match(r.out, new RegExp(`C1/test/background-query-max-rps \\{${odd.host.replace(/\./g, '\\.')}:${odd.servicePort}:4,321\\}`));
    } finally {
      await info(odd.host, odd.servicePort, `set-config:context=namespace;id=test;background-query-max-rps=${rps}`);
    }
  });

  test('summary over three nodes: one cluster size, every node in the totals', async () => {
    const seed = cluster.specs[0]!;
    const hosts = cluster.specs.map((s) => ({ addr: s.host, port: s.servicePort }));
    const client = await connectClient({ hosts, log: { level: -1 } } as any);
    try {
      for (let i = 0; i < 30; i++) await client.put(new Aerospike.Key('test', 'summ', i), { i });
    } finally {
      await client.close();
    }
    const r = await asadm('-h', `${seed.host}:${seed.servicePort}`, '-e', 'summary');
    assert.equal(r.code, 0, r.err);
    const c = rowSheet(r.out, 'Cluster Summary');
    assert.equal(c.get('Cluster Size'), '3');
    assert.equal(c.get('Server Version'), 'C-8.1.2.0');
    const [ns] = table(r.out, 'Namespace Summary');
    // master objects summed over the nodes: every record once
    const masters = await Promise.all(cluster.specs.map(async (s) => Number(/(?:^|;)master_objects=(\d+)/.exec((await info(s.host, s.servicePort, 'namespace/test'))[0]!)![1])));
    assert.equal(ns!.get('Master Objects'), scientific(masters.reduce((a, b) => a + b, 0))!.trim());
    assert.equal(ns!.get('Replication Factors'), '2');
  });

  test('recluster: the principal draws a new key for the whole cluster; the others ignore it', async () => {
    const keys = async () => Promise.all(cluster.specs.map(async (s) => (await info(s.host, s.servicePort, 'cluster-key'))[0]!));
    const before = await keys();
    const answers = await Promise.all(cluster.specs.map(async (s) => (await info(s.host, s.servicePort, 'recluster:'))[0]!));
    assert.equal(answers.filter((a) => a === 'ok').length, 1, answers.join(','));
    assert.equal(answers.filter((a) => a === 'ignored-by-non-principal').length, 2, answers.join(','));
    await cluster.waitStable([0, 1, 2], 3);
    const after = await keys();
    assert.equal(new Set(after).size, 1);
    assert.notEqual(after[0], before[0]);
    const seed = cluster.specs[2]!;
    const r = await asadm('-h', `${seed.host}:${seed.servicePort}`, '--enable', '-e', 'manage recluster');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Successfully started recluster/);
  });

  test('manage quiesce then recluster moves every partition off the quiesced node, its records stay readable; undo brings it back', async () => {
    const target = cluster.specs[0]!;
    const key = `${target.host}:${target.servicePort}`;
    const seed = cluster.specs[1]!;
    const hosts = cluster.specs.map((s) => ({ addr: s.host, port: s.servicePort }));
    const client = await connectClient({ hosts, log: { level: -1 } } as any);
    try {
      for (let i = 0; i < 100; i++) await client.put(new Aerospike.Key('test', 'quiet', i), { i });
      const pmapOf = async () => {
        const r = await asadm('-h', `${seed.host}:${seed.servicePort}`, '-e', 'show pmap');
        return table(r.out, 'Partition Map Analysis');
      };
      const stat = async (s: { host: string; servicePort: number }, name: string) => new RegExp(`(?:^|;)${name}=([^;]*)`).exec((await info(s.host, s.servicePort, 'namespace/test'))[0]!)?.[1];
      let r = await asadm('-h', `${seed.host}:${seed.servicePort}`, '--enable', '-e', `manage quiesce with ${key}`);
      assert.equal(r.code, 0, r.err);
      assert.equal(table(r.out, 'Quiesce Nodes')[0]!.get('Response'), 'ok');
      assert.match(r.out, /Run "manage recluster" for your changes to take effect\./);
      assert.equal(await stat(target, 'pending_quiesce'), 'true');
      assert.equal(await stat(target, 'effective_is_quiesced'), 'false');
      r = await asadm('-h', `${seed.host}:${seed.servicePort}`, '--enable', '-e', 'manage recluster');
      assert.equal(r.code, 0, r.err);
      // bounded wait for the new cluster and its migrations
      let rows: Map<string, string>[] = [];
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        rows = await pmapOf();
        const t = rows.find((x) => x.get('Node') === key);
        if (t?.get('Primary Partitions') === '0' && t.get('Secondary Partitions') === '0') break;
        await new Promise((res) => setTimeout(res, 250));
      }
      const t = rows.find((x) => x.get('Node') === key)!;
      assert.equal(t.get('Primary Partitions'), '0', 'a quiesced node masters nothing');
      assert.equal(t.get('Secondary Partitions'), '0', 'with two other nodes for RF 2 it holds no replica either');
      const others = rows.filter((x) => x.get('Node') !== key);
      assert.equal(others.reduce((a, x) => a + Number(x.get('Primary Partitions')), 0), 4096);
      assert.equal(others.reduce((a, x) => a + Number(x.get('Secondary Partitions')), 0), 4096);
      assert.equal(await stat(target, 'effective_is_quiesced'), 'true');
      for (const s of cluster.specs) assert.equal(await stat(s, 'nodes_quiesced'), '1');
      await cluster.waitStable([0, 1, 2], 3);
      for (let i = 0; i < 100; i++) assert.equal((await client.get(new Aerospike.Key('test', 'quiet', i))).bins.i, i);
      // undo, recluster: the node takes its share again
      r = await asadm('-h', `${seed.host}:${seed.servicePort}`, '--enable', '-e', `manage quiesce with ${key} undo; manage recluster`);
      assert.equal(r.code, 0, r.err);
      assert.equal(table(r.out, 'Undo Quiesce for Nodes')[0]!.get('Response'), 'ok');
      const back = Date.now() + 30_000;
      let primary = 0;
      while (Date.now() < back) {
        primary = Number((await pmapOf()).find((x) => x.get('Node') === key)?.get('Primary Partitions'));
        if (primary > 1000) break;
        await new Promise((res) => setTimeout(res, 250));
      }
      assert.ok(primary > 1000, `primary partitions back on the node: ${primary}`);
      assert.equal(await stat(target, 'effective_is_quiesced'), 'false');
      await cluster.waitStable([0, 1, 2], 3);
    } finally {
      await client.close();
    }
  });

  test('manage config sets the value on every node', async () => {
    const seed = cluster.specs[1]!;
    const r = await asadm('-h', `${seed.host}:${seed.servicePort}`, '--enable', '-e', 'manage config namespace test param background-query-max-rps to 777');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim().split('\n').length, 3);
    for (const s of cluster.specs) {
      const [cfg] = await info(s.host, s.servicePort, 'get-config:context=namespace;id=test');
      assert.match(cfg!, /(^|;)background-query-max-rps=777(;|$)/);
    }
  });
});

describe('asadm on a node with security', () => {
  let server: StratoProcess;
  const NS = 'namespace test {\n  replication-factor 1\n  storage-engine memory {\n    data-size 64M\n  }\n}\n';

  before(async () => {
    server = await startStrato({ config: `security {\n}\n${NS}` });
  });

  after(async () => {
    await server?.stop();
  });

  const as = (user: string, password: string, cmd: string, enable = true) =>
    asadm('-p', String(server.port), '-U', user, '-P', password, ...(enable ? ['--enable'] : []), '-e', cmd);

  test('-U/-P log in and show users lists the predefined admin with its role', async () => {
    const r = await as('admin', 'admin', 'show users', false);
    assert.equal(r.code, 0, r.err);
    const admin = table(r.out, 'Users').find((x) => x.get('User') === 'admin');
    assert.equal(admin?.get('Roles'), 'user-admin');
    assert.equal(admin?.get('Read Quota'), '0');
  });

  test('a wrong password or no login is refused with the reason', async () => {
    // as asadm: the refusal is logged, then that no cluster could be reached; no table is
    // printed and the exit code is that of a logged error (2)
    const noCluster = `ERROR: Not able to connect any cluster with [('127.0.0.1', ${server.port}, None)].\n`;
    const wrong = await as('admin', 'nope', 'show users');
    assert.equal(wrong.code, 2);
    assert.equal(wrong.err, `ERROR: Login failed : No credential or bad credential.\n${noCluster}`);
    assert.equal(wrong.out, '');
    const none = await asadm('-p', String(server.port), '-e', 'info network; show users');
    assert.equal(none.code, 2);
    assert.equal(none.err, `ERROR: Connection failed : not authenticated.\n${noCluster}`);
    assert.equal(none.out, '', 'no rows of ERROR:80');
    const interactive = spawn(process.execPath, [ASADM, '-p', String(server.port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    interactive.stderr.on('data', (d) => (err += d));
    interactive.stdin.end('info\n');
    const code = await new Promise<number | null>((resolve) => interactive.on('exit', resolve));
    assert.equal(code, 1, 'the interactive shell exits 1');
    assert.equal(err, `ERROR: Connection failed : not authenticated.\n${noCluster}`);
    const pki = await asadm('-p', String(server.port), '-U', 'admin', '-P', 'admin', '--auth', 'PKI', '-e', 'show users');
    assert.equal(pki.code, 1);
    assert.match(pki.err, /--auth PKI needs --tls-enable with --tls-certfile and --tls-keyfile/);
  });

  test('manage acl creates a role and a user that can then log in; show roles and users reflect every change', async () => {
    let r = await as('admin', 'admin', 'manage acl create role people_rw priv read-write ns test set people allow 127.0.0.1; manage acl create user alice password s3cret roles read');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Successfully created role people_rw\./);
    assert.match(r.out, /Successfully created user alice\./);
    r = await as('admin', 'admin', 'manage acl grant user alice roles people_rw; manage acl grant role people_rw priv sindex-admin; show users; show roles');
    assert.equal(r.code, 0, r.err);
    assert.equal(table(r.out, 'Users').find((x) => x.get('User') === 'alice')?.get('Roles'), 'read,people_rw');
    const role = table(r.out, 'Roles').find((x) => x.get('Role') === 'people_rw');
    assert.equal(role?.get('Privileges'), 'read-write.test.people,sindex-admin');
    assert.equal(role?.get('Allowlist'), '127.0.0.1');
    // alice logs in with her password and may read her own entry
    const self = await as('alice', 's3cret', 'show users alice', false);
    assert.equal(self.code, 0, self.err);
    assert.equal(table(self.out, 'Users')[0]?.get('User'), 'alice');
    // she holds no user-admin: the node refuses her, and asadm says so as asadm does
    const denied = await as('alice', 's3cret', 'manage acl create user mallory password x');
    assert.equal(denied.code, 2);
    assert.match(denied.err, /ERROR: Failed to create user : Role or privilege violation\./);
    // a duplicate is refused with the node's reason
    const dup = await as('admin', 'admin', 'manage acl create user alice password other');
    assert.match(dup.err, /ERROR: Failed to create user : User already exists\./);
    r = await as('admin', 'admin', 'manage acl revoke user alice roles read; manage acl revoke role people_rw priv sindex-admin; manage acl allowlist role people_rw clear; manage acl quotas role people_rw read 10');
    assert.equal(r.code, 2, 'quotas need enable-quotas in the security stanza');
    assert.match(r.err, /ERROR: Failed to set quotas : Quotas not enabled\./);
    r = await as('admin', 'admin', 'show users alice; show roles people_rw');
    assert.equal(table(r.out, 'Users')[0]?.get('Roles'), 'people_rw');
    const after = table(r.out, 'Roles')[0]!;
    assert.equal(after.get('Privileges'), 'read-write.test.people');
    assert.equal(after.get('Allowlist'), undefined, 'an empty allowlist column is not shown');
  });

  test('show users statistics prints each user per node: connections, quota, usage and activity as asadm', async () => {
    // quotas need enable-quotas: a node of its own
    const quotas = await startStrato({ config: `security {\n  enable-quotas true\n}\n${NS}` });
    const as = (user: string, password: string, cmd: string) => asadm('-p', String(quotas.port), '-U', user, '-P', password, '--enable', '-e', cmd);
    let carol: any;
    try {
      let r = await as('admin', 'admin', 'manage acl create role quota_r priv read read 1500; manage acl create user carol password pw roles quota_r');
      assert.equal(r.code, 0, r.err);
      carol = await connectClient({ hosts: [{ addr: '127.0.0.1', port: quotas.port }], user: 'carol', password: 'pw', log: { level: -1 } as any });
      for (let i = 0; i < 20; i++) await carol.exists(new Aerospike.Key('test', 'people', i));
      r = await as('admin', 'admin', 'show users stat');
      assert.equal(r.code, 0, r.err);
      const t = parseTable(r.out, 'Users Statistics', { totals: true });
      assert.ok(t, r.out);
      assert.deepEqual(t.headers.slice(0, 3), ['User', 'Node', 'Connections']);
      assert.ok(t.headers.includes('Read Quota') && t.headers.includes('Read Usage%') && t.headers.includes('Read Single Record TPS'), t.headers.join(','));
      assert.ok(t.headers.includes('Write Quota') && t.headers.includes('Write PI/SI Query Limited RPS') && t.headers.includes('Write PI/SI Query Limitless'), t.headers.join(','));
      const rows = t.rows.map((row) => new Map(t.headers.map((h, i) => [h, row[i] ?? ''])));
      const c = rows.find((x) => x.get('User') === 'carol' && x.get('Node') !== '');
      assert.equal(c?.get('Node'), `127.0.0.1:${quotas.port}`);
      assert.ok(Number(c?.get('Connections')) >= 1, `carol's client holds connections: ${c?.get('Connections')}`);
      assert.equal(c?.get('Read Quota'), '1.500 K');
      assert.match(c?.get('Read Usage%') ?? '', /^\d+\.\d{1,2} %$/);
      assert.equal(c?.get('Read PI/SI Query Limitless'), '0.000');
      // after each user's rows asadm's total row: the user, no node, the sums (one node here)
      const total = rows.find((x) => x.get('User') === 'carol' && x.get('Node') === '');
      assert.equal(total?.get('Connections'), c?.get('Connections'));
      assert.equal(total?.get('Read Quota'), '1.500 K');
      assert.equal(total?.get('Read Usage%'), c?.get('Read Usage%'));
      assert.equal(rows.filter((x) => x.get('Node') === '').length, new Set(rows.map((x) => x.get('User'))).size, 'one total row per user');
      // asadm's own logged-in connection is admin's
      assert.ok(Number(rows.find((x) => x.get('User') === 'admin')?.get('Connections')) >= 1);
      const one = await as('admin', 'admin', 'show users statistics carol');
      assert.deepEqual(parseTable(one.out, 'Users Statistics', { totals: true })!.rows.map((x) => x[0]), ['carol', 'carol']);
    } finally {
      await carol?.close();
      await quotas.stop();
    }
  });

  test('a password left out is prompted for as asadm does: the next line of stdin after its getpass warning, in -e and at the prompt', async () => {
    const login = ['-p', String(server.port), '-U', 'admin', '-P', 'admin'];
    // -P alone: the login password is stdin's first line, no prompt (asadm reads it so off a terminal),
    // and the create's password the next one
    let r = await asadmIn('admin\npw1\n', '-p', String(server.port), '-U', 'admin', '-P', '--enable', '-e', 'manage acl create user dora roles read');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, 'Warning: Password input may be echoed.\nEnter password for new user dora:');
    assert.equal(r.out, 'Successfully created user dora.\n');
    // at the prompt the password is the script's next line, read in turn with the commands
    r = await asadmIn('enable\nmanage acl set-password user dora\npw2\nshow users dora\nexit\n', ...login);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^Warning: Password input may be echoed\.\nEnter new password for user dora:$/);
    assert.match(r.out, /Successfully set password for user dora\./);
    assert.equal(table(r.out, 'Users')[0]?.get('User'), 'dora', 'the line after the password ran as a command');
    // dora logs in with the password set at the prompt, and changes it giving both on stdin
    r = await asadmIn('pw2\npw3\n', '-p', String(server.port), '-U', 'dora', '-P', 'pw2', '--enable', '-e', 'manage acl change-password');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, 'Warning: Password input may be echoed.\nEnter old password:Warning: Password input may be echoed.\nEnter new password:');
    assert.equal(r.out, 'Successfully changed password for user dora.\n');
    // no line to read: refused before anything is sent
    r = await asadmIn('', ...login, '--enable', '-e', 'manage acl create user erin');
    assert.equal(r.code, 2);
    assert.match(r.err, /ERROR: No password given: the input ended\./);
    assert.doesNotMatch(r.out, /Successfully/);
  });

  test('on a terminal the prompted password is read without echo', { skip: !existsSync('/usr/bin/script') && 'util-linux script (a pseudo-terminal) is not installed' }, async () => {
    // util-linux `script` runs asadm on a pseudo-terminal; the password is typed once the prompt shows
    const cmd = `${process.execPath} ${ASADM} -p ${server.port} -U admin -P admin --enable -e 'manage acl create user tty1 roles read'`;
    const proc = spawn('/usr/bin/script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let typed = false;
    proc.stdout.on('data', (d) => {
      out += d;
      if (!typed && out.includes('Enter password for new user tty1:')) {
        typed = true;
        proc.stdin.write('s3cr3t-tty\r');
      }
    });
    const timer = setTimeout(() => proc.kill(), 20_000);
    const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
    clearTimeout(timer);
    assert.equal(code, 0, out);
    assert.match(out, /^Enter password for new user tty1:\r?\n/, 'the prompt on the terminal, then a new line');
    assert.match(out, /Successfully created user tty1\./);
    assert.doesNotMatch(out, /s3cr3t-tty/, 'the password is not echoed');
    assert.equal((await as('tty1', 's3cr3t-tty', 'show users tty1', false)).code, 0, 'the password typed is the one set');
  });

  test('set-password and change-password take effect at the next login; delete removes the user and the role', async () => {
    let r = await as('admin', 'admin', 'manage acl create user bob password first roles read; manage acl set-password user bob password second');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Successfully set password for user bob\./);
    assert.equal((await as('bob', 'first', 'show users bob', false)).code, 2, 'the old password no longer logs in');
    r = await as('bob', 'second', 'manage acl change-password old second new third');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Successfully changed password for user bob\./);
    assert.equal((await as('bob', 'third', 'show users bob', false)).code, 0);
    r = await as('admin', 'admin', 'manage acl create role gone priv read; manage acl delete role gone; manage acl delete user bob; show roles gone');
    assert.match(r.out, /Successfully deleted role gone\./);
    assert.match(r.out, /Successfully deleted user bob\./);
    assert.match(r.err, /ERROR: Failed to query role : No role or invalid role\./);
    const gone = await as('bob', 'third', 'show users bob', false);
    assert.equal(gone.code, 2);
    assert.match(gone.err, /^ERROR: Login failed : No user or unrecognized user\.\n/);
  });
});
