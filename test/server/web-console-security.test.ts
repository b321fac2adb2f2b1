/**
 * The web console on a node with security on, in a real headless Chromium (Debian's, driven by
 * playwright-core): the page asks for a login and its API answers 401 without one; a login is
 * checked against the node's users (a wrong password is refused); the session cookie carries the
 * user's privileges (a read-only user sees its own entry, may read records and run queries, but a
 * set-config from the page is refused as a role violation; a sys-admin's set-config takes
 * effect); a user-admin sees every user and role. Screenshots as web-console.test.ts takes them.
 * `/metrics` needs HTTP basic auth of a user holding read or sys-admin globally (fetch()).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import type { Browser, Page } from 'playwright-core';
import { startStrato, waitForOutput, type StratoProcess } from '../helpers/strato-process.js';
import { AdminSession } from '../helpers/admin-session.js';
import { connectClient } from '../helpers/client.js';
import { httpBase, httpNodeConfig, launchChromium } from '../helpers/http-node.js';

/** Console sessions last session-ttl (s). */
const SESSION_TTL_S = 300;
const CONFIG = httpNodeConfig('secure-console', { stanzas: `security {\n  session-ttl ${SESSION_TTL_S}\n  log {\n    report-violation true\n  }\n}` });

let server: StratoProcess;

/** One info command on a connection logged in as admin (a node with security refuses others). */
async function adminInfo(command: string): Promise<string> {
  const s = await AdminSession.open(server.port);
  try {
    assert.equal(await s.login('admin', 'admin'), 0);
    return await s.info(command);
  } finally {
    s.close();
  }
}
let admin: any;
let browser: Browser | undefined;
let page: Page;
let base: string;
const shots = process.env['STRATO_CONSOLE_SHOTS'] ?? mkdtempSync(join(tmpdir(), 'strato-console-sec-'));

before(async () => {
  // test hooks: the last test moves the node's clock past the session-ttl
  server = await startStrato({ config: CONFIG, env: { STRATO_TEST_HOOKS: '1' } });
  base = httpBase(server);
  // generous timeouts: a busy machine must not fail the setup (a login per new connection is a bcrypt)
  const policies = { admin: { timeout: 10_000 }, write: { totalTimeout: 10_000, socketTimeout: 5_000, maxRetries: 3 } };
  admin = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], user: 'admin', password: 'admin', policies, log: { level: -1 } } as any);
  await admin.createUser('reader', 'readpw', ['read']);
  await admin.createUser('operator', 'oppw', ['sys-admin', 'read']);
  await admin.createUser('writer', 'wpw', ['read-write']);
  await admin.createRole('test-reader', [new Aerospike.admin.Privilege(Aerospike.privilegeCode.READ, { namespace: 'test' })]);
  await admin.createUser('scoped', 'scpw', ['test-reader']);
  const w = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], user: 'writer', password: 'wpw', policies, log: { level: -1 } } as any);
  try {
    for (let i = 0; i < 10; i++) await w.put(new Aerospike.Key('test', 'items', i), { i, label: `item${i}` });
  } finally {
    await w.close();
  }
  mkdirSync(shots, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
});

after(async () => {
  await browser?.close();
  await admin?.close();
  await server?.stop();
});

async function login(user: string, password: string): Promise<void> {
  await page.context().clearCookies();
  await page.goto(`${base}/`);
  await page.waitForSelector('#loginform', { state: 'visible', timeout: 15_000 });
  await page.fill('#luser', user);
  await page.fill('#lpass', password);
  await page.click('#lgo');
}

test('without a login the API answers 401 and the page shows only the login form', async () => {
  for (const path of ['/api/overview', '/api/stats', '/api/records?ns=test', '/api/users', '/api/config?context=service']) {
    assert.equal((await fetch(`${base}${path}`)).status, 401, path);
  }
  const q = await fetch(`${base}/api/query`, { method: 'POST', body: JSON.stringify({ ns: 'test', set: 'items', mode: 'scan' }) });
  assert.equal(q.status, 401);
  const session = (await (await fetch(`${base}/api/session`)).json()) as { security: boolean; user?: string };
  assert.deepEqual(session, { security: true });
  await page.goto(`${base}/`);
  await page.waitForSelector('#loginform', { state: 'visible', timeout: 15_000 });
  assert.equal(await page.isVisible('main'), false);
  await page.screenshot({ path: join(shots, 'login.png') });
});

test('a wrong password is refused with the node result code', async () => {
  await login('reader', 'nope');
  await page.waitForFunction(() => /login refused \(result code 65\)/.test(document.getElementById('lmsg')!.textContent ?? ''), undefined, { timeout: 10_000 });
  assert.equal(await page.isVisible('main'), false);
});

test('a read-only user sees itself and its role, reads records and queries, but may not set-config', async () => {
  await login('reader', 'readpw');
  await page.waitForFunction(() => /build 8\.1\.2\.0/.test(document.getElementById('hdr')!.textContent ?? ''), undefined, { timeout: 15_000 });
  assert.match((await page.textContent('#who')) ?? '', /user reader/);
  await page.click('#tab-users');
  await page.waitForFunction(() => document.querySelectorAll('#usertable tr').length > 1, undefined, { timeout: 10_000 });
  const users = await page.$$eval('#usertable tr', (trs) => trs.slice(1).map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
  assert.deepEqual(users, [['reader', 'read']]);
  await page.click('#tab-roles');
  const roles = await page.$$eval('#roletable tr', (trs) => trs.slice(1).map((r) => r.querySelector('td')!.textContent));
  assert.deepEqual(roles, ['read']);
  // reading data is allowed: a scan from the query box
  await page.click('#tab-query');
  await page.fill('#qset', 'items');
  await page.click('#qgo');
  await page.waitForFunction(() => /^10 record/.test(document.getElementById('qmsg')!.textContent ?? ''), undefined, { timeout: 10_000 });
  // set-config needs sys-admin: refused, and nothing changes
  await page.click('#tab-config');
  await page.selectOption('#ctx', 'namespace:test');
  await page.waitForSelector('input[data-name="default-ttl"]');
  await page.fill('input[data-name="default-ttl"]', '777');
  await page.click('button[data-set="default-ttl"]');
  await page.waitForFunction(() => document.getElementById('cfgmsg')!.className === 'bad', undefined, { timeout: 10_000 });
  assert.match((await page.textContent('#cfgmsg')) ?? '', /ERROR:81/);
  const cfg = await adminInfo('get-config:context=namespace;id=test');
  assert.match(cfg!, /(^|;)default-ttl=0(;|$)/);
});

test('a sys-admin user changes configuration from the page; logging out ends the session', async () => {
  await login('operator', 'oppw');
  await page.waitForFunction(() => /user operator/.test(document.getElementById('who')!.textContent ?? ''), undefined, { timeout: 15_000 });
  await page.click('#tab-config');
  await page.selectOption('#ctx', 'namespace:test');
  await page.waitForSelector('input[data-name="default-ttl"]');
  await page.fill('input[data-name="default-ttl"]', '888');
  await page.click('button[data-set="default-ttl"]');
  await page.waitForFunction(() => /default-ttl set to 888/.test(document.getElementById('cfgmsg')!.textContent ?? ''), undefined, { timeout: 10_000 });
  const cfg = await adminInfo('get-config:context=namespace;id=test');
  assert.match(cfg!, /(^|;)default-ttl=888(;|$)/);
  // the security context (secured nodes only): a dynamic parameter changes, a refused one says why
  await page.selectOption('#ctx', 'security');
  await page.waitForSelector('input[data-name="tps-weight"]');
  await page.fill('input[data-name="tps-weight"]', '7');
  await page.click('button[data-set="tps-weight"]');
  await page.waitForFunction(() => /tps-weight set to 7/.test(document.getElementById('cfgmsg')!.textContent ?? ''), undefined, { timeout: 10_000 });
  assert.match((await adminInfo('get-config:context=security'))!, /(^|;)tps-weight=7(;|$)/);
  await page.fill('input[data-name="enable-quotas"]', 'true');
  await page.click('button[data-set="enable-quotas"]');
  await page.waitForFunction(() => /enable-quotas: .*invalid set-config parameter/.test(document.getElementById('cfgmsg')!.textContent ?? ''), undefined, { timeout: 10_000 });
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'strato_session');
  assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
  await page.click('#logout');
  await page.waitForSelector('#loginform', { state: 'visible', timeout: 10_000 });
  // the old token no longer works
  const r = await fetch(`${base}/api/overview`, { headers: { cookie: `strato_session=${session!.value}` } });
  assert.equal(r.status, 401);
});

test('a user-admin sees every user and role', async () => {
  await login('admin', 'admin');
  await page.waitForFunction(() => /user admin/.test(document.getElementById('who')!.textContent ?? ''), undefined, { timeout: 15_000 });
  await page.click('#tab-users');
  await page.waitForFunction(() => document.querySelectorAll('#usertable tr').length > 4, undefined, { timeout: 10_000 });
  const users = await page.$$eval('#usertable tr', (trs) => trs.slice(1).map((r) => r.querySelector('td')!.textContent));
  assert.deepEqual(users, ['admin', 'operator', 'reader', 'scoped', 'writer']);
  await page.screenshot({ path: join(shots, 'users.png') });
  await page.click('#tab-roles');
  const roles = await page.$$eval('#roletable tr', (trs) => trs.slice(1).map((r) => r.querySelector('td')!.textContent));
  assert.ok(roles.includes('sys-admin') && roles.includes('read-write'), roles.join(','));
  await page.screenshot({ path: join(shots, 'roles.png') });
});

/** GET /metrics with a Basic Authorization header for `user:password` (none when user is undefined). */
function scrape(user?: string, password?: string): Promise<Response> {
  const headers: Record<string, string> = user === undefined ? {} : { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
  return fetch(`${base}/metrics`, { headers });
}

test('with security on /metrics answers 401 with a Basic challenge without credentials or with a wrong password', async () => {
  for (const r of [await scrape(), await scrape('reader', 'wrong'), await scrape('nobody', 'x')]) {
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Basic realm="strato metrics", charset="UTF-8"');
    assert.doesNotMatch(await r.text(), /aerospike_/);
  }
  const malformed = await fetch(`${base}/metrics`, { headers: { authorization: 'Basic !!!' } });
  assert.equal(malformed.status, 401);
});

test('/metrics serves a user holding read or sys-admin globally', async () => {
  for (const [user, password] of [['reader', 'readpw'], ['operator', 'oppw'], ['writer', 'wpw']]) {
    const r = await scrape(user, password);
    assert.equal(r.status, 200, user);
    assert.match(await r.text(), /^aerospike_node_up\{.*\} 1$/m, user);
    // a second scrape is answered from the remembered login, still checked
    assert.equal((await scrape(user, password)).status, 200, user);
  }
});

test('/metrics refuses with 403 a user with only user-admin or a namespace-scoped read', async () => {
  for (const [user, password] of [['admin', 'admin'], ['scoped', 'scpw']]) {
    const r = await scrape(user, password);
    assert.equal(r.status, 403, user);
    assert.match(await r.text(), /needs the read or sys-admin privilege/);
    // report-violation: the refusal is in the audit trail
    await waitForOutput(server, new RegExp(`role violation \\| client: 127\\.0\\.0\\.1:\\d+ \\| authenticated user: ${user} \\| action: metrics \\| detail: requires read or sys-admin`));
  }
});

test('a remembered /metrics login stops working once the password changes or the role is revoked', async () => {
  await admin.createUser('prom', 'prompw', ['read']);
  try {
    assert.equal((await scrape('prom', 'prompw')).status, 200);
    await admin.revokeRoles('prom', ['read']);
    assert.equal((await scrape('prom', 'prompw')).status, 403);
    await admin.grantRoles('prom', ['read']);
    assert.equal((await scrape('prom', 'prompw')).status, 200);
    await admin.changePassword('prom', 'newpw');
    assert.equal((await scrape('prom', 'prompw')).status, 401);
    assert.equal((await scrape('prom', 'newpw')).status, 200);
  } finally {
    await admin.dropUser('prom');
  }
  assert.equal((await scrape('prom', 'newpw')).status, 401);
});

test('a console session stops working when the role allowlist no longer admits the browser address', async () => {
  await admin.createRole('local-ops', [new Aerospike.admin.Privilege(Aerospike.privilegeCode.READ)], ['127.0.0.1']);
  await admin.createUser('ops', 'opspw', ['local-ops']);
  try {
    const r = await fetch(`${base}/api/login`, { method: 'POST', body: JSON.stringify({ user: 'ops', password: 'opspw' }) });
    assert.equal(r.status, 200);
    const cookie = /^(strato_session=[^;]+)/.exec(r.headers.get('set-cookie') ?? '')![1]!;
    assert.equal((await fetch(`${base}/api/overview`, { headers: { cookie } })).status, 200);
    await admin.setWhitelist('local-ops', ['10.1.2.3']);
    assert.equal((await fetch(`${base}/api/overview`, { headers: { cookie } })).status, 401);
    const again = await fetch(`${base}/api/login`, { method: 'POST', body: JSON.stringify({ user: 'ops', password: 'opspw' }) });
    assert.equal(again.status, 401);
    assert.equal(((await again.json()) as { code: number }).code, 82);
  } finally {
    await admin.dropUser('ops');
    await admin.dropRole('local-ops');
  }
});

// last: it moves the node's clock forward for good
test('a console session ends when session-ttl has passed on the node clock', async () => {
  const r = await fetch(`${base}/api/login`, { method: 'POST', body: JSON.stringify({ user: 'reader', password: 'readpw' }) });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('set-cookie') ?? '', new RegExp(`Max-Age=${SESSION_TTL_S}(;|$)`));
  const cookie = /^(strato_session=[^;]+)/.exec(r.headers.get('set-cookie') ?? '')![1]!;
  assert.equal((await fetch(`${base}/api/overview`, { headers: { cookie } })).status, 200);
  await adminInfo(`strato-test-clock:advance-sec=${SESSION_TTL_S - 10}`);
  assert.equal((await fetch(`${base}/api/overview`, { headers: { cookie } })).status, 200, 'still valid before the ttl');
  await adminInfo('strato-test-clock:advance-sec=11');
  assert.equal((await fetch(`${base}/api/overview`, { headers: { cookie } })).status, 401);
  const session = (await (await fetch(`${base}/api/session`, { headers: { cookie } })).json()) as { user?: string };
  assert.equal(session.user, undefined);
});
