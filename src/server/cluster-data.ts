/**
 * The record-level side of the cluster: what migrations and replica writes do to a node's
 * namespaces (read a partition's records for shipping, merge arriving ones, drop a partition).
 */
import type { ConflictResolutionPolicy } from '../config/model.js';
import type { Namespace } from '../namespace/namespace.js';
import { applyShipped, packShipped, shipRecord, shipTombstone, unpackShipped } from '../namespace/record-transfer.js';
import { N_PARTITIONS } from '../util/digest.js';
import { EntryFlag } from '../index/primary-index.js';
import type { NamespaceLookup } from '../transaction/keyed-request.js';

export class ClusterData {
  constructor(
    private readonly node: NamespaceLookup,
    private readonly policyOf: (ns: string) => ConflictResolutionPolicy,
    private readonly sleepUsOf: (ns: string) => number,
  ) {}

  private ns(name: string): Namespace {
    const ns = this.node.namespace(name);
    if (!ns) throw new Error(`namespace ${name} is not configured on this node`);
    return ns;
  }

  *partitionRecords(namespace: string, pid: number): Iterable<Buffer> {
    const ns = this.ns(namespace);
    const index = ns.index;
    // ids are read again as the walk reaches them: a record removed meanwhile is skipped, a
    // reused entry ships the record it holds now (still of this partition, so still wanted)
    for (const id of index.partitionIds(pid)) {
      if ((index.flags(id) & EntryFlag.IN_USE) === 0 || index.partitionId(id) !== pid) continue;
      // tombstones travel too: a durable delete must beat the stale copy a returning node kept
      if (ns.isTombstone(id)) yield shipTombstone(index.digestView(id), index.generation(id), index.lastUpdateMs(id));
      else if (!ns.isExpired(id) && !ns.isTruncated(id)) yield shipRecord(ns, id);
    }
  }

  applyMigratedRecords(namespace: string, packed: Buffer): number {
    const ns = this.ns(namespace);
    const policy = this.policyOf(namespace);
    const records = unpackShipped(packed);
    for (const r of records) applyShipped(ns, r, policy);
    return records.length;
  }

  readForDuplicate(namespace: string, digest: Buffer): Buffer {
    const ns = this.ns(namespace);
    const id = ns.findLive(digest);
    return id >= 0 ? shipRecord(ns, id) : Buffer.alloc(0);
  }

  /** Merges copies fetched from duplicate holders (conflict resolution decides). */
  applyDuplicates(namespace: string, copies: Buffer[]): void {
    const ns = this.ns(namespace);
    const policy = this.policyOf(namespace);
    for (const c of copies) applyShipped(ns, c, policy);
  }

  applyReplicaRecords(namespace: string, packed: Buffer): void {
    const ns = this.ns(namespace);
    for (const r of unpackShipped(packed)) applyShipped(ns, r);
  }

  dropPartition(namespace: string, pid: number): void {
    const ns = this.node.namespace(namespace);
    if (!ns) return;
    for (const id of ns.index.partitionIds(pid)) ns.records.remove(id, 'migration');
  }

  bootPartitions(namespace: string): number[] {
    const ns = this.node.namespace(namespace);
    const out: number[] = [];
    if (!ns) return out;
    for (let pid = 0; pid < N_PARTITIONS; pid++) if (ns.index.partitionSize(pid) > 0) out.push(pid);
    return out;
  }

  migrateSleepUs(namespace: string): number {
    return this.sleepUsOf(namespace);
  }

  pack(records: Buffer[]): Buffer {
    return packShipped(records);
  }
}
