/**
 * asadm's `summary`: its Cluster Summary row sheet and Namespace Summary column sheet, with the
 * fields, order, titles and units aerospike-admin prints (lib/view/templates.py
 * `summary_cluster_sheet` / `summary_namespace_sheet`, computed as lib/utils/common.py
 * `create_summary` does for a 7.0+ server):
 * - cluster: Migrations, Cluster Name, Server Version (`C-8.1.2.0`), OS Version (for nodes on
 *   this host, as asadm collects it without ssh), Cluster Size, Devices Total / Per-Node / Equal
 *   Across Nodes, System Memory Used% / Avail%, Shmem Index Used, Shmem Sindex Used, Set Index
 *   Used, Indexes Memory, Data Memory / Device / Pmem Total, Used, Used%, Avail, Avail%, License
 *   Usage Latest, Namespaces Active / Total, Active Features;
 * - namespaces: Namespace, Drives (Total, Per-Node), Shmem Sindex (Used), Set Index (Used),
 *   Indexes Memory, Data Memory / Device / Pmem (Total, Used%, Avail%), Replication Factors,
 *   Master Objects, Compression Ratio, License Usage (Latest).
 * A field no entry has a value for is left out, as asadm hides it. Pre-7.0 fields (memory-size)
 * and the EE-only ones (pmem/flash index budgets, compression, feature keys) appear when a node
 * reports them.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces, release } from 'node:os';
import type { AdminCluster, AdminNode } from './cluster.js';
import { kvList } from './cluster.js';
import { bytes, pyFloat, pyPct, pyRound, renderRowSheet, renderTable, scientific, type Cell, type Column } from './table.js';

/** A usage as asadm's summary keeps it: bytes used, and when a size is known its total and shares. */
interface Usage {
  used: number;
  total?: number;
  usedPct?: number;
  avail?: number;
  availPct?: number;
}

/** Usage of `used` bytes out of `total` (asadm's `SummaryStorageUsageDict`). */
function usageOf(total: number, used: number, avail = total - used): Usage {
  return { total, used, usedPct: (used / total) * 100, avail, availPct: (avail / total) * 100 };
}

interface NsSummary {
  ns: string;
  migrations: boolean;
  devicesTotal: number;
  devicesPerNode: number;
  usage: Map<string, Usage>;
  replFactors: number[];
  cacheReadPct?: number;
  masterObjects: number;
  compressionRatio?: number;
  license: number;
  /** a node gives the namespace a rack-id above 0 */
  rackAware: boolean;
}

const DEVICE_KEYS = [/^storage-engine\.device$/, /^device$/, /^storage-engine\.file$/, /^file$/, /^dev$/, /^storage-engine\.device\[[0-9]+\]$/, /^storage-engine\.file\[[0-9]+\]$/];

/** asadm's feature checks (lib/utils/common.py `feature_checks`): a feature is active when any node shows one. */
type FeatureSource = 'service' | 'namespaces' | 'security';
interface FeatureCheck {
  source: FeatureSource;
  keys: string[];
  /** compare each key's value: > 0 (default), or == a string, or < a number */
  test?: { eq: string } | { lt: number };
}
const FEATURES: [string, FeatureCheck[]][] = [
  ['KVS', [{ source: 'service', keys: ['stat_read_reqs', 'stat_write_reqs'] }, { source: 'namespaces', keys: ['client_read_error', 'client_read_success', 'client_write_error', 'client_write_success'] }]],
  ['UDF', [{ source: 'service', keys: ['udf_read_reqs', 'udf_write_reqs'] }, { source: 'namespaces', keys: ['client_udf_complete', 'client_udf_error'] }]],
  ['Batch', [{ source: 'service', keys: ['batch_initiate', 'batch_index_initiate'] }]],
  [
    'Scan',
    [
      { source: 'service', keys: ['tscan_initiate', 'basic_scans_succeeded', 'basic_scans_failed', 'aggr_scans_succeeded', 'aggr_scans_failed', 'udf_bg_scans_succeeded', 'udf_bg_scans_failed'] },
      { source: 'namespaces', keys: ['scan_basic_complete', 'scan_basic_error', 'scan_aggr_complete', 'scan_aggr_error', 'scan_udf_bg_complete', 'scan_udf_bg_error'] },
    ],
  ],
  ['SIndex', [{ source: 'service', keys: ['sindex-used-bytes-memory'] }, { source: 'namespaces', keys: ['memory_used_sindex_bytes'] }]],
  ['Query', [{ source: 'service', keys: ['query_reqs', 'query_success'] }, { source: 'namespaces', keys: ['query_reqs', 'query_success'] }]],
  [
    'PIndex Query',
    [{ source: 'namespaces', keys: ['pi_query_long_basic_complete', 'pi_query_long_basic_error', 'pi_query_short_basic_complete', 'pi_query_short_basic_error', 'pi_query_aggr_complete', 'pi_query_aggr_error', 'pi_query_udf_bg_complete', 'pi_query_udf_bg_error', 'pi_query_ops_bg_complete', 'pi_query_ops_bg_error'] }],
  ],
  [
    'SIndex Query',
    [{ source: 'namespaces', keys: ['si_query_long_basic_complete', 'si_query_long_basic_error', 'si_query_short_basic_complete', 'si_query_short_basic_error', 'si_query_aggr_complete', 'si_query_aggr_error', 'si_query_udf_bg_complete', 'si_query_udf_bg_error', 'si_query_ops_bg_complete', 'si_query_ops_bg_error'] }],
  ],
  ['Aggregation', [{ source: 'service', keys: ['query_aggr_success', 'query_aggr_error', 'query_aggr_abort', 'query_agg'] }, { source: 'namespaces', keys: ['query_aggr_success', 'query_aggr_error', 'query_aggr_abort', 'query_agg'] }]],
  ['LDT', [{ source: 'service', keys: ['sub-records', 'ldt-writes', 'ldt-reads', 'ldt-deletes', 'ldt_writes', 'ldt_reads', 'ldt_deletes', 'sub_objects'] }, { source: 'namespaces', keys: ['ldt-writes', 'ldt-reads', 'ldt-deletes', 'ldt_writes', 'ldt_reads', 'ldt_deletes'] }]],
  ['XDR Source', [{ source: 'service', keys: ['stat_read_reqs_xdr', 'xdr_read_success', 'xdr_read_error'] }]],
  ['XDR Destination', [{ source: 'service', keys: ['stat_write_reqs_xdr'] }, { source: 'namespaces', keys: ['xdr_write_success', 'xdr_client_write_success'] }]],
  ['Rack-aware', [{ source: 'service', keys: ['self-group-id'] }, { source: 'namespaces', keys: ['rack-id'] }]],
  ['Security', [{ source: 'service', keys: ['enable-security'], test: { eq: 'true' } }, { source: 'security', keys: ['enable-security'], test: { eq: 'true' } }]],
  ['TLS (Heartbeat)', [{ source: 'service', keys: ['heartbeat.mesh-seed-address-port'] }]],
  ['TLS (Fabric)', [{ source: 'service', keys: ['fabric.tls-port'] }]],
  ['TLS (Service)', [{ source: 'service', keys: ['service.tls-port'] }]],
  ['SC', [{ source: 'namespaces', keys: ['strong-consistency'], test: { eq: 'true' } }]],
  ['Index-on-flash', [{ source: 'namespaces', keys: ['index-type'], test: { eq: 'flash' } }]],
  ['Index-on-pmem', [{ source: 'namespaces', keys: ['index-type'], test: { eq: 'pmem' } }]],
  ['Index-on-shmem', [{ source: 'namespaces', keys: ['index-type'], test: { eq: 'shmem' } }]],
  ['Compression', [{ source: 'namespaces', keys: ['data_compression_ratio', 'pmem_compression_ratio', 'device_compression_ratio'], test: { lt: 1.0 } }]],
];

/** asadm's value test: a number compared (its float conversion; a value that is not one is skipped), or a string equal. */
function checkValue(m: Map<string, string>, check: FeatureCheck): boolean {
  return check.keys.some((k) => {
    const v = m.get(k);
    if (v === undefined) return false;
    if (check.test && 'eq' in check.test) return v === check.test.eq;
    const n = v.trim() === '' ? NaN : Number(v);
    if (Number.isNaN(n)) return false;
    return check.test && 'lt' in check.test ? n < check.test.lt : n > 0;
  });
}

/** What the summary reads from one node. */
export interface SummaryNode {
  service: Map<string, string>;
  serviceConfig: Map<string, string>;
  security: Map<string, string>;
  /** per namespace: its statistics with its configuration (a real 7.0+ node answers both in `namespace/<ns>`) */
  namespaces: Map<string, Map<string, string>>;
}

const int = (m: Map<string, string>, ...keys: string[]): number | undefined => {
  for (const k of keys) {
    const v = m.get(k);
    if (v !== undefined && v !== '' && Number.isFinite(Number(v))) return Math.trunc(Number(v));
  }
  return undefined;
};
const float = (m: Map<string, string>, ...keys: string[]): number | undefined => {
  for (const k of keys) {
    const v = m.get(k);
    if (v !== undefined && v !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
};
const sum = (xs: (number | undefined)[]) => xs.reduce<number>((a, x) => a + (x ?? 0), 0);

/** The OS description asadm shows for a node on this host (`lsb_release` / os-release, then the kernel release). */
function localOsVersion(): string | undefined {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m ? `${m[1]} (${release()})` : undefined;
  } catch {
    return undefined;
  }
}

function isLocal(node: AdminNode): boolean {
  if (node.host === 'localhost' || node.host.startsWith('127.') || node.host === '::1') return true;
  return Object.values(networkInterfaces()).some((list) => (list ?? []).some((i) => i.address === node.host));
}

/** What the summary reads from the cluster: per node, in node order (undefined: no answer). */
export interface SummaryInput {
  nodes: SummaryNode[];
  /** `build` */
  builds: (string | undefined)[];
  /** `version` (`Aerospike Community Edition build 8.1.2.0`) */
  editions: (string | undefined)[];
  /** `cluster-name` */
  names: (string | undefined)[];
  /** the OS asadm describes for a node on its own host (`Debian GNU/Linux 12 (bookworm) (6.1.0)`) */
  osVersion?: string | undefined;
}

async function gather(c: AdminCluster): Promise<SummaryInput> {
  const text = (a: string | Error) => (a instanceof Error || /^ERROR/i.test(a) ? undefined : a);
  const [builds, editions, names, service, serviceConfig, security, nsLists] = await Promise.all([
    c.all('build'),
    c.all('version'),
    c.all('cluster-name'),
    c.allKv('statistics'),
    c.allKv('get-config:context=service'),
    c.allKv('get-config:context=security'),
    c.all('namespaces'),
  ]);
  const nodes = await Promise.all(
    c.nodes.map(async (n, i) => {
      const list = text(nsLists[i]!)?.split(';').filter((s) => s !== '') ?? [];
      // in the node's order of its namespaces (asadm's list view keeps it)
      const namespaces = new Map<string, Map<string, string>>(
        await Promise.all(
          list.map(async (ns): Promise<[string, Map<string, string>]> => {
            const [stats, config] = await Promise.all([c.info(n, `namespace/${ns}`).catch(() => ''), c.info(n, `get-config:context=namespace;id=${ns}`).catch(() => '')]);
            const m = kvList(text(config) ?? '');
            for (const [k, v] of kvList(text(stats) ?? '')) m.set(k, v);
            return [ns, m];
          }),
        ),
      );
      return { service: service[i]!, serviceConfig: serviceConfig[i]!, security: security[i]!, namespaces };
    }),
  );
  return { nodes, builds: builds.map(text), editions: editions.map(text), names: names.map(text), osVersion: c.nodes.some(isLocal) ? localOsVersion() : undefined };
}

/** `summary`: asadm's Cluster Summary and Namespace Summary. */
export async function summary(c: AdminCluster, listView = false): Promise<string> {
  return renderSummary(await gather(c), listView);
}

/** The two summary sheets of what was read (pure: the tests feed it a real node's answers). */
export function renderSummary(input: SummaryInput, listView = false): string {
  const { nodes, builds, editions, names } = input;
  const versions = new Set<string>();
  builds.forEach((b, i) => {
    if (b === undefined) return;
    const e = editions[i]?.toLowerCase() ?? '';
    versions.add(e.includes('enterprise') ? `E-${b}` : e.includes('community') ? `C-${b}` : e.includes('federal') ? `F-${b}` : b);
  });
  const clusterNames = new Set(names.filter((n): n is string => n !== undefined && n !== 'null'));
  const osVersions = new Set<string>();
  if (input.osVersion !== undefined) osVersions.add(input.osVersion);

  const nsNames = [...new Set(nodes.flatMap((n) => [...n.namespaces.keys()]))].sort();
  const nodeDevices = new Array<number>(nodes.length).fill(0);
  const cluster = new Map<string, Usage>();
  const add = (key: string, u: { total?: number; used: number; avail?: number }) => {
    const cur = cluster.get(key) ?? { used: 0 };
    cur.used += u.used;
    if (u.total !== undefined) cur.total = (cur.total ?? 0) + u.total;
    if (u.avail !== undefined) cur.avail = (cur.avail ?? 0) + u.avail;
    cluster.set(key, cur);
  };
  let clusterMigrations = false;
  let activeNs = 0;
  let clusterLicense = 0;
  const summaries: NsSummary[] = [];
  for (const ns of nsNames) {
    const per = nodes.flatMap((n, i) => (n.namespaces.has(ns) ? [{ i, m: n.namespaces.get(ns)! }] : []));
    const vals = <T>(f: (m: Map<string, string>) => T): T[] => per.map(({ m }) => f(m));
    const first = (k: string) => per.map(({ m }) => m.get(k)).find((v) => v !== undefined) ?? '';
    const usage = new Map<string, Usage>();
    // devices: every device or file a node names for the namespace
    let devices = 0;
    const counts = new Set<number>();
    for (const { i, m } of per) {
      let n = 0;
      for (const [k, v] of m) if (DEVICE_KEYS.some((re) => re.test(k))) n += v.split(',').length;
      nodeDevices[i]! += n;
      devices += n;
      counts.add(n);
    }
    const migrations = per.some(({ m }) => (int(m, 'migrate_tx_partitions_remaining', 'migrate-tx-partitions-remaining') ?? 0) > 0);
    clusterMigrations ||= migrations;
    // pre-7.0 namespace memory (data and indexes)
    const memSize = sum(vals((m) => int(m, 'memory-size')));
    if (memSize > 0) {
      const u = usageOf(memSize, sum(vals((m) => int(m, 'memory_used_bytes'))));
      usage.set('memory_data_and_indexes', u);
      add('memory_data_and_indexes', u);
    }
    // primary index: by index-type; a budget only for persisted (pmem/flash) indexes
    const indexType = first('index-type');
    const indexSize = sum(vals((m) => int(m, 'index-type.mounts-budget', 'index-type.mounts-size-limit')));
    const indexUsed = sum(vals((m) => int(m, 'index_used_bytes', 'index_pmem_used_bytes', 'index_flash_used_bytes', 'memory_used_index_bytes')));
    if (indexSize > 0 || indexUsed > 0) {
      const u = indexSize > 0 ? usageOf(indexSize, indexUsed) : { used: indexUsed };
      const kind = indexType === 'pmem' || indexType === 'flash' ? `${indexType}_index` : 'shmem_index';
      usage.set(kind, u);
      add(kind, kind === 'shmem_index' ? { used: indexUsed } : { total: indexSize, used: indexUsed });
    }
    const sindexType = first('sindex-type');
    const sindexSize = sum(vals((m) => int(m, 'sindex-type.mounts-budget', 'sindex-type.mounts-size-limit')));
    const sindexUsed = sum(vals((m) => int(m, 'sindex_used_bytes', 'sindex_pmem_used_bytes', 'sindex_flash_used_bytes', 'memory_used_sindex_bytes')));
    if (sindexUsed > 0 || sindexSize > 0) {
      const persisted = sindexType === 'pmem' || sindexType === 'flash';
      const kind = persisted ? `${sindexType}_sindex` : 'shmem_sindex';
      usage.set(kind, persisted && sindexSize > 0 ? usageOf(sindexSize, sindexUsed) : { used: sindexUsed });
      add(kind, persisted ? { total: sindexSize, used: sindexUsed } : { used: sindexUsed });
    }
    const setIndexUsed = sum(vals((m) => int(m, 'set_index_used_bytes', 'memory_used_set_index_bytes')));
    if (setIndexUsed > 0) {
      usage.set('set_index', { used: setIndexUsed });
      add('set_index', { used: setIndexUsed });
    }
    // everything indexes-memory-budget covers: the indexes kept in memory and the set index
    const budget = sum(vals((m) => int(m, 'indexes-memory-budget')));
    if (budget > 0) {
      const used = (indexType === 'flash' || indexType === 'pmem' ? 0 : indexUsed) + (sindexType === 'flash' || sindexType === 'pmem' ? 0 : sindexUsed) + setIndexUsed;
      usage.set('indexes_memory', usageOf(budget, used));
      add('indexes_memory', { total: budget, used });
    }
    // data: by storage engine; available = each node's size times its data_avail_pct
    const engine = first('storage-engine');
    const dataTotal = sum(vals((m) => int(m, 'data_total_bytes', 'device_total_bytes', 'pmem_total_bytes', 'total-bytes-disk')));
    if (dataTotal > 0) {
      const used = sum(vals((m) => int(m, 'data_used_bytes', 'device_used_bytes', 'pmem_used_bytes', 'used-bytes-disk')));
      const avail = sum(
        per.map(({ m }) => {
          const size = int(m, 'data_total_bytes', 'device_total_bytes', 'pmem_total_bytes', 'total-bytes-disk');
          const pct = int(m, 'data_avail_pct', 'device_available_pct', 'pmem_available_pct', 'available_pct');
          return size === undefined || pct === undefined ? 0 : (size / 100) * pct;
        }),
      );
      const kind = engine === 'device' ? 'data_device' : engine === 'pmem' ? 'data_pmem' : engine === 'memory' ? 'data_memory' : undefined;
      if (kind) {
        usage.set(kind, usageOf(dataTotal, used, avail));
        add(kind, { total: dataTotal, used, avail });
      }
    }
    const ratios = vals((m) => float(m, 'data_compression_ratio', 'device_compression_ratio', 'pmem_compression_ratio') ?? 0);
    const compressionRatio = Math.max(0, ...ratios);
    const replFactors = [...new Set(vals((m) => int(m, 'repl-factor', 'replication-factor') ?? 0))].sort((a, b) => a - b);
    const cache = vals((m) => int(m, 'cache_read_pct', 'cache-read-pct'));
    const masterObjects = sum(vals((m) => int(m, 'master_objects', 'master-objects')));
    if (masterObjects > 0) activeNs++;
    // license usage (asadm's formula for 8.0+): unique data bytes, each node's over its replication factor
    let license = 0;
    for (const { m } of per) {
      const rf = int(m, 'effective_replication_factor', 'replication-factor', 'repl-factor');
      if (rf === 0 || rf === undefined) continue;
      let data = (float(m, 'data_used_bytes', 'device_used_bytes', 'pmem_used_bytes') ?? 0) / (float(m, 'data_compression_ratio', 'pmem_compression_ratio', 'device_compression_ratio') ?? 1);
      if (data === 0) data = (float(m, 'memory_used_index_bytes') ?? 0) + (float(m, 'memory_used_data_bytes') ?? 0);
      license += data / rf;
    }
    license = Math.max(0, license);
    clusterLicense += license;
    summaries.push({
      ns,
      migrations,
      devicesTotal: devices,
      devicesPerNode: devices > 0 && per.length > 0 ? pyRound(devices / per.length, 0) : 0,
      usage,
      replFactors,
      ...(cache.every((x) => x !== undefined) && cache.length > 0 ? { cacheReadPct: Math.floor(sum(cache) / cache.length) } : {}),
      masterObjects,
      ...(compressionRatio > 0 ? { compressionRatio } : {}),
      license: pyRound(license, 0),
      rackAware: per.some(({ m }) => (int(m, 'rack-id') ?? 0) > 0),
    });
  }
  const deviceCount = sum(nodeDevices);
  for (const key of [...cluster.keys()]) {
    const u = cluster.get(key)!;
    if (u.total !== undefined && u.total > 0) cluster.set(key, usageOf(u.total, u.used, u.avail ?? u.total - u.used));
    else cluster.set(key, { used: u.used });
  }
  const freePcts = nodes.map((n) => int(n.service, 'system_free_mem_pct')).filter((x): x is number => x !== undefined);
  if (freePcts.length > 0) {
    const avg = sum(freePcts) / freePcts.length;
    cluster.set('system_memory', { used: 0, usedPct: 100 - avg, availPct: avg });
  }
  const features = FEATURES.filter(([, checks]) =>
    nodes.some((n) =>
      checks.some((ch) => {
        if (ch.source === 'service') return checkValue(new Map([...n.service, ...n.serviceConfig]), ch);
        if (ch.source === 'security') return checkValue(n.security, ch);
        return [...n.namespaces.values()].some((m) => checkValue(m, ch));
      }),
    ),
  ).map(([name]) => name);

  const list = (xs: Iterable<string | number>) => {
    const a = [...xs];
    return a.length === 0 ? '--' : a.join(',');
  };
  const fields: [string, Cell][] = [
    ['Migrations', clusterMigrations ? 'True' : 'False'],
    ['Cluster Name', list([...clusterNames].sort())],
    ['Server Version', list([...versions].sort())],
    ['OS Version', list(osVersions)],
    ['Cluster Size', list([...new Set(nodes.map((n) => int(n.service, 'cluster_size') ?? 0))].sort((a, b) => a - b))],
    ['Devices Total', deviceCount],
    ['Devices Per-Node', deviceCount > 0 ? pyRound(deviceCount / nodes.length, 0) : 0],
    ['Devices Equal Across Nodes', deviceCount > 0 && new Set(nodeDevices).size > 1 ? 'False' : 'True'],
    ...usageFields(cluster.get('memory_data_and_indexes'), 'Memory (Data + Indexes)', ['Total', 'Used', 'Used%', 'Avail', 'Avail%']),
    ...usageFields(cluster.get('system_memory'), 'System Memory', ['Used%', 'Avail%']),
    ...usageFields(cluster.get('shmem_index'), 'Shmem Index', ['Used']),
    ...usageFields(cluster.get('pmem_index'), 'Pmem Index', ['Total', 'Used', 'Used%', 'Avail', 'Avail%']),
    ...usageFields(cluster.get('flash_index'), 'Flash Index', ['Total', 'Used', 'Used%', 'Avail', 'Avail%']),
    ...usageFields(cluster.get('shmem_sindex'), 'Shmem Sindex', ['Used']),
    ...usageFields(cluster.get('pmem_sindex'), 'Pmem Sindex', ['Total', 'Used', 'Used%', 'Avail', 'Avail%']),
    ...usageFields(cluster.get('flash_sindex'), 'Flash Sindex', ['Total', 'Used', 'Used%', 'Avail', 'Avail%']),
    ...usageFields(cluster.get('set_index'), 'Set Index', ['Used']),
    ...usageFields(cluster.get('indexes_memory'), 'Indexes Memory', ['Total', 'Used', 'Used%', 'Avail', 'Avail%']),
    ...usageFields(cluster.get('data_memory'), 'Data Memory', ['Total', 'Used', 'Used%', 'Avail', 'Avail%']),
    ...usageFields(cluster.get('data_device'), 'Data Device', ['Total', 'Used', 'Used%', 'Avail', 'Avail%']),
    ...usageFields(cluster.get('data_pmem'), 'Data Pmem', ['Total', 'Used', 'Used%', 'Avail', 'Avail%']),
    ['License Usage Latest', bytes(pyRound(clusterLicense, 0)).trim()],
    ['Namespaces Active', activeNs],
    ['Namespaces Total', nsNames.length],
    ['Active Features', list(features)],
  ];
  if (listView) {
    const clusterSizes = [...new Set(nodes.map((n) => int(n.service, 'cluster_size') ?? 0))].sort((a, b) => a - b);
    const lines: string[] = [clusterMigrations ? 'Cluster  (Migrations in Progress)' : 'Cluster', clusterMigrations ? '=================================' : '=======', ''];
    const items: [string, string][] = [];
    if (clusterNames.size > 0) items.push(['Cluster Name', [...clusterNames].sort().join(', ')]);
    items.push(['Server Version', [...versions].sort().join(', ')], ['OS Version', [...osVersions].join(', ')], ['Cluster Size', clusterSizes.join(', ')]);
    items.push(['Devices', devicesText(deviceCount, deviceCount > 0 ? pyRound(deviceCount / nodes.length, 0) : 0, !(deviceCount > 0 && new Set(nodeDevices).size > 1))]);
    const sm = cluster.get('system_memory');
    if (sm) items.push(['System Memory', `${sm.availPct!.toFixed(2)}% free`]);
    pushUsageLines(items, (k) => cluster.get(k));
    items.push(['License Usage', `Latest: ${bytes(pyRound(clusterLicense, 0)).trim()}`], ['Active Namespaces', `${activeNs} of ${nsNames.length}`], ['Active Features', [...features].sort().join(', ')]);
    lines.push(numbered(items), '\n', 'Namespaces', '==========', '');
    // namespaces in the order the nodes list them (the table sorts them)
    const firstSeen = [...new Set(nodes.flatMap((n) => [...n.namespaces.keys()]))];
    for (const r of [...summaries].sort((a, b) => firstSeen.indexOf(a.ns) - firstSeen.indexOf(b.ns))) {
      const nsItems: [string, string][] = [['Devices', devicesText(r.devicesTotal, r.devicesPerNode, true)]];
      pushUsageLines(nsItems, (k) => r.usage.get(k));
      nsItems.push(['License Usage', `Latest: ${bytes(r.license).trim()}`], ['Replication Factor', r.replFactors.join(',')]);
      if (r.cacheReadPct !== undefined) nsItems.push(['Post-Write-Queue Hit-Rate', scientific(r.cacheReadPct)!]);
      nsItems.push(['Rack-aware', r.rackAware ? 'True' : 'False'], ['Master Objects', scientific(r.masterObjects)!]);
      if (r.compressionRatio !== undefined) nsItems.push(['Compression-ratio', pyFloat(r.compressionRatio)]);
      lines.push(`   ${r.ns}`, `   ${'='.repeat(r.ns.length)}`, numbered(nsItems), '');
    }
    // asadm prints each of these lines (a blank line's print, and print('\n') gives two)
    return `${lines.join('\n')}\n`;
  }
  const clusterSheet = renderRowSheet('Cluster Summary', fields, { stamp: false });
  return `${clusterSheet}\n${renderNamespaceSummary(summaries)}`;
}

/** asadm's `Total 2, per-node 2` devices line. */
function devicesText(total: number, perNode: number, same: boolean): string {
  return `Total ${total}, per-node ${perNode}${same ? '' : ' (number differs across nodes)'}`;
}

/** asadm's numbered summary lines: `   1.   Name (to 25)             :  value`. */
function numbered(items: [string, string][]): string {
  return items.map(([name, value], i) => `   ${`${i + 1}.`.padEnd(3)}  ${name.padEnd(25)}:  ${value}`).join('\n');
}

/**
 * asadm's usage lines of the list view, in its order: `Total 1.000 GB, 0.00% used (800.000 B),
 * 87.00% available contiguous space (890.880 MB)`, or `384.000 B used` when no size is known.
 */
function pushUsageLines(items: [string, string][], get: (key: string) => Usage | undefined): void {
  const line = (u: Usage, contiguous: boolean, suffix = ''): string => {
    const used = bytes(u.used).trim();
    if (u.total === undefined || u.usedPct === undefined || u.availPct === undefined || u.avail === undefined) return `${used} used`;
    return `Total ${bytes(u.total).trim()}, ${u.usedPct.toFixed(2)}% used (${used}), ${u.availPct.toFixed(2)}% available ${contiguous ? 'contiguous space ' : ''}(${bytes(u.avail).trim()})${suffix}`;
  };
  const order: [string, string, boolean, string?][] = [
    ['pmem_index', 'Pmem Index', false],
    ['flash_index', 'Flash Index', false],
    ['shmem_index', 'Shmem Index', false],
    ['pmem_sindex', 'Pmem Sindex', false],
    ['flash_sindex', 'Flash Sindex', false],
    ['shmem_sindex', 'Shmem Sindex', false],
    ['set_index', 'Set Index', false],
    ['indexes_memory', 'Indexes Memory', false],
    ['memory_data_and_indexes', 'Memory', false, ' includes data, pindex, and sindex'],
    ['data_memory', 'Data Memory', true],
    ['data_device', 'Data Device', true],
    ['data_pmem', 'Data Pmem', true],
  ];
  for (const [key, name, contiguous, suffix] of order) {
    const u = get(key);
    if (u) items.push([name, line(u, contiguous, suffix)]);
  }
}

/** A usage's fields as asadm titles them in the cluster sheet (`Data Memory Used%`). */
function usageFields(u: Usage | undefined, name: string, which: string[]): [string, Cell][] {
  return which.map((w) => [`${name} ${w}`, u === undefined ? undefined : usageCell(u, w)]);
}

function usageCell(u: Usage, which: string): Cell {
  switch (which) {
    case 'Total':
      return u.total === undefined ? undefined : bytes(u.total);
    case 'Used':
      return bytes(u.used);
    case 'Used%':
      return pyPct(u.usedPct);
    case 'Avail':
      return u.avail === undefined ? undefined : bytes(u.avail);
    default:
      return pyPct(u.availPct);
  }
}

/** asadm's Namespace Summary: one row per namespace, a group of columns per storage it uses. */
function renderNamespaceSummary(rows: NsSummary[]): string {
  const groups: [string, string, string[]][] = [
    ['memory_data_and_indexes', 'Memory (Data + Indexes)', ['Total', 'Used', 'Used%', 'Avail', 'Avail%']],
    ['pmem_index', 'Pmem Index', ['Total', 'Used%', 'Avail%']],
    ['flash_index', 'Flash Index', ['Total', 'Used%', 'Avail%']],
    ['shmem_sindex', 'Shmem Sindex', ['Used']],
    ['pmem_sindex', 'Pmem Sindex', ['Total', 'Used%', 'Avail%']],
    ['flash_sindex', 'Flash Sindex', ['Total', 'Used%', 'Avail%']],
    ['set_index', 'Set Index', ['Used']],
    ['indexes_memory', 'Indexes Memory', ['Total', 'Used%', 'Avail%']],
    ['data_memory', 'Data Memory', ['Total', 'Used%', 'Avail%']],
    ['data_device', 'Data Device', ['Total', 'Used%', 'Avail%']],
    ['data_pmem', 'Data Pmem', ['Total', 'Used%', 'Avail%']],
  ];
  const columns: Column[] = [
    'Namespace',
    { group: 'Drives', columns: ['Total', 'Per-Node'] },
    ...groups.map(([, title, cols]) => ({ group: title, columns: cols })),
    'Replication Factors',
    'Cache Read%',
    'Master Objects',
    'Compression Ratio',
    { group: 'License Usage', columns: ['Latest'] },
  ];
  const cells = rows.map((r) => [
    r.ns,
    r.devicesTotal,
    r.devicesPerNode,
    ...groups.flatMap(([key, , cols]) => cols.map((w) => (r.usage.has(key) ? usageCell(r.usage.get(key)!, w) : undefined))),
    r.replFactors.join(','),
    r.cacheReadPct === undefined ? undefined : pyPct(r.cacheReadPct),
    scientific(r.masterObjects),
    r.compressionRatio === undefined ? undefined : pyFloat(r.compressionRatio),
    bytes(r.license).trim(),
  ]);
  return renderTable('Namespace Summary', columns, cells, { stamp: false, alignLeft: ['Latest'], alignRight: ['Replication Factors'] });
}
