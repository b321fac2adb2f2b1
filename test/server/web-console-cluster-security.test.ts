/**
 * The web console on a secured three-node cluster: a console login is a token every member
 * verifies (the cluster's console key, in system metadata), so a login made on one node's console
 * holds on the others' and across a restart, and a logout on any console ends it on all of them;
 * the query box answers for the whole cluster, asking the other members on connections
 * AUTHENTICATEd with the console user's own session (their audit trail names that user). In a
 * real headless Chromium (the consoles share the 127.0.0.1 cookie, as consoles behind one address
 * would) and through the API with fetch().
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import type { Browser, Page } from 'playwright-core';
import { TestCluster, localNodeSpecs } from '../helpers/strato-cluster.js';
import { waitForOutput } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';
import { launchChromium } from '../helpers/http-node.js';
import { AdminSession, adminField, adminFrame } from '../helpers/admin-session.js';

const RECORDS = 150;
/** How long a change may take to reach every member (one fabric message; generous for a loaded machine). */
const SPREAD_TIMEOUT_MS = 15_000;

let cluster: TestCluster | undefined;
let dir: string;
let browser: Browser | undefined;
let page: Page;
const bases: string[] = [];
const shots = process.env['STRATO_CONSOLE_SHOTS'] ?? mkdtempSync(join(tmpdir(), 'strato-console-clsec-'));

interface Answer {
  records: { digest: string; key: unknown }[];
  partitionsSkipped: number;
  nodes: string[];
  peerErrors: string[];
  timedOut: boolean;
}

/** The endpoint's base URL as node `i`'s log names it (a restarted node logs a new port). */
function baseOf(i: number): string {
  const m = /metrics endpoint: (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(cluster!.procs[i]!.output());
  assert.ok(m, `node ${i} logs its http endpoint`);
  return m[1]!;
}

/** Logs in through node `i`'s console API; the session cookie (`strato_session=...`). */
async function apiLogin(i: number, user: string, password: string): Promise<string> {
  const r = await fetch(`${bases[i]}/api/login`, { method: 'POST', body: JSON.stringify({ user, password }) });
  assert.equal(r.status, 200, await r.clone().text());
  const cookie = /^(strato_session=[^;]+)/.exec(r.headers.get('set-cookie') ?? '');
  assert.ok(cookie, 'the login sets the session cookie');
  return cookie[1]!;
}

/** The user node `i`'s console sees for this cookie (undefined: not logged in there). */
async function sessionUser(i: number, cookie: string): Promise<string | undefined> {
  const r = await fetch(`${bases[i]}/api/session`, { headers: { cookie } });
  return ((await r.json()) as { user?: string }).user;
}

/** Polls until `check` holds, bounded by SPREAD_TIMEOUT_MS; fails with the last state. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + SPREAD_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`not within ${SPREAD_TIMEOUT_MS} ms: ${what}`);
}

async function query(i: number, cookie: string, body: Record<string, unknown>): Promise<{ status: number; answer: Answer }> {
  const r = await fetch(`${bases[i]}/api/query`, { method: 'POST', headers: { cookie }, body: JSON.stringify(body) });
  return { status: r.status, answer: (await r.json()) as Answer };
}

/** What node `i`'s service port answers an AUTHENTICATE with user reader and the cookie's token. */
async function authenticateCode(i: number, cookie: string): Promise<number> {
  const token = Buffer.from(cookie.slice('strato_session='.length), 'base64url');
  const s = await AdminSession.open(cluster!.specs[i]!.servicePort);
  try {
    const answer = await s.ask(adminFrame(0, [adminField(0, 'reader'), adminField(5, token)]));
    return answer[9]!;
  } finally {
    s.close();
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strato-console-clsec-wd-'));
  const specs = await localNodeSpecs(3);
  for (const s of specs) mkdirSync(join(dir, s.nodeId));
  cluster = new TestCluster(specs, {
    clusterName: 'console-sec',
    networkExtra: '  http {\n    address 127.0.0.1\n    port 0\n  }',
    extraStanzas: 'security {\n  session-ttl 600\n  log {\n    report-authentication true\n  }\n}',
    // the work directories outlive a restart: users, roles and the console key are in their SMD
    workDirectory: (s) => join(dir, s.nodeId),
    login: { user: 'admin', password: 'admin' },
  });
  await cluster.startAll();
  await cluster.waitStable([0, 1, 2], 3);
  for (let i = 0; i < 3; i++) bases.push(baseOf(i));
  const host = { addr: '127.0.0.1', port: specs[0]!.servicePort };
  const policies = { admin: { timeout: 10_000 }, write: { totalTimeout: 10_000, socketTimeout: 5_000, maxRetries: 3 } };
  const admin = await connectClient({ hosts: [host], user: 'admin', password: 'admin', policies, log: { level: -1 } } as any);
  try {
    await admin.createRole('people-reader', [new Aerospike.admin.Privilege(Aerospike.privilegeCode.READ, { namespace: 'test', set: 'people' })]);
    await admin.createUser('reader', 'rpw', ['people-reader']);
    // admin writes the records itself (one client, one login per node): a role granted applies to
    // open connections at once on the node that took it, and on the other members once its system
    // metadata reaches them (one fabric message each): a write refused for the role before then is
    // written again (the writes are idempotent)
    await admin.grantRoles('admin', ['read-write']);
    const send = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
    await eventually('admin writes on every member', async () => {
      try {
        for (let i = 0; i < RECORDS; i++) await admin.put(new Aerospike.Key('test', 'people', i), { n: i }, {}, send);
        for (let i = 0; i < 5; i++) await admin.put(new Aerospike.Key('test', 'salaries', i), { n: i }, {}, send);
        return true;
      } catch (e) {
        if ((e as { code?: number }).code === Aerospike.status.ROLE_VIOLATION) return false;
        throw e;
      }
    });
  } finally {
    await admin.close();
  }
  // the users reach every member (one fabric message each)
  await eventually('reader logs in on every console', async () => {
    for (const base of bases) {
      const r = await fetch(`${base}/api/login`, { method: 'POST', body: JSON.stringify({ user: 'reader', password: 'rpw' }) });
      if (r.status !== 200) return false;
    }
    return true;
  });
  // the members settled on one console key at the cluster's SMD exchange (the earliest-created
  // wins): from then on a session any node issues holds on all of them
  await eventually('every console takes a session node 0 issued', async () => {
    const probe = await apiLogin(0, 'reader', 'rpw');
    return (await sessionUser(1, probe)) === 'reader' && (await sessionUser(2, probe)) === 'reader';
  });
  mkdirSync(shots, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
});

after(async () => {
  await browser?.close();
  await cluster?.stopAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a login on one node console holds on the others, whose query box answers for the whole cluster as that user', async () => {
  await page.goto(`${bases[0]}/`);
  await page.waitForSelector('#loginform', { state: 'visible', timeout: 15_000 });
  await page.fill('#luser', 'reader');
  await page.fill('#lpass', 'rpw');
  await page.click('#lgo');
  await page.waitForFunction(() => /user reader/.test(document.getElementById('who')!.textContent ?? ''), undefined, { timeout: 15_000 });
  // node 1's console, never logged in to, takes the session node 0 issued
  await page.goto(`${bases[1]}/`);
  await page.waitForFunction(() => /user reader/.test(document.getElementById('who')!.textContent ?? ''), undefined, { timeout: 15_000 });
  assert.equal(await page.isVisible('#loginform'), false);
  await page.click('#tab-query');
  await page.fill('#qset', 'people');
  await page.fill('#qmax', '200');
  await page.click('#qgo');
  await page.waitForFunction(() => /^\d+ record/.test(document.getElementById('qmsg')!.textContent ?? ''), undefined, { timeout: 20_000 });
  const msg = (await page.textContent('#qmsg')) ?? '';
  assert.match(msg, new RegExp(`^${RECORDS} record\\(s\\) from 3 nodes$`), msg);
  assert.equal(await page.$$eval('#qtable tr', (trs) => trs.length - 1), RECORDS);
  await page.screenshot({ path: join(shots, 'cluster-query-secured.png') });
  // the other members ran their part as reader: their audit trail names the user
  for (const i of [0, 2]) await waitForOutput(cluster!.procs[i]!, /permitted \| client: 127\.0\.0\.1:\d+ \| authenticated user: reader \| action: authentication/);
});

test('the query box of any node answers every record once, with the user privileges on every member', async () => {
  const cookie = await apiLogin(2, 'reader', 'rpw');
  for (let i = 0; i < 3; i++) {
    const { status, answer } = await query(i, cookie, { ns: 'test', set: 'people', mode: 'scan', max: 200 });
    assert.equal(status, 200);
    assert.deepEqual(answer.peerErrors, []);
    assert.equal(answer.partitionsSkipped, 0);
    assert.equal(answer.timedOut, false);
    assert.equal(new Set(answer.records.map((r) => r.digest)).size, RECORDS);
    assert.deepEqual(
      answer.records.map((r) => Number(r.key)).sort((a, b) => a - b),
      Array.from({ length: RECORDS }, (_, k) => k),
    );
    assert.equal(answer.nodes.length, 3);
  }
  // read is granted on set people only: another set is refused as a role violation
  const refused = await query(1, cookie, { ns: 'test', set: 'salaries', mode: 'scan', max: 200 });
  assert.equal(refused.status, 403);
});

test('a logout on one console ends the session on every console', async () => {
  const cookie = await apiLogin(0, 'reader', 'rpw');
  for (let i = 0; i < 3; i++) assert.equal(await sessionUser(i, cookie), 'reader');
  const r = await fetch(`${bases[2]}/api/logout`, { method: 'POST', headers: { cookie } });
  assert.equal(r.status, 200);
  assert.equal(await sessionUser(2, cookie), undefined);
  await eventually('nodes 0 and 1 refuse the logged-out session', async () => (await sessionUser(0, cookie)) === undefined && (await sessionUser(1, cookie)) === undefined);
  for (let i = 0; i < 3; i++) assert.equal((await fetch(`${bases[i]}/api/overview`, { headers: { cookie } })).status, 401);
  // nor does any member's service port take it (the query box AUTHENTICATEs there with it),
  // while a live console session does authenticate there
  const live = await apiLogin(1, 'reader', 'rpw');
  for (let i = 0; i < 3; i++) {
    assert.equal(await authenticateCode(i, cookie), 65, `node ${i}: logged out`);
    assert.equal(await authenticateCode(i, live), 0, `node ${i}: live`);
  }
});

test('a session outlives a restart of the node, and a logout made before it stays in force', async () => {
  const kept = await apiLogin(0, 'reader', 'rpw');
  const ended = await apiLogin(0, 'reader', 'rpw');
  assert.equal((await fetch(`${bases[0]}/api/logout`, { method: 'POST', headers: { cookie: ended } })).status, 200);
  await eventually('node 1 learns the logout', async () => (await sessionUser(1, ended)) === undefined);
  await cluster!.kill(1, 'SIGTERM');
  await cluster!.start(1);
  await cluster!.waitStable([0, 1, 2], 3);
  bases[1] = baseOf(1);
  assert.equal(await sessionUser(1, kept), 'reader');
  assert.equal(await sessionUser(1, ended), undefined);
  const { status, answer } = await query(1, kept, { ns: 'test', set: 'people', mode: 'scan', max: 200 });
  assert.equal(status, 200);
  assert.equal(answer.records.length, RECORDS);
  assert.deepEqual(answer.peerErrors, []);
});
