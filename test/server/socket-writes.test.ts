/**
 * A connection's answer writes (src/server/socket-writes.ts) over real loopback TCP sockets: the
 * direct path (straight to the TCP handle) and the forced fallback (the socket's own `write`)
 * keep every byte in order, count what the kernel has not taken, run each `written` callback once
 * the bytes are gone (or the socket is), and report the drain; and a real strato process, direct
 * or forced onto the fallback with STRATO_SOCKET_INTERNALS=0, stops reading a client that does not
 * read its answers, then answers everything in order once it reads.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { SocketWriter, directWritesAvailable } from '../../src/server/socket-writes.js';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { infoFrame } from '../helpers/raw-client.js';
import { encodeGet, encodePut } from '../../src/client/message-encoder.js';
import { computeDigest } from '../../src/util/digest.js';
import { CONNECTION_UNSENT_MAX_BYTES } from '../../src/server/connection.js';

/** Longest a step of these tests may take (real time). */
const STEP_TIMEOUT_MS = 10_000;

let server: Server;
const accepted: ((s: Socket) => void)[] = [];
before(async () => {
  server = createServer((s) => accepted.shift()?.(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A connected pair: the server's accepted socket and the client's (which starts paused). */
async function pair(): Promise<{ serverSide: Socket; client: Socket }> {
  const serverSide = new Promise<Socket>((resolve) => accepted.push(resolve));
  const client = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
  client.pause();
  await new Promise((resolve) => client.once('connect', resolve));
  return { serverSide: await serverSide, client };
}

/** Reads from `client` until `bytes` bytes arrived (bounded in time). */
function readAll(client: Socket, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => reject(new Error(`${got} of ${bytes} bytes within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
    client.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got >= bytes) {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks));
      }
    });
    client.resume();
  });
}

/** `count` chunks of `size` bytes, each filled with its own index (so order and loss show). */
function chunks(count: number, size: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.alloc(size, i & 0xff));
}

test('on this Node.js a plain TCP socket gets direct writes; forced off, the socket writes them', async () => {
  const { serverSide, client } = await pair();
  try {
    // Node.js 20 (the project's) has the internals; a later Node.js without them falls back by itself
    if (process.versions.node.startsWith('20.')) assert.equal(directWritesAvailable(), true);
    assert.equal(new SocketWriter(serverSide, () => undefined).direct, directWritesAvailable());
    assert.equal(new SocketWriter(serverSide, () => undefined, false).direct, false);
  } finally {
    client.destroy();
    serverSide.destroy();
  }
});

for (const direct of [true, false]) {
  const path = direct ? 'direct' : 'fallback';

  test(`${path}: writes the kernel takes at once complete synchronously and arrive in order`, async () => {
    const { serverSide, client } = await pair();
    try {
      const writer = new SocketWriter(serverSide, () => undefined, direct);
      const data = chunks(50, 1000);
      let writtenCount = 0;
      for (const d of data) {
        const done = writer.write(d, () => writtenCount++);
        if (direct) assert.equal(done, true, 'a small write to an empty socket buffer goes to the kernel at once');
      }
      if (direct) {
        assert.equal(writtenCount, data.length, 'every written callback ran during its write');
        assert.equal(writer.unsentBytes, 0);
      }
      const got = await readAll(client, 50 * 1000);
      assert.ok(got.equals(Buffer.concat(data)));
      assert.equal(writtenCount, data.length);
    } finally {
      client.destroy();
      serverSide.destroy();
    }
  });

  test(`${path}: a reader that does not read makes writes wait, counted as unsent; they drain in order once it reads`, async () => {
    const { serverSide, client } = await pair();
    try {
      let drains = 0;
      const writer = new SocketWriter(serverSide, () => drains++, direct);
      // 32 MiB: more than loopback's socket buffers hold
      const data = chunks(128, 256 * 1024);
      const total = data.length * 256 * 1024;
      let writtenCount = 0;
      let waited = 0;
      for (const d of data) if (!writer.write(d, () => writtenCount++)) waited++;
      assert.ok(waited > 0, 'some writes had to wait');
      assert.ok(writer.unsentBytes > 0 && writer.unsentBytes <= total, `unsent ${writer.unsentBytes}`);
      assert.ok(writtenCount < data.length, 'a waiting write has not called back');
      const drained = new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (drains > 0) {
            clearInterval(check);
            resolve();
          }
        }, 5);
      });
      const got = await readAll(client, total);
      await drained;
      assert.equal(got.length, total);
      for (let i = 0; i < data.length; i++) assert.equal(got[i * 256 * 1024 + 1000], i & 0xff, `chunk ${i} in its place`);
      assert.equal(writtenCount, data.length);
      assert.equal(writer.unsentBytes, 0);
    } finally {
      client.destroy();
      serverSide.destroy();
    }
  });

  test(`${path}: writes still waiting when the socket is destroyed call back, and nothing stays counted`, async () => {
    const { serverSide, client } = await pair();
    try {
      const writer = new SocketWriter(serverSide, () => undefined, direct);
      let writtenCount = 0;
      const data = chunks(64, 256 * 1024);
      for (const d of data) writer.write(d, () => writtenCount++);
      assert.ok(writtenCount < data.length);
      const closed = new Promise((resolve) => serverSide.once('close', resolve));
      serverSide.destroy();
      await closed;
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(writtenCount, data.length);
      if (direct) assert.equal(writer.unsentBytes, 0);
      // a write after the close is refused quietly and calls back
      let late = false;
      writer.write(Buffer.alloc(10), () => (late = true));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(late, true);
    } finally {
      client.destroy();
    }
  });
}

// ------------------------------------------------------------------ through a strato process

const OK = 0;
/** Bytes of the record the slow reader reads again and again. */
const RECORD_VALUE_BYTES = 256 * 1024;
/** Gets the slow reader pipelines: 100 MiB of answers, far past the node's unsent bound. */
const PIPELINED_GETS = 400;

/** Reads `count` answer frames from a socket that has been paused (bounded in time). */
function readFrames(sock: Socket, count: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const frames: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error(`${frames.length} of ${count} answers within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
    sock.on('data', (d: Buffer) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      while (buf.length >= 8 && buf.length >= 8 + buf.readUIntBE(2, 6)) {
        const size = buf.readUIntBE(2, 6);
        frames.push(buf.subarray(8, 8 + size));
        buf = buf.subarray(8 + size);
      }
      if (frames.length >= count) {
        clearTimeout(timer);
        resolve(frames);
      }
    });
    sock.resume();
  });
}

async function exchangeOne(port: number, frame: Buffer): Promise<Buffer> {
  const sock = connect({ host: '127.0.0.1', port });
  try {
    sock.pause();
    sock.write(frame);
    return (await readFrames(sock, 1))[0]!;
  } finally {
    sock.destroy();
  }
}

for (const internals of ['1', '0']) {
  const label = internals === '1' ? 'direct writes' : 'forced fallback (STRATO_SOCKET_INTERNALS=0)';

  test(`${label}: a client that does not read its answers is no longer read past the unsent bound, then gets every answer in order`, async () => {
    let node: StratoProcess | undefined;
    try {
      node = await startStrato({ env: { STRATO_SOCKET_INTERNALS: internals } });
      const digest = computeDigest('slow', 3, Buffer.from('big'));
      const value = Buffer.alloc(RECORD_VALUE_BYTES);
      for (let i = 0; i < value.length; i += 4) value.writeUInt32BE(i, i);
      const put = await exchangeOne(node.port, encodePut('test', 'slow', digest, [{ name: 'v', type: 4, value }]));
      assert.equal(put[5], OK);
      const rss = async () => Number(/process_rss_bytes=(\d+)/.exec((await exchangeOne(node!.port, infoFrame(['statistics']))).toString())![1]);
      const client: Socket = await new Promise((resolve) => {
        const s = connect({ host: '127.0.0.1', port: node!.port }, () => resolve(s));
      });
      try {
        client.pause();
        const rssBefore = await rss();
        const get = encodeGet('test', 'slow', digest);
        const requests = Buffer.concat(Array.from({ length: PIPELINED_GETS }, () => get));
        const readsDone = async () => Number(/client_read_success=(\d+)/.exec((await exchangeOne(node!.port, infoFrame(['namespace/test']))).toString())![1]);
        const readsBefore = await readsDone();
        client.write(requests);
        // wait until the node stops answering (its count of reads stays put): it stopped at the bound
        let answered = -1;
        for (let i = 0; i < 100; i++) {
          await new Promise((r) => setTimeout(r, 100));
          const now = (await readsDone()) - readsBefore;
          if (now === answered) break;
          answered = now;
        }
        // what waits unsent: the bound, plus what the loopback socket buffers took, plus one answer
        assert.ok(answered < PIPELINED_GETS, `the node stopped answering (${answered} of ${PIPELINED_GETS} answered)`);
        assert.ok(answered * RECORD_VALUE_BYTES <= CONNECTION_UNSENT_MAX_BYTES + 32 * 1024 * 1024, `${answered} answers of ${RECORD_VALUE_BYTES} bytes (unsent bound ${CONNECTION_UNSENT_MAX_BYTES})`);
        const grown = (await rss()) - rssBefore;
        assert.ok(grown < CONNECTION_UNSENT_MAX_BYTES + 48 * 1024 * 1024, `RSS grew ${grown} bytes (unsent bound ${CONNECTION_UNSENT_MAX_BYTES})`);
        // now read: reading resumes as answers drain, and every request is answered, in order
        const frames = await readFrames(client, PIPELINED_GETS);
        assert.equal(frames.length, PIPELINED_GETS);
        for (let i = 0; i < frames.length; i++) {
          const body = frames[i]!;
          assert.equal(body[5], OK, `answer ${i}`);
          const opSize = body.readUInt32BE(22);
          const nameLen = body[22 + 7]!;
          assert.equal(opSize - 4 - nameLen, RECORD_VALUE_BYTES, `answer ${i} holds the whole value`);
          assert.ok(body.subarray(22 + 8 + nameLen, 22 + 4 + opSize).equals(value), `answer ${i} holds the value`);
        }
      } finally {
        client.destroy();
      }
      // the node answers others as before
      const again = await exchangeOne(node.port, encodeGet('test', 'slow', digest));
      assert.equal(again[5], OK);
    } finally {
      await node?.stop();
    }
  });
}
