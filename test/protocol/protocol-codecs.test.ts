/** Unit tests of the wire codecs: msgpack dialect, as_msg parsing, response frames, digests. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AsBytes, AsGeoJson, AsMap, AsSpecial, LIST_FLAGS, MsgpackError, pack, unpack, type AsValue } from '../../src/protocol/msgpack.js';
import { parseMessage, FieldType, Info1, Info2, type AsMsg } from '../../src/protocol/message.js';
import { decodeKeyed, requestKind } from '../../src/protocol/request.js';
import { AsError, ResultCode } from '../../src/protocol/result-codes.js';
import { ResponseBuilder, simpleReply } from '../../src/protocol/response-builder.js';
import { computeDigest, partitionOf } from '../../src/util/digest.js';
import { encodeMessage, keyFields } from '../../src/client/message-encoder.js';
import { particleToValue, Particle } from '../../src/protocol/particle.js';
import { valueToParticle, normaliseIncoming } from '../../src/values/bin-particles.js';
import { decodeRecord, encodePut, encodeRecord, encodeRecordInto, PUT_MERGE_MAX_BINS, PUT_MERGE_MAX_STORED_BINS } from '../../src/storage/record-codec.js';

test('strings are tagged with particle type 3 as Aerospike encodes them', () => {
  assert.equal(pack('ab').toString('hex'), 'a3036162');
});

test('a key-ordered map carries its flags in an empty ext element', () => {
  const m = new AsMap([[1n, 2n]], 1);
  assert.equal(pack(m).toString('hex'), '82c70001c00102');
  const back = unpack(pack(m)) as AsMap;
  assert.equal(back.flags, 1);
  assert.deepEqual(back.entries, [[1n, 2n]]);
});

test('integers use the smallest encoding and keep 64-bit range', () => {
  assert.equal(pack(5n).toString('hex'), '05');
  assert.equal(pack(-1n).toString('hex'), 'ff');
  assert.equal(pack(200n).toString('hex'), 'ccc8');
  assert.equal(pack(-(2n ** 63n)).toString('hex'), 'd38000000000000000');
  assert.equal(unpack(pack(2n ** 63n - 1n)), 2n ** 63n - 1n);
});

test('wildcard and infinity are ext 0xff values', () => {
  assert.equal(pack(AsSpecial.WILDCARD).toString('hex'), 'd4ff00');
  assert.equal(unpack(Buffer.from('d4ff01', 'hex')), AsSpecial.INF);
});

test('truncated msgpack throws MsgpackError, never reads past the end', () => {
  assert.throws(() => unpack(Buffer.from('92a30361', 'hex')), MsgpackError);
  assert.throws(() => unpack(Buffer.from('dd7fffffff', 'hex')), MsgpackError);
});

const valueArb: fc.Arbitrary<AsValue> = fc.letrec<{ v: AsValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.double({ noNaN: true }),
    fc.string(),
    fc.uint8Array({ maxLength: 20 }).map((b) => new AsBytes(4, Buffer.from(b))),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.array(fc.tuple(fc.string(), tie('v')), { maxLength: 4 }).map((e) => new AsMap(e as [AsValue, AsValue][])),
  ),
})).v;

test('any value round-trips through pack and unpack', () => {
  fc.assert(
    fc.property(valueArb, (v) => {
      assert.deepEqual(unpack(pack(v)), v);
    }),
    { numRuns: 500, seed: 1 },
  );
});

test('random bytes only ever throw MsgpackError when unpacked', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      try {
        unpack(Buffer.from(b));
      } catch (e) {
        assert.ok(e instanceof MsgpackError, String(e));
      }
    }),
    { numRuns: 2000, seed: 2 },
  );
});

test('an ordered list keeps its flags through a round trip', () => {
  const l: AsValue[] & { [LIST_FLAGS]?: number } = [1n, 2n];
  l[LIST_FLAGS] = 1;
  const back = unpack(pack(l)) as AsValue[] & { [LIST_FLAGS]?: number };
  assert.equal(back[LIST_FLAGS], 1);
});

test('a message is parsed with fields and ops as views of the request', () => {
  const digest = Buffer.alloc(20, 7);
  const frame = encodeMessage({ info1: Info1.READ }, keyFields('test', 'set', digest), [{ op: 1, type: 0, name: 'bin' }]);
  const msg = parseMessage(frame, 8, frame.length);
  assert.equal(msg.info1, Info1.READ);
  assert.deepEqual(
    msg.fields.map((f) => f.type),
    [0, 1, 4],
  );
  assert.equal(msg.ops[0]!.name, 'bin');
  assert.equal(msg.ops[0]!.opType, 1);
});

test('a parsed message is decoded from the field positions its parse noted, as from its field list, repeated fields included', () => {
  const ns = { name: 'test' };
  const resolver = { namespace: (n: string) => (n === 'test' ? ns : n === 'other' ? { name: 'other' } : undefined) };
  const fields = [
    { type: FieldType.NAMESPACE, data: Buffer.from('other') },
    { type: FieldType.DIGEST, data: Buffer.alloc(20, 1) },
    { type: FieldType.SET, data: Buffer.from('first') },
    { type: FieldType.KEY, data: Buffer.from([Particle.STRING, 0x61]) },
    { type: FieldType.NAMESPACE, data: Buffer.from('test') },
    { type: FieldType.DIGEST, data: Buffer.alloc(20, 2) },
    { type: FieldType.SET, data: Buffer.from('second') },
    { type: FieldType.FILTER, data: Buffer.from([0x93, 0x01, 0x01, 0x01]) },
  ];
  const frame = encodeMessage({ info1: Info1.READ }, fields, []);
  const fromPositions = decodeKeyed(parseMessage(frame, 8, frame.length), resolver);
  // the same message as a plain object with its field list (how batch rows come): walked
  const parsed = parseMessage(frame, 8, frame.length);
  const plain: AsMsg = { ...parsed, fields: parsed.fields.slice(), ops: parsed.ops, buf: parsed.buf };
  const fromList = decodeKeyed(plain, resolver);
  for (const req of [fromPositions, fromList]) {
    // the last of a repeated field counts, as the reference server's field walk leaves it
    assert.equal(req.ns, ns);
    assert.deepEqual(req.digest, Buffer.alloc(20, 2));
    assert.equal(req.setName, 'second');
    assert.deepEqual(req.key, { type: Particle.STRING, value: Buffer.from('a') });
    assert.deepEqual(req.filter, Buffer.from([0x93, 0x01, 0x01, 0x01]));
    assert.equal(req.kind, 'read');
  }
  assert.equal(fromPositions.digestAt, fromList.digestAt);
  assert.equal(requestKind(parsed), 'read');
});

test('a field list read after parsing lists every field in order, and a list its holder changed is what decoding reads', () => {
  const ns = { name: 'test' };
  const resolver = { namespace: (n: string) => (n === 'test' ? ns : undefined) };
  const frame = encodeMessage({ info1: Info1.READ }, [...keyFields('test', 'set', Buffer.alloc(20, 7)), { type: FieldType.TRID, data: Buffer.alloc(8) }], []);
  const msg = parseMessage(frame, 8, frame.length);
  assert.deepEqual(
    msg.fields.map((f) => [f.type, frame.toString('latin1', f.start, f.end).length]),
    [
      [FieldType.NAMESPACE, 4],
      [FieldType.SET, 3],
      [FieldType.DIGEST, 20],
      [FieldType.TRID, 8],
    ],
  );
  assert.equal(msg.fields, msg.fields, 'the list is made once');
  // a holder that drops the set field: the request is decoded from the list it left
  msg.fields.splice(1, 1);
  assert.equal(decodeKeyed(msg, resolver).setName, '');
  const udf = encodeMessage({ info2: Info2.WRITE }, [...keyFields('test', 'set', Buffer.alloc(20, 7)), { type: FieldType.UDF_FILENAME, data: Buffer.from('m') }], []);
  assert.equal(requestKind(parseMessage(udf, 8, udf.length)), 'udf');
  const scan = encodeMessage({ info1: Info1.READ }, [{ type: FieldType.NAMESPACE, data: Buffer.from('test') }], []);
  assert.equal(requestKind(parseMessage(scan, 8, scan.length)), 'scan');
  const noNamespace = encodeMessage({ info1: Info1.READ }, [{ type: FieldType.DIGEST, data: Buffer.alloc(20) }], []);
  assert.throws(() => decodeKeyed(parseMessage(noNamespace, 8, noNamespace.length), resolver), (e: unknown) => e instanceof AsError && e.code === ResultCode.NAMESPACE);
});

test('bodies whose counts disagree with their bytes are PARAMETER errors', () => {
  const frame = encodeMessage({ info1: Info1.READ }, keyFields('test', '', Buffer.alloc(20)), []);
  frame.writeUInt16BE(5, 8 + 18); // n_fields 5 of 3
  assert.throws(() => parseMessage(frame, 8, frame.length), (e: unknown) => e instanceof AsError && e.code === ResultCode.PARAMETER);
  const short = Buffer.alloc(10);
  assert.throws(() => parseMessage(short, 0, 10), (e: unknown) => e instanceof AsError && e.code === ResultCode.PARAMETER);
});

test('a response frame carries its length and counts', () => {
  const b = new ResponseBuilder(16);
  b.beginMessage(0, 3, 99, 0);
  b.addOp(1, Particle.INTEGER, 'a', Buffer.alloc(8, 1));
  b.endMessage();
  const f = b.finish();
  assert.equal(f.readUIntBE(2, 6), f.length - 8);
  assert.equal(f.readUInt16BE(8 + 20), 1);
  assert.equal(f.readUInt32BE(8 + 6), 3);
  assert.equal(simpleReply(2).toString('hex'), '020300000000001616000000000200000000000000000000000000000000');
});

test('digests are RIPEMD-160 over set, key type and key and pick the partition from bytes 0-1', () => {
  // kv.jsonl kv-keys#1: key 0 in set corpus_kv_keys
  const key = Buffer.alloc(8);
  const d = computeDigest('corpus_kv_keys', 1, key);
  assert.equal(d.toString('hex'), '23620d14db6313be41d194f1e77cbc9c5a276a4f');
  assert.equal(partitionOf(d), (0x23 | (0x62 << 8)) & 4095);
});

test('particles convert to and from the value model', () => {
  assert.equal(particleToValue(Particle.INTEGER, valueToParticle(-5n).value), -5n);
  assert.equal(particleToValue(Particle.FLOAT, valueToParticle(1.5).value), 1.5);
  assert.equal(particleToValue(Particle.STRING, valueToParticle('x').value), 'x');
  assert.deepEqual(particleToValue(Particle.GEOJSON, valueToParticle(new AsGeoJson('{"type":"Point","coordinates":[0,0]}')).value), new AsGeoJson('{"type":"Point","coordinates":[0,0]}'));
  assert.equal(normaliseIncoming(Particle.INTEGER, Buffer.from([0x7f])).toString('hex'), '000000000000007f');
  assert.throws(() => normaliseIncoming(Particle.INTEGER, Buffer.alloc(3)), AsError);
  assert.throws(() => normaliseIncoming(Particle.BOOL, Buffer.from([2])), AsError);
});

test('stored records round-trip key and bins', () => {
  const bins = [
    { name: 'a', type: Particle.INTEGER, value: Buffer.alloc(8, 1) },
    { name: 'ü', type: Particle.STRING, value: Buffer.from('v') },
  ];
  const key = { type: Particle.STRING, value: Buffer.from('k') };
  const rec = decodeRecord(encodeRecord(key, bins));
  assert.deepEqual(rec.key, key);
  assert.deepEqual(rec.bins, bins);
});

test('a put merged on the stored bytes equals setting its bins on the decoded record, bin order included', () => {
  // names from a small alphabet so puts often hit stored bins and each other; some stored names are not ASCII
  const name = fc.constantFrom('a', 'b', 'c', 'bin', 'v', 'long-bin-name15', 'ü', 'zz');
  const bin = fc.record({ name, type: fc.constantFrom(Particle.STRING, Particle.BLOB, Particle.INTEGER), value: fc.uint8Array({ maxLength: 40 }) });
  const key = fc.option(fc.record({ type: fc.constantFrom(Particle.STRING, Particle.INTEGER), value: fc.uint8Array({ maxLength: 12 }) }), { nil: undefined });
  fc.assert(
    fc.property(fc.option(fc.array(bin, { maxLength: 8 }), { nil: undefined }), fc.array(bin, { minLength: 1, maxLength: 8 }), key, (storedBins, put, sentKey) => {
      const asBin = (b: { name: string; type: number; value: Uint8Array }) => ({ name: b.name, type: b.type, value: Buffer.from(b.value) });
      // a stored record has each name once
      const unique = storedBins?.filter((b, i) => storedBins.findIndex((o) => o.name === b.name) === i).map(asBin);
      const stored = unique === undefined ? undefined : encodeRecord(sentKey && { type: sentKey.type, value: Buffer.from(sentKey.value) }, unique);
      const puts = put.filter((b) => b.name !== 'ü').map((b) => ({ name: b.name, nameBytes: b.name.length, particleType: b.type, value: Buffer.from(b.value) }));
      if (puts.length === 0) return;
      const decoded = stored === undefined ? { key: undefined, bins: [] as ReturnType<typeof asBin>[] } : decodeRecord(stored);
      const k = decoded.key ?? (sentKey && { type: sentKey.type, value: Buffer.from(sentKey.value) });
      // the general path: each bin set in turn, in place when present, else appended
      const bins = decoded.bins.slice();
      for (const p of puts) {
        const i = bins.findIndex((b) => b.name === p.name);
        const nb = { name: p.name, type: p.particleType, value: p.value };
        if (i >= 0) bins[i] = nb;
        else bins.push(nb);
      }
      const expected = encodeRecordInto(k, bins, Buffer.alloc(4096));
      const merged = encodePut(stored, k, puts, Buffer.alloc(4096));
      assert.ok(merged);
      assert.deepEqual([...merged], [...expected]);
    }),
    { numRuns: 500 },
  );
});

test('a put merge past its limits answers undefined (the caller decodes instead)', () => {
  const many = Array.from({ length: PUT_MERGE_MAX_STORED_BINS + 1 }, (_, i) => ({ name: `b${i}`, type: Particle.BLOB, value: Buffer.from([i]) }));
  const put = { name: 'x', nameBytes: 1, particleType: Particle.BLOB, value: Buffer.from('v') };
  assert.equal(encodePut(encodeRecord(undefined, many), undefined, [put], Buffer.alloc(65536)), undefined);
  assert.equal(encodePut(undefined, undefined, Array.from({ length: PUT_MERGE_MAX_BINS + 1 }, () => put), Buffer.alloc(65536)), undefined);
  assert.equal(encodePut(undefined, undefined, [{ ...put, value: Buffer.alloc(100) }], Buffer.alloc(50)), undefined);
});
