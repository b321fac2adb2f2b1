#!/usr/bin/env node
/**
 * Removes compiled files in dist/ whose TypeScript source no longer exists. tsc only ever adds and
 * overwrites: a module moved or deleted in src/ would otherwise stay in dist/src/ and be shipped
 * by `npm pack`, or still be importable by a stale path. Runs before every build (npm run build,
 * prepare, test, bench); cheap (one directory walk, a stat per file).
 */
import { existsSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');

/** The source a compiled file came from: x.js and x.js.map both come from x.ts. */
function sourceOf(compiled) {
  const rel = relative(DIST, compiled);
  return join(ROOT, rel.replace(/\.js(\.map)?$/, '.ts'));
}

/** Walks `dir`, removing stale compiled files; returns how many were removed. */
function prune(dir) {
  let removed = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      removed += prune(full);
      if (readdirSync(full).length === 0) rmdirSync(full);
    } else if (/\.js(\.map)?$/.test(entry.name) && !existsSync(sourceOf(full))) {
      rmSync(full);
      removed++;
    }
  }
  return removed;
}

if (existsSync(DIST)) {
  const removed = prune(DIST);
  if (removed > 0) process.stderr.write(`prune-dist: removed ${removed} compiled file(s) whose source is gone\n`);
}
