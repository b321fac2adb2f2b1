/**
 * Console logins when the node has a `security` stanza: the user name and password are checked by
 * the node's own admin handler (a LOGIN as a client sends it, so lockouts after failed attempts
 * and role allowlists apply as on the service port), and a good login gets a console session
 * token (security/store.ts: user, expiry, a random session id, an HMAC under the cluster's console
 * key) in an HttpOnly, SameSite=Strict cookie. Nothing is kept per session: every member of the
 * cluster verifies the token, so the login holds on every node's console and across restarts,
 * until it expires (the security stanza's session-ttl) or the user logs out, which every member
 * learns through system metadata. Every API call then runs as that user: info commands pass the
 * same privilege check as on a client connection, data requests the same guard, and the query
 * box's requests to the other members AUTHENTICATE there with the same token.
 */
import type { IncomingMessage } from 'node:http';
import type { NodeSecurity } from '../../security/access.js';
import type { AdminConnection, ConnectionAuth } from '../../security/admin.js';
import { AdminCommand, AdminField, SecResult } from '../../security/codes.js';
import { allowedFrom } from '../../security/store.js';
import { clientCredential } from '../../security/credential.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'strato_session';
/** Session lifetime (s) when the security stanza gives none. */
export const DEFAULT_CONSOLE_SESSION_TTL_S = 86_400;

/** The console user of a request: its name and the session token (the query box forwards it to the other members). */
export interface ConsoleAuth extends ConnectionAuth {
  token: Buffer;
}

/**
 * The LOGIN admin body (after the proto header): header, USER and CREDENTIAL fields, and the
 * CLEAR_PASSWORD field the clients' external auth mode adds (it never leaves the node: the
 * handler is called in process).
 */
function loginBody(user: string, password: string): Buffer {
  const field = (id: number, data: Buffer) => {
    const h = Buffer.alloc(5);
    h.writeUInt32BE(data.length + 1);
    h[4] = id;
    return Buffer.concat([h, data]);
  };
  const head = Buffer.alloc(16);
  head[2] = AdminCommand.LOGIN;
  const fields = [field(AdminField.USER, Buffer.from(user)), field(AdminField.CREDENTIAL, Buffer.from(clientCredential(password))), field(AdminField.CLEAR_PASSWORD, Buffer.from(password))];
  head[3] = fields.length;
  return Buffer.concat([head, ...fields]);
}

/** The result code of an admin answer (a whole message: proto header, then the admin header). */
const resultOf = (answer: Buffer | undefined) => (answer ? (answer[8 + 1] ?? SecResult.INVALID_CREDENTIAL) : SecResult.INVALID_CREDENTIAL);

/**
 * Checks a user name and password with the node's admin handler as the clients' external auth
 * mode logs in (lockout after failed attempts, role allowlists, the audit trail): an internal
 * user by its credential (one bcrypt of the password, tens of milliseconds on the event loop), a
 * user the node does not know or knows as an LDAP user against the directory when the node has
 * `security { ldap { } }` (asynchronously; the handler bounds it with LDAP_TIMEOUT_MS).
 * `address` is the client's address without port.
 */
export async function checkPassword(security: NodeSecurity, user: string, password: string, address: string, remote = address): Promise<{ user: string } | { code: number }> {
  let later: Buffer | undefined;
  const conn: AdminConnection = { address, remote, auth: undefined, send: (frame) => (later = frame) };
  const answer = security.admin.handle(loginBody(user, password), conn);
  if (answer instanceof Promise) await answer;
  const code = resultOf(Buffer.isBuffer(answer) ? answer : later);
  if (code !== SecResult.OK || !conn.auth) return { code };
  return { user: conn.auth.user };
}

export class ConsoleSessions {
  constructor(
    readonly security: NodeSecurity,
    /** seconds a console session lives (`session-ttl`, read at each login) */
    private readonly ttlS: () => number,
    /** the node's clock (ms): token expiry is checked against it */
    private readonly nowMs: () => number,
  ) {}

  private nowS(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /**
   * Checks the login with the admin handler (internal users, and LDAP users when the node has
   * `security { ldap { } }`); the session token (cookie text), or the refusing result code.
   */
  async login(user: string, password: string, address: string, remote = address): Promise<{ token: string } | { code: number }> {
    const r = await checkPassword(this.security, user, password, address, remote);
    if ('code' in r) return r;
    return { token: this.security.store.issueConsoleToken(r.user, this.nowS() + this.ttlS()).toString('base64url') };
  }

  /**
   * The logged-in user of a request, undefined without a live session (expired, logged out, the
   * user dropped) or when the user's role allowlist does not admit the request's address: each
   * request is checked as a client connection AUTHENTICATing with a token is, on whichever node.
   */
  authOf(req: IncomingMessage): ConsoleAuth | undefined {
    const token = tokenOf(req);
    if (!token) return undefined;
    const store = this.security.store;
    const v = store.verifyToken(token, this.nowS());
    // a console cookie carries a console token only; the user must still exist
    if (typeof v !== 'object' || v.consoleSession === undefined || !store.users.has(v.user)) return undefined;
    const eff = store.effectiveOf(v.user);
    if (!eff || !allowedFrom(eff.whitelist, req.socket.remoteAddress ?? '')) return undefined;
    return { user: v.user, token };
  }

  /** Ends the request's session on every member (a token that does not verify changes nothing). */
  logout(req: IncomingMessage): void {
    const token = tokenOf(req);
    if (token) this.security.store.logoutConsoleToken(token, this.nowS());
  }

  /** The Set-Cookie value for a new session. */
  cookie(token: string): string {
    return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${this.ttlS()}`;
  }
}

/** Most bytes of a session cookie's value read (a token is about 150). */
const COOKIE_TOKEN_MAX_CHARS = 512;

function tokenOf(req: IncomingMessage): Buffer | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === SESSION_COOKIE && v && v.length <= COOKIE_TOKEN_MAX_CHARS && /^[A-Za-z0-9_-]+$/.test(v)) return Buffer.from(v, 'base64url');
  }
  return undefined;
}
