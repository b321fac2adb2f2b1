/**
 * Aerospike 8.1 CDT path operations through the official client against a real strato process:
 * select by path (values, map keys, keys and values, matching tree, NO_FAIL), modify by path with a
 * modify expression (arithmetic, cond, removal, ordered lists kept in order), path contexts
 * (all children, filters over the loop variables, map keys in, AND filters, index / rank / key),
 * path expressions in read / write expressions and filters, and the errors 8.1.2 answers. Raw frames
 * cover what the client cannot send (an apply on a read op).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { resultCode } from '../helpers/result-code.js';
import { requestFrame } from '../helpers/raw-client.js';
import { encodeMessage, keyFields } from '../../src/client/message-encoder.js';
import { computeDigest } from '../../src/util/digest.js';
import { connectClient } from '../helpers/client.js';

let server: StratoProcess;
let client: any;
const exp = Aerospike.exp;
const ops = Aerospike.operations;
const F = exp.pathSelectFlags;
const M = exp.pathModifyFlags;
const V = exp.loopVarPart;
const key = (k: string) => new Aerospike.Key('test', 'path', k);
const ctx = () => new Aerospike.cdt.Context();

const PARAMETER = 4;
const SERVER_ERROR = 1;
const INCOMPATIBLE_TYPE = 12;

const library = {
  shelf: [
    { title: 'abc', price: 1.5, tags: ['old'] },
    { title: 'def', price: 2.75, tags: ['new', 'sale'] },
    { title: 'ghi', price: 9.5, tags: [] },
  ],
  owner: 'ann',
};

before(async () => {
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
});
after(async () => {
  await client?.close(false);
  await server?.stop();
});

async function select(k: string, bin: string, flags: number, c: any): Promise<any> {
  const rec = await client.operate(key(k), [ops.selectByPath(bin, flags, c)]);
  return rec.bins[bin];
}

test('select by path answers the leaf values, map keys, keys and values, and the matching tree', async () => {
  await client.put(key('s1'), { m: { a: 1, b: 2, c: 3 }, l: [5, 6, 7], lib: library });
  assert.deepEqual(await select('s1', 'l', F.VALUE, ctx().addAllChildren()), [5, 6, 7]);
  assert.deepEqual(await select('s1', 'm', F.MAP_KEY, ctx().addAllChildren()), ['a', 'b', 'c']);
  assert.deepEqual(await select('s1', 'm', F.MAP_KEY_VALUE, ctx().addAllChildren()), ['a', 1, 'b', 2, 'c', 3]);
  assert.deepEqual(await select('s1', 'm', F.MATCHING_TREE, ctx().addAllChildren()), { a: 1, b: 2, c: 3 });
  const titles = ctx()
    .addMapKey('shelf')
    .addAllChildrenWithFilter(exp.gt(exp.maps.getByKey(exp.loopVarMap(V.VALUE), exp.str('price'), exp.type.FLOAT, Aerospike.maps.returnType.VALUE), exp.float(2.0)))
    .addMapKey('title');
  assert.deepEqual(await select('s1', 'lib', F.VALUE, titles), ['def', 'ghi']);
  assert.deepEqual(await select('s1', 'lib', F.MATCHING_TREE, titles), { shelf: [{ title: 'def' }, { title: 'ghi' }] });
});

test('filter contexts see the loop variables VALUE, INDEX and KEY', async () => {
  await client.put(key('s2'), { l: [2, 4, 6, 8], m: { x: 10, y: 20, z: 30 } });
  const byValue = ctx().addAllChildrenWithFilter(exp.gt(exp.loopVarInt(V.VALUE), exp.int(4)));
  assert.deepEqual(await select('s2', 'l', F.VALUE, byValue), [6, 8]);
  const byIndex = ctx().addAllChildrenWithFilter(exp.lt(exp.loopVarInt(V.INDEX), exp.int(2)));
  assert.deepEqual(await select('s2', 'l', F.VALUE, byIndex), [2, 4]);
  const byKey = ctx().addAllChildrenWithFilter(exp.ne(exp.loopVarStr(V.KEY), exp.str('y')));
  assert.deepEqual(await select('s2', 'm', F.MAP_KEY_VALUE, byKey), ['x', 10, 'z', 30]);
});

test('map keys in, AND filters, and index / rank contexts narrow a level', async () => {
  await client.put(key('s3'), { m: { a: 1, b: 5, c: 9, d: 2 }, l: [30, 10, 20] });
  assert.deepEqual(await select('s3', 'm', F.MAP_KEY_VALUE, ctx().addMapKeysIn(['d', 'a', 'q'])), ['a', 1, 'd', 2]);
  const keysAnd = ctx().addMapKeysIn(['a', 'b', 'c']).addAndFilter(exp.gt(exp.loopVarInt(V.VALUE), exp.int(3)));
  assert.deepEqual(await select('s3', 'm', F.MAP_KEY, keysAnd), ['b', 'c']);
  assert.deepEqual(await select('s3', 'l', F.VALUE, ctx().addListRank(0)), [10]);
  assert.deepEqual(await select('s3', 'l', F.VALUE, ctx().addListIndex(-1)), [20]);
  assert.deepEqual(await select('s3', 'l', F.VALUE, ctx().addListIndex(7)), [], 'an index out of range selects nothing');
  assert.deepEqual(await select('s3', 'm', F.VALUE, ctx().addMapRank(-1)), [9]);
});

test('select errors: a non-CDT bin, a filter type mismatch, map keys from a list; NO_FAIL skips', async () => {
  await client.put(key('s4'), { i: 7, s: ['bob', 'tom'], l: [1, 2] });
  assert.equal(await resultCode(client.operate(key('s4'), [ops.selectByPath('i', F.VALUE, ctx().addAllChildren())])), INCOMPATIBLE_TYPE);
  const mismatch = ctx().addAllChildrenWithFilter(exp.gt(exp.loopVarInt(V.VALUE), exp.int(1)));
  assert.equal(await resultCode(client.operate(key('s4'), [ops.selectByPath('s', F.VALUE, mismatch)])), PARAMETER);
  assert.deepEqual(await select('s4', 's', F.VALUE | F.NO_FAIL, mismatch), []);
  assert.equal(await resultCode(client.operate(key('s4'), [ops.selectByPath('l', F.MAP_KEY, ctx().addAllChildren())])), INCOMPATIBLE_TYPE);
  assert.deepEqual(await select('s4', 'l', F.MAP_KEY | F.NO_FAIL, ctx().addAllChildren()), []);
  const rec = await client.operate(key('s4'), [ops.selectByPath('nobin', F.VALUE, ctx().addAllChildren())]);
  assert.equal(rec.bins.nobin, undefined, 'a missing bin selects nothing');
});

test('modify by path rewrites, removes, keeps ordered lists in order and bumps the generation', async () => {
  await client.put(key('m1'), { l: [1, 2, 3], lib: library });
  const gen = (await client.get(key('m1'))).gen;
  await client.operate(key('m1'), [ops.modifyByPath('l', exp.mul(exp.loopVarInt(V.VALUE), exp.int(10)), M.DEFAULT, ctx().addAllChildren())]);
  assert.deepEqual((await client.get(key('m1'))).bins.l, [10, 20, 30]);
  const cheap = ctx().addMapKey('shelf').addAllChildrenWithFilter(exp.lt(exp.maps.getByKey(exp.loopVarMap(V.VALUE), exp.str('price'), exp.type.FLOAT, Aerospike.maps.returnType.VALUE), exp.float(5.0)));
  await client.operate(key('m1'), [ops.modifyByPath('lib', exp.removeResult(), M.DEFAULT, cheap)]);
  const after1 = await client.get(key('m1'));
  assert.deepEqual(after1.bins.lib.shelf.map((b: any) => b.title), ['ghi']);
  assert.equal(after1.gen, gen + 2);

  await client.operate(key('m1'), [
    Aerospike.lists.setOrder('o', Aerospike.lists.order.ORDERED),
    Aerospike.lists.appendItems('o', [1, 2, 3, 4]),
  ]);
  // negate: the ordered list is re-sorted, and keeps its flag for later appends
  await client.operate(key('m1'), [ops.modifyByPath('o', exp.sub(exp.int(0), exp.loopVarInt(V.VALUE)), M.DEFAULT, ctx().addAllChildren())]);
  await client.operate(key('m1'), [Aerospike.lists.append('o', -2)]);
  assert.deepEqual((await client.get(key('m1'))).bins.o, [-4, -3, -2, -2, -1]);
});

test('an unknown modify result is SERVER_ERROR and leaves the bin; NO_FAIL keeps the element', async () => {
  await client.put(key('m2'), { l: [1, 'two', 3] });
  const plusOne = exp.add(exp.loopVarInt(V.VALUE), exp.int(1));
  assert.equal(await resultCode(client.operate(key('m2'), [ops.modifyByPath('l', plusOne, M.DEFAULT, ctx().addAllChildren())])), SERVER_ERROR);
  assert.deepEqual((await client.get(key('m2'))).bins.l, [1, 'two', 3]);
  await client.operate(key('m2'), [ops.modifyByPath('l', plusOne, M.NO_FAIL, ctx().addAllChildren())]);
  assert.deepEqual((await client.get(key('m2'))).bins.l, [2, 'two', 4]);
  await client.put(key('m2'), { i: 5 });
  assert.equal(await resultCode(client.operate(key('m2'), [ops.modifyByPath('i', plusOne, M.DEFAULT, ctx().addAllChildren())])), INCOMPATIBLE_TYPE);
});

test('path expressions: select and modify by path in read and write expressions and in a filter', async () => {
  await client.put(key('e1'), { l: [1, 2, 3], m: { a: 1.5, b: 2.5 } });
  const allL = exp.selectByPath(exp.binList('l'), exp.type.LIST, F.VALUE, ctx().addAllChildren());
  let rec = await client.operate(key('e1'), [Aerospike.exp.operations.read('r', allL, 0)]);
  assert.deepEqual(rec.bins.r, [1, 2, 3]);
  const keys = exp.selectByPath(exp.binMap('m'), exp.type.LIST, F.MAP_KEY, ctx().addAllChildren());
  rec = await client.operate(key('e1'), [Aerospike.exp.operations.read('r', keys, 0)]);
  assert.deepEqual(rec.bins.r, ['a', 'b']);
  const doubled = exp.modifyByPath(exp.binList('l'), exp.type.LIST, exp.mul(exp.loopVarInt(V.VALUE), exp.int(2)), M.DEFAULT, ctx().addAllChildren());
  rec = await client.operate(key('e1'), [Aerospike.exp.operations.read('r', doubled, 0), ops.read('l')]);
  assert.deepEqual(rec.bins.r, [2, 4, 6]);
  assert.deepEqual(rec.bins.l, [1, 2, 3], 'a read expression does not write the bin');
  await client.operate(key('e1'), [Aerospike.exp.operations.write('l', doubled, 0)]);
  assert.deepEqual((await client.get(key('e1'))).bins.l, [2, 4, 6]);
  const three = exp.eq(exp.lists.size(allL), exp.int(3));
  assert.equal((await client.get(key('e1'), new Aerospike.ReadPolicy({ filterExpression: three }))).bins.l.length, 3);
  const none = exp.eq(exp.lists.size(allL), exp.int(0));
  assert.equal(await resultCode(client.get(key('e1'), new Aerospike.ReadPolicy({ filterExpression: none }))), 27);
});

test('an apply sent as a read op, and malformed select payloads, answer PARAMETER (raw frames)', async () => {
  await client.put(key('r1'), { l: [1, 2, 3] });
  const digest = computeDigest('path', 3, Buffer.from('r1'));
  const send = async (opType: number, payload: string): Promise<number> => {
    const req = encodeMessage({ info1: opType === 3 ? 1 : 0, info2: opType === 4 ? 1 : 0 }, keyFields('test', 'path', digest), [
      { op: opType, type: 4, name: 'l', value: Buffer.from(payload, 'hex') },
    ]);
    const answer = await requestFrame('127.0.0.1', server.port, req, 5000);
    return answer[13]!;
  };
  // [0xfe, [4, true], 4, [22, [122, 2, 1], 2]]: apply (value * 2) on a read op
  assert.equal(await send(3, '94ccfe9204c3049316937a020102'), PARAMETER);
  assert.equal(await send(4, '94ccfe9204c3049316937a020102'), 0);
  assert.deepEqual((await client.get(key('r1'))).bins.l, [2, 4, 6]);
  assert.equal(await send(3, '93ccfe9104c301'), PARAMETER, 'odd context length');
  assert.equal(await send(3, '93ccfe9204c307'), PARAMETER, 'select type 7');
  assert.equal(await send(3, '93ccfe920501c301'), PARAMETER, 'context type 5');
  assert.equal(await send(3, '93ccfe9204c2c301'.slice(0, 12) + '01'), PARAMETER, 'false is no filter');
  assert.equal(await send(3, '92ccfe9204c3'), PARAMETER, 'flags missing');
  assert.equal(await send(3, '93ccfe92cd02049301937a02010101'), PARAMETER, 'AND as the first context');
});
