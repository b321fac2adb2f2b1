/**
 * Eviction (run by NSUP): when a namespace's storage use is above its evict mark, remove the
 * evictable records nearest to expiry — at most evict-tenths-pct/10 % of them per round — using a
 * histogram of void-times. Records that never expire (void-time 0) and records of sets with
 * disable-eviction are never evicted.
 */
import type { Namespace } from './namespace.js';
import { N_PARTITIONS } from '../util/digest.js';
import { freemem, totalmem } from 'node:os';

export interface EvictionRound {
  /** void-time at and below which records were evicted (0 = nothing evicted) */
  evictVoidTime: number;
  evicted: number;
}

/** Whether storage use (or the machine's memory use) is above the namespace's evict marks. */
export function evictionNeeded(ns: Namespace): boolean {
  const sysPct = ns.settings.evictSysMemoryPct;
  if (sysPct > 0 && ((totalmem() - freemem()) * 100) / totalmem() > sysPct) return true;
  const pct = ns.settings.evictUsedPct;
  if (pct <= 0) return false;
  const st = ns.storage.stats();
  return st.totalBytes > 0 && (st.usedBytes * 100) / st.totalBytes > pct;
}

function isEvictable(ns: Namespace, id: number, protectedSets: Set<number>): boolean {
  return ns.index.voidTime(id) !== 0 && !protectedSets.has(ns.index.setId(id));
}

/** Runs one eviction round; `buckets` is evict-hist-buckets. */
export function evictRound(ns: Namespace, buckets: number): EvictionRound {
  const nowCl = ns.nowCl();
  const protectedSets = new Set(ns.sets.all().filter((s) => s.settings.disableEviction).map((s) => s.id));
  let evictable = 0;
  let maxVoid = 0;
  for (let p = 0; p < N_PARTITIONS; p++) {
    ns.index.forEachInPartition(p, (id) => {
      if (!isEvictable(ns, id, protectedSets)) return;
      evictable++;
      const v = ns.index.voidTime(id);
      if (v > maxVoid) maxVoid = v;
    });
  }
  if (evictable === 0) return { evictVoidTime: 0, evicted: 0 };
  const target = Math.max(1, Math.ceil((evictable * ns.settings.evictTenthsPct) / 1000));
  // histogram of remaining TTLs: bucket i covers void-times (nowCl + i*width, nowCl + (i+1)*width]
  const span = Math.max(1, maxVoid - nowCl);
  const n = Math.max(1, Math.min(buckets, span));
  const width = Math.ceil(span / n);
  const hist = new Uint32Array(n);
  for (let p = 0; p < N_PARTITIONS; p++) {
    ns.index.forEachInPartition(p, (id) => {
      if (!isEvictable(ns, id, protectedSets)) return;
      const rel = Math.max(0, ns.index.voidTime(id) - nowCl - 1);
      hist[Math.min(n - 1, Math.floor(rel / width))]!++;
    });
  }
  let cumulative = 0;
  let cutBucket = n - 1;
  for (let i = 0; i < n; i++) {
    cumulative += hist[i]!;
    if (cumulative >= target) {
      cutBucket = i;
      break;
    }
  }
  const evictVoidTime = nowCl + (cutBucket + 1) * width;
  let evicted = 0;
  for (let p = 0; p < N_PARTITIONS; p++) {
    for (const id of ns.index.partitionIds(p)) {
      if (isEvictable(ns, id, protectedSets) && ns.index.voidTime(id) <= evictVoidTime) {
        ns.records.remove(id, 'eviction');
        evicted++;
      }
    }
  }
  ns.stats.evictedObjects += evicted;
  ns.stats.evictVoidTime = evictVoidTime;
  return { evictVoidTime, evicted };
}
