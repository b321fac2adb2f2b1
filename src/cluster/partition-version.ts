/**
 * Partition versions: what each node knows about its own copy of each partition, the input that
 * drives migrations (Aerospike's `as_partition_version`, reduced to what AP mode needs).
 *
 * A *lineage* is named by the cluster key under which a working master last made its copy
 * authoritative. `{ ckey: K, subset: false }` claims "this copy holds every record of lineage K";
 * `subset: true` means it may miss some (it was being filled, or it came back from disk after a
 * restart). Two full copies of one lineage are identical (both received every write); copies of
 * different lineages may each hold records the other lacks (split brain) and must be merged.
 * Nothing is ever treated as covered unless a full copy of its lineage is present, so losing
 * track of a version costs an extra merge, never data.
 */
import type { NodeId } from './node-id.js';

export interface PartitionVersion {
  /** cluster key naming the copy's lineage; 0n = this node holds no copy */
  readonly ckey: bigint;
  /** the copy acts (or acted) as working master of its cluster */
  readonly master: boolean;
  /** the copy may lack records of its lineage */
  readonly subset: boolean;
}

export const NULL_VERSION: PartitionVersion = Object.freeze({ ckey: 0n, master: false, subset: false });

/** A full (complete) copy of lineage `ckey`. */
export function fullVersion(ckey: bigint, master = false): PartitionVersion {
  if (ckey === 0n) throw new RangeError('a version needs a non-zero cluster key');
  return Object.freeze({ ckey, master, subset: false });
}

/** A partial copy of lineage `ckey`. */
export function subsetVersion(ckey: bigint, master = false): PartitionVersion {
  if (ckey === 0n) throw new RangeError('a version needs a non-zero cluster key');
  return Object.freeze({ ckey, master, subset: true });
}

export function isNullVersion(v: PartitionVersion): boolean {
  return v.ckey === 0n;
}

/** Short text for logs and test failures: `-`, `K:full`, `K:subset:master` (K in hex). */
export function formatVersion(v: PartitionVersion): string {
  if (isNullVersion(v)) return '-';
  return `${v.ckey.toString(16).toUpperCase()}:${v.subset ? 'subset' : 'full'}${v.master ? ':master' : ''}`;
}

/** A holder of a copy, as planning sees it. */
export interface VersionHolder {
  readonly node: NodeId;
  readonly version: PartitionVersion;
}

/**
 * Versions of one namespace's partitions on every node: one row per node, one entry per
 * partition. Each node writes only its own row in a real cluster; the exchange at cluster
 * formation gives the principal (and every member) all rows of the new cluster's members.
 */
export class PartitionVersionTable {
  private readonly rows = new Map<NodeId, PartitionVersion[]>();

  constructor(readonly nPartitions: number) {
    if (!(Number.isInteger(nPartitions) && nPartitions > 0)) throw new RangeError(`partition count ${nPartitions}`);
  }

  get(node: NodeId, pid: number): PartitionVersion {
    this.checkPid(pid);
    return this.rows.get(node)?.[pid] ?? NULL_VERSION;
  }

  set(node: NodeId, pid: number, v: PartitionVersion): void {
    this.checkPid(pid);
    let row = this.rows.get(node);
    if (row === undefined) {
      if (isNullVersion(v)) return;
      row = new Array<PartitionVersion>(this.nPartitions).fill(NULL_VERSION);
      this.rows.set(node, row);
    }
    row[pid] = v;
  }

  /** Nodes with a row (possibly all null), ascending by id. */
  nodes(): NodeId[] {
    return [...this.rows.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Non-null copies of `pid` among `members` (all nodes when omitted), in the given order. */
  holders(pid: number, members?: Iterable<NodeId>): VersionHolder[] {
    const out: VersionHolder[] = [];
    for (const node of members ?? this.rows.keys()) {
      const version = this.get(node, pid);
      if (!isNullVersion(version)) out.push({ node, version });
    }
    return out;
  }

  /** A node lost its data (in-memory namespace restart, or a wiped disk). */
  wipeNode(node: NodeId): void {
    this.rows.delete(node);
  }

  /**
   * A node restarted with its data on disk: every copy it holds may have missed writes while it
   * was down and is no one's master any more (Aerospike marks them `subset`, clears `master`).
   */
  restartNode(node: NodeId): void {
    const row = this.rows.get(node);
    if (row === undefined) return;
    for (let pid = 0; pid < row.length; pid++) {
      const v = row[pid]!;
      if (!isNullVersion(v)) row[pid] = subsetVersion(v.ckey);
    }
  }

  /** A deep copy (rows are copied, versions are immutable). */
  clone(): PartitionVersionTable {
    const t = new PartitionVersionTable(this.nPartitions);
    for (const [node, row] of this.rows) t.rows.set(node, row.slice());
    return t;
  }

  private checkPid(pid: number): void {
    if (!(Number.isInteger(pid) && pid >= 0 && pid < this.nPartitions)) throw new RangeError(`partition id ${pid}`);
  }
}
