/**
 * Mesh heartbeats over TCP: the `Transport<Heartbeat>` the membership state machine runs on in a
 * real process. Each heartbeat also carries the sender's endpoints (heartbeat, fabric, service)
 * and the endpoints it knows of other nodes, so a node seeded with one peer learns how to reach
 * every member (Aerospike's mesh heartbeats carry the same endpoint lists).
 *
 * Payload: u32 heartbeat length | heartbeat bytes (heartbeat.ts) | JSON endpoint book
 */
import { decodeHeartbeat, encodeHeartbeat, type Heartbeat } from '../heartbeat.js';
import type { Transport } from '../transport.js';
import { formatNodeId, parseNodeId, type NodeId } from '../node-id.js';
import type { MessageLink } from './peer-net.js';
import type { Clock } from '../../util/clock.js';

export const HEARTBEAT_MESSAGE = 1;
/** u64 node id | u64 incarnation: the sender is shutting down */
export const DEPARTURE_MESSAGE = 2;
/** Endpoint lists beyond this many nodes are cut (a cluster holds at most 256). */
const MAX_BOOK_ENTRIES = 512;

export interface NodeEndpoints {
  /** "host:port" of each listener */
  heartbeat: string;
  fabric: string;
  service: string;
  /** the TLS service endpoint ("host:port") and the TLS name it presents, when the node has one */
  tls?: string | undefined;
  tlsName?: string | undefined;
  /** the alternate TLS service endpoint (tls-alternate-access-*), when configured */
  tlsAlt?: string | undefined;
}

/** Where each known node listens. */
export class AddressBook {
  private readonly byNode = new Map<NodeId, NodeEndpoints>();
  /** bumped when an entry changes (peers-generation follows it) */
  version = 0;

  get(id: NodeId): NodeEndpoints | undefined {
    return this.byNode.get(id);
  }

  set(id: NodeId, ep: NodeEndpoints): void {
    const old = this.byNode.get(id);
    if (old && old.heartbeat === ep.heartbeat && old.fabric === ep.fabric && old.service === ep.service && old.tls === ep.tls && old.tlsName === ep.tlsName && old.tlsAlt === ep.tlsAlt) return;
    if (!old && this.byNode.size >= MAX_BOOK_ENTRIES) return;
    this.byNode.set(id, ep);
    this.version++;
  }

  has(id: NodeId): boolean {
    return this.byNode.has(id);
  }

  knowsHeartbeatAddress(address: string): boolean {
    for (const ep of this.byNode.values()) if (ep.heartbeat === address) return true;
    return false;
  }

  entries(): [NodeId, NodeEndpoints][] {
    return [...this.byNode.entries()];
  }
}

export class HeartbeatTransport implements Transport<Heartbeat> {
  private cb: ((from: NodeId, msg: Heartbeat) => void) | undefined;
  private readonly lastHeardMs = new Map<NodeId, number>();
  private readonly lastResetMs = new Map<NodeId, number>();

  constructor(
    readonly self: NodeId,
    private readonly net: MessageLink,
    private readonly seeds: readonly string[],
    private readonly mine: NodeEndpoints,
    readonly book: AddressBook,
    /** a peer unheard this long gets its connection re-established (a cut link never errors) */
    private readonly silenceResetMs: number,
    private readonly clock: Clock,
  ) {}

  onMessage(cb: (from: NodeId, msg: Heartbeat) => void): void {
    this.cb = cb;
  }

  send(to: NodeId, hb: Heartbeat): void {
    const ep = this.book.get(to);
    if (!ep) return;
    const now = this.clock.nowMs();
    const heard = this.lastHeardMs.get(to) ?? 0;
    if (now - heard > this.silenceResetMs && now - (this.lastResetMs.get(to) ?? 0) > this.silenceResetMs) {
      this.lastResetMs.set(to, now);
      this.net.resetLink(ep.heartbeat);
    }
    this.net.send(ep.heartbeat, HEARTBEAT_MESSAGE, this.encode(hb));
  }

  sendToUnresolved(hb: Heartbeat): void {
    let payload: Buffer | undefined;
    for (const seed of this.seeds) {
      if (seed === this.mine.heartbeat || this.book.knowsHeartbeatAddress(seed)) continue;
      payload ??= this.encode(hb);
      this.net.send(seed, HEARTBEAT_MESSAGE, payload);
    }
  }

  /** Tells every known peer this node is leaving (graceful shutdown). */
  announceDeparture(incarnation: number): void {
    const payload = Buffer.alloc(16);
    payload.writeBigUInt64BE(this.self, 0);
    payload.writeBigUInt64BE(BigInt(incarnation), 8);
    for (const [, ep] of this.book.entries()) this.net.send(ep.heartbeat, DEPARTURE_MESSAGE, payload);
  }

  /** Decodes a departure notice; undefined when malformed. */
  static decodeDeparture(payload: Buffer): { id: NodeId; incarnation: number } | undefined {
    if (payload.length !== 16) return undefined;
    const incarnation = payload.readBigUInt64BE(8);
    if (incarnation > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    return { id: payload.readBigUInt64BE(0), incarnation: Number(incarnation) };
  }

  /** Feeds one received heartbeat frame; malformed ones are dropped (counted by the caller). */
  receive(payload: Buffer): boolean {
    let hb: Heartbeat;
    let book: { ep: NodeEndpoints; peers: string[][] };
    try {
      const n = payload.readUInt32BE(0);
      hb = decodeHeartbeat(payload.subarray(4, 4 + n));
      book = JSON.parse(payload.toString('utf8', 4 + n)) as typeof book;
      if (!isEndpoints(book.ep) || !Array.isArray(book.peers)) return false;
    } catch {
      return false;
    }
    if (hb.nodeId === this.self) return true;
    this.lastHeardMs.set(hb.nodeId, this.clock.nowMs());
    this.book.set(hb.nodeId, book.ep);
    for (const p of book.peers.slice(0, MAX_BOOK_ENTRIES)) {
      // [id, heartbeat, fabric, service] and, for a node with a TLS service port, [tls, tls name]
      // and, with a tls-alternate-access address or port, [alternate TLS endpoint]
      if (!Array.isArray(p) || (p.length !== 4 && p.length !== 6 && p.length !== 7) || !p.every((x) => typeof x === 'string')) continue;
      let id: NodeId;
      try {
        id = parseNodeId(p[0]);
      } catch {
        continue;
      }
      if (id !== this.self && !this.book.has(id)) {
        this.book.set(id, { heartbeat: p[1]!, fabric: p[2]!, service: p[3]!, ...(p.length >= 6 ? { tls: p[4]!, tlsName: p[5]! } : {}), ...(p.length === 7 ? { tlsAlt: p[6]! } : {}) });
      }
    }
    this.cb?.(hb.nodeId, hb);
    return true;
  }

  private encode(hb: Heartbeat): Buffer {
    const bytes = encodeHeartbeat(hb);
    const peers = this.book
      .entries()
      .map(([id, ep]) => [formatNodeId(id), ep.heartbeat, ep.fabric, ep.service, ...(ep.tls !== undefined ? [ep.tls, ep.tlsName ?? '', ...(ep.tlsAlt !== undefined ? [ep.tlsAlt] : [])] : [])]);
    const json = Buffer.from(JSON.stringify({ ep: this.mine, peers }));
    const out = Buffer.allocUnsafe(4 + bytes.length + json.length);
    out.writeUInt32BE(bytes.length, 0);
    out.set(bytes, 4);
    json.copy(out, 4 + bytes.length);
    return out;
  }
}

function isEndpoints(x: unknown): x is NodeEndpoints {
  const e = x as NodeEndpoints;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.heartbeat === 'string' &&
    typeof e.fabric === 'string' &&
    typeof e.service === 'string' &&
    (e.tls === undefined || typeof e.tls === 'string') &&
    (e.tlsName === undefined || typeof e.tlsName === 'string') &&
    (e.tlsAlt === undefined || typeof e.tlsAlt === 'string')
  );
}
