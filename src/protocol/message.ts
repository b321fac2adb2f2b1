/**
 * The as_msg data message (protocol reference §3–§5): parsing requests in place and the flag bits.
 * Field and op values are views into the request Buffer (no copies).
 */
import { isUtf8 } from 'node:buffer';
import { AsError, ResultCode } from './result-codes.js';
import { shortString } from '../util/short-strings.js';

export const MSG_HEADER_BYTES = 22;
/** Most ops one request may carry (server's MAX_N_OPS). */
export const MAX_OPS_PER_REQUEST = 32768;
export const MAX_BIN_NAME_BYTES = 15;
export const MAX_NAMESPACE_NAME_BYTES = 31;
export const MAX_SET_NAME_BYTES = 63;

export const Info1 = {
  READ: 0x01,
  GET_ALL: 0x02,
  SHORT_QUERY: 0x04,
  BATCH: 0x08,
  XDR: 0x10,
  GET_NO_BINS: 0x20,
  READ_MODE_AP_ALL: 0x40,
  COMPRESS_RESPONSE: 0x80,
} as const;

export const Info2 = {
  WRITE: 0x01,
  DELETE: 0x02,
  GENERATION: 0x04,
  GENERATION_GT: 0x08,
  DURABLE_DELETE: 0x10,
  CREATE_ONLY: 0x20,
  RELAX_AP_LONG_QUERY: 0x40,
  RESPOND_ALL_OPS: 0x80,
} as const;

export const Info3 = {
  LAST: 0x01,
  COMMIT_MASTER: 0x02,
  PARTITION_DONE: 0x04,
  UPDATE_ONLY: 0x08,
  CREATE_OR_REPLACE: 0x10,
  REPLACE_ONLY: 0x20,
  SC_READ_TYPE: 0x40,
  SC_READ_RELAX: 0x80,
} as const;

export const FieldType = {
  NAMESPACE: 0,
  SET: 1,
  KEY: 2,
  RECORD_VERSION: 3,
  DIGEST: 4,
  MRT_ID: 5,
  MRT_DEADLINE: 6,
  TRID: 7,
  SOCKET_TIMEOUT: 9,
  RECS_PER_SEC: 10,
  PID_ARRAY: 11,
  DIGEST_ARRAY: 12,
  MAX_RECORDS: 13,
  LUT: 14,
  BVAL_ARRAY: 15,
  INDEX_NAME: 21,
  INDEX_RANGE: 22,
  INDEX_CONTEXT: 23,
  INDEX_EXPRESSION: 24,
  INDEX_TYPE: 26,
  UDF_FILENAME: 30,
  UDF_FUNCTION: 31,
  UDF_ARGLIST: 32,
  UDF_OP: 33,
  QUERY_BINLIST: 40,
  BATCH: 41,
  BATCH_WITH_SET: 42,
  FILTER: 43,
} as const;

export const OpType = {
  READ: 1,
  WRITE: 2,
  CDT_READ: 3,
  CDT_MODIFY: 4,
  INCR: 5,
  EXP_READ: 7,
  EXP_MODIFY: 8,
  APPEND: 9,
  PREPEND: 10,
  TOUCH: 11,
  BITS_READ: 12,
  BITS_MODIFY: 13,
  DELETE_ALL: 14,
  HLL_READ: 15,
  HLL_MODIFY: 16,
} as const;

/** Op types that only read. */
export function isReadOp(t: number): boolean {
  return t === 1 || t === 3 || t === 7 || t === 12 || t === 15;
}

/** Op types that modify the record. */
export function isWriteOp(t: number): boolean {
  return t === 2 || t === 4 || t === 5 || t === 8 || t === 9 || t === 10 || t === 11 || t === 13 || t === 14 || t === 16;
}

export interface MsgField {
  type: number;
  /** start of the field data in the frame buffer */
  start: number;
  end: number;
}

export interface MsgOp {
  opType: number;
  particleType: number;
  flags: number;
  name: string;
  nameBytes: number;
  /** the value bytes (a view into the request) */
  value: Buffer;
}

/** A parsed request message. Buffers are views into the request frame. */
export interface AsMsg {
  info1: number;
  info2: number;
  info3: number;
  info4: number;
  resultCode: number;
  generation: number;
  recordTtl: number;
  transactionTtl: number;
  fields: MsgField[];
  ops: MsgOp[];
  buf: Buffer;
}

/**
 * Where the key fields of a message parsed by parseMessage lie in its buffer, found while its
 * fields were checked: single-record requests are decoded from these without a MsgField object
 * per field (`fields` is made only when something asks for it). -1 = no such field. For a type
 * sent twice, `last*` is the last one (what decodeKeyed takes) and `first*` the first (what
 * findField answers).
 */
export interface KeyFieldPositions {
  readonly firstNamespaceAt: number;
  readonly firstNamespaceEnd: number;
  readonly lastNamespaceAt: number;
  readonly lastNamespaceEnd: number;
  readonly firstDigestAt: number;
  readonly firstDigestEnd: number;
  readonly lastDigestAt: number;
  readonly lastDigestEnd: number;
  readonly lastSetAt: number;
  readonly lastSetEnd: number;
  readonly lastKeyAt: number;
  readonly lastKeyEnd: number;
  readonly lastFilterAt: number;
  readonly lastFilterEnd: number;
  readonly hasUdfFilename: boolean;
}

/**
 * A message from parseMessage: its fields are walked (and checked) once, the key fields' positions
 * kept as numbers, and the MsgField objects made only when `fields` is first read (the request
 * buffer outlives the message: a connection retires its read buffer while an answer is pending).
 */
class ParsedMessage implements AsMsg, KeyFieldPositions {
  resultCode: number;
  generation: number;
  recordTtl: number;
  transactionTtl: number;
  ops: MsgOp[] = [];
  firstNamespaceAt = -1;
  firstNamespaceEnd = -1;
  lastNamespaceAt = -1;
  lastNamespaceEnd = -1;
  firstDigestAt = -1;
  firstDigestEnd = -1;
  lastDigestAt = -1;
  lastDigestEnd = -1;
  lastSetAt = -1;
  lastSetEnd = -1;
  lastKeyAt = -1;
  lastKeyEnd = -1;
  lastFilterAt = -1;
  lastFilterEnd = -1;
  hasUdfFilename = false;
  private fieldList: MsgField[] | undefined = undefined;

  constructor(
    readonly buf: Buffer,
    public info1: number,
    public info2: number,
    public info3: number,
    public info4: number,
    at: number,
    /** where the fields start in `buf`, and how many there are */
    private readonly fieldsAt: number,
    private readonly nFields: number,
  ) {
    this.resultCode = buf[at + 5]!;
    this.generation = u32be(buf, at + 6);
    this.recordTtl = u32be(buf, at + 10);
    this.transactionTtl = u32be(buf, at + 14);
  }

  /** The fields as objects, made when first asked for (a caller may then change the list). */
  get fields(): MsgField[] {
    if (this.fieldList === undefined) {
      const list: MsgField[] = [];
      let p = this.fieldsAt;
      for (let i = 0; i < this.nFields; i++) {
        const size = u32be(this.buf, p);
        list.push({ type: this.buf[p + 4]!, start: p + 5, end: p + 4 + size });
        p += 4 + size;
      }
      this.fieldList = list;
    }
    return this.fieldList;
  }

  set fields(list: MsgField[]) {
    this.fieldList = list;
  }

  /** The key field positions, while nobody has been handed the field list (which they may change). */
  positions(): KeyFieldPositions | undefined {
    return this.fieldList === undefined ? this : undefined;
  }
}

/** The big-endian u32 at buf[at] (the caller has checked at + 4 <= the message's end). */
function u32be(buf: Buffer, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

/**
 * The key field positions of a message parseMessage made whose field list nobody has asked for;
 * undefined for any other message (read its `fields`).
 */
export function keyFieldPositions(msg: AsMsg): KeyFieldPositions | undefined {
  return msg instanceof ParsedMessage ? msg.positions() : undefined;
}

/**
 * Parses an as_msg whose body spans buf[start, end). Throws AsError(PARAMETER) when the fields and
 * ops do not exactly consume the body, as the reference server does.
 */
export function parseMessage(buf: Buffer, start: number, end: number): AsMsg {
  if (end - start < MSG_HEADER_BYTES) throw new AsError(ResultCode.PARAMETER, 'message shorter than header');
  const nFields = (buf[start + 18]! << 8) | buf[start + 19]!;
  const nOps = (buf[start + 20]! << 8) | buf[start + 21]!;
  // header_sz is not trusted: the reference server always uses 22
  let p = start + MSG_HEADER_BYTES;
  const msg = new ParsedMessage(buf, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, start, p, nFields);
  for (let i = 0; i < nFields; i++) {
    if (p + 5 > end) throw new AsError(ResultCode.PARAMETER, 'field header past end');
    const size = u32be(buf, p);
    if (size < 1 || p + 4 + size > end) throw new AsError(ResultCode.PARAMETER, 'field past end');
    const at = p + 5;
    const fieldEnd = p + 4 + size;
    switch (buf[p + 4]!) {
      case FieldType.NAMESPACE:
        if (msg.firstNamespaceAt < 0) {
          msg.firstNamespaceAt = at;
          msg.firstNamespaceEnd = fieldEnd;
        }
        msg.lastNamespaceAt = at;
        msg.lastNamespaceEnd = fieldEnd;
        break;
      case FieldType.DIGEST:
        if (msg.firstDigestAt < 0) {
          msg.firstDigestAt = at;
          msg.firstDigestEnd = fieldEnd;
        }
        msg.lastDigestAt = at;
        msg.lastDigestEnd = fieldEnd;
        break;
      case FieldType.SET:
        msg.lastSetAt = at;
        msg.lastSetEnd = fieldEnd;
        break;
      case FieldType.KEY:
        msg.lastKeyAt = at;
        msg.lastKeyEnd = fieldEnd;
        break;
      case FieldType.FILTER:
        msg.lastFilterAt = at;
        msg.lastFilterEnd = fieldEnd;
        break;
      case FieldType.UDF_FILENAME:
        msg.hasUdfFilename = true;
        break;
    }
    p = fieldEnd;
  }
  p = parseFieldsAndOps(buf, p, end, 0, nOps, msg);
  if (p !== end) throw new AsError(ResultCode.PARAMETER, 'trailing bytes after ops');
  return msg;
}

/**
 * Parses `nFields` fields then `nOps` ops starting at `p` into msg; returns the offset after them.
 * Throws AsError(PARAMETER) when anything runs past `end`.
 */
export function parseFieldsAndOps(buf: Buffer, p: number, end: number, nFields: number, nOps: number, msg: AsMsg): number {
  for (let i = 0; i < nFields; i++) {
    if (p + 5 > end) throw new AsError(ResultCode.PARAMETER, 'field header past end');
    const size = buf.readUInt32BE(p);
    if (size < 1 || p + 4 + size > end) throw new AsError(ResultCode.PARAMETER, 'field past end');
    msg.fields.push({ type: buf[p + 4]!, start: p + 5, end: p + 4 + size });
    p += 4 + size;
  }
  if (nOps > MAX_OPS_PER_REQUEST) throw new AsError(ResultCode.PARAMETER, 'too many ops');
  for (let i = 0; i < nOps; i++) {
    if (p + 8 > end) throw new AsError(ResultCode.PARAMETER, 'op header past end');
    const size = buf.readUInt32BE(p);
    const nameLen = buf[p + 7]!;
    const flags = buf[p + 6]!;
    const lutBytes = flags & 1 ? 8 : 0;
    if (size < 4 + nameLen + lutBytes || p + 4 + size > end) {
      throw new AsError(ResultCode.PARAMETER, 'op past end');
    }
    const nameStart = p + 8;
    msg.ops.push({
      opType: buf[p + 4]!,
      particleType: buf[p + 5]!,
      flags,
      name: nameLen === 0 ? '' : binName(buf, nameStart, nameLen),
      nameBytes: nameLen,
      value: buf.subarray(nameStart + nameLen + lutBytes, p + 4 + size),
    });
    p += 4 + size;
  }
  return p;
}

/**
 * True when `buf[start, start + len)` is valid UTF-8. ASCII (the usual case) is checked without
 * allocating.
 */
export function isUtf8Bytes(buf: Buffer, start: number, len: number): boolean {
  for (let i = start; i < start + len; i++) {
    if (buf[i]! >= 0x80) return isUtf8(buf.subarray(start, start + len));
  }
  return true;
}

/**
 * A bin name as a string. Names are kept as JavaScript strings, so bytes that are not UTF-8 would
 * be rewritten as U+FFFD (growing past the 15-byte limit and breaking backups): such a name is
 * refused with BIN_NAME (21) rather than stored as something the client did not send.
 */
function binName(buf: Buffer, start: number, len: number): string {
  if (!isUtf8Bytes(buf, start, len)) throw new AsError(ResultCode.BIN_NAME, 'bin name is not valid UTF-8');
  return shortString(buf, start, start + len);
}

/** Returns the first field of a type, or undefined. */
export function findField(msg: AsMsg, type: number): MsgField | undefined {
  for (const f of msg.fields) if (f.type === type) return f;
  return undefined;
}

export function fieldBytes(msg: AsMsg, f: MsgField): Buffer {
  return msg.buf.subarray(f.start, f.end);
}

export function fieldString(msg: AsMsg, f: MsgField): string {
  return msg.buf.toString('utf8', f.start, f.end);
}
