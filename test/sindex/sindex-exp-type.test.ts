/**
 * An expression index whose expression result type is not the index's type is refused with
 * PARAMETER_ERROR (4) and 8.1.2's text, through the official client and the raw info command
 * against a real strato process; matching types are accepted and answer queries.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';

const exp = Aerospike.exp;
let server: StratoProcess;
let client: any;

before(async () => {
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  for (let i = 0; i < 20; i++) await client.put(new Aerospike.Key('test', 'et', i), { n: i, s: `s${i % 3}`, f: i + 0.5, l: [i, i + 100] });
});

after(async () => {
  await client?.close(false);
  await server?.stop();
});

async function info(cmd: string): Promise<string> {
  const r = String(await client.info(cmd, { addr: '127.0.0.1', port: server.port })).trim();
  return r.slice(r.indexOf('\t') + 1);
}

/** The error the client reports when creating the index, or undefined when it was created. */
async function createError(create: () => Promise<any>): Promise<{ code: number; message: string } | undefined> {
  try {
    await (await create()).wait(10);
    return undefined;
  } catch (e: any) {
    return { code: e.code, message: String(e.message) };
  }
}

test('a numeric expression index over a string expression is refused with 4 and 8.1.2 text', async () => {
  const err = await createError(() => client.createExpIntegerIndex({ ns: 'test', set: 'et', exp: exp.binStr('s'), index: 'et_bad_str' }));
  assert.equal(err?.code, Aerospike.status.ERR_REQUEST_INVALID);
  assert.match(err!.message, /bad 'exp' - expression type 'string' does not match expected type 'numeric'/);
  assert.doesNotMatch(await info('sindex-list:ns=test'), /et_bad_str/);
});

test('a float expression is not a numeric index, nor an int expression a string index', async () => {
  const b64f = exp.binFloat('f');
  const err = await createError(() => client.createExpIntegerIndex({ ns: 'test', set: 'et', exp: b64f, index: 'et_bad_float' }));
  assert.match(err!.message, /expression type 'float' does not match expected type 'numeric'/);
  const err2 = await createError(() => client.createExpStringIndex({ ns: 'test', set: 'et', exp: exp.binInt('n'), index: 'et_bad_int' }));
  assert.match(err2!.message, /expression type 'numeric' does not match expected type 'string'/);
});

test('a list index needs a list expression and a mapkeys index a map one', async () => {
  const err = await createError(() =>
    client.createExpIntegerIndex({ ns: 'test', set: 'et', exp: exp.binInt('n'), index: 'et_bad_list', type: Aerospike.indexType.LIST }),
  );
  assert.match(err!.message, /expression type 'numeric' does not match expected type 'list'/);
  const err2 = await createError(() =>
    client.createExpIntegerIndex({ ns: 'test', set: 'et', exp: exp.binList('l'), index: 'et_bad_map', type: Aerospike.indexType.MAPKEYS }),
  );
  assert.match(err2!.message, /expression type 'list' does not match expected type 'map'/);
});

test('matching expression types are accepted and their indexes answer queries', async () => {
  assert.equal(await createError(() => client.createExpIntegerIndex({ ns: 'test', set: 'et', exp: exp.add(exp.binInt('n'), exp.int(1000)), index: 'et_n' })), undefined);
  assert.equal(
    await createError(() => client.createExpIntegerIndex({ ns: 'test', set: 'et', exp: exp.binList('l'), index: 'et_l', type: Aerospike.indexType.LIST })),
    undefined,
  );
  const q = client.query('test', 'et');
  q.whereWithExp(Aerospike.filter.range(undefined as any, 1000, 1004), exp.add(exp.binInt('n'), exp.int(1000)));
  const recs = await q.results();
  assert.deepEqual(recs.map((r: any) => r.bins.n).sort((a: number, b: number) => a - b), [0, 1, 2, 3, 4]);
  const byName = client.query('test', 'et');
  byName.whereWithIndexName(Aerospike.filter.equal(undefined as any, 105), 'et_l');
  assert.deepEqual((await byName.results()).map((r: any) => r.bins.n), [5]);
});
