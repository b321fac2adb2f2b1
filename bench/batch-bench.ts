/**
 * Batch-read bench: batches of 100 keys (1000-byte records) from 4 synchronous connections,
 * bounded by BENCH_SECONDS. Prints batches/s and records/s.
 */
import { startBenchServer } from './strato-server.js';
import { WireConnection } from '../src/client/wire-connection.js';
import { encodePut } from '../src/client/message-encoder.js';
import { encodeBatchGet } from '../src/client/batch-read-encoder.js';
import { computeDigest } from '../src/util/digest.js';


export async function runBatchBench(): Promise<string[]> {
  const seconds = Number(process.env['BENCH_SECONDS'] ?? 10);
  const keys = 20_000;
  const batchSize = 100;
  const connections = 4;
  const server = await startBenchServer();
  const port = server.port;
  try {
    const digests = Array.from({ length: keys }, (_, k) => {
      const kb = Buffer.alloc(8);
      kb.writeBigInt64BE(BigInt(k));
      return computeDigest('bbench', 1, kb);
    });
    const value = Buffer.alloc(1000, 0x42);
    const loaders = await Promise.all(Array.from({ length: 8 }, () => WireConnection.open('127.0.0.1', port)));
    await Promise.all(
      loaders.map(async (c, w) => {
        for (let k = w; k < keys; k += loaders.length) await c.request(encodePut('test', 'bbench', digests[k]!, [{ name: 'v', type: 4, value }]));
        c.close();
      }),
    );
    const conns = await Promise.all(Array.from({ length: connections }, () => WireConnection.open('127.0.0.1', port)));
    let batches = 0;
    let records = 0;
    let errors = 0;
    const deadline = Date.now() + seconds * 1000;
    const t0 = Date.now();
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    await Promise.all(
      conns.map(async (c) => {
        while (Date.now() < deadline) {
          const batch = Array.from({ length: batchSize }, () => digests[Math.floor(rand() * keys)]!);
          const code = await c.stream(encodeBatchGet('test', 'bbench', batch), (body, p) => {
            if (body[p + 5] === 0) records++;
            else errors++;
          });
          if (code !== 0) errors++;
          batches++;
        }
        c.close();
      }),
    );
    const elapsed = (Date.now() - t0) / 1000;
    return [
      `batch read: ${batchSize} keys per batch, 1000-byte records, ${connections} connections, ${seconds} s: ` +
        `${Math.round(batches / elapsed)} batches/s, ${Math.round(records / elapsed)} records/s (errors ${errors})`,
    ];
  } finally {
    await server.stop();
  }
}
