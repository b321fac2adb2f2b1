/**
 * The cluster's face in info commands: `replicas*`, `peers-*`, `cluster-stable`, and the
 * cluster/migration statistics. A node without a mesh cluster answers as a cluster of one.
 */
import { formatNodeId } from '../cluster/node-id.js';
import type { Namespace } from '../namespace/namespace.js';
import { N_PARTITIONS } from '../util/digest.js';
import type { InfoCommand } from './info-protocol.js';
import type { StratoNode } from './node.js';

type Pair = [string, string | number | boolean];

const ALL_PARTITIONS_B64 = Buffer.alloc(N_PARTITIONS / 8, 0xff).toString('base64');
const NO_PARTITIONS_B64 = Buffer.alloc(N_PARTITIONS / 8, 0).toString('base64');

/** Bitmaps of the partitions where this node is at client replica position 0..n-1. */
function columns(node: StratoNode, nsName: string, n: number): string[] {
  const np = node.cluster?.runtime.partitions.get(nsName);
  if (!np) return Array.from({ length: n }, (_, i) => (i === 0 ? ALL_PARTITIONS_B64 : NO_PARTITIONS_B64));
  const bits = Array.from({ length: n }, () => Buffer.alloc(N_PARTITIONS / 8));
  if (node.cluster!.runtime.ready && !node.cluster!.runtime.leaving) {
    for (let pid = 0; pid < N_PARTITIONS; pid++) {
      const r = np.clientReplicaIndex(pid);
      if (r >= 0 && r < n) bits[r]![pid >> 3]! |= 0x80 >> (pid & 7);
    }
  }
  return bits.map((b) => b.toString('base64'));
}

function replicationFactorOf(node: StratoNode, nsName: string): number {
  const np = node.cluster?.runtime.partitions.get(nsName);
  return np ? np.effectiveReplicationFactor : 1;
}

/** `replicas[:max=N]`: `<ns>:<regime>,<n>,<bitmap 0>,...;...` */
export function replicasValue(node: StratoNode, maxReplicas = Infinity): string {
  return [...node.namespaces.keys()]
    .map((name) => {
      const n = Math.max(1, Math.min(replicationFactorOf(node, name), maxReplicas));
      return `${name}:0,${n},${columns(node, name, n).join(',')}`;
    })
    .join(';');
}

/** `replicas-all`: `<ns>:<n>,<bitmap 0>,...;...` (pre-regime form) */
export function replicasAllValue(node: StratoNode): string {
  return [...node.namespaces.keys()]
    .map((name) => {
      const n = replicationFactorOf(node, name);
      return `${name}:${n},${columns(node, name, n).join(',')}`;
    })
    .join(';');
}

export function replicasMasterValue(node: StratoNode): string {
  return [...node.namespaces.keys()].map((name) => `${name}:${columns(node, name, 1)[0]}`).join(';');
}

/** `rack-ids`: this node's rack per namespace, `<ns>:<rack-id>;...` (what rack-aware clients read). */
export function rackIdsValue(node: StratoNode): string {
  return [...node.namespaces.values()].map((ns) => `${ns.name}:${ns.settings.rackId ?? 0}`).join(';');
}

/**
 * `racks`: every rack of each namespace and its nodes under the current plan,
 * `ns=<ns>:rack_<id>=<node>,<node>:rack_<id>=...;...` (racks ascending, nodes descending).
 */
export function racksValue(node: StratoNode): string {
  return [...node.namespaces.values()]
    .map((ns) => {
      const byRack = new Map<number, string[]>();
      const members = node.cluster?.runtime.racksOf(ns.name);
      if (members && members.size > 0) {
        const ids = [...members.keys()].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
        for (const id of ids) {
          const rack = members.get(id)!;
          byRack.set(rack, [...(byRack.get(rack) ?? []), formatNodeId(id)]);
        }
      } else byRack.set(ns.settings.rackId ?? 0, [node.nodeId]);
      const racks = [...byRack.keys()].sort((a, b) => a - b);
      return `ns=${ns.name}:${racks.map((r) => `rack_${r}=${byRack.get(r)!.join(',')}`).join(':')}`;
    })
    .join(';');
}

export function partitionGeneration(node: StratoNode): number {
  return node.cluster ? node.cluster.runtime.partitionGeneration : node.partitionGeneration;
}

export function peersGeneration(node: StratoNode): number {
  return node.cluster ? node.cluster.runtime.peersGeneration : node.peersGeneration;
}

/** `services` (pre-peers clients): the other members' service endpoints, `host:port;...` */
export function servicesValue(node: StratoNode): string {
  return (node.cluster?.runtime.peers() ?? []).map((p) => p.service).join(';');
}

/** `peers-clear-std`: `<gen>,<default port>,[[<id>,,[<addr>:<port>]],...]` */
export function peersValue(node: StratoNode): string {
  const gen = peersGeneration(node);
  const peers = node.cluster?.runtime.peers() ?? [];
  const list = peers.map((p) => `[${formatNodeId(p.id)},,[${p.service}]]`).join(',');
  return `${gen},${node.spec.servicePort},[${list}]`;
}

/**
 * `peers-tls-std` / `peers-tls-alt` (Aerospike EE): the members' TLS service endpoints and the TLS
 * name each presents, `<gen>,<default TLS port>,[[<id>,<tls-name>,[<addr>:<port>]],...]`; with
 * `alt` each member's alternate TLS endpoint (tls-alternate-access-*), its standard one when it
 * has none configured (as peers-clear-alt). A node without a TLS port answers as Community
 * Edition does.
 */
export function peersTlsValue(node: StratoNode, alt = false): string {
  const tls = node.spec.tls;
  if (!tls) return 'ERROR:25:enterprise only';
  const peers = node.cluster?.runtime.peers() ?? [];
  const list = peers.filter((p) => p.tls !== undefined).map((p) => `[${formatNodeId(p.id)},${p.tlsName ?? ''},[${alt ? (p.tlsAlt ?? p.tls) : p.tls}]]`).join(',');
  return `${peersGeneration(node)},${tls.port},[${list}]`;
}

/**
 * `service-tls-std`: this node's TLS service endpoint, `<addr>:<port>` ('' without a TLS port);
 * with `alt` (`service-tls-alt`) its tls-alternate-access endpoint ('' when none is configured,
 * as service-clear-alt).
 */
export function serviceTlsValue(node: StratoNode, alt = false): string {
  const tls = node.spec.tls;
  if (alt) return tls?.alt ?? '';
  return tls ? joinHostPort(tls.address, tls.port) : '';
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * `cluster-stable[:size=N;ignore-migrations=BOOL;namespace=NS]`: the cluster key when the
 * cluster is formed, of the expected size and (unless told to ignore them) done migrating;
 * otherwise the reference server's `ERROR::...` answers.
 */
export function clusterStable(node: StratoNode, cmd: InfoCommand): string {
  const rt = node.cluster?.runtime;
  if (rt && (!rt.ready || !rt.clusterView.integrity)) return 'ERROR::unstable-cluster';
  const size = cmd.params.get('size');
  if (size !== undefined) {
    if (!/^\d{1,3}$/.test(size)) return 'ERROR::bad-size';
    if (Number(size) !== (rt ? rt.clusterView.clusterSize : 1)) return 'ERROR::cluster-not-specified-size';
  }
  const ignore = cmd.params.get('ignore-migrations');
  if (ignore !== undefined && !['true', 'yes', 'false', 'no'].includes(ignore)) return 'ERROR::bad-ignore-migrations';
  if (ignore !== 'true' && ignore !== 'yes') {
    const nsName = cmd.params.get('namespace');
    if (nsName !== undefined && !node.namespace(nsName)) return 'ERROR::unknown-namespace';
    if (rt) {
      const pending = nsName !== undefined ? (rt.partitions.get(nsName)?.unreadyPartitions ?? 0) : rt.migrationsRemaining().cluster;
      if (pending > 0) return 'ERROR::unstable-cluster';
    }
  }
  return rt ? rt.clusterView.clusterKey.toString(16).toUpperCase() : node.clusterKey;
}

export function clusterStatistics(node: StratoNode): Pair[] {
  const rt = node.cluster?.runtime;
  if (!rt) {
    return [
      ['cluster_size', 1],
      ['cluster_key', node.clusterKey],
      ['cluster_generation', 1],
      ['cluster_principal', node.nodeId],
      ['cluster_integrity', true],
      ['cluster_is_member', true],
      ['migrate_allowed', true],
      ['migrate_partitions_remaining', 0],
    ];
  }
  const v = rt.clusterView;
  const m = rt.migrationsRemaining();
  return [
    ['cluster_size', v.clusterSize],
    ['cluster_key', v.clusterKey.toString(16).toUpperCase()],
    ['cluster_generation', rt.partitionGeneration],
    ['cluster_principal', v.principal === 0n ? '0' : formatNodeId(v.principal)],
    ['cluster_integrity', v.integrity],
    ['cluster_is_member', v.clusterKey !== 0n],
    ['migrate_allowed', rt.ready],
    ['migrate_partitions_remaining', m.tx + m.rx],
  ];
}

/** Per-namespace objects by role and migration progress. */
export function namespaceClusterStats(node: StratoNode, ns: Namespace): Pair[] {
  const rt = node.cluster?.runtime;
  const np = rt?.partitions.get(ns.name);
  if (!rt || !np) {
    return [
      ['ns_cluster_size', 1],
      ['effective_replication_factor', 1],
      ['master_objects', ns.objects],
      ['prole_objects', 0],
      ['non_replica_objects', 0],
      ['migrate_tx_partitions_initial', 0],
      ['migrate_tx_partitions_remaining', 0],
      ['migrate_rx_partitions_initial', 0],
      ['migrate_rx_partitions_remaining', 0],
      ['migrate_records_transmitted', 0],
      ['migrate_records_received', 0],
      // a node on its own never steps back (every node quiesced: the flag is ignored)
      ['pending_quiesce', node.quiescePending],
      ['effective_is_quiesced', false],
      ['nodes_quiesced', 0],
    ];
  }
  let master = 0;
  let prole = 0;
  let other = 0;
  for (let pid = 0; pid < N_PARTITIONS; pid++) {
    let n = ns.index.partitionSize(pid);
    if (n === 0) continue;
    if (ns.tombstones > 0) ns.index.forEachInPartition(pid, (id) => void (ns.isTombstone(id) && n--)); // objects, not tombstones
    const r = rt.ready ? np.clientReplicaIndex(pid) : -1;
    if (r === 0) master += n;
    else if (r > 0) prole += n;
    else other += n;
  }
  const rem = np.remaining();
  return [
    ['ns_cluster_size', np.memberCount],
    ['effective_replication_factor', np.effectiveReplicationFactor],
    ['master_objects', master],
    ['prole_objects', prole],
    ['non_replica_objects', other],
    ['migrate_tx_partitions_initial', np.txInitial],
    ['migrate_tx_partitions_remaining', rem.tx],
    ['migrate_rx_partitions_initial', np.rxInitial],
    ['migrate_rx_partitions_remaining', rem.rx],
    ['migrate_records_transmitted', np.recordsTransmitted],
    ['migrate_records_received', np.recordsReceived],
    ...quiesceStats(node, np.memberCount),
  ];
}

/** pending_quiesce, effective_is_quiesced, nodes_quiesced as 8.1.2 reports them. */
function quiesceStats(node: StratoNode, memberCount: number): Pair[] {
  const quiet = node.cluster?.runtime.quiescedMembers() ?? [];
  // when every member is quiesced the flag is ignored: nobody is effectively quiesced
  const effective = quiet.length < memberCount ? quiet : [];
  return [
    ['pending_quiesce', node.quiescePending],
    ['effective_is_quiesced', effective.includes(node.cluster!.runtime.nodeId)],
    ['nodes_quiesced', effective.length],
  ];
}
