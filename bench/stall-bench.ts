/**
 * Stall bench (issue 16.2): drives each worst case a client can send at Aerospike's limits (bins per
 * record, ops per request, record size, CDT size and depth, polygon vertices, batch size, expression
 * size, a regex that backtracking engines cannot finish) against a fresh node each, and prints the
 * node's longest event-loop stall (`event_loop_delay_max_ms`, perf_hooks.monitorEventLoopDelay).
 * Goal: no case above 50 ms. The `idle` case shows what the machine's load alone reads as a stall
 * (a loaded machine delays a ready event loop too); the worst case leaves it out. Run `node dist/bench/stall-bench.js`, or one case with
 * `STALL_CASES=bins,regex`.
 */
import { pathToFileURL } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { startBenchServer } from './strato-server.js';
import { WireConnection } from '../src/client/wire-connection.js';

/** The goal for the longest stall, ms. */
const STALL_GOAL_MS = 50;
/** Runs of each case on the warm node (STALL_WARM_RUNS); the median is the case's figure. */
const STALL_WARM_RUNS = Math.max(1, Number(process.env['STALL_WARM_RUNS'] ?? 3));

const CONFIG = `
service {
  cluster-name stall-bench
}
network {
  service {
    address 127.0.0.1
    port 3000
  }
}
namespace test {
  replication-factor 1
  nsup-period 120
  max-record-size 8M
  storage-engine memory {
    data-size 2G
  }
}
`;

const policy = { totalTimeout: 120_000, socketTimeout: 120_000 };

type Case = (client: any) => Promise<string>;

const key = (k: string | number) => new Aerospike.Key('test', 'stall', k);

function polygon(vertices: number): string {
  const ring: [number, number][] = [];
  for (let i = 0; i < vertices; i++) {
    const a = (2 * Math.PI * i) / vertices;
    const r = 1 + 0.1 * Math.sin(a * 37);
    ring.push([10 + r * Math.cos(a), 20 + r * Math.sin(a)]);
  }
  ring.push(ring[0]!);
  return JSON.stringify({ type: 'Polygon', coordinates: [ring] });
}

const CASES: Record<string, Case> = {
  async idle(c) {
    // the noise floor: what the machine's load alone shows as a stall (a node doing almost nothing)
    await c.put(key('idle'), { v: 1 }, {}, policy);
    await new Promise((r) => setTimeout(r, 300));
    await c.get(key('idle'), policy);
    return 'one small put, 300 ms idle, one small get (the noise floor of this machine)';
  },
  async bins(c) {
    const bins: Record<string, number> = {};
    for (let i = 0; i < 32_767; i++) bins[`b${i}`] = i;
    await c.put(key('bins'), bins, {}, policy);
    await c.get(key('bins'), policy);
    return 'put + get of 32,767 bins';
  },
  async ops(c) {
    const ops = [];
    for (let i = 0; i < 32_767; i++) ops.push(Aerospike.operations.write(`o${i}`, i));
    await c.operate(key('ops'), ops, {}, policy);
    return 'operate with 32,767 write ops';
  },
  async recordSize(c) {
    await c.put(key('big'), { v: Buffer.alloc(8 * 1024 * 1024 - 1024, 0x61) }, {}, policy);
    await c.get(key('big'), policy);
    return 'put + get of an 8 MiB record';
  },
  async cdtSize(c) {
    const items = Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 100_003);
    await c.operate(key('list'), [Aerospike.lists.appendItems('l', items)], {}, policy);
    await c.operate(key('list'), [Aerospike.lists.sort('l', 0)], {}, policy);
    const map: Record<string, number> = {};
    for (let i = 0; i < 100_000; i++) map[`k${(i * 7919) % 100_003}`] = i;
    await c.operate(key('map'), [Aerospike.maps.putItems('m', map, { order: Aerospike.maps.order.KEY_ORDERED })], {}, policy);
    await c.operate(key('map'), [Aerospike.maps.getByRankRange('m', 10, 1000, Aerospike.maps.returnType.KEY)], {}, policy);
    return 'list of 100,000 (append, sort) and key-ordered map of 100,000 (put, rank range)';
  },
  async cdtDepth(c) {
    let v: unknown = 1;
    for (let d = 0; d < 200; d++) v = [v];
    await c.put(key('deep'), { d: v }, {}, policy);
    await c.get(key('deep'), policy);
    return 'list nested 200 deep';
  },
  async polygon(c) {
    const json = polygon(25_000);
    await c.put(key('poly'), { g: new Aerospike.GeoJSON(json) }, {}, policy);
    await c.get(key('poly'), policy);
    return `GeoJSON polygon of 25,000 vertices (${(json.length / 1024).toFixed(0)} KiB)`;
  },
  async batch(c) {
    for (let i = 0; i < 5000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, k) => c.put(key(i + k), { v: Buffer.alloc(1000, 1) }, {}, policy)));
    }
    await c.batchRead(Array.from({ length: 5000 }, (_, i) => ({ key: key(i), readAllBins: true })), policy);
    return 'batch read of 5,000 records of 1 KB';
  },
  async expression(c) {
    await c.put(key('exp'), { n: 1 }, {}, policy);
    const exp = Aerospike.exp;
    const terms = Array.from({ length: 10_000 }, (_, i) => exp.ne(exp.binInt('n'), exp.int(i + 2)));
    await c.get(key('exp'), { ...policy, filterExpression: exp.and(...terms) });
    return 'filter of 10,000 comparisons (40,000 nodes)';
  },
  async regex(c) {
    await c.put(key('re'), { s: 'a'.repeat(1 << 20) + '!' }, {}, policy);
    const exp = Aerospike.exp;
    try {
      await c.get(key('re'), { ...policy, filterExpression: exp.cmpRegex(Aerospike.regex.EXTENDED, '(a+)+$', exp.binStr('s')) });
    } catch {
      // FILTERED_OUT is the expected answer
    }
    return 'regex (a+)+$ against 1 MiB of a and !';
  },
};

async function stallOf(port: number, reset = false): Promise<number> {
  const conn = await WireConnection.open('127.0.0.1', port);
  try {
    const text = (await conn.info(['statistics'])).get('statistics') ?? '';
    if (reset) await conn.info(['strato-test-loop-delay-reset']);
    const m = /event_loop_delay_max_ms=([\d.]+)/.exec(text);
    return m ? Number(m[1]) : NaN;
  } finally {
    conn.close();
  }
}

/** Runs the cases (all, or those named in STALL_CASES); returns printable lines. */
export async function runStallBench(): Promise<string[]> {
  const only = process.env['STALL_CASES']?.split(',');
  const dir = mkdtempSync(join(tmpdir(), 'strato-stall-'));
  const conf = join(dir, 'stall.conf');
  writeFileSync(conf, CONFIG);
  const lines: string[] = [];
  let worstMedian = 0;
  let worstMax = 0;
  try {
    for (const [name, run] of Object.entries(CASES)) {
      if (only && !only.includes(name)) continue;
      // the test hooks give the bench strato-test-loop-delay-reset
      process.env['STRATO_TEST_HOOKS'] = '1';
      const server = await startBenchServer(['--config-file', conf]);
      let client: any;
      try {
        client = await Aerospike.connect({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
        // first on a fresh node (the code paths are not compiled yet), then again on the warm node
        const what = await run(client);
        const cold = await stallOf(server.port, true);
        // several warm runs: on a loaded machine one run's figure is mostly the scheduler's
        const warm: number[] = [];
        const t1 = Date.now();
        for (let r = 0; r < STALL_WARM_RUNS; r++) {
          await run(client);
          warm.push(await stallOf(server.port, true));
        }
        warm.sort((a, b) => a - b);
        const median = warm[Math.floor(warm.length / 2)]!;
        const max = warm[warm.length - 1]!;
        if (name !== 'idle') {
          worstMedian = Math.max(worstMedian, median);
          worstMax = Math.max(worstMax, max);
        }
        lines.push(
          `stall ${name}: longest event-loop stall ${median} ms warm (median of ${STALL_WARM_RUNS}; ${warm.join(', ')})${median > STALL_GOAL_MS ? ' (over the 50 ms goal)' : ''}, ${cold} ms on a fresh node - ${what}, ${Math.round((Date.now() - t1) / STALL_WARM_RUNS)} ms a run`,
        );
      } catch (e) {
        lines.push(`stall ${name}: failed: ${(e as Error).message}`);
      } finally {
        await client?.close(false);
        await server.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  lines.push(`stall worst case (warm, idle left out): median ${worstMedian} ms, single run ${worstMax} ms (goal ${STALL_GOAL_MS} ms)`);
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of await runStallBench()) console.log(line);
}
