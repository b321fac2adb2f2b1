/**
 * Scans one job's partitions: PID_ARRAY for partitions not begun, DIGEST_ARRAY to resume the
 * others after the last record written. Each record's digest advances its partition's cursor
 * only after the record was handed to the writer, so a stop at any point leaves cursors that a
 * retry or a `--continue` resumes without losing or repeating a record. Timeouts, dropped
 * connections and unavailable partitions are retried up to --max-retries times.
 * Each attempt scans the pending partitions of one node (the router groups them by master); a
 * retry first refreshes the router's cluster map, so a partition that moved is asked of its new
 * master, resuming after the last record written.
 */
import { encodeScanRequest } from '../../client/scan-request.js';
import { runScan, ScanError, type ScanRecordMessage } from '../../client/scan-stream.js';
import { WireConnection, wireAuthEnabled, wireTlsEnabled } from '../../client/wire-connection.js';

/** A connected, logged-in socket for one scan; a failure is a retryable scan error. */
async function openScanSocket(route: ScanRoute): Promise<import('node:net').Socket> {
  try {
    return (await WireConnection.open(route.host, route.port, 5000, route.tlsName)).detach();
  } catch (e) {
    throw new ScanError(`connection to ${route.host}:${route.port} failed: ${(e as Error).message}`, undefined, true);
  }
}
import { partitionOf } from '../../util/digest.js';
import type { PartitionCursor } from './partition-plan.js';

/** A shared record allowance (--max-records) that every worker draws from. */
export class RecordBudget {
  constructor(private remainingRecords: number) {}

  /** Records still allowed (Infinity when unlimited). */
  get remaining(): number {
    return this.remainingRecords;
  }

  /** Takes one record; false when the budget is spent. */
  take(): boolean {
    if (this.remainingRecords <= 0) return false;
    this.remainingRecords--;
    return true;
  }
}

/** Partitions to scan on one node. */
export interface ScanRoute {
  host: string;
  port: number;
  /** the node's TLS name (TLS connections) */
  tlsName?: string | undefined;
  /** names the node in log lines */
  label: string;
  cursors: PartitionCursor[];
}

/** Where partitions are scanned now, and a way to learn that they moved. */
export interface ScanRouter {
  /** Groups cursors by the node that should scan them (never empty for a non-empty list). */
  route(cursors: PartitionCursor[]): ScanRoute[];
  /** Called before every retry: a partition may have moved or a node may have left. */
  refresh(): Promise<void>;
}

export interface ScanJobOptions {
  router: ScanRouter;
  namespace: string;
  set?: string;
  binNames?: string[];
  noBins: boolean;
  filter?: Buffer;
  recordsPerSecond: number;
  socketTimeoutMs: number;
  totalTimeoutMs: number;
  maxRetries: number;
  retryDelayMs: number;
  /** aborting stops the job between records */
  signal: AbortSignal;
  budget: RecordBudget;
  log: (msg: string) => void;
}

let nextTaskId = BigInt(Date.now()) * 1000n;

/**
 * Runs the job until every partition is done, the budget is spent or the signal aborts.
 * `onRecord` writes the record synchronously; a returned promise (throttling) pauses the scan.
 */
export async function scanJob(
  cursors: PartitionCursor[],
  opts: ScanJobOptions,
  onRecord: (rec: ScanRecordMessage) => void | Promise<void>,
): Promise<void> {
  let failures = 0;
  for (;;) {
    if (opts.signal.aborted) return;
    const pending = cursors.filter((c) => !c.done);
    if (pending.length === 0) return;
    const allowance = opts.budget.remaining;
    if (allowance <= 0) return;
    const maxRecords = Number.isFinite(allowance) ? allowance : 0;
    // one node per pass: the next pass routes what is left, after any refresh
    const route = opts.router.route(pending)[0]!;
    const batch = route.cursors;
    const byPid = new Map(batch.map((c) => [c.pid, c]));
    const local = new AbortController();
    const onStop = () => local.abort();
    opts.signal.addEventListener('abort', onStop);
    let received = 0;
    let budgetSpent = false;
    const frame = encodeScanRequest({
      namespace: opts.namespace,
      ...(opts.set ? { set: opts.set } : {}),
      partitionIds: batch.filter((c) => !c.after).map((c) => c.pid),
      resumeDigests: batch.filter((c) => c.after).map((c) => c.after!),
      ...(opts.binNames ? { binNames: opts.binNames } : {}),
      noBins: opts.noBins,
      ...(opts.filter ? { filter: opts.filter } : {}),
      maxRecords,
      recordsPerSecond: opts.recordsPerSecond,
      socketTimeoutMs: opts.socketTimeoutMs,
      totalTimeoutMs: opts.totalTimeoutMs,
      taskId: nextTaskId++,
    });
    try {
      // over TLS or with a login, the scan's socket comes from a WireConnection that did both
      const socket = wireTlsEnabled() || wireAuthEnabled() ? await openScanSocket(route) : undefined;
      const outcome = await runScan(
        { host: route.host, port: route.port, socketTimeoutMs: opts.socketTimeoutMs, totalTimeoutMs: opts.totalTimeoutMs, signal: local.signal, socket },
        frame,
        (rec) => {
          if (local.signal.aborted) return;
          const cursor = byPid.get(partitionOf(rec.digest));
          if (!cursor || cursor.done) throw new ScanError(`record of partition ${partitionOf(rec.digest)}, which this scan did not ask for`);
          if (!opts.budget.take()) {
            budgetSpent = true;
            local.abort();
            return;
          }
          received++;
          const r = onRecord(rec);
          // the record is written: from here a resume starts after it (a copy: rec is a view)
          if (!cursor.after) cursor.after = Buffer.allocUnsafe(20);
          rec.digest.copy(cursor.after);
          return r;
        },
      );
      if (outcome.aborted) return;
      if (budgetSpent) return;
      if (maxRecords > 0 && received >= maxRecords) continue; // the server stopped at the limit, not at the end
      const unavailable = new Set(outcome.unavailablePartitions);
      for (const c of batch) if (!unavailable.has(c.pid)) c.done = true;
      if (unavailable.size === 0) continue;
      failures++;
      if (failures > opts.maxRetries) throw new Error(`${unavailable.size} partition(s) stayed unavailable after ${opts.maxRetries} retries`);
      opts.log(`${unavailable.size} partition(s) unavailable on ${route.label}, retrying`);
    } catch (e) {
      if (opts.signal.aborted) return;
      if (!(e instanceof ScanError) || !e.transient) throw e;
      failures++;
      if (failures > opts.maxRetries) throw new Error(`scan failed after ${opts.maxRetries} retries: ${e.message}`);
      opts.log(`scan attempt failed (${e.message}), retrying (${failures}/${opts.maxRetries})`);
    } finally {
      opts.signal.removeEventListener('abort', onStop);
    }
    await sleep(Math.max(opts.retryDelayMs, Math.min(1000, 50 * 2 ** failures)));
    await opts.router.refresh();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
