/**
 * Bounds a client reaches through one connection (issue 16.4), against a real strato process over
 * raw sockets: read-ahead while a stream is pending, the inflated size of a compressed request, and
 * latency histograms only for configured namespaces.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { deflateSync } from 'node:zlib';
import Aerospike from 'aerospike';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { frame, infoFrame, requestFrame } from '../helpers/raw-client.js';
import { encodeGet, encodeMessage, keyFields } from '../../src/client/message-encoder.js';
import { encodeScanRequest } from '../../src/client/scan-request.js';
import { computeDigest } from '../../src/util/digest.js';
import { COMPRESSED_REQUEST_MAX_BYTES, CONNECTION_READ_AHEAD_MAX_BYTES } from '../../src/server/connection.js';
import { connectClient } from '../helpers/client.js';

const PARAMETER = 4;
let server: StratoProcess;
let client: any;

async function info(command: string): Promise<string> {
  const answer = await requestFrame('127.0.0.1', server.port, infoFrame([command]), 10_000);
  return answer.subarray(8).toString().split('\t')[1]!.trim();
}
async function rssBytes(): Promise<number> {
  return Number(/process_rss_bytes=(\d+)/.exec(await info('statistics'))![1]);
}

before(async () => {
  server = await startStrato();
  client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
});
after(async () => {
  await client?.close(false);
  await server?.stop();
});

test('a 130 KB compressed frame that inflates to 128 MiB is refused with PARAMETER without the node allocating it', async () => {
  const inner = Buffer.alloc(128 * 1024 * 1024);
  inner[0] = 2;
  inner[1] = 3;
  inner.writeUIntBE(inner.length - 8, 2, 6);
  const z = deflateSync(inner);
  assert.ok(z.length < 200 * 1024);
  const before = await rssBytes();
  for (const declared of [inner.length, 1000]) {
    // honest size past the bound, and a lie: a small size that inflates far beyond it
    const body = Buffer.concat([Buffer.alloc(8), z]);
    body.writeBigUInt64BE(BigInt(declared), 0);
    const answer = await requestFrame('127.0.0.1', server.port, frame(4, body), 10_000);
    assert.equal(answer[13], PARAMETER, `declared ${declared}`);
  }
  const grown = (await rssBytes()) - before;
  assert.ok(grown < COMPRESSED_REQUEST_MAX_BYTES + 48 * 1024 * 1024, `RSS grew ${grown} bytes`);
  assert.ok(COMPRESSED_REQUEST_MAX_BYTES >= 8 * 1024 * 1024 + 1024, 'an 8 MiB record still fits');
});

test('a compressed request within the bound is answered', async () => {
  const digest = computeDigest('bounds', 3, Buffer.from('z'));
  const put = encodeMessage({ info2: 1 }, keyFields('test', 'bounds', digest), [{ op: 2, type: 3, name: 'v', value: Buffer.alloc(100_000, 0x61) }]);
  const body = Buffer.concat([Buffer.alloc(8), deflateSync(put)]);
  body.writeBigUInt64BE(BigInt(put.length), 0);
  const answer = await requestFrame('127.0.0.1', server.port, frame(4, body), 10_000);
  assert.equal(answer[13], 0);
});

test('a client that pipelines requests without reading a pending scan answer is paused, not buffered without limit', async () => {
  // ~16 MiB of records so the scan answer cannot fit in the socket buffers
  const value = Buffer.alloc(64 * 1024, 0x62);
  for (let i = 0; i < 256; i += 32) await Promise.all(Array.from({ length: 32 }, (_, k) => client.put(new Aerospike.Key('test', 'flood', i + k), { v: value })));
  const scan = encodeScanRequest({ namespace: 'test', set: 'flood', partitionIds: Array.from({ length: 4096 }, (_, p) => p), resumeDigests: [], taskId: 77n });
  const get = encodeGet('test', 'flood', computeDigest('flood', 3, Buffer.from('none')));
  const before = await rssBytes();
  const sock: Socket = await new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port: server.port }, () => resolve(s));
  });
  try {
    sock.pause(); // never read: the scan answer stays pending on the node
    sock.write(scan);
    const floodBytes = 48 * 1024 * 1024;
    const chunk = Buffer.concat(Array.from({ length: 1024 }, () => get));
    for (let sent = 0; sent < floodBytes; sent += chunk.length) sock.write(chunk);
    // wait until the client's queue stops shrinking (the node stopped reading) or is empty
    let last = -1;
    for (let i = 0; i < 100 && sock.writableLength !== last; i++) {
      last = sock.writableLength;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(sock.writableLength > floodBytes / 2, `the node stopped reading (${sock.writableLength} bytes still queued by the client)`);
    const grown = (await rssBytes()) - before;
    assert.ok(grown < 32 * 1024 * 1024, `RSS grew ${grown} bytes (read-ahead bound ${CONNECTION_READ_AHEAD_MAX_BYTES})`);
  } finally {
    sock.destroy();
  }
  // the node still answers others
  assert.match(await info('build'), /^8\./);
});

test('latency histograms exist only for configured namespaces, whatever names clients send', async () => {
  for (let i = 0; i < 5; i++) {
    const answer = await requestFrame('127.0.0.1', server.port, encodeGet(`ghost${i}`, 's', computeDigest('s', 3, Buffer.from('k'))), 5000);
    assert.equal(answer[13], 20, 'NAMESPACE');
  }
  const latencies = await info('latencies:');
  assert.doesNotMatch(latencies, /ghost/);
  assert.match(latencies, /\{test\}-read/);
});
