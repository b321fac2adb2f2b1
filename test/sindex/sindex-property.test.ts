/**
 * Property: whatever sequence of writes, updates and deletes the official client sends, every
 * secondary-index query answers exactly what a brute-force filter over a scan of the same set
 * finds. Bounded: a fixed number of runs, each a bounded command list over 40 keys.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
const SET = 'prop';
const KEYS = 40;
const STRINGS = ['a', 'b', 'c', 'dd'];

before(async () => {
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  await (await client.createIntegerIndex({ ns: 'test', set: SET, bin: 'n', index: 'prop_n' })).wait(10);
  await (await client.createStringIndex({ ns: 'test', set: SET, bin: 's', index: 'prop_s' })).wait(10);
  await (
    await client.createIndex({ ns: 'test', set: SET, bin: 'l', index: 'prop_l', type: Aerospike.indexType.LIST, datatype: Aerospike.indexDataType.NUMERIC })
  ).wait(10);
});

after(async () => {
  await client?.close(false);
  await server?.stop();
});

type Cmd =
  | { op: 'put'; k: number; n: number | string; s: string | number; l: number[] }
  | { op: 'touchN'; k: number; n: number }
  | { op: 'del'; k: number }
  | { op: 'range'; lo: number; hi: number }
  | { op: 'eqS'; s: string }
  | { op: 'listRange'; lo: number; hi: number };

const key = fc.integer({ min: 0, max: KEYS - 1 });
const small = fc.integer({ min: -5, max: 20 });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({
    op: fc.constant('put' as const),
    k: key,
    // sometimes the indexed bin holds another type: it must then be in no index answer
    n: fc.oneof(small, small, fc.constantFrom('x', '7')),
    s: fc.oneof(fc.constantFrom(...STRINGS), fc.constant(3)),
    l: fc.array(small, { maxLength: 4 }),
  }),
  fc.record({ op: fc.constant('touchN' as const), k: key, n: small }),
  fc.record({ op: fc.constant('del' as const), k: key }),
  fc.record({ op: fc.constant('range' as const), lo: small, hi: small }),
  fc.record({ op: fc.constant('eqS' as const), s: fc.constantFrom(...STRINGS) }),
  fc.record({ op: fc.constant('listRange' as const), lo: small, hi: small }),
);

async function queryKeys(filter: any): Promise<number[]> {
  const q = client.query('test', SET);
  q.where(filter);
  const recs = await q.results();
  const keys = recs.map((r: any) => r.key.key as number);
  // each record at most once
  assert.equal(new Set(keys).size, keys.length, `duplicates in ${keys}`);
  return keys.sort((a: number, b: number) => a - b);
}

async function scanKeys(pred: (bins: any) => boolean): Promise<number[]> {
  const recs = await client.scan('test', SET).results();
  return recs
    .filter((r: any) => pred(r.bins))
    .map((r: any) => r.key.key as number)
    .sort((a: number, b: number) => a - b);
}

test('index queries agree with a brute-force filter over a scan after any writes and deletes', async () => {
  const policy = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
  await fc.assert(
    fc.asyncProperty(fc.array(cmd, { minLength: 5, maxLength: 40 }), async (cmds) => {
      await client.truncate('test', SET, 0);
      for (const c of cmds) {
        switch (c.op) {
          case 'put':
            await client.put(new Aerospike.Key('test', SET, c.k), { n: c.n, s: c.s, l: c.l }, {}, policy);
            break;
          case 'touchN':
            try {
              await client.put(new Aerospike.Key('test', SET, c.k), { n: c.n }, {}, new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND, exists: Aerospike.policy.exists.UPDATE }));
            } catch (e: any) {
              if (e.code !== Aerospike.status.ERR_RECORD_NOT_FOUND) throw e;
            }
            break;
          case 'del':
            try {
              await client.remove(new Aerospike.Key('test', SET, c.k));
            } catch (e: any) {
              if (e.code !== Aerospike.status.ERR_RECORD_NOT_FOUND) throw e;
            }
            break;
          case 'range': {
            const [lo, hi] = c.lo <= c.hi ? [c.lo, c.hi] : [c.hi, c.lo];
            assert.deepEqual(await queryKeys(Aerospike.filter.range('n', lo, hi)), await scanKeys((b) => typeof b.n === 'number' && b.n >= lo && b.n <= hi));
            break;
          }
          case 'eqS':
            assert.deepEqual(await queryKeys(Aerospike.filter.equal('s', c.s)), await scanKeys((b) => b.s === c.s));
            break;
          case 'listRange': {
            const [lo, hi] = c.lo <= c.hi ? [c.lo, c.hi] : [c.hi, c.lo];
            assert.deepEqual(
              await queryKeys(Aerospike.filter.range('l', lo, hi, Aerospike.indexType.LIST)),
              await scanKeys((b) => Array.isArray(b.l) && b.l.some((v: number) => v >= lo && v <= hi)),
            );
            break;
          }
        }
      }
    }),
    { numRuns: 30, seed: 20261207 },
  );
});
