/**
 * Fabric message types and their byte forms. Every message of one cluster change carries its
 * cluster key so a late message from a previous cluster is recognised and refused.
 */
import type { Migration, MigrationKind } from '../migration-plan.js';
import { NULL_VERSION, type PartitionVersion } from '../partition-version.js';
import type { NodeId } from '../node-id.js';
import { N_PARTITIONS } from '../partition-map.js';

export const FabricType = {
  /** one-way: a member's partition versions for a new cluster key */
  EXCHANGE: 10,
  /** request: a client message for a partition another node serves; answers the response frame */
  PROXY: 11,
  /** request: records written on the serving node, applied as they are on a replica */
  REPLICA_WRITE: 12,
  /** request: a batch of one migration's records */
  MIGRATE_BATCH: 13,
  /** request: the migration's sender has sent everything */
  MIGRATE_DONE: 14,
  /** one-way, from the partition's working master: a migration finished, everyone advances */
  COMPLETE: 15,
  /** request: this node's copy of one record (shipped form, empty when absent), for duplicate resolution */
  DUP_READ: 16,
  /** one-way: an info command whose effect is cluster-wide (truncate, UDF registration), run here too */
  INFO_FORWARD: 17,
  /** request, answered empty as the acknowledgement: at each new plan the sender's system metadata (UDF modules, truncation points, sindexes, users and roles); also a user/role change as it happens (smd-delivery.ts) */
  SMD_SYNC: 18,
} as const;

const KINDS: readonly MigrationKind[] = ['merge', 'fill', 'handoff'];

export class FabricDecodeError extends Error {}

class Reader {
  o = 0;
  constructor(readonly b: Buffer) {}
  need(n: number): void {
    if (this.o + n > this.b.length) throw new FabricDecodeError('fabric message truncated');
  }
  u8(): number {
    this.need(1);
    return this.b[this.o++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.b.readUInt16BE(this.o);
    this.o += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.b.readUInt32BE(this.o);
    this.o += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.b.readBigUInt64BE(this.o);
    this.o += 8;
    return v;
  }
  str(): string {
    const n = this.u8();
    this.need(n);
    const s = this.b.toString('utf8', this.o, this.o + n);
    this.o += n;
    return s;
  }
  rest(): Buffer {
    const r = this.b.subarray(this.o);
    this.o = this.b.length;
    return r;
  }
}

function nsName(name: string): Buffer {
  const b = Buffer.from(name, 'utf8');
  if (b.length > 255) throw new RangeError('namespace name too long');
  return Buffer.concat([Buffer.from([b.length]), b]);
}

// ---------------------------------------------------------------------------------------------
// EXCHANGE: u64 key | u64 from | u64 host | u8 flags (1 retransmit, 2 quiesced) | u16 namespaces |
//           per namespace: name, u32 rack-id, 4096 × (u64 ckey, u8 flags)

export interface ExchangeMessage {
  key: bigint;
  /** the member whose versions these are */
  from: NodeId;
  /** a resend: the receiver answers with its own row in case ours was the one that got lost */
  retransmit: boolean;
  /** the sender's host (nodes of one `strato` start share it): replicas avoid sharing a host */
  host: bigint;
  rows: Map<string, PartitionVersion[]>;
  /** the sender's `rack-id` per namespace (0 when absent from the map) */
  racks: Map<string, number>;
  /** the sender was quiesced when this cluster formed: it takes no partition others can hold */
  quiesced?: boolean;
}

export function encodeExchange(m: ExchangeMessage): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(27);
  head.writeBigUInt64BE(m.key, 0);
  head.writeBigUInt64BE(m.from, 8);
  head.writeBigUInt64BE(m.host, 16);
  head[24] = (m.retransmit ? 1 : 0) | (m.quiesced ? 2 : 0);
  head.writeUInt16BE(m.rows.size, 25);
  parts.push(head);
  for (const [name, row] of m.rows) {
    parts.push(nsName(name));
    const rack = Buffer.alloc(4);
    rack.writeUInt32BE(m.racks.get(name) ?? 0, 0);
    parts.push(rack);
    const b = Buffer.alloc(N_PARTITIONS * 9);
    for (let pid = 0; pid < N_PARTITIONS; pid++) {
      const v = row[pid] ?? NULL_VERSION;
      b.writeBigUInt64BE(v.ckey, pid * 9);
      b[pid * 9 + 8] = (v.master ? 1 : 0) | (v.subset ? 2 : 0);
    }
    parts.push(b);
  }
  return Buffer.concat(parts);
}

export function decodeExchange(b: Buffer): ExchangeMessage {
  const r = new Reader(b);
  const key = r.u64();
  const from = r.u64();
  const host = r.u64();
  const flags = r.u8();
  const retransmit = (flags & 1) !== 0;
  const quiesced = (flags & 2) !== 0;
  const n = r.u16();
  const rows = new Map<string, PartitionVersion[]>();
  const racks = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const name = r.str();
    racks.set(name, r.u32());
    r.need(N_PARTITIONS * 9);
    const row: PartitionVersion[] = new Array<PartitionVersion>(N_PARTITIONS);
    for (let pid = 0; pid < N_PARTITIONS; pid++) {
      const ckey = b.readBigUInt64BE(r.o);
      const flags = b[r.o + 8]!;
      r.o += 9;
      row[pid] = ckey === 0n ? NULL_VERSION : Object.freeze({ ckey, master: (flags & 1) !== 0, subset: (flags & 2) !== 0 });
    }
    rows.set(name, row);
  }
  if (r.o !== b.length) throw new FabricDecodeError('trailing bytes after exchange');
  return { key, from, retransmit, host, rows, racks, quiesced };
}

// ---------------------------------------------------------------------------------------------
// migrations: u64 key | namespace | u16 pid | u8 kind | u64 from | u64 to | [records]

export interface MigrationMessage {
  key: bigint;
  namespace: string;
  migration: Migration;
  /** MIGRATE_BATCH: packed shipped records */
  records: Buffer;
}

export function encodeMigration(key: bigint, namespace: string, m: Migration, records?: Buffer): Buffer {
  const head = Buffer.alloc(8 + 2 + 1 + 8 + 8);
  head.writeBigUInt64BE(key, 0);
  head.writeUInt16BE(m.pid, 8);
  head[10] = KINDS.indexOf(m.kind);
  head.writeBigUInt64BE(m.from, 11);
  head.writeBigUInt64BE(m.to, 19);
  return Buffer.concat([nsName(namespace), head, records ?? Buffer.alloc(0)]);
}

export function decodeMigration(b: Buffer): MigrationMessage {
  const r = new Reader(b);
  const namespace = r.str();
  const key = r.u64();
  const pid = r.u16();
  const kind = KINDS[r.u8()];
  if (kind === undefined || pid >= N_PARTITIONS) throw new FabricDecodeError('bad migration message');
  const from: NodeId = r.u64();
  const to: NodeId = r.u64();
  return { key, namespace, migration: { kind, pid, from, to }, records: r.rest() };
}

// ---------------------------------------------------------------------------------------------
// REPLICA_WRITE: namespace | packed shipped records

export function encodeReplicaWrite(namespace: string, records: Buffer): Buffer {
  return Buffer.concat([nsName(namespace), records]);
}

export function decodeReplicaWrite(b: Buffer): { namespace: string; records: Buffer } {
  const r = new Reader(b);
  const namespace = r.str();
  return { namespace, records: r.rest() };
}

// ---------------------------------------------------------------------------------------------
// PROXY: u8 hops | client message body (type 3, without proto header)

export function encodeProxy(hops: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([hops]), body]);
}

export function decodeProxy(b: Buffer): { hops: number; body: Buffer } {
  if (b.length < 1) throw new FabricDecodeError('empty proxy message');
  return { hops: b[0]!, body: b.subarray(1) };
}

// ---------------------------------------------------------------------------------------------
// DUP_READ: namespace | digest (20)

export function encodeDupRead(namespace: string, digest: Buffer): Buffer {
  return Buffer.concat([nsName(namespace), digest.subarray(0, 20)]);
}

export function decodeDupRead(b: Buffer): { namespace: string; digest: Buffer } {
  const r = new Reader(b);
  const namespace = r.str();
  const digest = r.rest();
  if (digest.length !== 20) throw new FabricDecodeError('bad digest in duplicate read');
  return { namespace, digest };
}
