/**
 * One namespace's partitions as seen by one node of a running cluster: the migration plan of the
 * current cluster key, every member's partition versions (kept in step by the working masters'
 * COMPLETE messages), and who serves each partition right now. Pure bookkeeping: the node's
 * runtime does the I/O and asks this object what to do.
 */
import {
  applyDrops,
  applyMigration,
  applyRebalance,
  migrationsOf,
  PartitionProgress,
  planMigrations,
  type Migration,
  type MigrationPlan,
} from '../migration-plan.js';
import { computePartitionMap, N_PARTITIONS, type PlacementGroup } from '../partition-map.js';
import { NULL_VERSION, PartitionVersionTable, subsetVersion, type PartitionVersion } from '../partition-version.js';
import type { NodeId } from '../node-id.js';

export interface CompleteOutcome {
  /** partitions this node must now drop its copy of */
  dropSelf: boolean;
  /** the partition's serving node changed (clients must refresh their map) */
  servingChanged: boolean;
  /** false when the migration had been applied already (a repeated COMPLETE) */
  applied: boolean;
}

/** the order in which a partition's migrations complete (see PartitionProgress) */
const PHASE_RANK: Readonly<Record<Migration['kind'], number>> = { merge: 0, fill: 1, handoff: 2 };

export class NamespacePartitions {
  plan: MigrationPlan | undefined;
  private table = new PartitionVersionTable(N_PARTITIONS);
  private progress: PartitionProgress[] = [];
  /** who serves each partition (working master until its handoff, then the new master) */
  private serving: NodeId[] = [];
  /**
   * 1 where this node serves the partition and has no duplicates left to merge (servingNode is
   * self, pendingDuplicates empty): what a batch row checks, in one byte of a 4 KiB array where
   * reading the serving node and the partition's progress object missed the cache per row
   */
  private readonly servedClean = new Uint8Array(N_PARTITIONS);
  /** this node's own versions: what it sends at the next exchange */
  private mine: PartitionVersion[] = new Array<PartitionVersion>(N_PARTITIONS).fill(NULL_VERSION);
  /** migrations this node sent / received under the current plan, for statistics */
  txInitial = 0;
  private unready = 0;
  rxInitial = 0;
  recordsTransmitted = 0;
  recordsReceived = 0;

  constructor(
    readonly name: string,
    readonly self: NodeId,
    /** configured replication-factor (read at each plan: it is dynamic) */
    private readonly replicationFactor: () => number,
  ) {}

  /**
   * Partitions holding records at boot with no known lineage (data read back from a device):
   * they count as subsets of a lineage of their own, so the next plan merges them in.
   */
  markBootData(pids: Iterable<number>, lineage: bigint): void {
    for (const pid of pids) this.mine[pid] = subsetVersion(lineage);
  }

  ownRow(): PartitionVersion[] {
    return this.mine.slice();
  }

  /**
   * Plans the new cluster from every member's row. Returns the partitions this node drops at
   * once (nothing to migrate and it is outside the new row).
   */
  startPlan(key: bigint, succession: readonly NodeId[], rows: Map<NodeId, PartitionVersion[]>, placement?: ReadonlyMap<NodeId, PlacementGroup>): number[] {
    const map = computePartitionMap(succession, N_PARTITIONS, Math.max(1, this.replicationFactor()), placement);
    const table = new PartitionVersionTable(N_PARTITIONS);
    for (const [node, row] of rows) for (let pid = 0; pid < N_PARTITIONS; pid++) table.set(node, pid, row[pid] ?? NULL_VERSION);
    const plan = planMigrations({ clusterKey: key, map, versions: table });
    applyRebalance(table, plan);
    this.table = table;
    this.plan = plan;
    this.progress = plan.partitions.map((pp) => new PartitionProgress(pp));
    this.serving = plan.partitions.map((pp) => (pp.workingMaster === 0n || this.progress[pp.pid]!.ready ? pp.replicas[0]! : pp.workingMaster));
    for (let pid = 0; pid < N_PARTITIONS; pid++) this.refreshServedClean(pid);
    this.txInitial = 0;
    this.rxInitial = 0;
    this.unready = 0;
    const drops: number[] = [];
    for (const pp of plan.partitions) {
      for (const m of migrationsOf(pp)) {
        if (m.kind === 'handoff') continue;
        if (m.from === this.self) this.txInitial++;
        if (m.to === this.self) this.rxInitial++;
      }
      const p = this.progress[pp.pid]!;
      if (!p.ready) this.unready++;
      else {
        applyDrops(table, p);
        if (!pp.replicas.includes(this.self)) drops.push(pp.pid);
      }
    }
    this.syncMine();
    return drops;
  }

  /**
   * Applies a finished migration (every member does, in the working master's order). The working
   * master completes a partition's phases in order (merges, then fills, then the handoff), so a
   * completion of a later phase proves every migration of the earlier phases done: those whose
   * COMPLETE was lost or is still on its way (a retry) are applied first. A completion already
   * applied (a retry that crossed its first copy) changes nothing (`applied` false).
   */
  complete(m: Migration): CompleteOutcome {
    const plan = this.plan;
    if (!plan) throw new Error('no plan');
    const p = this.progress[m.pid];
    if (!p) throw new Error(`no partition ${m.pid}`);
    if (p.isCompleted(m)) return { dropSelf: false, servingChanged: false, applied: false };
    const outcome: CompleteOutcome = { dropSelf: false, servingChanged: false, applied: true };
    for (;;) {
      const next = p.runnable()[0];
      if (next === undefined || PHASE_RANK[next.kind] >= PHASE_RANK[m.kind]) break;
      this.applyOne(p, next, outcome);
    }
    this.applyOne(p, m, outcome);
    return outcome;
  }

  private applyOne(p: PartitionProgress, m: Migration, outcome: CompleteOutcome): void {
    applyMigration(this.table, this.plan!, p, m);
    if (p.ready) this.unready--;
    if (m.kind === 'handoff') {
      this.serving[m.pid] = m.to;
      outcome.servingChanged = true;
    }
    if (p.ready) {
      applyDrops(this.table, p);
      // outside the row once ready: whatever this node still holds of the partition goes (a
      // working master outside the row already lost its version with the handoff)
      outcome.dropSelf = !p.plan.replicas.includes(this.self);
    }
    this.mine[m.pid] = this.table.get(this.self, m.pid);
    this.refreshServedClean(m.pid);
  }

  private refreshServedClean(pid: number): void {
    this.servedClean[pid] = this.servingNode(pid) === this.self && this.pendingDuplicates(pid).length === 0 ? 1 : 0;
  }

  /** This node serves `pid` and has no duplicates of it left to merge (what servingNode and pendingDuplicates say). */
  servesCleanly(pid: number): boolean {
    return this.servedClean[pid] === 1;
  }

  /** Migrations this node may start now as their sender (of the given partitions, or all). */
  runnableFromSelf(pids?: Iterable<number>): Migration[] {
    const out: Migration[] = [];
    if (pids === undefined) {
      for (const p of this.progress) for (const m of p.runnable()) if (m.from === this.self) out.push(m);
      return out;
    }
    for (const pid of pids) {
      const p = this.progress[pid];
      if (p) for (const m of p.runnable()) if (m.from === this.self) out.push(m);
    }
    return out;
  }

  /** Partitions of the plan not ready yet (cluster-wide view). */
  get unreadyPartitions(): number {
    return this.unready;
  }

  /**
   * Members whose copies of `pid` are still to be merged into the working master: until then a
   * record read or written there must first be resolved against theirs (duplicate resolution).
   */
  pendingDuplicates(pid: number): readonly NodeId[] {
    const p = this.progress[pid];
    if (!p || p.mergesDone) return [];
    return p.plan.duplicates;
  }

  servingNode(pid: number): NodeId {
    return this.serving[pid] ?? 0n;
  }

  /** The new row of `pid` (master first). */
  replicas(pid: number): readonly NodeId[] {
    return this.plan?.partitions[pid]?.replicas ?? [];
  }

  /** True when the row of `pid` names a node other than this one (a write here must reach it). */
  hasOtherReplicas(pid: number): boolean {
    const row = this.replicas(pid);
    return row.length > 1 || (row.length === 1 && row[0] !== this.self);
  }

  /** Nodes a write served here must also reach: the rest of the row (including replicas being filled). */
  replicaTargets(pid: number): NodeId[] {
    return this.replicas(pid).filter((n) => n !== this.self);
  }

  /** This node holds a complete copy of the current lineage (it may answer reads). */
  holdsFullCopy(pid: number): boolean {
    const v = this.mine[pid]!;
    return this.plan !== undefined && v.ckey === this.plan.clusterKey && !v.subset;
  }

  /** Replica position of this node for `pid` in the clients' view: 0 serving, 1.. the others, -1 none. */
  clientReplicaIndex(pid: number): number {
    const s = this.serving[pid];
    if (s === this.self) return 0;
    const row = this.replicas(pid).filter((n) => n !== s);
    const i = row.indexOf(this.self);
    return i < 0 ? -1 : i + 1;
  }

  /** Members that have this namespace (the plan's succession). */
  get memberCount(): number {
    return this.plan?.map.succession.length ?? 1;
  }

  /** Effective replication factor of the current plan. */
  get effectiveReplicationFactor(): number {
    return this.plan?.map.replicationFactor ?? 1;
  }

  /** Migrations not finished yet, cluster-wide and for this node (handoffs are signals: not counted as tx/rx). */
  remaining(): { cluster: number; tx: number; rx: number; partitionsLeft: number } {
    let cluster = 0;
    let tx = 0;
    let rx = 0;
    let partitionsLeft = 0;
    for (const p of this.progress) {
      if (p.ready) continue;
      partitionsLeft++;
      cluster += p.remaining;
      for (const m of migrationsOf(p.plan)) {
        if (m.kind === 'handoff') continue;
        if (!this.isDone(p, m)) {
          if (m.from === this.self) tx++;
          if (m.to === this.self) rx++;
        }
      }
    }
    return { cluster, tx, rx, partitionsLeft };
  }

  private isDone(p: PartitionProgress, m: Migration): boolean {
    // a migration is done when it is neither runnable now nor waiting behind an earlier phase
    const v = this.table.get(m.to, m.pid);
    const key = this.plan!.clusterKey;
    if (m.kind === 'fill') return v.ckey === key && !v.subset;
    if (m.kind === 'merge') return p.mergesDone;
    return p.ready;
  }

  private syncMine(): void {
    for (let pid = 0; pid < N_PARTITIONS; pid++) this.mine[pid] = this.table.get(this.self, pid);
  }
}
