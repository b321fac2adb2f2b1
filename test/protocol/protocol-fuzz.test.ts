/**
 * Malformed frames never take the node down: each gets an error answer or costs only its own
 * connection, and other clients keep being served. The node runs in process (helpers/in-process.ts):
 * each frame's answer, or the absence of one, is known as soon as the node has finished with it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InProcessNode } from '../helpers/in-process.js';
import { frame, infoFrame } from '../helpers/raw-client.js';

let server: InProcessNode;

before(async () => {
  server = await InProcessNode.start();
});
after(async () => {
  await server?.stop();
});

/** Sends bytes on a fresh connection: what the node answered and whether it closed the connection. */
function rawExchange(bytes: Buffer): Promise<{ received: Buffer; closed: boolean }> {
  return server.exchange(bytes);
}

/** A well-formed get of (test, digest 0x11..) with the given header tweaks. */
function getMessage(opts: { nFields?: number; nOps?: number; extra?: Buffer } = {}): Buffer {
  const ns = Buffer.from('test');
  const fields = Buffer.concat([
    Buffer.from([0, 0, 0, ns.length + 1, 0]),
    ns,
    Buffer.from([0, 0, 0, 21, 4]),
    Buffer.alloc(20, 0x11),
  ]);
  const h = Buffer.alloc(22);
  h[0] = 22;
  h[1] = 0x03;
  h.writeUInt16BE(opts.nFields ?? 2, 18);
  h.writeUInt16BE(opts.nOps ?? 0, 20);
  return Buffer.concat([h, fields, opts.extra ?? Buffer.alloc(0)]);
}

async function stillServing(): Promise<void> {
  const r = await rawExchange(infoFrame(['status']));
  assert.equal(r.received.subarray(8).toString(), 'status\tok\n');
}

test('a well-formed get of a missing record answers KEY_NOT_FOUND', async () => {
  const r = await rawExchange(frame(3, getMessage()));
  assert.equal(r.received[8 + 5], 2);
});

test('a bad version byte closes the connection without an answer', async () => {
  const r = await rawExchange(frame(3, getMessage(), 3));
  assert.equal(r.closed, true);
  assert.equal(r.received.length, 0);
  await stillServing();
});

test('proto types 0 and 99 close the connection', async () => {
  for (const t of [0, 99]) {
    const r = await rawExchange(frame(t, getMessage()));
    assert.equal(r.closed, true, `type ${t}`);
  }
  await stillServing();
});

test('a declared length over 128 MiB closes the connection without allocating it', async () => {
  const h = Buffer.from([2, 3, 0, 0, 0, 0, 0, 0]);
  h.writeUIntBE(2 ** 40, 2, 6);
  const r = await rawExchange(Buffer.concat([h, Buffer.alloc(30)]));
  assert.equal(r.closed, true);
  await stillServing();
});

test('a body shorter than the message header answers PARAMETER', async () => {
  const r = await rawExchange(frame(3, Buffer.alloc(10)));
  assert.equal(r.received[8 + 5], 4);
});

test('field and op counts past the end answer PARAMETER', async () => {
  for (const m of [getMessage({ nFields: 5 }), getMessage({ nFields: 65535 }), getMessage({ nOps: 3 }), getMessage({ nOps: 40000 })]) {
    const r = await rawExchange(frame(3, m));
    assert.equal(r.received[8 + 5], 4);
  }
});

test('an admin frame answers SECURITY_NOT_SUPPORTED as CE does', async () => {
  const body = Buffer.alloc(16);
  body[2] = 9;
  const r = await rawExchange(frame(2, body));
  assert.equal(r.received[1], 2);
  assert.equal(r.received[9], 51);
});

test('random garbage bodies never stop the node from serving others', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }),
      fc.uint8Array({ minLength: 0, maxLength: 300 }),
      async (type, bytes) => {
        const r = await rawExchange(frame(type, Buffer.from(bytes)));
        // an answer, if any, is a well-formed proto frame
        if (r.received.length >= 8) assert.equal(r.received[0], 2);
      },
    ),
    { numRuns: 1000, seed: 42 },
  );
  await stillServing();
});

test('mutated valid messages never stop the node from serving others', async () => {
  const base = getMessage({ extra: Buffer.from([0, 0, 0, 13, 2, 1, 0, 1, 0x61, 0, 0, 0, 0, 0, 0, 0, 1]) });
  base.writeUInt16BE(1, 20);
  base[2] = 1; // WRITE
  base[1] = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), async (muts) => {
      const m = Buffer.from(base);
      for (const [i, v] of muts) m[i] = v;
      const r = await rawExchange(frame(3, m));
      if (r.received.length >= 8) assert.equal(r.received[0], 2);
    }),
    { numRuns: 1000, seed: 7 },
  );
  await stillServing();
});
