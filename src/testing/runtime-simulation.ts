/**
 * The real cluster runtime (ClusterRuntime: heartbeats, exchange, plans, migrations, replica
 * writes, duplicate resolution) of several nodes in one process, on a SimClock and simulated links
 * with seeded delays, crashes and network partitions. Records live in real Namespace objects; a
 * client write is emulated as the server does it: run on the node serving the partition, resolve
 * duplicates first, replicate to the rest of the row, acknowledge. A seed replays exactly.
 */
import { ClusterRuntime } from '../cluster/runtime/cluster-runtime.js';
import { SimClock } from './sim-clock.js';
import { Prng } from './prng.js';
import { SimLinkNetwork } from './sim-links.js';
import { N_PARTITIONS } from '../cluster/partition-map.js';
import { Namespace, nextGeneration } from '../namespace/namespace.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import { liveNamespaceSettings } from '../server/node-config.js';
import { defaultConfig } from '../config/defaults.js';
import { ClusterData } from '../server/cluster-data.js';
import { applyShipped, encodeShippedRecord, packShipped, shipCurrent } from '../namespace/record-transfer.js';
import { encodeRecord } from '../storage/record-codec.js';
import { computeDigest, partitionOf } from '../util/digest.js';
import type { NodeId } from '../cluster/node-id.js';
import { SecurityStore } from '../security/store.js';
import { applySmd, itemsSmd, makeSmdItems, securitySmd, smdSnapshot } from '../server/cluster-smd.js';
import type { SmdItems } from '../server/smd-items.js';
import { UdfRegistry } from '../udf/index.js';
import { SindexCatalog } from '../sindex/catalog.js';

const NS = 'test';
const HB_PORT = 3002;
const FABRIC_PORT = 3001;

interface SimNode {
  id: NodeId;
  host: string;
  up: boolean;
  ns: Namespace;
  data: ClusterData;
  rt: ClusterRuntime;
  /** users and roles (in memory), exchanged as system metadata as a real node does */
  security: SecurityStore;
  /** UDF modules (no Lua runtime: received modules are installed unchecked) */
  udf: UdfRegistry;
  sindexes: SindexCatalog;
  /** UDF, sindex and truncate items over udf, sindexes and ns, exchanged as a real node does */
  smd: SmdItems;
}

export interface RuntimeSimOptions {
  seed: number;
  nodeCount: number;
  replicationFactor: number;
  /** node i's host (several nodes of one `strato` start); default: a host of its own */
  hostOf?: (i: number) => bigint;
  /** node i's rack-id; default 0 */
  rackOf?: (i: number) => number;
  /** indexes of the nodes whose heartbeat addresses node i seeds from; default [0] (everyone seeds from n1) */
  seedsOf?: (i: number) => number[];
  /** chance (0..1) that a one-way fabric or heartbeat message is lost (see SimLinkOptions); default 0 */
  oneWayLossRate?: number;
}

export class RuntimeSim {
  readonly clock = new SimClock(0);
  readonly prng: Prng;
  readonly net: SimLinkNetwork;
  readonly nodes: SimNode[] = [];
  /** key → highest last-update stamp of an acknowledged write */
  readonly acked = new Map<number, number>();
  /** invariants seen broken while the load ran (reported by check()) */
  private readonly violations: string[] = [];
  readonly warnings: string[] = [];
  writesTried = 0;
  private stamp = 0;

  constructor(readonly opts: RuntimeSimOptions) {
    this.prng = new Prng(opts.seed);
    this.net = new SimLinkNetwork(this.clock, this.prng.fork(), { delayMinMs: 0.1, delayMaxMs: 3, oneWayLossRate: opts.oneWayLossRate ?? 0 });
    for (let i = 0; i < opts.nodeCount; i++) this.nodes.push(this.makeNode(i));
  }

  private makeNode(i: number): SimNode {
    const host = `n${i + 1}`;
    const id = BigInt(0xa1 + i);
    const cfg = defaultConfig().namespaces[0]!;
    const ns = new Namespace(liveNamespaceSettings(cfg), new MemoryStorage(256 * 1024 * 1024), this.clock);
    const lookup = { namespace: (name: string) => (name === NS ? ns : undefined) };
    // last-update-time: the newest write wins any merge, so "no acknowledged write lost" is checkable
    const data = new ClusterData(lookup, () => 'last-update-time', () => 0);
    // users and roles as a node with security keeps them, exchanged through the real SMD path:
    // a local change goes out with broadcastSmd, every new cluster sends everything
    const security = new SecurityStore({ adminCredential: 'sim', nodeId: host, nowMs: () => this.clock.nowMs() });
    const udf = new UdfRegistry();
    const sindexes = new SindexCatalog([ns]);
    const smd = makeSmdItems({ udf, sindexes, namespaces: () => [ns], persistTruncation: () => undefined, validateUdfs: false }, host, () => this.clock.nowMs());
    const rt = new ClusterRuntime(
      {
        nodeId: id,
        clusterName: 'sim',
        heartbeat: { host, port: HB_PORT, advertise: `${host}:${HB_PORT}`, seeds: (this.opts.seedsOf?.(i) ?? [0]).map((s) => `n${s + 1}:${HB_PORT}`), intervalMs: 150, timeoutIntervals: 10 },
        fabric: { host, port: FABRIC_PORT, advertise: `${host}:${FABRIC_PORT}` },
        service: `${host}:3000`,
        minClusterSize: 1,
        migrateThreads: () => 1,
        migrateFillDelaySec: () => 0,
        migrateMaxNumIncoming: () => 4,
        log: { info: () => undefined, warning: (m) => void this.warnings.push(`${host}: ${m}`) },
        clock: this.clock,
        links: this.net.factory(host),
        hostId: this.opts.hostOf?.(i) ?? id,
      },
      {
        namespaces: () => [{ name: NS, replicationFactor: () => this.opts.replicationFactor, migrateOrder: () => 5, rackId: () => this.opts.rackOf?.(i) ?? 0 }],
        executeProxied: () => Promise.reject(new Error('no proxying in the simulation')),
        applyReplicaRecords: (n, packed) => data.applyReplicaRecords(n, packed),
        bootPartitions: () => [],
        smdSnapshot: () => smdSnapshot(smd, security.items()),
        applySmd: (b) => applySmd(smd, b, (items) => void security.merge(items)),
        executeForwardedInfo: () => undefined,
        readForDuplicate: (n, digest) => data.readForDuplicate(n, digest),
        partitionRecords: (n, pid) => data.partitionRecords(n, pid),
        applyMigratedRecords: (n, packed) => data.applyMigratedRecords(n, packed),
        dropPartition: (n, pid) => data.dropPartition(n, pid),
        migrateSleepUs: () => 0,
        pack: (records) => data.pack(records),
      },
    );
    security.onLocalChange = (items) => rt.broadcastSmd(securitySmd(items));
    return { id, host, up: false, ns, data, rt, security, udf, sindexes, smd };
  }

  /**
   * After a UDF/sindex/truncate info command ran on node `i` (on its udf, sindexes or ns): what
   * the service does next, stamp the change and send it to the other members.
   */
  smdChanged(i: number, module: 'udf' | 'sindex' | 'truncate'): void {
    const n = this.nodes[i]!;
    const changed = n.smd.noteLocal(module);
    if (changed.length > 0) n.rt.broadcastSmd(itemsSmd(changed));
  }

  async boot(i: number): Promise<void> {
    const n = this.nodes[i]!;
    if (n.up) return;
    await n.rt.start();
    n.up = true;
  }

  /** Abrupt stop: memory storage, so the node's records are gone; a restart comes back empty. */
  async crash(i: number): Promise<void> {
    const n = this.nodes[i]!;
    if (!n.up) return;
    n.up = false;
    await n.rt.stop();
    this.nodes[i] = this.makeNode(i);
  }

  /** Runs simulated time, letting promise continuations run between clock events. */
  async runUntil(t: number): Promise<void> {
    for (;;) {
      const next = this.clock.nextEventMs();
      if (next === undefined || next > t) break;
      this.clock.runUntil(next);
      await new Promise((r) => setImmediate(r));
    }
    this.clock.runUntil(Math.max(t, this.clock.nowMs()));
  }

  /** Schedules client writes of random keys every `everyMs` of simulated time in [from, to). */
  scheduleWrites(from: number, to: number, everyMs: number, keys: number): void {
    for (let t = from; t < to; t += everyMs) {
      const key = this.prng.range(0, keys - 1);
      const entry = this.prng.range(0, this.nodes.length - 1);
      this.clock.setTimer(t - this.clock.nowMs(), () => void this.write(key, entry));
    }
  }

  /** One client write entering at node `entry`; acknowledged only when the serving node finished it. */
  async write(key: number, entry: number): Promise<void> {
    this.writesTried++;
    const at = this.nodes[entry]!;
    if (!at.up || !at.rt.ready) return;
    const digest = digestOf(key);
    const pid = partitionOf(digest);
    const servingId = at.rt.partitions.get(NS)!.servingNode(pid);
    const s = this.nodes.find((n) => n.id === servingId);
    if (!s || !s.up || !s.rt.ready) return; // the proxy would fail: the client sees an error
    const np = s.rt.partitions.get(NS)!;
    if (np.servingNode(pid) !== s.id) return;
    const dups = np.pendingDuplicates(pid);
    // mid-migration too, the batch row check's one byte says what the two reads it stands for say
    if (np.servesCleanly(pid) !== (dups.length === 0)) this.violations.push(`pid ${pid}: ${s.host} servesCleanly ${np.servesCleanly(pid)} with ${dups.length} duplicates to merge`);
    if (dups.length > 0) s.data.applyDuplicates(NS, await s.rt.fetchDuplicates(NS, digest, dups, 2000));
    if (!s.up || s.rt.partitions.get(NS)!.servingNode(pid) !== s.id) return;
    const existing = s.ns.findLive(digest);
    const stamp = ++this.stamp;
    applyShipped(
      s.ns,
      encodeShippedRecord({
        digest,
        generation: existing >= 0 ? nextGeneration(s.ns.index.generation(existing)) : 1,
        voidTime: 0,
        lastUpdateMs: stamp,
        hasKey: false,
        setName: 'sim',
        data: encodeRecord(undefined, []),
      }),
    );
    const targets = np.replicaTargets(pid);
    if (targets.length > 0) await s.rt.replicate(NS, targets, packShipped([shipCurrent(s.ns, digest)]), 2000);
    if (!s.up) return; // crashed before it could answer
    this.acked.set(key, Math.max(this.acked.get(key) ?? 0, stamp));
  }

  /** Everything that must hold once the cluster has settled; returns the violations. */
  check(): string[] {
    const problems: string[] = this.violations.slice(0, 10);
    const up = this.nodes.filter((n) => n.up);
    const keys = new Set(up.map((n) => n.rt.clusterView.clusterKey));
    if (keys.size !== 1) problems.push(`nodes disagree on the cluster key: ${[...keys].map((k) => k.toString(16))}`);
    for (const n of up) {
      if (!n.rt.ready) problems.push(`${n.host} not ready`);
      if (n.rt.clusterView.clusterSize !== up.length) problems.push(`${n.host} sees ${n.rt.clusterView.clusterSize} nodes, ${up.length} up`);
      const left = n.rt.partitions.get(NS)!.unreadyPartitions;
      if (left > 0) problems.push(`${n.host}: ${left} partitions still migrating`);
    }
    if (problems.length > 0) return problems;
    const ref = up[0]!.rt.partitions.get(NS)!;
    for (let pid = 0; pid < N_PARTITIONS && problems.length < 10; pid++) {
      const serving = ref.servingNode(pid);
      for (const n of up) if (n.rt.partitions.get(NS)!.servingNode(pid) !== serving) problems.push(`pid ${pid}: ${n.host} names another serving node`);
      const row = ref.replicas(pid);
      if (row[0] !== serving) problems.push(`pid ${pid}: serving node is not the row's master`);
      const master = up.find((n) => n.id === serving)!;
      const want = snapshot(master.ns, pid);
      for (const n of up) {
        const have = snapshot(n.ns, pid);
        if (row.includes(n.id) ? have !== want : have !== '') problems.push(`pid ${pid}: ${n.host}'s copy differs from the master's`);
      }
    }
    for (const n of up) {
      const np = n.rt.partitions.get(NS)!;
      for (let pid = 0; pid < N_PARTITIONS; pid++) {
        if (np.servesCleanly(pid) === (np.servingNode(pid) === n.id && np.pendingDuplicates(pid).length === 0)) continue;
        problems.push(`pid ${pid}: ${n.host}'s servesCleanly disagrees with its serving node and duplicates`);
        break;
      }
    }
    for (const [key, stamp] of this.acked) {
      const digest = digestOf(key);
      const master = up.find((n) => n.id === ref.servingNode(partitionOf(digest)))!;
      const id = master.ns.findLive(digest);
      const have = id >= 0 ? master.ns.index.lastUpdateMs(id) : 0;
      if (have < stamp) problems.push(`key ${key}: acknowledged write ${stamp} lost (master holds ${have})`);
      if (problems.length >= 20) break;
    }
    return problems;
  }

  /**
   * Rows whose copies share a group while the up nodes span more groups than the row has copies
   * before the shared one (what rack-aware placement must prevent); `groupOf` maps a node index.
   */
  sharedGroupRows(groupOf: (i: number) => string): string[] {
    const up = this.nodes.filter((n) => n.up);
    const groupById = new Map(this.nodes.map((n, i) => [n.id, groupOf(i)]));
    const nGroups = new Set(up.map((n) => groupById.get(n.id))).size;
    const ref = up[0]!.rt.partitions.get(NS)!;
    const problems: string[] = [];
    for (let pid = 0; pid < N_PARTITIONS && problems.length < 10; pid++) {
      const row = ref.replicas(pid);
      const groups = row.map((id) => groupById.get(id));
      for (let r = 1; r < groups.length; r++) {
        if (r < nGroups && groups.slice(0, r).includes(groups[r])) problems.push(`pid ${pid}: copies ${groups.join(',')} share group ${groups[r]}`);
      }
    }
    return problems;
  }

  async stopAll(): Promise<void> {
    for (let i = 0; i < this.nodes.length; i++) if (this.nodes[i]!.up) await this.nodes[i]!.rt.stop();
  }
}

function digestOf(key: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(key));
  return computeDigest('sim', 1, b);
}

/** A partition's records as "digest:generation:stamp" lines, sorted (for comparing copies). */
function snapshot(ns: Namespace, pid: number): string {
  const out: string[] = [];
  ns.index.forEachInPartition(pid, (id) => {
    out.push(`${ns.index.digestView(id).toString('hex')}:${ns.index.generation(id)}:${ns.index.lastUpdateMs(id)}`);
  });
  return out.sort().join(',');
}
