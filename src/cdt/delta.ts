/**
 * Increment arithmetic for list/map INCREMENT and DECREMENT (server: cdt_calc_delta). The result
 * keeps the type of the element being incremented: an integer element plus a double delta adds the
 * delta truncated toward zero; a double element plus an integer delta adds it as a double. Integer
 * arithmetic wraps at 64 bits.
 */
import type { AsValue } from '../protocol/msgpack.js';
import { badParam, INT64_MIN } from './constants.js';

/** Parses the delta argument: integer, double, nil or absent (both mean 1). */
export function parseDelta(delta: AsValue | undefined, decrement: boolean): { int: bigint; dbl: number; isDouble: boolean } {
  let int = 1n;
  let dbl = 1;
  let isDouble = false;
  if (delta !== undefined && delta !== null) {
    if (typeof delta === 'bigint') int = delta;
    else if (typeof delta === 'number') {
      dbl = delta;
      isDouble = true;
    } else badParam('delta is not a number');
  }
  if (decrement) {
    int = BigInt.asIntN(64, -int);
    dbl = -dbl;
  }
  return { int, dbl, isDouble };
}

/** Truncates a double to int64 the way a C cast does on x86 (out of range gives INT64_MIN). */
function doubleToInt64(d: number): bigint {
  if (!Number.isFinite(d) || d >= 9223372036854775808 || d < -9223372036854775808) return INT64_MIN;
  return BigInt(Math.trunc(d));
}

/**
 * Adds the delta to `current` (undefined = element absent) and returns the new element value.
 * Throws PARAMETER when the element is not a number.
 */
export function applyDelta(current: AsValue | undefined, delta: { int: bigint; dbl: number; isDouble: boolean }): bigint | number {
  if (current === undefined) return delta.isDouble ? delta.dbl : delta.int;
  if (typeof current === 'bigint') {
    return BigInt.asIntN(64, current + (delta.isDouble ? doubleToInt64(delta.dbl) : delta.int));
  }
  if (typeof current === 'number') return current + (delta.isDouble ? delta.dbl : Number(delta.int));
  badParam('element is not a number');
}
