/**
 * Deterministic cluster simulation: N nodes running `Membership` over a `SimNetwork` on a
 * `SimClock`, with seeded drops, delays, duplicates and reordering, network partitions, crashes
 * and restarts, plus a model of partition data moving by the migration plan. One seed fixes every
 * random choice, so a failing run replays exactly (`runScenario({ seed })`).
 *
 * The data model: each copy of a partition is a set of write *tokens*. When a cluster's members
 * have all adopted its key ("exchange done"), the plan is made and applied to the versions, and
 * one token standing for the writes of that cluster is written to the working master and to every
 * replica. Merges union tokens into the working master, fills copy them, drops and in-memory
 * crashes clear them. Checked while it runs: a fill never overwrites a token its target holds
 * that the source lacks, a drop never discards one the new master lacks. Checked at the end: the
 * partition is settled on its replicas; with persistent storage not a single token was lost.
 */
import { SimClock } from './sim-clock.js';
import { heartbeatCodec, type Heartbeat } from '../cluster/heartbeat.js';
import { Membership, type ClusterView } from '../cluster/membership.js';
import { applyDrops, applyMigration, applyRebalance, isPartitionSettled, PartitionProgress, planMigrations, type MigrationPlan } from '../cluster/migration-plan.js';
import { SimNetwork, type LinkFaults } from './sim-network.js';
import { compareNodeIdsDescending, formatNodeId, type NodeId } from '../cluster/node-id.js';
import { columnCounts, computePartitionMap, masterOf, replicasBitmaps, replicasOf, type PartitionMap } from '../cluster/partition-map.js';
import { PartitionVersionTable } from '../cluster/partition-version.js';
import { Prng } from './prng.js';

export interface SimulationConfig {
  seed: number;
  /** cluster nodes (3..7 in the tests); a foreign-cluster node is added when `foreignNode` */
  nodeCount: number;
  clusterName?: string;
  replicationFactor?: number;
  minClusterSize?: number;
  intervalMs?: number;
  timeoutIntervals?: number;
  /** link faults for every link; random per seed when omitted */
  faults?: Partial<LinkFaults>;
  /** 'memory': a crash wipes the node's partitions; 'persistent': they come back as subsets */
  storage?: 'memory' | 'persistent';
  /** partitions of the modelled namespace's data (the 4096-partition map is checked separately) */
  dataPartitions?: number;
  /** bound on migrations completed per node-interval, the simulated migration bandwidth */
  migrationsPerTick?: number;
  /** a node of another cluster name that heartbeats at everyone; it must never be taken in */
  foreignNode?: boolean;
  /** how long the cluster gets after the last fault before convergence is judged (ms) */
  settleMs?: number;
}

export type FaultKind = 'boot' | 'crash' | 'restart' | 'partition' | 'heal';

/** One scheduled fault (or boot). */
export interface FaultEvent {
  readonly atMs: number;
  readonly kind: FaultKind;
  readonly node?: NodeId;
  readonly groups?: readonly (readonly NodeId[])[];
}

export interface SimulationReport {
  readonly seed: number;
  readonly ok: boolean;
  /** human-readable invariant violations, first ones first (bounded) */
  readonly violations: readonly string[];
  readonly events: readonly FaultEvent[];
  /** time of the last fault (heal or restart) */
  readonly lastFaultMs: number;
  /** time from the last fault until every invariant held for good; undefined if never */
  readonly convergedAfterMs: number | undefined;
  readonly endMs: number;
  readonly clustersFormed: number;
  readonly messages: { sent: number; delivered: number; dropped: number; duplicated: number; unreachable: number };
  readonly migrations: { plans: number; completed: number; abandonedPlans: number };
  readonly finalViews: readonly ClusterView[];
}

/** Most violations kept in a report: the first ones explain the failure, the rest is noise. */
const MAX_VIOLATIONS = 20;

interface SimNode {
  readonly id: NodeId;
  readonly clusterName: string;
  membership: Membership | undefined;
  seeds: NodeId[];
  prng: Prng;
}

interface ActivePlan {
  readonly plan: MigrationPlan;
  readonly progress: PartitionProgress[];
  readonly members: readonly NodeId[];
  dropped: Set<number>;
  /** partitions not yet ready (lets a finished plan cost nothing per tick) */
  unready: number;
}

/**
 * A running simulation. Tests normally call `runScenario`; the class is public for targeted
 * scenarios (boot, partition, heal, crash, restart by hand).
 */
export class ClusterSimulation {
  readonly clock = new SimClock(0);
  readonly prng: Prng;
  readonly network: SimNetwork<Heartbeat>;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly ids: readonly NodeId[];
  readonly foreignId: NodeId | undefined;
  readonly cfg: Required<Omit<SimulationConfig, 'faults' | 'foreignNode'>> & { foreignNode: boolean };
  readonly violations: string[] = [];

  private readonly versions: PartitionVersionTable;
  private readonly tokens = new Map<NodeId, Set<number>[]>();
  private readonly written: Set<number>[] = [];
  private readonly plans = new Map<bigint, ActivePlan>();
  private readonly plannedKeys = new Set<bigint>();
  private nextToken = 1;
  private clustersFormedBefore = 0;
  readonly migrationStats = { plans: 0, completed: 0, abandonedPlans: 0 };
  private readonly mapCache = new Map<string, PartitionMap>();

  constructor(config: SimulationConfig) {
    this.prng = new Prng(config.seed);
    this.cfg = {
      seed: config.seed,
      nodeCount: config.nodeCount,
      clusterName: config.clusterName ?? 'strato-sim',
      replicationFactor: config.replicationFactor ?? 2,
      minClusterSize: config.minClusterSize ?? 1,
      intervalMs: config.intervalMs ?? 150,
      timeoutIntervals: config.timeoutIntervals ?? 10,
      storage: config.storage ?? 'memory',
      dataPartitions: config.dataPartitions ?? 128,
      migrationsPerTick: config.migrationsPerTick ?? 32,
      foreignNode: config.foreignNode ?? false,
      settleMs: config.settleMs ?? 40 * (config.intervalMs ?? 150),
    };
    if (!(this.cfg.nodeCount >= 1 && this.cfg.nodeCount <= 64)) throw new RangeError(`node count ${this.cfg.nodeCount}`);
    const faults = config.faults ?? randomFaults(this.prng);
    this.network = new SimNetwork<Heartbeat>(this.clock, this.prng.fork(), faults, heartbeatCodec);
    this.versions = new PartitionVersionTable(this.cfg.dataPartitions);
    for (let pid = 0; pid < this.cfg.dataPartitions; pid++) this.written.push(new Set());

    // distinct random node ids; the high bits vary like real ids (port + MAC-ish)
    const ids = new Set<NodeId>();
    while (ids.size < this.cfg.nodeCount) ids.add((this.prng.nextU64() & 0x0fff_ffff_ffff_ffffn) | 0x1000_0000_0000_0000n);
    this.ids = [...ids].sort(compareNodeIdsDescending);
    // seeds: every node knows one other node, plus a random extra; discovery does the rest
    for (const [i, id] of this.ids.entries()) {
      const seeds = new Set<NodeId>([this.ids[(i + 1) % this.ids.length]!]);
      if (this.ids.length > 2) seeds.add(this.prng.pick(this.ids));
      seeds.delete(id);
      this.nodes.set(id, { id, clusterName: this.cfg.clusterName, membership: undefined, seeds: [...seeds], prng: this.prng.fork() });
    }
    if (this.cfg.foreignNode) {
      let fid = 0n;
      while (fid === 0n || ids.has(fid)) fid = this.prng.nextU64() | 1n;
      this.foreignId = fid;
      // a misconfigured mesh: the foreign node seeds at ours and ours seed at it
      this.nodes.set(fid, { id: fid, clusterName: `${this.cfg.clusterName}-other`, membership: undefined, seeds: [...this.ids], prng: this.prng.fork() });
      for (const id of this.ids) this.nodes.get(id)!.seeds.push(fid);
    }
    this.scheduleDriver();
  }

  // ---------------------------------------------------------------------------------------------
  // node lifecycle and faults

  /** Starts a node (first boot or restart after a crash). */
  boot(id: NodeId): void {
    const n = this.node(id);
    if (n.membership !== undefined) throw new Error(`node ${formatNodeId(id)} is already up`);
    if (this.cfg.storage === 'persistent') this.versions.restartNode(id);
    const transport = this.network.attach(id);
    n.membership = new Membership({
      nodeId: id,
      clusterName: n.clusterName,
      seeds: n.seeds,
      clock: this.clock,
      transport,
      intervalMs: this.cfg.intervalMs,
      timeoutIntervals: this.cfg.timeoutIntervals,
      minClusterSize: this.cfg.minClusterSize,
      randomU64: () => n.prng.nextU64(),
    });
    n.membership.start();
  }

  /** Stops a node abruptly: its heartbeats stop, in-flight messages to it are lost. */
  crash(id: NodeId): void {
    const n = this.node(id);
    if (n.membership === undefined) return;
    this.clustersFormedBefore += n.membership.stats.clustersFormed;
    n.membership.stop();
    n.membership = undefined;
    this.network.detach(id);
    if (this.cfg.storage === 'memory') {
      this.versions.wipeNode(id);
      this.tokens.delete(id);
    }
  }

  /** Write tokens no up node holds any more (acknowledged writes lost), per data partition. */
  lostTokens(): { pid: number; token: number }[] {
    const up = this.ids.filter((id) => this.isUp(id));
    const lost: { pid: number; token: number }[] = [];
    for (let pid = 0; pid < this.cfg.dataPartitions; pid++) {
      for (const token of this.written[pid]!) {
        if (!up.some((id) => this.copy(id, pid).has(token))) lost.push({ pid, token });
      }
    }
    return lost;
  }

  isUp(id: NodeId): boolean {
    return this.nodes.get(id)?.membership !== undefined;
  }

  /** Current views of the up cluster nodes (the foreign node excluded), descending ids. */
  views(): ClusterView[] {
    return this.ids.filter((id) => this.isUp(id)).map((id) => this.node(id).membership!.view());
  }

  /** Applies one scheduled fault now. */
  apply(ev: FaultEvent): void {
    switch (ev.kind) {
      case 'boot':
      case 'restart':
        this.boot(ev.node!);
        break;
      case 'crash':
        this.crash(ev.node!);
        break;
      case 'partition':
        this.network.partition(ev.groups!);
        break;
      case 'heal':
        this.network.heal();
        break;
    }
  }

  /** Runs the clock to `untilMs`, checking safety invariants after every interval. */
  runUntil(untilMs: number, onInterval?: (nowMs: number) => void): void {
    const step = this.cfg.intervalMs;
    while (this.clock.nowMs() < untilMs) {
      this.clock.runUntil(Math.min(untilMs, this.clock.nowMs() + step));
      this.checkSafety();
      onInterval?.(this.clock.nowMs());
    }
  }

  /** Total clusters formed by all node incarnations so far. */
  clustersFormed(): number {
    let n = this.clustersFormedBefore;
    for (const id of this.ids) n += this.nodes.get(id)!.membership?.stats.clustersFormed ?? 0;
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // invariants

  /** Must hold at every instant: nodes sharing a cluster key share its succession and principal. */
  checkSafety(): void {
    const byKey = new Map<bigint, ClusterView>();
    for (const v of this.views()) {
      if (v.clusterKey === 0n) {
        if (v.succession.length !== 0) this.violate(`${fmt(v.nodeId)} has no cluster key but a succession list`);
        continue;
      }
      if (!v.succession.includes(v.nodeId)) this.violate(`${fmt(v.nodeId)} is not in its own succession list`);
      if (v.succession[0] !== v.principal) this.violate(`${fmt(v.nodeId)}: principal ${fmt(v.principal)} does not head the succession list`);
      for (let i = 1; i < v.succession.length; i++) {
        if (!(v.succession[i - 1]! > v.succession[i]!)) this.violate(`${fmt(v.nodeId)}: succession list not strictly descending`);
      }
      if (this.foreignId !== undefined && v.succession.includes(this.foreignId)) this.violate(`foreign-cluster node ${fmt(this.foreignId)} in ${fmt(v.nodeId)}'s cluster`);
      const other = byKey.get(v.clusterKey);
      if (other === undefined) byKey.set(v.clusterKey, v);
      else if (!sameList(other.succession, v.succession) || other.principal !== v.principal) {
        this.violate(`cluster key ${hex(v.clusterKey)} names two clusters: [${other.succession.map(fmt)}] at ${fmt(other.nodeId)} and [${v.succession.map(fmt)}] at ${fmt(v.nodeId)}`);
      }
    }
    if (this.foreignId !== undefined) {
      const f = this.node(this.foreignId).membership?.view();
      if (f !== undefined && f.succession.some((id) => id !== this.foreignId)) this.violate(`foreign node ${fmt(this.foreignId)} took in another cluster's node`);
    }
  }

  /**
   * After convergence: within every network component of up nodes, every node agrees on one
   * non-zero key and the succession of exactly that component, with integrity; returns the
   * problems instead of recording them (convergence is polled).
   */
  convergenceProblems(): string[] {
    const problems: string[] = [];
    for (const component of this.components()) {
      const expected = component.slice().sort(compareNodeIdsDescending);
      if (expected.length < this.cfg.minClusterSize) continue; // held back: nothing is promised
      const key = this.node(expected[0]!).membership!.clusterKey;
      for (const id of expected) {
        const v = this.node(id).membership!.view();
        if (v.clusterKey === 0n || v.clusterKey !== key) problems.push(`${fmt(id)} key ${hex(v.clusterKey)} != ${hex(key)}`);
        else if (!sameList(v.succession, expected)) problems.push(`${fmt(id)} succession [${v.succession.map(fmt)}] != component [${expected.map(fmt)}]`);
        else if (!v.integrity) problems.push(`${fmt(id)} integrity false`);
      }
    }
    return problems;
  }

  /** Checks the 4096-partition maps of the converged clusters (masters, replicas, balance, bitmaps). */
  checkMaps(): void {
    const byKey = new Map<bigint, ClusterView[]>();
    for (const v of this.views()) if (v.clusterKey !== 0n) byKey.set(v.clusterKey, [...(byKey.get(v.clusterKey) ?? []), v]);
    for (const [key, views] of byKey) {
      const succession = views[0]!.succession;
      if (views.length !== succession.length) continue; // not every member up or adopted yet
      const map = this.mapFor(succession, 4096);
      // exactly one master per partition: OR together what every member announces to clients
      const masters = new Uint8Array(4096);
      for (const v of views) {
        const [col0] = replicasBitmaps(map, v.nodeId, 1);
        const bits = Buffer.from(col0!, 'base64');
        if (col0!.length !== 684) this.violate(`replicas bitmap of ${fmt(v.nodeId)} is ${col0!.length} chars`);
        for (let pid = 0; pid < 4096; pid++) if (bits[pid >> 3]! & (0x80 >> (pid & 7))) masters[pid]!++;
      }
      const bad = masters.findIndex((c) => c !== 1);
      if (bad >= 0) this.violate(`cluster ${hex(key)}: partition ${bad} has ${masters[bad]} masters`);
      for (let pid = 0; pid < 4096; pid += 97) {
        const row = replicasOf(map, pid);
        if (new Set(row).size !== row.length) this.violate(`cluster ${hex(key)}: partition ${pid} replicas not distinct`);
      }
      const lo = Math.floor(4096 / succession.length);
      for (const [node, c] of columnCounts(map, 0)) {
        if (c !== lo && c !== lo + 1) this.violate(`cluster ${hex(key)}: ${fmt(node)} masters ${c} partitions (expected ${lo} or ${lo + 1})`);
      }
    }
  }

  /** After convergence and migrations: every data partition settled on its replicas. */
  checkDataSettled(): void {
    for (const component of this.components()) {
      if (component.length < this.cfg.minClusterSize) continue;
      const lead = this.node(component.slice().sort(compareNodeIdsDescending)[0]!).membership!.view();
      const ap = this.plans.get(lead.clusterKey);
      if (ap === undefined) {
        this.violate(`cluster ${hex(lead.clusterKey)} has no migration plan`);
        continue;
      }
      const map = ap.plan.map;
      for (let pid = 0; pid < map.nPartitions; pid++) {
        const pr = ap.progress[pid]!;
        if (!pr.ready) {
          this.violate(`cluster ${hex(lead.clusterKey)}: partition ${pid} still has ${pr.remaining} migrations`);
          break;
        }
        const row = replicasOf(map, pid);
        if (!isPartitionSettled(this.versions, lead.clusterKey, row, map.succession, pid)) {
          this.violate(`cluster ${hex(lead.clusterKey)}: partition ${pid} not settled on [${row.map(fmt)}]`);
          break;
        }
        const master = this.copy(masterOf(map, pid), pid);
        for (const r of row) {
          if (!sameSet(this.copy(r, pid), master)) this.violate(`partition ${pid}: replica ${fmt(r)} differs from the master`);
        }
        for (const m of map.succession) {
          if (!row.includes(m) && this.copy(m, pid).size > 0) this.violate(`partition ${pid}: ${fmt(m)} still holds a copy outside the row`);
        }
        if (this.cfg.storage === 'persistent' && component.length === this.ids.length) {
          for (const t of this.written[pid]!) {
            if (!master.has(t)) {
              this.violate(`partition ${pid}: write token ${t} lost (persistent storage loses nothing)`);
              break;
            }
          }
        }
      }
    }
  }

  /** Records a violation (bounded). */
  violate(what: string): void {
    if (this.violations.length < MAX_VIOLATIONS) this.violations.push(`t=${this.clock.nowMs()}ms ${what}`);
  }

  // ---------------------------------------------------------------------------------------------
  // migration driver

  private scheduleDriver(): void {
    // offset by half an interval so it never runs at the same instant as boot-aligned ticks
    this.clock.setTimer(this.cfg.intervalMs / 2, () => this.driverTick());
  }

  private driverTick(): void {
    this.stepMigrations();
    this.clock.setTimer(this.cfg.intervalMs, () => this.driverTick());
  }

  /** One driver step: abandon broken plans, start plans for fully adopted clusters, move data. */
  private stepMigrations(): void {
    for (const [key, ap] of this.plans) {
      if (this.intact(key, ap.members)) continue;
      // the cluster changed: finished plans are history, unfinished ones are abandoned (the next
      // plan starts from whatever versions this one left)
      this.plans.delete(key);
      if (!ap.progress.every((p) => p.ready)) this.migrationStats.abandonedPlans++;
    }
    for (const v of this.views()) {
      if (v.clusterKey === 0n || v.principal !== v.nodeId || this.plannedKeys.has(v.clusterKey)) continue;
      if (!this.intact(v.clusterKey, v.succession)) continue;
      this.startPlan(v.clusterKey, v.succession);
    }
    for (const ap of this.plans.values()) {
      let budget = this.cfg.migrationsPerTick * ap.members.length;
      for (let pid = 0; pid < ap.progress.length && budget > 0 && ap.unready > 0; pid++) {
        const pr = ap.progress[pid]!;
        if (ap.dropped.has(pid)) continue; // ready and done with
        // merges, then fills, then the handoff: each phase opens when the previous one is done
        for (let batch = pr.runnable(); batch.length > 0 && budget > 0; batch = pr.runnable()) {
          for (const m of batch) {
            if (budget-- <= 0) break;
            this.moveData(m.kind, m.pid, m.from, m.to, pr);
            applyMigration(this.versions, ap.plan, pr, m);
            this.migrationStats.completed++;
          }
        }
        if (pr.ready && !ap.dropped.has(pid)) this.drop(ap, pr);
      }
    }
  }

  private startPlan(key: bigint, succession: readonly NodeId[]): void {
    this.plannedKeys.add(key);
    const map = this.mapFor(succession, this.cfg.dataPartitions);
    const plan = planMigrations({ clusterKey: key, map, versions: this.versions });
    applyRebalance(this.versions, plan);
    const token = this.nextToken++;
    const progress = plan.partitions.map((pp) => new PartitionProgress(pp));
    const ap: ActivePlan = { plan, progress, members: succession, dropped: new Set(), unready: progress.length };
    for (const pp of plan.partitions) {
      // the writes this cluster takes: to the working master (or fresh master) and every replica
      const targets = new Set<NodeId>(pp.replicas);
      if (pp.workingMaster !== 0n) targets.add(pp.workingMaster);
      for (const t of targets) this.copy(t, pp.pid, true).add(token);
      this.written[pp.pid]!.add(token);
    }
    this.plans.set(key, ap);
    this.migrationStats.plans++;
    for (const pr of ap.progress) if (pr.ready) this.drop(ap, pr);
  }

  private moveData(kind: string, pid: number, from: NodeId, to: NodeId, pr: PartitionProgress): void {
    const src = this.copy(from, pid);
    const dst = this.copy(to, pid, true);
    switch (kind) {
      case 'merge':
        for (const t of src) dst.add(t);
        break;
      case 'fill':
        for (const t of dst) if (!src.has(t)) this.violate(`partition ${pid}: fill ${fmt(from)}→${fmt(to)} would destroy token ${t}`);
        dst.clear();
        for (const t of src) dst.add(t);
        break;
      case 'handoff':
        if (!pr.plan.replicas.includes(from)) {
          for (const t of src) if (!dst.has(t)) this.violate(`partition ${pid}: handoff from ${fmt(from)} drops token ${t} the new master lacks`);
          src.clear();
        }
        break;
    }
  }

  private drop(ap: ActivePlan, pr: PartitionProgress): void {
    ap.dropped.add(pr.plan.pid);
    ap.unready--;
    const master = this.copy(pr.plan.replicas[0]!, pr.plan.pid);
    for (const d of applyDrops(this.versions, pr)) {
      const c = this.copy(d, pr.plan.pid);
      for (const t of c) if (!master.has(t)) this.violate(`partition ${pr.plan.pid}: drop at ${fmt(d)} discards token ${t} the master lacks`);
      c.clear();
    }
  }

  /** Every member up and reporting `key`. */
  private intact(key: bigint, members: readonly NodeId[]): boolean {
    return members.every((id) => this.node(id).membership?.clusterKey === key);
  }

  private copy(node: NodeId, pid: number, create = false): Set<number> {
    let row = this.tokens.get(node);
    if (row === undefined) {
      if (!create) return EMPTY;
      row = Array.from({ length: this.cfg.dataPartitions }, () => new Set<number>());
      this.tokens.set(node, row);
    }
    return row[pid]!;
  }

  private mapFor(succession: readonly NodeId[], nPartitions: number): PartitionMap {
    const k = `${nPartitions}:${succession.join(',')}`;
    let m = this.mapCache.get(k);
    if (m === undefined) {
      if (this.mapCache.size >= 64) this.mapCache.clear(); // bounded memo: maps are pure, recomputing is only slower
      m = computePartitionMap(succession, nPartitions, this.cfg.replicationFactor);
      this.mapCache.set(k, m);
    }
    return m;
  }

  /** Groups of up cluster nodes that reach each other both ways (partitions are symmetric here). */
  private components(): NodeId[][] {
    const up = this.ids.filter((id) => this.isUp(id));
    const seen = new Set<NodeId>();
    const out: NodeId[][] = [];
    for (const id of up) {
      if (seen.has(id)) continue;
      const group = up.filter((o) => o === id || (this.network.canReach(id, o) && this.network.canReach(o, id)));
      for (const g of group) seen.add(g);
      out.push(group);
    }
    return out;
  }

  private node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`unknown node ${formatNodeId(id)}`);
    return n;
  }
}

const EMPTY: Set<number> = new Set();

/**
 * A random fault schedule: staggered boots; a split into two groups and its heal; a crash and a
 * restart (sometimes quicker than the heartbeat timeout, sometimes during the split); sometimes a
 * second split isolating one node or cutting three ways. Everything heals before `lastFaultMs`.
 */
export function randomScenario(prng: Prng, ids: readonly NodeId[], intervalMs = 150, timeoutIntervals = 10): { events: FaultEvent[]; lastFaultMs: number } {
  const events: FaultEvent[] = [];
  for (const id of ids) events.push({ atMs: prng.range(0, 4 * intervalMs), kind: 'boot', node: id });
  let t = prng.range(15, 25) * intervalMs;
  const timeoutMs = timeoutIntervals * intervalMs;

  // split into two groups
  if (prng.chance(0.85)) {
    const shuffled = prng.shuffled(ids);
    const cut = prng.range(1, ids.length - 1);
    events.push({ atMs: t, kind: 'partition', groups: [shuffled.slice(0, cut), shuffled.slice(cut)] });
    const healAt = t + prng.range(1000, 4500);
    let restartAt = 0;
    if (prng.chance(0.3)) {
      // a crash while split: the node comes back before or after the heal
      const victim = prng.pick(ids);
      const crashAt = t + prng.range(200, 1500);
      restartAt = crashAt + prng.range(300, 5000);
      events.push({ atMs: crashAt, kind: 'crash', node: victim });
      events.push({ atMs: restartAt, kind: 'restart', node: victim });
    }
    events.push({ atMs: healAt, kind: 'heal' });
    t = Math.max(healAt, restartAt) + prng.range(500, 2500);
  }

  // crash and restart; quick restarts (< timeout) exercise the incarnation check
  const victim = prng.pick(ids);
  events.push({ atMs: t, kind: 'crash', node: victim });
  const down = prng.chance(0.4) ? prng.range(100, timeoutMs - 200) : prng.range(timeoutMs + 200, 2 * timeoutMs + 2000);
  events.push({ atMs: t + down, kind: 'restart', node: victim });
  t += down + prng.range(300, 2000);

  // sometimes a second split
  if (prng.chance(0.5)) {
    const shuffled = prng.shuffled(ids);
    const groups =
      ids.length >= 3 && prng.chance(0.5)
        ? [shuffled.slice(0, 1), shuffled.slice(1, 2), shuffled.slice(2)]
        : [shuffled.slice(0, 1), shuffled.slice(1)];
    events.push({ atMs: t, kind: 'partition', groups });
    t += prng.range(1000, 3500);
    events.push({ atMs: t, kind: 'heal' });
  }

  // phases do not overlap, so a node's crash always precedes its restart; the stable sort keeps
  // same-time events in generation order
  events.sort((a, b) => a.atMs - b.atMs);
  return { events, lastFaultMs: Math.max(...events.map((e) => e.atMs)) };
}

/** Random link faults for one seed: up to 10% drops, 10% duplicates, 10% reordering. */
export function randomFaults(prng: Prng): LinkFaults {
  const delayMinMs = prng.range(0, 5);
  return {
    delayMinMs,
    delayMaxMs: delayMinMs + prng.range(1, 40),
    dropRate: prng.nextFloat() * 0.1,
    duplicateRate: prng.nextFloat() * 0.1,
    reorderRate: prng.nextFloat() * 0.1,
    reorderMaxMs: prng.range(0, 300),
  };
}

/**
 * Runs one seeded scenario to the end and checks every invariant. The same config always gives
 * the same report; a failing seed is replayed by running it again.
 */
export function runScenario(config: SimulationConfig): SimulationReport {
  const sim = new ClusterSimulation(config);
  const { events, lastFaultMs } = randomScenario(sim.prng.fork(), sim.ids, sim.cfg.intervalMs, sim.cfg.timeoutIntervals);
  if (sim.foreignId !== undefined) sim.clock.setTimer(0, () => sim.boot(sim.foreignId!));
  for (const ev of events) sim.clock.setTimer(ev.atMs, () => sim.apply(ev));
  const endMs = lastFaultMs + sim.cfg.settleMs;
  let convergedAt: number | undefined;
  try {
    sim.runUntil(endMs, (now) => {
      if (now <= lastFaultMs) return;
      const ok = sim.convergenceProblems().length === 0;
      if (ok && convergedAt === undefined) convergedAt = now;
      if (!ok) convergedAt = undefined; // must hold for good, not just once
    });
    const problems = sim.convergenceProblems();
    for (const p of problems.slice(0, 5)) sim.violate(`not converged ${sim.cfg.settleMs}ms after the last fault: ${p}`);
    if (problems.length === 0) {
      sim.checkMaps();
      sim.checkDataSettled();
    }
  } catch (e) {
    // an assertion inside the code under test: report it with the seed instead of losing the seed
    const err = e as Error;
    sim.violate(`exception: ${err.message}\n${(err.stack ?? '').split('\n').slice(1, 6).join('\n')}`);
  }
  return {
    seed: config.seed,
    ok: sim.violations.length === 0,
    violations: sim.violations.slice(),
    events,
    lastFaultMs,
    convergedAfterMs: convergedAt === undefined ? undefined : convergedAt - lastFaultMs,
    endMs,
    clustersFormed: sim.clustersFormed(),
    messages: { ...sim.network.stats },
    migrations: { ...sim.migrationStats },
    finalViews: sim.views(),
  };
}

/** A report as text: the seed first, so a failure can be replayed. */
export function describeReport(r: SimulationReport): string {
  const lines = [
    `seed ${r.seed}: ${r.ok ? 'ok' : 'FAILED'}; last fault at ${r.lastFaultMs}ms, ${r.convergedAfterMs === undefined ? 'never converged' : `converged ${r.convergedAfterMs}ms later`}; ` +
      `${r.clustersFormed} clusters formed; ${r.messages.sent} messages (${r.messages.dropped} dropped, ${r.messages.duplicated} duplicated); ` +
      `${r.migrations.plans} plans, ${r.migrations.completed} migrations, ${r.migrations.abandonedPlans} plans abandoned`,
    ...r.violations.map((v) => `  violation: ${v}`),
  ];
  if (!r.ok) {
    lines.push('  events:');
    for (const e of r.events) {
      lines.push(`    ${e.atMs}ms ${e.kind}${e.node !== undefined ? ` ${fmt(e.node)}` : ''}${e.groups ? ` ${e.groups.map((g) => `[${g.map(fmt)}]`).join(' ')}` : ''}`);
    }
    lines.push('  final views:');
    for (const v of r.finalViews) {
      lines.push(`    ${fmt(v.nodeId)} key ${hex(v.clusterKey)} principal ${fmt(v.principal)} [${v.succession.map(fmt)}] integrity ${v.integrity}`);
    }
  }
  return lines.join('\n');
}

function fmt(id: NodeId): string {
  return id === 0n ? '0' : formatNodeId(id);
}

function hex(k: bigint): string {
  return k.toString(16).toUpperCase();
}

function sameList(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
