/** Runs one of Strato's command-line tools as a process, the way the security tests drive them. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths.js';

/** Runs one of Strato's tools (bin/<tool>.js) to its end (20 s at most), stdin closed; its exit code and output. */
export function runTool(tool: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [join(ROOT, 'bin', `${tool}.js`), ...args], { timeout: 20_000 }, (e, out, err) => {
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err });
    });
    child.stdin!.end();
  });
}
