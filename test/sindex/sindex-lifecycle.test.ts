/**
 * Secondary indexes across a record's and a node's life, through the official client against
 * real strato processes: expiry (the node's clock moved by test hooks, no sleeps), a kill -9 and
 * cold start of a device namespace (definitions from system metadata, entries rebuilt from the
 * restored records), and asbackup / asrestore carrying index definitions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { ROOT } from '../helpers/paths.js';
import { connectClient } from '../helpers/client.js';

async function connect(port: number): Promise<any> {
  return connectClient({ hosts: [{ addr: '127.0.0.1', port }], log: { level: -1 } as any });
}

async function rangeKeys(client: any, set: string, bin: string, lo: number, hi: number): Promise<number[]> {
  const q = client.query('test', set);
  q.where(Aerospike.filter.range(bin, lo, hi));
  const recs = await q.results();
  return recs.map((r: any) => r.key.key as number).sort((a: number, b: number) => a - b);
}

async function waitFor(what: string, fn: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('expired records leave the index: queries stop returning them and the entries are reclaimed', async () => {
  const server = await startStrato({ env: { STRATO_TEST_HOOKS: '1' } });
  const client = await connect(server.port);
  try {
    const host = { addr: '127.0.0.1', port: server.port };
    const policy = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
    for (let i = 0; i < 20; i++) await client.put(new Aerospike.Key('test', 'exp', i), { n: i }, { ttl: i < 10 ? 100 : 0 }, policy);
    await (await client.createIntegerIndex({ ns: 'test', set: 'exp', bin: 'n', index: 'exp_n' })).wait(10);
    assert.equal((await rangeKeys(client, 'exp', 'n', 0, 100)).length, 20);
    await client.info('strato-test-clock:advance-sec=101', host);
    // expired records are gone for clients at once, before nsup reclaims them
    assert.deepEqual(await rangeKeys(client, 'exp', 'n', 0, 100), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    await client.info('strato-test-nsup:namespace=test', host);
    await waitFor('nsup to reclaim the expired entries', async () => /entries=10;/.test(await client.info('sindex-stat:namespace=test;indexname=exp_n', host)));
  } finally {
    await client.close(false);
    await server.stop();
  }
});

function deviceConfig(dir: string): string {
  return `
service {
  cluster-name sindex-device
  work-directory ${dir}
}
namespace test {
  nsup-period 60
  max-record-size 128K
  storage-engine device {
    file ${dir}/test.dat
    filesize 16M
    write-block-size 128K
    flush-max-ms 50
    commit-to-device true
  }
}
`;
}

test('after kill -9 a device namespace cold-starts with its index definitions and rebuilt entries', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-sindex-dev-'));
  let server: StratoProcess | undefined;
  let client: any;
  try {
    server = await startStrato({ config: deviceConfig(dir) });
    client = await connect(server.port);
    const policy = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
    await (await client.createIntegerIndex({ ns: 'test', set: 'dev', bin: 'n', index: 'dev_n' })).wait(10);
    await (await client.createStringIndex({ ns: 'test', set: 'dev', bin: 's', index: 'dev_s' })).wait(10);
    // written after the index exists: the index is kept by the writes, then rebuilt at cold start
    for (let i = 0; i < 50; i++) await client.put(new Aerospike.Key('test', 'dev', i), { n: i, s: `s${i % 3}` }, {}, policy);
    await client.put(new Aerospike.Key('test', 'dev', 7), { n: 1007, s: 'moved' }, {}, policy);
    // a durable delete (a plain one comes back at cold start on a device, as in Aerospike CE)
    await client.remove(new Aerospike.Key('test', 'dev', 8), new Aerospike.RemovePolicy({ durableDelete: true }));
    server.proc.kill('SIGKILL');
    await server.stop();
    await client.close(false);
    server = await startStrato({ config: deviceConfig(dir) });
    client = await connect(server.port);
    const host = { addr: '127.0.0.1', port: server.port };
    await waitFor('the indexes to be rebuilt', async () => /load_pct=100/.test(await client.info('sindex-stat:namespace=test;indexname=dev_s', host)));
    const list = await client.info('sindex-list:ns=test', host);
    assert.match(list, /indexname=dev_n:set=dev:bin=n:type=numeric/);
    const want = [...Array(50).keys()].filter((i) => i !== 7 && i !== 8);
    assert.deepEqual(await rangeKeys(client, 'dev', 'n', 0, 49), want);
    assert.deepEqual(await rangeKeys(client, 'dev', 'n', 1007, 1007), [7]);
    const q = client.query('test', 'dev');
    q.where(Aerospike.filter.equal('s', 'moved'));
    assert.deepEqual((await q.results()).map((r: any) => r.key.key), [7]);
  } finally {
    await client?.close(false);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

function runTool(tool: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin', tool), ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

test('asbackup writes index definitions and asrestore recreates them by default', async () => {
  const work = mkdtempSync(join(tmpdir(), 'strato-sindex-backup-'));
  const src = await startStrato();
  const dst = await startStrato();
  const a = await connect(src.port);
  const b = await connect(dst.port);
  try {
    const policy = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
    for (let i = 0; i < 30; i++) await a.put(new Aerospike.Key('test', 'bk', i), { n: i, l: [i, i * 2] }, {}, policy);
    await (await a.createIntegerIndex({ ns: 'test', set: 'bk', bin: 'n', index: 'bk_n' })).wait(10);
    await (await a.createIndex({ ns: 'test', set: 'bk', bin: 'l', index: 'bk_l', type: Aerospike.indexType.LIST, datatype: Aerospike.indexDataType.NUMERIC })).wait(10);
    const backup = await runTool('asbackup', ['-h', '127.0.0.1', '-p', String(src.port), '-n', 'test', '-d', join(work, 'bk')]);
    assert.equal(backup.code, 0, backup.out);
    const text = readdirSync(join(work, 'bk')).map((f) => readFileSync(join(work, 'bk', f), 'latin1')).join('');
    assert.match(text, /^\* i test bk bk_n N 1 n N$/m);
    assert.match(text, /^\* i test bk bk_l L 1 l N$/m);
    const restore = await runTool('asrestore', ['-h', '127.0.0.1', '-p', String(dst.port), '-d', join(work, 'bk')]);
    assert.equal(restore.code, 0, restore.out);
    const host = { addr: '127.0.0.1', port: dst.port };
    await waitFor('the restored index', async () => /load_pct=100/.test(await b.info('sindex-stat:namespace=test;indexname=bk_l', host)));
    assert.deepEqual(await rangeKeys(b, 'bk', 'n', 10, 14), [10, 11, 12, 13, 14]);
    const q = b.query('test', 'bk');
    q.where(Aerospike.filter.contains('l', 40, Aerospike.indexType.LIST));
    assert.deepEqual((await q.results()).map((r: any) => r.key.key).sort((x: number, y: number) => x - y), [20]);
  } finally {
    await a.close(false);
    await b.close(false);
    await src.stop();
    await dst.stop();
    rmSync(work, { recursive: true, force: true });
  }
});

test('while an index is populating it is listed WO, reports load_pct below 100 and queries answer INDEX_NOT_READABLE', async () => {
  const server = await startStrato();
  const client = await connect(server.port);
  try {
    const host = { addr: '127.0.0.1', port: server.port };
    // enough records that population takes many 4 ms slices, written 64 at a time
    const N = 40_000;
    for (let i = 0; i < N; i += 64) {
      const batch: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(N, i + 64); j++) batch.push(client.put(new Aerospike.Key('test', 'build', j), { s: `value-${j % 100}` }));
      await Promise.all(batch);
    }
    // one request: the create, then at once the list, the stat and (below) a query
    const answer: string = await client.info('sindex-create:namespace=test;set=build;indexname=build_s;bin=s;type=string\nsindex-list:ns=test\nsindex-stat:namespace=test;indexname=build_s', host);
    assert.match(answer, /indexname=build_s:set=build:bin=s:type=string:indextype=default:context=null:exp=null:state=WO/);
    assert.match(answer, /load_pct=(\d|[1-9]\d);/);
    const q = client.query('test', 'build');
    q.where(Aerospike.filter.equal('s', 'value-7'));
    await assert.rejects(q.results(), (e: any) => e.code === 203);
    await waitFor('population', async () => /load_pct=100/.test(await client.info('sindex-stat:namespace=test;indexname=build_s', host)));
    const q2 = client.query('test', 'build');
    q2.where(Aerospike.filter.equal('s', 'value-7'));
    assert.equal((await q2.results()).length, N / 100);
  } finally {
    await client.close(false);
    await server.stop();
  }
});
