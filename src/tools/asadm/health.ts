/**
 * asadm's `health` (aerospike-admin lib/health: the rules of its query file health.hql, printed by
 * lib/view/view.py `print_health_output`): a subset of its rules over what the info protocol
 * gives (no system data: asadm reads that over ssh or on its own host), each with the category,
 * level, failure and success messages of the real rule and its condition:
 * - limits: system free memory, client connections against proto-fd-max, set counts;
 * - stop-writes and storage: data used/available against the stop-writes thresholds, the 20 %
 *   available warning, stop_writes and clock_skew_stop_writes flags, HWM breached, storage for a
 *   single node failure;
 * - anomalies across nodes: different service and namespace configurations (each value against
 *   the majority), different device sizes, namespaces missing on a node, master/prole object
 *   skew (when no migration runs);
 * - configuration defaults: migrate-threads, evict-used-pct, defrag-lwm-pct, replication-factor,
 *   commit-to-device;
 * - the cluster: integrity, one cluster key, cluster size = nodes found, UDFs and secondary
 *   indexes on every node and in sync;
 * - client read/write/delete error, timeout and not-found shares;
 * - strong consistency (skipped unless a namespace is SC): clock skew against
 *   cluster_clock_skew_stop_writes_sec, dead and unavailable partitions, nodes = replication factor.
 * Output: asadm's Summary counters (Total, Passed, Failed, Skipped: a rule without data to check
 * is skipped), the PASS list of success messages, then the FAIL list by level (INFO, WARNING,
 * CRITICAL) under its centred level title; `-v` adds each failure's description and the keys
 * (cluster/node/namespace path and the values) that failed. The descriptions are Strato's words.
 */
import type { AdminCluster } from './cluster.js';
import { kvList } from './cluster.js';
import { pyCenter } from './table.js';

/** asadm's assert levels, in the order its output lists failures. */
export type HealthLevel = 'INFO' | 'WARNING' | 'CRITICAL';

/** The name asadm gives the one cluster it looks at in keys. */
export const HEALTH_CLUSTER = 'C1';

/** Width of asadm's health report (its H_width), and the offsets of category and message. */
const H_WIDTH = 80;
const H1_OFFSET = 13;
const H2_OFFSET = 15;

/** What health reads from one node. */
export interface HealthNode {
  key: string;
  nodeId: string;
  service: Map<string, string>;
  serviceConfig: Map<string, string>;
  /** per namespace: statistics and configuration */
  namespaces: Map<string, { stats: Map<string, string>; config: Map<string, string> }>;
  /** `sets` entries */
  sets: Map<string, string>[];
  /** `sindex-list` entries */
  sindexes: Map<string, string>[];
  /** `udf-list`: file name → hash */
  udfs: Map<string, string>;
}

/** One failed key: asadm's path (`C1/127.0.0.1:3000/test`) and the values it shows. */
export interface HealthKey {
  path: string;
  values: [string, string | number | boolean][];
}

/** A rule's outcome: passed, failed with keys, or skipped (nothing to check). */
export type HealthOutcome = { skipped: true } | { skipped?: false; keys: HealthKey[] };

export interface HealthRule {
  category: string;
  level: HealthLevel;
  failMsg: string;
  successMsg: string;
  description: string;
  check(nodes: HealthNode[]): HealthOutcome;
}

const num = (m: Map<string, string> | undefined, ...keys: string[]): number | undefined => {
  for (const k of keys) {
    const v = m?.get(k);
    if (v !== undefined && v !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
};
const skipped: HealthOutcome = { skipped: true };

/** Each node's value of a service statistic or config; skipped when no node has it. */
function perNode(nodes: HealthNode[], source: 'service' | 'serviceConfig', key: string, bad: (v: number, n: HealthNode) => boolean): HealthOutcome {
  const have = nodes.filter((n) => num(n[source], key) !== undefined);
  if (have.length === 0) return skipped;
  return { keys: have.filter((n) => bad(num(n[source], key)!, n)).map((n) => ({ path: `${HEALTH_CLUSTER}/${n.key}`, values: [[key, num(n[source], key)!]] })) };
}

/** Every (node, namespace) pair. */
function nsPairs(nodes: HealthNode[]): { n: HealthNode; ns: string; stats: Map<string, string>; config: Map<string, string> }[] {
  return nodes.flatMap((n) => [...n.namespaces].map(([ns, d]) => ({ n, ns, stats: d.stats, config: d.config })));
}

/** Per node and namespace: `bad` on what it reads; skipped when `read` finds nothing anywhere. */
function perNs<T>(nodes: HealthNode[], read: (stats: Map<string, string>, config: Map<string, string>) => T | undefined, bad: (v: T) => boolean, show: (v: T) => [string, string | number | boolean][]): HealthOutcome {
  const pairs = nsPairs(nodes)
    .map((p) => ({ ...p, v: read(p.stats, p.config) }))
    .filter((p) => p.v !== undefined);
  if (pairs.length === 0) return skipped;
  return { keys: pairs.filter((p) => bad(p.v!)).map((p) => ({ path: `${HEALTH_CLUSTER}/${p.n.key}/${p.ns}`, values: show(p.v!) })) };
}

/**
 * asadm's NO_MATCH against the majority: for each key (and group), the nodes whose value differs
 * from the value most nodes have.
 */
function noMatchMajority(entries: { group: string; key: string; node: string; value: string }[]): HealthKey[] {
  const byKey = new Map<string, typeof entries>();
  for (const e of entries) {
    const k = `${e.group}\u0000${e.key}`;
    byKey.set(k, [...(byKey.get(k) ?? []), e]);
  }
  const out: HealthKey[] = [];
  for (const list of byKey.values()) {
    const counts = new Map<string, number>();
    for (const e of list) counts.set(e.value, (counts.get(e.value) ?? 0) + 1);
    if (counts.size < 2) continue;
    const majority = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    for (const e of list) if (e.value !== majority) out.push({ path: `${HEALTH_CLUSTER}/${e.group === '' ? '' : `${e.group}/`}${e.key}`, values: [[e.node, e.value]] });
  }
  return out;
}

/** Rates of one kind of client transaction (asadm's per-second shares by uptime). */
function clientShare(kind: 'read' | 'write' | 'delete', of: 'error' | 'timeout' | 'not_found', limitPct: number, nonZero = false): (nodes: HealthNode[]) => HealthOutcome {
  const parts = kind === 'write' ? ['success', 'timeout', 'error'] : ['success', 'not_found', 'timeout', 'error'];
  return (nodes) => {
    const pairs = nsPairs(nodes).filter((p) => num(p.stats, `client_${kind}_success`) !== undefined);
    if (pairs.length === 0) return skipped;
    const keys: HealthKey[] = [];
    for (const p of pairs) {
      const total = parts.reduce((a, s) => a + (num(p.stats, `client_${kind}_${s}`) ?? 0), 0);
      const count = num(p.stats, `client_${kind}_${of}`) ?? 0;
      if (total === 0) continue;
      const pct = (count / total) * 100;
      // the INFO rule (non-zero errors) stays quiet once the WARNING one fired
      const failed = nonZero ? pct > limitPct && pct <= 5 : pct > limitPct;
      if (failed) keys.push({ path: `${HEALTH_CLUSTER}/${p.n.key}/${p.ns}`, values: [[`client_${kind}_${of} % of total ${kind}s`, Number(pct.toFixed(6))]] });
    }
    return { keys };
  };
}

/** Any namespace in strong-consistency mode: asadm's condition for its SC rules. */
const scNamespaces = (nodes: HealthNode[]) => nsPairs(nodes).some((p) => (p.config.get('strong-consistency') ?? p.stats.get('strong-consistency')) === 'true');

/** The rules, in the order of asadm's query file (7.0+ server). */
export const HEALTH_RULES: HealthRule[] = [
  {
    category: 'LIMITS',
    level: 'CRITICAL',
    failMsg: 'Low system memory percentage.',
    successMsg: 'System memory percentage check.',
    description: 'The listed nodes have less than 20% of system memory free (system_free_mem_pct).',
    check: (nodes) => perNode(nodes, 'service', 'system_free_mem_pct', (v) => v < 20),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'High system client connections.',
    successMsg: 'Client connections check.',
    description: 'The listed nodes hold more client connections than 80% of proto-fd-max.',
    check: (nodes) => perNode(nodes, 'service', 'client_connections', (v, n) => num(n.serviceConfig, 'proto-fd-max') !== undefined && v > 0.8 * num(n.serviceConfig, 'proto-fd-max')!),
  },
  {
    category: 'OPERATIONS',
    level: 'CRITICAL',
    failMsg: 'High namespace storage-engine used pct (stop-write enabled).',
    successMsg: 'Critical Namespace storage-engine used pct check.',
    description: "The listed namespaces use more of their storage than storage-engine.stop-writes-used-pct: writes stop there. See 'show stop-writes'.",
    check: (nodes) =>
      perNs(
        nodes,
        (s, c) => (num(s, 'data_used_pct') === undefined || num(c, 'storage-engine.stop-writes-used-pct') === undefined ? undefined : [num(s, 'data_used_pct')!, num(c, 'storage-engine.stop-writes-used-pct')!]),
        ([used, limit]) => !(used <= limit),
        ([used, limit]) => [
          ['data_used_pct', used],
          ['storage-engine.stop-writes-used-pct', limit],
        ],
      ),
  },
  {
    category: 'OPERATIONS',
    level: 'CRITICAL',
    failMsg: 'Low namespace storage-engine available pct (stop-write enabled).',
    successMsg: 'Critical Namespace storage-engine available pct check.',
    description: "The listed namespaces have less contiguous free storage than storage-engine.stop-writes-avail-pct: writes stop there. See 'show stop-writes'.",
    check: (nodes) =>
      perNs(
        nodes,
        (s, c) => (num(s, 'data_avail_pct') === undefined || num(c, 'storage-engine.stop-writes-avail-pct') === undefined ? undefined : [num(s, 'data_avail_pct')!, num(c, 'storage-engine.stop-writes-avail-pct')!]),
        ([avail, limit]) => !(avail >= limit),
        ([avail, limit]) => [
          ['data_avail_pct', avail],
          ['storage-engine.stop-writes-avail-pct', limit],
        ],
      ),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'Low namespace storage-engine available pct.',
    successMsg: 'Namespace storage-engine available pct check.',
    description: 'The listed namespaces have less than 20% of their storage available (and are not yet in stop-writes for it).',
    check: (nodes) =>
      perNs(
        nodes,
        (s, c) => (num(s, 'data_avail_pct') === undefined ? undefined : [num(s, 'data_avail_pct')!, num(c, 'storage-engine.stop-writes-avail-pct') ?? 0]),
        ([avail, limit]) => avail < 20 && avail >= limit,
        ([avail]) => [['data_avail_pct', avail]],
      ),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'Different service configurations.',
    successMsg: 'Service configurations difference check.',
    description: "The listed service configuration values differ from the value most nodes have. See 'show config service'.",
    check: (nodes) => {
      const ignored = (k: string) => ['heartbeat.mtu', 'node-id-interface', 'node-id', 'pidfile'].includes(k) || k.includes('address') || k.includes('port');
      const entries = nodes.flatMap((n) => [...n.serviceConfig].filter(([k]) => !ignored(k)).map(([key, value]) => ({ group: '', key, node: n.key, value })));
      return entries.length === 0 ? skipped : { keys: noMatchMajority(entries) };
    },
  },
  {
    category: 'OPERATIONS',
    level: 'INFO',
    failMsg: '> 1 migrate thread configured.',
    successMsg: 'Migration thread configuration check.',
    description: 'The listed nodes run more than one migrate thread (migrate-threads).',
    check: (nodes) => perNode(nodes, 'serviceConfig', 'migrate-threads', (v) => v > 1),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'Different namespace device size configuration.',
    successMsg: 'Namespace device size configuration difference check.',
    description: 'The listed namespaces have a different storage size (data_total_bytes) on some nodes.',
    check: (nodes) => {
      const entries = nsPairs(nodes).flatMap((p) => (p.stats.has('data_total_bytes') ? [{ group: p.ns, key: 'data_total_bytes', node: p.n.key, value: p.stats.get('data_total_bytes')! }] : []));
      return entries.length === 0 ? skipped : { keys: noMatchMajority(entries) };
    },
  },
  {
    category: 'OPERATIONS',
    level: 'INFO',
    failMsg: 'Non-default namespace storage-engine eviction threshold configuration.',
    successMsg: 'Non-default namespace storage-engine eviction threshold check.',
    description: 'The listed namespaces evict at a storage use other than the default (storage-engine.evict-used-pct 0).',
    check: (nodes) =>
      perNs(
        nodes,
        (_s, c) => num(c, 'storage-engine.evict-used-pct'),
        (v) => v !== 0,
        (v) => [['storage-engine.evict-used-pct', v]],
      ),
  },
  {
    category: 'OPERATIONS',
    level: 'INFO',
    failMsg: 'Non-default namespace device low water mark configuration.',
    successMsg: 'Non-default namespace device low water mark check.',
    description: 'The listed namespaces defragment at a block use other than the default (defrag-lwm-pct 50).',
    check: (nodes) =>
      perNs(
        nodes,
        (_s, c) => num(c, 'storage-engine.defrag-lwm-pct'),
        (v) => v !== 50,
        (v) => [['storage-engine.defrag-lwm-pct', v]],
      ),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'Defrag low water mark misconfigured.',
    successMsg: 'Defrag low water mark misconfiguration check.',
    description: 'The listed namespaces defragment below their eviction threshold, so blocks may neither be freed nor evicted.',
    check: (nodes) =>
      perNs(
        nodes,
        (_s, c) => (num(c, 'storage-engine.defrag-lwm-pct') === undefined || num(c, 'storage-engine.evict-used-pct') === undefined ? undefined : [num(c, 'storage-engine.defrag-lwm-pct')!, num(c, 'storage-engine.evict-used-pct')!]),
        ([lwm, hwm]) => lwm < hwm,
        ([lwm, hwm]) => [
          ['storage-engine.defrag-lwm-pct', lwm],
          ['storage-engine.evict-used-pct', hwm],
        ],
      ),
  },
  {
    category: 'OPERATIONS',
    level: 'INFO',
    failMsg: 'Namespace has COMMIT-TO-DEVICE',
    successMsg: 'Namespace COMMIT-TO-DEVICE check.',
    description: 'The listed namespaces write every record to the device before answering (storage-engine.commit-to-device true).',
    check: (nodes) =>
      perNs(
        nodes,
        (_s, c) => c.get('storage-engine.commit-to-device'),
        (v) => v === 'true',
        (v) => [['storage-engine.commit-to-device', v]],
      ),
  },
  {
    category: 'LIMITS',
    level: 'WARNING',
    failMsg: 'High set count per namespace',
    successMsg: 'Critical Namespace Set Count Check (>=1000)',
    description: 'The listed namespaces hold 1000 sets or more.',
    check: (nodes) => setCount(nodes, (n) => n >= 1000),
  },
  {
    category: 'LIMITS',
    level: 'INFO',
    failMsg: 'Number of Sets equal to or above 750',
    successMsg: 'Basic Set Count Check (750 <= p < 1000)',
    description: 'The listed namespaces hold between 750 and 999 sets.',
    check: (nodes) => setCount(nodes, (n) => n >= 750 && n < 1000),
  },
  {
    category: 'OPERATIONS',
    level: 'CRITICAL',
    failMsg: 'Namespace has hit stop-writes (stop_writes = true)',
    successMsg: 'Namespace stop-writes flag check.',
    description: "The listed namespaces refuse writes (stop_writes). See 'show stop-writes'.",
    check: (nodes) => flag(nodes, 'stop_writes'),
  },
  {
    category: 'OPERATIONS',
    level: 'CRITICAL',
    failMsg: 'Namespace has hit clock-skew-stop-writes (clock_skew_stop_writes = true)',
    successMsg: 'Namespace clock-skew-stop-writes flag check.',
    description: "The listed namespaces refuse writes for clock skew (clock_skew_stop_writes). See 'show stop-writes'.",
    check: (nodes) => flag(nodes, 'clock_skew_stop_writes'),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'Namespace storage under configured for single node failure.',
    successMsg: 'Namespace single node failure storage space config check.',
    description: "The listed namespaces lack the free storage to take their share of a failed node's data.",
    check: (nodes) => {
      const size = Math.max(0, ...nodes.map((n) => num(n.service, 'cluster_size') ?? 0));
      const pairs = nsPairs(nodes).filter((p) => num(p.stats, 'data_total_bytes') !== undefined && num(p.stats, 'data_used_bytes') !== undefined);
      // one node has no other to fail over to: asadm's division by size - 1 has no answer
      if (pairs.length === 0 || size < 2) return skipped;
      const keys: HealthKey[] = [];
      for (const ns of new Set(pairs.map((p) => p.ns))) {
        const mine = pairs.filter((p) => p.ns === ns);
        const share = Math.max(...mine.map((p) => num(p.stats, 'data_used_bytes')! / (size - 1)));
        for (const p of mine) {
          const free = num(p.stats, 'data_total_bytes')! - num(p.stats, 'data_used_bytes')!;
          if (!(free > share))
            keys.push({
              path: `${HEALTH_CLUSTER}/${p.n.key}/${ns}`,
              values: [
                ['available storage space', free],
                ['distribution share of used storage space per node', share],
              ],
            });
        }
      }
      return { keys };
    },
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'Disparate namespaces.',
    successMsg: 'Namespaces per node count check.',
    description: 'The listed nodes do not have every namespace of the cluster configured.',
    check: (nodes) => {
      const all = new Set(nodes.flatMap((n) => [...n.namespaces.keys()]));
      if (all.size === 0) return skipped;
      return { keys: nodes.filter((n) => n.namespaces.size !== all.size).map((n) => ({ path: `${HEALTH_CLUSTER}/${n.key}`, values: [['namespace count', n.namespaces.size], ['total available namespaces for cluster', all.size]] })) };
    },
  },
  {
    category: 'OPERATIONS',
    level: 'INFO',
    failMsg: 'Non-default namespace replication-factor configuration.',
    successMsg: 'Non-default namespace replication-factor check.',
    description: 'The listed namespaces keep a number of copies other than the default 2 (replication-factor).',
    check: (nodes) =>
      perNs(
        nodes,
        (s, c) => num(c, 'replication-factor') ?? num(s, 'replication-factor'),
        (v) => v !== 2,
        (v) => [['replication-factor', v]],
      ),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'Different namespace configurations.',
    successMsg: 'Namespace configurations difference check.',
    description: "The listed namespace configuration values differ from the value most nodes have. See 'show config namespace'.",
    check: (nodes) => {
      const ignored = (k: string) => k === 'rack-id' || k.includes('device') || k.includes('file');
      const entries = nsPairs(nodes).flatMap((p) => [...p.config].filter(([k]) => !ignored(k)).map(([key, value]) => ({ group: p.ns, key, node: p.n.key, value })));
      return entries.length === 0 ? skipped : { keys: noMatchMajority(entries) };
    },
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'Namespace HWM breached.',
    successMsg: 'Namespace HWM breach check.',
    description: 'The listed namespaces are past an eviction threshold (hwm_breached).',
    check: (nodes) => flag(nodes, 'hwm_breached'),
  },
  {
    category: 'DATA',
    level: 'INFO',
    failMsg: 'Skewed namespace data distribution, prole objects exceed master objects by > 5%.',
    successMsg: 'Namespace data distribution check (prole objects exceed master objects by > 5%).',
    description: 'The listed namespaces hold more replica copies per replica than master records (while no migration runs).',
    check: (nodes) => distribution(nodes, (m, p) => 0.95 * p > m),
  },
  {
    category: 'DATA',
    level: 'INFO',
    failMsg: 'Skewed namespace data distribution, master objects exceed prole objects by > 5%.',
    successMsg: 'Namespace data distribution check (master objects exceed prole objects by > 5%).',
    description: 'The listed namespaces hold more master records than replica copies per replica (while no migration runs).',
    check: (nodes) => distribution(nodes, (m, p) => 0.95 * m > p),
  },
  {
    category: 'OPERATIONS',
    level: 'CRITICAL',
    failMsg: 'Cluster integrity fault.',
    successMsg: 'Cluster integrity fault check.',
    description: 'The listed nodes report a cluster integrity fault: the cluster is not whole.',
    check: (nodes) => {
      const have = nodes.filter((n) => n.service.has('cluster_integrity'));
      return have.length === 0 ? skipped : { keys: have.filter((n) => n.service.get('cluster_integrity') !== 'true').map((n) => ({ path: `${HEALTH_CLUSTER}/${n.key}/cluster_integrity`, values: [['cluster_integrity', n.service.get('cluster_integrity')!]] })) };
    },
  },
  {
    category: 'OPERATIONS',
    level: 'CRITICAL',
    failMsg: 'Different Cluster Key.',
    successMsg: 'Cluster Key difference check.',
    description: 'The listed nodes report a cluster key other than most nodes: the cluster is not whole.',
    check: (nodes) => {
      const entries = nodes.flatMap((n) => (n.service.has('cluster_key') ? [{ group: '', key: 'cluster_key', node: n.key, value: n.service.get('cluster_key')! }] : []));
      return entries.length === 0 ? skipped : { keys: noMatchMajority(entries) };
    },
  },
  {
    category: 'OPERATIONS',
    level: 'CRITICAL',
    failMsg: 'Unstable Cluster.',
    successMsg: 'Cluster stability check.',
    description: 'The listed nodes report a cluster size other than the number of nodes found.',
    check: (nodes) => perNode(nodes, 'service', 'cluster_size', (v) => v !== nodes.length),
  },
  {
    category: 'OPERATIONS',
    level: 'CRITICAL',
    failMsg: 'UDF not in sync (file not matching).',
    successMsg: 'UDF sync (file not matching) check.',
    description: "The listed UDF modules differ between nodes (hash). See 'show udfs'.",
    check: (nodes) => {
      const entries = nodes.flatMap((n) => [...n.udfs].map(([file, hash]) => ({ group: file, key: 'hash', node: n.key, value: hash })));
      return entries.length === 0 ? skipped : { keys: noMatchMajority(entries) };
    },
  },
  {
    category: 'OPERATIONS',
    level: 'CRITICAL',
    failMsg: 'UDF not in sync (not available on all node).',
    successMsg: 'UDF sync (availability on all node) check.',
    description: 'The listed UDF modules are missing on some nodes.',
    check: (nodes) => {
      const files = new Set(nodes.flatMap((n) => [...n.udfs.keys()]));
      if (files.size === 0) return skipped;
      return { keys: [...files].filter((f) => nodes.some((n) => !n.udfs.has(f))).map((f) => ({ path: `${HEALTH_CLUSTER}/${f}`, values: [['node count', nodes.filter((n) => n.udfs.has(f)).length], ['expected node count', nodes.length]] })) };
    },
  },
  {
    category: 'OPERATIONS',
    level: 'CRITICAL',
    failMsg: 'SINDEX not in sync with primary.',
    successMsg: 'SINDEX sync state check.',
    description: "The listed secondary indexes are not ready (state other than RW): queries may miss records. See 'show sindex'.",
    check: (nodes) => {
      const all = nodes.flatMap((n) => n.sindexes.map((s) => ({ n, s })));
      if (all.length === 0) return skipped;
      return { keys: all.filter(({ s }) => !['RW', 'synced'].includes(s.get('state') ?? s.get('sync_state') ?? '')).map(({ n, s }) => ({ path: `${HEALTH_CLUSTER}/${n.key}/${s.get('ns')}/${s.get('set') ?? 'null'}/${s.get('indexname')}`, values: [['state', s.get('state') ?? '']] })) };
    },
  },
  {
    category: 'OPERATIONS',
    level: 'CRITICAL',
    failMsg: 'SINDEX not in sync (not available on all node).',
    successMsg: 'SINDEX metadata sync (availability on all node) check.',
    description: 'The listed secondary indexes are missing on some nodes.',
    check: (nodes) => {
      const names = new Set(nodes.flatMap((n) => n.sindexes.map((s) => `${s.get('ns')}/${s.get('set') ?? 'null'}/${s.get('indexname')}`)));
      if (names.size === 0) return skipped;
      const has = (n: HealthNode, name: string) => n.sindexes.some((s) => `${s.get('ns')}/${s.get('set') ?? 'null'}/${s.get('indexname')}` === name);
      return { keys: [...names].filter((name) => nodes.some((n) => !has(n, name))).map((name) => ({ path: `${HEALTH_CLUSTER}/${name}`, values: [['nodes with SINDEX', nodes.filter((n) => has(n, name)).length], ['cluster node count', nodes.length]] })) };
    },
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'High client read errors',
    successMsg: 'High read error check',
    description: 'The listed namespaces fail more than 5% of client reads with an error.',
    check: clientShare('read', 'error', 5),
  },
  {
    category: 'OPERATIONS',
    level: 'INFO',
    failMsg: 'Non-zero client read errors',
    successMsg: 'Non-zero read error check',
    description: 'The listed namespaces fail more than 1% of client reads with an error.',
    check: clientShare('read', 'error', 1, true),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'High client read timeouts',
    successMsg: 'High read timeouts check',
    description: 'More than 5% of client reads time out in the listed namespaces.',
    check: clientShare('read', 'timeout', 5),
  },
  {
    category: 'OPERATIONS',
    level: 'INFO',
    failMsg: 'High read not found errors',
    successMsg: 'High read not found error check',
    description: 'More than 20% of client reads find no record in the listed namespaces.',
    check: clientShare('read', 'not_found', 20),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'High client delete errors',
    successMsg: 'High delete error check',
    description: 'The listed namespaces fail more than 5% of client deletes with an error.',
    check: clientShare('delete', 'error', 5),
  },
  {
    category: 'OPERATIONS',
    level: 'INFO',
    failMsg: 'Non-zero client delete errors',
    successMsg: 'Non-zero delete error check',
    description: 'The listed namespaces fail more than 1% of client deletes with an error.',
    check: clientShare('delete', 'error', 1, true),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'High client delete timeouts',
    successMsg: 'High delete timeouts check',
    description: 'More than 5% of client deletes time out in the listed namespaces.',
    check: clientShare('delete', 'timeout', 5),
  },
  {
    category: 'OPERATIONS',
    level: 'INFO',
    failMsg: 'High delete not found errors',
    successMsg: 'High delete not found error check',
    description: 'More than 20% of client deletes find no record in the listed namespaces.',
    check: clientShare('delete', 'not_found', 20),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'High client write errors',
    successMsg: 'High write error check',
    description: 'The listed namespaces fail more than 5% of client writes with an error.',
    check: clientShare('write', 'error', 5),
  },
  {
    category: 'OPERATIONS',
    level: 'INFO',
    failMsg: 'Non-zero client write errors',
    successMsg: 'Non-zero write error check',
    description: 'The listed namespaces fail more than 1% of client writes with an error.',
    check: clientShare('write', 'error', 1, true),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'High client write timeouts',
    successMsg: 'High write timeouts check',
    description: 'More than 5% of client writes time out in the listed namespaces.',
    check: clientShare('write', 'timeout', 5),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'Wrong clock skew for SC mode',
    successMsg: 'Namespace clock_skew_stop_writes check',
    description: 'The clock skew of the listed strong-consistency namespaces is out of tolerance: they refuse writes.',
    check: (nodes) => (scNamespaces(nodes) ? flag(nodes, 'clock_skew_stop_writes') : skipped),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'Non-zero dead partitions',
    successMsg: 'Namespace dead partitions check',
    description: 'The listed strong-consistency namespaces have dead partitions: they need a revive.',
    check: (nodes) => (scNamespaces(nodes) ? perNs(nodes, (s) => num(s, 'dead_partitions'), (v) => v !== 0, (v) => [['dead_partitions', v]]) : skipped),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'Non-zero unavailable partitions',
    successMsg: 'Namespace unavailable partitions check',
    description: 'The listed strong-consistency namespaces have unavailable partitions: roster nodes are missing.',
    check: (nodes) => (scNamespaces(nodes) ? perNs(nodes, (s) => num(s, 'unavailable_partitions'), (v) => v !== 0, (v) => [['unavailable_partitions', v]]) : skipped),
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'Cluster clock_skew breached warning level',
    successMsg: 'Cluster clock_skew check',
    description: 'The cluster clock skew passed 3/4 of cluster_clock_skew_stop_writes_sec: past it, writes stop.',
    check: (nodes) => {
      if (!scNamespaces(nodes)) return skipped;
      return perNode(nodes, 'service', 'cluster_clock_skew_ms', (v, n) => v > 0.75 * (num(n.service, 'cluster_clock_skew_stop_writes_sec') ?? 0) * 1000);
    },
  },
  {
    category: 'OPERATIONS',
    level: 'WARNING',
    failMsg: 'Nodes equal to replication factor.',
    successMsg: 'Node / replication factor check',
    description: 'The cluster has as many nodes as the replication factor: a rolling restart would leave partitions unavailable.',
    check: (nodes) => {
      if (!scNamespaces(nodes)) return skipped;
      const size = Math.max(0, ...nodes.map((n) => num(n.service, 'cluster_size') ?? 0));
      return perNs(nodes, (s, c) => num(c, 'replication-factor') ?? num(s, 'replication-factor'), (rf) => rf === size, (rf) => [['replication_factor', rf], ['cluster_size', size]]);
    },
  },
];

function flag(nodes: HealthNode[], stat: string): HealthOutcome {
  return perNs(
    nodes,
    (s) => s.get(stat),
    (v) => v === 'true',
    (v) => [[stat, v === 'true']],
  );
}

function setCount(nodes: HealthNode[], bad: (count: number) => boolean): HealthOutcome {
  if (nodes.every((n) => n.sets.length === 0)) return skipped;
  const nss = new Set(nodes.flatMap((n) => n.sets.map((s) => s.get('ns') ?? s.get('ns_name') ?? '')));
  const keys: HealthKey[] = [];
  for (const ns of nss) {
    const count = Math.max(...nodes.map((n) => n.sets.filter((s) => (s.get('ns') ?? s.get('ns_name')) === ns).length));
    if (bad(count)) keys.push({ path: `${HEALTH_CLUSTER}/${ns}`, values: [['sets_count', count]] });
  }
  return { keys };
}

/** asadm's master/prole skew: only with replication and while no migration is received. */
function distribution(nodes: HealthNode[], bad: (masters: number, prolesPerReplica: number) => boolean): HealthOutcome {
  const pairs = nsPairs(nodes);
  if (pairs.length === 0) return skipped;
  const keys: HealthKey[] = [];
  for (const ns of new Set(pairs.map((p) => p.ns))) {
    const mine = pairs.filter((p) => p.ns === ns);
    const rf = Math.max(...mine.map((p) => num(p.stats, 'effective_replication_factor', 'repl-factor') ?? 0));
    const migrating = mine.some((p) => (num(p.stats, 'migrate_rx_partitions_active', 'migrate_progress_recv') ?? 0) !== 0);
    if (rf <= 1 || migrating) continue;
    const masters = mine.reduce((a, p) => a + (num(p.stats, 'master_objects') ?? 0), 0);
    const proles = mine.reduce((a, p) => a + (num(p.stats, 'prole_objects') ?? 0), 0) / (rf - 1);
    if (bad(masters, proles))
      keys.push({
        path: `${HEALTH_CLUSTER}/${ns}`,
        values: [
          ['master_objects', masters],
          ['unique prole_objects', proles],
        ],
      });
  }
  return { keys };
}

/** One rule's result, as asadm's health checker keeps it. */
export interface HealthResult {
  rule: HealthRule;
  outcome: HealthOutcome;
}

/** Runs the rules over what was read. */
export function evaluateHealth(nodes: HealthNode[], rules: HealthRule[] = HEALTH_RULES): HealthResult[] {
  return rules.map((rule) => ({ rule, outcome: rule.check(nodes) }));
}

const LEVEL_ORDER: HealthLevel[] = ['INFO', 'WARNING', 'CRITICAL'];

/** asadm's header: `  OPERATIONS:` right-justified to its offset, then the gap to the message. */
const header = (name: string) => `\n${`${name}:`.padStart(H1_OFFSET)}${' '.repeat(H2_OFFSET - H1_OFFSET)}`;
const message = (lines: string[]) => lines.join(`\n${' '.repeat(H2_OFFSET)}`);

/** Python's `textwrap.wrap` without breaking words or hyphens. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of text.split(/\s+/).filter((x) => x !== '')) {
    if (cur === '') cur = w;
    else if (cur.length + 1 + w.length <= width) cur += ` ${w}`;
    else {
      lines.push(cur);
      cur = w;
    }
  }
  if (cur !== '') lines.push(cur);
  return lines;
}

/** A value as asadm's `_format_value` prints it: thousands separators, no trailing zeros. */
function formatValue(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  const n = typeof v === 'number' ? v : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : undefined;
  if (n === undefined || n === 0) return String(v);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: 6 });
}

/** asadm's health report of the results; `verbose` (its -v) adds descriptions and keys. */
export function renderHealth(results: HealthResult[], verbose = false): string {
  const ran = results.filter((r) => !r.outcome.skipped);
  const failed = ran.filter((r) => !r.outcome.skipped && r.outcome.keys.length > 0);
  const passed = ran.length - failed.length;
  let out = `\n${pyCenter('Summary', H_WIDTH, '_')}\n`;
  out += `${header('Total')}${results.length}${header('Passed')}${passed}${header('Failed')}${failed.length}${header('Skipped')}${results.length - ran.length}\n`;
  const byCategory = (rs: HealthResult[]) => [...rs].sort((a, b) => (a.rule.category < b.rule.category ? -1 : a.rule.category > b.rule.category ? 1 : 0));
  let passText = '';
  let failText = '';
  for (const level of LEVEL_ORDER) {
    const atLevel = byCategory(ran.filter((r) => r.rule.level === level));
    for (const r of atLevel) if (r.outcome.skipped !== true && r.outcome.keys.length === 0) passText += `${header(r.rule.category.split('.')[0]!)}${r.rule.successMsg}`;
    const fails = atLevel.filter((r) => r.outcome.skipped !== true && r.outcome.keys.length > 0);
    if (fails.length === 0) continue;
    let s = '';
    for (const r of fails) {
      s += `${header(r.rule.category.split('.')[0]!)}${r.rule.failMsg}`;
      if (verbose && r.outcome.skipped !== true) {
        s += `\n${header('Description:')}${message(wrap(r.rule.description, H_WIDTH - H2_OFFSET))}`;
        s += `\n${header('Keys:')}${message(r.outcome.keys.map((k) => `${k.path} {${k.values.map(([name, v]) => `${name}:${formatValue(v)}`).join(', ')}}`))}\n`;
      }
    }
    failText += `\n${pyCenter(level, H_WIDTH)}\n${s}\n`;
  }
  if (passed > 0) out += `\n\n${pyCenter(` PASS: count(${passed}) `, H_WIDTH, '_')}\n${passText}\n`;
  if (failed.length > 0) out += `\n\n${pyCenter(` FAIL: count(${failed.length}) `, H_WIDTH, '_')}\n${failText}\n`;
  out += `${'_'.repeat(H_WIDTH)}\n\n`;
  return out;
}

/** Reads what the rules need from every node. */
export async function gatherHealth(c: AdminCluster): Promise<HealthNode[]> {
  const text = (a: string | Error) => (a instanceof Error || /^ERROR/i.test(a) ? '' : a);
  const entries = (a: string | Error) =>
    text(a)
      .split(';')
      .filter((e) => e.trim() !== '')
      .map((e) => kvList(e, ':'));
  const [service, serviceConfig, nsLists, sets, sindexes, udfs] = await Promise.all([c.allKv('statistics'), c.allKv('get-config:context=service'), c.all('namespaces'), c.all('sets'), c.all('sindex-list'), c.all('udf-list')]);
  return Promise.all(
    c.nodes.map(async (n, i) => {
      const namespaces = new Map(
        await Promise.all(
          text(nsLists[i]!)
            .split(';')
            .filter((s) => s !== '')
            .map(async (ns): Promise<[string, { stats: Map<string, string>; config: Map<string, string> }]> => {
              const [stats, config] = await Promise.all([c.info(n, `namespace/${ns}`).catch(() => ''), c.info(n, `get-config:context=namespace;id=${ns}`).catch(() => '')]);
              return [ns, { stats: kvList(text(stats)), config: kvList(text(config)) }];
            }),
        ),
      );
      // udf-list: `filename=a.lua,hash=…,type=LUA;` per module
      const udfMap = new Map<string, string>();
      for (const e of text(udfs[i]!).split(';').filter((x) => x.trim() !== '')) {
        const u = kvList(e, ',');
        if (u.get('filename') !== undefined) udfMap.set(u.get('filename')!, u.get('hash') ?? '');
      }
      return { key: n.key, nodeId: n.nodeId, service: service[i]!, serviceConfig: serviceConfig[i]!, namespaces, sets: entries(sets[i]!), sindexes: entries(sindexes[i]!), udfs: udfMap };
    }),
  );
}
