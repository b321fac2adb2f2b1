/**
 * The node's secondary index definitions (Aerospike's `sindex` system-metadata module) and the
 * info commands that manage them: `sindex-create`, `sindex-delete`, `sindex-list`, `sindex-stat`,
 * `sindex-exists` and the legacy `sindex[/<ns>[/<name>]]`. Definitions are keyed by what they
 * index; the value is the name. Definitions naming a namespace this node does not have are kept
 * (Aerospike answers `ok` and stores them) but build nothing.
 *
 * Persistence and cluster spread are the caller's: `onChange` runs after every change (the node
 * saves the list to `<work-directory>/smd/sindex.smd`); `merge` takes another member's list.
 */
import type { Namespace } from '../namespace/namespace.js';
import { compileExpOp, ExpType } from '../expressions/index.js';
import {
  defKey,
  infoParam,
  isSindexDef,
  listEntry,
  MAX_SINDEXES_PER_NAMESPACE,
  parseCreate,
  type SindexDef,
} from './definition.js';
import { NamespaceSindexes } from './namespace-sindexes.js';

/** Aerospike's names of expression result types in sindex-create errors (its particle type names). */
const EXP_TYPE_NAMES: Record<number, string> = {
  [ExpType.NIL]: 'null',
  [ExpType.BOOL]: 'bool',
  [ExpType.INT]: 'numeric',
  [ExpType.STR]: 'string',
  [ExpType.LIST]: 'list',
  [ExpType.MAP]: 'map',
  [ExpType.BLOB]: 'blob',
  [ExpType.FLOAT]: 'float',
  [ExpType.GEO]: 'geo2dsphere',
  [ExpType.HLL]: 'hll',
  [ExpType.REMOVE]: 'null',
};

/** The result type name of an index expression, undefined when the bytes are not an expression. */
function validateExp(bytes: Buffer): string | undefined {
  try {
    return EXP_TYPE_NAMES[compileExpOp(Buffer.concat([Buffer.from([0x91]), bytes])).resultType] ?? 'null';
  } catch {
    return undefined;
  }
}

export class SindexCatalog {
  /** every definition, keyed by defKey, in creation order */
  private readonly defs = new Map<string, SindexDef>();
  private readonly perNs = new Map<string, NamespaceSindexes>();

  constructor(
    namespaces: Iterable<Namespace>,
    private readonly onChange: (defs: SindexDef[]) => void = () => {},
  ) {
    for (const ns of namespaces) this.perNs.set(ns.name, new NamespaceSindexes(ns));
  }

  /** The indexes of a namespace this node has. */
  forNamespace(name: string): NamespaceSindexes | undefined {
    return this.perNs.get(name);
  }

  /** All definitions (what system metadata holds). */
  definitions(): SindexDef[] {
    return [...this.defs.values()];
  }

  /** Installs definitions read from system metadata or received from a cluster member (union). */
  merge(defs: unknown[]): void {
    let changed = false;
    for (const d of defs) {
      if (!isSindexDef(d)) continue;
      const key = defKey(d);
      const cur = this.defs.get(key);
      if (cur && cur.name === d.name) continue;
      // a name taken by another definition here stays: the member that has it will learn ours
      if (!cur && this.findByName(d.ns, d.name)) continue;
      this.install(key, { ...d });
      changed = true;
    }
    if (changed) this.onChange(this.definitions());
  }

  /** Removes the definition with key `key` (defKey) a cluster member deleted; false when absent. */
  dropByKey(key: string): boolean {
    const def = this.defs.get(key);
    if (!def) return false;
    this.defs.delete(key);
    this.perNs.get(def.ns)?.drop(def.name);
    this.onChange(this.definitions());
    return true;
  }

  private findByName(ns: string, name: string): [string, SindexDef] | undefined {
    for (const [k, d] of this.defs) if (d.ns === ns && d.name === name) return [k, d];
    return undefined;
  }

  private install(key: string, def: SindexDef): void {
    const cur = this.defs.get(key);
    if (cur) this.defs.delete(key);
    this.defs.set(key, def);
    const nsIdx = this.perNs.get(def.ns);
    // add() recognises the definition and renames the index, keeping its entries
    nsIdx?.add(def);
  }

  /** `sindex-create:<params>` */
  create(params: string): string {
    const parsed = parseCreate(params, validateExp);
    if (!parsed.ok) return parsed.error;
    const def = parsed.def;
    const key = defKey(def);
    const byName = this.findByName(def.ns, def.name);
    if (byName) {
      if (byName[0] !== key) return "ERROR:200:'indexname' already exists with different definition";
      return 'ok';
    }
    if (!this.defs.has(key)) {
      let n = 0;
      for (const d of this.defs.values()) if (d.ns === def.ns) n++;
      if (n >= MAX_SINDEXES_PER_NAMESPACE) return 'ERROR:206:already at sindex definition limit';
    }
    // an existing definition under a new name is a rename: add() keeps the populated entries
    this.defs.set(key, def);
    this.perNs.get(def.ns)?.add(def);
    this.onChange(this.definitions());
    return 'ok';
  }

  /** `sindex-delete:<params>` */
  delete(params: string): string {
    let out = '';
    let name = infoParam(params, 'indexname');
    // 8.1.2 reports a missing name and then carries on with an empty one (answering `...ok`)
    if (name === undefined) {
      out += "ERROR:4:missing 'indexname'";
      name = '';
    } else if (name === '') {
      out += "ERROR:4:missing 'indexname' value";
    }
    const nsName = infoParam(params, 'namespace') ?? infoParam(params, 'ns');
    if (nsName === undefined) return out + "ERROR:20:missing 'namespace'";
    if (nsName === '') return out + "ERROR:20:missing 'namespace' value";
    const found = this.findByName(nsName, name);
    if (!found) return out + 'ok';
    this.defs.delete(found[0]);
    this.perNs.get(nsName)?.drop(name);
    this.onChange(this.definitions());
    return out + 'ok';
  }

  private state(def: SindexDef): 'RW' | 'WO' {
    const si = this.perNs.get(def.ns)?.get(def.name);
    return si?.readable ? 'RW' : 'WO';
  }

  private listNs(ns: string, b64: boolean): string[] {
    return this.definitions()
      .filter((d) => d.ns === ns)
      .map((d) => listEntry(d, b64, this.state(d)));
  }

  /** `sindex-list[:ns=<ns>][;b64=true]` */
  list(params: string): string {
    const nsName = infoParam(params, 'namespace') ?? infoParam(params, 'ns');
    const b64p = infoParam(params, 'b64');
    let b64 = false;
    if (nsName === '') return "ERROR:20:missing 'namespace' value";
    if (nsName !== undefined && !this.perNs.has(nsName)) return 'ERROR:20:namespace not found on node';
    if (b64p !== undefined) {
      if (b64p === 'true') b64 = true;
      else if (b64p !== 'false') return b64p === '' ? "ERROR:4:missing 'b64' value" : 'ERROR:4:bad b64';
    }
    const names = nsName !== undefined ? [nsName] : [...this.perNs.keys()];
    return names.flatMap((n) => this.listNs(n, b64)).join(';');
  }

  /** `sindex-stat:namespace=<ns>;indexname=<name>` */
  stat(params: string): string {
    let out = '';
    let name = infoParam(params, 'indexname');
    if (name === undefined) {
      out += "ERROR:4:missing 'indexname'";
      name = '';
    }
    const nsName = infoParam(params, 'namespace') ?? infoParam(params, 'ns');
    if (nsName === undefined) return out + "ERROR:20:missing 'namespace'";
    const nsIdx = this.perNs.get(nsName);
    if (!nsIdx) return out + 'ERROR:20:namespace not found on node';
    const si = nsIdx.get(name);
    return out + (si ? si.stats() : 'ERROR:201:no index');
  }

  /** `sindex-exists:namespace=<ns>;indexname=<name>` */
  exists(params: string): string {
    const name = infoParam(params, 'indexname');
    if (name === undefined) return "ERROR:4:missing 'indexname'";
    const nsName = infoParam(params, 'namespace') ?? infoParam(params, 'ns');
    if (nsName === undefined) return "ERROR:20:missing 'namespace'";
    const nsIdx = this.perNs.get(nsName);
    if (!nsIdx) return 'ERROR:20:namespace not found on node';
    return nsIdx.get(name) ? 'true' : 'false';
  }

  /** The deprecated `sindex`, `sindex/<ns>` and `sindex/<ns>/<name>`. */
  legacy(args: string[]): string {
    if (args.length === 0) return [...this.perNs.keys()].flatMap((n) => this.listNs(n, false)).join(';');
    const nsIdx = this.perNs.get(args[0]!);
    if (!nsIdx) return 'ns_type=unknown';
    if (args.length === 1) return this.listNs(args[0]!, false).join(';');
    const si = nsIdx.get(args.slice(1).join('/'));
    return si ? si.stats() : 'ERROR:201:no index';
  }
}
