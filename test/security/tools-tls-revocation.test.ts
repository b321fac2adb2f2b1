/**
 * The tools' certificate revocation options (issue 17.5), as Aerospike's asinfo / asbackup /
 * asrestore take them, run as processes against a real strato TLS port with certificates and
 * CRLs the test makes with openssl: `--tls-cert-blacklist` (every certificate of the node's chain,
 * by serial and optionally issuer), `--tls-crl-check` (the node's certificate against a CRL found
 * in --tls-cafile / --tls-capath) and `--tls-crl-check-all` (every certificate of the chain).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from '../helpers/run-tool.js';
import { startStrato, type StratoProcess } from '../helpers/strato-process.js';
import { createTestPki, type CertFiles, type TestPki } from '../helpers/tls-certs.js';
import { freePorts } from '../helpers/strato-cluster.js';

const TLS_NAME = 'revoke.test';
const CHAIN_NAME = 'chain.test';
let pki: TestPki;
let server: CertFiles;
let chained: CertFiles; // issued by an intermediate CA under pki
let inter: TestPki;
let node: StratoProcess;
let tlsPort: number;
let chainPort: number;

function nodeConfig(name: string, cert: CertFiles, port: number): string {
  return `
service {
  cluster-name revoke
}
network {
  tls ${name} {
    cert-file ${cert.cert}
    key-file ${cert.key}
  }
  service {
    address 127.0.0.1
    port 3000
    tls-port ${port}
    tls-name ${name}
    tls-authenticate-client false
  }
}
namespace test {
  replication-factor 1
  storage-engine memory {
    data-size 64M
  }
}
`;
}

let chainNode: StratoProcess;

before(async () => {
  pki = createTestPki('Revoke Root CA');
  server = pki.issue(TLS_NAME);
  inter = pki.intermediate('Revoke Inter CA');
  chained = inter.issue(CHAIN_NAME);
  [tlsPort, chainPort] = (await freePorts(2)) as [number, number];
  node = await startStrato({ config: nodeConfig(TLS_NAME, server, tlsPort) });
  chainNode = await startStrato({ config: nodeConfig(CHAIN_NAME, chained, chainPort) });
});

after(async () => {
  await node?.stop();
  await chainNode?.stop();
  pki?.remove();
});

const asinfo = (port: number, name: string, extra: string[]) => runTool('asinfo', ['--tls-enable', '-h', `127.0.0.1:${name}:${port}`, ...extra, '-v', 'status']);

/** A CA directory (`--tls-capath`) holding the given PEM files. */
function capath(label: string, files: string[]): string {
  const dir = join(pki.dir, `capath-${label}`);
  mkdirSync(dir);
  files.forEach((f, i) => copyFileSync(f, join(dir, `${i}.pem`)));
  return dir;
}

/** One file holding several PEM files (a CA file may carry CRLs too, as OpenSSL reads it). */
function bundle(label: string, files: string[]): string {
  const out = join(pki.dir, `bundle-${label}.pem`);
  writeFileSync(out, files.map((f) => readFileSync(f, 'utf8')).join(''));
  return out;
}

test('--tls-crl-check refuses the node when no CRL from its issuer is found', async () => {
  const r = await asinfo(tlsPort, TLS_NAME, ['--tls-cafile', pki.caFile, '--tls-crl-check']);
  assert.equal(r.code, 1);
  assert.match(r.err, /unable to get certificate CRL/);
  // without the option the same CA file is enough
  const ok = await asinfo(tlsPort, TLS_NAME, ['--tls-cafile', pki.caFile]);
  assert.equal(ok.code, 0, ok.err);
});

test('--tls-crl-check accepts a node its CA has not revoked (CRL in --tls-capath or in --tls-cafile)', async () => {
  const crl = pki.crl([]);
  const viaPath = await asinfo(tlsPort, TLS_NAME, ['--tls-capath', capath('ok', [pki.caFile, crl]), '--tls-crl-check']);
  assert.equal(viaPath.code, 0, viaPath.err);
  assert.equal(viaPath.out.trim(), 'ok');
  const viaFile = await asinfo(tlsPort, TLS_NAME, ['--tls-cafile', bundle('ok', [pki.caFile, crl]), '--tls-crl-check']);
  assert.equal(viaFile.code, 0, viaFile.err);
});

test('--tls-crl-check and --tls-crl-check-all refuse a node whose certificate is revoked', async () => {
  const other = pki.issue('someone.else');
  const revokedOther = pki.crl([other]);
  // a CRL revoking another certificate: the node passes
  const fine = await asinfo(tlsPort, TLS_NAME, ['--tls-cafile', bundle('other', [pki.caFile, revokedOther]), '--tls-crl-check']);
  assert.equal(fine.code, 0, fine.err);
  const revoked = pki.crl([server]);
  const ca = bundle('revoked', [pki.caFile, revoked]);
  const leaf = await asinfo(tlsPort, TLS_NAME, ['--tls-cafile', ca, '--tls-crl-check']);
  assert.equal(leaf.code, 1);
  assert.match(leaf.err, /certificate revoked/);
  const all = await asinfo(tlsPort, TLS_NAME, ['--tls-cafile', ca, '--tls-crl-check-all']);
  assert.equal(all.code, 1);
  assert.match(all.err, /certificate revoked/i);
  // asbackup connects the same way and fails before writing anything
  const backup = await runTool('asbackup', ['--tls-enable', '-h', `127.0.0.1:${TLS_NAME}:${tlsPort}`, '--tls-cafile', ca, '--tls-crl-check', '-n', 'test', '-o', join(pki.dir, 'b.asb')]);
  assert.notEqual(backup.code, 0);
  assert.match(backup.err, /certificate revoked/);
});

test('an expired CRL refuses the node as OpenSSL does', async () => {
  const ca = bundle('expired', [pki.caFile, pki.crl([], { expired: true })]);
  const r = await asinfo(tlsPort, TLS_NAME, ['--tls-cafile', ca, '--tls-crl-check']);
  assert.equal(r.code, 1);
  assert.match(r.err, /CRL has expired/);
});

test('--tls-crl-check checks the leaf only, --tls-crl-check-all the whole chain', async () => {
  // the intermediate's CRL covers the node's certificate; the root published none
  const ca = bundle('chain', [pki.caFile, inter.crl([])]);
  const leaf = await asinfo(chainPort, CHAIN_NAME, ['--tls-cafile', ca, '--tls-crl-check']);
  assert.equal(leaf.code, 0, leaf.err);
  const all = await asinfo(chainPort, CHAIN_NAME, ['--tls-cafile', ca, '--tls-crl-check-all']);
  assert.equal(all.code, 1);
  assert.match(all.err, /unable to get certificate CRL|UNABLE_TO_GET_CRL/i);
  // with the root's CRL too, the whole chain passes
  const both = await asinfo(chainPort, CHAIN_NAME, ['--tls-cafile', bundle('chain-all', [pki.caFile, inter.crl([]), pki.crl([])]), '--tls-crl-check-all']);
  assert.equal(both.code, 0, both.err);
});

test('--tls-cert-blacklist refuses a node whose certificate (or an issuer of it) is listed', async () => {
  const serial = new X509Certificate(readFileSync(server.cert)).serialNumber;
  const list = (label: string, text: string) => {
    const f = join(pki.dir, `blacklist-${label}.txt`);
    writeFileSync(f, text);
    return f;
  };
  const listed = await asinfo(tlsPort, TLS_NAME, ['--tls-cafile', pki.caFile, '--tls-cert-blacklist', list('serial', `# revoked by hand\n${serial}\n`)]);
  assert.equal(listed.code, 1);
  assert.match(listed.err, new RegExp(`serial ${serial} is in --tls-cert-blacklist`));
  // serial and issuer name, in OpenSSL's one-line form
  const withIssuer = await asinfo(tlsPort, TLS_NAME, ['--tls-cafile', pki.caFile, '--tls-cert-blacklist', list('issuer', `${serial} /CN=Revoke Root CA\n`)]);
  assert.equal(withIssuer.code, 1);
  const otherIssuer = await asinfo(tlsPort, TLS_NAME, ['--tls-cafile', pki.caFile, '--tls-cert-blacklist', list('other-issuer', `${serial} /CN=Someone Else\n`)]);
  assert.equal(otherIssuer.code, 0, otherIssuer.err);
  // the intermediate CA's serial refuses every node it certified
  const interSerial = new X509Certificate(readFileSync(inter.caFile)).serialNumber;
  const byIssuer = await asinfo(chainPort, CHAIN_NAME, ['--tls-cafile', pki.caFile, '--tls-cert-blacklist', list('inter', `${interSerial}\n`)]);
  assert.equal(byIssuer.code, 1);
  assert.match(byIssuer.err, /is in --tls-cert-blacklist/);
  const unlisted = await asinfo(tlsPort, TLS_NAME, ['--tls-cafile', pki.caFile, '--tls-cert-blacklist', list('none', 'ABCDEF\n')]);
  assert.equal(unlisted.code, 0, unlisted.err);
  // a file that is not a blacklist is refused before any connection, naming it
  const bad = list('bad', 'not-hex\n');
  const refused = await asinfo(tlsPort, TLS_NAME, ['--tls-cafile', pki.caFile, '--tls-cert-blacklist', bad]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.err, new RegExp(`--tls-cert-blacklist ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 'not-hex' is not a hex serial number`));
});

test('the revocation options still need --tls-enable', async () => {
  const r = await runTool('asinfo', ['-h', `127.0.0.1:${node.port}`, '--tls-crl-check', '-v', 'status']);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /--tls-crl-check needs --tls-enable/);
});
