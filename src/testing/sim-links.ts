/**
 * In-process `MessageLink`s on a `SimClock`: what the TCP heartbeat and fabric sockets are to a
 * real node, for the runtime simulator. Messages between two hosts keep their order (one TCP
 * connection each way) and take a seeded random delay; a network partition loses what crosses it,
 * checked when a message leaves and again when it would arrive; a request whose answer never
 * comes times out on the simulated clock. Every random choice comes from the given Prng.
 */
import type { SimClock } from './sim-clock.js';
import type { Prng } from './prng.js';
import { PeerRequestError, type MessageHandler, type MessageLink, type MessageLinkFactory } from '../cluster/net/peer-net.js';

export interface SimLinkOptions {
  delayMinMs: number;
  delayMaxMs: number;
  /**
   * chance (0..1) that a one-way message is lost on a reachable link: what PeerNet does to the
   * one-way frames queued on a connection whose connect times out or that breaks (requests fail
   * instead, and their callers retry); default 0
   */
  oneWayLossRate?: number;
}

export class SimLinkNetwork {
  private readonly endpoints = new Map<string, SimLink>();
  /** partition group per host; hosts not listed share group -1 */
  private groups = new Map<string, number>();
  /** endpoints whose incoming messages are lost (see block) */
  private readonly blocked = new Set<string>();
  /** when the last message from one host to another arrives (keeps each direction FIFO) */
  private readonly lastArrival = new Map<string, number>();
  stats = { sent: 0, delivered: 0, lost: 0 };

  constructor(
    readonly clock: SimClock,
    private readonly prng: Prng,
    private readonly opts: SimLinkOptions = { delayMinMs: 0.2, delayMaxMs: 2 },
  ) {}

  /** The link factory of the node on `host`. */
  factory(host: string): MessageLinkFactory {
    return (_purpose, handler) => new SimLink(this, host, handler);
  }

  /** Splits the hosts into groups that cannot reach each other. */
  partition(groups: readonly (readonly string[])[]): void {
    this.groups = new Map();
    groups.forEach((g, i) => g.forEach((h) => this.groups.set(h, i)));
  }

  heal(): void {
    this.groups = new Map();
  }

  reachable(a: string, b: string): boolean {
    return (this.groups.get(a) ?? -1) === (this.groups.get(b) ?? -1);
  }

  /**
   * Loses every message to one endpoint (`host:port`, e.g. a node's fabric port) until
   * `unblock`, while the host's other ports (its heartbeats) still get through: a member that
   * stays in the cluster but whose fabric messages are dropped.
   */
  block(address: string): void {
    this.blocked.add(address);
  }

  unblock(address: string): void {
    this.blocked.delete(address);
  }

  /** @internal Draws whether the next one-way message is lost (see SimLinkOptions.oneWayLossRate). */
  losesOneWay(): boolean {
    const rate = this.opts.oneWayLossRate ?? 0;
    if (rate <= 0 || this.prng.nextFloat() >= rate) return false;
    this.stats.sent++;
    this.stats.lost++;
    return true;
  }

  /** @internal */
  register(address: string, link: SimLink): void {
    if (this.endpoints.has(address)) throw new Error(`address ${address} in use`);
    this.endpoints.set(address, link);
  }

  /** @internal */
  unregister(address: string, link: SimLink): void {
    if (this.endpoints.get(address) === link) this.endpoints.delete(address);
  }

  /**
   * @internal Carries `deliver` from `fromHost` to the endpoint at `address` after a delay;
   * `lost` runs instead when it cannot arrive.
   */
  carry(fromHost: string, address: string, deliver: (to: SimLink) => void, lost: () => void): void {
    this.stats.sent++;
    const toHost = hostOf(address);
    if (!this.reachable(fromHost, toHost) || !this.endpoints.has(address) || this.blocked.has(address)) {
      this.stats.lost++;
      return lost();
    }
    const pair = `${fromHost}>${toHost}`;
    const delay = this.opts.delayMinMs + this.prng.nextFloat() * (this.opts.delayMaxMs - this.opts.delayMinMs);
    const at = Math.max(this.clock.nowMs() + delay, this.lastArrival.get(pair) ?? 0);
    this.lastArrival.set(pair, at);
    const target = this.endpoints.get(address)!;
    this.clock.setTimer(at - this.clock.nowMs(), () => {
      // a cut made while in flight, or a restart of the receiver, loses the message
      if (!this.reachable(fromHost, toHost) || this.endpoints.get(address) !== target || this.blocked.has(address)) {
        this.stats.lost++;
        return lost();
      }
      this.stats.delivered++;
      deliver(target);
    });
  }
}

class SimLink implements MessageLink {
  private address: string | undefined;
  private closed = false;

  constructor(
    private readonly net: SimLinkNetwork,
    private readonly host: string,
    private readonly handler: MessageHandler,
  ) {}

  listen(host: string, port: number): Promise<number> {
    if (host !== this.host) throw new Error(`a node on ${this.host} cannot listen on ${host}`);
    this.address = `${host}:${port}`;
    this.net.register(this.address, this);
    return Promise.resolve(port);
  }

  send(address: string, type: number, payload: Buffer): void {
    if (this.closed) return;
    const copy = Buffer.from(payload);
    if (this.net.losesOneWay()) return;
    this.net.carry(this.host, address, (to) => to.handle(type, copy), () => undefined);
  }

  request(address: string, type: number, payload: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.closed) return Promise.reject(new PeerRequestError('closed'));
    const copy = Buffer.from(payload);
    return new Promise<Buffer>((resolve, reject) => {
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        this.net.clock.clearTimer(timer);
        f();
      };
      const timer = this.net.clock.setTimer(timeoutMs, () => settle(() => reject(new PeerRequestError(`request to ${address} timed out`))));
      this.net.carry(
        this.host,
        address,
        (to) => {
          const answer = (ok: boolean, body: Buffer) =>
            this.net.carry(
              hostOf(address),
              this.address ?? `${this.host}:0`,
              () => settle(() => (ok ? resolve(body) : reject(new PeerRequestError(body.toString())))),
              () => undefined,
            );
          to.handleRequest(type, copy, answer);
        },
        () => undefined,
      );
    });
  }

  resetLink(): void {
    // simulated links have no connection state to reset
  }

  close(): Promise<void> {
    this.closed = true;
    if (this.address) this.net.unregister(this.address, this);
    return Promise.resolve();
  }

  /** @internal */
  handle(type: number, payload: Buffer): void {
    if (this.closed) return;
    try {
      const r = this.handler(type, payload, this.host);
      if (r instanceof Promise) r.catch(() => undefined);
    } catch {
      // a one-way message that fails is simply dropped, as on a real socket
    }
  }

  /** @internal */
  handleRequest(type: number, payload: Buffer, answer: (ok: boolean, body: Buffer) => void): void {
    if (this.closed) return;
    const fail = (e: unknown) => answer(false, Buffer.from(e instanceof Error ? e.message : String(e)));
    try {
      const r = this.handler(type, payload, this.host);
      if (r instanceof Promise) r.then((b) => answer(true, b ?? Buffer.alloc(0)), fail);
      else answer(true, r ?? Buffer.alloc(0));
    } catch (e) {
      fail(e);
    }
  }
}

function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}
