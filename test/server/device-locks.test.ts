/**
 * Device locks (issue 16): a node holds the storage files its namespaces name, so a second node on
 * the same file refuses to start and names the file and the node holding it; two spellings of one
 * file meet at one lock; a lock left by a killed node is taken over; a clean stop removes it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnStrato, type SpawnedStrato } from '../helpers/strato-process.js';
import { DEVICE_LOCK_SUFFIX } from '../../src/server/device-locks.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'device-locks-'));
  dirs.push(d);
  return d;
}

/** A node with its own work directory whose namespace stores in `file`. */
function startOn(cwd: string, name: string, file: string): SpawnedStrato {
  const conf = join(cwd, `${name}.conf`);
  writeFileSync(
    conf,
    `service {\n  work-directory ${join(cwd, name)}\n}\nnamespace test {\n  replication-factor 1\n  storage-engine device {\n    file ${file}\n    filesize 16M\n    write-block-size 1M\n  }\n}\n`,
  );
  return spawnStrato(cwd, ['--port', '0', '--config-file', conf]);
}

test('a second node on the same storage file refuses to start and names the file and the node holding it', async () => {
  const cwd = tempDir();
  const file = join(cwd, 'shared.dat');
  const first = startOn(cwd, 'a', file);
  await first.ready;
  try {
    assert.equal(existsSync(file + DEVICE_LOCK_SUFFIX), true, 'the node holds a lock beside its file');
    const second = startOn(cwd, 'b', file);
    assert.equal(await second.exited, 1);
    assert.match(
      second.output(),
      new RegExp(`\\{test\\} storage file ${file} is in use by another node \\(PID ${first.proc.pid}, service port 0, namespace test; lock file ${file}\\.strato-lock\\)`),
    );
    assert.equal(first.proc.exitCode, null, 'the first node keeps running');
  } finally {
    await first.stop();
  }
  assert.equal(existsSync(file + DEVICE_LOCK_SUFFIX), false, 'a clean stop removes the lock');
});

test('the same file named through a symbolic link is the same device', async () => {
  const cwd = tempDir();
  const file = join(cwd, 'real.dat');
  mkdirSync(join(cwd, 'other'));
  const link = join(cwd, 'other', 'alias.dat');
  const first = startOn(cwd, 'a', file);
  await first.ready;
  try {
    symlinkSync(file, link);
    const second = startOn(cwd, 'b', link);
    assert.equal(await second.exited, 1);
    assert.match(second.output(), new RegExp(`storage file ${link} is in use by another node \\(PID ${first.proc.pid}`));
  } finally {
    await first.stop();
  }
});

test('a lock left by a killed node is stale: the next node on the file takes it over and says so', async () => {
  const cwd = tempDir();
  const file = join(cwd, 'd.dat');
  const first = startOn(cwd, 'a', file);
  await first.ready;
  first.proc.kill('SIGKILL');
  await first.exited;
  assert.equal(existsSync(file + DEVICE_LOCK_SUFFIX), true, 'kill -9 leaves the lock behind');
  const next = startOn(cwd, 'b', file);
  await next.ready;
  assert.match(next.output(), new RegExp(`removing stale lock ${file}\\.strato-lock of PID ${first.proc.pid}, which is no longer running`));
  await next.stop();
});
