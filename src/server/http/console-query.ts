/**
 * The console's query box: a secondary-index query (equality on an integer or string bin, or an
 * integer range) or a scan of a set with a bin filter (a filter expression comparing one bin with
 * a value), run through the node's own request path — the as_msg a client would send, handed to
 * the same dispatcher and access check as a client connection's — with its answer frames
 * collected and decoded into rows. The request names every partition; on a node in a cluster the
 * partitions it does not hold come back as skipped, and those are then asked of the other members
 * of the cluster in turn (a partition-scoped request to each peer's service address, through the
 * tools' scan client), so the page gets the whole cluster's answer, as asadm or aql would, still
 * capped at the row limit. Only partitions no member answered are counted as skipped. With
 * security on, each peer connection is AUTHENTICATEd with the console user's own session token
 * (every member verifies console tokens), so each member checks the request against that user's
 * privileges, quotas and allowlist, as for its own clients.
 */
import { randomBytes } from 'node:crypto';
import { FieldType, Info1, Info3, parseFieldsAndOps, type AsMsg } from '../../protocol/message.js';
import { particleToValue } from '../../protocol/particle.js';
import { ResponseBuilder } from '../../protocol/response-builder.js';
import type { FrameSink } from '../../protocol/frame-sink.js';
import { N_PARTITIONS } from '../../util/digest.js';
import { ExpOp, ExpType } from '../../expressions/types.js';
import type { Socket } from 'node:net';
import { runScan, ScanError, type ScanRecordMessage } from '../../client/scan-stream.js';
import { WireConnection } from '../../client/wire-connection.js';
import { formatNodeId } from '../../cluster/node-id.js';
import { dispatchMessage, type DataHandlers, type RequestGuard } from '../dispatch.js';
import type { StratoNode } from '../node.js';

/** Most records one query from the page returns (MAX_RECORDS of the request). */
export const MAX_QUERY_RECORDS = 200;
/** Longest a query from the page may run (ms) before the API answers with what it has. */
export const QUERY_TIMEOUT_MS = 10_000;
/** Longest the console waits to connect to a peer it forwards partitions to (ms). */
export const PEER_CONNECT_TIMEOUT_MS = 2_000;

const MSG_HEADER_BYTES = 22;
const PARTICLE_INTEGER = 1;
const PARTICLE_STRING = 3;

/** What the page asks for. */
export interface ConsoleQuery {
  ns: string;
  set: string;
  /** 'scan': every record of the set; 'equal' / 'range': an index query; 'filter': a scan with a bin comparison */
  mode: 'scan' | 'equal' | 'range' | 'filter';
  bin?: string | undefined;
  /** equal / filter value, range begin */
  value?: string | undefined;
  /** range end */
  end?: string | undefined;
  /** filter comparison */
  op?: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | undefined;
  max: number;
}

export interface QueryRow {
  digest: string;
  set: string | undefined;
  key: unknown;
  generation: number;
  bins: Record<string, unknown>;
}

export interface QueryAnswer {
  records: QueryRow[];
  /** the final result code of the stream (0 = ok) */
  resultCode: number;
  /** partitions no member of the cluster answered (not held by this node nor by a peer asked) */
  partitionsSkipped: number;
  /** nodes whose records are in the answer: this one, then each peer asked */
  nodes: string[];
  /** peers that could not answer, with why (their partitions stay skipped) */
  peerErrors: string[];
  /** true when QUERY_TIMEOUT_MS passed before the last frame */
  timedOut: boolean;
}

const INT_RE = /^-?\d{1,19}$/;

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

function i64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return b;
}

// ---- a minimal msgpack writer for the one filter expression the page builds ----

function mpStr(s: string, tag?: number): Buffer {
  const body = tag === undefined ? Buffer.from(s) : Buffer.concat([Buffer.from([tag]), Buffer.from(s)]);
  const n = body.length;
  const head = n < 32 ? Buffer.from([0xa0 | n]) : n < 256 ? Buffer.from([0xd9, n]) : Buffer.from([0xda, n >> 8, n & 0xff]);
  return Buffer.concat([head, body]);
}

function mpInt(v: bigint): Buffer {
  if (v >= 0n && v < 128n) return Buffer.from([Number(v)]);
  return Buffer.concat([Buffer.from([0xd3]), i64(v)]);
}

const mpArray = (items: Buffer[]) => Buffer.concat([Buffer.from([0x90 | items.length]), ...items]);

const CMP: Record<string, number> = { eq: ExpOp.EQ, ne: ExpOp.NE, gt: ExpOp.GT, ge: ExpOp.GE, lt: ExpOp.LT, le: ExpOp.LE };

/** `bin <op> value` as a filter expression; an integer-looking value compares as an integer. */
function filterExpression(bin: string, op: string, value: string): Buffer {
  const isInt = INT_RE.test(value);
  const binExp = mpArray([mpInt(BigInt(ExpOp.BIN)), mpInt(BigInt(isInt ? ExpType.INT : ExpType.STR)), mpStr(bin)]);
  return mpArray([mpInt(BigInt(CMP[op]!)), binExp, isInt ? mpInt(BigInt(value)) : mpStr(value, PARTICLE_STRING)]);
}

/** INDEX_RANGE with one range: `[1][len][bin][particle][4-byte len][begin][4-byte len][end]`. */
function indexRange(bin: string, begin: Buffer, end: Buffer, particle: number): Buffer {
  const name = Buffer.from(bin);
  return Buffer.concat([Buffer.from([1, name.length]), name, Buffer.from([particle]), u32(begin.length), begin, u32(end.length), end]);
}

/** Validates the page's query; a string is the message to show. */
export function checkQuery(q: ConsoleQuery): string | undefined {
  if (!/^[^;:=\s]{1,31}$/.test(q.ns)) return 'a namespace is required';
  if (q.set.length > 63) return 'set name too long';
  if (q.mode === 'scan') return undefined;
  if (!q.bin || Buffer.byteLength(q.bin) > 15) return 'a bin name (at most 15 bytes) is required';
  if (q.value === undefined || q.value === '') return 'a value is required';
  if (q.mode === 'range' && (!INT_RE.test(q.value) || q.end === undefined || !INT_RE.test(q.end))) return 'a range needs integer begin and end values';
  if (q.mode === 'filter' && (q.op === undefined || !(q.op in CMP))) return 'a comparison (eq, ne, gt, ge, lt, le) is required';
  return undefined;
}

/** The as_msg body (no proto header) the page's query becomes. */
export function queryBody(q: ConsoleQuery, partitionIds?: readonly number[]): Buffer {
  const fields: [number, Buffer][] = [[FieldType.NAMESPACE, Buffer.from(q.ns)]];
  if (q.set !== '') fields.push([FieldType.SET, Buffer.from(q.set)]);
  fields.push([FieldType.SOCKET_TIMEOUT, u32(QUERY_TIMEOUT_MS)]);
  fields.push([FieldType.TRID, randomBytes(8)]);
  if (q.mode === 'equal') {
    const isInt = INT_RE.test(q.value!);
    const v = isInt ? i64(BigInt(q.value!)) : Buffer.from(q.value!);
    fields.push([FieldType.INDEX_RANGE, indexRange(q.bin!, v, v, isInt ? PARTICLE_INTEGER : PARTICLE_STRING)]);
  } else if (q.mode === 'range') {
    fields.push([FieldType.INDEX_RANGE, indexRange(q.bin!, i64(BigInt(q.value!)), i64(BigInt(q.end!)), PARTICLE_INTEGER)]);
  } else if (q.mode === 'filter') {
    fields.push([FieldType.FILTER, filterExpression(q.bin!, q.op!, q.value!)]);
  }
  const n = partitionIds ? partitionIds.length : N_PARTITIONS;
  const pids = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) pids.writeUInt16LE(partitionIds ? partitionIds[i]! : i, i * 2);
  fields.push([FieldType.PID_ARRAY, pids]);
  const max = Buffer.alloc(8);
  max.writeBigUInt64BE(BigInt(Math.max(1, Math.min(MAX_QUERY_RECORDS, q.max))));
  fields.push([FieldType.MAX_RECORDS, max]);
  const parts: Buffer[] = [];
  const head = Buffer.alloc(MSG_HEADER_BYTES);
  head[0] = MSG_HEADER_BYTES;
  head[1] = Info1.READ | Info1.GET_ALL;
  head[3] = Info3.PARTITION_DONE;
  head.writeUInt32BE(0xffffffff, 10);
  head.writeUInt32BE(QUERY_TIMEOUT_MS, 14);
  head.writeUInt16BE(fields.length, 18);
  parts.push(head);
  for (const [type, data] of fields) {
    const h = Buffer.alloc(5);
    h.writeUInt32BE(data.length + 1);
    h[4] = type;
    parts.push(h, data);
  }
  return Buffer.concat(parts);
}

/** Decodes the records of one answer frame's body; returns the LAST message's code when seen. */
function decodeFrame(body: Buffer, out: QueryAnswer, skipped: number[], max: number): number | undefined {
  let p = 0;
  while (p + MSG_HEADER_BYTES <= body.length) {
    const info3 = body[p + 3]!;
    const rc = body[p + 5]!;
    const msg: AsMsg = {
      info1: body[p + 1]!,
      info2: body[p + 2]!,
      info3,
      info4: body[p + 4]!,
      resultCode: rc,
      generation: body.readUInt32BE(p + 6),
      recordTtl: body.readUInt32BE(p + 10),
      transactionTtl: body.readUInt32BE(p + 14),
      fields: [],
      ops: [],
      buf: body,
    };
    p = parseFieldsAndOps(body, p + MSG_HEADER_BYTES, body.length, body.readUInt16BE(p + 18), body.readUInt16BE(p + 20), msg);
    if (info3 & Info3.LAST) return rc;
    if (info3 & Info3.PARTITION_DONE) {
      // a partition-done message carries its partition id in the generation field
      if (rc !== 0) skipped.push(msg.generation);
      continue;
    }
    if (rc !== 0 || out.records.length >= max) continue;
    const field = (t: number) => msg.fields.find((f) => f.type === t);
    const digest = field(FieldType.DIGEST);
    const set = field(FieldType.SET);
    const key = field(FieldType.KEY);
    const bins: Record<string, unknown> = {};
    for (const op of msg.ops) bins[op.name] = particleToValue(op.particleType, op.value);
    out.records.push({
      digest: digest ? body.toString('hex', digest.start, digest.end) : '',
      set: set ? body.toString('utf8', set.start, set.end) : undefined,
      key: key && key.end > key.start ? particleToValue(body[key.start]!, body.subarray(key.start + 1, key.end)) : undefined,
      generation: msg.generation,
      bins,
    });
  }
  return undefined;
}

/** `host:port` or `[v6]:port` of a peer's service address. */
function endpointOf(service: string): { host: string; port: number } | undefined {
  const colon = service.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const port = Number(service.slice(colon + 1));
  const host = service.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return Number.isInteger(port) && port > 0 && port < 65536 ? { host, port } : undefined;
}

/** A record of a peer's answer as a row (its buffers are views of the frame: values are copied). */
function peerRow(rec: ScanRecordMessage): QueryRow {
  const bins: Record<string, unknown> = {};
  for (const b of rec.bins) bins[b.name] = particleToValue(b.type, Buffer.from(b.value));
  return {
    digest: rec.digest.toString('hex'),
    set: rec.set,
    key: rec.key ? particleToValue(rec.key.type, Buffer.from(rec.key.value)) : undefined,
    generation: rec.generation,
    bins,
  };
}

/** The console user as the other members are asked: its name and console session token. */
export interface PeerLogin {
  user: string;
  token: Buffer;
}

/**
 * A connection to a member's service port, AUTHENTICATEd with the console user's session token
 * (every member verifies console tokens); rejects naming the result code when the member refuses
 * (an allowlist that does not admit this node's address answers 82), or after `timeoutMs`.
 */
async function authenticatedSocket(host: string, port: number, login: PeerLogin, timeoutMs: number): Promise<Socket> {
  const conn = await WireConnection.open(host, port, timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      conn.authenticate({ user: login.user, sessionToken: login.token }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no login answer from ${host}:${port} in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    conn.close();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return conn.detach();
}

/**
 * Asks the cluster's other members, one after the other in succession order, for the partitions
 * this node skipped: each answers those it holds and skips the rest, which go to the next peer.
 * Stops at the row cap or the query's deadline. A peer that cannot answer (unreachable, refusing)
 * is noted in `peerErrors` and its partitions go on to the next one.
 */
async function askPeers(node: StratoNode, q: ConsoleQuery, answer: QueryAnswer, skipped: number[], max: number, deadlineMs: number, login: PeerLogin | undefined): Promise<number[]> {
  const rt = node.cluster?.runtime;
  if (!rt) return skipped;
  let pending = skipped;
  for (const peer of rt.peers()) {
    const remainingMs = deadlineMs - Date.now();
    if (pending.length === 0 || answer.records.length >= max) break;
    if (remainingMs <= 0) {
      answer.timedOut = true;
      break;
    }
    const ep = endpointOf(peer.service);
    const name = formatNodeId(peer.id);
    if (!ep) {
      answer.peerErrors.push(`${name}: no usable service address '${peer.service}'`);
      continue;
    }
    const body = queryBody({ ...q, max: max - answer.records.length }, pending);
    const head = Buffer.alloc(8);
    head.writeUIntBE(body.length, 2, 6);
    head[0] = 2;
    head[1] = 3;
    const asked = pending.length;
    try {
      const before = answer.records.length;
      const socket = login ? await authenticatedSocket(ep.host, ep.port, login, Math.min(PEER_CONNECT_TIMEOUT_MS, remainingMs)) : undefined;
      const outcome = await runScan(
        { ...ep, socket, socketTimeoutMs: remainingMs, totalTimeoutMs: remainingMs, connectTimeoutMs: Math.min(PEER_CONNECT_TIMEOUT_MS, remainingMs) },
        Buffer.concat([head, body]),
        (rec) => {
          if (answer.records.length < max) answer.records.push(peerRow(rec));
        },
      );
      pending = outcome.unavailablePartitions;
      if (answer.records.length > before || outcome.unavailablePartitions.length < asked) answer.nodes.push(name);
    } catch (e) {
      answer.peerErrors.push(`${name} (${peer.service}): ${e instanceof ScanError || e instanceof Error ? e.message : String(e)}`);
    }
  }
  return pending;
}

/**
 * Runs the page's query through the node's request path; `guard` is the access check of the
 * logged-in console user and `peerLogin` that user's console session (both undefined with
 * security off): each other member is asked on a connection AUTHENTICATEd with the session's
 * token, so it runs the request with that user's privileges, as its own clients' requests.
 */
export async function runConsoleQuery(node: StratoNode, handlers: DataHandlers, guard: RequestGuard | undefined, q: ConsoleQuery, peerLogin?: PeerLogin): Promise<QueryAnswer> {
  const answer: QueryAnswer = { records: [], resultCode: 0, partitionsSkipped: 0, nodes: [node.nodeId], peerErrors: [], timedOut: false };
  const deadlineMs = Date.now() + QUERY_TIMEOUT_MS;
  const skipped: number[] = [];
  const max = Math.max(1, Math.min(MAX_QUERY_RECORDS, q.max));
  let finished = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const take = (frame: Buffer) => {
    if (finished || frame.length < 8) return;
    // a frame may carry several messages; a compressed frame is not asked for here
    const rc = decodeFrame(frame.subarray(8), answer, skipped, max);
    if (rc !== undefined) {
      answer.resultCode = rc;
      finished = true;
      resolveDone();
    }
  };
  const sink: FrameSink = {
    send(frame, written) {
      take(frame);
      written?.();
    },
    drain: () => Promise.resolve(),
    get closed() {
      return finished;
    },
    remote: 'console',
  };
  const out = new ResponseBuilder();
  const r = dispatchMessage(node, handlers, queryBody(q), out, sink, node.latency, guard);
  if (r instanceof Buffer) take(r);
  else if (r instanceof Promise) await r;
  let timer: NodeJS.Timeout | undefined;
  if (!finished) {
    await Promise.race([
      done,
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          answer.timedOut = true;
          finished = true;
          resolve();
        }, QUERY_TIMEOUT_MS);
      }),
    ]);
  }
  clearTimeout(timer);
  // a refused or failed local run (bad filter, no such namespace, no permission) is the answer
  if (answer.timedOut || answer.resultCode !== 0 || skipped.length === 0) {
    answer.partitionsSkipped = skipped.length;
    return answer;
  }
  answer.partitionsSkipped = (await askPeers(node, q, answer, skipped, max, deadlineMs, peerLogin)).length;
  return answer;
}
