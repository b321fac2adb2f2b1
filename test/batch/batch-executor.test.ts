/**
 * The batch executor in process (real Namespace, real messages, the real transaction code): every
 * row is counted once in its batch-sub histogram although rows are timed in groups, and a batch
 * whose rows fit one frame leaves in one write, the LAST message behind its rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Namespace } from '../../src/namespace/namespace.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { liveNamespaceSettings } from '../../src/server/node-config.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { computeDigest } from '../../src/util/digest.js';
import { encodeMessage, keyFields } from '../../src/client/message-encoder.js';
import { encodeBatchGet } from '../../src/client/batch-read-encoder.js';
import { Info2, Info3, parseMessage } from '../../src/protocol/message.js';
import { ResponseBuilder } from '../../src/protocol/response-builder.js';
import { ResultCode } from '../../src/protocol/result-codes.js';
import { executeSingleRecord } from '../../src/transaction/single-record.js';
import { installEngines } from '../../src/transaction/engines.js';
import { executeBatch, type BatchRowLatency } from '../../src/batch/batch-executor.js';
import type { FrameSink } from '../../src/protocol/frame-sink.js';

const STRING = 3;
installEngines();

function newNamespace(): Namespace {
  return new Namespace(liveNamespaceSettings(defaultConfig().namespaces[0]!), new MemoryStorage(64 * 1024 * 1024), new ManualClock(Date.UTC(2026, 0, 1)));
}
const digest = (key: string) => computeDigest('s', STRING, Buffer.from(key));

/** A namespace holding keys k0..k(n-1) with a 1000-byte string bin. */
function loaded(n: number): Namespace {
  const ns = newNamespace();
  const lookup = { namespace: (name: string) => (name === ns.name ? ns : undefined) };
  for (let i = 0; i < n; i++) {
    const f = encodeMessage({ info2: Info2.WRITE }, keyFields(ns.name, 's', digest(`k${i}`)), [{ op: 2, type: STRING, name: 'v', value: Buffer.alloc(1000, i) }]);
    assert.equal(executeSingleRecord(lookup, parseMessage(f, 8, f.length), new ResponseBuilder(256)), ResultCode.OK);
  }
  return ns;
}

/** A frame sink that keeps a copy of every frame sent to it and never holds a write back. */
function collectingSink(): { frames: Buffer[]; sink: FrameSink } {
  const frames: Buffer[] = [];
  const sink: FrameSink = {
    send: (f, written) => {
      frames.push(Buffer.from(f));
      written?.();
    },
    drain: () => Promise.resolve(),
    closed: false,
  };
  return { frames, sink };
}

/** Runs a batch get of `keys`; answers the frames sent and what the histograms were given. */
async function runBatch(ns: Namespace, keys: string[]) {
  const { frames, sink } = collectingSink();
  const recorded: { hist: string; ns: number; count: number }[] = [];
  const latency: BatchRowLatency = {
    of: (namespace, kind) => ({ recordNs: (t, count = 1) => void recorded.push({ hist: `${namespace}/${kind}`, ns: t, count }) }),
  };
  const stats = { batchIndexInitiate: 0, batchIndexComplete: 0, batchIndexError: 0 };
  const req = encodeBatchGet(ns.name, 's', keys.map(digest));
  await executeBatch({ namespace: (name) => (name === ns.name ? ns : undefined) }, parseMessage(req, 8, req.length), sink, { maxRequests: () => 0, stats, latency });
  return { frames, recorded, stats };
}

/** The result codes of the messages in `frame` (one or more proto frames), and whether each is LAST. */
function messages(frame: Buffer): { code: number; last: boolean }[] {
  const out: { code: number; last: boolean }[] = [];
  for (let p = 0; p < frame.length; ) {
    const end = p + 8 + frame.readUIntBE(p + 2, 6);
    for (let m = p + 8; m < end; ) {
      out.push({ code: frame[m + 5]!, last: (frame[m + 3]! & Info3.LAST) !== 0 });
      let q = m + 22;
      const nFields = frame.readUInt16BE(m + 18);
      const nOps = frame.readUInt16BE(m + 20);
      for (let i = 0; i < nFields + nOps; i++) q += 4 + frame.readUInt32BE(q);
      m = q;
    }
    p = end;
  }
  return out;
}

test('every row of a batch is counted once in batch-sub-read, with rows timed in groups', async () => {
  const ns = loaded(50);
  const keys = Array.from({ length: 130 }, (_, i) => `k${i % 70}`); // 100 hits, 30 misses
  const { recorded, stats } = await runBatch(ns, keys);
  assert.equal(recorded.reduce((a, r) => a + r.count, 0), 130);
  assert.ok(recorded.every((r) => r.hist === 'test/batch-sub-read' && r.ns >= 0));
  // a clock read and a histogram call per group of rows, not per row
  assert.ok(recorded.length <= 10, `${recorded.length} recordings`);
  assert.deepEqual(stats, { batchIndexInitiate: 1, batchIndexComplete: 1, batchIndexError: 0 });
});

test('a batch whose rows fit one frame is answered in one write ending with the LAST message', async () => {
  const ns = loaded(100);
  const keys = Array.from({ length: 100 }, (_, i) => `k${(i * 7) % 120}`);
  const { frames } = await runBatch(ns, keys);
  assert.equal(frames.length, 1);
  const msgs = messages(frames[0]!);
  assert.equal(msgs.length, 101);
  assert.deepEqual(
    msgs.slice(0, 100).map((m) => m.code),
    keys.map((k) => (Number(k.slice(1)) < 100 ? ResultCode.OK : ResultCode.NOT_FOUND)),
  );
  assert.ok(msgs.slice(0, 100).every((m) => !m.last));
  assert.deepEqual(msgs[100], { code: ResultCode.OK, last: true });
});

test('a batch larger than a frame streams several writes, the LAST message in the final one', async () => {
  const ns = loaded(300);
  const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
  const { frames } = await runBatch(ns, keys);
  assert.ok(frames.length >= 3, `${frames.length} writes`);
  const msgs = frames.flatMap(messages);
  assert.equal(msgs.length, 301);
  assert.ok(msgs.slice(0, 300).every((m) => m.code === ResultCode.OK && !m.last));
  assert.equal(msgs[300]!.last, true);
  assert.equal(messages(frames.at(-1)!).at(-1)!.last, true);
});

/** Each row answer in `frames`: its result code and the first byte of its first bin's value (undefined without bins). */
function rowValues(frames: Buffer[]): { code: number; first: number | undefined }[] {
  const out: { code: number; first: number | undefined }[] = [];
  for (const frame of frames) {
    for (let p = 0; p < frame.length; ) {
      const end = p + 8 + frame.readUIntBE(p + 2, 6);
      for (let m = p + 8; m < end; ) {
        const last = (frame[m + 3]! & Info3.LAST) !== 0;
        let q = m + 22;
        const nFields = frame.readUInt16BE(m + 18);
        const nOps = frame.readUInt16BE(m + 20);
        for (let i = 0; i < nFields; i++) q += 4 + frame.readUInt32BE(q);
        let first: number | undefined;
        for (let i = 0; i < nOps; i++) {
          if (i === 0) first = frame[q + 8 + frame[q + 7]!];
          q += 4 + frame.readUInt32BE(q);
        }
        if (!last) out.push({ code: frame[m + 5]!, first });
        m = q;
      }
      p = end;
    }
  }
  return out;
}

function writeKey(ns: Namespace, key: string, fill: number): void {
  const lookup = { namespace: (name: string) => (name === ns.name ? ns : undefined) };
  const f = encodeMessage({ info2: Info2.WRITE }, keyFields(ns.name, 's', digest(key)), [{ op: 2, type: STRING, name: 'v', value: Buffer.alloc(1000, fill) }]);
  assert.equal(executeSingleRecord(lookup, parseMessage(f, 8, f.length), new ResponseBuilder(256)), ResultCode.OK);
}

function deleteKey(ns: Namespace, key: string): void {
  const lookup = { namespace: (name: string) => (name === ns.name ? ns : undefined) };
  const f = encodeMessage({ info2: Info2.WRITE | Info2.DELETE }, keyFields(ns.name, 's', digest(key)), []);
  assert.equal(executeSingleRecord(lookup, parseMessage(f, 8, f.length), new ResponseBuilder(256)), ResultCode.OK);
}

/** Runs a batch get of `keys` with `prepare` as the batch's offload hook; answers each row's code and first value byte. */
async function runBatchPrepared(ns: Namespace, keys: string[], prepare: (rowNumber: number) => Promise<void> | undefined) {
  const { frames, sink } = collectingSink();
  const stats = { batchIndexInitiate: 0, batchIndexComplete: 0, batchIndexError: 0 };
  const req = encodeBatchGet(ns.name, 's', keys.map(digest));
  let row = 0;
  await executeBatch({ namespace: (name) => (name === ns.name ? ns : undefined) }, parseMessage(req, 8, req.length), sink, {
    maxRequests: () => 0,
    stats,
    prepare: () => prepare(row++),
  });
  return rowValues(frames);
}

test('rows whose records were removed, replaced or written while the batch waited read the records as they are now', async () => {
  const ns = loaded(40);
  // k5 removed and written again under another entry (k100 takes its freed entry first), k7
  // removed, k200 written: all after the prefetch of the first 32 rows, while row 1 waits
  const keys = ['k0', 'k1', 'k5', 'k7', 'k200', 'k100', 'k9'];
  const answers = await runBatchPrepared(ns, keys, (row) => {
    if (row !== 1) return undefined;
    return Promise.resolve().then(() => {
      deleteKey(ns, 'k5');
      writeKey(ns, 'k100', 100);
      writeKey(ns, 'k5', 55);
      deleteKey(ns, 'k7');
      writeKey(ns, 'k200', 200);
    });
  });
  assert.deepEqual(answers, [
    { code: ResultCode.OK, first: 0 },
    { code: ResultCode.OK, first: 1 },
    { code: ResultCode.OK, first: 55 },
    { code: ResultCode.NOT_FOUND, first: undefined },
    { code: ResultCode.OK, first: 200 },
    { code: ResultCode.OK, first: 100 },
    { code: ResultCode.OK, first: 9 },
  ]);
});

test('a batch that waited while another batch ran still reads its own rows', async () => {
  const ns = loaded(160);
  const keysA = Array.from({ length: 40 }, (_, i) => `k${i}`);
  const keysB = Array.from({ length: 40 }, (_, i) => `k${100 + i}`);
  let release!: () => void;
  const waiting = new Promise<void>((r) => (release = r));
  // A waits at its row 3 (its first 32 rows prefetched) until B has run all its rows
  const a = runBatchPrepared(ns, keysA, (row) => (row === 3 ? waiting : undefined));
  const b = await runBatchPrepared(ns, keysB, () => undefined);
  release();
  const answersA = await a;
  assert.deepEqual(answersA, keysA.map((_, i) => ({ code: ResultCode.OK, first: i })));
  assert.deepEqual(b, keysB.map((_, i) => ({ code: ResultCode.OK, first: 100 + i })));
});
