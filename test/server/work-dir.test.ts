/**
 * Work directories (issue 16.6): the default keeps nodes started from one folder apart, a node
 * locks its directory, a second node on the same one refuses to start and says why, and a lock
 * left by a killed node is taken over.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnStrato, type SpawnedStrato } from '../helpers/strato-process.js';
import { DEFAULT_WORK_DIRECTORY, resolveWorkDirectory, WORK_DIRECTORY_LOCK_FILE } from '../../src/server/work-dir.js';
import { freePorts } from '../helpers/strato-cluster.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'work-dir-'));
  dirs.push(d);
  return d;
}


function startIn(cwd: string, args: string[]): SpawnedStrato {
  return spawnStrato(cwd, args);
}

test('the default work directory is per service port (./data/port-N), or per process for --port 0', () => {
  assert.equal(resolveWorkDirectory(DEFAULT_WORK_DIRECTORY, 3000), join('data', 'port-3000'));
  assert.equal(resolveWorkDirectory(DEFAULT_WORK_DIRECTORY, 0, 1234), join('data', 'ephemeral-1234'));
  assert.equal(resolveWorkDirectory('/var/lib/strato', 3000), '/var/lib/strato', 'an explicit directory is used as written');
});

test('two nodes started from one folder with the default configuration keep their data apart', async () => {
  const cwd = tempDir();
  const [p1, p2] = await freePorts(2);
  const a = startIn(cwd, ['--port', String(p1)]);
  const b = startIn(cwd, ['--port', String(p2)]);
  await Promise.all([a.ready, b.ready]);
  for (const port of [p1, p2]) {
    const lock = JSON.parse(readFileSync(join(cwd, 'data', `port-${port}`, WORK_DIRECTORY_LOCK_FILE), 'utf8'));
    assert.equal(lock.port, port);
  }
  await Promise.all([a.stop(), b.stop()]);
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
    await first.stop();
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
  await next.stop();
});
