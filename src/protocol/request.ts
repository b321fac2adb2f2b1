/**
 * The typed request at the boundary: what kind of request an as_msg is (derived from its flag bits
 * and fields in this one place) and, for single-record requests, the key fields decoded and
 * validated once — namespace, digest, set, user key, filter expression — so nothing downstream
 * reads raw field offsets.
 *
 *   read | write | delete | udf   one record (digest field present); see decodeKeyed
 *   batch                          batch-index request (info1 BATCH); rows are single-record requests
 *   scan                           no digest: a scan or query, foreground or background
 *
 * Info requests are a different proto type (1) and are decoded by the server's info protocol.
 */
import { FieldType, Info1, Info2, isUtf8Bytes, keyFieldPositions, MAX_NAMESPACE_NAME_BYTES, MAX_SET_NAME_BYTES, type AsMsg, type KeyFieldPositions } from './message.js';
import { Particle } from './particle.js';
import { AsError, ResultCode } from './result-codes.js';

/** The kinds of data request (proto type 3). */
export type RequestKind = 'read' | 'write' | 'delete' | 'udf' | 'batch' | 'scan';
/** The kinds of single-record request. */
export type KeyedKind = 'read' | 'write' | 'delete' | 'udf';

/**
 * The kind of an as_msg. A write (info2 WRITE) with DELETE is a delete, with a UDF file name a
 * record UDF; anything else without WRITE is a read (whether it really asks to read — info1 READ —
 * is the read transaction's check).
 */
export function requestKind(msg: AsMsg): RequestKind {
  if (msg.info1 & Info1.BATCH) return 'batch';
  const at = keyFieldPositions(msg);
  if (!(at ? at.firstDigestAt >= 0 : hasField(msg, FieldType.DIGEST))) return 'scan';
  return keyedKind(msg);
}

/** The kind of a single-record message (a request with a digest, or a batch row). */
export function keyedKind(msg: AsMsg): KeyedKind {
  if (!(msg.info2 & Info2.WRITE)) return 'read';
  if (msg.info2 & Info2.DELETE) return 'delete';
  const at = keyFieldPositions(msg);
  return (at ? at.hasUdfFilename : hasField(msg, FieldType.UDF_FILENAME)) ? 'udf' : 'write';
}

/** A user key as the client sent it (field 2): particle type and value bytes (a view). */
export interface UserKey {
  type: number;
  value: Buffer;
}

/** Finds the namespace a request names; undefined when the node has none by that name. */
export interface NamespaceResolver<N> {
  namespace(name: string): N | undefined;
  /** The same lookup from the name's UTF-8 bytes buf[start, end), without making a string. */
  namespaceAt?(buf: Buffer, start: number, end: number): N | undefined;
}

/**
 * The last set name decoded and its bytes: clients send the same few set names over and over, so
 * a request naming the previous set reuses its string instead of decoding a new one.
 */
const lastSetBytes = Buffer.alloc(MAX_SET_NAME_BYTES);
let lastSetLength = -1;
let lastSetName = '';

/** The set name in buf[start, end) (already checked: at most 63 bytes of UTF-8). */
function setNameAt(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len === lastSetLength) {
    let j = 0;
    while (j < len && lastSetBytes[j] === buf[start + j]) j++;
    if (j === len) return lastSetName;
  }
  lastSetName = buf.toString('utf8', start, end);
  buf.copy(lastSetBytes, 0, start, end);
  lastSetLength = len;
  return lastSetName;
}

/**
 * A single-record request, decoded once. `N` is whatever the resolver answers for the
 * namespace's name (the server's Namespace). Buffers are views into the request frame.
 */
export interface KeyedRequest<N> {
  readonly kind: KeyedKind;
  readonly msg: AsMsg;
  readonly ns: N;
  /** the 20 digest bytes (a view made when first asked for) */
  readonly digest: Buffer;
  /** where the digest starts in `msg.buf`: lookups read it there without a view */
  readonly digestAt: number;
  /** '' when the request names no set */
  readonly setName: string;
  readonly key: UserKey | undefined;
  /** the filter expression bytes (field 43), undefined when none */
  readonly filter: Buffer | undefined;
}

/**
 * Decodes and validates a single-record message's key fields in the reference server's order:
 * namespace present and 1..31 bytes, and known (NAMESPACE); digest of 20 bytes (PARAMETER); set
 * name at most 63 bytes of UTF-8 (PARAMETER); an integer or double user key of 8 bytes
 * (UNSUPPORTED_FEATURE). Throws AsError with that code.
 */
export function decodeKeyed<N>(msg: AsMsg, resolver: NamespaceResolver<N>): KeyedRequest<N> {
  // the field positions parseMessage noted, else (a batch row, a message whose fields were handed out) a walk of its fields
  const at = keyFieldPositions(msg) ?? walkKeyFields(msg);
  const buf = msg.buf;
  if (at.lastNamespaceAt < 0) throw new AsError(ResultCode.NAMESPACE, 'no namespace');
  const nsStart = at.lastNamespaceAt;
  const nsEnd = at.lastNamespaceEnd;
  const nsLen = nsEnd - nsStart;
  if (nsLen === 0 || nsLen > MAX_NAMESPACE_NAME_BYTES) throw new AsError(ResultCode.NAMESPACE);
  const ns = resolver.namespaceAt ? resolver.namespaceAt(buf, nsStart, nsEnd) : resolver.namespace(buf.toString('utf8', nsStart, nsEnd));
  if (ns === undefined) throw new AsError(ResultCode.NAMESPACE);
  if (at.lastDigestAt < 0 || at.lastDigestEnd - at.lastDigestAt !== 20) throw new AsError(ResultCode.PARAMETER, 'bad digest');
  let setName = '';
  if (at.lastSetAt >= 0) {
    const start = at.lastSetAt;
    const end = at.lastSetEnd;
    if (end - start > MAX_SET_NAME_BYTES) throw new AsError(ResultCode.PARAMETER, 'set name too long');
    // set names are strings: bytes that are not UTF-8 would be rewritten, so they are refused
    if (!isUtf8Bytes(buf, start, end - start)) throw new AsError(ResultCode.PARAMETER, 'set name is not valid UTF-8');
    setName = setNameAt(buf, start, end);
  }
  let key: UserKey | undefined;
  if (at.lastKeyAt >= 0 && at.lastKeyEnd > at.lastKeyAt) {
    const start = at.lastKeyAt;
    const type = buf[start]!;
    const value = buf.subarray(start + 1, at.lastKeyEnd);
    if (type === Particle.INTEGER && value.length !== 8) throw new AsError(ResultCode.UNSUPPORTED_FEATURE, 'integer key must be 8 bytes');
    if (type === Particle.FLOAT && value.length !== 8) throw new AsError(ResultCode.UNSUPPORTED_FEATURE, 'double key must be 8 bytes');
    key = { type, value };
  }
  const filter = at.lastFilterAt >= 0 ? buf.subarray(at.lastFilterAt, at.lastFilterEnd) : undefined;
  return new DecodedKeyed(keyedKind(msg), msg, ns, at.lastDigestAt, setName, key, filter);
}

/**
 * walkKeyFields' answer, reused: decodeKeyed reads it before anything else can call it (a batch
 * row costs no object for it).
 */
const walked = {
  firstNamespaceAt: -1,
  firstNamespaceEnd: -1,
  lastNamespaceAt: -1,
  lastNamespaceEnd: -1,
  firstDigestAt: -1,
  firstDigestEnd: -1,
  lastDigestAt: -1,
  lastDigestEnd: -1,
  lastSetAt: -1,
  lastSetEnd: -1,
  lastKeyAt: -1,
  lastKeyEnd: -1,
  lastFilterAt: -1,
  lastFilterEnd: -1,
  hasUdfFilename: false,
};

/** The key field positions of any message, from its field list (decodeKeyed's way for batch rows); valid until the next call. */
function walkKeyFields(msg: AsMsg): KeyFieldPositions {
  const at = walked;
  at.firstNamespaceAt = at.firstNamespaceEnd = at.lastNamespaceAt = at.lastNamespaceEnd = -1;
  at.firstDigestAt = at.firstDigestEnd = at.lastDigestAt = at.lastDigestEnd = -1;
  at.lastSetAt = at.lastSetEnd = at.lastKeyAt = at.lastKeyEnd = at.lastFilterAt = at.lastFilterEnd = -1;
  at.hasUdfFilename = false;
  const fields = msg.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    switch (f.type) {
      case FieldType.NAMESPACE:
        if (at.firstNamespaceAt < 0) {
          at.firstNamespaceAt = f.start;
          at.firstNamespaceEnd = f.end;
        }
        at.lastNamespaceAt = f.start;
        at.lastNamespaceEnd = f.end;
        break;
      case FieldType.DIGEST:
        if (at.firstDigestAt < 0) {
          at.firstDigestAt = f.start;
          at.firstDigestEnd = f.end;
        }
        at.lastDigestAt = f.start;
        at.lastDigestEnd = f.end;
        break;
      case FieldType.SET:
        at.lastSetAt = f.start;
        at.lastSetEnd = f.end;
        break;
      case FieldType.KEY:
        at.lastKeyAt = f.start;
        at.lastKeyEnd = f.end;
        break;
      case FieldType.FILTER:
        at.lastFilterAt = f.start;
        at.lastFilterEnd = f.end;
        break;
      case FieldType.UDF_FILENAME:
        at.hasUdfFilename = true;
        break;
    }
  }
  return at;
}

/** A KeyedRequest whose digest view is made only when something asks for it (a lookup reads `digestAt`). */
class DecodedKeyed<N> implements KeyedRequest<N> {
  private digestView: Buffer | undefined = undefined;

  constructor(
    readonly kind: KeyedKind,
    readonly msg: AsMsg,
    readonly ns: N,
    readonly digestAt: number,
    readonly setName: string,
    readonly key: UserKey | undefined,
    readonly filter: Buffer | undefined,
  ) {}

  get digest(): Buffer {
    return (this.digestView ??= this.msg.buf.subarray(this.digestAt, this.digestAt + 20));
  }
}

/** Whether the message carries a field of `type`. */
export function hasField(msg: AsMsg, type: number): boolean {
  const fields = msg.fields;
  for (let i = 0; i < fields.length; i++) if (fields[i]!.type === type) return true;
  return false;
}

/** The bytes of the message's first field of `type` (a view), or undefined. */
export function fieldBytes(msg: AsMsg, type: number): Buffer | undefined {
  for (const f of msg.fields) if (f.type === type) return msg.buf.subarray(f.start, f.end);
  return undefined;
}

/** The message's first field of `type` as UTF-8 text, or undefined. */
export function fieldText(msg: AsMsg, type: number): string | undefined {
  for (const f of msg.fields) if (f.type === type) return msg.buf.toString('utf8', f.start, f.end);
  return undefined;
}

/** A message (a batch row) as a standalone single-record message body, for proxying it to another node. */
export function encodeStandaloneMessage(m: AsMsg): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(22);
  head[0] = 22;
  head[1] = m.info1 & ~Info1.BATCH;
  head[2] = m.info2;
  head[3] = m.info3;
  head[4] = m.info4;
  head.writeUInt32BE(m.generation >>> 0, 6);
  head.writeUInt32BE(m.recordTtl >>> 0, 10);
  head.writeUInt32BE(m.transactionTtl >>> 0, 14);
  head.writeUInt16BE(m.fields.length, 18);
  head.writeUInt16BE(m.ops.length, 20);
  parts.push(head);
  for (const f of m.fields) {
    const h = Buffer.alloc(5);
    h.writeUInt32BE(f.end - f.start + 1, 0);
    h[4] = f.type;
    parts.push(h, m.buf.subarray(f.start, f.end));
  }
  for (const op of m.ops) {
    const name = Buffer.from(op.name, 'utf8');
    const h = Buffer.alloc(8);
    h.writeUInt32BE(4 + name.length + op.value.length, 0);
    h[4] = op.opType;
    h[5] = op.particleType;
    h[6] = op.flags;
    h[7] = name.length;
    parts.push(h, name, op.value);
  }
  return Buffer.concat(parts);
}
