/**
 * The `tls <name> { }` stanzas made usable: each named context's files are read at start into
 * node:tls options (a bad file or value stops the start with `file:line: reason`) and again every
 * `tls-refresh-period` (Aerospike EE: new connections then use the new certificate, key, CAs and
 * blacklist; a file that no longer loads keeps the old context and is named in a warning), and the
 * checks Aerospike EE applies to a peer's certificate: subject names (`tls-authenticate-client`,
 * node names between cluster members), the `cert-blacklist`, and the PKI user a client
 * certificate names.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, type DetailedPeerCertificate, type PeerCertificate, type SecureContextOptions } from 'node:tls';
import { blacklistHas, parseBlacklist } from '../util/x509-revocation.js';
import { ConfigError } from '../config/errors.js';
import type { TlsConfig } from '../config/model.js';

/** Most CA files read from one `ca-path` directory (a bound on start-up work). */
export const CA_PATH_MAX_FILES = 1024;
/** Largest certificate, key, CA or blacklist file read (a PEM bundle is far smaller). */
export const TLS_FILE_MAX_BYTES = 16 * 1024 * 1024;

/**
 * One usable TLS context: node:tls options plus the checks applied after a handshake. `options`
 * and `blacklist` are replaced in place by a refresh ({@link refreshTlsContext}); a holder that
 * built a listener from them subscribes with `onChange` to swap the listener's secure context.
 */
export interface TlsContext {
  name: string;
  /** cert, key, passphrase, ca, ciphers, min/max version (for servers and clients alike) */
  options: SecureContextOptions;
  /** revoked certificates: upper-case hex serial (no leading zeros) → issuer text, '' = any issuer */
  blacklist: Map<string, string[]>;
  /** `pki-user-append-ou`: a PKI login's user is the CN followed by the certificate's OUs */
  pkiUserAppendOu: boolean;
  /** the stanza it was read from (a refresh reads the same files again) */
  readonly config: TlsConfig;
  /** listeners called after a refresh replaced `options` / `blacklist` */
  readonly listeners: (() => void)[];
}

/** Calls `fn` after every refresh that changed the context's files (new connections use them). */
export function onTlsContextChange(ctx: TlsContext, fn: () => void): void {
  ctx.listeners.push(fn);
}

type Protocol = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
const PROTOCOLS: readonly Protocol[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * Apache SSLProtocol-style `protocols` (what Aerospike reads): words `all`, `TLSv1`, `TLSv1.1`,
 * `TLSv1.2`, `TLSv1.3`, each optionally prefixed `+` or `-`; a bare word replaces the set. Node's
 * TLS takes a contiguous range, so the answer is the lowest and highest protocol enabled.
 * @throws Error naming the word it cannot use
 */
export function parseProtocols(text: string): { minVersion: Protocol; maxVersion: Protocol } {
  let enabled = new Set<Protocol>();
  for (const word of text.split(/[\s,]+/).filter((w) => w.length > 0)) {
    const sign = word[0] === '+' || word[0] === '-' ? word[0] : '';
    const name = sign ? word.slice(1) : word;
    const set: Protocol[] = name.toLowerCase() === 'all' ? [...PROTOCOLS] : PROTOCOLS.filter((p) => p.toLowerCase() === name.toLowerCase());
    if (set.length === 0) {
      if (/^sslv[23]$/i.test(name)) throw new Error(`protocol ${name} is not supported (insecure)`);
      throw new Error(`unknown protocol '${word}' (TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, all)`);
    }
    if (sign === '') enabled = new Set(set);
    else for (const p of set) sign === '+' ? enabled.add(p) : enabled.delete(p);
  }
  const on = PROTOCOLS.filter((p) => enabled.has(p));
  if (on.length === 0) throw new Error(`'${text}' enables no protocol`);
  return { minVersion: on[0]!, maxVersion: on[on.length - 1]! };
}

/**
 * Aerospike's secret references for `key-file-password`: `file:<path>` (first line of the file),
 * `env:<VAR>`, `env-b64:<VAR>` (base64), else the text itself.
 */
function resolveSecret(text: string): string {
  if (text.startsWith('file:')) return readBounded(text.slice(5)).toString('utf8').split('\n')[0]!.replace(/\r$/, '');
  if (text.startsWith('env-b64:') || text.startsWith('env:')) {
    const b64 = text.startsWith('env-b64:');
    const name = text.slice(b64 ? 8 : 4);
    const v = process.env[name];
    if (v === undefined) throw new Error(`environment variable ${name} is not set`);
    return b64 ? Buffer.from(v, 'base64').toString('utf8') : v;
  }
  return text;
}

function readBounded(path: string): Buffer {
  const size = statSync(path).size;
  if (size > TLS_FILE_MAX_BYTES) throw new Error(`${path} is larger than ${TLS_FILE_MAX_BYTES} bytes`);
  return readFileSync(path);
}

/**
 * Reads the files of one `tls` stanza into a usable context.
 * @throws ConfigError naming the stanza line of the parameter at fault
 */
export function loadTlsContext(cfg: TlsConfig): TlsContext {
  const { options, blacklist } = readTlsFiles(cfg);
  return { name: cfg.name, options, blacklist, pkiUserAppendOu: cfg.pkiUserAppendOu, config: cfg, listeners: [] };
}

/** The node:tls options and blacklist a stanza's files make. @throws ConfigError */
function readTlsFiles(cfg: TlsConfig): { options: SecureContextOptions; blacklist: Map<string, string[]> } {
  const at = (key: string) => cfg.source.keyLines[key] ?? cfg.source.line;
  const fail = (key: string, why: string): never => {
    throw new ConfigError(cfg.source.file, at(key), `tls '${cfg.name}' '${key}' ${why}`);
  };
  const read = (key: string, path: string): Buffer => {
    try {
      return readBounded(path);
    } catch (e) {
      return fail(key, `cannot be read: ${(e as Error).message}`);
    }
  };
  const options: SecureContextOptions = {};
  try {
    Object.assign(options, parseProtocols(cfg.protocols));
  } catch (e) {
    fail('protocols', (e as Error).message);
  }
  if (cfg.certFile !== undefined) options.cert = read('cert-file', cfg.certFile);
  if (cfg.keyFile !== undefined) options.key = read('key-file', cfg.keyFile);
  if (cfg.keyFilePassword !== undefined) {
    try {
      options.passphrase = resolveSecret(cfg.keyFilePassword);
    } catch (e) {
      fail('key-file-password', (e as Error).message);
    }
  }
  const cas: Buffer[] = [];
  if (cfg.caFile !== undefined) cas.push(read('ca-file', cfg.caFile));
  if (cfg.caPath !== undefined) {
    let names: string[] = [];
    try {
      names = readdirSync(cfg.caPath).sort();
    } catch (e) {
      fail('ca-path', `cannot be read: ${(e as Error).message}`);
    }
    if (names.length > CA_PATH_MAX_FILES) fail('ca-path', `holds more than ${CA_PATH_MAX_FILES} files`);
    for (const n of names) {
      const p = join(cfg.caPath, n);
      if (!statSync(p).isFile()) continue;
      const text = read('ca-path', p);
      // OpenSSL's hashed directories also hold CRLs and other files: only certificates count
      if (text.includes('-----BEGIN CERTIFICATE-----')) cas.push(text);
    }
    if (cas.length === 0) fail('ca-path', 'holds no PEM certificate');
  }
  if (cas.length > 0) options.ca = cas;
  if (cfg.cipherSuite !== undefined) options.ciphers = cfg.cipherSuite;
  let blacklist = new Map<string, string[]>();
  if (cfg.certBlacklist !== undefined) {
    try {
      blacklist = parseBlacklist(read('cert-blacklist', cfg.certBlacklist).toString('utf8'));
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      fail('cert-blacklist', (e as Error).message);
    }
  }
  // let OpenSSL judge the certificate, key, passphrase and cipher list now rather than at the first connection
  try {
    createSecureContext(options);
  } catch (e) {
    const msg = (e as Error).message;
    // a certificate and key that do not belong together: name the certificate (usually the file replaced)
    if (/key values mismatch/i.test(msg)) fail('cert-file', `does not match key-file ${cfg.keyFile}: ${msg}`);
    const key = /cipher/i.test(msg) ? 'cipher-suite' : /pass|decrypt|bad decrypt/i.test(msg) ? 'key-file-password' : /key/i.test(msg) ? 'key-file' : /ca|certificate/i.test(msg) && !options.cert ? 'ca-file' : 'cert-file';
    fail(key, `does not load: ${msg}`);
  }
  return { options, blacklist };
}

/** What a refresh did: `changed` (new files in use), `same` (nothing to do) or `failed` (old kept). */
export type TlsRefreshResult = { kind: 'same' } | { kind: 'changed' } | { kind: 'failed'; file: string; reason: string };

function sameBytes(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameBytes(x, b[i]));
  return a === b;
}

/**
 * Reads a context's files again (Aerospike EE's `tls-refresh-period`). When any of them changed,
 * the context takes the new options and blacklist and its listeners run, so connections accepted
 * or opened from then on use them; open connections keep theirs. When a file can no longer be
 * read or OpenSSL refuses it, the context keeps what it had and the answer names the file.
 */
export function refreshTlsContext(ctx: TlsContext): TlsRefreshResult {
  let next: { options: SecureContextOptions; blacklist: Map<string, string[]> };
  try {
    next = readTlsFiles(ctx.config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // the message is `tls 'x' 'cert-file' cannot be read: ...`: name the file the key points at
    const key = /'([a-z-]+)'/.exec(e.reason.replace(/^tls '[^']*' /, ''))?.[1] ?? '';
    return { kind: 'failed', file: fileOfKey(ctx.config, key), reason: e.reason };
  }
  const keys = new Set([...Object.keys(ctx.options), ...Object.keys(next.options)]) as Set<keyof SecureContextOptions>;
  const optionsSame = [...keys].every((k) => sameBytes(ctx.options[k], next.options[k]));
  const blacklistSame = ctx.blacklist.size === next.blacklist.size && [...next.blacklist].every(([k, v]) => sameBytes(ctx.blacklist.get(k), v));
  if (optionsSame && blacklistSame) return { kind: 'same' };
  ctx.options = next.options;
  ctx.blacklist = next.blacklist;
  for (const fn of ctx.listeners) fn();
  return { kind: 'changed' };
}

function fileOfKey(cfg: TlsConfig, key: string): string {
  const byKey: Record<string, string | undefined> = {
    'cert-file': cfg.certFile,
    'key-file': cfg.keyFile,
    'key-file-password': cfg.keyFilePassword?.startsWith('file:') ? cfg.keyFilePassword.slice(5) : undefined,
    'ca-file': cfg.caFile,
    'ca-path': cfg.caPath,
    'cert-blacklist': cfg.certBlacklist,
  };
  return byKey[key] ?? cfg.certFile ?? cfg.name;
}

/** Shortest refresh period honoured (seconds): a smaller non-zero setting still waits this long. */
export const TLS_REFRESH_MIN_SEC = 1;

/**
 * Re-reads every context's files each `periodSec()` seconds (read again before each wait, so a
 * set-config applies from the next round; 0 = no refresh, checked again after
 * TLS_REFRESH_MIN_SEC). A changed context is logged at info, a refused file as a warning naming
 * it. Returns the function that stops the timer.
 */
export function startTlsRefresh(
  contexts: Iterable<TlsContext>,
  periodSec: () => number,
  log: { info(m: string): void; warning(m: string): void },
): () => void {
  const list = [...contexts];
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = () => {
    if (stopped || list.length === 0) return;
    const p = periodSec();
    timer = setTimeout(() => {
      if (p > 0) {
        for (const ctx of list) {
          const r = refreshTlsContext(ctx);
          if (r.kind === 'changed') log.info(`tls '${ctx.name}': certificate files changed - new connections use them`);
          else if (r.kind === 'failed') log.warning(`tls '${ctx.name}': refresh failed - keeping the loaded context: ${r.file}: ${r.reason}`);
        }
      }
      arm();
    }, Math.max(TLS_REFRESH_MIN_SEC, p) * 1000);
    timer.unref();
  };
  arm();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

/** Loads every `tls` stanza by name. @throws ConfigError */
export function loadTlsContexts(all: readonly TlsConfig[]): Map<string, TlsContext> {
  return new Map(all.map((t) => [t.name, loadTlsContext(t)]));
}

/** The subject names a certificate answers to: its CN and its DNS subject alternative names. */
export function certificateNames(cert: PeerCertificate): string[] {
  const names: string[] = [];
  const cn = cert.subject?.CN;
  if (typeof cn === 'string') names.push(cn);
  else if (Array.isArray(cn)) names.push(...(cn as string[]));
  for (const part of (cert.subjectaltname ?? '').split(',')) {
    const m = /^\s*DNS:(.+)$/.exec(part);
    if (m) names.push(m[1]!.trim());
  }
  return names;
}

/** A name matches a pattern exactly or through a leading `*.` wildcard label (either side). */
function nameMatches(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return true;
  const wild = (w: string, n: string) => w.startsWith('*.') && n.includes('.') && n.slice(n.indexOf('.')) === w.slice(1);
  return wild(x, y) || wild(y, x);
}

/** Whether the certificate names one of `accepted` (CN or DNS alt name, wildcards allowed). */
export function certificateMatches(cert: PeerCertificate, accepted: readonly string[]): boolean {
  const names = certificateNames(cert);
  return accepted.some((a) => names.some((n) => nameMatches(n, a)));
}

/**
 * Whether `cert-blacklist` revokes this certificate or, for a detailed certificate
 * (`getPeerCertificate(true)`), one of its issuers: Aerospike checks every certificate of the chain
 * (serial, and issuer when the line names one).
 */
export function isBlacklisted(ctx: TlsContext, cert: PeerCertificate): boolean {
  if (ctx.blacklist.size === 0) return false;
  let c: PeerCertificate | undefined = cert;
  for (let depth = 0; c && depth < CHAIN_MAX_DEPTH; depth++) {
    if (blacklistHas(ctx.blacklist, c)) return true;
    const next: PeerCertificate | undefined = (c as DetailedPeerCertificate).issuerCertificate;
    if (!next || next === c || next.fingerprint256 === c.fingerprint256) break;
    c = next;
  }
  return false;
}

/** Deepest certificate chain looked at (OpenSSL's default verify depth is 100). */
const CHAIN_MAX_DEPTH = 100;

/**
 * The user a PKI login is (Aerospike EE): the client certificate's subject CN; with
 * `pki-user-append-ou true`, the CN followed by each OU of the subject, in certificate order, each
 * after a '.' (`CN=alice, OU=eng` → `alice.eng`). Undefined = no CN, no PKI user.
 */
export function pkiUserOf(cert: PeerCertificate | undefined, appendOu = false): string | undefined {
  if (!cert || !cert.subject) return undefined;
  const cn = cert.subject.CN;
  const name = Array.isArray(cn) ? (cn as string[])[0] : cn;
  if (typeof name !== 'string' || name.length === 0) return undefined;
  if (!appendOu) return name;
  const ou = cert.subject.OU as string | string[] | undefined;
  const units = ou === undefined ? [] : Array.isArray(ou) ? ou : [ou];
  return [name, ...units.filter((u) => u.length > 0)].join('.');
}
