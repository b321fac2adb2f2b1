/**
 * The node's HTTP endpoint (`network { http { address; port; tls-name } }`, a Strato extension,
 * off when absent): `/metrics` in Prometheus text, the web console at `/` and its JSON API under
 * `/api/` (POST only there, for set-config and job aborts). With a `tls-name` it is HTTPS with
 * that `tls` stanza's certificate. With security on, `/metrics` needs HTTP basic auth of a user
 * (metrics-auth.ts). It closes with the node.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { certificateMatches, isBlacklisted, onTlsContextChange, type TlsContext } from '../tls-contexts.js';
import { RefusalLog } from '../refusals.js';
import { METRICS_REALM, type MetricsAuth } from './metrics-auth.js';
import { METRICS_CONTENT_TYPE, renderMetrics, type MetricsSource } from './metrics.js';
import { logger } from '../../util/log.js';
import { handleApi, type ConsoleContext } from './console-api.js';
import { CONSOLE_HTML } from './console-page.js';

const log = logger.context('http', 'http-server.ts');

export interface HttpEndpoint {
  /** the bound port (the configured one, or the OS's pick for 0) */
  readonly port: number;
  close(): Promise<void>;
}

/** A client that does not finish its TLS handshake in this long (ms) is dropped. */
export const HTTPS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** What the endpoint serves beyond the metrics source; every part is optional. */
export interface HttpEndpointOptions {
  /** the console's request handlers and sessions (security on) */
  console?: Omit<ConsoleContext, 'node'> | undefined;
  /** security on: who may scrape `/metrics`; undefined = anyone who reaches the endpoint */
  metricsAuth?: MetricsAuth | undefined;
  /** HTTPS with the tls-name's context (certificate, key, protocols, ciphers; refreshed with it); undefined = clear HTTP */
  tls?: TlsContext | undefined;
  /** HTTPS only: `tls-authenticate-client` (`any`, subject names); empty or `false` = no client certificate asked */
  tlsAuthenticateClient?: readonly string[] | undefined;
}

/** Starts the HTTP endpoint; rejects when the address cannot be bound. */
export async function startHttpEndpoint(address: string, port: number, src: MetricsSource, opts: HttpEndpointOptions = {}): Promise<HttpEndpoint> {
  const ctx: ConsoleContext = { node: src.node, handlers: undefined, sessions: undefined, ...opts.console };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path?.startsWith('/api/')) {
      handleApi(ctx, req, res, new URL(req.url ?? '/', 'http://localhost')).catch((e: unknown) => {
        log.warning(`console API ${path} failed: ${(e as Error).message}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'internal error' }));
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      void (async () => {
        const auth = opts.metricsAuth ? await opts.metricsAuth.check(req) : undefined;
        if (auth && !auth.ok) {
          const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
          if (auth.status === 401) headers['www-authenticate'] = `Basic realm="${METRICS_REALM}", charset="UTF-8"`;
          res.writeHead(auth.status, headers).end(req.method === 'HEAD' ? undefined : `${auth.reason}\n`);
          return;
        }
        const text = await renderMetrics(src);
        res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(req.method === 'HEAD' ? undefined : text);
      })().catch((e: unknown) => {
        log.warning(`metrics scrape failed: ${(e as Error).message}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      });
      return;
    }
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : CONSOLE_HTML);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try / or /metrics\n');
  };
  const tls = opts.tls;
  // refused HTTPS clients (handshake, certificate) are logged rate-limited, as the service port's
  const refusals = new RefusalLog(Date.now, log);
  const accepted = opts.tlsAuthenticateClient ?? [];
  const verify = tls !== undefined && accepted.length > 0 && accepted[0] !== 'false';
  const names = verify && accepted[0] !== 'any' ? accepted : undefined;
  const server: Server = tls ? createHttpsServer({ ...tls.options, requestCert: verify, rejectUnauthorized: verify, handshakeTimeout: HTTPS_HANDSHAKE_TIMEOUT_MS }, handle) : createServer(handle);
  if (tls && verify) {
    // the CA check is the handshake's; a revoked certificate or one naming someone else is closed
    // before its request is read (this listener runs in the same tick as the handshake's end)
    server.on('secureConnection', (socket: TLSSocket) => {
      const cert = socket.getPeerCertificate(true);
      const peer = `${socket.remoteAddress}:${socket.remotePort}`;
      if (isBlacklisted(tls, cert)) {
        refusals.warn('http-tls-blacklist', `refusing https client ${peer} - certificate serial ${cert.serialNumber} is in cert-blacklist`);
        socket.destroy();
      } else if (names && !certificateMatches(cert, names)) {
        refusals.warn('http-tls-name', `refusing https client ${peer} - certificate names ${cert.subject?.CN ?? 'nothing'}, not ${names.join(' or ')}`);
        socket.destroy();
      }
    });
  }
  if (tls) server.on('tlsClientError', (e, socket) => refusals.warn('http-tls-handshake', `https handshake with ${socket.remoteAddress}:${socket.remotePort} failed: ${e.message}`));
  let open = true;
  // tls-refresh-period: connections accepted after a refresh get the new certificate
  if (tls) onTlsContextChange(tls, () => open && (server as ReturnType<typeof createHttpsServer>).setSecureContext(tls.options));
  // a scrape that stalls must not hold a socket forever
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const boundPort = typeof bound === 'object' && bound ? bound.port : port;
  const scheme = opts.tls ? 'https' : 'http';
  log.info(`metrics endpoint: ${scheme}://${address}:${boundPort}/metrics${opts.metricsAuth ? ' (HTTP basic auth of a user with read or sys-admin)' : ''}`);
  return {
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        open = false;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
