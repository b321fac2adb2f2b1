/**
 * Work directories (issue 16.6): the default keeps nodes started from one folder apart, a node
 * locks its directory, a second node on the same one refuses to start and says why, and a lock
 * left by a killed node is taken over.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STRATO_BIN } from '../helpers/strato-process.js';
import { DEFAULT_WORK_DIRECTORY, resolveWorkDirectory, WORK_DIRECTORY_LOCK_FILE } from '../../src/server/work-dir.js';

const started: ChildProcess[] = [];
const dirs: string[] = [];
after(async () => {
  for (const p of started) if (p.exitCode === null) p.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'work-dir-'));
  dirs.push(d);
  return d;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

interface Node {
  proc: ChildProcess;
  output(): string;
  /** resolves with the port once listening, rejects with the output when it exits first */
  ready: Promise<number>;
  exited: Promise<number | null>;
}

function startIn(cwd: string, args: string[]): Node {
  const proc = spawn(process.execPath, [STRATO_BIN, '--nodes-per-host', '1', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  let out = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const ready = new Promise<number>((resolve, reject) => {
    const on = (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^\s:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
    void exited.then((code) => reject(new Error(`exited ${code}:\n${out}`)));
  });
  ready.catch(() => {});
  return { proc, output: () => out, ready, exited };
}

async function stop(n: Node): Promise<void> {
  n.proc.kill('SIGTERM');
  await n.exited;
}

test('the default work directory is per service port (./data/port-N), or per process for --port 0', () => {
  assert.equal(resolveWorkDirectory(DEFAULT_WORK_DIRECTORY, 3000), join('data', 'port-3000'));
  assert.equal(resolveWorkDirectory(DEFAULT_WORK_DIRECTORY, 0, 1234), join('data', 'ephemeral-1234'));
  assert.equal(resolveWorkDirectory('/var/lib/strato', 3000), '/var/lib/strato', 'an explicit directory is used as written');
});

test('two nodes started from one folder with the default configuration keep their data apart', async () => {
  const cwd = tempDir();
  const [p1, p2] = [await freePort(), await freePort()];
  const a = startIn(cwd, ['--port', String(p1)]);
  const b = startIn(cwd, ['--port', String(p2)]);
  await Promise.all([a.ready, b.ready]);
  for (const port of [p1, p2]) {
    const lock = JSON.parse(readFileSync(join(cwd, 'data', `port-${port}`, WORK_DIRECTORY_LOCK_FILE), 'utf8'));
    assert.equal(lock.port, port);
  }
  await Promise.all([stop(a), stop(b)]);
  assert.equal(existsSync(join(cwd, 'data', `port-${p1}`, WORK_DIRECTORY_LOCK_FILE)), false, 'a clean shutdown removes the lock');
});

test('a second node on the same work directory refuses to start and names the node holding it', async () => {
  const cwd = tempDir();
  const work = join(cwd, 'shared');
  const conf = join(cwd, 'shared.conf');
  writeFileSync(conf, `service {\n  work-directory ${work}\n}\nnamespace test {\n  replication-factor 1\n  storage-engine memory {\n    data-size 64M\n  }\n}\n`);
  const first = startIn(cwd, ['--config-file', conf, '--port', '0']);
  await first.ready;
  try {
    const second = startIn(cwd, ['--config-file', conf, '--port', '0']);
    assert.equal(await second.exited, 1);
    assert.match(second.output(), new RegExp(`work directory ${work} is in use by another node \\(PID ${first.proc.pid}, service port 0; lock file .*strato\\.lock\\)`));
  } finally {
    await stop(first);
  }
});

test('a lock left by a killed node is stale: the next node takes it over and says so', async () => {
  const cwd = tempDir();
  const work = join(cwd, 'data', 'port-1');
  const conf = join(cwd, 'c.conf');
  writeFileSync(conf, `service {\n  work-directory ${work}\n}\nnamespace test {\n  replication-factor 1\n  storage-engine memory {\n    data-size 64M\n  }\n}\n`);
  const first = startIn(cwd, ['--config-file', conf, '--port', '0']);
  await first.ready;
  first.proc.kill('SIGKILL');
  await first.exited;
  assert.equal(existsSync(join(work, WORK_DIRECTORY_LOCK_FILE)), true, 'kill -9 leaves the lock behind');
  const next = startIn(cwd, ['--config-file', conf, '--port', '0']);
  await next.ready;
  assert.match(next.output(), new RegExp(`removing stale lock .*strato\\.lock of PID ${first.proc.pid}, which is no longer running`));
  await stop(next);
});
