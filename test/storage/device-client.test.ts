/**
 * The device storage engine through the official client against real strato processes with
 * file-backed namespaces in temp dirs: restarts, churn and defragmentation, stop-writes, crashes
 * and a corrupted file.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { resultCode } from '../helpers/result-code.js';
import { connectClient } from '../helpers/client.js';
import { stopStarted } from '../helpers/cleanup.js';

function deviceConfig(dir: string, extra = ''): string {
  return `
service {
  cluster-name device-test
  work-directory ${dir}
  ticker-interval 1
}
network {
  service {
    address 127.0.0.1
    port 3000
  }
}
namespace test {
  nsup-period 60
  max-record-size 128K
  storage-engine device {
    file ${dir}/test.dat
    filesize 8M
    write-block-size 128K
    flush-max-ms 50
${extra}
  }
}
`;
}

async function connect(port: number): Promise<any> {
  return connectClient({ hosts: [{ addr: '127.0.0.1', port }], log: { level: -1 } as any });
}

async function nsStat(client: any, name: string): Promise<number> {
  const s: string = await client.infoAny('namespace/test');
  const m = new RegExp(`(?:^|;)${name}=([\\d.]+)`).exec(s);
  assert.ok(m, `${name} in ${s}`);
  return Number(m[1]);
}

const key = (i: number | string) => new Aerospike.Key('test', 'dev', i);

/** Longest a test waits for the node's background work (defragmentation, the 1 s ticker), real time. */
const BACKGROUND_DEADLINE_MS = 10_000;

/** Kills the node with SIGKILL (no clean shutdown) and starts it again on the same files. */
async function crashAndRestart(s: StratoProcess, c: any, conf: string): Promise<{ s: StratoProcess; c: any }> {
  s.proc.kill('SIGKILL');
  await s.stop();
  try {
    await c.close(false);
  } catch {
    // the node is gone
  }
  const s2 = await startStrato({ config: conf });
  return { s: s2, c: await connect(s2.port) };
}

// each test starts its own node: one that fails half-way must not leave it to the next test
afterEach(() => stopStarted());

test('records of every type come back after a restart, newest version and generation included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-dev-'));
  try {
    const conf = deviceConfig(dir);
    let s = await startStrato({ config: conf });
    let c = await connect(s.port);
    const bins = { i: 7, f: 2.5, s: 'text', b: Buffer.from([1, 2, 3]), l: [1, 'a'], m: { k: 1 }, t: true };
    for (let i = 0; i < 300; i++) await c.put(key(i), { ...bins, n: i }, {}, new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND }));
    await c.put(key(5), { ...bins, n: 555 });
    await c.remove(key(6));
    await c.close(false);
    assert.equal(await s.stop(), 0);
    s = await startStrato({ config: conf });
    c = await connect(s.port);
    const r = await c.get(key(5));
    assert.equal(r.bins.n, 555);
    assert.equal(r.gen, 2);
    assert.deepEqual({ ...r.bins, n: undefined }, { ...bins, n: undefined });
    assert.equal((await c.get(key(299))).bins.n, 299);
    // an expunged record may come back after a cold start, as Aerospike documents for non-durable deletes
    assert.equal(await nsStat(c, 'objects') >= 299, true);
    assert.match(s.output(), /cold start loaded \d+ records/);
    await c.close(false);
    await s.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a durable delete leaves a tombstone that keeps the record deleted across a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-dev-'));
  try {
    const conf = deviceConfig(dir);
    let s = await startStrato({ config: conf });
    let c = await connect(s.port);
    await c.put(key('durable'), { a: 1 });
    await c.put(key('durable'), { a: 2 });
    await c.remove(key('durable'), { durableDelete: true });
    assert.equal(await c.exists(key('durable')), false);
    assert.equal(await nsStat(c, 'tombstones'), 1);
    assert.equal(await nsStat(c, 'objects'), 0);
    await c.close(false);
    await s.stop();
    s = await startStrato({ config: conf });
    c = await connect(s.port);
    assert.equal(await c.exists(key('durable')), false, 'the tombstone hides the older copies');
    assert.equal(await nsStat(c, 'tombstones'), 1);
    // a new write takes over the tombstone and continues its generation
    await c.put(key('durable'), { a: 3 });
    const r = await c.get(key('durable'));
    assert.equal(r.bins.a, 3);
    assert.equal(r.gen, 4);
    assert.equal(await nsStat(c, 'tombstones'), 0);
    await c.close(false);
    await s.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('update churn triggers defragmentation that frees and reuses write blocks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-dev-'));
  try {
    const s = await startStrato({ config: deviceConfig(dir, '    defrag-sleep 0') });
    const c = await connect(s.port);
    const blob = Buffer.alloc(2000, 7);
    // 8 MiB file; ~24 MiB of random updates to 500 keys only fit if defrag reclaims blocks,
    // and random keys leave blocks partly live, so defrag has records to move
    let seed = 12345;
    const last = new Map<number, number>();
    for (let n = 0; n < 12_000; n++) {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      const i = seed % 500;
      await c.put(key(i), { b: blob, n });
      last.set(i, n);
    }
    // the defragmenter and the ticker run on the node's own timers: wait (bounded) until both have
    const tickerLine = /device \S+test\.dat: used \d+, contig-free \d+M \(\d+ wblocks\), swb-free \d+, n-w 0, w-q \d+ w-tot \d+ \([\d.]+\/s\), defrag-q \d+ defrag-tot \d+ \([\d.]+\/s\)/;
    const deadline = Date.now() + BACKGROUND_DEADLINE_MS;
    while (!((await nsStat(c, 'defrag_reads')) > 0 && (await nsStat(c, 'defrag_writes')) > 0 && tickerLine.test(s.output())) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok((await nsStat(c, 'defrag_reads')) > 0, 'defrag read blocks');
    assert.ok((await nsStat(c, 'defrag_writes')) > 0, 'defrag moved live records');
    assert.ok((await nsStat(c, 'device_bytes_written')) > 8 * 1024 * 1024, 'freed blocks were reused');
    assert.ok((await nsStat(c, 'device_available_pct')) > 10);
    for (const [i, n] of [...last].slice(0, 50)) assert.equal((await c.get(key(i))).bins.n, n);
    // the periodic per-device line of the defragmentation document
    assert.match(s.output(), tickerLine);
    await c.close(false);
    await s.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a full device refuses writes with OUT_OF_SPACE, allows deletes, and recovers after defrag', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-dev-'));
  try {
    const s = await startStrato({ config: deviceConfig(dir, '    defrag-sleep 0'), env: { STRATO_TEST_HOOKS: '1' } });
    const c = await connect(s.port);
    const blob = Buffer.alloc(8000, 1);
    let code = 0;
    let written = 0;
    while (code === 0 && written < 2000) {
      code = await resultCode(c.put(key(written), { b: blob }));
      if (code === 0) written++;
      // stop-writes is re-checked once a second of the node's clock: move it instead of sleeping
      if (written % 100 === 0) await c.infoAny('strato-test-clock:advance-sec=2');
    }
    assert.equal(code, Aerospike.status.ERR_SERVER_FULL);
    for (let i = 0; i < written; i++) await c.remove(key(i));
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ok = (await resultCode(c.put(key('after'), { b: blob }))) === 0;
    }
    assert.ok(ok, 'writes resume once defrag frees space');
    await c.close(false);
    await s.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with commit-to-device every acknowledged write survives kill -9', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-dev-'));
  try {
    const conf = deviceConfig(dir, '    commit-to-device true');
    let s = await startStrato({ config: conf });
    let c = await connect(s.port);
    const acked: number[] = [];
    for (let i = 0; i < 200; i++) {
      await c.put(key(i), { n: i });
      acked.push(i);
    }
    ({ s, c } = await crashAndRestart(s, c, conf));
    for (const i of acked) assert.equal((await c.get(key(i))).bins.n, i);
    await c.close(false);
    await s.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without commit-to-device nothing older than the flush window is lost to kill -9', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-dev-'));
  try {
    const conf = deviceConfig(dir);
    let s = await startStrato({ config: conf });
    let c = await connect(s.port);
    for (let i = 0; i < 200; i++) await c.put(key(i), { n: i });
    // flush-max-ms is 50: after a few windows everything acknowledged so far is on disk
    await new Promise((r) => setTimeout(r, 400));
    for (let i = 200; i < 220; i++) await c.put(key(i), { n: i });
    ({ s, c } = await crashAndRestart(s, c, conf));
    for (let i = 0; i < 200; i++) assert.equal((await c.get(key(i))).bins.n, i);
    await c.close(false);
    await s.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupted block is skipped at restart and the node serves the rest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-dev-'));
  try {
    const conf = deviceConfig(dir);
    let s = await startStrato({ config: conf });
    let c = await connect(s.port);
    for (let i = 0; i < 400; i++) await c.put(key(i), { b: Buffer.alloc(1000, i % 256), n: i });
    await c.close(false);
    await s.stop();
    // overwrite the middle of the first write block with garbage
    const file = join(dir, 'test.dat');
    assert.ok(statSync(file).size > 0);
    const fd = openSync(file, 'r+');
    // block 0 is the file header; records start in block 1 (write blocks of 128 KiB)
    writeSync(fd, Buffer.alloc(4096, 0xee), 0, 4096, 128 * 1024 + 40_000);
    closeSync(fd);
    s = await startStrato({ config: conf });
    c = await connect(s.port);
    const objects = await nsStat(c, 'objects');
    assert.ok(objects > 300 && objects < 400, `objects ${objects}`);
    let found = 0;
    for (let i = 0; i < 400; i++) {
      const r = await c.get(key(i)).catch(() => undefined);
      if (r) {
        assert.equal(r.bins.n, i);
        found++;
      }
    }
    assert.equal(found, objects);
    await c.close(false);
    await s.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
