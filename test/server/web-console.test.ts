/**
 * The web console in a real headless Chromium (Debian's, driven by playwright-core; never a
 * downloaded browser): the page loads from the node with no external requests, the overview
 * matches the node's info answers, the throughput chart moves under writes, a set-config made
 * from the page is what get-config then answers, and the set/index/UDF pages list what a client
 * created. Screenshots go to a temporary directory (STRATO_CONSOLE_SHOTS keeps them elsewhere).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import type { Browser, Page } from 'playwright-core';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { info } from '../helpers/strato-cluster.js';
import { connectClient } from '../helpers/client.js';
import { CHROMIUM, httpBase, httpNodeConfig, launchChromium } from '../helpers/http-node.js';

const CONFIG = httpNodeConfig('console-test');

let server: StratoProcess;
let client: any;
let browser: Browser | undefined;
let page: Page;
let base: string;
const external: string[] = [];
const shots = process.env['STRATO_CONSOLE_SHOTS'] ?? mkdtempSync(join(tmpdir(), 'strato-console-'));

before(async () => {
  server = await startStrato({ config: CONFIG });
  base = httpBase(server);
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  const send = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
  for (let i = 0; i < 50; i++) await client.put(new Aerospike.Key('test', 'users', i), { n: i, name: `user${i}`, tags: ['a', i] }, {}, send);
  mkdirSync(shots, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => external.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(base)) external.push(r.url());
  });
});

after(async () => {
  await browser?.close();
  await client?.close();
  await server?.stop();
});

test('chromium is installed where the test expects it', () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium`);
});

test('the overview loads from the node alone and shows its cluster and namespace', async () => {
  await page.goto(`${base}/`);
  await page.waitForFunction(() => /build 8\.1\.2\.0/.test(document.getElementById('hdr')!.textContent ?? ''), undefined, { timeout: 15_000 });
  const [nodeId, key] = await info('127.0.0.1', server.port, 'node', 'cluster-key');
  assert.match(await page.textContent('#hdr') ?? '', new RegExp(`console-test · node ${nodeId}`));
  assert.equal(await page.textContent('[data-k="Cluster size"]'), '1');
  assert.equal(await page.textContent('[data-k="Cluster key"]'), key);
  const nsRow = await page.$$eval('#nstable tr', (rows) => rows.slice(1).map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
  assert.equal(nsRow[0]![0], 'test');
  assert.equal(nsRow[0]![1], '50');
  await page.screenshot({ path: join(shots, 'overview.png'), fullPage: true });
  assert.deepEqual(external, [], 'no request leaves the node');
});

test('the throughput chart moves while a client writes', async () => {
  await page.click('#tab-charts');
  // bounded load: at most 2,000 writes or 15 s, stopped as soon as the chart has moved
  const stop = Date.now() + 15_000;
  let written = 0;
  let done = false;
  const writer = (async () => {
    while (!done && written < 2_000 && Date.now() < stop) {
      await client.put(new Aerospike.Key('test', 'load', written % 50), { v: written });
      written++;
      if (written % 20 === 0) await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    await page.waitForFunction(
      () => {
        const chart = document.querySelector('[data-chart="test throughput"]');
        return Number(chart?.getAttribute('data-peak') ?? 0) > 0 && Number(chart?.getAttribute('data-samples') ?? 0) >= 6;
      },
      undefined,
      { timeout: 20_000 },
    );
  } finally {
    done = true;
  }
  await writer;
  const samples = Number(await page.getAttribute('[data-chart="test throughput"]', 'data-samples'));
  assert.ok(samples >= 6, `samples ${samples}`);
  assert.equal(await page.$$eval('[data-chart="test throughput"] polyline', (p) => p.length), 2);
  await page.screenshot({ path: join(shots, 'charts.png'), fullPage: true });
});

test('a set-config made from the page is what get-config answers', async () => {
  await page.click('#tab-config');
  await page.selectOption('#ctx', 'namespace:test');
  await page.waitForSelector('input[data-name="default-ttl"]');
  await page.fill('input[data-name="default-ttl"]', '4321');
  await page.click('button[data-set="default-ttl"]');
  await page.waitForFunction(() => /default-ttl set to 4321/.test(document.getElementById('cfgmsg')!.textContent ?? ''), undefined, { timeout: 10_000 });
  const [cfg] = await info('127.0.0.1', server.port, 'get-config:context=namespace;id=test');
  assert.match(cfg!, /(^|;)default-ttl=4321(;|$)/);
  // a refused value shows the node's error and changes nothing
  await page.waitForSelector('input[data-name="default-ttl"]');
  await page.fill('input[data-name="default-ttl"]', 'abc');
  await page.click('button[data-set="default-ttl"]');
  await page.waitForFunction(() => document.getElementById('cfgmsg')!.className === 'bad', undefined, { timeout: 10_000 });
  const [after] = await info('127.0.0.1', server.port, 'get-config:context=namespace;id=test');
  assert.match(after!, /(^|;)default-ttl=4321(;|$)/);
  await page.screenshot({ path: join(shots, 'config.png') });
});

test('sets, secondary indexes and UDF modules pages list what a client created', async () => {
  await info('127.0.0.1', server.port, 'sindex-create:ns=test;set=users;indexname=n_ix;indexdata=n,numeric');
  const lua = Buffer.from('function hello(rec)\n  return 1\nend\n').toString('base64');
  await info('127.0.0.1', server.port, `udf-put:filename=hello.lua;content=${lua};content-len=${lua.length};udf-type=LUA;`);
  await page.reload();
  await page.waitForFunction(() => (document.getElementById('sitable')!.textContent ?? '').includes('n_ix') && (document.getElementById('udftable')!.textContent ?? '').includes('hello.lua'), undefined, { timeout: 15_000 });
  await page.click('#tab-sets');
  const sets = await page.$$eval('#settable tr', (rows) => rows.slice(1).map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
  assert.equal(sets.find((s) => s[1] === 'users')?.[2], '50');
  await page.click('#tab-sindexes');
  assert.ok(await page.isVisible('#sitable'));
  await page.screenshot({ path: join(shots, 'sindexes.png') });
});

test('the query box runs an index range query, a filtered scan and a set scan, rows matching the client', async () => {
  await page.click('#tab-query');
  // the index n_ix on users.n was created by the test before: a range query
  await page.fill('#qset', 'users');
  await page.selectOption('#qmode', 'range');
  await page.fill('#qbin', 'n');
  await page.fill('#qval', '10');
  await page.fill('#qend', '14');
  await page.click('#qgo');
  await page.waitForFunction(() => /^\d+ record/.test(document.getElementById('qmsg')!.textContent ?? ''), undefined, { timeout: 10_000 });
  assert.match((await page.textContent('#qmsg')) ?? '', /^5 record\(s\)$/);
  const rows = await page.$$eval('#qtable tr', (trs) => trs.slice(1).map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  const headers = await page.$$eval('#qtable th', (ths) => ths.map((t) => t.textContent));
  assert.deepEqual(headers, ['Digest', 'Key', 'Gen', 'n', 'name', 'tags']);
  assert.deepEqual(rows.map((r) => Number(r[3])).sort((a, b) => a - b), [10, 11, 12, 13, 14]);
  for (const [digest, key, gen, n, name] of rows) {
    const rec = await client.get(new Aerospike.Key('test', 'users', Number(key)));
    assert.equal(Buffer.from(rec.key.digest).toString('hex'), digest);
    assert.equal(Number(gen), rec.gen);
    assert.equal(Number(n), rec.bins.n);
    assert.equal(JSON.parse(name!), rec.bins.name);
  }
  await page.screenshot({ path: join(shots, 'query.png') });
  // a scan of the set with a bin filter (a filter expression): one record
  await page.selectOption('#qmode', 'filter');
  await page.fill('#qbin', 'name');
  await page.selectOption('#qop', 'eq');
  await page.fill('#qval', 'user7');
  await page.click('#qgo');
  await page.waitForFunction(() => /^1 record/.test(document.getElementById('qmsg')!.textContent ?? ''), undefined, { timeout: 10_000 });
  assert.equal(await page.textContent('#qtable span[data-bin="n"]'), '7');
  // a plain scan of the set, bounded by max
  await page.selectOption('#qmode', 'scan');
  await page.fill('#qmax', '7');
  await page.click('#qgo');
  await page.waitForFunction(() => /^7 record/.test(document.getElementById('qmsg')!.textContent ?? ''), undefined, { timeout: 10_000 });
  // bad input is refused with a message, not a crash
  await page.selectOption('#qmode', 'range');
  await page.fill('#qval', 'abc');
  await page.click('#qgo');
  await page.waitForFunction(() => document.getElementById('qmsg')!.className === 'bad', undefined, { timeout: 10_000 });
  assert.match((await page.textContent('#qmsg')) ?? '', /integer begin and end/);
});

test('a background job started by a client is aborted from the jobs page, as query-show then reports', async () => {
  const ops = Aerospike.operations;
  // 1 record per second over 50 records: the job stays active until it is aborted
  const job = await client.scan('test', 'users').operate([ops.write('slow', 1)], { recordsPerSecond: 1 });
  const trid = String(job.jobID);
  await page.reload();
  await page.click('#tab-jobs');
  await page.waitForSelector(`button[data-abort="${trid}"]`, { timeout: 15_000 });
  await page.screenshot({ path: join(shots, 'jobs.png') });
  await page.click(`button[data-abort="${trid}"]`);
  await page.waitForFunction((t) => (document.getElementById('jobmsg')!.textContent ?? '') === `job ${t} abort requested`, trid, { timeout: 10_000 });
  const deadline = Date.now() + 10_000;
  let status = '';
  while (Date.now() < deadline) {
    const [line] = await info('127.0.0.1', server.port, `query-show:trid=${trid}`);
    status = /(?:^|:)status=([^:;]+)/.exec(line!)?.[1] ?? '';
    if (!status.startsWith('active')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(status, 'done(user-aborted)');
  // the page shows the job done, with no abort button left
  await page.reload();
  await page.click('#tab-jobs');
  await page.waitForFunction((t) => [...document.querySelectorAll('#jobtable tr')].some((r) => r.textContent!.includes(t) && r.textContent!.includes('user-aborted')), trid, { timeout: 15_000 });
  assert.equal(await page.$(`button[data-abort="${trid}"]`), null);
});

test('a record browsed in the page is the record the client reads', async () => {
  await page.click('#tab-records');
  await page.fill('#rset', 'users');
  await page.fill('#rmax', '5');
  await page.click('#rgo');
  await page.waitForFunction(() => /^5 record/.test(document.getElementById('rmsg')!.textContent ?? ''), undefined, { timeout: 10_000 });
  const rows = await page.$$eval('#rtable tr', (trs) => trs.slice(1).map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  assert.equal(rows.length, 5);
  for (const [digest, set, key, gen, , bins] of rows) {
    assert.equal(set, 'users');
    const rec = await client.get(new Aerospike.Key('test', 'users', Number(key)));
    assert.equal(Buffer.from(rec.key.digest).toString('hex'), digest);
    assert.equal(Number(gen), rec.gen);
    assert.deepEqual(JSON.parse(bins!), rec.bins);
  }
  await page.screenshot({ path: join(shots, 'records.png') });
  const bad = await fetch(`${base}/api/records?ns=nope`);
  assert.equal(bad.status, 400);
});

test('the API refuses bad input with 400 and a message, never a crash', async () => {
  const r1 = await fetch(`${base}/api/config`, { method: 'POST', body: '{not json' });
  assert.equal(r1.status, 400);
  const r2 = await fetch(`${base}/api/config`, { method: 'POST', body: JSON.stringify({ context: 'service', name: 'a;b', value: '1' }) });
  assert.equal(r2.status, 400);
  const r3 = await fetch(`${base}/api/jobs/abort`, { method: 'POST', body: JSON.stringify({ trid: 'x' }) });
  assert.equal(r3.status, 400);
  const r4 = await fetch(`${base}/api/nothing`);
  assert.equal(r4.status, 404);
  assert.equal((await fetch(`${base}/metrics`)).status, 200);
});
