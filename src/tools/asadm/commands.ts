/**
 * asadm's commands over the info protocol: `info`, `summary`, `show …`, `manage …`, `health`.
 * Each returns the text to print and whether it failed. Where the server has no such thing the
 * answer says so instead of printing an empty table. Users and roles (show users|roles, manage
 * acl) go over the admin protocol: acl-commands.ts.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseReplicas } from '../../client/cluster-info.js';
import { AdminCluster, kvList } from './cluster.js';
import { manageAcl, showRoles, showUsers, showUsersStatistics } from './acl-commands.js';
import { summary } from './summary.js';
import { evaluateHealth, gatherHealth, renderHealth } from './health.js';
import { bytes, hms, renderTable, renderVertical, type Cell } from './table.js';

/** What one asadm session carries from command to command. */
export interface Session {
  /** privileged mode (`enable`, or --enable): manage commands need it, as in asadm */
  enabled: boolean;
  /** who logged in with -U (change-password without a user) */
  user: string | undefined;
  /** asks for a password a manage acl command left out (asadm's getpass prompt) */
  secret?: ((prompt: string) => Promise<string | undefined>) | undefined;
}

export interface CommandResult {
  out: string;
  /** printed on stderr before `out` (asadm's logged warnings) */
  err?: string;
  /** true when the command failed (the exit code of -e mode) */
  failed: boolean;
}

const ok = (out: string): CommandResult => ({ out, failed: false });
const fail = (out: string): CommandResult => ({ out: out.endsWith('\n') ? out : `${out}\n`, failed: true });
const num = (m: Map<string, string>, k: string): number | undefined => {
  const v = m.get(k);
  return v === undefined || v === '' ? undefined : Number(v);
};

/** Parses `a=1:b=2;a=3:b=4;` entries (sets, sindex-list, udf-list, racks, query-show). */
function entries(answer: string | Error, itemSep = ':'): Map<string, string>[] {
  if (answer instanceof Error || answer.trim() === '' || /^ERROR/i.test(answer)) return [];
  return answer
    .split(';')
    .filter((e) => e.trim() !== '')
    .map((e) => kvList(e, itemSep));
}

async function namespacesOf(c: AdminCluster): Promise<string[]> {
  const all = await c.all('namespaces');
  return [...new Set(all.flatMap((a) => (a instanceof Error ? [] : a.split(';').filter((s) => s !== ''))))].sort();
}

export const HELP = `Commands:
  info [network|namespace [usage|object]|set|sindex]
  summary [-l]
  show config [service|network|namespace|security]
  show statistics [service|namespace|set|sindex]
  show latencies | distribution | pmap | sindex | udfs | users | roles | jobs | stop-writes | racks
  manage truncate ns <ns> [set <set>]
  manage sindex create <numeric|string|geo2dsphere> <name> ns <ns> [set <set>] bin <bin>
  manage sindex delete <name> ns <ns>
  manage udfs add <module> path <file> | manage udfs remove <module>
  manage config service|network|security param <name> to <value>
  manage config security ldap|log param <name> to <value>
  manage config namespace <ns> param <name> to <value>
  manage jobs kill trid <trid>
  manage recluster
  manage quiesce with <node> [<node> ...] [undo]
  manage acl create user <username> password <password> [roles <role1> <role2> ...]
  manage acl delete user <username>
  manage acl grant|revoke user <username> roles <role1> [<role2> ...]
  manage acl set-password user <username> password <password>
  manage acl change-password old <old-password> new <new-password>
  manage acl create role <role> priv <privilege> [ns <ns> [set <set>]] [allow <addr> ...] [read <quota>] [write <quota>]
  manage acl delete role <role>
  manage acl grant|revoke role <role> priv <privilege> [ns <ns> [set <set>]]
  manage acl allowlist role <role> clear | allow <addr1> [<addr2> ...]
  manage acl quotas role <role> [read <quota>] [write <quota>]
  enable, disable   enter/leave privileged mode (manage commands need it; -e needs --enable)
  health [-v]
  help, exit, quit
`;

/** Runs one asadm command line against the cluster. */
export async function runCommand(c: AdminCluster, line: string, session: Session = { enabled: true, user: undefined }): Promise<CommandResult> {
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  const [verb, ...rest] = words;
  switch (verb?.toLowerCase()) {
    case undefined:
      return ok('');
    case 'help':
      return ok(HELP);
    case 'info':
      return info(c, rest);
    case 'summary':
      if (rest.some((w) => w !== '-l')) return fail(`ERROR: summary takes -l, not '${rest.filter((w) => w !== '-l').join(' ')}'`);
      return ok(await summary(c, rest.includes('-l')));
    case 'show':
      return show(c, rest);
    case 'enable':
      session.enabled = true;
      return ok('');
    case 'disable':
      session.enabled = false;
      return ok('');
    case 'manage':
      if (!session.enabled) return fail('ERROR: User must be in privileged mode to issue "manage" commands.\n       Type "enable" to enter privileged mode.');
      if (rest[0] === 'acl') {
        const r = await manageAcl(c, rest.slice(1), session);
        return r;
      }
      return manage(c, rest);
    case 'health':
      return health(c, rest);
    default:
      return fail(`ERROR: unknown command '${verb}'. Type 'help' for the commands.`);
  }
}

// ---- info ----

async function info(c: AdminCluster, args: string[]): Promise<CommandResult> {
  const [what, sub] = args;
  if (what === undefined) {
    const parts = [await infoNetwork(c), await infoNamespaceUsage(c), await infoNamespaceObject(c), await infoSet(c), await infoSindex(c)];
    return ok(parts.join('\n'));
  }
  switch (what) {
    case 'network':
      return ok(await infoNetwork(c));
    case 'namespace':
      if (sub === 'usage') return ok(await infoNamespaceUsage(c));
      if (sub === 'object') return ok(await infoNamespaceObject(c));
      if (sub === undefined) return ok(`${await infoNamespaceUsage(c)}\n${await infoNamespaceObject(c)}`);
      return fail(`ERROR: info namespace takes 'usage' or 'object', not '${sub}'`);
    case 'set':
      return ok(await infoSet(c));
    case 'sindex':
      return ok(await infoSindex(c));
    default:
      return fail(`ERROR: unknown info subcommand '${what}' (network, namespace, set, sindex)`);
  }
}

async function infoNetwork(c: AdminCluster): Promise<string> {
  const [stats, builds] = await Promise.all([c.allKv('statistics'), c.all('build')]);
  const rows: Cell[][] = c.nodes.map((n, i) => {
    const s = stats[i]!;
    const principal = s.get('cluster_principal');
    const b = builds[i]!;
    return [
      n.key,
      `${principal === n.nodeId ? '*' : ''}${n.nodeId}`,
      // asadm's IP column is the address it reached the node at (its socket's peer)
      n.key,
      b instanceof Error ? '--' : `C-${b}`,
      num(s, 'migrate_partitions_remaining'),
      num(s, 'cluster_size'),
      s.get('cluster_key'),
      s.get('cluster_integrity') === 'true' ? 'True' : s.get('cluster_integrity') === undefined ? undefined : 'False',
      principal,
      num(s, 'client_connections'),
      hms(num(s, 'uptime')),
    ];
  });
  return renderTable('Network Information', ['Node', 'Node ID', 'IP', 'Build', 'Migrations', { group: 'Cluster', columns: ['Size', 'Key', 'Integrity', 'Principal'] }, 'Client Conns', 'Uptime'], rows);
}

async function perNamespace(c: AdminCluster): Promise<{ ns: string; node: string; stats: Map<string, string>; config: Map<string, string> }[]> {
  const out: { ns: string; node: string; stats: Map<string, string>; config: Map<string, string> }[] = [];
  for (const ns of await namespacesOf(c)) {
    const [stats, config] = await Promise.all([c.allKv(`namespace/${ns}`), c.allKv(`get-config:context=namespace;id=${ns}`)]);
    c.nodes.forEach((n, i) => out.push({ ns, node: n.key, stats: stats[i]!, config: config[i]! }));
  }
  return out;
}

/** A percentage cell as asadm prints one (`12.0 %`), `--` when absent. */
const pct = (v: number | undefined): Cell => (v === undefined || !Number.isFinite(v) ? undefined : `${v.toFixed(1)} %`);

async function infoNamespaceUsage(c: AdminCluster): Promise<string> {
  const stats = await c.allKv('statistics');
  const rows = (await perNamespace(c)).map(({ ns, node, stats: st, config }) => {
    const svc = stats[c.nodes.findIndex((n) => n.key === node)] ?? new Map<string, string>();
    // asadm reads each value from the namespace statistics, then its configuration
    const v = (k: string) => num(st, k) ?? num(config, k);
    const t = (k: string) => st.get(k) ?? config.get(k);
    const budget = v('indexes-memory-budget') || undefined;
    const indexUsed = v('index_used_bytes');
    const sindexUsed = v('sindex_used_bytes');
    return [
      ns,
      node,
      v('evicted_objects'),
      st.get('stop_writes') === 'true' ? 'True' : 'False',
      pct(num(svc, 'system_free_mem_pct')),
      pct(v('evict-sys-memory-pct')),
      pct(v('stop-writes-sys-memory-pct')),
      t('index-type'),
      budget === undefined ? undefined : bytes(budget),
      bytes(indexUsed),
      budget === undefined || indexUsed === undefined ? undefined : pct((indexUsed * 100) / budget),
      pct(v('evict-indexes-memory-pct')),
      t('sindex-type'),
      budget === undefined ? undefined : bytes(budget),
      bytes(sindexUsed),
      budget === undefined || sindexUsed === undefined ? undefined : pct((sindexUsed * 100) / budget),
      pct(v('evict-indexes-memory-pct')),
      t('storage-engine'),
      bytes(v('data_total_bytes')),
      bytes(v('data_used_bytes')),
      pct(v('data_used_pct')),
      pct(v('storage-engine.evict-used-pct')),
      pct(v('storage-engine.stop-writes-used-pct')),
      pct(v('data_avail_pct')),
      pct(v('storage-engine.stop-writes-avail-pct')),
    ];
  });
  return renderTable(
    'Namespace Usage Information',
    [
      'Namespace',
      'Node',
      'Evictions',
      'Stop Writes',
      { group: 'System Memory', columns: ['Avail%', 'Evict%', 'Stop%'] },
      { group: 'Primary Index', columns: ['Type', 'Total', 'Used', 'Used%', 'Evict%'] },
      { group: 'Secondary Index', columns: ['Type', 'Total', 'Used', 'Used%', 'Evict%'] },
      { group: 'Storage Engine', columns: ['Type', 'Total', 'Used', 'Used%', 'Evict%', 'Used Stop%', 'Avail%', 'Avail Stop%'] },
    ],
    rows,
  );
}

async function infoNamespaceObject(c: AdminCluster): Promise<string> {
  const rows = (await perNamespace(c)).map(({ ns, node, stats, config }) => [
    ns,
    node,
    config.get('rack-id') ?? '0',
    num(stats, 'effective_replication_factor') ?? num(stats, 'replication-factor'),
    num(stats, 'expired_objects'),
    num(stats, 'objects'),
    num(stats, 'master_objects'),
    num(stats, 'prole_objects'),
    num(stats, 'non_replica_objects'),
    num(stats, 'master_tombstones'),
    num(stats, 'prole_tombstones'),
    num(stats, 'non_replica_tombstones'),
    num(stats, 'migrate_tx_partitions_remaining'),
    num(stats, 'migrate_rx_partitions_remaining'),
  ]);
  return renderTable(
    'Namespace Object Information',
    [
      'Namespace',
      'Node',
      'Rack ID',
      'Repl Factor',
      'Expirations',
      'Total Records',
      { group: 'Objects', columns: ['Master', 'Prole', 'Non-Replica'] },
      { group: 'Tombstones', columns: ['Master', 'Prole', 'Non-Replica'] },
      { group: 'Pending Migrates', columns: ['Tx', 'Rx'] },
    ],
    rows,
  );
}

async function infoSet(c: AdminCluster): Promise<string> {
  const all = await c.all('sets');
  const rows: Cell[][] = [];
  c.nodes.forEach((n, i) => {
    for (const s of entries(all[i]!)) {
      rows.push([s.get('ns'), s.get('set'), n.key, bytes(num(s, 'data_used_bytes')), num(s, 'objects'), num(s, 'tombstones'), s.get('stop-writes-count') ?? '0', s.get('disable-eviction'), s.get('index_populating') === undefined ? s.get('sindexes') : s.get('index_populating')]);
    }
  });
  rows.sort((a, b) => `${a[0]}/${a[1]}/${a[2]}`.localeCompare(`${b[0]}/${b[1]}/${b[2]}`));
  return renderTable('Set Information', ['Namespace', 'Set', 'Node', 'Data Used', 'Objects', 'Tombstones', 'Stop Writes Count', 'Disable Eviction', 'Sindexes'], rows);
}

async function sindexes(c: AdminCluster): Promise<Map<string, string>[][]> {
  return (await c.all('sindex-list')).map((a) => entries(a));
}

async function infoSindex(c: AdminCluster): Promise<string> {
  const lists = await sindexes(c);
  const rows: Cell[][] = [];
  for (let i = 0; i < c.nodes.length; i++) {
    for (const s of lists[i]!) {
      const stats = kvList(await c.info(c.nodes[i]!, `sindex-stat:namespace=${s.get('ns')};indexname=${s.get('indexname')}`).catch(() => ''));
      rows.push([s.get('indexname'), s.get('ns'), s.get('set') === 'null' ? undefined : s.get('set'), c.nodes[i]!.key, s.get('bin'), s.get('type'), s.get('indextype'), s.get('state'), num(stats, 'entries'), bytes(num(stats, 'used_bytes'))]);
    }
  }
  rows.sort((a, b) => `${a[0]}/${a[3]}`.localeCompare(`${b[0]}/${b[3]}`));
  return renderTable('Secondary Index Information', ['Index Name', 'Namespace', 'Set', 'Node', 'Bins', 'Bin Type', 'Index Type', 'State', 'Entries', 'Memory Used'], rows);
}

// ---- show ----

async function show(c: AdminCluster, args: string[]): Promise<CommandResult> {
  const [what, sub] = args;
  const cols = c.nodes.map((n) => n.key);
  switch (what) {
    case 'config': {
      const parts: string[] = [];
      if (sub === undefined || sub === 'service') parts.push(renderVertical('Service Configuration', cols, await c.allKv('get-config:context=service')));
      if (sub === undefined || sub === 'network') parts.push(renderVertical('Network Configuration', cols, await c.allKv('get-config:context=network')));
      if (sub === undefined || sub === 'namespace') for (const ns of await namespacesOf(c)) parts.push(renderVertical(`${ns} Namespace Configuration`, cols, await c.allKv(`get-config:context=namespace;id=${ns}`)));
      // asked by name only, as asadm's `show config security` (a node without security answers nothing)
      if (sub === 'security') parts.push(renderVertical('Security Configuration', cols, await c.allKv('get-config:context=security')));
      if (sub !== undefined && !['service', 'network', 'namespace', 'security'].includes(sub)) return fail(`ERROR: show config takes service, network, namespace or security, not '${sub}'`);
      return ok(parts.join('\n'));
    }
    case 'statistics': {
      const parts: string[] = [];
      if (sub === undefined || sub === 'service') parts.push(renderVertical('Service Statistics', cols, await c.allKv('statistics')));
      if (sub === undefined || sub === 'namespace') for (const ns of await namespacesOf(c)) parts.push(renderVertical(`${ns} Namespace Statistics`, cols, await c.allKv(`namespace/${ns}`)));
      if (sub === undefined || sub === 'set') {
        const all = (await c.all('sets')).map((a) => entries(a));
        const names = [...new Set(all.flatMap((l) => l.map((s) => `${s.get('ns')} ${s.get('set')}`)))].sort();
        for (const name of names) parts.push(renderVertical(`${name} Set Statistics`, cols, all.map((l) => l.find((s) => `${s.get('ns')} ${s.get('set')}` === name) ?? new Map())));
      }
      if (sub === undefined || sub === 'sindex') {
        const lists = await sindexes(c);
        const names = [...new Set(lists.flatMap((l) => l.map((s) => `${s.get('ns')} ${s.get('indexname')}`)))].sort();
        for (const name of names) {
          const [ns, ix] = name.split(' ');
          parts.push(renderVertical(`${name} Sindex Statistics`, cols, await c.allKv(`sindex-stat:namespace=${ns};indexname=${ix}`)));
        }
      }
      if (parts.length === 0) return fail(`ERROR: show statistics takes service, namespace, set or sindex, not '${sub}'`);
      return ok(parts.join('\n'));
    }
    case 'latencies':
      return ok(await showLatencies(c));
    case 'distribution':
      return showDistribution(c, sub);
    case 'pmap':
      return ok(await showPmap(c));
    case 'sindex': {
      const lists = await sindexes(c);
      const seen = new Map<string, Cell[]>();
      for (const l of lists) for (const s of l) seen.set(`${s.get('ns')}/${s.get('indexname')}`, [s.get('indexname'), s.get('ns'), s.get('set') === 'null' ? undefined : s.get('set'), s.get('bin'), s.get('type'), s.get('indextype'), s.get('state')]);
      return ok(renderTable('Secondary Indexes', ['Index Name', 'Namespace', 'Set', 'Bin', 'Bin Type', 'Index Type', 'State'], [...seen.values()]));
    }
    case 'udfs': {
      const seen = new Map<string, Cell[]>();
      for (const a of await c.all('udf-list')) for (const u of entries(a, ',')) seen.set(u.get('filename')!, [u.get('filename'), u.get('hash'), u.get('type')]);
      return ok(renderTable('UDF Modules', ['Filename', 'Hash', 'Type'], [...seen.values()].sort((a, b) => String(a[0]).localeCompare(String(b[0])))));
    }
    case 'users':
      // asadm takes any prefix of `statistics` (`show users stat`)
      if (sub !== undefined && sub.length >= 4 && 'statistics'.startsWith(sub)) return showUsersStatistics(c, args[2]);
      return showUsers(c, sub);
    case 'roles':
      return showRoles(c, sub);
    case 'jobs':
      return ok(await showJobs(c));
    case 'stop-writes':
      return ok(await showStopWrites(c));
    case 'racks': {
      const rows: Cell[][] = [];
      const seen = new Set<string>();
      for (const a of await c.all('racks')) {
        if (a instanceof Error) continue;
        for (const nsEntry of a.split(';').filter((e) => e !== '')) {
          const m = kvList(nsEntry, ':');
          const ns = m.get('ns');
          for (const [k, v] of m) {
            if (!k.startsWith('rack_')) continue;
            const key = `${ns}/${k}`;
            if (seen.has(key)) continue;
            seen.add(key);
            rows.push([ns, Number(k.slice(5)), v]);
          }
        }
      }
      return ok(renderTable('Racks Information', ['Namespace', 'Rack ID', 'Nodes'], rows));
    }
    default:
      return fail(`ERROR: unknown show subcommand '${what ?? ''}' (config, statistics, latencies, distribution, pmap, sindex, udfs, users, roles, jobs, stop-writes, racks)`);
  }
}

/**
 * asadm's percentiles of a linear histogram (`units=…:bucket-width=W:buckets=…`): for each 10 %
 * step, the first bucket end at which that share of the records is reached; object sizes end one
 * byte before the bucket boundary. Undefined for an empty or unparsable answer.
 */
export function histogramPercentiles(answer: string, objectSize: boolean): { units: string; percentiles: number[] } | undefined {
  const m = kvList(answer, ':');
  const width = Number(m.get('bucket-width'));
  const buckets = m.get('buckets')?.split(',').map(Number);
  if (!buckets || !Number.isFinite(width) || buckets.some((b) => !Number.isFinite(b))) return undefined;
  const total = buckets.reduce((a, b) => a + b, 0);
  let cum = 0;
  let pct = 0.1;
  let result: number[] = [];
  for (const [i, v] of buckets.entries()) {
    cum += v;
    const portion = total > 0 ? cum / total : 0;
    // the float steps (0.1, 0.2, 0.30000000000000004, …) are asadm's own
    while (portion >= pct) {
      pct += 0.1;
      result.push(i + 1);
    }
    if (pct > 1.0) break;
  }
  if (result.length === 0) result = new Array<number>(10).fill(0);
  return { units: m.get('units') ?? '', percentiles: result.map((r) => (objectSize ? (r > 0 ? r * width - 1 : r) : r * width)) };
}

/** `show distribution [time_to_live|object_size]`: asadm's TTL and object-size percentile sheets. */
async function showDistribution(c: AdminCluster, which: string | undefined): Promise<CommandResult> {
  const kinds: { type: string; title: string; hist: string; objectSize: boolean }[] = [];
  if (which === undefined || which === 'time_to_live') kinds.push({ type: 'ttl', title: 'TTL Distribution', hist: 'ttl', objectSize: false });
  if (which === undefined || which === 'object_size') kinds.push({ type: 'object-size-linear', title: 'Object Size Distribution', hist: 'objsz', objectSize: true });
  if (kinds.length === 0) return fail(`ERROR: show distribution takes time_to_live or object_size, not '${which}'`);
  const parts: string[] = [];
  const pctColumns = Array.from({ length: 10 }, (_, i) => `${(i + 1) * 10}%`);
  for (const kind of kinds) {
    for (const ns of await namespacesOf(c)) {
      const answers = await c.all(`histogram:namespace=${ns};type=${kind.type}`);
      const rows: Cell[][] = [];
      let units = '';
      c.nodes.forEach((n, i) => {
        const a = answers[i]!;
        const h = a instanceof Error ? undefined : histogramPercentiles(a, kind.objectSize);
        if (!h) return;
        units = h.units;
        rows.push([n.key, ...h.percentiles]);
      });
      if (rows.length === 0) continue;
      // asadm names the TTL unit itself and takes the object-size unit from the answer
      const unit = kind.objectSize ? units || 'Record Blocks' : 'Seconds';
      parts.push(
        renderTable(`${ns} - ${kind.title} in ${unit}`, ['Node', ...pctColumns], rows, {
          description: `Percentage of records having ${kind.hist} less than or equal to value measured in ${unit}`,
        }),
      );
    }
  }
  return ok(parts.join('\n'));
}

async function showLatencies(c: AdminCluster): Promise<string> {
  const all = await c.all('latencies:');
  const rows: Cell[][] = [];
  c.nodes.forEach((n, i) => {
    const a = all[i]!;
    if (a instanceof Error) return;
    for (const h of a.split(';')) {
      const colon = h.indexOf(':');
      if (colon < 0) continue;
      const name = h.slice(0, colon);
      const vals = h.slice(colon + 1).split(',');
      const m = /^\{([^}]+)\}-(.+)$/.exec(name);
      const ns = m ? m[1] : undefined;
      const hist = m ? m[2] : name;
      if (vals.length < 2) {
        rows.push([ns, hist, n.key, 0, '0.0', '0.0', '0.0']);
        continue;
      }
      // 17 shares of operations over 2^0..2^16 ms: columns >1ms, >8ms, >64ms are buckets 0, 3, 6
      rows.push([ns, hist, n.key, vals[1], vals[2], vals[5], vals[8]]);
    }
  });
  return renderTable('Latency', ['Namespace', 'Histogram', 'Node', 'ops/sec', '>1ms', '>8ms', '>64ms'], rows);
}

async function showPmap(c: AdminCluster): Promise<string> {
  const [reps, stats, nsStats] = await Promise.all([c.all('replicas'), c.allKv('statistics'), perNamespace(c)]);
  const rows: Cell[][] = [];
  for (const r of nsStats) {
    const i = c.nodes.findIndex((n) => n.key === r.node);
    const a = reps[i]!;
    let primary: number | undefined;
    let secondary: number | undefined;
    if (!(a instanceof Error)) {
      const nsr = parseReplicas(a).get(r.ns);
      if (nsr) {
        const count = (b: Buffer) => b.reduce((acc, byte) => acc + popcount(byte), 0);
        primary = count(nsr.columns[0]!);
        secondary = nsr.columns.slice(1).reduce((acc, b) => acc + count(b), 0);
      }
    }
    rows.push([r.ns, r.node, stats[i]!.get('cluster_key'), primary, secondary, num(r.stats, 'unavailable_partitions'), num(r.stats, 'dead_partitions')]);
  }
  return renderTable('Partition Map Analysis', ['Namespace', 'Node', 'Cluster Key', 'Primary Partitions', 'Secondary Partitions', 'Unavailable Partitions', 'Dead Partitions'], rows);
}

function popcount(b: number): number {
  let n = 0;
  for (let x = b; x > 0; x >>= 1) n += x & 1;
  return n;
}

async function showJobs(c: AdminCluster): Promise<string> {
  const all = await c.all('query-show');
  const rows: Cell[][] = [];
  c.nodes.forEach((n, i) => {
    for (const j of entries(all[i]!)) {
      rows.push([n.key, j.get('ns'), j.get('set'), j.get('trid'), j.get('job-type') ?? j.get('module'), j.get('status'), j.get('job-progress') ?? j.get('progress'), num(j, 'run-time'), num(j, 'recs-read') ?? num(j, 'recs-succeeded')]);
    }
  });
  return renderTable('Query Jobs', ['Node', 'Namespace', 'Set', 'Transaction ID', 'Type', 'Status', 'Progress', 'Time Since Start', 'Records'], rows);
}

async function showStopWrites(c: AdminCluster): Promise<string> {
  const rows: Cell[][] = [];
  for (const r of await perNamespace(c)) {
    const used = num(r.stats, 'data_used_pct');
    const usedLimit = num(r.config, 'storage-engine.stop-writes-used-pct');
    const avail = num(r.stats, 'data_avail_pct');
    const availLimit = num(r.config, 'storage-engine.stop-writes-avail-pct');
    const sw = r.stats.get('stop_writes') === 'true';
    if (used !== undefined) rows.push([r.ns, r.node, sw && usedLimit !== undefined && used >= usedLimit ? 'True' : 'False', 'data_used_pct', `${used} %`, usedLimit === undefined ? undefined : `${usedLimit} %`]);
    if (avail !== undefined) rows.push([r.ns, r.node, sw && availLimit !== undefined && avail <= availLimit ? 'True' : 'False', 'data_avail_pct', `${avail} %`, availLimit === undefined ? undefined : `${availLimit} %`]);
    rows.push([r.ns, r.node, r.stats.get('clock_skew_stop_writes') === 'true' ? 'True' : 'False', 'clock_skew_stop_writes', r.stats.get('clock_skew_stop_writes'), undefined]);
  }
  return renderTable('Stop Writes', ['Namespace', 'Node', 'Stop-Writes', 'Metric', 'Usage', 'Threshold'], rows);
}

// ---- manage ----

/** Runs a command on every node; one line per node with its answer. */
async function onAll(c: AdminCluster, command: string, what: string): Promise<CommandResult> {
  const all = await c.all(command);
  let failed = false;
  const lines = c.nodes.map((n, i) => {
    const a = all[i]!;
    const bad = a instanceof Error || /^ERROR/i.test(a) || /^fail/i.test(a);
    failed ||= bad;
    return `${n.key}: ${a instanceof Error ? `error: ${a.message}` : a === 'ok' ? `${what}: ok` : a}`;
  });
  return { out: `${lines.join('\n')}\n`, failed };
}

async function manage(c: AdminCluster, args: string[]): Promise<CommandResult> {
  const [what, ...rest] = args;
  const opt = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  switch (what) {
    case 'truncate': {
      const ns = opt('ns');
      if (!ns) return fail('Usage: manage truncate ns <ns> [set <set>]');
      const set = opt('set');
      // a truncate is cluster-wide through SMD: one node is asked, as asadm does
      const cmd = set ? `truncate:namespace=${ns};set=${set}` : `truncate-namespace:namespace=${ns}`;
      const a = await c.info(c.nodes[0]!, cmd).catch((e: Error) => `ERROR: ${e.message}`);
      return a === 'ok' ? ok(`Successfully started truncation for ${set ? `set ${set} of ` : ''}namespace ${ns}\n`) : fail(`Failed to truncate: ${a}`);
    }
    case 'sindex': {
      const [action, ...r] = rest;
      if (action === 'create') {
        const [type, name] = r;
        const ns = opt('ns');
        const bin = opt('bin');
        const set = opt('set');
        if (!type || !name || !ns || !bin || !['numeric', 'string', 'geo2dsphere', 'blob'].includes(type)) return fail('Usage: manage sindex create <numeric|string|geo2dsphere|blob> <name> ns <ns> [set <set>] bin <bin>');
        const a = await c.info(c.nodes[0]!, `sindex-create:ns=${ns};${set ? `set=${set};` : ''}indexname=${name};indexdata=${bin},${type}`).catch((e: Error) => `ERROR: ${e.message}`);
        return a === 'ok' ? ok(`Use 'show sindex' to confirm ${name} was created successfully.\n`) : fail(`Failed to create index ${name}: ${a}`);
      }
      if (action === 'delete') {
        const name = r[0];
        const ns = opt('ns');
        if (!name || !ns) return fail('Usage: manage sindex delete <name> ns <ns>');
        const a = await c.info(c.nodes[0]!, `sindex-delete:ns=${ns};indexname=${name}`).catch((e: Error) => `ERROR: ${e.message}`);
        return a === 'ok' ? ok(`Successfully deleted sindex ${name}.\n`) : fail(`Failed to delete index ${name}: ${a}`);
      }
      return fail('Usage: manage sindex create|delete ...');
    }
    case 'udfs': {
      const [action, module] = rest;
      if (action === 'add' && module) {
        const path = opt('path') ?? module;
        let content: Buffer;
        try {
          content = readFileSync(path);
        } catch (e) {
          return fail(`Failed to add UDF ${module}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        const b64 = content.toString('base64');
        const a = await c.info(c.nodes[0]!, `udf-put:filename=${basename(module)};content=${b64};content-len=${b64.length};udf-type=LUA;`).catch((e: Error) => `ERROR: ${e.message}`);
        return a === '' || a === 'ok' ? ok(`Successfully added UDF ${basename(module)}.\n`) : fail(`Failed to add UDF ${module}: ${a}`);
      }
      if (action === 'remove' && module) {
        const a = await c.info(c.nodes[0]!, `udf-remove:filename=${module};`).catch((e: Error) => `ERROR: ${e.message}`);
        return a === 'ok' ? ok(`Successfully removed UDF ${module}.\n`) : fail(`Failed to remove UDF ${module}: ${a}`);
      }
      return fail('Usage: manage udfs add <module> path <file> | manage udfs remove <module>');
    }
    case 'config': {
      const [context, ...r] = rest;
      const param = opt('param');
      const value = opt('to');
      if (!context || !param || value === undefined) return fail('Usage: manage config service|network|security param <name> to <value> | manage config security ldap|log param <name> to <value> | manage config namespace <ns> param <name> to <value>');
      let cmd: string;
      if (context === 'namespace') {
        const ns = r[0];
        if (!ns || ns === 'param') return fail('Usage: manage config namespace <ns> param <name> to <value>');
        cmd = `set-config:context=namespace;id=${ns};${param}=${value}`;
      } else if (context === 'security' && r[0] !== undefined && r[0] !== 'param') {
        // asadm's security subcontext: `ldap param polling-period to 10` sets ldap.polling-period
        cmd = `set-config:context=security;${r[0]}.${param}=${value}`;
      } else cmd = `set-config:context=${context};${param}=${value}`;
      return onAll(c, cmd, `${param} set to ${value}`);
    }
    case 'jobs': {
      const trid = opt('trid');
      if (rest[0] !== 'kill' || !trid) return fail('Usage: manage jobs kill trid <trid>');
      return onAll(c, `query-abort:trid=${trid}`, `job ${trid} aborted`);
    }
    case 'recluster': {
      // as asadm: to the principal only (the others would answer ignored-by-non-principal)
      const a = await c.info(await c.principal(), 'recluster:').catch((e: Error) => `ERROR: ${e.message}`);
      return a.toLowerCase() === 'ok' ? ok('Successfully started recluster\n') : fail(`ERROR: Failed to recluster : ${a}`);
    }
    case 'quiesce': {
      // `manage quiesce with <node> [<node> …] [undo]`: node as host:port or node id
      const wi = rest.indexOf('with');
      const undo = rest.includes('undo');
      const names = wi < 0 ? [] : rest.slice(wi + 1).filter((w) => w !== 'undo');
      if (names.length === 0) return fail('Usage: manage quiesce with <node> [<node> ...] [undo]');
      const targets = c.nodes.filter((n) => names.includes(n.key) || names.includes(n.nodeId));
      if (targets.length !== names.length) return fail(`ERROR: no such node: ${names.filter((w) => !targets.some((n) => n.key === w || n.nodeId === w)).join(', ')}`);
      const answers = await Promise.all(targets.map((n) => c.info(n, undo ? 'quiesce-undo:' : 'quiesce:').catch((e: Error) => `ERROR: ${e.message}`)));
      const table = renderTable(undo ? 'Undo Quiesce for Nodes' : 'Quiesce Nodes', ['Node', 'Response'], targets.map((n, i) => [n.key, answers[i]]));
      const failed = answers.some((a) => a !== 'ok');
      return { out: `${table}\nRun "manage recluster" for your changes to take effect.\n`, failed };
    }
    default:
      return fail(`ERROR: unknown manage subcommand '${what ?? ''}' (truncate, sindex, udfs, config, jobs, recluster, quiesce)`);
  }
}

// ---- health ----

/** What asadm logs (on stderr) each time its health command runs. */
export const HEALTH_DEPRECATED = "WARNING: The 'health' command is deprecated and is no longer actively maintained. It will be removed in a future release.";

/** `health [-v]`: asadm's health report (health.ts); like asadm it does not fail on failed rules. */
async function health(c: AdminCluster, args: string[]): Promise<CommandResult> {
  const unknown = args.filter((a) => a !== '-v');
  if (unknown.length > 0) return fail(`ERROR: health takes -v, not '${unknown.join(' ')}' (asadm's query files, snapshots and ssh options are not supported)`);
  const results = evaluateHealth(await gatherHealth(c));
  return { out: renderHealth(results, args.includes('-v')), failed: false, err: `${HEALTH_DEPRECATED}\n` };
}
