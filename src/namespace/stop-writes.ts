/**
 * Stop-writes guards: when a namespace's storage, its indexes' memory (`indexes-memory-budget`:
 * primary plus secondary index bytes) or the machine's memory is too full, client
 * writes are refused (OUT_OF_SPACE) while deletes, replica and migration writes continue. The
 * state is re-evaluated at most every CHECK_INTERVAL_MS and logged when it trips and clears.
 */
import { freemem, totalmem } from 'node:os';
import type { StorageEngine } from '../storage/storage-engine.js';
import type { Clock } from '../util/clock.js';
import { logger } from '../util/log.js';

const CHECK_INTERVAL_MS = 1000;

/** Storage engines that have their own limits (device: available/used pct) expose this. */
export interface StopWritesSource {
  stopWritesReason?(): string | undefined;
}

/**
 * What the guard reads of the namespace it guards. Not the Namespace class itself: the namespace
 * owns its guard, and naming the class here would make the two modules import each other.
 */
export interface StopWritesSubject {
  readonly name: string;
  readonly settings: {
    readonly stopWritesUsedPct: number;
    readonly stopWritesSysMemoryPct: number;
    readonly indexesMemoryBudget?: number;
  };
  readonly storage: StorageEngine;
  readonly clock: Clock;
  /** primary + secondary index bytes, compared with `indexes-memory-budget` */
  indexesMemoryBytes(): number;
}

export class StopWritesGuard {
  private reason: string | undefined;
  private checkedAtMs = -Infinity;
  /** when it last tripped (Unix ms), for statistics */
  trippedAtMs = 0;

  constructor(private readonly ns: StopWritesSubject) {}

  /**
   * The limit currently tripped, or undefined when writes are allowed. `nowMs`: the node clock's
   * time when the caller already read it this turn (a write reads the clock once: Date.now is a
   * runtime call, ~70 ns).
   */
  current(nowMs?: number): string | undefined {
    const now = nowMs ?? this.ns.clock.nowMs();
    if (now - this.checkedAtMs < CHECK_INTERVAL_MS && now >= this.checkedAtMs) return this.reason;
    this.checkedAtMs = now;
    return this.evaluate();
  }

  /** Forces a re-check (after a config change, or in tests). */
  evaluate(): string | undefined {
    const s = this.ns.settings;
    const st = this.ns.storage.stats();
    let reason: string | undefined;
    const engine = this.ns.storage as StopWritesSource;
    const usedPct = st.totalBytes > 0 ? (st.usedBytes * 100) / st.totalBytes : 0;
    if (engine.stopWritesReason) reason = engine.stopWritesReason();
    // Aerospike: the budget doubles as a stop-writes trigger at 100% (strictly above it)
    const budget = s.indexesMemoryBudget ?? 0;
    if (!reason && budget > 0) {
      const used = this.ns.indexesMemoryBytes();
      if (used > budget) reason = `indexes-memory (${used} > indexes-memory-budget ${budget})`;
    }
    if (!reason && s.stopWritesUsedPct > 0 && usedPct >= s.stopWritesUsedPct) {
      reason = `stop-writes-used-pct (${usedPct.toFixed(1)}% >= ${s.stopWritesUsedPct}%)`;
    }
    if (!reason && s.stopWritesSysMemoryPct > 0) {
      const sysUsedPct = ((totalmem() - freemem()) * 100) / totalmem();
      if (sysUsedPct >= s.stopWritesSysMemoryPct) {
        reason = `stop-writes-sys-memory-pct (${sysUsedPct.toFixed(1)}% >= ${s.stopWritesSysMemoryPct}%)`;
      }
    }
    if (reason !== this.reason) {
      const log = logger.context('namespace', 'stop-writes.ts');
      if (reason) {
        this.trippedAtMs = this.ns.clock.nowMs();
        log.warning(`{${this.ns.name}} breached stop-writes limit: ${reason}`);
      } else log.info(`{${this.ns.name}} stop-writes cleared`);
      this.reason = reason;
    }
    this.checkedAtMs = this.ns.clock.nowMs();
    return reason;
  }
}
