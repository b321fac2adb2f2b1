/**
 * Info commands that exist only when the node runs with STRATO_TEST_HOOKS=1: tests use them to
 * move the node's clock and run the supervisor on demand, so time-based behaviour is tested
 * deterministically instead of with sleeps.
 */
import { runNsupCycle } from '../namespace/nsup.js';
import type { OffsetClock } from '../util/clock.js';
import { infoRegistry } from './info-commands.js';
import type { StratoNode } from './node.js';

export function registerTestHooks(node: StratoNode, clock: OffsetClock): void {
  infoRegistry.set('strato-test-clock', (c) => {
    const advance = c.params.get('advance-sec');
    if (advance !== undefined) {
      if (!/^\d+$/.test(advance)) return 'ERROR:4:bad advance-sec';
      clock.offsetMs += Number(advance) * 1000;
    }
    return String(clock.nowMs());
  });
  infoRegistry.set('strato-test-nsup', (c) => {
    const ns = node.namespace(c.params.get('namespace') ?? '');
    if (!ns) return 'ERROR:20:namespace not found';
    // run synchronously enough for a test: the cycle is awaited by polling namespace stats
    void runNsupCycle(ns);
    return 'ok';
  });
  // the stall bench measures each case on a warm node: forget the delays sampled so far
  infoRegistry.set('strato-test-loop-delay-reset', () => {
    node.loopDelay.reset();
    return 'ok';
  });
}
