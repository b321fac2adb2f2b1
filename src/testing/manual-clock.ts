/** A `Clock` (util/clock.ts) that only moves when a test tells it to. */
import type { Clock } from '../util/clock.js';

export class ManualClock implements Clock {
  constructor(private ms: number) {}
  nowMs(): number {
    return this.ms;
  }
  advanceMs(deltaMs: number): void {
    this.ms += deltaMs;
  }
}
