/**
 * The test harness itself: a test that fails or hangs after starting a strato process and opening a
 * client cannot stall `npm test` or leave the process behind. Each case writes a small test file
 * that uses the real helpers (dist/test/helpers), runs it with the runner `npm test` uses
 * (scripts/run-tests.mjs), and checks the run ends, reports the failure, and the node's PID is gone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST, ROOT } from '../helpers/paths.js';

/** Bound on one fixture run: a hang shows as this test failing, not as a stalled suite. */
const RUN_BOUND_MS = 60_000;

const helper = (name: string): string => pathToFileURL(join(DIST, 'test', 'helpers', name)).href;

function fixture(dir: string, body: string): string {
  const file = join(dir, 'fixture.test.mjs');
  writeFileSync(
    file,
    `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { startStrato } from '${helper('strato-process.js')}';
import { connectClient } from '${helper('client.js')}';
const PID_FILE = ${JSON.stringify(join(dir, 'pid'))};
${body}
`,
  );
  return file;
}

/** Runs `file` with scripts/run-tests.mjs; resolves with its exit code, output and wall time. */
function runFixture(file: string, timeoutMs: number): Promise<{ code: number | null; out: string; ms: number }> {
  const started = Date.now();
  // a run of its own, not a subtest of this one (node:test marks its children with NODE_TEST_CONTEXT)
  const env: NodeJS.ProcessEnv = { ...process.env, STRATO_TEST_TIMEOUT_MS: String(timeoutMs) };
  delete env['NODE_TEST_CONTEXT'];
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'run-tests.mjs'), file], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const bound = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the run did not end within ${RUN_BOUND_MS} ms:\n${out}`));
    }, RUN_BOUND_MS);
    child.once('exit', (code) => {
      clearTimeout(bound);
      resolve({ code, out, ms: Date.now() - started });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

async function withFixture(body: string, timeoutMs: number, check: (r: { code: number | null; out: string; ms: number }, pid: number) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strato-harness-'));
  let pid = 0;
  try {
    const result = await runFixture(fixture(dir, body), timeoutMs);
    try {
      pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    } catch {
      assert.fail(`the fixture did not start its node:\n${result.out}`);
    }
    await check(result, pid);
  } finally {
    if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL'); // only if the check already failed
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a test that fails with its node and client still open ends the run, failed, and the node is stopped', async () => {
  await withFixture(
    `test('fails half-way', async () => {
  const server = await startStrato();
  writeFileSync(PID_FILE, String(server.proc.pid));
  const client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } });
  assert.equal(client.isConnected(), true);
  assert.equal(1, 2, 'deliberate failure');
});`,
    30_000,
    async (r, pid) => {
      assert.notEqual(r.code, 0, r.out);
      assert.ok(r.ms < 25_000, `the run ended when its file ended, not at the 30 s file timeout (${r.ms} ms)`);
      assert.match(r.out, /deliberate failure/);
      assert.match(r.out, /cleanup: still open after this file's tests, now stopped: .*strato pid/);
      assert.ok(await gone(pid, 5000), `strato pid ${pid} is still running`);
    },
  );
});

test('a test that hangs with its node running fails at the per-file timeout and the node is stopped', async () => {
  await withFixture(
    `test('never settles', async () => {
  const server = await startStrato();
  writeFileSync(PID_FILE, String(server.proc.pid));
  await new Promise(() => {});
});`,
    5000,
    async (r, pid) => {
      assert.notEqual(r.code, 0, r.out);
      assert.match(r.out, /timed out|cancelled|timeout/i);
      assert.ok(await gone(pid, 5000), `strato pid ${pid} is still running`);
    },
  );
});

test('test files open clients through the helper, so the cleanup net knows them', () => {
  // Aerospike.connect called directly in a test escapes helpers/cleanup.ts: a failing test would
  // keep its file running. (bench/ is not a test and may connect directly.)
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'fixtures') walk(path);
      } else if (entry.name.endsWith('.ts') && path !== join(ROOT, 'test', 'helpers', 'client.ts')) {
        if (/Aerospike\.connect\(/.test(readFileSync(path, 'utf8'))) out.push(path);
      }
    }
  };
  walk(join(ROOT, 'test'));
  assert.deepEqual(out, [], 'use connectClient from test/helpers/client.ts');
});
