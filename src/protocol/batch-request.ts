/**
 * The typed batch-index request (protocol reference §7.1–§7.2): the parent message's batch field
 * holds the rows; each row becomes an ordinary single-record message, with its kind and its
 * namespace (resolved once, here) beside it, so the batch executor reads no field.
 */
import { AsError, ResultCode } from './result-codes.js';
import { FieldType, Info1, parseFieldsAndOps, type AsMsg, type MsgField } from './message.js';
import { keyedKind, type KeyedKind, type NamespaceResolver } from './request.js';

export const BatchFlag = {
  INLINE_DATA_IN_MEMORY: 0x01,
  INLINE_DATA_ON_DEVICE: 0x02,
  REPORT_ALL_ERRORS: 0x04,
  REPORT_ERROR_REC: 0x08,
} as const;

const RowFlag = {
  REPEAT: 0x01,
  HAS_EXTRA_INFO: 0x02,
  HAS_GENERATION: 0x04,
  HAS_RECORD_TTL: 0x08,
  HAS_INFO4: 0x10,
} as const;

/** One row: its index in the client's list, the single-record message, its kind and namespace. */
export interface BatchRow<N> {
  index: number;
  msg: AsMsg;
  kind: KeyedKind;
  /** what the resolver answered for the row's namespace (a repeat row shares its predecessor's) */
  ns: N;
  /** where the row's 20 digest bytes start in `msg.buf` */
  digestAt: number;
}

/** A batch-index request; `N` is whatever the resolver answers for a namespace name. */
export interface BatchRequest<N> {
  /** BatchFlag bits */
  flags: number;
  rows: BatchRow<N>[];
}

/** The namespace a row names (a lookup by its bytes where the resolver offers one: no string per row). */
function rowNamespace<N>(msg: AsMsg, node: NamespaceResolver<N>): N | undefined {
  const fields = msg.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.type !== FieldType.NAMESPACE) continue;
    return node.namespaceAt ? node.namespaceAt(msg.buf, f.start, f.end) : node.namespace(msg.buf.toString('utf8', f.start, f.end));
  }
  return undefined;
}

/**
 * Parses and validates every row up front, so a malformed batch is refused whole (PARAMETER)
 * before any row runs, as the reference server does.
 */
export function parseBatchRequest<N>(parent: AsMsg, node: NamespaceResolver<N>, maxRows: number): BatchRequest<N> {
  const field = parent.fields.find((f) => f.type === FieldType.BATCH || f.type === FieldType.BATCH_WITH_SET);
  if (!field) throw new AsError(ResultCode.PARAMETER, 'no batch field');
  const parentFilter = parent.fields.find((f) => f.type === FieldType.FILTER);
  const buf = parent.buf;
  let p = field.start;
  const end = field.end;
  if (end - p < 5) throw new AsError(ResultCode.PARAMETER, 'batch field too short');
  const nRows = buf.readUInt32BE(p);
  const flags = buf[p + 4]!;
  p += 5;
  if (nRows === 0) throw new AsError(ResultCode.PARAMETER, 'no rows');
  if (maxRows > 0 && nRows > maxRows) throw new AsError(ResultCode.BATCH_MAX_REQUESTS, 'too many rows');
  // each row needs at least 25 bytes, so a count past the data is caught before allocating
  if (nRows > (end - p) / 25) throw new AsError(ResultCode.PARAMETER, 'row count past end');
  const rows: BatchRow<N>[] = [];
  let prev: BatchRow<N> | undefined;
  let prevHadKey = false;
  for (let i = 0; i < nRows; i++) {
    if (p + 25 > end) throw new AsError(ResultCode.PARAMETER, 'row past end');
    const index = buf.readUInt32BE(p);
    const digestStart = p + 4;
    const rowFlags = buf[p + 24]!;
    p += 25;
    const digestField: MsgField = { type: FieldType.DIGEST, start: digestStart, end: digestStart + 20 };
    if (rowFlags & RowFlag.REPEAT) {
      if (!prev || prevHadKey) throw new AsError(ResultCode.PARAMETER, 'illegal repeat row');
      // the predecessor's message with this row's digest (in every digest field it has), built as
      // the same literal shape as a row of its own: the transaction code's reads stay monomorphic
      const p0 = prev.msg;
      const fields = p0.fields.slice();
      for (let k = 0; k < fields.length; k++) if (fields[k]!.type === FieldType.DIGEST) fields[k] = digestField;
      const msg: AsMsg = {
        info1: p0.info1,
        info2: p0.info2,
        info3: p0.info3,
        info4: p0.info4,
        resultCode: 0,
        generation: p0.generation,
        recordTtl: p0.recordTtl,
        transactionTtl: p0.transactionTtl,
        fields,
        ops: p0.ops,
        buf,
      };
      rows.push({ index, msg, kind: prev.kind, ns: prev.ns, digestAt: digestStart });
      continue;
    }
    if (p + 1 > end) throw new AsError(ResultCode.PARAMETER, 'row past end');
    const msg: AsMsg = {
      info1: buf[p++]! & ~(Info1.COMPRESS_RESPONSE | Info1.XDR | Info1.BATCH),
      info2: 0,
      info3: parent.info3,
      info4: 0,
      resultCode: 0,
      generation: 0,
      recordTtl: parent.recordTtl,
      transactionTtl: parent.transactionTtl,
      fields: [digestField],
      ops: [],
      buf,
    };
    const need =
      (rowFlags & RowFlag.HAS_EXTRA_INFO ? 2 : 0) +
      (rowFlags & RowFlag.HAS_INFO4 ? 1 : 0) +
      (rowFlags & RowFlag.HAS_GENERATION ? 2 : 0) +
      (rowFlags & RowFlag.HAS_RECORD_TTL ? 4 : 0) +
      4;
    if (p + need > end) throw new AsError(ResultCode.PARAMETER, 'row past end');
    if (rowFlags & RowFlag.HAS_EXTRA_INFO) {
      msg.info2 = buf[p++]!;
      msg.info3 = buf[p++]!;
    }
    if (rowFlags & RowFlag.HAS_INFO4) msg.info4 = buf[p++]!;
    if (rowFlags & RowFlag.HAS_GENERATION) {
      msg.generation = buf.readUInt16BE(p);
      p += 2;
    }
    if (rowFlags & RowFlag.HAS_RECORD_TTL) {
      msg.recordTtl = buf.readUInt32BE(p);
      p += 4;
    }
    let nFields = buf.readUInt16BE(p);
    const nOps = buf.readUInt16BE(p + 2);
    p += 4;
    if (nFields === 0) nFields = 1; // very old clients
    p = parseFieldsAndOps(buf, p, end, nFields, nOps, msg);
    const ns = rowNamespace(msg, node);
    if (ns === undefined) throw new AsError(ResultCode.PARAMETER, 'row namespace missing or unknown');
    if (parentFilter && !msg.fields.some((f) => f.type === FieldType.FILTER)) msg.fields.push(parentFilter);
    prevHadKey = msg.fields.some((f) => f.type === FieldType.KEY);
    prev = { index, msg, kind: keyedKind(msg), ns, digestAt: digestStart };
    rows.push(prev);
  }
  return { flags, rows };
}
