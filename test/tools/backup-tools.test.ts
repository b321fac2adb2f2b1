/**
 * asbackup and asrestore as a user runs them (bin/*.js child processes) against real strato
 * processes: a source node with data written by the official client, and a destination node the
 * backups are restored into.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { readBackup } from '../helpers/backup-files.js';
import type { BackupRecord } from '../../src/tools/backup/record.js';
import { ROOT } from '../helpers/paths.js';
import { connectClient } from '../helpers/client.js';

const ASBACKUP = join(ROOT, 'bin', 'asbackup.js');
const ASRESTORE = join(ROOT, 'bin', 'asrestore.js');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'backup');

const CONFIG = `
service {
  cluster-name backup-test
}
namespace test {
  replication-factor 1
  nsup-period 120
  storage-engine memory {
    data-size 1G
  }
}
namespace bar {
  replication-factor 1
  nsup-period 120
  storage-engine memory {
    data-size 1G
  }
}
`;

let src: StratoProcess;
let dst: StratoProcess;
let srcClient: any;
let dstClient: any;
let work: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(tool: string, args: string[], opts: { env?: Record<string, string>; input?: Buffer } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [tool, ...args], { env: { ...process.env, ...opts.env }, maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: stdout.toString('latin1'), stderr: stderr.toString() });
    });
    if (opts.input) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

const backup = (port: number, args: string[], opts?: { env?: Record<string, string> }) => run(ASBACKUP, ['-h', '127.0.0.1', '-p', String(port), ...args], opts);
const restore = (port: number, args: string[], opts?: { env?: Record<string, string>; input?: Buffer }) => run(ASRESTORE, ['-h', '127.0.0.1', '-p', String(port), ...args], opts);

function dir(name: string): string {
  return join(work, name);
}

function binsOf(r: BackupRecord): Record<string, string> {
  const o: Record<string, string> = {};
  for (const b of [...r.bins].sort((a, c) => a.name.localeCompare(c.name))) o[b.name] = `${b.type}:${b.value.toString('hex')}`;
  return o;
}

async function truncate(client: any, ns: string): Promise<void> {
  await client.infoAll(`truncate-namespace:namespace=${ns}`);
}

const k = (set: string, i: number | string, ns = 'test') => new Aerospike.Key(ns, set, i);

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'backup-tools-'));
  [src, dst] = await Promise.all([startStrato({ config: CONFIG }), startStrato({ config: CONFIG })]);
  const connect = (port: number) => connectClient({ hosts: [{ addr: '127.0.0.1', port }], log: { level: -1 } as any });
  [srcClient, dstClient] = await Promise.all([connect(src.port), connect(dst.port)]);
  const send = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
  // the client allows 100 commands in flight per node: queue them and run 50 at a time
  const puts: (() => Promise<unknown>)[] = [];
  for (let i = 0; i < 40; i++) {
    puts.push(() =>
      srcClient.put(
        k('types', i),
        {
          i: i * 1000003 - 5,
          d: i + 0.25,
          s: `string ${i} with spaces\nand a newline`,
          b: Buffer.from([i, 0, 255, 10]),
          t: i % 2 === 0,
          l: [i, 'x', [1.5, 'y'], { k: i }],
          m: { a: i, b: 'two', c: [1, 2] },
          g: new Aerospike.GeoJSON({ type: 'Point', coordinates: [i / 10, 45] }),
          'bin name': 'escaped',
        },
        {},
        send,
      ),
    );
  }
  for (let i = 0; i < 10; i++) puts.push(() => srcClient.put(k('ttl', i), { v: i }, { ttl: 5000 + i }, send));
  for (let i = 0; i < 10; i++) puts.push(() => srcClient.put(k('other', `o${i}`), { v: i, w: 'keep' }));
  const big = 'z'.repeat(1000);
  for (let i = 0; i < 1200; i++) puts.push(() => srcClient.put(k('big', i), { v: big, n: i }, {}, send));
  for (let i = 0; i < puts.length; i += 50) await Promise.all(puts.slice(i, i + 50).map((p) => p()));
  for (let i = 0; i < 40; i++) await srcClient.operate(k('types', i), [Aerospike.hll.add('h', [`a${i}`, 'b', 'c'], 8)]);
  // generation 3 on the source
  for (let i = 0; i < 5; i++) for (let n = 0; n < 3; n++) await srcClient.put(k('gen', i), { v: `src${n}`, only_src: 1 }, {}, send);
});

after(async () => {
  await srcClient?.close(false);
  await dstClient?.close(false);
  await Promise.all([src?.stop(), dst?.stop()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

test('a directory backup restores every bin type, key, set and void-time into another node', async () => {
  const a = await backup(src.port, ['-n', 'test', '-d', dir('full'), '-w', '4']);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stderr, /Backed up 1265 record\(s\), 0 secondary index\(es\), 0 UDF file\(s\)/);
  // one file per worker, the first one marked
  const files = readdirSync(dir('full')).sort();
  assert.deepEqual(files, ['test_00000.asb', 'test_00001.asb', 'test_00002.asb', 'test_00003.asb']);
  assert.ok(readFileSync(join(dir('full'), files[0]!), 'latin1').startsWith('Version 3.1\n# namespace test\n# first-file\n'));
  const r = await restore(dst.port, ['-d', dir('full')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /inserted 1265: failed 0/);
  const b = await backup(dst.port, ['-n', 'test', '-d', dir('full-again'), '-w', '2']);
  assert.equal(b.code, 0, b.stderr);
  const before = await readBackup(dir('full'));
  const afterRestore = await readBackup(dir('full-again'));
  assert.equal(afterRestore.size, before.size);
  const types = new Set<number>();
  for (const [digest, rec] of before) {
    const again = afterRestore.get(digest)!;
    assert.ok(again, `record ${digest} restored`);
    assert.deepEqual(binsOf(again), binsOf(rec));
    assert.deepEqual(again.key, rec.key);
    assert.equal(again.set, rec.set);
    assert.ok(Math.abs(again.voidTime - rec.voidTime) <= 1, 'void-time kept');
    for (const bin of rec.bins) types.add(bin.type);
  }
  // int, double, string, blob, bool-or-int, list, map, GeoJSON and HLL all went through
  for (const t of [1, 2, 3, 4, 18, 19, 20, 23]) assert.ok(types.has(t), `particle type ${t} in the backup`);
  await truncate(dstClient, 'test');
});

test('a backup to stdout restores from stdin into another namespace (-n src,dst)', async () => {
  const a = await backup(src.port, ['-n', 'test', '-s', 'other', '-o', '-']);
  assert.equal(a.code, 0, a.stderr);
  assert.ok(a.stdout.startsWith('Version 3.1\n# namespace test\n# first-file\n'));
  const r = await restore(dst.port, ['-i', '-', '-n', 'test,bar'], { input: Buffer.from(a.stdout, 'latin1') });
  assert.equal(r.code, 0, r.stderr);
  const rec = await dstClient.get(k('other', 'o3', 'bar'));
  assert.deepEqual(rec.bins, { v: 3, w: 'keep' });
  await assert.rejects(dstClient.get(k('other', 'o3', 'test')), (e: any) => e.code === Aerospike.status.ERR_RECORD_NOT_FOUND);
  await truncate(dstClient, 'bar');
});

test('--extra-ttl moves every void-time later; records without TTL stay never-expiring', async () => {
  const a = await backup(src.port, ['-n', 'test', '-s', 'ttl', '-o', dir('ttl.asb')]);
  assert.equal(a.code, 0, a.stderr);
  const r = await restore(dst.port, ['-i', dir('ttl.asb'), '-l', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const orig = await srcClient.get(k('ttl', 4));
  const moved = await dstClient.get(k('ttl', 4));
  assert.ok(Math.abs(moved.ttl - (orig.ttl + 1000)) <= 2, `ttl ${moved.ttl} vs ${orig.ttl} + 1000`);
  await truncate(dstClient, 'test');
});

test('write policies: generation wins by default, --no-generation updates, --replace drops bins, --unique only creates', async () => {
  const a = await backup(src.port, ['-n', 'test', '-s', 'gen', '-o', dir('gen.asb')]);
  assert.equal(a.code, 0, a.stderr);
  // the destination holds gen 0..4 at generation 5, with a bin the backup does not have
  for (let i = 0; i < 4; i++) for (let n = 0; n < 5; n++) await dstClient.put(k('gen', i), { v: `dst${n}`, only_dst: 1 });

  const def = await restore(dst.port, ['-i', dir('gen.asb')]);
  assert.equal(def.code, 0, def.stderr);
  assert.match(def.stderr, /inserted 1: failed 4 \(existed 0 , fresher 4\)/);
  assert.equal((await dstClient.get(k('gen', 0))).bins.v, 'dst4');

  const uniq = await restore(dst.port, ['-i', dir('gen.asb'), '-u']);
  assert.equal(uniq.code, 0, uniq.stderr);
  assert.match(uniq.stderr, /inserted 0: failed 5/);
  assert.equal((await dstClient.get(k('gen', 0))).bins.v, 'dst4');

  const nogen = await restore(dst.port, ['-i', dir('gen.asb'), '-g']);
  assert.equal(nogen.code, 0, nogen.stderr);
  assert.match(nogen.stderr, /inserted 5: failed 0/);
  assert.deepEqual((await dstClient.get(k('gen', 0))).bins, { v: 'src2', only_src: 1, only_dst: 1 });

  const repl = await restore(dst.port, ['-i', dir('gen.asb'), '-r', '-g']);
  assert.equal(repl.code, 0, repl.stderr);
  assert.deepEqual((await dstClient.get(k('gen', 1))).bins, { v: 'src2', only_src: 1 });
  await truncate(dstClient, 'test');
});

test('sets and bin lists select what is backed up and what is restored', async () => {
  const a = await backup(src.port, ['-n', 'test', '-s', 'types', '-B', 'i,v', '-d', dir('sel')]);
  assert.equal(a.code, 0, a.stderr);
  const recs = await readBackup(dir('sel'));
  assert.equal(recs.size, 40);
  for (const r of recs.values()) {
    assert.equal(r.set, 'types');
    assert.deepEqual(r.bins.map((b) => b.name), ['i']);
  }
  const b = await backup(src.port, ['-n', 'test', '-s', 'other', '-d', dir('sel2')]);
  assert.equal(b.code, 0, b.stderr);
  const r = await restore(dst.port, ['-d', dir('sel2'), '-s', 'other', '-B', 'v']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /inserted 10: failed 0/);
  assert.deepEqual((await dstClient.get(k('other', 'o1'))).bins, { v: 1 });
  const skip = await restore(dst.port, ['-d', dir('sel2'), '-s', 'types']);
  assert.match(skip.stderr, /skipped 10 : err_ignored 0 : inserted 0/);
  await truncate(dstClient, 'test');
});

test('several sets are backed up through a set-name filter expression (or the server refusal is reported)', async () => {
  const a = await backup(src.port, ['-n', 'test', '-s', 'types,other', '-d', dir('multi')]);
  if (a.code !== 0) {
    // a node without filter expressions answers UNSUPPORTED_FEATURE (16)
    assert.match(a.stderr, /result code 16.*filter expressions/);
    return;
  }
  const recs = await readBackup(dir('multi'));
  assert.equal(recs.size, 50);
  assert.ok([...recs.values()].every((r) => r.set === 'types' || r.set === 'other'));
});

test('--file-limit rolls a worker over to new numbered files, each with the header', async () => {
  const a = await backup(src.port, ['-n', 'test', '-s', 'big', '-d', dir('roll'), '-F', '1']);
  assert.equal(a.code, 0, a.stderr);
  const files = readdirSync(dir('roll')).sort();
  assert.deepEqual(files, ['test_00000.asb', 'test_00001.asb']);
  assert.ok(readFileSync(join(dir('roll'), files[0]!)).length >= 1024 * 1024);
  assert.ok(readFileSync(join(dir('roll'), files[1]!), 'latin1').startsWith('Version 3.1\n# namespace test\n+ '));
  const r = await restore(dst.port, ['-d', dir('roll'), '--disable-batch-writes']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /inserted 1200: failed 0/);
  await truncate(dstClient, 'test');
});

test('an encrypted backup (aes256, key file) restores only with the same key; aes128 with an env key too', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  writeFileSync(dir('key.pem'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
  const a = await backup(src.port, ['-n', 'test', '-s', 'other', '-o', dir('enc.asb'), '-y', 'aes256', '--encryption-key-file', dir('key.pem')]);
  assert.equal(a.code, 0, a.stderr);
  assert.ok(!readFileSync(dir('enc.asb')).includes('Version 3.1'));
  const r = await restore(dst.port, ['-i', dir('enc.asb'), '-y', 'aes256', '--encryption-key-file', dir('key.pem')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /inserted 10: failed 0/);
  const plain = await restore(dst.port, ['-i', dir('enc.asb')]);
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /invalid version line/);
  const env = { BACKUP_KEY: Buffer.from('a secret of any length').toString('base64') };
  const b = await backup(src.port, ['-n', 'test', '-s', 'other', '-d', dir('enc-dir'), '-y', 'aes128', '--encryption-key-env', 'BACKUP_KEY'], { env });
  assert.equal(b.code, 0, b.stderr);
  const r2 = await restore(dst.port, ['-d', dir('enc-dir'), '-y', 'aes128', '--encryption-key-env', 'BACKUP_KEY', '-n', 'test,bar'], { env });
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stderr, /inserted 10: failed 0/);
  await truncate(dstClient, 'test');
  await truncate(dstClient, 'bar');
});

test('-z zstd compresses when the zstd packages are installed, and otherwise says which to install', async () => {
  const a = await backup(src.port, ['-n', 'test', '-s', 'big', '-o', dir('z.asb'), '-z', 'zstd', '--compression-level', '5']);
  if (a.code !== 0) {
    assert.equal(a.code, 1);
    assert.match(a.stderr, /zstd compression needs the npm package "@bokuweb\/zstd-wasm".*npm install @bokuweb\/zstd-wasm fzstd/);
    return;
  }
  assert.ok(readFileSync(dir('z.asb')).length < 200 * 1024, 'repetitive data compresses');
  const r = await restore(dst.port, ['-i', dir('z.asb'), '-z', 'zstd']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /inserted 1200: failed 0/);
  await truncate(dstClient, 'test');
});

test('a backup stopped by --max-records saves its state, and --continue backs up the rest exactly once', async () => {
  const a = await backup(src.port, ['-n', 'test', '-d', dir('resume'), '-w', '3', '-M', '500']);
  assert.equal(a.code, 0, a.stderr);
  const state = join(dir('resume'), 'test.asb.state');
  assert.ok(existsSync(state));
  assert.match(a.stderr, /to resume, run backup with `--continue .*test\.asb\.state`/);
  assert.equal((await readBackup(dir('resume'))).size, 500);
  const b = await backup(src.port, ['-n', 'test', '-d', dir('resume'), '-w', '3', '-c', state]);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stderr, /Backed up 1265 record\(s\)/);
  assert.ok(!existsSync(state), 'a completed backup removes its state file');
  const all = await readBackup(dir('resume'));
  assert.equal(all.size, 1265);
});

test('an interrupted backup (SIGINT) resumes with --continue to a complete single file', async () => {
  const file = dir('int.asb');
  const child = spawn(process.execPath, [ASBACKUP, '-p', String(src.port), '-n', 'test', '-o', file, '-L', '500', '-y', 'aes128', '--encryption-key-file', dir('key.pem')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, STRATO_TOOLS_PROGRESS_MS: '200' },
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  // interrupt once the scan runs and has reported progress (a line every 200 ms here, records
  // paced at 500 a second), well before it can finish
  const progressLine = /\d+% complete, [1-9]\d* record\(s\), \d+ byte\(s\) \(~\d+ KiB\/s, ~\d+ rec\/s, ~\d+ B\/rec\), ~\S+ remaining/;
  const t0 = Date.now();
  while (!progressLine.test(err) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  assert.equal(code, 1, err);
  assert.match(err, /Backup interrupted/);
  // progress lines: records, bytes, rates and the time left
  assert.match(err, /\d+% complete, \d+ record\(s\), \d+ byte\(s\) \(~\d+ KiB\/s, ~\d+ rec\/s, ~\d+ B\/rec\), ~\S+ remaining/);
  assert.ok(existsSync(`${file}.state`), err);
  const b = await backup(src.port, ['-n', 'test', '-o', file, '-c', `${file}.state`, '-y', 'aes128', '--encryption-key-file', dir('key.pem')]);
  assert.equal(b.code, 0, b.stderr);
  const r = await restore(dst.port, ['-i', file, '-y', 'aes128', '--encryption-key-file', dir('key.pem')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /1265 record\(s\)/);
  assert.match(r.stderr, /inserted 1265: failed 0/);
  await truncate(dstClient, 'test');
});

test('a malformed line stops the restore naming file and line; --ignore-record-error skips that record', async () => {
  const corrupt = join(FIXTURES, 'corrupt.asb');
  const a = await restore(dst.port, ['-i', corrupt]);
  assert.equal(a.code, 1);
  assert.match(a.stderr, /corrupt\.asb:18: invalid integer value "12x"/);
  const b = await restore(dst.port, ['-i', corrupt, '--ignore-record-error']);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stderr, /err_ignored 1 : inserted 2/);
  await truncate(dstClient, 'test');
});

test('index and UDF lines are sent as sindex-create / udf-put, and the server refusal is reported', async () => {
  const fixture = join(FIXTURES, 'all-types.asb');
  // the fixture's last index carries a context that is not a CDT context (kwGRAQ== is a
  // truncated list): the server refuses it as Aerospike 8.1.2 does, after creating the others
  const a = await restore(dst.port, ['-i', fixture]);
  assert.equal(a.code, 1);
  assert.match(a.stderr, /Error while creating index test:idx loc: server answered "ERROR:4:'context' invalid cdt context"/);
  assert.match(await dstClient.infoAny('sindex-list:ns=test'), /indexname=idx_age:set=demo:bin=age:type=numeric/);
  // Strato has UDFs: the module is registered; the record whose void-time lies beyond ten years
  // from now is refused by the server (PARAMETER), as Aerospike refuses such a TTL
  const b = await restore(dst.port, ['-i', fixture, '-I']);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /Error while storing record - code 4/);
  for (const name of ['idx_age', 'idx_name', 'idx_tags']) await dstClient.infoAny(`sindex-delete:namespace=test;indexname=${name}`);
  assert.match(await dstClient.infoAny('udf-list'), /filename=hello\.lua/);
  // records of every file type, HLL and language blobs included, go through with -I -F
  const c = await restore(dst.port, ['-i', fixture, '-I', '-F', '-s', 'demo']);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stderr, /Expired 2 : skipped 2 : err_ignored 0 : inserted 1/);
  const d = await backup(dst.port, ['-n', 'test', '-s', 'demo', '-o', dir('fixture-again.asb')]);
  assert.equal(d.code, 0, d.stderr);
  const orig = [...(await readBackup(fixture)).values()][0]!;
  const again = [...(await readBackup(dir('fixture-again.asb'))).values()][0]!;
  orig.bins = orig.bins.filter((b) => b.type !== 0); // a nil bin deletes the bin
  assert.deepEqual(binsOf(again), binsOf(orig));
  await truncate(dstClient, 'test');
});

test('--estimate samples records and prints the average record size and the estimated backup size', async () => {
  const a = await backup(src.port, ['-n', 'test', '-e', '--estimate-samples', '100']);
  assert.equal(a.code, 0, a.stderr);
  const avg = Number(/average record size is (\d+) byte/.exec(a.stderr)![1]);
  const est = Number(/Estimated total backup size for 1265 record\(s\): (\d+) byte/.exec(a.stderr)![1]);
  assert.match(a.stderr, /Sampled 100 record\(s\)/);
  assert.ok(Math.abs(est - 1265 * avg * 1.1) < 1265 * 1.1 * 1.5, `${est} vs ${avg}`);
});

test('a directory with backup files is refused without -r, and an unknown namespace fails', async () => {
  const a = await backup(src.port, ['-n', 'test', '-s', 'other', '-d', dir('sel')]);
  assert.equal(a.code, 1);
  assert.match(a.stderr, /already contains \d+ backup file\(s\); use -r/);
  const b = await backup(src.port, ['-n', 'nope', '-d', dir('nope')]);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /Namespace nope does not exist/);
});
