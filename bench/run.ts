/**
 * `npm run bench`: starts a real strato node, drives it from worker threads over loopback and
 * prints throughput, latency percentiles and memory per record. Every phase is bounded.
 *
 * Environment: BENCH_SECONDS (default 10), BENCH_KEYS (default 200000), BENCH_CONNECTIONS (16),
 * BENCH_PIPELINE_DEPTH (8: requests per write of the native generator's pipelined line; 0 = none),
 * BENCH_ONLY (comma list of phases to run: index, memory, kv, native, device, batch, filter,
 * device-engine, backup, cluster, stall, sindex, jobs; default all).
 */
import { spawnSync } from 'node:child_process';
import { processTimesMs, startBenchServer, startCeilingServer, type BenchServer } from './strato-server.js';
import { Worker } from 'node:worker_threads';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { computeDigest } from '../src/util/digest.js';
import { tmpdir } from 'node:os';
import { WireConnection } from '../src/client/wire-connection.js';
import type { KvWorkerResult, KvWorkerTask } from './kv-worker.js';
import { runIndexBench } from './index-memory.js';
import { runMemoryRecordsBench } from './memory-records.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const KEYS = Number(process.env['BENCH_KEYS'] ?? 200_000);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
const WORKERS = 2;
/** Requests each native generator thread pipelines in one write for the pipelined line (0: no such line). */
const PIPELINE_DEPTH = Number(process.env['BENCH_PIPELINE_DEPTH'] ?? 8);

function runWorkers(tasks: KvWorkerTask[]): Promise<KvWorkerResult[]> {
  return Promise.all(
    tasks.map(
      (t) =>
        new Promise<KvWorkerResult>((resolve, reject) => {
          const w = new Worker(join(HERE, 'kv-worker.js'), { workerData: t });
          w.once('message', (m: KvWorkerResult & { error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(m)));
          w.once('error', reject);
        }),
    ),
  );
}

function percentile(hist: number[], total: number, p: number): number {
  let seen = 0;
  const target = total * p;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]!;
    if (seen >= target) return i;
  }
  return hist.length - 1;
}

function merge(results: KvWorkerResult[]): { hist: number[]; reads: number; writes: number; errors: number } {
  const hist = new Array<number>(results[0]!.histogram.length).fill(0);
  let reads = 0;
  let writes = 0;
  let errors = 0;
  for (const r of results) {
    r.histogram.forEach((v, i) => (hist[i]! += v));
    reads += r.reads;
    writes += r.writes;
    errors += r.errors;
  }
  return { hist, reads, writes, errors };
}

function statValue(stats: string, key: string): number {
  const m = new RegExp(`(?:^|;)${key}=(\\d+)`).exec(stats);
  return m ? Number(m[1]) : NaN;
}

/** Compiles the native load generator (bench/loadgen.c) when a C compiler is available. */
function buildNativeLoadgen(): string | undefined {
  const out = join(HERE, 'loadgen');
  const src = join(HERE, '..', '..', 'bench', 'loadgen.c');
  const r = spawnSync('cc', ['-O2', '-pthread', '-o', out, src], { stdio: 'pipe' });
  return r.status === 0 ? out : undefined;
}

interface NativeResult {
  ops: number;
  reads: number;
  writes: number;
  errors: number;
  p50_us: number;
  p99_us: number;
  seconds: number;
}

function runNative(bin: string, port: number, mode: 'load' | 'mix', seconds: number, digestFile: string, depth = 1): NativeResult {
  const r = spawnSync(bin, [String(port), String(CONNECTIONS), mode, String(seconds), '80', '1000', digestFile, String(depth)], {
    encoding: 'utf8',
    timeout: (seconds + 120) * 1000,
  });
  if (r.status !== 0) throw new Error(`loadgen failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as NativeResult;
}

/** The same workload driven by the native generator, so the figure measures the node. */
async function kvBenchNative(bin: string): Promise<void> {
  const server = await startBenchServer();
  const dir = mkdtempSync(join(tmpdir(), 'strato-bench-digests-'));
  try {
    const digestFile = join(dir, 'digests.bin');
    writeFileSync(digestFile, benchDigests());
    const load = runNative(bin, server.port, 'load', 0, digestFile);
    console.log(`kv load (native generator): ${load.ops} writes in ${load.seconds.toFixed(1)} s (${Math.round(load.ops / load.seconds)} writes/s, errors ${load.errors})`);
    const cpu0 = processTimesMs(server.pid);
    const mix = runNative(bin, server.port, 'mix', SECONDS, digestFile);
    const cpu = cpuPerTransaction(server.pid, cpu0, mix.ops);
    console.log(
      `kv read/update 80/20 (native generator, ${CONNECTIONS} sync threads, ${KEYS} keys, 1000-byte blobs, ${SECONDS} s): ` +
        `${Math.round(mix.ops / mix.seconds)} tps (reads ${mix.reads}, updates ${mix.writes}, errors ${mix.errors}), ` +
        `p50 ${(mix.p50_us / 1000).toFixed(3)} ms, p99 ${(mix.p99_us / 1000).toFixed(3)} ms, CPU ${cpuText(cpu)}`,
    );
    await ceilingLine('native generator', mix.ops / mix.seconds, cpu, async (ceiling) => {
      const c0 = processTimesMs(ceiling.pid);
      const r = runNative(bin, ceiling.port, 'mix', SECONDS, digestFile);
      return { tps: r.ops / r.seconds, cpu: cpuPerTransaction(ceiling.pid, c0, r.ops) };
    });
    if (PIPELINE_DEPTH > 1) {
      // a client pipelining on its connections: the answers to one chunk of requests leave in one write
      const p0 = processTimesMs(server.pid);
      const piped = runNative(bin, server.port, 'mix', SECONDS, digestFile, PIPELINE_DEPTH);
      const pipedCpu = cpuPerTransaction(server.pid, p0, piped.ops);
      console.log(
        `kv read/update 80/20 pipelined (native generator, ${CONNECTIONS} threads each sending ${PIPELINE_DEPTH} requests per write, ${SECONDS} s): ` +
          `${Math.round(piped.ops / piped.seconds)} tps (errors ${piped.errors}), CPU ${cpuText(pipedCpu)}`,
      );
      await ceilingLine(`native generator, pipelined ${PIPELINE_DEPTH}`, piped.ops / piped.seconds, pipedCpu, async (ceiling) => {
        const c0 = processTimesMs(ceiling.pid);
        const r = runNative(bin, ceiling.port, 'mix', SECONDS, digestFile, PIPELINE_DEPTH);
        return { tps: r.ops / r.seconds, cpu: cpuPerTransaction(ceiling.pid, c0, r.ops) };
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }
}

/** Write throughput to a device namespace over the network (native generator, load phase only). */
async function deviceNetworkBench(bin: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strato-bench-device-'));
  try {
    const conf = join(dir, 'device.conf');
    writeFileSync(
      conf,
      `service {\n  cluster-name bench\n  work-directory ${dir}\n}\nnetwork {\n  service {\n    address 127.0.0.1\n    port 3000\n  }\n}\n` +
        `namespace test {\n  nsup-period 60\n  storage-engine device {\n    file ${dir}/bench.dat\n    filesize 1G\n  }\n}\n`,
    );
    const server = await startBenchServer(['--config-file', conf]);
    try {
      const digestFile = join(dir, 'digests.bin');
      writeFileSync(digestFile, benchDigests());
      const load = runNative(bin, server.port, 'load', 0, digestFile);
      console.log(
        `device namespace writes over the network (native generator, ${CONNECTIONS} threads, 1000-byte blobs): ` +
          `${Math.round(load.ops / load.seconds)} writes/s (${((load.ops * 1000) / load.seconds / 1e6).toFixed(1)} MB/s of values), ` +
          `p50 ${(load.p50_us / 1000).toFixed(3)} ms, p99 ${(load.p99_us / 1000).toFixed(3)} ms, errors ${load.errors}`,
      );
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function benchDigests(): Buffer {
  const digests = Buffer.alloc(20 * KEYS);
  for (let k = 0; k < KEYS; k++) {
    const kb = Buffer.alloc(8);
    kb.writeBigInt64BE(BigInt(k));
    computeDigest('bench', 1, kb).copy(digests, 20 * k);
  }
  return digests;
}

/** The 80/20 mix for SECONDS from the JS workers against `port`. */
async function jsMix(port: number): Promise<ReturnType<typeof merge>> {
  const results = await runWorkers(
    Array.from({ length: WORKERS }, (_, w) => ({
      port,
      connections: CONNECTIONS / WORKERS,
      mode: 'mix' as const,
      from: w * 7919 + 1,
      to: 0,
      keySpace: KEYS,
      durationMs: SECONDS * 1000,
      readPct: 80,
      valueBytes: 1000,
    })),
  );
  return merge(results);
}

/** A process's CPU per transaction over a run, in µs: user + system and user alone. */
interface CpuPerTransaction {
  totalUs: number;
  userUs: number;
}

function cpuPerTransaction(pid: number, before: { userMs: number; systemMs: number }, transactions: number): CpuPerTransaction {
  const after = processTimesMs(pid);
  const n = Math.max(1, transactions);
  const userUs = ((after.userMs - before.userMs) * 1000) / n;
  return { userUs, totalUs: userUs + ((after.systemMs - before.systemMs) * 1000) / n };
}

function cpuText(c: CpuPerTransaction): string {
  return `${c.totalUs.toFixed(1)} µs/transaction (user ${c.userUs.toFixed(1)})`;
}

/**
 * Runs the same load against the ceiling server (canned replies, ceiling-server.ts) and prints
 * Strato's throughput as a fraction of it, and both CPU costs per transaction.
 */
async function ceilingLine(generator: string, stratoTps: number, strato: CpuPerTransaction, run: (s: BenchServer) => Promise<{ tps: number; cpu: CpuPerTransaction }>): Promise<void> {
  const ceiling = await startCeilingServer();
  try {
    const c = await run(ceiling);
    console.log(
      `ceiling (${generator}, same load, canned replies from a minimal protocol server): ${Math.round(c.tps)} tps, CPU ${cpuText(c.cpu)}; ` +
        `strato single process = ${(stratoTps / c.tps).toFixed(2)} × the ceiling's throughput at ${(strato.totalUs / c.cpu.totalUs).toFixed(2)} × its CPU per transaction ` +
        `(${(strato.userUs / c.cpu.userUs).toFixed(2)} × its user CPU)`,
    );
  } finally {
    await ceiling.stop();
  }
}

async function kvBench(): Promise<void> {
  const server = await startBenchServer();
  const info = await WireConnection.open('127.0.0.1', server.port);
  try {
    const before = statValue((await info.info(['statistics'])).get('statistics')!, 'process_rss_bytes');
    const perWorker = Math.ceil(KEYS / WORKERS);
    const loadStart = Date.now();
    await runWorkers(
      Array.from({ length: WORKERS }, (_, w) => ({
        port: server.port,
        connections: CONNECTIONS / WORKERS,
        mode: 'load' as const,
        from: w * perWorker,
        to: Math.min(KEYS, (w + 1) * perWorker),
        keySpace: KEYS,
        durationMs: 0,
        readPct: 0,
        valueBytes: 1000,
      })),
    );
    const loadSec = (Date.now() - loadStart) / 1000;
    console.log(`kv load: ${KEYS} records of 1000-byte blobs in ${loadSec.toFixed(1)} s (${Math.round(KEYS / loadSec)} writes/s)`);
    const cpu0 = processTimesMs(server.pid);
    const t0 = Date.now();
    const m = await jsMix(server.port);
    const elapsed = (Date.now() - t0) / 1000;
    const total = m.reads + m.writes;
    const cpu = cpuPerTransaction(server.pid, cpu0, total);
    console.log(
      `kv read/update 80/20, ${CONNECTIONS} sync connections, ${KEYS} keys, 1000-byte blobs, ${SECONDS} s: ` +
        `${Math.round(total / elapsed)} tps (reads ${m.reads}, updates ${m.writes}, errors ${m.errors}), ` +
        `p50 ${(percentile(m.hist, total, 0.5) / 1000).toFixed(3)} ms, p99 ${(percentile(m.hist, total, 0.99) / 1000).toFixed(3)} ms, CPU ${cpuText(cpu)}`,
    );
    await ceilingLine('JS generator', total / elapsed, cpu, async (ceiling) => {
      const c0 = processTimesMs(ceiling.pid);
      const t = Date.now();
      const r = await jsMix(ceiling.port);
      const n = r.reads + r.writes;
      return { tps: n / ((Date.now() - t) / 1000), cpu: cpuPerTransaction(ceiling.pid, c0, n) };
    });
    const ns = (await info.info(['namespace/test'])).get('namespace/test')!;
    const objects = statValue(ns, 'objects');
    const indexBytes = statValue(ns, 'index_used_bytes');
    const after = statValue((await info.info(['statistics'])).get('statistics')!, 'process_rss_bytes');
    console.log(
      `node memory: index_used_bytes ${(indexBytes / objects).toFixed(1)} bytes/record (Aerospike's accounting); process RSS grew ${Math.round((after - before) / objects)} bytes/record (index + 1000-byte record data + overheads) for ${objects} records`,
    );
  } finally {
    info.close();
    await server.stop();
  }
}

const ONLY = process.env['BENCH_ONLY'] ? new Set(process.env['BENCH_ONLY'].split(',').map((p) => p.trim())) : undefined;
const runs = (phase: string) => ONLY === undefined || ONLY.has(phase);

async function main(): Promise<void> {
  console.log(`strato bench (node ${process.version}), ${new Date().toISOString()}`);
  if (runs('index')) for (const line of runIndexBench()) console.log(line);
  if (runs('memory')) for (const line of await runMemoryRecordsBench()) console.log(line);
  if (runs('kv')) await kvBench();
  const native = runs('native') || runs('device') ? buildNativeLoadgen() : undefined;
  if (native) {
    if (runs('native')) await kvBenchNative(native);
    if (runs('device')) await deviceNetworkBench(native);
  } else if (runs('native')) console.log('kv bench with the native generator skipped: no C compiler (cc) found');
  const modules: [string, string][] = [
    ['batch', './batch-bench.js'],
    ['filter', './exp-filter.bench.js'],
    ['device-engine', './device-bench.js'],
    ['backup', './backup-bench.js'],
    ['cluster', './cluster-bench.js'],
    ['stall', './stall-bench.js'],
    ['sindex', './sindex-bench.js'],
    ['jobs', './jobs-bench.js'],
  ];
  for (const [phase, mod] of modules) {
    if (!runs(phase)) continue;
    try {
      const m = (await import(mod)) as Record<string, () => Promise<string[]>>;
      const fn = Object.values(m).find((f) => typeof f === 'function');
      if (fn) for (const line of await fn()) console.log(line);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    }
  }
}

await main();
