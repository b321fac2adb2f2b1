/**
 * Long pure work off the event loop (issue 16.2: no request may block the node for more than
 * 50 ms). Some requests at Aerospike's limits compute for hundreds of milliseconds in one piece:
 * covering a GeoJSON polygon of 25,000 vertices with S2 cells, CDT ops on a list or map of
 * 100,000 elements, a put of 32,767 bins. That work is a pure function of the request (and of the
 * bin or record it works on), so before the transaction runs, `prepareOffload` computes it on a
 * worker thread (offload-worker.ts) while the event loop serves other clients; the transaction
 * then takes the results from values/offloaded.ts. A CDT result is used only if the bin (a write's
 * result only if the record) is still byte for byte the one the worker started from (another
 * client may have written it meanwhile); otherwise, as for every small request, the transaction
 * computes it in line. The answer is the same either way.
 *
 * Bounds: only values of at least OFFLOAD_GEOJSON_MIN_BYTES / OFFLOAD_CDT_MIN_BYTES and requests
 * of at least OFFLOAD_WRITE_MIN_OPS plain bin writes go to the worker (smaller ones cost less than
 * the hop); at most OFFLOAD_MAX_PENDING_REQUESTS requests and OFFLOAD_MAX_PENDING_BYTES of their
 * inputs are in flight (beyond that a request runs in line, as before); one worker (the machine's
 * other cores serve the other nodes of a host).
 */
import { Worker } from 'node:worker_threads';
import { Info1, Info2, OpType, type AsMsg, type MsgOp } from '../protocol/message.js';
import { Particle } from '../protocol/particle.js';
import { decodeKeyed, keyedKind } from '../protocol/request.js';
import { forEachStoredBin, readStoredKey } from '../storage/record-codec.js';
import { isPlainWrite } from '../transaction/write.js';
import type { NamespaceLookup } from '../transaction/keyed-request.js';
import { setOffloadedGeo, setOffloadedParticleOp, setOffloadedWrite, type OffloadedOutcome, type OffloadedParticle } from '../values/offloaded.js';
import { logger } from '../util/log.js';

/** GeoJSON values at least this long (bytes of text) are covered on the worker. */
export const OFFLOAD_GEOJSON_MIN_BYTES = 16 * 1024;
/** CDT ops whose bin plus payloads reach this many bytes run on the worker. */
export const OFFLOAD_CDT_MIN_BYTES = 64 * 1024;
/** Requests of only plain bin writes with at least this many ops are applied on the worker. */
export const OFFLOAD_WRITE_MIN_OPS = 1024;
/** Requests with work on the worker at once; more run in line. */
export const OFFLOAD_MAX_PENDING_REQUESTS = 32;
/** Input bytes (bins and payloads) on their way to or on the worker at once; more run in line. */
export const OFFLOAD_MAX_PENDING_BYTES = 256 * 1024 * 1024;

/** A particle as it crosses the thread boundary (a Buffer arrives as a Uint8Array). */
export interface WireParticle {
  type: number;
  value: Uint8Array;
}

export type WireOutcome = { result: WireParticle | undefined; newBin: WireParticle | null | undefined } | { code: number };

export type OffloadJob =
  | { id: number; kind: 'geo'; wire: Uint8Array }
  | { id: number; kind: 'write'; body: Uint8Array; record: Uint8Array | undefined; key: WireParticle | undefined }
  | { id: number; kind: 'cdt'; bin: WireParticle | undefined; ops: { payload: Uint8Array; modify: boolean }[] };

export type OffloadReply =
  | { id: number; geo: Uint8Array }
  | { id: number; code: number }
  | { id: number; fail: true }
  | { id: number; record: Uint8Array; binCount: number }
  | { id: number; outcomes: WireOutcome[] };

type JobInput = OffloadJob extends infer J ? (J extends { id: number } ? Omit<J, 'id'> : never) : never;

const log = logger.context('as', 'offload.ts');
const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
/**
 * A copy with an ArrayBuffer of its own: posting a view clones its whole ArrayBuffer (the request
 * frame, a storage slab), not just the view's bytes.
 */
export function ownCopy(b: Uint8Array): Buffer {
  const u = new Uint8Array(b);
  return Buffer.from(u.buffer, 0, u.byteLength);
}

let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<number, (reply: OffloadReply | undefined) => void>();
let pendingRequests = 0;
let pendingBytes = 0;
let offloadedRequests = 0;
let offloadedJobs = 0;

/**
 * `offload_requests` (requests whose long work ran on the worker), `offload_jobs` (pieces of work
 * sent), `offload_pending_requests` (waiting on the worker now), in this process since start.
 */
export function offloadStatistics(): [string, number][] {
  return [
    ['offload_requests', offloadedRequests],
    ['offload_jobs', offloadedJobs],
    ['offload_pending_requests', pendingRequests],
  ];
}

function workerThread(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./offload-worker.js', import.meta.url));
  // the worker never keeps a node's process alive
  w.unref();
  w.on('message', (reply: OffloadReply) => {
    const done = waiting.get(reply.id);
    waiting.delete(reply.id);
    done?.(reply);
  });
  const lost = (why: string) => {
    if (worker === w) worker = undefined;
    // requests waiting on it compute in line; the next one starts a new worker
    for (const done of waiting.values()) done(undefined);
    waiting.clear();
    log.warning(`offload worker ${why} - its requests run on the event loop`);
  };
  w.on('error', (e) => lost(`failed: ${e.message}`));
  w.on('exit', (code) => {
    if (worker === w) lost(`exited with code ${code}`);
  });
  worker = w;
  return w;
}

function post(job: JobInput): Promise<OffloadReply | undefined> {
  const id = nextId++;
  offloadedJobs++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    workerThread().postMessage({ ...job, id });
  });
}

/** The bin named `name` of the stored record, as a copy (storage may reuse its bytes). */
function storedBin(data: Buffer, name: Buffer): OffloadedParticle | undefined {
  let found: OffloadedParticle | undefined;
  forEachStoredBin(data, (nameStart, nameLen, type, valueStart, valueLen) => {
    if (found === undefined && nameLen === name.length && data.compare(name, 0, nameLen, nameStart, nameStart + nameLen) === 0) {
      found = { type, value: ownCopy(data.subarray(valueStart, valueStart + valueLen)) };
    }
  });
  return found;
}

function isCdtOp(op: MsgOp): boolean {
  return op.opType === OpType.CDT_READ || op.opType === OpType.CDT_MODIFY;
}

/**
 * Starts the long pure work of a single-record request (or batch row) on the worker. Returns
 * undefined when there is none (the usual case: nothing to wait for), else a promise that settles
 * once the results are registered (never rejects: a lost worker leaves the work to the
 * transaction). `writes` false leaves plain bin writes in line: their results are keyed by the
 * request body, which batch rows share.
 */
export function prepareOffload(node: NamespaceLookup, msg: AsMsg, writes = true): Promise<void> | undefined {
  if (!(msg.info2 & Info2.WRITE) && !(msg.info1 & Info1.READ)) return undefined;
  const kind = keyedKind(msg);
  if (kind !== 'read' && kind !== 'write') return undefined;
  if (pendingRequests >= OFFLOAD_MAX_PENDING_REQUESTS) return undefined;
  const ops = msg.ops;
  if (writes && kind === 'write' && ops.length >= OFFLOAD_WRITE_MIN_OPS && isPlainWrite(msg)) {
    const job = writeJob(node, msg);
    if (!job) return undefined;
    return track(job.bytes, [job.done]);
  }
  // the usual request (a get, a put of plain bins) has nothing to offload: no allocation for it
  let candidate = false;
  for (let i = 0; i < ops.length && !candidate; i++) candidate = isCdtOp(ops[i]!) || (ops[i]!.opType === OpType.WRITE && ops[i]!.particleType === Particle.GEOJSON);
  if (!candidate) return undefined;
  const jobs: Promise<void>[] = [];
  let bytes = 0;
  let firstCdt: MsgOp | undefined;
  for (const op of ops) {
    if (op.opType === OpType.WRITE && op.particleType === Particle.GEOJSON && op.value.length >= OFFLOAD_GEOJSON_MIN_BYTES) {
      if (pendingBytes + bytes + op.value.length > OFFLOAD_MAX_PENDING_BYTES) continue;
      bytes += op.value.length;
      const wire = op.value;
      jobs.push(
        post({ kind: 'geo', wire: ownCopy(wire) }).then((r) => {
          if (r && 'geo' in r) setOffloadedGeo(wire, asBuffer(r.geo));
          else if (r && 'code' in r) setOffloadedGeo(wire, r.code);
        }),
      );
    }
    if (firstCdt === undefined && isCdtOp(op)) firstCdt = op;
  }
  if (firstCdt) {
    const job = cdtJob(node, msg, firstCdt.name, pendingBytes + bytes);
    if (job) {
      bytes += job.bytes;
      jobs.push(job.done);
    }
  }
  if (jobs.length === 0) return undefined;
  return track(bytes, jobs);
}

/** Counts a request's jobs in flight until they settle. */
function track(bytes: number, jobs: Promise<void>[]): Promise<void> {
  offloadedRequests++;
  pendingRequests++;
  pendingBytes += bytes;
  return Promise.all(jobs).then(() => {
    pendingRequests--;
    pendingBytes -= bytes;
  });
}

/**
 * A request of plain bin writes: the worker applies its ops to the stored record (a copy) and
 * encodes the record to store, with the key it will keep (the stored one, else the request's).
 */
function writeJob(node: NamespaceLookup, msg: AsMsg): { bytes: number; done: Promise<void> } | undefined {
  let record: Buffer | undefined;
  let key: OffloadedParticle | undefined;
  try {
    const req = decodeKeyed(msg, node);
    const ns = req.ns;
    const id = ns.findLive(req.digest);
    if (id >= 0) {
      record = ownCopy(ns.storage.get(ns.index, id));
      const stored = readStoredKey(record);
      key = stored ?? req.key;
    } else key = req.key;
  } catch {
    return undefined; // the transaction refuses the request itself
  }
  const bytes = msg.buf.length + (record?.length ?? 0);
  if (pendingBytes + bytes > OFFLOAD_MAX_PENDING_BYTES) return undefined;
  const body = msg.buf;
  const done = post({ kind: 'write', body: ownCopy(body), record, key: key && { type: key.type, value: ownCopy(key.value) } }).then((r) => {
    if (r && 'record' in r) setOffloadedWrite(body, record, { record: asBuffer(r.record), binCount: r.binCount });
    else if (r && 'code' in r) setOffloadedWrite(body, record, { code: r.code });
  });
  return { bytes, done };
}

/**
 * The CDT ops on bin `name` (the first bin a CDT op of the request names): the worker applies them
 * in order from the stored bin, and each op's outcome is registered with the bin it started from.
 * Other ops of the request run in line; one that changes the bin between two CDT ops makes the
 * later ones' inputs differ, so those are computed in line too.
 */
function cdtJob(node: NamespaceLookup, msg: AsMsg, name: string, inFlightBytes: number): { bytes: number; done: Promise<void> } | undefined {
  const ops = msg.ops.filter((op) => isCdtOp(op) && op.name === name);
  let bytes = 0;
  for (const op of ops) bytes += op.value.length;
  let bin: OffloadedParticle | undefined;
  try {
    const req = decodeKeyed(msg, node);
    const ns = req.ns;
    const id = ns.findLive(req.digest);
    if (id >= 0) {
      // the index knows the record's size: a small record is not read twice (storage may be a device)
      if (ns.index.storedSize(id) + bytes < OFFLOAD_CDT_MIN_BYTES) return undefined;
      const data = ns.storage.get(ns.index, id);
      if (data.length + bytes < OFFLOAD_CDT_MIN_BYTES) return undefined;
      bin = storedBin(data, Buffer.from(name, 'utf8'));
    }
  } catch {
    return undefined; // the transaction refuses the request itself
  }
  bytes += bin?.value.length ?? 0;
  if (bytes < OFFLOAD_CDT_MIN_BYTES || inFlightBytes + bytes > OFFLOAD_MAX_PENDING_BYTES) return undefined;
  const done = post({ kind: 'cdt', bin, ops: ops.map((op) => ({ payload: ownCopy(op.value), modify: op.opType === OpType.CDT_MODIFY })) }).then((r) => {
    if (!r || !('outcomes' in r)) return;
    let input = bin;
    for (let i = 0; i < r.outcomes.length; i++) {
      const w = r.outcomes[i]!;
      const outcome: OffloadedOutcome =
        'code' in w
          ? w
          : {
              result: w.result && { type: w.result.type, value: asBuffer(w.result.value) },
              newBin: w.newBin && { type: w.newBin.type, value: asBuffer(w.newBin.value) },
            };
      setOffloadedParticleOp(ops[i]!.value, { input, outcome });
      if ('code' in outcome) break;
      if (outcome.newBin) input = outcome.newBin;
    }
  });
  return { bytes, done };
}
