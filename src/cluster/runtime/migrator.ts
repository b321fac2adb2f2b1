/**
 * The sending side of migrations: streams a partition's records to the receiving node in batches
 * (each acknowledged before the next, so a slow receiver throttles the sender), then signals the
 * end. At most `concurrency` (migrate-threads) partitions move at once; `migrate-sleep` pauses
 * after each record; a receiver at its migrate-max-num-incoming answers "busy" and is retried.
 * A cluster change aborts everything in flight: the next plan starts over from versions.
 */
import { migrationId, type Migration } from '../migration-plan.js';
import type { NodeId } from '../node-id.js';
import type { MessageLink } from '../net/peer-net.js';
import type { ClusterClock, TimerHandle } from '../clock.js';
import { encodeMigration, FabricType } from './fabric-messages.js';

export interface MigrationData {
  /** the partition's live records, shipped form, read as the iteration reaches them */
  partitionRecords(namespace: string, pid: number): Iterable<Buffer>;
  /** merges migrated records (conflict resolution decides); returns how many were read */
  applyMigratedRecords(namespace: string, packed: Buffer): number;
  /** removes this node's copy of a partition */
  dropPartition(namespace: string, pid: number): void;
  /** microseconds to pause per record sent (migrate-sleep) */
  migrateSleepUs(namespace: string): number;
  /** packs shipped records into one message body */
  pack(records: Buffer[]): Buffer;
}

interface SenderHooks {
  concurrency(): number;
  fabricAddress(node: NodeId): string | undefined;
  /** the key migrations run under; 0n while none (a change is being exchanged) */
  currentKey(): bigint;
  onSent(namespace: string, m: Migration): void;
  onRecordsSent(namespace: string, n: number): void;
  log: { warning(msg: string): void };
}

interface Task {
  ns: string;
  m: Migration;
  notBefore: number;
}

const BATCH_MAX_BYTES = 1024 * 1024;
const BATCH_MAX_RECORDS = 1000;
const REQUEST_TIMEOUT_MS = 10_000;
const RETRY_DELAY_MS = 50;
const MAX_ATTEMPTS = 200;

export class MigrationSender {
  private queue: Task[] = [];
  private readonly queued = new Set<string>();
  /** migrations sent under the current key: a merge stays runnable until its receiver's COMPLETE arrives */
  private readonly sent = new Set<string>();
  private active = 0;
  private epoch = 0;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly fabric: MessageLink,
    private readonly data: MigrationData,
    private readonly hooks: SenderHooks,
    private readonly clock: ClusterClock,
  ) {}

  enqueue(ns: string, m: Migration, delayMs: number): void {
    const id = `${ns}/${migrationId(m)}`;
    if (this.queued.has(id) || this.sent.has(id)) return;
    this.queued.add(id);
    this.queue.push({ ns, m, notBefore: this.clock.nowMs() + delayMs });
    this.pump();
  }

  /** Forgets everything queued or running (a new cluster key). */
  abortAll(): void {
    this.epoch++;
    this.queue = [];
    this.queued.clear();
    this.sent.clear();
  }

  stop(): void {
    this.stopped = true;
    this.abortAll();
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
  }

  get activeCount(): number {
    return this.active;
  }

  private pump(): void {
    if (this.stopped) return;
    const now = this.clock.nowMs();
    while (this.active < this.hooks.concurrency()) {
      const i = this.queue.findIndex((t) => t.notBefore <= now);
      if (i < 0) break;
      const task = this.queue.splice(i, 1)[0]!;
      this.active++;
      const epoch = this.epoch;
      void this.run(task, epoch).then((retry) => {
        this.active--;
        if (epoch === this.epoch) this.queued.delete(`${task.ns}/${migrationId(task.m)}`);
        // a failure that was not a cluster change is retried later under the same plan
        if (retry && epoch === this.epoch) this.enqueue(task.ns, task.m, 1000);
        this.pump();
      });
    }
    if (this.queue.length > 0 && this.timer === undefined) {
      const next = Math.max(10, Math.min(...this.queue.map((t) => t.notBefore)) - now);
      this.timer = this.clock.setTimer(next, () => {
        this.timer = undefined;
        this.pump();
      });
    }
  }

  /** Returns true when the migration failed and should be retried. */
  private async run(task: Task, epoch: number): Promise<boolean> {
    const key = this.hooks.currentKey();
    const alive = () => !this.stopped && epoch === this.epoch && this.hooks.currentKey() === key && key !== 0n;
    const address = this.hooks.fabricAddress(task.m.to);
    if (!address || !alive()) return false;
    const sleepUs = this.data.migrateSleepUs(task.ns);
    try {
      let batch: Buffer[] = [];
      let bytes = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const body = encodeMigration(key, task.ns, task.m, this.data.pack(batch));
        const n = batch.length;
        batch = [];
        bytes = 0;
        await this.send(FabricType.MIGRATE_BATCH, address, body, alive);
        this.hooks.onRecordsSent(task.ns, n);
        if (sleepUs > 0) await this.sleep((n * sleepUs) / 1000);
      };
      for (const rec of this.data.partitionRecords(task.ns, task.m.pid)) {
        if (!alive()) return false;
        batch.push(rec);
        bytes += rec.length;
        if (bytes >= BATCH_MAX_BYTES || batch.length >= BATCH_MAX_RECORDS) await flush();
      }
      await flush();
      await this.send(FabricType.MIGRATE_DONE, address, encodeMigration(key, task.ns, task.m), alive);
      if (alive()) {
        this.sent.add(`${task.ns}/${migrationId(task.m)}`);
        this.hooks.onSent(task.ns, task.m);
      }
      return false;
    } catch (e) {
      if (!alive()) return false;
      this.hooks.log.warning(`{${task.ns}} migration ${migrationId(task.m)} failed: ${(e as Error).message}`);
      return true;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => this.clock.setTimer(ms, r));
  }

  /** Sends one request, retrying while the receiver is busy or not ready yet. */
  private async send(type: number, address: string, body: Buffer, alive: () => boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (!alive()) throw new Error('aborted by a cluster change');
      try {
        await this.fabric.request(address, type, body, REQUEST_TIMEOUT_MS);
        return;
      } catch (e) {
        if (attempt >= MAX_ATTEMPTS || !alive()) throw e;
        await this.sleep(RETRY_DELAY_MS);
      }
    }
  }
}
