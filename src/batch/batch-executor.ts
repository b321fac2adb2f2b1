/**
 * Executes a batch: each row is its own single-record transaction (no atomicity, no rollback);
 * row answers stream out in frames as they complete, then a final LAST message. Rows and the end
 * are answered and counted by transaction/outcome.ts (answerBatchRow, answerBatchEnd).
 */
import { ResultCode, resultCodeOf } from '../protocol/result-codes.js';
import { Info1, type AsMsg } from '../protocol/message.js';
import { answerBatchEnd, answerBatchRow, appendBatchEnd, type BatchIndexStats } from '../transaction/outcome.js';
import type { KeyedKind } from '../protocol/request.js';
import { ResponseBuilder } from '../protocol/response-builder.js';
import { releaseFrameBuffer } from '../protocol/frame-pool.js';
import type { FrameSink } from '../protocol/frame-sink.js';
import { executeSingleRecord } from '../transaction/single-record.js';
import type { NamespaceLookup } from '../transaction/keyed-request.js';
import { BatchFlag, parseBatchRequest, type BatchRow } from '../protocol/batch-request.js';
import type { Namespace } from '../namespace/namespace.js';

/** Frames are flushed once they hold this many bytes, so large batches stream. */
const FRAME_FLUSH_BYTES = 128 * 1024;
/**
 * Rows "in flight" together. With respondAllKeys false the reference server stops dispatching
 * after an error, but rows already dispatched still complete; we model that window.
 */
const DISPATCH_WINDOW_ROWS = 64;
/**
 * Longest a batch runs rows before it lets the event loop serve other connections, ms. A batch of
 * 5,000 rows otherwise ran in one go (~100-300 ms during which every other client waited).
 */
export const BATCH_SLICE_MS = 10;
/** Rows between two looks at the clock for {@link BATCH_SLICE_MS}. */
const SLICE_CHECK_ROWS = 32;
/**
 * Rows timed together for the batch-sub-* histograms: consecutive rows of one namespace and kind
 * that ran without waiting are timed as a group (one clock read, one histogram lookup) and each is
 * counted with the group's mean; a row that waited (offload, proxy) is timed alone. One clock read
 * and histogram lookup per row cost ~0.15-0.2 µs, ~10% of a row's CPU. Rows here take ~1 µs, so
 * the histograms (1 ms or 1 µs buckets) read the same.
 */
const LATENCY_GROUP_ROWS = SLICE_CHECK_ROWS;
/**
 * Rows whose records are looked up and brought into the CPU cache together before they run
 * (Namespace.prefetch), so that their cache and TLB misses overlap instead of coming one row at a
 * time (on the 2-core VM, 100 random 1 KB rows of 200k: 225 -> 163 µs of CPU per batch in
 * process; 32, 64 and 128 measured alike). 32 records of ~1 KB and their index entries stay well
 * inside a core's L2, so they are still there when their rows run.
 */
export const PREFETCH_ROWS = 32;
const prefetchOffsets = new Int32Array(PREFETCH_ROWS);
const prefetchIds = new Int32Array(PREFETCH_ROWS);
/**
 * For row `from + j` of the group last prefetched, the index in prefetchIds of the entry found for
 * it, -1 for a row left out (another namespace)
 */
const prefetchSlots = new Int32Array(PREFETCH_ROWS);
/** the prefetched namespace's index mutation count when its entries were found */
let prefetchMutations = -1;
/**
 * The rows of the batch that prefetched last: batches interleave (one waits for a flush, an
 * offload or a proxied row while another runs), so a batch hints its rows only while the slots
 * are still its own
 */
let prefetchOwner: readonly BatchRow<Namespace>[] | undefined;
/** keeps the prefetch's reads observable */
let prefetchSink = 0;

/**
 * Prefetches rows [from, from + PREFETCH_ROWS) that share the first one's namespace; the entries
 * found are handed to the rows as they run ({@link hintRow}).
 */
function prefetchRows(rows: readonly BatchRow<Namespace>[], from: number): void {
  const ns = rows[from]!.ns;
  const end = Math.min(rows.length, from + PREFETCH_ROWS);
  let n = 0;
  for (let i = from; i < end; i++) {
    const row = rows[i]!;
    if (row.ns === ns) {
      prefetchSlots[i - from] = n;
      prefetchOffsets[n++] = row.digestAt;
    } else prefetchSlots[i - from] = -1;
  }
  prefetchSink ^= ns.prefetch(rows[from]!.msg.buf, prefetchOffsets, n, prefetchIds);
  prefetchMutations = ns.index.mutations;
  prefetchOwner = rows;
}

/**
 * Hands row `i` of `rows` the entry its prefetch found (the group begins at a multiple of
 * PREFETCH_ROWS), unless another batch has prefetched since. The namespace uses it only if its
 * index has not changed since the prefetch (Namespace.hintLookup); the caller clears it after the
 * row's synchronous run.
 */
function hintRow(rows: readonly BatchRow<Namespace>[], i: number): void {
  if (prefetchOwner !== rows) return;
  const slot = prefetchSlots[i % PREFETCH_ROWS]!;
  const row = rows[i]!;
  if (slot >= 0) row.ns.hintLookup(row.msg.buf, row.digestAt, prefetchIds[slot]!, prefetchMutations);
}


/** Runs rows in a cluster: here, or proxied to the node serving the row's partition. */
export interface BatchRowRouter {
  batchRow(msg: AsMsg, rowIndex: number, out: ResponseBuilder, pending: Promise<void>[]): number | Promise<number>;
}

/** A histogram rows are counted in. */
export interface RowHistogram {
  /** Counts `count` operations of `ns` nanoseconds each. */
  recordNs(ns: number, count?: number): void;
}

/** Where each row's latency goes: the row namespace's batch-sub-read / -write / -udf histogram. */
export interface BatchRowLatency {
  /** undefined for a namespace that has no histograms */
  of(namespace: string, kind: 'batch-sub-read' | 'batch-sub-write' | 'batch-sub-udf'): RowHistogram | undefined;
}

export interface BatchOptions {
  maxRequests: () => number;
  /** Times the rows when given, in groups ({@link LATENCY_GROUP_ROWS}). */
  latency?: BatchRowLatency | undefined;
  stats: BatchIndexStats;
  compress?: (frame: Buffer) => Buffer;
  router?: BatchRowRouter | undefined;
  /** security on: a row refused here answers its code on its row and does not run */
  rowCheck?: ((row: AsMsg) => number) | undefined;
  /**
   * Starts a row's long pure work off the event loop (server/offload.ts); a promise when there is
   * some, which the row waits for (later rows wait behind it: answers keep their order)
   */
  prepare?: ((row: AsMsg) => Promise<void> | undefined) | undefined;
}

/** The histogram a row counts in: UDF rows, writes and deletes, reads. */
function batchSubKind(kind: KeyedKind): 'batch-sub-read' | 'batch-sub-write' | 'batch-sub-udf' {
  return kind === 'udf' ? 'batch-sub-udf' : kind === 'read' ? 'batch-sub-read' : 'batch-sub-write';
}

/** Row results that never stop a batch. */
function isBenign(code: number): boolean {
  return code === ResultCode.OK || code === ResultCode.NOT_FOUND || code === ResultCode.FILTERED_OUT;
}

export async function executeBatch(node: NamespaceLookup, parent: AsMsg, sink: FrameSink, opts: BatchOptions): Promise<void> {
  opts.stats.batchIndexInitiate++;
  let request;
  try {
    request = parseBatchRequest(parent, node, opts.maxRequests());
  } catch (e) {
    // refused whole: its end is its answer
    answerBatchEnd(sink, opts.stats, resultCodeOf(e, ResultCode.PARAMETER));
    return;
  }
  const compress = parent.info1 & Info1.COMPRESS_RESPONSE ? opts.compress : undefined;
  const reportAll = (request.flags & BatchFlag.REPORT_ALL_ERRORS) !== 0;
  // sized so a frame of typical rows fills up to the flush mark without regrowing (each regrowth
  // copies everything written so far)
  const out = new ResponseBuilder(Math.min(FRAME_FLUSH_BYTES + 64 * 1024, 1024 + request.rows.length * 2048), true);
  let firstError: number = ResultCode.OK;
  // replica writes of rows written here: answers leave only once their replicas have them
  const pending: Promise<void>[] = [];
  const flush = async () => {
    if (pending.length > 0) await Promise.all(pending.splice(0));
    if (out.bodyBytes === 0) return;
    const frame = out.takeFrame();
    if (compress) {
      sink.send(compress(frame));
      releaseFrameBuffer(frame);
    } else sink.send(frame, () => releaseFrameBuffer(frame));
    await sink.drain();
  };
  const rows = request.rows;
  const latency = opts.latency;
  let sliceStart = performance.now();
  // the rows being timed together: since groupStart, groupRows rows of groupNs/groupKind
  let groupStart = sliceStart;
  let groupRows = 0;
  let groupNs: Namespace | undefined;
  let groupKind: KeyedKind = 'read';
  let groupHist: RowHistogram | undefined;
  /** Counts the group's rows at its mean (time up to `t`); the next group starts at `t`. */
  const endGroup = (t: number) => {
    if (groupRows > 0) groupHist?.recordNs(((t - groupStart) * 1e6) / groupRows, groupRows);
    groupRows = 0;
    groupStart = t;
  };
  try {
    for (let i = 0; i < rows.length; i++) {
      if (sink.closed) return endGroup(performance.now());
      const row = rows[i]!;
      if (i % SLICE_CHECK_ROWS === 0) {
        const t = performance.now();
        endGroup(t);
        if (t - sliceStart > BATCH_SLICE_MS) {
          await new Promise((r) => setImmediate(r));
          sliceStart = groupStart = performance.now();
        }
      }
      if (latency && (row.ns !== groupNs || row.kind !== groupKind)) {
        endGroup(performance.now());
        groupNs = row.ns;
        groupKind = row.kind;
        groupHist = latency.of(row.ns.name, batchSubKind(row.kind));
      }
      if (i % PREFETCH_ROWS === 0) prefetchRows(rows, i);
      let code: number;
      let waited = false;
      const refused = opts.rowCheck ? opts.rowCheck(row.msg) : 0;
      const prepared = refused === 0 && opts.prepare ? opts.prepare(row.msg) : undefined;
      if (prepared) {
        waited = true;
        endGroup(performance.now());
        await prepared;
        if (sink.closed) return endGroup(performance.now());
        sliceStart = performance.now();
      }
      if (refused !== 0) code = refused;
      else if (opts.router) {
        hintRow(rows, i);
        const r = opts.router.batchRow(row.msg, row.index, out, pending);
        // a row that waits looks its record up itself once it runs
        row.ns.clearLookupHint();
        if (typeof r === 'number') code = r;
        else {
          if (!waited) endGroup(performance.now());
          waited = true;
          code = await r;
        }
      } else {
        hintRow(rows, i);
        code = executeSingleRecord(node, row.msg, out, row.index, true);
        row.ns.clearLookupHint();
      }
      // every row is counted here, also one proxied to another node; a refused row is answered here
      answerBatchRow(out, row.ns.stats, row.kind, row.index, code, refused !== 0);
      groupRows++;
      if (waited) endGroup(performance.now());
      if (!isBenign(code) && firstError === ResultCode.OK) firstError = code;
      if (out.bodyBytes >= FRAME_FLUSH_BYTES) {
        endGroup(performance.now());
        await flush();
        groupStart = performance.now();
      }
      if (!reportAll && firstError !== ResultCode.OK && (i + 1) % DISPATCH_WINDOW_ROWS === 0) break;
    }
    endGroup(performance.now());
    const endCode = reportAll ? ResultCode.OK : firstError;
    if (compress || out.bodyBytes === 0) {
      await flush();
      answerBatchEnd(sink, opts.stats, endCode);
      return;
    }
    // the rows' last frame and the LAST message leave in one write (one syscall, one wake-up of
    // the client, where two cost ~10% of a 100-row batch's time)
    if (pending.length > 0) await Promise.all(pending.splice(0));
    out.commitFrame();
    appendBatchEnd(out, opts.stats, endCode);
    const frames = out.takeCommitted();
    sink.send(frames, () => releaseFrameBuffer(frames));
  } finally {
    // the prefetch slots keep no batch alive once it has ended
    if (prefetchOwner === rows) prefetchOwner = undefined;
  }
}
