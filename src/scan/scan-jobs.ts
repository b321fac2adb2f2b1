/**
 * Running and recently finished scan/query jobs, for `query-show` and `query-abort`. The
 * reference server remembers finished jobs for a while and refuses a job id it still remembers.
 *
 * One job per scan/query request: foreground scans and queries (`basic`), aggregations, and the
 * background jobs that answer at once and keep running (`background-ops`, `background-udf`).
 * `describe()` renders Aerospike 8.1's query-show line for each kind, which the clients parse for
 * `status=`, `job-progress=` and `recs-succeeded=` when they poll a job.
 */

/** Finished jobs remembered, oldest dropped first (Aerospike's `query-max-done` default). */
const FINISHED_JOBS_KEPT = 100;

/** Partitions in a namespace: a job over "all partitions" reports its progress against this. */
const ALL_PARTITIONS = 4096;

export type JobStatus = 'active' | 'done(ok)' | 'done(abandoned-unknown)' | 'done(user-aborted)' | 'done(error)';

/** The kinds of query job, named as query-show's `job-type=` names them. */
export type JobType = 'basic' | 'aggregation' | 'background-udf' | 'background-ops';

/** What a job knows beyond the common fields (all optional, so foreground scans need none). */
export interface JobExtras {
  type?: JobType;
  /** the secondary index the query uses ('' for a primary-index query) */
  sindexName?: string;
  /** partitions named by resume digests (counted in `nPids` too) */
  nKeydsRequested?: number;
  /** ms; 0 when the request had none */
  socketTimeoutMs?: number;
  /** background UDF jobs: the module (without `.lua`) and function */
  udfModule?: string;
  udfFunction?: string;
}

export class ScanJob {
  status: JobStatus = 'active';
  recsSucceeded = 0;
  /** records a filter expression rejected on bins (Aerospike's recs-filtered-bins) */
  recsFiltered = 0;
  /** records a filter expression rejected on metadata alone */
  recsFilteredMeta = 0;
  recsFailed = 0;
  recsThrottled = 0;
  partitionsDone = 0;
  /** background jobs: per-record transactions started and not yet answered */
  active = 0;
  /** bytes of answer sent to the client */
  netIoBytes = 0;
  readonly startMs = Date.now();
  doneMs = 0;
  abortRequested = false;
  readonly type: JobType;

  constructor(
    readonly trid: bigint,
    readonly ns: string,
    readonly set: string,
    /** partitions the request named; 0 = every partition (background and aggregation jobs) */
    readonly nPids: number,
    readonly rps: number,
    readonly client: string,
    readonly extras: JobExtras = {},
  ) {
    this.type = extras.type ?? 'basic';
  }

  get done(): boolean {
    return this.status !== 'active';
  }

  finish(status: JobStatus): void {
    this.status = status;
    this.doneMs = Date.now();
  }

  /** As query-show shows it: `active(ok)` while running (`active(user-aborted)` once told to stop), then `done(...)`. */
  statusText(): string {
    if (this.status !== 'active') return this.status;
    return this.abortRequested ? 'active(user-aborted)' : 'active(ok)';
  }

  /** Percent of the job's partitions handed out and finished. */
  progressPct(): number {
    const total = this.nPids > 0 ? this.nPids : ALL_PARTITIONS;
    if (this.done) return 100;
    return Math.min(100, (this.partitionsDone * 100) / total);
  }

  /** The job as one `query-show` entry (Aerospike 8.1's field order; `:` in the client address becomes `+`). */
  describe(): string {
    const now = Date.now();
    const x = this.extras;
    let s = `trid=${this.trid}:ns=${this.ns}`;
    if (this.set) s += `:set=${this.set}`;
    if (x.sindexName) s += `:sindex-name=${x.sindexName}`;
    if (this.nPids > 0) s += `:n-pids-requested=${this.nPids}:n-keyds-requested=${x.nKeydsRequested ?? 0}`;
    s +=
      `:rps=${this.rps}:active-threads=${this.done ? 0 : 1}` +
      `:status=${this.statusText()}:job-progress=${this.progressPct().toFixed(2)}:run-time=${(this.doneMs || now) - this.startMs}` +
      `:time-since-done=${this.doneMs ? now - this.doneMs : 0}:recs-throttled=${this.recsThrottled}` +
      `:recs-filtered-meta=${this.recsFilteredMeta}:recs-filtered-bins=${this.recsFiltered}` +
      `:recs-succeeded=${this.recsSucceeded}:recs-failed=${this.recsFailed}:from=${this.client.replaceAll(':', '+')}` +
      `:job-type=${this.type}`;
    if (this.type === 'basic' || this.type === 'aggregation') {
      s += `:net-io-bytes=${this.netIoBytes}:net-io-time=0:socket-timeout=${x.socketTimeoutMs ?? 0}`;
    } else {
      // a background job's only answer is the 30-byte "started" message; its socket timeout is the server's
      s += `:net-io-bytes=30:socket-timeout=10000`;
      if (this.type === 'background-ops') s += `:ops-active=${this.active}`;
      else s += `:udf-filename=${x.udfModule ?? ''}:udf-function=${x.udfFunction ?? ''}:udf-active=${this.active}`;
    }
    return s;
  }
}

export class ScanJobRegistry {
  private readonly jobs = new Map<bigint, ScanJob>();

  has(trid: bigint): boolean {
    return this.jobs.has(trid);
  }

  add(job: ScanJob): void {
    this.jobs.set(job.trid, job);
    const finished = [...this.jobs.values()].filter((j) => j.status !== 'active');
    for (let i = 0; i < finished.length - FINISHED_JOBS_KEPT; i++) this.jobs.delete(finished[i]!.trid);
  }

  get(trid: bigint): ScanJob | undefined {
    return this.jobs.get(trid);
  }

  all(): ScanJob[] {
    return [...this.jobs.values()];
  }

  /** Jobs still running. */
  activeCount(): number {
    let n = 0;
    for (const j of this.jobs.values()) if (j.status === 'active') n++;
    return n;
  }
}
