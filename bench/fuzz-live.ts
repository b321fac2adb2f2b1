/**
 * Structured-mutation campaign against a live Strato node (`npm run fuzz:live`). Real request
 * frames recorded from Aerospike 8.1.2 (test/fixtures/corpus) are mutated with knowledge of the
 * layout — proto length, message header flags, field and op counts, field/op sizes, op and
 * particle types, truncation, splices of two frames, duplicated ops — and sent in batches on
 * several connections at once. Between rounds a correct client (the official aerospike client)
 * writes and reads back a fresh record and an info request must answer; the node process must be
 * alive. A dead node, a failed check or a connection the node neither answers nor closes is a
 * crash: the round's frames are written to the crash directory and the node is restarted.
 *
 * A node closes a connection on a frame it cannot parse, so the frames after that one in a batch
 * are never read: the count that bounds the run and is reported is the frames the node read (each
 * answered frame, plus the one a connection was closed on); frames sent is printed too.
 *
 * Knobs (environment): FUZZ_LIVE_FRAMES (frames read by the node, default 1,000,000), FUZZ_LIVE_SECONDS (default 3600),
 * FUZZ_LIVE_CONNECTIONS (default 16), FUZZ_LIVE_BATCH (frames per connection per round, default
 * 16), FUZZ_LIVE_SEED, FUZZ_LIVE_CRASH_DIR (default fuzz-crashes/live).
 */
import { connect } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { CORPUS, ROOT } from '../test/helpers/paths.js';
import { infoFrame, requestFrame } from '../test/helpers/raw-client.js';
import { Prng } from '../src/testing/prng.js';

const FRAMES = Number(process.env.FUZZ_LIVE_FRAMES ?? 1_000_000);
const SECONDS = Number(process.env.FUZZ_LIVE_SECONDS ?? 3600);
const CONNECTIONS = Number(process.env.FUZZ_LIVE_CONNECTIONS ?? 16);
const BATCH = Number(process.env.FUZZ_LIVE_BATCH ?? 16);
const SEED = Number(process.env.FUZZ_LIVE_SEED ?? Date.now() % 0x7fffffff);
const CRASH_DIR = process.env.FUZZ_LIVE_CRASH_DIR ?? join(ROOT, 'fuzz-crashes', 'live');
/** A connection the node neither answers to the end nor closes within this long after our FIN is a stall (ms). */
const CONNECTION_CLOSE_BOUND_MS = 10_000;
/** Longest time between two health checks with the correct client (ms); liveness is checked every round. */
const HEALTH_CHECK_INTERVAL_MS = 1000;
/** Largest mutated frame sent (bytes): past Aerospike's default 1 MiB record size. */
const FRAME_MAX_BYTES = 2 * 1024 * 1024;
/** The health check's bound per request (ms). */
const CHECK_TIMEOUT_MS = 5_000;

const CONFIG = `
service {
  cluster-name fuzz
}
network {
  service {
    address 127.0.0.1
    port 3000
  }
}
namespace test {
  replication-factor 1
  default-ttl 0
  storage-engine memory {
    data-size 1G
  }
}
namespace bar {
  replication-factor 1
  storage-engine memory {
    data-size 1G
  }
}
`;

/** Info commands that change the node's configuration or drop data: mutating them tests admin, not parsing. */
const STATEFUL_INFO = /set-config|truncate|sindex-create|sindex-delete|udf-put|udf-remove|recluster|quiesce|jobs:|log-set|tip|cluster-stable|revive|roster/;

function loadFrames(): Buffer[] {
  const out: Buffer[] = [];
  for (const f of readdirSync(CORPUS).filter((n) => n.endsWith('.jsonl')).sort()) {
    for (const line of readFileSync(join(CORPUS, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const b = Buffer.from((JSON.parse(line) as { request: string }).request, 'hex');
      if (b.length < 8) continue;
      if (b[1] === 1 && STATEFUL_INFO.test(b.subarray(8).toString('latin1'))) continue;
      out.push(b);
    }
  }
  return out;
}

/** The node under attack: its own process and temp directory, stopped by PID. */
interface Node {
  port: number;
  proc: ChildProcess;
  output(): string;
  /** log lines saying a request broke its handler since the last call */
  takeHandlerBreaks(): string[];
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a strato process on an ephemeral port and resolves once it listens. */
async function startNode(): Promise<Node> {
  const dir = mkdtempSync(join(tmpdir(), 'strato-fuzz-live-'));
  writeFileSync(join(dir, 'strato.conf'), CONFIG);
  const proc = spawn(process.execPath, [join(ROOT, 'bin', 'strato.js'), '--port', '0', '--nodes-per-host', '1', '--config-file', join(dir, 'strato.conf')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let partial = '';
  let breaks: string[] = [];
  const onData = (d: Buffer): void => {
    out = (out + d.toString()).slice(-64 * 1024); // the tail is what a crash report needs
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const l of lines) if (l.includes('request broke its handler')) breaks.push(l);
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`strato did not start:\n${out}`));
    }, 30_000);
    const look = (): void => {
      const m = /listening on [^\s:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout!.off('data', look);
        proc.stderr!.off('data', look);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', look);
    proc.stderr!.on('data', look);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`strato exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    port,
    proc,
    output: () => out,
    takeHandlerBreaks: () => {
      const b = breaks;
      breaks = [];
      return b;
    },
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (proc.exitCode !== null || proc.signalCode !== null) return done();
        const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        proc.once('exit', () => {
          clearTimeout(kill);
          done();
        });
        proc.kill(signal);
      }),
  };
}

/** Offsets of the fields and ops of an as_msg frame (proto header at 0), as far as they parse. */
function layout(b: Buffer): { fields: number[]; ops: number[] } {
  const fields: number[] = [];
  const ops: number[] = [];
  if (b.length < 30 || b[1] !== 3) return { fields, ops };
  const nf = b.readUInt16BE(26);
  const no = b.readUInt16BE(28);
  let p = 30;
  for (let i = 0; i < nf && p + 5 <= b.length; i++) {
    fields.push(p);
    p += 4 + b.readUInt32BE(p);
  }
  for (let i = 0; i < no && p + 8 <= b.length; i++) {
    ops.push(p);
    p += 4 + b.readUInt32BE(p);
  }
  return { fields, ops };
}

function fixProtoLength(b: Buffer): void {
  if (b.length >= 8) b.writeUIntBE(b.length - 8, 2, 6);
}

const INTERESTING32 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** One structured mutation of a recorded frame. */
function mutateFrame(src: Buffer, frames: Buffer[], rng: Prng): Buffer {
  const ri = (n: number): number => (n > 0 ? rng.nextInt(n) : 0);
  let b = Buffer.from(src);
  const rounds = 1 + ri(3);
  for (let r = 0; r < rounds; r++) {
    const { fields, ops } = layout(b);
    // most mutations keep the proto length right, so they reach the message parser and the
    // connection goes on to the next frame; the framing itself is attacked by cases 1 and 2
    let fix = rng.chance(0.95);
    switch (ri(12)) {
      case 0: { // flip bits anywhere after the proto header
        const n = 1 + ri(4);
        for (let i = 0; i < n && b.length > 8; i++) b[8 + ri(b.length - 8)]! ^= 1 << ri(8);
        break;
      }
      case 1: // proto length: off by a little, zero, or huge
        fix = false;
        if (b.length >= 8) b.writeUIntBE(Math.max(0, [0, 1, b.length - 9, b.length - 7, b.length + 100, 0xffffffffffff, 128 * 1024 * 1024 + 1][ri(7)]!), 2, 6);
        break;
      case 2: // proto version or type
        fix = false;
        b[ri(2)] = rng.chance(0.5) ? ri(256) : ri(6);
        break;
      case 3: // info1..info4, result code, generation, ttls
        if (b.length >= 30) b[9 + ri(17)] = ri(256);
        break;
      case 4: // field or op count
        if (b.length >= 30) b.writeUInt16BE([0, 1, 0xffff, 0x8000, (b.readUInt16BE(26) + 1) & 0xffff, ri(64)][ri(6)]!, rng.chance(0.5) ? 26 : 28);
        break;
      case 5: { // a field's or op's size
        const at = [...fields, ...ops];
        if (!at.length) break;
        const p = at[ri(at.length)]!;
        if (p + 4 > b.length) break;
        const v = rng.chance(0.5) ? INTERESTING32[ri(INTERESTING32.length)]! : b.readUInt32BE(p) + ri(5) - 2;
        b.writeUInt32BE(v >>> 0, p);
        break;
      }
      case 6: { // an op's type, particle type or name length; a field's type
        if (ops.length && rng.chance(0.7)) {
          const o = ops[ri(ops.length)]!;
          const k = 4 + ri(4);
          if (o + k < b.length) b[o + k] = k === 7 ? ri(32) : ri(rng.chance(0.5) ? 24 : 256);
        } else if (fields.length) {
          const f = fields[ri(fields.length)]!;
          if (f + 4 < b.length) b[f + 4] = ri(rng.chance(0.5) ? 50 : 256);
        }
        break;
      }
      case 7: // truncate
        b = b.subarray(0, 8 + ri(Math.max(1, b.length - 8)));
        break;
      case 8: { // splice: this frame's head with another frame's tail
        const o = frames[ri(frames.length)]!;
        b = Buffer.concat([b.subarray(0, 8 + ri(Math.max(1, b.length - 8))), o.subarray(8 + ri(Math.max(1, o.length - 8)))]);
        break;
      }
      case 9: { // duplicate an op (counts updated): repeated bins and op sequences
        if (!ops.length || b.length < 30) break;
        const i = ri(ops.length);
        const o = ops[i]!;
        const end = i + 1 < ops.length ? ops[i + 1]! : Math.min(b.length, o + 4 + b.readUInt32BE(o));
        const times = 1 + ri(rng.chance(0.1) ? 2000 : 8);
        b = Buffer.concat([b.subarray(0, end), ...Array<Buffer>(times).fill(b.subarray(o, end)), b.subarray(end)]);
        b.writeUInt16BE(Math.min(0xffff, b.readUInt16BE(28) + times), 28);
        break;
      }
      case 10: { // overwrite bytes inside an op value or field with interesting integers
        if (b.length < 34) break;
        const p = 30 + ri(b.length - 34);
        b.writeUInt32BE(INTERESTING32[ri(INTERESTING32.length)]!, p);
        break;
      }
      default: { // insert random bytes
        const p = 8 + ri(Math.max(1, b.length - 8));
        const ins = Buffer.alloc(1 + ri(16));
        for (let i = 0; i < ins.length; i++) ins[i] = ri(256);
        b = Buffer.concat([b.subarray(0, p), ins, b.subarray(p)]);
      }
    }
    if (fix) fixProtoLength(b);
    // repeated duplication compounds: keep every frame within FRAME_MAX_BYTES (the volume of one
    // client's input is not what this campaign measures)
    if (b.length > FRAME_MAX_BYTES) {
      b = b.subarray(0, FRAME_MAX_BYTES);
      if (fix) fixProtoLength(b);
    }
  }
  return b;
}

/** Sends `frames` on one connection, half-closes, and waits for the node to close it. */
function sendBatch(port: number, frames: Buffer[]): Promise<{ how: 'closed' | 'stalled' | 'refused'; answers: number; serverErrors: number }> {
  return new Promise((resolve) => {
    // counts the answer frames as they stream by (8-byte proto header, then its body) without keeping them
    let answers = 0;
    let serverErrors = 0;
    const head = Buffer.alloc(8);
    let headHave = 0;
    let bodyLeft = 0;
    /** offset of the next body byte in the current answer, to read an as_msg's result code (byte 5) */
    let bodyPos = 0;
    let bodyType = 0;
    const count = (d: Buffer): void => {
      let p = 0;
      while (p < d.length) {
        if (bodyLeft > 0) {
          if (bodyType === 3 && bodyPos <= 5 && bodyPos + (d.length - p) > 5 && bodyLeft > 5 - bodyPos && d[p + 5 - bodyPos] === 1) serverErrors++;
          const n = Math.min(bodyLeft, d.length - p);
          bodyPos += n;
          bodyLeft -= n;
          p += n;
          continue;
        }
        const n = Math.min(8 - headHave, d.length - p);
        d.copy(head, headHave, p, p + n);
        headHave += n;
        p += n;
        if (headHave === 8) {
          headHave = 0;
          bodyLeft = head.readUIntBE(2, 6);
          bodyPos = 0;
          bodyType = head[1]!;
          answers++;
        }
      }
    };
    const sock = connect({ host: '127.0.0.1', port });
    let done = false;
    const finish = (how: 'closed' | 'stalled' | 'refused'): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ how, answers, serverErrors });
    };
    const timer = setTimeout(() => finish('stalled'), CONNECTION_CLOSE_BOUND_MS);
    sock.on('connect', () => {
      sock.write(Buffer.concat(frames));
      sock.end();
    });
    sock.on('data', count); // answers are counted and dropped; the health check judges correctness
    sock.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ECONNREFUSED' ? 'refused' : 'closed'));
    sock.on('close', () => finish('closed'));
  });
}

/** A correct client's view of the node: a fresh record written and read back, and an info answer. */
async function healthy(client: any, port: number, n: number): Promise<string | undefined> {
  try {
    const key = new Aerospike.Key('test', 'fuzz_live_health', `check-${n}`);
    await client.put(key, { n, s: `value-${n}`, l: [n, 'x'] });
    const rec = await client.get(key);
    if (rec.bins.n !== n || rec.bins.s !== `value-${n}` || JSON.stringify(rec.bins.l) !== JSON.stringify([n, 'x'])) {
      return `record read back wrong: ${JSON.stringify(rec.bins)}`;
    }
    const info = (await requestFrame('127.0.0.1', port, infoFrame(['status']), CHECK_TIMEOUT_MS)).subarray(8).toString();
    if (info !== 'status\tok\n') return `info status answered ${JSON.stringify(info)}`;
    return undefined;
  } catch (e) {
    return `health check failed: ${(e as Error).message}`;
  }
}

async function main(): Promise<void> {
  const frames = loadFrames();
  const rng = new Prng(SEED);
  console.log(`fuzz:live: ${frames.length} recorded frames, ${FRAMES} frames max, ${SECONDS} s max, ${CONNECTIONS} connections x ${BATCH} frames per round, seed ${SEED}`);
  let node = await startNode();
  let client: any = await Aerospike.connect({ hosts: [{ addr: '127.0.0.1', port: node.port }], log: { level: -1 } as any, policies: { read: { totalTimeout: CHECK_TIMEOUT_MS }, write: { totalTimeout: CHECK_TIMEOUT_MS } } } as any);
  // Ctrl-C or a kill stops the loop at the end of the round, so the node is stopped and the figures printed
  let stopRequested = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => (stopRequested = true));
  const t0 = Date.now();
  let sent = 0;
  let rounds = 0;
  let checks = 0;
  let stalls = 0;
  /** answer frames the node sent back (a batch's frames after one that closes the connection are never read) */
  let answered = 0;
  /** frames the node read: answered ones plus the one a connection was closed on */
  let delivered = 0;
  /** answers carrying result code 1 (server error): what a handler's unexpected exception turns into */
  let serverErrors = 0;
  let lastCheck = 0;
  const crashes: string[] = [];
  let lastReport = t0;
  try {
    while (!stopRequested && delivered < FRAMES && Date.now() - t0 < SECONDS * 1000) {
      const batches: Buffer[][] = [];
      for (let c = 0; c < CONNECTIONS; c++) {
        const batch: Buffer[] = [];
        for (let i = 0; i < BATCH; i++) batch.push(mutateFrame(frames[rng.nextInt(frames.length)]!, frames, rng));
        batches.push(batch);
      }
      const outcomes = await Promise.all(batches.map((b) => sendBatch(node.port, b)));
      sent += CONNECTIONS * BATCH;
      rounds++;
      const stalled = outcomes.filter((o) => o.how === 'stalled').length;
      for (const o of outcomes) {
        answered += o.answers;
        serverErrors += o.serverErrors;
        // the node read every frame it answered, plus the one it closed the connection on
        delivered += Math.min(BATCH, o.answers + 1);
      }
      stalls += stalled;
      let problem = node.proc.exitCode !== null || node.proc.signalCode !== null ? `node exited (${node.proc.exitCode ?? node.proc.signalCode})` : undefined;
      if (!problem && stalled > 0) problem = `${stalled} connection(s) neither answered nor closed within ${CONNECTION_CLOSE_BOUND_MS} ms`;
      if (!problem) {
        // a request that throws inside its handler costs only its connection and leaves a log line:
        // that is a bug the node survived, reported like a crash
        const broke = node.takeHandlerBreaks();
        if (broke.length) problem = broke.join('\n');
      }
      if (!problem && (Date.now() - lastCheck > HEALTH_CHECK_INTERVAL_MS || delivered >= FRAMES)) {
        lastCheck = Date.now();
        checks++;
        problem = await healthy(client, node.port, rounds);
      }
      if (problem) {
        mkdirSync(CRASH_DIR, { recursive: true });
        // one file per connection: replaying a file's bytes on one connection replays what it sent
        const file = join(CRASH_DIR, `round-${rounds}-seed-${SEED}`);
        batches.forEach((b, c) => writeFileSync(`${file}-conn-${c}${outcomes[c]!.how === 'stalled' ? '-stalled' : ''}.bin`, Buffer.concat(b)));
        writeFileSync(`${file}.txt`, `${problem}\n\nnode output (tail):\n${node.output().slice(-8000)}`);
        crashes.push(`round ${rounds}: ${problem} -> ${file}`);
        console.log(`CRASH round ${rounds}: ${problem} (frames in ${file})`);
        client.close();
        await node.stop('SIGKILL');
        node = await startNode();
        client = await Aerospike.connect({ hosts: [{ addr: '127.0.0.1', port: node.port }], log: { level: -1 } as any } as any);
      }
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        console.log(`  ${delivered} frames read by the node (${sent} sent, ${answered} answered), ${((delivered * 1000) / (Date.now() - t0)).toFixed(0)} frames/s, ${crashes.length} crashes`);
      }
    }
  } finally {
    if (process.env.FUZZ_LIVE_VERBOSE) console.log(node.output().slice(-6000));
    client.close();
    await node.stop();
  }
  const secs = (Date.now() - t0) / 1000;
  console.log(`fuzz:live: ${delivered} frames read by the node in ${secs.toFixed(0)} s (${(delivered / secs).toFixed(0)} frames/s; ${sent} sent, ${answered} answered), ${rounds} rounds, ${checks} health checks, ${crashes.length} crashes, ${stalls} stalled connections, ${serverErrors} answers with result code 1`);
  for (const c of crashes) console.log(`  ${c}`);
  process.exitCode = crashes.length > 0 ? 1 : 0;
}

await main();
