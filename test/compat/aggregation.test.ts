/** Aggregations (stream UDFs) through the official client and raw frames against a real strato process. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { connect } from 'node:net';
import { frame } from '../helpers/raw-client.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
let dir: string;
const N = 200;
const OTHER = 30;

const AGG_LUA = `
local function n_of(rec) return rec['n'] end
local function add(a, b) return a + b end
function sum_n(stream) return stream : map(n_of) : reduce(add) end
function sum_even(stream)
  return stream : filter(function(rec) return rec['n'] % 2 == 0 end) : map(n_of) : reduce(add)
end
function even_n(stream) return stream : filter(function(rec) return rec['n'] % 2 == 0 end) : map(n_of) end
function count_by_tag(stream)
  local function acc(m, rec)
    m[rec['tag']] = (m[rec['tag']] or 0) + 1
    return m
  end
  return stream : aggregate(map(), acc) : reduce(function(a, b) return map.merge(a, b, add) end)
end
function group_mod3(stream) return stream : map(n_of) : groupby(function(n) return n % 3 end) end
function scaled_sum(stream, k) return stream : map(function(rec) return rec['n'] * k end) : reduce(add) end
function count_all(stream) return stream : map(function() return 1 end) : reduce(add) end
function fails(stream) return stream : map(function(rec) error('agg failed here') end) : reduce(add) end
function records(stream) return stream end
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strato-agg-'));
  writeFileSync(join(dir, 'aggmod.lua'), AGG_LUA);
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any, modlua: { userPath: dir } } as any);
  for (let i = 0; i < N; i++) await client.put(new Aerospike.Key('test', 'aggset', i), { n: i, tag: `t${i % 4}` });
  for (let i = 0; i < OTHER; i++) await client.put(new Aerospike.Key('test', 'aggother', i), { n: 1000 + i, tag: 'other' });
  const reg = await client.udfRegister(join(dir, 'aggmod.lua'));
  await reg.wait(20);
});

after(async () => {
  await client?.close(false);
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

async function info(cmd: string): Promise<string> {
  return (await client.infoNode(cmd, client.getNodes()[0])).replace(/^[^\t]*\t/, '').trim();
}

test('map and reduce sum a bin over the set', async () => {
  assert.equal(await client.query('test', 'aggset').apply('aggmod', 'sum_n'), sum(range(N)));
});

test('filter, map and reduce sum only the records the filter keeps', async () => {
  assert.equal(await client.query('test', 'aggset').apply('aggmod', 'sum_even'), sum(range(N).filter((n) => n % 2 === 0)));
});

test('aggregate into a map and reduce with map.merge counts records per tag', async () => {
  assert.deepEqual(await client.query('test', 'aggset').apply('aggmod', 'count_by_tag'), { t0: N / 4, t1: N / 4, t2: N / 4, t3: N / 4 });
});

test('groupby collects every value under its key', async () => {
  const groups = await client.query('test', 'aggset').apply('aggmod', 'group_mod3');
  assert.deepEqual(Object.keys(groups).sort(), ['0', '1', '2']);
  for (const k of [0, 1, 2]) {
    assert.deepEqual(
      [...groups[String(k)]].sort((a: number, b: number) => a - b),
      range(N).filter((n) => n % 3 === k),
    );
  }
});

test('arguments reach the stream function', async () => {
  assert.equal(await client.query('test', 'aggset').apply('aggmod', 'scaled_sum', [3]), 3 * sum(range(N)));
});

test('an aggregation without a set runs over the whole namespace', async () => {
  const q = client.query('test', null as any);
  assert.equal(await q.apply('aggmod', 'count_all'), N + OTHER);
});

test('a Lua error in the stream fails the aggregation with Aerospike\'s UDF error text', async () => {
  await assert.rejects(client.query('test', 'aggset').apply('aggmod', 'fails'), (e: any) => /UDF: Execution Error 2 : .*aggmod\.lua:\d+: agg failed here/.test(e.message));
  const jobs = await info('query-show');
  assert.match(jobs, /status=done\(abandoned-unknown\)[^;]*job-type=aggregation/);
});

test('an unknown stream function fails with "function not found" (the client checks its own copy of the module first)', async () => {
  await assert.rejects(client.query('test', 'aggset').apply('aggmod', 'no_such_function'), (e: any) => /UDF: Execution Error 2 : function not found/.test(e.message));
});

/** An aggregation request as the client sends it (UDF_OP 1), without an index filter. */
function aggregationRequest(set: string, module: string, fn: string, extra: Buffer[] = [], tridValue?: bigint): Buffer {
  const field = (type: number, data: Buffer) => {
    const b = Buffer.alloc(5 + data.length);
    b.writeUInt32BE(data.length + 1, 0);
    b[4] = type;
    data.copy(b, 5);
    return b;
  };
  const trid = Buffer.alloc(8);
  trid.writeBigUInt64BE(tridValue ?? BigInt(Math.floor(Math.random() * 2 ** 48)) + 1n);
  const fields = [
    field(0, Buffer.from('test')),
    field(1, Buffer.from(set)),
    field(7, trid),
    field(33, Buffer.from([1])),
    field(30, Buffer.from(module)),
    field(31, Buffer.from(fn)),
    field(32, Buffer.from([0x90])),
    ...extra.map((e) => field(e[0]!, e.subarray(1))),
  ];
  const header = Buffer.alloc(22);
  header[0] = 22;
  header[1] = 1; // READ
  header[3] = 4; // the client accepts partition-done
  header.writeUInt16BE(fields.length, 18);
  return frame(3, Buffer.concat([header, ...fields]));
}

interface Answer {
  info3: number;
  resultCode: number;
  ops: { name: string; type: number; value: Buffer }[];
}

/** Sends a request on a fresh connection and reads answer messages up to the one with LAST or a refusal (5 s at most). */
function stream(bytes: Buffer): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const out: Answer[] = [];
    const sock = connect({ host: '127.0.0.1', port: server.port }, () => sock.write(bytes));
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no LAST message within 5 s (${out.length} messages)`));
    }, 5000);
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 8 && buf.length >= 8 + buf.readUIntBE(2, 6)) {
        const len = buf.readUIntBE(2, 6);
        parseMessages(buf.subarray(8, 8 + len), out);
        buf = buf.subarray(8 + len);
      }
      // the answer ends with a LAST message, or is a lone refusal (an error without LAST)
      if (out.some((m) => m.info3 & 1 || (m.resultCode !== 0 && m.ops.length === 0))) {
        clearTimeout(timer);
        sock.destroy();
        resolve(out);
      }
    });
  });
}

function parseMessages(raw: Buffer, out: Answer[]): void {
  {
    let q = 0;
    const end = raw.length;
    while (q < end) {
      const nFields = raw.readUInt16BE(q + 18);
      const nOps = raw.readUInt16BE(q + 20);
      const msg: Answer = { info3: raw[q + 3]!, resultCode: raw[q + 5]!, ops: [] };
      q += 22;
      for (let i = 0; i < nFields; i++) q += 4 + raw.readUInt32BE(q);
      for (let i = 0; i < nOps; i++) {
        const sz = raw.readUInt32BE(q);
        const nameLen = raw[q + 7]!;
        msg.ops.push({ type: raw[q + 5]!, name: raw.toString('utf8', q + 8, q + 8 + nameLen), value: raw.subarray(q + 8 + nameLen, q + 4 + sz) });
        q += 4 + sz;
      }
      out.push(msg);
    }
  }
}

test('each partition sends what its stream yields: without a reduce, one SUCCESS value per kept record, then LAST', async () => {
  const answers = await stream(aggregationRequest('aggset', 'aggmod', 'even_n'));
  const last = answers.at(-1)!;
  assert.equal(last.info3 & 1, 1);
  assert.equal(last.resultCode, 0);
  const values = answers.slice(0, -1).map((a) => {
    assert.equal(a.ops.length, 1);
    assert.equal(a.ops[0]!.name, 'SUCCESS');
    assert.equal(a.ops[0]!.type, 1); // integer particle
    return Number(a.ops[0]!.value.readBigInt64BE(0));
  });
  assert.deepEqual(
    values.sort((a, b) => a - b),
    range(N).filter((n) => n % 2 === 0),
  );
});

test('a stream that yields records sends each as a SUCCESS op with a NULL particle', async () => {
  const answers = await stream(aggregationRequest('aggother', 'aggmod', 'records'));
  assert.equal(answers.length, OTHER + 1);
  assert.ok(answers.slice(0, -1).every((a) => a.ops[0]!.name === 'SUCCESS' && a.ops[0]!.type === 0 && a.ops[0]!.value.length === 0));
});

test('an unknown stream function answers a FAILURE "UDF: Execution Error 2 : function not found", then LAST with result 1', async () => {
  const answers = await stream(aggregationRequest('aggset', 'aggmod', 'no_such_function'));
  assert.equal(answers.length, 2);
  assert.equal(answers[0]!.ops[0]!.name, 'FAILURE');
  assert.equal(answers[0]!.ops[0]!.value.toString(), 'UDF: Execution Error 2 : function not found');
  assert.equal(answers[1]!.resultCode, 1);
});

test('a filter expression on an aggregation is refused with UNSUPPORTED_FEATURE (16) before anything runs', async () => {
  // filter n > 5, as the client encodes it (Aerospike 8.1 refuses filters on aggregations)
  const filter = Buffer.from([43, 0x93, 0x03, 0x93, 0x51, 0x02, 0xa1, 0x6e, 0x05]);
  const answers = await stream(aggregationRequest('aggset', 'aggmod', 'sum_n', [filter]));
  assert.equal(answers.length, 1);
  assert.equal(answers[0]!.resultCode, 16);
  assert.equal(answers[0]!.info3 & 1, 0, 'a refusal, not a LAST message');
});

test('a module that is not registered answers a FAILURE "UDF: Execution Error 1", then LAST with result 1', async () => {
  const answers = await stream(aggregationRequest('aggset', 'no_such_module', 'sum_n'));
  assert.equal(answers.length, 2);
  assert.equal(answers[0]!.ops[0]!.name, 'FAILURE');
  assert.equal(answers[0]!.ops[0]!.type, 3);
  assert.equal(answers[0]!.ops[0]!.value.toString(), 'UDF: Execution Error 1');
  assert.equal(answers[1]!.info3 & 1, 1);
  assert.equal(answers[1]!.resultCode, 1);
});

test('an aggregation over a set with no records answers LAST only, even with an unknown module', async () => {
  await client.put(new Aerospike.Key('test', 'aggempty', 1), { n: 1 });
  await client.remove(new Aerospike.Key('test', 'aggempty', 1));
  const answers = await stream(aggregationRequest('aggempty', 'no_such_module', 'sum_n'));
  assert.equal(answers.length, 1);
  assert.equal(answers[0]!.resultCode, 0);
});

test('namespace statistics count finished and failed aggregations', async () => {
  const stats = await info('namespace/test');
  const get = (k: string) => Number(new RegExp(`(?:^|;)${k}=(\\d+)`).exec(stats)?.[1]);
  assert.ok(get('pi_query_aggr_complete') >= 6, stats);
  assert.ok(get('pi_query_aggr_error') >= 3);
});

test('an aggregation with an index filter runs over the records the index selects', async () => {
  const idx = await client.createIntegerIndex({ ns: 'test', set: 'aggset', bin: 'n', index: 'agg_n_idx' });
  await idx.wait(20);
  const query = client.query('test', 'aggset');
  query.where(Aerospike.filter.range('n', 10, 19));
  assert.equal(await query.apply('aggmod', 'sum_n'), sum(range(10).map((i) => i + 10)));
  const q2 = client.query('test', 'aggset');
  q2.where(Aerospike.filter.range('n', 0, 99));
  assert.deepEqual(await q2.apply('aggmod', 'count_by_tag'), { t0: 25, t1: 25, t2: 25, t3: 25 });
  assert.match(await info('namespace/test'), /(^|;)si_query_aggr_complete=2(;|$)/);
});

test('a throttled aggregation is paced by records-per-second and stopped by query-abort with QUERY_ABORTED (15)', async () => {
  const trid = 987654321n;
  const rps = Buffer.alloc(5);
  rps[0] = 10; // RECS_PER_SEC
  rps.writeUInt32BE(20, 1);
  const started = Date.now();
  const answering = stream(aggregationRequest('aggset', 'aggmod', 'even_n', [rps], trid));
  // bounded wait until the job has gone through some records, then abort it
  let line = '';
  while (Date.now() - started < 5000) {
    line = await info(`query-show:trid=${trid}`).catch(() => ''); // the job may not have started yet
    if (Number(/recs-succeeded=(\d+)/.exec(line)?.[1] ?? 0) >= 5) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(line, /status=active\(ok\)/);
  assert.match(line, /:rps=20:/);
  assert.equal(await info(`query-abort:trid=${trid}`), 'ok');
  const answers = await answering;
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 5000, `aborted after ${elapsed} ms`);
  const succeeded = Number(/recs-succeeded=(\d+)/.exec(await info(`query-show:trid=${trid}`))?.[1]);
  // 20 records per second: far fewer than the set's records were read before the abort
  assert.ok(succeeded < N / 2 && succeeded <= (elapsed / 1000) * 20 + 2, `read ${succeeded} in ${elapsed} ms`);
  const last = answers.at(-1)!;
  assert.equal(last.info3 & 1, 1);
  assert.equal(last.resultCode, 15);
  assert.match(await info(`query-show:trid=${trid}`), /status=done\(user-aborted\)/);
  assert.match(await info('namespace/test'), /(^|;)pi_query_aggr_abort=1(;|$)/);
});
