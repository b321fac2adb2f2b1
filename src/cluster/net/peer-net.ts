/**
 * Length-prefixed messages over TCP between cluster nodes (the heartbeat and fabric sockets).
 * One outgoing connection per peer address carries this node's messages to that peer in order
 * (migrations and their completions rely on that FIFO order); the peer answers requests on the
 * same connection. Everything is best effort: a lost connection fails the requests in flight and
 * the next send reconnects.
 *
 * Frame: u32 length of the rest | u8 kind (0 one-way, 1 request, 2 response, 3 error response) |
 *        u8 type | u32 request id | payload
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import {
  checkServerIdentity,
  connect as tlsConnect,
  createServer as createTlsServer,
  type PeerCertificate,
  type SecureContextOptions,
  type TLSSocket,
} from 'node:tls';

const HEADER_BYTES = 4 + 1 + 1 + 4;
const KIND_ONEWAY = 0;
const KIND_REQUEST = 1;
const KIND_RESPONSE = 2;
const KIND_ERROR = 3;

/** What a message handler returns: an answer for requests (ignored for one-way messages). */
export type MessageHandler = (type: number, payload: Buffer, fromAddress: string) => Buffer | Promise<Buffer> | void | Promise<void>;

export class PeerRequestError extends Error {}

/**
 * What cluster code needs from a node's endpoint on one cluster port. `PeerNet` is the TCP one;
 * the simulator supplies an in-process one on a simulated clock with cut links.
 */
export interface MessageLink {
  listen(host: string, port: number): Promise<number>;
  /** fire-and-forget, in order per destination; lost when the peer is unreachable */
  send(address: string, type: number, payload: Buffer): void;
  /** answered by the peer's handler; rejects on timeout, error answer or lost connection */
  request(address: string, type: number, payload: Buffer, timeoutMs: number): Promise<Buffer>;
  /** drops the connection to `address` so the next send reconnects */
  resetLink(address: string): void;
  close(): Promise<void>;
}

/** Builds a node's link for one purpose (heartbeat or fabric port) around its message handler. */
export type MessageLinkFactory = (purpose: 'heartbeat' | 'fabric', handler: MessageHandler) => MessageLink;

/**
 * TLS between nodes (Aerospike EE's heartbeat / fabric `tls-name`): both sides present a
 * certificate the CA signed that names `name`, and each verifies the other's.
 */
export interface PeerTls {
  /** certificate, key, CAs, protocol range, ciphers */
  options: SecureContextOptions;
  /** the name every node's certificate presents (CN or DNS alt name) */
  name: string;
  /** a further check of a verified certificate (the cert-blacklist); false refuses the peer */
  accept?: (cert: PeerCertificate) => boolean;
  /** registers a call made when `options` changed (certificate refresh): the listener swaps its context */
  onChange?: (fn: () => void) => void;
}

export interface PeerNetOptions {
  /** largest frame accepted; a peer sending more is disconnected */
  maxFrameBytes: number;
  /** an outgoing connection not established after this long is dropped */
  connectTimeoutMs: number;
  /** frames queued while connecting, beyond which one-way messages are dropped */
  maxQueuedFrames: number;
  /** undefined = clear TCP */
  tls?: PeerTls | undefined;
}

const DEFAULTS: PeerNetOptions = { maxFrameBytes: 64 * 1024 * 1024, connectTimeoutMs: 1000, maxQueuedFrames: 10_000 };

/** Whether a verified peer certificate names the cluster's TLS name and passes the extra check. */
function peerAccepted(tls: PeerTls, cert: PeerCertificate | undefined): boolean {
  if (!cert || Object.keys(cert).length === 0) return false;
  return checkServerIdentity(tls.name, cert) === undefined && (tls.accept?.(cert) ?? true);
}

interface Pending {
  resolve(b: Buffer): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** Splits a byte stream into frames; calls `onFrame` for each. Returns false on a bad length. */
class FrameReader {
  private chunks: Buffer[] = [];
  private bytes = 0;
  constructor(
    private readonly maxFrame: number,
    private readonly onFrame: (kind: number, type: number, reqId: number, payload: Buffer) => void,
  ) {}

  push(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes >= 4) {
      if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks)];
      const len = this.chunks[0]!.readUInt32BE(0);
      if (len < HEADER_BYTES - 4 || len > this.maxFrame) return false;
      if (this.bytes < 4 + len) return true;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      const frame = all.subarray(0, 4 + len);
      const rest = all.subarray(4 + len);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.bytes = rest.length;
      this.onFrame(frame[4]!, frame[5]!, frame.readUInt32BE(6), frame.subarray(HEADER_BYTES));
    }
    return true;
  }
}

function encodeFrame(kind: number, type: number, reqId: number, payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  b.writeUInt32BE(HEADER_BYTES - 4 + payload.length, 0);
  b[4] = kind;
  b[5] = type;
  b.writeUInt32BE(reqId, 6);
  payload.copy(b, HEADER_BYTES);
  return b;
}

/**
 * Writes `frame` to `socket`, coalesced: the first frame of a turn of the event loop corks the
 * socket and the frames written until the next tick leave together in one writev (one system
 * call). A migration round sends thousands of small requests and answers in a loop; written one
 * by one, each was a system call (in a 3-node device cluster under restarts, socket writes were
 * a fifth of the nodes' CPU). Order per socket is unchanged.
 */
function writeCoalesced(socket: Socket, frame: Buffer): void {
  if (socket.writableCorked === 0) {
    socket.cork();
    process.nextTick(uncork, socket);
  }
  socket.write(frame);
}

function uncork(socket: Socket): void {
  socket.uncork();
}

class OutgoingLink {
  socket: Socket;
  connected = false;
  queue: Buffer[] = [];
  readonly pending = new Map<number, Pending>();

  constructor(
    readonly address: string,
    private readonly net: PeerNet,
    opts: PeerNetOptions,
  ) {
    const [host, port] = splitAddress(address);
    const tls = opts.tls;
    this.socket = tls
      ? tlsConnect({ host, port, ...tls.options, servername: tls.name, checkServerIdentity: (_h, cert) => (peerAccepted(tls, cert) ? undefined : new Error(`peer ${address} does not present TLS name ${tls.name}`)) })
      : connect({ host, port });
    this.socket.setNoDelay(true);
    const timer = setTimeout(() => this.socket.destroy(new Error('connect timeout')), opts.connectTimeoutMs);
    this.socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      this.connected = true;
      for (const f of this.queue) writeCoalesced(this.socket, f);
      this.queue = [];
    });
    const reader = new FrameReader(opts.maxFrameBytes, (kind, _type, reqId, payload) => {
      const p = this.pending.get(reqId);
      if (!p) return;
      this.pending.delete(reqId);
      clearTimeout(p.timer);
      if (kind === KIND_RESPONSE) p.resolve(Buffer.from(payload));
      else p.reject(new PeerRequestError(payload.toString('utf8')));
    });
    this.socket.on('data', (c: Buffer) => {
      if (!reader.push(c)) this.socket.destroy();
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      clearTimeout(timer);
      this.net.linkClosed(this);
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new PeerRequestError(`connection to ${address} lost`));
      }
      this.pending.clear();
    });
  }

  write(frame: Buffer, droppable: boolean, maxQueued: number): void {
    if (this.connected) writeCoalesced(this.socket, frame);
    else if (!droppable || this.queue.length < maxQueued) this.queue.push(frame);
  }
}

/** A node's endpoint on one cluster port: listens for peers and connects out to them. */
export class PeerNet implements MessageLink {
  private server: Server | undefined;
  private readonly opts: PeerNetOptions;
  private readonly links = new Map<string, OutgoingLink>();
  private readonly incoming = new Set<Socket>();
  private nextReqId = 1;
  private closed = false;
  boundPort = 0;

  constructor(
    private readonly handler: MessageHandler,
    opts: Partial<PeerNetOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const tls = this.opts.tls;
      const server = tls
        ? createTlsServer({ ...tls.options, requestCert: true, rejectUnauthorized: true, handshakeTimeout: this.opts.connectTimeoutMs * 10 }, (socket: TLSSocket) => {
            // the CA verified the certificate during the handshake; it must also name the cluster's TLS name
            if (!peerAccepted(tls, socket.getPeerCertificate())) return void socket.destroy();
            this.accept(socket);
          })
        : createServer((socket) => this.accept(socket));
      // a failed handshake only ends that connection
      if (tls) server.on('tlsClientError', () => undefined);
      // a refreshed certificate serves the connections accepted from then on
      if (tls) tls.onChange?.(() => (server as ReturnType<typeof createTlsServer>).setSecureContext(tls.options));
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        const a = server.address();
        this.boundPort = typeof a === 'object' && a ? a.port : port;
        this.server = server;
        resolve(this.boundPort);
      });
    });
  }

  /** Fire-and-forget message; dropped when the peer cannot be reached. */
  send(address: string, type: number, payload: Buffer): void {
    if (this.closed) return;
    this.link(address).write(encodeFrame(KIND_ONEWAY, type, 0, payload), true, this.opts.maxQueuedFrames);
  }

  /** A request answered by the peer's handler; rejects on timeout, error answer or lost connection. */
  request(address: string, type: number, payload: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.closed) return Promise.reject(new PeerRequestError('closed'));
    const link = this.link(address);
    const reqId = this.nextReqId;
    this.nextReqId = this.nextReqId >= 0xffff_fff0 ? 1 : this.nextReqId + 1;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        link.pending.delete(reqId);
        reject(new PeerRequestError(`request to ${address} timed out`));
      }, timeoutMs);
      link.pending.set(reqId, { resolve, reject, timer });
      link.write(encodeFrame(KIND_REQUEST, type, reqId, payload), false, this.opts.maxQueuedFrames);
    });
  }

  /** Drops the outgoing connection to `address` (a silent peer): the next send reconnects. */
  resetLink(address: string): void {
    this.links.get(address)?.socket.destroy();
  }

  /** @internal */
  linkClosed(link: OutgoingLink): void {
    if (this.links.get(link.address) === link) this.links.delete(link.address);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const l of this.links.values()) l.socket.destroy();
    for (const s of this.incoming) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private link(address: string): OutgoingLink {
    let l = this.links.get(address);
    if (!l) {
      l = new OutgoingLink(address, this, this.opts);
      this.links.set(address, l);
    }
    return l;
  }

  private accept(socket: Socket): void {
    if (this.closed) return void socket.destroy();
    this.incoming.add(socket);
    socket.setNoDelay(true);
    const from = `${socket.remoteAddress}:${socket.remotePort}`;
    const reader = new FrameReader(this.opts.maxFrameBytes, (kind, type, reqId, payload) => {
      if (kind !== KIND_ONEWAY && kind !== KIND_REQUEST) return void socket.destroy();
      const answer = (k: number, body: Buffer) => {
        if (kind === KIND_REQUEST && !socket.destroyed) writeCoalesced(socket, encodeFrame(k, type, reqId, body));
      };
      const fail = (e: unknown) => answer(KIND_ERROR, Buffer.from(e instanceof Error ? e.message : String(e)));
      // handlers may keep the payload past this call; it must not alias the reader's buffer
      const own = Buffer.from(payload);
      try {
        const r = this.handler(type, own, from);
        if (r instanceof Promise) r.then((b) => answer(KIND_RESPONSE, b ?? Buffer.alloc(0)), fail);
        else answer(KIND_RESPONSE, r ?? Buffer.alloc(0));
      } catch (e) {
        fail(e);
      }
    });
    socket.on('data', (c: Buffer) => {
      if (!reader.push(c)) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.incoming.delete(socket));
  }
}

/** "host:port" → [host, port]; IPv6 hosts in brackets. */
export function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  if (i <= 0) throw new RangeError(`bad address '${address}'`);
  let host = address.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(address.slice(i + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`bad port in '${address}'`);
  return [host, port];
}

export function joinAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
