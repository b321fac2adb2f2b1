/**
 * `/metrics` on a node with security on: HTTP basic auth (RFC 7617), as Aerospike's Prometheus
 * exporter protects its endpoint (`basic_auth_username` / `basic_auth_password` in ape.toml), but
 * checked against the node's own users instead of a separate name and password: the scraper logs
 * in as a Strato user (a LOGIN through the admin handler: lockout after failed attempts, role
 * allowlists and the audit trail apply) that must hold `read` or `sys-admin` globally.
 *
 * Why those: the answer holds every namespace's and set's statistics (object counts, sizes, set
 * and index names), so the scraper must be allowed to look at every namespace — global `read`
 * (also in read-write and read-write-udf), the grant a monitoring user usually gets — or be the
 * operator (`sys-admin`, which sees and changes every namespace's configuration). A user with
 * only a namespace-scoped privilege, or only user-admin / data-admin / udf-admin / sindex-admin,
 * is refused with 403.
 *
 * With `security { ldap { } }` an LDAP user is checked against the directory, as the clients'
 * external auth mode logs in.
 *
 * A good login is remembered for METRICS_AUTH_CACHE_MS (keyed by a hash of the client address and
 * the Authorization header), so a scrape every few seconds does not pay a bcrypt (or a directory
 * bind) each time; the stored credential, the allowlist and the privilege are checked again on
 * every scrape, so a password change, a dropped user or a revoked role takes effect at once (an
 * LDAP user's password changed in the directory: within METRICS_AUTH_CACHE_MS).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NodeSecurity } from '../../security/access.js';
import { allowedFrom, Perm } from '../../security/store.js';
import { SecResult } from '../../security/codes.js';
import { checkPassword } from './console-auth.js';

/** The realm the 401 answer names (`WWW-Authenticate: Basic realm="strato metrics"`). */
export const METRICS_REALM = 'strato metrics';
/** How long (ms) a checked scraper login is remembered. */
export const METRICS_AUTH_CACHE_MS = 60_000;
/** Most remembered scraper logins (oldest forgotten first). */
export const METRICS_AUTH_CACHE_MAX = 64;
/** Longest Authorization header read (a user name and password are far shorter). */
export const METRICS_AUTH_HEADER_MAX_BYTES = 1024;
/** Permission bits of which the scraping user needs one, globally. */
export const METRICS_PERMS = Perm.READ | Perm.SYS_ADMIN;

export type MetricsAuthResult = { ok: true; user: string } | { ok: false; status: 401 | 403; reason: string };

interface Remembered {
  user: string;
  /** the stored credential when the login was checked: a password change forgets it */
  credential: string;
  untilMs: number;
}

/** `user:password` of a Basic Authorization header; undefined when there is none or it is malformed. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  if (!header || header.length > METRICS_AUTH_HEADER_MAX_BYTES) return undefined;
  const m = /^basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

export class MetricsAuth {
  private readonly remembered = new Map<string, Remembered>();

  constructor(
    private readonly security: NodeSecurity,
    /** the node's clock (ms) */
    private readonly nowMs: () => number,
  ) {}

  /** Whether this request may scrape; the status and reason to answer when not. */
  async check(req: IncomingMessage): Promise<MetricsAuthResult> {
    const header = req.headers.authorization;
    const creds = basicCredentials(header);
    if (!creds) return { ok: false, status: 401, reason: 'HTTP basic authentication of a Strato user is required' };
    const address = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const store = this.security.store;
    const key = createHash('sha256').update(address).update('\0').update(header!).digest('base64');
    const now = this.nowMs();
    const hit = this.remembered.get(key);
    let user: string | undefined;
    if (hit && hit.untilMs > now && store.users.get(hit.user)?.credential === hit.credential) {
      user = hit.user;
    } else {
      this.remembered.delete(key);
      const r = await checkPassword(this.security, creds.user, creds.password, address, `${address}:${req.socket.remotePort ?? 0}`);
      if ('code' in r) {
        if (r.code === SecResult.NOT_WHITELISTED) return { ok: false, status: 403, reason: `user '${creds.user}' is not allowed from ${address}` };
        return { ok: false, status: 401, reason: `login refused (result code ${r.code})` };
      }
      user = r.user;
      const credential = store.users.get(user)?.credential;
      if (credential !== undefined) {
        this.remembered.set(key, { user, credential, untilMs: now + METRICS_AUTH_CACHE_MS });
        if (this.remembered.size > METRICS_AUTH_CACHE_MAX) this.remembered.delete(this.remembered.keys().next().value!);
      }
    }
    const eff = store.effectiveOf(user);
    if (!eff) return { ok: false, status: 401, reason: `user '${user}' no longer exists` };
    const who = { auth: { user }, remote: `${address}:${req.socket.remotePort ?? 0}` };
    if (!allowedFrom(eff.whitelist, address)) {
      this.security.reportRefusal(who, 'metrics', SecResult.NOT_WHITELISTED);
      return { ok: false, status: 403, reason: `user '${user}' is not allowed from ${address}` };
    }
    if ((eff.global & METRICS_PERMS) === 0) {
      this.security.reportRefusal(who, 'metrics', SecResult.ROLE_VIOLATION, 'requires read or sys-admin');
      return { ok: false, status: 403, reason: `user '${user}' needs the read or sys-admin privilege (global) to scrape metrics` };
    }
    return { ok: true, user };
  }
}
