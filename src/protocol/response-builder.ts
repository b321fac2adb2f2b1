/**
 * Builds response frames: one proto header followed by one or more as_msg messages. Counts are
 * patched when a message ends, so fields and ops can be appended as they are produced.
 */
import { MSG_HEADER_BYTES } from './message.js';
import { acquireFrameBuffer } from './frame-pool.js';

export const PROTO_VERSION = 2;
const EMPTY = Buffer.alloc(0);
export const ProtoType = {
  INFO: 1,
  ADMIN: 2,
  MESSAGE: 3,
  COMPRESSED: 4,
} as const;

export class ResponseBuilder {
  buf: Buffer;
  pos = 8;
  /**
   * Where the frame being built starts in `buf`. 0 for a builder that hands each frame over
   * (finish, takeFrame); a connection's reply builder commits frames one after another
   * (commitFrame) so the answers to one chunk of requests leave in one write.
   */
  frameStart = 0;
  private msgStart = -1;
  private nFields = 0;
  private nOps = 0;
  /** size of the buffer allocated after takeFrame handed the last one over */
  private nextBytes = 512;

  /**
   * `pooled`: frames come from the frame pool (frame-pool.ts); whoever sends a taken frame
   * returns it with releaseFrameBuffer once written.
   */
  constructor(
    initialBytes = 512,
    private readonly pooled = false,
  ) {
    this.nextBytes = Math.max(64, initialBytes);
    this.buf = pooled ? EMPTY : Buffer.allocUnsafe(this.nextBytes);
  }

  /** Starts over (reusing the buffer) for a new frame. */
  reset(): void {
    this.pos = this.frameStart + 8;
    this.msgStart = -1;
  }

  /** Forgets every committed frame: the buffer is reused from its start (nothing else reads it). */
  rewind(): void {
    this.frameStart = 0;
    this.reset();
  }

  /** Continues in `buf` (a fresh buffer) from its start; the old one is left to its readers. */
  replaceBuffer(buf: Buffer): void {
    this.buf = buf;
    this.rewind();
  }

  /**
   * Writes the proto header of the frame being built and keeps it in the buffer, after the frames
   * committed before it; the next frame starts after it. Returns the frame's length in bytes.
   */
  commitFrame(protoType: number = ProtoType.MESSAGE): number {
    this.ensure(0);
    writeProtoHeader(this.buf, this.frameStart, protoType, this.pos - this.frameStart - 8);
    const bytes = this.pos - this.frameStart;
    this.frameStart = this.pos;
    this.msgStart = -1;
    return bytes;
  }

  /** Commits a complete frame made elsewhere (copied) after the frames committed so far. */
  appendFrame(frame: Buffer): void {
    this.pos = this.frameStart;
    this.ensure(frame.length);
    frame.copy(this.buf, this.pos);
    this.pos += frame.length;
    this.frameStart = this.pos;
    this.msgStart = -1;
  }

  /** Takes back the frames committed from `start` on, as a copy (they will not be sent from here). */
  uncommitFrom(start: number): Buffer {
    const frame = Buffer.from(this.buf.subarray(start, this.frameStart));
    this.frameStart = start;
    this.reset();
    return frame;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.buf.length === 0) {
      // the buffer went out with takeFrame: the next one is taken when first needed
      const want = Math.max(this.nextBytes, this.pos + n);
      this.buf = this.pooled ? acquireFrameBuffer(want) : Buffer.allocUnsafe(want);
      return;
    }
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    // everything moves at its offset: marks taken from `pos` and committed frames stay valid
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Begins an as_msg. Call endMessage() after adding fields (first) and ops. */
  beginMessage(
    resultCode: number,
    generation: number,
    voidTime: number,
    transactionTtl = 0,
    info1 = 0,
    info3 = 0,
  ): void {
    this.ensure(MSG_HEADER_BYTES);
    const b = this.buf;
    const p = this.pos;
    b[p] = MSG_HEADER_BYTES;
    b[p + 1] = info1;
    b[p + 2] = 0;
    b[p + 3] = info3;
    b[p + 4] = 0;
    b[p + 5] = resultCode;
    putU32(b, p + 6, generation);
    putU32(b, p + 10, voidTime);
    putU32(b, p + 14, transactionTtl);
    putU32(b, p + 18, 0);
    this.msgStart = p;
    this.nFields = 0;
    this.nOps = 0;
    this.pos = p + MSG_HEADER_BYTES;
  }

  addField(type: number, data: Buffer | string): void {
    const len = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    this.ensure(5 + len);
    this.buf.writeUInt32BE(len + 1, this.pos);
    this.buf[this.pos + 4] = type;
    if (typeof data === 'string') this.buf.write(data, this.pos + 5, 'utf8');
    else data.copy(this.buf, this.pos + 5);
    this.pos += 5 + len;
    this.nFields++;
  }

  /** Adds an op whose value is a slice of another buffer (copied). */
  addOp(opType: number, particleType: number, name: string, value: Buffer | undefined, valueStart = 0, valueEnd = value ? value.length : 0): void {
    const nameLen = name.length === 0 ? 0 : Buffer.byteLength(name);
    const valueLen = valueEnd - valueStart;
    this.ensure(8 + nameLen + valueLen);
    const b = this.buf;
    const p = this.pos;
    b.writeUInt32BE(4 + nameLen + valueLen, p);
    b[p + 4] = opType;
    b[p + 5] = particleType;
    b[p + 6] = 0;
    b[p + 7] = nameLen;
    if (nameLen > 0) b.write(name, p + 8, 'utf8');
    if (valueLen > 0) value!.copy(b, p + 8 + nameLen, valueStart, valueEnd);
    this.pos = p + 8 + nameLen + valueLen;
    this.nOps++;
  }

  /** Adds an op whose name bytes are copied from a buffer (stored bins keep raw names). */
  addOpRaw(opType: number, particleType: number, src: Buffer, nameStart: number, nameLen: number, valueStart: number, valueLen: number): void {
    this.ensure(8 + nameLen + valueLen);
    const b = this.buf;
    const p = this.pos;
    putU32(b, p, 4 + nameLen + valueLen);
    b[p + 4] = opType;
    b[p + 5] = particleType;
    b[p + 6] = 0;
    b[p + 7] = nameLen;
    // names are at most 15 bytes: a loop beats Buffer.copy's view per call
    for (let i = 0; i < nameLen; i++) b[p + 8 + i] = src[nameStart + i]!;
    if (valueLen > 0) src.copy(b, p + 8 + nameLen, valueStart, valueStart + valueLen);
    this.pos = p + 8 + nameLen + valueLen;
    this.nOps++;
  }

  /** Discards a message begun at `mark` (the value of `pos` before beginMessage). */
  abortMessage(mark: number): void {
    this.pos = mark;
    this.msgStart = -1;
  }

  endMessage(): void {
    const b = this.buf;
    const m = this.msgStart;
    b[m + 18] = this.nFields >>> 8;
    b[m + 19] = this.nFields & 0xff;
    b[m + 20] = this.nOps >>> 8;
    b[m + 21] = this.nOps & 0xff;
    this.msgStart = -1;
  }

  /**
   * Appends a complete message produced elsewhere (a proxied batch row's answer), stamping the
   * batch row index into its transaction-ttl slot as beginMessage does.
   */
  appendRawMessage(msg: Buffer, rowIndex: number): void {
    this.ensure(msg.length);
    msg.copy(this.buf, this.pos);
    this.buf.writeUInt32BE(rowIndex >>> 0, this.pos + 14);
    this.pos += msg.length;
  }

  /** Bytes of message data since the frame began. */
  get bodyBytes(): number {
    return this.pos - this.frameStart - 8;
  }

  /**
   * Writes the proto header and hands over the frame without copying; the builder continues
   * with a fresh buffer. For large frames (batch, scan) where a copy would cost more than an
   * allocation.
   */
  takeFrame(protoType: number = ProtoType.MESSAGE): Buffer {
    this.ensure(0);
    writeProtoHeader(this.buf, this.frameStart, protoType, this.pos - this.frameStart - 8);
    const frame = this.buf.subarray(this.frameStart, this.pos);
    // the last frame of a stream needs no successor buffer: allocate lazily
    this.nextBytes = this.buf.length;
    this.buf = EMPTY;
    this.rewind();
    return frame;
  }

  /**
   * Hands over every committed frame in one buffer without copying (one write for all of them);
   * the builder continues with a fresh buffer, as after takeFrame. The frame being built, if any,
   * is not included.
   */
  takeCommitted(): Buffer {
    const frames = this.buf.subarray(0, this.frameStart);
    this.nextBytes = this.buf.length;
    this.buf = EMPTY;
    this.rewind();
    return frames;
  }

  /** Writes the proto header and returns a copy of the finished frame. */
  finish(protoType: number = ProtoType.MESSAGE): Buffer {
    this.ensure(0);
    writeProtoHeader(this.buf, this.frameStart, protoType, this.pos - this.frameStart - 8);
    return Buffer.from(this.buf.subarray(this.frameStart, this.pos));
  }
}

export function writeProtoHeader(buf: Buffer, at: number, type: number, bodyLen: number): void {
  buf[at] = PROTO_VERSION;
  buf[at + 1] = type;
  // 48-bit big-endian length, without writeUIntBE's checks (bodyLen is a frame's length)
  const high = Math.floor(bodyLen / 0x100000000);
  buf[at + 2] = high >>> 8;
  buf[at + 3] = high & 0xff;
  putU32(buf, at + 4, bodyLen);
}

/** Writes the low 32 bits of `v` big-endian at `at` (no range checks: callers pass in-bounds offsets). */
function putU32(b: Buffer, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** A complete frame holding a single header-only message with a result code. */
export function simpleReply(resultCode: number, generation = 0, voidTime = 0): Buffer {
  const b = Buffer.alloc(8 + MSG_HEADER_BYTES);
  writeProtoHeader(b, 0, ProtoType.MESSAGE, MSG_HEADER_BYTES);
  b[8] = MSG_HEADER_BYTES;
  b[13] = resultCode;
  b.writeUInt32BE(generation >>> 0, 14);
  b.writeUInt32BE(voidTime >>> 0, 18);
  return b;
}
