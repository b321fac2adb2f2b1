#!/usr/bin/env node
/**
 * `npm test`'s first step: compiles (tsc) and checks the layers (dependency-cruiser, `npm run
 * architecture`) at the same time, as both only read the sources, and fails if either fails.
 * Each one's output is printed once it ends, so the two never interleave.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'node_modules', '.bin');

/** Runs a command in the repository root; resolves with its exit code and output. */
function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (e) => resolve({ code: 1, out: `${out}${e.message}\n` }));
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

const [tsc, architecture] = await Promise.all([
  run(join(BIN, 'tsc'), ['-p', 'tsconfig.json']),
  run('npm', ['run', '--silent', 'architecture']),
]);
process.stdout.write(tsc.out);
process.stdout.write(architecture.out);
if (tsc.code !== 0) console.error(`build-and-check: tsc failed (exit ${tsc.code})`);
if (architecture.code !== 0) console.error(`build-and-check: the architecture check failed (exit ${architecture.code})`);
process.exit(tsc.code !== 0 || architecture.code !== 0 ? 1 : 0);
