/** The strato process: flags, startup messages and graceful shutdown on signals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { startStrato, runStratoExpectingFailure, STRATO_BIN } from '../helpers/strato-process.js';
import { infoFrame, rawExchange } from '../helpers/raw-client.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Longest a test waits for a log line the node writes on its own (the ticker's, each 1 s here). */
const LOG_WAIT_MS = 10_000;

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [STRATO_BIN, ...args], { timeout: 10000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

test('--help prints the usage and exits 0', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.out, /--config-file/);
});

test('an invalid --port stops the start with a message naming the option', async () => {
  const r = await run(['--port', 'abc']);
  assert.equal(r.code, 2);
  assert.match(r.out, /--port must be an integer/);
});

test('an unknown flag stops the start', async () => {
  const r = await run(['--no-such-flag']);
  assert.equal(r.code, 2);
});

test('SIGTERM stops accepting, finishes and exits 0', async () => {
  const s = await startStrato();
  const r = await rawExchange(s.port, infoFrame(['status']));
  assert.equal(r.received.subarray(8).toString(), 'status\tok\n');
  assert.equal(await s.stop('SIGTERM'), 0);
  assert.match(s.output(), /finished clean shutdown/);
});

test('SIGINT exits 0 as well', async () => {
  const s = await startStrato();
  assert.equal(await s.stop('SIGINT'), 0);
});

test('the node logs in Aerospike line style', async () => {
  const s = await startStrato();
  await s.stop();
  assert.match(s.output(), /^[A-Z][a-z]{2} \d{2} \d{4} \d{2}:\d{2}:\d{2} GMT: INFO \(as\): \(start\.ts\) /m);
});

test('a bad config line stops the start with file:line and the reason', async () => {
  const r = await runStratoExpectingFailure('service {\n  cluster-name x\n  no-such-param 1\n}\n');
  assert.equal(r.code, 1);
  assert.match(r.output, /strato\.conf:3: .*no-such-param/);
});

test('a non-zero default-ttl with nsup off refuses to start, saying why', async () => {
  const r = await runStratoExpectingFailure(
    'namespace test {\n  default-ttl 30d\n  storage-engine memory {\n    data-size 64M\n  }\n}\n',
  );
  assert.equal(r.code, 1);
  assert.match(r.output, /nsup-period/);
});

test('a config file with two namespaces serves both and a size like 4G parses', async () => {
  const s = await startStrato({
    config:
      'service {\n  cluster-name two\n}\nnetwork {\n  service {\n    address 127.0.0.1\n    port 3000\n  }\n}\n' +
      'namespace a {\n  nsup-period 10\n  default-ttl 30d\n  storage-engine memory {\n    data-size 4G\n  }\n}\n' +
      'namespace b {\n  storage-engine memory {\n    data-size 64M\n  }\n}\n',
  });
  try {
    const r = await rawExchange(s.port, infoFrame(['namespaces', 'cluster-name']));
    assert.equal(r.received.subarray(8).toString(), 'namespaces\ta;b\ncluster-name\ttwo\n');
  } finally {
    await s.stop();
  }
});

test('a logging file sink receives the log lines, and the ticker reports per-namespace objects', async () => {
  const s = await startStrato({
    config:
      'service {\n  cluster-name logs\n  ticker-interval 1\n}\nlogging {\n  console {\n    context any info\n  }\n  file ${DIR}/strato.log {\n    context any info\n  }\n}\n' +
      'network {\n  service {\n    address 127.0.0.1\n    port 3000\n  }\n}\nnamespace test {\n  nsup-period 60\n  storage-engine memory {\n    data-size 64M\n  }\n}\n',
  });
  try {
    // the first ticker line comes one interval (1 s) after the start: read the file until it is there
    // (bounded) rather than sleeping a fixed time
    const ticked = /\{test\} data-usage: used-bytes/;
    const deadline = Date.now() + LOG_WAIT_MS;
    let log = '';
    while (!ticked.test(log) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      log = existsSync(join(s.dir, 'strato.log')) ? readFileSync(join(s.dir, 'strato.log'), 'utf8') : '';
    }
    assert.match(log, /GMT: INFO \(as\): \(start\.ts\) service ready/);
    assert.match(log, /\{test\} objects: all 0 master 0 prole 0/);
    assert.match(log, /\{test\} data-usage: used-bytes 0/);
  } finally {
    await s.stop();
  }
});
