/**
 * Expression engine micro-benchmarks: cost per record of evaluating compiled filters (1M
 * evaluations each) and the cost of compiling one. Run `node dist/bench/exp-filter.bench.js` or call
 * {@link runExpFilterBench}.
 */
import { pathToFileURL } from 'node:url';
import { MsgpackWriter } from '../src/protocol/msgpack.js';
import type { Bin } from '../src/protocol/particle.js';
import { compileFilter, type ExpEnv, type ExpRecord } from '../src/expressions/index.js';
import { compileRegex, regexMatches, RegexFlag } from '../src/expressions/regex.js';

const N = 1_000_000;

type W = (w: MsgpackWriter) => void;
const op =
  (code: number, ...args: W[]): W =>
  (w) => {
    w.arrayHeader(args.length + 1);
    w.int(code);
    for (const a of args) a(w);
  };
const int = (v: number): W => (w) => w.int(v);
const str = (s: string): W => (w) => w.tagged(3, s);
const bin = (type: number, name: string): W => (w) => {
  w.arrayHeader(3);
  w.int(81);
  w.int(type);
  w.rawString(name);
};
const build = (e: W): Buffer => {
  const w = new MsgpackWriter(64);
  e(w);
  return Buffer.from(w.bytes());
};

function record(a: number, s: string): ExpRecord {
  const av = Buffer.alloc(8);
  av.writeBigInt64BE(BigInt(a));
  const bins: Bin[] = [
    { name: 'a', type: 1, value: av },
    { name: 's', type: 3, value: Buffer.from(s) },
    { name: 'x', type: 2, value: Buffer.alloc(8) },
  ];
  return {
    getBin(name) {
      for (const b of bins) if (b.name === name) return b;
      return undefined;
    },
    binNames: () => bins.map((b) => b.name),
    exists: true,
    generation: 1,
    voidTime: 0,
    lastUpdateMs: 1_700_000_000_000,
    setName: 'bench',
    digest: Buffer.alloc(20),
    key: undefined,
    recordSizeBytes: 64,
    memorySizeBytes: 64,
    deviceSizeBytes: 0,
    isTombstone: false,
  };
}

function timeFilter(name: string, bytes: Buffer, env: ExpEnv): string {
  const f = compileFilter(bytes);
  const recs = Array.from({ length: 16 }, (_, i) => record(i, i % 2 ? 'hello' : 'world'));
  let hits = 0;
  for (let i = 0; i < 100_000; i++) if (f.matches(recs[i & 15]!, env)) hits++; // warm-up
  hits = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) if (f.matches(recs[i & 15]!, env)) hits++;
  const ns = Number(process.hrtime.bigint() - t0) / N;
  return `exp-filter ${name}: ${ns.toFixed(1)} ns/record (${N} evaluations, ${hits} matches)`;
}

/** Compile cost: distinct expressions (cache misses) and the same one again (cache hits). */
function timeCompile(name: string, make: (i: number) => Buffer): string[] {
  const n = 50_000;
  const distinct = Array.from({ length: n }, (_, i) => make(i + 1000));
  for (let i = 0; i < 1000; i++) compileFilter(make(i));
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) compileFilter(distinct[i]!);
  const miss = Number(process.hrtime.bigint() - t0) / n;
  const same = make(7);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) compileFilter(same);
  const hit = Number(process.hrtime.bigint() - t0) / n;
  return [
    `exp-filter compile ${name}: ${miss.toFixed(0)} ns/compile (${same.length} bytes)`,
    `exp-filter compile ${name} (cached): ${hit.toFixed(0)} ns/compile`,
  ];
}

/**
 * Regex worst cases (issue 16.1): nested quantifiers that make a backtracking engine exponential,
 * and long subjects. Prints the time of one match each; the automaton keeps them linear.
 */
function timeRegexWorstCases(): string[] {
  const cases: [string, number, Buffer][] = [
    ['(a+)+$', RegexFlag.EXTENDED, Buffer.from('a'.repeat(30) + '!')],
    ['(a+)+$', RegexFlag.EXTENDED, Buffer.from('a'.repeat(1 << 20) + '!')],
    ['^(a|aa)*c', RegexFlag.EXTENDED, Buffer.from('a'.repeat(1 << 20))],
    ['hello|world', RegexFlag.EXTENDED | RegexFlag.ICASE, Buffer.alloc(1 << 20, 0x78)],
  ];
  return cases.map(([pattern, flags, subject]) => {
    const t0 = process.hrtime.bigint();
    const re = compileRegex(Buffer.from(pattern), flags);
    const hit = regexMatches(re, subject);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return `exp-filter regex worst case ${pattern} on ${subject.length} bytes: ${ms.toFixed(2)} ms (match ${hit})`;
  });
}

/** Runs the benchmarks; returns printable lines. */
export async function runExpFilterBench(): Promise<string[]> {
  const env: ExpEnv = { nowMs: 1_700_000_060_000 };
  const simpleOf = (k: number) => build(op(3, bin(2, 'a'), int(k)));
  const compoundOf = (k: number) =>
    build(op(16, op(4, bin(2, 'a'), int(2)), op(1, bin(3, 's'), str('hello')), op(5, op(67), int(k)), op(2, op(82, (w) => w.rawString('zz')), int(1))));
  const simple = simpleOf(5);
  const compound = compoundOf(3_600_000);
  const arith = build(op(3, op(20, op(22, bin(2, 'a'), int(3)), int(1)), int(20)));
  const regex = build(op(7, int(1), (w) => w.rawString('^h.l+o$'), bin(3, 's')));
  return [
    timeFilter("intBin('a') > 5", simple, env),
    timeFilter('and(a >= 2, s == "hello", sinceUpdate < 1h, binExists(zz))', compound, env),
    timeFilter('a * 3 + 1 > 20', arith, env),
    timeFilter('regex(EXTENDED, "^h.l+o$", s)', regex, env),
    ...timeCompile("intBin('a') > k", simpleOf),
    ...timeCompile('and(...4 terms)', compoundOf),
    ...timeRegexWorstCases(),
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of await runExpFilterBench()) console.log(line);
}
