/**
 * The heartbeat message and its byte encoding. A heartbeat is the only thing membership needs
 * from a peer: who it is, which cluster it belongs to, whom it can hear. The byte form is what
 * the heartbeat socket will carry (inside whatever framing the real transport adds); the
 * simulator round-trips every message through it so nothing can depend on shared objects.
 *
 * Layout (big-endian):
 *   u8  version (1)
 *   u8  cluster-name length, then that many UTF-8 bytes
 *   u64 node id        u64 incarnation      u32 seq
 *   u64 cluster key    u64 principal
 *   u16 n, n × u64 succession     u16 m, m × u64 adjacency
 */
import type { NodeId } from './node-id.js';

/** Most nodes a cluster (and a heartbeat's lists) may hold; node indexes fit in a byte. */
export const MAX_CLUSTER_SIZE = 256;
/** Longest cluster name accepted on the wire (bytes). */
export const MAX_CLUSTER_NAME_BYTES = 255;
const VERSION = 1;

export interface Heartbeat {
  readonly clusterName: string;
  readonly nodeId: NodeId;
  /** identifies one run of the node's process (boot time); a restart sends a larger one */
  readonly incarnation: number;
  /** increases with every heartbeat of one incarnation; lets receivers drop stale, reordered ones */
  readonly seq: number;
  /** 0n while the sender is not in a cluster */
  readonly clusterKey: bigint;
  /**
   * the sender's principal while it can still hear it (itself when it is the principal);
   * 0n when the sender is free to join another cluster
   */
  readonly principal: NodeId;
  /** the sender's succession list, descending (principal first); empty when not in a cluster */
  readonly succession: readonly NodeId[];
  /** the nodes the sender currently hears (its heartbeat adjacency), excluding itself */
  readonly adjacency: readonly NodeId[];
}

export class HeartbeatDecodeError extends Error {}

/** Encodes a heartbeat; throws RangeError when a field is out of range. */
export function encodeHeartbeat(hb: Heartbeat): Uint8Array {
  const name = Buffer.from(hb.clusterName, 'utf8');
  if (name.length > MAX_CLUSTER_NAME_BYTES) throw new RangeError('cluster name too long');
  if (hb.succession.length > MAX_CLUSTER_SIZE || hb.adjacency.length > MAX_CLUSTER_SIZE) throw new RangeError('heartbeat list too long');
  if (!Number.isSafeInteger(hb.incarnation) || hb.incarnation < 0) throw new RangeError('bad incarnation');
  if (!Number.isInteger(hb.seq) || hb.seq < 0 || hb.seq > 0xffff_ffff) throw new RangeError('bad seq');
  const size = 1 + 1 + name.length + 8 + 8 + 4 + 8 + 8 + 2 + 8 * hb.succession.length + 2 + 8 * hb.adjacency.length;
  const buf = Buffer.alloc(size);
  let o = 0;
  buf.writeUInt8(VERSION, o++);
  buf.writeUInt8(name.length, o++);
  name.copy(buf, o);
  o += name.length;
  buf.writeBigUInt64BE(hb.nodeId, o);
  o += 8;
  buf.writeBigUInt64BE(BigInt(hb.incarnation), o);
  o += 8;
  buf.writeUInt32BE(hb.seq, o);
  o += 4;
  buf.writeBigUInt64BE(hb.clusterKey, o);
  o += 8;
  buf.writeBigUInt64BE(hb.principal, o);
  o += 8;
  for (const list of [hb.succession, hb.adjacency]) {
    buf.writeUInt16BE(list.length, o);
    o += 2;
    for (const id of list) {
      buf.writeBigUInt64BE(id, o);
      o += 8;
    }
  }
  return buf;
}

/** Decodes a heartbeat; throws HeartbeatDecodeError on anything malformed or out of bounds. */
export function decodeHeartbeat(bytes: Uint8Array): Heartbeat {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  const need = (n: number) => {
    if (o + n > buf.length) throw new HeartbeatDecodeError(`heartbeat truncated at byte ${o}`);
  };
  need(2);
  const version = buf.readUInt8(o++);
  if (version !== VERSION) throw new HeartbeatDecodeError(`heartbeat version ${version}`);
  const nameLen = buf.readUInt8(o++);
  need(nameLen + 8 + 8 + 4 + 8 + 8);
  const clusterName = buf.toString('utf8', o, o + nameLen);
  o += nameLen;
  const nodeId = buf.readBigUInt64BE(o);
  o += 8;
  const incarnation = buf.readBigUInt64BE(o);
  o += 8;
  if (incarnation > BigInt(Number.MAX_SAFE_INTEGER)) throw new HeartbeatDecodeError('incarnation out of range');
  const seq = buf.readUInt32BE(o);
  o += 4;
  const clusterKey = buf.readBigUInt64BE(o);
  o += 8;
  const principal = buf.readBigUInt64BE(o);
  o += 8;
  const lists: NodeId[][] = [];
  for (let k = 0; k < 2; k++) {
    need(2);
    const n = buf.readUInt16BE(o);
    o += 2;
    if (n > MAX_CLUSTER_SIZE) throw new HeartbeatDecodeError(`heartbeat list of ${n} nodes`);
    need(8 * n);
    const list: NodeId[] = [];
    for (let i = 0; i < n; i++) {
      list.push(buf.readBigUInt64BE(o));
      o += 8;
    }
    lists.push(list);
  }
  if (o !== buf.length) throw new HeartbeatDecodeError(`${buf.length - o} trailing bytes after heartbeat`);
  if (nodeId === 0n) throw new HeartbeatDecodeError('heartbeat from node id 0');
  return { clusterName, nodeId, incarnation: Number(incarnation), seq, clusterKey, principal, succession: lists[0]!, adjacency: lists[1]! };
}

/** The codec shape the simulator's SimNetwork (src/testing/sim-network.ts) accepts. */
export const heartbeatCodec = { encode: encodeHeartbeat, decode: decodeHeartbeat };
