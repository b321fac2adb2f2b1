/**
 * HyperLogLog operations on HLL bins (op types 15 HLL_READ / 16 HLL_MODIFY, protocol reference §9.9)
 * producing bins byte-identical with Aerospike 8's (`particle_hll.c`).
 *
 * Order of checks, as in Aerospike: payload shape and op code (PARAMETER), the stored bin
 * (INCOMPATIBLE_TYPE if not an HLL, UNKNOWN if corrupt), the arguments (PARAMETER), the write flags
 * (BIN_EXISTS / BIN_NOT_FOUND, or a no-op under NO_FAIL), then shape rules (OP_NOT_APPLICABLE).
 */
import type { AsValue } from '../protocol/msgpack.js';
import { AsBytes } from '../protocol/msgpack.js';
import { Particle } from '../protocol/particle.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import type { BinOutcome } from '../bits/index.js';
import { asErrorsOnly, encodeCall } from '../bits/boundary.js';
import { WireArgs } from '../bits/wire-args.js';
import {
  addElement,
  compatibleShape,
  estimateCardinality,
  estimateIntersect,
  estimateSimilarity,
  estimateUnion,
  mayContain,
  unionInto,
  unionOf,
} from './estimate.js';
import { HllOp, HllWriteFlag, lookupHllOp, parseHllArgs, UNSET_BITS, type ParsedHllOp } from './parse.js';
import { Hll, isValidBitCombination, isValidHll } from './sketch.js';

export type { BinOutcome } from '../bits/index.js';
export { HllOp, HllWriteFlag } from './parse.js';
export { isValidHll, hllSizeBytes } from './sketch.js';

type BinParticle = { type: number; value: Buffer };

/**
 * Executes one wire HLL op (op 15 read / 16 modify) on the bin's current particle (undefined when
 * the bin is missing). `payload` is the op's value bytes, msgpack `[code, args...]`.
 *
 * A read on a missing bin answers no result without looking at the payload (Aerospike never runs
 * it). ADD and REFRESH_COUNT answer a count; other modify ops no result. Throws only AsError.
 */
export function executeHllWireOp(current: BinParticle | undefined, payload: Buffer, modify: boolean): BinOutcome {
  return asErrorsOnly(() => {
    if (!modify && current === undefined) return { result: undefined };
    const args = new WireArgs(payload);
    const d = lookupHllOp(args, modify);
    const stored = current ? storedHll(current) : undefined;
    const op = parseHllArgs(args, d, modify);
    return modify ? modifyBin(op, stored) : { result: readBin(op, stored!) };
  });
}

/**
 * Same as {@link executeHllWireOp} with the op code and already-evaluated arguments (the expression
 * engine's HLL call forms): element lists are arrays, HLLs AsBytes, bit counts bigint.
 */
export function executeHllOp(current: BinParticle | undefined, code: number, args: AsValue[], modify: boolean): BinOutcome {
  return executeHllWireOp(current, encodeCall(code, args), modify);
}

/** The bin as a sketch: INCOMPATIBLE_TYPE unless it is an HLL, UNKNOWN when its bytes are corrupt. */
function storedHll(bin: BinParticle): Hll {
  if (bin.type !== Particle.HLL) throw new AsError(ResultCode.INCOMPATIBLE_TYPE, 'bin is not an HLL');
  if (!isValidHll(bin.value)) throw new AsError(ResultCode.UNKNOWN, 'stored HLL is corrupt');
  return new Hll(bin.value);
}

const UNCHANGED: BinOutcome = { result: undefined, newBin: null };

function modifyBin(op: ParsedHllOp, old: Hll | undefined): BinOutcome {
  const noFail = (op.flags & HllWriteFlag.NO_FAIL) !== 0n;
  if (old && (op.flags & HllWriteFlag.CREATE_ONLY) !== 0n) {
    if (noFail) return UNCHANGED;
    throw new AsError(ResultCode.BIN_EXISTS, `HLL ${op.def.name}: bin exists`);
  }
  if (!old && (op.flags & HllWriteFlag.UPDATE_ONLY) !== 0n) {
    if (noFail) return UNCHANGED;
    throw new AsError(ResultCode.BIN_NOT_FOUND, `HLL ${op.def.name}: bin not found`);
  }
  const { hll, result } = applyModify(op, old);
  return { result, newBin: { type: Particle.HLL, value: hll.buf } };
}

function notApplicable(why: string): never {
  throw new AsError(ResultCode.OP_NOT_APPLICABLE, why);
}

/** Resolves the shape (Aerospike's prepare step) and builds the new sketch; `old` is never changed. */
function applyModify(op: ParsedHllOp, old: Hll | undefined): { hll: Hll; result: AsValue | undefined } {
  switch (op.def.code) {
    case HllOp.INIT: {
      const shape = resolveCreateShape(op, old);
      if (old && !isValidBitCombination(shape.indexBits, shape.minhashBits)) notApplicable('init would give an invalid shape');
      return { hll: Hll.empty(shape.indexBits, shape.minhashBits), result: undefined };
    }
    case HllOp.ADD: {
      // an existing bin keeps its shape whatever the op asks for
      const hll = old ? old.clone() : Hll.empty(...shapeOf(resolveCreateShape(op, undefined)));
      let added = 0;
      for (const e of op.elements) if (addElement(hll, e)) added++;
      return { hll, result: BigInt(added) };
    }
    case HllOp.SET_UNION:
      return { hll: setUnion(op, old), result: undefined };
    case HllOp.REFRESH_COUNT: {
      if (!old) throw new AsError(ResultCode.BIN_NOT_FOUND, 'cannot create a bin with refresh_count');
      const hll = old.clone();
      hll.cache = estimateCardinality(hll);
      return { hll, result: BigInt.asIntN(64, hll.cache) };
    }
    case HllOp.FOLD: {
      if (!old) throw new AsError(ResultCode.BIN_NOT_FOUND, 'cannot create a bin with fold');
      if (old.minhashBits > 0) notApplicable('cannot fold an HLL with minhash bits'); // corpus hll-ops step 40
      if (old.indexBits < op.indexBits) notApplicable('fold cannot add index bits'); // corpus hll-ops step 42
      if (old.indexBits === op.indexBits) return { hll: old.clone(), result: undefined };
      const hll = Hll.empty(op.indexBits, 0);
      unionInto(hll, old);
      return { hll, result: undefined };
    }
    default:
      throw new AsError(ResultCode.PARAMETER, 'read op on the modify path');
  }
}

function shapeOf(s: { indexBits: number; minhashBits: number }): [number, number] {
  return [s.indexBits, s.minhashBits];
}

/**
 * Shape for INIT/ADD: unset bits come from the existing bin, or (creating) minhash defaults to 0
 * and index bits are required (OP_NOT_APPLICABLE otherwise, corpus hll-ops step 14).
 */
function resolveCreateShape(op: ParsedHllOp, old: Hll | undefined): { indexBits: number; minhashBits: number } {
  if (!old) {
    if (op.indexBits === UNSET_BITS) notApplicable('cannot create an HLL without index bits');
    return { indexBits: op.indexBits, minhashBits: op.minhashBits === UNSET_BITS ? 0 : op.minhashBits };
  }
  return {
    indexBits: op.indexBits === UNSET_BITS ? old.indexBits : op.indexBits,
    minhashBits: op.minhashBits === UNSET_BITS ? old.minhashBits : op.minhashBits,
  };
}

/**
 * SET_UNION: without ALLOW_FOLD the bin may not lose index bits or its minhash bits; with it, the
 * result takes the smaller shape. The union itself is built in the shape all inputs share.
 */
function setUnion(op: ParsedHllOp, old: Hll | undefined): Hll {
  if (old && (op.flags & HllWriteFlag.ALLOW_FOLD) === 0n) {
    const minIndex = Math.min(...op.hlls.map((h) => h.indexBits));
    if (old.indexBits > minIndex) notApplicable('set_union would reduce index bits');
    if (old.minhashBits !== 0 && old.minhashBits !== argsMinhash(op.hlls)) notApplicable('set_union would drop minhash bits');
  }
  return unionOf(old ? [...op.hlls, old] : op.hlls);
}

/** The minhash bits Aerospike's union prepare settles on for the arguments alone. */
function argsMinhash(hlls: readonly Hll[]): number {
  return compatibleShape(hlls).minhashBits;
}

function readBin(op: ParsedHllOp, bin: Hll): AsValue {
  const all = [...op.hlls, bin];
  switch (op.def.code) {
    case HllOp.COUNT:
      return BigInt.asIntN(64, estimateCardinality(bin));
    case HllOp.GET_UNION:
      return new AsBytes(Particle.HLL, unionOf(all).buf);
    case HllOp.UNION_COUNT:
      return BigInt.asIntN(64, estimateUnion(all));
    case HllOp.INTERSECT_COUNT:
      checkIntersectArgs(op, bin);
      return BigInt.asIntN(64, estimateIntersect(all));
    case HllOp.SIMILARITY:
      checkIntersectArgs(op, bin);
      return estimateSimilarity(all);
    case HllOp.DESCRIBE:
      return [BigInt(bin.indexBits), BigInt(bin.minhashBits)];
    case HllOp.MAY_CONTAIN:
      return op.elements.every((e) => mayContain(bin, e)) ? 1n : 0n;
    default:
      throw new AsError(ResultCode.PARAMETER, 'modify op on the read path');
  }
}

/** More than two HLL arguments need the bin to share their non-zero minhash bits. */
function checkIntersectArgs(op: ParsedHllOp, bin: Hll): void {
  if (op.hlls.length > 2 && (bin.minhashBits === 0 || bin.minhashBits !== op.hlls[0]!.minhashBits)) {
    notApplicable('cannot intersect more than two HLLs with the bin when minhash bits differ');
  }
}
