/**
 * Where things are, for tests in any folder under test/: computed from this file's own place
 * (dist/test/helpers once compiled), so moving a test between folders changes nothing here.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/test/helpers → the repository root (holds package.json, bin/, test/fixtures). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The compiled tree (dist/src, dist/test). */
export const DIST = join(ROOT, 'dist');
/** Data files the tests read (test/fixtures is not compiled; read from the source tree). */
export const FIXTURES = join(ROOT, 'test', 'fixtures');
/**
 * The exchanges recorded against a real Aerospike 8.1.2 server (requests, answers, the Lua modules
 * they register; format in its README.md), copied into the repository so tests replay them anywhere.
 */
export const CORPUS = join(FIXTURES, 'corpus');
