/**
 * Filter expressions and expression operations through the official client against a real
 * strato process: FILTERED_OUT on every command kind, metadata, let/cond, read and write ops.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { resultCode } from '../helpers/result-code.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
const exp = Aerospike.exp;
const key = (k: number | string) => new Aerospike.Key('test', 'expc', k);
const FILTERED_OUT = 27;

before(async () => {
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  for (let i = 0; i < 6; i++) await client.put(key(i), { n: i, s: i % 2 === 0 ? 'even' : 'odd' }, { ttl: i === 0 ? -1 : 1000 });
});
after(async () => {
  await client?.close(false);
  await server?.stop();
});

const nGe3 = () => exp.ge(exp.binInt('n'), exp.int(3));

test('get answers FILTERED_OUT when the filter is false and the record when it is true', async () => {
  assert.equal(await resultCode(client.get(key(1), new Aerospike.ReadPolicy({ filterExpression: nGe3() }))), FILTERED_OUT);
  assert.equal((await client.get(key(4), new Aerospike.ReadPolicy({ filterExpression: nGe3() }))).bins.n, 4);
});

test('exists, put, remove, touch and operate honour the filter', async () => {
  const f = { filterExpression: nGe3() };
  assert.equal(await resultCode(client.exists(key(1), new Aerospike.ReadPolicy(f))), FILTERED_OUT);
  assert.equal(await resultCode(client.put(key(1), { x: 1 }, {}, new Aerospike.WritePolicy(f))), FILTERED_OUT);
  assert.equal(await resultCode(client.remove(key(1), new Aerospike.RemovePolicy(f))), FILTERED_OUT);
  assert.equal(await resultCode(client.operate(key(1), [Aerospike.operations.touch(100)], {}, new Aerospike.OperatePolicy(f))), FILTERED_OUT);
  assert.equal((await client.get(key(1))).gen, 1, 'nothing was written');
  await client.put(key(5), { x: 1 }, {}, new Aerospike.WritePolicy(f));
  assert.equal((await client.get(key(5))).bins.x, 1);
});

test('a filter on a missing bin or a type mismatch is false, not an error', async () => {
  const missing = exp.gt(exp.binInt('nope'), exp.int(0));
  assert.equal(await resultCode(client.get(key(2), new Aerospike.ReadPolicy({ filterExpression: missing }))), FILTERED_OUT);
  const mismatch = exp.eq(exp.binInt('s'), exp.int(1));
  assert.equal(await resultCode(client.get(key(2), new Aerospike.ReadPolicy({ filterExpression: mismatch }))), FILTERED_OUT);
});

test('metadata accessors: void-time 0 means ttl -1, set name, key-exists, last-update', async () => {
  const forever = exp.eq(exp.ttl(), exp.int(-1));
  assert.equal((await client.get(key(0), new Aerospike.ReadPolicy({ filterExpression: forever }))).bins.n, 0);
  assert.equal(await resultCode(client.get(key(1), new Aerospike.ReadPolicy({ filterExpression: forever }))), FILTERED_OUT);
  const inSet = exp.eq(exp.setName(), exp.str('expc'));
  assert.equal(await resultCode(client.get(key(1), new Aerospike.ReadPolicy({ filterExpression: inSet }))), 0);
  const recent = exp.gt(exp.lastUpdate(), exp.int(Date.now() * 1e6 - 3600e9));
  assert.equal(await resultCode(client.get(key(1), new Aerospike.ReadPolicy({ filterExpression: recent }))), 0);
});

test('let, cond and arithmetic compute on the server', async () => {
  const e = exp.let(
    exp.def('x', exp.add(exp.binInt('n'), exp.int(10))),
    exp.cond(exp.gt((exp as unknown as { var: (n: string) => ReturnType<typeof exp.int> }).var('x'), exp.int(12)), exp.str('big'), exp.str('small')),
  );
  const ops = [Aerospike.exp.operations.read('r', e, 0)];
  assert.equal((await client.operate(key(1), ops)).bins.r, 'small');
  assert.equal((await client.operate(key(4), ops)).bins.r, 'big');
});

test('an expression write op stores its result in a bin', async () => {
  const e = exp.mul(exp.binInt('n'), exp.int(100));
  await client.operate(key(3), [Aerospike.exp.operations.write('h', e, 0)]);
  assert.equal((await client.get(key(3))).bins.h, 300);
});

test('an expression write with CREATE_ONLY on an existing bin fails, and POLICY_NO_FAIL skips it', async () => {
  const e = exp.int(7);
  const code = await resultCode(client.operate(key(3), [Aerospike.exp.operations.write('h', e, Aerospike.exp.expWriteFlags.CREATE_ONLY)]));
  assert.notEqual(code, 0);
  const flags = Aerospike.exp.expWriteFlags.CREATE_ONLY | Aerospike.exp.expWriteFlags.POLICY_NO_FAIL;
  await client.operate(key(3), [Aerospike.exp.operations.write('h', e, flags)]);
  assert.equal((await client.get(key(3))).bins.h, 300);
});

test('a malformed filter answers PARAMETER', async () => {
  const bad = [{ op: 1, count: 3 }, { op: 126, value: 5 }];
  assert.equal(await resultCode(client.get(key(1), new Aerospike.ReadPolicy({ filterExpression: bad }))), Aerospike.status.ERR_REQUEST_INVALID);
});

test('batch rows and scans apply the filter', async () => {
  const results = await client.batchGet([key(1), key(4)], new Aerospike.BatchPolicy({ filterExpression: nGe3() }));
  assert.deepEqual(results.map((r: any) => r.status), [FILTERED_OUT, 0]);
  const scan = client.scan('test', 'expc');
  const recs: any[] = [];
  await new Promise<void>((resolve, reject) => {
    const s = scan.foreach(new Aerospike.ScanPolicy({ filterExpression: exp.eq(exp.binStr('s'), exp.str('even')) }));
    s.on('data', (r: any) => recs.push(r));
    s.on('error', reject);
    s.on('end', () => resolve());
  });
  assert.deepEqual(recs.map((r) => r.bins.n).sort(), [0, 2, 4]);
});

test('regex (a+)+$ against 30 a and ! answers FILTERED_OUT at once instead of backtracking (issue 16.1)', async () => {
  await client.put(key('redos'), { s: 'a'.repeat(30) + '!' });
  const redos = exp.cmpRegex(Aerospike.regex.EXTENDED, '(a+)+$', exp.binStr('s'));
  const t0 = Date.now();
  assert.equal(await resultCode(client.get(key('redos'), new Aerospike.ReadPolicy({ filterExpression: redos }))), FILTERED_OUT);
  // a generous sanity bound (a backtracking engine needs ~10 s here, doubling per extra a)
  assert.ok(Date.now() - t0 < 5000);
  const ok = exp.cmpRegex(Aerospike.regex.EXTENDED, '(a+)+!$', exp.binStr('s'));
  assert.equal((await client.get(key('redos'), new Aerospike.ReadPolicy({ filterExpression: ok }))).bins.s.length, 31);
});

test("the client's regex flag NEWLINE (4) makes ^ match after a newline, as glibc's REG_NEWLINE", async () => {
  await client.put(key('lines'), { s: 'first\nsecond' });
  const second = (flags: number) => exp.cmpRegex(flags, '^second$', exp.binStr('s'));
  assert.equal((await client.get(key('lines'), new Aerospike.ReadPolicy({ filterExpression: second(Aerospike.regex.NEWLINE) }))).bins.s, 'first\nsecond');
  assert.equal(await resultCode(client.get(key('lines'), new Aerospike.ReadPolicy({ filterExpression: second(Aerospike.regex.BASIC) }))), FILTERED_OUT);
  assert.equal(await resultCode(client.get(key('lines'), new Aerospike.ReadPolicy({ filterExpression: second(8) }))), FILTERED_OUT, '8 is NOSUB');
});
