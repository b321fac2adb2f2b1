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
  /** the client's bcrypt hash of the password (60 characters) */
  credential: string;
  roles: string[];
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

interface SmdItem {
  kind: 'secret' | 'user' | 'role';
  secret?: string;
  user?: UserDef;
  role?: RoleDef;
}

export class SecurityStore {
  readonly users = new Map<string, UserDef>();
  readonly roles = new Map<string, RoleDef>();
  private secret: Buffer;
  private readonly effective = new Map<string, Effective>();

  /**
   * @param smd where users and roles persist (undefined: memory only, for tools and unit tests)
   * @param adminCredential the bcrypt credential of the `admin` user created on the first start
   */
  constructor(
    private readonly smd: SmdStore | undefined,
    adminCredential: string,
  ) {
    const items = smd?.load<SmdItem>('security') ?? [];
    let secret: string | undefined;
    for (const it of items) {
      if (it.kind === 'secret' && it.secret) secret = it.secret;
      else if (it.kind === 'user' && it.user) this.users.set(it.user.name, it.user);
      else if (it.kind === 'role' && it.role) this.roles.set(it.role.name, it.role);
    }
    this.secret = secret ? Buffer.from(secret, 'hex') : randomBytes(32);
    if (!secret) {
      // the first start: Aerospike EE creates `admin` holding user-admin
      this.users.set('admin', { name: 'admin', credential: adminCredential, roles: ['user-admin'] });
      this.save();
    }
  }

  /** Writes everything to SMD and drops the compiled privileges. */
  save(): void {
    this.effective.clear();
    const items: SmdItem[] = [{ kind: 'secret', secret: this.secret.toString('hex') }];
    for (const user of this.users.values()) items.push({ kind: 'user', user });
    for (const role of this.roles.values()) items.push({ kind: 'role', role });
    this.smd?.save('security', items);
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

  /** A session token: user, expiry (unix seconds) and an HMAC under the cluster's secret. */
  issueToken(user: string, expiresAtS: number): Buffer {
    const name = Buffer.from(user, 'utf8');
    const body = Buffer.alloc(1 + 4 + 1 + name.length);
    body[0] = 1;
    body.writeUInt32BE(expiresAtS >>> 0, 1);
    body[5] = name.length;
    name.copy(body, 6);
    return Buffer.concat([body, createHmac('sha256', this.secret).update(body).digest()]);
  }

  /** Checks a token: the user it names, 'expired', or undefined when forged or malformed. */
  verifyToken(token: Buffer, nowS: number): { user: string } | 'expired' | undefined {
    if (token.length < 6 + 32 || token[0] !== 1) return undefined;
    const nameLen = token[5]!;
    if (token.length !== 6 + nameLen + 32) return undefined;
    const body = token.subarray(0, 6 + nameLen);
    const mac = createHmac('sha256', this.secret).update(body).digest();
    if (!timingSafeEqual(mac, token.subarray(6 + nameLen))) return undefined;
    if (token.readUInt32BE(1) <= nowS) return 'expired';
    return { user: body.toString('utf8', 6) };
  }
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
