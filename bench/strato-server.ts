/** Starts a strato node for a benchmark (temp working dir, port 0) and stops it by PID. */
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const HERE = dirname(fileURLToPath(import.meta.url));
const STRATO = join(HERE, '..', '..', 'bin', 'strato.js');

export interface BenchServer {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export async function startBenchServer(extraArgs: string[] = []): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), 'strato-bench-'));
  const proc = spawn(process.execPath, [STRATO, '--port', '0', '--nodes-per-host', '1', ...extraArgs], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('strato did not start: ' + out)), 15000);
    const on = (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^\s:]+:(\d+)/.exec(out);
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
