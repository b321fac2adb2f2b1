/**
 * The admin protocol (proto type 2) with security on: login, authenticate and the user/role
 * commands. Message: 16-byte admin header (result at byte 1, command at byte 2, field count at
 * byte 3), then fields `[len:4][id:1][data]` where len counts the id byte.
 */
import { AdminCommand as Cmd, AdminField as F, FIRST_SCOPED_PRIV, PRIV_NAMES, SecResult as R } from './codes.js';
import {
  allowedFrom,
  ENTRIES_MAX,
  LIST_MAX,
  NAME_MAX_BYTES,
  Perm,
  permits,
  PREDEFINED_ROLES,
  SCOPE_NAME_MAX_BYTES,
  sameCredential,
  validWhitelistEntry,
  type Privilege,
  type RoleDef,
  type SecurityStore,
} from './store.js';
import type { Clock } from '../util/clock.js';
import { privilegesDetail, type Audit } from './audit.js';
import type { LdapAuthenticator } from './ldap.js';

/** The audit trail's action for each user/role command. */
const ADMIN_ACTIONS: ReadonlyMap<number, string> = new Map([
  [Cmd.CREATE_USER, 'create user'],
  [Cmd.DROP_USER, 'drop user'],
  [Cmd.SET_PASSWORD, 'set password'],
  [Cmd.CHANGE_PASSWORD, 'change password'],
  [Cmd.GRANT_ROLES, 'grant roles'],
  [Cmd.REVOKE_ROLES, 'revoke roles'],
  [Cmd.QUERY_USERS, 'query users'],
  [Cmd.CREATE_ROLE, 'create role'],
  [Cmd.DROP_ROLE, 'drop role'],
  [Cmd.GRANT_PRIVILEGES, 'add privs'],
  [Cmd.REVOKE_PRIVILEGES, 'delete privs'],
  [Cmd.SET_WHITELIST, 'set whitelist'],
  [Cmd.SET_QUOTAS, 'set quotas'],
  [Cmd.QUERY_ROLES, 'query roles'],
]);

/** `user=bruce;roles=read-write`, `role=r;privs=rw{test|setA}`…: what the command names (never a password). */
function adminDetail(command: number, fields: Fields): string | undefined {
  const parts: string[] = [];
  const user = fields.get(F.USER);
  const role = fields.get(F.ROLE);
  if (user) parts.push(`user=${user.toString('utf8')}`);
  if (role) parts.push(`role=${role.toString('utf8')}`);
  const roles = fields.get(F.ROLES);
  const names = roles ? parseNames(roles) : undefined;
  if (names) parts.push(`roles=${names.join(',')}`);
  const privs = fields.get(F.PRIVILEGES);
  const parsed = privs ? parsePrivileges(privs) : undefined;
  if (parsed) parts.push(`privs=${privilegesDetail(parsed)}`);
  const wl = fields.get(F.WHITELIST);
  if (wl && command !== Cmd.CREATE_ROLE) parts.push(`whitelist=${wl.toString('utf8')}`);
  for (const [id, key] of [[F.READ_QUOTA, 'read-quota'], [F.WRITE_QUOTA, 'write-quota']] as const) {
    const q = fields.get(id);
    if (q && q.length === 4) parts.push(`${key}=${q.readUInt32BE(0)}`);
  }
  return parts.length > 0 ? parts.join(';') : undefined;
}
import { clientCredential } from './credential.js';

/**
 * What the clients' createPKIUser stores as the password (their bcrypt of "nopassword"): such a
 * user logs in with a client certificate only.
 */
let pkiOnlyCredential: string | undefined;
/** computed on first use: a bcrypt round is tens of milliseconds, not worth paying at import */
const isPkiOnly = (credential: string) => credential === (pkiOnlyCredential ??= clientCredential('nopassword'));

/** Admin header bytes after the 8-byte proto header. */
const ADMIN_HEADER_BYTES = 16;
/** Largest admin message body accepted (names, hashes, privilege lists are all small). */
export const ADMIN_MESSAGE_MAX_BYTES = 64 * 1024;
/** Failed logins from one address for one user before further attempts are refused for a while. */
export const LOGIN_FAILURES_MAX = 5;
/** How long (ms) a user/address pair stays refused after too many failed logins. */
export const LOGIN_LOCKOUT_MS = 60_000;
/** Longest allowlist text. */
const WHITELIST_MAX_BYTES = 4096;
/** Largest quota (records per second). */
const QUOTA_MAX = 0x7fffffff;

/** What a connection knows about its user once authenticated. */
export interface ConnectionAuth {
  user: string;
}

/** The connection as the admin handler sees it. */
export interface AdminConnection {
  /** client address without port */
  readonly address: string;
  /** client `address:port` (audit lines) */
  readonly remote: string;
  /** sends an answer later (an LDAP login); without it LDAP logins are not offered */
  send?(frame: Buffer): void;
  auth: ConnectionAuth | undefined;
  /** the user a verified TLS client certificate names (its CN), for PKI logins; undefined on clear connections */
  readonly pkiUser?: string | undefined;
}

export interface SecurityOptions {
  /** seconds a new session token lives (`session-ttl`), read at each login so set-config applies to the next token */
  sessionTtlS: () => number;
  /** the audit trail (security { log { } }); undefined = nothing reported */
  audit?: Audit | undefined;
  /** external authentication (security { ldap { } }); undefined = internal users only */
  ldap?: LdapAuthenticator | undefined;
  /** warnings (a refused LDAP login says why) */
  log?: ((message: string) => void) | undefined;
  enableQuotas: boolean;
  clock: Clock;
  /** open connections per user (queryUsers' connection count) */
  connectionsOf?: (user: string) => number;
  /** per-user rate counters: [read TPS, write TPS] of the last second */
  ratesOf?: (user: string) => [number, number];
  /** per-user scan/query load: [rps of rps-limited jobs, count of limitless jobs] for reads and writes */
  scanLoadOf?: (user: string) => { read: [number, number]; write: [number, number] };
}

type Fields = Map<number, Buffer>;

/** Answers admin messages for one node. */
export class AdminHandler {
  private readonly failures = new Map<string, { count: number; until: number }>();

  constructor(
    readonly store: SecurityStore,
    private readonly opts: SecurityOptions,
  ) {}

  /** Handles one admin body (the bytes after the proto header); answers the frame(s) to send. */
  handle(body: Buffer, conn: AdminConnection): Buffer | Promise<void> {
    if (body.length < ADMIN_HEADER_BYTES || body.length > ADMIN_MESSAGE_MAX_BYTES) return reply(R.INVALID_COMMAND);
    const command = body[2]!;
    const fields = parseFields(body, body[3]!);
    if (!fields) return reply(R.INVALID_FIELD);
    const audit = this.opts.audit;
    const ldap = this.opts.ldap;
    const clear = fields.get(F.CLEAR_PASSWORD);
    const loginUser = text(fields.get(F.USER));
    // the directory is asked for a user the node does not know or knows as an LDAP user (no
    // password here), as Aerospike passes a user without a bcrypt password to the external phase
    const known = loginUser === undefined ? undefined : this.store.users.get(loginUser);
    if (command === Cmd.LOGIN && ldap && clear && loginUser && (!known || known.external) && conn.send) {
      // the directory answers asynchronously; the connection answers its requests in order
      const send = conn.send.bind(conn);
      return this.ldapLogin(ldap, loginUser, clear.toString('utf8'), conn).then((answer) => {
        const code = answer[9]!;
        audit?.report('authentication', code, { remote: conn.remote, user: code === R.OK ? loginUser : undefined }, 'login', () => `user=${loginUser}`);
        send(answer);
      });
    }
    if (command === Cmd.LOGIN || command === Cmd.AUTHENTICATE) {
      const answer = command === Cmd.LOGIN ? this.login(fields, conn) : this.authenticate(fields, conn);
      if (audit) {
        const code = answer[9]!;
        const action = command === Cmd.LOGIN ? 'login' : 'authentication';
        audit.report('authentication', code, { remote: conn.remote, user: code === R.OK ? conn.auth?.user : undefined }, action, () => `user=${text(fields.get(F.USER)) ?? ''}`);
      }
      return answer;
    }
    const answer = this.command(command, fields, conn);
    const action = ADMIN_ACTIONS.get(command);
    if (audit && action !== undefined) {
      audit.report('user-admin', answer[9]!, { remote: conn.remote, user: conn.auth?.user }, action, () => adminDetail(command, fields));
    }
    return answer;
  }

  /** A user/role command (anything but login and authenticate). */
  private command(command: number, fields: Fields, conn: AdminConnection): Buffer {
    if (!conn.auth) return reply(R.NOT_AUTHENTICATED);
    const me = conn.auth.user;
    const eff = this.store.effectiveOf(me);
    if (!eff) return reply(R.NOT_AUTHENTICATED);
    const isUserAdmin = permits(eff, Perm.USER_ADMIN, '', '');
    switch (command) {
      case Cmd.CHANGE_PASSWORD:
        return this.changePassword(fields, me, isUserAdmin);
      case Cmd.QUERY_USERS:
        return this.queryUsers(fields, me, isUserAdmin);
      case Cmd.QUERY_ROLES:
        return this.queryRoles(fields, me, isUserAdmin);
    }
    const known = Object.values(Cmd) as number[];
    if (!known.includes(command)) return reply(R.INVALID_COMMAND);
    if (!isUserAdmin) return reply(R.ROLE_VIOLATION);
    switch (command) {
      case Cmd.CREATE_USER:
        return this.createUser(fields);
      case Cmd.DROP_USER:
        return this.dropUser(fields);
      case Cmd.SET_PASSWORD:
        return this.setPassword(fields);
      case Cmd.GRANT_ROLES:
      case Cmd.REVOKE_ROLES:
        return this.changeRoles(fields, command === Cmd.GRANT_ROLES);
      case Cmd.CREATE_ROLE:
        return this.createRole(fields);
      case Cmd.DROP_ROLE:
        return this.dropRole(fields);
      case Cmd.GRANT_PRIVILEGES:
      case Cmd.REVOKE_PRIVILEGES:
        return this.changePrivileges(fields, command === Cmd.GRANT_PRIVILEGES);
      case Cmd.SET_WHITELIST:
        return this.setWhitelist(fields);
      case Cmd.SET_QUOTAS:
        return this.setQuotas(fields);
      default:
        return reply(R.INVALID_COMMAND);
    }
  }

  private nowS(): number {
    return Math.floor(this.opts.clock.nowMs() / 1000);
  }

  /** Too many failed logins for this user from this address: refuse until the lockout ends. */
  private lockedOut(key: string): boolean {
    const f = this.failures.get(key);
    if (!f) return false;
    if (f.until !== 0 && f.until <= this.opts.clock.nowMs()) {
      this.failures.delete(key);
      return false;
    }
    return f.until !== 0;
  }

  private failed(key: string, code: number): Buffer {
    const f = this.failures.get(key) ?? { count: 0, until: 0 };
    f.count++;
    if (f.count >= LOGIN_FAILURES_MAX) f.until = this.opts.clock.nowMs() + LOGIN_LOCKOUT_MS;
    this.failures.set(key, f);
    // bound the table: a flood of made-up user names must not grow it without limit
    if (this.failures.size > ENTRIES_MAX) this.failures.delete(this.failures.keys().next().value!);
    return reply(code);
  }

  /**
   * Checks user + credential (or token) and the allowlist; answers a result code. Without a user
   * field the clients' PKI mode is meant: LOGIN proves the user with the connection's verified
   * client certificate (its CN names the user), AUTHENTICATE with the session token alone.
   */
  private check(fields: Fields, conn: AdminConnection, allowToken: boolean): { code: number; user?: string } {
    const token = fields.get(F.SESSION_TOKEN);
    const pki = !fields.has(F.USER);
    let user = text(fields.get(F.USER));
    if (pki) {
      if (token && allowToken) {
        const v = this.store.verifyToken(token, this.nowS());
        if (v === 'expired') return { code: R.EXPIRED_SESSION };
        if (!v) return { code: R.INVALID_CREDENTIAL };
        user = v.user;
      } else {
        // no certificate (clear port, or tls-authenticate-client false): nothing proves who this is
        if (conn.pkiUser === undefined || fields.has(F.CREDENTIAL)) return { code: R.INVALID_CREDENTIAL };
        user = conn.pkiUser;
      }
    }
    if (user === undefined || user.length === 0) return { code: R.INVALID_USER };
    const key = `${user}\0${conn.address}`;
    if (this.lockedOut(key)) return { code: R.INVALID_CREDENTIAL };
    const def = this.store.users.get(user);
    if (pki) {
      if (!def) return { code: R.INVALID_USER, user: key };
    } else if (token && allowToken) {
      const v = this.store.verifyToken(token, this.nowS());
      if (v === 'expired') return { code: R.EXPIRED_SESSION };
      // a dropped user's token no longer holds (an LDAP user gone from the directory included)
      if (!v || v.user !== user || !def) return { code: R.INVALID_CREDENTIAL, user: key };
    } else {
      const credential = text(fields.get(F.CREDENTIAL));
      if (!def) return { code: R.INVALID_USER, user: key };
      // a PKI-only user (the clients create it with the hash of "nopassword") has no password to log in with
      // an LDAP user has no password here: only the external mode (the directory) logs it in
      if (credential === undefined || def.external || isPkiOnly(def.credential) || !sameCredential(credential, def.credential)) {
        return { code: R.INVALID_CREDENTIAL, user: key };
      }
    }
    const eff = this.store.effectiveOf(user)!;
    if (!allowedFrom(eff.whitelist, conn.address)) return { code: R.NOT_WHITELISTED };
    this.failures.delete(key);
    return { code: R.OK, user };
  }

  private login(fields: Fields, conn: AdminConnection): Buffer {
    const r = this.check(fields, conn, false);
    if (r.code !== R.OK) return r.user ? this.failed(r.user, r.code) : reply(r.code);
    return this.loggedIn(r.user!, conn);
  }

  /** A user the node does not know or knows as an LDAP user, with the clients' external auth mode: asks the LDAP server. */
  private async ldapLogin(ldap: LdapAuthenticator, user: string, password: string, conn: AdminConnection): Promise<Buffer> {
    const key = `${user}\0${conn.address}`;
    if (this.lockedOut(key)) return reply(R.INVALID_CREDENTIAL);
    const r = await ldap.login(user, password);
    if (!r.ok) {
      this.opts.log?.(`LDAP login of ${user} refused: ${r.reason}`);
      return this.failed(key, R.INVALID_CREDENTIAL);
    }
    if (!this.store.setExternal(user, r.dn, r.roles)) {
      this.opts.log?.(`LDAP login of ${user} refused: the user table is full (${ENTRIES_MAX} users)`);
      return this.failed(key, R.INVALID_CREDENTIAL);
    }
    const eff = this.store.effectiveOf(user)!;
    if (!allowedFrom(eff.whitelist, conn.address)) return reply(R.NOT_WHITELISTED);
    this.failures.delete(key);
    return this.loggedIn(user, conn);
  }

  private loggedIn(user: string, conn: AdminConnection): Buffer {
    conn.auth = { user };
    const ttl = this.opts.sessionTtlS();
    const token = this.store.issueToken(user, this.nowS() + ttl);
    const ttlBytes = Buffer.alloc(4);
    ttlBytes.writeUInt32BE(ttl);
    return message([frameBlock(R.OK, [field(F.SESSION_TOKEN, token), field(F.SESSION_TTL, ttlBytes)])]);
  }

  private authenticate(fields: Fields, conn: AdminConnection): Buffer {
    const r = this.check(fields, conn, true);
    if (r.code !== R.OK) return r.user ? this.failed(r.user, r.code) : reply(r.code);
    conn.auth = { user: r.user! };
    return reply(R.OK);
  }

  private createUser(fields: Fields): Buffer {
    const user = name(fields.get(F.USER));
    if (user === undefined) return reply(R.INVALID_USER);
    const password = text(fields.get(F.PASSWORD));
    if (password === undefined || password.length === 0 || password.length > 255) return reply(R.INVALID_PASSWORD);
    const roles = fields.has(F.ROLES) ? parseNames(fields.get(F.ROLES)!) : [];
    if (!roles) return reply(R.INVALID_FIELD);
    if (this.store.users.has(user)) return reply(R.USER_ALREADY_EXISTS);
    if (this.store.users.size >= ENTRIES_MAX) return reply(R.INVALID_USER);
    for (const r of roles) if (!this.store.role(r)) return reply(R.INVALID_ROLE);
    this.store.putUser({ name: user, credential: password, roles: [...new Set(roles)] });
    return reply(R.OK);
  }

  private dropUser(fields: Fields): Buffer {
    const user = name(fields.get(F.USER));
    if (user === undefined || !this.store.users.has(user)) return reply(R.INVALID_USER);
    this.store.dropUser(user);
    return reply(R.OK);
  }

  private setPassword(fields: Fields): Buffer {
    const user = name(fields.get(F.USER));
    const def = user === undefined ? undefined : this.store.users.get(user);
    if (!def) return reply(R.INVALID_USER);
    const password = text(fields.get(F.PASSWORD));
    if (password === undefined || password.length === 0 || password.length > 255) return reply(R.INVALID_PASSWORD);
    // a password makes an LDAP user internal: Aerospike never asks the directory for a user with one
    this.store.putUser({ name: def.name, roles: def.roles, credential: password });
    return reply(R.OK);
  }

  /** A user changes its own password by proving the old one; a user-admin may change anyone's. */
  private changePassword(fields: Fields, me: string, isUserAdmin: boolean): Buffer {
    const user = name(fields.get(F.USER));
    const def = user === undefined ? undefined : this.store.users.get(user);
    if (!def) return reply(R.INVALID_USER);
    if (user !== me && !isUserAdmin) return reply(R.ROLE_VIOLATION);
    // a user-admin changing someone else's password needs no old one (the clients send their own)
    const old = text(fields.get(F.OLD_PASSWORD));
    // an LDAP user has no password here to prove (its password is the directory's)
    if (user === me && (old === undefined || def.external || !sameCredential(old, def.credential))) return reply(R.INVALID_PASSWORD);
    const password = text(fields.get(F.PASSWORD));
    if (password === undefined || password.length === 0 || password.length > 255) return reply(R.INVALID_PASSWORD);
    // a password makes an LDAP user internal: Aerospike never asks the directory for a user with one
    this.store.putUser({ name: def.name, roles: def.roles, credential: password });
    return reply(R.OK);
  }

  private changeRoles(fields: Fields, grant: boolean): Buffer {
    const user = name(fields.get(F.USER));
    const def = user === undefined ? undefined : this.store.users.get(user);
    if (!def) return reply(R.INVALID_USER);
    const roles = fields.has(F.ROLES) ? parseNames(fields.get(F.ROLES)!) : undefined;
    if (!roles) return reply(R.INVALID_FIELD);
    for (const r of roles) if (!this.store.role(r)) return reply(R.INVALID_ROLE);
    const next = grant ? [...new Set([...def.roles, ...roles])] : def.roles.filter((r) => !roles.includes(r));
    this.store.putUser({ ...def, roles: next });
    return reply(R.OK);
  }

  private createRole(fields: Fields): Buffer {
    const role = name(fields.get(F.ROLE));
    if (role === undefined) return reply(R.INVALID_ROLE);
    if (this.store.role(role)) return reply(R.ROLE_ALREADY_EXISTS);
    if (this.store.roles.size >= ENTRIES_MAX) return reply(R.INVALID_ROLE);
    const privileges = fields.has(F.PRIVILEGES) ? parsePrivileges(fields.get(F.PRIVILEGES)!) : [];
    if (!privileges) return reply(R.INVALID_PRIVILEGE);
    const whitelist = fields.has(F.WHITELIST) ? parseWhitelist(fields.get(F.WHITELIST)!) : [];
    if (!whitelist) return reply(R.INVALID_WHITELIST);
    const quotas = this.parseQuotas(fields);
    if (typeof quotas === 'number') return reply(quotas);
    this.store.putRole({ name: role, privileges: dedupe(privileges), whitelist, readQuota: quotas[0], writeQuota: quotas[1] });
    return reply(R.OK);
  }

  private parseQuotas(fields: Fields): [number, number] | number {
    const out: [number, number] = [0, 0];
    for (const [i, id] of [F.READ_QUOTA, F.WRITE_QUOTA].entries()) {
      const b = fields.get(id);
      if (!b) continue;
      if (b.length !== 4) return R.INVALID_QUOTA;
      const v = b.readUInt32BE(0);
      if (v > QUOTA_MAX) return R.INVALID_QUOTA;
      if (v !== 0 && !this.opts.enableQuotas) return R.QUOTAS_NOT_ENABLED;
      out[i] = v;
    }
    return out;
  }

  /** A user-defined role (predefined ones cannot change). */
  private userRole(fields: Fields): RoleDef | number {
    const role = name(fields.get(F.ROLE));
    if (role === undefined) return R.INVALID_ROLE;
    const def = this.store.roles.get(role);
    if (!def) return PREDEFINED_ROLES.has(role) ? R.INVALID_ROLE : R.INVALID_ROLE;
    return def;
  }

  private dropRole(fields: Fields): Buffer {
    const def = this.userRole(fields);
    if (typeof def === 'number') return reply(def);
    this.store.change(() => {
      this.store.dropRole(def.name);
      // users lose the role, as in Aerospike
      for (const u of [...this.store.users.values()]) {
        if (u.roles.includes(def.name)) this.store.putUser({ ...u, roles: u.roles.filter((r) => r !== def.name) });
      }
    });
    return reply(R.OK);
  }

  private changePrivileges(fields: Fields, grant: boolean): Buffer {
    const def = this.userRole(fields);
    if (typeof def === 'number') return reply(def);
    const privileges = fields.has(F.PRIVILEGES) ? parsePrivileges(fields.get(F.PRIVILEGES)!) : undefined;
    if (!privileges) return reply(R.INVALID_PRIVILEGE);
    const same = (a: Privilege, b: Privilege) => a.code === b.code && a.ns === b.ns && a.set === b.set;
    const next = grant ? dedupe([...def.privileges, ...privileges]) : def.privileges.filter((p) => !privileges.some((q) => same(p, q)));
    this.store.putRole({ ...def, privileges: next });
    return reply(R.OK);
  }

  private setWhitelist(fields: Fields): Buffer {
    const def = this.userRole(fields);
    if (typeof def === 'number') return reply(def);
    const whitelist = fields.has(F.WHITELIST) ? parseWhitelist(fields.get(F.WHITELIST)!) : [];
    if (!whitelist) return reply(R.INVALID_WHITELIST);
    this.store.putRole({ ...def, whitelist });
    return reply(R.OK);
  }

  private setQuotas(fields: Fields): Buffer {
    const def = this.userRole(fields);
    if (typeof def === 'number') return reply(def);
    const quotas = this.parseQuotas(fields);
    if (typeof quotas === 'number') return reply(quotas);
    this.store.putRole({
      ...def,
      readQuota: fields.has(F.READ_QUOTA) ? quotas[0] : def.readQuota,
      writeQuota: fields.has(F.WRITE_QUOTA) ? quotas[1] : def.writeQuota,
    });
    return reply(R.OK);
  }

  private queryUsers(fields: Fields, me: string, isUserAdmin: boolean): Buffer {
    const only = fields.has(F.USER) ? name(fields.get(F.USER)) : undefined;
    if (fields.has(F.USER) && only === undefined) return reply(R.INVALID_USER);
    if (!isUserAdmin && only !== me) return reply(R.ROLE_VIOLATION);
    // LDAP users are listed once they logged in, with the roles the directory gave them
    const users = only !== undefined ? [this.store.users.get(only)].filter((u) => u !== undefined) : [...this.store.users.values()];
    if (only !== undefined && users.length === 0) return reply(R.INVALID_USER);
    const blocks = users.map((u) => {
      const eff = this.store.effectiveOf(u.name)!;
      const [rtps, wtps] = this.opts.ratesOf?.(u.name) ?? [0, 0];
      const load = this.opts.scanLoadOf?.(u.name) ?? { read: [0, 0], write: [0, 0] };
      const conns = Buffer.alloc(4);
      conns.writeUInt32BE(this.opts.connectionsOf?.(u.name) ?? 0);
      return frameBlock(R.OK, [
        field(F.USER, Buffer.from(u.name)),
        field(F.ROLES, encodeNames(u.roles)),
        // quota, single-record TPS, scan/query rps-limited, scan/query limitless (asadm's names)
        field(F.READ_INFO, encodeInts([eff.readQuota, rtps, ...load.read])),
        field(F.WRITE_INFO, encodeInts([eff.writeQuota, wtps, ...load.write])),
        field(F.CONNECTIONS, conns),
      ]);
    });
    blocks.push(frameBlock(R.QUERY_END, []));
    return message(blocks);
  }

  private queryRoles(fields: Fields, me: string, isUserAdmin: boolean): Buffer {
    const only = fields.has(F.ROLE) ? name(fields.get(F.ROLE)) : undefined;
    if (fields.has(F.ROLE) && only === undefined) return reply(R.INVALID_ROLE);
    const mine = this.store.users.get(me)?.roles ?? [];
    if (!isUserAdmin && (only === undefined || !mine.includes(only))) return reply(R.ROLE_VIOLATION);
    const all = [...PREDEFINED_ROLES.values(), ...this.store.roles.values()];
    const roles = only !== undefined ? all.filter((r) => r.name === only) : all;
    if (only !== undefined && roles.length === 0) return reply(R.INVALID_ROLE);
    const blocks = roles.map((r) => {
      const fs = [field(F.ROLE, Buffer.from(r.name)), field(F.PRIVILEGES, encodePrivileges(r.privileges))];
      if (r.whitelist.length > 0) fs.push(field(F.WHITELIST, Buffer.from(r.whitelist.join(','))));
      if (r.readQuota) fs.push(field(F.READ_QUOTA, u32(r.readQuota)));
      if (r.writeQuota) fs.push(field(F.WRITE_QUOTA, u32(r.writeQuota)));
      return frameBlock(R.OK, fs);
    });
    blocks.push(frameBlock(R.QUERY_END, []));
    return message(blocks);
  }
}

// ---------------------------------------------------------------------------------------------
// wire helpers

function parseFields(body: Buffer, count: number): Fields | undefined {
  const out: Fields = new Map();
  let p = ADMIN_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (p + 5 > body.length) return undefined;
    const len = body.readUInt32BE(p);
    if (len < 1 || p + 4 + len > body.length) return undefined;
    out.set(body[p + 4]!, body.subarray(p + 5, p + 4 + len));
    p += 4 + len;
  }
  return out;
}

function text(b: Buffer | undefined): string | undefined {
  return b === undefined ? undefined : b.toString('utf8');
}

/** A user or role name: 1..63 bytes. */
function name(b: Buffer | undefined): string | undefined {
  if (b === undefined || b.length === 0 || b.length > NAME_MAX_BYTES) return undefined;
  return b.toString('utf8');
}

/** `[count:1]` then `[len:1][name]` per entry. */
function parseNames(b: Buffer): string[] | undefined {
  if (b.length < 1) return undefined;
  const out: string[] = [];
  let p = 1;
  for (let i = 0; i < b[0]!; i++) {
    if (p >= b.length) return undefined;
    const len = b[p]!;
    if (len === 0 || len > NAME_MAX_BYTES || p + 1 + len > b.length) return undefined;
    out.push(b.toString('utf8', p + 1, p + 1 + len));
    p += 1 + len;
  }
  return p === b.length ? out : undefined;
}

function encodeNames(names: string[]): Buffer {
  const parts = [Buffer.from([Math.min(names.length, LIST_MAX)])];
  for (const n of names.slice(0, LIST_MAX)) {
    const b = Buffer.from(n);
    parts.push(Buffer.from([b.length]), b);
  }
  return Buffer.concat(parts);
}

/** `[count:1]` then `[code:1]` and, for scoped codes, `[len:1][ns][len:1][set]`. */
function parsePrivileges(b: Buffer): Privilege[] | undefined {
  if (b.length < 1) return undefined;
  const out: Privilege[] = [];
  let p = 1;
  for (let i = 0; i < b[0]!; i++) {
    if (p >= b.length) return undefined;
    const code = b[p++]!;
    if (!PRIV_NAMES.has(code)) return undefined;
    let ns = '';
    let set = '';
    if (code >= FIRST_SCOPED_PRIV) {
      for (const which of [0, 1]) {
        if (p >= b.length) return undefined;
        const len = b[p]!;
        if (len > SCOPE_NAME_MAX_BYTES || p + 1 + len > b.length) return undefined;
        const s = b.toString('utf8', p + 1, p + 1 + len);
        if (which === 0) ns = s;
        else set = s;
        p += 1 + len;
      }
      if (ns === '' && set !== '') return undefined;
    }
    out.push({ code, ns, set });
  }
  return p === b.length ? out : undefined;
}

function encodePrivileges(privs: Privilege[]): Buffer {
  const parts = [Buffer.from([Math.min(privs.length, LIST_MAX)])];
  for (const pr of privs.slice(0, LIST_MAX)) {
    parts.push(Buffer.from([pr.code]));
    if (pr.code >= FIRST_SCOPED_PRIV) {
      const ns = Buffer.from(pr.ns);
      const set = Buffer.from(pr.set);
      parts.push(Buffer.from([ns.length]), ns, Buffer.from([set.length]), set);
    }
  }
  return Buffer.concat(parts);
}

function dedupe(privs: Privilege[]): Privilege[] {
  const seen = new Set<string>();
  return privs.filter((p) => {
    const k = `${p.code}\0${p.ns}\0${p.set}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Comma-separated addresses; undefined when an entry is not an address or CIDR block. */
function parseWhitelist(b: Buffer): string[] | undefined {
  if (b.length > WHITELIST_MAX_BYTES) return undefined;
  const entries = b.toString('utf8').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return entries.every(validWhitelistEntry) ? entries : undefined;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

function encodeInts(values: number[]): Buffer {
  const b = Buffer.alloc(1 + 4 * values.length);
  b[0] = values.length;
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 1 + 4 * i));
  return b;
}

function field(id: number, data: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(data.length + 1);
  h[4] = id;
  return Buffer.concat([h, data]);
}

function frameBlock(result: number, fields: Buffer[]): Buffer {
  const h = Buffer.alloc(ADMIN_HEADER_BYTES);
  h[1] = result;
  h[3] = fields.length;
  return Buffer.concat([h, ...fields]);
}

/** One admin frame: proto header (version 2, type 2) and the blocks. */
function message(blocks: Buffer[]): Buffer {
  const body = Buffer.concat(blocks);
  const h = Buffer.alloc(8);
  h.writeUIntBE(body.length, 2, 6);
  h[0] = 2;
  h[1] = 2;
  return Buffer.concat([h, body]);
}

/** A bare admin answer carrying only a result code. */
export function reply(code: number): Buffer {
  return message([frameBlock(code, [])]);
}
