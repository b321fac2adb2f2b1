/**
 * The service port: accepts client connections, answers info and data requests, and shuts down
 * gracefully (stop accepting, let in-flight requests finish, then close).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { ClientConnection, type ConnectionContext } from './connection.js';
import type { DataHandlers } from './dispatch.js';
import { buildInfoResponse, buildRawInfoResponse, parseInfoRequest } from './info-protocol.js';
import { executeInfoCommand, summaryLines, type InfoContext } from './info-commands.js';
import type { StratoNode } from './node.js';
import { RefusalLog } from './refusals.js';
import { itemsSmd, SMD_MODULE_OF_INFO } from './cluster-smd.js';
import type { NodeSecurity } from '../security/access.js';
import { certificateMatches, isBlacklisted, onTlsContextChange, pkiUserOf, type TlsContext } from './tls-contexts.js';

/** A TLS client that has not finished its handshake after this long is dropped. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** The TLS service port (Aerospike EE's `tls-port`), served alongside the clear one. */
export interface ServiceTlsOptions {
  address: string;
  port: number;
  context: TlsContext;
  /** `tls-authenticate-client`: ['false'] no client certificate, ['any'] any the CA signed, else accepted subject names */
  authenticateClient: readonly string[];
}

export interface ServiceOptions {
  address: string;
  port: number;
  /** the node answers compressed requests (EE behaviour) when true, ENTERPRISE_ONLY when false */
  compressionEnabled: () => boolean;
  /** most client connections at once (proto-fd-max) */
  maxConnections: number;
  /** access control (a `security` stanza); undefined = off */
  security?: NodeSecurity | undefined;
  /** the TLS service port; undefined = none */
  tls?: ServiceTlsOptions | undefined;
  /** the admin port's listeners (`network { admin { } }`); empty = none */
  admin?: readonly AdminListener[] | undefined;
}

/**
 * One admin port listener (Aerospike 8.1): info and admin (security) messages only, at most
 * ADMIN_MAX_CONNECTIONS at once whatever `proto-fd-max` says; `tls` makes it the TLS admin port.
 */
export interface AdminListener {
  address: string;
  port: number;
  /** the TLS admin port's context and client checks; undefined = clear */
  tls?: Omit<ServiceTlsOptions, 'address' | 'port'> | undefined;
  /** the 127.0.0.1 listener added beside the configured addresses (not advertised) */
  localhostAdded?: boolean;
}

/** Most admin-port connections open at once (Aerospike's MAX_ADMIN_CONNECTIONS). */
export const ADMIN_MAX_CONNECTIONS = 100;

export class Service {
  private server: Server | undefined;
  private tlsServer: Server | undefined;
  /** the TLS port actually bound (0 = none) */
  tlsBoundPort = 0;
  private readonly connections = new Set<ClientConnection>();
  private readonly adminConnections = new Set<ClientConnection>();
  private adminServers: Server[] = [];
  /** the admin listeners actually bound, in `options.admin` order (port 0 asked = the OS's pick) */
  adminBound: { address: string; port: number; tls: boolean; localhostAdded: boolean }[] = [];

  /** Open connections authenticated as `user` (queryUsers' connection count). */
  connectionsOf(user: string): number {
    let n = 0;
    for (const c of this.connections) if (c.auth?.user === user) n++;
    for (const c of this.adminConnections) if (c.auth?.user === user) n++;
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
        if (this.adminConnections.delete(conn)) node.stats.adminConnectionsClosed++;
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
      const module = SMD_MODULE_OF_INFO.get(cmd.name);
      if (module !== undefined && this.node.cluster && this.node.smdItems) {
        // stamped items (tombstones for removals), sent until every member acknowledges
        const changed = this.node.smdItems.noteLocal(module);
        if (changed.length > 0) this.node.cluster.runtime.broadcastSmd(itemsSmd(changed));
      }
      return [cmd.text, answer];
    });
    return buildInfoResponse(lines);
  }

  /**
   * Serves one client connection (the listening ports', or a test's in-process socket), unless
   * proto-fd-max connections are open already. Returns the connection, undefined when refused.
   * @param pkiUser the user a verified TLS client certificate names (PKI login)
   */
  accept(socket: Socket, pkiUser?: string): ClientConnection | undefined {
    if (this.connections.size >= this.options.maxConnections) {
      // Aerospike's wording (a ticker warning there too)
      this.node.stats.clientConnectionsRefused++;
      this.refusals.warn('proto-fd-max', `refusing client connection - proto-fd-max ${this.options.maxConnections}`);
      socket.destroy();
      return undefined;
    }
    this.node.stats.clientConnectionsOpened++;
    const conn = new ClientConnection(socket, this.ctx);
    conn.pkiUser = pkiUser;
    this.connections.add(conn);
    return conn;
  }

  /**
   * Serves one admin-port connection, unless ADMIN_MAX_CONNECTIONS are open (Aerospike's warning
   * then, and the socket closed). The connection answers info and admin messages only.
   */
  acceptAdmin(socket: Socket, pkiUser?: string): ClientConnection | undefined {
    if (this.adminConnections.size >= ADMIN_MAX_CONNECTIONS) {
      this.refusals.warn('admin-limit', `refusing admin connection - breached connection limit of ${ADMIN_MAX_CONNECTIONS}`);
      socket.destroy();
      return undefined;
    }
    this.node.stats.adminConnectionsOpened++;
    const conn = new ClientConnection(socket, this.ctx);
    conn.pkiUser = pkiUser;
    conn.adminPort = true;
    this.adminConnections.add(conn);
    return conn;
  }

  /** The TLS service port's options; undefined = none. */
  get tlsOptions(): ServiceTlsOptions | undefined {
    return this.options.tls;
  }

  /** Opens the service port, then the TLS port when configured; resolves with the service port. */
  async listen(): Promise<number> {
    // accepted paused: the connection re-wraps the socket to read into its own buffer (socket-reads.ts)
    const server = createServer({ pauseOnConnect: true }, (socket: Socket) => this.accept(socket));
    this.boundPort = await listenOn(server, this.options.address, this.options.port);
    this.server = server;
    const tls = this.options.tls;
    if (tls) {
      try {
        this.tlsServer = this.openTls(tls);
        this.tlsBoundPort = await listenOn(this.tlsServer, tls.address, tls.port);
      } catch (e) {
        this.tlsServer = undefined;
        await new Promise<void>((r) => server.close(() => r()));
        this.server = undefined;
        throw new Error(`cannot open the TLS service port ${tls.address}:${tls.port}: ${(e as Error).message}`);
      }
    }
    for (const a of this.options.admin ?? []) {
      const admin = a.tls ? this.openTls(a.tls, (socket, pkiUser) => this.acceptAdmin(socket, pkiUser)) : createServer((socket: Socket) => this.acceptAdmin(socket));
      try {
        const port = await listenOn(admin, a.address, a.port);
        this.adminServers.push(admin);
        this.adminBound.push({ address: a.address, port, tls: a.tls !== undefined, localhostAdded: a.localhostAdded === true });
      } catch (e) {
        await this.close(0);
        throw new Error(`cannot open the ${a.tls ? 'TLS ' : ''}admin port ${a.address}:${a.port}: ${(e as Error).message}`);
      }
    }
    return this.boundPort;
  }

  /**
   * A TLS listener (service or admin port): the handshake verifies a client certificate unless
   * tls-authenticate-client is false; `onSocket` serves a socket that passed the checks.
   */
  private openTls(tls: Omit<ServiceTlsOptions, 'address' | 'port'>, onSocket: (socket: TLSSocket, pkiUser: string | undefined) => unknown = (s, u) => this.accept(s, u)): Server {
    const verify = tls.authenticateClient[0] !== 'false';
    const names = verify && tls.authenticateClient[0] !== 'any' && tls.authenticateClient.length > 0 ? tls.authenticateClient : undefined;
    const server = createTlsServer(
      { ...tls.context.options, requestCert: verify, rejectUnauthorized: verify, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS },
      (socket: TLSSocket) => {
        const cert = verify ? socket.getPeerCertificate(true) : undefined;
        const peer = `${socket.remoteAddress}:${socket.remotePort}`;
        if (cert && isBlacklisted(tls.context, cert)) {
          this.refusals.warn('tls-blacklist', `refusing TLS client ${peer} - certificate serial ${cert.serialNumber} is in cert-blacklist`);
          socket.destroy();
          return;
        }
        if (cert && names && !certificateMatches(cert, names)) {
          this.refusals.warn('tls-name', `refusing TLS client ${peer} - certificate names ${cert.subject?.CN ?? 'nothing'}, not ${names.join(' or ')}`);
          socket.destroy();
          return;
        }
        onSocket(socket, pkiUserOf(cert, tls.context.pkiUserAppendOu));
      },
    );
    // tls-refresh-period: connections accepted after a refresh use the new certificate and CAs
    onTlsContextChange(tls.context, () => {
      if (this.tlsServer === server || this.adminServers.includes(server)) (server as ReturnType<typeof createTlsServer>).setSecureContext(tls.context.options);
    });
    server.on('tlsClientError', (e, socket) => {
      this.refusals.warn('tls-handshake', `TLS handshake with ${socket.remoteAddress}:${socket.remotePort} failed: ${e.message}`);
    });
    return server;
  }

  /** Stops accepting, waits (bounded) for connections to go idle, then closes them. */
  async close(graceMs = 5000): Promise<void> {
    const servers = [this.server, this.tlsServer, ...this.adminServers].filter((s): s is Server => s !== undefined);
    this.server = undefined;
    this.tlsServer = undefined;
    this.adminServers = [];
    const closed = Promise.all(servers.map((server) => new Promise<void>((r) => server.close(() => r()))));
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && [...this.connections, ...this.adminConnections].some((c) => !c.idle)) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const c of [...this.connections, ...this.adminConnections]) c.close();
    await closed;
  }
}

/** Listens and resolves with the port bound (the one asked for, or the OS's pick for 0). */
function listenOn(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}
