/**
 * Secondary index benchmark against a real strato node through the official client: index build
 * rate on existing records, index bytes per entry, an equality query returning 100 records
 * (queries/s and server CPU per query) and a range query returning 1,000 records. Bounded:
 * BENCH_SINDEX_KEYS records (default 100,000), each query phase BENCH_SECONDS (default 10).
 * Run alone with `node dist/bench/sindex-bench.js`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import Aerospike from 'aerospike';
import { startBenchServer } from './strato-server.js';

const KEYS = Number(process.env['BENCH_SINDEX_KEYS'] ?? 100_000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
/** Distinct values of the indexed bin: an equality query matches KEYS / DISTINCT records. */
const DISTINCT = Math.max(1, Math.floor(KEYS / 100));
const WRITES_IN_FLIGHT = 64;
const QUERIES_IN_FLIGHT = 4;

/** The server's user+system CPU so far (ms), from /proc. */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

async function queryPhase(client: any, make: (i: number) => any, pid: number): Promise<{ qps: number; cpuUsPerQuery: number; records: number }> {
  const endAt = Date.now() + SECONDS * 1000;
  let done = 0;
  let records = 0;
  const cpu0 = cpuMs(pid);
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: QUERIES_IN_FLIGHT }, async (_, w) => {
      for (let i = w; Date.now() < endAt; i += QUERIES_IN_FLIGHT) {
        const recs = await make(i).results();
        records += recs.length;
        done++;
      }
    }),
  );
  const secs = (Date.now() - t0) / 1000;
  return { qps: done / secs, cpuUsPerQuery: ((cpuMs(pid) - cpu0) * 1000) / done, records: records / done };
}

export async function runSindexBench(): Promise<string[]> {
  const out: string[] = [];
  const server = await startBenchServer();
  const client = await Aerospike.connect({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
  try {
    for (let i = 0; i < KEYS; i += WRITES_IN_FLIGHT) {
      const batch: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(KEYS, i + WRITES_IN_FLIGHT); j++) {
        batch.push(client.put(new Aerospike.Key('test', 'sib', j), { n: j % DISTINCT, s: `v${j % DISTINCT}` }));
      }
      await Promise.all(batch);
    }
    const host = { addr: '127.0.0.1', port: server.port };
    const t0 = Date.now();
    await (await client.createIntegerIndex({ ns: 'test', set: 'sib', bin: 'n', index: 'sib_n' })).wait(100);
    const buildMs = Date.now() - t0;
    const stat: string = await client.info('sindex-stat:namespace=test;indexname=sib_n', host);
    const entries = Number(/entries=(\d+)/.exec(stat)?.[1]);
    const used = Number(/used_bytes=(\d+)/.exec(stat)?.[1]);
    const loadMs = Number(/load_time=(\d+)/.exec(stat)?.[1]);
    out.push(
      `sindex build: ${KEYS} records indexed in ${loadMs} ms (${Math.round((KEYS * 1000) / Math.max(1, loadMs))} records/s; ${buildMs} ms until the client saw load_pct=100)`,
    );
    out.push(`sindex memory: ${entries} entries, ${used} bytes, ${(used / entries).toFixed(1)} bytes/entry (28 bytes of (bval, digest) plus growth slack)`);
    const eq = await queryPhase(
      client,
      (i) => {
        const q = client.query('test', 'sib');
        q.where(Aerospike.filter.equal('n', i % DISTINCT));
        return q;
      },
      server.pid,
    );
    out.push(`sindex equality query (${eq.records.toFixed(0)} records each): ${Math.round(eq.qps)} queries/s, ${Math.round(eq.cpuUsPerQuery)} µs server CPU per query`);
    const span = Math.max(1, Math.floor(DISTINCT / 10));
    const rng = await queryPhase(
      client,
      (i) => {
        const lo = (i * 7) % Math.max(1, DISTINCT - span);
        const q = client.query('test', 'sib');
        q.where(Aerospike.filter.range('n', lo, lo + span - 1));
        return q;
      },
      server.pid,
    );
    out.push(`sindex range query (${rng.records.toFixed(0)} records each): ${Math.round(rng.qps)} queries/s, ${Math.round(rng.cpuUsPerQuery)} µs server CPU per query`);
  } finally {
    await client.close(false);
    await server.stop();
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const line of await runSindexBench()) console.log(line);
}
