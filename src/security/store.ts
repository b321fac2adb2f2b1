/**
 * Users and roles (Aerospike EE's access-control model), kept in system metadata (SMD module
 * `security`) so they survive restarts. A user holds the client's bcrypt credential (the clients
 * hash the password with a fixed salt before it leaves them, so the server only ever sees and
 * compares that hash); roles hold scoped privileges, an allowlist and read/write quotas (TPS).
 * Predefined roles (one per privilege, global scope) are never stored.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SmdStore } from '../namespace/smd.js';
import { FIRST_SCOPED_PRIV, Priv, PRIV_NAMES } from './codes.js';

/** Longest user or role name (Aerospike's AS_USER_SIZE / AS_ROLE_SIZE less the terminator). */
export const NAME_MAX_BYTES = 63;
/** Longest namespace or set in a privilege scope. */
export const SCOPE_NAME_MAX_BYTES = 63;
/** Most roles a user holds / privileges a role holds (one count byte on the wire). */
export const LIST_MAX = 255;
/** Most users and most roles a node keeps. */
export const ENTRIES_MAX = 10000;
/** The salt every official client hashes passwords with (as_password.c's constant salt). */
export const CLIENT_SALT = '$2a$10$7EqJtq98hPqEX7fNZaFWoO';

export interface Privilege {
  code: number;
  ns: string;
  set: string;
}

export interface RoleDef {
  name: string;
  privileges: Privilege[];
  /** allowed client addresses (IPv4/IPv6 literals or IPv4 CIDR); empty = anywhere */
  whitelist: string[];
  /** records per second; 0 = no quota */
  readQuota: number;
  writeQuota: number;
}

export interface UserDef {
  name: string;
  /** the client's bcrypt hash of the password (60 characters); '' for an LDAP user */
  credential: string;
  roles: string[];
  /**
   * an LDAP (external) user: no password here, roles from the directory, kept after its first
   * login as Aerospike keeps it (in system metadata, so every member lists it)
   */
  external?: true;
}

/** Permission bits a privilege grants (what a request needs is one of these). */
export const Perm = {
  READ: 1,
  WRITE: 2,
  UDF: 4,
  TRUNCATE: 8,
  SINDEX_ADMIN: 16,
  UDF_ADMIN: 32,
  DATA_ADMIN: 64,
  SYS_ADMIN: 128,
  USER_ADMIN: 256,
} as const;

const PRIV_PERMS: ReadonlyMap<number, number> = new Map([
  [Priv.USER_ADMIN, Perm.USER_ADMIN],
  [Priv.SYS_ADMIN, Perm.SYS_ADMIN],
  [Priv.DATA_ADMIN, Perm.DATA_ADMIN | Perm.UDF_ADMIN | Perm.SINDEX_ADMIN | Perm.TRUNCATE],
  [Priv.UDF_ADMIN, Perm.UDF_ADMIN],
  [Priv.SINDEX_ADMIN, Perm.SINDEX_ADMIN],
  [Priv.READ, Perm.READ],
  [Priv.READ_WRITE, Perm.READ | Perm.WRITE],
  [Priv.READ_WRITE_UDF, Perm.READ | Perm.WRITE | Perm.UDF],
  [Priv.WRITE, Perm.WRITE],
  [Priv.TRUNCATE, Perm.TRUNCATE],
]);

/** A user's privileges compiled for per-request checks: permission bits by scope key. */
export interface Effective {
  global: number;
  /** key: namespace, or `namespace\0set` */
  scoped: Map<string, number>;
  whitelist: string[];
  readQuota: number;
  writeQuota: number;
}

/** True when `eff` grants `perm` on namespace `ns` and set `set` ('' when none). */
export function permits(eff: Effective, perm: number, ns: string, set: string): boolean {
  if (eff.global & perm) return true;
  if (eff.scoped.size === 0) return false;
  if ((eff.scoped.get(ns) ?? 0) & perm) return true;
  return set !== '' && ((eff.scoped.get(`${ns}\0${set}`) ?? 0) & perm) !== 0;
}

export const PREDEFINED_ROLES: ReadonlyMap<string, RoleDef> = new Map(
  [...PRIV_NAMES].map(([code, name]) => [name, { name, privileges: [{ code, ns: '', set: '' }], whitelist: [], readQuota: 0, writeQuota: 0 }]),
);

/**
 * When an item last changed: milliseconds on the changing node's clock, then that node's id to
 * order two changes in the same millisecond. A change is stamped above the item's previous stamp
 * even when the clock went back, so it always wins over what it replaces.
 */
export interface Stamp {
  t: number;
  n: string;
}

/** The stamp of the `admin` user each node creates on its first start: below any real change. */
export const FIRST_START_STAMP: Stamp = { t: 0, n: '' };

/**
 * One user or role as system metadata carries it between nodes and across restarts. An item
 * without its definition is a tombstone: the name was dropped at `stamp`, so an older copy of it
 * that a member which was away still holds does not come back.
 */
export type SecItem =
  | { kind: 'user'; name: string; stamp: Stamp; user?: UserDef | undefined }
  | { kind: 'role'; name: string; stamp: Stamp; role?: RoleDef | undefined }
  /** the cluster's key for console session tokens (hex); the EARLIEST stamp wins, so a node joining adopts the cluster's */
  | { kind: 'console-key'; name: string; stamp: Stamp; key: string }
  /** a console session logged out before its expiry (name = session id, hex); forgotten once expired */
  | { kind: 'console-logout'; name: string; stamp: Stamp; expiresAtS: number };

/** True when `a` is a later change than `b`. */
export function laterStamp(a: Stamp, b: Stamp): boolean {
  return a.t !== b.t ? a.t > b.t : a.n > b.n;
}

/** LDAP users whose roles this node re-reads every polling-period (those that logged in through it; the oldest forgotten first). */
export const EXTERNAL_USERS_MAX = ENTRIES_MAX;

/** Most tombstones kept per kind; past it the oldest are forgotten (a member away that long may bring its copy back). */
export const TOMBSTONES_MAX = ENTRIES_MAX;

/**
 * Most console logouts remembered before their sessions expire; past it the one expiring soonest is
 * forgotten (its session, whose cookie the browser already dropped, would verify again until then).
 */
export const CONSOLE_LOGOUTS_MAX = ENTRIES_MAX;
/** Bytes of a console session id (random, names the session in a logout). */
export const CONSOLE_SESSION_ID_BYTES = 16;
/** Token format versions: 1 = a client login's (node key), 2 = a console session's (cluster key). */
const TOKEN_CLIENT = 1;
const TOKEN_CONSOLE = 2;

interface FileItem {
  kind: 'secret' | 'user' | 'role' | 'console-key' | 'console-logout';
  secret?: string;
  name?: string;
  stamp?: Stamp;
  user?: UserDef;
  role?: RoleDef;
  key?: string;
  expiresAtS?: number;
}

export interface SecurityStoreOptions {
  /** where users and roles persist (undefined: memory only, for tools and unit tests) */
  smd?: SmdStore | undefined;
  /** the bcrypt credential of the `admin` user created on the first start */
  adminCredential: string;
  /** this node's id (orders changes made in the same millisecond on two nodes) */
  nodeId: string;
  /** wall-clock milliseconds (stamps) */
  nowMs: () => number;
  /**
   * the session tokens' HMAC (Aerospike's `security { ldap { token-hash-method } }`, which names
   * the hash of the access tokens' HMAC); default sha-256
   */
  tokenHashMethod?: 'sha-256' | 'sha-512' | undefined;
}

/** node:crypto's name and the MAC length (bytes) of each token-hash-method. */
const TOKEN_HASHES = { 'sha-256': { alg: 'sha256', bytes: 32 }, 'sha-512': { alg: 'sha512', bytes: 64 } } as const;

export class SecurityStore {
  readonly users = new Map<string, UserDef>();
  readonly roles = new Map<string, RoleDef>();
  /** the stamp of every user and role name, dropped ones (tombstones) included */
  private readonly userStamps = new Map<string, Stamp>();
  private readonly roleStamps = new Map<string, Stamp>();
  private secret: Buffer;
  /** the cluster's console-token key and its stamp (the earliest created in the cluster wins) */
  private consoleKey: { key: Buffer; stamp: Stamp };
  /** console sessions logged out: session id (hex) → expiry (unix s) and stamp */
  private readonly consoleLogouts = new Map<string, { expiresAtS: number; stamp: Stamp }>();
  private readonly effective = new Map<string, Effective>();
  private readonly smd: SmdStore | undefined;
  /** items changed by the running admin command (sent to the other members in one message) */
  private pending: SecItem[] | undefined;
  /** told of every local change (the cluster sends the items to the other members) */
  onLocalChange: ((items: SecItem[]) => void) | undefined;
  /**
   * LDAP users that logged in through this node, with their DN: this node re-reads their roles
   * every polling-period (memory only; the users themselves are in `users`, flagged external).
   */
  readonly ldapLogins = new Map<string, string>();

  /**
   * Takes an LDAP user's roles at a login or a poll: the user is kept as an external user (in
   * SMD, so every member lists it) and changed only when its roles changed, so the logins of
   * every node of a cluster do not each send a change. False when the user table is full
   * (ENTRIES_MAX users), the login is then refused. An internal user of the same name is never
   * touched (the login path does not ask the directory for one).
   */
  setExternal(user: string, dn: string, roles: string[]): boolean {
    const def = this.users.get(user);
    if (def && !def.external) return false;
    if (!def && this.users.size >= ENTRIES_MAX) return false;
    this.ldapLogins.delete(user);
    this.ldapLogins.set(user, dn);
    if (this.ldapLogins.size > EXTERNAL_USERS_MAX) this.ldapLogins.delete(this.ldapLogins.keys().next().value!);
    if (def && def.roles.length === roles.length && def.roles.every((r, i) => r === roles[i])) return true;
    this.putUser({ name: user, credential: '', roles, external: true });
    return true;
  }

  /** Drops an LDAP user gone from the directory, on every member: its connections are refused from now on. */
  dropExternal(user: string): void {
    this.ldapLogins.delete(user);
    if (this.users.get(user)?.external) this.dropUser(user);
  }

  constructor(private readonly opts: SecurityStoreOptions) {
    this.smd = opts.smd;
    const items = this.smd?.load<FileItem>('security') ?? [];
    let secret: string | undefined;
    let consoleKey: { key: Buffer; stamp: Stamp } | undefined;
    for (const it of items) {
      if (it.kind === 'secret' && it.secret) secret = it.secret;
      else {
        const item = checkItem(it);
        if (item?.kind === 'console-key') consoleKey = { key: Buffer.from(item.key, 'hex'), stamp: item.stamp };
        else if (item?.kind === 'console-logout') this.consoleLogouts.set(item.name, { expiresAtS: item.expiresAtS, stamp: item.stamp });
        else if (item) this.adopt(item);
      }
    }
    // the client session-token key stays on this node: the clients log in to each node on its own
    this.secret = secret ? Buffer.from(secret, 'hex') : randomBytes(32);
    // the console's is the cluster's: a member that has one older than this gives it at the next
    // SMD exchange, so a console login made through any member is verified by all of them
    this.consoleKey = consoleKey ?? { key: randomBytes(32), stamp: { t: Math.floor(opts.nowMs()), n: opts.nodeId } };
    if (!secret) {
      // the first start: Aerospike EE creates `admin` holding user-admin. Its stamp is below any
      // real change, so a node started later never resets a password the cluster changed.
      if (!this.userStamps.has('admin')) this.adopt({ kind: 'user', name: 'admin', stamp: FIRST_START_STAMP, user: { name: 'admin', credential: opts.adminCredential, roles: ['user-admin'] } });
    }
    if (!secret || !consoleKey) this.save();
  }

  /** Writes everything to SMD and drops the compiled privileges. */
  save(): void {
    this.effective.clear();
    if (!this.smd) return;
    const items: FileItem[] = [{ kind: 'secret', secret: this.secret.toString('hex') }];
    items.push(...this.items());
    this.smd.save('security', items);
  }

  /**
   * Every user and role with its stamp, tombstones included, the console-token key and the
   * console logouts not yet expired (what other members merge).
   */
  items(): SecItem[] {
    const out: SecItem[] = [];
    for (const [name, stamp] of this.userStamps) out.push({ kind: 'user', name, stamp, user: this.users.get(name) });
    for (const [name, stamp] of this.roleStamps) out.push({ kind: 'role', name, stamp, role: this.roles.get(name) });
    out.push({ kind: 'console-key', name: 'console', stamp: this.consoleKey.stamp, key: this.consoleKey.key.toString('hex') });
    const nowS = Math.floor(this.opts.nowMs() / 1000);
    for (const [name, l] of this.consoleLogouts) if (l.expiresAtS > nowS) out.push({ kind: 'console-logout', name, stamp: l.stamp, expiresAtS: l.expiresAtS });
    return out;
  }

  /**
   * Runs an admin command's changes as one: saved once and handed to `onLocalChange` together.
   */
  change(fn: () => void): void {
    const outer = this.pending === undefined;
    if (outer) this.pending = [];
    try {
      fn();
    } finally {
      if (outer) {
        const items = this.pending!;
        this.pending = undefined;
        if (items.length > 0) {
          this.save();
          this.onLocalChange?.(items);
        }
      }
    }
  }

  private stampAfter(prev: Stamp | undefined): Stamp {
    const t = Math.max(Math.floor(this.opts.nowMs()), prev ? prev.t + 1 : 0);
    return { t, n: this.opts.nodeId };
  }

  private local(item: SecItem): void {
    this.change(() => {
      this.adopt(item);
      this.pending!.push(item);
    });
  }

  /** Creates or replaces a user (a copy of `def` is kept). */
  putUser(def: UserDef): void {
    const user: UserDef = { name: def.name, credential: def.credential, roles: [...def.roles], ...(def.external ? { external: true as const } : {}) };
    this.local({ kind: 'user', name: def.name, stamp: this.stampAfter(this.userStamps.get(def.name)), user });
  }

  /** Drops a user, leaving a tombstone. */
  dropUser(name: string): void {
    this.local({ kind: 'user', name, stamp: this.stampAfter(this.userStamps.get(name)) });
  }

  putRole(def: RoleDef): void {
    const role: RoleDef = { name: def.name, privileges: def.privileges.map((p) => ({ ...p })), whitelist: [...def.whitelist], readQuota: def.readQuota, writeQuota: def.writeQuota };
    this.local({ kind: 'role', name: def.name, stamp: this.stampAfter(this.roleStamps.get(def.name)), role });
  }

  dropRole(name: string): void {
    this.local({ kind: 'role', name, stamp: this.stampAfter(this.roleStamps.get(name)) });
  }

  /**
   * Merges items another member sent (its changes, or all it has at a new cluster): each one
   * later than what this node holds replaces it. Answers how many did; malformed items are skipped.
   */
  merge(remote: readonly unknown[]): number {
    let applied = 0;
    const nowS = Math.floor(this.opts.nowMs() / 1000);
    for (const raw of remote) {
      const item = checkItem(raw);
      if (!item) continue;
      if (item.kind === 'console-key') {
        // the earlier key wins: a node that joins adopts the cluster's, and its own logins made
        // before it joined end (their users log in again)
        if (!laterStamp(this.consoleKey.stamp, item.stamp)) continue;
        this.consoleKey = { key: Buffer.from(item.key, 'hex'), stamp: item.stamp };
        applied++;
        continue;
      }
      if (item.kind === 'console-logout') {
        if (this.consoleLogouts.has(item.name) || item.expiresAtS <= nowS) continue;
        this.addLogout(item.name, item.expiresAtS, item.stamp, nowS);
        applied++;
        continue;
      }
      const stamps = item.kind === 'user' ? this.userStamps : this.roleStamps;
      const mine = stamps.get(item.name);
      if (mine && !laterStamp(item.stamp, mine)) continue;
      this.adopt(item);
      applied++;
    }
    if (applied > 0) this.save();
    return applied;
  }

  /** Remembers a logout, dropping expired ones and, past CONSOLE_LOGOUTS_MAX, the one expiring soonest. */
  private addLogout(id: string, expiresAtS: number, stamp: Stamp, nowS: number): void {
    for (const [k, l] of this.consoleLogouts) if (l.expiresAtS <= nowS) this.consoleLogouts.delete(k);
    this.consoleLogouts.set(id, { expiresAtS, stamp });
    if (this.consoleLogouts.size > CONSOLE_LOGOUTS_MAX) {
      let soonest: string | undefined;
      let at = Infinity;
      for (const [k, l] of this.consoleLogouts) if (l.expiresAtS < at) [soonest, at] = [k, l.expiresAtS];
      this.consoleLogouts.delete(soonest!);
    }
  }

  /** Takes an item as the current state of its name (no checks of order). */
  private adopt(item: SecItem): void {
    if (item.kind === 'console-key' || item.kind === 'console-logout') return;
    this.effective.clear();
    if (item.kind === 'user') {
      this.userStamps.set(item.name, item.stamp);
      if (item.user) this.users.set(item.name, item.user);
      else this.users.delete(item.name);
    } else {
      this.roleStamps.set(item.name, item.stamp);
      if (item.role) this.roles.set(item.name, item.role);
      else this.roles.delete(item.name);
    }
    this.trimTombstones(item.kind === 'user' ? this.userStamps : this.roleStamps, item.kind === 'user' ? this.users : this.roles);
  }

  private trimTombstones(stamps: Map<string, Stamp>, live: Map<string, unknown>): void {
    const dead = stamps.size - live.size;
    if (dead <= TOMBSTONES_MAX) return;
    const tombs = [...stamps].filter(([name]) => !live.has(name)).sort((a, b) => (laterStamp(a[1], b[1]) ? 1 : -1));
    for (const [name] of tombs.slice(0, dead - TOMBSTONES_MAX)) stamps.delete(name);
  }

  role(name: string): RoleDef | undefined {
    return this.roles.get(name) ?? PREDEFINED_ROLES.get(name);
  }

  /** The user's privileges compiled (cached until the next change). */
  effectiveOf(user: string): Effective | undefined {
    const cached = this.effective.get(user);
    if (cached) return cached;
    const def = this.users.get(user);
    if (!def) return undefined;
    const eff: Effective = { global: 0, scoped: new Map(), whitelist: [], readQuota: 0, writeQuota: 0 };
    for (const roleName of def.roles) {
      const role = this.role(roleName);
      if (!role) continue;
      for (const p of role.privileges) {
        const bits = PRIV_PERMS.get(p.code) ?? 0;
        if (p.code < FIRST_SCOPED_PRIV || p.ns === '') eff.global |= bits;
        else {
          const key = p.set === '' ? p.ns : `${p.ns}\0${p.set}`;
          eff.scoped.set(key, (eff.scoped.get(key) ?? 0) | bits);
        }
      }
      eff.whitelist.push(...role.whitelist);
      // several roles with quotas: the largest applies
      eff.readQuota = Math.max(eff.readQuota, role.readQuota);
      eff.writeQuota = Math.max(eff.writeQuota, role.writeQuota);
    }
    this.effective.set(user, eff);
    return eff;
  }

  /** A client login's session token: user, expiry (unix seconds) and an HMAC under this node's secret. */
  issueToken(user: string, expiresAtS: number): Buffer {
    return signToken(this.secret, this.tokenHash.alg, TOKEN_CLIENT, expiresAtS, Buffer.alloc(0), user);
  }

  /** token-hash-method: the MAC of this node's client tokens and of the console tokens it issues. */
  private get tokenHash(): (typeof TOKEN_HASHES)[keyof typeof TOKEN_HASHES] {
    return TOKEN_HASHES[this.opts.tokenHashMethod ?? 'sha-256'];
  }

  /**
   * A console session's token: a random session id, user, expiry (unix seconds) and an HMAC under
   * the cluster's console key, so every member verifies it (the console's cookie, and AUTHENTICATE
   * on a member's service port when the console asks the other members for their partitions).
   */
  issueConsoleToken(user: string, expiresAtS: number): Buffer {
    return signToken(this.consoleKey.key, this.tokenHash.alg, TOKEN_CONSOLE, expiresAtS, randomBytes(CONSOLE_SESSION_ID_BYTES), user);
  }

  /**
   * Checks a token of either kind: the user it names (and, for a console token, its session id),
   * 'expired', or undefined when forged, malformed or logged out.
   */
  verifyToken(token: Buffer, nowS: number): { user: string; consoleSession?: string } | 'expired' | undefined {
    const version = token[0];
    if (version !== TOKEN_CLIENT && version !== TOKEN_CONSOLE) return undefined;
    const idBytes = version === TOKEN_CONSOLE ? CONSOLE_SESSION_ID_BYTES : 0;
    const nameAt = 6 + idBytes;
    if (token.length <= nameAt) return undefined;
    const nameLen = token[5 + idBytes]!;
    const macBytes = token.length - nameAt - nameLen;
    // a client token is this node's, with its token-hash-method; a console token may come from a
    // member configured with the other method: its MAC's length says which
    const hash = version === TOKEN_CLIENT ? this.tokenHash : Object.values(TOKEN_HASHES).find((h) => h.bytes === macBytes);
    if (!hash || macBytes !== hash.bytes) return undefined;
    const body = token.subarray(0, nameAt + nameLen);
    const mac = createHmac(hash.alg, version === TOKEN_CONSOLE ? this.consoleKey.key : this.secret).update(body).digest();
    if (!timingSafeEqual(mac, token.subarray(nameAt + nameLen))) return undefined;
    if (token.readUInt32BE(1) <= nowS) return 'expired';
    const user = body.toString('utf8', nameAt);
    if (version === TOKEN_CLIENT) return { user };
    const id = token.toString('hex', 5, 5 + idBytes);
    return this.consoleLogouts.has(id) ? undefined : { user, consoleSession: id };
  }

  /**
   * Logs a console session out on every member: its id is remembered (and sent to the others)
   * until the token would have expired. A token that does not verify changes nothing.
   */
  logoutConsoleToken(token: Buffer, nowS: number): boolean {
    const v = this.verifyToken(token, nowS);
    if (typeof v !== 'object' || v.consoleSession === undefined) return false;
    const id = v.consoleSession;
    const expiresAtS = token.readUInt32BE(1);
    const stamp = this.stampAfter(undefined);
    this.change(() => {
      this.addLogout(id, expiresAtS, stamp, nowS);
      this.pending!.push({ kind: 'console-logout', name: id, stamp, expiresAtS });
    });
    return true;
  }
}

/** `[version][expiry:4][id][name length:1][name][HMAC (`alg`) of all before it]`. */
function signToken(key: Buffer, alg: string, version: number, expiresAtS: number, id: Buffer, user: string): Buffer {
  const name = Buffer.from(user, 'utf8');
  const body = Buffer.alloc(6 + id.length + name.length);
  body[0] = version;
  body.writeUInt32BE(expiresAtS >>> 0, 1);
  id.copy(body, 5);
  body[5 + id.length] = name.length;
  name.copy(body, 6 + id.length);
  return Buffer.concat([body, createHmac(alg, key).update(body).digest()]);
}

/** Constant-time comparison of two credentials. */
export function sameCredential(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** True when `address` (as the socket reports it) is allowed by `list` (empty: anywhere). */
export function allowedFrom(list: readonly string[], address: string): boolean {
  if (list.length === 0) return true;
  const addr = address.startsWith('::ffff:') ? address.slice(7) : address;
  for (const entry of list) {
    if (entry === addr) return true;
    const slash = entry.indexOf('/');
    if (slash > 0) {
      const base = ipv4(entry.slice(0, slash));
      const bits = Number(entry.slice(slash + 1));
      const a = ipv4(addr);
      if (base === undefined || a === undefined || !(bits >= 0 && bits <= 32)) continue;
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      if (((a & mask) >>> 0) === ((base & mask) >>> 0)) return true;
    }
  }
  return false;
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    const n = Number(p);
    if (!/^\d{1,3}$/.test(p) || n > 255) return undefined;
    v = v * 256 + n;
  }
  return v;
}

/** A valid allowlist entry: an IP literal or an IPv4 CIDR block. */
export function validWhitelistEntry(entry: string): boolean {
  const slash = entry.indexOf('/');
  if (slash > 0) {
    const bits = entry.slice(slash + 1);
    return ipv4(entry.slice(0, slash)) !== undefined && /^\d{1,2}$/.test(bits) && Number(bits) <= 32;
  }
  return ipv4(entry) !== undefined || /^[0-9a-fA-F:]+$/.test(entry) && entry.includes(':');
}

/** An item from a file or another member, checked field by field; undefined when malformed. */
function checkItem(raw: unknown): SecItem | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const it = raw as Record<string, unknown>;
  const legacy = it['name'] === undefined;
  // files written before items carried stamps hold the definition only
  const def = (it['kind'] === 'user' ? it['user'] : it['role']) as Record<string, unknown> | undefined;
  const name = legacy ? def?.['name'] : it['name'];
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > NAME_MAX_BYTES) return undefined;
  const st = it['stamp'] as Record<string, unknown> | undefined;
  const stamp: Stamp = st && Number.isFinite(st['t']) && typeof st['n'] === 'string' ? { t: st['t'] as number, n: st['n'] } : { t: 1, n: '' };
  if (it['kind'] === 'console-key') {
    const key = it['key'];
    return typeof key === 'string' && /^[0-9a-f]{64}$/.test(key) && st ? { kind: 'console-key', name, stamp, key } : undefined;
  }
  if (it['kind'] === 'console-logout') {
    const exp = it['expiresAtS'];
    const idHex = CONSOLE_SESSION_ID_BYTES * 2;
    return typeof exp === 'number' && Number.isInteger(exp) && exp > 0 && name.length === idHex && /^[0-9a-f]+$/.test(name) ? { kind: 'console-logout', name, stamp, expiresAtS: exp } : undefined;
  }
  if (it['kind'] === 'user') {
    if (def === undefined) return { kind: 'user', name, stamp };
    const roles = def['roles'];
    if (def['name'] !== name || typeof def['credential'] !== 'string' || !Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) return undefined;
    return { kind: 'user', name, stamp, user: { name, credential: def['credential'], roles: roles as string[], ...(def['external'] === true ? { external: true as const } : {}) } };
  }
  if (it['kind'] === 'role') {
    if (def === undefined) return { kind: 'role', name, stamp };
    const privs = def['privileges'];
    const wl = def['whitelist'];
    if (def['name'] !== name || !Array.isArray(privs) || !Array.isArray(wl) || !wl.every((w) => typeof w === 'string')) return undefined;
    const privileges: Privilege[] = [];
    for (const p of privs as Record<string, unknown>[]) {
      if (typeof p?.['code'] !== 'number' || !PRIV_NAMES.has(p['code']) || typeof p['ns'] !== 'string' || typeof p['set'] !== 'string') return undefined;
      privileges.push({ code: p['code'], ns: p['ns'], set: p['set'] });
    }
    const rq = Number(def['readQuota'] ?? 0);
    const wq = Number(def['writeQuota'] ?? 0);
    if (!Number.isInteger(rq) || !Number.isInteger(wq) || rq < 0 || wq < 0) return undefined;
    return { kind: 'role', name, stamp, role: { name, privileges, whitelist: wl as string[], readQuota: rq, writeQuota: wq } };
  }
  return undefined;
}
