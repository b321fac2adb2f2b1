/**
 * The tools' -U/-P/--auth against a node with a security stanza: asinfo and asbackup log in and
 * work, refuse clearly without or with a wrong login, and a login against a node without security
 * goes on as Aerospike's tools do.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { ROOT } from '../helpers/paths.js';

const BIN = (tool: string) => join(ROOT, 'bin', `${tool}.js`);
let secured: StratoProcess;
let open: StratoProcess;
let dir: string;

function run(tool: string, args: string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN(tool), ...args], { timeout: 20_000 }, (e, out, err) => {
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err });
    });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

const NS = `namespace test {\n  replication-factor 1\n  storage-engine memory {\n    data-size 64M\n  }\n}\n`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strato-sec-tools-'));
  secured = await startStrato({ config: `security {\n}\n${NS}` });
  open = await startStrato({ config: NS });
});
after(async () => {
  await secured?.stop();
  await open?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('asinfo logs in with -U/-P (or a password on stdin) and runs a privileged command', async () => {
  const p = String(secured.port);
  const ok = await run('asinfo', ['-p', p, '-U', 'admin', '-P', 'admin', '-v', 'build']);
  assert.equal(ok.code, 0, ok.err);
  // admin holds only user-admin: truncation is a role violation, said as the node says it
  const denied = await run('asinfo', ['-p', p, '-U', 'admin', '-P', 'admin', '-v', 'truncate:namespace=test']);
  assert.match(denied.out, /ERROR:81/);
  assert.equal(denied.code, 1);
  const prompted = await run('asinfo', ['-p', p, '-U', 'admin', '-P', '-v', 'build'], 'admin\n');
  assert.equal(prompted.code, 0, prompted.err);
  const unauth = await run('asinfo', ['-p', p, '-v', 'truncate:namespace=test']);
  assert.match(unauth.out, /ERROR:80/);
  const wrong = await run('asinfo', ['-p', p, '-U', 'admin', '-P', 'nope', '-v', 'build']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /authentication as 'admin' failed: result code 65/);
  const pki = await run('asinfo', ['-p', p, '-U', 'admin', '-P', 'admin', '--auth', 'PKI', '-v', 'build']);
  assert.equal(pki.code, 1);
  // PKI needs TLS with a client certificate (test/security/tls.test.ts logs in that way)
  assert.match(pki.err, /--auth PKI needs --tls-enable with --tls-certfile/);
  const external = await run('asinfo', ['-p', p, '-U', 'admin', '-P', 'admin', '--auth', 'EXTERNAL', '-v', 'build']);
  assert.equal(external.code, 1);
  assert.match(external.err, /INTERNAL and PKI authentication/);
  // a node without security: the login is skipped as the clients skip it
  const plain = await run('asinfo', ['-p', String(open.port), '-U', 'admin', '-P', 'admin', '-v', 'build']);
  assert.equal(plain.code, 0, plain.err);
});

test('asbackup reads a secured node only when logged in with a user allowed to read', async () => {
  const p = String(secured.port);
  const file = join(dir, 'b.asb');
  const refused = await run('asbackup', ['-p', p, '-n', 'test', '-o', file]);
  assert.notEqual(refused.code, 0);
  const badUser = await run('asbackup', ['-p', p, '-n', 'test', '-o', file, '-U', 'ghost', '-P', 'x']);
  assert.notEqual(badUser.code, 0);
  assert.match(badUser.err, /authentication as 'ghost' failed/);
  // admin has user-admin only: the scan is a role violation
  const noRead = await run('asbackup', ['-p', p, '-n', 'test', '-o', join(dir, 'c.asb'), '-U', 'admin', '-P', 'admin']);
  assert.notEqual(noRead.code, 0);
  const plain = await run('asbackup', ['-h', `127.0.0.1:${open.port}`, '-n', 'test', '-o', join(dir, 'd.asb'), '-U', 'admin', '-P', 'admin']);
  assert.equal(plain.code, 0, plain.err);
  assert.match(readFileSync(join(dir, 'd.asb'), 'utf8'), /^Version 3\.1/);
});
