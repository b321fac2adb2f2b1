/**
 * Truncation: records of a set (or a whole namespace) last updated at or before a cut time vanish
 * for clients at once; their space is reclaimed by a background walk of the index.
 */
import type { Namespace } from './namespace.js';
import { N_PARTITIONS } from '../util/digest.js';

/** Partitions reclaimed per event-loop turn, so a large truncate never stalls requests. */
const PARTITIONS_PER_TURN = 64;

export type TruncateResult = { ok: true } | { ok: false; error: string };

/**
 * Truncates `setName` (or the namespace when undefined) at `lutMs` (Unix ms; default now).
 * Returns an info-style error when the cut lies in the future.
 */
export function truncate(ns: Namespace, setName: string | undefined, lutMs?: number): TruncateResult {
  const nowMs = ns.clock.nowMs();
  const cut = lutMs ?? nowMs;
  if (cut > nowMs) return { ok: false, error: 'ERROR:4:would truncate in the future' };
  if (setName === undefined) {
    ns.sets.namespaceTruncateLutMs = Math.max(ns.sets.namespaceTruncateLutMs, cut);
  } else {
    const set = ns.sets.create(setName);
    set.truncateLutMs = Math.max(set.truncateLutMs, cut);
  }
  reclaim(ns, 0);
  return { ok: true };
}

/** Undoes a truncation that has not been reclaimed yet (records already reclaimed stay gone). */
export function truncateUndo(ns: Namespace, setName: string | undefined): void {
  if (setName === undefined) ns.sets.namespaceTruncateLutMs = 0;
  else {
    const set = ns.sets.getByName(setName);
    if (set) set.truncateLutMs = 0;
  }
}

function reclaim(ns: Namespace, fromPartition: number): void {
  const end = Math.min(N_PARTITIONS, fromPartition + PARTITIONS_PER_TURN);
  for (let p = fromPartition; p < end; p++) {
    for (const id of ns.index.partitionIds(p)) {
      if (ns.isTruncated(id)) ns.removeEntry(id);
    }
  }
  if (end < N_PARTITIONS) setImmediate(() => reclaim(ns, end));
}
