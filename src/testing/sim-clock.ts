/**
 * Simulated time for cluster logic: a discrete-event `ClusterClock` whose time only moves when the
 * test runs events, so a run with the same seed replays exactly.
 */
import type { ClusterClock, TimerHandle } from '../cluster/clock.js';

interface SimEvent {
  readonly atMs: number;
  /** tie-breaker: events due at the same ms run in the order they were scheduled */
  readonly seq: number;
  readonly handle: TimerHandle;
  fn: (() => void) | undefined;
}

/**
 * A discrete-event clock. `runUntil`/`runFor` execute due events in (time, scheduling order);
 * nothing runs on its own. The event count per run is bounded so a livelock in the code under
 * test fails loudly instead of hanging the test.
 */
export class SimClock implements ClusterClock {
  private now: number;
  private seq = 0;
  private readonly heap: SimEvent[] = [];
  private readonly live = new Map<TimerHandle, SimEvent>();
  /** events executed since construction (for budgets and reports) */
  eventsRun = 0;

  constructor(startMs = 0) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    if (!Number.isFinite(delayMs)) throw new RangeError(`timer delay ${delayMs}`);
    const handle = ++this.seq;
    const ev: SimEvent = { atMs: this.now + Math.max(0, delayMs), seq: handle, handle, fn };
    this.live.set(handle, ev);
    this.push(ev);
    return handle;
  }

  clearTimer(handle: TimerHandle): void {
    const ev = this.live.get(handle);
    if (ev === undefined) return;
    ev.fn = undefined; // lazily removed when it reaches the top of the heap
    this.live.delete(handle);
  }

  /** Number of scheduled, not yet run, not cancelled events. */
  get pending(): number {
    return this.live.size;
  }

  /** Time of the next live event, or undefined when idle. */
  nextEventMs(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.atMs;
  }

  /**
   * Runs every event due at or before `untilMs`, then sets the time to `untilMs`.
   * Throws when more than `maxEvents` run (a livelock guard).
   */
  runUntil(untilMs: number, maxEvents = 10_000_000): number {
    if (untilMs < this.now) throw new RangeError(`cannot run backwards: ${untilMs} < ${this.now}`);
    let ran = 0;
    for (;;) {
      this.dropCancelled();
      const top = this.heap[0];
      if (top === undefined || top.atMs > untilMs) break;
      this.pop();
      this.live.delete(top.handle);
      this.now = top.atMs;
      const fn = top.fn!;
      top.fn = undefined;
      fn();
      ran++;
      this.eventsRun++;
      if (ran > maxEvents) throw new Error(`SimClock: more than ${maxEvents} events before ${untilMs} ms (livelock?)`);
    }
    this.now = untilMs;
    return ran;
  }

  /** `runUntil(now + durationMs)`. */
  runFor(durationMs: number, maxEvents?: number): number {
    return this.runUntil(this.now + durationMs, maxEvents);
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.fn === undefined) this.pop();
  }

  private push(ev: SimEvent): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}
