/** Starts a strato node for a benchmark (temp working dir, port 0) and stops it by PID. */
import { spawn, spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const HERE = dirname(fileURLToPath(import.meta.url));
const STRATO = join(HERE, '..', '..', 'bin', 'strato.js');

export interface BenchServer {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export async function startBenchServer(extraArgs: string[] = [], nodesPerHost = 1): Promise<BenchServer> {
  return startServerProcess([STRATO, '--port', '0', '--nodes-per-host', String(nodesPerHost), ...extraArgs], nodesPerHost > 1);
}

/** CPU time (user + system) of `pid` and every process below it, in ms (a host's nodes are the supervisor's children). */
export function processTreeCpuMs(pid: number): number {
  let ms = processCpuMs(pid);
  let children: string[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    // no such process any more, or no children file: its own time only
  }
  for (const c of children) ms += processTreeCpuMs(Number(c));
  return ms;
}

/** The ceiling baseline (ceiling-server.ts): canned replies, same protocol, its own process. */
export async function startCeilingServer(): Promise<BenchServer> {
  return startServerProcess([join(HERE, 'ceiling-server.js')]);
}

/** CPU time (user + system) the process `pid` has used so far, in ms, from /proc/PID/stat. */
export function processCpuMs(pid: number): number {
  const t = processTimesMs(pid);
  return t.userMs + t.systemMs;
}

/**
 * User and system CPU time of `pid` so far, in ms. User time is the process's own work; system
 * time also grows with contention for the cores (wake-ups, lock spinning), so on a shared machine
 * the user figure is the steadier one to compare.
 */
export function processTimesMs(pid: number): { userMs: number; systemMs: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { userMs: (Number(rest[11]) * 1000) / CLOCK_TICKS_PER_SEC, systemMs: (Number(rest[12]) * 1000) / CLOCK_TICKS_PER_SEC };
}

/** Linux's USER_HZ: /proc times are in these ticks (100 on every mainstream kernel). */
const CLOCK_TICKS_PER_SEC = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim() || 100);

/** `host`: a supervisor of several nodes, ready (with its seed's port) once it says "host ready". */
async function startServerProcess(args: string[], host = false): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), 'strato-bench-'));
  // BENCH_NODE_FLAGS: node flags for the server process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  // (--cpu-prof is not allowed in NODE_OPTIONS)
  const nodeFlags = process.env['BENCH_NODE_FLAGS']?.split(' ').filter(Boolean) ?? [];
  const proc = spawn(process.execPath, [...nodeFlags, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('strato did not start: ' + out)), host ? 60000 : 15000);
    const on = (d: Buffer) => {
      out += d.toString();
      const m = host ? /host ready: .* seed [^\s:]+:(\d+)/.exec(out) : /listening on [^\s:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stderr!.on('data', on);
    proc.stdout!.on('data', on);
  });
  return {
    port,
    pid: proc.pid!,
    stop: () =>
      new Promise((r) => {
        proc.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          r();
        });
        proc.kill('SIGTERM');
      }),
  };
}
