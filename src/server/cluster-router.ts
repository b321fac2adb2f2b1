/**
 * Client requests in a cluster: a single-record message runs here when this node serves its
 * partition (or, for a read, holds a complete replica), otherwise it is proxied to the node that
 * does. A write served here reaches every other replica of its partition before the client is
 * answered (write-commit-level all). Batch rows follow the same rule row by row; scans skip
 * partitions served elsewhere (the client retries them where its refreshed map points).
 */
import { ClusterRuntime, type ClusterRuntimeOptions } from '../cluster/runtime/cluster-runtime.js';
import { parseNodeId, type NodeId } from '../cluster/node-id.js';
import { joinAddress, type PeerTls } from '../cluster/net/peer-net.js';
import { isBlacklisted, loadTlsContexts, onTlsContextChange, type TlsContext } from './tls-contexts.js';
import { FieldType, Info3, keyFieldPositions, parseMessage, type AsMsg } from '../protocol/message.js';
import { ResponseBuilder, simpleReply } from '../protocol/response-builder.js';
import { ResultCode, resultCodeOf } from '../protocol/result-codes.js';
import { packShipped, shipCurrent } from '../namespace/record-transfer.js';
import { partitionOf } from '../util/digest.js';
import { networkInterfaces } from 'node:os';
import { executeSingleRecord } from '../transaction/single-record.js';
import { ClusterData } from './cluster-data.js';
import type { NodeRouter, StratoNode } from './node.js';
import type { StratoRuntimeConfig } from './node-config.js';
import { logger } from '../util/log.js';

/** A read's TTL field that never touches (read-touch-ttl-percent -1). */
const READ_TOUCH_NEVER = 0xffffffff;
import { executeInfoCommand } from './info-commands.js';
import type { UdfRegistry } from '../udf/index.js';
import { applySmd, makeSmdItems, smdSnapshot } from './cluster-smd.js';
import { parseInfoCommand } from './info-protocol.js';
import { encodeStandaloneMessage, fieldBytes, keyedKind } from '../protocol/request.js';
import type { Namespace } from '../namespace/namespace.js';

/** A proxied request is proxied again at most this often before giving up (maps in flux). */
const MAX_PROXY_HOPS = 3;
const DEFAULT_PROXY_TIMEOUT_MS = 5000;
const REPLICA_WRITE_TIMEOUT_MS = 2000;

export class ClusterRouter implements NodeRouter {
  readonly runtime: ClusterRuntime;

  private readonly commitOverride: (ns: string) => 'off' | 'master' | 'all';
  private readonly data: ClusterData;

  constructor(
    private readonly node: StratoNode,
    config: StratoRuntimeConfig,
    servicePort: number,
    udf: UdfRegistry,
    /** the machine's id when one start runs several nodes here (host-nodes.ts); else the node's own */
    hostId?: bigint,
    /** the node's loaded `tls` contexts (refreshed by start.ts); undefined = read them here */
    contexts?: Map<string, TlsContext>,
  ) {
    const raw = config.raw;
    this.commitOverride = (ns) => raw.namespaces.find((n) => n.name === ns)?.writeCommitLevelOverride ?? 'off';
    const log = logger.context('clustering', 'cluster-router.ts');
    // assembly sets it; a router built without it gets the same table over the node's registries
    const smdItems = (node.smdItems ??= makeSmdItems({ udf, sindexes: node.sindexes, namespaces: () => node.namespaces.values(), persistTruncation: () => node.persistTruncation(), validateUdfs: true }, node.nodeId, () => Date.now()));
    const data = (this.data = new ClusterData(
      node,
      (ns) => raw.namespaces.find((n) => n.name === ns)?.conflictResolutionPolicy ?? 'generation',
      (ns) => Number(raw.namespaces.find((n) => n.name === ns)?.extra['migrate-sleep'] ?? 1),
    ));
    const hb = raw.network.heartbeat;
    const fab = raw.network.fabric;
    const bindOf = (addrs: string[]) => (addrs[0] === undefined || addrs[0] === 'any' ? '0.0.0.0' : addrs[0]);
    const serviceBind = node.spec.serviceAddress;
    const advertiseHost = (bind: string) => (bind === '0.0.0.0' ? (raw.network.service.accessAddresses[0] ?? firstExternalIPv4()) : bind);
    // with a tls-port, that link runs over TLS on it (and its own addresses, else the clear ones)
    const tlsContexts = contexts ?? (hb.tlsPort !== 0 || fab.tlsPort !== 0 ? loadTlsContexts(raw.network.tls) : new Map<string, TlsContext>());
    const peerTls = (name: string | undefined): PeerTls | undefined => {
      const ctx = name === undefined ? undefined : tlsContexts.get(name);
      // options read at each connect, so a refreshed context (tls-refresh-period) serves new links
      return ctx
        ? {
            get options() {
              return ctx.options;
            },
            name: ctx.name,
            accept: (cert) => !isBlacklisted(ctx, cert),
            onChange: (fn) => onTlsContextChange(ctx, fn),
          }
        : undefined;
    };
    const hbTls = hb.tlsPort !== 0 ? peerTls(hb.tlsName) : undefined;
    const fabTls = fab.tlsPort !== 0 ? peerTls(fab.tlsName) : undefined;
    const hbAddrs = hbTls && hb.tlsAddresses.length > 0 ? hb.tlsAddresses : hb.addresses;
    const fabAddrs = fabTls && fab.tlsAddresses.length > 0 ? fab.tlsAddresses : fab.addresses;
    const hbBind = bindOf(hbAddrs.length > 0 ? hbAddrs : [serviceBind]);
    const fabBind = bindOf(fabAddrs.length > 0 ? fabAddrs : [serviceBind]);
    const hbPort = hbTls ? hb.tlsPort : hb.port;
    const fabPort = fabTls ? fab.tlsPort : fab.port;
    const opts: ClusterRuntimeOptions = {
      nodeId: parseNodeId(node.nodeId),
      clusterName: raw.service.clusterName,
      heartbeat: {
        host: hbBind,
        port: hbPort,
        advertise: joinAddress(advertiseHost(hbBind), hbPort),
        seeds: (hbTls ? hb.tlsMeshSeeds : hb.meshSeeds).map((s) => joinAddress(s.host, s.port)),
        intervalMs: hb.intervalMs,
        timeoutIntervals: hb.timeoutIntervals,
        tls: hbTls,
      },
      fabric: { host: fabBind, port: fabPort, advertise: joinAddress(advertiseHost(fabBind), fabPort), tls: fabTls },
      service: joinAddress(advertiseHost(serviceBind), raw.network.service.accessPort || servicePort),
      serviceTls: node.spec.tls ? { endpoint: joinAddress(node.spec.tls.address, node.spec.tls.port), name: node.spec.tls.name, alt: node.spec.tls.alt } : undefined,
      minClusterSize: Math.max(1, raw.service.minClusterSize),
      migrateThreads: () => raw.service.migrateThreads,
      migrateFillDelaySec: () => Number(raw.service.extra['migrate-fill-delay'] ?? 0),
      migrateMaxNumIncoming: () => Number(raw.service.extra['migrate-max-num-incoming'] ?? 4),
      log: { info: (m) => log.info(m), warning: (m) => log.warning(m) },
      hostId,
    };
    this.runtime = new ClusterRuntime(opts, {
      namespaces: () =>
        raw.namespaces.map((n) => ({
          name: n.name,
          replicationFactor: () => n.replicationFactor,
          migrateOrder: () => Number(n.extra['migrate-order'] ?? 5),
          rackId: () => n.rackId,
        })),
      executeProxied: (body, hops) => this.executeProxied(body, hops),
      readForDuplicate: (ns, digest) => data.readForDuplicate(ns, digest),
      smdSnapshot: () => smdSnapshot(smdItems, node.securityStore?.items()),
      applySmd: (snapshot) => applySmd(smdItems, snapshot, (items) => node.securityStore?.merge(items)),
      executeForwardedInfo: (text) => {
        executeInfoCommand(parseInfoCommand(text), { node, connection: { userAgent: undefined } });
      },
      applyReplicaRecords: (ns, packed) => data.applyReplicaRecords(ns, packed),
      bootPartitions: (ns) => data.bootPartitions(ns),
      quiesced: () => node.quiescePending,
      partitionRecords: (ns, pid) => data.partitionRecords(ns, pid),
      applyMigratedRecords: (ns, packed) => data.applyMigratedRecords(ns, packed),
      dropPartition: (ns, pid) => data.dropPartition(ns, pid),
      migrateSleepUs: (ns) => data.migrateSleepUs(ns),
      pack: (records) => data.pack(records),
    });
  }

  /** Routes a single-record message; answers a whole frame. */
  routeSingle(msg: AsMsg, body: Buffer, hops: number, out: ResponseBuilder, resolved = false): Buffer | Promise<Buffer> {
    return this.route(msg, body, hops, out, resolved, false) as Buffer | Promise<Buffer>;
  }

  /**
   * Routes a client's single-record message arriving on a connection whose reply builder is `out`:
   * an answer made here without waiting is committed in `out` after the frames before it
   * (ANSWER_IN_BUFFER, null), so it leaves in the connection's next write without a copy of its
   * own; a proxied answer or one waiting for its replicas comes back as a frame.
   */
  routeClient(msg: AsMsg, body: Buffer, out: ResponseBuilder): Buffer | Promise<Buffer> | null {
    return this.route(msg, body, 0, out, false, true);
  }

  private route(msg: AsMsg, body: Buffer, hops: number, out: ResponseBuilder, resolved: boolean, commit: boolean): Buffer | Promise<Buffer> | null {
    const rt = this.runtime;
    const ns = namespaceOf(this.node, msg);
    const pid = partitionOfMessage(msg);
    const np = ns === undefined || pid < 0 ? undefined : rt.partitions.get(ns.name);
    if (np === undefined) {
      // no partition to route by (no namespace here, no digest): answered here with its error
      out.reset();
      executeSingleRecord(this.node, msg, out);
      return commit ? commitAnswer(out) : out.finish();
    }
    if (!rt.ready) return rt.whenReady().then(() => (rt.ready ? this.routeSingle(msg, body, hops, new ResponseBuilder(512)) : simpleReply(ResultCode.TIMEOUT)));
    const nsName = ns!.name;
    const serving = np.servingNode(pid);
    const isWrite = keyedKind(msg) !== 'read';
    const dups = serving === rt.nodeId && !resolved ? np.pendingDuplicates(pid) : NO_NODES;
    if (dups.length > 0) {
      // the partition is still merging copies from a split: resolve this record first
      return this.resolveDuplicates(nsName, msg, dups).then(() => this.routeSingle(msg, body, hops, new ResponseBuilder(512), true));
    }
    // a read that may touch runs on the master, as 8.1 retries a touching read there
    if (serving === rt.nodeId || (!isWrite && !this.mayReadTouch(ns!, msg) && np.holdsFullCopy(pid))) {
      out.reset();
      const touches = isWrite ? 0 : ns!.stats.readTouchSuccess;
      const code = executeSingleRecord(this.node, msg, out);
      if (!isWrite) {
        if (ns!.stats.readTouchSuccess !== touches) this.replicateInBackground(nsName, pid, msg);
        return commit ? commitAnswer(out) : out.finish();
      }
      const wait = code === ResultCode.OK ? this.replicate(nsName, pid, msg) : undefined;
      if (!wait) return commit ? commitAnswer(out) : out.finish();
      // the answer leaves once the replicas have the record: a frame of its own, not committed
      const frame = out.finish();
      out.reset();
      return wait.then(() => frame);
    }
    if (hops >= MAX_PROXY_HOPS) return simpleReply(ResultCode.TIMEOUT);
    const timeout = msg.transactionTtl > 0 ? msg.transactionTtl : DEFAULT_PROXY_TIMEOUT_MS;
    const st = ns!.stats;
    return rt.proxy(serving, body, hops + 1, timeout).then(
      (frame) => {
        st.clientProxyComplete++;
        return frame;
      },
      (e: unknown) => {
        if (isTimeout(e)) st.clientProxyTimeout++;
        else st.clientProxyError++;
        return simpleReply(ResultCode.TIMEOUT);
      },
    );
  }

  /**
   * Runs one batch row, appending its answer to `out`. Replication of a row written here is
   * pushed to `pending`: the batch awaits those before it sends the answers on.
   */
  batchRow(msg: AsMsg, rowIndex: number, out: ResponseBuilder, pending: Promise<void>[]): number | Promise<number> {
    const rt = this.runtime;
    // the common case answers synchronously and allocates nothing: a row this node serves,
    // nothing left to merge
    if (rt.ready) {
      const ns = namespaceOf(this.node, msg);
      const pid = partitionOfMessage(msg);
      const np = ns === undefined || pid < 0 ? undefined : rt.partitions.get(ns.name);
      if (np !== undefined && np.self === rt.nodeId && np.servesCleanly(pid)) {
        return this.runRowHere(ns!, pid, msg, rowIndex, out, pending);
      }
    }
    return this.batchRowSlow(msg, rowIndex, out, pending);
  }

  /** Executes a batch row on this node; a successful write's replication joins `pending`. */
  private runRowHere(ns: Namespace, pid: number, msg: AsMsg, rowIndex: number, out: ResponseBuilder, pending: Promise<void>[]): number {
    const isRead = keyedKind(msg) === 'read';
    const touches = isRead ? ns.stats.readTouchSuccess : 0;
    const code = executeSingleRecord(this.node, msg, out, rowIndex, true);
    if (isRead) {
      if (ns.stats.readTouchSuccess !== touches) this.replicateInBackground(ns.name, pid, msg);
    } else if (code === ResultCode.OK) {
      const wait = this.replicate(ns.name, pid, msg);
      if (wait) pending.push(wait);
    }
    return code;
  }

  /**
   * True when a read may reset its record's TTL (read-touch-ttl-percent: the request's percent,
   * else a set or namespace default); such reads are not served from a replica.
   */
  private mayReadTouch(ns: Namespace, msg: AsMsg): boolean {
    if (msg.recordTtl === READ_TOUCH_NEVER) return false;
    if (msg.recordTtl !== 0) return true;
    return ns.settings.defaultReadTouchTtlPct > 0 || ns.sets.all().some((s) => (s.settings.defaultReadTouchTtlPct ?? 0) > 0);
  }

  /**
   * A read that touched its record ships the record to the replicas, in the background (the
   * server's read-touch is its own replicated write; the read's answer does not wait for it).
   */
  private replicateInBackground(nsName: string, pid: number, msg: AsMsg): void {
    this.replicate(nsName, pid, msg)?.catch(() => undefined);
  }

  private async batchRowSlow(msg: AsMsg, rowIndex: number, out: ResponseBuilder, pending: Promise<void>[]): Promise<number> {
    const rt = this.runtime;
    const ns = namespaceOf(this.node, msg);
    const pid = partitionOfMessage(msg);
    const routed = ns !== undefined && pid >= 0 && rt.partitions.has(ns.name);
    if (routed && !rt.ready) await rt.whenReady();
    const np = routed ? rt.partitions.get(ns!.name) : undefined;
    if (np === undefined || !rt.ready) return executeSingleRecord(this.node, msg, out, rowIndex, true);
    const serving = np.servingNode(pid);
    const isWrite = keyedKind(msg) !== 'read';
    if (serving === rt.nodeId) {
      const dups = np.pendingDuplicates(pid);
      if (dups.length > 0) await this.resolveDuplicates(ns!.name, msg, dups);
    }
    if (serving === rt.nodeId || (!isWrite && !this.mayReadTouch(ns!, msg) && np.holdsFullCopy(pid))) {
      return this.runRowHere(ns!, pid, msg, rowIndex, out, pending);
    }
    const body = encodeStandaloneMessage(msg);
    const timeout = msg.transactionTtl > 0 ? msg.transactionTtl : DEFAULT_PROXY_TIMEOUT_MS;
    const st = ns!.stats;
    const frame = await rt.proxy(serving, body, 1, timeout).then(
      (f) => {
        st.batchSubProxyComplete++;
        return f;
      },
      (e: unknown) => {
        if (isTimeout(e)) st.batchSubProxyTimeout++;
        else st.batchSubProxyError++;
        return simpleReply(ResultCode.TIMEOUT);
      },
    );
    const answer = frame.subarray(8);
    out.appendRawMessage(answer, rowIndex);
    return answer[5]!;
  }

  private async resolveDuplicates(nsName: string, msg: AsMsg, holders: readonly NodeId[]): Promise<void> {
    const copies = await this.runtime.fetchDuplicates(nsName, fieldBytes(msg, FieldType.DIGEST)!, holders, REPLICA_WRITE_TIMEOUT_MS);
    if (copies.length > 0) this.data.applyDuplicates(nsName, copies);
  }

  /** True when a scan of `pid` belongs here (this node serves it). */
  servesPartition(nsName: string, pid: number): boolean {
    const rt = this.runtime;
    const np = rt.partitions.get(nsName);
    return !np || (rt.ready && np.servingNode(pid) === rt.nodeId);
  }

  private async executeProxied(body: Buffer, hops: number): Promise<Buffer> {
    let msg: AsMsg;
    try {
      msg = parseMessage(body, 0, body.length);
    } catch (e) {
      return simpleReply(resultCodeOf(e, ResultCode.PARAMETER));
    }
    return this.routeSingle(msg, body, hops, new ResponseBuilder(512));
  }

  /**
   * Sends the record as it now stands to the partition's other replicas. Resolves when they have
   * it (commit level all), or at once for commit level master (the client's policy bit, unless
   * the namespace's write-commit-level-override decides).
   */
  private replicate(nsName: string, pid: number, msg: AsMsg): Promise<void> | undefined {
    const np = this.runtime.partitions.get(nsName)!;
    // RF 1 (or a row of this node alone): nothing to send, and no array made per write
    if (!np.hasOtherReplicas(pid)) return undefined;
    const targets = np.replicaTargets(pid);
    const ns = this.node.namespace(nsName)!;
    const sent = this.runtime.replicate(nsName, targets, packShipped([shipCurrent(ns, fieldBytes(msg, FieldType.DIGEST)!)]), REPLICA_WRITE_TIMEOUT_MS);
    const override = this.commitOverride(nsName);
    const level = override !== 'off' ? override : msg.info3 & Info3.COMMIT_MASTER ? 'master' : 'all';
    return level === 'all' ? sent : undefined;
  }
}

const NO_NODES: readonly NodeId[] = [];

/** The namespace a message names, resolved in place (no string per request); undefined when absent here. */
function namespaceOf(node: StratoNode, msg: AsMsg): Namespace | undefined {
  const at = keyFieldPositions(msg);
  if (at) return at.firstNamespaceAt < 0 ? undefined : node.namespaceAt(msg.buf, at.firstNamespaceAt, at.firstNamespaceEnd);
  const fields = msg.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.type === FieldType.NAMESPACE) return node.namespaceAt(msg.buf, f.start, f.end);
  }
  return undefined;
}

/** The partition of the message's digest (its first digest field), or -1 without a 20-byte one. */
function partitionOfMessage(msg: AsMsg): number {
  const at = keyFieldPositions(msg);
  if (at) return at.firstDigestAt >= 0 && at.firstDigestEnd - at.firstDigestAt === 20 ? partitionOf(msg.buf, at.firstDigestAt) : -1;
  const fields = msg.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.type === FieldType.DIGEST) return f.end - f.start === 20 ? partitionOf(msg.buf, f.start) : -1;
  }
  return -1;
}

/** A proxy that got no answer in its time (else it failed: no address, lost link, error answer). */
function isTimeout(e: unknown): boolean {
  return e instanceof Error && e.message.endsWith('timed out');
}

/** Commits the answer built in `out` as a frame after the ones before it (ANSWER_IN_BUFFER). */
function commitAnswer(out: ResponseBuilder): null {
  out.commitFrame();
  return null;
}

function firstExternalIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
