/**
 * A node's cluster machinery in a real process: mesh heartbeats over TCP feed `Membership`; each
 * new cluster key starts an exchange of partition versions among the members; once every row is
 * in, each member computes the same plan, serves by it, and runs the migrations it sends. The
 * record-level work (proxying client messages, shipping records) goes through the `LocalData`
 * the server provides, so this module knows partitions and nodes, not transactions.
 */
import { Membership, type ClusterView } from '../membership.js';
import { systemClusterClock, type ClusterClock, type TimerHandle } from '../clock.js';
import { formatNodeId, type NodeId } from '../node-id.js';
import type { Migration } from '../migration-plan.js';
import type { PartitionVersion } from '../partition-version.js';
import type { PlacementGroup } from '../partition-map.js';
import { AddressBook, DEPARTURE_MESSAGE, HeartbeatTransport, HEARTBEAT_MESSAGE, type NodeEndpoints } from '../net/heartbeat-transport.js';
import { PeerNet, type MessageLink, type MessageLinkFactory, type PeerTls } from '../net/peer-net.js';
import { NamespacePartitions } from './partition-state.js';
import {
  decodeDupRead,
  decodeExchange,
  decodeMigration,
  decodeProxy,
  decodeReplicaWrite,
  encodeDupRead,
  encodeExchange,
  encodeMigration,
  encodeProxy,
  encodeReplicaWrite,
  FabricType,
} from './fabric-messages.js';
import { MigrationSender, type MigrationData } from './migrator.js';
import { SmdDelivery } from './smd-delivery.js';

export interface ClusterRuntimeOptions {
  nodeId: NodeId;
  clusterName: string;
  /** `tls`: heartbeats go over TLS (heartbeat `tls-port`/`tls-name`); undefined = clear */
  heartbeat: { host: string; port: number; advertise: string; seeds: string[]; intervalMs: number; timeoutIntervals: number; tls?: PeerTls | undefined };
  /** `tls`: fabric goes over TLS (fabric `tls-port`/`tls-name`); undefined = clear */
  fabric: { host: string; port: number; advertise: string; tls?: PeerTls | undefined };
  /** the service endpoint clients use ("host:port") */
  service: string;
  /** the TLS service endpoint ("host:port"), its TLS name and alternate endpoint (if configured), when the node has a TLS port */
  serviceTls?: { endpoint: string; name: string; alt?: string | undefined } | undefined;
  minClusterSize: number;
  migrateThreads: () => number;
  migrateFillDelaySec: () => number;
  migrateMaxNumIncoming: () => number;
  log: { info(msg: string): void; warning(msg: string): void };
  /** time and timers (default: the system's); the simulator passes a SimClock (src/testing) */
  clock?: ClusterClock;
  /** the heartbeat and fabric endpoints (default: TCP); the simulator passes in-process links */
  links?: MessageLinkFactory;
  /**
   * the machine this node runs on (nodes of one `strato` start share it; default: the node's
   * own id, a host of its own): replica placement keeps a partition's copies on distinct hosts
   */
  hostId?: bigint;
}

/** What the runtime needs from the node's data path. */
export interface LocalData extends MigrationData {
  /** namespace name → its configured replication factor (read at every plan) */
  namespaces(): { name: string; replicationFactor: () => number; migrateOrder: () => number; rackId?: () => number }[];
  /** runs a proxied client message here (routing again, `hops` deep); resolves to the answer frame */
  executeProxied(body: Buffer, hops: number): Promise<Buffer>;
  /** this node's system metadata, to send to the members of a new cluster */
  smdSnapshot(): Buffer;
  /** merges another member's system metadata */
  applySmd(snapshot: Buffer): void;
  /** runs an info command forwarded by another member (its cluster-wide part is done there) */
  executeForwardedInfo(text: string): void;
  /** this node's copy of one record, shipped form; empty when it has none */
  readForDuplicate(namespace: string, digest: Buffer): Buffer;
  /** applies replica-write records of a namespace */
  applyReplicaRecords(namespace: string, packed: Buffer): void;
  /** partitions holding records at boot (device data), per namespace */
  bootPartitions(namespace: string): number[];
  /** quiesce (`quiesce:` info): read when a cluster forms; a quiesced node gives up its partitions to the others */
  quiesced?(): boolean;
}

/** One member's part of an exchange: its partition versions and where it sits (host, racks). */
interface MemberRows {
  rows: Map<string, PartitionVersion[]>;
  host: bigint;
  racks: Map<string, number>;
  quiesced: boolean;
}

interface Exchange {
  key: bigint;
  succession: readonly NodeId[];
  rows: Map<NodeId, MemberRows>;
  planned: boolean;
  /** COMPLETE messages that arrived before this node finished its own plan */
  early: { ns: string; m: Migration }[];
  retransmitTimer?: TimerHandle;
}

const READY_WAIT_MS = 2000;
/** Least time a TLS heartbeat connection gets to finish its handshake. */
const TLS_CONNECT_TIMEOUT_MS = 2000;
/** an exchange not complete after this long is sent again (a member may have missed it) */
const EXCHANGE_RETRANSMIT_MS = 500;
const MAX_BUFFERED_KEYS = 8;
/** a COMPLETE not acknowledged within this long is sent again (the link may have lost it) */
const COMPLETE_TIMEOUT_MS = 2000;
/** pause before sending an unacknowledged or refused COMPLETE again */
const COMPLETE_RETRY_MS = 200;

export class ClusterRuntime {
  readonly book = new AddressBook();
  readonly partitions = new Map<string, NamespacePartitions>();
  readonly membership: Membership;
  /** bumps whenever clients must re-read the partition map */
  partitionGeneration = 0;
  private peersGen = 0;
  private lastPeersKey = '';
  private readonly hbNet: MessageLink;
  private readonly fabric: MessageLink;
  private readonly clock: ClusterClock;
  private readonly transport: HeartbeatTransport;
  private view: ClusterView;
  private exchange: Exchange | undefined;
  private readonly buffered = new Map<bigint, Map<NodeId, MemberRows>>();
  private readyWaiters: (() => void)[] = [];
  private readonly sender: MigrationSender;
  /** system metadata sent to the other members until each acknowledges (see smd-delivery.ts) */
  readonly smdDelivery: SmdDelivery;
  private readonly incoming = new Map<string, number>();
  private migrationsWereRunning = false;
  /** set by a graceful leave: still serving, no longer claiming partitions */
  leaving = false;
  private schedulePending = false;
  /** partitions whose plan advanced since the last scheduling pass */
  private dirty = new Map<string, Set<number>>();
  private stopped = false;

  constructor(
    readonly opts: ClusterRuntimeOptions,
    private readonly data: LocalData,
  ) {
    this.clock = opts.clock ?? systemClusterClock;
    const links: MessageLinkFactory =
      opts.links ??
      ((purpose, handler) =>
        purpose === 'heartbeat'
          ? new PeerNet(handler, {
              maxFrameBytes: 1024 * 1024,
              // a TLS handshake is several round trips and public-key work: give it time on a busy machine
              connectTimeoutMs: opts.heartbeat.tls ? Math.max(TLS_CONNECT_TIMEOUT_MS, opts.heartbeat.intervalMs * 3) : opts.heartbeat.intervalMs * 3,
              tls: opts.heartbeat.tls,
            })
          : new PeerNet(handler, opts.fabric.tls ? { tls: opts.fabric.tls, connectTimeoutMs: TLS_CONNECT_TIMEOUT_MS } : {}));
    this.hbNet = links('heartbeat', (type, payload) => {
      if (type === HEARTBEAT_MESSAGE) this.transport.receive(payload);
      else if (type === DEPARTURE_MESSAGE) {
        const d = HeartbeatTransport.decodeDeparture(payload);
        if (d) this.membership.peerDeparted(d.id, d.incarnation);
      }
    });
    this.fabric = links('fabric', (type, payload) => this.onFabric(type, payload));
    const mine: NodeEndpoints = {
      heartbeat: opts.heartbeat.advertise,
      fabric: opts.fabric.advertise,
      service: opts.service,
      ...(opts.serviceTls ? { tls: opts.serviceTls.endpoint, tlsName: opts.serviceTls.name, ...(opts.serviceTls.alt !== undefined ? { tlsAlt: opts.serviceTls.alt } : {}) } : {}),
    };
    this.transport = new HeartbeatTransport(opts.nodeId, this.hbNet, opts.heartbeat.seeds, mine, this.book, opts.heartbeat.intervalMs * 3, this.clock);
    this.membership = new Membership({
      nodeId: opts.nodeId,
      clusterName: opts.clusterName,
      seeds: [],
      clock: this.clock,
      transport: this.transport,
      intervalMs: opts.heartbeat.intervalMs,
      timeoutIntervals: opts.heartbeat.timeoutIntervals,
      minClusterSize: opts.minClusterSize,
      // a booting node listens longer before it may lead alone: a node that briefly forms a
      // cluster of one claims fresh (empty) partitions that must then be merged back
      quietIntervals: Math.max(2, Math.floor(opts.heartbeat.timeoutIntervals / 2)),
    });
    this.view = this.membership.view();
    const lineage = (opts.nodeId << 8n) ^ BigInt(Math.floor(this.clock.nowMs()));
    for (const ns of data.namespaces()) {
      const np = new NamespacePartitions(ns.name, opts.nodeId, ns.replicationFactor);
      np.markBootData(data.bootPartitions(ns.name), lineage === 0n ? 1n : lineage);
      this.partitions.set(ns.name, np);
    }
    this.sender = new MigrationSender(this.fabric, data, {
      // each migrate thread keeps several partitions in flight (most are small: round trips dominate)
      concurrency: () => Math.max(1, opts.migrateThreads()) * 8,
      fabricAddress: (n) => this.book.get(n)?.fabric,
      currentKey: () => (this.exchange?.planned ? this.exchange.key : 0n),
      onSent: (ns, m) => this.afterSend(ns, m),
      onRecordsSent: (ns, n) => {
        const np = this.partitions.get(ns);
        if (np) np.recordsTransmitted += n;
      },
      log: opts.log,
    }, this.clock);
    this.smdDelivery = new SmdDelivery({
      clock: this.clock,
      fabric: this.fabric,
      type: FabricType.SMD_SYNC,
      addressOf: (n) => this.book.get(n)?.fabric,
      snapshot: () => data.smdSnapshot(),
      log: opts.log,
    });
    this.membership.onChange((v) => this.onView(v));
  }

  async start(): Promise<void> {
    await this.hbNet.listen(this.opts.heartbeat.host, this.opts.heartbeat.port);
    await this.fabric.listen(this.opts.fabric.host, this.opts.fabric.port);
    this.membership.start();
  }

  /**
   * Graceful leave: stop heartbeating, tell the peers (they re-form without this node at once
   * instead of after the heartbeat timeout), and keep serving by the last plan for `graceMs` so
   * clients move to the new map without failed requests.
   */
  async leave(graceMs: number): Promise<void> {
    if (this.stopped || this.view.clusterSize <= 1) return;
    // clients must stop routing here: the map this node reports goes empty at once
    this.leaving = true;
    this.partitionGeneration++;
    this.membership.stop();
    this.transport.announceDeparture(this.membership.incarnation);
    this.opts.log.info(`leaving the cluster: serving ${graceMs} ms more while the others take over`);
    await new Promise((r) => this.clock.setTimer(graceMs, () => r(undefined)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.membership.stop();
    this.sender.stop();
    this.smdDelivery.stop();
    if (this.exchange?.retransmitTimer !== undefined) this.clock.clearTimer(this.exchange.retransmitTimer);
    await this.hbNet.close();
    await this.fabric.close();
    for (const w of this.readyWaiters) w();
    this.readyWaiters = [];
  }

  get nodeId(): NodeId {
    return this.opts.nodeId;
  }

  /** the machine this node runs on (see ClusterRuntimeOptions.hostId) */
  get hostId(): bigint {
    return this.opts.hostId ?? this.opts.nodeId;
  }

  /** the members that were quiesced when the current cluster formed (empty before the first plan) */
  quiescedMembers(): NodeId[] {
    const ex = this.exchange;
    if (!ex || !ex.planned) return [];
    return [...ex.rows].filter(([, m]) => m.quiesced).map(([id]) => id);
  }

  /** each member's rack-id in `namespace` under the current plan (empty before the first plan) */
  racksOf(namespace: string): Map<NodeId, number> {
    const out = new Map<NodeId, number>();
    const ex = this.exchange;
    if (!ex?.planned) return out;
    for (const [node, member] of ex.rows) {
      const rack = member.racks.get(namespace);
      if (rack !== undefined) out.set(node, rack);
    }
    return out;
  }

  get clusterView(): ClusterView {
    return this.view;
  }

  /** True while this node serves by a plan of its current cluster key. */
  get ready(): boolean {
    return this.exchange?.planned === true && this.exchange.key === this.view.clusterKey;
  }

  /** Resolves when the node is ready (or after a bounded wait: callers re-check `ready`). */
  whenReady(): Promise<void> {
    if (this.ready || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(READY_WAIT_MS, () => done());
      const self = this;
      function done(): void {
        self.clock.clearTimer(timer);
        const i = self.readyWaiters.indexOf(done);
        if (i >= 0) self.readyWaiters.splice(i, 1);
        resolve();
      }
      this.readyWaiters.push(done);
    });
  }

  /** Peers (members other than this node) with their service endpoints, for `peers-clear-std` / `peers-tls-std` / `peers-tls-alt`. */
  peers(): { id: NodeId; service: string; tls?: string | undefined; tlsName?: string | undefined; tlsAlt?: string | undefined }[] {
    const out: { id: NodeId; service: string; tls?: string | undefined; tlsName?: string | undefined; tlsAlt?: string | undefined }[] = [];
    for (const id of this.view.succession) {
      if (id === this.opts.nodeId) continue;
      const ep = this.book.get(id);
      if (ep) out.push({ id, service: ep.service, tls: ep.tls, tlsName: ep.tlsName, tlsAlt: ep.tlsAlt });
    }
    return out;
  }

  get peersGeneration(): number {
    const key = this.peers()
      .map((p) => `${p.id}@${p.service}@${p.tls ?? ''}`)
      .join(',');
    if (key !== this.lastPeersKey) {
      this.lastPeersKey = key;
      this.peersGen++;
    }
    return this.peersGen;
  }

  /** Sends a client message to the node serving its partition; resolves to the answer frame. */
  proxy(to: NodeId, body: Buffer, hops: number, timeoutMs: number): Promise<Buffer> {
    const ep = this.book.get(to);
    if (!ep) return Promise.reject(new Error(`no address for node ${formatNodeId(to)}`));
    return this.fabric.request(ep.fabric, FabricType.PROXY, encodeProxy(hops, body), timeoutMs);
  }

  /** Ships records written here to the other replicas of their partition; resolves when all answered. */
  async replicate(namespace: string, targets: readonly NodeId[], packed: Buffer, timeoutMs: number): Promise<void> {
    const msg = encodeReplicaWrite(namespace, packed);
    await Promise.all(
      targets.map((t) => {
        const ep = this.book.get(t);
        if (!ep) return undefined;
        // a replica that cannot answer is leaving the cluster: the write stands on the others
        return this.fabric.request(ep.fabric, FabricType.REPLICA_WRITE, msg, timeoutMs).catch(() => undefined);
      }),
    );
  }

  /**
   * Sends system metadata changed here (a partial snapshot `applySmd` merges) to every other
   * member, again to each that has not acknowledged it (smd-delivery.ts); a member that leaves
   * meanwhile gets the whole snapshot at the next cluster.
   */
  broadcastSmd(snapshot: Buffer): void {
    this.smdDelivery.deliver(
      this.view.succession.filter((m) => m !== this.opts.nodeId),
      snapshot,
    );
  }

  /** Fetches each duplicate holder's copy of a record (shipped form; absent copies are skipped). */
  async fetchDuplicates(namespace: string, digest: Buffer, holders: readonly NodeId[], timeoutMs: number): Promise<Buffer[]> {
    const msg = encodeDupRead(namespace, digest);
    const copies = await Promise.all(
      holders.map((h) => {
        const ep = this.book.get(h);
        if (!ep || h === this.opts.nodeId) return undefined;
        // a holder that cannot answer is leaving: its copy is out of reach either way
        return this.fabric.request(ep.fabric, FabricType.DUP_READ, msg, timeoutMs).catch(() => undefined);
      }),
    );
    return copies.filter((c): c is Buffer => c !== undefined && c.length > 0);
  }

  /** Migration statistics summed over namespaces. */
  migrationsRemaining(): { cluster: number; tx: number; rx: number } {
    let cluster = 0;
    let tx = 0;
    let rx = 0;
    for (const np of this.partitions.values()) {
      const r = np.remaining();
      cluster += r.cluster;
      tx += r.tx;
      rx += r.rx;
    }
    return { cluster, tx, rx };
  }

  // ---------------------------------------------------------------------------------------------
  // membership → exchange → plan

  private onView(v: ClusterView): void {
    const before = this.view;
    this.view = v;
    if (v.clusterKey === before.clusterKey && v.succession === before.succession) return;
    // nothing more is sent to a member that left; if it comes back, the new cluster sends it all
    this.smdDelivery.membersNow(v.succession);
    if (v.clusterKey === 0n || !v.succession.includes(this.opts.nodeId)) return;
    if (this.exchange?.key === v.clusterKey) return;
    if (this.exchange?.retransmitTimer !== undefined) this.clock.clearTimer(this.exchange.retransmitTimer);
    this.sender.abortAll();
    this.incoming.clear();
    this.opts.log.info(
      `CLUSTER-SIZE ${v.clusterSize} cluster-key ${v.clusterKey.toString(16).toUpperCase()} principal ${formatNodeId(v.principal)} succession [${v.succession.map(formatNodeId).join(',')}]`,
    );
    const ex: Exchange = { key: v.clusterKey, succession: v.succession, rows: new Map(), planned: false, early: [] };
    this.exchange = ex;
    const own = new Map<string, PartitionVersion[]>();
    for (const [name, np] of this.partitions) own.set(name, np.ownRow());
    const racks = new Map<string, number>();
    for (const ns of this.data.namespaces()) racks.set(ns.name, ns.rackId?.() ?? 0);
    ex.rows.set(this.opts.nodeId, { rows: own, host: this.hostId, racks, quiesced: this.data.quiesced?.() ?? false });
    const buffered = this.buffered.get(v.clusterKey);
    if (buffered) for (const [from, rows] of buffered) if (v.succession.includes(from)) ex.rows.set(from, rows);
    this.buffered.clear();
    this.sendExchange(ex, false);
    const retransmit = () => {
      if (this.exchange !== ex || ex.planned) return;
      this.sendExchange(ex, true);
      ex.retransmitTimer = this.clock.setTimer(EXCHANGE_RETRANSMIT_MS, retransmit);
    };
    ex.retransmitTimer = this.clock.setTimer(EXCHANGE_RETRANSMIT_MS, retransmit);
    this.maybePlan(ex);
  }

  private sendExchange(ex: Exchange, retransmit: boolean, only?: NodeId): void {
    const mine = ex.rows.get(this.opts.nodeId)!;
    const payload = encodeExchange({ key: ex.key, from: this.opts.nodeId, retransmit, host: mine.host, rows: mine.rows, racks: mine.racks, quiesced: mine.quiesced });
    for (const m of ex.succession) {
      if (m === this.opts.nodeId || (only !== undefined && m !== only)) continue;
      const ep = this.book.get(m);
      if (ep) this.fabric.send(ep.fabric, FabricType.EXCHANGE, payload);
    }
  }

  private onExchange(payload: Buffer): void {
    const msg = decodeExchange(payload);
    const from = msg.from;
    const ex = this.exchange;
    if (ex && ex.key === msg.key) {
      if (!ex.succession.includes(from)) return;
      if (msg.retransmit) this.sendExchange(ex, false, from); // ours may be the one it misses
      if (ex.planned || ex.rows.has(from)) return;
      ex.rows.set(from, { rows: msg.rows, host: msg.host, racks: msg.racks, quiesced: msg.quiesced ?? false });
      this.maybePlan(ex);
      return;
    }
    // a key this node has not adopted yet (the principal's heartbeat is still on its way)
    let m = this.buffered.get(msg.key);
    if (!m) {
      if (this.buffered.size >= MAX_BUFFERED_KEYS) this.buffered.clear();
      m = new Map();
      this.buffered.set(msg.key, m);
    }
    m.set(from, { rows: msg.rows, host: msg.host, racks: msg.racks, quiesced: msg.quiesced ?? false });
  }

  private maybePlan(ex: Exchange): void {
    if (ex.planned || !ex.succession.every((m) => ex.rows.has(m))) return;
    ex.planned = true;
    if (ex.retransmitTimer !== undefined) this.clock.clearTimer(ex.retransmitTimer);
    let tx = 0;
    let rx = 0;
    for (const [name, np] of this.partitions) {
      const rows = new Map<NodeId, PartitionVersion[]>();
      const placement = new Map<NodeId, PlacementGroup>();
      for (const [node, member] of ex.rows) {
        const row = member.rows.get(name);
        if (!row) continue;
        rows.set(node, row);
        placement.set(node, { rack: member.racks.get(name) ?? 0, host: member.host, quiesced: member.quiesced });
      }
      // a namespace is spread over the members that have it configured (its ns_cluster_size)
      const drops = np.startPlan(ex.key, ex.succession.filter((m) => rows.has(m)), rows, placement);
      for (const pid of drops) this.data.dropPartition(name, pid);
      tx += np.txInitial;
      rx += np.rxInitial;
    }
    this.partitionGeneration++;
    this.opts.log.info(`rebalanced: cluster-key ${ex.key.toString(16).toUpperCase()} tx ${tx} rx ${rx} migrations`);
    if ([...this.partitions.values()].some((np) => np.unreadyPartitions > 0)) {
      this.migrationsWereRunning = true;
      this.opts.log.info(`migrations: starting (tx ${tx} rx ${rx} partitions)`);
    }
    for (const w of this.readyWaiters.splice(0)) w();
    for (const e of ex.early.splice(0)) this.applyComplete(e.ns, e.m);
    // a node that was away (or is new) learns the system metadata it missed: everything this node
    // holds, acknowledged (it replaces what was still waiting for each member)
    this.smdDelivery.deliver(
      ex.succession.filter((m) => m !== this.opts.nodeId),
      this.data.smdSnapshot(),
      true,
    );
    this.scheduleMigrations(this.opts.migrateFillDelaySec());
  }

  // ---------------------------------------------------------------------------------------------
  // migrations

  private scheduleMigrations(fillDelaySec = 0, all = true): void {
    const dirty = this.dirty;
    this.dirty = new Map();
    // namespaces with a lower migrate-order queue their migrations first
    const order = new Map(this.data.namespaces().map((n) => [n.name, n.migrateOrder()]));
    const byOrder = [...this.partitions].sort(([a], [b]) => (order.get(a) ?? 5) - (order.get(b) ?? 5));
    for (const [name, np] of byOrder) {
      const pids = all ? undefined : dirty.get(name);
      if (!all && !pids) continue;
      for (const m of np.runnableFromSelf(pids)) {
        if (m.kind === 'handoff') this.broadcastComplete(name, m);
        else this.sender.enqueue(name, m, m.kind === 'fill' ? fillDelaySec * 1000 : 0);
      }
    }
    this.checkMigrationsDone();
  }

  /** The sender finished a migration: fills are completed by us (the working master), merges by the receiver. */
  private afterSend(ns: string, m: Migration): void {
    if (m.kind === 'fill') this.broadcastComplete(ns, m);
  }

  /**
   * The working master completed `m`: it applies it, then tells every other member. Each member
   * acknowledges; an unanswered or refused COMPLETE (a connection that timed out, a member that has
   * not planned this key yet) is sent again every COMPLETE_RETRY_MS until acknowledged or until
   * the cluster changes (the next plan starts over from versions), so no member is left with a
   * partition that never becomes ready. A repeated completion (a merge's MIGRATE_DONE sent again
   * after its answer was lost) is not broadcast twice.
   */
  private broadcastComplete(ns: string, m: Migration): void {
    const ex = this.exchange;
    if (!ex?.planned) return;
    if (!this.applyComplete(ns, m)) return;
    const payload = encodeMigration(ex.key, ns, m);
    for (const member of ex.succession) if (member !== this.opts.nodeId) this.sendComplete(ex, member, payload);
  }

  private sendComplete(ex: Exchange, member: NodeId, payload: Buffer): void {
    const attempt = (): void => {
      if (this.stopped || this.exchange !== ex) return;
      const ep = this.book.get(member);
      const retry = () => void this.clock.setTimer(COMPLETE_RETRY_MS, attempt);
      if (!ep) return retry();
      this.fabric.request(ep.fabric, FabricType.COMPLETE, payload, COMPLETE_TIMEOUT_MS).then(() => undefined, retry);
    };
    attempt();
  }

  /** Applies a completion to this node's view; false when it changed nothing (already applied, or refused). */
  private applyComplete(ns: string, m: Migration): boolean {
    const np = this.partitions.get(ns);
    if (!np) return false;
    let outcome;
    try {
      outcome = np.complete(m);
    } catch (e) {
      this.opts.log.warning(`{${ns}} ignoring migration completion ${m.kind} pid ${m.pid}: ${(e as Error).message}`);
      return false;
    }
    if (!outcome.applied) return false;
    if (outcome.dropSelf) this.data.dropPartition(ns, m.pid);
    if (outcome.servingChanged) this.partitionGeneration++;
    let set = this.dirty.get(ns);
    if (!set) this.dirty.set(ns, (set = new Set()));
    set.add(m.pid);
    this.requestSchedule();
    return true;
  }

  /** Coalesces scheduling after completions (a completion must never re-enter the scheduler). */
  private requestSchedule(): void {
    if (this.schedulePending) return;
    this.schedulePending = true;
    this.clock.setTimer(0, () => {
      this.schedulePending = false;
      if (!this.stopped && this.exchange?.planned) this.scheduleMigrations(0, false);
    });
  }

  private checkMigrationsDone(): void {
    if (!this.migrationsWereRunning) return;
    for (const np of this.partitions.values()) if (np.unreadyPartitions > 0) return;
    this.migrationsWereRunning = false;
    this.opts.log.info('migrations: complete');
  }

  // ---------------------------------------------------------------------------------------------
  // fabric receive

  private onFabric(type: number, payload: Buffer): Buffer | Promise<Buffer> | void {
    if (this.stopped) throw new Error('node stopping');
    switch (type) {
      case FabricType.EXCHANGE:
        return this.onExchange(payload);
      case FabricType.PROXY: {
        const { hops, body } = decodeProxy(payload);
        return this.data.executeProxied(body, hops);
      }
      case FabricType.REPLICA_WRITE: {
        const { namespace, records } = decodeReplicaWrite(payload);
        this.data.applyReplicaRecords(namespace, records);
        return Buffer.alloc(0);
      }
      case FabricType.DUP_READ: {
        const { namespace, digest } = decodeDupRead(payload);
        return this.data.readForDuplicate(namespace, digest);
      }
      case FabricType.SMD_SYNC:
        return this.data.applySmd(payload);
      case FabricType.INFO_FORWARD:
        return this.data.executeForwardedInfo(payload.toString('utf8'));
      case FabricType.MIGRATE_BATCH:
        return this.onMigrateBatch(payload);
      case FabricType.MIGRATE_DONE:
        return this.onMigrateDone(payload);
      case FabricType.COMPLETE: {
        const msg = decodeMigration(payload);
        const ex = this.exchange;
        // refused (the working master sends it again): a key this node has not adopted yet, or an
        // old one (its sender stops retrying once it moves on)
        if (!ex || msg.key !== ex.key) throw new Error('stale cluster key');
        if (!ex.planned) ex.early.push({ ns: msg.namespace, m: msg.migration });
        else this.applyComplete(msg.namespace, msg.migration);
        return Buffer.alloc(0);
      }
      default:
        throw new Error(`unknown fabric message ${type}`);
    }
  }

  private checkIncoming(key: bigint): void {
    const ex = this.exchange;
    if (!ex || ex.key !== key) throw new Error('stale cluster key');
    if (!ex.planned) throw new Error('not ready');
  }

  private onMigrateBatch(payload: Buffer): Buffer {
    const msg = decodeMigration(payload);
    this.checkIncoming(msg.key);
    const id = `${msg.namespace}:${msg.migration.pid}:${msg.migration.from}`;
    if (!this.incoming.has(id)) {
      if (this.incoming.size >= Math.max(1, this.opts.migrateMaxNumIncoming())) throw new Error('busy');
      this.incoming.set(id, 0);
    }
    const n = this.data.applyMigratedRecords(msg.namespace, msg.records);
    this.incoming.set(id, (this.incoming.get(id) ?? 0) + n);
    const np = this.partitions.get(msg.namespace);
    if (np) np.recordsReceived += n;
    return Buffer.alloc(0);
  }

  private onMigrateDone(payload: Buffer): Buffer {
    const msg = decodeMigration(payload);
    this.checkIncoming(msg.key);
    this.incoming.delete(`${msg.namespace}:${msg.migration.pid}:${msg.migration.from}`);
    // a merge ends at the working master, which orders every completion of its partition
    if (msg.migration.kind === 'merge') this.broadcastComplete(msg.namespace, msg.migration);
    return Buffer.alloc(0);
  }
}
