/**
 * The long, coverage-guided fuzz run (`npm run fuzz`). Knobs (environment):
 *   FUZZ_SECONDS   total wall time, split evenly over the targets (default 60)
 *   FUZZ_TARGETS   comma-separated target names (default: all)
 *   FUZZ_CRASH_DIR where crashers go as <target>-<hash>.bin + .txt (default fuzz-crashes/)
 *   FUZZ_SEED      PRNG seed (default: time-based; printed so a run can be replayed)
 *   FUZZ_COVERAGE  0 turns coverage guidance off (faster, blind mutation)
 * Exits 1 when any target crashed. Add a crasher to test/fixtures/fuzz/<target>/ once it is fixed:
 * the seeds are replayed by every `npm test`.
 */
import { join } from 'node:path';
import { FIXTURES, ROOT } from '../helpers/paths.js';
import { TARGETS } from './targets.js';
import { fuzzTarget, loadSeeds } from './engine.js';

const seconds = Number(process.env.FUZZ_SECONDS ?? 60);
const names = process.env.FUZZ_TARGETS ? process.env.FUZZ_TARGETS.split(',') : TARGETS.map((t) => t.name);
const crashDir = process.env.FUZZ_CRASH_DIR ?? join(ROOT, 'fuzz-crashes');
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 0x7fffffff);
const coverage = process.env.FUZZ_COVERAGE !== '0';
const chosen = TARGETS.filter((t) => names.includes(t.name));
if (chosen.length !== names.length) {
  console.error(`unknown target in FUZZ_TARGETS; known: ${TARGETS.map((t) => t.name).join(', ')}`);
  process.exit(2);
}
console.log(`fuzz: ${chosen.length} targets, ${seconds} s total, seed ${seed}, coverage ${coverage ? 'on' : 'off'}, crashers -> ${crashDir}`);
let crashes = 0;
let execs = 0;
for (const target of chosen) {
  const r = fuzzTarget(target, loadSeeds(join(FIXTURES, 'fuzz', target.name)), {
    iterations: Number.MAX_SAFE_INTEGER,
    timeMs: (seconds * 1000) / chosen.length,
    seed,
    coverage,
    crashDir,
  });
  execs += r.execs;
  crashes += r.crashes.length;
  console.log(
    `${target.name.padEnd(11)} execs ${String(r.execs).padStart(8)}  ${((r.execs * 1000) / r.ms).toFixed(0).padStart(6)}/s  corpus ${String(r.corpus).padStart(5)}  ranges ${String(r.coveredRanges).padStart(6)}  crashes ${r.crashes.length}`,
  );
  for (const c of r.crashes) console.log(`  crash ${c.file ?? ''}\n  ${c.error.split('\n').slice(0, 3).join('\n  ')}`);
}
console.log(`fuzz: ${execs} inputs, ${crashes} distinct crashes`);
process.exit(crashes > 0 ? 1 : 0);
