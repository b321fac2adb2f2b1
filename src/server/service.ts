/**
 * The service port: accepts client connections, answers info and data requests, and shuts down
 * gracefully (stop accepting, let in-flight requests finish, then close).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ClientConnection, type ConnectionContext } from './connection.js';
import type { DataHandlers } from './dispatch.js';
import { buildInfoResponse, buildRawInfoResponse, parseInfoRequest } from './info-protocol.js';
import { executeInfoCommand, summaryLines, type InfoContext } from './info-commands.js';
import type { StratoNode } from './node.js';
import { RefusalLog } from './refusals.js';
import type { NodeSecurity } from '../security/access.js';

/** Info commands whose effect is cluster-wide in Aerospike (system metadata). */
const CLUSTER_WIDE_INFO = new Set(['truncate', 'truncate-namespace', 'truncate-undo', 'truncate-namespace-undo', 'udf-put', 'udf-remove', 'sindex-create', 'sindex-delete']);

export interface ServiceOptions {
  address: string;
  port: number;
  /** the node answers compressed requests (EE behaviour) when true, ENTERPRISE_ONLY when false */
  compressionEnabled: () => boolean;
  /** most client connections at once (proto-fd-max) */
  maxConnections: number;
  /** access control (a `security` stanza); undefined = off */
  security?: NodeSecurity | undefined;
}

export class Service {
  private server: Server | undefined;
  private readonly connections = new Set<ClientConnection>();

  /** Open connections authenticated as `user` (queryUsers' connection count). */
  connectionsOf(user: string): number {
    let n = 0;
    for (const c of this.connections) if (c.auth?.user === user) n++;
    return n;
  }
  private readonly ctx: ConnectionContext;
  private readonly refusals = new RefusalLog();
  boundPort = 0;

  constructor(
    readonly node: StratoNode,
    readonly handlers: DataHandlers,
    private readonly options: ServiceOptions,
  ) {
    this.ctx = {
      node,
      handlers,
      stats: node.stats,
      refusals: this.refusals,
      latency: node.latency,
      security: options.security,
      compressionEnabled: options.compressionEnabled,
      handleInfo: (body, conn) => this.handleInfo(body, conn),
      onClose: (conn) => {
        if (this.connections.delete(conn)) node.stats.clientConnectionsClosed++;
      },
    };
  }

  private handleInfo(body: Buffer, conn: ClientConnection): Buffer {
    this.node.stats.infoRequests++;
    const ctx: InfoContext = { node: this.node, connection: conn };
    const security = this.options.security;
    // security on: as Aerospike, an info request needs a logged-in connection, whatever it asks
    const unauthenticated = security?.checkInfoRequest(conn);
    if (unauthenticated !== undefined) return buildRawInfoResponse(unauthenticated);
    if (body.length === 0) return buildInfoResponse(summaryLines(ctx));
    const lines: [string, string][] = parseInfoRequest(body).map((cmd) => {
      const refused = security?.checkInfo(conn, cmd.name, cmd.params, cmd.text);
      if (refused !== undefined) return [cmd.text, refused];
      const answer = executeInfoCommand(cmd, ctx);
      // what Aerospike spreads through system metadata reaches every member
      if (this.node.cluster && CLUSTER_WIDE_INFO.has(cmd.name) && !answer.startsWith('ERROR')) this.node.cluster.runtime.forwardInfo(cmd.text);
      return [cmd.text, answer];
    });
    return buildInfoResponse(lines);
  }

  /**
   * Serves one client connection (the listening port's, or a test's in-process socket), unless
   * proto-fd-max connections are open already. Returns the connection, undefined when refused.
   */
  accept(socket: Socket): ClientConnection | undefined {
    if (this.connections.size >= this.options.maxConnections) {
      // Aerospike's wording (a ticker warning there too)
      this.node.stats.clientConnectionsRefused++;
      this.refusals.warn('proto-fd-max', `refusing client connection - proto-fd-max ${this.options.maxConnections}`);
      socket.destroy();
      return undefined;
    }
    this.node.stats.clientConnectionsOpened++;
    const conn = new ClientConnection(socket, this.ctx);
    this.connections.add(conn);
    return conn;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket: Socket) => this.accept(socket));
      server.once('error', reject);
      server.listen({ host: this.options.address, port: this.options.port }, () => {
        server.off('error', reject);
        const addr = server.address();
        this.boundPort = typeof addr === 'object' && addr ? addr.port : this.options.port;
        this.server = server;
        resolve(this.boundPort);
      });
    });
  }

  /** Stops accepting, waits (bounded) for connections to go idle, then closes them. */
  async close(graceMs = 5000): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && [...this.connections].some((c) => !c.idle)) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const c of this.connections) c.close();
    await closed;
  }
}
