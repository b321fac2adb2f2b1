/**
 * Background scans and queries (Aerospike's ops-bg and udf-bg query jobs): a scan/query message
 * with write operations (info2 WRITE, `scan.operate` / `query.operate`) or with a record UDF
 * (UDF_OP 2, `scan.background` / `query.background`). The client is answered at once with one
 * LAST message; the job then runs on its own, one internal single-record transaction per record,
 * paced by records-per-second (the namespace's `background-query-max-rps` when the request has
 * none), visible in `query-show` and stoppable with `query-abort`.
 *
 * Each record's transaction is the write the client could have sent itself, built as Aerospike
 * builds its internal message: info2 WRITE (+ durable delete), info3 UPDATE_ONLY (+ replace-only)
 * for ops, the request's record TTL and filter expression, the record's digest and set. It runs
 * through the node's single-record path, so it follows the same rules (filters, stop-writes, set
 * limits, replication in a cluster) as a client write.
 */
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { FieldType, Info1, Info2, Info3, isReadOp } from '../protocol/message.js';
import { RecordRequestTemplate } from '../protocol/record-template.js';
import type { ScanRequest } from '../protocol/scan-request.js';
import type { FrameSink } from '../protocol/frame-sink.js';
import type { NamespaceLookup } from '../transaction/keyed-request.js';
import { lastFrame, recordJobEnd, refusalFrame } from '../transaction/outcome.js';
import { compileFilterBytes } from '../transaction/filter.js';
import { ScanJob, type ScanJobRegistry } from '../scan/scan-jobs.js';
import { udfCallOf } from '../udf/apply.js';
import { logger } from '../util/log.js';
import { readJobRequest } from './job-request.js';
import { Pacer, walkPartitions } from './job-walk.js';
import type { QueryStatsRegistry } from './query-stats.js';
import { recordSourceFor, type SecondaryIndexSourceFactory } from './record-source.js';

/** Per-record transactions of one job in flight at once (Aerospike's MAX_ACTIVE_TRANSACTIONS). */
export const BACKGROUND_MAX_ACTIVE_TRANSACTIONS = 200;

const log = logger.context('query', 'query.ts');

/** What a job needs from the node it runs on. */
export interface JobContext {
  node: NamespaceLookup;
  jobs: ScanJobRegistry;
  stats: QueryStatsRegistry;
  /** in a cluster: whether this node serves the partition (a job covers only those) */
  servesPartition?: (namespace: string, pid: number) => boolean;
  /** runs one internal single-record request (an as_msg body) and gives its result code */
  applyRecord: (body: Buffer) => number | Promise<number>;
  /** the namespace's `background-query-max-rps` */
  backgroundMaxRps: (namespace: string) => number;
  /** UDFs may not run (Aerospike's udf-execution-disabled): background UDF jobs answer FORBIDDEN */
  udfExecutionDisabled?: () => boolean;
  /** finds the record source of an index-filtered request (absent: such requests answer 201) */
  secondary?: SecondaryIndexSourceFactory;
}

/**
 * Starts a background job for `msg` and answers the client: one LAST message with 0 once the job
 * runs, or the refusal. The job goes on after this resolves.
 */
export async function startBackgroundJob(ctx: JobContext, req: ScanRequest, sink: FrameSink): Promise<void> {
  let job: ScanJob;
  let run: () => Promise<void>;
  try {
    ({ job, run } = prepare(ctx, req, sink.remote ?? ''));
  } catch (e) {
    sink.send(refusalFrame(e instanceof AsError ? e.code : ResultCode.PARAMETER));
    return;
  }
  ctx.jobs.add(job);
  // the whole answer: the job runs on after it
  sink.send(lastFrame(ResultCode.OK));
  run().catch((e) => {
    log.warning(`background query job ${job.trid} failed: ${e instanceof Error ? e.message : String(e)}`);
    if (!job.done) recordJobEnd(job, 'done(error)');
  });
}

function prepare(ctx: JobContext, request: ScanRequest, client: string): { job: ScanJob; run: () => Promise<void> } {
  const msg = request.msg;
  const isUdf = request.udfOp !== undefined;
  if (isUdf && ctx.udfExecutionDisabled?.()) throw new AsError(ResultCode.FORBIDDEN, 'udf execution disabled');
  const req = readJobRequest(ctx.node, ctx.jobs, request);
  const ns = req.ns;
  if (req.setId < 0) throw new AsError(ResultCode.NOT_FOUND, 'unknown set');
  const maxRps = ctx.backgroundMaxRps(ns.name);
  if (req.rps > maxRps) throw new AsError(ResultCode.PARAMETER, `rps ${req.rps} exceeds background-query-max-rps ${maxRps}`);
  const rps = req.rps === 0 ? maxRps : req.rps;
  const source = recordSourceFor(ns, request, req.setId, ctx.secondary);

  // what every record's internal request carries after namespace, set and digest: filter, UDF fields, ops
  const tailFields: { type: number; data: Buffer }[] = [];
  if (request.filter) {
    try {
      compileFilterBytes(request.filter);
    } catch {
      throw new AsError(ResultCode.PARAMETER, 'bad filter expression');
    }
    tailFields.push({ type: FieldType.FILTER, data: request.filter });
  }
  const info2 = Info2.WRITE | (msg.info2 & Info2.DURABLE_DELETE);
  let info3 = 0;
  let udfModule = '';
  let udfFunction = '';
  if (isUdf) {
    const call = udfCallOf(request.udf);
    if (!call) throw new AsError(ResultCode.PARAMETER, 'bad udf fields');
    udfModule = call.module;
    udfFunction = call.fn;
    // udfCallOf answers only when all three are present
    tailFields.push(
      { type: FieldType.UDF_FILENAME, data: request.udf.filename! },
      { type: FieldType.UDF_FUNCTION, data: request.udf.fn! },
      { type: FieldType.UDF_ARGLIST, data: request.udf.arglist! },
    );
  } else {
    if (msg.info1 & Info1.READ) throw new AsError(ResultCode.PARAMETER, 'ops not write only');
    if (msg.ops.length === 0) throw new AsError(ResultCode.PARAMETER, 'ops query has no ops');
    info3 = Info3.UPDATE_ONLY | (msg.info3 & Info3.REPLACE_ONLY);
    for (const op of msg.ops) if (isReadOp(op.opType)) throw new AsError(ResultCode.PARAMETER, 'ops query has read op');
  }
  const template = new RecordRequestTemplate({ info2, info3, recordTtl: msg.recordTtl, namespace: ns.name, fields: tailFields, ops: isUdf ? [] : msg.ops });
  /** The internal request for one record. */
  const internalMessage = (digest: Buffer, setName: Buffer | undefined): Buffer => template.body(digest, setName);

  const job = new ScanJob(req.trid, ns.name, req.setName, 0, rps, client, {
    type: isUdf ? 'background-udf' : 'background-ops',
    sindexName: source.indexName,
    udfModule: udfModule.replace(/\.lua$/, ''),
    udfFunction,
  });
  const stats = ctx.stats.of(ns.name);
  const kindName = isUdf ? 'udf-bg' : 'ops-bg';
  /** Counts one record's outcome; `lang`: what a UDF did to the record (read, write, delete). */
  const account = (code: number, lang?: 'read' | 'write' | 'delete'): void => {
    switch (code) {
      case ResultCode.OK:
        job.recsSucceeded++;
        stats.add(isUdf ? 'udf_sub_udf_complete' : 'ops_sub_write_success');
        if (isUdf && lang) stats.add(`udf_sub_lang_${lang}_success`);
        break;
      case ResultCode.NOT_FOUND: // deleted since it was picked
        break;
      case ResultCode.FILTERED_OUT:
        job.recsFiltered++;
        stats.add(isUdf ? 'udf_sub_udf_filtered_out' : 'ops_sub_write_filtered_out');
        break;
      case ResultCode.TIMEOUT:
        job.recsFailed++;
        stats.add(isUdf ? 'udf_sub_udf_timeout' : 'ops_sub_write_timeout');
        break;
      default:
        job.recsFailed++;
        stats.add(isUdf ? 'udf_sub_udf_error' : 'ops_sub_write_error');
        if (code === ResultCode.UDF_EXECUTION) stats.add('udf_sub_lang_error');
    }
  };

  const run = async (): Promise<void> => {
    log.info(`starting ${kindName} query job ${job.trid} {${ns.name}:${req.setName}:${source.indexName || '<pi-query>'}} rps ${rps} from ${client}`);
    const pacer = new Pacer(rps, job);
    const inFlight = new Set<Promise<void>>();
    const index = ns.index;
    /** The live record's generation, -1 when there is none. */
    const generationOf = (digest: Buffer): number => {
      const id = ns.findLive(digest);
      return id < 0 ? -1 : index.generation(id);
    };
    const setNames = new Map<number, Buffer | undefined>();
    const setNameOf = (setId: number): Buffer | undefined => {
      if (!setNames.has(setId)) setNames.set(setId, setId === 0 ? undefined : Buffer.from(ns.sets.nameOf(setId), 'utf8'));
      return setNames.get(setId);
    };
    await walkPartitions(
      { ns, source, setId: req.setId, job, servesPartition: ctx.servesPartition && ((pid) => ctx.servesPartition!(ns.name, pid)) },
      async (_pid, ids) => {
        // ids are only valid until the first await: take what each record's request needs now
        const picked: Buffer[] = [];
        const digests: Buffer[] = [];
        for (const id of ids) {
          if (!source.matches(id)) continue;
          const digest = index.digestView(id);
          picked.push(internalMessage(digest, setNameOf(index.setId(id))));
          digests.push(Buffer.from(digest));
        }
        for (let i = 0; i < picked.length; i++) {
          if (job.abortRequested) return false;
          const wait = pacer.pace();
          if (wait) await wait;
          if (source.kind === 'si') {
            // the record may have changed since the index named it: re-check right before the
            // write (a record that no longer matches is skipped, as Aerospike's check_cb does)
            const id = ns.findLive(digests[i]!);
            if (id < 0 || !source.matches(id)) continue;
          }
          const body = picked[i]!;
          // a UDF's effect on the record, seen from the index right around the call (the record
          // is written here, synchronously, also when replication then runs in the background)
          const genBefore = isUdf ? generationOf(digests[i]!) : -1;
          let r: number | Promise<number>;
          try {
            r = ctx.applyRecord(body);
          } catch {
            r = ResultCode.UNKNOWN;
          }
          let lang: 'read' | 'write' | 'delete' | undefined;
          if (isUdf && genBefore >= 0) {
            const genAfter = generationOf(digests[i]!);
            lang = genAfter < 0 ? 'delete' : genAfter !== genBefore ? 'write' : 'read';
          }
          if (typeof r === 'number') {
            account(r, lang);
            continue;
          }
          job.active++;
          const p: Promise<void> = r
            .then((code) => account(code, lang), () => account(ResultCode.UNKNOWN))
            .finally(() => {
              job.active--;
              inFlight.delete(p);
            });
          inFlight.add(p);
          if (inFlight.size >= BACKGROUND_MAX_ACTIVE_TRANSACTIONS) await Promise.race(inFlight);
        }
        return true;
      },
    );
    await Promise.all(inFlight);
    const aborted = job.abortRequested;
    recordJobEnd(job, aborted ? 'done(user-aborted)' : 'done(ok)', () => stats.jobEnded(source.kind, isUdf ? 'udf_bg' : 'ops_bg', aborted ? 'abort' : 'complete'));
    log.info(`finished ${kindName} query job ${job.trid} (${aborted ? ResultCode.QUERY_ABORT : 0})`);
  };
  return { job, run };
}
