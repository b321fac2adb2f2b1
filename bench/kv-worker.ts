/**
 * Load-generator worker: N synchronous connections (each waits for its answer before the next
 * request, like the C benchmark tool's threads). Bounded by a key range (load) or a duration (mix).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WireConnection } from '../src/client/wire-connection.js';
import { encodeGet, encodePut } from '../src/client/message-encoder.js';
import { computeDigest } from '../src/util/digest.js';

export interface KvWorkerTask {
  port: number;
  connections: number;
  mode: 'load' | 'mix';
  /** key range [from, to) */
  from: number;
  to: number;
  keySpace: number;
  durationMs: number;
  readPct: number;
  valueBytes: number;
}

export interface KvWorkerResult {
  reads: number;
  writes: number;
  errors: number;
  /** latency histogram: bucket i counts requests of i µs (last bucket: ≥ that) */
  histogram: number[];
}

const HIST_BUCKETS = 100_000;

async function run(task: KvWorkerTask): Promise<KvWorkerResult> {
  const hist = new Uint32Array(HIST_BUCKETS);
  const value = Buffer.alloc(task.valueBytes, 0x5a);
  const digests: Buffer[] = [];
  for (let k = 0; k < task.keySpace; k++) {
    const kb = Buffer.alloc(8);
    kb.writeBigInt64BE(BigInt(k));
    digests.push(computeDigest('bench', 1, kb));
  }
  const putFrames = new Map<number, Buffer>();
  const putFrame = (k: number) => {
    let f = putFrames.get(k);
    if (!f) {
      f = encodePut('test', 'bench', digests[k]!, [{ name: 'v', type: 4, value }]);
      if (putFrames.size < 50_000) putFrames.set(k, f);
    }
    return f;
  };
  const result: KvWorkerResult = { reads: 0, writes: 0, errors: 0, histogram: [] };
  const conns = await Promise.all(Array.from({ length: task.connections }, () => WireConnection.open('127.0.0.1', task.port)));
  const deadline = Date.now() + task.durationMs;
  let nextLoadKey = task.from;
  let seed = (task.from * 2654435761) >>> 0;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const loop = async (conn: WireConnection) => {
    for (;;) {
      let frame: Buffer;
      let isRead = false;
      if (task.mode === 'load') {
        if (nextLoadKey >= task.to) return;
        frame = putFrame(nextLoadKey++);
      } else {
        if (Date.now() >= deadline) return;
        const k = Math.floor(rand() * task.keySpace);
        isRead = rand() * 100 < task.readPct;
        frame = isRead ? encodeGet('test', 'bench', digests[k]!) : putFrame(k);
      }
      const t0 = process.hrtime.bigint();
      const body = await conn.request(frame);
      const us = Number((process.hrtime.bigint() - t0) / 1000n);
      hist[Math.min(us, HIST_BUCKETS - 1)]!++;
      if (body[5] !== 0) result.errors++;
      if (isRead) result.reads++;
      else result.writes++;
    }
  };
  await Promise.all(conns.map(loop));
  for (const c of conns) c.close();
  result.histogram = Array.from(hist);
  return result;
}

if (parentPort) {
  run(workerData as KvWorkerTask).then(
    (r) => parentPort!.postMessage(r),
    (e) => parentPort!.postMessage({ error: String(e) }),
  );
}
