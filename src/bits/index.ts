/**
 * Bitwise operations on blob bins (op types 12 BITS_READ / 13 BITS_MODIFY, protocol reference §9.8),
 * with Aerospike 8's argument rules, flag semantics and result codes (`particle_blob.c`).
 *
 * Order of checks, as in Aerospike: payload shape and arguments (PARAMETER), then the bin
 * (BIN_EXISTS / INCOMPATIBLE_TYPE / BIN_NOT_FOUND), then the range (PARAMETER or OP_NOT_APPLICABLE),
 * then the op itself (OP_NOT_APPLICABLE on integer overflow). NO_FAIL turns a bin, range or overflow
 * failure into a no-op.
 */
import type { AsValue } from '../protocol/msgpack.js';
import { Particle } from '../protocol/particle.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { asErrorsOnly, encodeCall } from './boundary.js';
import { BitWriteFlag } from './codes.js';
import { applyBitModify, applyBitRead } from './execute.js';
import { parseBitOp, type ParsedBitOp } from './parse.js';
import { WireArgs } from './wire-args.js';

export { BitOp, BitWriteFlag, BitResizeFlag, BitIntFlag, MAX_BLOB_SIZE_BYTES, PROTO_SIZE_MAX_BYTES } from './codes.js';

/** What one particle op did to its bin. */
export interface BinOutcome {
  /** The op's answer; undefined = no result entry (the caller adds a NULL one under RESPOND_ALL_OPS). */
  result: AsValue | undefined;
  /** The bin's new particle; null or absent = the bin is unchanged. */
  newBin?: { type: number; value: Buffer } | null;
}

type BinParticle = { type: number; value: Buffer };

/**
 * Executes one wire bit op (op 12 read / 13 modify) on the bin's current particle (undefined when
 * the bin is missing). `payload` is the op's value bytes, msgpack `[code, args...]`.
 *
 * A read on a missing bin answers no result without looking at the payload (Aerospike never runs
 * it). Modify results are always empty; the new blob is in `newBin`. Throws only AsError, with
 * Aerospike's code. The caller must refuse an op whose wire particle type is not BLOB with
 * INCOMPATIBLE_TYPE ({@link checkBitOpParticleType}), which this function cannot see.
 */
export function executeBitWireOp(current: BinParticle | undefined, payload: Buffer, modify: boolean): BinOutcome {
  return asErrorsOnly(() => {
    if (!modify && current === undefined) return { result: undefined };
    const op = parseBitOp(new WireArgs(payload), modify);
    return modify ? modifyBin(op, current) : { result: readBin(op, current!) };
  });
}

/**
 * Same as {@link executeBitWireOp} with the op code and already-evaluated arguments (the expression
 * engine's bit call forms). Arguments are checked exactly as on the wire: ints are bigint, blobs
 * AsBytes, booleans boolean.
 */
export function executeBitOp(current: BinParticle | undefined, code: number, args: AsValue[], modify: boolean): BinOutcome {
  return executeBitWireOp(current, encodeCall(code, args), modify);
}

/** Aerospike refuses bit ops sent with a particle type other than BLOB (`as_bin_bits_*_tr`). */
export function checkBitOpParticleType(opParticleType: number): void {
  if (opParticleType !== Particle.BLOB) throw new AsError(ResultCode.INCOMPATIBLE_TYPE, 'bit op particle type must be blob');
}

function modifyBin(op: ParsedBitOp, current: BinParticle | undefined): BinOutcome {
  const noFail = (op.flags & BitWriteFlag.NO_FAIL) !== 0n;
  if (current) {
    if ((op.flags & BitWriteFlag.CREATE_ONLY) !== 0n) {
      if (noFail) return { result: undefined, newBin: null };
      throw new AsError(ResultCode.BIN_EXISTS, `bit ${op.def.name}: bin exists`);
    }
    if (current.type !== Particle.BLOB) throw new AsError(ResultCode.INCOMPATIBLE_TYPE, `bit ${op.def.name}: bin is not a blob`);
  } else {
    // only INSERT and RESIZE may create the bin (corpus bit-ops steps 10, 64)
    const mayCreate = op.def.kind === 'insert' || op.def.kind === 'resize';
    if (!mayCreate || (op.flags & BitWriteFlag.UPDATE_ONLY) !== 0n) {
      if (noFail) return { result: undefined, newBin: null };
      throw new AsError(ResultCode.BIN_NOT_FOUND, `bit ${op.def.name}: bin not found`);
    }
  }
  const blob = applyBitModify(op, current?.value);
  return { result: undefined, newBin: blob ? { type: Particle.BLOB, value: blob } : null };
}

function readBin(op: ParsedBitOp, current: BinParticle): AsValue {
  if (current.type !== Particle.BLOB) throw new AsError(ResultCode.INCOMPATIBLE_TYPE, `bit ${op.def.name}: bin is not a blob`);
  return applyBitRead(op, current.value);
}
