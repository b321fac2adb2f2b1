/**
 * Aerospike's dialect of msgpack (protocol reference §9.1): used for list/map bin values, CDT
 * operation arguments and filter expressions.
 *
 * Value model (chosen so the wire distinctions survive a round trip):
 * - integers are `bigint` (64-bit, signed; uint64 above 2^63-1 wraps like the server does),
 * - doubles are `number`,
 * - strings are `string` (wire: str header, particle tag 3, UTF-8),
 * - blobs and language blobs are {@link AsBytes} (tag 4, 7..12),
 * - GeoJSON is {@link AsGeoJson} (tag 23),
 * - lists are arrays (an ordered list carries its flags in {@link LIST_FLAGS}),
 * - maps are {@link AsMap} (entries in stored order plus flags),
 * - `WILDCARD` / `INF` are the special ext values used in CDT arguments.
 */

export const LIST_FLAGS: unique symbol = Symbol('listFlags');

export type AsList = AsValue[] & { [LIST_FLAGS]?: number };

export class AsBytes {
  constructor(
    /** particle type: 4 blob, 7..12 language blobs, 18 HLL */
    readonly type: number,
    readonly bytes: Buffer,
  ) {}
}

export class AsGeoJson {
  constructor(readonly json: string) {}
}

export class AsMap {
  constructor(
    public entries: [AsValue, AsValue][] = [],
    /** 0 unordered, 1 key-ordered, 3 key-value-ordered, 0x10 persist index */
    public flags = 0,
  ) {}
}

export class AsSpecial {
  private constructor(readonly kind: 'wildcard' | 'inf') {}
  static readonly WILDCARD = new AsSpecial('wildcard');
  static readonly INF = new AsSpecial('inf');
}

/** An ext value other than the ones Aerospike defines; kept so it can be re-encoded. */
export class AsExt {
  constructor(readonly type: number, readonly data: Buffer) {}
}

export type AsValue =
  | null
  | boolean
  | bigint
  | number
  | string
  | AsBytes
  | AsGeoJson
  | AsList
  | AsMap
  | AsSpecial
  | AsExt;

export class MsgpackError extends Error {}

const PARTICLE_STRING = 3;
const PARTICLE_BLOB = 4;
const PARTICLE_GEOJSON = 23;

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** Reads Aerospike msgpack from a Buffer in place. Throws {@link MsgpackError} on malformed input. */
export class MsgpackReader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new MsgpackError('msgpack value runs past the end');
  }

  peekByte(): number {
    this.need(1);
    return this.buf[this.pos]!;
  }

  /** Reads an array header; returns its element count or -1 if the next value is not an array. */
  readArrayHeader(): number {
    const b = this.peekByte();
    if ((b & 0xf0) === 0x90) {
      this.pos++;
      return b & 0x0f;
    }
    if (b === 0xdc) {
      this.need(3);
      const n = this.buf.readUInt16BE(this.pos + 1);
      this.pos += 3;
      return n;
    }
    if (b === 0xdd) {
      this.need(5);
      const n = this.buf.readUInt32BE(this.pos + 1);
      this.pos += 5;
      return n;
    }
    return -1;
  }

  /** Reads a map header; returns its pair count or -1 if the next value is not a map. */
  readMapHeader(): number {
    const b = this.peekByte();
    if ((b & 0xf0) === 0x80) {
      this.pos++;
      return b & 0x0f;
    }
    if (b === 0xde) {
      this.need(3);
      const n = this.buf.readUInt16BE(this.pos + 1);
      this.pos += 3;
      return n;
    }
    if (b === 0xdf) {
      this.need(5);
      const n = this.buf.readUInt32BE(this.pos + 1);
      this.pos += 5;
      return n;
    }
    return -1;
  }

  /** Reads a str/bin header; returns the payload length or -1 if not a string-like value. */
  readStrHeader(): number {
    const b = this.peekByte();
    if ((b & 0xe0) === 0xa0) {
      this.pos++;
      return b & 0x1f;
    }
    switch (b) {
      case 0xd9:
      case 0xc4:
        this.need(2);
        this.pos += 2;
        return this.buf[this.pos - 1]!;
      case 0xda:
      case 0xc5:
        this.need(3);
        this.pos += 3;
        return this.buf.readUInt16BE(this.pos - 2);
      case 0xdb:
      case 0xc6:
        this.need(5);
        this.pos += 5;
        return this.buf.readUInt32BE(this.pos - 4);
      default:
        return -1;
    }
  }

  /** Reads an untagged string (names inside expressions, regex patterns). */
  readRawString(): string {
    const n = this.readStrHeader();
    if (n < 0) throw new MsgpackError('expected a string');
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** Reads an integer; returns null (without consuming) if the next value is not an integer. */
  readIntOrNull(): bigint | null {
    const b = this.peekByte();
    const buf = this.buf;
    if (b <= 0x7f) {
      this.pos++;
      return BigInt(b);
    }
    if (b >= 0xe0) {
      this.pos++;
      return BigInt(b - 256);
    }
    switch (b) {
      case 0xcc:
        this.need(2);
        this.pos += 2;
        return BigInt(buf[this.pos - 1]!);
      case 0xcd:
        this.need(3);
        this.pos += 3;
        return BigInt(buf.readUInt16BE(this.pos - 2));
      case 0xce:
        this.need(5);
        this.pos += 5;
        return BigInt(buf.readUInt32BE(this.pos - 4));
      case 0xcf:
        this.need(9);
        this.pos += 9;
        return BigInt.asIntN(64, buf.readBigUInt64BE(this.pos - 8));
      case 0xd0:
        this.need(2);
        this.pos += 2;
        return BigInt(buf.readInt8(this.pos - 1));
      case 0xd1:
        this.need(3);
        this.pos += 3;
        return BigInt(buf.readInt16BE(this.pos - 2));
      case 0xd2:
        this.need(5);
        this.pos += 5;
        return BigInt(buf.readInt32BE(this.pos - 4));
      case 0xd3:
        this.need(9);
        this.pos += 9;
        return buf.readBigInt64BE(this.pos - 8);
      default:
        return null;
    }
  }

  readInt(): bigint {
    const v = this.readIntOrNull();
    if (v === null) throw new MsgpackError('expected an integer');
    return v;
  }

  /** Reads any value. */
  read(depth = 0): AsValue {
    if (depth > 256) throw new MsgpackError('msgpack nesting too deep');
    const b = this.peekByte();
    const buf = this.buf;
    if (b <= 0x7f || b >= 0xe0) return this.readInt();
    if ((b & 0xf0) === 0x80 || b === 0xde || b === 0xdf) return this.readMap(depth);
    if ((b & 0xf0) === 0x90 || b === 0xdc || b === 0xdd) return this.readList(depth);
    if ((b & 0xe0) === 0xa0 || (b >= 0xc4 && b <= 0xc6) || (b >= 0xd9 && b <= 0xdb)) {
      const n = this.readStrHeader();
      this.need(n);
      const start = this.pos;
      this.pos += n;
      return decodeTaggedBytes(buf, start, n);
    }
    switch (b) {
      case 0xc0:
        this.pos++;
        return null;
      case 0xc2:
        this.pos++;
        return false;
      case 0xc3:
        this.pos++;
        return true;
      case 0xca:
        this.need(5);
        this.pos += 5;
        return buf.readFloatBE(this.pos - 4);
      case 0xcb:
        this.need(9);
        this.pos += 9;
        return buf.readDoubleBE(this.pos - 8);
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3:
        return this.readInt();
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
      case 0xc7:
      case 0xc8:
      case 0xc9:
        return this.readExt();
      default:
        throw new MsgpackError(`invalid msgpack byte 0x${b.toString(16)}`);
    }
  }

  private readExtHeader(): { type: number; len: number } {
    const b = this.peekByte();
    let len: number;
    let hdr: number;
    switch (b) {
      case 0xd4: len = 1; hdr = 1; break;
      case 0xd5: len = 2; hdr = 1; break;
      case 0xd6: len = 4; hdr = 1; break;
      case 0xd7: len = 8; hdr = 1; break;
      case 0xd8: len = 16; hdr = 1; break;
      case 0xc7: this.need(2); len = this.buf[this.pos + 1]!; hdr = 2; break;
      case 0xc8: this.need(3); len = this.buf.readUInt16BE(this.pos + 1); hdr = 3; break;
      case 0xc9: this.need(5); len = this.buf.readUInt32BE(this.pos + 1); hdr = 5; break;
      default: throw new MsgpackError('expected an ext value');
    }
    this.need(hdr + 1 + len);
    const type = this.buf[this.pos + hdr]!;
    this.pos += hdr + 1;
    return { type, len };
  }

  private readExt(): AsValue {
    const { type, len } = this.readExtHeader();
    const data = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    if (type === 0xff && len === 1) {
      if (data[0] === 0) return AsSpecial.WILDCARD;
      if (data[0] === 1) return AsSpecial.INF;
    }
    return new AsExt(type, Buffer.from(data));
  }

  /**
   * If the next value is the ext that carries CDT flags (the first element of a list or map),
   * consume it and return the flags (the ext type). Its content — an offset or full index a
   * server may persist there — is dropped, as Aerospike does when it stores a container
   * (`cdt_untrusted_rewrite`). Not flags, as in the server's `msgpack_peek_type`: a fixext 1
   * (Aerospike reads it as an error value) and the comparison ext type 0xff (WILDCARD / INF).
   */
  private readCdtFlags(): number | null {
    if (this.pos >= this.end) return null;
    const b = this.buf[this.pos]!;
    if (b === 0xc7 && this.pos + 2 < this.end && this.buf[this.pos + 1] === 0) {
      const flags = this.buf[this.pos + 2]!;
      this.pos += 3;
      return flags;
    }
    if (b === 0xc7 || b === 0xc8 || b === 0xc9 || (b >= 0xd5 && b <= 0xd8)) {
      const start = this.pos;
      const { type, len } = this.readExtHeader();
      if (type === 0xff && len > 0) {
        this.pos = start;
        return null;
      }
      this.pos += len;
      return type;
    }
    return null;
  }

  private readList(depth: number): AsList {
    let n = this.readArrayHeader();
    const out: AsList = [];
    if (n > 0) {
      const flags = this.readCdtFlags();
      if (flags !== null) {
        n--;
        out[LIST_FLAGS] = flags;
      }
    }
    if (n > this.end - this.pos) throw new MsgpackError('list count exceeds data');
    for (let i = 0; i < n; i++) out.push(this.read(depth + 1));
    return out;
  }

  private readMap(depth: number): AsMap {
    let n = this.readMapHeader();
    const map = new AsMap();
    if (n > 0) {
      const flags = this.readCdtFlags();
      if (flags !== null) {
        // the flags "key" is paired with a nil value
        this.read(depth + 1);
        n--;
        map.flags = flags;
      }
    }
    if (n * 2 > this.end - this.pos) throw new MsgpackError('map count exceeds data');
    for (let i = 0; i < n; i++) {
      const k = this.read(depth + 1);
      const v = this.read(depth + 1);
      map.entries.push([k, v]);
    }
    return map;
  }

  /** Skips one value without building it; returns the start offset of the skipped value. */
  skip(depth = 0): number {
    const start = this.pos;
    if (depth > 256) throw new MsgpackError('msgpack nesting too deep');
    const b = this.peekByte();
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) {
      this.pos++;
      return start;
    }
    if ((b & 0xf0) === 0x90 || b === 0xdc || b === 0xdd) {
      const n = this.readArrayHeader();
      for (let i = 0; i < n; i++) this.skip(depth + 1);
      return start;
    }
    if ((b & 0xf0) === 0x80 || b === 0xde || b === 0xdf) {
      const n = this.readMapHeader();
      for (let i = 0; i < 2 * n; i++) this.skip(depth + 1);
      return start;
    }
    const strLen = this.readStrHeader();
    if (strLen >= 0) {
      this.need(strLen);
      this.pos += strLen;
      return start;
    }
    switch (b) {
      case 0xca: this.need(5); this.pos += 5; return start;
      case 0xcb: this.need(9); this.pos += 9; return start;
      case 0xcc: case 0xd0: this.need(2); this.pos += 2; return start;
      case 0xcd: case 0xd1: this.need(3); this.pos += 3; return start;
      case 0xce: case 0xd2: this.need(5); this.pos += 5; return start;
      case 0xcf: case 0xd3: this.need(9); this.pos += 9; return start;
    }
    const { len } = this.readExtHeader();
    this.pos += len;
    return start;
  }
}

function decodeTaggedBytes(buf: Buffer, start: number, n: number): AsValue {
  if (n === 0) return new AsBytes(PARTICLE_BLOB, Buffer.alloc(0));
  const tag = buf[start]!;
  if (tag === PARTICLE_STRING) return buf.toString('utf8', start + 1, start + n);
  if (tag === PARTICLE_GEOJSON) return new AsGeoJson(buf.toString('utf8', start + 1, start + n));
  if (tag === PARTICLE_BLOB || (tag >= 7 && tag <= 12) || tag === 18) {
    return new AsBytes(tag, Buffer.from(buf.subarray(start + 1, start + n)));
  }
  // untagged string (names in expressions); keep it as a string
  return buf.toString('utf8', start, start + n);
}

/** Decodes exactly one value spanning the whole buffer range. */
export function unpack(buf: Buffer, start = 0, end = buf.length): AsValue {
  const r = new MsgpackReader(buf, start, end);
  const v = r.read();
  if (r.pos !== end) throw new MsgpackError('trailing bytes after msgpack value');
  return v;
}

/** Growable output buffer for msgpack encoding. */
export class MsgpackWriter {
  buf: Buffer;
  pos = 0;
  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  raw(b: Buffer | Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  nil(): void {
    this.byte(0xc0);
  }

  bool(v: boolean): void {
    this.byte(v ? 0xc3 : 0xc2);
  }

  int(v: bigint | number): void {
    const n = typeof v === 'bigint' ? v : BigInt(v);
    this.ensure(9);
    const buf = this.buf;
    if (n >= 0n) {
      if (n < 128n) buf[this.pos++] = Number(n);
      else if (n < 256n) {
        buf[this.pos++] = 0xcc;
        buf[this.pos++] = Number(n);
      } else if (n < 65536n) {
        buf[this.pos++] = 0xcd;
        buf.writeUInt16BE(Number(n), this.pos);
        this.pos += 2;
      } else if (n < 4294967296n) {
        buf[this.pos++] = 0xce;
        buf.writeUInt32BE(Number(n), this.pos);
        this.pos += 4;
      } else {
        buf[this.pos++] = 0xcf;
        buf.writeBigUInt64BE(n > UINT64_MAX ? UINT64_MAX : n, this.pos);
        this.pos += 8;
      }
    } else {
      if (n >= -32n) buf[this.pos++] = Number(n) & 0xff;
      else if (n >= -128n) {
        buf[this.pos++] = 0xd0;
        buf.writeInt8(Number(n), this.pos);
        this.pos += 1;
      } else if (n >= -32768n) {
        buf[this.pos++] = 0xd1;
        buf.writeInt16BE(Number(n), this.pos);
        this.pos += 2;
      } else if (n >= -2147483648n) {
        buf[this.pos++] = 0xd2;
        buf.writeInt32BE(Number(n), this.pos);
        this.pos += 4;
      } else {
        buf[this.pos++] = 0xd3;
        buf.writeBigInt64BE(n < INT64_MIN ? INT64_MIN : n, this.pos);
        this.pos += 8;
      }
    }
  }

  double(v: number): void {
    this.ensure(9);
    this.buf[this.pos++] = 0xcb;
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  strHeader(len: number): void {
    this.ensure(5);
    if (len < 32) this.buf[this.pos++] = 0xa0 | len;
    else if (len < 256) {
      this.buf[this.pos++] = 0xd9;
      this.buf[this.pos++] = len;
    } else if (len < 65536) {
      this.buf[this.pos++] = 0xda;
      this.buf.writeUInt16BE(len, this.pos);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xdb;
      this.buf.writeUInt32BE(len, this.pos);
      this.pos += 4;
    }
  }

  /** Untagged string (names inside expressions). */
  rawString(s: string): void {
    const len = Buffer.byteLength(s);
    this.strHeader(len);
    this.ensure(len);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += len;
  }

  /** A str-family value with an Aerospike particle tag byte. */
  tagged(tag: number, payload: Buffer | string): void {
    const len = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    this.strHeader(len + 1);
    this.ensure(len + 1);
    this.buf[this.pos++] = tag;
    if (typeof payload === 'string') this.buf.write(payload, this.pos, 'utf8');
    else this.buf.set(payload, this.pos);
    this.pos += len;
  }

  arrayHeader(n: number): void {
    this.ensure(5);
    if (n < 16) this.buf[this.pos++] = 0x90 | n;
    else if (n < 65536) {
      this.buf[this.pos++] = 0xdc;
      this.buf.writeUInt16BE(n, this.pos);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xdd;
      this.buf.writeUInt32BE(n, this.pos);
      this.pos += 4;
    }
  }

  mapHeader(n: number): void {
    this.ensure(5);
    if (n < 16) this.buf[this.pos++] = 0x80 | n;
    else if (n < 65536) {
      this.buf[this.pos++] = 0xde;
      this.buf.writeUInt16BE(n, this.pos);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xdf;
      this.buf.writeUInt32BE(n, this.pos);
      this.pos += 4;
    }
  }

  ext(type: number, data: Buffer): void {
    const len = data.length;
    this.ensure(6 + len);
    if (len === 1) this.buf[this.pos++] = 0xd4;
    else if (len === 2) this.buf[this.pos++] = 0xd5;
    else if (len === 4) this.buf[this.pos++] = 0xd6;
    else if (len === 8) this.buf[this.pos++] = 0xd7;
    else if (len === 16) this.buf[this.pos++] = 0xd8;
    else if (len < 256) {
      this.buf[this.pos++] = 0xc7;
      this.buf[this.pos++] = len;
    } else if (len < 65536) {
      this.buf[this.pos++] = 0xc8;
      this.buf.writeUInt16BE(len, this.pos);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xc9;
      this.buf.writeUInt32BE(len, this.pos);
      this.pos += 4;
    }
    this.buf[this.pos++] = type;
    this.raw(data);
  }

  value(v: AsValue): void {
    if (v === null) return this.nil();
    switch (typeof v) {
      case 'boolean':
        return this.bool(v);
      case 'bigint':
        return this.int(v);
      case 'number':
        return this.double(v);
      case 'string':
        return this.tagged(PARTICLE_STRING, v);
    }
    if (Array.isArray(v)) {
      const flags = (v as AsList)[LIST_FLAGS];
      if (flags !== undefined) {
        this.arrayHeader(v.length + 1);
        this.byte(0xc7);
        this.byte(0);
        this.byte(flags);
      } else this.arrayHeader(v.length);
      for (const item of v) this.value(item);
      return;
    }
    if (v instanceof AsMap) {
      if (v.flags !== 0) {
        this.mapHeader(v.entries.length + 1);
        this.byte(0xc7);
        this.byte(0);
        this.byte(v.flags);
        this.nil();
      } else this.mapHeader(v.entries.length);
      for (const [k, val] of v.entries) {
        this.value(k);
        this.value(val);
      }
      return;
    }
    if (v instanceof AsBytes) return this.tagged(v.type, v.bytes);
    if (v instanceof AsGeoJson) return this.tagged(PARTICLE_GEOJSON, v.json);
    if (v instanceof AsSpecial) return this.ext(0xff, Buffer.from([v.kind === 'wildcard' ? 0 : 1]));
    if (v instanceof AsExt) return this.ext(v.type, v.data);
    throw new MsgpackError('unencodable value');
  }
}

/** Encodes one value into a fresh Buffer. */
export function pack(v: AsValue): Buffer {
  const w = new MsgpackWriter(64);
  w.value(v);
  return Buffer.from(w.bytes());
}
