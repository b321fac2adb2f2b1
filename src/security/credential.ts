/**
 * The credential the official clients send for a password: bcrypt with the clients' fixed salt.
 * Node's crypto has no bcrypt, so this uses bcryptjs (pure JS, maintained, no native build).
 */
import bcrypt from 'bcryptjs';
import { CLIENT_SALT } from './store.js';

/** The client-side hash of `password` (what CREATE_USER, LOGIN and AUTHENTICATE carry). */
export function clientCredential(password: string): string {
  return bcrypt.hashSync(password, CLIENT_SALT);
}
