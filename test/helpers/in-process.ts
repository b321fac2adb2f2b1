/**
 * A node in the test's own process, driven by encoded request frames: the node, its dispatcher and
 * its connections as `strato` assembles them (server/start.ts `assembleNode`), a manual clock, and
 * in-process sockets instead of a listening port. A test writes frames to a connection and reads
 * back exactly what the node wrote, and whether it closed the connection, as soon as the node has
 * finished with them: no port, no process start, no waiting out a timeout to see that nothing came.
 *
 * For tests of request behaviour (what a frame is answered with, when a connection is closed). The
 * official client, and what only a process shows (signals, ports, logs, restarts), stay on real
 * processes (`startStrato`). One node per test file: info commands and engines are registered
 * process-wide, as in a `strato` process.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleNode, type AssembledNode } from '../../src/server/start.js';
import { loadStratoConfig } from '../../src/server/node-config.js';
import type { ClientConnection } from '../../src/server/connection.js';
import type { StratoNode } from '../../src/server/node.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { OffsetClock, systemClock, type Clock } from '../../src/util/clock.js';
import { logger } from '../../src/util/log.js';
import { trackResource, trackTempDir } from './cleanup.js';
import { infoFrame } from './raw-client.js';

/** Longest a connection may take to finish with what it was sent (real time; a test fails past it). */
export const SETTLE_TIMEOUT_MS = 10_000;

/**
 * The node's side of an in-process connection: what `ClientConnection` uses of a `net.Socket`.
 * Bytes the node writes go to the client's buffer; the client's bytes arrive as 'data' events.
 */
class InProcessSocket extends EventEmitter {
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort: number;
  readonly writableNeedDrain = false;
  readonly writableLength = 0;
  destroyed = false;
  private paused = false;
  private held: Buffer[] = [];

  constructor(
    remotePort: number,
    private readonly toClient: (b: Buffer) => void,
  ) {
    super();
    this.remotePort = remotePort;
  }

  setNoDelay(): this {
    return this;
  }
  cork(): void {}
  uncork(): void {}

  write(data: Buffer, cb?: () => void): boolean {
    if (!this.destroyed) this.toClient(Buffer.from(data));
    // a socket calls back once the bytes are handed to the kernel: never synchronously
    if (cb) process.nextTick(cb);
    return true;
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const b of held) if (!this.destroyed) this.emit('data', b);
    return this;
  }

  /** The client's bytes arriving (held while the node has paused reading). */
  deliver(b: Buffer): void {
    if (this.destroyed) return;
    if (this.paused) this.held.push(b);
    else this.emit('data', b);
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    process.nextTick(() => this.emit('close', false));
    return this;
  }
}

/** A client's end of an in-process connection. */
export class InProcessConnection {
  private chunks: Buffer[] = [];
  private readonly socket: InProcessSocket;
  private readonly conn: ClientConnection | undefined;

  constructor(owner: InProcessNode, port: number) {
    this.socket = new InProcessSocket(port, (b) => this.chunks.push(b));
    this.conn = owner.assembled.service.accept(this.socket as unknown as Socket);
  }

  /** True once the node closed (or refused) the connection, or the client closed it. */
  get closed(): boolean {
    return this.socket.destroyed;
  }

  /** Sends bytes as the client would (they may hold part of a frame, or several). */
  write(bytes: Buffer): void {
    this.socket.deliver(bytes);
  }

  /**
   * Resolves once the node has finished with everything sent so far: no stream answer in
   * progress and the event loop drained of the work it queued. Throws past SETTLE_TIMEOUT_MS.
   */
  async settle(): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      // write callbacks and the close event come on the next ticks: give them turns
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      if (this.closed || !this.conn || !this.conn.answering) return;
      if (Date.now() > deadline) throw new Error(`in-process connection did not settle within ${SETTLE_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Takes what the node wrote since the last call. */
  take(): Buffer {
    const b = Buffer.concat(this.chunks);
    this.chunks = [];
    return b;
  }

  /** Sends `bytes`, settles, and returns what the node wrote and whether it closed the connection. */
  async exchange(bytes: Buffer): Promise<{ received: Buffer; closed: boolean }> {
    this.write(bytes);
    await this.settle();
    return { received: this.take(), closed: this.closed };
  }

  /** Closes the connection from the client's side. */
  close(): void {
    if (this.socket.destroyed) return;
    this.socket.destroy();
  }
}

export interface InProcessOptions {
  /** aerospike.conf text (`${DIR}` is the node's temporary directory); default: the built-in default config */
  config?: string;
  /**
   * 'manual' (default): the node's clock stands still until the test moves it ({@link InProcessNode.advance});
   * 'running': it follows real time and `advance` moves it ahead (records written one after the
   * other get distinct last-update times, as in a process)
   */
  clock?: 'manual' | 'running';
  /** where a manual clock starts, ms since the epoch (default: now) */
  startMs?: number;
  /** log lines to stderr (default: critical only, so a test's output stays its own) */
  logLevel?: 'critical' | 'warning' | 'info';
}

/** A node in this process (see the file comment). Stop it in `after`/`finally`. */
export class InProcessNode {
  private readonly connections = new Set<InProcessConnection>();
  private nextPort = 40000;
  private stopped = false;
  private untrack: () => void = () => {};

  private constructor(
    readonly assembled: AssembledNode,
    readonly clock: ManualClock | OffsetClock,
    readonly dir: string,
  ) {}

  /** Moves the node's clock `ms` ahead (record TTLs, void times, truncation and NSUP follow it). */
  advance(ms: number): void {
    if (this.clock instanceof ManualClock) this.clock.advanceMs(ms);
    else this.clock.offsetMs += ms;
  }

  /** The node's time, ms since the epoch. */
  nowMs(): number {
    return (this.clock as Clock).nowMs();
  }

  get node(): StratoNode {
    return this.assembled.node;
  }

  static async start(opts: InProcessOptions = {}): Promise<InProcessNode> {
    // removed by stop(), or when the file's process exits if a test never got there
    const dir = trackTempDir(mkdtempSync(join(tmpdir(), 'strato-inproc-')));
    try {
      let file: string | undefined;
      if (opts.config !== undefined) {
        file = join(dir, 'strato.conf');
        writeFileSync(file, opts.config.replaceAll('${DIR}', dir));
      }
      const config = loadStratoConfig(file);
      // system metadata (UDF modules, index definitions) goes to the test's directory
      config.raw.service.workDirectory = dir;
      logger.setSinks([{ target: 'console', levels: { any: opts.logLevel ?? 'critical' } }]);
      const clock = opts.clock === 'running' ? new OffsetClock(systemClock) : new ManualClock(opts.startMs ?? Date.now());
      const assembled = await assembleNode(config, clock, logger.context('as', 'in-process.ts'));
      const n = new InProcessNode(assembled, clock, dir);
      n.untrack = trackResource(`in-process node in ${dir}`, () => n.stop());
      return n;
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Opens a client connection (as if accepted on the service port). */
  connect(): InProcessConnection {
    const c = new InProcessConnection(this, this.nextPort++);
    this.connections.add(c);
    return c;
  }

  /** Sends `bytes` on a fresh connection, then closes it: what came back and whether the node closed it. */
  async exchange(bytes: Buffer): Promise<{ received: Buffer; closed: boolean }> {
    const c = this.connect();
    try {
      return await c.exchange(bytes);
    } finally {
      c.close();
      this.connections.delete(c);
    }
  }

  /** Runs info commands on a fresh connection; the answer's text (`name\tvalue` lines). */
  async info(...commands: string[]): Promise<string> {
    const r = await this.exchange(infoFrame(commands));
    return r.received.subarray(8).toString('utf8');
  }

  /** Closes every connection, the namespaces' storage and the UDF runtime, and removes the directory. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.untrack();
    for (const c of this.connections) c.close();
    await this.assembled.service.close(1000);
    for (const ns of this.assembled.node.namespaces.values()) await ns.storage.close();
    this.assembled.udf.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
