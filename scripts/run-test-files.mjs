#!/usr/bin/env node
/**
 * The test run itself, started by scripts/run-tests.mjs with the test processes' V8 and timeout
 * flags: runs the given test files with node:test's `run()` in the order given (`node --test`
 * sorts its files by name, which would start the longest file last on a 2-core machine), with
 * the spec and slowest-files reporters on stdout. Exits 1 when a test or a file failed.
 *
 * Arguments: <concurrency> <timeout ms> <file>...
 */
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import slowestFiles from './slowest-files-reporter.mjs';

const [concurrency, timeoutMs, ...files] = process.argv.slice(2);
const stream = run({ files, concurrency: Number(concurrency), timeout: Number(timeoutMs) });
let failed = false;
stream.on('test:fail', () => {
  failed = true;
});
// both reporters read every event (node --test wires several --test-reporter options this way)
stream.compose(spec).pipe(process.stdout);
const summary = stream.compose(slowestFiles);
summary.pipe(process.stdout);
summary.on('end', () => {
  process.exitCode = failed ? 1 : 0;
});
