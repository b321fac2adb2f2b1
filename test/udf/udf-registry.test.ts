/**
 * UDF module registry: udf-put / udf-get / udf-list / udf-remove answers (the server's udf_cask
 * checks, in its order), compile errors, the udf-list hash (SHA-1 of the stored JSON), list order
 * with removed modules, and persistence in system metadata.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SmdStore } from '../../src/namespace/smd.js';
import { parseInfoCommand } from '../../src/server/info-protocol.js';
import type { InfoHandler } from '../../src/server/info-commands.js';
import { UdfRegistry, registerUdfInfo, loadLuaRuntime } from '../../src/udf/index.js';
import { compileErrorAnswer, infoParam, udfSmdValue } from '../../src/udf/registry.js';
import { logger } from '../../src/util/log.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const putParams = (file: string, src: string, type = 'LUA') => `filename=${file};content=${b64(src)};content-len=${b64(src).length};udf-type=${type};`;
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

before(async () => {
  logger.setSinks([]);
  await loadLuaRuntime();
});

test('udf-put checks in the server order', () => {
  const r = new UdfRegistry();
  const src = 'function f(rec) return 1 end\n';
  assert.equal(r.infoPut(''), 'error=invalid_filename');
  assert.equal(r.infoPut(`content=${b64(src)}`), 'error=invalid_filename');
  assert.equal(r.infoPut('filename=noext;content-len=4;content=eA=='), 'error=invalid_filename');
  assert.equal(r.infoPut('filename=.lua;content-len=4;content=eA=='), 'error=invalid_filename');
  assert.equal(r.infoPut('filename=x.;content-len=4;content=eA=='), 'error=invalid_filename');
  assert.equal(r.infoPut(`filename=${'a'.repeat(124)}.lua;content-len=4;content=eA==`), 'error=invalid_filename');
  assert.equal(r.infoPut('filename=x.lua;content=eA=='), 'error=invalid_content_len');
  assert.equal(r.infoPut('filename=x.lua;content=eA==;content-len=4;udf-type=PYTHON;'), 'error=invalid_udf_type');
  assert.equal(r.infoPut('filename=x.lua;content=eA==;content-len=4;udf-type=LUALUALUALUALUALUA;'), 'error=invalid_udf_type');
  assert.equal(r.infoPut('filename=x.lua;content=eA==;content-len=3'), 'error=invalid_content_len');
  assert.equal(r.infoPut('filename=x.lua;content=eA==;content-len=4x'), 'error=invalid_content_len');
  assert.equal(r.infoPut('filename=x.lua;content=eA==;content-len=8'), 'error=invalid_content');
  assert.equal(r.infoPut('filename=x.lua;content-len=4'), 'error=invalid_content');
  assert.equal(r.infoPut('filename=x.lua;content=e!==;content-len=4'), 'error=invalid_base64_content');
  assert.equal(r.infoPut('filename=x.lua;content=e=A=;content-len=4'), 'error=invalid_base64_content');
  assert.equal(r.infoPut('filename=x.lua;content=;content-len=0'), 'error=invalid_base64_content');
  const big = 'A'.repeat(1398104);
  assert.equal(r.infoPut(`filename=x.lua;content=${big};content-len=${big.length}`), 'error=invalid_udf_content_len,>1M');
  // udf-type may be left out; 1k style lengths are accepted like the server's parser
  assert.equal(r.infoPut(`filename=${'a'.repeat(123)}.lua;content=${b64(src)};content-len=${b64(src).length}`), 'ok');
  assert.equal(r.list().length, 1);
  r.close();
});

test('compile errors answer file, line and the base64 message', () => {
  const r = new UdfRegistry(undefined, { validateTimeLimitMs: 50 });
  // the exact corpus case
  assert.equal(
    r.infoPut('filename=corpus_bad.lua;content=ZnVuY3Rpb24gYnJva2VuKHJlYyByZXR1cm4gMSBlbmQK;content-len=44;udf-type=LUA;'),
    'error=compile_error;file=corpus_bad.lua;line=1;message=JyknIGV4cGVjdGVkIG5lYXIgJ3JldHVybic=',
  );
  const runtime = r.infoPut(putParams('rt.lua', 'local a = 1\nerror("boom")\n'));
  assert.equal(runtime, `error=compile_error;file=rt.lua;line=2;message=${b64('boom')}`);
  const nil = r.infoPut(putParams('nil.lua', 'error(nil)\n'));
  assert.equal(nil, `error=compile_error;file=;line=0;message=${b64('(Null error message returned by lua)')}`);
  const noPos = r.infoPut(putParams('np.lua', 'error("first\\nsecond", 0)\n'));
  assert.equal(noPos, `error=compile_error;file=;line=0;message=${b64('first')}`);
  const loop = r.infoPut(putParams('loop.lua', 'while true do end\n'));
  assert.equal(loop, `error=compile_error;file=;line=0;message=${b64('UDF Execution Timeout')}`);
  const m = /message=(.*)$/.exec(r.infoPut(putParams('eof.lua', 'function f(rec)\n  return 1\n')))!;
  assert.equal(unb64(m[1]!), "'end' expected (to close 'function' at line 1) near <eof>");
  assert.equal(r.list().length, 0);
  r.close();
});

test('compileErrorAnswer follows populate_error', () => {
  assert.equal(compileErrorAnswer('f.lua', 3, Buffer.from('[string "f.lua"]:7: unexpected symbol')), `error=compile_error;file=f.lua;line=7;message=${b64('unexpected symbol')}`);
  assert.equal(compileErrorAnswer('f.lua', 4, Buffer.from('not enough memory')), `error=compile_error;file=f.lua;line=0;message=${b64('not enough memory')}`);
  assert.equal(compileErrorAnswer('f.lua', 2, Buffer.from('[oops')), 'error=compile_error;file=;line=0;message=');
});

test('udf-get, udf-list and udf-remove', () => {
  const r = new UdfRegistry();
  const a = 'function a(rec) return 1 end\n';
  const b = 'function b(rec) return 2 end\n';
  assert.equal(r.infoList(), '');
  assert.equal(r.infoPut(putParams('a.lua', a)), 'ok');
  assert.equal(r.infoPut(putParams('b.lua', b)), 'ok');
  const hash = (f: string, s: string) => createHash('sha1').update(udfSmdValue(f, b64(s), 'LUA')).digest('hex');
  assert.equal(udfSmdValue('a.lua', 'QQ==', 'LUA'), '{"content64": "QQ==", "type": "LUA", "name": "a.lua"}');
  assert.equal(r.infoList(), `filename=a.lua,hash=${hash('a.lua', a)},type=LUA;filename=b.lua,hash=${hash('b.lua', b)},type=LUA;`);
  assert.equal(r.infoGet('filename=a.lua'), `type=LUA;content=${b64(a)};`);
  assert.equal(r.infoGet('filename=zz.lua'), 'error=not_found');
  assert.equal(r.infoGet(''), 'error=invalid_filename');
  assert.equal(r.infoRemove(''), 'error=invalid_filename');
  assert.equal(r.infoRemove('filename=a.lua'), 'ok');
  assert.equal(r.infoRemove('filename=a.lua'), 'ok');
  assert.equal(r.infoGet('filename=a.lua'), 'error=not_found');
  assert.equal(r.infoList(), `filename=b.lua,hash=${hash('b.lua', b)},type=LUA;`);
  // a module put again keeps its place (the server's SMD item stays where it was)
  assert.equal(r.infoPut(putParams('a.lua', b)), 'ok');
  assert.equal(r.infoList(), `filename=a.lua,hash=${hash('a.lua', b)},type=LUA;filename=b.lua,hash=${hash('b.lua', b)},type=LUA;`);
  r.close();
});

test('modules survive a restart through system metadata', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-udf-'));
  try {
    const smd = new SmdStore(dir);
    const r1 = new UdfRegistry(smd);
    assert.equal(r1.infoPut(putParams('keep.lua', 'function k(rec) return 1 end\n')), 'ok');
    assert.equal(r1.infoPut(putParams('gone.lua', 'function g(rec) return 1 end\n')), 'ok');
    assert.equal(r1.infoRemove('filename=gone.lua'), 'ok');
    const list = r1.infoList();
    r1.close();
    const r2 = new UdfRegistry(new SmdStore(dir));
    assert.equal(r2.infoList(), list);
    assert.equal(r2.infoGet('filename=keep.lua'), `type=LUA;content=${b64('function k(rec) return 1 end\n')};`);
    assert.equal(r2.infoGet('filename=gone.lua'), 'error=not_found');
    r2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('info handlers take the parameters from the command text', () => {
  const r = new UdfRegistry();
  const reg = new Map<string, InfoHandler>();
  registerUdfInfo(r, reg);
  const ask = (text: string) => {
    const cmd = parseInfoCommand(text);
    return reg.get(cmd.name)!(cmd, undefined as never);
  };
  const src = 'function f(rec) return 1 end\n';
  assert.equal(ask(`udf-put:${putParams('h.lua', src)}`), 'ok');
  assert.equal(ask('udf-get:filename=h.lua'), `type=LUA;content=${b64(src)};`);
  assert.match(ask('udf-list'), /^filename=h\.lua,hash=[0-9a-f]{40},type=LUA;$/);
  assert.equal(ask('udf-remove:filename=h.lua;'), 'ok');
  assert.equal(ask('udf-list'), '');
  r.close();
});

test('infoParam mirrors as_info_parameter_get', () => {
  assert.equal(infoParam('a=1;b=2', 'b', 16), '2');
  assert.equal(infoParam('a=1;b=2', 'c', 16), -1);
  assert.equal(infoParam('a=1;b=22', 'b', 2), -2);
  assert.equal(infoParam('xb=1;b=3', 'b', 16), '3');
  assert.equal(infoParam('b;b=4', 'b', 16), '4');
});
