#!/usr/bin/env node
/**
 * Runs the compiled test files (dist/test/**\/*.test.js, or the files and folders given as
 * arguments) with node:test, with a timeout per file so a test that hangs (a server left running,
 * a promise never settled) fails that file instead of stalling the run, and prints the slowest
 * files at the end. Node 20's `node --test` takes neither globs nor a folder without also running
 * every helper module under it as a test file, hence this listing.
 *
 * Files start longest first (scripts/test-durations.json, the per-file test times of a full run;
 * a file not listed there counts as 10 s): with two cores, a long file started last would run
 * alone at the end while the other core idles. After changing tests, refresh the list with
 * `STRATO_TEST_DURATIONS_WRITE=1 npm test` (the slowest-files reporter rewrites it).
 *
 * Knobs: STRATO_TEST_TIMEOUT_MS (per file and per test, default 600000: the slowest file, the cluster
 * runtime simulation, takes minutes when the machine is loaded),
 * STRATO_TEST_CONCURRENCY (files run at once, default 3: much of a file's time is waiting on
 * processes it started - a node's start, a cluster settling, a tool's login - so a third file
 * fills the two cores' gaps; measured on the 2-core machine, quiet, 1276 tests: npm test 3 min 21 s
 * at 2, 2 min 47-53 s at 3, all passing).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TIMEOUT_MS = Number(process.env.STRATO_TEST_TIMEOUT_MS ?? 600_000);
const CONCURRENCY = Number(process.env.STRATO_TEST_CONCURRENCY ?? 3);

/** Every *.test.js under `path` (or `path` itself when it is a file), sorted. */
function testFiles(path) {
  if (!statSync(path).isDirectory()) return [path];
  const out = [];
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(full));
    else if (entry.name.endsWith('.test.js')) out.push(full);
  }
  return out.sort();
}

const roots = process.argv.length > 2 ? process.argv.slice(2) : [join(ROOT, 'dist', 'test')];
// dist/ is never cleaned by tsc: a compiled test whose source was moved or deleted would still run.
const files = roots.flatMap(testFiles).filter((file) => {
  const rel = relative(join(ROOT, 'dist'), file);
  return rel.startsWith('..') || existsSync(join(ROOT, rel.replace(/\.js$/, '.ts')));
});
if (files.length === 0) {
  console.error(`run-tests: no *.test.js under ${roots.join(', ')} (did tsc run?)`);
  process.exit(1);
}

/** Seconds each file took in a full run, by its path under dist/ (test/x/y.test.js). */
const DURATIONS_FILE = join(ROOT, 'scripts', 'test-durations.json');
let durations = {};
try {
  durations = JSON.parse(readFileSync(DURATIONS_FILE, 'utf8'));
} catch {
  // no list (or a broken one): every file counts as long, the run still covers them all
}
/**
 * A file not in the list yet (new since the list was written) counts as this many seconds: long
 * enough to start early, not so long that several new files crowd out the known longest ones.
 */
const UNLISTED_FILE_SEC = 10;
const expectedSec = (file) => durations[relative(join(ROOT, 'dist'), file)] ?? UNLISTED_FILE_SEC;
// longest first; ties keep their name order
files.sort((a, b) => expectedSec(b) - expectedSec(a) || (a < b ? -1 : a > b ? 1 : 0));

/**
 * V8's young generation per test process, MiB (each semi-space). The simulations and property tests
 * allocate many short-lived objects; with V8's default (16 MiB) a sixth of the cluster runtime
 * simulation's CPU went to scavenges. 32 MiB cut its CPU time by 15-20 % (3 seeds: 4.5-4.8 s -> 3.8-3.9 s).
 * Test files inherit the runner's V8 flags; the strato processes they start do not.
 */
const TEST_SEMI_SPACE_MIB = 32;

// the test file processes inherit the run's V8 flags and --test-timeout (each test's bound); the
// run bounds each file with the same timeout
const child = spawn(process.execPath, [
  `--max-semi-space-size=${TEST_SEMI_SPACE_MIB}`,
  `--test-timeout=${TIMEOUT_MS}`,
  join(ROOT, 'scripts', 'run-test-files.mjs'),
  String(CONCURRENCY),
  String(TIMEOUT_MS),
  ...files,
], { stdio: 'inherit' });
// node:test ends a file that ran past the timeout with SIGTERM and then waits for it; a file whose
// main thread is blocked in native code (a client closing against unreachable nodes) never handles
// that signal and would stall the run. Watchdog: a test file process (a child of the run, found
// in /proc) still alive FILE_KILL_GRACE_MS after the timeout is killed by PID.
const FILE_KILL_GRACE_MS = 60_000;
const firstSeen = new Map();
const watchdog = setInterval(() => {
  let pids = [];
  try {
    pids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return; // not Linux, or the runner is gone
  }
  const now = Date.now();
  for (const pid of pids) {
    if (!firstSeen.has(pid)) firstSeen.set(pid, now);
    if (now - firstSeen.get(pid) > TIMEOUT_MS + FILE_KILL_GRACE_MS) {
      console.error(`run-tests: test process ${pid} outlived the ${TIMEOUT_MS} ms timeout; killing it`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}, 5000);
watchdog.unref();
// Ctrl-C or a CI cancel reaches the whole process group; pass a plain SIGTERM on to the runner so
// it stops its test files (which stop what they started).
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
