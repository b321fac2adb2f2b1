/**
 * Truncation: records of a set (or a whole namespace) last updated at or before a cut time vanish
 * for clients at once; their space is reclaimed by a background walk of the index.
 */
import type { Namespace } from './namespace.js';
import { N_PARTITIONS } from '../util/digest.js';

/** Partitions reclaimed per event-loop turn, so a large truncate never stalls requests. */
const PARTITIONS_PER_TURN = 64;

export type TruncateResult = { ok: true } | { ok: false; error: string };

/** A persisted truncation point (SMD module "truncate"). */
export interface TruncateEntry {
  ns: string;
  /** undefined = the whole namespace */
  set?: string;
  lutMs: number;
}

/** The truncation points of a namespace, as stored in SMD. */
export function truncateEntries(ns: Namespace): TruncateEntry[] {
  const out: TruncateEntry[] = [];
  if (ns.sets.namespaceTruncateLutMs > 0) out.push({ ns: ns.name, lutMs: ns.sets.namespaceTruncateLutMs });
  for (const set of ns.sets.all()) if (set.truncateLutMs > 0) out.push({ ns: ns.name, set: set.name, lutMs: set.truncateLutMs });
  return out;
}

/** Re-applies persisted truncation points at startup (records found later by a cold start vanish too). */
export function applyTruncateEntries(ns: Namespace, entries: TruncateEntry[]): void {
  for (const e of entries) {
    if (e.ns !== ns.name) continue;
    if (e.set === undefined) {
      ns.sets.namespaceTruncateLutMs = Math.max(ns.sets.namespaceTruncateLutMs, e.lutMs);
      ns.records.truncated(0, ns.sets.namespaceTruncateLutMs);
    } else {
      const set = ns.sets.create(e.set);
      set.truncateLutMs = Math.max(set.truncateLutMs, e.lutMs);
      ns.records.truncated(set.id, set.truncateLutMs);
    }
  }
}

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
    ns.records.truncated(0, ns.sets.namespaceTruncateLutMs);
  } else {
    const set = ns.sets.create(setName);
    set.truncateLutMs = Math.max(set.truncateLutMs, cut);
    ns.records.truncated(set.id, set.truncateLutMs);
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
      if (ns.isTruncated(id)) ns.records.remove(id, 'truncate');
    }
  }
  if (end < N_PARTITIONS) setImmediate(() => reclaim(ns, end));
}
