/**
 * Read transactions (info2 WRITE clear): get all bins, named bins, header only (exists), and
 * read-only operate (CDT/bit/HLL/expression reads).
 */
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { Info1, Info2, MAX_BIN_NAME_BYTES, OpType, type AsMsg } from '../protocol/message.js';
import type { ResponseBuilder } from '../protocol/response-builder.js';
import { Particle } from '../protocol/particle.js';
import { valueToParticle } from '../values/bin-particles.js';
import { copyStoredBins, readStoredKey } from '../storage/record-codec.js';
import { takeOffloadedParticleOp } from '../values/offloaded.js';
import { engines } from './extensions.js';
import { checkBitOpParticleType } from '../bits/index.js';
import { keyMismatch, type TxRequest } from './keyed-request.js';
import { failed } from './outcome.js';
import { RecordView } from './record-view.js';
import { passesFilter, compileRequestFilter } from './filter.js';
import type { AsValue } from '../protocol/msgpack.js';
import { EntryFlag } from '../index/primary-index.js';
import { citrusleafSec } from '../util/clock.js';

const READ_TOUCH_NEVER = 0xffffffff;
/** StorageEngine.locate's answer: where the record read begins in the buffer it returned */
const located = new Int32Array(1);

/**
 * Executes a read. On success appends the answer message (with the bins or op results) to `out`;
 * otherwise returns the result code with the answer's metadata noted (outcome.ts) and leaves the
 * answer to the caller. Batch rows (`inBatch`) label every op result READ.
 */
export function executeRead(req: TxRequest, out: ResponseBuilder, rowIndex = 0, inBatch = false): number {
  const msg = req.msg;
  const ns = req.ns;
  const found = ns.findForRead(msg.buf, req.digestAt);
  const index = ns.index;
  if (found < 0) {
    const expiredId = found === -1 ? -1 : -found - 2;
    if (expiredId >= 0) return failed(ResultCode.NOT_FOUND, index.generation(expiredId), index.voidTime(expiredId));
    return failed(ResultCode.NOT_FOUND);
  }
  const id = found;
  const gen = index.generation(id);
  const voidTime = index.voidTime(id);
  if (msg.recordTtl !== 0 && msg.recordTtl !== READ_TOUCH_NEVER && msg.recordTtl > 100) {
    return failed(ResultCode.PARAMETER, gen, voidTime);
  }
  // decided before the filter, applied once the answer is built (it carries the old void time)
  const touchTtl = readTouchTtl(ns, id, msg.recordTtl);
  if (touchTtl === 0) return readLoaded(ns, req, id, gen, voidTime, msg, out, rowIndex, inBatch);
  try {
    return readLoaded(ns, req, id, gen, voidTime, msg, out, rowIndex, inBatch);
  } finally {
    readTouch(ns, id, touchTtl);
  }
}

/**
 * read-touch-ttl-percent (server as_read_touch_check): the percent comes in the read's TTL field
 * (0 = the set's, else the namespace's `default-read-touch-ttl-pct`; -1 = never). A record with a
 * TTL whose remaining life is at most that percent of the TTL it was written with gets that TTL
 * again. Returns the TTL to restore (seconds), 0 for no touch.
 */
function readTouchTtl(ns: ReadNamespace, id: number, requested: number): number {
  const index = ns.index;
  const voidTime = index.voidTime(id);
  if (voidTime === 0 || requested === READ_TOUCH_NEVER) return 0;
  let pct = requested;
  if (pct === 0) {
    const setPct = ns.sets.get(index.setId(id))?.settings.defaultReadTouchTtlPct ?? 0;
    pct = setPct === 0 ? ns.settings.defaultReadTouchTtlPct : setPct === -1 ? 0 : setPct;
    if (pct === 0) return 0;
  }
  const writeTtl = voidTime - citrusleafSec(index.lastUpdateMs(id));
  if (writeTtl <= 0) return 0;
  const thresholdTtl = Math.floor((writeTtl * pct) / 100);
  return citrusleafSec(ns.clock.nowMs()) < voidTime - thresholdTtl ? 0 : writeTtl;
}

/**
 * The touch itself (server read_touch_master): void time now + the write TTL, last-update-time now,
 * generation kept; skipped when that would not move the void time later. Counted in
 * read_touch_success / read_touch_skip / read_touch_error.
 */
function readTouch(ns: ReadNamespace, id: number, writeTtl: number): void {
  const index = ns.index;
  const nowMs = ns.clock.nowMs();
  const newVoidTime = citrusleafSec(nowMs) + writeTtl;
  if (index.voidTime(id) >= newVoidTime) {
    ns.stats.readTouchSkip++;
    return;
  }
  try {
    const data = Buffer.from(ns.storage.get(index, id));
    const hasKey = (index.flags(id) & EntryFlag.HAS_KEY) !== 0;
    ns.records.store(id, index.digestView(id), index.setId(id), index.generation(id), newVoidTime, nowMs, hasKey, data, 'client');
    ns.stats.readTouchSuccess++;
  } catch (e) {
    if (!(e instanceof AsError)) throw e;
    ns.stats.readTouchError++;
  }
}

type ReadNamespace = TxRequest['ns'];

/** The read proper, once the record is found and the read-touch decided. */
function readLoaded(
  ns: ReadNamespace,
  req: TxRequest,
  id: number,
  gen: number,
  voidTime: number,
  msg: AsMsg,
  out: ResponseBuilder,
  rowIndex: number,
  inBatch: boolean,
): number {
  const index = ns.index;
  const storage = ns.storage;
  // the record's bytes are data[at...]: in place where the storage can say where (no view per read)
  let data: Buffer;
  let at = 0;
  if (storage.locate) {
    data = storage.locate(index, id, located);
    at = located[0]!;
  } else data = storage.get(index, id);
  // the stored key is looked at only when the request sent one
  if (req.key !== undefined && keyMismatch(req.key, readStoredKey(data, at))) return failed(ResultCode.KEY_MISMATCH, gen, voidTime);
  let view: RecordView | undefined;
  let filter;
  try {
    // compiled once the record is found: a bad filter answers with the record's generation
    filter = compileRequestFilter(req.filter);
  } catch (e) {
    if (e instanceof AsError) return failed(e.code, gen, voidTime);
    throw e;
  }
  if (filter) {
    view = new RecordView(ns, id, req.digest);
    if (!passesFilter(filter, view, ns)) {
      return failed(ResultCode.FILTERED_OUT, gen, voidTime);
    }
  }

  const ops = msg.ops;
  const respondAll = (msg.info2 & Info2.RESPOND_ALL_OPS) !== 0;
  // validate ops first: an invalid op fails the whole read
  for (const op of ops) {
    if (op.nameBytes > MAX_BIN_NAME_BYTES) return failed(ResultCode.BIN_NAME, gen, voidTime);
    if (op.opType === OpType.READ) continue;
    if (op.opType === OpType.CDT_READ || op.opType === OpType.BITS_READ || op.opType === OpType.HLL_READ || op.opType === OpType.EXP_READ) continue;
    return failed(ResultCode.PARAMETER, gen, voidTime);
  }

  const mark = out.pos;
  out.beginMessage(ResultCode.OK, gen, voidTime, rowIndex);
  if (msg.info1 & Info1.GET_NO_BINS) {
    out.endMessage();
    return ResultCode.OK;
  }
  if (ops.length === 0 && !(msg.info1 & Info1.GET_ALL)) {
    out.abortMessage(mark);
    return failed(ResultCode.PARAMETER, gen, voidTime);
  }
  if (msg.info1 & Info1.GET_ALL) {
    copyStoredBins(data, out, OpType.READ, at);
    out.endMessage();
    return ResultCode.OK;
  }
  view ??= new RecordView(ns, id, req.digest);
  try {
    for (const op of ops) {
      if (op.opType === OpType.READ) {
        if (op.nameBytes === 0) {
          copyStoredBins(data, out, OpType.READ, at);
          continue;
        }
        const bin = view.getBin(op.name);
        if (bin) out.addOp(OpType.READ, bin.type, op.name, bin.value);
        else if (respondAll) out.addOp(OpType.READ, Particle.NULL, op.name, undefined);
        continue;
      }
      if (op.opType === OpType.BITS_READ) checkBitOpParticleType(op.particleType);
      const result = readParticleOp(op.opType, op.value, view, op.name, ns.clock.nowMs());
      // batch answers label every read result READ, single-record answers echo the op
      const echo = inBatch ? OpType.READ : op.opType;
      if (result === undefined) {
        if (respondAll) out.addOp(echo, Particle.NULL, op.name, undefined);
        continue;
      }
      const p = valueToParticle(result);
      out.addOp(echo, p.type, op.name, p.value);
    }
  } catch (e) {
    if (e instanceof AsError) {
      // drop the partly built message and answer the error instead
      out.abortMessage(mark);
      return failed(e.code, gen, voidTime);
    }
    throw e;
  }
  out.endMessage();
  return ResultCode.OK;
}

/** Runs a non-plain read op (CDT/bit/HLL/exp) against the record; undefined = no result. */
export function readParticleOp(
  opType: number,
  payload: Buffer,
  view: RecordView,
  binName: string,
  nowMs: number,
): AsValue | undefined {
  switch (opType) {
    case OpType.CDT_READ: {
      if (!engines.cdt) throw new AsError(ResultCode.UNSUPPORTED_FEATURE);
      const bin = view.getBin(binName);
      if (!bin) return undefined;
      // a read of a large list or map may have been computed on a worker (server/offload.ts)
      return (takeOffloadedParticleOp(payload, bin) ?? engines.cdt(bin, payload, false)).result;
    }
    case OpType.BITS_READ: {
      if (!engines.bits) throw new AsError(ResultCode.UNSUPPORTED_FEATURE);
      const bin = view.getBin(binName);
      if (!bin) return undefined;
      return engines.bits(bin, payload, false).result;
    }
    case OpType.HLL_READ: {
      if (!engines.hll) throw new AsError(ResultCode.UNSUPPORTED_FEATURE);
      const bin = view.getBin(binName);
      if (!bin) return undefined;
      return engines.hll(bin, payload, false).result;
    }
    case OpType.EXP_READ: {
      if (!engines.expRead) throw new AsError(ResultCode.UNSUPPORTED_FEATURE);
      return engines.expRead(payload, view, { nowMs });
    }
    default:
      throw new AsError(ResultCode.PARAMETER);
  }
}
