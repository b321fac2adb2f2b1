/**
 * Reading the wire form of an expression (§10.2): a thin layer over {@link MsgpackReader} with the
 * primitive reads Aerospike's builder uses (`msgpack_get_uint64`, `msgpack_get_bin`, ...). Every
 * malformation is reported as AsError(PARAMETER).
 */
import { MsgpackError, MsgpackReader, type AsValue } from '../protocol/msgpack.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';

/** Throws the compile error every ill-formed or ill-typed expression gets. */
export function paramError(msg: string): never {
  throw new AsError(ResultCode.PARAMETER, `expression: ${msg}`);
}

/** What kind of msgpack value comes next (Aerospike's `msgpack_peek_type`, coarsened). */
export type PeekKind = 'array' | 'nil' | 'bool' | 'int' | 'float' | 'bytes' | 'map' | 'ext' | 'invalid';

export class ExpDecoder {
  readonly r: MsgpackReader;

  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.r = new MsgpackReader(buf, start, end);
  }

  get pos(): number {
    return this.r.pos;
  }

  get end(): number {
    return this.r.end;
  }

  get done(): boolean {
    return this.r.pos >= this.r.end;
  }

  peek(): PeekKind {
    if (this.done) return 'invalid';
    const b = this.buf[this.r.pos]!;
    if (b <= 0x7f || b >= 0xe0) return 'int';
    if ((b & 0xf0) === 0x90 || b === 0xdc || b === 0xdd) return 'array';
    if ((b & 0xf0) === 0x80 || b === 0xde || b === 0xdf) return 'map';
    if ((b & 0xe0) === 0xa0 || (b >= 0xc4 && b <= 0xc6) || (b >= 0xd9 && b <= 0xdb)) return 'bytes';
    switch (b) {
      case 0xc0:
        return 'nil';
      case 0xc2:
      case 0xc3:
        return 'bool';
      case 0xca:
      case 0xcb:
        return 'float';
      case 0xcc: case 0xcd: case 0xce: case 0xcf:
      case 0xd0: case 0xd1: case 0xd2: case 0xd3:
        return 'int';
      case 0xd4: {
        // fixext 1 with Aerospike's ext type 0xff must be WILDCARD (0) or INF (1)
        if (this.r.pos + 2 < this.r.end && this.buf[this.r.pos + 1] === 0xff) {
          const d = this.buf[this.r.pos + 2];
          return d === 0 || d === 1 ? 'ext' : 'invalid';
        }
        return 'ext';
      }
      case 0xd5: case 0xd6: case 0xd7: case 0xd8:
      case 0xc7: case 0xc8: case 0xc9:
        return 'ext';
      default:
        return 'invalid';
    }
  }

  /** Reads an array header; fails if the next value is not an array. */
  arrayHeader(): number {
    const n = this.wrap(() => this.r.readArrayHeader());
    if (n < 0) paramError('expected an array');
    return n;
  }

  /** `msgpack_get_uint64`: any msgpack integer, negative ones reinterpreted as uint64. */
  uint(): bigint {
    const v = this.wrap(() => this.r.readIntOrNull());
    if (v === null) paramError('expected an integer');
    return v < 0n ? v + (1n << 64n) : v;
  }

  /** `msgpack_get_int64`: any msgpack integer as int64 (uint64 above 2^63-1 wraps). */
  int64(): bigint {
    const v = this.wrap(() => this.r.readIntOrNull());
    if (v === null) paramError('expected an integer');
    return v;
  }

  /** If the next value is an integer, reads it as uint64; otherwise returns null and reads nothing. */
  uintOrNull(): bigint | null {
    if (this.peek() !== 'int') return null;
    return this.uint();
  }

  /** `msgpack_get_bin`: the payload of a str/bin value (no tag interpretation). */
  rawBytes(): Buffer {
    const n = this.wrap(() => this.r.readStrHeader());
    if (n < 0) paramError('expected a string');
    if (this.r.pos + n > this.r.end) paramError('string runs past the end');
    const start = this.r.pos;
    this.r.pos += n;
    return this.buf.subarray(start, start + n);
  }

  bool(): boolean {
    const b = this.done ? -1 : this.buf[this.r.pos];
    if (b !== 0xc2 && b !== 0xc3) paramError('expected a boolean');
    this.r.pos++;
    return b === 0xc3;
  }

  /** A float32 or float64. */
  double(): number {
    const v = this.wrap(() => this.r.read());
    if (typeof v !== 'number') paramError('expected a float');
    return v;
  }

  /** Decodes one value in the msgpack value model. */
  value(): AsValue {
    return this.wrap(() => this.r.read());
  }

  /** Skips one value; returns its bytes. */
  skip(): Buffer {
    const start = this.wrap(() => this.r.skip());
    return this.buf.subarray(start, this.r.pos);
  }

  private wrap<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof MsgpackError) paramError(e.message);
      throw e;
    }
  }
}
