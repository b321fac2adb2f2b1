/**
 * Ordered lists and maps written back by a Lua UDF (official client): a list read from an ordered
 * list keeps the ordered flag and is stored sorted, as Aerospike 8.1.2 does, while the UDF's return
 * value is the Lua list as built; key-ordered and key-value-ordered maps keep their order too.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { FIXTURES } from '../helpers/paths.js';
import { connectClient } from '../helpers/client.js';

const LUA = join(FIXTURES, 'udf', 'strato_ordered.lua');
let server: StratoProcess;
let client: any;
const key = (k: string) => new Aerospike.Key('test', 'udfo', k);
const lists = Aerospike.lists;
const maps = Aerospike.maps;
const apply = (k: string, funcname: string, ...args: unknown[]) => client.apply(key(k), { module: 'strato_ordered', funcname, args });

before(async () => {
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  const job = await client.udfRegister(LUA);
  await job.wait(50);
});
after(async () => {
  await client?.close(false);
  await server?.stop();
});

async function orderedList(k: string, bin: string, items: number[]): Promise<void> {
  await client.operate(key(k), [lists.setOrder(bin, lists.order.ORDERED), lists.appendItems(bin, items)]);
}

test('a Lua append to an ordered list is stored sorted and the list stays ordered', async () => {
  await orderedList('l1', 'ol', [5, 1, 3]);
  assert.deepEqual(await apply('l1', 'list_append', 'ol', 0), [1, 3, 5, 0], 'the UDF returns its Lua list as built');
  assert.deepEqual((await client.get(key('l1'))).bins.ol, [0, 1, 3, 5]);
  // still ordered: a plain append goes to its sorted place, a value lookup by rank works on it
  await client.operate(key('l1'), [lists.append('ol', 2)]);
  assert.deepEqual((await client.get(key('l1'))).bins.ol, [0, 1, 2, 3, 5]);
  const rec = await client.operate(key('l1'), [lists.getByRank('ol', -1, lists.returnType.VALUE)]);
  assert.equal(rec.bins.ol, 5);
});

test('an ordered list nested in a map is re-sorted too; a new Lua list is unordered', async () => {
  await client.put(key('l2'), { m: { l: [] } });
  await client.operate(key('l2'), [lists.setOrder('m', lists.order.ORDERED).withContext((c: any) => c.addMapKey('l')), lists.appendItems('m', [4, 8]).withContext((c: any) => c.addMapKey('l'))]);
  await apply('l2', 'nested_append', 'm', 6);
  assert.deepEqual((await client.get(key('l2'))).bins.m, { l: [4, 6, 8] });
  await apply('l2', 'new_list', 'nl');
  assert.deepEqual((await client.get(key('l2'))).bins.nl, [9, 2, 7]);
  await client.operate(key('l2'), [lists.append('nl', 1)]);
  assert.deepEqual((await client.get(key('l2'))).bins.nl, [9, 2, 7, 1], 'unordered: appends go last');
});

test('key-ordered and key-value-ordered maps keep their order after a Lua write-back', async () => {
  await client.operate(key('m1'), [maps.setPolicy('ko', new Aerospike.MapPolicy({ order: maps.order.KEY_ORDERED })), maps.putItems('ko', { c: 3, a: 1 })]);
  await client.operate(key('m1'), [maps.setPolicy('kv', new Aerospike.MapPolicy({ order: maps.order.KEY_VALUE_ORDERED })), maps.putItems('kv', { x: 30, y: 10 })]);
  await apply('m1', 'map_put', 'ko', 'b', 2);
  await apply('m1', 'map_put', 'kv', 'z', 20);
  const rec = await client.operate(key('m1'), [
    maps.getByIndexRange('ko', 0, 3, maps.returnType.KEY),
    maps.getByRankRange('kv', 0, 3, maps.returnType.KEY),
  ]);
  assert.deepEqual(rec.bins.ko, ['a', 'b', 'c']);
  assert.deepEqual(rec.bins.kv, ['y', 'z', 'x']);
});
