/**
 * A short crash loop (the long one is `node dist/bench/crash-loop.js`): a commit-to-device node is
 * killed with SIGKILL under mixed load three times (once during its cold start), restarted each
 * time, and must lose nothing it acknowledged; a torn block is then skipped and reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCrashLoop } from '../../bench/crash-loop.js';

test('repeated kill -9 under writes and durable deletes loses no acknowledged operation and every restart succeeds', async () => {
  const r = await runCrashLoop({ iterations: 3, keys: 200, loadMsMax: 400, concurrency: 8 });
  assert.deepEqual(r.lost, []);
  assert.equal(r.restarts, 3 + 2, 'each kill is followed by a successful start, plus the final and the torn-block start');
  assert.equal(r.killsDuringColdStart, 1);
  assert.ok(r.acknowledged > 0, 'the load ran');
  assert.ok(r.tornBlockSkipped >= 1, `the torn block is skipped and reported: ${r.tornBlockReport}`);
});
