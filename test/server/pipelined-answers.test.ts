/**
 * Answers to requests a client pipelines on one connection (issue 13.1: the answers to one chunk
 * of requests leave in one write), against a real strato process over a raw socket: every request
 * gets its own answer, in request order, whatever mix of kinds and sizes the chunk holds.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { frame, infoFrame } from '../helpers/raw-client.js';
import { encodeGet, encodePut } from '../../src/client/message-encoder.js';
import { encodeBatchGet } from '../../src/client/batch-read-encoder.js';
import { computeDigest } from '../../src/util/digest.js';

const OK = 0;
const NOT_FOUND = 2;
const PARAMETER = 4;
const NAMESPACE = 20;
const PROTO_INFO = 1;
const PROTO_MESSAGE = 3;

let server: StratoProcess;
before(async () => {
  server = await startStrato();
});
after(async () => {
  await server?.stop();
});

interface Answer {
  type: number;
  body: Buffer;
}

/** Sends `bytes` in one write and reads `count` complete frames back (bounded by `timeoutMs`). */
function exchange(bytes: Buffer, count: number, timeoutMs = 10_000): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const answers: Answer[] = [];
    const sock: Socket = connect({ host: '127.0.0.1', port: server.port }, () => sock.write(bytes));
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`${answers.length} of ${count} answers within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 8 && buf.length >= 8 + buf.readUIntBE(2, 6)) {
        const size = buf.readUIntBE(2, 6);
        answers.push({ type: buf[1]!, body: buf.subarray(8, 8 + size) });
        buf = buf.subarray(8 + size);
      }
      if (answers.length >= count) {
        clearTimeout(timer);
        sock.destroy();
        resolve(answers);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Each message of an answer frame's body (a batch answer frame holds several). */
function messages(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  while (p < body.length) {
    const start = p;
    const nFields = body.readUInt16BE(p + 18);
    const nOps = body.readUInt16BE(p + 20);
    p += 22;
    for (let i = 0; i < nFields + nOps; i++) p += 4 + body.readUInt32BE(p);
    out.push(body.subarray(start, p));
  }
  return out;
}

/**
 * Writes `pieces` one after another, each in its own write after a turn of the event loop (so the
 * node reads frames cut anywhere), and collects the answer messages until `done` says enough.
 */
function exchangeInPieces(pieces: Buffer[], done: (msgs: Buffer[]) => boolean, timeoutMs = 10_000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const msgs: Buffer[] = [];
    const sock: Socket = connect({ host: '127.0.0.1', port: server.port }, async () => {
      sock.setNoDelay(true);
      for (const piece of pieces) {
        if (sock.destroyed) return;
        sock.write(piece);
        await new Promise((r) => setImmediate(r));
      }
    });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`${msgs.length} answer messages within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 8 && buf.length >= 8 + buf.readUIntBE(2, 6)) {
        const size = buf.readUIntBE(2, 6);
        msgs.push(...messages(buf.subarray(8, 8 + size)));
        buf = buf.subarray(8 + size);
      }
      if (done(msgs)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(msgs);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Cuts `bytes` into pieces of `size` bytes. */
function cut(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p < bytes.length; p += size) out.push(bytes.subarray(p, p + size));
  return out;
}

/** The value of the first bin of a read answer's body (one op, as a get of one bin answers). */
function firstBinValue(body: Buffer): Buffer {
  const nFields = body.readUInt16BE(18);
  assert.equal(nFields, 0);
  const opSize = body.readUInt32BE(22);
  const nameLen = body[22 + 7]!;
  return body.subarray(22 + 8 + nameLen, 22 + 4 + opSize);
}

test('requests pipelined in one chunk are each answered, in request order, across kinds and sizes', async () => {
  const digest = (k: number) => computeDigest('pipe', 3, Buffer.from(`k${k}`));
  const parts: Buffer[] = [];
  const expect: ((a: Answer) => void)[] = [];
  const rounds = 40;
  for (let k = 0; k < rounds; k++) {
    // values from a few bytes to 20 KB: some answers fit the reply buffer, some do not
    const value = Buffer.alloc(k % 4 === 3 ? 20_000 + k : 10 + k * 37, 0x41 + (k % 26));
    parts.push(encodePut('test', 'pipe', digest(k), [{ name: 'v', type: 4, value }]));
    expect.push((a) => {
      assert.equal(a.type, PROTO_MESSAGE);
      assert.equal(a.body[5], OK, `put ${k}`);
    });
    parts.push(encodeGet('test', 'pipe', digest(k)));
    expect.push((a) => {
      assert.equal(a.body[5], OK, `get ${k}`);
      assert.ok(firstBinValue(a.body).equals(value), `get ${k} answers its own record`);
    });
    if (k % 5 === 0) {
      parts.push(infoFrame(['build']));
      expect.push((a) => {
        assert.equal(a.type, PROTO_INFO);
        assert.match(a.body.toString(), /^build\t8\./);
      });
    }
    if (k % 7 === 0) {
      parts.push(encodeGet('ghost', 'pipe', digest(k)));
      expect.push((a) => assert.equal(a.body[5], NAMESPACE, `ghost namespace ${k}`));
      parts.push(encodeGet('test', 'pipe', computeDigest('pipe', 3, Buffer.from(`missing${k}`))));
      expect.push((a) => assert.equal(a.body[5], NOT_FOUND, `missing ${k}`));
      // a body that does not parse (an op running past its end) is answered PARAMETER, the connection stays
      const bad = Buffer.alloc(22 + 8);
      bad[0] = 22;
      bad[1] = 1;
      bad.writeUInt16BE(1, 20);
      bad.writeUInt32BE(100, 22);
      parts.push(frame(PROTO_MESSAGE, bad));
      expect.push((a) => assert.equal(a.body[5], PARAMETER, `unparsable ${k}`));
    }
  }
  const answers = await exchange(Buffer.concat(parts), expect.length);
  assert.equal(answers.length, expect.length);
  answers.forEach((a, i) => expect[i]!(a));
});

test('a thousand pipelined reads in one chunk are answered in order', async () => {
  const parts: Buffer[] = [];
  const n = 1000;
  for (let k = 0; k < 10; k++) {
    parts.push(encodePut('test', 'pipe2', computeDigest('pipe2', 3, Buffer.from(`k${k}`)), [{ name: 'v', type: 4, value: Buffer.from(`value-${k}`) }]));
  }
  for (let i = 0; i < n; i++) parts.push(encodeGet('test', 'pipe2', computeDigest('pipe2', 3, Buffer.from(`k${i % 10}`))));
  const answers = await exchange(Buffer.concat(parts), 10 + n);
  for (let i = 0; i < n; i++) {
    const a = answers[10 + i]!;
    assert.equal(a.body[5], OK);
    assert.equal(firstBinValue(a.body).toString(), `value-${i % 10}`, `read ${i}`);
  }
});

test('a client that pipelines reads of a large record without reading the answers is paused, not buffered without limit', async () => {
  const digest = computeDigest('pipe3', 3, Buffer.from('big'));
  const value = Buffer.alloc(256 * 1024, 0x63);
  const [put] = await exchange(encodePut('test', 'pipe3', digest, [{ name: 'v', type: 4, value }]), 1);
  assert.equal(put!.body[5], OK);
  const rss = async () => Number(/process_rss_bytes=(\d+)/.exec((await exchange(infoFrame(['statistics']), 1))[0]!.body.toString())![1]);
  const before = await rss();
  const sock: Socket = await new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port: server.port }, () => resolve(s));
  });
  try {
    sock.pause(); // never read: 2,000 answers of 256 KiB (500 MiB) would pile up on the node
    const get = encodeGet('test', 'pipe3', digest);
    sock.write(Buffer.concat(Array.from({ length: 2000 }, () => get)));
    // wait until the client's queue stops shrinking (the node stopped reading) or is empty
    let last = -1;
    for (let i = 0; i < 100 && sock.writableLength !== last; i++) {
      last = sock.writableLength;
      await new Promise((r) => setTimeout(r, 100));
    }
    const grown = (await rss()) - before;
    assert.ok(grown < 64 * 1024 * 1024, `RSS grew ${grown} bytes`);
  } finally {
    sock.destroy();
  }
  // the node still answers others
  const [again] = await exchange(encodeGet('test', 'pipe3', digest), 1);
  assert.equal(again!.body[5], OK);
});

test('requests cut into 7-byte pieces, and requests behind a batch in the same write, are answered from the bytes the client sent', async () => {
  const n = 20;
  const digests = Array.from({ length: n }, (_, k) => computeDigest('pipe4', 3, Buffer.from(`k${k}`)));
  const values = digests.map((_, k) => Buffer.alloc(100 + k * 50, 0x61 + k));
  const puts = Buffer.concat(digests.map((d, k) => encodePut('test', 'pipe4', d, [{ name: 'v', type: 4, value: values[k]! }])));
  // every frame arrives in pieces: a read ends inside a frame again and again
  const putAnswers = await exchangeInPieces(cut(puts, 7), (m) => m.length >= n);
  assert.deepEqual(
    putAnswers.map((m) => m[5]),
    digests.map(() => OK),
  );
  // a batch answered as a stream, with reads and a put behind it in the same write (and pieces)
  const newValue = Buffer.alloc(3000, 0x7a);
  const chunk = Buffer.concat([
    encodeBatchGet('test', 'pipe4', digests),
    ...digests.map((d) => encodeGet('test', 'pipe4', d)),
    encodePut('test', 'pipe4', digests[0]!, [{ name: 'v', type: 4, value: newValue }]),
    encodeGet('test', 'pipe4', digests[0]!),
  ]);
  for (const pieces of [[chunk], cut(chunk, 7), cut(chunk, 1000)]) {
    // batch: n rows and its LAST message, then n gets, the put and the get after it
    const msgs = await exchangeInPieces(pieces, (m) => m.length >= n + 1 + n + 2);
    assert.equal(msgs.length, n + 1 + n + 2);
    for (let k = 0; k < n; k++) {
      assert.equal(msgs[k]![5], OK, `batch row ${k}`);
      assert.ok(firstBinValue(msgs[k]!).equals(values[k]!), `batch row ${k} value`);
    }
    assert.equal(msgs[n]![3]! & 1, 1, 'the batch ends with its LAST message');
    for (let k = 0; k < n; k++) assert.equal(msgs[n + 1 + k]![5], OK, `get ${k}`);
    for (let k = 0; k < n; k++) assert.ok(firstBinValue(msgs[n + 1 + k]!).equals(values[k]!), `get ${k} answers its own record`);
    assert.equal(msgs[2 * n + 1]![5], OK, 'the put behind the batch');
    assert.ok(firstBinValue(msgs[2 * n + 2]!).equals(newValue), 'the get after the put reads the new value');
    values[0] = newValue;
  }
});
