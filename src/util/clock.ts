/**
 * Time sources. Everything that ages records or schedules work takes a Clock, so tests can drive
 * time deterministically instead of sleeping.
 */

/** Unix time of the Citrusleaf epoch, 2010-01-01T00:00:00Z, in seconds. */
export const CITRUSLEAF_EPOCH_SEC = 1262304000;

export interface Clock {
  /** Unix time in milliseconds. */
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock offset from another one; lets an operator-visible test hook move a node's time forward. */
export class OffsetClock implements Clock {
  offsetMs = 0;
  constructor(private readonly base: Clock) {}
  nowMs(): number {
    return this.base.nowMs() + this.offsetMs;
  }
}

/** Seconds since the Citrusleaf epoch for a Unix-ms timestamp. */
export function citrusleafSec(unixMs: number): number {
  return Math.floor(unixMs / 1000) - CITRUSLEAF_EPOCH_SEC;
}
