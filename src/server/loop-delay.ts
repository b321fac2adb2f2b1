/**
 * Event-loop delay as node statistics: how long the single JavaScript thread was blocked, sampled
 * by perf_hooks' monitorEventLoopDelay. A request that computes for 50 ms delays every other client
 * by as much, so the largest delay is the number to watch (issue 16.2: no request may block the loop
 * for more than 50 ms).
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Sampling resolution of the event-loop delay histogram, ms (Node's default is 10). */
export const LOOP_DELAY_RESOLUTION_MS = 10;

/** Samples the event loop's delay while started; values in milliseconds. */
export class LoopDelayMonitor {
  private histogram: IntervalHistogram | undefined;

  start(): void {
    if (this.histogram) return;
    this.histogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    this.histogram.enable();
  }

  stop(): void {
    this.histogram?.disable();
    this.histogram = undefined;
  }

  /** Forgets the delays sampled so far (test hook `strato-test-loop-delay-reset`, for the stall bench). */
  reset(): void {
    this.histogram?.reset();
  }

  /**
   * `event_loop_delay_max_ms`, `_p99_ms`, `_mean_ms` since start (or a test-hook reset): the delay beyond
   * the sampling interval, so an idle loop reads about 0.
   */
  statistics(): [string, number][] {
    const h = this.histogram;
    if (!h || h.count === 0) {
      return [
        ['event_loop_delay_max_ms', 0],
        ['event_loop_delay_p99_ms', 0],
        ['event_loop_delay_mean_ms', 0],
      ];
    }
    // the histogram holds (timer fire time - start of the interval) in ns: subtract the interval
    const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - LOOP_DELAY_RESOLUTION_MS) * 10) / 10);
    return [
      ['event_loop_delay_max_ms', ms(h.max)],
      ['event_loop_delay_p99_ms', ms(h.percentile(99))],
      ['event_loop_delay_mean_ms', ms(h.mean)],
    ];
  }
}
