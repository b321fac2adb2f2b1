/**
 * Writes of a connection's answers straight to its TCP handle instead of through net.Socket's
 * Writable stream. A Writable `write` runs per call the stream's state machine (length and
 * corking bookkeeping, a callback object), allocates a WriteWrap, and schedules `afterWrite` on
 * process.nextTick even when the kernel took every byte at once: on the 80/20 load (one answer
 * per read) that is a large part of what a node pays between the transaction and the kernel.
 *
 * Here a write is one call of the handle's `writeBuffer` (what Node.js's own stream_base_commons
 * does under the Writable): libuv tries the write at once and, when the kernel takes it all (the
 * usual case), nothing else happens: no request object is kept, no callback runs. Only a write
 * the kernel could not take whole is queued by libuv and completes later, in order, through the
 * request object's `oncomplete`; its bytes count as unsent until then.
 *
 * This uses Node.js internals (`process.binding('stream_wrap')`'s WriteWrap and its
 * streamBaseState), checked once at load and per socket. Anything that does not fit (no such
 * binding, a TLS or in-process socket, a handle without `writeBuffer`), or STRATO_SOCKET_INTERNALS=0
 * in the environment, uses the socket's own `write`: same behaviour, the stream's cost.
 */
import { Socket } from 'node:net';

/** What this module needs of Node.js's stream_wrap binding. */
interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: { readonly [i: number]: number };
  kBytesWritten: number;
  kLastWriteWasAsync: number;
}

/** A WriteWrap object: libuv's write request as JavaScript sees it, with the fields set here. */
interface WriteReq {
  /** called by Node.js (this = the request) once a queued write is done; status < 0: failed */
  oncomplete: (this: WriteReq, status: number) => void;
  /** the writer that queued it */
  owner: SocketWriter | undefined;
  /** keeps the written bytes alive until libuv is done with them */
  buffer: Uint8Array | undefined;
  written: (() => void) | undefined;
  bytes: number;
}

interface TcpHandle {
  writeBuffer(req: WriteReq, data: Uint8Array): number;
}

/**
 * A writer with more than this many bytes not yet taken by the kernel asks stream answers (batch,
 * scan) to wait for its drain: Node.js 20's default high-water mark of a socket, which the
 * fallback path keeps using.
 */
export const WRITE_HIGH_WATER_BYTES = 16 * 1024;

/** Environment switch: `0` makes sockets use net.Socket's own reads and writes (a fallback and a test hook). */
export const SOCKET_INTERNALS_ENV = 'STRATO_SOCKET_INTERNALS';

/** True unless STRATO_SOCKET_INTERNALS=0: socket-reads.ts and this module may use Node.js internals. */
export function socketInternalsAllowed(): boolean {
  return process.env[SOCKET_INTERNALS_ENV] !== '0';
}

const streamWrap = loadStreamWrap();

function loadStreamWrap(): StreamWrapBinding | undefined {
  try {
    const binding = (process as unknown as { binding?: (name: string) => unknown }).binding;
    if (typeof binding !== 'function') return undefined;
    const b = binding('stream_wrap') as Partial<StreamWrapBinding> | undefined;
    if (!b || typeof b.WriteWrap !== 'function' || !b.streamBaseState) return undefined;
    if (typeof b.kBytesWritten !== 'number' || typeof b.kLastWriteWasAsync !== 'number') return undefined;
    return b as StreamWrapBinding;
  } catch {
    return undefined;
  }
}

/** True when this Node.js offers what direct writes need (independent of any socket). */
export function directWritesAvailable(): boolean {
  return streamWrap !== undefined && socketInternalsAllowed();
}

/**
 * A connection's writer. `write` returns whether the bytes are already with the kernel (the
 * buffer may be reused at once); `unsentBytes` counts what is not yet, which the connection bounds
 * (it stops reading past its limit) and `onDrain` reports back at zero.
 */
export class SocketWriter {
  /** bytes handed to this writer that the kernel has not taken yet */
  private queuedBytes = 0;
  /** writes queued by libuv, oldest first (empty in the usual case) */
  private readonly inFlight: WriteReq[] = [];
  /** the request object for the next direct write: reused while writes complete at once */
  private req: WriteReq | undefined;
  private readonly handle: TcpHandle | undefined;
  /** true when writes go straight to the TCP handle; false: through the socket's `write` */
  readonly direct: boolean;

  /**
   * @param socket a connected socket this writer alone writes to from now on (mixing in the
   *   socket's own `write` could reorder bytes)
   * @param onDrain called when every byte written has gone to the kernel after some had to wait
   * @param allowDirect false forces the socket's own `write` (tests of the fallback)
   */
  constructor(
    private readonly socket: Socket,
    private readonly onDrain: () => void,
    allowDirect = true,
  ) {
    const handle = (socket as unknown as { _handle?: Partial<TcpHandle> | null })._handle;
    this.direct =
      allowDirect &&
      directWritesAvailable() &&
      socket.constructor === Socket &&
      !socket.connecting &&
      socket.writableLength === 0 &&
      !!handle &&
      typeof handle.writeBuffer === 'function';
    if (this.direct) {
      this.handle = handle as TcpHandle;
      socket.once('close', () => this.settleAll());
    } else socket.on('drain', onDrain);
  }

  /** True when a stream answer should wait for `onDrain` before producing more (past the high-water mark). */
  get needsDrain(): boolean {
    return this.direct ? this.queuedBytes > WRITE_HIGH_WATER_BYTES : this.socket.writableNeedDrain;
  }

  /** Bytes written but not yet taken by the kernel. */
  get unsentBytes(): number {
    return this.direct ? this.queuedBytes : this.socket.writableLength;
  }

  /**
   * Writes `data` after everything written before. Returns true when the kernel has all of it
   * (`data` may be reused at once; `written` has run); false when some is queued: `data` must not
   * change until `written` runs (always asynchronously then), also when the socket closes first.
   */
  write(data: Uint8Array, written?: () => void): boolean {
    if (!this.direct) {
      if (written) this.socket.write(data, () => written());
      else this.socket.write(data);
      return this.socket.writableLength === 0;
    }
    const socket = this.socket;
    if (socket.destroyed) {
      written?.();
      return true;
    }
    const req = this.req ?? newReq();
    const err = this.handle!.writeBuffer(req, data);
    if (err !== 0) {
      // the connection is gone or broken (EPIPE, ECONNRESET): as the stream would, close it
      socket.destroy();
      written?.();
      return true;
    }
    const state = streamWrap!.streamBaseState;
    if (state[streamWrap!.kLastWriteWasAsync] === 0) {
      // the kernel took it all: the request object was not used and serves the next write
      this.req = req;
      written?.();
      return true;
    }
    // queued by libuv: the request object belongs to this write until it completes
    this.req = undefined;
    req.owner = this;
    req.buffer = data;
    req.written = written;
    req.bytes = data.length;
    this.queuedBytes += data.length;
    this.inFlight.push(req);
    return false;
  }

  /** A queued write is done (libuv completes them in order). */
  complete(req: WriteReq, status: number): void {
    if (this.inFlight[0] === req) this.inFlight.shift();
    else {
      const i = this.inFlight.indexOf(req);
      if (i < 0) return; // settled when the socket closed
      this.inFlight.splice(i, 1);
    }
    this.settle(req);
    // a failed write (the peer reset) ends the connection, as the stream does; ECANCELED: closing
    if (status < 0 && !this.socket.destroyed) this.socket.destroy();
    if (this.queuedBytes === 0 && !this.socket.destroyed) this.onDrain();
  }

  private settle(req: WriteReq): void {
    this.queuedBytes -= req.bytes;
    const written = req.written;
    req.owner = undefined;
    req.buffer = undefined;
    req.written = undefined;
    written?.();
  }

  /** The socket closed: whatever libuv did not report is done with. */
  private settleAll(): void {
    while (this.inFlight.length > 0) this.settle(this.inFlight.shift()!);
  }
}

function newReq(): WriteReq {
  const req = new streamWrap!.WriteWrap();
  req.oncomplete = onWriteComplete;
  req.owner = undefined;
  req.buffer = undefined;
  req.written = undefined;
  req.bytes = 0;
  return req;
}

/** WriteWrap's completion (Node.js calls it with the request as `this`). */
function onWriteComplete(this: WriteReq, status: number): void {
  this.owner?.complete(this, status);
}
