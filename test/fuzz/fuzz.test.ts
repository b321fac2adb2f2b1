/**
 * A short fuzz run of every parser target inside `npm test`: each target replays its committed
 * seeds (crashers found earlier are kept there as regression inputs) and a bounded number of
 * mutations of them; any error outside the module's documented bad-input type, or an input slower
 * than FUZZ_SLOW_INPUT_MS, fails the test with the input in hex. The long, coverage-guided run is
 * `npm run fuzz`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/paths.js';
import { TARGETS } from './targets.js';
import { fuzzTarget, loadSeeds } from './engine.js';

/** Mutations per target in the short run (bounded again by FUZZ_SHORT_MS). */
const FUZZ_SHORT_ITERATIONS = Number(process.env.FUZZ_SHORT_ITERATIONS ?? 1500);
/** Wall-time bound per target in the short run (ms). */
const FUZZ_SHORT_MS = 1500;

for (const target of TARGETS) {
  test(`the ${target.name} parser throws only its documented error on seeds and ${FUZZ_SHORT_ITERATIONS} mutations of them`, () => {
    const seeds = loadSeeds(join(FIXTURES, 'fuzz', target.name));
    assert.ok(seeds.length > 0, `no seeds under test/fixtures/fuzz/${target.name}`);
    const r = fuzzTarget(target, seeds, { iterations: FUZZ_SHORT_ITERATIONS, timeMs: FUZZ_SHORT_MS, seed: 1, coverage: false });
    assert.ok(r.execs >= seeds.length, 'every seed ran');
    const report = r.crashes.map((c) => `input ${c.input.toString('hex').slice(0, 400)}\n${c.error}`).join('\n\n');
    assert.equal(r.crashes.length, 0, report);
  });
}
