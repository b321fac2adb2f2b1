/**
 * The credential the official clients send for a password: bcrypt with the clients' fixed salt.
 * Node's crypto has no bcrypt, so this uses bcryptjs (pure JS, maintained, no native build).
 */
import { createRequire } from 'node:module';
import { CLIENT_SALT } from './store.js';

/**
 * bcryptjs, required on the first hash: every tool (asinfo, asadm, asbackup, asrestore) imports
 * this module for its optional login, and most runs never log in; loading bcryptjs costs ~10 ms
 * of CPU per process (its CommonJS build by require: 8 ms; an ESM import of it took 12-14 ms).
 */
let bcrypt: typeof import('bcryptjs') | undefined;

/** The client-side hash of `password` (what CREATE_USER, LOGIN and AUTHENTICATE carry). */
export function clientCredential(password: string): string {
  bcrypt ??= createRequire(import.meta.url)('bcryptjs') as typeof import('bcryptjs');
  return bcrypt.hashSync(password, CLIENT_SALT);
}
