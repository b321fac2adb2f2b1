/**
 * Randomness production cluster code needs: a fresh cluster key from the operating system. (The
 * seeded generator of the simulations is src/testing/prng.ts.)
 */
import { randomBytes } from 'node:crypto';

/** A non-zero u64 from the operating system's random source (production cluster keys). */
export function cryptoRandomU64(): bigint {
  for (;;) {
    const v = randomBytes(8).readBigUInt64BE(0);
    if (v !== 0n) return v;
  }
}
