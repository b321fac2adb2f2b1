/**
 * The namespace supervisor (NSUP): every `nsup-period` seconds it walks the primary index and
 * removes expired records. The walk yields to the event loop between partition groups, so a long
 * cycle never stalls requests; a cycle longer than the period simply runs on.
 */
import type { Namespace } from './namespace.js';
import { N_PARTITIONS } from '../util/digest.js';
import { logger } from '../util/log.js';
import { evictionNeeded, evictRound } from './eviction.js';

/** Partitions processed per event-loop turn. */
const PARTITIONS_PER_TURN = 32;
/** As Aerospike (6.3+): a cycle longer than 2 hours that deletes more than 1% is worth a warning. */
const WARN_CYCLE_MS = 2 * 3600 * 1000;
const WARN_DELETED_PCT = 1;

export interface NsupCycleResult {
  expired: number;
  evicted: number;
  durationMs: number;
  objectsBefore: number;
}

/** Runs one full expiration pass. */
export async function runNsupCycle(ns: Namespace): Promise<NsupCycleResult> {
  const startMs = Date.now();
  const objectsBefore = ns.objects;
  let expired = 0;
  for (let p = 0; p < N_PARTITIONS; p += PARTITIONS_PER_TURN) {
    const nowCl = ns.nowCl();
    const end = Math.min(N_PARTITIONS, p + PARTITIONS_PER_TURN);
    for (let pid = p; pid < end; pid++) {
      for (const id of ns.index.partitionIds(pid)) {
        if (ns.isExpired(id, nowCl)) {
          ns.records.remove(id, 'expiry');
          expired++;
        } else if (ns.isTruncated(id)) ns.records.remove(id, 'truncate');
      }
    }
    if (end < N_PARTITIONS) await new Promise((r) => setImmediate(r));
  }
  let evicted = 0;
  if (evictionNeeded(ns)) evicted = evictRound(ns, ns.settings.evictHistBuckets).evicted;
  ns.stats.nonExpirableObjects = ns.countNonExpirable();
  ns.stopWrites.evaluate();
  const durationMs = Date.now() - startMs;
  ns.stats.nsupCycleDurationMs = durationMs;
  ns.stats.nsupCycleDeletedPct = objectsBefore > 0 ? Math.round((expired * 100) / objectsBefore) : 0;
  return { expired, evicted, durationMs, objectsBefore };
}

/** Starts the supervisor for a namespace; returns a function that stops it. */
export function startNsup(ns: Namespace): () => void {
  const log = logger.context('nsup', 'nsup.ts');
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    const periodSec = ns.settings.nsupPeriodSec;
    // nsup-period 0 means nsup is off; look again later in case set-config turns it on
    timer = setTimeout(cycle, (periodSec > 0 ? periodSec : 1) * 1000);
    timer.unref();
  };
  const cycle = async () => {
    if (ns.settings.nsupPeriodSec > 0) {
      const r = await runNsupCycle(ns);
      log.info(
        `{${ns.name}} nsup-done: non-expirable ${ns.stats.nonExpirableObjects} expired (${ns.stats.expiredObjects},${r.expired}) evicted (${ns.stats.evictedObjects},${r.evicted}) evict-ttl ${ns.stats.evictVoidTime > 0 ? ns.stats.evictVoidTime - ns.nowCl() : 0} total-ms ${r.durationMs}`,
      );
      if (r.durationMs > WARN_CYCLE_MS && ns.stats.nsupCycleDeletedPct > WARN_DELETED_PCT) {
        log.warning(
          `{${ns.name}} nsup cycle took ${r.durationMs} ms and deleted ${ns.stats.nsupCycleDeletedPct}% of the namespace - consider tuning nsup-period and nsup-threads`,
        );
      }
    }
    schedule();
  };
  schedule();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
