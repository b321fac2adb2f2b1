/**
 * A real OpenLDAP server (Debian's `slapd`) for a test: its own temporary slapd.conf and mdb
 * database, listening on 127.0.0.1 at a free port, started in the foreground and stopped by PID.
 * `.ci/run` installs slapd when it is missing; without it, startSlapd throws saying so (the test
 * fails loudly rather than skipping).
 *
 * With `tls`, slapd also listens for LDAPS on a second port and offers StartTLS on the first, with
 * the given certificate (slapd.conf's global TLSCertificateFile / TLSCertificateKeyFile /
 * TLSCACertificateFile, read by Debian's GnuTLS build; the test's own files, readable by the user
 * the test runs as, since slapd runs as that user), and refuses a simple bind without TLS
 * (`security simple_bind=128`), so a client that "succeeds" in clear cannot pass a TLS test. Its
 * `admin()` then binds over StartTLS too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { freePorts } from './strato-cluster.js';
import { trackProcess, trackTempDir } from './cleanup.js';

export const SLAPD_BIN = '/usr/sbin/slapd';
const SCHEMA_DIR = '/etc/ldap/schema';
/** How long slapd may take to accept connections. */
const START_TIMEOUT_MS = 15_000;

export interface SlapdTls {
  cert: string;
  key: string;
  /** the CA file that signed `cert` (what a client must trust) */
  ca: string;
}

export interface Slapd {
  /** ldap:// URL (StartTLS offered when started with `tls`) */
  url: string;
  /** ldaps:// URL when started with `tls` */
  ldapsUrl?: string | undefined;
  suffix: string;
  rootDn: string;
  rootPassword: string;
  dir: string;
  /** a client bound as the root DN (the caller unbinds it) */
  admin(): Promise<Client>;
  stop(): Promise<void>;
}

export async function startSlapd(suffix = 'dc=example,dc=com', tls?: SlapdTls): Promise<Slapd> {
  if (!existsSync(SLAPD_BIN) || !existsSync(join(SCHEMA_DIR, 'core.schema'))) {
    throw new Error(`LDAP test cannot run: ${SLAPD_BIN} or ${SCHEMA_DIR} is missing - install Debian's slapd (apt-get install slapd ldap-utils; .ci/run does)`);
  }
  const dir = trackTempDir(mkdtempSync(join(tmpdir(), 'strato-slapd-')));
  mkdirSync(join(dir, 'data'));
  const rootDn = `cn=admin,${suffix}`;
  const rootPassword = 'root-secret';
  const [port, tlsPort] = await freePorts(2);
  const conf = [
    ...['core', 'cosine', 'nis', 'inetorgperson'].map((s) => `include ${SCHEMA_DIR}/${s}.schema`),
    `pidfile ${join(dir, 'slapd.pid')}`,
    // TLS settings are global: before the first `database` line
    ...(tls ? [`TLSCACertificateFile ${tls.ca}`, `TLSCertificateFile ${tls.cert}`, `TLSCertificateKeyFile ${tls.key}`, 'security simple_bind=128'] : []),
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'database mdb',
    `suffix "${suffix}"`,
    `rootdn "${rootDn}"`,
    `rootpw ${rootPassword}`,
    `directory ${join(dir, 'data')}`,
    'maxsize 10485760',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'slapd.conf'), conf);
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = tls ? `ldaps://127.0.0.1:${tlsPort}` : undefined;
  const listen = ldapsUrl ? `${url}/ ${ldapsUrl}/` : `${url}/`;
  // -d 0: stay in the foreground (so the test owns the PID) without debug output
  const proc: ChildProcess = spawn(SLAPD_BIN, ['-f', join(dir, 'slapd.conf'), '-h', listen, '-d', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  trackProcess(proc, `slapd pid ${proc.pid} in ${dir}`);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        rmSync(dir, { recursive: true, force: true });
        return resolve();
      }
      const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => {
        clearTimeout(kill);
        rmSync(dir, { recursive: true, force: true });
        resolve();
      });
      proc.kill('SIGTERM');
    });
  const admin = async () => {
    const c = new Client({ url, timeout: 5000, connectTimeout: 5000 });
    // the socket StartTLS wraps has no host of its own: name the one the certificate must match
    if (tls) await c.startTLS({ ca: readFileSync(tls.ca), host: '127.0.0.1' });
    await c.bind(rootDn, rootPassword);
    return c;
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`slapd exited with ${proc.exitCode}:\n${out}`);
    }
    try {
      const c = await admin();
      await c.unbind();
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`slapd did not accept a bind within ${START_TIMEOUT_MS} ms (${(e as Error).message}):\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, ldapsUrl, suffix, rootDn, rootPassword, dir, admin, stop };
}

/**
 * Fills a fresh directory the way the LDAP tests do: the `base` entry (dc=example), ou=People and
 * ou=Groups under it, then one inetOrgPerson per `users` entry ([uid, password]; uid = cn = sn) under
 * People, then one posixGroup per `groups` entry ([cn, gidNumber, memberUid]) under Groups, in that order.
 */
export async function addDirectoryEntries(slapd: Slapd, base: string, users: [string, string][], groups: [string, string, string][]): Promise<void> {
  const c = await slapd.admin();
  try {
    await c.add(base, { objectClass: ['dcObject', 'organization'], dc: 'example', o: 'Example' });
    await c.add(`ou=People,${base}`, { objectClass: 'organizationalUnit', ou: 'People' });
    await c.add(`ou=Groups,${base}`, { objectClass: 'organizationalUnit', ou: 'Groups' });
    for (const [uid, pw] of users) {
      await c.add(`uid=${uid},ou=People,${base}`, { objectClass: 'inetOrgPerson', uid, cn: uid, sn: uid, userPassword: pw });
    }
    for (const [cn, gidNumber, memberUid] of groups) {
      await c.add(`cn=${cn},ou=Groups,${base}`, { objectClass: 'posixGroup', cn, gidNumber, memberUid });
    }
  } finally {
    await c.unbind();
  }
}

/**
 * The `security { ldap { } }` stanza of a node that finds users through a query user (the
 * directory's root) and their roles as the posixGroups listing them, re-read every second.
 * `connection` is the TLS line (`disable-tls true`, or `tls-ca-file <path>`); `passwordFile`
 * holds the root's password.
 */
export function queryUserSecurityStanza(slapd: Slapd, base: string, connection: string, passwordFile: string): string {
  return `security {
  ldap {
    server ${slapd.url}
    ${connection}
    query-base-dn ${base}
    query-user-dn ${slapd.rootDn}
    query-user-password-file ${passwordFile}
    user-query-pattern (&(objectClass=inetOrgPerson)(uid=\${un}))
    role-query-base-dn ou=Groups,${base}
    role-query-pattern (&(objectClass=posixGroup)(memberUid=\${un}))
    polling-period 1
  }
}`;
}
