/**
 * `tls-refresh-period` between cluster members: the heartbeat / fabric TLS listener takes a
 * refreshed context for the connections it accepts afterwards, and a member's outgoing links use
 * the refreshed certificate when they connect again. Two PeerNet endpoints in this process over
 * real TLS sockets, with the contexts Strato builds from `tls` stanzas (certificates from openssl).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { copyFileSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { PeerNet, type PeerTls } from '../../src/cluster/net/peer-net.js';
import { isBlacklisted, loadTlsContext, onTlsContextChange, refreshTlsContext, type TlsContext } from '../../src/server/tls-contexts.js';
import { newTlsConfig } from '../../src/config/tls-params.js';
import { createTestPki } from '../helpers/tls-certs.js';

const NAME = 'peers.test';
const pki = createTestPki();
after(() => pki.remove());

/** A `tls` stanza over files that the test replaces, loaded as the node loads it. */
function liveContext(label: string): { ctx: TlsContext; replace(): string } {
  const first = pki.issue(NAME);
  const cert = join(pki.dir, `${label}-cert.pem`);
  const key = join(pki.dir, `${label}-key.pem`);
  copyFileSync(first.cert, cert);
  copyFileSync(first.key, key);
  const cfg = { ...newTlsConfig(NAME, 'test.conf', 1), certFile: cert, keyFile: key, caFile: pki.caFile };
  return {
    ctx: loadTlsContext(cfg),
    replace() {
      const next = pki.issue(NAME);
      copyFileSync(next.key, `${key}.new`);
      copyFileSync(next.cert, `${cert}.new`);
      renameSync(`${key}.new`, key);
      renameSync(`${cert}.new`, cert);
      return new X509Certificate(readFileSync(next.cert)).serialNumber;
    },
  };
}

/** What cluster-router.ts hands PeerNet for a context: options read at each connect, changes announced. */
function peerTls(ctx: TlsContext): PeerTls {
  return {
    get options() {
      return ctx.options;
    },
    name: ctx.name,
    accept: (cert) => !isBlacklisted(ctx, cert),
    onChange: (fn) => onTlsContextChange(ctx, fn),
  };
}

/** The certificate a TLS listener presents to a member (client certificate from `client`). */
function presented(port: number, client: TlsContext): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ...client.options, servername: NAME });
    s.once('secureConnect', () => {
      const cert = s.getPeerCertificate();
      s.destroy();
      resolve(cert);
    });
    s.once('error', reject);
  });
}

test('a refreshed heartbeat/fabric context serves new connections; requests keep flowing', async () => {
  const a = liveContext('a');
  const b = liveContext('b');
  const seenBy: string[] = [];
  const server = new PeerNet((_type, payload, from) => {
    seenBy.push(from);
    return Buffer.concat([Buffer.from('echo:'), payload]);
  }, { tls: peerTls(a.ctx) });
  const client = new PeerNet(() => undefined, { tls: peerTls(b.ctx) });
  try {
    const port = await server.listen('127.0.0.1', 0);
    const address = `127.0.0.1:${port}`;
    assert.equal((await client.request(address, 1, Buffer.from('one'), 5000)).toString(), 'echo:one');
    const before = (await presented(port, b.ctx)).serialNumber;
    const serial = a.replace();
    assert.notEqual(serial, before);
    assert.equal(refreshTlsContext(a.ctx).kind, 'changed');
    assert.equal((await presented(port, b.ctx)).serialNumber, serial);
    // nothing changed on disk: nothing to do
    assert.equal(refreshTlsContext(a.ctx).kind, 'same');
    // the client's own certificate refreshed too: its next link presents the new one and is accepted
    b.replace();
    assert.equal(refreshTlsContext(b.ctx).kind, 'changed');
    client.resetLink(address);
    // the old link goes away when its socket has closed; a request made before that is lost with
    // it (cluster code sends again), so ask until one goes over the new link (bounded)
    let answer = '';
    for (let i = 0; i < 20 && answer === ''; i++) {
      answer = await client.request(address, 1, Buffer.from('two'), 5000).then(
        (b) => b.toString(),
        () => '',
      );
    }
    assert.equal(answer, 'echo:two');
    assert.ok(seenBy.length >= 2);
  } finally {
    await client.close();
    await server.close();
  }
});

test('a context whose file no longer loads keeps serving the old certificate', async () => {
  const a = liveContext('c');
  const cfgCert = a.ctx.config.certFile!;
  const before = a.ctx.options.cert;
  copyFileSync(pki.caFile, `${cfgCert}.new`); // a certificate that does not match the key
  renameSync(`${cfgCert}.new`, cfgCert);
  const r = refreshTlsContext(a.ctx);
  assert.equal(r.kind, 'failed');
  assert.equal(r.kind === 'failed' ? r.file : '', cfgCert);
  assert.match(r.kind === 'failed' ? r.reason : '', /does not match key-file/);
  assert.equal(a.ctx.options.cert, before);
});
