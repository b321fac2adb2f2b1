/**
 * Aggregation queries (UDF_OP 1, the client's `query.apply` / aggregate `foreach`): the stream UDF
 * runs over the query's records one partition at a time, on each node for the partitions it
 * serves, and every value it yields goes to the client as a message with one `SUCCESS` op (no
 * fields, no metadata). The client merges them by running the rest of the pipeline itself (from
 * the first `reduce` on), so partial results per partition are exactly what it expects.
 *
 * A failing run (missing module, unknown function, a Lua error) answers one message with a
 * `FAILURE` op holding Aerospike's text, then LAST with result 1, and the job ends as
 * `done(abandoned-unknown)`. A request with a filter expression is refused with
 * UNSUPPORTED_FEATURE, as Aerospike 8.1 refuses it.
 */
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { OpType } from '../protocol/message.js';
import type { ScanRequest } from '../protocol/scan-request.js';
import { releaseFrameBuffer } from '../protocol/frame-pool.js';
import { ResponseBuilder } from '../protocol/response-builder.js';
import { Particle } from '../protocol/particle.js';
import { valueToParticle } from '../values/bin-particles.js';
import type { FrameSink } from '../protocol/frame-sink.js';
import { ScanJob } from '../scan/scan-jobs.js';
import { applyStreamUdf, udfCallOf, StreamRecords, type StreamRecordMeta, type UdfRegistry } from '../udf/index.js';
import { logger } from '../util/log.js';
import type { JobContext } from './background-job.js';
import { answerStreamEnd, beginRecordAnswer, refusalFrame, type StreamEnd } from '../transaction/outcome.js';
import { readJobRequest } from './job-request.js';
import { Pacer, walkPartitions } from './job-walk.js';
import { recordSourceFor } from './record-source.js';

/** Record bytes handed to one stream run; a larger partition is aggregated in several runs (each yields its own partial values, which the client merges). */
export const STREAM_BATCH_BYTES = 1024 * 1024;
/** Answer bytes gathered before a frame goes out. */
const FRAME_FLUSH_BYTES = 128 * 1024;

const log = logger.context('query', 'query.ts');

export interface AggregationContext extends JobContext {
  udf: UdfRegistry;
}

/** Runs an aggregation request end to end, streaming its values to `sink`. */
export async function executeAggregation(ctx: AggregationContext, request: ScanRequest, sink: FrameSink): Promise<void> {
  let job: ScanJob;
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare(ctx, request, sink.remote ?? '');
    job = prepared.job;
  } catch (e) {
    sink.send(refusalFrame(e instanceof AsError ? e.code : ResultCode.PARAMETER));
    return;
  }
  ctx.jobs.add(job);
  const { req, source, call } = prepared;
  const ns = req.ns;
  const index = ns.index;
  const stats = ctx.stats.of(ns.name);
  log.debug(`starting aggregation query job ${job.trid} {${ns.name}:${req.setName}:${source.indexName || '<pi-query>'}} rps ${req.rps} from ${job.client}`);

  const out = new ResponseBuilder(64 * 1024, true);
  const flush = async (): Promise<void> => {
    if (out.bodyBytes === 0) return;
    const frame = out.takeFrame();
    job.netIoBytes += frame.length;
    sink.send(frame, () => releaseFrameBuffer(frame));
    await sink.drain();
  };
  const records = new StreamRecords();
  let failed = false;
  /** Runs the stream over the records gathered so far and appends what it yields. */
  const runBatch = (): void => {
    const outcome = applyStreamUdf(ctx.udf, call.module, call.fn, call.args, records.take());
    for (const v of outcome.values) {
      const p = v.kind === 'record' ? undefined : valueToParticle(v.value);
      beginRecordAnswer(out, 0, 0, 0);
      out.addOp(OpType.READ, p ? p.type : Particle.NULL, 'SUCCESS', p?.value);
      out.endMessage();
    }
    if (outcome.error !== undefined) {
      beginRecordAnswer(out, 0, 0, 0);
      out.addOp(OpType.READ, Particle.STRING, 'FAILURE', Buffer.from(outcome.error, 'utf8'));
      out.endMessage();
      failed = true;
    }
  };

  const pacer = new Pacer(req.rps, job);
  const setNames = new Map<number, Buffer>();
  // one metadata holder reused for every record (records.add copies what it needs)
  const meta: StreamRecordMeta = { generation: 0, voidTime: 0, lastUpdateMs: 0, setName: Buffer.alloc(0), digest: Buffer.alloc(0), nowMs: 0 };
  try {
    await walkPartitions(
      { ns, source, setId: req.setId, job, servesPartition: ctx.servesPartition && ((pid) => ctx.servesPartition!(ns.name, pid)) },
      async (_pid, ids) => {
        const nowMs = ns.clock.nowMs();
        let n = 0;
        for (const id of ids) {
          if (!source.matches(id)) continue;
          const setId = index.setId(id);
          let setName = setNames.get(setId);
          if (setName === undefined) setNames.set(setId, (setName = Buffer.from(ns.sets.nameOf(setId), 'utf8')));
          meta.generation = index.generation(id);
          meta.voidTime = index.voidTime(id);
          meta.lastUpdateMs = index.lastUpdateMs(id);
          meta.setName = setName;
          meta.digest = index.digestView(id);
          meta.nowMs = nowMs;
          records.add(meta, ns.storage.get(index, id));
          n++;
          job.recsSucceeded++;
          if (records.bytes >= STREAM_BATCH_BYTES) {
            runBatch();
            if (failed) return false;
          }
        }
        if (records.count > 0) runBatch();
        if (failed) return false;
        if (out.bodyBytes >= FRAME_FLUSH_BYTES) await flush();
        if (sink.closed) return false;
        const wait = n > 0 ? pacer.pace(n) : undefined;
        if (wait) {
          // let the client have what is ready before pausing
          await flush();
          await wait;
        }
        return true;
      },
    );
    await flush();
  } catch (e) {
    log.warning(`aggregation query job ${job.trid} failed: ${e instanceof Error ? e.message : String(e)}`);
    failed = true;
  }
  // the end is answered only to a client still there, and its bytes count in the job's net-io
  const end: StreamEnd =
    failed || sink.closed
      ? { status: 'done(abandoned-unknown)', code: ResultCode.UNKNOWN }
      : job.abortRequested
        ? { status: 'done(user-aborted)', code: ResultCode.QUERY_ABORT }
        : { status: 'done(ok)', code: ResultCode.OK };
  const counted = end.status === 'done(ok)' ? 'complete' : end.status === 'done(user-aborted)' ? 'abort' : 'error';
  job.netIoBytes += answerStreamEnd(sink, job, end, () => stats.jobEnded(source.kind, 'aggr', counted), false);
  log.debug(`finished aggregation query job ${job.trid} (${end.code})`);
}

function prepare(ctx: AggregationContext, request: ScanRequest, client: string) {
  if (ctx.udfExecutionDisabled?.()) throw new AsError(ResultCode.FORBIDDEN, 'udf execution disabled');
  const req = readJobRequest(ctx.node, ctx.jobs, request);
  if (request.filter) throw new AsError(ResultCode.UNSUPPORTED_FEATURE, 'aggregation queries do not support filter expressions');
  if (req.setId < 0) throw new AsError(ResultCode.NOT_FOUND, 'unknown set');
  const source = recordSourceFor(req.ns, request, req.setId, ctx.secondary);
  const call = udfCallOf(request.udf);
  if (!call) throw new AsError(ResultCode.PARAMETER, 'bad udf fields');
  const job = new ScanJob(req.trid, req.ns.name, req.setName, 0, req.rps, client, {
    type: 'aggregation',
    sindexName: source.indexName,
    socketTimeoutMs: req.socketTimeoutMs,
  });
  return { job, req, source, call };
}
