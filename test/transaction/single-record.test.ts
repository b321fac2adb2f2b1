/**
 * The single-record boundary (transaction/single-record.ts): the request is decoded once
 * (protocol/request.ts), its kind derived once, one function completes the answer and counts the
 * outcome. In process: real Namespace, real messages, the real transaction code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Namespace } from '../../src/namespace/namespace.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { liveNamespaceSettings } from '../../src/server/node-config.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { computeDigest } from '../../src/util/digest.js';
import { encodeGet, encodeMessage, encodePut, keyFields, type FieldSpec } from '../../src/client/message-encoder.js';
import { FieldType, Info1, Info2, parseMessage } from '../../src/protocol/message.js';
import { decodeKeyed, requestKind } from '../../src/protocol/request.js';
import { ResponseBuilder } from '../../src/protocol/response-builder.js';
import { AsError, ResultCode, resultCodeOf, toResultCode } from '../../src/protocol/result-codes.js';
import { executeSingleRecord } from '../../src/transaction/single-record.js';
import { installEngines } from '../../src/transaction/engines.js';

const STRING = 3;
installEngines();

function newNamespace(): Namespace {
  return new Namespace(liveNamespaceSettings(defaultConfig().namespaces[0]!), new MemoryStorage(64 * 1024 * 1024), new ManualClock(Date.UTC(2026, 0, 1)));
}

const digest = (key: string) => computeDigest('s', STRING, Buffer.from(key));
const body = (frame: Buffer) => parseMessage(frame, 8, frame.length);
const put = (ns: Namespace, key: string, extra: FieldSpec[] = [], ttl = 0) => {
  const f = encodeMessage({ info2: Info2.WRITE, ttl }, [...keyFields(ns.name, 's', digest(key)), ...extra], [{ op: 2, type: STRING, name: 'v', value: Buffer.from(key) }]);
  return body(f);
};
/** A filter expression that is always false: msgpack [EQ (1), 1, 2]. */
const FALSE_FILTER: FieldSpec = { type: FieldType.FILTER, data: Buffer.from([0x93, 0x01, 0x01, 0x02]) };

/** Runs one message; answers the result code written in the answer and the code returned. */
function run(ns: Namespace, msg: ReturnType<typeof body>, inBatch = false): { returned: number; answered: number; generation: number } {
  const out = new ResponseBuilder(256);
  const returned = executeSingleRecord({ namespace: (n) => (n === ns.name ? ns : undefined) }, msg, out, 0, inBatch);
  const frame = out.finish();
  // proto header 8, then as_msg: result code at 5, generation at 6
  return { returned, answered: frame[8 + 5]!, generation: frame.readUInt32BE(8 + 6) };
}

test('a request kind is derived once from flags and fields: read, write, delete, udf, batch, scan', () => {
  const d = digest('k');
  assert.equal(requestKind(body(encodeGet('test', 's', d))), 'read');
  assert.equal(requestKind(body(encodePut('test', 's', d, [{ name: 'v', type: STRING, value: Buffer.from('x') }]))), 'write');
  assert.equal(requestKind(body(encodeMessage({ info2: Info2.WRITE | Info2.DELETE }, keyFields('test', 's', d), []))), 'delete');
  const udf = encodeMessage({ info2: Info2.WRITE }, [...keyFields('test', 's', d), { type: FieldType.UDF_FILENAME, data: Buffer.from('m') }], []);
  assert.equal(requestKind(body(udf)), 'udf');
  assert.equal(requestKind(body(encodeMessage({ info1: Info1.READ | Info1.BATCH }, [], []))), 'batch');
  assert.equal(requestKind(body(encodeMessage({ info1: Info1.READ }, [{ type: FieldType.NAMESPACE, data: Buffer.from('test') }], []))), 'scan');
});

test('the key fields decode once with the reference order of refusals', () => {
  const ns = newNamespace();
  const lookup = { namespace: (n: string) => (n === ns.name ? ns : undefined) };
  const req = decodeKeyed(put(ns, 'a', [{ type: FieldType.KEY, data: Buffer.from([STRING, 0x61]) }]), lookup);
  assert.equal(req.kind, 'write');
  assert.equal(req.ns, ns);
  assert.equal(req.setName, 's');
  assert.deepEqual(req.digest, digest('a'));
  // lookups read the digest where it lies in the request: digestAt names the same 20 bytes
  assert.deepEqual(req.msg.buf.subarray(req.digestAt, req.digestAt + 20), digest('a'));
  assert.equal(req.digest, req.digest, 'the digest view is made once');
  assert.deepEqual(req.key, { type: STRING, value: Buffer.from('a') });
  const code = (msg: ReturnType<typeof body>) => {
    try {
      decodeKeyed(msg, lookup);
      return ResultCode.OK;
    } catch (e) {
      return resultCodeOf(e);
    }
  };
  // an unknown namespace is refused before a malformed digest is looked at
  assert.equal(code(body(encodeMessage({ info1: Info1.READ }, [{ type: FieldType.NAMESPACE, data: Buffer.from('nope') }, { type: FieldType.DIGEST, data: Buffer.alloc(3) }], []))), ResultCode.NAMESPACE);
  assert.equal(code(body(encodeMessage({ info1: Info1.READ }, [{ type: FieldType.NAMESPACE, data: Buffer.from(ns.name) }, { type: FieldType.DIGEST, data: Buffer.alloc(3) }], []))), ResultCode.PARAMETER);
  const longSet = [{ type: FieldType.NAMESPACE, data: Buffer.from(ns.name) }, { type: FieldType.SET, data: Buffer.alloc(64, 0x61) }, { type: FieldType.DIGEST, data: digest('a') }];
  assert.equal(code(body(encodeMessage({ info1: Info1.READ }, longSet, []))), ResultCode.PARAMETER);
  const shortIntKey = [...keyFields(ns.name, 's', digest('a')), { type: FieldType.KEY, data: Buffer.from([1, 0, 0]) }];
  assert.equal(code(body(encodeMessage({ info1: Info1.READ }, shortIntKey, []))), ResultCode.UNSUPPORTED_FEATURE);
});

test('failures are answered with the code and the record metadata, and counted once by kind', () => {
  const ns = newNamespace();
  assert.deepEqual(run(ns, put(ns, 'a')), { returned: ResultCode.OK, answered: ResultCode.OK, generation: 1 });
  assert.equal(ns.stats.clientWriteSuccess, 1);
  // a filtered-out write shows the record's generation and counts as filtered out only
  assert.deepEqual(run(ns, put(ns, 'a', [FALSE_FILTER])), { returned: ResultCode.FILTERED_OUT, answered: ResultCode.FILTERED_OUT, generation: 1 });
  assert.equal(ns.stats.clientWriteFilteredOut, 1);
  assert.equal(ns.stats.clientWriteError, 0);
  // a write refused before the record is looked at (TTL above ten years) is a write error
  assert.equal(run(ns, put(ns, 'a', [], 315360001)).answered, ResultCode.PARAMETER);
  assert.equal(ns.stats.clientWriteError, 1);
  // reads: found, not found, filtered out
  assert.equal(run(ns, body(encodeGet(ns.name, 's', digest('a')))).answered, ResultCode.OK);
  assert.equal(run(ns, body(encodeGet(ns.name, 's', digest('missing')))).answered, ResultCode.NOT_FOUND);
  const filteredGet = encodeMessage({ info1: Info1.READ | Info1.GET_ALL }, [...keyFields(ns.name, 's', digest('a')), FALSE_FILTER], []);
  assert.deepEqual(run(ns, body(filteredGet)), { returned: ResultCode.FILTERED_OUT, answered: ResultCode.FILTERED_OUT, generation: 1 });
  assert.deepEqual([ns.stats.clientReadSuccess, ns.stats.clientReadNotFound, ns.stats.clientReadFilteredOut, ns.stats.clientReadError], [1, 1, 1, 0]);
  // deletes: a failed delete answers without the record's metadata
  const del = (key: string, gen?: number) =>
    body(encodeMessage({ info2: Info2.WRITE | Info2.DELETE | (gen !== undefined ? Info2.GENERATION : 0), generation: gen ?? 0 }, keyFields(ns.name, 's', digest(key)), []));
  assert.deepEqual(run(ns, del('a', 7)), { returned: ResultCode.GENERATION, answered: ResultCode.GENERATION, generation: 0 });
  assert.equal(run(ns, del('a')).answered, ResultCode.OK);
  assert.equal(run(ns, del('a')).answered, ResultCode.NOT_FOUND);
  assert.deepEqual([ns.stats.clientDeleteSuccess, ns.stats.clientDeleteNotFound, ns.stats.clientDeleteError], [1, 1, 1]);
});

test('a batch row is answered the same way but left to the batch to count', () => {
  const ns = newNamespace();
  assert.equal(run(ns, put(ns, 'a'), true).answered, ResultCode.OK);
  assert.equal(run(ns, body(encodeGet(ns.name, 's', digest('missing'))), true).answered, ResultCode.NOT_FOUND);
  assert.deepEqual([ns.stats.clientWriteSuccess, ns.stats.clientReadNotFound, ns.stats.batchSubWriteSuccess], [0, 0, 0]);
});

test('an update and a read of the same record after it see the new value, each looked up at its own digest', () => {
  const ns = newNamespace();
  const lookup = { namespace: (n: string) => (n === ns.name ? ns : undefined) };
  const value = (key: string) => {
    const out = new ResponseBuilder(256);
    executeSingleRecord(lookup, body(encodeGet(ns.name, 's', digest(key))), out);
    const frame = out.finish();
    // one op: header 8 + as_msg 22 + op header 8 + name 'v'
    return frame.subarray(8 + 22 + 8 + 1).toString('utf8');
  };
  for (const key of ['a', 'b', 'c']) assert.equal(run(ns, put(ns, key)).returned, ResultCode.OK);
  assert.deepEqual([value('a'), value('b'), value('c')], ['a', 'b', 'c']);
  const update = encodeMessage({ info2: Info2.WRITE }, keyFields(ns.name, 's', digest('b')), [{ op: 2, type: STRING, name: 'v', value: Buffer.from('B2') }]);
  assert.deepEqual(run(ns, body(update)), { returned: ResultCode.OK, answered: ResultCode.OK, generation: 2 });
  assert.deepEqual([value('a'), value('b'), value('c')], ['a', 'B2', 'c']);
});

test('a message that neither reads nor writes answers PARAMETER, an unknown namespace NAMESPACE', () => {
  const ns = newNamespace();
  assert.equal(run(ns, body(encodeMessage({}, keyFields('nope', 's', digest('a')), []))).answered, ResultCode.PARAMETER);
  assert.equal(run(ns, body(encodeGet('nope', 's', digest('a')))).answered, ResultCode.NAMESPACE);
});

test('result codes are a typed set: errors and foreign numbers map onto it', () => {
  assert.equal(resultCodeOf(new AsError(ResultCode.KEY_MISMATCH)), ResultCode.KEY_MISMATCH);
  assert.equal(resultCodeOf(new Error('boom')), ResultCode.UNKNOWN);
  assert.equal(resultCodeOf(new Error('boom'), ResultCode.PARAMETER), ResultCode.PARAMETER);
  assert.equal(toResultCode(22), ResultCode.FORBIDDEN);
  assert.equal(toResultCode(99), ResultCode.UNKNOWN);
});
