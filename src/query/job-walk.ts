/**
 * Walks a job's partitions over a record source: which partitions (the ones this node serves),
 * which candidates are still records a client could see (live, in the set), how fast
 * (records-per-second), and when to let the event loop serve other connections. Background jobs
 * and aggregations are built on it; they only say what to do with each partition's records.
 */
import type { Namespace } from '../namespace/namespace.js';
import type { ScanJob } from '../scan/scan-jobs.js';
import { N_PARTITIONS } from '../util/digest.js';
import type { RecordSource } from './record-source.js';

/** Longest a job runs on the event loop before it lets other work in (ms). */
export const JOB_SLICE_MS = 10;
/** Shortest pause worth a timer when a throttled job is ahead of its rate (ms). */
const THROTTLE_MIN_SLEEP_MS = 1;
/** Longest single pause of a throttled job, so an abort is seen promptly (ms). */
const THROTTLE_MAX_SLEEP_MS = 100;

export interface WalkTarget {
  ns: Namespace;
  source: RecordSource;
  /** the query's set id; 0 = whole namespace; -1 = a set the namespace does not know (nothing matches) */
  setId: number;
  job: ScanJob;
  /** in a cluster: whether this node serves the partition (others are left to their master) */
  servesPartition?: (pid: number) => boolean;
}

/**
 * Keeps a job at or under `rps` records per second (0 = unthrottled) and gives the event loop a
 * turn at least every {@link JOB_SLICE_MS}. Counts each paced record in `job.recsThrottled` when
 * throttled, as Aerospike's query-show does.
 */
export class Pacer {
  private count = 0;
  private readonly startMs = Date.now();
  private sliceStartMs = Date.now();

  constructor(
    private readonly rps: number,
    private readonly job: ScanJob,
  ) {}

  /** Counts `n` records; resolves once the job may go on (undefined: go on at once). */
  pace(n = 1): Promise<void> | undefined {
    this.count += n;
    const now = Date.now();
    if (this.rps > 0) {
      this.job.recsThrottled += n;
      const aheadMs = (this.count * 1000) / this.rps - (now - this.startMs);
      if (aheadMs >= THROTTLE_MIN_SLEEP_MS) {
        this.sliceStartMs = now + aheadMs;
        return sleep(Math.min(aheadMs, THROTTLE_MAX_SLEEP_MS));
      }
    }
    if (now - this.sliceStartMs >= JOB_SLICE_MS) {
      this.sliceStartMs = now;
      return new Promise((r) => setImmediate(r));
    }
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Calls `visit(pid, ids)` for every partition this node serves, in partition order, with the
 * entry ids of the partition's live candidates in the query's set (ids are valid until the visit
 * yields; a visit that awaits must re-find records by digest). Stops early when the job is
 * aborted or `visit` returns false. Counts finished partitions in `job.partitionsDone`.
 */
export async function walkPartitions(t: WalkTarget, visit: (pid: number, ids: number[]) => boolean | Promise<boolean>): Promise<void> {
  const { ns, source, job } = t;
  const index = ns.index;
  if (t.setId < 0) {
    job.partitionsDone = N_PARTITIONS;
    return;
  }
  const ids: number[] = [];
  let sliceStart = Date.now();
  for (let pid = 0; pid < N_PARTITIONS; pid++) {
    if (job.abortRequested) return;
    if (t.servesPartition && !t.servesPartition(pid)) {
      job.partitionsDone++;
      continue;
    }
    ids.length = 0;
    source.collect(pid, ids);
    if (ids.length > 0) {
      const nowCl = ns.nowCl();
      let n = 0;
      for (const id of ids) {
        if (t.setId !== 0 && index.setId(id) !== t.setId) continue;
        if (ns.isTombstone(id) || ns.isExpired(id, nowCl) || ns.isTruncated(id)) continue;
        ids[n++] = id;
      }
      ids.length = n;
    }
    if (ids.length > 0) {
      const go = visit(pid, ids);
      if ((go instanceof Promise ? await go : go) === false) return;
      sliceStart = Date.now();
    } else if (Date.now() - sliceStart >= JOB_SLICE_MS) {
      // empty partitions cost little, but 4096 of them in a large sparse walk still add up
      await new Promise((r) => setImmediate(r));
      sliceStart = Date.now();
    }
    job.partitionsDone++;
  }
}
