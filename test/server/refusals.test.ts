/**
 * Visible limits (issue 16.5): refused connections at proto-fd-max, malformed frames and refused
 * compressed requests each leave a rate-limited warning (Aerospike's wording where it has one, with
 * the peer's address) and count in a statistic.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startStrato, waitForOutput, type StratoProcess } from '../helpers/strato-process.js';
import { frame, infoFrame, rawExchange, requestFrame } from '../helpers/raw-client.js';
import { RefusalLog, REFUSAL_LOG_INTERVAL_MS } from '../../src/server/refusals.js';
import type { ContextLogger } from '../../src/util/log.js';

/** Aerospike's smallest proto-fd-max */
const FD_MAX = 1024;
let server: StratoProcess;

async function stat(name: string): Promise<number> {
  const answer = await requestFrame('127.0.0.1', server.port, infoFrame(['statistics']), 10_000);
  return Number(new RegExp(`${name}=(\\d+)`).exec(answer.subarray(8).toString())![1]);
}

before(async () => {
  server = await startStrato({
    config: `
service {
  proto-fd-max ${FD_MAX}
  enable-compression true
}
logging {
  console {
    context any info
  }
}
network {
  service {
    address 127.0.0.1
    port 3000
  }
}
namespace test {
  replication-factor 1
  storage-engine memory {
    data-size 64M
  }
}
`,
  });
});
after(async () => {
  await server?.stop();
});

test('connections past proto-fd-max are refused with one rate-limited warning and counted', async () => {
  const held: Socket[] = [];
  try {
    for (let i = 0; i < FD_MAX; i += 64) {
      const batch = Array.from({ length: Math.min(64, FD_MAX - i) }, () => new Promise<Socket>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: server.port }, () => resolve(s));
        s.once('error', reject);
      }));
      held.push(...(await Promise.all(batch)));
    }
    // the kernel's accept queue is FIFO: the node accepts these before any later connection
    // the node accepted FD_MAX; each further one is closed at once
    for (let i = 0; i < 5; i++) {
      const r = await rawExchange(server.port, infoFrame(['build']), 2000);
      assert.equal(r.closed, true);
      assert.equal(r.received.length, 0);
    }
  } finally {
    for (const s of held) s.destroy();
  }
  await waitForOutput(server, /refusing client connection - proto-fd-max 1024/);
  assert.equal(server.output().match(/refusing client connection/g)!.length, 1, 'five refusals, one line within the interval');
  // the held sockets close asynchronously on the node: retry the statistics until a slot is free
  let refused = NaN;
  for (let i = 0; i < 100 && Number.isNaN(refused); i++) {
    refused = await stat('client_connections_refused').catch(() => NaN);
    if (Number.isNaN(refused)) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(refused >= 5, `client_connections_refused=${refused}`);
});

test('a malformed frame is logged with the peer address and counted; the node keeps answering', async () => {
  const before = await stat('proto_frames_malformed');
  const bad = frame(3, Buffer.alloc(30), 9); // proto version 9
  const r = await rawExchange(server.port, bad, 2000);
  assert.equal(r.closed, true);
  await waitForOutput(server, /unsupported proto version 9 from 127\.0\.0\.1:\d+/);
  const tls = Buffer.from([22, 3, 1, 0, 0x80, 1, 0, 0, 0, 0]);
  await rawExchange(server.port, tls, 2000);
  await waitForOutput(server, /ignoring TLS connection from 127\.0\.0\.1:\d+/);
  assert.equal(await stat('proto_frames_malformed'), before + 2);
});

test('a compressed request past its bound is refused, logged and counted', async () => {
  const body = Buffer.alloc(16 + 8);
  body.writeBigUInt64BE(1n << 40n, 0);
  const answer = await requestFrame('127.0.0.1', server.port, frame(4, body), 5000);
  assert.equal(answer[13], 4, 'PARAMETER');
  await waitForOutput(server, /compressed request of 1099511627776 bytes inflated \(limit \d+\) from 127\.0\.0\.1:\d+/);
  assert.equal(await stat('compressed_requests_refused'), 1);
});

test('the refusal log writes the first line at once, then one per interval with the suppressed count', () => {
  const lines: string[] = [];
  const log = { warning: (m: string) => lines.push(m) } as unknown as ContextLogger;
  let now = 1_000_000;
  const r = new RefusalLog(() => now, log);
  r.warn('a', 'first');
  for (let i = 0; i < 7; i++) r.warn('a', 'again');
  r.warn('b', 'other kind');
  now += REFUSAL_LOG_INTERVAL_MS;
  r.warn('a', 'later');
  assert.deepEqual(lines, ['first', 'other kind', 'later (repeated:7)']);
});
