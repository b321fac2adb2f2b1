/**
 * Which nodes own which partitions, computed from the succession list alone so every node of a
 * cluster derives the same map without exchanging it (what Aerospike's `partition_balance.c`
 * does after each cluster change).
 *
 * Algorithm (documented because clients and migrations depend on its stability):
 * 1. Per partition, every node gets a score = murmur3-32 of (node id, partition id). Ordering a
 *    partition's nodes by descending score (ties: higher node id first) gives that partition's
 *    node sequence — rendezvous hashing, like Aerospike's per-partition shuffle of the succession
 *    list. When a node leaves, every other node keeps its relative order in every sequence, so
 *    only the partitions where the departed node sat in the first RF places change owners.
 * 2. Balance ("uniform balance"): raw sequences give each node a binomially spread share of
 *    masters (±3% at 5 nodes, and the prole column worse). Instead each replica column is filled
 *    by one greedy walk over all (node, partition) pairs in descending score order: a partition
 *    takes the first node reached that still has room and holds no earlier replica of it; room
 *    is floor(P/N) per node, plus one for the first P mod N nodes to fill up. Every node thus
 *    holds floor(P/N) or ceil(P/N) partitions in every column (masters and each prole column),
 *    and a partition loses its preferred node only when that node is full, which keeps movement
 *    close to the unbalanced minimum. Measured over random clusters (4096 partitions, RF 2):
 *    when one of N nodes leaves, masters moved ≈ 1/N + 1% (N=5: 0.208) and replica copies
 *    created ≈ RF/N + 1% (N=5: 0.412); joins move ≈ 1/(N+1) + 1%.
 * 3. RF is clamped to [1, cluster size], as the server does.
 * 4. Placement groups (optional): every node may carry a rack (the namespace's `rack-id`) and a
 *    host (the nodes one `strato` start runs on one machine). A prole column never takes a node
 *    whose rack, or whose host, already holds an earlier replica of the partition while the
 *    cluster has more racks (hosts) than that column's index — Aerospike Enterprise's rack-aware
 *    placement, with the host as an inner rack so a machine's nodes never hold two copies of a
 *    partition while another machine exists. Masters ignore groups (their balance is kept); a
 *    prole column balanced to floor/ceil is kept when the groups allow it (a small rack must hold
 *    more proles than its share otherwise). When no node satisfies both rules the rack rule wins,
 *    then the host rule, then plain distinctness.
 *
 * Every node of a cluster computes the same map from the same succession list; the function is
 * pure and deterministic (no randomness, no dependence on the input order).
 */
import { MAX_CLUSTER_SIZE } from './heartbeat.js';
import { compareNodeIdsDescending, isNodeId, type NodeId } from './node-id.js';
import { N_PARTITIONS } from '../util/digest.js';

export { N_PARTITIONS };

/** Ownership of every partition by replica position. */
export interface PartitionMap {
  /** the succession list the map was computed from, descending (principal first) */
  readonly succession: readonly NodeId[];
  readonly nPartitions: number;
  /** effective replication factor: the configured one clamped to [1, cluster size] */
  readonly replicationFactor: number;
  /**
   * `replicas[r][pid]` is the index in `succession` of the node holding replica `r` of `pid`
   * (r = 0 is the master, 1 the first prole ...). Distinct within a partition.
   */
  readonly replicas: readonly Uint8Array[];
}

/** Where a node sits for replica placement: its rack-id (per namespace) and its host. */
export interface PlacementGroup {
  /** the namespace's `rack-id` on that node (0 when not configured) */
  readonly rack: number;
  /** identifies the machine (one `strato` start); nodes of one host share it */
  readonly host: bigint;
  /**
   * quiesced when the cluster formed (Aerospike EE's `quiesce`): the node holds a copy only when
   * the other nodes cannot hold them all (its columns come after theirs), so it is never a master
   * while another node is not quiesced
   */
  readonly quiesced?: boolean;
}

/**
 * Computes the partition map of a cluster. `succession` may be in any order and must hold
 * distinct non-zero ids (1 to 256 of them); `nPartitions` is 1..4096.
 */
export function computePartitionMap(
  succession: readonly NodeId[],
  nPartitions = N_PARTITIONS,
  replicationFactor = 1,
  placement?: ReadonlyMap<NodeId, PlacementGroup>,
): PartitionMap {
  const nodes = normalizeSuccession(succession);
  const n = nodes.length;
  if (!(Number.isInteger(nPartitions) && nPartitions >= 1 && nPartitions <= N_PARTITIONS)) throw new RangeError(`partition count ${nPartitions}`);
  if (!(Number.isInteger(replicationFactor) && replicationFactor >= 1)) throw new RangeError(`replication factor ${replicationFactor}`);
  const rf = Math.min(replicationFactor, n);
  const quiet = placement ? nodes.filter((id) => placement.get(id)?.quiesced === true) : [];
  // quiesced nodes step back, unless every node is quiesced (then the flag is ignored, as in Aerospike)
  if (quiet.length > 0 && quiet.length < n) return quiescedMap(nodes, quiet, nPartitions, rf, placement!);

  const scores = scoreTable(nodes, nPartitions); // scores[pid * n + i]
  const pairs = sortedPairs(scores, n, nPartitions);
  const groups = groupIndexes(nodes, placement);
  const replicas: Uint8Array[] = [];
  for (let r = 0; r < rf; r++) replicas.push(assignColumn(replicas, pairs, scores, n, nPartitions, groups));
  const map: PartitionMap = Object.freeze({ succession: Object.freeze(nodes), nPartitions, replicationFactor: rf, replicas: Object.freeze(replicas) });
  assertMapInvariants(map, groups);
  return map;
}

/**
 * The map with quiesced nodes: the first columns are balanced over the other nodes alone (as if
 * the quiesced ones were gone, so their partitions move to the others), and only the columns those
 * cannot fill (replication factor above their count) are balanced over the quiesced nodes.
 */
function quiescedMap(nodes: readonly NodeId[], quiet: readonly NodeId[], nPartitions: number, rf: number, placement: ReadonlyMap<NodeId, PlacementGroup>): PartitionMap {
  const active = nodes.filter((id) => !quiet.includes(id));
  const strip = (ids: readonly NodeId[]) => new Map(ids.map((id) => [id, { ...placement.get(id)!, quiesced: false }]));
  const first = computePartitionMap(active, nPartitions, Math.min(rf, active.length), strip(active));
  const rest = rf - first.replicationFactor;
  const second = rest > 0 ? computePartitionMap(quiet, nPartitions, rest, strip(quiet)) : undefined;
  const at = (sub: PartitionMap, col: Uint8Array) => {
    const out = new Uint8Array(nPartitions);
    for (let pid = 0; pid < nPartitions; pid++) out[pid] = nodes.indexOf(sub.succession[col[pid]!]!);
    return out;
  };
  const replicas = [...first.replicas.map((c) => at(first, c)), ...(second ? second.replicas.map((c) => at(second, c)) : [])];
  return Object.freeze({ succession: Object.freeze(nodes.slice()), nPartitions, replicationFactor: rf, replicas: Object.freeze(replicas) });
}

/** Rack and host of every node as small indexes, and how many distinct ones there are. */
interface Groups {
  rack: Uint16Array;
  host: Uint16Array;
  nRacks: number;
  nHosts: number;
}

function groupIndexes(nodes: readonly NodeId[], placement: ReadonlyMap<NodeId, PlacementGroup> | undefined): Groups {
  const n = nodes.length;
  const rack = new Uint16Array(n);
  const host = new Uint16Array(n);
  const racks = new Map<number, number>();
  const hosts = new Map<bigint, number>();
  for (let i = 0; i < n; i++) {
    // a node without a group is a host of its own on rack 0 (what a node of an older build is)
    const g = placement?.get(nodes[i]!) ?? { rack: 0, host: nodes[i]! };
    if (!racks.has(g.rack)) racks.set(g.rack, racks.size);
    if (!hosts.has(g.host)) hosts.set(g.host, hosts.size);
    rack[i] = racks.get(g.rack)!;
    host[i] = hosts.get(g.host)!;
  }
  return { rack, host, nRacks: racks.size, nHosts: hosts.size };
}

/**
 * How strictly column `r` separates a partition's copies: 3 = distinct rack and host, 2 = rack
 * only, 1 = host only, 0 = distinct nodes only. A rule applies while the cluster has more groups
 * than earlier copies.
 */
function strictnessFor(groups: Groups, r: number): number {
  if (r === 0) return 0;
  return (groups.nRacks > r ? 2 : 0) | (groups.nHosts > r ? 1 : 0);
}

/** True when some rack or host holds several of the n nodes while others exist (rules bite). */
function constrains(groups: Groups, n: number): boolean {
  return (groups.nRacks > 1 && groups.nRacks < n) || (groups.nHosts > 1 && groups.nHosts < n);
}

/** True when node `i` may not take column `r` of `pid` under rules `strict` (see strictnessFor). */
function conflicts(columns: readonly Uint8Array[], r: number, pid: number, i: number, groups: Groups, strict: number): boolean {
  for (let q = 0; q < r; q++) {
    const j = columns[q]![pid]!;
    if (j === i) return true;
    if ((strict & 2) !== 0 && groups.rack[j] === groups.rack[i]) return true;
    if ((strict & 1) !== 0 && groups.host[j] === groups.host[i]) return true;
  }
  return false;
}

/** Sorts descending and checks the list; throws RangeError on duplicates, zero or size limits. */
export function normalizeSuccession(succession: readonly NodeId[]): NodeId[] {
  if (succession.length < 1 || succession.length > MAX_CLUSTER_SIZE) throw new RangeError(`cluster of ${succession.length} nodes`);
  const nodes = succession.slice().sort(compareNodeIdsDescending);
  for (let i = 0; i < nodes.length; i++) {
    if (!isNodeId(nodes[i]!)) throw new RangeError(`bad node id ${nodes[i]}`);
    if (i > 0 && nodes[i] === nodes[i - 1]) throw new RangeError(`node ${nodes[i]!.toString(16)} listed twice`);
  }
  return nodes;
}

/** The node ordering of one partition (indexes into the succession), best first. */
export function partitionNodeSequence(succession: readonly NodeId[], pid: number): NodeId[] {
  const nodes = normalizeSuccession(succession);
  const scores = scoreTable(nodes, pid + 1);
  const order = new Array<number>(nodes.length);
  nodeSequence(scores, pid, nodes.length, order);
  return order.map((i) => nodes[i]!);
}

/** Node id of the master of `pid`. */
export function masterOf(map: PartitionMap, pid: number): NodeId {
  return map.succession[map.replicas[0]![pid]!]!;
}

/** Node ids of the replicas of `pid`, master first. */
export function replicasOf(map: PartitionMap, pid: number): NodeId[] {
  return map.replicas.map((col) => map.succession[col[pid]!]!);
}

/** Replica position of `node` for `pid` (0 = master), or -1 when it holds no replica. */
export function replicaIndexOf(map: PartitionMap, pid: number, node: NodeId): number {
  const i = map.succession.indexOf(node);
  if (i < 0) return -1;
  return map.replicas.findIndex((col) => col[pid] === i);
}

/** Partitions per node in replica column `column` (0 = masters). */
export function columnCounts(map: PartitionMap, column = 0): Map<NodeId, number> {
  const counts = new Map<NodeId, number>(map.succession.map((id) => [id, 0]));
  const col = map.replicas[column];
  if (col === undefined) return counts;
  for (let pid = 0; pid < map.nPartitions; pid++) {
    const id = map.succession[col[pid]!]!;
    counts.set(id, counts.get(id)! + 1);
  }
  return counts;
}

/** How two maps differ (what a cluster change costs). */
export interface MapDelta {
  /** partitions whose master node changed */
  mastersMoved: number;
  /** (partition, node) replica memberships gained: the copies that must be filled */
  replicasAdded: number;
  /** (partition, node) replica memberships lost: the copies that will be dropped */
  replicasRemoved: number;
}

/** Compares two maps of the same partition count. */
export function mapDelta(before: PartitionMap, after: PartitionMap): MapDelta {
  if (before.nPartitions !== after.nPartitions) throw new RangeError('maps of different partition counts');
  let mastersMoved = 0;
  let replicasAdded = 0;
  let replicasRemoved = 0;
  for (let pid = 0; pid < after.nPartitions; pid++) {
    if (masterOf(before, pid) !== masterOf(after, pid)) mastersMoved++;
    const a = new Set(replicasOf(before, pid));
    const b = new Set(replicasOf(after, pid));
    for (const x of b) if (!a.has(x)) replicasAdded++;
    for (const x of a) if (!b.has(x)) replicasRemoved++;
  }
  return { mastersMoved, replicasAdded, replicasRemoved };
}

// -----------------------------------------------------------------------------------------------
// client-facing encoding (`replicas` info command, protocol reference §2.6)

/**
 * One bitmap per replica column for `nodeId`, base64 encoded: bit `0x80 >> (p % 8)` of byte
 * `p / 8` is set when the node holds replica column r of partition p. Columns past the map's
 * replication factor, and every column of a node outside the map, are all zero. With 4096
 * partitions each string is exactly 684 characters, the only length clients accept.
 */
export function replicasBitmaps(map: PartitionMap, nodeId: NodeId, nReplicas: number): string[] {
  if (!(Number.isInteger(nReplicas) && nReplicas >= 0 && nReplicas <= 255)) throw new RangeError(`replica count ${nReplicas}`);
  const self = map.succession.indexOf(nodeId);
  const out: string[] = [];
  for (let r = 0; r < nReplicas; r++) {
    const bits = Buffer.alloc(Math.ceil(map.nPartitions / 8));
    const col = map.replicas[r];
    if (col !== undefined && self >= 0) {
      for (let pid = 0; pid < map.nPartitions; pid++) {
        if (col[pid] === self) bits[pid >> 3]! |= 0x80 >> (pid & 7);
      }
    }
    out.push(bits.toString('base64'));
  }
  return out;
}

/**
 * One namespace's entry of the `replicas` value: `<ns>:<regime>,<n>,<b64 col 0>,...`, with
 * n = min(replication factor, maxReplicas) but at least 1 (clients reject 0). Regime stays 0
 * for AP namespaces; a non-zero regime makes clients treat the namespace as strong-consistency.
 */
export function replicasInfoEntry(namespace: string, map: PartitionMap, nodeId: NodeId, maxReplicas = Infinity, regime = 0): string {
  const n = Math.max(1, Math.min(map.replicationFactor, maxReplicas));
  return `${namespace}:${regime},${n},${replicasBitmaps(map, nodeId, n).join(',')}`;
}

// -----------------------------------------------------------------------------------------------
// internals

/** murmur3-32 of the 12 bytes (node id low, node id high, pid), seed 0. */
function scoreTable(nodes: readonly NodeId[], nPartitions: number): Uint32Array {
  const n = nodes.length;
  const lo = nodes.map((id) => Number(id & 0xffff_ffffn) | 0);
  const hi = nodes.map((id) => Number(id >> 32n) | 0);
  const scores = new Uint32Array(nPartitions * n);
  for (let pid = 0; pid < nPartitions; pid++) {
    for (let i = 0; i < n; i++) scores[pid * n + i] = murmur3x3(lo[i]!, hi[i]!, pid);
  }
  return scores;
}

function murmur3x3(a: number, b: number, c: number): number {
  let h = 0;
  h = mixInto(h, a);
  h = mixInto(h, b);
  h = mixInto(h, c);
  h ^= 12;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixInto(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Fills `order` with node indexes of `pid` by descending score; ties go to the higher id (lower index). */
function nodeSequence(scores: Uint32Array, pid: number, n: number, order: number[]): void {
  for (let i = 0; i < n; i++) order[i] = i;
  const base = pid * n;
  // insertion sort: n is small (≤ 256, typically < 10)
  for (let i = 1; i < n; i++) {
    const x = order[i]!;
    const sx = scores[base + x]!;
    let j = i - 1;
    while (j >= 0) {
      const y = order[j]!;
      const sy = scores[base + y]!;
      if (sy > sx || (sy === sx && y < x)) break;
      order[j + 1] = y;
      j--;
    }
    order[j + 1] = x;
  }
}

/**
 * All (node, partition) pairs in descending score order, packed as score (32 bits), inverted node
 * index (8 bits) and inverted pid (12 bits): 52 bits, exact in a double, so one numeric sort
 * orders everything. Returned ascending; callers walk it from the end.
 */
function sortedPairs(scores: Uint32Array, n: number, nPartitions: number): Float64Array {
  const keys = new Float64Array(n * nPartitions);
  for (let pid = 0; pid < nPartitions; pid++) {
    for (let i = 0; i < n; i++) {
      keys[pid * n + i] = scores[pid * n + i]! * 1_048_576 + (255 - i) * 4096 + (4095 - pid);
    }
  }
  return keys.sort();
}

/**
 * Fills replica column `columns.length` by the greedy walk: a partition takes the first node
 * (in descending pair score) that has room and does not already hold an earlier replica of it.
 * Room is floor(P/N) per node plus one for the first P mod N nodes to fill up. For the master
 * column the walk always completes; for later columns a partition can find every node with room
 * already in its row; then a node still below the floor swaps in through another partition, so
 * the column stays within floor/ceil (the fallback — best node outside the row even if full —
 * only exists for safety).
 */
function assignColumn(columns: readonly Uint8Array[], pairs: Float64Array, scores: Uint32Array, n: number, nPartitions: number, groups: Groups): Uint8Array {
  const r = columns.length;
  const strict = strictnessFor(groups, r);
  const inRow = (pid: number, i: number) => conflicts(columns, r, pid, i, groups, strict);
  const base = Math.floor(nPartitions / n);
  const extra = nPartitions % n;
  let nodesWithExtra = 0;
  const counts = new Uint32Array(n);
  const column = new Uint8Array(nPartitions);
  const assigned = new Uint8Array(nPartitions);
  let left = nPartitions;
  for (let k = pairs.length - 1; k >= 0 && left > 0; k--) {
    const low = pairs[k]! % 1_048_576;
    const i = 255 - Math.floor(low / 4096);
    const pid = 4095 - (low % 4096);
    if (assigned[pid] || (r > 0 && inRow(pid, i))) continue;
    const c = counts[i]!;
    if (c < base) {
      // room below the floor
    } else if (c === base && nodesWithExtra < extra) {
      nodesWithExtra++;
    } else {
      continue;
    }
    counts[i] = c + 1;
    column[pid] = i;
    assigned[pid] = 1;
    left--;
  }
  assert(r > 0 || left === 0, 'every partition gets a master');
  if (left > 0) {
    const order = new Array<number>(n);
    // with group rules a small rack can leave many partitions here and make swaps impossible
    // (every scan a full pass): after the first failed scan stop looking, so the map stays
    // O(P) per column instead of O(P²) (a 3-node, 2-rack map took 270 ms with the scans)
    let swapsPossible = true;
    for (let pid = 0; pid < nPartitions; pid++) {
      if (assigned[pid]) continue;
      // every node with room already holds an earlier replica of pid: the nodes below the floor
      // are taken care of by a swap with another partition, else the best node outside the row
      const y = swapsPossible ? lowestCountNode(counts, base) : -1;
      const q = y < 0 ? -1 : findSwap(column, assigned, pid, y, nPartitions, inRow);
      if (y >= 0 && q < 0 && constrains(groups, n)) swapsPossible = false;
      if (q >= 0) {
        column[pid] = column[q]!;
        column[q] = y;
        counts[y]!++;
      } else {
        // the best node by this partition's own order, relaxing the group rules one at a time
        nodeSequence(scores, pid, n, order);
        let i: number | undefined;
        for (const level of [strict, strict & 2, strict & 1, 0]) {
          i = order.find((x) => !conflicts(columns, r, pid, x, groups, level));
          if (i !== undefined) break;
        }
        assert(i !== undefined, 'a node outside the row exists while RF ≤ N');
        column[pid] = i;
        counts[i]!++;
      }
      assigned[pid] = 1;
    }
  }
  return column;
}

/** Index of a node still below the floor (the lowest such index), or -1. */
function lowestCountNode(counts: Uint32Array, base: number): number {
  let best = -1;
  for (let i = 0; i < counts.length; i++) if (counts[i]! < base && (best < 0 || counts[i]! < counts[best]!)) best = i;
  return best;
}

/**
 * A partition q whose node in this column can move to `pid` (it holds no earlier replica of pid)
 * while `y` takes its place in q (y holds no replica of q yet). -1 when none exists.
 */
function findSwap(
  column: Uint8Array,
  assigned: Uint8Array,
  pid: number,
  y: number,
  nPartitions: number,
  inRow: (p: number, i: number) => boolean,
): number {
  for (let q = 0; q < nPartitions; q++) {
    if (q === pid || !assigned[q]) continue;
    const z = column[q]!;
    if (z !== y && !inRow(pid, z) && !inRow(q, y)) return q;
  }
  return -1;
}

function assertMapInvariants(map: PartitionMap, groups: Groups): void {
  const n = map.succession.length;
  const masters = map.replicas[0]!;
  const counts = new Uint32Array(n);
  for (let pid = 0; pid < map.nPartitions; pid++) {
    counts[masters[pid]!]!++;
    for (let r = 0; r < map.replicationFactor; r++) {
      const i = map.replicas[r]![pid]!;
      assert(i < n, 'replica index inside the succession');
      for (let q = 0; q < r; q++) assert(map.replicas[q]![pid] !== i, 'replicas of a partition are distinct');
      // the swap and walk never break a group rule; only the last-resort fallback relaxes it,
      // and it does so only when no node satisfies it, which the rule's own condition excludes
      if ((strictnessFor(groups, r) & 1) !== 0 && groups.nRacks <= 1) {
        for (let q = 0; q < r; q++) assert(groups.host[map.replicas[q]![pid]!] !== groups.host[i], 'copies of a partition on distinct hosts');
      }
    }
  }
  const lo = Math.floor(map.nPartitions / n);
  for (const c of counts) assert(c === lo || c === lo + 1, 'masters are balanced to floor/ceil of P/N');
}

function assert(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(`partition map invariant violated: ${what}`);
}
