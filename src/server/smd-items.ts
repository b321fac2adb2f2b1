/**
 * Versioned system-metadata items for the modules Aerospike keeps in SMD besides security: UDF
 * modules, secondary index definitions and truncation points. Each item (module, key) carries the
 * stamp of its last change (the same Stamp users and roles carry) and, once removed, stays as a
 * tombstone: a merge applies an item only when its stamp is later than this node's, so the later
 * change wins and a UDF or sindex removed while a member was away does not come back from it.
 *
 * The table does not own the data: each module is an adapter over the node's own registry
 * (UdfRegistry, SindexCatalog, the namespaces' truncation points). After a local change the table
 * compares the registry with what it recorded and stamps the difference (`noteLocal`), which goes
 * out through the acknowledged SMD delivery; `merge` applies another member's items.
 * Tombstones live in memory (bounded by SMD_TOMBSTONES_MAX): a member restarted from disk holds
 * its items at FIRST_START_STAMP, below any change, so the others' tombstones still win.
 */
import { FIRST_START_STAMP, laterStamp, type Stamp } from '../security/store.js';

/** Tombstones kept per module; beyond it the oldest are forgotten. */
export const SMD_TOMBSTONES_MAX = 10_000;

/** One item as members exchange it; no `value`: removed at `stamp` (a tombstone). */
export interface SmdItem {
  module: string;
  key: string;
  stamp: Stamp;
  value?: unknown;
}

/** A registry as the item table sees it. */
export interface SmdModuleAdapter {
  readonly module: string;
  /** the items the registry holds now: key → value (JSON-serialisable) */
  current(): Map<string, unknown>;
  /** installs or replaces an item received from a member; false when refused */
  put(key: string, value: unknown): boolean;
  /** removes an item a member removed */
  remove(key: string): void;
}

interface Entry {
  stamp: Stamp;
  /** JSON of the value; undefined for a tombstone */
  json: string | undefined;
  value?: unknown;
}

export class SmdItems {
  private readonly tables = new Map<string, Map<string, Entry>>();
  private readonly adapters = new Map<string, SmdModuleAdapter>();

  constructor(
    adapters: readonly SmdModuleAdapter[],
    private readonly nodeId: string,
    private readonly nowMs: () => number,
  ) {
    for (const a of adapters) {
      this.adapters.set(a.module, a);
      this.tables.set(a.module, new Map());
      // what the registries hold already was loaded from disk: below any change made since
      this.adoptUnseen(a.module);
    }
  }

  /**
   * Records what the registries hold that the table has not seen (loaded from disk at start) at
   * FIRST_START_STAMP, below any change made in the cluster. Not called by noteLocal, which stamps
   * everything it has not seen as a change made now.
   */
  private adoptUnseen(module: string): void {
    const table = this.tables.get(module)!;
    for (const [key, value] of this.adapters.get(module)!.current()) {
      if (!table.has(key)) table.set(key, { stamp: FIRST_START_STAMP, json: JSON.stringify(value), value });
    }
  }

  /**
   * Stamps what changed locally in `module` since the table last looked (added, replaced or
   * removed items); returns those items, to send to the other members.
   */
  noteLocal(module: string): SmdItem[] {
    const adapter = this.adapters.get(module);
    if (!adapter) return [];
    const table = this.tables.get(module)!;
    const now = adapter.current();
    const out: SmdItem[] = [];
    const stampAbove = (prev: Stamp | undefined): Stamp => ({ t: Math.max(Math.floor(this.nowMs()), prev ? prev.t + 1 : 0), n: this.nodeId });
    for (const [key, value] of now) {
      const json = JSON.stringify(value);
      const cur = table.get(key);
      if (cur?.json === json) continue;
      const stamp = stampAbove(cur?.stamp);
      table.set(key, { stamp, json, value });
      out.push({ module, key, stamp, value });
    }
    for (const [key, cur] of table) {
      if (cur.json === undefined || now.has(key)) continue;
      const stamp = stampAbove(cur.stamp);
      table.set(key, { stamp, json: undefined });
      out.push({ module, key, stamp });
    }
    this.boundTombstones(table);
    return out;
  }

  /** Every item of every module, tombstones included (what a new cluster's members exchange). */
  items(): SmdItem[] {
    const out: SmdItem[] = [];
    for (const [module, table] of this.tables) {
      this.adoptUnseen(module);
      for (const [key, e] of table) out.push(e.json === undefined ? { module, key, stamp: e.stamp } : { module, key, stamp: e.stamp, value: e.value });
    }
    return out;
  }

  /** Applies another member's items whose stamps are later than this node's; skips malformed ones. */
  merge(items: unknown[]): void {
    for (const raw of items) {
      const it = raw as Partial<SmdItem> | null;
      if (typeof it?.module !== 'string' || typeof it.key !== 'string' || typeof it.stamp?.t !== 'number' || typeof it.stamp.n !== 'string') continue;
      const adapter = this.adapters.get(it.module);
      if (!adapter) continue;
      this.adoptUnseen(it.module);
      const table = this.tables.get(it.module)!;
      const cur = table.get(it.key);
      if (cur && !laterStamp(it.stamp, cur.stamp)) continue;
      const stamp: Stamp = { t: it.stamp.t, n: it.stamp.n };
      if (it.value === undefined) {
        if (cur?.json !== undefined) adapter.remove(it.key);
        table.set(it.key, { stamp, json: undefined });
      } else {
        const json = JSON.stringify(it.value);
        // refused here (invalid, or a name taken by another definition): not recorded, so the
        // later stamp arrives again with the next exchange
        if (cur?.json !== json && !adapter.put(it.key, it.value)) continue;
        table.set(it.key, { stamp, json, value: it.value });
      }
      this.boundTombstones(table);
    }
  }

  private boundTombstones(table: Map<string, Entry>): void {
    let dead = 0;
    for (const e of table.values()) if (e.json === undefined) dead++;
    if (dead <= SMD_TOMBSTONES_MAX) return;
    const oldest = [...table].filter(([, e]) => e.json === undefined).sort(([, a], [, b]) => (laterStamp(a.stamp, b.stamp) ? 1 : -1));
    for (const [key] of oldest.slice(0, dead - SMD_TOMBSTONES_MAX)) table.delete(key);
  }
}
