/**
 * Runs a parsed bit op against a blob: range checks with Aerospike's result codes (the "prepare"
 * step of `particle_blob.c`), then the op itself. Modify ops never change their input; they return
 * a fresh blob, or null when the op is a no-op (NO_FAIL, nothing to do).
 */
import type { AsValue } from '../protocol/msgpack.js';
import { AsBytes } from '../protocol/msgpack.js';
import { Particle } from '../protocol/particle.js';
import { AsError, ResultCode, type ResultCodeValue } from '../protocol/result-codes.js';
import { bitAt, depositBits, extractBits, popcount, readUint, writeUint } from './bit-field.js';
import { BitIntFlag, BitOp, BitResizeFlag, BitWriteFlag, MAX_BLOB_SIZE_BYTES, PROTO_SIZE_MAX_BYTES } from './codes.js';
import type { ParsedBitOp } from './parse.js';

/** A bit op's range once the offset is resolved: `bitOffset` is absolute, `byteOffset` its byte. */
interface Range {
  byteOffset: number;
  /** bit offset within `byteOffset`'s byte (0..7) */
  shift: number;
  bitOffset: number;
  /** bytes the range touches from `byteOffset` */
  nBytes: number;
}

/** Thrown by a failed check under NO_FAIL: the op becomes a no-op instead of an error. */
const NO_OP: unique symbol = Symbol('bit op no-op');

function failUnlessNoFail(op: ParsedBitOp, code: ResultCodeValue, why: string): never {
  if ((op.flags & BitWriteFlag.NO_FAIL) !== 0n) throw NO_OP;
  throw new AsError(code, why);
}

/**
 * Resolves a (possibly negative) offset against the blob. A negative offset counts from the end;
 * one reaching before the start, or any negative offset on a missing bin, is PARAMETER.
 */
function resolveRange(op: ParsedBitOp, old: Buffer | undefined): Range {
  const oldSize = old?.length ?? 0;
  let offset = op.offset;
  if (offset < 0) {
    if (!old) throw new AsError(ResultCode.PARAMETER, 'negative offset on a missing bin');
    if (-offset > oldSize * 8) throw new AsError(ResultCode.PARAMETER, 'negative offset before the start');
    offset += oldSize * 8;
  }
  const byteOffset = Math.floor(offset / 8);
  const shift = offset % 8;
  return { byteOffset, shift, bitOffset: offset, nBytes: Math.ceil((shift + op.size) / 8) };
}

/**
 * Applies a modify op. `old` is the current blob (undefined when the bin is missing; the caller has
 * already checked that creating is allowed). Returns the new blob, or null for a no-op.
 * Throws AsError with Aerospike's code when the op cannot apply.
 */
export function applyBitModify(op: ParsedBitOp, old: Buffer | undefined): Buffer | null {
  try {
    return buildModified(op, old);
  } catch (e) {
    if (e === NO_OP) return null;
    throw e;
  }
}

function buildModified(op: ParsedBitOp, old: Buffer | undefined): Buffer | null {
  const range = resolveRange(op, old);
  const oldSize = old?.length ?? 0;
  switch (op.def.kind) {
    case 'resize':
      return resize(op, old ?? Buffer.alloc(0), range.nBytes);
    case 'insert': {
      const head = Math.min(range.byteOffset, oldSize);
      const pad = Math.max(0, range.byteOffset - oldSize);
      checkNewSize(oldSize + pad + range.nBytes);
      const src = old ?? Buffer.alloc(0);
      return Buffer.concat([src.subarray(0, head), Buffer.alloc(pad), op.buf!.subarray(0, range.nBytes), src.subarray(head)]);
    }
    case 'remove': {
      const src = old!;
      if (range.byteOffset >= oldSize) failUnlessNoFail(op, ResultCode.PARAMETER, 'remove past the end');
      let end = range.byteOffset + range.nBytes;
      if (end > oldSize) {
        if ((op.flags & BitWriteFlag.PARTIAL) === 0n) failUnlessNoFail(op, ResultCode.PARAMETER, 'remove past the end without PARTIAL');
        end = oldSize;
      }
      return Buffer.concat([src.subarray(0, range.byteOffset), src.subarray(end)]);
    }
    case 'modify': {
      const src = old!;
      if (range.byteOffset >= oldSize) failUnlessNoFail(op, ResultCode.OP_NOT_APPLICABLE, 'op starts past the end of the blob');
      let size = op.size;
      if (range.byteOffset + range.nBytes > oldSize) {
        if ((op.flags & BitWriteFlag.PARTIAL) === 0n) failUnlessNoFail(op, ResultCode.OP_NOT_APPLICABLE, 'op runs past the end without PARTIAL');
        // PARTIAL: the op covers what is left of the blob. (Aerospike computes this size from the
        // in-byte offset only, which for a byte offset > 0 overstates it; its results inside the
        // blob are the same except where that overrun is undefined behaviour in C: OR/XOR/AND and
        // shifts by more than the remaining bits. We keep to the blob.)
        size = (oldSize - range.byteOffset) * 8 - range.shift;
      }
      const out = Buffer.from(src);
      depositBits(out, range.bitOffset, size, transformField(op, extractBits(src, range.bitOffset, size), size));
      return out;
    }
    case 'integer': {
      const src = old!;
      checkReadRange(op, range, oldSize);
      const out = Buffer.from(src);
      if (!integerOp(op, src, out, range.bitOffset)) failUnlessNoFail(op, ResultCode.OP_NOT_APPLICABLE, 'integer overflow');
      return out;
    }
    case 'read':
      throw new AsError(ResultCode.PARAMETER, 'read op on the modify path');
  }
}

function resize(op: ParsedBitOp, old: Buffer, newSize: number): Buffer | null {
  const fromFront = (op.subflags & BitResizeFlag.FROM_FRONT) !== 0n;
  if (newSize < old.length) {
    if ((op.subflags & BitResizeFlag.GROW_ONLY) !== 0n) failUnlessNoFail(op, ResultCode.PARAMETER, 'GROW_ONLY cannot shrink');
    return Buffer.from(fromFront ? old.subarray(old.length - newSize) : old.subarray(0, newSize));
  }
  if (newSize > old.length) {
    if ((op.subflags & BitResizeFlag.SHRINK_ONLY) !== 0n) failUnlessNoFail(op, ResultCode.PARAMETER, 'SHRINK_ONLY cannot grow');
    checkNewSize(newSize);
    const pad = Buffer.alloc(newSize - old.length);
    return fromFront ? Buffer.concat([pad, old]) : Buffer.concat([old, pad]);
  }
  return null; // already that size
}

/** Aerospike refuses results reaching PROTO_SIZE_MAX with PARAMETER; we also never build a blob no record could hold. */
function checkNewSize(bytes: number): void {
  if (bytes >= PROTO_SIZE_MAX_BYTES) throw new AsError(ResultCode.PARAMETER, 'blob would reach the message size limit');
  if (bytes > MAX_BLOB_SIZE_BYTES) throw new AsError(ResultCode.RECORD_TOO_BIG, 'blob larger than any record may be');
}

/** The new value of a SET/OR/XOR/AND/NOT/LSHIFT/RSHIFT field of `size` bits. */
function transformField(op: ParsedBitOp, field: Buffer, size: number): Uint8Array {
  const arg = op.buf;
  switch (op.def.code) {
    case BitOp.SET:
      return arg!;
    case BitOp.OR:
      return field.map((b, i) => b | arg![i]!);
    case BitOp.XOR:
      return field.map((b, i) => b ^ arg![i]!);
    case BitOp.AND:
      return field.map((b, i) => b & arg![i]!);
    case BitOp.NOT:
      return field.map((b) => ~b & 0xff);
    case BitOp.LSHIFT: {
      if (op.value >= BigInt(size)) return Buffer.alloc(field.length);
      const n = Number(op.value);
      return extractBits(field, n, size - n);
    }
    case BitOp.RSHIFT: {
      const out = Buffer.alloc(field.length);
      if (op.value >= BigInt(size)) return out;
      const n = Number(op.value);
      depositBits(out, n, size - n, field);
      return out;
    }
    default:
      throw new AsError(ResultCode.PARAMETER, 'not a field op');
  }
}

/** Reads and integer ops must lie inside the blob (no PARTIAL); failures are OP_NOT_APPLICABLE. */
function checkReadRange(op: ParsedBitOp, range: Range, oldSize: number): void {
  if (range.byteOffset >= oldSize) failUnlessNoFail(op, ResultCode.OP_NOT_APPLICABLE, 'op starts past the end of the blob');
  if (range.byteOffset + range.nBytes > oldSize) failUnlessNoFail(op, ResultCode.OP_NOT_APPLICABLE, 'op runs past the end of the blob');
}

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** Sign-extends the low `n` bits of `v`. */
function signed(v: bigint, n: number): bigint {
  return BigInt.asIntN(n, v);
}

/**
 * ADD / SUBTRACT / SET_INT on an `op.size`-bit field, writing into `out`. Returns false on an
 * overflow the flags say to fail. Overflow detection follows Aerospike's exactly, quirks included:
 * signed overflow is only seen when the result's sign is strictly opposite (e.g. -128 + -128 in 8
 * bits wraps to 0 undetected), and SUBTRACT negates the value before sign-extending it
 * (corpus bit-ops step 44: 0xF0 - 200 signed = 0x28).
 */
function integerOp(op: ParsedBitOp, src: Buffer, out: Buffer, bitOffset: number): boolean {
  const n = op.size;
  const mask = (1n << BigInt(n)) - 1n;
  const value = op.value & mask;
  if (op.def.code === BitOp.SET_INT) {
    writeUint(out, bitOffset, n, value);
    return true;
  }
  const load = readUint(src, bitOffset, n);
  const isAdd = op.def.code === BitOp.ADD;
  let result = (isAdd ? load + value : load - value) & mask;
  const isSigned = (op.subflags & BitIntFlag.SIGNED) !== 0n;
  const saturate = (op.subflags & BitIntFlag.SATURATE) !== 0n;
  if ((op.subflags & BitIntFlag.WRAP) === 0n) {
    if (isSigned) {
      const sLoad = signed(load, n);
      const sValue = signed(isAdd ? value : U64(-value), n);
      const sResult = signed(result, n);
      if (sLoad < 0n && sValue < 0n && sResult > 0n) {
        if (!saturate) return false;
        result = 1n << BigInt(n - 1); // most negative
      } else if (sLoad > 0n && sValue > 0n && sResult < 0n) {
        if (!saturate) return false;
        result = mask >> 1n; // most positive
      }
    } else if (isAdd ? result < load : result > load) {
      if (!saturate) return false;
      result = isAdd ? mask : 0n;
    }
  }
  writeUint(out, bitOffset, n, result);
  return true;
}

/**
 * Runs a read op (GET, COUNT, LSCAN, RSCAN, GET_INT) on an existing blob.
 * Throws OP_NOT_APPLICABLE when the range leaves the blob.
 */
export function applyBitRead(op: ParsedBitOp, blob: Buffer): AsValue {
  const range = resolveRange(op, blob);
  checkReadRange(op, range, blob.length);
  const { bitOffset } = range;
  switch (op.def.code) {
    case BitOp.GET:
      return new AsBytes(Particle.BLOB, extractBits(blob, bitOffset, op.size));
    case BitOp.COUNT:
      return BigInt(popcount(extractBits(blob, bitOffset, op.size)));
    case BitOp.LSCAN: {
      const at = scanForward(blob, bitOffset, bitOffset + op.size, Number(op.value));
      return at < 0 ? -1n : BigInt(at - bitOffset);
    }
    case BitOp.RSCAN: {
      // Aerospike scans back to the start of the first byte, so when nothing in range matches, a
      // match among the bits before the offset in that byte answers a negative index.
      const at = scanBackward(blob, bitOffset - range.shift, bitOffset + op.size, Number(op.value));
      return at < 0 ? -1n : BigInt(at - bitOffset);
    }
    case BitOp.GET_INT: {
      const v = readUint(blob, bitOffset, op.size);
      return (op.subflags & BitIntFlag.SIGNED) !== 0n ? signed(v, op.size) : BigInt.asIntN(64, v);
    }
    default:
      throw new AsError(ResultCode.PARAMETER, 'modify op on the read path');
  }
}

/** First bit index in [from, to) equal to `want`, or -1; whole bytes that cannot match are skipped. */
function scanForward(buf: Buffer, from: number, to: number, want: number): number {
  const skip = want === 1 ? 0x00 : 0xff;
  let i = from;
  while (i < to) {
    if (i % 8 === 0 && i + 8 <= to && buf[i >>> 3] === skip) i += 8;
    else if (bitAt(buf, i) === want) return i;
    else i++;
  }
  return -1;
}

/** Last bit index in [from, to) equal to `want`, or -1. */
function scanBackward(buf: Buffer, from: number, to: number, want: number): number {
  const skip = want === 1 ? 0x00 : 0xff;
  let i = to - 1;
  while (i >= from) {
    if (i % 8 === 7 && i - 7 >= from && buf[i >>> 3] === skip) i -= 8;
    else if (bitAt(buf, i) === want) return i;
    else i--;
  }
  return -1;
}
