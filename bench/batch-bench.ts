/**
 * Batch-read bench: batches of 100 keys (1000-byte records) from 4 synchronous connections,
 * bounded by BENCH_SECONDS. Prints batches/s and records/s. Then the same batches through the
 * official client (which splits a batch by the node owning each key, as asbench does) against one
 * node and against a host of two nodes (`--nodes-per-host 2`), with the nodes' CPU per batch:
 * whether batch throughput holds when a host runs several nodes (issue 13.2).
 */
import Aerospike from 'aerospike';
import { processTreeCpuMs, startBenchServer } from './strato-server.js';
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
      ...(await officialClientBatches(1, seconds)),
      ...(await officialClientBatches(2, seconds)),
    ];
  } finally {
    await server.stop();
  }
}

/** Records the official-client batch runs load (integer keys 0..n-1 in set `obatch`). */
const OFFICIAL_KEYS = 20_000;
/** Batches in flight at once through the official client (as asbench -z 4 with sync threads). */
const OFFICIAL_IN_FLIGHT = 4;
/** How long the client may take to learn a fresh host's partition map. */
const CLIENT_MAP_WAIT_MS = 20_000;
/** Puts in flight while loading. */
const OFFICIAL_LOAD_IN_FLIGHT = 32;

/** Batch reads of 100 keys through the official client against a host of `nodesPerHost` nodes. */
async function officialClientBatches(nodesPerHost: number, seconds: number): Promise<string[]> {
  const server = await startBenchServer([], nodesPerHost);
  try {
    const client = await Aerospike.connect({
      hosts: [{ addr: '127.0.0.1', port: server.port }],
      log: { level: -1 },
      policies: { batch: new Aerospike.BatchPolicy({ totalTimeout: 5000 }), write: new Aerospike.WritePolicy({ totalTimeout: 5000 }) },
    } as any);
    try {
      const value = Buffer.alloc(1000, 0x43);
      // a host of several nodes is ready before the client has every partition's owner: retry the
      // first put (bounded) until it has
      const mapDeadline = Date.now() + CLIENT_MAP_WAIT_MS;
      for (;;) {
        try {
          await client.put(new Aerospike.Key('test', 'obatch', 0), { v: value });
          break;
        } catch (e) {
          if (Date.now() > mapDeadline) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      let next = 1;
      await Promise.all(
        Array.from({ length: OFFICIAL_LOAD_IN_FLIGHT }, async () => {
          while (next < OFFICIAL_KEYS) await client.put(new Aerospike.Key('test', 'obatch', next++), { v: value });
        }),
      );
      let seed = 4242;
      const rand = () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed / 0x80000000;
      };
      let batches = 0;
      let records = 0;
      let errors = 0;
      const cpu0 = processTreeCpuMs(server.pid);
      const t0 = Date.now();
      const deadline = t0 + seconds * 1000;
      await Promise.all(
        Array.from({ length: OFFICIAL_IN_FLIGHT }, async () => {
          while (Date.now() < deadline) {
            const keys = Array.from({ length: 100 }, () => new Aerospike.Key('test', 'obatch', Math.floor(rand() * OFFICIAL_KEYS)));
            try {
              const rows = await client.batchGet(keys);
              for (const r of rows) r.status === 0 ? records++ : errors++;
              batches++;
            } catch {
              errors++;
            }
          }
        }),
      );
      const elapsed = (Date.now() - t0) / 1000;
      const cpuUs = ((processTreeCpuMs(server.pid) - cpu0) * 1000) / Math.max(1, batches);
      return [
        `batch read (official client, ${OFFICIAL_IN_FLIGHT} batches in flight, 100 keys, 1000-byte records, ${seconds} s), ` +
          `${nodesPerHost === 1 ? 'one node' : `host of ${nodesPerHost} nodes (--nodes-per-host ${nodesPerHost})`}: ` +
          `${Math.round(batches / elapsed)} batches/s, ${Math.round(records / elapsed)} records/s, nodes' CPU ${Math.round(cpuUs)} µs/batch (errors ${errors})`,
      ];
    } finally {
      await client.close(false);
    }
  } finally {
    await server.stop();
  }
}
