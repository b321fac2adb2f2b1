/**
 * Time for cluster logic. Membership and migrations never read the wall clock or call setTimeout
 * themselves; they take a `ClusterClock`. Production passes `systemClusterClock`; tests and the
 * simulator pass a `SimClock` (src/testing/sim-clock.ts), whose time only moves when the test runs events, so a run with
 * the same seed replays exactly (FoundationDB/TigerBeetle-style deterministic simulation).
 */
import type { Clock } from '../util/clock.js';

/** An opaque handle returned by `setTimer`. */
export type TimerHandle = number;

/** A clock that can also schedule callbacks. */
export interface ClusterClock extends Clock {
  /** Runs `fn` once, `delayMs` (≥ 0) milliseconds of this clock's time from now. */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  /** Cancels a pending timer; unknown or already-run handles are ignored. */
  clearTimer(handle: TimerHandle): void;
}

/** Wall-clock time and Node's timers. Timers are unref'd: heartbeats never keep a process alive. */
export const systemClusterClock: ClusterClock = (() => {
  const timers = new Map<number, NodeJS.Timeout>();
  let nextHandle = 1;
  return {
    nowMs: () => Date.now(),
    setTimer(delayMs: number, fn: () => void): TimerHandle {
      const handle = nextHandle++;
      const t = setTimeout(() => {
        timers.delete(handle);
        fn();
      }, Math.max(0, delayMs));
      t.unref();
      timers.set(handle, t);
      return handle;
    },
    clearTimer(handle: TimerHandle): void {
      const t = timers.get(handle);
      if (t !== undefined) clearTimeout(t);
      timers.delete(handle);
    },
  };
})();
