/**
 * Crash loop (issue 16.8): a real strato node with a commit-to-device namespace is killed with
 * SIGKILL again and again under mixed load (puts that overwrite, so defrag runs; durable deletes;
 * some kills land during the cold start itself), restarted on the same device file each time, and
 * checked: every restart succeeds, and every key reads back as its last acknowledged state or as
 * the one operation that was in flight when the node died. At the end a written block is torn
 * (overwritten with garbage) and the next start must skip and report it.
 *
 * `node dist/bench/crash-loop.js` runs CRASH_LOOP_ITERATIONS (default 20) kills; the test suite
 * runs a few. Every phase is bounded in count and time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Aerospike from 'aerospike';

/** The namespace's write-block-size (see CONFIG). */
const BLOCK_BYTES = 128 * 1024;
const STRATO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'strato.js');

export interface CrashLoopOptions {
  /** kills (each followed by a restart and a check) */
  iterations: number;
  /** distinct keys the load touches */
  keys: number;
  /** load time before each kill, ms (a random part of it) */
  loadMsMax: number;
  /** most operations in flight at once */
  concurrency: number;
  /** progress lines */
  log?: (line: string) => void;
}

export interface CrashLoopResult {
  restarts: number;
  killsDuringColdStart: number;
  acknowledged: number;
  lost: string[];
  /** what the start after the torn block reported */
  tornBlockReport: string;
  tornBlockSkipped: number;
}

type State = { kind: 'absent' } | { kind: 'value'; v: number };

interface KeyTrack {
  acked: State;
  /** the operation sent and not answered when the node died (it may or may not have happened) */
  inflight: State | undefined;
}

const CONFIG = (dir: string) => `
service {
  cluster-name crash-loop
  work-directory ${dir}/work
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
  nsup-period 0
  max-record-size 128K
  storage-engine device {
    file ${dir}/crash.dat
    filesize 16M
    write-block-size 128K
    commit-to-device true
    defrag-lwm-pct 60
  }
}
`;

interface Node {
  proc: ChildProcess;
  out: () => string;
  port: Promise<number>;
  exited: Promise<number | null>;
}

function startNode(conf: string, cwd: string): Node {
  const proc = spawn(process.execPath, [STRATO, '--config-file', conf, '--port', '0', '--nodes-per-host', '1'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  const port = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${out.slice(-2000)}`)), 60_000);
    const on = (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^\s:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
    void exited.then((c) => {
      clearTimeout(timer);
      reject(new Error(`exited ${c} before listening:\n${out.slice(-2000)}`));
    });
  });
  port.catch(() => {});
  return { proc, out: () => out, port, exited };
}

async function kill9(n: Node): Promise<void> {
  if (n.proc.exitCode === null && n.proc.signalCode === null) n.proc.kill('SIGKILL');
  await n.exited;
}

async function closeQuietly(client: any): Promise<void> {
  try {
    await client.close(false);
  } catch {
    // the node may be gone already
  }
}

const key = (i: number) => new Aerospike.Key('test', 'crash', i);
const noRetry = { totalTimeout: 2000, socketTimeout: 2000, maxRetries: 0 };

/** Checks every key against what was acknowledged; returns descriptions of the keys that lost data. */
async function verify(client: any, tracks: KeyTrack[]): Promise<string[]> {
  const lost: string[] = [];
  const batch = tracks.map((_, i) => ({ key: key(i), readAllBins: true }));
  const rows = await client.batchRead(batch, { totalTimeout: 20_000, socketTimeout: 20_000 });
  rows.forEach((r: any, i: number) => {
    const t = tracks[i]!;
    const actual: State = r.status === 0 ? { kind: 'value', v: r.record.bins.v } : { kind: 'absent' };
    const same = (a: State, b: State | undefined) => b !== undefined && a.kind === b.kind && (a.kind === 'absent' || a.v === (b as { v: number }).v);
    if (same(actual, t.acked) || same(actual, t.inflight)) {
      // whatever the in-flight operation did is now the acknowledged state
      t.acked = actual;
      t.inflight = undefined;
      return;
    }
    lost.push(`key ${i}: read ${JSON.stringify(actual)}, acknowledged ${JSON.stringify(t.acked)}, in flight ${JSON.stringify(t.inflight)}`);
  });
  return lost;
}

/** Mixed load until `untilMs`: puts with increasing values and durable deletes, `concurrency` at a time, one per key. */
async function load(client: any, tracks: KeyTrack[], untilMs: number, concurrency: number, counter: { next: number; acked: number }): Promise<void> {
  const busy = new Set<number>();
  const worker = async () => {
    while (Date.now() < untilMs) {
      let i = Math.floor(Math.random() * tracks.length);
      while (busy.has(i)) i = (i + 1) % tracks.length;
      busy.add(i);
      const t = tracks[i]!;
      const del = Math.random() < 0.15;
      const op: State = del ? { kind: 'absent' } : { kind: 'value', v: counter.next++ };
      t.inflight = op;
      try {
        if (del) await client.remove(key(i), { ...noRetry, durableDelete: true });
        else await client.put(key(i), { v: (op as { v: number }).v, pad: Buffer.alloc(200 + (i % 800), i % 256) }, {}, noRetry);
        t.acked = op;
        t.inflight = undefined;
        counter.acked++;
      } catch (e) {
        const code = (e as { code?: number }).code;
        // NOT_FOUND on a delete is an answer: the record was already gone
        if (del && code === 2) {
          t.acked = op;
          t.inflight = undefined;
          counter.acked++;
        } else if (code !== undefined && code > 0 && code !== 9 && code !== 11) {
          // a definite refusal (not a timeout or a lost connection): nothing happened
          t.inflight = undefined;
        } else {
          // the node died (or timed out) with it in flight: leave it in flight and stop this worker
          busy.delete(i);
          return;
        }
      }
      busy.delete(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export async function runCrashLoop(o: CrashLoopOptions): Promise<CrashLoopResult> {
  const dir = mkdtempSync(join(tmpdir(), 'strato-crash-loop-'));
  const conf = join(dir, 'crash.conf');
  writeFileSync(conf, CONFIG(dir));
  const tracks: KeyTrack[] = Array.from({ length: o.keys }, () => ({ acked: { kind: 'absent' }, inflight: undefined }));
  const counter = { next: 1, acked: 0 };
  const result: CrashLoopResult = { restarts: 0, killsDuringColdStart: 0, acknowledged: 0, lost: [], tornBlockReport: '', tornBlockSkipped: 0 };
  let node: Node | undefined;
  try {
    for (let it = 0; it < o.iterations; it++) {
      node = startNode(conf, dir);
      if (it % 3 === 2) {
        // kill during the cold start (device scan), then start again
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 150));
        await kill9(node);
        result.killsDuringColdStart++;
        node = startNode(conf, dir);
      }
      const port = await node.port;
      result.restarts++;
      const client = await Aerospike.connect({ hosts: [{ addr: '127.0.0.1', port }], log: { level: -1 } as any });
      try {
        const lost = await verify(client, tracks);
        result.lost.push(...lost.map((l) => `after restart ${it}: ${l}`));
        // load, then kill in the middle of it
        const loadMs = 100 + Math.random() * o.loadMsMax;
        const running = load(client, tracks, Date.now() + 60_000, o.concurrency, counter);
        await new Promise((r) => setTimeout(r, loadMs));
        await kill9(node);
        await running;
      } finally {
        await closeQuietly(client);
      }
      o.log?.(`crash-loop iteration ${it + 1}/${o.iterations}: ${counter.acked} acknowledged so far, ${result.lost.length} lost`);
    }
    // final check, then tear a block and start once more
    node = startNode(conf, dir);
    const port = await node.port;
    result.restarts++;
    const client = await Aerospike.connect({ hosts: [{ addr: '127.0.0.1', port }], log: { level: -1 } as any });
    try {
      result.lost.push(...(await verify(client, tracks)).map((l) => `final: ${l}`));
    } finally {
      await closeQuietly(client);
    }
    await kill9(node);
    // tear every written block in the middle of its used part, as half-written blocks would look
    // (block 0 is the header)
    const file = readFileSync(join(dir, 'crash.dat'));
    const fd = openSync(join(dir, 'crash.dat'), 'r+');
    for (let b = BLOCK_BYTES; b + BLOCK_BYTES <= file.length; b += BLOCK_BYTES) {
      let used = BLOCK_BYTES;
      while (used > 0 && file[b + used - 1] === 0) used--;
      if (used < 1024) continue;
      writeSync(fd, Buffer.alloc(256, 0xee), 0, 256, b + Math.floor(used / 2));
    }
    closeSync(fd);
    node = startNode(conf, dir);
    await node.port;
    result.restarts++;
    const m = /\{test\} cold start loaded .* and (\d+) corrupt/.exec(node.out());
    result.tornBlockReport = m?.[0] ?? '(no cold start line)';
    result.tornBlockSkipped = Number(m?.[1] ?? 0);
    await kill9(node);
  } finally {
    if (node) await kill9(node);
    rmSync(dir, { recursive: true, force: true });
  }
  result.acknowledged = counter.acked;
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const iterations = Number(process.env['CRASH_LOOP_ITERATIONS'] ?? 20);
  const r = await runCrashLoop({ iterations, keys: 500, loadMsMax: 700, concurrency: 16, log: (l) => console.log(l) });
  console.log(`crash-loop: ${r.restarts} restarts (${r.killsDuringColdStart} kills during cold start), ${r.acknowledged} acknowledged operations, ${r.lost.length} lost`);
  for (const l of r.lost.slice(0, 20)) console.log(`  LOST ${l}`);
  console.log(`crash-loop: torn block: ${r.tornBlockReport}`);
  process.exitCode = r.lost.length === 0 && r.tornBlockSkipped > 0 ? 0 : 1;
}
