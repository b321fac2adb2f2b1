/**
 * Certificate revocation as Aerospike's server and tools apply it: the `cert-blacklist` file
 * (serial numbers, optionally with the issuer's name) and, for the tools' `--tls-crl-check`,
 * certificate revocation lists (RFC 5280 CRLs in PEM) checked for the node's own certificate the
 * way OpenSSL's X509_V_FLAG_CRL_CHECK does: a CRL from the certificate's issuer must be present,
 * signed by that issuer, current, and must not list the certificate's serial number.
 *
 * The DER reading here is only what those checks need (names, serials, times, signature); every
 * length is checked against the buffer, so a malformed file is an error naming it, never a crash.
 */
import { verify as verifySignature, X509Certificate } from 'node:crypto';

/** A blacklist line or CRL that cannot be read (the one error these parsers throw on bad input). */
export class RevocationParseError extends Error {
  override readonly name = 'RevocationParseError';
}

// ---------------------------------------------------------------------------------------------
// cert-blacklist

/**
 * `cert-blacklist` lines (the format Aerospike's server and C client read): `<hex serial>
 * [<issuer name>]`, the issuer being the rest of the line in OpenSSL's one-line form
 * (`/C=US/O=Acme/CN=Test CA`); a line starting with `#` is a comment. Serials are kept upper-case
 * without leading zeros; '' stands for "any issuer".
 * @throws Error naming the first serial that is not hex
 */
export function parseBlacklist(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    if (raw.startsWith('#')) continue;
    const line = raw.trim();
    if (line.length === 0) continue;
    const sp = line.search(/\s/);
    const serialText = sp < 0 ? line : line.slice(0, sp);
    if (!/^[0-9A-Fa-f]+$/.test(serialText)) throw new RevocationParseError(`'${serialText}' is not a hex serial number`);
    const serial = normalSerial(serialText);
    const issuer = sp < 0 ? '' : line.slice(sp).trim();
    out.set(serial, [...(out.get(serial) ?? []), issuer]);
  }
  return out;
}

/** Upper-case hex without leading zeros (how serials are compared). */
export function normalSerial(hex: string): string {
  return hex.toUpperCase().replace(/^0+(?=.)/, '');
}

/** The parts of a certificate a blacklist looks at (node's PeerCertificate has them). */
export interface BlacklistSubject {
  serialNumber?: string;
  issuer?: Record<string, string | string[] | undefined>;
}

/** OpenSSL's one-line form of a name (`/C=US/O=Acme/CN=Test CA`), from node's name object. */
export function onelineName(name: Record<string, string | string[] | undefined> | undefined): string {
  return Object.entries(name ?? {})
    .flatMap(([k, v]) => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x) => `/${k}=${x}`)))
    .join('');
}

/** Whether the blacklist lists this certificate (its serial, with any issuer or with its own). */
export function blacklistHas(blacklist: ReadonlyMap<string, readonly string[]>, cert: BlacklistSubject): boolean {
  if (blacklist.size === 0 || !cert.serialNumber) return false;
  const issuers = blacklist.get(normalSerial(cert.serialNumber));
  if (!issuers) return false;
  const issuer = onelineName(cert.issuer);
  return issuers.some((i) => i === '' || i === issuer);
}

// ---------------------------------------------------------------------------------------------
// DER

interface Tlv {
  tag: number;
  /** first byte of the whole element (tag) */
  start: number;
  /** first byte of the content */
  body: number;
  /** one past the last byte of the element */
  end: number;
}

function tlv(buf: Buffer, at: number, limit = buf.length): Tlv {
  if (at + 2 > limit) throw new RevocationParseError('truncated DER');
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || body + n > limit) throw new RevocationParseError('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[body + i]!;
    body += n;
  }
  if (body + len > limit) throw new RevocationParseError('DER element runs past its container');
  return { tag, start: at, body, end: body + len };
}

/** The elements directly inside a constructed element. */
function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.body; p < parent.end; ) {
    const t = tlv(buf, p, parent.end);
    out.push(t);
    p = t.end;
  }
  return out;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new RevocationParseError(`${what} missing`);
  return t;
}

function oid(buf: Buffer, t: Tlv): string {
  const parts: number[] = [];
  let v = 0;
  for (let i = t.body; i < t.end; i++) {
    v = v * 128 + (buf[i]! & 0x7f);
    if ((buf[i]! & 0x80) === 0) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

function time(buf: Buffer, t: Tlv): number {
  const s = buf.toString('latin1', t.body, t.end);
  const m = t.tag === UTC_TIME ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw new RevocationParseError(`bad time '${s}'`);
  let year = Number(m[1]);
  if (t.tag === UTC_TIME) year += year >= 50 ? 1900 : 2000;
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function integerHex(buf: Buffer, t: Tlv): string {
  return normalSerial(buf.toString('hex', t.body, t.end) || '0');
}

/** A certificate's issuer and subject names as DER (compared byte for byte with a CRL's issuer). */
function certNames(der: Buffer): { issuer: Buffer; subject: Buffer } {
  const cert = expect(tlv(der, 0), SEQUENCE, 'certificate');
  const tbs = expect(children(der, cert)[0], SEQUENCE, 'tbsCertificate');
  const f = children(der, tbs);
  const i = f[0]?.tag === 0xa0 ? 1 : 0; // [0] version
  const issuer = expect(f[i + 2], SEQUENCE, 'issuer');
  const subject = expect(f[i + 4], SEQUENCE, 'subject');
  return { issuer: der.subarray(issuer.start, issuer.end), subject: der.subarray(subject.start, subject.end) };
}

// ---------------------------------------------------------------------------------------------
// CRLs

/** One certificate revocation list, read from PEM. */
export interface Crl {
  /** the CA that issued it (DER Name) */
  issuer: Buffer;
  thisUpdateMs: number;
  /** undefined: the CRL gives no next update */
  nextUpdateMs: number | undefined;
  /** revoked serial numbers (upper-case hex, no leading zeros) */
  revoked: Set<string>;
  /** the signed part and its signature */
  tbs: Buffer;
  signatureOid: string;
  signature: Buffer;
}

const PEM_CRL = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/g;

/** Digests of the signature algorithms CRLs are signed with (null: the key type implies it). */
const SIGNATURE_DIGESTS: Record<string, string | null> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null, // Ed25519
  '1.3.101.113': null, // Ed448
};

/**
 * The CRLs in a PEM text (other blocks, such as certificates, are skipped).
 * @throws RevocationParseError saying what is malformed
 */
export function parseCrls(pem: string): Crl[] {
  return [...pem.matchAll(PEM_CRL)].map((m) => parseCrlDer(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
}

/**
 * One CRL in DER (RFC 5280 CertificateList).
 * @throws RevocationParseError saying what is malformed
 */
export function parseCrlDer(der: Buffer): Crl {
  const list = expect(tlv(der, 0), SEQUENCE, 'CertificateList');
  const [tbsT, algT, sigT] = children(der, list);
  const tbs = expect(tbsT, SEQUENCE, 'tbsCertList');
  const alg = expect(algT, SEQUENCE, 'signatureAlgorithm');
  const sig = expect(sigT, 0x03, 'signature');
  if (sig.end - sig.body < 1) throw new RevocationParseError('empty signature');
  const f = children(der, tbs);
  let i = f[0]?.tag === INTEGER ? 1 : 0; // version
  i++; // signature algorithm inside the signed part
  const issuer = expect(f[i++], SEQUENCE, 'issuer');
  const thisT = f[i++];
  if (!thisT || (thisT.tag !== UTC_TIME && thisT.tag !== GENERALIZED_TIME)) throw new RevocationParseError('thisUpdate missing');
  let nextUpdateMs: number | undefined;
  if (f[i] && (f[i]!.tag === UTC_TIME || f[i]!.tag === GENERALIZED_TIME)) nextUpdateMs = time(der, f[i++]!);
  const revoked = new Set<string>();
  if (f[i]?.tag === SEQUENCE) {
    for (const entry of children(der, f[i]!)) revoked.add(integerHex(der, expect(children(der, entry)[0], INTEGER, 'revoked serial')));
  }
  return {
    issuer: der.subarray(issuer.start, issuer.end),
    thisUpdateMs: time(der, thisT),
    nextUpdateMs,
    revoked,
    tbs: der.subarray(tbs.start, tbs.end),
    signatureOid: oid(der, expect(children(der, alg)[0], 0x06, 'algorithm')),
    // a BIT STRING's first content byte counts its unused bits (0 for signatures)
    signature: der.subarray(sig.body + 1, sig.end),
  };
}

function signedBy(crl: Crl, issuer: X509Certificate): boolean {
  const digest = SIGNATURE_DIGESTS[crl.signatureOid];
  if (digest === undefined) return false;
  try {
    return verifySignature(digest, crl.tbs, issuer.publicKey, crl.signature);
  } catch {
    return false;
  }
}

/**
 * OpenSSL's CRL check of one certificate (`X509_V_FLAG_CRL_CHECK`): undefined when a current
 * CRL its issuer signed is present and does not list it, else OpenSSL's reason ("unable to get
 * certificate CRL", "certificate revoked", "CRL has expired", "CRL is not yet valid", "CRL
 * signature failure").
 * @param issuers certificates that may have issued `cert` and its CRL (the chain and the CA files)
 */
export function crlCheck(cert: X509Certificate, issuers: readonly X509Certificate[], crls: readonly Crl[], nowMs: number): string | undefined {
  const { issuer } = certNames(cert.raw);
  const mine = crls.filter((c) => c.issuer.equals(issuer));
  if (mine.length === 0) return 'unable to get certificate CRL';
  const signers = issuers.filter((c) => certNames(c.raw).subject.equals(issuer));
  const valid = mine.filter((c) => signers.some((s) => signedBy(c, s)));
  if (valid.length === 0) return 'CRL signature failure';
  const current = valid.filter((c) => c.thisUpdateMs <= nowMs);
  if (current.length === 0) return 'CRL is not yet valid';
  const fresh = current.filter((c) => c.nextUpdateMs === undefined || c.nextUpdateMs > nowMs);
  if (fresh.length === 0) return 'CRL has expired';
  const serial = normalSerial(cert.serialNumber);
  return fresh.some((c) => c.revoked.has(serial)) ? 'certificate revoked' : undefined;
}
