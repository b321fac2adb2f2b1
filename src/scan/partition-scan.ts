/**
 * Foreground partition scans (protocol reference §8): the request names partitions (or resume
 * digests); records stream out in frames, each partition in digest order, then a LAST message.
 * Result codes, the job's end and the LAST message are written by transaction/outcome.ts; this
 * module appends each record's fields and bins.
 */
import { AsError, ResultCode, resultCodeOf } from '../protocol/result-codes.js';
import { FieldType, Info1, Info2, Info3, OpType, type AsMsg } from '../protocol/message.js';
import { BAD_SIZE, isIndexQuery, type ScanRequest } from '../protocol/scan-request.js';
import { releaseFrameBuffer } from '../protocol/frame-pool.js';
import { ResponseBuilder } from '../protocol/response-builder.js';
import type { FrameSink } from '../protocol/frame-sink.js';
import type { NamespaceLookup } from '../transaction/keyed-request.js';
import type { Namespace } from '../namespace/namespace.js';
import { N_PARTITIONS, partitionOf } from '../util/digest.js';
import { forEachStoredBin, readStoredKey } from '../storage/record-codec.js';
import { compileFilterBytes } from '../transaction/filter.js';
import { RecordView } from '../transaction/record-view.js';
import { readParticleOp } from '../transaction/read.js';
import { valueToParticle } from '../values/bin-particles.js';
import { Particle } from '../protocol/particle.js';
import { ScanJob, type ScanJobRegistry } from './scan-jobs.js';
import { answerPartitionUnavailable, answerStreamEnd, beginRecordAnswer, endRecordAnswer, refusalFrame } from '../transaction/outcome.js';
import type { NamespaceSindexes } from '../sindex/namespace-sindexes.js';
import { openIndexQuery } from '../query/index-query.js';
import type { PartitionCandidates, PartitionRecordSource } from '../query/record-source.js';

const FRAME_FLUSH_BYTES = 128 * 1024;

/** Ops a foreground scan/query may carry: bin reads and, since 8.1.2, any other read op. */
const PROJECTION_OPS = new Set<number>([OpType.READ, OpType.CDT_READ, OpType.BITS_READ, OpType.HLL_READ, OpType.EXP_READ]);

interface PartitionTask {
  pid: number;
  /** resume strictly after this digest */
  after: Buffer | undefined;
  /** with `after`, for index queries: the bval the resumed record was found under */
  afterBval: bigint;
}

function parseTasks(req: ScanRequest, indexQuery: boolean): PartitionTask[] {
  const { pids, digests, bvals } = req.partitions;
  // an index query resumes at (bval, digest): both arrays or neither (Aerospike's rule)
  if (bvals !== undefined && digests === undefined) throw new AsError(ResultCode.PARAMETER, 'bval array without digests');
  if (indexQuery && digests !== undefined) {
    if (bvals === undefined || bvals === BAD_SIZE || digests === BAD_SIZE || bvals.length !== digests.length) {
      throw new AsError(ResultCode.PARAMETER, 'index query resume needs one bval per digest');
    }
  }
  if (pids === undefined && digests === undefined) throw new AsError(ResultCode.UNSUPPORTED_FEATURE, 'partition list required');
  const tasks: PartitionTask[] = [];
  const seen = new Set<number>();
  if (pids !== undefined) {
    if (pids === BAD_SIZE) throw new AsError(ResultCode.PARAMETER, 'bad pid array');
    for (const pid of pids) {
      if (pid >= N_PARTITIONS || seen.has(pid)) throw new AsError(ResultCode.PARAMETER, 'bad partition id');
      seen.add(pid);
      tasks.push({ pid, after: undefined, afterBval: 0n });
    }
  }
  if (digests !== undefined) {
    if (digests === BAD_SIZE) throw new AsError(ResultCode.PARAMETER, 'bad digest array');
    for (let i = 0; i < digests.length; i++) {
      const after = digests[i]!;
      const pid = partitionOf(after);
      if (seen.has(pid)) throw new AsError(ResultCode.PARAMETER, 'duplicate partition');
      seen.add(pid);
      const afterBval = indexQuery && Array.isArray(bvals) ? bvals[i]! : 0n;
      tasks.push({ pid, after, afterBval });
    }
  }
  return tasks;
}

export interface ScanContext {
  node: NamespaceLookup;
  jobs: ScanJobRegistry;
  /** in a cluster: whether this node serves the partition (others are answered unavailable) */
  servesPartition?: (namespace: string, pid: number) => boolean;
  /** the secondary indexes of a namespace (queries); absent = every index query answers 201 */
  sindexes?: (namespace: string) => NamespaceSindexes | undefined;
}

/** Handles a scan/query request end to end. */
export async function executeScan(ctx: ScanContext, req: ScanRequest, sink: FrameSink, client: string): Promise<void> {
  const msg = req.msg;
  let ns: Namespace | undefined;
  let tasks: PartitionTask[];
  let job: ScanJob;
  let setName = '';
  let filter;
  let maxRecords = Infinity;
  let rps = 0;
  let source: PartitionRecordSource | undefined;
  /** the request's ops are answered op by op (projection), not as a bin selection */
  let projection = false;
  const binNames: string[] = [];
  try {
    if (req.namespace === undefined) throw new AsError(ResultCode.NAMESPACE);
    ns = ctx.node.namespace(req.namespace);
    if (!ns) throw new AsError(ResultCode.NAMESPACE);
    if (req.set) {
      // no stored set name can be other than UTF-8 (writes refuse it): refuse rather than rewrite
      if (!req.set.utf8) throw new AsError(ResultCode.PARAMETER, 'set name is not valid UTF-8');
      setName = req.set.name;
    }
    if (msg.info2 & Info2.WRITE || req.udfOp !== undefined) {
      throw new AsError(ResultCode.UNSUPPORTED_FEATURE, 'background queries are not supported yet');
    }
    if (!(msg.info3 & Info3.PARTITION_DONE)) throw new AsError(ResultCode.UNSUPPORTED_FEATURE, 'client must accept partition-done');
    const indexQuery = isIndexQuery(req);
    tasks = parseTasks(req, indexQuery);
    if (indexQuery) source = openIndexQuery(req, ctx.sindexes?.(ns.name), setName);
    else if (req.index.name !== undefined) throw new AsError(ResultCode.SINDEX_NOT_FOUND, 'index name without a range');
    let trid: bigint;
    if (typeof req.trid === 'bigint') {
      trid = req.trid;
      if (ctx.jobs.has(trid)) throw new AsError(ResultCode.PARAMETER, 'job id in use');
    } else {
      // a request without a job id gets one no job has (two scans in one ms no longer collide)
      for (trid = BigInt(Date.now()); ctx.jobs.has(trid); trid++);
    }
    if (typeof req.maxRecords === 'bigint') {
      const m = Number(req.maxRecords);
      if (m > 0) maxRecords = m;
    }
    if (typeof req.recsPerSec === 'number') rps = req.recsPerSec;
    filter = req.filter ? compileFilterBytes(req.filter) : undefined;
    for (const op of msg.ops) {
      // 8.1.2 projections: any read op (CDT, bit, HLL, expression reads); a write op is refused
      if (!PROJECTION_OPS.has(op.opType)) throw new AsError(ResultCode.PARAMETER, 'queries take only read ops');
      if (op.opType !== OpType.READ || msg.info2 & Info2.RESPOND_ALL_OPS) projection = true;
      if (op.nameBytes > 0) binNames.push(op.name);
    }
    job = new ScanJob(trid, ns.name, setName, tasks.length, rps, client, { sindexName: source?.indexName ?? '' });
    // a short query runs inline and is not monitored (Aerospike lists only long ones in query-show)
    if (!(msg.info1 & Info1.SHORT_QUERY) || !source) ctx.jobs.add(job);
  } catch (e) {
    sink.send(refusalFrame(resultCodeOf(e, ResultCode.PARAMETER)));
    return;
  }

  const noBins = (msg.info1 & Info1.GET_NO_BINS) !== 0;
  const setId = setName ? ns.sets.idOf(setName, false) : 0;
  const out = new ResponseBuilder(64 * 1024, true);
  const index = ns.index;
  const nsNameBytes = Buffer.from(ns.name);
  const bvalBuf = Buffer.alloc(8);
  let sent = 0;
  const startMs = Date.now();
  const flush = async () => {
    if (out.bodyBytes === 0) return;
    const frame = out.takeFrame();
    sink.send(frame, () => releaseFrameBuffer(frame));
    await sink.drain();
  };
  try {
    for (const task of tasks) {
      if (setId < 0 || sent >= maxRecords) break;
      if (ctx.servesPartition && !ctx.servesPartition(ns.name, task.pid)) {
        // the client's map is stale: partition-done with UNAVAILABLE makes it retry elsewhere
        answerPartitionUnavailable(out, task.pid);
        continue;
      }
      const nowCl = ns.nowCl();
      let ids: number[] | undefined;
      let cands: PartitionCandidates | undefined;
      if (source) {
        cands = source.collect(task.pid, task.after ? { digest: task.after, bval: task.afterBval } : undefined);
      } else {
        ids = Array.from(index.partitionIds(task.pid));
        // the reference server walks each partition in digest order; resume points rely on it
        ids.sort((a, b) => index.digestView(a).compare(index.digestView(b)));
      }
      const n = cands ? cands.count : ids!.length;
      for (let i = 0; i < n; i++) {
        if (sink.closed || job.abortRequested) break;
        if (sent >= maxRecords) break;
        let id: number;
        let bval = 0n;
        if (cands) {
          // the entry may be stale by now: find the record again and re-check it below
          id = index.find(cands.digests, i * 20);
          if (id < 0) continue;
          bval = cands.bvals![i]!;
        } else {
          id = ids![i]!;
          if (task.after && index.digestView(id).compare(task.after) <= 0) continue;
        }
        if (setName && index.setId(id) !== setId) continue;
        if (ns.isTombstone(id) || ns.isExpired(id, nowCl) || ns.isTruncated(id)) continue;
        if (cands && !source!.matches(ns.storage.get(index, id), index.digestView(id))) continue;
        if (filter && !filter.matches(new RecordView(ns, id, index.digestView(id)), { nowMs: ns.clock.nowMs() })) {
          job.recsFiltered++;
          continue;
        }
        const data = ns.storage.get(index, id);
        let projected: ProjectedOp[] | undefined;
        if (!noBins && projection) {
          projected = project(ns, id, msg, data);
          // an op that fails skips the record (counted failed); no result at all skips it too
          if (projected === undefined) {
            job.recsFailed++;
            continue;
          }
          if (projected.length === 0) continue;
        } else if (!noBins && binNames.length > 0) {
          let any = false;
          forEachStoredBin(data, (nameStart, nameLen) => {
            if (!any && binNames.includes(data.toString('utf8', nameStart, nameStart + nameLen))) any = true;
          });
          if (!any) continue; // a record with none of the selected bins is skipped
        }
        beginRecordAnswer(out, index.generation(id), index.voidTime(id), noBins ? Info1.GET_NO_BINS : 0);
        out.addField(FieldType.NAMESPACE, nsNameBytes);
        out.addField(FieldType.DIGEST, index.digestView(id));
        const set = index.setId(id);
        if (set !== 0) out.addField(FieldType.SET, ns.sets.nameOf(set));
        const key = readStoredKey(data);
        if (key) out.addField(FieldType.KEY, Buffer.concat([Buffer.from([key.type]), key.value]));
        if (cands) {
          // the index value the record was found under: the client resumes the partition after it
          bvalBuf.writeBigInt64LE(bval);
          out.addField(FieldType.BVAL_ARRAY, bvalBuf);
        }
        if (projected) {
          for (const r of projected) out.addOp(r.opType, r.type, r.name, r.value);
        } else if (!noBins && binNames.length === 0) {
          forEachStoredBin(data, (nameStart, nameLen, type, valueStart, valueLen) => {
            out.addOpRaw(OpType.READ, type, data, nameStart, nameLen, valueStart, valueLen);
          });
        } else if (!noBins) {
          // selected bins come back in the order the request names them, as Aerospike answers
          for (const name of binNames) {
            forEachStoredBin(data, (nameStart, nameLen, type, valueStart, valueLen) => {
              if (data.toString('utf8', nameStart, nameStart + nameLen) === name) out.addOpRaw(OpType.READ, type, data, nameStart, nameLen, valueStart, valueLen);
            });
          }
        }
        endRecordAnswer(out, job);
        sent++;
        if (out.bodyBytes >= FRAME_FLUSH_BYTES) await flush();
        if (rps > 0) {
          const aheadMs = (sent * 1000) / rps - (Date.now() - startMs);
          if (aheadMs > 0) {
            job.recsThrottled++;
            await flush();
            await new Promise((r) => setTimeout(r, aheadMs));
          }
        }
      }
      job.partitionsDone++;
      if (sink.closed || job.abortRequested) break;
      // yield between partitions so a large scan never starves other connections
      if (out.bodyBytes > 0 && job.partitionsDone % 64 === 0) await flush();
      else if (job.partitionsDone % 256 === 0) await new Promise((r) => setImmediate(r));
    }
    await flush();
    if (job.abortRequested) answerStreamEnd(sink, job, { status: 'done(user-aborted)', code: ResultCode.QUERY_ABORT });
    else if (sink.closed) answerStreamEnd(sink, job, { status: 'done(abandoned-unknown)', code: ResultCode.OK });
    else answerStreamEnd(sink, job, { status: 'done(ok)', code: ResultCode.OK });
  } catch (e) {
    answerStreamEnd(sink, job, { status: 'done(error)', code: resultCodeOf(e) });
  }
}

interface ProjectedOp {
  opType: number;
  name: string;
  type: number;
  value: Buffer | undefined;
}

/**
 * A projection (Aerospike 8.1.2 `apply_ops_make_response`): each op's result under its bin name,
 * echoing the op type; a missing result is left out unless RESPOND_ALL_OPS asks for a nil.
 * Returns undefined when an op fails (the record is skipped and counted failed).
 */
function project(ns: Namespace, id: number, msg: AsMsg, data: Buffer): ProjectedOp[] | undefined {
  const view = new RecordView(ns, id, ns.index.digestView(id));
  const respondAll = (msg.info2 & Info2.RESPOND_ALL_OPS) !== 0;
  const out: ProjectedOp[] = [];
  try {
    for (const op of msg.ops) {
      if (op.opType === OpType.READ) {
        if (op.nameBytes === 0) {
          forEachStoredBin(data, (nameStart, nameLen, type, valueStart, valueLen) => {
            out.push({ opType: OpType.READ, name: data.toString('utf8', nameStart, nameStart + nameLen), type, value: data.subarray(valueStart, valueStart + valueLen) });
          });
          continue;
        }
        const bin = view.getBin(op.name);
        if (bin) out.push({ opType: OpType.READ, name: op.name, type: bin.type, value: bin.value });
        else if (respondAll) out.push({ opType: OpType.READ, name: op.name, type: Particle.NULL, value: undefined });
        continue;
      }
      const result = readParticleOp(op.opType, op.value, view, op.name, ns.clock.nowMs());
      if (result === undefined) {
        if (respondAll) out.push({ opType: op.opType, name: op.name, type: Particle.NULL, value: undefined });
        continue;
      }
      const p = valueToParticle(result);
      out.push({ opType: op.opType, name: op.name, type: p.type, value: p.value });
    }
  } catch (e) {
    if (e instanceof AsError) return undefined;
    throw e;
  }
  return out;
}
