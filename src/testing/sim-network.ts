/**
 * A simulated network for membership: `SimNetwork` implements the cluster's `Transport`
 * (cluster/transport.ts) inside one process on a `SimClock`, with seeded faults (loss, delay,
 * duplication, reordering) and network partitions.
 */
import type { SimClock } from './sim-clock.js';
import type { NodeId } from '../cluster/node-id.js';
import type { Transport } from '../cluster/transport.js';
import type { Prng } from './prng.js';

/** Optional byte codec: when given, SimNetwork round-trips every message through it. */
export interface MessageCodec<M> {
  encode(msg: M): Uint8Array;
  decode(bytes: Uint8Array): M;
}

/** Fault model of one directed link. Probabilities are per message. */
export interface LinkFaults {
  /** one-way latency is uniform in [delayMinMs, delayMaxMs] */
  delayMinMs: number;
  delayMaxMs: number;
  dropRate: number;
  /** chance a message is delivered twice (the copy gets its own delay) */
  duplicateRate: number;
  /** chance a message is held back by up to `reorderMaxMs` extra, overtaking later ones */
  reorderRate: number;
  reorderMaxMs: number;
}

export const PERFECT_LINK: Readonly<LinkFaults> = Object.freeze({
  delayMinMs: 1,
  delayMaxMs: 1,
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  reorderMaxMs: 0,
});

/** Counters for reports and tests. */
export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  /** lost because a partition or a cut link separated the nodes, or the target was down */
  unreachable: number;
}

/** Upper bound on messages in flight, so a runaway sender fails loudly instead of eating memory. */
export const SIM_MAX_IN_FLIGHT = 1_000_000;

/**
 * An in-process network on a SimClock. Every random choice comes from the given Prng, so a seed
 * replays the same drops, delays and duplicates.
 *
 * Reachability is checked when a message is sent and again when it would be delivered: a
 * partition started while a message is in flight loses it, and a message addressed to a node
 * that crashed (detached) after the send is lost even if the node has restarted since — a new
 * process never sees its predecessor's TCP traffic.
 */
export class SimNetwork<M> {
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, unreachable: 0 };
  private defaults: LinkFaults;
  private readonly linkFaults = new Map<string, LinkFaults>();
  private readonly endpoints = new Map<NodeId, SimEndpoint<M>>();
  /** partition group of each node; nodes absent from the map share the implicit group -1 */
  private groups = new Map<NodeId, number>();
  private readonly cutLinks = new Set<string>();
  private inFlight = 0;
  private nextIncarnation = 1;
  /** a node sends one message object to all its peers in a row: encode it once */
  private lastEncoded: { msg: M; bytes: Uint8Array } | undefined;

  constructor(
    private readonly clock: SimClock,
    private readonly prng: Prng,
    defaults: Partial<LinkFaults> = {},
    private readonly codec?: MessageCodec<M>,
  ) {
    this.defaults = checkFaults({ ...PERFECT_LINK, ...defaults });
  }

  /** Connects a node (a boot or a restart) and returns its transport. */
  attach(id: NodeId): Transport<M> {
    if (this.endpoints.has(id)) throw new Error(`node ${id.toString(16)} is already attached`);
    const ep = new SimEndpoint<M>(this, id, this.nextIncarnation++);
    this.endpoints.set(id, ep);
    return ep;
  }

  /** Disconnects a node (a crash): its pending inbound messages are lost. */
  detach(id: NodeId): void {
    this.endpoints.delete(id);
  }

  isAttached(id: NodeId): boolean {
    return this.endpoints.has(id);
  }

  /** Replaces the default fault model for every link without its own. */
  setDefaultFaults(faults: Partial<LinkFaults>): void {
    this.defaults = checkFaults({ ...this.defaults, ...faults });
  }

  /** Sets the fault model of the directed link from → to. */
  setLinkFaults(from: NodeId, to: NodeId, faults: Partial<LinkFaults>): void {
    this.linkFaults.set(linkKey(from, to), checkFaults({ ...this.faultsOf(from, to), ...faults }));
  }

  /**
   * Splits the network: nodes in different groups cannot reach each other. Nodes not listed form
   * one more group together. Replaces any earlier partition.
   */
  partition(groups: readonly (readonly NodeId[])[]): void {
    const next = new Map<NodeId, number>();
    groups.forEach((g, i) => {
      for (const id of g) {
        if (next.has(id)) throw new Error(`node ${id.toString(16)} is in two partition groups`);
        next.set(id, i);
      }
    });
    this.groups = next;
  }

  /** Cuts one direction of one link (asymmetric faults); `restoreLink` undoes it. */
  cutLink(from: NodeId, to: NodeId): void {
    this.cutLinks.add(linkKey(from, to));
  }

  restoreLink(from: NodeId, to: NodeId): void {
    this.cutLinks.delete(linkKey(from, to));
  }

  /** Removes every partition and cut link (faults per link stay). */
  heal(): void {
    this.groups = new Map();
    this.cutLinks.clear();
  }

  /** True when a message from → to would currently get through the partitions and cuts. */
  canReach(from: NodeId, to: NodeId): boolean {
    if (this.groups.size > 0 && (this.groups.get(from) ?? -1) !== (this.groups.get(to) ?? -1)) return false;
    return this.cutLinks.size === 0 || !this.cutLinks.has(linkKey(from, to));
  }

  /** @internal called by endpoints */
  send(from: NodeId, to: NodeId, msg: M): void {
    this.stats.sent++;
    if (from === to) throw new Error('a node does not send to itself');
    const target = this.endpoints.get(to);
    if (target === undefined || !this.canReach(from, to)) {
      this.stats.unreachable++;
      return;
    }
    const f = this.faultsOf(from, to);
    if (this.prng.chance(f.dropRate)) {
      this.stats.dropped++;
      return;
    }
    const payload: M | Uint8Array = this.codec ? this.encode(msg) : msg;
    this.schedule(from, to, target.incarnation, payload, f);
    if (this.prng.chance(f.duplicateRate)) {
      this.stats.duplicated++;
      this.schedule(from, to, target.incarnation, payload, f);
    }
  }

  private schedule(from: NodeId, to: NodeId, incarnation: number, payload: M | Uint8Array, f: LinkFaults): void {
    if (this.inFlight >= SIM_MAX_IN_FLIGHT) throw new Error(`SimNetwork: more than ${SIM_MAX_IN_FLIGHT} messages in flight`);
    let delay = f.delayMinMs + this.prng.nextFloat() * (f.delayMaxMs - f.delayMinMs);
    if (this.prng.chance(f.reorderRate)) delay += this.prng.nextFloat() * f.reorderMaxMs;
    this.inFlight++;
    this.clock.setTimer(delay, () => {
      this.inFlight--;
      const target = this.endpoints.get(to);
      if (target === undefined || target.incarnation !== incarnation || !this.canReach(from, to)) {
        this.stats.unreachable++;
        return;
      }
      this.stats.delivered++;
      const msg = this.codec ? this.codec.decode(payload as Uint8Array) : (payload as M);
      target.deliver(from, msg);
    });
  }

  private encode(msg: M): Uint8Array {
    if (this.lastEncoded?.msg !== msg) this.lastEncoded = { msg, bytes: this.codec!.encode(msg) };
    return this.lastEncoded.bytes;
  }

  private faultsOf(from: NodeId, to: NodeId): LinkFaults {
    if (this.linkFaults.size === 0) return this.defaults;
    return this.linkFaults.get(linkKey(from, to)) ?? this.defaults;
  }
}

class SimEndpoint<M> implements Transport<M> {
  private handler: ((from: NodeId, msg: M) => void) | undefined;

  constructor(
    private readonly net: SimNetwork<M>,
    readonly self: NodeId,
    /** distinguishes a restarted node from its previous process */
    readonly incarnation: number,
  ) {}

  send(to: NodeId, msg: M): void {
    this.net.send(this.self, to, msg);
  }

  onMessage(cb: (from: NodeId, msg: M) => void): void {
    this.handler = cb;
  }

  deliver(from: NodeId, msg: M): void {
    this.handler?.(from, msg);
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from.toString(16)}>${to.toString(16)}`;
}

function checkFaults(f: LinkFaults): LinkFaults {
  const prob = (p: number) => p >= 0 && p <= 1;
  if (!(f.delayMinMs >= 0 && f.delayMaxMs >= f.delayMinMs)) throw new RangeError(`bad link delay [${f.delayMinMs}, ${f.delayMaxMs}]`);
  if (!prob(f.dropRate) || !prob(f.duplicateRate) || !prob(f.reorderRate)) throw new RangeError('link fault rates must be in [0, 1]');
  if (!(f.reorderMaxMs >= 0)) throw new RangeError('reorderMaxMs must be ≥ 0');
  return Object.freeze({ ...f });
}
