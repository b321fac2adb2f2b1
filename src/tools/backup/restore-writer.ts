/**
 * Writes restored records to the server, bounded as asrestore's uploader is: batches of
 * --batch-size records go out as batch-index writes, at most --max-async-batches at a time, each
 * on its own connection; with --disable-batch-writes every record is a single put and at most
 * batch-size × max-async-batches are in flight. Per-record results are counted as asrestore
 * counts them (inserted / existed / fresher / ignored); timeouts and transient codes are retried
 * up to --max-retries times, other failures stop the restore.
 * Every record goes to the master of its partition: a batch is split per node and the pieces
 * run at once (one batch slot for them all). A retry after a failure that suggests the cluster
 * changed (a network error, a timeout, partition unavailable) refreshes the map first and
 * routes the records again.
 */
import { endpointKey, type Endpoint } from '../../client/info-request.js';
import { WireConnection } from '../../client/wire-connection.js';
import { batchRowResult, encodeBatchWrite, encodeRecordPut, type WritePolicy, type WriteRecord } from '../../client/write-request.js';
import { ResultCode } from '../../protocol/result-codes.js';

/** Where records are written. */
export interface WriteRouter {
  /** the node of the record's partition */
  nodeFor(r: WriteRecord): Endpoint;
  /** Called before retrying writes a moved partition or a lost node may have failed. */
  refresh(): Promise<void>;
}

export interface RestoreWriterOptions {
  router: WriteRouter;
  policy: WritePolicy;
  batchWrites: boolean;
  batchSize: number;
  maxAsyncBatches: number;
  /** per request; 0 = none */
  socketTimeoutMs: number;
  /** server-side and client-side deadline of one request, ms */
  totalTimeoutMs: number;
  maxRetries: number;
  ignoreRecordError: boolean;
  log: (msg: string) => void;
}

export interface RestoreCounters {
  inserted: number;
  existed: number;
  fresher: number;
  ignored: number;
  retries: number;
}

/** Result codes that mean "try again later" for a row or a whole request. */
const TRANSIENT = new Set<number>([ResultCode.TIMEOUT, ResultCode.UNAVAILABLE, ResultCode.KEY_BUSY, ResultCode.DEVICE_OVERLOAD, ResultCode.BATCH_QUEUES_FULL]);
/** Record-specific failures that --ignore-record-error skips (batch_uploader.c). */
const RECORD_ERRORS = new Set<number>([
  ResultCode.RECORD_TOO_BIG,
  ResultCode.KEY_MISMATCH,
  ResultCode.BIN_NAME,
  10, // ALWAYS_FORBIDDEN
  ResultCode.FORBIDDEN,
  ResultCode.INCOMPATIBLE_TYPE,
  ResultCode.BIN_NOT_FOUND,
]);

class TransientError extends Error {}

/** Codes after which the cluster map may be stale: the partition or the node has gone. */
const ROUTING = new Set<number>([ResultCode.TIMEOUT, ResultCode.UNAVAILABLE]);

/** What one request to one node left to do. */
interface NodeOutcome {
  retry: WriteRecord[];
  /** a failure that a refreshed cluster map may cure */
  reroute: boolean;
}

/** Counting semaphore: at most `limit` holders. */
class Slots {
  private used = 0;
  private waiters: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async acquire(): Promise<void> {
    if (this.used < this.limit) {
      this.used++;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
  }

  release(): void {
    const w = this.waiters.shift();
    if (w) w();
    else this.used--;
  }
}

export class RestoreWriter {
  readonly counters: RestoreCounters = { inserted: 0, existed: 0, fresher: 0, ignored: 0, retries: 0 };
  /** records inserted, per node (`host:port`): shows where the routing sent them */
  readonly insertedPerNode = new Map<string, number>();
  private readonly slots: Slots;
  /** idle connections per node (`host:port`) */
  private readonly idle = new Map<string, WireConnection[]>();
  private readonly inflight = new Set<Promise<void>>();
  /** the first failure; once set, nothing more is sent */
  failure: Error | undefined;

  constructor(private readonly o: RestoreWriterOptions) {
    this.slots = new Slots(o.batchWrites ? o.maxAsyncBatches : o.batchSize * o.maxAsyncBatches);
  }

  /**
   * Hands over a batch of records; resolves once it is under way (a slot was free), so a reader
   * is held back while max-async-batches are in flight. Throws the writer's failure.
   */
  async submit(records: WriteRecord[]): Promise<void> {
    if (this.failure) throw this.failure;
    if (records.length === 0) return;
    if (this.o.batchWrites) await this.start(() => this.writeBatch(records));
    else for (const r of records) await this.start(() => this.writeOne(r));
    if (this.failure) throw this.failure;
  }

  private async start(task: () => Promise<void>): Promise<void> {
    await this.slots.acquire();
    const p: Promise<void> = task()
      .catch((e: Error) => {
        this.failure ??= e;
      })
      .finally(() => {
        this.slots.release();
        this.inflight.delete(p);
      });
    this.inflight.add(p);
  }

  /** Waits for everything in flight; throws the first failure. */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    if (this.failure) throw this.failure;
  }

  /** Closes pooled connections. */
  close(): void {
    for (const list of this.idle.values()) for (const c of list.splice(0)) c.close();
  }

  private async withConnection<T>(node: Endpoint, fn: (c: WireConnection) => Promise<T>): Promise<T> {
    const key = endpointKey(node);
    let pool = this.idle.get(key);
    if (!pool) this.idle.set(key, (pool = []));
    const conn = pool.pop() ?? (await WireConnection.open(node.host, node.port, undefined, node.tlsName).catch((e: Error) => {
      throw new TransientError(`connect to ${key} failed: ${e.message}`);
    }));
    const limitMs = this.o.totalTimeoutMs > 0 ? this.o.totalTimeoutMs : this.o.socketTimeoutMs;
    let timedOut = false;
    // the connection has no timeouts of its own: closing it makes the pending request fail
    const timer = limitMs > 0 ? setTimeout(() => ((timedOut = true), conn.close()), limitMs) : undefined;
    try {
      const r = await fn(conn);
      pool.push(conn);
      return r;
    } catch (e) {
      conn.close();
      if (timedOut) throw new TransientError(`request timed out after ${limitMs} ms`);
      if (e instanceof TransientError) throw e;
      throw new TransientError((e as Error).message);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Counts a record's result; returns true when it should be retried. Throws for fatal codes. */
  private account(code: number): boolean {
    switch (code) {
      case ResultCode.OK:
        this.counters.inserted++;
        return false;
      case ResultCode.GENERATION:
        this.counters.fresher++;
        return false;
      case ResultCode.RECORD_EXISTS:
        this.counters.existed++;
        return false;
    }
    if (RECORD_ERRORS.has(code)) {
      // err_ignored counts only what --ignore-record-error told us to skip; otherwise it is a failure
      if (!this.o.ignoreRecordError) throw new Error(`Error while storing record - code ${code}`);
      this.counters.ignored++;
      return false;
    }
    if (TRANSIENT.has(code)) return true;
    if (code === ResultCode.BATCH_DISABLED) throw new Error('Batch writes appear to be disabled, turn them off by passing --disable-batch-writes to asrestore');
    throw new Error(`Error while storing record - code ${code}`);
  }

  private async writeBatch(records: WriteRecord[]): Promise<void> {
    let pending = records;
    for (let attempt = 0; ; attempt++) {
      if (this.failure) return;
      const outcomes = await Promise.all(this.byNode(pending).map(([node, recs]) => this.writeNodeBatch(node, recs)));
      const retry = outcomes.flatMap((o) => o.retry);
      if (retry.length === 0) return;
      if (attempt >= this.o.maxRetries) throw new Error(`Error while storing records: ${retry.length} record(s) still failing after ${this.o.maxRetries} retries`);
      this.counters.retries++;
      pending = retry;
      await sleep(Math.min(1000, 10 * 2 ** attempt));
      if (outcomes.some((o) => o.reroute)) await this.o.router.refresh();
    }
  }

  private tally(node: Endpoint): void {
    const key = endpointKey(node);
    this.insertedPerNode.set(key, (this.insertedPerNode.get(key) ?? 0) + 1);
  }

  /** Groups records by the node they are written to. */
  private byNode(records: WriteRecord[]): [Endpoint, WriteRecord[]][] {
    const groups = new Map<string, [Endpoint, WriteRecord[]]>();
    for (const r of records) {
      const node = this.o.router.nodeFor(r);
      const key = endpointKey(node);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = [node, []]));
      g[1].push(r);
    }
    return [...groups.values()];
  }

  /** One batch request to one node: counts the rows' results and says what to send again. */
  private async writeNodeBatch(node: Endpoint, records: WriteRecord[]): Promise<NodeOutcome> {
    // results are gathered first and judged after: a throw inside the socket callback would escape
    const results = new Map<number, number>();
    const retry: WriteRecord[] = [];
    let batchCode = 0;
    try {
      batchCode = await this.withConnection(node, (c) =>
        c.stream(encodeBatchWrite(records, this.o.policy, this.o.totalTimeoutMs), (body, offset) => {
          const { index, resultCode } = batchRowResult(body, offset);
          if (index < records.length && !results.has(index)) results.set(index, resultCode);
        }),
      );
    } catch (e) {
      if (!(e instanceof TransientError)) throw e;
      batchCode = ResultCode.TIMEOUT;
    }
    let reroute = ROUTING.has(batchCode);
    for (const [index, code] of results) {
      if (code === ResultCode.OK) this.tally(node);
      if (!this.account(code)) continue;
      retry.push(records[index]!);
      if (ROUTING.has(code)) reroute = true;
    }
    if (batchCode !== 0 && !TRANSIENT.has(batchCode)) {
      if (batchCode === ResultCode.BATCH_DISABLED) this.account(batchCode);
      throw new Error(`Error while storing a batch of records - code ${batchCode}`);
    }
    // rows without an answer (a failed request) go again with the transient ones
    records.forEach((r, i) => {
      if (!results.has(i)) retry.push(r);
    });
    return { retry, reroute };
  }

  private async writeOne(r: WriteRecord): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.failure) return;
      const node = this.o.router.nodeFor(r);
      let code: number;
      try {
        const body = await this.withConnection(node, (c) => c.request(encodeRecordPut(r, this.o.policy, this.o.totalTimeoutMs)));
        code = body[5]!;
      } catch (e) {
        if (!(e instanceof TransientError)) throw e;
        code = ResultCode.TIMEOUT;
      }
      if (code === ResultCode.OK) this.tally(node);
      if (!this.account(code)) return;
      if (attempt >= this.o.maxRetries) throw new Error(`Error while storing record - code ${code} after ${this.o.maxRetries} retries`);
      this.counters.retries++;
      await sleep(Math.min(1000, 10 * 2 ** attempt));
      if (ROUTING.has(code)) await this.o.router.refresh();
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
