/**
 * The typed scan/query and batch requests (protocol/scan-request.ts, protocol/batch-request.ts):
 * every field decoded once, a field of the wrong width kept as BAD_SIZE rather than thrown, so each
 * handler answers in Aerospike's order. The answers are checked on an in-process node
 * (helpers/in-process.ts) with encoded frames.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessNode } from '../helpers/in-process.js';
import { encodeMessage, encodePut, type FieldSpec } from '../../src/client/message-encoder.js';
import { encodeBatchGet } from '../../src/client/batch-read-encoder.js';
import { FieldType, Info1, Info2, Info3, OpType, parseMessage } from '../../src/protocol/message.js';
import { BAD_SIZE, decodeScanRequest, isAggregationRequest, isBackgroundRequest, isIndexQuery } from '../../src/protocol/scan-request.js';
import { parseBatchRequest } from '../../src/protocol/batch-request.js';
import { Particle } from '../../src/protocol/particle.js';
import { ResultCode } from '../../src/protocol/result-codes.js';
import { computeDigest } from '../../src/util/digest.js';

let server: InProcessNode;

before(async () => {
  server = await InProcessNode.start();
});
after(async () => {
  await server?.stop();
});

const u16le = (...v: number[]) => Buffer.from(v.flatMap((x) => [x & 0xff, x >> 8]));
const u32 = (v: number) => Buffer.from([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
const ns = (name = 'test'): FieldSpec => ({ type: FieldType.NAMESPACE, data: Buffer.from(name) });

let nextTrid = 1000n;

/**
 * A scan/query frame: fields as given, PARTITION_DONE set and a fresh job id (TRID) added as clients
 * send them (without one a foreground scan's id is the node's clock in ms, and two in one ms collide).
 */
function scanFrame(fields: FieldSpec[], h: { info1?: number; info2?: number; info3?: number } = {}, ops: { op: number; type: number; name: string; value?: Buffer }[] = []): Buffer {
  if (!fields.some((f) => f.type === FieldType.TRID)) {
    const trid = Buffer.alloc(8);
    trid.writeBigUInt64BE(nextTrid++);
    fields = [...fields, { type: FieldType.TRID, data: trid }];
  }
  return encodeMessage({ info1: h.info1 ?? Info1.READ, info2: h.info2 ?? 0, info3: h.info3 ?? Info3.PARTITION_DONE }, fields, ops);
}

/** The decoded message of a frame built by scanFrame. */
function decoded(frame: Buffer) {
  return decodeScanRequest(parseMessage(frame, 8, frame.length));
}

/** Sends a frame on a fresh in-process connection; the result code of each answered message, in order. */
async function answerCodes(frame: Buffer): Promise<number[]> {
  const { received } = await server.exchange(frame);
  const codes: number[] = [];
  for (let p = 0; p + 8 <= received.length; ) {
    const end = p + 8 + received.readUIntBE(p + 2, 6);
    for (let m = p + 8; m + 22 <= end; ) {
      codes.push(received[m + 5]!);
      let q = m + 22;
      const nFields = received.readUInt16BE(m + 18);
      const nOps = received.readUInt16BE(m + 20);
      for (let i = 0; i < nFields; i++) q += 4 + received.readUInt32BE(q);
      for (let i = 0; i < nOps; i++) q += 4 + received.readUInt32BE(q);
      m = q;
    }
    p = end;
  }
  return codes;
}

test('a scan request decodes every field once: names, job fields, partitions, filter, UDF and index fields', () => {
  const trid = Buffer.alloc(8);
  trid.writeBigUInt64BE(77n);
  const max = Buffer.alloc(8);
  max.writeBigUInt64BE(1000n);
  const digest = Buffer.alloc(20, 0xab);
  const bval = Buffer.alloc(8);
  bval.writeBigInt64LE(-5n);
  const range = Buffer.concat([Buffer.from([1, 1]), Buffer.from('n'), Buffer.from([Particle.INTEGER]), u32(8), Buffer.alloc(8), u32(8), Buffer.from([0, 0, 0, 0, 0, 0, 0, 9])]);
  const r = decoded(
    scanFrame([
      ns(),
      { type: FieldType.SET, data: Buffer.from('s1') },
      { type: FieldType.TRID, data: trid },
      { type: FieldType.RECS_PER_SEC, data: u32(250) },
      { type: FieldType.SOCKET_TIMEOUT, data: u32(3000) },
      { type: FieldType.MAX_RECORDS, data: max },
      { type: FieldType.PID_ARRAY, data: u16le(0, 4095) },
      { type: FieldType.DIGEST_ARRAY, data: digest },
      { type: FieldType.BVAL_ARRAY, data: bval },
      { type: FieldType.FILTER, data: Buffer.from([0x93, 1, 2, 3]) },
      { type: FieldType.INDEX_RANGE, data: range },
      { type: FieldType.INDEX_TYPE, data: Buffer.from([1]) },
      { type: FieldType.INDEX_NAME, data: Buffer.from('idx') },
    ]),
  );
  assert.equal(r.namespace, 'test');
  assert.deepEqual(r.set, { name: 's1', bytes: 2, utf8: true });
  assert.equal(r.trid, 77n);
  assert.equal(r.recsPerSec, 250);
  assert.equal(r.socketTimeoutMs, 3000);
  assert.equal(r.maxRecords, 1000n);
  assert.deepEqual(r.partitions.pids, [0, 4095]);
  assert.deepEqual(r.partitions.digests, [digest]);
  assert.deepEqual(r.partitions.bvals, [-5n]);
  assert.deepEqual(r.filter, Buffer.from([0x93, 1, 2, 3]));
  assert.ok(isIndexQuery(r));
  const ir = r.index.range;
  assert.ok(ir && !('malformed' in ir));
  assert.equal(ir.bin, 'n');
  assert.equal(ir.particle, Particle.INTEGER);
  assert.equal(ir.end!.readBigInt64BE(0), 9n);
  assert.equal(r.index.type, 1);
  assert.equal(r.index.name, 'idx');
  assert.equal(isBackgroundRequest(r), false);
  assert.equal(isAggregationRequest(r), false);
});

test('fields of the wrong width decode as BAD_SIZE and a malformed index range says why, without throwing', () => {
  const r = decoded(
    scanFrame([
      ns(),
      { type: FieldType.TRID, data: Buffer.alloc(4) },
      { type: FieldType.RECS_PER_SEC, data: Buffer.alloc(2) },
      { type: FieldType.SOCKET_TIMEOUT, data: Buffer.alloc(8) },
      { type: FieldType.MAX_RECORDS, data: Buffer.alloc(3) },
      { type: FieldType.PID_ARRAY, data: Buffer.alloc(3) },
      { type: FieldType.DIGEST_ARRAY, data: Buffer.alloc(21) },
      { type: FieldType.BVAL_ARRAY, data: Buffer.alloc(7) },
      { type: FieldType.UDF_OP, data: Buffer.from([2, 2]) },
      { type: FieldType.INDEX_TYPE, data: Buffer.alloc(2) },
      { type: FieldType.INDEX_RANGE, data: Buffer.from([2, 0]) },
    ]),
  );
  for (const v of [r.trid, r.recsPerSec, r.socketTimeoutMs, r.maxRecords, r.partitions.pids, r.partitions.digests, r.partitions.bvals, r.udfOp, r.index.type]) {
    assert.equal(v, BAD_SIZE);
  }
  assert.deepEqual(r.index.range, { malformed: 'index range must hold one range' });
  // a UDF_OP field of the wrong width is neither a background job nor an aggregation
  assert.equal(isBackgroundRequest(r), false);
  assert.equal(isAggregationRequest(r), false);
  // any bytes in any field decode
  for (let seed = 1; seed < 300; seed++) {
    const bytes = Buffer.from(Array.from({ length: seed % 40 }, (_, i) => (seed * 31 + i * 17) & 0xff));
    for (const type of [FieldType.INDEX_RANGE, FieldType.PID_ARRAY, FieldType.DIGEST_ARRAY, FieldType.BVAL_ARRAY, FieldType.SET, FieldType.UDF_OP]) {
      decoded(scanFrame([ns(), { type, data: bytes }]));
    }
  }
});

test('a foreground scan answers partition-list faults as Aerospike does, after the namespace', async () => {
  // no partition list: UNSUPPORTED_FEATURE; an odd pid array, bvals without digests, a pid past 4095: PARAMETER
  assert.deepEqual(await answerCodes(scanFrame([ns()])), [ResultCode.UNSUPPORTED_FEATURE]);
  assert.deepEqual(await answerCodes(scanFrame([ns(), { type: FieldType.PID_ARRAY, data: Buffer.alloc(3) }])), [ResultCode.PARAMETER]);
  assert.deepEqual(await answerCodes(scanFrame([ns(), { type: FieldType.PID_ARRAY, data: u16le(1) }, { type: FieldType.BVAL_ARRAY, data: Buffer.alloc(8) }])), [ResultCode.PARAMETER]);
  assert.deepEqual(await answerCodes(scanFrame([ns(), { type: FieldType.PID_ARRAY, data: u16le(4096) }])), [ResultCode.PARAMETER]);
  // the namespace is checked first: an unknown one answers NAMESPACE whatever else is wrong
  assert.deepEqual(await answerCodes(scanFrame([ns('nosuch'), { type: FieldType.PID_ARRAY, data: Buffer.alloc(3) }])), [ResultCode.NAMESPACE]);
  // an index name without a range finds no index
  assert.deepEqual(await answerCodes(scanFrame([ns(), { type: FieldType.PID_ARRAY, data: u16le(1) }, { type: FieldType.INDEX_NAME, data: Buffer.from('x') }])), [ResultCode.SINDEX_NOT_FOUND]);
  // a well-formed scan of one partition ends with LAST and OK
  assert.deepEqual(await answerCodes(scanFrame([ns(), { type: FieldType.PID_ARRAY, data: u16le(7) }])), [ResultCode.OK]);
});

test('a records-per-second field of the wrong width is ignored by a foreground scan and refused by a background job', async () => {
  const rps = { type: FieldType.RECS_PER_SEC, data: Buffer.alloc(2) };
  assert.deepEqual(await answerCodes(scanFrame([ns(), rps, { type: FieldType.PID_ARRAY, data: u16le(7) }])), [ResultCode.OK]);
  const write = [{ op: OpType.WRITE, type: Particle.INTEGER, name: 'x', value: Buffer.alloc(8) }];
  assert.deepEqual(await answerCodes(scanFrame([ns(), rps], { info1: 0, info2: Info2.WRITE }, write)), [ResultCode.PARAMETER]);
  // the same job with a well-formed field runs (answered at once with LAST OK)
  assert.deepEqual(await answerCodes(scanFrame([ns(), { type: FieldType.RECS_PER_SEC, data: u32(100) }], { info1: 0, info2: Info2.WRITE }, write)), [ResultCode.OK]);
});

test('a batch request names each row with its kind and resolved namespace; an unknown row namespace refuses the batch', async () => {
  const digests = [0, 1, 2].map((i) => computeDigest('b', Particle.STRING, Buffer.from(`k${i}`)));
  for (const d of digests.slice(0, 2)) await server.exchange(encodePut('test', 'b', d, [{ name: 'a', type: Particle.INTEGER, value: Buffer.alloc(8) }]));
  const frame = encodeBatchGet('test', 'b', digests);
  const req = parseBatchRequest(parseMessage(frame, 8, frame.length), server.node, 0);
  assert.equal(req.rows.length, 3);
  for (const row of req.rows) {
    assert.equal(row.kind, 'read');
    assert.equal(row.ns, server.node.namespace('test'));
  }
  // two found, one not found, then LAST with OK
  assert.deepEqual(await answerCodes(frame), [ResultCode.OK, ResultCode.OK, ResultCode.NOT_FOUND, ResultCode.OK]);
  const unknown = encodeBatchGet('nosuch', 'b', digests);
  assert.deepEqual(await answerCodes(unknown), [ResultCode.PARAMETER]);
});

test('a repeat batch row is its predecessor\'s message with its own digest, and says where the digest is', () => {
  const digests = [0, 1, 2, 3].map((i) => computeDigest('b', Particle.STRING, Buffer.from(`r${i}`)));
  const frame = encodeBatchGet('test', 'b', digests); // rows after the first are REPEAT rows
  const req = parseBatchRequest(parseMessage(frame, 8, frame.length), server.node, 0);
  assert.equal(req.rows.length, 4);
  const first = req.rows[0]!.msg;
  req.rows.forEach((row, i) => {
    assert.equal(row.index, i);
    assert.deepEqual(frame.subarray(row.digestAt, row.digestAt + 20), digests[i]);
    const digestFields = row.msg.fields.filter((f) => f.type === FieldType.DIGEST);
    assert.equal(digestFields.length, 1);
    assert.deepEqual(row.msg.buf.subarray(digestFields[0]!.start, digestFields[0]!.end), digests[i]);
    assert.deepEqual(
      row.msg.fields.filter((f) => f.type !== FieldType.DIGEST),
      first.fields.filter((f) => f.type !== FieldType.DIGEST),
    );
    assert.deepEqual([row.msg.info1, row.msg.info2, row.msg.info3, row.msg.ops], [first.info1, first.info2, first.info3, first.ops]);
    assert.equal(row.ns, server.node.namespace('test'));
  });
});
