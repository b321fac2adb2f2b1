/**
 * node:test reporter that prints, once the run ends, the test files that took longest (the sum of
 * their top-level tests' and suites' durations, which is what the file's process spent running
 * tests; module loading is not included). Used next to the spec reporter by scripts/run-tests.mjs.
 * STRATO_SLOWEST_FILES sets how many lines (default 10). With STRATO_TEST_DURATIONS_WRITE=1 it
 * also rewrites scripts/test-durations.json (seconds per file, by its path under dist/), which
 * scripts/run-tests.mjs reads to start the longest files first.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SHOWN = Number(process.env.STRATO_SLOWEST_FILES ?? 10);

export default async function* slowestFiles(source) {
  /** file path → milliseconds of top-level tests */
  const byFile = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    // A file that failed as a whole (a timeout, a crash) is reported once more at nesting 0 under its
    // own path as the name, with the file's whole duration: keep that one rather than adding it.
    if (data.nesting !== 0 || data.file === undefined) continue;
    const ms = data.details?.duration_ms ?? 0;
    const key = relative(process.cwd(), data.file);
    if (data.name === data.file) byFile.set(key, Math.max(byFile.get(key) ?? 0, ms));
    else byFile.set(key, (byFile.get(key) ?? 0) + ms);
  }
  const rows = [...byFile].sort((a, b) => b[1] - a[1]).slice(0, SHOWN);
  if (rows.length === 0) return;
  if (process.env.STRATO_TEST_DURATIONS_WRITE === '1') writeDurations(byFile);
  const total = [...byFile.values()].reduce((a, b) => a + b, 0);
  yield `\nslowest test files (test time; all ${byFile.size} files: ${(total / 1000).toFixed(1)} s):\n`;
  for (const [file, ms] of rows) yield `  ${(ms / 1000).toFixed(1).padStart(7)} s  ${file}\n`;
}

/**
 * Updates scripts/test-durations.json with this run's per-file times (a run of some files keeps
 * the others' entries; a file whose test source is gone is dropped), longest first.
 */
function writeDurations(byFile) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const path = join(root, 'scripts', 'test-durations.json');
  let known = {};
  try {
    known = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    // first list
  }
  for (const [file, ms] of byFile) known[relative(join(root, 'dist'), join(process.cwd(), file))] = Math.round(ms / 100) / 10;
  const kept = Object.entries(known).filter(([file]) => existsSync(join(root, file.replace(/\.js$/, '.ts'))));
  writeFileSync(path, `${JSON.stringify(Object.fromEntries(kept.sort((a, b) => b[1] - a[1])), null, 2)}\n`);
}
