/** Background scans and queries (write operations, record UDFs) through the official client against a real strato process. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { frame, rawExchange } from '../helpers/raw-client.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
let dir: string;
const N = 300;
const ops = Aerospike.operations;
const exp = Aerospike.exp;

const BG_LUA = `
function mark(rec, name, v)
  rec[name] = v
  aerospike:update(rec)
end
function peek(rec)
  return rec['n']
end
function fail_odd(rec)
  if rec['n'] % 2 == 1 then error('odd') end
  rec['ok'] = 1
  aerospike:update(rec)
end
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strato-jobs-'));
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  for (let i = 0; i < N; i++) await client.put(new Aerospike.Key('test', 'bgset', i), { n: i });
  for (let i = 0; i < 20; i++) await client.put(new Aerospike.Key('test', 'bgother', i), { n: i });
  writeFileSync(join(dir, 'bgjobs.lua'), BG_LUA);
  const reg = await client.udfRegister(join(dir, 'bgjobs.lua'));
  await reg.wait(20);
});

after(async () => {
  await client?.close(false);
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function binsOf(set: string, n: number): Promise<any[]> {
  const out: any[] = [];
  for (let i = 0; i < n; i++) out.push((await client.get(new Aerospike.Key('test', set, i))).bins);
  return out;
}

async function info(cmd: string): Promise<string> {
  const node = client.getNodes()[0];
  return (await client.infoNode(cmd, node)).replace(/^[^\t]*\t/, '').trim();
}

function field(line: string, name: string): string | undefined {
  return new RegExp(`(?:^|:)${name}=([^:;]*)`).exec(line)?.[1];
}

test('scan.operate writes every record of the set, leaves other sets alone, and its job reaches done', async () => {
  const job = await client.scan('test', 'bgset').operate([ops.write('w', 1), ops.incr('n', 1000)]);
  await job.waitUntilDone(10);
  const st = await job.info();
  assert.equal(st.status, Aerospike.jobStatus.COMPLETED);
  assert.equal(st.recordsRead, N);
  const bins = await binsOf('bgset', N);
  assert.ok(bins.every((b, i) => b.w === 1 && b.n === i + 1000), 'every record of bgset changed');
  const other = await binsOf('bgother', 20);
  assert.ok(other.every((b, i) => b.w === undefined && b.n === i), 'bgother untouched');
  // put n back for the other tests
  const back = await client.scan('test', 'bgset').operate([ops.incr('n', -1000)]);
  await back.waitUntilDone(10);
  const line = await info(`query-show:trid=${job.jobID}`);
  assert.equal(field(line, 'job-type'), 'background-ops');
  assert.equal(field(line, 'status'), 'done(ok)');
  assert.equal(field(line, 'recs-succeeded'), String(N));
  assert.equal(field(line, 'set'), 'bgset');
});

test('query.operate without an index filter runs over the whole set like a scan', async () => {
  const job = await client.query('test', 'bgset').operate([ops.write('q', 'yes')]);
  await job.waitUntilDone(10);
  const bins = await binsOf('bgset', N);
  assert.ok(bins.every((b) => b.q === 'yes'));
});

test('a background write with a filter expression changes only the records that pass it and counts the rest as filtered', async () => {
  const query = client.query('test', 'bgset');
  const job = await query.operate([ops.write('big', true)], { filterExpression: exp.ge(exp.binInt('n'), exp.int(250)) });
  await job.waitUntilDone(10);
  const bins = await binsOf('bgset', N);
  assert.ok(bins.every((b, i) => (i >= 250 ? b.big === true : b.big === undefined)));
  const line = await info(`query-show:trid=${job.jobID}`);
  assert.equal(field(line, 'recs-succeeded'), '50');
  assert.equal(field(line, 'recs-filtered-bins'), String(N - 50));
});

test('scan.background runs a record UDF on every record of the set', async () => {
  const job = await client.scan('test', 'bgset').background('bgjobs', 'mark', ['u', 'done']);
  await job.waitUntilDone(10);
  const bins = await binsOf('bgset', N);
  assert.ok(bins.every((b) => b.u === 'done'));
  const line = await info(`query-show:trid=${job.jobID}`);
  assert.equal(field(line, 'job-type'), 'background-udf');
  assert.equal(field(line, 'udf-filename'), 'bgjobs');
  assert.equal(field(line, 'udf-function'), 'mark');
  assert.equal(field(line, 'recs-succeeded'), String(N));
});

test('records whose UDF call fails are counted as failed and the others are written', async () => {
  const job = await client.query('test', 'bgset').background('bgjobs', 'fail_odd', []);
  await job.waitUntilDone(10);
  const line = await info(`query-show:trid=${job.jobID}`);
  assert.equal(field(line, 'recs-succeeded'), String(N / 2));
  assert.equal(field(line, 'recs-failed'), String(N / 2));
  const bins = await binsOf('bgset', 4);
  assert.deepEqual(
    bins.map((b) => b.ok),
    [1, undefined, 1, undefined],
  );
});

/** A background scan message built by hand: namespace test, `set`, the given info bits and one op. */
function backgroundRequest(set: string, info1: number, info2: number, op: { type: number; name: string }): Buffer {
  const fields = [field5(0, Buffer.from('test')), field5(1, Buffer.from(set))];
  const name = Buffer.from(op.name);
  const value = Buffer.alloc(8, 0);
  const opBytes = Buffer.alloc(8 + name.length + value.length);
  opBytes.writeUInt32BE(4 + name.length + value.length, 0);
  opBytes[4] = op.type;
  opBytes[5] = 1; // integer
  opBytes[7] = name.length;
  name.copy(opBytes, 8);
  value.copy(opBytes, 8 + name.length);
  const header = Buffer.alloc(22);
  header[0] = 22;
  header[1] = info1;
  header[2] = info2;
  header.writeUInt16BE(fields.length, 18);
  header.writeUInt16BE(1, 20);
  return frame(3, Buffer.concat([header, ...fields, opBytes]));
}

function field5(type: number, data: Buffer): Buffer {
  const b = Buffer.alloc(5 + data.length);
  b.writeUInt32BE(data.length + 1, 0);
  b[4] = type;
  data.copy(b, 5);
  return b;
}

test('a background job on a set the namespace does not know is refused with NOT_FOUND (2) and no job is kept', async () => {
  const r = await rawExchange(server.port, backgroundRequest('no_such_set', 0, 1, { type: 2, name: 'x' }));
  assert.equal(r.received[8 + 5], 2);
  assert.equal(r.received[8 + 3]! & 1, 0, 'a plain refusal, not a LAST message');
  // the client treats NOT_FOUND from a scan as the end of an empty scan, as with Aerospike
  const job = await client.scan('test', 'no_such_set').operate([ops.write('x', 1)]);
  await assert.rejects(info(`query-show:trid=${job.jobID}`), /job not found/);
});

test('records-per-second above background-query-max-rps is refused with PARAMETER_ERROR', async () => {
  await assert.rejects(
    client.scan('test', 'bgset').operate([ops.write('x', 1)], { recordsPerSecond: 20000 }),
    (e: any) => e.code === Aerospike.status.ERR_REQUEST_INVALID,
  );
});

test('a background write with a read operation or the READ bit is refused with PARAMETER_ERROR (4)', async () => {
  const readOp = await rawExchange(server.port, backgroundRequest('bgset', 0, 1, { type: 1, name: 'n' }));
  assert.equal(readOp.received[8 + 5], 4);
  const readBit = await rawExchange(server.port, backgroundRequest('bgset', 1, 1, { type: 2, name: 'n' }));
  assert.equal(readBit.received[8 + 5], 4);
  assert.ok((await binsOf('bgset', 3)).every((b, i) => b.n === i));
});

test('a throttled background job is stopped by query-abort, reports user-aborted and leaves the rest unwritten', async () => {
  const rps = 100;
  const job = await client.scan('test', 'bgset').operate([ops.write('slow', 1)], { recordsPerSecond: rps });
  const started = Date.now();
  // wait (bounded) until it has written some records, then abort it
  let line = '';
  while (Date.now() - started < 5000) {
    line = await info(`query-show:trid=${job.jobID}`);
    if (Number(field(line, 'recs-succeeded')) >= 10) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(field(line, 'status'), 'active(ok)');
  assert.equal(await info(`query-abort:trid=${job.jobID}`), 'ok');
  await job.waitUntilDone(20);
  assert.ok(Date.now() - started < (N / rps) * 1000, 'stopped before the whole set was written');
  line = await info(`query-show:trid=${job.jobID}`);
  assert.equal(field(line, 'status'), 'done(user-aborted)');
  const written = (await binsOf('bgset', N)).filter((b) => b.slow === 1).length;
  assert.ok(written >= 10 && written < N, `written ${written}`);
  assert.equal(Number(field(line, 'recs-succeeded')), written);
  assert.match(await info('namespace/test'), /pi_query_ops_bg_abort=1(;|$)/);
  await assert.rejects(info(`query-abort:trid=${job.jobID}`), /id not active/);
});

test('records-per-second paces a background job', async () => {
  const rps = 500;
  const started = Date.now();
  const job = await client.scan('test', 'bgset').operate([ops.write('paced', 1)], { recordsPerSecond: rps });
  await job.waitUntilDone(10);
  const elapsed = Date.now() - started;
  // N records at rps: the job cannot finish sooner than (N - 1) / rps seconds
  assert.ok(elapsed >= ((N - 1) / rps) * 1000 - 50, `took ${elapsed} ms`);
  const line = await info(`query-show:trid=${job.jobID}`);
  assert.equal(field(line, 'rps'), String(rps));
  assert.equal(field(line, 'recs-throttled'), String(N));
});

test('namespace statistics count finished background jobs, their record writes and what each UDF did', async () => {
  const peek = await client.scan('test', 'bgset').background('bgjobs', 'peek', []);
  await peek.waitUntilDone(10);
  const stats = await info('namespace/test');
  const get = (k: string) => Number(new RegExp(`(?:^|;)${k}=(\\d+)`).exec(stats)?.[1]);
  assert.ok(get('pi_query_ops_bg_complete') >= 4);
  assert.ok(get('pi_query_udf_bg_complete') >= 2);
  assert.ok(get('ops_sub_write_success') >= 3 * N);
  assert.ok(get('udf_sub_udf_complete') >= N);
  assert.ok(get('udf_sub_udf_error') >= N / 2);
  // mark wrote every record, fail_odd wrote half and failed on half, peek only read
  assert.equal(get('udf_sub_lang_write_success'), N + N / 2);
  assert.equal(get('udf_sub_lang_error'), N / 2);
  assert.equal(get('udf_sub_lang_read_success'), N);
  assert.equal(get('udf_sub_lang_delete_success'), 0);
  assert.equal(get('udf_sub_tsvc_error'), 0);
});

test('query.operate with an index filter writes only the records the index selects, as a secondary-index job', async () => {
  const idx = await client.createIntegerIndex({ ns: 'test', set: 'bgset', bin: 'n', index: 'bg_n_idx' });
  await idx.wait(20);
  const query = client.query('test', 'bgset');
  query.where(Aerospike.filter.range('n', 100, 149));
  const job = await query.operate([ops.write('ix', 1)]);
  await job.waitUntilDone(10);
  const bins = await binsOf('bgset', N);
  assert.deepEqual(
    bins.flatMap((b, i) => (b.ix === 1 ? [i] : [])),
    Array.from({ length: 50 }, (_, i) => 100 + i),
  );
  const line = await info(`query-show:trid=${job.jobID}`);
  assert.equal(field(line, 'sindex-name'), 'bg_n_idx');
  assert.equal(field(line, 'recs-succeeded'), '50');
  assert.match(await info('namespace/test'), /(^|;)si_query_ops_bg_complete=1(;|$)/);
});

test('query.background with an index filter runs the UDF on the selected records only', async () => {
  const query = client.query('test', 'bgset');
  query.where(Aerospike.filter.equal('n', 7));
  const job = await query.background('bgjobs', 'mark', ['only', 7]);
  await job.waitUntilDone(10);
  const bins = await binsOf('bgset', N);
  assert.deepEqual(
    bins.flatMap((b, i) => (b.only === 7 ? [i] : [])),
    [7],
  );
  assert.match(await info('namespace/test'), /(^|;)si_query_udf_bg_complete=1(;|$)/);
});

test('with disable-udf-execution, a background UDF job is refused with FORBIDDEN (22) before anything else is checked', async () => {
  const locked = await startStrato({
    config: `
service {
  disable-udf-execution true
}
network {
  service {
    address 127.0.0.1
    port 3000
  }
}
namespace test {
  replication-factor 1
  nsup-period 120
  storage-engine memory {
    data-size 64M
  }
}
`,
  });
  try {
    const udfJob = backgroundRequest('bgset', 0, 1, { type: 2, name: 'x' });
    // turn the write request into a background UDF one: UDF_OP 2 and the module/function/args fields, no ops
    const udfFields = [field5(33, Buffer.from([2])), field5(30, Buffer.from('bgjobs')), field5(31, Buffer.from('mark')), field5(32, Buffer.from([0x90]))];
    const header = Buffer.from(udfJob.subarray(8, 30));
    header.writeUInt16BE(2 + udfFields.length, 18);
    header.writeUInt16BE(0, 20);
    const body = Buffer.concat([header, field5(0, Buffer.from('test')), field5(1, Buffer.from('bgset')), ...udfFields]);
    const r = await rawExchange(locked.port, frame(3, body));
    assert.equal(r.received[8 + 5], 22);
  } finally {
    await locked.stop();
  }
});

test('a background write over an index skips a record that stopped matching the index filter after the job started', async () => {
  // bg_n_idx (created above) indexes n; the job selects n in 0..99 and goes at 50 records/s (the
  // client's query.operate sends no records-per-second: the namespace's maximum applies)
  assert.equal(await info('set-config:context=namespace;id=test;background-query-max-rps=50'), 'ok');
  const query = client.query('test', 'bgset');
  query.where(Aerospike.filter.range('n', 0, 99));
  const job = await query.operate([ops.write('late', 1)]);
  // move records 50..99 out of the range while the job is still early on
  for (let i = 50; i < 100; i++) await client.put(new Aerospike.Key('test', 'bgset', i), { n: i + 10000 });
  await job.waitUntilDone(20);
  assert.equal(await info('set-config:context=namespace;id=test;background-query-max-rps=10000'), 'ok');
  assert.equal(field(await info(`query-show:trid=${job.jobID}`), 'rps'), '50');
  const bins = await binsOf('bgset', 100);
  assert.ok(bins.slice(0, 50).every((b) => b.late === 1), 'records still in range are written');
  const movedWritten = bins.slice(50).filter((b) => b.late === 1).length;
  assert.ok(movedWritten <= 15, `${movedWritten} records written after they left the range`);
  // put n back for anything after this test
  for (let i = 50; i < 100; i++) await client.put(new Aerospike.Key('test', 'bgset', i), { n: i });
});
