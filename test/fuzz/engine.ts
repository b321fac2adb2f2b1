/**
 * The fuzzing loop: mutates seed inputs (byte flips, interesting integers, length-field nudges,
 * inserts, deletes, truncation, splices with other corpus entries), runs each through a target,
 * and records every input the oracle rejects or that runs longer than FUZZ_SLOW_INPUT_MS.
 *
 * Coverage guidance (long runs): V8's precise block coverage, read through node:inspector after
 * each batch of inputs; a batch that reaches a source range never reached before adds its inputs to
 * the corpus, so later mutations start from inputs that get deeper into the parser. jazzer.js, the
 * maintained libFuzzer binding for Node, was the first choice; its 4.0.0 prebuilt addon needs glibc
 * 2.38 (this Debian 12 host has 2.36) and older releases download their binary from GitHub at
 * install time, so this loop stands in for it.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Session } from 'node:inspector';
import { FUZZ_MAX_INPUT_BYTES, type FuzzTarget } from './targets.js';
import { Prng } from '../../src/testing/prng.js';

/** An input that takes longer than this (ms) is reported as a hang. */
export const FUZZ_SLOW_INPUT_MS = 1000;
/** Inputs run between two coverage reads in a coverage-guided run. */
const COVERAGE_BATCH = 32;
/** Largest corpus kept in memory per target (entries). */
const CORPUS_MAX_ENTRIES = 4096;

/** A failing input and why. */
export interface Crash {
  target: string;
  input: Buffer;
  error: string;
  /** the file it was written to, when a crash directory was given */
  file?: string;
}

export interface FuzzOptions {
  /** stop after this many inputs */
  iterations: number;
  /** stop after this much wall time (ms) */
  timeMs: number;
  seed: number;
  /** read V8 block coverage to grow the corpus (slower per input, finds more) */
  coverage: boolean;
  /** write each crasher here as <target>-<sha1>.bin */
  crashDir?: string;
}

export interface FuzzResult {
  target: string;
  execs: number;
  crashes: Crash[];
  corpus: number;
  /** source ranges (script:offset) reached, when coverage was on */
  coveredRanges: number;
  ms: number;
}

/** Seeds of a target: every file under `dir` (none when the folder is missing). */
export function loadSeeds(dir: string): Buffer[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.map((n) => readFileSync(join(dir, n)));
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** Returns a mutated copy of `input` (never longer than FUZZ_MAX_INPUT_BYTES). */
export function mutate(input: Buffer, corpus: Buffer[], rng: Prng): Buffer {
  let b = Buffer.from(input);
  const rounds = 1 + rng.nextInt(4);
  for (let r = 0; r < rounds; r++) {
    const pos = b.length === 0 ? 0 : rng.nextInt(b.length);
    switch (rng.nextInt(10)) {
      case 0: // flip a bit
        if (b.length) b[pos]! ^= 1 << rng.nextInt(8);
        break;
      case 1: // random byte
        if (b.length) b[pos] = rng.nextInt(256);
        break;
      case 2: { // interesting integer, 1/2/4 bytes, either endianness
        const v = INTERESTING[rng.nextInt(INTERESTING.length)]!;
        const w = [1, 2, 4][rng.nextInt(3)]!;
        if (pos + w <= b.length) {
          if (w === 1) b[pos] = v & 0xff;
          else if (w === 2) rng.nextInt(2) ? b.writeUInt16BE(v & 0xffff, pos) : b.writeUInt16LE(v & 0xffff, pos);
          else rng.nextInt(2) ? b.writeUInt32BE(v >>> 0, pos) : b.writeUInt32LE(v >>> 0, pos);
        }
        break;
      }
      case 3: // nudge a byte (a length, a count, a type) by a small amount
        if (b.length) b[pos] = (b[pos]! + rng.nextInt(9) - 4) & 0xff;
        break;
      case 4: { // delete a run
        const n = 1 + rng.nextInt(Math.min(16, Math.max(1, b.length - pos)));
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + n)]);
        break;
      }
      case 5: { // insert random bytes
        const n = 1 + rng.nextInt(16);
        const ins = Buffer.alloc(n);
        for (let i = 0; i < n; i++) ins[i] = rng.nextInt(256);
        b = Buffer.concat([b.subarray(0, pos), ins, b.subarray(pos)]);
        break;
      }
      case 6: // truncate
        b = b.subarray(0, pos);
        break;
      case 7: { // duplicate a run (repeated fields, ops, elements)
        const n = 1 + rng.nextInt(Math.min(64, Math.max(1, b.length - pos)));
        const run = b.subarray(pos, pos + n);
        const times = 1 + rng.nextInt(8);
        b = Buffer.concat([b.subarray(0, pos), ...Array<Buffer>(times).fill(run), b.subarray(pos)]);
        break;
      }
      case 8: { // splice with another corpus entry
        const other = corpus[rng.nextInt(corpus.length)]!;
        const at = other.length ? rng.nextInt(other.length) : 0;
        b = Buffer.concat([b.subarray(0, pos), other.subarray(at)]);
        break;
      }
      default: { // copy a run within the input
        if (b.length < 2) break;
        const from = rng.nextInt(b.length);
        const n = 1 + rng.nextInt(Math.min(32, b.length - from));
        b = Buffer.from(b);
        b.copy(b, pos, from, from + n);
      }
    }
  }
  return b.length > FUZZ_MAX_INPUT_BYTES ? b.subarray(0, FUZZ_MAX_INPUT_BYTES) : b;
}

/** Runs one input; returns the crash description, or undefined when the oracle accepts it. */
export function runOne(target: FuzzTarget, input: Buffer): string | undefined {
  const t0 = performance.now();
  try {
    target.run(input);
  } catch (e) {
    if (!target.expected(e)) return e instanceof Error ? `${e.constructor.name}: ${e.message}\n${e.stack ?? ''}` : `non-error thrown: ${String(e)}`;
  }
  const ms = performance.now() - t0;
  if (ms > FUZZ_SLOW_INPUT_MS) return `hang: one input took ${ms.toFixed(0)} ms (bound ${FUZZ_SLOW_INPUT_MS} ms)`;
  return undefined;
}

/** A V8 precise-coverage reader over node:inspector (synchronous posts on the same thread). */
class Coverage {
  private readonly session = new Session();
  private readonly seen = new Set<string>();

  constructor() {
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: false, detailed: true });
  }

  private post(method: string, params?: object): any {
    let out: any;
    let err: Error | null = null;
    this.session.post(method, params ?? {}, (e, r) => {
      err = e;
      out = r;
    });
    if (err) throw err;
    return out;
  }

  /** Reads and resets the counters; returns how many source ranges were reached for the first time. */
  newRanges(): number {
    const r = this.post('Profiler.takePreciseCoverage') as { result: { url: string; functions: { ranges: { startOffset: number; count: number }[] }[] }[] };
    let fresh = 0;
    for (const script of r.result) {
      if (!script.url.includes('/dist/src/')) continue;
      for (const fn of script.functions) {
        for (const range of fn.ranges) {
          if (range.count === 0) continue;
          const key = `${script.url}:${range.startOffset}`;
          if (!this.seen.has(key)) {
            this.seen.add(key);
            fresh++;
          }
        }
      }
    }
    return fresh;
  }

  get size(): number {
    return this.seen.size;
  }

  close(): void {
    this.post('Profiler.stopPreciseCoverage');
    this.session.disconnect();
  }
}

/** Fuzzes one target from its seeds until the iteration or time bound. */
export function fuzzTarget(target: FuzzTarget, seeds: Buffer[], opts: FuzzOptions): FuzzResult {
  const rng = new Prng(opts.seed);
  const corpus = seeds.length > 0 ? seeds.slice() : [Buffer.alloc(0)];
  const crashes: Crash[] = [];
  const crashKeys = new Set<string>();
  const t0 = performance.now();
  const cov = opts.coverage ? new Coverage() : undefined;
  let execs = 0;
  const record = (input: Buffer, error: string): void => {
    // one report per distinct first line of the error (the same bug found a thousand times is one bug)
    const key = error.split('\n')[0]!;
    if (crashKeys.has(key)) return;
    crashKeys.add(key);
    const crash: Crash = { target: target.name, input: Buffer.from(input), error };
    if (opts.crashDir) {
      mkdirSync(opts.crashDir, { recursive: true });
      crash.file = join(opts.crashDir, `${target.name}-${createHash('sha1').update(input).digest('hex').slice(0, 16)}.bin`);
      writeFileSync(crash.file, input);
      writeFileSync(`${crash.file}.txt`, error);
    }
    crashes.push(crash);
  };
  try {
    // every seed runs as-is first: a committed crasher is a regression test
    for (const s of corpus) {
      const err = runOne(target, s);
      execs++;
      if (err) record(s, err);
    }
    cov?.newRanges();
    const batch: Buffer[] = [];
    while (execs < opts.iterations && performance.now() - t0 < opts.timeMs) {
      const input = mutate(corpus[rng.nextInt(corpus.length)]!, corpus, rng);
      const err = runOne(target, input);
      execs++;
      if (err) record(input, err);
      if (cov) {
        batch.push(input);
        if (batch.length === COVERAGE_BATCH) {
          if (cov.newRanges() > 0) {
            for (const b of batch) {
              if (corpus.length < CORPUS_MAX_ENTRIES) corpus.push(b);
              else corpus[rng.nextInt(corpus.length)] = b;
            }
          }
          batch.length = 0;
        }
      }
    }
  } finally {
    cov?.close();
  }
  return { target: target.name, execs, crashes, corpus: corpus.length, coveredRanges: cov?.size ?? 0, ms: performance.now() - t0 };
}
