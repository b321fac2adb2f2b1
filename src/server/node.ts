/**
 * A Strato node's identity and state as clients and operators see it: node id, namespaces,
 * generations of the partition map and peer list, statistics.
 */
import type { SmdItems } from './smd-items.js';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { Namespace, type NamespaceSettings } from '../namespace/namespace.js';
import { createStorageEngine } from '../storage/engines.js';
import type { StorageEngine } from '../storage/storage-engine.js';
import type { Clock } from '../util/clock.js';
import type { NamespaceLookup } from '../transaction/keyed-request.js';
import { ScanJobRegistry } from '../scan/scan-jobs.js';
import { QueryStatsRegistry } from '../query/query-stats.js';
import { LatencyRegistry } from './latency.js';
import { LoopDelayMonitor } from './loop-delay.js';
import type { SmdStore } from '../namespace/smd.js';
import { applyTruncateEntries, truncateEntries, type TruncateEntry } from '../namespace/truncate.js';
import type { ClusterRuntime } from '../cluster/runtime/cluster-runtime.js';
import type { AsMsg } from '../protocol/message.js';
import type { ResponseBuilder } from '../protocol/response-builder.js';
import { SindexCatalog } from '../sindex/catalog.js';
import type { SecurityStore } from '../security/store.js';

export const BUILD_VERSION = '8.1.2.0';
export const EDITION = 'Aerospike Community Edition';

export interface NamespaceSpec {
  settings: NamespaceSettings;
  /** builds the storage engine; memory when absent */
  createStorage?: () => StorageEngine;
  memoryDataSizeBytes: number;
}

export interface NodeSpec {
  clusterName: string;
  /** fixed node id (hex) or undefined to derive one from host and port */
  nodeIdHex: string | undefined;
  serviceAddress: string;
  servicePort: number;
  namespaces: NamespaceSpec[];
  clock: Clock;
  /** where system metadata lives; undefined = not persisted */
  smd?: SmdStore | undefined;
  /**
   * the TLS service endpoint clients are told about (`service-tls-std`, `peers-tls-std`) and the
   * alternate one ("host:port", `service-tls-alt`, `peers-tls-alt`; from tls-alternate-access-*,
   * undefined when none is configured); undefined = no TLS port
   */
  tls?: { address: string; port: number; name: string; alt?: string | undefined } | undefined;
  /** the admin port's endpoints (`admin-clear-std`, `admin-tls-std`: "host:port" lists, '' = none) */
  admin?: { clear: string; tls: string } | undefined;
}

/**
 * What a node in a mesh cluster routes through (server/cluster-router.ts implements it). The node
 * holds only this interface: the router sits on top of the request path (it runs transactions
 * here or proxies them), so node.ts importing it would close a cycle through the whole path.
 */
export interface NodeRouter {
  /** the live cluster: membership, partition map, peers, migrations */
  readonly runtime: ClusterRuntime;
  /** Routes a single-record message here or to the serving node; answers a whole frame. */
  routeSingle(msg: AsMsg, body: Buffer, hops: number, out: ResponseBuilder): Buffer | Promise<Buffer>;
  /**
   * Routes a client's message read on a connection whose reply builder is `out`: null when the
   * answer was committed in `out` (served here, nothing to wait for), else its frame.
   */
  routeClient(msg: AsMsg, body: Buffer, out: ResponseBuilder): Buffer | Promise<Buffer> | null;
  /** Runs one batch row here or proxied; replication of a row written here goes to `pending`. */
  batchRow(msg: AsMsg, rowIndex: number, out: ResponseBuilder, pending: Promise<void>[]): number | Promise<number>;
  /** Whether this node serves partition `pid` of namespace `nsName` (scans skip the others). */
  servesPartition(nsName: string, pid: number): boolean;
}

export class NodeStats {
  requests = 0;
  clientConnectionsOpened = 0;
  clientConnectionsClosed = 0;
  /** admin-port connections (`network { admin { } }`) */
  adminConnectionsOpened = 0;
  adminConnectionsClosed = 0;
  infoRequests = 0;
  batchIndexInitiate = 0;
  batchIndexComplete = 0;
  batchIndexError = 0;
  /** connections closed at accept because proto-fd-max was reached */
  clientConnectionsRefused = 0;
  /** frames with a bad proto header (version, type, size, TLS on the plain port) or that broke their handler */
  protoFramesMalformed = 0;
  /** compressed requests refused (past COMPRESSED_REQUEST_MAX_BYTES or not inflatable) */
  compressedRequestsRefused = 0;
}

export class StratoNode implements NamespaceLookup {
  readonly namespaces = new Map<string, Namespace>();
  /** the namespaces' names as bytes and the namespaces, in the same order (namespaceAt) */
  private readonly namespaceNames: Buffer[] = [];
  private readonly namespaceList: Namespace[] = [];
  readonly nodeId: string;
  readonly startMs: number;
  readonly stats = new NodeStats();
  readonly jobs = new ScanJobRegistry();
  /** per-namespace statistics of query jobs (pi_query_*, si_query_*, ops_sub_*, udf_sub_*) */
  readonly queryStats = new QueryStatsRegistry();
  readonly latency: LatencyRegistry;
  /** event-loop delay statistics; started by startNode */
  readonly loopDelay = new LoopDelayMonitor();
  partitionGeneration = 0;
  peersGeneration = 0;
  /**
   * `quiesce:` asked this node to step back (Aerospike EE's quiesce): at the next cluster change
   * (`recluster:`) it gives its partitions to the other nodes; `quiesce-undo:` clears it
   */
  quiescePending = false;
  /** the cluster key of a node without a cluster stanza (one-node cluster); a recluster draws a new one */
  clusterKey: string;
  /** set when the node runs in a mesh cluster (heartbeat mode mesh) */
  cluster: NodeRouter | undefined;
  /** secondary index definitions and the indexes of this node's namespaces */
  readonly sindexes: SindexCatalog;
  /** users and roles when a `security` stanza turns access control on (system metadata the cluster shares) */
  securityStore: SecurityStore | undefined;
  /** UDF modules, sindex definitions and truncation points as versioned SMD items (set at assembly) */
  smdItems: SmdItems | undefined;

  constructor(readonly spec: NodeSpec) {
    this.startMs = spec.clock.nowMs();
    this.latency = new LatencyRegistry(
      spec.namespaces.map((n) => n.settings.name),
      () => spec.clock.nowMs(),
    );
    this.nodeId = spec.nodeIdHex ?? deriveNodeId(spec.servicePort);
    for (const nsSpec of spec.namespaces) {
      const storage = nsSpec.createStorage ? nsSpec.createStorage() : createStorageEngine({ kind: 'memory', dataSizeBytes: nsSpec.memoryDataSizeBytes });
      this.namespaces.set(nsSpec.settings.name, new Namespace(nsSpec.settings, storage, spec.clock));
    }
    for (const [name, ns] of this.namespaces) {
      this.namespaceNames.push(Buffer.from(name, 'utf8'));
      this.namespaceList.push(ns);
    }
    this.sindexes = new SindexCatalog(this.namespaces.values(), (defs) => this.spec.smd?.save('sindex', defs));
    this.clusterKey = createHash('sha1').update(`${this.nodeId}:${this.startMs}`).digest().readBigUInt64BE(0).toString(16).toUpperCase().replace(/^0+/, '') || '1';
  }

  /** Loads persisted system metadata into the namespaces (call once at startup). */
  loadSmd(): void {
    const smd = this.spec.smd;
    if (!smd) return;
    const entries = smd.load<TruncateEntry>('truncate');
    for (const ns of this.namespaces.values()) applyTruncateEntries(ns, entries);
  }

  /**
   * Installs the persisted secondary index definitions and starts populating them. Call after the
   * namespaces' records are loaded (cold start), so population sees them all.
   */
  loadSindexes(): void {
    const smd = this.spec.smd;
    if (smd) this.sindexes.merge(smd.load<unknown>('sindex'));
  }

  /** Saves every namespace's truncation points (Aerospike CE forgets them on cold start; Strato keeps them). */
  persistTruncation(): void {
    this.spec.smd?.save('truncate', [...this.namespaces.values()].flatMap((ns) => truncateEntries(ns)));
  }

  namespace(name: string): Namespace | undefined {
    return this.namespaces.get(name);
  }

  /** The namespace named by the UTF-8 bytes buf[start, end), compared in place (no string per request). */
  namespaceAt(buf: Buffer, start: number, end: number): Namespace | undefined {
    const len = end - start;
    const names = this.namespaceNames;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (name.length !== len) continue;
      let j = 0;
      while (j < len && name[j] === buf[start + j]) j++;
      if (j === len) return this.namespaceList[i];
    }
    return undefined;
  }

  get clock(): Clock {
    return this.spec.clock;
  }

  uptimeSec(): number {
    return Math.floor((this.spec.clock.nowMs() - this.startMs) / 1000);
  }
}

/**
 * Aerospike derives the node id from a MAC address and the service port; we derive it from the
 * host name and port so it is stable across restarts of the same node.
 */
export function deriveNodeId(port: number): string {
  const h = createHash('sha1').update(hostname()).digest();
  const high = (BigInt(h.readUInt32BE(0) & 0xffffff) << 24n) | BigInt(h.readUInt32BE(4) & 0xffffff);
  const id = (BigInt(port & 0xffff) << 48n) | high;
  return id.toString(16).toUpperCase();
}
