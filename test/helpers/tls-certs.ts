/**
 * Certificates for TLS tests, made with the system's `openssl` in a temporary directory: one CA,
 * then server and client certificates it signs (CN and DNS alt name = the name asked for, plus
 * IP 127.0.0.1 so a client may also verify by address), and optionally a second, untrusted CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A fresh CA in a temporary directory (`label` names the CA's CN). */
export function createTestPki(label = 'Strato Test CA'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'strato-pki-'));
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', `/CN=${label}`], dir);
  let serial = 0;
  return {
    dir,
    caFile,
    issue(name: string, opts: { ou?: readonly string[] } = {}): CertFiles {
      const base = join(dir, `${name.replace(/[^A-Za-z0-9.-]/g, '_')}-${++serial}`);
      const ext = `${base}.ext`;
      writeFileSync(ext, `subjectAltName=DNS:${name},IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n`);
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `${(opts.ou ?? []).map((u) => `/OU=${u}`).join('')}/CN=${name}`], dir);
      openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', caFile, '-CAkey', caKey, '-set_serial', String(1000 + serial), '-out', `${base}.pem`, '-days', '2', '-extfile', ext], dir);
      return { cert: `${base}.pem`, key: `${base}.key` };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
