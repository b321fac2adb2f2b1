/**
 * Record UDF runtime: value conversions between the wire model and Lua (integer and float
 * subtypes, strings, bytes, booleans, lists, maps with key order and flags, GeoJSON, nil), the
 * list / map / bytes / record / aerospike functions, the server's write semantics (create, update,
 * remove, bin cache, limits, failures), module loading and the execution bounds.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AsBytes, AsGeoJson, AsMap, LIST_FLAGS, pack, type AsList, type AsValue } from '../../src/protocol/msgpack.js';
import { UdfRegistry, applyRecordUdf, type UdfOutcome, type UdfRecord } from '../../src/udf/index.js';
import { logger } from '../../src/util/log.js';

const PATH = '/opt/udf';

const MODULE = String.raw`
local function L(...)
  local l = list()
  for i = 1, select('#', ...) do list.append(l, (select(i, ...))) end
  return l
end
function echo(rec, v) return v end
function nargs(rec, ...) return select('#', ...) end
function kinds(rec, ...)
  local out = list()
  for i = 1, select('#', ...) do
    local v = select(i, ...)
    local t = type(v)
    if math.type(v) then t = t .. ':' .. math.type(v) end
    list.append(out, t)
  end
  return out
end
function ret_table(rec) return { 1, 2 } end
function ret_fn(rec) return print end
function ret_rec(rec) return rec end
function floats(rec) local l = list() list.append(l, 3.0) list.append(l, 7 // 2) list.append(l, 7 / 2) list.append(l, 2^53) return l end
function nul_str(rec) return "ab\0cd" end
function list_ops(rec)
  local l = list{ 1, 2, 3 }
  list.append(l, 4)
  list.prepend(l, 0)
  list.insert(l, 2, 'x')
  list.remove(l, 3)
  l[9] = 'nine'
  local t = list.take(l, 3)
  local d = list.drop(l, 7)
  list.trim(l, 6)
  list.concat(l, d)
  local it = list()
  for v in list.iterator(t) do list.append(it, v) end
  return L(l, list.size(l), #l, it, list.take(l, 0), tostring(list{ 1, 'a', 2.5 }), list{ 1, nil, 3 })
end
function map_keys(rec)
  local m = map()
  m['b'] = 1
  m['a'] = 2
  m[10] = 3
  m[2] = 4
  m[1.5] = 5
  m[true] = 6
  m[list{ 1 }] = 7
  m[1] = 'int'
  m[1.0] = 'float'
  return m
end
function map_ops(rec)
  local m = map{ a = 1, b = 2 }
  m.c = nil
  map.remove(m, 'a')
  m.d = { 'plain table' }
  local ks, vs = list(), list()
  for k in map.keys(m) do list.append(ks, k) end
  for v in map.values(m) do list.append(vs, v) end
  local merged = map.merge(map{ x = 1, y = 2 }, map{ y = 10, z = 3 }, function(a, b) return a + b end)
  local diff = map.diff(map{ x = 1, y = 2 }, map{ y = 5, z = 3 })
  return L(m, map.size(m), #m, ks, vs, merged, diff, m.b, m.zz)
end
function map_list_key(rec)
  local m = map()
  m[list{ 1, 2 }] = 'a'
  return m[list{ 1, 2 }]
end
function bytes_ops(rec)
  local b = bytes(0)
  bytes.append_int16_be(b, 258)
  bytes.append_int32_le(b, 1)
  bytes.append_string(b, 'hi')
  b[10] = 7
  local ok = bytes.set_byte(b, 1, 256)
  return L(b, bytes.size(b), #b, bytes.get_int16_be(b, 1), bytes.get_int32_le(b, 3), bytes.get_string(b, 7, 2), b[10], b[11], ok, tostring(b))
end
function bytes_typed(rec, b) bytes.set_type(b, 7) return list{ b, bytes.get_type(b), bytes.size(b) } end
function bytes_varint(rec)
  local b = bytes()
  local n = bytes.append_var_int(b, 300)
  local v, sz = bytes.get_var_int(b, 1)
  return list{ b, n, v, sz }
end
function geo(rec, g) return list{ g, type(g), tostring(g), geojson('{"type":"Point","coordinates":[1,2]}') } end
function types(rec)
  return list{ type(list()), type(map()), type(bytes()), type(rec), type(aerospike), type({}), getmetatable(map()) == Map, getmetatable(list()) == List }
end
function meta(rec)
  local m = map()
  m.ttl = record.ttl(rec)
  m.gen = record.gen(rec)
  m.set = record.setname(rec)
  m.digest = record.digest(rec)
  m.key = record.key(rec)
  m.numbins = record.numbins(rec)
  m.lut = record.last_update_time(rec)
  local names = list()
  for _, n in ipairs(record.bin_names(rec)) do list.append(names, n) end
  m.names = names
  m.exists = aerospike:exists(rec)
  m.now = aerospike:get_current_time()
  return m
end
function missing_meta(rec)
  return L(record.gen(rec), record.ttl(rec), record.setname(rec), record.key(rec), aerospike:exists(rec), bytes.size(record.digest(rec)))
end
function bin_names_missing(rec) local n = record.bin_names(rec) return n end
function update_missing(rec) rec.a = 1 return aerospike:update(rec) end
function remove_missing(rec) return aerospike:remove(rec) end
function create_existing(rec) rec.z = 1 return aerospike:create(rec) end
function create_then_exists(rec) rec.a = 1 local rc = aerospike:create(rec) return list{ rc, aerospike:exists(rec), record.gen(rec) } end
function create_then_remove(rec) rec.a = 1 aerospike:create(rec) return aerospike:remove(rec) end
function remove_existing(rec) return aerospike:remove(rec) end
function touch(rec) return aerospike:update(rec) end
function unsupported(rec) rec.x = { 1 } aerospike:update(rec) return 0 end
function long_name(rec) rec['abcdefghijklmnop'] = 1 return aerospike:create(rec) end
function rec_in_bin(rec) rec.r = rec return aerospike:update(rec) end
function late_change(rec) rec.a = 1 aerospike:update(rec) rec.b = 2 return rec.b end
function fail_after_update(rec) rec.a = 1 aerospike:update(rec) error('later') end
function del_bin(rec, name) rec[name] = nil return aerospike:update(rec) end
function read_then_mutate(rec) local l = rec.l list.append(l, 99) rec.l = l aerospike:update(rec) return rec.l end
function many_bins(rec, n) for i = 1, n do rec['b' .. i] = i end return aerospike:create(rec) end
function ttl(rec, t) record.set_ttl(rec, t) rec.a = 1 return aerospike:update(rec) end
function drop_key(rec) record.drop_key(rec) return aerospike:update(rec) end
function err_number(rec) error(42) end
function err_table(rec) error({}) end
function err_nolevel(rec) error('plain', 0) end
function bad_arg(rec) local g = record.gen(5) return g end
function logs(rec) info('hello %d', 5) warn('careful') return 1 end
counter = 0
function count(rec) counter = counter + 1 return counter end
function spin(rec) while true do end end
local function loop_forever() while true do end end
function spin_nested(rec) loop_forever() end
function spin_caught(rec) while true do pcall(function() while true do end end) end end
function hog(rec) local s = string.rep('x', 200 * 1024 * 1024) return #s end
function sandbox(rec)
  local out = list()
  list.append(out, (pcall(os.exit, 1)))
  list.append(out, load(string.char(27) .. 'Lua') == nil)
  list.append(out, type(require('debug').sethook))
  list.append(out, type(debug))
  print('to the log', 1)
  return out
end
function use_lib(rec, x) local lib = require('helper') return lib.double(x) end
`;

const HELPER = 'local M = {}\nfunction M.double(x) return x * 2 end\nreturn M\n';

let registry: UdfRegistry;

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

function newRec(bins: [string, AsValue][] = [], exists = bins.length > 0): UdfRecord {
  return {
    exists,
    bins: new Map(bins),
    generation: exists ? 5 : 0,
    voidTime: 0,
    lastUpdateMs: exists ? 1_700_000_000_000 : 0,
    setName: 'myset',
    digest: Buffer.alloc(20, 0xab),
    key: 'k1',
    nowMs: 1_700_000_100_000,
  };
}

function run(fn: string, args: AsValue[] = [], rec: UdfRecord = newRec(), opts = {}): UdfOutcome {
  return applyRecordUdf(registry, 'testmod', fn, pack(args as AsList), rec, opts);
}

function ok(o: UdfOutcome): AsValue {
  assert.equal(o.kind, 'ok', o.kind === 'error' ? `error ${o.code}: ${o.message}` : '');
  return (o as { result: AsValue }).result;
}

function failure(o: UdfOutcome): { code: number; message: string } {
  assert.equal(o.kind, 'error');
  return o as { code: number; message: string };
}

const m = (entries: [AsValue, AsValue][], flags = 0) => new AsMap(entries, flags);

before(async () => {
  logger.setSinks([]);
  registry = new UdfRegistry(undefined, { userPath: PATH });
  await registry.init();
  assert.equal(registry.infoPut(`filename=testmod.lua;content=${b64(MODULE)};content-len=${b64(MODULE).length};udf-type=LUA;`), 'ok');
  assert.equal(registry.infoPut(`filename=helper.lua;content=${b64(HELPER)};content-len=${b64(HELPER).length};`), 'ok');
});

after(() => registry.close());

test('arguments and results keep their types', () => {
  const values: AsValue[] = [
    0n, 42n, -7n, 2n ** 63n - 1n, -(2n ** 63n), 2.5, 3.0, -0.5, 'hello', 'héllo ✓', '', true, false, null,
    new AsBytes(4, Buffer.from([1, 2, 255])), new AsBytes(4, Buffer.alloc(0)),
    [1n, 'two', [2n, null, 3.5]], m([['a', 1n], ['b', [1n, 2n]]]), m([['a', 1n]], 1), new AsGeoJson('{"type":"Point","coordinates":[0,0]}'),
  ];
  for (const v of values) assert.deepEqual(ok(run('echo', [v])), v, `echo ${String(v)}`);
  assert.deepEqual(ok(run('kinds', [1n, 1.0, 'a', true, null, [1n], m([]), new AsBytes(4, Buffer.from('x'))])), [
    'number:integer', 'number:float', 'string', 'boolean', 'nil', 'userdata', 'userdata', 'userdata',
  ]);
  assert.deepEqual(ok(run('floats')), [3.0, 3n, 3.5, 2 ** 53]);
  assert.equal(ok(run('nargs', [1n, null, 3n])), 3n);
  assert.equal(ok(run('nul_str')), 'ab');
});

test('argument list: a missing or non-list field means no arguments', () => {
  assert.equal(ok(applyRecordUdf(registry, 'testmod', 'nargs', Buffer.from([0x05]), newRec())), 0n);
  assert.equal(ok(applyRecordUdf(registry, 'testmod', 'nargs', Buffer.alloc(0), newRec())), 0n);
  assert.equal(ok(applyRecordUdf(registry, 'testmod', 'nargs', Buffer.from([0x93, 0x01]), newRec())), 0n);
});

test('unsupported results are returned as nil', () => {
  assert.equal(ok(run('ret_table')), null);
  assert.equal(ok(run('ret_fn')), null);
  assert.equal(ok(run('ret_rec')), null);
});

test('list functions', () => {
  const r = ok(run('list_ops')) as AsValue[];
  assert.deepEqual(r[0], [0n, 'x', 2n, 3n, 4n, null, 'nine']);
  assert.deepEqual(r.slice(1, 3), [7n, 7n]);
  assert.deepEqual(r[3], [0n, 'x', 2n]);
  assert.equal(r[4], null);
  assert.equal(r[5], '[1, "a", 2.5]');
  // a table constructor skips nils, as lua_next does for the server
  assert.deepEqual(r[6], [1n, 3n]);
});

test('an ordered list comes back without its flags, like the server', () => {
  const l: AsList = [3n, 1n];
  l[LIST_FLAGS] = 1;
  const back = ok(run('echo', [l])) as AsList;
  assert.deepEqual([...back], [3n, 1n]);
  assert.equal(back[LIST_FLAGS], undefined);
});

test('map keys: value identity and server order (bool < int < string < list < double)', () => {
  const r = ok(run('map_keys'));
  assert.deepEqual(
    r,
    m([
      [true, 6n], [1n, 'int'], [2n, 4n], [10n, 3n], ['a', 2n], ['b', 1n], [[1n], 7n], [1.0, 'float'], [1.5, 5n],
    ]),
  );
  assert.equal(ok(run('map_list_key')), 'a');
});

test('map functions', () => {
  const r = ok(run('map_ops')) as AsValue[];
  assert.deepEqual(r[0], m([['b', 2n], ['c', null]]));
  assert.deepEqual(r.slice(1, 3), [2n, 2n]);
  assert.deepEqual(r[3], ['b', 'c']);
  assert.deepEqual(r[4], [2n]);
  assert.deepEqual(r[5], m([['x', 1n], ['y', 12n], ['z', 3n]]));
  assert.deepEqual(r[6], m([['x', 1n], ['z', 3n]]));
  assert.deepEqual(r.slice(7), [2n, null]);
});

test('bytes functions', () => {
  const r = ok(run('bytes_ops')) as AsValue[];
  assert.deepEqual(r[0], new AsBytes(4, Buffer.from([1, 2, 1, 0, 0, 0, 0x68, 0x69, 0, 7])));
  assert.deepEqual(r.slice(1), [10n, 10n, 258n, 1n, 'hi', 7n, null, false, '01 02 01 00 00 00 68 69 00 07']);
  assert.deepEqual(ok(run('bytes_typed', [new AsBytes(4, Buffer.from([9]))])), [new AsBytes(7, Buffer.from([9])), 7n, 1n]);
  assert.deepEqual(ok(run('bytes_varint')), [new AsBytes(4, Buffer.from([0xac, 0x02])), 2n, 300n, 2n]);
});

test('geojson and type()', () => {
  const g = new AsGeoJson('{"type":"Point","coordinates":[0,0]}');
  assert.deepEqual(ok(run('geo', [g])), [g, 'userdata', '"{"type":"Point","coordinates":[0,0]}"', new AsGeoJson('{"type":"Point","coordinates":[1,2]}')]);
  assert.deepEqual(ok(run('types')), ['userdata', 'userdata', 'userdata', 'userdata', 'userdata', 'table', true, true]);
});

test('record functions see the record the server passes', () => {
  const rec = newRec([['x', 1n], ['y', 'a']]);
  rec.voidTime = Math.floor(rec.nowMs! / 1000) - 1262304000 + 100;
  const r = ok(run('meta', [], rec));
  assert.deepEqual(
    r,
    m([
      ['digest', new AsBytes(4, Buffer.alloc(20, 0xab))],
      ['exists', true],
      ['gen', 5n],
      ['key', 'k1'],
      ['lut', BigInt(1_700_000_000_000 - 1262304000 * 1000)],
      ['names', ['x', 'y']],
      ['now', 1_700_000_100_000n],
      ['numbins', 2n],
      ['set', 'myset'],
      ['ttl', 100n],
    ]),
  );
  assert.deepEqual(ok(run('missing_meta')), [0n, 0n, null, null, false, 20n]);
  assert.match(failure(run('bin_names_missing')).message, /^\/opt\/udf\/testmod\.lua:\d+: can't get bin names$/);
});

test('aerospike:create / update / exists / remove return what the server returns', () => {
  let o = run('update_missing');
  assert.equal(ok(o), -2n);
  assert.equal((o as { write: string }).write, 'none');
  assert.equal(ok(run('remove_missing')), 1n);
  o = run('create_existing', [], newRec([['a', 1n]]));
  assert.equal(ok(o), 1n);
  assert.equal((o as { write: string }).write, 'none');
  o = run('create_then_exists');
  assert.deepEqual(ok(o), [0n, true, 0n]);
  assert.equal((o as { write: string }).write, 'create');
  assert.deepEqual([...(o as { bins: Map<string, AsValue> }).bins], [['a', 1n]]);
  o = run('remove_existing', [], newRec([['a', 1n], ['b', 2n]]));
  assert.equal(ok(o), 0n);
  assert.equal((o as { write: string }).write, 'remove');
  assert.equal((o as { bins: Map<string, AsValue> }).bins.size, 0);
  o = run('touch', [], newRec([['a', 1n]]));
  assert.equal((o as { write: string }).write, 'update');
  assert.deepEqual([...(o as { bins: Map<string, AsValue> }).bins], [['a', 1n]]);
});

test('write outcomes: bin order, deletes, late changes, cached values', () => {
  const rec = newRec([['x', 1n], ['y', 2n], ['z', 3n]]);
  let o = run('del_bin', ['y'], rec);
  assert.equal(o.kind === 'ok' && o.write, 'update');
  assert.deepEqual([...rec.bins.keys()], ['x', 'z']);
  o = run('late_change', [], newRec([['q', 0n]]));
  assert.equal(ok(o), 2n);
  assert.deepEqual([...(o as { bins: Map<string, AsValue> }).bins], [['q', 0n], ['a', 1n]]);
  o = run('read_then_mutate', [], newRec([['l', [1n]]]));
  assert.deepEqual(ok(o), [1n, 99n]);
  assert.deepEqual((o as { bins: Map<string, AsValue> }).bins.get('l'), [1n, 99n]);
  o = run('ttl', [1000n], newRec([['a', 0n]]));
  assert.equal(o.kind === 'ok' && o.ttlSec, 1000);
  o = run('ttl', [-1n], newRec([['a', 0n]]));
  assert.equal(o.kind === 'ok' && o.ttlSec, 0xffffffff);
  o = run('drop_key', [], newRec([['a', 0n]]));
  assert.equal(o.kind === 'ok' && o.dropKey, true);
});

test('failed writes answer the server result code without a FAILURE bin', () => {
  assert.deepEqual(failure(run('create_then_remove')), { kind: 'error', code: 2, message: failure(run('create_then_remove')).message });
  assert.equal(failure(run('long_name')).code, 2);
  assert.equal(failure(run('rec_in_bin', [], newRec([['a', 1n]]))).code, 12);
  assert.equal(failure(run('many_bins', [513n])).code, 21);
  const o = run('many_bins', [512n]);
  assert.equal(o.kind === 'ok' && o.bins.size, 512);
  const blocked = newRec([['a', 1n]]);
  blocked.writeError = 8;
  assert.equal(failure(run('touch', [], blocked)).code, 8);
});

test('Lua errors answer 100 with the FAILURE text', () => {
  assert.deepEqual(failure(run('unsupported', [], newRec([['a', 1n]]))), {
    kind: 'error',
    code: 100,
    message: `${PATH}/testmod.lua:${MODULE.split('\n').findIndex((l) => l.startsWith('function unsupported')) + 1}: can't set bin x to unsupported type`,
  });
  const o = run('fail_after_update', [], newRec([['a', 0n]]));
  assert.equal(failure(o).code, 100);
  assert.match(failure(o).message, /testmod\.lua:\d+: later$/);
  assert.equal(failure(run('err_number')).message, 'result value type unexpected');
  assert.equal(failure(run('err_table')).message, 'result value type unexpected');
  assert.equal(failure(run('err_nolevel')).message, 'plain');
  assert.match(failure(run('bad_arg')).message, /testmod\.lua:\d+: bad argument #1 to 'gen' \(Record expected, got number\)$/);
  assert.deepEqual(failure(run('no_such_function')), { kind: 'error', code: 100, message: 'function not found' });
  assert.deepEqual(failure(applyRecordUdf(registry, 'nomod', 'echo', pack([]), newRec())), { kind: 'error', code: 100, message: 'UDF: Execution Error 1' });
  assert.equal(failure(applyRecordUdf(registry, 'testmod.lua', 'echo', pack([]), newRec())).message, 'UDF: Execution Error 1');
});

test('log helpers do not disturb the call', () => {
  assert.equal(ok(run('logs')), 1n);
});

test('user code cannot exit the process, load binary chunks or unhook the bound', () => {
  assert.deepEqual(ok(run('sandbox')), [false, true, 'nil', 'function']);
});

test('a state keeps its globals between calls until the module changes', () => {
  const a = ok(run('count')) as bigint;
  assert.equal(ok(run('count')), a + 1n);
});

test('modules can require other registered modules', () => {
  assert.equal(ok(run('use_lib', [21n])), 42n);
});

test('an endless loop ends with "UDF Execution Timeout"', () => {
  let t = Date.now();
  assert.deepEqual(failure(run('spin', [], newRec(), { timeLimitMs: 50 })), { kind: 'error', code: 100, message: 'UDF Execution Timeout' });
  assert.ok(Date.now() - t < 2000);
  t = Date.now();
  const nested = failure(run('spin_nested', [], newRec(), { instructionLimit: 100_000, timeLimitMs: 10_000 }));
  assert.match(nested.message, /^\/opt\/udf\/testmod\.lua:\d+: UDF Execution Timeout$/);
  assert.equal(failure(run('spin_caught', [], newRec(), { timeLimitMs: 50 })).code, 100);
  assert.ok(Date.now() - t < 2000);
  // the state still works afterwards
  assert.equal(ok(run('echo', [1n])), 1n);
});

test('memory is bounded per state', () => {
  assert.deepEqual(failure(run('hog')), { kind: 'error', code: 100, message: 'not enough memory' });
  assert.equal(ok(run('echo', [2n])), 2n);
});

test('a module that fails when loaded answers "UDF: Execution Error 1"', () => {
  // validation runs the top level without a module name, require() passes one
  const src = "local name = ...\nif name == 'failmod' then error('boom') end\nfunction f(rec) return 1 end\n";
  assert.equal(registry.infoPut(`filename=failmod.lua;content=${b64(src)};content-len=${b64(src).length};udf-type=LUA;`), 'ok');
  assert.deepEqual(failure(applyRecordUdf(registry, 'failmod', 'f', pack([]), newRec())), { kind: 'error', code: 100, message: 'UDF: Execution Error 1' });
});

test('putting a module again starts a fresh state with the new code', () => {
  const v1 = 'function v(rec) return 1 end\n';
  const v2 = 'function v(rec) return 2 end\n';
  assert.equal(registry.infoPut(`filename=vmod.lua;content=${b64(v1)};content-len=${b64(v1).length};`), 'ok');
  assert.equal(ok(applyRecordUdf(registry, 'vmod', 'v', pack([]), newRec())), 1n);
  assert.equal(registry.infoPut(`filename=vmod.lua;content=${b64(v2)};content-len=${b64(v2).length};`), 'ok');
  assert.equal(ok(applyRecordUdf(registry, 'vmod', 'v', pack([]), newRec())), 2n);
  assert.equal(registry.infoRemove('filename=vmod.lua'), 'ok');
  assert.equal(failure(applyRecordUdf(registry, 'vmod', 'v', pack([]), newRec())).message, 'UDF: Execution Error 1');
});
