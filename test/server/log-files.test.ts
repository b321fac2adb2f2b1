/** Log files: written without blocking, reopened on SIGHUP for logrotate, flushed on exit; --version. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { startStrato, STRATO_BIN } from '../helpers/strato-process.js';
import { infoFrame, rawExchange } from '../helpers/raw-client.js';

const CONFIG = `logging {
  console {
    context any info
  }
  file \${DIR}/strato.log {
    context any info
  }
}
network {
  service {
    address 127.0.0.1
    port 3000
  }
}
namespace test {
  replication-factor 1
  storage-engine memory {
    data-size 64M
  }
}
`;

/** Polls a file until it matches, bounded by `ms` (the node writes its log asynchronously). */
async function waitForFile(path: string, pattern: RegExp, ms = 10000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`${path} never matched ${pattern}; it holds:\n${text}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('SIGHUP reopens the log file: lines after a rotation go to a new file at the configured path', async () => {
  const s = await startStrato({ config: CONFIG });
  try {
    const log = join(s.dir, 'strato.log');
    await waitForFile(log, /service ready: listening on/);
    renameSync(log, `${log}.1`);
    s.proc.kill('SIGHUP');
    const fresh = await waitForFile(log, /SIGHUP received: log files reopened/);
    assert.doesNotMatch(fresh, /starting/, 'the start banner stays in the rotated file');
    assert.match(readFileSync(`${log}.1`, 'utf8'), /Strato \d+\.\d+\.\d+ \(Aerospike-compatible\) starting/);
    // the node keeps serving after the signal (Node's default SIGHUP action would end it)
    const r = await rawExchange(s.port, infoFrame(['status']));
    assert.equal(r.received.subarray(8).toString(), 'status\tok\n');
  } finally {
    await s.stop('SIGKILL');
  }
});

test('the last lines before a clean exit reach the log file', async () => {
  const s = await startStrato({ config: CONFIG });
  let text = '';
  try {
    const log = join(s.dir, 'strato.log');
    await waitForFile(log, /service ready/);
    // keep the directory: stop() removes it, so read the file from the exit handler's result
    const exited = new Promise<void>((resolve) => s.proc.once('exit', () => {
      text = readFileSync(log, 'utf8');
      resolve();
    }));
    s.proc.kill('SIGTERM');
    await exited;
  } finally {
    await s.stop('SIGKILL');
  }
  assert.match(text, /finished clean shutdown - exiting/);
});

test('strato --version prints the package version and exits 0', async () => {
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [STRATO_BIN, '--version'], { timeout: 10000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(out.trim(), `strato ${pkg.version} (answers as Aerospike Community Edition 8.1.2.0)`);
});
