/**
 * One client connection: reads proto frames from the socket without copying when a frame arrives
 * whole, validates the proto header as the reference server does, and answers in request order.
 */
import { Socket } from 'node:net';
import { inflateSync, deflateSync } from 'node:zlib';
import { ProtoType, ResponseBuilder, simpleReply, writeProtoHeader } from '../protocol/response-builder.js';
import { ResultCode } from '../protocol/result-codes.js';
import { Info1, MSG_HEADER_BYTES, type AsMsg } from '../protocol/message.js';
import { ANSWER_IN_BUFFER, dispatchMessage, type DataHandlers, type RequestGuard } from './dispatch.js';
import type { FrameSink } from '../protocol/frame-sink.js';
import type { NamespaceLookup } from '../transaction/keyed-request.js';
import type { LatencyRegistry } from './latency.js';
import type { RefusalLog } from './refusals.js';
import type { NodeSecurity } from '../security/access.js';
import type { ConnectionAuth } from '../security/admin.js';
import { SecResult } from '../security/codes.js';
import { readIntoOwnBuffers } from './socket-reads.js';
import { SocketWriter } from './socket-writes.js';

/** Largest frame body a client may send (server's PROTO_SIZE_MAX). */
export const PROTO_SIZE_MAX = 128 * 1024 * 1024;
/** Responses larger than this are compressed when the client asked for it. */
const COMPRESS_THRESHOLD_BYTES = 128;
/**
 * Most request bytes a connection reads ahead while an earlier answer is still being produced (a
 * batch or scan stream) or is still unsent; past it the socket is paused until the answer is done,
 * so a client that pipelines without reading cannot make the node buffer without limit.
 */
export const CONNECTION_READ_AHEAD_MAX_BYTES = 1024 * 1024;
/**
 * Most answer bytes written to a connection but not yet taken by the kernel (its socket buffer is
 * full: the client does not read) before the node stops reading its requests. With one chunk's
 * answers at most REPLY_UNFLUSHED_MAX_BYTES (or one answer) past it, this bounds what a slow reader
 * makes the node hold.
 */
export const CONNECTION_UNSENT_MAX_BYTES = 4 * 1024 * 1024;
/**
 * Largest request a type-4 (compressed) frame may inflate to: the 8 MiB maximum record size plus
 * room for the message around it. Inflation stops there (zlib's maxOutputLength), so a small frame
 * that claims or expands to 128 MiB is refused without the memory being allocated.
 */
export const COMPRESSED_REQUEST_MAX_BYTES = 16 * 1024 * 1024;
/** A connection's answer buffer grown past this by one large answer is dropped after it. */
export const ANSWER_BUFFER_KEEP_MAX_BYTES = 1024 * 1024;
/**
 * A connection's reply buffer: the answers to one chunk of requests are built in it one after
 * another and leave in one write. While the socket holds none of it (every write went to the
 * kernel at once, the usual case) it is reused from its start, so an answer costs no allocation.
 */
export const CONNECTION_REPLY_BUFFER_BYTES = 8 * 1024;
/** Room a new answer starts with at least; with less left the buffer is sent and renewed. */
const REPLY_ROOM_MIN_BYTES = 2 * 1024;
/**
 * Committed answers waiting for the end of their chunk past this many bytes go to the socket at
 * once, so large pipelined answers reach the unsent bound (and the client) without waiting.
 */
const REPLY_UNFLUSHED_MAX_BYTES = 64 * 1024;
/** Answers made elsewhere (info, refusals, routed frames) up to this size join the reply buffer. */
const REPLY_COPY_MAX_BYTES = 4 * 1024;
/**
 * A plain TCP connection's read buffer (socket-reads.ts): the kernel copies requests straight
 * into it, and it is reused for the next read unless something still holds part of it. Every
 * open connection keeps one (proto-fd-max of them at most), so it is sized for the usual chunk
 * of requests (a pipelining client's few, a batch of hundreds of keys); a larger request arrives
 * over several reads.
 */
export const CONNECTION_READ_BUFFER_BYTES = 16 * 1024;
/**
 * Unprocessed bytes at the end of a read (the start of a frame whose rest has not arrived) up to
 * this size are copied out so the read buffer is reused; past it the buffer is left to them and
 * the next read gets a new one.
 */
const READ_CARRY_COPY_MAX_BYTES = 4 * 1024;

export interface ConnectionContext {
  node: NamespaceLookup;
  handlers: DataHandlers;
  handleInfo(body: Buffer, conn: ClientConnection): Buffer;
  compressionEnabled(): boolean;
  onClose(conn: ClientConnection): void;
  stats: { requests: number; protoFramesMalformed: number; compressedRequestsRefused: number };
  /** rate-limited warnings for malformed frames and refused requests */
  refusals?: RefusalLog;
  latency?: LatencyRegistry;
  /** access control; undefined when the config has no `security` stanza */
  security?: NodeSecurity | undefined;
}

export class ClientConnection implements FrameSink {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private busy = false;
  private out = new ResponseBuilder(CONNECTION_REPLY_BUFFER_BYTES);
  /** offset in `out.buf` up to which committed answers have been handed to the socket */
  private flushedAt = 0;
  /** reading is paused (read-ahead or unsent bound reached) */
  private paused = false;
  /** paused because of the unsent bound: the writer's drain resumes reading */
  private waitingForDrain = false;
  /** stream answers waiting in drain() */
  private drainWaiters: (() => void)[] = [];
  /** every answer byte leaves through it (straight to the TCP handle, or the socket's write) */
  private readonly writer: SocketWriter;
  closed = false;
  /** user-agent-set is accepted once per connection */
  userAgent: string | undefined;
  /** accepted on the admin port: info and admin messages only (Aerospike 8.1) */
  adminPort = false;
  readonly remote: string;
  /** the client's address without the port (allowlists) */
  readonly address: string;
  /** the authenticated user (security on) */
  auth: ConnectionAuth | undefined;
  /** the user a verified TLS client certificate names (PKI login); undefined on clear connections */
  pkiUser: string | undefined;
  private readonly guard: RequestGuard | undefined;
  /** security on: each batch row's check (a refused row is answered on its row) */
  readonly rowGuard: ((row: AsMsg) => number) | undefined;
  readonly socket: Socket;
  /** the buffer the socket reads into (plain TCP); undefined on 'data' sockets */
  private readBuf: Buffer | undefined;
  /** something outlives the last read's callback holding part of `readBuf`: the next read gets a new one */
  private readBufHeld = false;

  /**
   * @param socket an accepted connection; a plain TCP one accepted paused (`pauseOnConnect`) is
   *   re-wrapped to read into a buffer of the connection's own (socket-reads.ts), any other socket
   *   is read through its 'data' events
   */
  constructor(
    socket: Socket,
    private readonly ctx: ConnectionContext,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.address = socket.remoteAddress ?? '';
    const security = ctx.security;
    this.guard = security ? (msg, kind, scan) => security.checkData(this, msg, kind, scan) : undefined;
    this.rowGuard = security ? (row) => security.checkRow(this, row) : undefined;
    const own = readIntoOwnBuffers(
      socket,
      (n, buf) => this.onRead(n, buf),
      () => this.nextReadBuffer(),
    );
    if (own) socket = own;
    else {
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      // accepted paused but not re-wrapped: read it the ordinary way
      if (socket instanceof Socket && socket.isPaused()) socket.resume();
    }
    this.socket = socket;
    this.writer = new SocketWriter(socket, () => this.onDrained());
    socket.setNoDelay(true);
    socket.on('error', () => this.close());
    socket.on('close', () => {
      this.closed = true;
      this.releaseDrainWaiters();
      ctx.onClose(this);
    });
  }

  get idle(): boolean {
    return !this.busy && this.pendingBytes === 0;
  }

  /** A stream answer (batch, scan/query) is still being produced; later frames wait for it. */
  get answering(): boolean {
    return this.busy;
  }

  send(frame: Buffer, written?: () => void): void {
    if (this.closed) return written?.();
    // answers committed before this frame go first
    this.flush();
    this.writer.write(frame, written);
  }

  drain(): Promise<void> {
    if (this.closed || !this.writer.needsDrain) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Every written byte went to the kernel: stream answers go on, reading resumes after the unsent bound. */
  private onDrained(): void {
    this.releaseDrainWaiters();
    if (this.waitingForDrain) {
      this.waitingForDrain = false;
      this.resume();
      if (!this.busy && !this.closed && this.pendingBytes >= 8) this.processFrames();
    }
  }

  private releaseDrainWaiters(): void {
    if (this.drainWaiters.length === 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }

  /**
   * A read into `readBuf` (n bytes at its start). The frames in it are answered here; what must
   * outlive the call is taken care of before the buffer is read into again: a partial frame's
   * bytes are copied out when few, else (or when a stream answer started here may still read its
   * request) the buffer is retired.
   */
  private onRead(n: number, buf: Buffer): boolean {
    this.onData(buf.subarray(0, n));
    if (this.busy) this.readBufHeld = true;
    else if (this.pendingBytes > 0 && !this.readBufHeld) this.carryPending(buf);
    return true;
  }

  /** Copies the pending bytes that still sit in `buf` out of it, or retires it when they are many. */
  private carryPending(buf: Buffer): void {
    const pending = this.pending;
    let inBuf = 0;
    for (let i = 0; i < pending.length; i++) if (pending[i]!.buffer === buf.buffer) inBuf += pending[i]!.length;
    if (inBuf > READ_CARRY_COPY_MAX_BYTES) {
      this.readBufHeld = true;
      return;
    }
    for (let i = 0; i < pending.length; i++) if (pending[i]!.buffer === buf.buffer) pending[i] = Buffer.from(pending[i]!);
  }

  /** The buffer for the next read: undefined keeps the current one, a new one when it is held. */
  private nextReadBuffer(): Buffer | undefined {
    if (this.readBuf !== undefined && !this.readBufHeld) return undefined;
    this.readBufHeld = false;
    this.readBuf = Buffer.allocUnsafeSlow(CONNECTION_READ_BUFFER_BYTES);
    return this.readBuf;
  }

  private onData(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (!this.busy) this.processFrames();
    else if (this.pendingBytes > CONNECTION_READ_AHEAD_MAX_BYTES) this.pause();
  }

  /** Stops reading the socket until {@link resume}: the kernel's buffers push back on the client. */
  private pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.socket.pause();
  }

  private resume(): void {
    if (!this.paused || this.closed) return;
    this.paused = false;
    this.socket.resume();
  }

  /** True when this many unsent answer bytes wait: stop reading until the socket drains. */
  private outputBackedUp(): boolean {
    if (this.writer.unsentBytes <= CONNECTION_UNSENT_MAX_BYTES) return false;
    this.pause();
    this.waitingForDrain = true;
    return true;
  }

  /** Takes a whole frame from the pending chunks and answers its body (a view when the frame sits in one chunk). */
  private takeFrameBody(size: number): Buffer {
    const first = this.pending[0]!;
    const n = 8 + size;
    if (first.length < n) {
      this.take(8);
      return this.take(size);
    }
    // one view for the body; the header was read by peekHeader
    const body = first.subarray(8, n);
    if (first.length === n) this.pending.shift();
    else this.pending[0] = first.subarray(n);
    this.pendingBytes -= n;
    return body;
  }

  /** Takes n bytes from the pending chunks (no copy when they sit in one chunk). */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.pending[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
      this.pendingBytes -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.pending[0]!;
      const need = n - filled;
      if (c.length <= need) {
        c.copy(out, filled);
        filled += c.length;
        this.pending.shift();
      } else {
        c.copy(out, filled, 0, need);
        this.pending[0] = c.subarray(need);
        filled += need;
      }
    }
    this.pendingBytes -= n;
    return out;
  }

  private peekHeader(): Buffer {
    const first = this.pending[0]!;
    if (first.length >= 8) return first;
    const h = Buffer.allocUnsafe(8);
    let filled = 0;
    for (const c of this.pending) {
      const n = Math.min(8 - filled, c.length);
      c.copy(h, filled, 0, n);
      filled += n;
      if (filled === 8) break;
    }
    return h;
  }

  private processFrames(): void {
    try {
      while (!this.closed && this.pendingBytes >= 8) {
        if (this.outputBackedUp()) return;
        const h = this.peekHeader();
        const version = h[0]!;
        const type = h[1]!;
        const size = h.readUIntBE(2, 6);
        // the checks and wording of Aerospike's service.c
        if (h[0] === 22 && h[1] === 3 && h[5] === 1) return this.malformed('tls', `ignoring TLS connection from ${this.remote}`);
        if (version !== 2 && !(version === 0 && type === ProtoType.ADMIN)) return this.malformed('version', `unsupported proto version ${version} from ${this.remote}`);
        if (type === 0 || type > 5) return this.malformed('type', `unsupported proto type ${type} from ${this.remote}`);
        if (size > PROTO_SIZE_MAX) return this.malformed('size', `invalid proto size ${size} from ${this.remote}`);
        if (this.pendingBytes < 8 + size) return; // wait for the rest of the frame
        const body = this.takeFrameBody(size);
        this.makeRoom();
        let answer: Buffer | Promise<void> | undefined | typeof ANSWER_IN_BUFFER;
        try {
          answer = this.handleFrame(type, body);
        } catch (e) {
          // a request that breaks the handler costs only its own connection, never the node
          return this.malformed('handler', `closing connection from ${this.remote} - request broke its handler: ${(e as Error).message}`);
        }
        if (answer instanceof Promise) {
          // a stream (batch/scan) answers asynchronously; hold later frames until it is done
          this.flush();
          this.busy = true;
          answer
            .catch(() => this.close())
            .finally(() => {
              this.busy = false;
              this.resume();
              if (!this.closed && this.pendingBytes >= 8) this.processFrames();
            });
          return;
        }
        if (answer) this.queue(answer);
      }
      if (this.pendingBytes < 8 + CONNECTION_READ_AHEAD_MAX_BYTES && this.writer.unsentBytes <= CONNECTION_UNSENT_MAX_BYTES) this.resume();
    } finally {
      // everything answered for this chunk leaves in one write
      this.flush();
    }
  }

  /** Hands the committed answers to the socket in one write; reuses the buffer once the socket holds none of it. */
  private flush(): void {
    const out = this.out;
    if (out.frameStart > this.flushedAt && !this.closed) this.writer.write(out.buf.subarray(this.flushedAt, out.frameStart));
    this.flushedAt = out.frameStart;
    // nothing unsent: every byte went to the kernel and no write holds the buffer
    if (this.writer.unsentBytes === 0 || this.closed) {
      out.rewind();
      this.flushedAt = 0;
    }
  }

  /**
   * Before an answer is built: the committed answers go out when they pile up, and the answer gets
   * enough room (a fresh buffer when the socket still holds the old one's bytes).
   */
  private makeRoom(): void {
    const out = this.out;
    // one large answer must not keep its buffer for the connection's lifetime
    const oversized = out.buf.length > ANSWER_BUFFER_KEEP_MAX_BYTES;
    if (oversized || out.buf.length - out.frameStart < REPLY_ROOM_MIN_BYTES || out.frameStart - this.flushedAt > REPLY_UNFLUSHED_MAX_BYTES) {
      this.flush();
      if (oversized) {
        out.replaceBuffer(Buffer.allocUnsafe(CONNECTION_REPLY_BUFFER_BYTES));
        this.flushedAt = 0;
      } else if (out.buf.length - out.frameStart < REPLY_ROOM_MIN_BYTES) {
        out.replaceBuffer(Buffer.allocUnsafe(out.buf.length));
        this.flushedAt = 0;
      }
    }
    out.reset();
  }

  /** Queues an answer made outside the reply buffer after the committed ones. */
  private queue(frame: Buffer): void {
    if (frame.length <= REPLY_COPY_MAX_BYTES) return this.out.appendFrame(frame);
    this.flush();
    this.writer.write(frame);
  }

  private handleFrame(type: number, body: Buffer): Buffer | Promise<void> | undefined | typeof ANSWER_IN_BUFFER {
    if (this.adminPort && type !== ProtoType.INFO && type !== ProtoType.ADMIN) {
      // Aerospike's admin port closes such a connection, with this warning
      this.flush();
      this.ctx.refusals?.warn('admin-port-type', `from ${this.remote} - expected info or security type on admin port, got ${type}`);
      this.close();
      return undefined;
    }
    this.ctx.stats.requests++;
    switch (type) {
      case ProtoType.INFO:
        return this.ctx.handleInfo(body, this);
      case ProtoType.ADMIN:
        return this.ctx.security ? this.ctx.security.admin.handle(body, this) : adminNotSupported();
      case ProtoType.MESSAGE:
        return this.dispatch(body, false);
      case ProtoType.COMPRESSED:
        return this.handleCompressed(body);
      default:
        // type 5 (internal XDR) is never answered on the service port
        return undefined;
    }
  }

  private dispatch(body: Buffer, compressedRequest: boolean): Buffer | Promise<void> | typeof ANSWER_IN_BUFFER {
    const start = this.out.frameStart;
    const answer = dispatchMessage(this.ctx.node, this.ctx.handlers, body, this.out, this, this.ctx.latency, this.guard);
    if (answer instanceof Promise) return answer;
    const wantsCompressed = body.length >= 2 && (body[1]! & Info1.COMPRESS_RESPONSE) !== 0;
    if (!(wantsCompressed || compressedRequest) || !this.ctx.compressionEnabled()) return answer;
    const frame = answer ?? this.out.uncommitFrom(start);
    return frame.length > COMPRESS_THRESHOLD_BYTES ? compressFrame(frame) : frame;
  }

  /** Counts and logs (rate-limited) a malformed frame, then closes the connection as Aerospike does. */
  private malformed(kind: string, message: string): void {
    // the answers to the frames before it still go out, as they would have one by one
    this.flush();
    this.ctx.stats.protoFramesMalformed++;
    this.ctx.refusals?.warn(kind, message);
    this.close();
  }

  private refuseCompressed(kind: string, message: string): Buffer {
    this.ctx.stats.compressedRequestsRefused++;
    this.ctx.refusals?.warn(`compressed-${kind}`, `${message} from ${this.remote}`);
    return simpleReply(ResultCode.PARAMETER);
  }

  private handleCompressed(body: Buffer): Buffer | Promise<void> | typeof ANSWER_IN_BUFFER {
    if (!this.ctx.compressionEnabled()) return simpleReply(ResultCode.ENTERPRISE_ONLY);
    if (this.ctx.security && !this.auth) return simpleReply(SecResult.NOT_AUTHENTICATED);
    if (body.length < 8 + 8) return this.refuseCompressed('short', 'compressed request too short');
    const declared = Number(body.readBigUInt64BE(0));
    if (declared < 8 + MSG_HEADER_BYTES || declared > COMPRESSED_REQUEST_MAX_BYTES) {
      return this.refuseCompressed('size', `compressed request of ${declared} bytes inflated (limit ${COMPRESSED_REQUEST_MAX_BYTES})`);
    }
    let inner: Buffer;
    try {
      inner = inflateSync(body.subarray(8), { maxOutputLength: declared });
    } catch (e) {
      return this.refuseCompressed('inflate', `compressed request not inflatable within its ${declared} bytes (${(e as Error).message})`);
    }
    if (inner.length !== declared || inner[0] !== 2 || inner[1] !== ProtoType.MESSAGE) return simpleReply(ResultCode.PARAMETER);
    if (inner.readUIntBE(2, 6) + 8 !== inner.length) return simpleReply(ResultCode.PARAMETER);
    return this.dispatch(inner.subarray(8), true);
  }
}

/** Wraps a complete type-3 frame in a type-4 compressed frame. */
export function compressFrame(frame: Buffer): Buffer {
  const z = deflateSync(frame, { level: 1 });
  const out = Buffer.allocUnsafe(8 + 8 + z.length);
  writeProtoHeader(out, 0, ProtoType.COMPRESSED, 8 + z.length);
  out.writeBigUInt64BE(BigInt(frame.length), 8);
  z.copy(out, 16);
  return out;
}

/** Community Edition has no security: every admin message answers SECURITY_NOT_SUPPORTED. */
function adminNotSupported(): Buffer {
  const b = Buffer.alloc(8 + 16);
  writeProtoHeader(b, 0, ProtoType.ADMIN, 16);
  b[9] = 51;
  return b;
}
