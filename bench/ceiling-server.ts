/**
 * The ceiling baseline of `npm run bench`: a minimal server that speaks just enough of the
 * Aerospike protocol to answer the kv workload with canned replies: it frames requests, tells a
 * read (info1 READ) from a write, and writes a prepared answer — a read gets one 1000-byte blob
 * bin like Strato's, a write an empty success, an info request an empty info answer. No index, no
 * storage, no decoding: what one Node.js event loop costs to move these bytes. Strato's figures
 * are printed as a fraction of it. Run as its own process (its CPU time is measured apart):
 * `node dist/bench/ceiling-server.js` prints `listening on 127.0.0.1:<port>`.
 */
import { createServer, type Socket } from 'node:net';
import { readIntoOwnBuffers } from '../src/server/socket-reads.js';
import { SocketWriter } from '../src/server/socket-writes.js';

const PROTO_HEADER_BYTES = 8;
const MSG_HEADER_BYTES = 22;
const TYPE_INFO = 1;
const TYPE_MSG = 3;
const INFO1_READ = 0x01;
/** Frames larger than this close the connection (the generator never sends them). */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** A connection's read buffer, the size of a node's (CONNECTION_READ_BUFFER_BYTES in src/server/connection.ts). */
const READ_BUFFER_BYTES = 16 * 1024;
const VALUE_BYTES = Number(process.env['BENCH_CEILING_VALUE_BYTES'] ?? 1000);

function protoHeader(type: number, bodyBytes: number): Buffer {
  const h = Buffer.alloc(PROTO_HEADER_BYTES);
  h[0] = 2;
  h[1] = type;
  h.writeUIntBE(bodyBytes, 2, 6);
  return h;
}

/** An AS_MSG answer: result 0, generation 1, and `bins` ops. */
function answer(bins: { name: string; value: Buffer }[]): Buffer {
  const ops = bins.map((b) => {
    const name = Buffer.from(b.name);
    const op = Buffer.alloc(8 + name.length);
    op.writeUInt32BE(4 + name.length + b.value.length, 0);
    op[4] = 1; // read
    op[5] = 4; // blob
    op[7] = name.length;
    name.copy(op, 8);
    return Buffer.concat([op, b.value]);
  });
  const head = Buffer.alloc(MSG_HEADER_BYTES);
  head[0] = MSG_HEADER_BYTES;
  head.writeUInt32BE(1, 6); // generation
  head.writeUInt16BE(bins.length, 20);
  const body = Buffer.concat([head, ...ops]);
  return Buffer.concat([protoHeader(TYPE_MSG, body.length), body]);
}

const READ_ANSWER = answer([{ name: 'v', value: Buffer.alloc(VALUE_BYTES, 0x5a) }]);
const WRITE_ANSWER = answer([]);
const INFO_ANSWER = protoHeader(TYPE_INFO, 0);

/** Frames requests out of `buf` (pending bytes first) and answers them; returns the bytes left unframed. */
function answerChunk(writer: SocketWriter, socket: Socket, pending: Buffer | undefined, chunk: Buffer): Buffer | undefined {
  const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
  let p = 0;
  const out: Buffer[] = [];
  while (buf.length - p >= PROTO_HEADER_BYTES) {
    const size = buf.readUIntBE(p + 2, 6);
    if (size > MAX_FRAME_BYTES) {
      socket.destroy();
      return undefined;
    }
    if (buf.length - p < PROTO_HEADER_BYTES + size) break;
    const type = buf[p + 1]!;
    if (type === TYPE_MSG) out.push(buf[p + PROTO_HEADER_BYTES + 1]! & INFO1_READ ? READ_ANSWER : WRITE_ANSWER);
    else out.push(INFO_ANSWER);
    p += PROTO_HEADER_BYTES + size;
  }
  if (out.length === 1) writer.write(out[0]!);
  else if (out.length > 1) writer.write(Buffer.concat(out));
  return p < buf.length ? buf.subarray(p) : undefined;
}

/**
 * Reads the way a Strato node does (socket-reads.ts: the kernel copies requests into a buffer the
 * connection owns, no 'data' events), so the ceiling pays no more per read than the node does;
 * unframed bytes are copied out of the buffer before it is read into again.
 */
function serve(accepted: Socket): void {
  let pending: Buffer | undefined;
  const readBuf = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  let socket: Socket = accepted;
  let writer: SocketWriter | undefined;
  const own = readIntoOwnBuffers(
    accepted,
    (n, buf) => {
      const left = answerChunk(writer!, socket, pending, buf.subarray(0, n));
      pending = left === undefined ? undefined : Buffer.from(left);
      return true;
    },
    () => readBuf,
  );
  if (own) socket = own;
  // writes as a node does too (socket-writes.ts: straight to the TCP handle)
  writer = new SocketWriter(socket, () => undefined);
  if (!own) {
    socket.on('data', (chunk: Buffer) => {
      pending = answerChunk(writer!, socket, pending, chunk);
    });
    socket.resume();
  }
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
}

const server = createServer({ pauseOnConnect: true }, serve);
server.listen(0, '127.0.0.1', () => {
  process.stderr.write(`listening on 127.0.0.1:${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
