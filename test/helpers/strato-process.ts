/**
 * Starts a real `strato` process on an ephemeral 127.0.0.1 port for a test, and stops it by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackProcess, trackTempDir } from './cleanup.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const STRATO_BIN = join(ROOT, 'bin', 'strato.js');

export interface StratoProcess {
  port: number;
  proc: ChildProcess;
  dir: string;
  /** everything the process wrote to stderr/stdout so far */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Resolves with the first match of `re` in `proc`'s output once it appears: a node writes its log
 * through a buffered stream and the test reads it through a pipe, so a line about something that
 * just happened arrives a little after the answer that shows it happened. Bounded by `withinMs`
 * (5 s), then fails with the output's tail.
 */
export async function waitForOutput(proc: { output(): string }, re: RegExp, withinMs = 5000): Promise<string> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const m = re.exec(proc.output());
    if (m) return m[0];
    if (Date.now() > deadline) throw new Error(`no output matching ${re} within ${withinMs} ms:\n${proc.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface StartStratoOptions {
  /** aerospike.conf text; written to a temp file and passed with --config-file */
  config?: string;
  args?: string[];
  env?: Record<string, string>;
  /** service port (default 0: ephemeral) */
  port?: number;
  /** runs the process through this command prefix (e.g. `ip netns exec <ns>`) */
  wrapper?: string[];
  /** called with the process's temporary directory (its cwd, `${DIR}` in `config`) before it starts */
  prepare?: (dir: string) => void;
  /**
   * nodes this start runs (default 1: one process, what most tests want whatever the machine's
   * core count); above 1 the start is a host supervisor and this resolves once the host is ready
   */
  nodesPerHost?: number;
}

/** Spawns strato with --port 0 and resolves once it logs the port it listens on. */
export async function startStrato(opts: StartStratoOptions = {}): Promise<StratoProcess> {
  const dir = trackTempDir(mkdtempSync(join(tmpdir(), 'strato-test-')));
  opts.prepare?.(dir);
  const nodesPerHost = opts.nodesPerHost ?? 1;
  const args = [STRATO_BIN, '--port', String(opts.port ?? 0), '--nodes-per-host', String(nodesPerHost)];
  if (opts.config !== undefined) {
    const file = join(dir, 'strato.conf');
    writeFileSync(file, opts.config.replaceAll('${DIR}', dir));
    args.push('--config-file', file);
  }
  args.push(...(opts.args ?? []));
  const wrapper = opts.wrapper ?? [];
  const proc = spawn(wrapper[0] ?? process.execPath, wrapper.length > 0 ? [...wrapper.slice(1), process.execPath, ...args] : args, { cwd: dir, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  trackProcess(proc, `strato pid ${proc.pid} in ${dir}`);
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL'); // a node that never said it listens is not left behind
      reject(new Error(`strato did not start:\n${out}`));
    }, nodesPerHost > 1 ? 60000 : 15000);
    const onData = (d: Buffer) => {
      out += d.toString();
      // a host of several nodes is ready once the supervisor says so; it names the seed's port
      const m = nodesPerHost > 1 ? /host ready: .* seed [^\s:]+:(\d+)/.exec(out) : /listening on [^\s:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`strato exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    port,
    proc,
    dir,
    output: () => out,
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      return new Promise((resolve) => {
        if (proc.exitCode !== null) {
          rmSync(dir, { recursive: true, force: true });
          return resolve(proc.exitCode);
        }
        const kill = setTimeout(() => proc.kill('SIGKILL'), nodesPerHost > 1 ? 30000 : 10000);
        proc.once('exit', (code) => {
          clearTimeout(kill);
          rmSync(dir, { recursive: true, force: true });
          resolve(code);
        });
        proc.kill(signal);
      });
    },
  };
}

/** Runs strato expecting it to fail at startup; resolves with its exit code and output. */
export async function runStratoExpectingFailure(config: string): Promise<{ code: number | null; output: string }> {
  const dir = trackTempDir(mkdtempSync(join(tmpdir(), 'strato-test-')));
  const file = join(dir, 'strato.conf');
  writeFileSync(file, config);
  const proc = spawn(process.execPath, [STRATO_BIN, '--config-file', file, '--port', '0', '--nodes-per-host', '1'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  trackProcess(proc, `strato pid ${proc.pid} (expected to fail) in ${dir}`);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  clearTimeout(timer);
  rmSync(dir, { recursive: true, force: true });
  return { code, output: out.replaceAll(file, 'strato.conf') };
}

/** A strato process spawned as is, for tests about starting itself (locks, refusals). */
export interface SpawnedStrato {
  proc: ChildProcess;
  output(): string;
  /** resolves with the port once listening, rejects with the output when the process exits first */
  ready: Promise<number>;
  exited: Promise<number | null>;
  /** SIGTERM, then resolves once the process has exited */
  stop(): Promise<void>;
}

/**
 * Spawns one strato process (`--nodes-per-host 1` and `args`) in `cwd` without waiting for it:
 * the test decides whether it must listen or refuse. Registered with the cleanup net, so a failed
 * test never leaves it running.
 */
export function spawnStrato(cwd: string, args: string[]): SpawnedStrato {
  const proc = spawn(process.execPath, [STRATO_BIN, '--nodes-per-host', '1', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  trackProcess(proc, `strato pid ${proc.pid} in ${cwd}`);
  let out = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const ready = new Promise<number>((resolve, reject) => {
    const on = (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^\s:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
    void exited.then((code) => reject(new Error(`exited ${code}:\n${out}`)));
  });
  ready.catch(() => {});
  return {
    proc,
    output: () => out,
    ready,
    exited,
    async stop() {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
