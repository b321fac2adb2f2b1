/**
 * Refusals a node makes on its own (connections past proto-fd-max, malformed frames, requests past
 * a bound) are logged as Aerospike's ticker warnings are: the first at once, then at most one line
 * per kind per {@link REFUSAL_LOG_INTERVAL_MS} carrying how many were suppressed, so a flood of bad
 * input cannot flood the log. Each also counts in a statistic.
 */
import { logger, type ContextLogger } from '../util/log.js';

/** Shortest time between two log lines of one refusal kind, ms. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;

interface KindState {
  lastMs: number;
  suppressed: number;
}

/** Rate-limited warnings, one budget per kind; the clock is a parameter so tests can drive it. */
export class RefusalLog {
  private readonly kinds = new Map<string, KindState>();
  private readonly log: ContextLogger;

  constructor(
    private readonly nowMs: () => number = Date.now,
    log?: ContextLogger,
  ) {
    this.log = log ?? logger.context('service', 'service.ts');
  }

  /** Logs `message` unless a line of `kind` was logged in the last interval (then counts it). */
  warn(kind: string, message: string): void {
    const now = this.nowMs();
    const s = this.kinds.get(kind);
    if (s && now - s.lastMs < REFUSAL_LOG_INTERVAL_MS) {
      s.suppressed++;
      return;
    }
    const repeated = s && s.suppressed > 0 ? ` (repeated:${s.suppressed})` : '';
    this.log.warning(message + repeated);
    if (s) {
      s.lastMs = now;
      s.suppressed = 0;
    } else this.kinds.set(kind, { lastMs: now, suppressed: 0 });
  }
}
