/**
 * A cursor over a bit or HLL op payload (`[code, args...]`, protocol reference §9.8/§9.9) that reads
 * arguments the way Aerospike's server does (`msgpack_get_uint64`, `msgpack_get_bool`,
 * `msgpack_get_bin`): one typed read per expected argument, in order, so that the same inputs are
 * accepted and refused. Used by both the bit engine and the HLL engine.
 *
 * Every failure is an AsError(PARAMETER): these readers only run while an op is being parsed, and
 * Aerospike answers every parse failure with PARAMETER.
 */
import { MsgpackError, MsgpackReader } from '../protocol/msgpack.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';

/** Throws the PARAMETER error every malformed argument gets. */
export function paramError(why: string): never {
  throw new AsError(ResultCode.PARAMETER, why);
}

export class WireArgs {
  private readonly r: MsgpackReader;

  /** Number of arguments after the op code. */
  readonly count: number;
  /** The op code, as the unsigned 64-bit value the server reads. */
  readonly code: bigint;

  /**
   * Reads the list header and the op code. A payload that is not a non-empty list, or whose first
   * element is not an integer, is refused with PARAMETER (as `bits_state_init`/`hll_state_init`).
   * Bytes after the last argument are ignored, as the server ignores them.
   */
  constructor(payload: Buffer) {
    this.r = new MsgpackReader(payload);
    const n = guard(() => (this.r.done ? -1 : this.r.readArrayHeader()));
    if (n <= 0) paramError('op payload is not a non-empty list');
    this.count = n - 1;
    this.code = this.u64();
  }

  /** An integer as its 64-bit pattern read unsigned (`msgpack_get_uint64`). */
  u64(): bigint {
    const v = guard(() => (this.r.done ? null : this.r.readIntOrNull()));
    if (v === null) paramError('expected an integer');
    return BigInt.asUintN(64, v);
  }

  /** An integer as its 64-bit pattern read signed (`msgpack_get_int64`). */
  i64(): bigint {
    return BigInt.asIntN(64, this.u64());
  }

  /** A msgpack boolean; integers are not accepted (corpus bit-raw step 18). */
  bool(): boolean {
    const b = guard(() => (this.r.done ? -1 : this.r.peekByte()));
    if (b !== 0xc2 && b !== 0xc3) paramError('expected a boolean');
    this.r.pos++;
    return b === 0xc3;
  }

  /** The payload of a str/bin value, particle tag byte included (`msgpack_get_bin`). */
  bytes(): Buffer {
    const r = this.r;
    const n = guard(() => (r.done ? -1 : r.readStrHeader()));
    if (n < 0 || r.pos + n > r.end) paramError('expected a blob');
    const out = r.buf.subarray(r.pos, r.pos + n);
    r.pos += n;
    return out;
  }

  /** True when the next value is a list (without consuming it). */
  peekIsList(): boolean {
    const b = guard(() => (this.r.done ? -1 : this.r.peekByte()));
    return (b & 0xf0) === 0x90 || b === 0xdc || b === 0xdd;
  }

  /** True when the next value is a map (without consuming it). */
  peekIsMap(): boolean {
    const b = guard(() => (this.r.done ? -1 : this.r.peekByte()));
    return (b & 0xf0) === 0x80 || b === 0xde || b === 0xdf;
  }

  /** A list header; PARAMETER when the next value is not a list. */
  listHeader(): number {
    const n = guard(() => (this.r.done ? -1 : this.r.readArrayHeader()));
    if (n < 0) paramError('expected a list');
    return n;
  }

  /** The raw msgpack bytes of the next value, whatever it is (`msgpack_get_ele`). */
  rawValue(): Buffer {
    const start = guard(() => this.r.skip());
    return this.r.buf.subarray(start, this.r.pos);
  }
}

/** Runs a reader step, turning truncation and malformed bytes into PARAMETER. */
function guard<T>(step: () => T): T {
  try {
    return step();
  } catch (e) {
    if (e instanceof MsgpackError) paramError(e.message);
    throw e;
  }
}
