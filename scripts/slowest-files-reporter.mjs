/**
 * node:test reporter that prints, once the run ends, the test files that took longest (the sum of
 * their top-level tests' and suites' durations, which is what the file's process spent running
 * tests; module loading is not included). Used next to the spec reporter by scripts/run-tests.mjs.
 * STRATO_SLOWEST_FILES sets how many lines (default 10).
 */
import { relative } from 'node:path';

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
  const total = [...byFile.values()].reduce((a, b) => a + b, 0);
  yield `\nslowest test files (test time; all ${byFile.size} files: ${(total / 1000).toFixed(1)} s):\n`;
  for (const [file, ms] of rows) yield `  ${(ms / 1000).toFixed(1).padStart(7)} s  ${file}\n`;
}
