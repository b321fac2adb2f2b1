/**
 * The typed scan/query request (an as_msg without a digest, protocol reference §8): every field a
 * scan, a secondary-index query, a background job or an aggregation reads, decoded here once so
 * nothing outside `protocol/` reads field offsets.
 *
 * Decoding never throws. A field with the wrong width is kept as {@link BAD_SIZE} and an index
 * range that does not parse as {@link MalformedRange}, because which of several faults a request
 * is answered with depends on the order its handler checks them (a foreground scan ignores a
 * records-per-second field of the wrong width, a background job refuses it): each handler keeps
 * Aerospike's order and throws when it reaches the fault.
 */
import { FieldType, Info2, isUtf8Bytes, type AsMsg } from './message.js';

/** A fixed-width field that was present with another width. */
export const BAD_SIZE = 'bad-size';
export type BadSize = typeof BAD_SIZE;

/** The set field: its name, its length in bytes and whether those bytes are UTF-8. */
export interface SetField {
  name: string;
  bytes: number;
  utf8: boolean;
}

/**
 * The partitions a foreground scan or query asks for (PID_ARRAY, DIGEST_ARRAY, BVAL_ARRAY); each
 * undefined when its field is absent. A resume digest is a copy (the request frame may be reused
 * while the scan streams).
 */
export interface PartitionList {
  /** partition ids, 2 bytes each (little-endian) */
  pids: number[] | BadSize | undefined;
  /** resume digests, 20 bytes each: the partition restarts strictly after it */
  digests: Buffer[] | BadSize | undefined;
  /** index queries: the bval each resume digest was found under, 8 bytes each (little-endian) */
  bvals: bigint[] | BadSize | undefined;
}

/** The one range of a secondary-index query (INDEX_RANGE): bin, particle type, begin and end values. */
export interface IndexRange {
  bin: string;
  particle: number;
  /** a view into the request */
  begin: Buffer;
  /** a view into the request; undefined when the field ends before a complete end value */
  end: Buffer | undefined;
}

/** An INDEX_RANGE field that does not hold one range; `why` says what is wrong. */
export interface MalformedRange {
  malformed: string;
}

/** The secondary-index fields of a query. */
export interface IndexFields {
  range: IndexRange | MalformedRange | undefined;
  /** INDEX_TYPE: 0 default, 1 list, 2 map keys, 3 map values */
  type: number | BadSize | undefined;
  name: string | undefined;
  /** INDEX_CONTEXT bytes (a view) */
  context: Buffer | undefined;
  /** INDEX_EXPRESSION bytes (a view) */
  expression: Buffer | undefined;
}

/** The UDF fields of a request, each a view, undefined when absent. */
export interface UdfFields {
  filename: Buffer | undefined;
  fn: Buffer | undefined;
  arglist: Buffer | undefined;
}

/**
 * A scan/query request. Values are decoded; Buffers are views into the request frame unless
 * documented otherwise. Each field is undefined when the request does not carry it.
 */
export interface ScanRequest {
  readonly kind: 'scan';
  readonly msg: AsMsg;
  readonly namespace: string | undefined;
  readonly set: SetField | undefined;
  /** the job id (TRID, 8 bytes) */
  readonly trid: bigint | BadSize | undefined;
  /** RECS_PER_SEC (4 bytes) */
  readonly recsPerSec: number | BadSize | undefined;
  /** SOCKET_TIMEOUT, ms (4 bytes) */
  readonly socketTimeoutMs: number | BadSize | undefined;
  /** MAX_RECORDS (8 bytes) */
  readonly maxRecords: bigint | BadSize | undefined;
  readonly partitions: PartitionList;
  /** the filter expression bytes (FILTER) */
  readonly filter: Buffer | undefined;
  /** UDF_OP (1 byte): 1 aggregation, 2 background UDF */
  readonly udfOp: number | BadSize | undefined;
  readonly udf: UdfFields;
  readonly index: IndexFields;
}

/** UDF_OP values. */
export const UdfOp = {
  AGGREGATE: 1,
  BACKGROUND: 2,
} as const;

/** Decodes a scan/query message (one whose kind is 'scan'). Never throws; see the file comment. */
export function decodeScanRequest(msg: AsMsg): ScanRequest {
  const buf = msg.buf;
  let namespace: string | undefined;
  let set: SetField | undefined;
  let trid: bigint | BadSize | undefined;
  let recsPerSec: number | BadSize | undefined;
  let socketTimeoutMs: number | BadSize | undefined;
  let maxRecords: bigint | BadSize | undefined;
  const partitions: PartitionList = { pids: undefined, digests: undefined, bvals: undefined };
  let filter: Buffer | undefined;
  let udfOp: number | BadSize | undefined;
  const udf: UdfFields = { filename: undefined, fn: undefined, arglist: undefined };
  const index: IndexFields = { range: undefined, type: undefined, name: undefined, context: undefined, expression: undefined };
  // the first field of each type counts, as everywhere else a field is looked up
  const seen = new Set<number>();
  for (const f of msg.fields) {
    if (seen.has(f.type)) continue;
    seen.add(f.type);
    const { start, end } = f;
    const len = end - start;
    switch (f.type) {
      case FieldType.NAMESPACE:
        namespace = buf.toString('utf8', start, end);
        break;
      case FieldType.SET:
        set = { name: buf.toString('utf8', start, end), bytes: len, utf8: isUtf8Bytes(buf, start, len) };
        break;
      case FieldType.TRID:
        trid = len === 8 ? buf.readBigUInt64BE(start) : BAD_SIZE;
        break;
      case FieldType.RECS_PER_SEC:
        recsPerSec = len === 4 ? buf.readUInt32BE(start) : BAD_SIZE;
        break;
      case FieldType.SOCKET_TIMEOUT:
        socketTimeoutMs = len === 4 ? buf.readUInt32BE(start) : BAD_SIZE;
        break;
      case FieldType.MAX_RECORDS:
        maxRecords = len === 8 ? buf.readBigUInt64BE(start) : BAD_SIZE;
        break;
      case FieldType.PID_ARRAY: {
        if (len % 2 !== 0) partitions.pids = BAD_SIZE;
        else {
          const pids: number[] = [];
          for (let p = start; p < end; p += 2) pids.push(buf.readUInt16LE(p));
          partitions.pids = pids;
        }
        break;
      }
      case FieldType.DIGEST_ARRAY: {
        if (len % 20 !== 0) partitions.digests = BAD_SIZE;
        else {
          const digests: Buffer[] = [];
          for (let p = start; p < end; p += 20) digests.push(Buffer.from(buf.subarray(p, p + 20)));
          partitions.digests = digests;
        }
        break;
      }
      case FieldType.BVAL_ARRAY: {
        if (len % 8 !== 0) partitions.bvals = BAD_SIZE;
        else {
          const bvals: bigint[] = [];
          for (let p = start; p < end; p += 8) bvals.push(buf.readBigInt64LE(p));
          partitions.bvals = bvals;
        }
        break;
      }
      case FieldType.FILTER:
        filter = buf.subarray(start, end);
        break;
      case FieldType.UDF_OP:
        udfOp = len === 1 ? buf[start]! : BAD_SIZE;
        break;
      case FieldType.UDF_FILENAME:
        udf.filename = buf.subarray(start, end);
        break;
      case FieldType.UDF_FUNCTION:
        udf.fn = buf.subarray(start, end);
        break;
      case FieldType.UDF_ARGLIST:
        udf.arglist = buf.subarray(start, end);
        break;
      case FieldType.INDEX_RANGE:
        index.range = decodeIndexRange(buf, start, end);
        break;
      case FieldType.INDEX_TYPE:
        index.type = len === 1 ? buf[start]! : BAD_SIZE;
        break;
      case FieldType.INDEX_NAME:
        index.name = buf.toString('utf8', start, end);
        break;
      case FieldType.INDEX_CONTEXT:
        index.context = buf.subarray(start, end);
        break;
      case FieldType.INDEX_EXPRESSION:
        index.expression = buf.subarray(start, end);
        break;
    }
  }
  return { kind: 'scan', msg, namespace, set, trid, recsPerSec, socketTimeoutMs, maxRecords, partitions, filter, udfOp, udf, index };
}

/**
 * INDEX_RANGE: a count (must be 1), bin name (1-byte length), particle type, begin value (4-byte
 * length) and, for ranges, end value (4-byte length).
 */
function decodeIndexRange(b: Buffer, start: number, end: number): IndexRange | MalformedRange {
  let p = start;
  const overruns: MalformedRange = { malformed: 'index range overruns its field' };
  if (p + 2 > end) return overruns;
  if (b[p++] !== 1) return { malformed: 'index range must hold one range' };
  const binLen = b[p++]!;
  if (p + binLen + 1 > end) return overruns;
  const bin = b.toString('utf8', p, p + binLen);
  p += binLen;
  const particle = b[p++]!;
  if (p + 4 > end) return overruns;
  const beginLen = b.readUInt32BE(p);
  p += 4;
  if (p + beginLen > end) return overruns;
  const begin = b.subarray(p, p + beginLen);
  p += beginLen;
  let endValue: Buffer | undefined;
  if (p + 4 <= end) {
    const endLen = b.readUInt32BE(p);
    p += 4;
    if (p + endLen <= end) endValue = b.subarray(p, p + endLen);
  }
  return { bin, particle, begin, end: endValue };
}

/** Whether a request is a secondary-index query (it carries an index range). */
export function isIndexQuery(req: ScanRequest): boolean {
  return req.index.range !== undefined;
}

/** Whether a request is a background job: write ops, or a background UDF (UDF_OP 2). */
export function isBackgroundRequest(req: ScanRequest): boolean {
  if (req.udfOp !== undefined) return req.udfOp === UdfOp.BACKGROUND;
  return (req.msg.info2 & Info2.WRITE) !== 0;
}

/** Whether a request asks for an aggregation (UDF_OP 1). */
export function isAggregationRequest(req: ScanRequest): boolean {
  return req.udfOp === UdfOp.AGGREGATE;
}

/** The UDF fields of any message (record UDFs read them too). */
export function udfFieldsOf(msg: AsMsg): UdfFields {
  const out: UdfFields = { filename: undefined, fn: undefined, arglist: undefined };
  const buf = msg.buf;
  for (const f of msg.fields) {
    if (f.type === FieldType.UDF_FILENAME) out.filename ??= buf.subarray(f.start, f.end);
    else if (f.type === FieldType.UDF_FUNCTION) out.fn ??= buf.subarray(f.start, f.end);
    else if (f.type === FieldType.UDF_ARGLIST) out.arglist ??= buf.subarray(f.start, f.end);
  }
  return out;
}
