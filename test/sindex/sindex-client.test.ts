/**
 * Secondary indexes through the official client against a real strato process: index creation
 * on existing data, every index type × query kind, answers checked against a brute-force filter
 * over a scan; index maintenance by writes, deletes and truncation; pagination resume; the info
 * commands. (Expiry, cold start and the property test live in their own files.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
const NS = 'test';
const SET = 'si';
const N = 300;

function geoPoint(i: number): string {
  return JSON.stringify({ type: 'Point', coordinates: [(i % 20) * 0.5, Math.floor(i / 20) * 0.5] });
}

function binsOf(i: number): Record<string, unknown> {
  return {
    n: i,
    s: `s${i % 7}`,
    b: Buffer.from([i % 5, 0xab]),
    loc: new Aerospike.GeoJSON(geoPoint(i)),
    l: [i, i + 1, `x${i}`],
    m: { [`k${i % 10}`]: i * 10, common: i % 2 },
    nested: { inner: [i % 13, (i % 13) + 1] },
  };
}

before(async () => {
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  const policy = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
  for (let i = 0; i < N; i++) await client.put(new Aerospike.Key(NS, SET, i), binsOf(i), {}, policy);
  // a record of another set with the same bins must never be returned by a query on SET
  await client.put(new Aerospike.Key(NS, 'other', 1), binsOf(5));
  const jobs = [
    await client.createIntegerIndex({ ns: NS, set: SET, bin: 'n', index: 'si_n' }),
    await client.createStringIndex({ ns: NS, set: SET, bin: 's', index: 'si_s' }),
    await client.createBlobIndex({ ns: NS, set: SET, bin: 'b', index: 'si_b' }),
    await client.createGeo2DSphereIndex({ ns: NS, set: SET, bin: 'loc', index: 'si_loc' }),
    await client.createIndex({ ns: NS, set: SET, bin: 'l', index: 'si_l', type: Aerospike.indexType.LIST, datatype: Aerospike.indexDataType.NUMERIC }),
    await client.createIndex({ ns: NS, set: SET, bin: 'm', index: 'si_mk', type: Aerospike.indexType.MAPKEYS, datatype: Aerospike.indexDataType.STRING }),
    await client.createIndex({ ns: NS, set: SET, bin: 'm', index: 'si_mv', type: Aerospike.indexType.MAPVALUES, datatype: Aerospike.indexDataType.NUMERIC }),
    await client.createIndex({
      ns: NS,
      set: SET,
      bin: 'nested',
      index: 'si_ctx',
      type: Aerospike.indexType.LIST,
      datatype: Aerospike.indexDataType.NUMERIC,
      context: new Aerospike.cdt.Context().addMapKey('inner'),
    }),
  ];
  for (const job of jobs) await job.wait(10);
});

after(async () => {
  await client?.close(false);
  await server?.stop();
});

async function run(q: any, policy?: any): Promise<any[]> {
  return q.results(policy);
}

async function query(filter: any, opts: { select?: string[]; nobins?: boolean } = {}): Promise<any[]> {
  const q = client.query(NS, SET, opts);
  q.where(filter);
  return run(q);
}

function keysOf(recs: any[]): number[] {
  return recs.map((r) => r.key.key as number).sort((a, b) => a - b);
}

function expected(pred: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < N; i++) if (pred(i)) out.push(i);
  return out;
}

test('an integer equality query returns exactly the record with that value', async () => {
  assert.deepEqual(keysOf(await query(Aerospike.filter.equal('n', 42))), [42]);
});

test('an integer range query returns every record in the inclusive range and no other', async () => {
  assert.deepEqual(keysOf(await query(Aerospike.filter.range('n', 10, 57))), expected((i) => i >= 10 && i <= 57));
});

test('a string equality query returns the records holding that string', async () => {
  assert.deepEqual(keysOf(await query(Aerospike.filter.equal('s', 's3'))), expected((i) => i % 7 === 3));
  assert.deepEqual(await query(Aerospike.filter.equal('s', 'none')), []);
});

test('a blob equality query returns the records holding those bytes', async () => {
  const q = client.query(NS, SET);
  q.where(Aerospike.filter.equal('b', Buffer.from([2, 0xab])));
  assert.deepEqual(keysOf(await run(q)), expected((i) => i % 5 === 2));
});

test('a geo within-region query returns the points inside the polygon', async () => {
  const poly = new Aerospike.GeoJSON({
    type: 'Polygon',
    coordinates: [
      [
        [0.75, 0.75],
        [3.25, 0.75],
        [3.25, 2.25],
        [0.75, 2.25],
        [0.75, 0.75],
      ],
    ],
  });
  const got = keysOf(await query(Aerospike.filter.geoWithinGeoJSONRegion('loc', poly)));
  const want = expected((i) => {
    const x = (i % 20) * 0.5;
    const y = Math.floor(i / 20) * 0.5;
    return x > 0.75 && x < 3.25 && y > 0.75 && y < 2.25;
  });
  assert.deepEqual(got, want);
});

test('a geo within-radius query returns the points within that distance', async () => {
  // 40 km around (0,0): points at 0 and 0.25 degrees (about 28 km) along one axis, not 0.5 (55 km)
  const got = keysOf(await query(Aerospike.filter.geoWithinRadius('loc', 0, 0, 40000)));
  assert.deepEqual(got, [0]);
  const wider = keysOf(await query(Aerospike.filter.geoWithinRadius('loc', 0, 0, 60000)));
  assert.deepEqual(wider, [0, 1, 20]);
});

test('a list index answers contains and range queries, each record once', async () => {
  assert.deepEqual(keysOf(await query(Aerospike.filter.contains('l', 50, Aerospike.indexType.LIST))), [49, 50]);
  assert.deepEqual(keysOf(await query(Aerospike.filter.range('l', 100, 102, Aerospike.indexType.LIST))), [99, 100, 101, 102]);
});

test('map keys and map values indexes answer contains and range queries', async () => {
  assert.deepEqual(keysOf(await query(Aerospike.filter.contains('m', 'k3', Aerospike.indexType.MAPKEYS))), expected((i) => i % 10 === 3));
  assert.deepEqual(keysOf(await query(Aerospike.filter.range('m', 1000, 1050, Aerospike.indexType.MAPVALUES))), expected((i) => i >= 100 && i <= 105));
});

test('an index on a CDT context indexes the element the context reaches', async () => {
  const ctx = new Aerospike.cdt.Context().addMapKey('inner');
  const got = keysOf(await query(Aerospike.filter.contains('nested', 12, Aerospike.indexType.LIST, ctx)));
  assert.deepEqual(got, expected((i) => i % 13 === 11 || i % 13 === 12));
});

test('a query on a bin without an index fails with INDEX_NOT_FOUND', async () => {
  await assert.rejects(query(Aerospike.filter.equal('zz', 1)), (e: any) => e.code === 201);
});

test('a query with a filter expression returns only the index matches that pass it', async () => {
  const q = client.query(NS, SET);
  q.where(Aerospike.filter.range('n', 0, 99));
  const exp = Aerospike.exp;
  const got = keysOf(await run(q, new Aerospike.QueryPolicy({ filterExpression: exp.eq(exp.binStr('s'), exp.str('s1')) })));
  assert.deepEqual(got, expected((i) => i < 100 && i % 7 === 1));
});

test('a query selecting bins returns only those bins', async () => {
  const recs = await query(Aerospike.filter.range('n', 0, 9), { select: ['s', 'n'] });
  assert.equal(recs.length, 10);
  assert.ok(recs.every((r) => Object.keys(r.bins).sort().join() === 'n,s'));
});

test('a paginated query resumes where each page stopped and returns every record once', async () => {
  const q = client.query(NS, SET, { paginate: true, maxRecords: 17 });
  q.where(Aerospike.filter.range('n', 0, 199));
  const seen: number[] = [];
  let pages = 0;
  while (pages < 50) {
    const page = await q.results();
    pages++;
    for (const r of page) seen.push(r.key.key);
    assert.ok(page.length <= 17, `page of ${page.length}`);
    if (!q.hasNextPage()) break;
  }
  assert.ok(pages >= 12, `only ${pages} pages`);
  assert.deepEqual(seen.sort((a, b) => a - b), expected((i) => i < 200));
});

test('an update moves a record from its old index value to its new one', async () => {
  const key = new Aerospike.Key(NS, SET, 7);
  await client.put(key, { n: 100007, s: 'moved' });
  assert.deepEqual(keysOf(await query(Aerospike.filter.equal('n', 7))), []);
  assert.deepEqual(keysOf(await query(Aerospike.filter.equal('n', 100007))), [7]);
  assert.deepEqual(keysOf(await query(Aerospike.filter.equal('s', 'moved'))), [7]);
  await client.put(key, binsOf(7), {}, new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND }));
  assert.deepEqual(keysOf(await query(Aerospike.filter.equal('n', 7))), [7]);
});

test('a deleted record leaves every index', async () => {
  const key = new Aerospike.Key(NS, SET, 'gone');
  await client.put(key, { n: 777777, s: 'gone', l: [777777] }, {}, new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND }));
  assert.deepEqual((await query(Aerospike.filter.equal('n', 777777))).length, 1);
  await client.remove(key);
  assert.deepEqual(await query(Aerospike.filter.equal('n', 777777)), []);
  assert.deepEqual(await query(Aerospike.filter.contains('l', 777777, Aerospike.indexType.LIST)), []);
  const stat = await client.info(`sindex-stat:namespace=${NS};indexname=si_n`, { addr: '127.0.0.1', port: server.port });
  assert.match(stat, /entries=300;/);
});

test('sindex-list shows each index readable and sindex-stat reports entries and load_pct 100', async () => {
  const host = { addr: '127.0.0.1', port: server.port };
  const list = await client.info(`sindex-list:ns=${NS}`, host);
  assert.match(list, /ns=test:indexname=si_n:set=si:bin=n:type=numeric:indextype=default:context=null:exp=null:state=RW/);
  assert.match(list, /indexname=si_ctx:set=si:bin=nested:type=numeric:indextype=list:context=\[map_key\(<string#5>\)\]/);
  const stat = await client.info(`sindex-stat:namespace=${NS};indexname=si_l`, host);
  assert.match(stat, /entries=600;used_bytes=\d+;entries_per_bval=\d+;entries_per_rec=2;load_pct=100;load_time=\d+;stat_gc_recs=0/);
  // the client turns an ERROR answer into an exception carrying its text
  await assert.rejects(client.info(`sindex-stat:namespace=${NS};indexname=nope`, host), /no index/);
});

test('sindex-create refuses a name reused with another definition and accepts the same definition again', async () => {
  const host = { addr: '127.0.0.1', port: server.port };
  await assert.rejects(
    client.info(`sindex-create:namespace=${NS};set=${SET};indexname=si_n;bin=s;type=string`, host),
    /'indexname' already exists with different definition/,
  );
  const same = await client.info(`sindex-create:namespace=${NS};set=${SET};indexname=si_n;bin=n;type=numeric`, host);
  assert.match(same, /\tok/);
  await assert.rejects(client.info(`sindex-create:namespace=${NS};set=${SET};indexname=x;bin=n;type=float`, host), /bad 'type'/);
});

test('a truncated set leaves its records out of every query', async () => {
  const policy = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
  for (let i = 0; i < 20; i++) await client.put(new Aerospike.Key(NS, 'trunc', i), { n: i }, {}, policy);
  const job = await client.createIntegerIndex({ ns: NS, set: 'trunc', bin: 'n', index: 'si_trunc' });
  await job.wait(10);
  const q = () => {
    const qq = client.query(NS, 'trunc');
    qq.where(Aerospike.filter.range('n', 0, 100));
    return qq.results();
  };
  assert.equal((await q()).length, 20);
  await client.truncate(NS, 'trunc', 0);
  assert.equal((await q()).length, 0);
  await client.put(new Aerospike.Key(NS, 'trunc', 'after'), { n: 5 });
  assert.equal((await q()).length, 1);
});

test('a deleted index answers INDEX_NOT_FOUND and disappears from sindex-list', async () => {
  const job = await client.createIntegerIndex({ ns: NS, set: SET, bin: 'n', index: 'si_tmp_gone' });
  await job.wait(10);
  // same definition as si_n: Aerospike renames the index rather than building a second one
  const host = { addr: '127.0.0.1', port: server.port };
  const list = await client.info(`sindex-list:ns=${NS}`, host);
  assert.match(list, /indexname=si_tmp_gone/);
  assert.doesNotMatch(list, /indexname=si_n:/);
  await client.indexRemove(NS, 'si_tmp_gone');
  await assert.rejects(query(Aerospike.filter.equal('n', 1)), (e: any) => e.code === 201);
  const j2 = await client.createIntegerIndex({ ns: NS, set: SET, bin: 'n', index: 'si_n' });
  await j2.wait(10);
  assert.deepEqual(keysOf(await query(Aerospike.filter.equal('n', 1))), [1]);
});

test('a query with projection operations answers each read op result per record (8.1.2)', async () => {
  const q = client.query(NS, SET, { ops: [Aerospike.lists.size('l'), Aerospike.maps.getByKey('m', 'common', Aerospike.maps.returnType.VALUE), Aerospike.operations.read('n')] });
  q.where(Aerospike.filter.range('n', 10, 14));
  const recs = await q.results();
  assert.deepEqual(keysOf(recs), [10, 11, 12, 13, 14]);
  for (const r of recs) {
    const i = r.key.key as number;
    assert.deepEqual(r.bins, { l: 3, m: i % 2, n: i });
  }
});

