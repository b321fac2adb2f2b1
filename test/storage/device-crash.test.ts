/**
 * Crash safety with a real process kill: a child process writes records and prints each
 * acknowledged key; the parent kills it with SIGKILL part-way and then cold-starts the same file.
 *
 * - commit-to-device: every acknowledged write must be back.
 * - without it: every write acknowledged longer ago than the flush window (flush-max-ms plus the
 *   flush timer's period and some scheduling slack) must be back; younger ones may be lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PrimaryIndex } from '../../src/index/primary-index.js';
import { systemClock } from '../../src/util/clock.js';
import { DeviceStorage } from '../../src/storage/device/device-storage.js';
import { DIST } from '../helpers/paths.js';

const ENGINE_URL = pathToFileURL(join(DIST, 'src', 'storage', 'device', 'device-storage.js')).href;
const INDEX_URL = pathToFileURL(join(DIST, 'src', 'index', 'primary-index.js')).href;
const FILE_BYTES = 16 * 1024 * 1024;
const WBS = 128 * 1024;

/** The child: writes keys 0,1,2,... and prints `ack <i> <unix ms>` after each put returns. */
const CHILD = `
const { DeviceStorage } = await import(process.env.ENGINE_URL);
const { PrimaryIndex } = await import(process.env.INDEX_URL);
const { createHash } = await import('node:crypto');
const { writeSync } = await import('node:fs');
const index = new PrimaryIndex();
const engine = new DeviceStorage({
  files: [{ path: process.env.DEVICE_FILE, sizeBytes: ${FILE_BYTES} }],
  writeBlockSizeBytes: ${WBS},
  commitToDevice: process.env.COMMIT === '1',
  flushMaxMs: Number(process.env.FLUSH_MAX_MS),
  postWriteCacheBytes: 0,
  clock: { nowMs: () => Date.now() },
});
await engine.load(index);
let i = 0;
const step = () => {
  for (let k = 0; k < Number(process.env.BATCH); k++, i++) {
    const d = createHash('ripemd160').update('crash-' + i).digest();
    let id = index.find(d);
    if (id < 0) id = index.insert(d);
    index.setGeneration(id, 1);
    index.setLastUpdateMs(id, Date.now());
    engine.put(index, id, Buffer.from('value-' + i + '-' + 'v'.repeat(150 + (i % 50))));
    // synchronous write: the parent sees the ack no later than the put returned
    writeSync(1, 'ack ' + i + ' ' + Date.now() + '\\n');
  }
  setTimeout(step, Number(process.env.PACE_MS));
};
step();
`;

interface Ack {
  key: number;
  atMs: number;
}

interface ChildPlan {
  commit: boolean;
  flushMaxMs: number;
  /** records per event-loop turn, and the pause between turns */
  batch: number;
  paceMs: number;
  /** kill once this many acks arrived and at least minRunMs passed (or at maxMs) */
  acks: number;
  minRunMs: number;
  maxMs: number;
}

/** Runs the child until the plan says so, then SIGKILLs it. */
function runAndKill(file: string, plan: ChildPlan): Promise<{ acked: Ack[]; killedAtMs: number }> {
  const { acks, minRunMs, maxMs } = plan;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: {
        ...process.env,
        ENGINE_URL,
        INDEX_URL,
        DEVICE_FILE: file,
        COMMIT: plan.commit ? '1' : '0',
        FLUSH_MAX_MS: String(plan.flushMaxMs),
        BATCH: String(plan.batch),
        PACE_MS: String(plan.paceMs),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: Ack[] = [];
    let partial = '';
    let stderr = '';
    let killedAtMs = 0;
    const started = Date.now();
    const kill = () => {
      if (killedAtMs) return;
      killedAtMs = Date.now();
      child.kill('SIGKILL');
    };
    const guard = setTimeout(kill, maxMs);
    child.stdout.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const l of lines) {
        const m = /^ack (\d+) (\d+)$/.exec(l);
        if (m) acked.push({ key: Number(m[1]), atMs: Number(m[2]) });
      }
      if (acked.length >= acks && Date.now() - started >= minRunMs) kill();
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') reject(new Error(`child exited on its own (code ${code}): ${stderr}`));
      else resolve({ acked, killedAtMs });
    });
  });
}

async function reload(file: string): Promise<{ index: PrimaryIndex; engine: DeviceStorage; records: number }> {
  const index = new PrimaryIndex();
  const engine = new DeviceStorage({
    files: [{ path: file, sizeBytes: FILE_BYTES }],
    writeBlockSizeBytes: WBS,
    clock: systemClock,
    backgroundTimers: false,
  });
  const r = await engine.load(index);
  return { index, engine, records: r.records };
}

function present(index: PrimaryIndex, engine: DeviceStorage, key: number): boolean {
  const id = index.find(createHash('ripemd160').update('crash-' + key).digest());
  if (id < 0) return false;
  assert.equal(engine.get(index, id).toString(), 'value-' + key + '-' + 'v'.repeat(150 + (key % 50)), `key ${key} reads back intact`);
  return true;
}

test('commit-to-device: every acknowledged write survives kill -9', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-crash-'));
  const file = join(dir, 'dev.dat');
  try {
    const { acked } = await runAndKill(file, { commit: true, flushMaxMs: 1000, batch: 8, paceMs: 1, acks: 400, minRunMs: 0, maxMs: 10_000 });
    assert.ok(acked.length > 0, 'the child acknowledged writes before the kill');
    const { index, engine, records } = await reload(file);
    const missing = acked.filter((a) => !present(index, engine, a.key));
    assert.deepEqual(missing, [], 'no acknowledged write is lost');
    assert.ok(records >= acked.length);
    await engine.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without commit-to-device: only writes inside the flush window may be lost at kill -9', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-crash-'));
  const file = join(dir, 'dev.dat');
  const flushMaxMs = 100;
  try {
    // slow enough that the first write block is still being filled at the kill: only the
    // flush-max-ms flushes put those records on the device
    const { acked, killedAtMs } = await runAndKill(file, { commit: false, flushMaxMs, batch: 1, paceMs: 2, acks: 450, minRunMs: 0, maxMs: 3000 });
    const { index, engine } = await reload(file);
    // flush-max-ms, plus the timer period (<= 25 ms here), plus generous scheduling slack
    const windowMs = flushMaxMs + 600;
    const old = acked.filter((a) => a.atMs <= killedAtMs - windowMs);
    assert.ok(old.length > 50, `enough writes predate the window (${old.length} of ${acked.length})`);
    // records are at most 272 bytes on the device: 481 fit the first block, which is never sealed
    assert.ok(acked.length <= Math.floor((WBS - 32) / 272), `all ${acked.length} are in the first, unsealed block`);
    const missing = old.filter((a) => !present(index, engine, a.key));
    assert.deepEqual(missing, [], 'nothing older than the flush window is lost');
    await engine.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
