/**
 * System metadata as cluster members exchange it: UDF modules, truncation points, secondary index
 * definitions (versioned items, smd-items.ts) and (security on) users and roles (SecItem). Both
 * kinds carry a stamp per item and tombstones for removed ones: the later change wins, and a
 * removal made while a member was away stays removed when it comes back. A local change goes to
 * the other members at once through the acknowledged SMD delivery (src/cluster/runtime/
 * smd-delivery.ts), everything at each new cluster.
 */
import { applyTruncateEntries, truncate, truncateEntries, truncateUndo } from '../namespace/truncate.js';
import type { Namespace } from '../namespace/namespace.js';
import type { UdfRegistry } from '../udf/index.js';
import type { SindexCatalog } from '../sindex/catalog.js';
import { defKey } from '../sindex/definition.js';
import type { SecItem } from '../security/store.js';
import { SmdItems, type SmdItem, type SmdModuleAdapter } from './smd-items.js';

interface SmdSnapshot {
  /** UDF modules, sindex definitions and truncation points (SmdItem), tombstones included */
  items?: unknown[];
  /** users and roles (SecItem), tombstones included */
  security?: unknown[];
}

/** The item modules and the info commands whose success changes them. */
export const SMD_MODULE_OF_INFO: ReadonlyMap<string, string> = new Map([
  ['udf-put', 'udf'],
  ['udf-remove', 'udf'],
  ['sindex-create', 'sindex'],
  ['sindex-delete', 'sindex'],
  ['truncate', 'truncate'],
  ['truncate-namespace', 'truncate'],
  ['truncate-undo', 'truncate'],
  ['truncate-namespace-undo', 'truncate'],
]);

/** The message that carries local user/role changes to the other members (a partial snapshot). */
export function securitySmd(items: readonly SecItem[]): Buffer {
  const snapshot: SmdSnapshot = { security: [...items] };
  return Buffer.from(JSON.stringify(snapshot));
}

/** The message that carries local UDF/sindex/truncate changes to the other members. */
export function itemsSmd(items: readonly SmdItem[]): Buffer {
  const snapshot: SmdSnapshot = { items: [...items] };
  return Buffer.from(JSON.stringify(snapshot));
}

/** Everything a node holds, for the members of a new cluster. */
export function smdSnapshot(items: SmdItems, security: readonly SecItem[] | undefined): Buffer {
  const snapshot: SmdSnapshot = { items: items.items(), security: security ? [...security] : undefined };
  return Buffer.from(JSON.stringify(snapshot));
}

/** Merges another member's (partial) snapshot; throws on bytes that are not one. */
export function applySmd(items: SmdItems, bytes: Buffer, mergeSecurity: (items: unknown[]) => void): void {
  const smd = JSON.parse(bytes.toString('utf8')) as SmdSnapshot;
  if (Array.isArray(smd.items)) items.merge(smd.items);
  // a member without security sends none; one with it and this node without: nothing to merge into
  if (Array.isArray(smd.security)) mergeSecurity(smd.security);
}

export interface SmdRegistries {
  udf: UdfRegistry;
  sindexes: SindexCatalog;
  namespaces: () => Iterable<Namespace>;
  /** saves the truncation points after a merge changed them */
  persistTruncation: () => void;
  /** compile a received UDF module before installing it (needs the Lua runtime loaded) */
  validateUdfs: boolean;
}

/** The item table over a node's UDF registry, sindex catalog and namespaces. */
export function makeSmdItems(r: SmdRegistries, nodeId: string, nowMs: () => number): SmdItems {
  const udf: SmdModuleAdapter = {
    module: 'udf',
    current: () => new Map(r.udf.list().map((m) => [m.name, m.content64])),
    put(key, value) {
      if (typeof value !== 'string') return false;
      // the sender validated it when it was registered; a module that fails here is refused
      if (r.validateUdfs && r.udf.validate(key, Buffer.from(value, 'base64')) !== undefined) return false;
      r.udf.put(key, value);
      return true;
    },
    remove: (key) => r.udf.remove(key),
  };
  const sindex: SmdModuleAdapter = {
    module: 'sindex',
    current: () => new Map(r.sindexes.definitions().map((d) => [defKey(d), d])),
    put(key, value) {
      r.sindexes.merge([value]);
      return r.sindexes.definitions().some((d) => defKey(d) === key);
    },
    remove: (key) => void r.sindexes.dropByKey(key),
  };
  const findNs = (name: string): Namespace | undefined => [...r.namespaces()].find((n) => n.name === name);
  const splitKey = (key: string): [string, string | undefined] => {
    const bar = key.indexOf('|');
    return bar < 0 ? [key, undefined] : [key.slice(0, bar), key.slice(bar + 1)];
  };
  const trunc: SmdModuleAdapter = {
    module: 'truncate',
    current: () => new Map([...r.namespaces()].flatMap((ns) => truncateEntries(ns)).map((e) => [e.set === undefined ? e.ns : `${e.ns}|${e.set}`, e.lutMs])),
    put(key, value) {
      const [nsName, set] = splitKey(key);
      const ns = findNs(nsName);
      if (!ns || typeof value !== 'number' || !Number.isFinite(value)) return false;
      // a cut already past here is reclaimed at once; one ahead of this clock still hides records
      if (value <= ns.clock.nowMs()) truncate(ns, set, value);
      else applyTruncateEntries(ns, [set === undefined ? { ns: nsName, lutMs: value } : { ns: nsName, set, lutMs: value }]);
      r.persistTruncation();
      return true;
    },
    remove(key) {
      const [nsName, set] = splitKey(key);
      const ns = findNs(nsName);
      if (!ns) return;
      truncateUndo(ns, set);
      r.persistTruncation();
    },
  };
  return new SmdItems([udf, sindex, trunc], nodeId, nowMs);
}
