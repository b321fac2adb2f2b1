/**
 * Console logins when the node has a `security` stanza: the user name and password are checked by
 * the node's own admin handler (a LOGIN as a client sends it, so lockouts after failed attempts
 * and role allowlists apply as on the service port), and a good login gets a session: a random
 * token in an HttpOnly, SameSite=Strict cookie, kept in memory on this node until it expires
 * (the security stanza's session-ttl) or the user logs out. Every API call then runs as that user:
 * info commands pass the same privilege check as on a client connection, data requests the same
 * guard.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NodeSecurity } from '../../security/access.js';
import type { ConnectionAuth } from '../../security/admin.js';
import { AdminCommand, AdminField, SecResult } from '../../security/codes.js';
import { clientCredential } from '../../security/credential.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'strato_session';
/** Most console sessions a node keeps; past it the oldest is dropped (its user logs in again). */
export const MAX_CONSOLE_SESSIONS = 1000;
/** Session lifetime (s) when the security stanza gives none. */
export const DEFAULT_CONSOLE_SESSION_TTL_S = 86_400;

interface Session {
  user: string;
  expiresAtMs: number;
}

/** The LOGIN admin body (after the proto header): header, USER and CREDENTIAL fields. */
function loginBody(user: string, password: string): Buffer {
  const field = (id: number, data: Buffer) => {
    const h = Buffer.alloc(5);
    h.writeUInt32BE(data.length + 1);
    h[4] = id;
    return Buffer.concat([h, data]);
  };
  const head = Buffer.alloc(16);
  head[2] = AdminCommand.LOGIN;
  head[3] = 2;
  return Buffer.concat([head, field(AdminField.USER, Buffer.from(user)), field(AdminField.CREDENTIAL, Buffer.from(clientCredential(password)))]);
}

/**
 * Checks a user name and password with the node's admin handler, as a client LOGIN is checked
 * (lockout after failed attempts, role allowlists, the audit trail); internal users only (no clear
 * password is sent, so the answer is never an LDAP promise). `address` is the client's address
 * without port. Costs one bcrypt of the password (tens of milliseconds, on the event loop).
 */
export function checkPassword(security: NodeSecurity, user: string, password: string, address: string, remote = address): { user: string } | { code: number } {
  const conn: { address: string; remote: string; auth: ConnectionAuth | undefined } = { address, remote, auth: undefined };
  const answer = security.admin.handle(loginBody(user, password), conn);
  // the answer is a whole admin message: proto header, then the admin header (result at byte 1)
  const code = Buffer.isBuffer(answer) ? (answer[8 + 1] ?? SecResult.INVALID_CREDENTIAL) : SecResult.INVALID_CREDENTIAL;
  if (code !== SecResult.OK || !conn.auth) return { code };
  return { user: conn.auth.user };
}

export class ConsoleSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    readonly security: NodeSecurity,
    private readonly ttlS: number,
  ) {}

  /** Checks the login with the admin handler; the session token, or the refusing result code. */
  login(user: string, password: string, address: string, remote = address): { token: string } | { code: number } {
    const r = checkPassword(this.security, user, password, address, remote);
    if ('code' in r) return r;
    const token = randomBytes(24).toString('base64url');
    if (this.sessions.size >= MAX_CONSOLE_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(token, { user: r.user, expiresAtMs: Date.now() + this.ttlS * 1000 });
    return { token };
  }

  /** The logged-in user of a request, undefined without a live session (or when the user was dropped). */
  authOf(req: IncomingMessage): ConnectionAuth | undefined {
    const token = tokenOf(req);
    if (!token) return undefined;
    const s = this.sessions.get(token);
    if (!s) return undefined;
    if (s.expiresAtMs <= Date.now() || !this.security.store.users.has(s.user)) {
      this.sessions.delete(token);
      return undefined;
    }
    return { user: s.user };
  }

  logout(req: IncomingMessage): void {
    const token = tokenOf(req);
    if (token) this.sessions.delete(token);
  }

  /** The Set-Cookie value for a new session. */
  cookie(token: string): string {
    return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${this.ttlS}`;
  }
}

function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === SESSION_COOKIE && v) return v;
  }
  return undefined;
}
