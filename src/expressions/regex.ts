/**
 * CMP_REGEX support: POSIX regular expressions as Aerospike compiles them with glibc `regcomp` in
 * the C locale (flags 1 EXTENDED, 2 ICASE, 4 NEWLINE, 8 NOSUB), matched in time linear in the
 * subject by our own automaton ({@link parsePosix} → {@link compileProgram} → {@link programMatches}).
 *
 * Pattern and subject are byte strings that stop at the first NUL (C strings). Only whether a match
 * exists is observable (regexec with no sub-matches). Invalid patterns throw {@link RegexSyntaxError};
 * a back-reference match past its step budget throws {@link RegexBudgetError}.
 */
import { parsePosix, RegexSyntaxError } from './regex-parse.js';
import { compileProgram, programMatches, type RegexProgram } from './regex-vm.js';

export { RegexFlag, RegexSyntaxError, REGEX_DUP_MAX, parsePosix } from './regex-parse.js';
export { RegexBudgetError, REGEX_BACKREF_MAX_STEPS, REGEX_MAX_INSTRUCTIONS, type RegexProgram } from './regex-vm.js';

/**
 * Longest pattern accepted, in bytes (up to the first NUL). Aerospike bounds it only by the
 * expression size; ours is named so that a client cannot make one compile costly.
 */
export const REGEX_PATTERN_MAX_BYTES = 16 * 1024;

/** Compiled patterns kept for reuse across requests (least recently used dropped first). */
export const REGEX_CACHE_MAX_ENTRIES = 256;

/** A compiled pattern. */
export type CompiledRegex = RegexProgram;

const shared = new Map<string, CompiledRegex>();

function cacheGet(key: string): CompiledRegex | undefined {
  const hit = shared.get(key);
  if (hit !== undefined) {
    // move to the back: Map keeps insertion order, the front is the least recently used
    shared.delete(key);
    shared.set(key, hit);
  }
  return hit;
}

function cachePut(key: string, re: CompiledRegex): void {
  if (shared.size >= REGEX_CACHE_MAX_ENTRIES) shared.delete(shared.keys().next().value!);
  shared.set(key, re);
}

/** Converts bytes to a latin1 string, stopping at the first NUL (C string semantics). */
export function bytesToCString(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return Buffer.from(b.buffer, b.byteOffset, nul < 0 ? b.length : nul).toString('latin1');
}

/** Compiles a POSIX pattern given as a latin1 string (one char per byte). No caching. */
export function compilePosix(pattern: string, flags: number): CompiledRegex {
  return compileProgram(parsePosix(pattern, flags));
}

/**
 * Compiles the pattern bytes of a CMP_REGEX op. Results are shared through a bounded LRU cache
 * ({@link REGEX_CACHE_MAX_ENTRIES}) keyed by flags and pattern; the returned program is immutable.
 * Throws RegexSyntaxError for a pattern regcomp refuses or one past our size bounds.
 */
export function compileRegex(pattern: Uint8Array, flags: number): CompiledRegex {
  const src = bytesToCString(pattern);
  if (src.length > REGEX_PATTERN_MAX_BYTES) {
    throw new RegexSyntaxError(`pattern longer than ${REGEX_PATTERN_MAX_BYTES} bytes`);
  }
  // glibc ignores the flag bits it does not know, and NOSUB does not change a yes/no answer
  const key = `${flags & 7}/${src}`;
  const hit = cacheGet(key);
  if (hit) return hit;
  const re = compilePosix(src, flags);
  cachePut(key, re);
  return re;
}

/** regexec(): does the subject (bytes; stops at the first NUL) contain a match? */
export function regexMatches(re: CompiledRegex, subject: Uint8Array): boolean {
  const nul = subject.indexOf(0);
  return programMatches(re, subject, nul < 0 ? subject.length : nul);
}
