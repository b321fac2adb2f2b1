/**
 * Stops what tests start, whatever happens to the test. Helpers register every strato process and
 * every client they open here (startStrato, connectClient); a test still stops its own in
 * `after`/`finally`, and this is the net under it:
 * - once every test of the file has run (a root-level `after` hook, which runs also when tests
 *   failed), whatever is still registered is closed or stopped, and named on stderr: a test that
 *   failed half-way cannot keep its file's process, and so `npm test`, running;
 * - when the file's process ends anyway (the runner's per-file timeout sends SIGTERM, Ctrl-C, an
 *   uncaught exception), registered child processes are killed by PID on the way out, so no
 *   strato process outlives its test file. (If the file's JavaScript is stuck in native code the
 *   handler cannot run; scripts/run-tests.mjs then kills the file by PID after the timeout.)
 */
import { after } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/** How long a leftover process gets to exit after SIGTERM before it is killed. */
const LEFTOVER_STOP_GRACE_MS = 5000;

interface Tracked {
  name: string;
  /** closes a client; for a process, undefined (processes are signalled) */
  close?: () => unknown;
  proc?: ChildProcess;
}

const tracked = new Set<Tracked>();

/**
 * Registers a child process; it is unregistered when it exits. Returns nothing to call: stopping
 * the process (by PID) is enough.
 */
export function trackProcess(proc: ChildProcess, name: string): void {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const entry: Tracked = { name, proc };
  tracked.add(entry);
  proc.once('exit', () => tracked.delete(entry));
}

/** Registers something to close (a client); call the returned function once it is closed. */
export function trackResource(name: string, close: () => unknown): () => void {
  const entry: Tracked = { name, close };
  tracked.add(entry);
  return () => tracked.delete(entry);
}

/** Temporary directories removed when the test file's process exits (whatever stopped their users). */
const tempDirs = new Set<string>();

/**
 * Registers a temporary directory (a node's work directory, a test's scratch files) for removal
 * when the file's process exits, so a test that kills its node by signal or fails half-way does not
 * leave it in the system's temporary folder.
 */
export function trackTempDir(dir: string): string {
  tempDirs.add(dir);
  return dir;
}

function removeTempDirs(): void {
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // a directory still in use by a dying child may resist once; the system's tmp cleaner has it
    }
  }
  tempDirs.clear();
}

/** Names of what is registered now (for the harness's own tests). */
export function trackedNames(): string[] {
  return [...tracked].map((t) => t.name);
}

/**
 * Closes every registered client and stops every registered process (SIGTERM, SIGKILL after
 * LEFTOVER_STOP_GRACE_MS). For files whose tests each start their own nodes: `afterEach(stopStarted)`
 * stops what a failed test left behind before the next test starts. Names what it stopped on stderr.
 */
export async function stopStarted(when = 'after the test'): Promise<void> {
  const leftovers = [...tracked];
  if (leftovers.length === 0) return;
  process.stderr.write(`cleanup: still open ${when}, now stopped: ${leftovers.map((t) => t.name).join(', ')}\n`);
  for (const t of leftovers) {
    if (t.close === undefined) continue;
    tracked.delete(t);
    try {
      await t.close();
    } catch {
      // a client of a node that is already gone may refuse to close cleanly; it is dropped anyway
    }
  }
  await Promise.all(
    leftovers.flatMap((t) => {
      const proc = t.proc;
      if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return [];
      return [
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => proc.kill('SIGKILL'), LEFTOVER_STOP_GRACE_MS);
          proc.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          proc.kill('SIGTERM');
        }),
      ];
    }),
  );
}

function killAllNow(): void {
  for (const t of tracked) {
    const pid = t.proc?.pid;
    if (pid === undefined || t.proc!.exitCode !== null) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

// Registered once the test file's own top-level code has run, so the file's own `after` hooks (which
// stop what it started, in order) run first: root hooks run in the order they were registered.
setImmediate(() => after(() => stopStarted("after this file's tests")));
process.on('exit', () => {
  killAllNow();
  removeTempDirs();
});
for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]] as const) {
  process.once(signal, () => {
    killAllNow();
    process.exit(code);
  });
}
