/**
 * Client requests in a cluster: a single-record message runs here when this node serves its
 * partition (or, for a read, holds a complete replica), otherwise it is proxied to the node that
 * does. A write served here reaches every other replica of its partition before the client is
 * answered (write-commit-level all). Batch rows follow the same rule row by row; scans skip
 * partitions served elsewhere (the client retries them where its refreshed map points).
 */
import { ClusterRuntime, type ClusterRuntimeOptions } from '../cluster/runtime/cluster-runtime.js';
import { parseNodeId, type NodeId } from '../cluster/node-id.js';
import { joinAddress } from '../cluster/net/peer-net.js';
import { FieldType, Info3, parseMessage, type AsMsg } from '../protocol/message.js';
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
import { applySmd, smdSnapshot } from './cluster-smd.js';
import { parseInfoCommand } from './info-protocol.js';
import { encodeStandaloneMessage, fieldBytes, fieldText, keyedKind } from '../protocol/request.js';

/** A proxied request is proxied again at most this often before giving up (maps in flux). */
const MAX_PROXY_HOPS = 3;
const DEFAULT_PROXY_TIMEOUT_MS = 5000;
const REPLICA_WRITE_TIMEOUT_MS = 2000;

interface Target {
  nsName: string;
  pid: number;
  digest: Buffer;
}

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
  ) {
    const raw = config.raw;
    this.commitOverride = (ns) => raw.namespaces.find((n) => n.name === ns)?.writeCommitLevelOverride ?? 'off';
    const log = logger.context('clustering', 'cluster-router.ts');
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
    const hbBind = bindOf(hb.addresses.length > 0 ? hb.addresses : [serviceBind]);
    const fabBind = bindOf(fab.addresses.length > 0 ? fab.addresses : [serviceBind]);
    const opts: ClusterRuntimeOptions = {
      nodeId: parseNodeId(node.nodeId),
      clusterName: raw.service.clusterName,
      heartbeat: {
        host: hbBind,
        port: hb.port,
        advertise: joinAddress(advertiseHost(hbBind), hb.port),
        seeds: hb.meshSeeds.map((s) => joinAddress(s.host, s.port)),
        intervalMs: hb.intervalMs,
        timeoutIntervals: hb.timeoutIntervals,
      },
      fabric: { host: fabBind, port: fab.port, advertise: joinAddress(advertiseHost(fabBind), fab.port) },
      service: joinAddress(advertiseHost(serviceBind), raw.network.service.accessPort || servicePort),
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
      smdSnapshot: () => smdSnapshot(node, udf),
      applySmd: (snapshot) => applySmd(node, udf, snapshot),
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
    const t = this.target(msg);
    if (!t) {
      out.reset();
      executeSingleRecord(this.node, msg, out);
      return out.finish();
    }
    const rt = this.runtime;
    if (!rt.ready) return rt.whenReady().then(() => (rt.ready ? this.routeSingle(msg, body, hops, new ResponseBuilder(512)) : simpleReply(ResultCode.TIMEOUT)));
    const np = rt.partitions.get(t.nsName)!;
    const serving = np.servingNode(t.pid);
    const isWrite = keyedKind(msg) !== 'read';
    const dups = serving === rt.nodeId && !resolved ? np.pendingDuplicates(t.pid) : [];
    if (dups.length > 0) {
      // the partition is still merging copies from a split: resolve this record first
      return this.resolveDuplicates(t, dups).then(() => this.routeSingle(msg, body, hops, new ResponseBuilder(512), true));
    }
    // a read that may touch runs on the master, as 8.1 retries a touching read there
    const localRead = !isWrite && !this.mayReadTouch(t, msg) && np.holdsFullCopy(t.pid);
    if (serving === rt.nodeId || localRead) {
      out.reset();
      const touches = this.readTouches(t);
      const code = executeSingleRecord(this.node, msg, out);
      const frame = out.finish();
      if (!isWrite) {
        this.replicateReadTouch(t, msg, touches);
        return frame;
      }
      const wait = code === ResultCode.OK ? this.replicate(t, msg) : undefined;
      return wait ? wait.then(() => frame) : frame;
    }
    if (hops >= MAX_PROXY_HOPS) return simpleReply(ResultCode.TIMEOUT);
    const timeout = msg.transactionTtl > 0 ? msg.transactionTtl : DEFAULT_PROXY_TIMEOUT_MS;
    return rt.proxy(serving, body, hops + 1, timeout).catch(() => simpleReply(ResultCode.TIMEOUT));
  }

  /**
   * Runs one batch row, appending its answer to `out`. Replication of a row written here is
   * pushed to `pending`: the batch awaits those before it sends the answers on.
   */
  batchRow(msg: AsMsg, rowIndex: number, out: ResponseBuilder, pending: Promise<void>[]): number | Promise<number> {
    const t = this.target(msg);
    const rt = this.runtime;
    const np = t ? rt.partitions.get(t.nsName) : undefined;
    // the common case answers synchronously: a row this node serves, nothing left to merge
    if (t && np && rt.ready && np.servingNode(t.pid) === rt.nodeId && np.pendingDuplicates(t.pid).length === 0) {
      return this.runRowHere(t, msg, rowIndex, out, pending);
    }
    return this.batchRowSlow(msg, rowIndex, out, pending);
  }

  /** Executes a batch row on this node; a successful write's replication joins `pending`. */
  private runRowHere(t: Target, msg: AsMsg, rowIndex: number, out: ResponseBuilder, pending: Promise<void>[]): number {
    const touches = this.readTouches(t);
    const code = executeSingleRecord(this.node, msg, out, rowIndex, true);
    if (keyedKind(msg) === 'read') this.replicateReadTouch(t, msg, touches);
    else if (code === ResultCode.OK) {
      const wait = this.replicate(t, msg);
      if (wait) pending.push(wait);
    }
    return code;
  }

  /**
   * True when a read may reset its record's TTL (read-touch-ttl-percent: the request's percent,
   * else a set or namespace default); such reads are not served from a replica.
   */
  private mayReadTouch(t: Target, msg: AsMsg): boolean {
    if (msg.recordTtl === READ_TOUCH_NEVER) return false;
    if (msg.recordTtl !== 0) return true;
    const ns = this.node.namespace(t.nsName);
    if (!ns) return false;
    return ns.settings.defaultReadTouchTtlPct > 0 || ns.sets.all().some((s) => (s.settings.defaultReadTouchTtlPct ?? 0) > 0);
  }

  /** The namespace's read-touch count before a read (to see whether the read touched). */
  private readTouches(t: Target): number {
    return this.node.namespace(t.nsName)?.stats.readTouchSuccess ?? 0;
  }

  /**
   * A read that touched its record ships the record to the replicas, in the background (the
   * server's read-touch is its own replicated write; the read's answer does not wait for it).
   */
  private replicateReadTouch(t: Target, msg: AsMsg, before: number): void {
    if (this.readTouches(t) === before) return;
    this.replicate(t, msg)?.catch(() => undefined);
  }

  private async batchRowSlow(msg: AsMsg, rowIndex: number, out: ResponseBuilder, pending: Promise<void>[]): Promise<number> {
    const t = this.target(msg);
    const rt = this.runtime;
    if (t && !rt.ready) await rt.whenReady();
    const np = t ? rt.partitions.get(t.nsName) : undefined;
    if (!t || !np || !rt.ready) return executeSingleRecord(this.node, msg, out, rowIndex, true);
    const serving = np.servingNode(t.pid);
    const isWrite = keyedKind(msg) !== 'read';
    if (serving === rt.nodeId) {
      const dups = np.pendingDuplicates(t.pid);
      if (dups.length > 0) await this.resolveDuplicates(t, dups);
    }
    if (serving === rt.nodeId || (!isWrite && !this.mayReadTouch(t, msg) && np.holdsFullCopy(t.pid))) {
      return this.runRowHere(t, msg, rowIndex, out, pending);
    }
    const body = encodeStandaloneMessage(msg);
    const timeout = msg.transactionTtl > 0 ? msg.transactionTtl : DEFAULT_PROXY_TIMEOUT_MS;
    const frame = await rt.proxy(serving, body, 1, timeout).catch(() => simpleReply(ResultCode.TIMEOUT));
    const answer = frame.subarray(8);
    out.appendRawMessage(answer, rowIndex);
    return answer[5]!;
  }

  private async resolveDuplicates(t: Target, holders: readonly NodeId[]): Promise<void> {
    const copies = await this.runtime.fetchDuplicates(t.nsName, t.digest, holders, REPLICA_WRITE_TIMEOUT_MS);
    if (copies.length > 0) this.data.applyDuplicates(t.nsName, copies);
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
  private replicate(t: Target, msg: AsMsg): Promise<void> | undefined {
    const np = this.runtime.partitions.get(t.nsName)!;
    const targets = np.replicaTargets(t.pid);
    if (targets.length === 0) return undefined;
    const ns = this.node.namespace(t.nsName)!;
    const sent = this.runtime.replicate(t.nsName, targets, packShipped([shipCurrent(ns, t.digest)]), REPLICA_WRITE_TIMEOUT_MS);
    const override = this.commitOverride(t.nsName);
    const level = override !== 'off' ? override : msg.info3 & Info3.COMMIT_MASTER ? 'master' : 'all';
    return level === 'all' ? sent : undefined;
  }

  private target(msg: AsMsg): Target | undefined {
    const nsName = fieldText(msg, FieldType.NAMESPACE);
    const digest = fieldBytes(msg, FieldType.DIGEST);
    if (nsName === undefined || digest === undefined || digest.length !== 20 || !this.runtime.partitions.has(nsName)) return undefined;
    return { nsName, pid: partitionOf(digest), digest };
  }
}

function firstExternalIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
