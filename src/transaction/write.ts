/**
 * Write transactions (info2 WRITE): put, operate with write ops, touch, delete. Follows the
 * reference server's order: validate the request, look the record up, check key, generation,
 * exists policy and filter, apply the ops in order on a working copy, then store or delete.
 */
import type { RecordChangeCause } from '../namespace/record-life.js';
import { MAX_TTL_SEC, nextGeneration } from '../namespace/namespace.js';
import { AsError, ResultCode, type ResultCodeValue } from '../protocol/result-codes.js';
import {
  Info1,
  Info2,
  Info3,
  OpType,
  MAX_BIN_NAME_BYTES,
  isReadOp,
  isWriteOp,
  type AsMsg,
  type MsgOp,
} from '../protocol/message.js';
import type { ResponseBuilder } from '../protocol/response-builder.js';
import { Particle, isBlobType, isStorableType, type Bin } from '../protocol/particle.js';
import { normaliseIncoming, valueToParticle } from '../values/bin-particles.js';
import { takeOffloadedParticleOp, takeOffloadedWrite, type OffloadedWrite } from '../values/offloaded.js';
import { decodeRecord, encodePut, readStoredKey, type StoredKey } from '../storage/record-codec.js';
import { engines } from './extensions.js';
import { checkBitOpParticleType } from '../bits/index.js';
import { compileRequestFilter, passesFilter } from './filter.js';
import { keyMismatch, type TxRequest } from './keyed-request.js';
import { failed } from './outcome.js';
import { readParticleOp } from './read.js';
import { storedCollectionBytes } from './collection-bins.js';
import { executeUdf, udfRequestCheck } from './udf-apply.js';
import { TTL_KEEP, TTL_NEVER, setLimitBreached, storeRecord, storeScratchFor } from './store-record.js';
import { RecordView } from './record-view.js';


interface ResultOp {
  opType: number;
  type: number;
  name: string;
  value: Buffer | undefined;
}

/**
 * Executes a write (put, operate, touch) or a record UDF (`req.kind` 'udf'); `inBatch` for a
 * batch row. On success appends the answer message to `out`; otherwise returns the result code
 * with the answer's metadata noted (outcome.ts) and leaves the answer to the caller.
 */
export function executeWrite(req: TxRequest, out: ResponseBuilder, rowIndex = 0, inBatch = false): number {
  const msg = req.msg;
  const ns = req.ns;
  const cause: RecordChangeCause = inBatch ? 'batch' : 'client';

  // request-level validation, before the record is looked at
  const ttl = msg.recordTtl;
  if (ttl !== 0 && ttl !== TTL_NEVER && ttl !== TTL_KEEP && ttl > MAX_TTL_SEC) {
    throw new AsError(ResultCode.PARAMETER, 'ttl out of range');
  }
  if (ttl !== 0 && ttl !== TTL_NEVER && ttl !== TTL_KEEP && ns.settings.nsupPeriodSec === 0 && !ns.settings.allowTtlWithoutNsup) {
    throw new AsError(ResultCode.FORBIDDEN, 'ttl write with nsup off');
  }
  const isUdf = req.kind === 'udf';
  if (isUdf) {
    const check = udfRequestCheck(msg);
    if (check !== ResultCode.OK) throw new AsError(check, 'bad udf request');
  }
  const ops = msg.ops;
  const hasRead = (msg.info1 & Info1.READ) !== 0;
  const getAll = (msg.info1 & Info1.GET_ALL) !== 0;
  const replace = (msg.info3 & (Info3.CREATE_OR_REPLACE | Info3.REPLACE_ONLY)) !== 0;
  // A read-all op (a READ without bin name under INFO1 GET_ALL) answers every bin as it stands at
  // that point; as in the server's write_master checks it cannot come with RESPOND_ALL_OPS, twice,
  // or with ops that answer a bin of their own, and GET_ALL without it is PARAMETER.
  let readAll = false;
  let answersBins = false;
  for (const op of ops) {
    if (replace && op.opType === OpType.WRITE && op.particleType === Particle.NULL) {
      throw new AsError(ResultCode.PARAMETER, 'bin delete in a replace');
    }
    if (isReadOp(op.opType) && !hasRead) throw new AsError(ResultCode.PARAMETER, 'read op without READ');
    if (op.nameBytes > MAX_BIN_NAME_BYTES) throw new AsError(ResultCode.BIN_NAME, 'bin name too long');
    if (getAll && op.opType === OpType.READ && op.nameBytes === 0) {
      if (msg.info2 & Info2.RESPOND_ALL_OPS) throw new AsError(ResultCode.PARAMETER, 'read-all op with respond-all-ops');
      if (readAll) throw new AsError(ResultCode.PARAMETER, 'more than one read-all op');
      readAll = true;
    } else if (answersBin(op.opType)) answersBins = true;
  }
  if (readAll && answersBins) throw new AsError(ResultCode.PARAMETER, 'read-all op mixed with ops answering bins');
  if (getAll && !readAll) throw new AsError(ResultCode.PARAMETER, 'get-all without a read-all op');
  let id = ns.findLive(msg.buf, req.digestAt);
  const existed = id >= 0;
  const index = ns.index;
  const oldGen = existed ? index.generation(id) : 0;
  const oldVoidTime = existed ? index.voidTime(id) : 0;
  // a put of plain values (no reads, no filter) is merged on the stored bytes (encodePut): no bins decoded
  const plain = !isUdf && !hasRead && req.filter === undefined && (msg.info2 & Info2.RESPOND_ALL_OPS) === 0 && isPlainValuePut(ops);

  // the stored record's key and (when decoded) bins; a plain put decodes no bins
  let storedKey: StoredKey | undefined;
  let storedBins: readonly Bin[] = NO_BINS;
  let storedData: Buffer | undefined;
  let oldSize = 0; // the stored record's bytes, which a UDF sees as record.size
  // a large request of plain bin writes may have been applied to this very record on a worker
  // (server/offload.ts): then only the stored key is needed here
  let pre: OffloadedWrite | undefined;
  if (existed) {
    const data = ns.storage.get(index, id);
    oldSize = data.length;
    pre = isUdf ? undefined : takeOffloadedWrite(msg.buf, data);
    if (pre || plain) {
      storedKey = readStoredKey(data);
      if (!pre) storedData = data;
    } else ({ key: storedKey, bins: storedBins } = decodeRecord(data));
    if (keyMismatch(req.key, storedKey)) return failed(ResultCode.KEY_MISMATCH, oldGen, oldVoidTime);
  }
  else if (!isUdf) pre = takeOffloadedWrite(msg.buf, undefined);
  const genCheck = checkGeneration(msg, existed, oldGen);
  if (genCheck !== ResultCode.OK) return failed(genCheck, oldGen, oldVoidTime);
  if (existed) {
    if (msg.info2 & Info2.CREATE_ONLY) return failed(ResultCode.RECORD_EXISTS, oldGen, oldVoidTime);
  } else if (msg.info3 & (Info3.UPDATE_ONLY | Info3.REPLACE_ONLY)) {
    return failed(ResultCode.NOT_FOUND, oldGen, oldVoidTime);
  }
  let view: RecordView | undefined;
  let filter;
  try {
    filter = existed ? compileRequestFilter(req.filter) : undefined;
  } catch (e) {
    if (e instanceof AsError) return failed(e.code, oldGen, oldVoidTime);
    throw e;
  }
  if (filter && existed) {
    view = new RecordView(ns, id, req.digest);
    if (!passesFilter(filter, view, ns)) return failed(ResultCode.FILTERED_OUT, oldGen, oldVoidTime);
  }

  if (plain && !pre) {
    const key = storedKey ?? req.key;
    // a replace starts from no bins
    const base = replace ? undefined : storedData;
    const encoded = encodePut(base, key, ops, storeScratchFor(plainPutBound(base?.length ?? 0, key, ops)));
    if (encoded) return storePlainPut(req, out, rowIndex, cause, id, existed, key, encoded, oldGen, oldVoidTime);
    // past the merge's limits: the general way, from the decoded record
    if (existed) ({ key: storedKey, bins: storedBins } = decodeRecord(storedData!));
  }
  if (isUdf) {
    return executeUdf(
      msg,
      { ns, id, existed, digest: req.digest, setName: req.setName, storedKey, sentKey: req.key, bins: storedBins, oldSize },
      out,
      rowIndex,
    );
  }
  let bins: Bin[] = replace ? [] : storedBins.slice();
  const respondAll = (msg.info2 & Info2.RESPOND_ALL_OPS) !== 0;
  const results: ResultOp[] = [];
  let touched = false;
  let deletedAll = false;
  const nowMs = ns.clock.nowMs();
  // the record view is made when an op reads through it (a put of plain bins never does)
  const viewId = existed ? id : -1;

  if (pre && 'code' in pre) return failed(pre.code as ResultCodeValue, oldGen, oldVoidTime);
  try {
    for (const op of pre ? [] : ops) {
      switch (op.opType) {
        case OpType.WRITE: {
          bins = applyWriteOp(bins, op, replace);
          if (respondAll) results.push({ opType: op.opType, type: Particle.NULL, name: op.name, value: undefined });
          break;
        }
        case OpType.INCR:
        case OpType.APPEND:
        case OpType.PREPEND:
          bins = applyArithmetic(bins, op);
          if (respondAll) results.push({ opType: op.opType, type: Particle.NULL, name: op.name, value: undefined });
          break;
        case OpType.TOUCH:
          touched = true;
          break;
        case OpType.DELETE_ALL:
          bins = [];
          deletedAll = true;
          if (respondAll) results.push({ opType: op.opType, type: Particle.NULL, name: op.name, value: undefined });
          break;
        case OpType.READ: {
          if (op.nameBytes === 0) {
            // the read-all op: every bin at this point of the op list (else a nameless read yields nothing)
            if (readAll) for (const b of bins) results.push({ opType: OpType.READ, type: b.type, name: b.name, value: b.value });
            break;
          }
          const bin = findBin(bins, op.name);
          if (bin) results.push({ opType: OpType.READ, type: bin.type, name: op.name, value: bin.value });
          else if (respondAll) results.push({ opType: OpType.READ, type: Particle.NULL, name: op.name, value: undefined });
          break;
        }
        case OpType.CDT_READ:
        case OpType.BITS_READ:
        case OpType.HLL_READ:
        case OpType.EXP_READ: {
          if (op.opType === OpType.BITS_READ) checkBitOpParticleType(op.particleType);
          view ??= new RecordView(ns, viewId, req.digest);
          view.setWorkingBins(bins);
          const v = readParticleOp(op.opType, op.value, view, op.name, nowMs);
          if (v === undefined) results.push({ opType: op.opType, type: Particle.NULL, name: op.name, value: undefined });
          else {
            const p = valueToParticle(v);
            results.push({ opType: op.opType, type: p.type, name: op.name, value: p.value });
          }
          break;
        }
        case OpType.CDT_MODIFY:
        case OpType.BITS_MODIFY:
        case OpType.HLL_MODIFY: {
          if (op.opType === OpType.BITS_MODIFY) checkBitOpParticleType(op.particleType);
          const engine = op.opType === OpType.CDT_MODIFY ? engines.cdt : op.opType === OpType.BITS_MODIFY ? engines.bits : engines.hll;
          if (!engine) throw new AsError(ResultCode.UNSUPPORTED_FEATURE);
          const current = findBin(bins, op.name);
          // a CDT op on a large bin may have been computed on a worker (server/offload.ts)
          const outcome = (op.opType === OpType.CDT_MODIFY ? takeOffloadedParticleOp(op.value, current) : undefined) ?? engine(current, op.value, true);
          if (outcome.newBin) bins = setBin(bins, op.name, outcome.newBin.type, outcome.newBin.value);
          else if (outcome.newBin === null && current && op.opType !== OpType.CDT_MODIFY) {
            // unchanged
          }
          if (outcome.result !== undefined) {
            const p = valueToParticle(outcome.result);
            results.push({ opType: op.opType, type: p.type, name: op.name, value: p.value });
          } else if (respondAll) results.push({ opType: op.opType, type: Particle.NULL, name: op.name, value: undefined });
          break;
        }
        case OpType.EXP_MODIFY: {
          if (!engines.expWrite) throw new AsError(ResultCode.UNSUPPORTED_FEATURE);
          view ??= new RecordView(ns, viewId, req.digest);
          view.setWorkingBins(bins);
          const action = engines.expWrite(op.value, view, { nowMs }, findBin(bins, op.name) !== undefined);
          if (action.action === 'write') {
            const p = valueToParticle(action.value);
            bins = setBin(bins, op.name, p.type, p.value);
          } else if (action.action === 'delete') bins = removeBin(bins, op.name);
          if (respondAll) results.push({ opType: op.opType, type: Particle.NULL, name: op.name, value: undefined });
          break;
        }
        default:
          throw new AsError(ResultCode.PARAMETER, `op type ${op.opType} not allowed on write`);
      }
    }
  } catch (e) {
    if (e instanceof AsError) return failed(e.code, oldGen, oldVoidTime);
    throw e;
  }
  if (!hasWriteOp(ops)) return failed(ResultCode.PARAMETER, oldGen, oldVoidTime);

  // store or delete the result; stop-writes refuses client writes but never deletes
  const binCount = pre ? pre.binCount : bins.length;
  if (binCount > 0) {
    if (ns.stopWrites.current(nowMs) !== undefined) return failed(ResultCode.OUT_OF_SPACE, oldGen, oldVoidTime);
    const limit = setLimitBreached(ns, req.setName, existed);
    if (limit) return failed(ResultCode.FORBIDDEN, oldGen, oldVoidTime);
  }
  if (binCount === 0) {
    if (!existed && !deletedAll) return failed(ResultCode.NOT_FOUND, oldGen, oldVoidTime);
    if (!existed) return failed(ResultCode.NOT_FOUND, oldGen, oldVoidTime);
    ns.records.remove(id, cause);
    out.beginMessage(ResultCode.OK, 0, 0, rowIndex);
    emitResults(out, results);
    out.endMessage();
    return ResultCode.OK;
  }
  void touched;
  const stored2 = storeRecord(ns, { id, existed, digest: req.digest, setName: req.setName, key: storedKey ?? req.key, bins, encoded: pre?.record, ttl, nowMs, cause });
  if (typeof stored2 === 'number') return failed(stored2, oldGen, oldVoidTime);
  const { generation: newGen, voidTime } = stored2;
  out.beginMessage(ResultCode.OK, newGen, voidTime, rowIndex);
  emitResults(out, results);
  out.endMessage();
  return ResultCode.OK;
}

/** No bins: a record not yet decoded, or new (never changed: users copy it first). */
const NO_BINS: readonly Bin[] = Object.freeze([]);

/** The bins storeRecord is given with a record already encoded (it reads none of them). */
const ENCODED_ELSEWHERE: Bin[] = [];

/** Bytes encodePut may need at most: the stored record, the key and each op's bin. */
function plainPutBound(storedBytes: number, key: StoredKey | undefined, ops: readonly MsgOp[]): number {
  let n = storedBytes + 3 + (key ? 5 + key.value.length : 0);
  for (let i = 0; i < ops.length; i++) n += 6 + ops[i]!.nameBytes + ops[i]!.value.length;
  return n;
}

/**
 * True when every op writes a bin whose value is stored as sent (a string, a blob, an 8-byte
 * integer or float) under an ASCII name of 1..15 bytes: what encodePut merges without decoding.
 * Anything else (deletes, collections, GeoJSON, other types, reads) goes the general way, which
 * also answers their errors.
 */
function isPlainValuePut(ops: readonly MsgOp[]): boolean {
  if (ops.length === 0) return false;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.opType !== OpType.WRITE || op.nameBytes === 0 || op.nameBytes > MAX_BIN_NAME_BYTES || op.name.length !== op.nameBytes) return false;
    const t = op.particleType;
    if (t === Particle.STRING || t === Particle.BLOB) continue;
    if ((t === Particle.INTEGER || t === Particle.FLOAT) && op.value.length === 8) continue;
    return false;
  }
  return true;
}

/**
 * The end of a plain put (isPlainValuePut) whose record encodePut built: the same checks, store
 * and answer as the general path's for a record with bins.
 */
function storePlainPut(
  req: TxRequest,
  out: ResponseBuilder,
  rowIndex: number,
  cause: RecordChangeCause,
  id: number,
  existed: boolean,
  key: StoredKey | undefined,
  encoded: Buffer,
  oldGen: number,
  oldVoidTime: number,
): number {
  const ns = req.ns;
  // the clock is read once for the stop-writes check, the last-update time and the void time
  const nowMs = ns.clock.nowMs();
  if (ns.stopWrites.current(nowMs) !== undefined) return failed(ResultCode.OUT_OF_SPACE, oldGen, oldVoidTime);
  if (setLimitBreached(ns, req.setName, existed)) return failed(ResultCode.FORBIDDEN, oldGen, oldVoidTime);
  const stored = storeRecord(ns, { id, existed, digest: req.digest, setName: req.setName, key, bins: ENCODED_ELSEWHERE, encoded, ttl: req.msg.recordTtl, nowMs, nowIsCurrent: true, cause });
  if (typeof stored === 'number') return failed(stored, oldGen, oldVoidTime);
  out.beginMessage(ResultCode.OK, stored.generation, stored.voidTime, rowIndex);
  out.endMessage();
  return ResultCode.OK;
}

function hasWriteOp(ops: readonly MsgOp[]): boolean {
  for (let i = 0; i < ops.length; i++) if (isWriteOp(ops[i]!.opType)) return true;
  return false;
}

/** Ops that may answer a bin of their own (server write_master: generates_response_bin). */
function answersBin(opType: number): boolean {
  switch (opType) {
    case OpType.READ:
    case OpType.CDT_READ:
    case OpType.CDT_MODIFY:
    case OpType.BITS_READ:
    case OpType.HLL_READ:
    case OpType.HLL_MODIFY:
    case OpType.EXP_READ:
      return true;
    default:
      return false;
  }
}

function emitResults(out: ResponseBuilder, results: ResultOp[]): void {
  for (const r of results) out.addOp(r.opType, r.type, r.name, r.value);
}

function checkGeneration(msg: AsMsg, existed: boolean, gen: number): ResultCodeValue {
  if (msg.info2 & Info2.GENERATION) {
    if (existed && gen !== msg.generation) return ResultCode.GENERATION;
  } else if (msg.info2 & Info2.GENERATION_GT) {
    if (existed && msg.generation <= gen) return ResultCode.GENERATION;
  }
  return ResultCode.OK;
}

/**
 * Bin lists at least this long get a name → position map (kept in step by setBin / removeBin), so a
 * put of 32,767 bins is linear instead of quadratic (it blocked the node 2.7 s); shorter lists are
 * scanned, which is faster than hashing.
 */
const BIN_INDEX_MIN_BINS = 16;
const binIndex = new WeakMap<Bin[], Map<string, number>>();

function binPosition(bins: Bin[], name: string): number {
  if (bins.length < BIN_INDEX_MIN_BINS) {
    for (let i = 0; i < bins.length; i++) if (bins[i]!.name === name) return i;
    return -1;
  }
  let map = binIndex.get(bins);
  if (!map) {
    map = new Map();
    for (let i = 0; i < bins.length; i++) map.set(bins[i]!.name, i);
    binIndex.set(bins, map);
  }
  return map.get(name) ?? -1;
}

function findBin(bins: Bin[], name: string): Bin | undefined {
  const i = binPosition(bins, name);
  return i < 0 ? undefined : bins[i];
}

function setBin(bins: Bin[], name: string, type: number, value: Buffer): Bin[] {
  const i = binPosition(bins, name);
  if (i >= 0) {
    bins[i] = { name, type, value };
    return bins;
  }
  bins.push({ name, type, value });
  binIndex.get(bins)?.set(name, bins.length - 1);
  return bins;
}

/** Removes a bin the way the reference server does: the last bin moves into its slot. */
function removeBin(bins: Bin[], name: string): Bin[] {
  const i = binPosition(bins, name);
  if (i < 0) return bins;
  const last = bins.pop()!;
  const map = binIndex.get(bins);
  map?.delete(name);
  if (i < bins.length) {
    bins[i] = last;
    map?.set(last.name, i);
  }
  return bins;
}

/** A WRITE op: sets the bin (value checked and put in stored form) or, with a NULL particle, deletes it. */
function applyWriteOp(bins: Bin[], op: MsgOp, replace: boolean): Bin[] {
  if (op.particleType === Particle.NULL) {
    if (replace) throw new AsError(ResultCode.PARAMETER, 'bin delete in a replace');
    return removeBin(bins, op.name);
  }
  if (!isStorableType(op.particleType)) throw new AsError(ResultCode.PARAMETER, 'bad particle type');
  const value = storedCollectionBytes(op.particleType, normaliseIncoming(op.particleType, op.value));
  return setBin(bins, op.name, op.particleType, value);
}

/** True when every op of the request is a plain bin write (WRITE), which `applyPlainWrites` applies. */
export function isPlainWrite(msg: AsMsg): boolean {
  if (msg.info1 & Info1.READ || msg.info2 & Info2.RESPOND_ALL_OPS || msg.ops.length === 0) return false;
  for (const op of msg.ops) if (op.opType !== OpType.WRITE) return false;
  return true;
}

/**
 * The bins a request of plain bin writes (isPlainWrite) leaves: its ops applied in order to the
 * stored `bins` (none for a replace), exactly as executeWrite applies them. Throws the AsError
 * executeWrite would. For the offload worker (server/offload-worker.ts).
 */
export function applyPlainWrites(bins: Bin[], msg: AsMsg): Bin[] {
  const replace = (msg.info3 & (Info3.CREATE_OR_REPLACE | Info3.REPLACE_ONLY)) !== 0;
  let out = replace ? [] : bins.slice();
  for (const op of msg.ops) out = applyWriteOp(out, op, replace);
  return out;
}

/** INCR / APPEND / PREPEND: a missing bin takes the op's value; otherwise types must match. */
function applyArithmetic(bins: Bin[], op: MsgOp): Bin[] {
  if (!isStorableType(op.particleType)) throw new AsError(ResultCode.PARAMETER, 'bad particle type');
  const current = findBin(bins, op.name);
  if (!current) return setBin(bins, op.name, op.particleType, normaliseIncoming(op.particleType, op.value));
  if (op.opType === OpType.INCR) {
    if (current.type === Particle.INTEGER && op.particleType === Particle.INTEGER && op.value.length === 8) {
      const sum = BigInt.asIntN(64, current.value.readBigInt64BE(0) + op.value.readBigInt64BE(0));
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(sum);
      return setBin(bins, op.name, Particle.INTEGER, b);
    }
    if (current.type === Particle.FLOAT && op.particleType === Particle.FLOAT && op.value.length === 8) {
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleBE(current.value.readDoubleBE(0) + op.value.readDoubleBE(0));
      return setBin(bins, op.name, Particle.FLOAT, b);
    }
    throw new AsError(ResultCode.INCOMPATIBLE_TYPE);
  }
  const sameKind =
    (current.type === Particle.STRING && op.particleType === Particle.STRING) ||
    (isBlobType(current.type) && current.type === op.particleType);
  if (!sameKind) throw new AsError(ResultCode.INCOMPATIBLE_TYPE);
  const value = op.opType === OpType.APPEND ? Buffer.concat([current.value, op.value]) : Buffer.concat([op.value, current.value]);
  return setBin(bins, op.name, current.type, value);
}

/**
 * Executes a delete (durable when asked and the storage keeps tombstones). On success appends the
 * answer to `out`; otherwise returns the result code and leaves the answer to the caller (the
 * reference server answers a failed delete without the record's metadata).
 */
export function executeDelete(req: TxRequest, out: ResponseBuilder, rowIndex = 0): number {
  const msg = req.msg;
  const ns = req.ns;
  // durable deletes need storage that keeps tombstones; in memory the answer is Aerospike CE's
  const durable = (msg.info2 & Info2.DURABLE_DELETE) !== 0;
  if (durable && !ns.storage.supportsTombstones) {
    throw new AsError(ResultCode.ENTERPRISE_ONLY, 'durable delete');
  }
  const id = ns.findLive(req.digest);
  if (id < 0) return failed(ResultCode.NOT_FOUND);
  const stored = decodeRecord(ns.storage.get(ns.index, id));
  if (keyMismatch(req.key, stored.key)) return failed(ResultCode.KEY_MISMATCH);
  let filter;
  try {
    filter = compileRequestFilter(req.filter);
  } catch (e) {
    if (e instanceof AsError) return failed(e.code);
    throw e;
  }
  const genCheck = checkGeneration(msg, true, ns.index.generation(id));
  if (genCheck !== ResultCode.OK) return failed(genCheck);
  if (filter && !passesFilter(filter, new RecordView(ns, id, req.digest), ns)) return failed(ResultCode.FILTERED_OUT);
  if (durable) ns.records.tombstone(id, nextGeneration(ns.index.generation(id)), ns.clock.nowMs(), 'delete');
  else ns.records.remove(id, 'delete');
  out.beginMessage(ResultCode.OK, 0, 0, rowIndex);
  out.endMessage();
  return ResultCode.OK;
}
