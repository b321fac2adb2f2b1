/**
 * External (LDAP) authentication, as Aerospike EE's `security { ldap { } }`: a user the node does
 * not know logs in with the clients' external auth mode (LOGIN carries the clear password), the
 * node binds to the LDAP server as that user (its DN from `user-dn-pattern`, or found with
 * `user-query-pattern` by the `query-user-dn`), and the user's roles are the names of the groups
 * `role-query-pattern` finds (each group's first RDN value, e.g. `cn=read-write,ou=Groups,...`
 * gives `read-write`), plus the OUs of its DN with `role-query-search-ou`. Uses ldapts: a
 * maintained, dependency-light LDAPv3 client with promises, StartTLS and LDAPS.
 */
import { readFileSync } from 'node:fs';
import { Client, type ClientOptions } from 'ldapts';
import type { LdapConfig } from '../config/model.js';

/** One LDAP operation (connect, bind, search) may take this long (ms) before the login fails. */
export const LDAP_TIMEOUT_MS = 5000;
/** Most groups taken as roles for one user. */
export const LDAP_ROLES_MAX = 255;

/** RFC 4514: a value placed in a DN. */
export function escapeDnValue(v: string): string {
  return v.replace(/[\\,+"<>;=#]/g, (c) => `\\${c}`).replace(/^ | $/g, (c) => `\\${c}`);
}

/** RFC 4515: a value placed in a search filter. */
export function escapeFilterValue(v: string): string {
  return v.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The first RDN's value of a DN (`cn=read-write,ou=Groups` → `read-write`). */
export function firstRdnValue(dn: string): string {
  let out = '';
  let i = dn.indexOf('=');
  if (i < 0) return '';
  for (i++; i < dn.length; i++) {
    const c = dn[i]!;
    if (c === '\\' && i + 1 < dn.length) out += dn[++i];
    else if (c === ',' || c === '+') break;
    else out += c;
  }
  return out.trim();
}

/** The values of the `ou=` RDNs of a DN. */
function ouValues(dn: string): string[] {
  return dn
    .split(/(?<!\\),/)
    .map((r) => r.trim())
    .filter((r) => /^ou=/i.test(r))
    .map((r) => firstRdnValue(r));
}

export type LdapLogin = { ok: true; dn: string; roles: string[] } | { ok: false; reason: string };

export class LdapAuthenticator {
  private readonly queryPassword: string | undefined;

  constructor(private readonly cfg: LdapConfig) {
    if (cfg.queryUserPasswordFile !== '') {
      try {
        this.queryPassword = readFileSync(cfg.queryUserPasswordFile, 'utf8').split('\n')[0]!.trim();
      } catch (e) {
        throw new Error(`security ldap query-user-password-file ${cfg.queryUserPasswordFile}: ${(e as Error).message}`);
      }
    }
  }

  private async connect(): Promise<Client> {
    const tlsOptions = this.cfg.disableTls ? undefined : { ca: readFileSync(this.cfg.tlsCaFile) };
    const opts: ClientOptions = { url: this.cfg.server, timeout: LDAP_TIMEOUT_MS, connectTimeout: LDAP_TIMEOUT_MS };
    if (tlsOptions && this.cfg.server.startsWith('ldaps:')) opts.tlsOptions = tlsOptions;
    const client = new Client(opts);
    // ldap:// with TLS on: StartTLS before any credential crosses the wire
    if (tlsOptions && this.cfg.server.startsWith('ldap:')) await client.startTLS(tlsOptions);
    return client;
  }

  /** Binds as `user` with `password`; its DN and roles, or why not (never throws). */
  async login(user: string, password: string): Promise<LdapLogin> {
    // an empty password would be an unauthenticated bind, which LDAP servers accept
    if (password === '') return { ok: false, reason: 'empty password' };
    let client: Client | undefined;
    try {
      const dn = await this.userDn(user);
      if (dn === undefined) return { ok: false, reason: `user ${user} not found` };
      client = await this.connect();
      try {
        await client.bind(dn, password);
      } catch (e) {
        return { ok: false, reason: `bind as ${dn} refused: ${(e as Error).message}` };
      }
      // groups are searched as the query user when there is one, else as the user itself
      if (this.cfg.queryUserDn !== '') await client.bind(this.cfg.queryUserDn, this.queryPassword ?? '');
      return { ok: true, dn, roles: await this.rolesWith(client, user, dn) };
    } catch (e) {
      return { ok: false, reason: `LDAP server ${this.cfg.server}: ${(e as Error).message}` };
    } finally {
      await client?.unbind().catch(() => undefined);
    }
  }

  /**
   * The roles of a user logged in before (polling-period), as the query user sees them;
   * undefined when the user is gone from the directory, or when there is no query user.
   */
  async refreshRoles(user: string, dn: string): Promise<string[] | undefined> {
    if (this.cfg.queryUserDn === '') return undefined;
    const client = await this.connect();
    try {
      await client.bind(this.cfg.queryUserDn, this.queryPassword ?? '');
      if ((await this.userDn(user, client)) === undefined && this.cfg.userDnPattern === '') return undefined;
      return await this.rolesWith(client, user, dn);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /** The user's DN: the pattern, or a search as the query user. */
  private async userDn(user: string, bound?: Client): Promise<string | undefined> {
    if (this.cfg.userDnPattern !== '') return this.cfg.userDnPattern.replaceAll('${un}', escapeDnValue(user));
    const client = bound ?? (await this.connect());
    try {
      if (!bound) await client.bind(this.cfg.queryUserDn, this.queryPassword ?? '');
      const filter = this.cfg.userQueryPattern.replaceAll('${un}', escapeFilterValue(user));
      const { searchEntries } = await client.search(this.cfg.queryBaseDn, { scope: 'sub', filter, attributes: ['dn'], sizeLimit: 2 });
      return searchEntries.length === 1 ? searchEntries[0]!.dn : undefined;
    } finally {
      if (!bound) await client.unbind().catch(() => undefined);
    }
  }

  private async rolesWith(client: Client, user: string, dn: string): Promise<string[]> {
    const roles = new Set<string>();
    const base = this.cfg.roleQueryBaseDn !== '' ? this.cfg.roleQueryBaseDn : this.cfg.queryBaseDn;
    for (const pattern of this.cfg.roleQueryPatterns) {
      const filter = pattern.replaceAll('${un}', escapeFilterValue(user)).replaceAll('${dn}', escapeFilterValue(dn));
      const { searchEntries } = await client.search(base, { scope: 'sub', filter, attributes: ['dn'], sizeLimit: LDAP_ROLES_MAX });
      for (const e of searchEntries) {
        const name = firstRdnValue(e.dn);
        if (name !== '') roles.add(name);
      }
    }
    if (this.cfg.roleQuerySearchOu) for (const ou of ouValues(dn)) roles.add(ou);
    return [...roles].slice(0, LDAP_ROLES_MAX);
  }
}
