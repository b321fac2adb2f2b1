/**
 * Running and recently finished scan/query jobs, for `query-show` and `query-abort`. The
 * reference server remembers finished jobs for a while and refuses a job id it still remembers.
 */

/** Finished jobs remembered, oldest dropped first. */
const FINISHED_JOBS_KEPT = 100;

export type JobStatus = 'active' | 'done(ok)' | 'done(abandoned-unknown)' | 'done(user-aborted)' | 'done(error)';

export class ScanJob {
  status: JobStatus = 'active';
  recsSucceeded = 0;
  recsFiltered = 0;
  recsThrottled = 0;
  partitionsDone = 0;
  readonly startMs = Date.now();
  doneMs = 0;
  abortRequested = false;

  constructor(
    readonly trid: bigint,
    readonly ns: string,
    readonly set: string,
    readonly nPids: number,
    readonly rps: number,
    readonly client: string,
  ) {}

  finish(status: JobStatus): void {
    this.status = status;
    this.doneMs = Date.now();
  }

  describe(): string {
    const progress = this.nPids > 0 ? ((this.partitionsDone * 100) / this.nPids).toFixed(2) : '100.00';
    const now = Date.now();
    return (
      `trid=${this.trid}:ns=${this.ns}` +
      (this.set ? `:set=${this.set}` : '') +
      `:n-pids-requested=${this.nPids}:rps=${this.rps}:active-threads=${this.status === 'active' ? 1 : 0}` +
      `:status=${this.status}:job-progress=${progress}:run-time=${(this.doneMs || now) - this.startMs}` +
      `:time-since-done=${this.doneMs ? now - this.doneMs : 0}:recs-throttled=${this.recsThrottled}` +
      `:recs-filtered-meta=0:recs-filtered-bins=${this.recsFiltered}:recs-succeeded=${this.recsSucceeded}:recs-failed=0:from=${this.client}`
    );
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
}
