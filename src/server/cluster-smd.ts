/**
 * System metadata as cluster members exchange it at each new cluster: UDF modules, truncation
 * points, secondary index definitions and (security on) users and roles. UDFs, truncations and
 * sindexes merge as a union (a module missing here is added, a later truncation point wins), so a
 * node that was away catches up, but a removal made while a member was away can come back from
 * it. Users and roles are versioned item by item (a stamp per name, tombstones for dropped names):
 * the later change wins and a dropped user or role stays dropped. A user/role change is also sent
 * to the other members at once (`securitySmd`).
 */
import { applyTruncateEntries, truncateEntries, type TruncateEntry } from '../namespace/truncate.js';
import type { UdfRegistry } from '../udf/index.js';
import type { StratoNode } from './node.js';
import type { SecItem } from '../security/store.js';

interface SmdSnapshot {
  udfs?: { name: string; content64: string }[];
  truncates?: TruncateEntry[];
  /** secondary index definitions (SindexDef); checked one by one on arrival */
  sindexes?: unknown[];
  /** users and roles (SecItem), tombstones included */
  security?: unknown[];
}

/** The message that carries local user/role changes to the other members (a partial snapshot). */
export function securitySmd(items: readonly SecItem[]): Buffer {
  const snapshot: SmdSnapshot = { security: [...items] };
  return Buffer.from(JSON.stringify(snapshot));
}

export function smdSnapshot(node: StratoNode, udf: UdfRegistry): Buffer {
  const snapshot: SmdSnapshot = {
    udfs: udf.list().map((m) => ({ name: m.name, content64: m.content64 })),
    truncates: [...node.namespaces.values()].flatMap((ns) => truncateEntries(ns)),
    sindexes: node.sindexes.definitions(),
    security: node.securityStore?.items(),
  };
  return Buffer.from(JSON.stringify(snapshot));
}

/** Merges another member's snapshot; throws on bytes that are not one. */
export function applySmd(node: StratoNode, udf: UdfRegistry, bytes: Buffer): void {
  const smd = JSON.parse(bytes.toString('utf8')) as SmdSnapshot;
  for (const m of smd.udfs ?? []) {
    if (typeof m?.name !== 'string' || typeof m.content64 !== 'string' || udf.get(m.name)) continue;
    // the sender validated it when it was registered; a module that fails here is skipped
    if (udf.validate(m.name, Buffer.from(m.content64, 'base64')) === undefined) udf.put(m.name, m.content64);
  }
  if (Array.isArray(smd.sindexes)) node.sindexes.merge(smd.sindexes);
  // a member without security sends none; one with it and this node without: nothing to merge into
  if (Array.isArray(smd.security)) node.securityStore?.merge(smd.security);
  const truncates = (smd.truncates ?? []).filter((e) => typeof e?.ns === 'string' && Number.isFinite(e.lutMs));
  if (truncates.length === 0) return;
  for (const ns of node.namespaces.values()) applyTruncateEntries(ns, truncates);
  node.persistTruncation();
}
