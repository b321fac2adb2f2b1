/**
 * Reads of an accepted plain TCP connection into a buffer the connection owns (net.Socket's
 * `onread` option): the kernel copies each chunk straight into it and the callback gets the byte
 * count. The default 'data' path costs per read a fresh 64 KiB allocation shrunk to the chunk, a
 * Buffer object and the Readable stream's push/emit/nextTick machinery: measured on the 80/20
 * load (16 sync connections, one request per read) that is ~1.5 µs of the event loop's ~3 µs per
 * request in a server that only answers canned replies, and ~1 KB of garbage per request.
 *
 * net.Server offers no `onread` for the sockets it accepts, so an accepted socket (accepted
 * paused, `pauseOnConnect`) hands its TCP handle to a new net.Socket made with the option; the
 * accepted one is destroyed when the new one closes, which keeps the server's connection count
 * (and so `server.close()`) right. Anything that is not such a socket (TLS, an in-process test
 * socket, a Node.js whose internals differ, STRATO_SOCKET_INTERNALS=0 in the environment) is left
 * alone: the caller then reads 'data' events.
 */
import { Socket, type SocketConstructorOpts, type OnReadOpts } from 'node:net';
import { socketInternalsAllowed } from './socket-writes.js';

/** The internals of an accepted socket this module relies on (checked before use). */
interface AcceptedSocket {
  _handle?: { readStart?: unknown; useUserBuffer?: unknown } | null;
}

/**
 * Re-wraps `accepted` so its reads land in the buffers `nextBuffer` gives: it is called once for
 * the first read and after every `onRead` (undefined = keep the current buffer). `onRead(n, buf)`
 * gets the chunk as buf[0, n); buf is overwritten by the next read unless `nextBuffer` replaces
 * it, so whatever must outlive the call is copied or the buffer retired. Returns the socket to
 * use (the accepted one must not be touched any more), or undefined when `accepted` cannot be
 * re-wrapped: not a plain paused net.Socket with a TCP handle.
 */
export function readIntoOwnBuffers(
  accepted: Socket,
  onRead: (n: number, buf: Buffer) => boolean,
  nextBuffer: () => Buffer | undefined,
): Socket | undefined {
  const inner = accepted as unknown as AcceptedSocket;
  const handle = inner._handle;
  if (!socketInternalsAllowed() || accepted.constructor !== Socket || !handle || typeof handle.readStart !== 'function' || typeof handle.useUserBuffer !== 'function') return undefined;
  // only a socket accepted paused has not read anything yet (nothing may be lost in between)
  if (!accepted.isPaused() || accepted.readableLength !== 0) return undefined;
  inner._handle = null;
  const onread: OnReadOpts = {
    buffer: () => nextBuffer() as Uint8Array,
    callback: (n, buf) => onRead(n, buf as Buffer),
  };
  // `handle` is what net.Server itself passes for an accepted connection (not in the typings)
  const opts = { handle, readable: true, writable: true, onread } as SocketConstructorOpts;
  const socket = new Socket(opts);
  socket.once('close', () => accepted.destroy());
  return socket;
}
