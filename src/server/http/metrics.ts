/**
 * `/metrics`: the node's statistics in Prometheus text, with the metric names and labels of
 * Aerospike's Prometheus exporter, so its Grafana dashboards and alert rules work unchanged.
 *
 * Values come from the node's own info answers (statistics, namespace/<ns>, sets, sindex-stat,
 * latencies:), read in-process and parsed as the exporter parses them: only numbers and booleans
 * become samples; names are lower-cased with every character outside [a-z0-9_] turned into `_`.
 */
// prom-client is loaded at the first scrape, not at start: most nodes never serve /metrics, and
// every process start paid its ~40 ms of module loading
import type { Gauge, Registry } from 'prom-client';
import { parseInfoCommand } from '../info-protocol.js';
import { executeInfoCommand } from '../info-commands.js';
import type { StratoNode } from '../node.js';

/** What a scrape needs from the running node. */
export interface MetricsSource {
  node: StratoNode;
  /** `<address>:<port>` of the service port: the exporter's `service` label */
  service: string;
}

function info(node: StratoNode, command: string): string {
  return executeInfoCommand(parseInfoCommand(command), { node, connection: { userAgent: undefined } });
}

/** `a=1;b=true;c=x` (or `:`-separated) → numeric samples; booleans count as 1/0, other values are skipped. */
export function numericPairs(text: string, separator = ';'): Map<string, number> {
  const out = new Map<string, number>();
  if (text.startsWith('ERROR')) return out;
  for (const item of text.split(separator)) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const key = item.slice(0, eq);
    const raw = item.slice(eq + 1);
    if (raw === 'true') out.set(key, 1);
    else if (raw === 'false') out.set(key, 0);
    else if (raw !== '' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw)) out.set(key, Number(raw));
  }
  return out;
}

/** The exporter's metric-name rule for a statistic name. */
export function metricName(prefix: string, stat: string): string {
  return `${prefix}${stat.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
}

/** One latency histogram of a `latencies:` answer, as the exporter turns it into buckets. */
export interface LatencyHistogram {
  ns: string;
  /** histogram name without the `{ns}-` prefix: read, write, udf, batch-index, ... */
  operation: string;
  /** `ms` or `us` */
  unit: string;
  /** [le label, value]: `+Inf` first (= ops/sec), then 1, 2, 4, ... */
  buckets: [string, number][];
}

/**
 * Parses Aerospike 8's `latencies:` layout: `{ns}-read:msec,<ops/sec>,<% >1>,<% >2>,...;` and
 * `batch-index:...`; an empty histogram is `name:`. Each bucket `le=2^(i-1)` holds the ops/sec at
 * or under that bound (ops/sec × (1 − pct/100)), `+Inf` all of them — the exporter's arithmetic.
 */
export function parseLatencies(text: string): LatencyHistogram[] {
  const out: LatencyHistogram[] = [];
  if (text.startsWith('ERROR')) return out;
  for (const item of text.split(';')) {
    const colon = item.indexOf(':');
    if (colon <= 0) continue;
    const name = item.slice(0, colon);
    const body = item.slice(colon + 1);
    if (body === '') continue;
    const m = /^\{([^}]*)\}-(.+)$/.exec(name);
    const ns = m ? m[1]! : '';
    const operation = m ? m[2]! : name;
    const fields = body.split(',');
    const unit = fields[0]!.replace(/ec$/, '');
    const total = Number(fields[1]);
    if (!Number.isFinite(total)) continue;
    const buckets: [string, number][] = [['+Inf', total]];
    for (let i = 2; i < fields.length; i++) {
      const pct = Number(fields[i]);
      if (!Number.isFinite(pct)) break;
      buckets.push([String(1 << (i - 2)), total - (pct * total) / 100]);
    }
    out.push({ ns, operation, unit, buckets });
  }
  return out;
}

/** Collects gauges by name, each created once per scrape with its label names. */
class Families {
  readonly registry: Registry;
  private readonly gauges = new Map<string, Gauge>();

  constructor(private readonly prom: typeof import('prom-client')) {
    this.registry = new prom.Registry();
  }

  set(name: string, help: string, labels: Record<string, string>, value: number): void {
    let g = this.gauges.get(name);
    if (!g) {
      g = new this.prom.Gauge({ name, help, labelNames: Object.keys(labels), registers: [this.registry] });
      this.gauges.set(name, g);
    }
    g.set(labels, value);
  }
}

/** Builds the Prometheus text of one scrape. */
export async function renderMetrics(src: MetricsSource): Promise<string> {
  const { node } = src;
  const f = new Families(await import('prom-client'));
  const clusterName = info(node, 'cluster-name');
  const base = { cluster_name: clusterName, service: src.service };
  f.set('aerospike_node_up', 'node is up and answering', { ...base, build: info(node, 'build') }, 1);
  for (const [k, v] of numericPairs(info(node, 'statistics'))) {
    f.set(metricName('aerospike_node_stats_', k), `node statistic ${k}`, base, v);
  }
  const namespaces = info(node, 'namespaces').split(';').filter((n) => n !== '');
  for (const ns of namespaces) {
    for (const [k, v] of numericPairs(info(node, `namespace/${ns}`))) {
      f.set(metricName('aerospike_namespace_', k), `namespace statistic ${k}`, { ...base, ns }, v);
    }
  }
  for (const entry of info(node, 'sets').split(';')) {
    if (entry === '') continue;
    const pairs = new Map(entry.split(':').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
    const ns = pairs.get('ns') ?? pairs.get('namespace');
    const set = pairs.get('set') ?? pairs.get('set_name');
    if (ns === undefined || set === undefined) continue;
    for (const [k, v] of numericPairs(entry, ':')) {
      f.set(metricName('aerospike_sets_', k), `set statistic ${k}`, { ...base, ns, set }, v);
    }
  }
  for (const entry of info(node, 'sindex-list').split(';')) {
    const m = /(?:^|:)ns=([^:]*).*:indexname=([^:]*)/.exec(entry);
    if (!m) continue;
    const [, ns, sindex] = m as unknown as [string, string, string];
    for (const [k, v] of numericPairs(info(node, `sindex-stat:namespace=${ns};indexname=${sindex}`))) {
      f.set(metricName('aerospike_sindex_', k), `secondary index statistic ${k}`, { ...base, ns, sindex }, v);
    }
  }
  for (const h of parseLatencies(info(node, 'latencies:'))) {
    const name = metricName('aerospike_latencies_', `${h.operation}_${h.unit}`);
    for (const [le, v] of h.buckets) f.set(`${name}_bucket`, `${h.operation} latency (ops/sec at or under le ${h.unit})`, { ...base, ns: h.ns, le }, v);
    f.set(`${name}_count`, `${h.operation} ops/sec`, { ...base, ns: h.ns }, h.buckets[0]![1]);
  }
  return f.registry.metrics();
}

/** prom-client's `Registry.PROMETHEUS_CONTENT_TYPE`: the text exposition format 0.0.4 */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
