/**
 * Cluster discovery for Strato's tools, the way Aerospike clients tend a cluster: ask a seed for
 * `node`, `peers-clear-std`, `partition-generation` and `replicas`, then ask every peer the same,
 * transitively, and keep which node is master of each partition of each namespace. A refresh
 * repeats the discovery from every node known so far (and the seeds), so requests can follow
 * partitions that moved or nodes that left.
 */
import { InfoParseError, parsePeers, parseReplicas, parseReplicasMaster, type Peer } from './cluster-info.js';
import { endpointKey, infoRequest, isInfoError, type Endpoint } from './info-request.js';
import { wireTlsEnabled } from './wire-connection.js';
import { resolveMasters, type MasterTable, type NodeClaims } from './partition-owners.js';

export interface ClusterNode extends Endpoint {
  id: string;
  partitionGeneration: number;
}

export interface DiscoveryOptions {
  /** per info exchange (connect included) */
  timeoutMs: number;
  /** notes on unreachable peers and refreshes (verbose logging) */
  log?: (msg: string) => void;
}

interface Probe {
  node: ClusterNode;
  claims: NodeClaims;
  peers: Peer[];
}

interface Snapshot {
  /** in discovery order: the seed that answered first */
  nodes: ClusterNode[];
  byId: Map<string, ClusterNode>;
  masters: MasterTable;
}

/** Over TLS the peers' TLS endpoints (and names) are asked for, as the clients do. */
const peersCommand = () => (wireTlsEnabled() ? 'peers-tls-std' : 'peers-clear-std');

/** A node answered, but not with what a cluster member answers: an error, never skipped. */
export class ClusterAnswerError extends Error {}

/** Asks one address who it is, who its peers are and which partitions it holds. */
async function probe(ep: Endpoint, timeoutMs: number): Promise<Probe> {
  const peersCmd = peersCommand();
  const a = await infoRequest(ep, ['node', peersCmd, 'partition-generation', 'replicas'], timeoutMs);
  const where = endpointKey(ep);
  const id = a.get('node');
  if (id === undefined || !/^[0-9A-Fa-f]{1,16}$/.test(id)) throw new ClusterAnswerError(`${where} answered node "${id ?? ''}", not a hex node id`);
  const bad = (msg: string) => new ClusterAnswerError(`node ${id} at ${where}: ${msg}`);
  const peersText = a.get(peersCmd);
  if (isInfoError(peersText)) throw bad(`${peersCmd} failed: ${peersText ?? 'no answer'}`);
  const genText = a.get('partition-generation') ?? '';
  if (!/^-?\d+$/.test(genText)) throw bad(`invalid partition-generation answer "${genText}": expected an integer`);
  let replicasText = a.get('replicas');
  let useMaster = false;
  if (isInfoError(replicasText)) {
    // servers before `replicas` existed answer only the master column
    replicasText = (await infoRequest(ep, ['replicas-master'], timeoutMs)).get('replicas-master');
    if (isInfoError(replicasText)) throw bad(`neither replicas nor replicas-master answered (${replicasText ?? 'no answer'})`);
    useMaster = true;
  }
  try {
    // each peer is reached under the TLS name it advertises
    const peers = parsePeers(peersText!).peers.map((p) => (p.tlsName ? { ...p, endpoints: p.endpoints.map((e) => ({ ...e, tlsName: p.tlsName })) } : p));
    const replicas = useMaster ? parseReplicasMaster(replicasText!) : parseReplicas(replicasText!);
    const node: ClusterNode = { id: id.toUpperCase(), host: ep.host, port: ep.port, ...(ep.tlsName ? { tlsName: ep.tlsName } : {}), partitionGeneration: Number(genText) };
    return { node, peers, claims: { nodeId: node.id, partitionGeneration: node.partitionGeneration, replicas } };
  } catch (e) {
    if (e instanceof InfoParseError) throw bad(e.message);
    throw e;
  }
}

/** Probes a peer at each address it advertises until one answers; undefined when none does. */
async function probePeer(peer: Peer, opts: DiscoveryOptions): Promise<Probe | undefined> {
  for (const ep of peer.endpoints) {
    try {
      return await probe(ep, opts.timeoutMs);
    } catch (e) {
      // a node that answers nonsense is an error; one that cannot be reached is left out
      if (e instanceof ClusterAnswerError) throw e;
      opts.log?.(`peer ${peer.nodeId} at ${endpointKey(ep)} unreachable: ${(e as Error).message}`);
    }
  }
  if (peer.endpoints.length === 0) opts.log?.(`peer ${peer.nodeId} advertises no address`);
  return undefined;
}

async function discover(seeds: Endpoint[], opts: DiscoveryOptions): Promise<Snapshot> {
  const found = new Map<string, Probe>();
  let first: Probe | undefined;
  let lastError: Error | undefined;
  for (const seed of seeds) {
    try {
      first = await probe(seed, opts.timeoutMs);
      break;
    } catch (e) {
      if (e instanceof ClusterAnswerError) throw e;
      lastError = e as Error;
      opts.log?.(`could not connect to ${endpointKey(seed)}: ${lastError.message}`);
    }
  }
  if (!first) throw new Error(`Error while connecting to ${seeds.map(endpointKey).join(',')}: ${lastError?.message ?? 'no host'}`);
  found.set(first.node.id, first);
  // breadth-first over peers; a node known by id is not asked twice
  let frontier = [first];
  while (frontier.length > 0) {
    const wanted = new Map<string, Peer>();
    for (const p of frontier) for (const peer of p.peers) if (!found.has(peer.nodeId) && !wanted.has(peer.nodeId)) wanted.set(peer.nodeId, peer);
    const probes = await Promise.all([...wanted.values()].map((peer) => probePeer(peer, opts)));
    frontier = [];
    for (const p of probes) {
      if (!p || found.has(p.node.id)) continue;
      found.set(p.node.id, p);
      frontier.push(p);
    }
  }
  const all = [...found.values()];
  const nodes = all.map((p) => p.node);
  return { nodes, byId: new Map(nodes.map((n) => [n.id, n])), masters: resolveMasters(all.map((p) => p.claims)) };
}

/** The nodes of a cluster and the master of every partition, refreshed on demand. */
export class ClusterMap {
  private refreshing: Promise<void> | undefined;
  /** how many refreshes have completed */
  refreshes = 0;

  private constructor(
    private readonly seeds: Endpoint[],
    private readonly opts: DiscoveryOptions,
    private snap: Snapshot,
  ) {}

  /** Discovers the cluster from the first seed that answers; throws when none does. */
  static async discover(seeds: Endpoint[], opts: DiscoveryOptions): Promise<ClusterMap> {
    return new ClusterMap(seeds, opts, await discover(seeds, opts));
  }

  /** Every node found, the answering seed first. */
  get nodes(): readonly ClusterNode[] {
    return this.snap.nodes;
  }

  /** The partition's master, or undefined when no node claims it. */
  master(namespace: string, pid: number): ClusterNode | undefined {
    const id = this.snap.masters.get(namespace)?.[pid];
    return id === undefined ? undefined : this.snap.byId.get(id);
  }

  /**
   * Where to send a partition's requests: its master, or else the first node, whose answer
   * (partition unavailable, or a proxied result) tells the caller to refresh and retry.
   */
  nodeFor(namespace: string, pid: number): ClusterNode {
    return this.master(namespace, pid) ?? this.snap.nodes[0]!;
  }

  /** Groups items by the node their partition goes to, in the order of `nodes`. */
  group<T>(namespace: string, items: readonly T[], pidOf: (item: T) => number): { node: ClusterNode; items: T[] }[] {
    const byId = new Map<string, { node: ClusterNode; items: T[] }>();
    for (const item of items) {
      const node = this.nodeFor(namespace, pidOf(item));
      let g = byId.get(node.id);
      if (!g) byId.set(node.id, (g = { node, items: [] }));
      g.items.push(item);
    }
    return this.snap.nodes.flatMap((n) => (byId.has(n.id) ? [byId.get(n.id)!] : []));
  }

  /**
   * Rediscovers from every known node and the seeds. Concurrent callers share one discovery; a
   * failed one keeps the previous map (the caller's retry limit then decides).
   */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const seen = new Set<string>();
      const seeds = [...this.snap.nodes, ...this.seeds].filter((ep) => {
        const k = endpointKey(ep);
        return !seen.has(k) && (seen.add(k), true);
      });
      try {
        this.snap = await discover(seeds, this.opts);
        this.refreshes++;
        this.opts.log?.(`cluster map refreshed: ${this.describe()}`);
      } catch (e) {
        this.opts.log?.(`cluster map refresh failed, keeping the previous one: ${(e as Error).message}`);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** `N node(s): ID@host:port, ...`, with each node's master partition count when a namespace is given. */
  describe(namespace?: string): string {
    const owned = (id: string) => this.snap.masters.get(namespace ?? '')?.filter((m) => m === id).length;
    return `${this.snap.nodes.length} node(s): ${this.snap.nodes
      .map((n) => `${n.id}@${endpointKey(n)}${namespace !== undefined ? ` (${owned(n.id) ?? 0} partition(s))` : ''}`)
      .join(', ')}`;
  }
}
