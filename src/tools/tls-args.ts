/**
 * Aerospike's tools' TLS options (asinfo, asbackup, asrestore): `--tls-enable`, `--tls-name`,
 * `--tls-cafile`, `--tls-capath`, `--tls-protocols`, `--tls-cipher-suite`, `--tls-certfile`,
 * `--tls-keyfile`, `--tls-keyfile-password`, `--tls-cert-blacklist`, `--tls-crl-check`,
 * `--tls-crl-check-all`; with `--tls-enable` every connection the tool opens goes over TLS
 * (client/wire-connection.ts), verifying the node's certificate against the CA and the TLS name
 * (`host:tlsname:port`, else `--tls-name`), and, when asked, against the blacklist and the CRLs
 * found in `--tls-cafile` / `--tls-capath` (as the C client's OpenSSL store loads them).
 */
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, type DetailedPeerCertificate, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { blacklistHas, crlCheck, parseBlacklist, parseCrls, type Crl } from '../util/x509-revocation.js';
import { setWireTls } from '../client/wire-connection.js';
import { UsageError, type OptionSpec, type Options } from './cli-args.js';

/** The option specs every tool adds to its own. */
export const TLS_OPTION_SPECS: OptionSpec[] = [
  { long: 'tls-enable', value: 'none' },
  { long: 'tls-name', value: 'required' },
  { long: 'tls-cafile', value: 'required' },
  { long: 'tls-capath', value: 'required' },
  { long: 'tls-protocols', value: 'required' },
  { long: 'tls-cipher-suite', value: 'required' },
  { long: 'tls-certfile', value: 'required' },
  { long: 'tls-keyfile', value: 'required' },
  { long: 'tls-keyfile-password', value: 'optional' },
  { long: 'tls-cert-blacklist', value: 'required' },
  { long: 'tls-crl-check', value: 'none' },
  { long: 'tls-crl-check-all', value: 'none' },
];

/** Usage lines for the TLS options. */
export const TLS_USAGE = `  --tls-enable           connect over TLS (the node's tls-port)
  --tls-name <name>      the name the node's certificate must present (also host:tlsname:port)
  --tls-cafile <file>    CA certificates (PEM) to verify nodes with
  --tls-capath <dir>     a directory of CA certificates
  --tls-protocols <list> e.g. TLSv1.2, "-all +TLSv1.3" (default TLSv1.2 and up)
  --tls-cipher-suite <s> OpenSSL cipher list
  --tls-certfile <file>  client certificate (PEM) for mutual TLS / --auth PKI
  --tls-keyfile <file>   its private key
  --tls-keyfile-password [pw]  the key's passphrase (env:VAR, file:path; alone: read from stdin)
  --tls-cert-blacklist <file>  refuse node certificates listed there ("<hex serial> [<issuer>]" lines)
  --tls-crl-check        check the node's certificate against a CRL (in --tls-cafile / --tls-capath)
  --tls-crl-check-all    check every certificate of the node's chain against CRLs`;

const PROTOCOLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;

/** Apache-style `--tls-protocols` (as the server's `protocols`) → node's version range. */
function protocolRange(text: string): { minVersion: (typeof PROTOCOLS)[number]; maxVersion: (typeof PROTOCOLS)[number] } {
  let on = new Set<string>();
  for (const word of text.split(/[\s,]+/).filter((w) => w.length > 0)) {
    const sign = word[0] === '+' || word[0] === '-' ? word[0] : '';
    const name = (sign ? word.slice(1) : word).toLowerCase();
    const set = name === 'all' ? [...PROTOCOLS] : PROTOCOLS.filter((p) => p.toLowerCase() === name);
    if (set.length === 0) throw new UsageError(`--tls-protocols: unknown protocol '${word}' (TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, all)`);
    if (sign === '') on = new Set(set);
    else for (const p of set) sign === '+' ? on.add(p) : on.delete(p);
  }
  const list = PROTOCOLS.filter((p) => on.has(p));
  if (list.length === 0) throw new UsageError(`--tls-protocols '${text}' enables no protocol`);
  return { minVersion: list[0]!, maxVersion: list[list.length - 1]! };
}

function readFile(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`--${option} ${path}: ${(e as Error).message}`);
  }
}

function secret(text: string): string {
  if (text.startsWith('file:')) return readFile('tls-keyfile-password', text.slice(5)).toString('utf8').split('\n')[0]!.trim();
  if (text.startsWith('env:')) {
    const v = process.env[text.slice(4)];
    if (v === undefined) throw new UsageError(`--tls-keyfile-password: environment variable ${text.slice(4)} is not set`);
    return v;
  }
  return text;
}

/** What the command line asked for; undefined without `--tls-enable`. */
export interface ToolTls {
  options: SecureContextOptions;
  name: string | undefined;
  /** `--tls-keyfile-password` alone: read the passphrase from standard input */
  promptPassphrase: boolean;
  /** checks after OpenSSL verified the node (blacklist, leaf CRL); a reason refuses the node */
  verifyPeer: ((socket: TLSSocket) => string | undefined) | undefined;
}

/** Deepest certificate chain looked at (OpenSSL's default verify depth is 100). */
const CHAIN_MAX_DEPTH = 100;

/** The node's certificate chain, leaf first (node adds the issuers it found in the CA store). */
function peerChain(socket: TLSSocket): DetailedPeerCertificate[] {
  const chain: DetailedPeerCertificate[] = [];
  let c: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (c && c.raw && chain.length < CHAIN_MAX_DEPTH) {
    chain.push(c);
    const next: DetailedPeerCertificate | undefined = c.issuerCertificate;
    if (!next || next === c || next.fingerprint256 === c.fingerprint256) break;
    c = next;
  }
  return chain;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const PEM_CRL_BLOCK = /-----BEGIN X509 CRL-----[\s\S]*?-----END X509 CRL-----/g;

/**
 * Reads the TLS options. Any `--tls-*` option without `--tls-enable` is refused rather than
 * ignored; a file that cannot be read or parsed is named in the UsageError.
 * @throws UsageError
 */
export function readToolTls(o: Options): ToolTls | undefined {
  const given = TLS_OPTION_SPECS.map((s) => s.long).filter((k) => k !== 'tls-enable' && o.has(k));
  if (!o.has('tls-enable')) {
    if (given.length > 0) throw new UsageError(`--${given[0]} needs --tls-enable`);
    return undefined;
  }
  const options: SecureContextOptions = { minVersion: 'TLSv1.2' };
  const protocols = o.str('tls-protocols');
  if (protocols !== undefined) Object.assign(options, protocolRange(protocols));
  const cas: Buffer[] = [];
  // OpenSSL's store reads CRLs from the same places as CAs: the CA file and the CA directory
  const crlTexts: { option: string; file: string; text: string }[] = [];
  const cafile = o.str('tls-cafile');
  if (cafile !== undefined) {
    const text = readFile('tls-cafile', cafile);
    cas.push(text);
    if (text.includes('-----BEGIN X509 CRL-----')) crlTexts.push({ option: 'tls-cafile', file: cafile, text: text.toString('latin1') });
  }
  const capath = o.str('tls-capath');
  if (capath !== undefined) {
    let names: string[];
    try {
      names = readdirSync(capath).sort();
    } catch (e) {
      throw new UsageError(`--tls-capath ${capath}: ${(e as Error).message}`);
    }
    for (const n of names) {
      const p = join(capath, n);
      if (!statSync(p).isFile()) continue;
      const text = readFile('tls-capath', p);
      if (text.includes('-----BEGIN CERTIFICATE-----')) cas.push(text);
      if (text.includes('-----BEGIN X509 CRL-----')) crlTexts.push({ option: 'tls-capath', file: p, text: text.toString('latin1') });
    }
  }
  // without a CA option the system's trusted CAs verify the node, as Aerospike's tools do
  if (cas.length > 0) options.ca = cas;
  const cert = o.str('tls-certfile');
  const key = o.str('tls-keyfile');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--tls-certfile and --tls-keyfile go together');
  if (cert !== undefined) options.cert = readFile('tls-certfile', cert);
  if (key !== undefined) options.key = readFile('tls-keyfile', key);
  const pw = o.str('tls-keyfile-password');
  if (pw !== undefined && pw !== '') options.passphrase = secret(pw);
  const ciphers = o.str('tls-cipher-suite');
  if (ciphers !== undefined) options.ciphers = ciphers;
  let blacklist: Map<string, string[]> | undefined;
  const blacklistFile = o.str('tls-cert-blacklist');
  if (blacklistFile !== undefined) {
    try {
      blacklist = parseBlacklist(readFile('tls-cert-blacklist', blacklistFile).toString('utf8'));
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`--tls-cert-blacklist ${blacklistFile}: ${(e as Error).message}`);
    }
  }
  const crlAll = o.has('tls-crl-check-all');
  const crlLeaf = o.has('tls-crl-check') && !crlAll;
  const crls: Crl[] = [];
  if (crlAll || crlLeaf) {
    for (const c of crlTexts) {
      try {
        crls.push(...parseCrls(c.text));
      } catch (e) {
        throw new UsageError(`--${c.option} ${c.file}: a CRL in it is malformed: ${(e as Error).message}`);
      }
    }
    // the whole chain: OpenSSL itself (node turns on CRL_CHECK and CRL_CHECK_ALL with `crl`)
    // (node reads one CRL per entry: each PEM block goes on its own)
    if (crlAll) options.crl = crlTexts.flatMap((c) => c.text.match(PEM_CRL_BLOCK) ?? []);
  }
  // the node's certificate only (X509_V_FLAG_CRL_CHECK): checked here once OpenSSL verified the chain
  const caCerts = crlLeaf ? cas.flatMap((b) => [...b.toString('latin1').matchAll(PEM_CERT)].map((m) => new X509Certificate(m[0]))) : [];
  const verifyPeer =
    blacklist || crlLeaf
      ? (socket: TLSSocket): string | undefined => {
          const chain = peerChain(socket);
          if (blacklist) {
            const listed = chain.find((c) => blacklistHas(blacklist, c));
            if (listed) return `certificate serial ${listed.serialNumber} is in --tls-cert-blacklist`;
          }
          if (crlLeaf) {
            if (chain.length === 0) return 'the node presented no certificate';
            const x509 = chain.map((c) => new X509Certificate(c.raw));
            const why = crlCheck(x509[0]!, [...x509.slice(1), ...caCerts], crls, Date.now());
            if (why !== undefined) return `CRL check of the node's certificate (serial ${chain[0]!.serialNumber}): ${why}`;
          }
          return undefined;
        }
      : undefined;
  const tls: ToolTls = { options, name: o.str('tls-name'), promptPassphrase: pw === '', verifyPeer };
  if (!tls.promptPassphrase) check(tls);
  return tls;
}

/** Lets OpenSSL judge the files and cipher list before any connection. */
function check(tls: ToolTls): void {
  try {
    createSecureContext(tls.options);
  } catch (e) {
    throw new UsageError(`TLS options refused: ${(e as Error).message}`);
  }
}

/** Makes every later connection of this process use TLS (prompting for a passphrase when asked). */
export async function applyToolTls(tls: ToolTls, readLine: () => Promise<string>): Promise<void> {
  if (tls.promptPassphrase) {
    process.stderr.write('Enter TLS key file password: ');
    tls.options.passphrase = await readLine();
    check(tls);
  }
  setWireTls({ options: tls.options, defaultName: tls.name, verifyPeer: tls.verifyPeer });
}
