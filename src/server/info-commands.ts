/**
 * Info commands (protocol reference §2.4–§2.9): what the clients need to connect and tend, and the
 * operator commands. Each handler returns the value part of its line.
 */
import type { Namespace } from '../namespace/namespace.js';
import { citrusleafSec } from '../util/clock.js';
import { N_PARTITIONS } from '../util/digest.js';
import { BUILD_VERSION, EDITION, type StratoNode } from './node.js';
import type { InfoCommand } from './info-protocol.js';
import { offloadStatistics } from './offload.js';
import { truncate, truncateUndo } from '../namespace/truncate.js';
import { randomBytes } from 'node:crypto';
import { histogramInfo } from '../namespace/nsup-histograms.js';
import {
  clusterStable,
  clusterStatistics,
  namespaceClusterStats,
  partitionGeneration,
  peersGeneration,
  peersValue,
  rackIdsValue,
  racksValue,
  replicasAllValue,
  replicasMasterValue,
  replicasValue,
  servicesValue,
  peersTlsValue,
  serviceTlsValue,
} from './cluster-info.js';

export const FEATURES =
  'batch-any;batch-index;blob-bits;cdt-index;cdt-list;cdt-map;cluster-stable;float;geo;sindex-exists;peers;pipelining;pquery;pscans;query-show;relaxed-sc;replicas;replicas-all;replicas-master;replicas-max;truncate-namespace;udf';

export type InfoHandler = (cmd: InfoCommand, ctx: InfoContext) => string;

export interface InfoContext {
  node: StratoNode;
  /** per-connection state for user-agent-set; `adminPort` when it came in on the admin port */
  connection: { userAgent: string | undefined; adminPort?: boolean };
}

/** Extra handlers registered by subsystems (config, truncate, jobs, udf, sindex...). */
export const infoRegistry = new Map<string, InfoHandler>();


export function namespaceStats(node: StratoNode, ns: Namespace): string {
  const st = ns.stats;
  const storage = ns.storage.stats();
  const s = ns.settings;
  const kv: [string, string | number | boolean][] = [
    ...namespaceClusterStats(node, ns),
    ['objects', ns.objects],
    ['tombstones', ns.tombstones],
    ['xdr_tombstones', 0],
    ['xdr_bin_cemeteries', 0],
    ['mrt_provisionals', 0],
    ['master_tombstones', ns.tombstones],
    ['prole_tombstones', 0],
    ['non_replica_tombstones', 0],
    ['unreplicated_records', 0],
    ['dead_partitions', 0],
    ['unavailable_partitions', 0],
    ['auto_revived_partitions', 0],
    ['clock_skew_stop_writes', false],
    ['stop_writes', ns.stopWrites.current() !== undefined],
    ['hwm_breached', false],
    ['current_time', citrusleafSec(node.clock.nowMs())],
    ['non_expirable_objects', st.nonExpirableObjects],
    ['expired_objects', st.expiredObjects],
    ['evicted_objects', st.evictedObjects],
    ['evict_ttl', 0],
    ['evict_void_time', st.evictVoidTime],
    ['smd_evict_void_time', 0],
    ['nsup_cycle_duration', st.nsupCycleDurationMs],
    ['nsup_cycle_deleted_pct', st.nsupCycleDeletedPct],
    ['truncate_lut', ns.sets.namespaceTruncateLutMs],
    ['truncated_records', 0],
    ['sindex_gc_cleaned', 0],
    ['index_used_bytes', ns.primaryIndexUsedBytes()],
    ['sindex_used_bytes', ns.sindexUsedBytes()],
    ['data_total_bytes', storage.totalBytes],
    ['data_used_bytes', storage.usedBytes],
    ['data_avail_pct', storage.totalBytes > 0 ? Math.max(0, Math.floor(100 - (storage.usedBytes * 100) / storage.totalBytes)) : 100],
    ['data_used_pct', storage.totalBytes > 0 ? Math.floor((storage.usedBytes * 100) / storage.totalBytes) : 0],
    ['client_proxy_complete', st.clientProxyComplete],
    ['client_proxy_error', st.clientProxyError],
    ['client_proxy_timeout', st.clientProxyTimeout],
    ['client_read_success', st.clientReadSuccess],
    ['client_read_error', st.clientReadError],
    ['client_read_not_found', st.clientReadNotFound],
    ['client_read_filtered_out', st.clientReadFilteredOut],
    ['client_write_success', st.clientWriteSuccess],
    ['client_write_error', st.clientWriteError],
    ['client_write_filtered_out', st.clientWriteFilteredOut],
    ['client_delete_success', st.clientDeleteSuccess],
    ['client_delete_not_found', st.clientDeleteNotFound],
    ['client_delete_error', st.clientDeleteError],
    ['client_delete_filtered_out', st.clientDeleteFilteredOut],
    ['client_udf_complete', st.clientUdfComplete],
    ['client_udf_error', st.clientUdfError],
    ['client_udf_filtered_out', st.clientUdfFilteredOut],
    ['batch_sub_proxy_complete', st.batchSubProxyComplete],
    ['batch_sub_proxy_error', st.batchSubProxyError],
    ['batch_sub_proxy_timeout', st.batchSubProxyTimeout],
    ['batch_sub_read_success', st.batchSubReadSuccess],
    ['batch_sub_read_error', st.batchSubReadError],
    ['batch_sub_read_not_found', st.batchSubReadNotFound],
    ['batch_sub_read_filtered_out', st.batchSubReadFilteredOut],
    ['batch_sub_write_success', st.batchSubWriteSuccess],
    ['batch_sub_write_error', st.batchSubWriteError],
    ['batch_sub_write_filtered_out', st.batchSubWriteFilteredOut],
    ['batch_sub_delete_success', st.batchSubDeleteSuccess],
    ['batch_sub_delete_error', st.batchSubDeleteError],
    ['batch_sub_delete_not_found', st.batchSubDeleteNotFound],
    ['batch_sub_delete_filtered_out', st.batchSubDeleteFilteredOut],
    ['batch_sub_udf_complete', st.batchSubUdfComplete],
    ['batch_sub_udf_error', st.batchSubUdfError],
    ['batch_sub_udf_filtered_out', st.batchSubUdfFilteredOut],
    ...node.queryStats.of(ns.name).entries(),
    ['read_touch_tsvc_error', 0],
    ['read_touch_tsvc_timeout', 0],
    ['read_touch_success', st.readTouchSuccess],
    ['read_touch_error', st.readTouchError],
    ['read_touch_timeout', 0],
    ['read_touch_skip', st.readTouchSkip],
    ['replication-factor', s.replicationFactor],
    ['default-ttl', s.defaultTtlSec],
    ['nsup-period', s.nsupPeriodSec],
    ['nsup-threads', s.nsupThreads],
    ['allow-ttl-without-nsup', s.allowTtlWithoutNsup],
    ['max-record-size', s.maxRecordSizeBytes],
    ['strong-consistency', false],
    ['storage-engine', ns.storage.kind],
  ];
  for (const [k, v] of Object.entries(ns.storage.statistics())) kv.push([k, v]);
  return kv.map(([k, v]) => `${k}=${v}`).join(';');
}

export function setsValue(node: StratoNode, nsFilter?: string, setFilter?: string): string {
  let out = '';
  for (const ns of node.namespaces.values()) {
    if (nsFilter !== undefined && ns.name !== nsFilter) continue;
    for (const set of ns.sets.all()) {
      if (setFilter !== undefined && set.name !== setFilter) continue;
      const props =
        `objects=${set.objects}:tombstones=0:data_used_bytes=${set.dataUsedBytes}:truncate_lut=${set.truncateLutMs}` +
        `:sindexes=${node.sindexes.forNamespace(ns.name)?.countForSet(set.name) ?? 0}:index_populating=false:truncating=false:default-read-touch-ttl-pct=0` +
        `:default-ttl=${set.settings.defaultTtlSec}:disable-eviction=${set.settings.disableEviction}` +
        `:enable-index=${set.settings.enableIndex}:stop-writes-count=${set.settings.stopWritesCount}` +
        `:stop-writes-size=${set.settings.stopWritesSizeBytes}`;
      out += setFilter !== undefined ? `${props};` : `ns=${ns.name}:set=${set.name}:${props};`;
    }
  }
  return out;
}

function statistics(node: StratoNode): string {
  const mem = process.memoryUsage();
  let objects = 0;
  for (const ns of node.namespaces.values()) objects += ns.objects;
  const kv: [string, string | number | boolean][] = [
    ['failed_best_practices', false],
    ...clusterStatistics(node),
    ['cluster_min_compatibility_id', 15],
    ['cluster_max_compatibility_id', 15],
    ['cluster_duplicate_nodes', 'null'],
    ['cluster_clock_skew_stop_writes_sec', 0],
    ['cluster_clock_skew_ms', 0],
    ['cluster_clock_skew_outliers', 'null'],
    ['uptime', node.uptimeSec()],
    ['process_rss_bytes', mem.rss],
    ['heap_used_bytes', mem.heapUsed],
    ['objects', objects],
    ['client_connections', node.stats.clientConnectionsOpened - node.stats.clientConnectionsClosed],
    ['client_connections_opened', node.stats.clientConnectionsOpened],
    ['client_connections_closed', node.stats.clientConnectionsClosed],
    ['admin_connections', node.stats.adminConnectionsOpened - node.stats.adminConnectionsClosed],
    ['admin_connections_opened', node.stats.adminConnectionsOpened],
    ['admin_connections_closed', node.stats.adminConnectionsClosed],
    ['info_requests', node.stats.infoRequests],
    ['batch_index_initiate', node.stats.batchIndexInitiate],
    ['batch_index_complete', node.stats.batchIndexComplete],
    ['batch_index_error', node.stats.batchIndexError],
    ['client_connections_refused', node.stats.clientConnectionsRefused],
    ['proto_frames_malformed', node.stats.protoFramesMalformed],
    ['compressed_requests_refused', node.stats.compressedRequestsRefused],
    ...node.loopDelay.statistics(),
    ...offloadStatistics(),
  ];
  return kv.map(([k, v]) => `${k}=${v}`).join(';');
}


const builtin: Record<string, InfoHandler> = {
  node: (_c, { node }) => node.nodeId,
  name: (_c, { node }) => node.nodeId,
  build: () => BUILD_VERSION,
  version: () => `${EDITION} build ${BUILD_VERSION}`,
  edition: () => EDITION,
  release: () => `edition=${EDITION};version=${BUILD_VERSION};os=linux;arch=${process.arch === 'x64' ? 'x86_64' : process.arch};sha=strato`,
  build_os: () => 'linux',
  build_arch: () => (process.arch === 'x64' ? 'x86_64' : process.arch),
  build_sha: () => 'strato',
  build_ee_sha: () => '',
  build_time: () => '',
  features: () => FEATURES,
  'compatibility-id': () => '15',
  'cluster-name': (_c, { node }) => node.spec.clusterName,
  status: () => 'ok',
  partitions: () => String(N_PARTITIONS),
  'partition-generation': (_c, { node }) => String(partitionGeneration(node)),
  'peers-generation': (_c, { node }) => String(peersGeneration(node)),
  // rack-aware clients re-read rack-ids when it moves: every new plan may move racks
  'rebalance-generation': (_c, { node }) => String(partitionGeneration(node)),
  'peers-clear-std': (_c, { node }) => peersValue(node),
  'peers-clear-alt': (_c, { node }) => peersValue(node),
  'alumni-clear-std': (_c, { node }) => peersValue(node),
  'alumni-clear-alt': (_c, { node }) => peersValue(node),
  'peers-tls-std': (_c, { node }) => peersTlsValue(node),
  'peers-tls-alt': (_c, { node }) => peersTlsValue(node, true),
  'service-tls-std': (_c, { node }) => serviceTlsValue(node),
  'service-tls-alt': (_c, { node }) => serviceTlsValue(node, true),
  services: (_c, { node }) => servicesValue(node),
  'services-alumni': () => '',
  'services-alternate': () => '',
  'service-clear-std': (_c, { node }) => `${node.spec.serviceAddress}:${node.spec.servicePort}`,
  'service-clear-alt': () => '',
  service: (_c, { node }) => `${node.spec.serviceAddress}:${node.spec.servicePort}`,
  replicas: (c, { node }) => {
    const max = c.params.get('max');
    return replicasValue(node, max === undefined ? Infinity : Number(max));
  },
  'replicas-all': (_c, { node }) => replicasAllValue(node),
  'replicas-master': (_c, { node }) => replicasMasterValue(node),
  'cluster-stable': (c, { node }) => clusterStable(node, c),
  'cluster-size': (_c, { node }) => String(new Map(clusterStatistics(node)).get('cluster_size')),
  'cluster-key': (_c, { node }) => String(new Map(clusterStatistics(node)).get('cluster_key')),
  namespaces: (_c, { node }) => [...node.namespaces.keys()].join(';'),
  namespace: (c, { node }) => {
    const ns = node.namespace(c.args[0] ?? '');
    return ns ? namespaceStats(node, ns) : 'type=unknown';
  },
  sets: (c, { node }) => {
    const [nsName, setName] = c.args;
    if (nsName !== undefined && !node.namespace(nsName)) return 'ns_type=unknown';
    return setsValue(node, nsName, setName);
  },
  statistics: (_c, { node }) => statistics(node),
  'user-agent-set': (c, { connection }) => {
    if (connection.userAgent !== undefined) return 'ERROR:4:already set';
    const v = c.params.get('value');
    if (v === undefined) return "ERROR:4:missing 'value'";
    connection.userAgent = Buffer.from(v, 'base64').toString('utf8');
    return 'ok';
  },
  // Aerospike 8.1: whether this connection came in on the admin port
  connection: (_c, { connection }) => `admin=${connection.adminPort === true}`,
  // the admin port's endpoints ('' without one, as 8.1 answers)
  'admin-clear-std': (_c, { node }) => node.spec.admin?.clear ?? '',
  'admin-tls-std': (_c, { node }) => node.spec.admin?.tls ?? '',
  endpoints: (_c, { node }) => `service.port=${node.spec.servicePort};service.addresses=${node.spec.serviceAddress}`,
  'udf-list': () => '',
  'sindex-list': () => '',
  help: () => HELP_8_1_2,
  // Enterprise-only in Aerospike; Strato offers rack awareness in its free edition
  racks: (_c, { node }) => racksValue(node),
  'rack-ids': (_c, { node }) => rackIdsValue(node),
};

/**
 * `help`: Aerospike CE 8.1.2's list of its info commands, as it answers it (recorded; the server's
 * default answer set first, then the rest in its order). It names 8.1's commands, including a few
 * Strato answers `unrecognized` (debug and dump commands), because clients and tools read it to
 * learn what an 8.1.2 server offers.
 */
const HELP_8_1_2 =
  'features;node;compatibility-id;edition;build_ee_sha;build_sha;build_arch;build_time;build_os;build;version;statistics;services-alumni;services;partition-generation;best-practices;cluster-name;cluster-stable;debug-record;debug-record-meta;dump-cluster;dump-fabric;dump-hb;dump-hlc;dump-migrates;dump-rw;dump-skew;dump-wb-summary;eviction-reset;get-config;get-sl;get-stats;health-outliers;health-stats;help;histogram;index-pressure;jem-stats;latencies;log;log-message;log-set;logs;namespace;namespaces;peers-clear-alt;peers-clear-std;peers-generation;physical-devices;query-abort;query-abort-all;query-show;recluster;service;services-alumni-reset;set-config;set-log;sets;sindex-create;sindex-delete;sindex-exists;sindex-list;sindex-stat;status;thread-traces;tip;tip-clear;truncate;truncate-namespace;truncate-namespace-undo;truncate-undo;udf-get;udf-list;udf-put;udf-remove';

/** The answer set for an empty info request (the server's default). */
const SUMMARY = [
  'features',
  'node',
  'compatibility-id',
  'edition',
  'build_ee_sha',
  'build_sha',
  'build_arch',
  'build_time',
  'build_os',
  'build',
  'version',
  'statistics',
  'services-alumni',
  'services',
  'partition-generation',
];

export function executeInfoCommand(cmd: InfoCommand, ctx: InfoContext): string {
  const h = infoRegistry.get(cmd.name) ?? builtin[cmd.name];
  if (!h) return 'ERROR:4:unrecognized command';
  try {
    return h(cmd, ctx);
  } catch (e) {
    return `ERROR::${(e as Error).message}`;
  }
}

export function summaryLines(ctx: InfoContext): [string, string][] {
  return SUMMARY.map((name) => [name, builtin[name]!({ text: name, name, args: [], params: new Map() }, ctx)]);
}

function truncateCommand(cmd: InfoCommand, node: StratoNode, wholeNamespace: boolean): string {
  const nsName = cmd.params.get('namespace') ?? cmd.params.get('ns');
  if (nsName === undefined) return "ERROR:20:missing 'namespace'";
  const ns = node.namespace(nsName);
  if (!ns) return 'ERROR:20:namespace not found';
  const set = wholeNamespace ? undefined : cmd.params.get('set');
  if (!wholeNamespace && set === undefined) return "ERROR:4:missing 'set'";
  const lutParam = cmd.params.get('lut');
  let lutMs: number | undefined;
  if (lutParam !== undefined) {
    if (!/^\d+$/.test(lutParam)) return 'ERROR:4:bad lut';
    lutMs = Number(BigInt(lutParam) / 1000000n);
  }
  const r = truncate(ns, set, lutMs);
  if (r.ok) node.persistTruncation();
  return r.ok ? 'ok' : r.error;
}

infoRegistry.set('truncate', (c, { node }) => truncateCommand(c, node, false));
infoRegistry.set('truncate-namespace', (c, { node }) => truncateCommand(c, node, true));
infoRegistry.set('truncate-undo', (c, { node }) => {
  const ns = node.namespace(c.params.get('namespace') ?? c.params.get('ns') ?? '');
  if (!ns) return 'ERROR:20:namespace not found';
  const set = c.params.get('set');
  if (set === undefined) return "ERROR:4:missing 'set'";
  truncateUndo(ns, set);
  node.persistTruncation();
  return 'ok';
});
infoRegistry.set('truncate-namespace-undo', (c, { node }) => {
  const ns = node.namespace(c.params.get('namespace') ?? c.params.get('ns') ?? '');
  if (!ns) return 'ERROR:20:namespace not found';
  truncateUndo(ns, undefined);
  node.persistTruncation();
  return 'ok';
});

function jobId(cmd: InfoCommand): bigint | undefined {
  const v = cmd.params.get('id') ?? cmd.params.get('trid');
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return BigInt(v);
}

infoRegistry.set('query-show', (c, { node }) => {
  if (c.params.size === 0) return node.jobs.all().map((j) => j.describe()).join(';');
  const id = jobId(c);
  if (id === undefined) return 'ERROR:4:bad id';
  const job = node.jobs.get(id);
  return job ? job.describe() : 'ERROR:2:job not found';
});
infoRegistry.set('query-abort', (c, { node }) => {
  const id = jobId(c);
  if (id === undefined) return 'ERROR:4:bad id';
  const job = node.jobs.get(id);
  if (!job || job.status !== 'active') return 'ERROR:2:id not active';
  job.abortRequested = true;
  return 'ok';
});
infoRegistry.set('query-abort-all', (_c, { node }) => {
  let n = 0;
  for (const job of node.jobs.all()) {
    if (job.status === 'active') {
      job.abortRequested = true;
      n++;
    }
  }
  return `number-of-queries-killed:${n}`;
});

// the nsup TTL / object-size histograms: `histogram:namespace=<ns>;type=<t>[;set=<s>]`, as 8.1.2
// checks it (only `namespace`, not `ns`; AS_ERR_NAMESPACE 20 for the namespace, 4 otherwise)
infoRegistry.set('histogram', (c, { node }) => {
  const nsName = c.params.get('namespace');
  if (nsName === undefined) return "ERROR:20:missing 'namespace'";
  if (nsName === '') return "ERROR:20:missing 'namespace' value";
  const ns = node.namespace(nsName);
  if (!ns) return 'ERROR:20:namespace not found on node';
  const type = c.params.get('type');
  if (type === undefined) return "ERROR:4:missing 'type'";
  if (type === '') return "ERROR:4:missing 'type' value";
  const set = c.params.get('set');
  if (set === '') return "ERROR:4:missing 'set' value";
  return histogramInfo(ns, type, set);
});

// `recluster:`: the principal re-forms the cluster under a new key (partitions re-balance); the
// others answer as 8.1.2's non-principals do
infoRegistry.set('recluster', (_c, { node }) => {
  const rt = node.cluster?.runtime;
  if (!rt) {
    // a node on its own is its own principal: a new key, nothing to move
    node.clusterKey = randomBytes(8).readBigUInt64BE(0).toString(16).toUpperCase().replace(/^0+/, '') || '1';
    return 'ok';
  }
  const r = rt.membership.recluster();
  if (r === 'ok') return 'ok';
  if (r === 'not-principal') return 'ignored-by-non-principal';
  return 'ERROR:1:unknown';
});

// `quiesce:` / `quiesce-undo:` (Enterprise-only in Aerospike; Strato offers them like rack
// awareness): the flag is read when the next cluster forms, so it takes effect at a recluster
infoRegistry.set('quiesce', (_c, { node }) => {
  node.quiescePending = true;
  return 'ok';
});
infoRegistry.set('quiesce-undo', (_c, { node }) => {
  node.quiescePending = false;
  return 'ok';
});

// as Aerospike, a bare `hist` without `=` is no parameter at all (the full list answers)
infoRegistry.set('latencies', (c, { node }) => node.latency.render(/(^|[:;])hist=/.test(c.text) ? c.params.get('hist') : undefined));
