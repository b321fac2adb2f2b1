/**
 * The metrics endpoint (`network { http { } }`): Prometheus text with the Aerospike exporter's
 * names and labels, values equal to what the info protocol answers, scraped while the official
 * client loads the node.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { infoFrame, rawExchange } from '../helpers/raw-client.js';
import { parseLatencies, numericPairs, metricName } from '../../src/server/http/metrics.js';
import { connectClient } from '../helpers/client.js';
import { httpBase, httpNodeConfig } from '../helpers/http-node.js';

const CONFIG = httpNodeConfig('metrics-test', { serviceExtra: '  ticker-interval 1' });

let server: StratoProcess;
let client: any;
let metricsUrl: string;
const RECORDS = 200;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition (what a scraper does), failing on a malformed line. */
function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `malformed exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]!] = lm[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

async function scrape(): Promise<Sample[]> {
  const res = await fetch(metricsUrl);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return parseExposition(await res.text());
}

async function info(command: string): Promise<string> {
  const r = await rawExchange(server.port, infoFrame([command]));
  const text = r.received.subarray(8).toString();
  return text.slice(text.indexOf('\t') + 1).replace(/\n$/, '');
}

function one(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.equal(hits.length, 1, `${name} ${JSON.stringify(labels)}: ${hits.length} samples`);
  return hits[0]!;
}

before(async () => {
  server = await startStrato({ config: CONFIG });
  metricsUrl = `${httpBase(server)}/metrics`;
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  for (let i = 0; i < RECORDS; i++) await client.put(new Aerospike.Key('test', 'metrics', i), { v: i, s: 'x'.repeat(100) });
  for (let i = 0; i < RECORDS; i++) await client.get(new Aerospike.Key('test', 'metrics', i));
});

after(async () => {
  await client?.close(false);
  await server?.stop();
});

test('node_up carries the cluster name, the service address and the build', async () => {
  const up = one(await scrape(), 'aerospike_node_up');
  assert.equal(up.value, 1);
  assert.equal(up.labels['cluster_name'], 'metrics-test');
  assert.equal(up.labels['service'], `127.0.0.1:${server.port}`);
  assert.equal(up.labels['build'], '8.1.2.0');
});

test('namespace and set samples equal what namespace/<ns> and sets answer', async () => {
  const samples = await scrape();
  const nsInfo = numericPairs(await info('namespace/test'));
  assert.equal(one(samples, 'aerospike_namespace_objects', { ns: 'test' }).value, RECORDS);
  assert.equal(one(samples, 'aerospike_namespace_client_write_success', { ns: 'test' }).value, nsInfo.get('client_write_success'));
  assert.equal(nsInfo.get('client_write_success'), RECORDS);
  const set = one(samples, 'aerospike_sets_objects', { ns: 'test', set: 'metrics' });
  assert.equal(set.value, RECORDS);
  assert.equal(set.labels['cluster_name'], 'metrics-test');
});

test('node statistics are exported under aerospike_node_stats_ with the statistics names', async () => {
  const samples = await scrape();
  const stats = numericPairs(await info('statistics'));
  assert.ok(stats.size > 10, 'statistics answers numeric values');
  const names = new Set(samples.map((s) => s.name));
  for (const key of stats.keys()) assert.ok(names.has(metricName('aerospike_node_stats_', key)), `missing node stat ${key}`);
  assert.ok(one(samples, 'aerospike_node_stats_client_connections').value >= 1);
});

test('latency histograms: buckets rise with le, +Inf equals _count, as the exporter builds them', async () => {
  // histograms fill at each ticker interval (1 s here): keep reading until the read histogram has a rate
  const deadline = Date.now() + 15000;
  let buckets: Sample[] = [];
  while (Date.now() < deadline) {
    for (let i = 0; i < 50; i++) await client.get(new Aerospike.Key('test', 'metrics', i));
    buckets = (await scrape()).filter((s) => s.name === 'aerospike_latencies_read_ms_bucket' && s.labels['ns'] === 'test');
    if (buckets.length > 0 && buckets.find((b) => b.labels['le'] === '+Inf')!.value > 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(buckets.length >= 2, 'the read histogram is exported once it has data');
  const samples = await scrape();
  const readBuckets = samples.filter((s) => s.name === 'aerospike_latencies_read_ms_bucket' && s.labels['ns'] === 'test');
  const finite = readBuckets.filter((b) => b.labels['le'] !== '+Inf').sort((a, b) => Number(a.labels['le']) - Number(b.labels['le']));
  assert.deepEqual(finite.map((b) => b.labels['le']).slice(0, 3), ['1', '2', '4']);
  for (let i = 1; i < finite.length; i++) assert.ok(finite[i]!.value >= finite[i - 1]!.value - 1e-9, 'buckets never fall as le grows');
  const inf = readBuckets.find((b) => b.labels['le'] === '+Inf')!;
  assert.ok(finite.every((b) => b.value <= inf.value + 1e-9));
  assert.equal(one(samples, 'aerospike_latencies_read_ms_count', { ns: 'test' }).value, inf.value);
});

test('latencies: parsing follows the exporter: percentages over a bound become ops at or under it', () => {
  const [h] = parseLatencies('{test}-read:msec,200.0,10.00,5.00,0.00;{test}-write:;batch-index:');
  assert.deepEqual(h, { ns: 'test', operation: 'read', unit: 'ms', buckets: [['+Inf', 200], ['1', 180], ['2', 190], ['4', 200]] });
  assert.equal(parseLatencies('{test}-write:;').length, 0);
});

test('other paths answer 404 and other methods 405', async () => {
  const base = metricsUrl.replace(/\/metrics$/, '');
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  assert.equal((await fetch(metricsUrl, { method: 'POST', body: 'x' })).status, 405);
});
