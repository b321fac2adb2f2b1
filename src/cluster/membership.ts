/**
 * Cluster membership from mesh heartbeats (the job of Aerospike's `hb.c` + `clustering.c`, much
 * simplified). Every `intervalMs` a node sends a heartbeat to every peer it knows; a peer unheard
 * for `timeoutIntervals` intervals is gone. Two nodes are *adjacent* when each hears the other
 * (each lists the other in its heartbeat adjacency). A cluster is a clique of adjacent nodes.
 *
 * Who decides: the principal, the highest node id among the nodes that see each other. A node
 * that finds no higher node it should wait for (see `deferralTarget`) acts as principal: it picks
 * the largest clique it can greedily build around itself (current members first, then others by
 * descending id), and when that differs from its cluster it draws a new random non-zero cluster
 * key. Its heartbeats then carry the key and the succession list; every listed node adopts them
 * (only from the principal's own heartbeat, whose per-sender sequence number rules out stale
 * copies). Nodes in another cluster are taken over only by a higher principal, so the highest
 * node in a connected clique ends up leading all of it, and two views never oscillate.
 *
 * Rules that keep clusters apart or together:
 * - a heartbeat with another cluster name is ignored entirely (two clusters never merge);
 * - `minClusterSize`: a principal never forms a cluster smaller than this; a node that cannot
 *   reach that many keeps its previous state with `integrity` false (held back);
 * - a member whose principal is gone, or whose principal's cluster no longer lists it, is *free*
 *   and advertises principal 0 so any higher principal may take it;
 * - a member that restarted (new incarnation) makes its principal draw a new key, since its
 *   partitions must be re-balanced.
 *
 * Everything is driven by the injected clock and transport; no wall time, no global state.
 */
import type { ClusterClock, TimerHandle } from './clock.js';
import { MAX_CLUSTER_SIZE, type Heartbeat } from './heartbeat.js';
import type { Transport } from './transport.js';
import { compareNodeIdsDescending, isNodeId, type NodeId } from './node-id.js';
import { cryptoRandomU64 } from './cluster-key.js';

/** Aerospike's `heartbeat.interval` default (ms). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 150;
/** Aerospike's `heartbeat.timeout` default (intervals). */
export const DEFAULT_HEARTBEAT_TIMEOUT_INTERVALS = 10;
/** Most peers a node keeps heartbeating (seeds plus discovered ones). */
export const MAX_KNOWN_PEERS = 4 * MAX_CLUSTER_SIZE;
/** How many left cluster keys a node remembers (keys are random u64s: old ones never recur). */
const MAX_LEFT_KEYS = 64;

export interface MembershipOptions {
  nodeId: NodeId;
  clusterName: string;
  /** mesh seeds: peers to heartbeat before any has been heard; others are learnt from heartbeats */
  seeds: readonly NodeId[];
  clock: ClusterClock;
  transport: Transport<Heartbeat>;
  /** heartbeat period (ms), default 150 */
  intervalMs?: number;
  /** a peer unheard for this many intervals is gone, default 10 */
  timeoutIntervals?: number;
  /** a principal forms no cluster smaller than this, default 1 */
  minClusterSize?: number;
  /** identifies this run of the process; must grow across restarts (default: clock time at construction) */
  incarnation?: number;
  /** cluster key source (default: the OS random source); must return non-zero values mostly */
  randomU64?: () => bigint;
  /**
   * intervals a node listens before it may lead after boot or after losing its cluster, so peers
   * that see the same event catch up first (fewer throw-away cluster keys), default 2
   */
  quietIntervals?: number;
  /** longest wait (intervals) for a higher node to take this one in before leading anyway, default = timeout */
  deferMaxIntervals?: number;
}

/** What a node believes about its cluster. */
export interface ClusterView {
  readonly nodeId: NodeId;
  /** 0n while not in a cluster */
  readonly clusterKey: bigint;
  /** descending node ids, principal first (Aerospike's order); empty while not in a cluster */
  readonly succession: readonly NodeId[];
  /** 0n while not in a cluster */
  readonly principal: NodeId;
  readonly clusterSize: number;
  /**
   * true when every member is heard, hears this node and reports the same cluster key, and no
   * heard peer of the same cluster name is left outside (Aerospike's `cluster_integrity`)
   */
  readonly integrity: boolean;
}

export interface MembershipStats {
  heartbeatsSent: number;
  heartbeatsReceived: number;
  ignoredForeignCluster: number;
  ignoredStale: number;
  ignoredInvalid: number;
  clustersFormed: number;
  adoptions: number;
}

interface Neighbor {
  hb: Heartbeat;
  lastHeardMs: number;
}

/** One node's membership state machine. Call `start()` once; `stop()` models a crash or shutdown. */
export class Membership {
  readonly nodeId: NodeId;
  readonly clusterName: string;
  /** heartbeat period (ms); dynamic (set-config heartbeat.interval) */
  intervalMs: number;
  /** missed intervals before a peer is gone; dynamic (set-config heartbeat.timeout) */
  timeoutIntervals: number;
  /** smallest cluster a principal forms; dynamic (set-config min-cluster-size) */
  minClusterSize: number;
  readonly incarnation: number;
  readonly stats: MembershipStats = {
    heartbeatsSent: 0,
    heartbeatsReceived: 0,
    ignoredForeignCluster: 0,
    ignoredStale: 0,
    ignoredInvalid: 0,
    clustersFormed: 0,
    adoptions: 0,
  };

  private readonly clock: ClusterClock;
  private readonly transport: Transport<Heartbeat>;
  private readonly randomU64: () => bigint;
  private readonly quietMs: number;
  private readonly deferMaxMs: number;

  private key = 0n;
  private members: readonly NodeId[] = [];
  private leader = 0n;
  private integrityNow = false;
  /** true while a principal cannot reach minClusterSize nodes */
  private heldBack = false;
  /** this principal's cluster broke while held back: it must get a new key even if the same nodes return */
  private staleCluster = false;
  /** members seen reporting the current key (as principal) */
  private confirmed = new Set<NodeId>();
  /** keys this node has left, newest last (bounded): it never goes back to one */
  private readonly leftKeys: bigint[] = [];

  private readonly neighbors = new Map<NodeId, Neighbor>();
  /** newest (incarnation, seq) seen per peer; kept after expiry so late stale heartbeats stay stale */
  private readonly lastSeen = new Map<NodeId, { incarnation: number; seq: number }>();
  private readonly knownPeers = new Set<NodeId>();
  /** incarnation of each member when this node (as principal) formed the cluster */
  private memberIncarnations = new Map<NodeId, number>();
  private deferTo = 0n;
  private deferSinceMs = 0;
  /** higher nodes waited on for too long, with the cluster key they had then */
  private readonly ignoredDeferrals = new Map<NodeId, bigint>();
  private freeSinceMs: number;
  private wasFree = true;

  private seq = 0;
  private timer: TimerHandle | undefined;
  private running = false;
  private readonly listeners: ((view: ClusterView) => void)[] = [];
  private readonly startMs: number;

  constructor(opts: MembershipOptions) {
    if (!isNodeId(opts.nodeId)) throw new RangeError(`bad node id ${opts.nodeId}`);
    this.nodeId = opts.nodeId;
    this.clusterName = opts.clusterName;
    this.clock = opts.clock;
    this.transport = opts.transport;
    this.intervalMs = opts.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.timeoutIntervals = opts.timeoutIntervals ?? DEFAULT_HEARTBEAT_TIMEOUT_INTERVALS;
    this.minClusterSize = opts.minClusterSize ?? 1;
    this.incarnation = opts.incarnation ?? opts.clock.nowMs();
    this.randomU64 = opts.randomU64 ?? cryptoRandomU64;
    this.quietMs = (opts.quietIntervals ?? 2) * this.intervalMs;
    this.deferMaxMs = (opts.deferMaxIntervals ?? this.timeoutIntervals) * this.intervalMs;
    if (!(this.intervalMs > 0 && this.timeoutIntervals >= 2)) throw new RangeError('heartbeat interval must be > 0 and timeout ≥ 2 intervals');
    if (!(Number.isInteger(this.minClusterSize) && this.minClusterSize >= 1 && this.minClusterSize <= MAX_CLUSTER_SIZE)) {
      throw new RangeError(`min-cluster-size ${this.minClusterSize}`);
    }
    if (this.transport.self !== this.nodeId) throw new Error('transport belongs to another node');
    for (const s of opts.seeds) if (s !== this.nodeId && isNodeId(s)) this.knownPeers.add(s);
    this.startMs = this.clock.nowMs();
    this.freeSinceMs = this.startMs;
    this.transport.onMessage((from, hb) => this.onHeartbeat(from, hb));
  }

  /** Starts heartbeating (the first one goes out immediately). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.timer = this.clock.setTimer(0, () => this.tick());
  }

  /** Stops heartbeating and ignores further messages. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  get clusterKey(): bigint {
    return this.key;
  }
  get succession(): readonly NodeId[] {
    return this.members;
  }
  get principal(): NodeId {
    return this.leader;
  }
  get clusterSize(): number {
    return this.members.length;
  }
  get integrity(): boolean {
    return this.integrityNow;
  }
  /** True while this node leads its cluster. */
  get isPrincipal(): boolean {
    return this.key !== 0n && this.leader === this.nodeId;
  }

  /** A snapshot of the node's cluster state. */
  view(): ClusterView {
    return Object.freeze({
      nodeId: this.nodeId,
      clusterKey: this.key,
      succession: this.members,
      principal: this.leader,
      clusterSize: this.members.length,
      integrity: this.integrityNow,
    });
  }

  /** Calls `cb` synchronously after every change of key, succession, principal or integrity. */
  onChange(cb: (view: ClusterView) => void): void {
    this.listeners.push(cb);
  }

  /**
   * A peer announced it is shutting down: forget it now instead of after the heartbeat timeout,
   * and decide again at once. Its heartbeats of that incarnation still in flight are ignored.
   */
  peerDeparted(id: NodeId, incarnation: number): void {
    if (!this.running || id === this.nodeId) return;
    const seen = this.lastSeen.get(id);
    if (seen !== undefined && seen.incarnation > incarnation) return; // a newer run of it is already here
    this.lastSeen.set(id, { incarnation, seq: 0xffff_ffff });
    if (!this.neighbors.delete(id)) return;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = this.clock.setTimer(0, () => this.tick());
  }

  /** New heartbeat timing (set-config): the next tick and every expiry use it. */
  /**
   * `recluster:` (Aerospike's clustering_cluster_reform): the principal re-forms its cluster with
   * the same members under a new cluster key, so every node re-runs the partition balance.
   * 'not-principal' on any other node; 'skipped' while a member is missing, a new node waits to
   * join, or the cluster is held back (as Aerospike skips with dead, faulty or new nodes).
   */
  recluster(): 'ok' | 'not-principal' | 'skipped' {
    if (this.key === 0n || this.leader !== this.nodeId) return 'not-principal';
    if (!this.running || this.heldBack) return 'skipped';
    const chosen = this.chooseMembers();
    if (!sameMembers(chosen, this.members) || this.memberDiverged()) return 'skipped';
    this.form(chosen);
    return 'ok';
  }

  /**
   * A new min-cluster-size: it applies to the next cluster this node forms as principal (a
   * cluster already formed stays, as on Aerospike); a principal held back below the old size
   * forms at its next heartbeat when the new one allows.
   */
  setMinClusterSize(size: number): void {
    if (!(Number.isInteger(size) && size >= 1 && size <= MAX_CLUSTER_SIZE)) throw new RangeError(`min-cluster-size ${size}`);
    this.minClusterSize = size;
  }

  setTiming(intervalMs: number, timeoutIntervals: number): void {
    if (!(intervalMs > 0 && timeoutIntervals >= 2)) throw new RangeError('heartbeat interval must be > 0 and timeout ≥ 2 intervals');
    this.intervalMs = intervalMs;
    this.timeoutIntervals = timeoutIntervals;
  }

  /** Peers heard within the timeout, ascending. */
  adjacency(): NodeId[] {
    return [...this.neighbors.keys()].sort((a, b) => -compareNodeIdsDescending(a, b));
  }

  // ---------------------------------------------------------------------------------------------
  // heartbeat in/out

  private tick(): void {
    if (!this.running) return;
    const now = this.clock.nowMs();
    this.expire(now);
    const formed = this.evaluate(now);
    this.refreshIntegrity();
    if (!formed) this.sendHeartbeats(); // forming already sent this interval's heartbeat
    this.timer = this.clock.setTimer(this.intervalMs, () => this.tick());
  }

  private heartbeat(): Heartbeat {
    const free = this.isFree();
    return Object.freeze({
      clusterName: this.clusterName,
      nodeId: this.nodeId,
      incarnation: this.incarnation,
      seq: ++this.seq,
      clusterKey: this.key,
      principal: free ? 0n : this.leader,
      succession: this.members,
      adjacency: this.adjacency(),
    });
  }

  private sendHeartbeats(): void {
    const hb = this.heartbeat();
    for (const peer of this.knownPeers) {
      this.transport.send(peer, hb);
      this.stats.heartbeatsSent++;
    }
    this.transport.sendToUnresolved?.(hb);
  }

  private onHeartbeat(from: NodeId, hb: Heartbeat): void {
    if (!this.running) return;
    this.stats.heartbeatsReceived++;
    if (hb.clusterName !== this.clusterName) {
      // another cluster's node: never adjacent, never learnt, never merged with
      this.stats.ignoredForeignCluster++;
      return;
    }
    if (!validHeartbeat(hb) || hb.nodeId !== from || from === this.nodeId) {
      this.stats.ignoredInvalid++;
      return;
    }
    const seen = this.lastSeen.get(from);
    if (seen === undefined && this.lastSeen.size >= MAX_KNOWN_PEERS) {
      this.stats.ignoredInvalid++; // more peers than any cluster can have: refuse to track more
      return;
    }
    if (seen !== undefined && (hb.incarnation < seen.incarnation || (hb.incarnation === seen.incarnation && hb.seq <= seen.seq))) {
      this.stats.ignoredStale++; // duplicated or overtaken by a newer one
      return;
    }
    this.lastSeen.set(from, { incarnation: hb.incarnation, seq: hb.seq });
    this.neighbors.set(from, { hb, lastHeardMs: this.clock.nowMs() });
    if (this.key !== 0n && hb.clusterKey === this.key && this.leader === this.nodeId) this.confirmed.add(from);
    this.learnPeers(hb);
    this.considerAdoption(hb);
  }

  private learnPeers(hb: Heartbeat): void {
    for (const list of [[hb.nodeId], hb.adjacency, hb.succession]) {
      for (const id of list) {
        if (id === this.nodeId || this.knownPeers.has(id)) continue;
        if (this.knownPeers.size >= MAX_KNOWN_PEERS) return;
        this.knownPeers.add(id);
      }
    }
  }

  private expire(now: number): void {
    const timeoutMs = this.timeoutIntervals * this.intervalMs;
    for (const [id, n] of this.neighbors) {
      if (now - n.lastHeardMs > timeoutMs) this.neighbors.delete(id);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // decisions

  /** Adopts a principal's cluster when it lists this node and may take it over. */
  private considerAdoption(hb: Heartbeat): void {
    const p = hb.nodeId;
    if (hb.principal !== p || hb.clusterKey === 0n || hb.clusterKey === this.key) return;
    if (!hb.succession.includes(this.nodeId)) return;
    // a cluster this node left may have moved on without it (writes, migrations); only a new key
    // brings it back, which the principal draws once it sees this node report another key
    if (this.leftKeys.includes(hb.clusterKey)) return;
    // a higher principal takes over; a lower one only gets a node that is free or already its own
    if (!(this.isFree() || this.leader === p || p > this.leader)) return;
    this.stats.adoptions++;
    this.setCluster(hb.clusterKey, hb.succession, p);
  }

  /** One decision step per interval; returns true when it formed a new cluster. */
  private evaluate(now: number): boolean {
    const free = this.isFree();
    if (free && !this.wasFree) this.freeSinceMs = now;
    this.wasFree = free;
    const leading = !free && this.leader === this.nodeId;
    if (!free && !leading) {
      this.heldBack = false; // a member of a live cluster: its principal decides
      return false;
    }
    if (free && now - this.freeSinceMs < this.quietMs) return false;
    if (this.deferralTarget(now) !== 0n) return false;

    const chosen = this.chooseMembers();
    this.heldBack = chosen.length < this.minClusterSize;
    if (this.heldBack) {
      if (leading && !sameMembers(chosen, this.members)) this.staleCluster = true;
      return false;
    }
    if (leading && sameMembers(chosen, this.members) && !this.staleCluster && !this.memberRestarted() && !this.memberDiverged()) return false;
    this.form(chosen);
    return true;
  }

  /**
   * The highest adjacent node this one should wait for instead of leading: one that is free (it
   * will lead or be taken), or a principal whose every member this node is adjacent to (it will
   * take this node in). Waiting on one node is bounded by `deferMaxIntervals`, after which it is
   * ignored until its cluster key changes, so a node that cannot take us never blocks us.
   */
  private deferralTarget(now: number): NodeId {
    const candidates: NodeId[] = [];
    for (const [id, n] of this.neighbors) {
      if (id <= this.nodeId || !this.isAdjacent(n)) continue;
      const hb = n.hb;
      const plausible =
        hb.principal === 0n ||
        (hb.principal === id && hb.succession.every((m) => m === id || m === this.nodeId || this.isAdjacentId(m)));
      if (plausible) candidates.push(id);
    }
    candidates.sort(compareNodeIdsDescending);
    for (const id of candidates) {
      const key = this.neighbors.get(id)!.hb.clusterKey;
      if (this.ignoredDeferrals.get(id) === key) continue;
      if (this.deferTo !== id) {
        this.deferTo = id;
        this.deferSinceMs = now;
        return id;
      }
      if (now - this.deferSinceMs <= this.deferMaxMs) return id;
      this.ignoredDeferrals.set(id, key);
    }
    this.deferTo = 0n;
    return 0n;
  }

  /** Greedy clique around this node: current members first, then others by descending id. */
  private chooseMembers(): NodeId[] {
    const current = new Set(this.leader === this.nodeId ? this.members : []);
    const eligible: NodeId[] = [];
    for (const [id, n] of this.neighbors) {
      // a lower id only: the principal is by definition the highest member
      if (id > this.nodeId || !this.isAdjacent(n)) continue;
      // free, ours, or in a lower principal's cluster (which we take over)
      if (n.hb.principal === 0n || n.hb.principal <= this.nodeId) eligible.push(id);
    }
    eligible.sort((a, b) => {
      const ca = current.has(a) ? 0 : 1;
      const cb = current.has(b) ? 0 : 1;
      return ca !== cb ? ca - cb : compareNodeIdsDescending(a, b);
    });
    const chosen: NodeId[] = [this.nodeId];
    for (const id of eligible) {
      if (chosen.length >= MAX_CLUSTER_SIZE) break;
      if (chosen.every((c) => c === this.nodeId || this.peersAdjacent(id, c))) chosen.push(id);
    }
    return chosen;
  }

  private form(chosen: NodeId[]): void {
    let key = this.randomU64();
    for (let i = 0; key === 0n || key === this.key || this.leftKeys.includes(key); i++) {
      if (i > 64) throw new Error('cluster key source keeps returning 0 or used keys');
      key = this.randomU64();
    }
    const succession = chosen.slice().sort(compareNodeIdsDescending);
    this.memberIncarnations = new Map(succession.map((id) => [id, id === this.nodeId ? this.incarnation : this.neighbors.get(id)!.hb.incarnation]));
    this.stats.clustersFormed++;
    this.setCluster(key, succession, this.nodeId);
    this.sendHeartbeats(); // the proposal goes out now, not an interval later
  }

  private setCluster(key: bigint, succession: readonly NodeId[], principal: NodeId): void {
    assert(key !== 0n, 'cluster key must be non-zero');
    assert(succession[0] === principal, 'principal heads the succession list');
    assert(succession.includes(this.nodeId), 'a node only joins a cluster that lists it');
    assert(!this.leftKeys.includes(key), 'a node never returns to a cluster key it left');
    if (this.key !== 0n) {
      this.leftKeys.push(this.key);
      if (this.leftKeys.length > MAX_LEFT_KEYS) this.leftKeys.shift();
    }
    this.key = key;
    this.staleCluster = false;
    this.confirmed = new Set();
    this.members = Object.freeze(succession.slice());
    this.leader = principal;
    this.deferTo = 0n;
    this.heldBack = false;
    this.wasFree = false;
    this.refreshIntegrity(true);
  }

  // ---------------------------------------------------------------------------------------------
  // derived state

  /** Free: not in a cluster, or its principal is gone or has moved on without this node. */
  private isFree(): boolean {
    if (this.key === 0n) return true;
    if (this.leader === this.nodeId) return false;
    const p = this.neighbors.get(this.leader);
    if (p === undefined) return true;
    return p.hb.clusterKey !== this.key && !p.hb.succession.includes(this.nodeId);
  }

  /**
   * A member that had reported the current key now reports another one: it joined another
   * cluster in between (its partitions may have diverged), so the cluster needs a new key even
   * if the same nodes are back.
   */
  private memberDiverged(): boolean {
    for (const m of this.confirmed) {
      const n = this.neighbors.get(m);
      if (n !== undefined && n.hb.clusterKey !== this.key) return true;
    }
    return false;
  }

  private memberRestarted(): boolean {
    for (const m of this.members) {
      if (m === this.nodeId) continue;
      const n = this.neighbors.get(m);
      if (n !== undefined && n.hb.incarnation !== this.memberIncarnations.get(m)) return true;
    }
    return false;
  }

  private computeIntegrity(): boolean {
    if (this.key === 0n || this.heldBack || this.isFree()) return false;
    for (const m of this.members) {
      if (m === this.nodeId) continue;
      const n = this.neighbors.get(m);
      if (n === undefined || !this.isAdjacent(n) || n.hb.clusterKey !== this.key) return false;
    }
    for (const [id, n] of this.neighbors) {
      if (!this.members.includes(id) && this.isAdjacent(n)) return false;
    }
    return true;
  }

  private refreshIntegrity(changed = false): void {
    const integrity = this.computeIntegrity();
    if (integrity !== this.integrityNow) {
      this.integrityNow = integrity;
      changed = true;
    }
    if (!changed) return;
    const v = this.view();
    for (const cb of this.listeners) cb(v);
  }

  /** Both directions heard: we hear it (it is a neighbor) and it lists us. */
  private isAdjacent(n: Neighbor): boolean {
    return n.hb.adjacency.includes(this.nodeId);
  }

  private isAdjacentId(id: NodeId): boolean {
    const n = this.neighbors.get(id);
    return n !== undefined && this.isAdjacent(n);
  }

  /** Adjacency between two other nodes, as their heartbeats report it. */
  private peersAdjacent(a: NodeId, b: NodeId): boolean {
    const na = this.neighbors.get(a);
    const nb = this.neighbors.get(b);
    return na !== undefined && nb !== undefined && na.hb.adjacency.includes(b) && nb.hb.adjacency.includes(a);
  }
}

function sameMembers(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(b);
  return a.every((x) => s.has(x));
}

/** Shape checks on a received heartbeat; a malformed one is dropped, never half-applied. */
function validHeartbeat(hb: Heartbeat): boolean {
  if (!isNodeId(hb.nodeId) || !Number.isSafeInteger(hb.incarnation) || !Number.isSafeInteger(hb.seq)) return false;
  if (hb.succession.length > MAX_CLUSTER_SIZE || hb.adjacency.length > MAX_CLUSTER_SIZE) return false;
  if (hb.clusterKey === 0n) return hb.succession.length === 0;
  // a cluster's succession is strictly descending and headed by its principal
  for (let i = 1; i < hb.succession.length; i++) if (!(hb.succession[i - 1]! > hb.succession[i]!)) return false;
  if (!hb.succession.includes(hb.nodeId)) return false;
  return hb.principal === 0n || hb.principal === hb.succession[0];
}

function assert(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(`membership invariant violated: ${what}`);
}
