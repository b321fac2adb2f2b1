/**
 * Runs one scan request on its own connection and delivers the record messages one at a time
 * (protocol reference §8.3–§8.5). Unlike WireConnection.stream, the consumer sets the pace: while
 * the record callback's promise is pending, no further message is parsed and the socket stops
 * reading once a bounded number of bytes is queued, so TCP flow control holds the server back and
 * a slow disk never makes the client buffer a partition in memory. Socket (idle) and total
 * timeouts end the scan with a ScanError.
 */
import { connect, type Socket } from 'node:net';
import { inflateSync } from 'node:zlib';
import { FieldType, Info3 } from '../protocol/message.js';

/** Bytes received but not yet parsed before the socket is paused. */
const MAX_QUEUED_BYTES = 256 * 1024;
/** A response frame larger than this is refused (the server's frames are ~128 KiB). */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;
const NO_DIGEST = Buffer.alloc(0);

export interface ScanBin {
  name: string;
  type: number;
  value: Buffer;
}

/**
 * One record of a scan reply. Its buffers are views into the received frame, valid while the
 * record callback runs (and its promise is pending): copy what must outlive it.
 */
export interface ScanRecordMessage {
  generation: number;
  /** Citrusleaf-epoch seconds, 0 = never expires */
  voidTime: number;
  namespace: string;
  digest: Buffer;
  /** undefined when the record has no set */
  set?: string;
  /** user key field: particle type byte then value */
  key?: { type: number; value: Buffer };
  bins: ScanBin[];
}

/** How a scan connection ended without a LAST message of result 0. */
export class ScanError extends Error {
  constructor(
    message: string,
    /** the server's result code, when it sent one */
    readonly resultCode?: number,
    /** true for timeouts and connection failures, which a retry may cure */
    readonly transient = false,
  ) {
    super(message);
  }
}

export interface ScanStreamOptions {
  host: string;
  port: number;
  /** no bytes for this long ends the scan (0 = never) */
  socketTimeoutMs: number;
  /** the whole scan must end within this (0 = no limit) */
  totalTimeoutMs: number;
  connectTimeoutMs?: number;
  /** a socket already connected (and logged in, over TLS when the tools use it); else one is opened here */
  socket?: Socket | undefined;
  /** aborting closes the connection; the scan then resolves with `aborted: true` */
  signal?: AbortSignal;
}

export interface ScanOutcome {
  /** partitions the node reported with a non-zero partition-done status (to retry) */
  unavailablePartitions: number[];
  records: number;
  aborted: boolean;
}

/**
 * Sends `frame` and calls `onRecord` for each record, in order. Resolves when the LAST message
 * arrives with result 0 (or after an abort); rejects with ScanError otherwise.
 */
export function runScan(
  opts: ScanStreamOptions,
  frame: Buffer,
  onRecord: (rec: ScanRecordMessage) => void | Promise<void>,
): Promise<ScanOutcome> {
  return new Promise<ScanOutcome>((resolve, reject) => {
    const outcome: ScanOutcome = { unavailablePartitions: [], records: 0, aborted: false };
    let chunks: Buffer[] = [];
    let queued = 0;
    let busy = false;
    let finished = false;
    let paused = false;
    let timer: NodeJS.Timeout | undefined;
    const sock: Socket = opts.socket ?? connect({ host: opts.host, port: opts.port });
    sock.setNoDelay(true);

    const finish = (err?: Error) => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolve(outcome);
    };
    const onAbort = () => {
      outcome.aborted = true;
      finish();
    };
    if (opts.signal?.aborted) {
      outcome.aborted = true;
      queueMicrotask(() => finish());
      return;
    }
    opts.signal?.addEventListener('abort', onAbort);
    const connectTimer = setTimeout(
      () => finish(new ScanError(`connect to ${opts.host}:${opts.port} timed out`, undefined, true)),
      opts.connectTimeoutMs ?? 5000,
    );
    if (opts.totalTimeoutMs > 0) {
      timer = setTimeout(() => finish(new ScanError(`scan exceeded the total timeout of ${opts.totalTimeoutMs} ms`, 9, true)), opts.totalTimeoutMs);
    }
    const onConnected = () => {
      clearTimeout(connectTimer);
      if (opts.socketTimeoutMs > 0) sock.setTimeout(opts.socketTimeoutMs);
      sock.write(frame);
    };
    if (opts.socket) queueMicrotask(onConnected);
    else sock.once('connect', onConnected);
    sock.on('timeout', () => {
      // a consumer that is still writing is not the server's silence
      if (busy || paused) return;
      finish(new ScanError(`no data from ${opts.host}:${opts.port} for ${opts.socketTimeoutMs} ms`, 9, true));
    });
    sock.on('error', (e) => {
      clearTimeout(connectTimer);
      finish(new ScanError(`connection to ${opts.host}:${opts.port} failed: ${e.message}`, undefined, true));
    });
    sock.on('close', () => finish(new ScanError(`connection to ${opts.host}:${opts.port} closed before the scan ended`, undefined, true)));
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      queued += d.length;
      if (queued > MAX_QUEUED_BYTES && !paused) {
        paused = true;
        sock.pause();
      }
      if (!busy) void pump();
    });

    /** Takes one whole frame off the queue, or undefined; copies only when a frame spans chunks. */
    const takeFrame = (): { type: number; body: Buffer } | undefined => {
      if (queued < 8) return undefined;
      if (chunks[0]!.length < 8) {
        const head = Buffer.concat(chunks);
        chunks = [head];
      }
      const head = chunks[0]!;
      const size = head.readUIntBE(2, 6);
      if (size > MAX_FRAME_BYTES) throw new ScanError('response frame too large');
      const total = 8 + size;
      if (queued < total) return undefined;
      let frame: Buffer;
      if (head.length >= total) {
        frame = head.subarray(0, total);
        if (head.length === total) chunks.shift();
        else chunks[0] = head.subarray(total);
      } else {
        frame = Buffer.allocUnsafe(total);
        let filled = 0;
        while (filled < total) {
          const c = chunks[0]!;
          const n = Math.min(c.length, total - filled);
          c.copy(frame, filled, 0, n);
          filled += n;
          if (n === c.length) chunks.shift();
          else chunks[0] = c.subarray(n);
        }
      }
      queued -= total;
      const type = frame[1]!;
      const body = frame.subarray(8);
      if (type === 4) return { type: 3, body: inflateSync(body.subarray(8)).subarray(8) };
      return { type, body };
    };

    const pump = async () => {
      busy = true;
      try {
        for (;;) {
          if (finished) return;
          const f = takeFrame();
          if (!f) break;
          if (f.type !== 3) throw new ScanError(`unexpected frame type ${f.type}`);
          let p = 0;
          while (p + 22 <= f.body.length) {
            const { end, rec, last, rc, partitionDone } = parseMessage(f.body, p);
            p = end;
            if (last) {
              if (rc !== 0) throw new ScanError(`scan ended with result code ${rc}`, rc, rc === 9 || rc === 11 || rc === 14 || rc === 18);
              finish();
              return;
            }
            if (partitionDone !== undefined) {
              if (rc !== 0) outcome.unavailablePartitions.push(partitionDone);
              continue;
            }
            if (rc !== 0) {
              // a failure before the job starts: one plain message, no LAST bit (§8.5)
              throw new ScanError(`scan refused with result code ${rc}`, rc, rc === 11 || rc === 18);
            }
            outcome.records++;
            const r = onRecord(rec!);
            if (r) await r;
            if (finished) return;
          }
        }
        // no whole frame is queued: only more bytes can make progress, whatever is buffered
        if (paused) {
          paused = false;
          sock.resume();
        }
      } catch (e) {
        finish(e instanceof Error ? e : new Error(String(e)));
      } finally {
        busy = false;
      }
    };
  });
}

interface Parsed {
  end: number;
  rec?: ScanRecordMessage;
  last: boolean;
  rc: number;
  partitionDone?: number;
}

function parseMessage(body: Buffer, p: number): Parsed {
  const info3 = body[p + 3]!;
  const rc = body[p + 5]!;
  const generation = body.readUInt32BE(p + 6);
  const voidTime = body.readUInt32BE(p + 10);
  const nFields = body.readUInt16BE(p + 18);
  const nOps = body.readUInt16BE(p + 20);
  let q = p + 22;
  if (info3 & Info3.LAST) return { end: skip(body, q, nFields, nOps), last: true, rc };
  if (info3 & Info3.PARTITION_DONE) return { end: skip(body, q, nFields, nOps), last: false, rc, partitionDone: generation };
  if (rc !== 0) return { end: skip(body, q, nFields, nOps), last: false, rc };
  const rec: ScanRecordMessage = { generation, voidTime, namespace: '', digest: NO_DIGEST, bins: [] };
  for (let i = 0; i < nFields; i++) {
    const size = body.readUInt32BE(q);
    const type = body[q + 4]!;
    const start = q + 5;
    const end = q + 4 + size;
    if (end > body.length) throw new ScanError('field past the end of the frame');
    switch (type) {
      case FieldType.NAMESPACE:
        rec.namespace = body.toString('utf8', start, end);
        break;
      case FieldType.DIGEST:
        rec.digest = body.subarray(start, end);
        break;
      case FieldType.SET:
        if (end > start) rec.set = body.toString('utf8', start, end);
        break;
      case FieldType.KEY:
        if (end > start) rec.key = { type: body[start]!, value: body.subarray(start + 1, end) };
        break;
    }
    q = end;
  }
  for (let i = 0; i < nOps; i++) {
    const size = body.readUInt32BE(q);
    const type = body[q + 5]!;
    const nameLen = body[q + 7]!;
    const end = q + 4 + size;
    if (end > body.length) throw new ScanError('op past the end of the frame');
    const name = body.toString('utf8', q + 8, q + 8 + nameLen);
    rec.bins.push({ name, type, value: body.subarray(q + 8 + nameLen, end) });
    q = end;
  }
  return { end: q, rec, last: false, rc };
}

function skip(body: Buffer, q: number, nFields: number, nOps: number): number {
  for (let i = 0; i < nFields + nOps; i++) q += 4 + body.readUInt32BE(q);
  return q;
}
