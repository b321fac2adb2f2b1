/**
 * asinfo against a real strato process: one command's value, lines mode, the numbered summary,
 * and clear failures for a dead port or a bad option.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { freePorts } from '../helpers/strato-cluster.js';
import { ROOT } from '../helpers/paths.js';

const ASINFO = join(ROOT, 'bin', 'asinfo.js');
let server: StratoProcess;

function asinfo(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ASINFO, ...args], { timeout: 10_000 }, (e, out, err) => {
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err });
    });
  });
}

before(async () => {
  server = await startStrato();
});

after(async () => {
  await server?.stop();
});

test('-v prints one command value', async () => {
  const r = await asinfo('-p', String(server.port), '-v', 'build');
  assert.equal(r.code, 0);
  assert.equal(r.out, '8.1.2.0\n');
  const h = await asinfo('-h', `127.0.0.1:${server.port}`, '-v', 'namespaces');
  assert.equal(h.out, 'test\n');
});

test('-l puts each item of a statistics answer on its own line', async () => {
  const r = await asinfo('-p', String(server.port), '-v', 'namespace/test', '-l');
  assert.equal(r.code, 0);
  const lines = r.out.trim().split('\n');
  assert.ok(lines.length > 20);
  assert.ok(lines.includes('objects=0'));
  assert.ok(lines.every((l) => !l.includes(';')));
});

test('without -v it prints the numbered summary', async () => {
  const r = await asinfo('-p', String(server.port));
  assert.equal(r.code, 0);
  assert.match(r.out, /^1 : {2}\S+\n {5}\S/);
  assert.match(r.out, / : {2}node\n {5}[0-9A-F]+\n/);
});

test('an error answer, a dead port and a bad option exit non-zero with a message', async () => {
  const bad = await asinfo('-p', String(server.port), '-v', 'namespace/nope');
  assert.equal(bad.out, 'type=unknown\n'); // what Aerospike answers for an unknown namespace
  const [dead] = await freePorts(1);
  const r = await asinfo('-p', String(dead), '-v', 'build', '-t', '500');
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`request to 127\\.0\\.0\\.1:${dead} returned error`));
  const o = await asinfo('--bogus');
  assert.equal(o.code, 1);
  assert.match(o.err, /unrecognized option '--bogus'/);
  assert.match(o.err, /Usage: asinfo/);
});
