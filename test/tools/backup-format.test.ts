/**
 * The text backup format "Version 3.1" without a server: hand-written fixtures decode and
 * re-encode byte for byte, random records survive encode → decode, malformed input is reported
 * with file and line, and the pieces around the format (doubles as %.17g, partition planning,
 * the state file, encryption, argument rules) behave as Aerospike's tools do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { BackupDecoder, BackupParseError, NeedMore } from '../../src/tools/backup/text-decoder.js';
import { ByteWriter, encodeHeader, encodeItem } from '../../src/tools/backup/text-encoder.js';
import type { BackupItem, BackupRecord } from '../../src/tools/backup/record.js';
import { escapeName, formatDouble, parseDouble, unescapeName } from '../../src/tools/backup/text-scalars.js';
import { BackupFileReader } from '../../src/tools/backup/file-reader.js';
import { DirectoryOutput } from '../../src/tools/backup/backup-output.js';
import { applyState, parseAfterDigest, parsePartitionList, planJobs, stateOfJobs } from '../../src/tools/backup/partition-plan.js';
import { loadState, saveState } from '../../src/tools/backup/state-file.js';
import { createDecryptor, createEncryptor } from '../../src/tools/backup/encryption.js';
import { parseBackupArgs } from '../../src/tools/backup/backup-args.js';
import { parseRestoreArgs } from '../../src/tools/backup/restore-args.js';
import { UsageError } from '../../src/tools/cli-args.js';
import { buildFilter } from '../../src/tools/backup/filter-exp.js';
import { ttlFor } from '../../src/tools/backup/restore.js';
import { parseSIndexInfo, sindexCreateCommand } from '../../src/tools/backup/info-items.js';
import { FIXTURES as FIXTURE_ROOT } from '../helpers/paths.js';

const FIXTURES = join(FIXTURE_ROOT, 'backup');

/** Decodes a whole file held in memory (header, then items). */
function decodeAll(bytes: Buffer, name = 'mem.asb'): { header: ReturnType<BackupDecoder['parseHeader']>['header']; items: BackupItem[] } {
  const d = new BackupDecoder(name);
  const { header, next } = d.parseHeader(bytes, 0, bytes.length, true);
  const items: BackupItem[] = [];
  let p = next;
  for (;;) {
    const r = d.parseItem(bytes, p, bytes.length, true);
    if (!r) break;
    items.push(r.item);
    p = r.next;
  }
  return { header, items };
}

function encodeAll(namespace: string, firstFile: boolean, items: BackupItem[], compact: boolean): Buffer {
  const w = new ByteWriter();
  w.bytes(encodeHeader(namespace, firstFile));
  for (const it of items) encodeItem(w, it, compact);
  return Buffer.from(w.view());
}

for (const [file, compact] of [
  ['all-types.asb', false],
  ['compact.asb', true],
] as const) {
  test(`fixture ${file} decodes and re-encodes byte-identical`, () => {
    const bytes = readFileSync(join(FIXTURES, file));
    const { header, items } = decodeAll(bytes, file);
    assert.equal(header.namespace, 'test');
    const again = encodeAll(header.namespace!, header.firstFile, items, compact);
    assert.equal(again.toString('latin1'), bytes.toString('latin1'));
  });
}

test('the all-types fixture holds every bin type, key type, index and UDF the format has', () => {
  const { header, items } = decodeAll(readFileSync(join(FIXTURES, 'all-types.asb')));
  assert.equal(header.firstFile, true);
  const kinds = items.map((i) => i.kind);
  assert.deepEqual(kinds.slice(0, 5), ['sindex', 'sindex', 'sindex', 'sindex', 'udf']);
  const ix = items[3]!;
  assert.ok(ix.kind === 'sindex' && ix.name === 'idx loc' && ix.indexType === 'V' && ix.context === 'kwGRAQ==' && ix.paths[0]!.type === 'G');
  const emptySet = items[1]!;
  assert.ok(emptySet.kind === 'sindex' && emptySet.set === '');
  const udf = items[4]!;
  assert.ok(udf.kind === 'udf' && udf.content.toString().includes("return 'hi there'\n"));
  const r1 = items[5] as BackupRecord;
  const types = new Set(r1.bins.map((b) => b.type));
  for (const t of [0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 17, 18, 19, 20, 23]) assert.ok(types.has(t), `particle type ${t}`);
  assert.equal(r1.bins.find((b) => b.name === 'min')!.value.readBigInt64BE(0), -(2n ** 63n));
  assert.equal(r1.bins.find((b) => b.name === 'lines')!.value.toString(), 'two\nlines \\ and spaces\n');
  assert.ok(r1.bins.some((b) => b.name === 'bin name'));
  assert.ok(Object.is(r1.bins.find((b) => b.name === 'negz')!.value.readDoubleBE(0), -0));
  const keys = items.filter((i): i is BackupRecord => i.kind === 'record').map((r) => r.key?.type);
  assert.deepEqual(keys, [1, 3, 2, 4, undefined]);
  const r3 = items[7] as BackupRecord;
  assert.equal(r3.set, 'my set');
  assert.equal(r3.generation, 65535);
  assert.equal(r3.voidTime, 4294967295);
});

test('a malformed line stops decoding with the file name and its line number', () => {
  const bytes = readFileSync(join(FIXTURES, 'corrupt.asb'));
  assert.throws(
    () => decodeAll(bytes, 'corrupt.asb'),
    (e: unknown) => e instanceof BackupParseError && e.line === 18 && /^corrupt\.asb:18: invalid integer value "12x"/.test(e.message),
  );
});

test('the decoder asks for more bytes instead of failing when the window ends mid-record', () => {
  const bytes = readFileSync(join(FIXTURES, 'all-types.asb'));
  const d = new BackupDecoder('x');
  const { next } = d.parseHeader(bytes, 0, bytes.length, false);
  assert.throws(() => d.parseItem(bytes, next, next + 10, false), (e: unknown) => e instanceof NeedMore && e.needBytes > 10);
});

test('the file reader skips a malformed record with ignore-errors and reports where it was', async () => {
  const reader = new BackupFileReader(join(FIXTURES, 'corrupt.asb'), { zstd: false });
  await reader.open();
  const skipped: number[] = [];
  const got: bigint[] = [];
  for (let it = await reader.next(true, (s) => skipped.push(s.error.line)); it; it = await reader.next(true, (s) => skipped.push(s.error.line))) {
    if (it.kind === 'record') got.push(it.key!.value.readBigInt64BE(0));
  }
  await reader.close();
  assert.deepEqual(got, [1n, 3n]);
  assert.deepEqual(skipped, [18]);
});

test('doubles are written as C printf %.17g', () => {
  const cases: [number, string][] = [
    [0.1, '0.10000000000000001'],
    [1 / 3, '0.33333333333333331'],
    [1e100, '1e+100'],
    [5e-324, '4.9406564584124654e-324'],
    [123456789012345680000, '1.2345678901234568e+20'],
    [1e16, '10000000000000000'],
    [1e17, '1e+17'],
    [0.0001, '0.0001'],
    [0.00001, '1.0000000000000001e-05'],
    [-2.5, '-2.5'],
    [-0, '-0'],
    [Infinity, 'inf'],
    [NaN, 'nan'],
  ];
  for (const [x, s] of cases) assert.equal(formatDouble(x), s, String(x));
  assert.equal(parseDouble('-inf'), -Infinity);
  assert.equal(parseDouble('1e'), undefined);
  assert.equal(parseDouble('0x10'), undefined);
});

test('names escape backslash, space and line feed and unescape back', () => {
  assert.equal(escapeName('a b\\c\nd'), 'a\\ b\\\\c\\\nd');
  assert.equal(unescapeName(escapeName('a b\\c\nd')), 'a b\\c\nd');
});

const nameArb = fc.string({ minLength: 1, maxLength: 15, unit: fc.constantFrom('a', 'b', 'Z', '0', ' ', '\\', '\n', '_', 'é') });
const binArb = fc.oneof(
  fc.constant({ type: 0, value: Buffer.alloc(0) }),
  fc.boolean().map((v) => ({ type: 17, value: Buffer.from([v ? 1 : 0]) })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    return { type: 1, value: b };
  }),
  fc.double({ noNaN: true }).map((v) => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return { type: 2, value: b };
  }),
  fc.string({ maxLength: 40, unit: 'binary' }).map((s) => ({ type: 3, value: Buffer.from(s, 'utf8') })),
  fc.string({ maxLength: 40 }).map((s) => ({ type: 23, value: Buffer.from(s, 'utf8') })),
  fc
    .tuple(fc.constantFrom(4, 7, 8, 9, 10, 11, 12, 18, 19, 20), fc.uint8Array({ maxLength: 64 }))
    .map(([type, bytes]) => ({ type, value: Buffer.from(bytes) })),
);
const keyArb = fc.option(
  fc.oneof(
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(v);
      return { type: 1, value: b };
    }),
    fc.double({ noNaN: true }).map((v) => {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v);
      return { type: 2, value: b };
    }),
    fc.string({ maxLength: 30, unit: 'binary' }).map((s) => ({ type: 3, value: Buffer.from(s, 'utf8') })),
    fc.uint8Array({ maxLength: 30 }).map((u) => ({ type: 4, value: Buffer.from(u) })),
  ),
  { nil: undefined },
);
const recordArb = fc
  .record({
    key: keyArb,
    set: fc.option(nameArb, { nil: undefined }),
    digest: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    generation: fc.integer({ min: 0, max: 65535 }),
    voidTime: fc.integer({ min: 0, max: 0xffffffff }),
    bins: fc.array(fc.tuple(nameArb, binArb), { maxLength: 8 }),
  })
  .map((r): BackupRecord => {
    const rec: BackupRecord = {
      kind: 'record',
      namespace: 'test',
      digest: Buffer.from(r.digest),
      generation: r.generation,
      voidTime: r.voidTime,
      bins: r.bins.map(([name, b]) => ({ name, ...b })),
    };
    if (r.key) rec.key = r.key;
    if (r.set !== undefined) rec.set = r.set;
    return rec;
  });

test('random records encode and decode to the same record (base64 and compact)', () => {
  fc.assert(
    fc.property(fc.array(recordArb, { minLength: 1, maxLength: 5 }), fc.boolean(), (recs, compact) => {
      const bytes = encodeAll('test', false, recs, compact);
      const { items } = decodeAll(bytes);
      assert.deepEqual(items, recs);
      // and the bytes are stable: re-encoding the decoded records gives the same file
      assert.ok(encodeAll('test', false, items, compact).equals(bytes));
    }),
    { numRuns: 300 },
  );
});

test('partitions are split evenly across workers, and a partition list gives one job per filter', () => {
  const plan = planJobs(undefined, 3);
  assert.deepEqual(
    plan.jobs.map((j) => [j[0]!.pid, j.length]),
    [
      [0, 1365],
      [1365, 1365],
      [2730, 1366],
    ],
  );
  const filters = parsePartitionList('0-10,100,AAECAwQFBgcICQoLDA0ODxAREhM=');
  const p2 = planJobs(filters, 8);
  assert.equal(p2.workers, 3);
  assert.match(p2.warning!, /higher than the number of partition filters/);
  assert.equal(p2.jobs[2]![0]!.pid, 256);
  assert.throws(() => parsePartitionList('0-10,5'), /Range overlap/);
  const after = parseAfterDigest('AAECAwQFBgcICQoLDA0ODxAREhM=');
  assert.deepEqual(after[1], { kind: 'range', begin: 257, count: 4096 - 257 });
});

test('a state file saves per-partition progress and narrows the same jobs when loaded', () => {
  const dir = mkdtempSync(join(tmpdir(), 'asb-state-'));
  try {
    const plan = planJobs(undefined, 2);
    plan.jobs[0]![0]!.done = true;
    plan.jobs[0]![1]!.after = Buffer.alloc(20, 7);
    const path = join(dir, 'x.asb.state');
    saveState(path, { namespace: 'test', recordsTotal: 5, bytesTotal: 99, filesCreated: 2, partitions: stateOfJobs(plan.jobs) });
    const st = loadState(path);
    const fresh = planJobs(undefined, 2);
    applyState(fresh.jobs, st);
    assert.equal(fresh.jobs[0]![0]!.done, true);
    assert.deepEqual(fresh.jobs[0]![1]!.after, Buffer.alloc(20, 7));
    assert.equal(fresh.jobs[1]![5]!.after, undefined);
    assert.equal(st.filesCreated, 2);
    // a different partition split still covers every partition; a narrower one does not
    assert.throws(() => applyState(planJobs(parsePartitionList('0-100'), 1).jobs, st), /not covered/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('directory output rolls over to a new numbered file at the file limit, header in each', () => {
  const dir = mkdtempSync(join(tmpdir(), 'asb-roll-'));
  try {
    const out = new DirectoryOutput(dir, 'ns1', 'ns1', 1000, {}, 0, false);
    const a = out.slot(0);
    const b = out.slot(1);
    const line = Buffer.from('+ n ns1\n' + 'x'.repeat(291) + '\n');
    for (let i = 0; i < 8; i++) a.writeRecord(line);
    b.writeRecord(line);
    a.close();
    b.close();
    out.close();
    const files = ['ns1_00000.asb', 'ns1_00001.asb', 'ns1_00002.asb'];
    assert.equal(out.fileCount(), 3);
    const first = readFileSync(join(dir, files[0]!), 'utf8');
    assert.ok(first.startsWith('Version 3.1\n# namespace ns1\n# first-file\n'));
    // 42 header bytes + 3 records stay under 1000, the 4th passes it: the 5th starts file 1
    assert.equal(first.split('+ n').length - 1, 4);
    const second = readFileSync(join(dir, files[1]!), 'utf8');
    assert.ok(second.startsWith('Version 3.1\n# namespace ns1\n+ n'));
    assert.equal(second.split('+ n').length - 1, 4);
    // worker b opened its own file when its first record came
    assert.equal(readFileSync(join(dir, files[2]!), 'utf8').split('+ n').length - 1, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('encryption is AES-CTR after an AES-ECB encrypted IV, and decrypts in any chunking', () => {
  const key = Buffer.from('key material');
  const enc = createEncryptor('aes256', key);
  const plain = Buffer.from('x'.repeat(100) + 'tail');
  const c1 = enc.update(plain.subarray(0, 33));
  const c2 = enc.update(plain.subarray(33));
  const dec = createDecryptor('aes256', key, enc.header);
  assert.equal(Buffer.concat([dec.update(Buffer.concat([c1, c2]).subarray(0, 7)), dec.update(Buffer.concat([c1, c2]).subarray(7))]).toString(), plain.toString());
  // resuming the key stream in the middle of a block continues it exactly
  const resumed = createEncryptor('aes256', key, { iv: enc.iv, offset: 104 });
  const more = resumed.update(Buffer.from('more'));
  const dec2 = createDecryptor('aes256', key, enc.header);
  assert.equal(dec2.update(Buffer.concat([c1, c2, more])).toString(), plain.toString() + 'more');
});

test('asbackup refuses the option combinations Aerospike refuses', () => {
  const bad = (args: string[], re: RegExp) => assert.throws(() => parseBackupArgs(args), (e: unknown) => e instanceof UsageError && re.test(e.message));
  bad(['-d', 'x'], /Please specify a namespace/);
  bad(['-n', 'test'], /Please specify a directory/);
  bad(['-n', 'test', '-d', 'x', '-o', 'y'], /mutually exclusive/);
  bad(['-n', 'test', '-e', '-w', '2'], /Estimate cannot be parallelized/);
  bad(['-n', 'test', '-d', 'x', '-z', 'lz4'], /Invalid compression type/);
  bad(['-n', 'test', '-d', 'x', '-y', 'aes128'], /Must specify both encryption mode/);
  bad(['-n', 'test', '-d', 'x', '-w', '101'], /Invalid parallelism value/);
  bad(['-n', 'test', '-d', 'x', '-s', 'a,b', '-f', 'kwEB'], /Multi-set backup and filter-exp/);
  bad(['-n', 'test', '-d', 'x', '--bogus'], /unrecognized option/);
  const ok = parseBackupArgs(['-ntest', '-d', 'x', '-s', "a,'b,c'", '-F', '2', '-w', '4', '--socket-timeout=500']);
  assert.ok(ok.kind === 'run');
  assert.deepEqual(ok.config.sets, ['a', 'b,c']);
  assert.equal(ok.config.fileLimitBytes, 2 * 1024 * 1024);
  assert.equal(ok.config.socketTimeoutMs, 500);
  // -U/-P log in (-P takes the next word as its value); a password without a user cannot work
  assert.equal(parseBackupArgs(['-n', 'test', '-d', 'x', '-U', 'admin', '-P', 'secret']).kind, 'run');
  bad(['-n', 'test', '-d', 'x', '-P'], /-P\/--password needs -U\/--user/);
  const def = parseBackupArgs(['-n', 'test', '-e']);
  assert.ok(def.kind === 'run' && def.config.estimateSamples === 10_000 && def.config.fileLimitBytes === 250 * 1024 * 1024);
});

test('asrestore defaults the batch size by write mode and refuses --unique with --replace', () => {
  const a = parseRestoreArgs(['-d', 'x']);
  assert.ok(a.kind === 'run' && a.config.batchSize === 128 && a.config.parallel === 20 && a.config.maxAsyncBatches === 32);
  const b = parseRestoreArgs(['-d', 'x', '--disable-batch-writes', '-n', 'src,dst', '-N', '10,500']);
  assert.ok(b.kind === 'run' && b.config.batchSize === 16 && b.config.namespaceDst === 'dst' && b.config.tps === 500);
  assert.throws(() => parseRestoreArgs(['-d', 'x', '-u', '-r']), /--unique is mutually exclusive/);
  assert.throws(() => parseRestoreArgs([]), /please specify a directory/);
});

test('restore TTLs: void-time 0 never expires, past void-times are expired, extra-ttl extends', () => {
  assert.equal(ttlFor(0, 0, 1000), 0xffffffff);
  assert.equal(ttlFor(1500, 0, 1000), 500);
  assert.equal(ttlFor(900, 0, 1000), undefined);
  assert.equal(ttlFor(900, 200, 1000), 100);
});

test('filters: several sets, modified-after/before and no-ttl-only compile to one expression', () => {
  assert.equal(buildFilter({ sets: ['a'], noTtlOnly: false }), undefined);
  // [AND, [OR, [EQ,[SET_NAME],"a"], [EQ,[SET_NAME],"b"]], [EQ,[TTL],-1]]
  assert.equal(buildFilter({ sets: ['a', 'b'], noTtlOnly: true })!.toString('hex'), '9310' + '9311' + '930191' + '46' + 'a20361' + '930191' + '46' + 'a20362' + '930191' + '45' + 'ff');
});

test('sindex-list entries become index lines and sindex-create commands', () => {
  const ix = parseSIndexInfo('test', 'ns=test:indexname=idx_age:set=demo:bin=age:type=numeric:indextype=default:context=NULL:exp=NULL:state=RW');
  assert.deepEqual(ix, { kind: 'sindex', namespace: 'test', set: 'demo', name: 'idx_age', indexType: 'N', paths: [{ path: 'age', type: 'N' }] });
  assert.equal(sindexCreateCommand(ix, 'other'), 'sindex-create:namespace=other;set=demo;indexname=idx_age;bin=age;type=NUMERIC');
});

test('a backup file written with the encoder reads back through the file reader, chunk boundaries anywhere', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asb-read-'));
  try {
    const recs: BackupRecord[] = [];
    for (let i = 0; i < 2000; i++) {
      recs.push({ kind: 'record', namespace: 'test', digest: Buffer.alloc(20, i % 256), generation: 1, voidTime: 0, bins: [{ name: 'v', type: 3, value: Buffer.from('y'.repeat(i % 300)) }] });
    }
    const file = join(dir, 'big.asb');
    writeFileSync(file, encodeAll('test', true, recs, false));
    const reader = new BackupFileReader(file, { zstd: false });
    const header = await reader.open();
    assert.equal(header.firstFile, true);
    let n = 0;
    for (let it = await reader.next(); it; it = await reader.next()) {
      assert.deepEqual(it, recs[n]);
      n++;
    }
    await reader.close();
    assert.equal(n, 2000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
