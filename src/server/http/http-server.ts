/**
 * The node's HTTP endpoint (`network { http { address; port } }`, a Strato extension, off when
 * absent): `/metrics` in Prometheus text, the web console at `/` and its JSON API under `/api/`
 * (POST only there, for set-config and job aborts). It closes with the node.
 */
import { createServer, type Server } from 'node:http';
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

/** Starts the HTTP endpoint; rejects when the address cannot be bound. */
export async function startHttpEndpoint(address: string, port: number, src: MetricsSource, consoleCtx: Omit<ConsoleContext, 'node'> = { handlers: undefined, sessions: undefined }): Promise<HttpEndpoint> {
  const ctx: ConsoleContext = { node: src.node, ...consoleCtx };
  const server: Server = createServer((req, res) => {
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
      renderMetrics(src).then(
        (text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(req.method === 'HEAD' ? undefined : text),
        (e: unknown) => {
          log.warning(`metrics scrape failed: ${(e as Error).message}`);
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
        },
      );
      return;
    }
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : CONSOLE_HTML);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try / or /metrics\n');
  });
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
  log.info(`metrics endpoint: http://${address}:${boundPort}/metrics`);
  return {
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
