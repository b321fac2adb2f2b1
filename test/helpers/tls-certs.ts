/**
 * Certificates for TLS tests, made with the system's `openssl` in a temporary directory: one CA,
 * then server and client certificates it signs (CN and DNS alt name = the name asked for, plus
 * IP 127.0.0.1 so a client may also verify by address), optionally a second, untrusted CA, an
 * intermediate CA under the first, and CRLs (`openssl ca -gencrl`) revoking chosen certificates.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  /** the CA's certificate (PEM file) */
  caFile: string;
  /**
   * A certificate + key signed by this CA, CN = DNS name = `name`; `ou` adds organisational units
   * to the subject (in that order). Each call makes a new serial number.
   */
  issue(name: string, opts?: { ou?: readonly string[] }): CertFiles;
  /**
   * A CRL (PEM file) this CA signs, listing `revoked` (certificates it issued). `expired` dates
   * it so its next update is already past.
   */
  crl(revoked?: readonly CertFiles[], opts?: { expired?: boolean }): string;
  /**
   * An intermediate CA this CA signs; the certificates it issues come as chains (leaf, then the
   * intermediate), and its `caFile` is the intermediate's certificate. Removed with this one.
   */
  intermediate(label: string): TestPki;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A fresh CA in a temporary directory (`label` names the CA's CN). */
export function createTestPki(label = 'Strato Test CA'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'strato-pki-'));
  return makeCa(dir, label, undefined);
}

function makeCa(dir: string, label: string, parent: { caFile: string; caKey: string; dir: string } | undefined): TestPki {
  const tag = label.replace(/[^A-Za-z0-9.-]/g, '_');
  const caKey = join(dir, `${tag}-ca.key`);
  const caFile = join(dir, `${tag}-ca.pem`);
  if (parent) {
    writeFileSync(`${caFile}.ext`, 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n');
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', `${caFile}.csr`, '-subj', `/CN=${label}`], dir);
    openssl(['x509', '-req', '-in', `${caFile}.csr`, '-CA', parent.caFile, '-CAkey', parent.caKey, '-set_serial', String(Date.now() % 1_000_000), '-out', caFile, '-days', '2', '-extfile', `${caFile}.ext`], dir);
  } else {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', `/CN=${label}`], dir);
  }
  // `openssl ca` keeps its revocations in an index file; the CRLs are made from it
  const index = join(dir, `${tag}-index.txt`);
  writeFileSync(index, '');
  const caConf = join(dir, `${tag}-ca.cnf`);
  writeFileSync(caConf, `[ca]\ndefault_ca=this\n[this]\ndatabase=${index}\ndefault_md=sha256\ndefault_crl_days=2\n`);
  let serial = 0;
  let crls = 0;
  const pkiSelf: TestPki = {
    dir,
    caFile,
    issue(name: string, opts: { ou?: readonly string[] } = {}): CertFiles {
      const base = join(dir, `${tag}-${name.replace(/[^A-Za-z0-9.-]/g, '_')}-${++serial}`);
      const ext = `${base}.ext`;
      writeFileSync(ext, `subjectAltName=DNS:${name},IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n`);
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `${(opts.ou ?? []).map((u) => `/OU=${u}`).join('')}/CN=${name}`], dir);
      openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', caFile, '-CAkey', caKey, '-set_serial', String(1000 + serial), '-out', `${base}.pem`, '-days', '2', '-extfile', ext], dir);
      if (parent) writeFileSync(`${base}.pem`, readFileSync(`${base}.pem`, 'utf8') + readFileSync(caFile, 'utf8'));
      return { cert: `${base}.pem`, key: `${base}.key` };
    },
    crl(revoked: readonly CertFiles[] = [], opts: { expired?: boolean } = {}): string {
      for (const r of revoked) openssl(['ca', '-config', caConf, '-keyfile', caKey, '-cert', caFile, '-revoke', r.cert], dir);
      const out = join(dir, `${tag}-${++crls}.crl.pem`);
      // an expired CRL: its next update an hour in the past (thisUpdate two hours back)
      const dates = opts.expired ? ['-crl_lastupdate', utc(-7200), '-crl_nextupdate', utc(-3600)] : [];
      openssl(['ca', '-config', caConf, '-gencrl', '-keyfile', caKey, '-cert', caFile, '-out', out, ...dates], dir);
      return out;
    },
    intermediate(sub: string): TestPki {
      return makeCa(dir, sub, { caFile, caKey, dir });
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  return pkiSelf;
}

/** OpenSSL's YYYYMMDDHHMMSSZ for now + `offsetSec`. */
function utc(offsetSec: number): string {
  return new Date(Date.now() + offsetSec * 1000).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}
