/**
 * Strato's own version, read once from the package.json shipped beside the build, so the banner and
 * `strato --version` show it however the node is started (npm start, npx, node bin/strato.js).
 */
import { readFileSync } from 'node:fs';

/** Strato's package version, or 'unknown' when package.json cannot be read. */
export const STRATO_VERSION: string = readVersion();

function readVersion(): string {
  // dist/src/util/version.js and src/util/version.ts both sit three levels below the package root
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'strato' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}
