/**
 * The web console's JSON API under `/api/`, answered from the node's own info commands (in
 * process, as an info client would see them): GET `/api/overview`, `/api/stats` (the counters the
 * page turns into throughput and latency charts), `/api/config?context=&id=`; POST
 * `/api/config` (`{context, id?, name, value}` → set-config) and `/api/jobs/abort` (`{trid}`).
 * Answers are JSON; a refused change answers 400 with the node's error text.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseInfoCommand } from '../info-protocol.js';
import { executeInfoCommand } from '../info-commands.js';
import type { StratoNode } from '../node.js';
import { decodeRecord } from '../../storage/record-codec.js';
import { particleToValue } from '../../protocol/particle.js';
import { N_PARTITIONS } from '../../util/digest.js';

/** Most records one record-browser page returns (`max` is clamped to it). */
export const MAX_BROWSE_RECORDS = 100;

/** A stored value as JSON: integers beyond 2^53 as strings, bytes as base64. */
function jsonValue(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return { base64: Buffer.from(v).toString('base64') };
  if (v instanceof Map) return Object.fromEntries([...v].map(([a, b]) => [String(a), b]));
  return v;
}

/**
 * The first `max` live records of a set (or the namespace), in partition then index order: digest,
 * user key when stored, generation, void-time and bins, read from the node's own index and storage.
 */
export function browse(node: StratoNode, nsName: string, setName: string, max: number): unknown {
  const ns = node.namespaces.get(nsName);
  if (!ns) return { error: `no namespace '${nsName}'` };
  const setId = setName === '' ? 0 : ns.sets.idOf(setName, false);
  if (setId < 0) return { records: [] };
  const now = ns.nowCl();
  const records: unknown[] = [];
  for (let pid = 0; pid < N_PARTITIONS && records.length < max; pid++) {
    for (const id of ns.index.partitionIds(pid)) {
      if (records.length >= max) break;
      if (setId !== 0 && ns.index.setId(id) !== setId) continue;
      if (ns.isTombstone(id) || ns.isExpired(id, now) || ns.isTruncated(id)) continue;
      const rec = decodeRecord(Buffer.from(ns.storage.get(ns.index, id)));
      const bins: Record<string, unknown> = {};
      for (const b of rec.bins) bins[b.name] = particleToValue(b.type, b.value);
      records.push({
        digest: Buffer.from(ns.index.digestView(id)).toString('hex'),
        set: ns.sets.nameOf(ns.index.setId(id)),
        key: rec.key ? particleToValue(rec.key.type, rec.key.value) : undefined,
        generation: ns.index.generation(id),
        voidTime: ns.index.voidTime(id),
        bins,
      });
    }
  }
  return { records };
}

/** Largest POST body the API reads (a set-config or an abort is a few dozen bytes). */
export const MAX_API_BODY_BYTES = 16 * 1024;

function info(node: StratoNode, command: string): string {
  return executeInfoCommand(parseInfoCommand(command), { node, connection: { userAgent: undefined } });
}

function kv(text: string, sep = ';'): Record<string, string> {
  const out: Record<string, string> = {};
  if (text.startsWith('ERROR')) return out;
  for (const item of text.split(sep)) {
    const eq = item.indexOf('=');
    if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

function entries(text: string, sep = ':'): Record<string, string>[] {
  if (text.trim() === '' || text.startsWith('ERROR')) return [];
  return text
    .split(';')
    .filter((e) => e.trim() !== '')
    .map((e) => kv(e, sep));
}

function namespaces(node: StratoNode): string[] {
  return info(node, 'namespaces')
    .split(';')
    .filter((s) => s !== '');
}

/** Cluster, node, namespaces, sets, indexes, UDF modules and jobs in one answer. */
export function overview(node: StratoNode): unknown {
  const stats = kv(info(node, 'statistics'));
  const peers = info(node, 'peers-clear-std');
  return {
    node: info(node, 'node'),
    build: info(node, 'build'),
    edition: info(node, 'edition'),
    clusterName: info(node, 'cluster-name'),
    clusterKey: stats['cluster_key'],
    clusterSize: Number(stats['cluster_size']),
    principal: stats['cluster_principal'],
    integrity: stats['cluster_integrity'] === 'true',
    migrationsRemaining: Number(stats['migrate_partitions_remaining'] ?? 0),
    uptime: Number(stats['uptime']),
    clientConnections: Number(stats['client_connections']),
    service: info(node, 'service'),
    peers,
    namespaces: namespaces(node).map((ns) => {
      const s = kv(info(node, `namespace/${ns}`));
      return {
        name: ns,
        objects: Number(s['objects'] ?? 0),
        masterObjects: Number(s['master_objects'] ?? 0),
        replicationFactor: Number(s['effective_replication_factor'] ?? s['replication-factor'] ?? 0),
        dataUsedBytes: Number(s['data_used_bytes'] ?? 0),
        dataUsedPct: Number(s['data_used_pct'] ?? 0),
        dataAvailPct: Number(s['data_avail_pct'] ?? 0),
        indexUsedBytes: Number(s['index_used_bytes'] ?? 0),
        stopWrites: s['stop_writes'] === 'true',
        evicted: Number(s['evicted_objects'] ?? 0),
        expired: Number(s['expired_objects'] ?? 0),
        unavailablePartitions: Number(s['unavailable_partitions'] ?? 0),
        deadPartitions: Number(s['dead_partitions'] ?? 0),
        migrateTxRemaining: Number(s['migrate_tx_partitions_remaining'] ?? 0),
        migrateRxRemaining: Number(s['migrate_rx_partitions_remaining'] ?? 0),
      };
    }),
    sets: entries(info(node, 'sets')),
    sindexes: entries(info(node, 'sindex-list')),
    udfs: entries(info(node, 'udf-list'), ','),
    jobs: entries(info(node, 'query-show')),
  };
}

/** The counters behind the charts: per namespace success counts and latency histograms. */
export function stats(node: StratoNode): unknown {
  const perNs: Record<string, Record<string, number>> = {};
  for (const ns of namespaces(node)) {
    const s = kv(info(node, `namespace/${ns}`));
    perNs[ns] = {
      reads: Number(s['client_read_success'] ?? 0) + Number(s['client_read_not_found'] ?? 0),
      writes: Number(s['client_write_success'] ?? 0),
      errors: Number(s['client_read_error'] ?? 0) + Number(s['client_write_error'] ?? 0),
    };
  }
  // latencies: `{ns}-read:msec,<ops/sec>,<% over 1 ms>,...`; empty histograms are `name:`
  const latency: Record<string, { opsPerSec: number; over1ms: number; over8ms: number }> = {};
  for (const h of info(node, 'latencies:').split(';')) {
    const colon = h.indexOf(':');
    if (colon <= 0) continue;
    const v = h.slice(colon + 1).split(',');
    latency[h.slice(0, colon)] = v.length > 8 ? { opsPerSec: Number(v[1]), over1ms: Number(v[2]), over8ms: Number(v[5]) } : { opsPerSec: 0, over1ms: 0, over8ms: 0 };
  }
  return { time: Date.now(), namespaces: perNs, latency };
}

function config(node: StratoNode, context: string, id: string | null): Record<string, string> | { error: string } {
  if (!/^[a-z]+$/.test(context)) return { error: `invalid context '${context}'` };
  const answer = info(node, `get-config:context=${context}${id ? `;id=${id}` : ''}`);
  return answer.startsWith('ERROR') ? { error: answer } : kv(answer);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body, jsonValue));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_API_BODY_BYTES) throw new Error(`body over ${MAX_API_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  if (typeof parsed !== 'object' || parsed === null) throw new Error('body is not a JSON object');
  return parsed as Record<string, unknown>;
}

/** A name or value that set-config may carry: no separators of the info protocol. */
const SAFE = /^[A-Za-z0-9_.\-{}]+$/;

/** Answers one `/api/...` request. */
export async function handleApi(node: StratoNode, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname;
  if (req.method === 'GET' && path === '/api/overview') return send(res, 200, overview(node));
  if (req.method === 'GET' && path === '/api/stats') return send(res, 200, stats(node));
  if (req.method === 'GET' && path === '/api/records') {
    const max = Math.min(MAX_BROWSE_RECORDS, Math.max(1, Number(url.searchParams.get('max') ?? 20) || 20));
    const b = browse(node, url.searchParams.get('ns') ?? '', url.searchParams.get('set') ?? '', max);
    return send(res, typeof b === 'object' && b !== null && 'error' in b ? 400 : 200, b);
  }
  if (req.method === 'GET' && path === '/api/config') {
    const c = config(node, url.searchParams.get('context') ?? 'service', url.searchParams.get('id'));
    return send(res, 'error' in c ? 400 : 200, c);
  }
  if (req.method === 'POST' && (path === '/api/config' || path === '/api/jobs/abort')) {
    let body: Record<string, unknown>;
    try {
      body = await readJson(req);
    } catch (e) {
      return send(res, 400, { error: (e as Error).message });
    }
    const str = (k: string) => (typeof body[k] === 'string' || typeof body[k] === 'number' ? String(body[k]) : undefined);
    if (path === '/api/jobs/abort') {
      const trid = str('trid');
      if (!trid || !/^\d+$/.test(trid)) return send(res, 400, { error: 'trid must be a number' });
      const a = info(node, `query-abort:trid=${trid}`);
      return send(res, a === 'ok' ? 200 : 400, a === 'ok' ? { ok: true } : { error: a });
    }
    const context = str('context');
    const name = str('name');
    const value = str('value');
    const id = str('id');
    if (!context || !name || value === undefined || ![context, name, value, ...(id ? [id] : [])].every((s) => SAFE.test(s))) {
      return send(res, 400, { error: 'context, name and value are required, without ; : = or spaces' });
    }
    const a = info(node, `set-config:context=${context}${id ? `;id=${id}` : ''};${name}=${value}`);
    return send(res, a === 'ok' ? 200 : 400, a === 'ok' ? { ok: true } : { error: a });
  }
  send(res, 404, { error: `no such API: ${req.method} ${path}` });
}
