/**
 * Parsing and formatting of single config values, shared by the file parser and set-config.
 *
 * Number syntax follows Aerospike's `cf_str_atoi_u64` / `cf_str_atoi_seconds`: decimal digits and
 * an optional one-letter, case-insensitive unit and nothing else - no sign, no spaces, no
 * fractions. Sizes use powers of 1024 (`4G` = 4 * 2^30); Aerospike accepts the same suffixes on
 * plain counts (`proto-fd-max 15K`), so counts go through the same parser.
 */

/** Result of parsing one value: the value, or why it was refused (phrased "must be ..., got ..."). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const fail = <T = never>(reason: string): Parsed<T> => ({ ok: false, reason });

const SIZE_MULTIPLIERS: Record<string, bigint> = {
  k: 1024n,
  m: 1024n ** 2n,
  g: 1024n ** 3n,
  t: 1024n ** 4n,
  p: 1024n ** 5n,
};

const SECOND_MULTIPLIERS: Record<string, bigint> = { s: 1n, m: 60n, h: 3600n, d: 86_400n };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const UINT32_MAX = 0xffff_ffff;

/** Longest numeric token considered; longer ones cannot be valid and are refused before BigInt. */
const MAX_NUMBER_TOKEN_CHARS = 32;

/**
 * Splits `<digits><unit?>`; undefined when the text is not of that shape or the unit is not one
 * of `units` (a map from lower-case unit letter to multiplier).
 */
function scaled(text: string, units: Record<string, bigint>): bigint | undefined {
  if (text.length === 0 || text.length > MAX_NUMBER_TOKEN_CHARS) return undefined;
  const m = /^([0-9]+)([A-Za-z]?)$/.exec(text);
  if (!m) return undefined;
  const digits = BigInt(m[1]!);
  const unit = m[2]!.toLowerCase();
  if (unit === '') return digits;
  const mult = units[unit];
  return mult === undefined ? undefined : digits * mult;
}

/**
 * An unsigned integer with an optional K/M/G/T/P (x1024) suffix, at most 2^53-1.
 * @param what how the expected value is described in the reason
 */
export function parseUnsigned(text: string, what = 'an unsigned integer (optional suffix K, M, G, T or P)'): Parsed<number> {
  const v = scaled(text, SIZE_MULTIPLIERS);
  if (v === undefined) return fail(`must be ${what}, got ${text}`);
  if (v > MAX_SAFE) return fail(`must be at most ${Number.MAX_SAFE_INTEGER}, got ${text}`);
  return ok(Number(v));
}

/** A byte size: digits with an optional K/M/G/T/P (x1024) suffix. */
export function parseSize(text: string): Parsed<number> {
  return parseUnsigned(text, 'a size in bytes with optional suffix K, M, G, T or P');
}

/**
 * A duration in seconds: digits with an optional s/m/h/d suffix, at most 2^32-1 (Aerospike keeps
 * seconds in 32 bits). `-1` is accepted only when `allowNever` (set-level `default-ttl`).
 */
export function parseSeconds(text: string, allowNever = false): Parsed<number> {
  if (allowNever && text === '-1') return ok(-1);
  const v = scaled(text, SECOND_MULTIPLIERS);
  if (v === undefined) {
    return fail(`must be a number of seconds with optional suffix s, m, h or d${allowNever ? ', or -1' : ''}, got ${text}`);
  }
  if (v > BigInt(UINT32_MAX)) return fail(`must be at most ${UINT32_MAX} seconds, got ${text}`);
  return ok(Number(v));
}

/**
 * A signed integer (no suffix), for the few parameters where Aerospike accepts -1.
 */
export function parseSigned(text: string): Parsed<number> {
  if (!/^-?[0-9]{1,15}$/.test(text)) return fail(`must be an integer, got ${text}`);
  return ok(Number(text));
}

/**
 * `true` or `false`. Aerospike's file parser ignores case; its set-config compares exactly, so
 * set-config passes `exact`. (Aerospike's message mentions yes/no but its parser refuses them.)
 */
export function parseBool(text: string, exact = false): Parsed<boolean> {
  const t = exact ? text : text.toLowerCase();
  if (t === 'true') return ok(true);
  if (t === 'false') return ok(false);
  return fail(`must be true or false, got ${text}`);
}

/** A non-zero 64-bit hex number (`node-id`), returned upper-case without leading zeros. */
export function parseNodeId(text: string): Parsed<string> {
  if (!/^[0-9A-Fa-f]{1,16}$/.test(text)) return fail(`must be a 64-bit hex number, got ${text}`);
  const v = BigInt('0x' + text);
  if (v === 0n) return fail(`must be a non-zero hex number, got ${text}`);
  return ok(v.toString(16).toUpperCase());
}

const SIZE_UNIT_NAMES: [string, number][] = [
  ['P', 1024 ** 5],
  ['T', 1024 ** 4],
  ['G', 1024 ** 3],
  ['M', 1024 ** 2],
  ['K', 1024],
];

/** Formats a byte count with the largest unit that divides it exactly: 131072 -> `128K`. */
export function formatSize(bytes: number): string {
  if (bytes === 0) return '0';
  for (const [name, mult] of SIZE_UNIT_NAMES) {
    if (bytes % mult === 0) return `${bytes / mult}${name}`;
  }
  return String(bytes);
}

/** True for 1, 2, 4, 8, ... (0 is not a power of 2). */
export function isPowerOf2(n: number): boolean {
  if (!Number.isSafeInteger(n) || n <= 0) return false;
  const b = BigInt(n);
  return (b & (b - 1n)) === 0n;
}

/** UTF-8 byte length, which is what Aerospike's name limits count. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
