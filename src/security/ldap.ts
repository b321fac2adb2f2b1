/**
 * External (LDAP) authentication, as Aerospike EE's `security { ldap { } }`: a user the node does
 * not know (or knows as an LDAP user, without a password) logs in with the clients' external auth mode (LOGIN carries the clear password), the
 * node binds to the LDAP server as that user (its DN from `user-dn-pattern`, or found with
 * `user-query-pattern` by the `query-user-dn`), and the user's roles are the names of the groups
 * `role-query-pattern` finds (each group's first RDN value, e.g. `cn=read-write,ou=Groups,...`
 * gives `read-write`), plus the OUs of its DN with `role-query-search-ou`. Uses ldapts: a
 * maintained, dependency-light LDAPv3 client with promises, StartTLS and LDAPS. TLS is on unless
 * `disable-tls true` (Aerospike's default): ldaps:// URLs speak TLS, ldap:// ones run StartTLS,
 * and the server's certificate must be signed by a CA of `tls-ca-file` for the URL's host.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
// ldapts is loaded at the first LDAP login, not at start: only nodes with an `ldap` stanza use it
import type { Client, ClientOptions } from 'ldapts';
import type { LdapConfig } from '../config/model.js';
import { LDAP_LOGIN_QUEUE_MAX, LDAP_LOGIN_WAIT_MAX_MS, LoginSlots } from './login-slots.js';

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

/**
 * StartTLS wraps the open socket, where Node knows no host: without one it checks the certificate
 * against "localhost". The URL's host is what the certificate must name (SNI only for a DNS name).
 */
function startTlsOptions(url: string, ca: Buffer): ConnectionOptions {
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) ? { ca, host } : { ca, host, servername: host };
}

export class LdapAuthenticator {
  private readonly queryPassword: string | undefined;
  /** `server`: one URL or several, comma-separated, tried in order until one connects (as libldap does) */
  private readonly servers: string[];
  /** the CAs of tls-ca-file, read once at start (undefined with disable-tls) */
  private readonly ca: Buffer | undefined;
  private readonly slots: LoginSlots;

  constructor(private readonly cfg: LdapConfig) {
    if (cfg.queryUserPasswordFile !== '') {
      try {
        this.queryPassword = readFileSync(cfg.queryUserPasswordFile, 'utf8').split('\n')[0]!.trim();
      } catch (e) {
        throw new Error(`security ldap query-user-password-file ${cfg.queryUserPasswordFile}: ${(e as Error).message}`);
      }
    }
    if (!cfg.disableTls) {
      try {
        this.ca = readFileSync(cfg.tlsCaFile);
      } catch (e) {
        throw new Error(`security ldap tls-ca-file ${cfg.tlsCaFile}: ${(e as Error).message}`);
      }
    }
    this.servers = cfg.server.split(',');
    this.slots = new LoginSlots(cfg.loginThreads);
  }

  /** Most LDAP logins that ran at once since the start (never above login-threads). */
  get loginsPeak(): number {
    return this.slots.peak;
  }

  /**
   * A connection bound as `dn`: the servers are tried in order and the first that can be reached
   * (and, with TLS, presents a certificate tls-ca-file signed for its name) is used. With TLS on,
   * ldaps:// speaks TLS from the start and ldap:// runs StartTLS before the bind, so no credential
   * crosses the wire in clear. A server that answers (the bind refused, say) ends the search: the
   * next one is only for a server that cannot be reached.
   */
  private async bound(dn: string, password: string): Promise<Client> {
    const { Client, ResultCodeError } = await import('ldapts');
    let lastError: unknown;
    for (const url of this.servers) {
      const tlsOptions = this.ca ? { ca: this.ca } : undefined;
      const opts: ClientOptions = { url, timeout: LDAP_TIMEOUT_MS, connectTimeout: LDAP_TIMEOUT_MS };
      if (tlsOptions && url.startsWith('ldaps:')) opts.tlsOptions = tlsOptions;
      const client = new Client(opts);
      try {
        if (tlsOptions && url.startsWith('ldap:')) await client.startTLS(startTlsOptions(url, tlsOptions.ca));
        await client.bind(dn, password);
        return client;
      } catch (e) {
        await client.unbind().catch(() => undefined);
        if (e instanceof ResultCodeError) throw e;
        lastError = e;
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  /** Binds as `user` with `password`; its DN and roles, or why not (never throws). */
  async login(user: string, password: string): Promise<LdapLogin> {
    // an empty password would be an unauthenticated bind, which LDAP servers accept
    if (password === '') return { ok: false, reason: 'empty password' };
    const slot = await this.slots.acquire();
    if (slot === 'queue-full') return { ok: false, reason: `more than ${LDAP_LOGIN_QUEUE_MAX} LDAP logins waiting for one of login-threads ${this.cfg.loginThreads}` };
    if (slot === 'timed-out') return { ok: false, reason: `waited ${LDAP_LOGIN_WAIT_MAX_MS} ms for one of login-threads ${this.cfg.loginThreads}` };
    let client: Client | undefined;
    try {
      const dn = await this.userDn(user);
      if (dn === undefined) return { ok: false, reason: `user ${user} not found` };
      try {
        client = await this.bound(dn, password);
      } catch (e) {
        if (e instanceof (await import('ldapts')).ResultCodeError) return { ok: false, reason: `bind as ${dn} refused: ${e.message}` };
        throw e;
      }
      // groups are searched as the query user when there is one, else as the user itself
      if (this.cfg.queryUserDn !== '') await client.bind(this.cfg.queryUserDn, this.queryPassword ?? '');
      return { ok: true, dn, roles: await this.rolesWith(client, user, dn) };
    } catch (e) {
      return { ok: false, reason: `LDAP server ${this.cfg.server}: ${(e as Error).message}` };
    } finally {
      await client?.unbind().catch(() => undefined);
      this.slots.release();
    }
  }

  /**
   * The roles of a user logged in before (polling-period), as the query user sees them;
   * undefined when the user is gone from the directory, or when there is no query user.
   */
  async refreshRoles(user: string, dn: string): Promise<string[] | undefined> {
    if (this.cfg.queryUserDn === '') return undefined;
    const client = await this.bound(this.cfg.queryUserDn, this.queryPassword ?? '');
    try {
      if ((await this.userDn(user, client)) === undefined && this.cfg.userDnPattern === '') return undefined;
      return await this.rolesWith(client, user, dn);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /** The user's DN: the pattern, or a search as the query user. */
  private async userDn(user: string, bound?: Client): Promise<string | undefined> {
    if (this.cfg.userDnPattern !== '') return this.cfg.userDnPattern.replaceAll('${un}', escapeDnValue(user));
    const client = bound ?? (await this.bound(this.cfg.queryUserDn, this.queryPassword ?? ''));
    try {
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
