/**
 * Message transport between cluster nodes. `Transport` is the whole contract the membership
 * code relies on: fire-and-forget sends that may be lost, delayed, duplicated or reordered
 * (exactly what UDP multicast or a reconnecting TCP mesh delivers). The heartbeat sockets
 * (net/heartbeat-transport.ts) implement it, and so does the simulator's `SimNetwork`
 * (src/testing/sim-network.ts).
 */
import type { NodeId } from './node-id.js';

/** What a node uses to talk to its peers. */
export interface Transport<M> {
  /** The node this transport belongs to. */
  readonly self: NodeId;
  /** Best-effort send; never throws for an unreachable or unknown peer (the message is lost). */
  send(to: NodeId, msg: M): void;
  /** Registers the single receive callback (a later call replaces it). `from` is authenticated by the transport. */
  onMessage(cb: (from: NodeId, msg: M) => void): void;
  /**
   * Also sends `msg` to configured seed addresses whose node id is not known yet (a TCP mesh
   * knows its seeds by address only; the simulator names seeds by id and has no such step).
   */
  sendToUnresolved?(msg: M): void;
}
