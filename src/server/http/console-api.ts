/**
 * The web console's JSON API under `/api/`, answered from the node's own info commands (in
 * process, as an info client would see them): GET `/api/overview`, `/api/stats` (the counters the
 * page turns into throughput and latency charts), `/api/config?context=&id=`, `/api/records`
 * (record browser), `/api/session`; POST `/api/config` (`{context, id?, name, value}` →
 * set-config), `/api/jobs/abort` (`{trid}`), `/api/query` (the query box, console-query.ts).
 * With security on: POST `/api/login` (`{user, password}`) and `/api/logout`; every other call
 * needs the session cookie (401 without), runs as that user (403 with the node's error when a
 * privilege is missing: set-config and job aborts need sys-admin, records and queries read on
 * the namespace/set), and GET `/api/users`, `/api/roles` list what the user may see (everyone
 * for a user-admin, otherwise the user itself and its roles).
 * Answers are JSON; a refused change answers 400 with the node's error text.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseInfoCommand } from '../info-protocol.js';
import { executeInfoCommand } from '../info-commands.js';
import type { StratoNode } from '../node.js';
import type { DataHandlers } from '../dispatch.js';
import { decodeRecord } from '../../storage/record-codec.js';
import { particleToValue } from '../../protocol/particle.js';
import { N_PARTITIONS } from '../../util/digest.js';
import { Perm, permits, PREDEFINED_ROLES } from '../../security/store.js';
import { PRIV_NAMES, FIRST_SCOPED_PRIV } from '../../security/codes.js';
import type { ConnectionAuth } from '../../security/admin.js';
import type { ConsoleSessions } from './console-auth.js';
import { checkQuery, runConsoleQuery, type ConsoleQuery } from './console-query.js';

/** What the API works with. */
export interface ConsoleContext {
  node: StratoNode;
  /** the node's request handlers (the query box runs through them); undefined: no query box */
  handlers: DataHandlers | undefined;
  /** console logins; undefined when the node has no security stanza */
  sessions: ConsoleSessions | undefined;
}

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

/** Reads `{…}` fields as strings. */
function strOf(body: Record<string, unknown>, k: string): string | undefined {
  return typeof body[k] === 'string' || typeof body[k] === 'number' ? String(body[k]) : undefined;
}

/** The HTTP client's `address:port` (what audit lines name as the client). */
function remoteOf(req: IncomingMessage): string {
  return `${(req.socket.remoteAddress ?? '').replace(/^::ffff:/, '')}:${req.socket.remotePort ?? 0}`;
}

/** Runs an info command as the console user: the same privilege check as on a client connection. */
function infoAs(ctx: ConsoleContext, auth: ConnectionAuth | undefined, remote: string, command: string): string {
  if (ctx.sessions) {
    const cmd = parseInfoCommand(command);
    const refused = ctx.sessions.security.checkInfo({ auth, remote }, cmd.name, cmd.params, cmd.text);
    if (refused) return refused;
  }
  return info(ctx.node, command);
}

/** 403 for a role violation or a missing login, 400 for any other refusal. */
const refusalStatus = (answer: string) => (/^ERROR:8[01]\b/.test(answer) ? 403 : 400);

function privilegeText(p: { code: number; ns: string; set: string }): string {
  const name = PRIV_NAMES.get(p.code) ?? String(p.code);
  return p.code >= FIRST_SCOPED_PRIV && p.ns ? [name, p.ns, p.set].filter((x) => x !== '').join('.') : name;
}

/** Users and roles the console user may see. */
function usersAndRoles(sessions: ConsoleSessions, auth: ConnectionAuth, what: 'users' | 'roles'): unknown {
  const store = sessions.security.store;
  const eff = store.effectiveOf(auth.user);
  const admin = eff !== undefined && permits(eff, Perm.USER_ADMIN, '', '');
  if (what === 'users') {
    const users = [...store.users.values()].filter((u) => admin || u.name === auth.user).sort((a, b) => a.name.localeCompare(b.name));
    return { users: users.map((u) => ({ user: u.name, roles: u.roles })) };
  }
  const mine = new Set(store.users.get(auth.user)?.roles ?? []);
  const roles = [...PREDEFINED_ROLES.values(), ...store.roles.values()].filter((r) => admin || mine.has(r.name)).sort((a, b) => a.name.localeCompare(b.name));
  return { roles: roles.map((r) => ({ role: r.name, privileges: r.privileges.map(privilegeText), allowlist: r.whitelist, readQuota: r.readQuota, writeQuota: r.writeQuota })) };
}

/** Answers one `/api/...` request. */
export async function handleApi(ctx: ConsoleContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const node = ctx.node;
  const path = url.pathname;
  const sessions = ctx.sessions;
  if (req.method === 'GET' && path === '/api/session') {
    const auth = sessions?.authOf(req);
    return send(res, 200, { security: sessions !== undefined, user: auth?.user });
  }
  if (req.method === 'POST' && path === '/api/login') {
    if (!sessions) return send(res, 400, { error: 'security is not enabled on this node: no login needed' });
    let body: Record<string, unknown>;
    try {
      body = await readJson(req);
    } catch (e) {
      return send(res, 400, { error: (e as Error).message });
    }
    const user = strOf(body, 'user');
    const password = strOf(body, 'password');
    if (!user || password === undefined) return send(res, 400, { error: 'user and password are required' });
    const r = await sessions.login(user, password, (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''), remoteOf(req));
    if ('code' in r) return send(res, 401, { error: `login refused (result code ${r.code})`, code: r.code });
    res.setHeader('set-cookie', sessions.cookie(r.token));
    return send(res, 200, { user });
  }
  if (req.method === 'POST' && path === '/api/logout') {
    sessions?.logout(req);
    res.setHeader('set-cookie', 'strato_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0');
    return send(res, 200, { ok: true });
  }
  const auth = sessions?.authOf(req);
  if (sessions && !auth) return send(res, 401, { error: 'login required' });
  if (req.method === 'GET' && path === '/api/overview') return send(res, 200, overview(node));
  if (req.method === 'GET' && path === '/api/stats') return send(res, 200, stats(node));
  if (req.method === 'GET' && (path === '/api/users' || path === '/api/roles')) {
    if (!sessions || !auth) return send(res, 404, { error: 'security is not enabled on this node: no users or roles' });
    return send(res, 200, usersAndRoles(sessions, auth, path === '/api/users' ? 'users' : 'roles'));
  }
  if (req.method === 'GET' && path === '/api/records') {
    const max = Math.min(MAX_BROWSE_RECORDS, Math.max(1, Number(url.searchParams.get('max') ?? 20) || 20));
    const nsName = url.searchParams.get('ns') ?? '';
    const setName = url.searchParams.get('set') ?? '';
    if (sessions && auth) {
      const eff = sessions.security.store.effectiveOf(auth.user);
      if (!eff || !permits(eff, Perm.READ, nsName, setName)) {
        sessions.security.reportRefusal({ auth, remote: remoteOf(req) }, 'read records', 81, `{${nsName}|${setName}}`);
        return send(res, 403, { error: 'ERROR:81:role violation (reading records needs read on the namespace or set)' });
      }
    }
    const b = browse(node, nsName, setName, max);
    return send(res, typeof b === 'object' && b !== null && 'error' in b ? 400 : 200, b);
  }
  if (req.method === 'GET' && path === '/api/config') {
    const c = config(node, url.searchParams.get('context') ?? 'service', url.searchParams.get('id'));
    return send(res, 'error' in c ? 400 : 200, c);
  }
  if (req.method === 'POST' && (path === '/api/config' || path === '/api/jobs/abort' || path === '/api/query')) {
    let body: Record<string, unknown>;
    try {
      body = await readJson(req);
    } catch (e) {
      return send(res, 400, { error: (e as Error).message });
    }
    const str = (k: string) => strOf(body, k);
    if (path === '/api/query') {
      if (!ctx.handlers) return send(res, 404, { error: 'no query box on this endpoint' });
      const mode = str('mode') ?? 'scan';
      if (!['scan', 'equal', 'range', 'filter'].includes(mode)) return send(res, 400, { error: `unknown mode '${mode}'` });
      const q: ConsoleQuery = {
        ns: str('ns') ?? '',
        set: str('set') ?? '',
        mode: mode as ConsoleQuery['mode'],
        bin: str('bin'),
        value: str('value'),
        end: str('end'),
        op: str('op') as ConsoleQuery['op'],
        max: Number(str('max') ?? 20) || 20,
      };
      const bad = checkQuery(q);
      if (bad) return send(res, 400, { error: bad });
      const guard = sessions && auth ? (msg: Parameters<typeof sessions.security.checkData>[1], kind: Parameters<typeof sessions.security.checkData>[2], scan: Parameters<typeof sessions.security.checkData>[3]) => sessions.security.checkData({ auth, remote: remoteOf(req) }, msg, kind, scan) : undefined;
      // the other members are asked as the same user: the console session's token AUTHENTICATEs there
      const a = await runConsoleQuery(node, ctx.handlers, guard, q, auth ? { user: auth.user, token: auth.token } : undefined);
      if (a.resultCode !== 0 && a.records.length === 0) return send(res, a.resultCode === 81 || a.resultCode === 80 ? 403 : 400, { error: `the node answered result code ${a.resultCode}`, resultCode: a.resultCode });
      return send(res, 200, a);
    }
    if (path === '/api/jobs/abort') {
      const trid = str('trid');
      if (!trid || !/^\d+$/.test(trid)) return send(res, 400, { error: 'trid must be a number' });
      const a = infoAs(ctx, auth, remoteOf(req), `query-abort:trid=${trid}`);
      return send(res, a === 'ok' ? 200 : refusalStatus(a), a === 'ok' ? { ok: true } : { error: a });
    }
    const context = str('context');
    const name = str('name');
    const value = str('value');
    const id = str('id');
    if (!context || !name || value === undefined || ![context, name, value, ...(id ? [id] : [])].every((s) => SAFE.test(s))) {
      return send(res, 400, { error: 'context, name and value are required, without ; : = or spaces' });
    }
    const a = infoAs(ctx, auth, remoteOf(req), `set-config:context=${context}${id ? `;id=${id}` : ''};${name}=${value}`);
    return send(res, a === 'ok' ? 200 : refusalStatus(a), a === 'ok' ? { ok: true } : { error: a });
  }
  send(res, 404, { error: `no such API: ${req.method} ${path}` });
}
