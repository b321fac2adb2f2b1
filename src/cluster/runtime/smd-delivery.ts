/**
 * System metadata delivered to the other members and acknowledged, as Aerospike's SMD does: each
 * message (a change made on this node, or everything it holds at a new cluster) goes to every
 * other member as a fabric request, the member's answer is its acknowledgement, and a member that
 * has not acknowledged gets it again every SMD_RETRY_MS (Aerospike's principal retransmits to the
 * members whose ack is missing at that same period) until it does, it leaves the cluster (the next
 * cluster's exchange sends it everything), or SMD_RETRY_MAX_ATTEMPTS sends went unanswered.
 * Merging is idempotent (stamps and unions), so a message that arrives twice changes nothing.
 * Clock and link are parameters: the same code runs over TCP and under the simulator.
 */
import type { ClusterClock, TimerHandle } from '../clock.js';
import { formatNodeId, type NodeId } from '../node-id.js';
import type { MessageLink } from '../net/peer-net.js';

/** Pause (ms) before a member that did not acknowledge is sent its messages again (Aerospike's SMD_RETRY_MS). */
export const SMD_RETRY_MS = 3000;
/** A send unanswered after this long (ms) counts as lost and is retried at the next SMD_RETRY_MS. */
export const SMD_ACK_TIMEOUT_MS = 2000;
/**
 * Unanswered sends to one member (one change or a run of them) before this node stops trying:
 * 200 retries of SMD_RETRY_MS is 10 minutes, after which a member that is still in the cluster
 * but never answers is left to the next cluster change, which sends it everything.
 */
export const SMD_RETRY_MAX_ATTEMPTS = 200;
/** Messages waiting for one member beyond which they are replaced by one whole snapshot (a superset). */
export const SMD_PENDING_MAX = 64;

interface MemberQueue {
  messages: Buffer[];
  /** sends of the head message that went unanswered */
  failures: number;
  inFlight: boolean;
  retry?: TimerHandle | undefined;
}

export interface SmdDeliveryOptions {
  clock: ClusterClock;
  fabric: MessageLink;
  /** the fabric message type of SMD */
  type: number;
  /** a member's fabric address, undefined when unknown */
  addressOf(member: NodeId): string | undefined;
  /** everything this node holds (replaces a queue that grew past SMD_PENDING_MAX) */
  snapshot(): Buffer;
  log: { warning(msg: string): void };
}

export class SmdDelivery {
  private readonly queues = new Map<NodeId, MemberQueue>();
  private stopped = false;
  /** messages sent (first sends and retries), acknowledged, and retries: for the log and tests */
  readonly stats = { sent: 0, acked: 0, retried: 0, abandoned: 0 };

  constructor(private readonly opts: SmdDeliveryOptions) {}

  /**
   * Sends `payload` to each of `members` and keeps sending it until each acknowledges.
   * `whole`: the payload is everything this node holds, so it replaces what waits for a member.
   */
  deliver(members: readonly NodeId[], payload: Buffer, whole = false): void {
    if (this.stopped) return;
    for (const m of members) {
      let q = this.queues.get(m);
      if (!q) {
        q = { messages: [], failures: 0, inFlight: false };
        this.queues.set(m, q);
      }
      // a message in flight stays at the head until it is answered; the rest can be replaced
      const keep = q.inFlight ? q.messages.slice(0, 1) : [];
      if (whole) q.messages = [...keep, payload];
      else if (q.messages.length >= SMD_PENDING_MAX) q.messages = [...keep, this.opts.snapshot()];
      else q.messages.push(payload);
      if (whole && !q.inFlight) q.failures = 0;
      this.pump(m, q);
    }
  }

  /** The cluster's members now: messages waiting for a member that left are dropped. */
  membersNow(members: readonly NodeId[]): void {
    for (const [m, q] of this.queues) {
      if (members.includes(m)) continue;
      if (q.retry !== undefined) this.opts.clock.clearTimer(q.retry);
      this.queues.delete(m);
    }
  }

  /** Members with messages not yet acknowledged. */
  pendingMembers(): NodeId[] {
    return [...this.queues].filter(([, q]) => q.messages.length > 0).map(([m]) => m);
  }

  stop(): void {
    this.stopped = true;
    for (const q of this.queues.values()) if (q.retry !== undefined) this.opts.clock.clearTimer(q.retry);
    this.queues.clear();
  }

  /** Sends the member's head message unless one is in flight or a retry is scheduled. */
  private pump(member: NodeId, q: MemberQueue): void {
    if (this.stopped || q.inFlight || q.retry !== undefined || q.messages.length === 0) return;
    if (this.queues.get(member) !== q) return;
    const address = this.opts.addressOf(member);
    if (address === undefined) return this.failed(member, q);
    const head = q.messages[0]!;
    q.inFlight = true;
    this.stats.sent++;
    this.opts.fabric.request(address, this.opts.type, head, SMD_ACK_TIMEOUT_MS).then(
      () => {
        q.inFlight = false;
        if (this.queues.get(member) !== q) return;
        this.stats.acked++;
        if (q.messages[0] === head) q.messages.shift();
        q.failures = 0;
        this.pump(member, q);
      },
      () => {
        q.inFlight = false;
        if (this.queues.get(member) === q) this.failed(member, q);
      },
    );
  }

  private failed(member: NodeId, q: MemberQueue): void {
    if (++q.failures >= SMD_RETRY_MAX_ATTEMPTS) {
      this.stats.abandoned++;
      this.opts.log.warning(`system metadata: node ${formatNodeId(member)} acknowledged nothing in ${SMD_RETRY_MAX_ATTEMPTS} sends - left to the next cluster change`);
      this.queues.delete(member);
      return;
    }
    q.retry = this.opts.clock.setTimer(SMD_RETRY_MS, () => {
      q.retry = undefined;
      this.stats.retried++;
      this.pump(member, q);
    });
  }
}
