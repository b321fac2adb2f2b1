/**
 * What must move after a cluster change, and when a partition is whole again (Aerospike's
 * `balance_namespace` + migrate bookkeeping, AP mode, as pure functions).
 *
 * Per partition, from the new map's replica row and the members' partition versions:
 * 1. *Working master* W: the member whose copy should serve while data moves. Preference: a copy
 *    flagged master, then a full copy, then any copy; ties go to the earlier node in the
 *    partition's new row, then to the higher node id. No copy anywhere → the partition starts
 *    fresh on its replicas (nothing to migrate; the only case where a partition begins empty).
 * 2. *Duplicates*: copies that may hold records W lacks, one per lineage (see
 *    partition-version.ts): a full copy of a lineage W is not a full copy of represents it and
 *    its subsets; a subset whose lineage has no full copy present is a duplicate on its own.
 * 3. Migrations, in order:
 *    - `merge` duplicate → W (W resolves each record with the conflict-resolution policy);
 *    - `fill` W → every replica that is not already a full copy of W's lineage (with
 *      duplicates, every replica: they must receive the merged result);
 *    - `handoff` W → R0 when W is not the new master: only after every fill, so the final
 *      master takes over a partition already at full replication, and W keeps serving (and
 *      replicating writes) until then.
 * 4. *Ready*: no merge, fill or handoff left. Then members outside the row drop their copies —
 *    safe because everything they held was merged into W or was already in W.
 *
 * Versions move with the plan (`applyRebalance`, `applyMigration`, `applyDrops`) so an
 * interrupted plan leaves versions from which the next plan recovers without losing records.
 */
import { masterOf, replicasOf, type PartitionMap } from './partition-map.js';
import type { NodeId } from './node-id.js';
import {
  fullVersion,
  isNullVersion,
  NULL_VERSION,
  PartitionVersionTable,
  subsetVersion,
  type PartitionVersion,
  type VersionHolder,
} from './partition-version.js';

export type MigrationKind = 'merge' | 'fill' | 'handoff';

/** One transfer (or, for `handoff`, one signal) between two members for one partition. */
export interface Migration {
  readonly kind: MigrationKind;
  readonly pid: number;
  readonly from: NodeId;
  readonly to: NodeId;
}

/** The plan of one partition. */
export interface PartitionPlan {
  readonly pid: number;
  /** new replica row, master first */
  readonly replicas: readonly NodeId[];
  /** serves until the handoff; 0n when no member holds a copy (fresh partition) */
  readonly workingMaster: NodeId;
  /** members whose copies are merged into the working master first */
  readonly duplicates: readonly NodeId[];
  /** replicas filled from the working master after the merges */
  readonly fills: readonly NodeId[];
  /** the working master is not the new master: it hands over after the fills */
  readonly handoff: boolean;
  /** members outside the row holding a copy, dropped once the partition is ready */
  readonly drops: readonly NodeId[];
}

export interface MigrationPlan {
  readonly clusterKey: bigint;
  readonly map: PartitionMap;
  readonly partitions: readonly PartitionPlan[];
  readonly counts: { merges: number; fills: number; handoffs: number; drops: number; fresh: number; readyAtStart: number };
}

export interface PlanInput {
  /** key of the cluster the plan is for */
  clusterKey: bigint;
  /** the new cluster's map (its succession = the members) */
  map: PartitionMap;
  /** members' versions (rows of non-members are ignored: their data is out of reach) */
  versions?: PartitionVersionTable;
  /** without `versions`: the previous map, assumed settled (every replica a full copy of lineage `oldClusterKey`) */
  oldMap?: PartitionMap;
  oldClusterKey?: bigint;
}

/** Plans every partition of one namespace for a new cluster. */
export function planMigrations(input: PlanInput): MigrationPlan {
  const { clusterKey, map } = input;
  if (clusterKey === 0n) throw new RangeError('a plan needs a non-zero cluster key');
  let versions = input.versions;
  if (versions === undefined) {
    if (input.oldMap === undefined || input.oldClusterKey === undefined) throw new Error('planMigrations needs versions or oldMap + oldClusterKey');
    versions = versionsFromSettledMap(input.oldMap, input.oldClusterKey);
  }
  if (versions.nPartitions !== map.nPartitions) throw new RangeError('versions and map disagree on the partition count');
  const members = map.succession;
  const partitions: PartitionPlan[] = [];
  const counts = { merges: 0, fills: 0, handoffs: 0, drops: 0, fresh: 0, readyAtStart: 0 };
  for (let pid = 0; pid < map.nPartitions; pid++) {
    const pp = planPartition(pid, replicasOf(map, pid), versions.holders(pid, members), members);
    partitions.push(pp);
    counts.merges += pp.duplicates.length;
    counts.fills += pp.fills.length;
    counts.handoffs += pp.handoff ? 1 : 0;
    counts.drops += pp.drops.length;
    if (pp.workingMaster === 0n) counts.fresh++;
    if (migrationsOf(pp).length === 0) counts.readyAtStart++;
  }
  return Object.freeze({ clusterKey, map, partitions: Object.freeze(partitions), counts: Object.freeze(counts) });
}

/**
 * Plans one partition. `holders` are the members with a copy; `members` (descending ids) break
 * ties among non-replicas.
 */
export function planPartition(pid: number, replicas: readonly NodeId[], holders: readonly VersionHolder[], members: readonly NodeId[]): PartitionPlan {
  const rank = (node: NodeId): number => {
    const r = replicas.indexOf(node);
    return r >= 0 ? r : replicas.length + members.indexOf(node);
  };
  replicas = Object.freeze(replicas.slice());
  const drops = holders.filter((h) => !replicas.includes(h.node)).map((h) => h.node);
  if (holders.length === 0) {
    return freeze({ pid, replicas, workingMaster: 0n, duplicates: [], fills: [], handoff: false, drops });
  }
  // working master: master flag, then full, then row order
  const score = (v: PartitionVersion) => (v.master ? 2 : 0) + (v.subset ? 0 : 1);
  const byPreference = holders.slice().sort((a, b) => score(b.version) - score(a.version) || rank(a.node) - rank(b.node));
  const w = byPreference[0]!;

  // duplicates: per lineage, what W does not already cover
  const duplicates: NodeId[] = [];
  const lineages = new Map<bigint, VersionHolder[]>();
  for (const h of byPreference) {
    if (h.node === w.node) continue;
    const list = lineages.get(h.version.ckey) ?? [];
    list.push(h);
    lineages.set(h.version.ckey, list);
  }
  for (const [ckey, list] of lineages) {
    if (ckey === w.version.ckey && !w.version.subset) continue; // W holds every record of this lineage
    const full = list.filter((h) => !h.version.subset).sort((a, b) => rank(a.node) - rank(b.node));
    if (full.length > 0) duplicates.push(full[0]!.node); // one full copy represents the lineage and its subsets
    else for (const h of list) duplicates.push(h.node); // partial copies may each hold different records
  }
  duplicates.sort((a, b) => rank(a) - rank(b));

  const fills = replicas.filter((r) => {
    if (r === w.node) return false;
    if (duplicates.length > 0) return true;
    const v = holders.find((h) => h.node === r)?.version;
    return v === undefined || v.subset || v.ckey !== w.version.ckey;
  });
  return freeze({ pid, replicas, workingMaster: w.node, duplicates, fills, handoff: w.node !== replicas[0], drops });
}

/** The migrations of one partition in the order they may run. */
export function migrationsOf(pp: PartitionPlan): Migration[] {
  const out: Migration[] = [];
  if (pp.workingMaster === 0n) return out;
  for (const d of pp.duplicates) out.push({ kind: 'merge', pid: pp.pid, from: d, to: pp.workingMaster });
  for (const r of pp.fills) out.push({ kind: 'fill', pid: pp.pid, from: pp.workingMaster, to: r });
  if (pp.handoff) out.push({ kind: 'handoff', pid: pp.pid, from: pp.workingMaster, to: pp.replicas[0]! });
  return out;
}

/** Every migration of a plan, partition by partition. */
export function allMigrations(plan: MigrationPlan): Migration[] {
  return plan.partitions.flatMap(migrationsOf);
}

/**
 * Progress of one partition's plan: which migrations may start now and when it is ready.
 * Merges run first (in parallel), fills once every merge is done, the handoff last.
 */
export class PartitionProgress {
  private readonly all: readonly Migration[];
  private readonly done: boolean[];
  private left: number;
  private mergesLeft: number;
  private fillsLeft: number;

  constructor(readonly plan: PartitionPlan) {
    this.all = migrationsOf(plan);
    this.done = this.all.map(() => false);
    this.left = this.all.length;
    this.mergesLeft = plan.workingMaster === 0n ? 0 : plan.duplicates.length;
    this.fillsLeft = plan.workingMaster === 0n ? 0 : plan.fills.length;
  }

  /** Migrations that may start now (not yet completed, dependencies met). */
  runnable(): Migration[] {
    if (this.left === 0) return [];
    const phase = this.phase();
    return this.all.filter((m, i) => !this.done[i] && m.kind === phase);
  }

  /** Records a completed migration; throws when it was not runnable (a protocol error). */
  complete(m: Migration): void {
    const phase = this.phase();
    const i = this.all.findIndex((x, j) => !this.done[j] && x.kind === m.kind && x.from === m.from && x.to === m.to);
    if (i < 0 || m.kind !== phase || m.pid !== this.plan.pid) throw new Error(`migration ${migrationId(m)} is not runnable now`);
    this.done[i] = true;
    this.left--;
    if (m.kind === 'merge') this.mergesLeft--;
    else if (m.kind === 'fill') this.fillsLeft--;
  }

  get mergesDone(): boolean {
    return this.mergesLeft === 0;
  }

  /** The migration is in this partition's plan and already completed. */
  isCompleted(m: Migration): boolean {
    return m.pid === this.plan.pid && this.all.some((x, j) => this.done[j] && x.kind === m.kind && x.from === m.from && x.to === m.to);
  }

  /** Every replica filled, duplicates merged, final master in charge. */
  get ready(): boolean {
    return this.left === 0;
  }

  get remaining(): number {
    return this.left;
  }

  private phase(): MigrationKind {
    return this.mergesLeft > 0 ? 'merge' : this.fillsLeft > 0 ? 'fill' : 'handoff';
  }
}

/** A stable text id for a migration (logs, sets). */
export function migrationId(m: Migration): string {
  return `${m.kind}:${m.pid}:${m.from.toString(16)}>${m.to.toString(16)}`;
}

// -----------------------------------------------------------------------------------------------
// version bookkeeping along a plan

/**
 * Versions at the start of a plan (what each member records when the cluster forms):
 * - fresh partition: every replica becomes a full copy of the new lineage, R0 master;
 * - no duplicates: W and the replicas already in sync become full copies of the new lineage
 *   (W flagged master); the replicas to fill become subsets of it (they take replica writes);
 * - duplicates: W becomes a master *subset* of the new lineage (complete only after the merges);
 *   replicas to fill become subsets too. Copies outside the row keep their versions until dropped.
 */
export function applyRebalance(table: PartitionVersionTable, plan: MigrationPlan): void {
  const k = plan.clusterKey;
  for (const pp of plan.partitions) {
    if (pp.workingMaster === 0n) {
      pp.replicas.forEach((r, i) => table.set(r, pp.pid, fullVersion(k, i === 0)));
      continue;
    }
    const dups = pp.duplicates.length > 0;
    table.set(pp.workingMaster, pp.pid, dups ? subsetVersion(k, true) : fullVersion(k, true));
    for (const r of pp.replicas) {
      if (r === pp.workingMaster) continue;
      table.set(r, pp.pid, pp.fills.includes(r) ? subsetVersion(k) : fullVersion(k));
    }
  }
}

/**
 * Versions after one migration completed: a merge completes W once it was the last one; a fill
 * makes the target a full copy; the handoff moves the master flag to R0 (W stays a full copy if
 * it is in the row, otherwise it is dropped).
 */
export function applyMigration(table: PartitionVersionTable, plan: MigrationPlan, progress: PartitionProgress, m: Migration): void {
  const k = plan.clusterKey;
  progress.complete(m);
  const pp = progress.plan;
  switch (m.kind) {
    case 'merge':
      if (progress.mergesDone) table.set(pp.workingMaster, pp.pid, fullVersion(k, true));
      break;
    case 'fill': {
      const src = table.get(m.from, m.pid);
      assert(src.ckey === k && !src.subset, `fill source ${m.from.toString(16)} holds the complete lineage of pid ${m.pid}`);
      table.set(m.to, m.pid, fullVersion(k)); // R0's master flag comes with the handoff
      break;
    }
    case 'handoff':
      table.set(m.to, m.pid, fullVersion(k, true));
      table.set(m.from, m.pid, pp.replicas.includes(m.from) ? fullVersion(k) : NULL_VERSION);
      break;
  }
}

/** Once ready: members outside the row drop their copies. */
export function applyDrops(table: PartitionVersionTable, progress: PartitionProgress): NodeId[] {
  assert(progress.ready, `pid ${progress.plan.pid} drops only when ready`);
  const dropped: NodeId[] = [];
  for (const d of progress.plan.drops) {
    if (!isNullVersion(table.get(d, progress.plan.pid))) {
      table.set(d, progress.plan.pid, NULL_VERSION);
      dropped.push(d);
    }
  }
  return dropped;
}

/**
 * The rule a node applies to call a partition ready from versions alone: every replica holds a
 * full copy of the cluster's lineage, R0 is flagged master and no other member is.
 */
export function isPartitionSettled(table: PartitionVersionTable, clusterKey: bigint, replicas: readonly NodeId[], members: readonly NodeId[], pid: number): boolean {
  for (let i = 0; i < replicas.length; i++) {
    const v = table.get(replicas[i]!, pid);
    if (v.ckey !== clusterKey || v.subset || v.master !== (i === 0)) return false;
  }
  for (const m of members) {
    if (replicas.includes(m)) continue;
    const v = table.get(m, pid);
    if (v.ckey === clusterKey && v.master) return false;
  }
  return true;
}

/** Versions of a settled cluster: each replica of `map` a full copy of lineage `clusterKey`. */
export function versionsFromSettledMap(map: PartitionMap, clusterKey: bigint): PartitionVersionTable {
  const t = new PartitionVersionTable(map.nPartitions);
  for (let pid = 0; pid < map.nPartitions; pid++) {
    const master = masterOf(map, pid);
    for (const r of replicasOf(map, pid)) t.set(r, pid, fullVersion(clusterKey, r === master));
  }
  return t;
}

/** Freezes a plan and its (freshly built, unshared) arrays in place. */
function freeze(pp: PartitionPlan): PartitionPlan {
  Object.freeze(pp.duplicates);
  Object.freeze(pp.fills);
  Object.freeze(pp.drops);
  return Object.freeze(pp);
}

function assert(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(`migration invariant violated: ${what}`);
}
