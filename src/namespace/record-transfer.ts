/**
 * Records as they travel between nodes (replica writes, migrations): the stored record bytes plus
 * the index metadata that must survive the trip unchanged (generation, void-time, last-update
 * time, set, key flag). Installing one never bumps the generation — the copy is the same record.
 *
 * One shipped record: u8 kind (1 record, 2 delete) | digest 20 |
 *   record only: u32 generation | u32 void-time | f64 last-update ms | u8 flags | u16 set length |
 *                set name | stored record bytes (to the end)
 */
import { EntryFlag } from '../index/primary-index.js';
import { compareForConflict, type ConflictResolutionPolicy } from '../cluster/conflict-resolution.js';
import type { Namespace } from './namespace.js';
import type { RecordChangeCause } from './record-life.js';

const KIND_RECORD = 1;
const KIND_DELETE = 2;
/** a durable delete: u32 generation | f64 last-update ms follow the digest */
const KIND_TOMBSTONE = 3;
const FIXED_BYTES = 1 + 20 + 4 + 4 + 8 + 1 + 2;

export class TransferDecodeError extends Error {}

/** A record's parts as they travel. */
export interface ShippedRecord {
  digest: Buffer;
  generation: number;
  voidTime: number;
  lastUpdateMs: number;
  hasKey: boolean;
  setName: string;
  /** the stored record bytes (record-codec form) */
  data: Buffer;
}

export function encodeShippedRecord(r: ShippedRecord): Buffer {
  const set = Buffer.from(r.setName, 'utf8');
  const out = Buffer.allocUnsafe(FIXED_BYTES + set.length + r.data.length);
  let o = 0;
  out[o++] = KIND_RECORD;
  r.digest.copy(out, o, 0, 20);
  o += 20;
  out.writeUInt32BE(r.generation, o);
  out.writeUInt32BE(r.voidTime, o + 4);
  out.writeDoubleBE(r.lastUpdateMs, o + 8);
  out[o + 16] = r.hasKey ? EntryFlag.HAS_KEY : 0;
  out.writeUInt16BE(set.length, o + 17);
  o += 19;
  set.copy(out, o);
  r.data.copy(out, o + set.length);
  return out;
}

/** The live record of entry `id`, ready to ship. */
export function shipRecord(ns: Namespace, id: number): Buffer {
  const index = ns.index;
  const setId = index.setId(id);
  return encodeShippedRecord({
    digest: index.digestView(id),
    generation: index.generation(id),
    voidTime: index.voidTime(id),
    lastUpdateMs: index.lastUpdateMs(id),
    hasKey: (index.flags(id) & EntryFlag.HAS_KEY) !== 0,
    setName: setId === 0 ? '' : ns.sets.nameOf(setId),
    data: ns.storage.get(index, id),
  });
}

/** A delete of `digest`, ready to ship. */
export function shipDelete(digest: Buffer): Buffer {
  const out = Buffer.allocUnsafe(21);
  out[0] = KIND_DELETE;
  digest.copy(out, 1, 0, 20);
  return out;
}

/** A durable delete (tombstone) of `digest` with the tombstone's generation and update time. */
export function shipTombstone(digest: Buffer, generation: number, lutMs: number): Buffer {
  const out = Buffer.allocUnsafe(33);
  out[0] = KIND_TOMBSTONE;
  digest.copy(out, 1, 0, 20);
  out.writeUInt32BE(generation, 21);
  out.writeDoubleBE(lutMs, 25);
  return out;
}

/** The shipped record for whatever `digest` holds now: the record, its tombstone, or a delete. */
export function shipCurrent(ns: Namespace, digest: Buffer): Buffer {
  const id = ns.findLive(digest);
  if (id >= 0) return shipRecord(ns, id);
  const tomb = ns.index.find(digest);
  if (tomb >= 0 && ns.isTombstone(tomb)) return shipTombstone(digest, ns.index.generation(tomb), ns.index.lastUpdateMs(tomb));
  return shipDelete(digest);
}

/**
 * Installs a shipped record. `policy` undefined = authoritative (a replica write from the
 * master: always applied, cause 'replica'); otherwise (migration, duplicate resolution: cause
 * 'migration') the local copy is kept when it wins the conflict. Returns true when the local
 * state changed. When storage refuses the record the local copy stays as it was and the error is
 * thrown.
 */
export function applyShipped(ns: Namespace, b: Buffer, policy?: ConflictResolutionPolicy): boolean {
  const cause: RecordChangeCause = policy === undefined ? 'replica' : 'migration';
  if (b.length < 21) throw new TransferDecodeError('shipped record truncated');
  const kind = b[0]!;
  const digest = b.subarray(1, 21);
  const index = ns.index;
  const existing = index.find(digest);
  if (kind === KIND_DELETE) {
    if (b.length !== 21) throw new TransferDecodeError('bad shipped delete');
    if (existing < 0) return false;
    ns.records.remove(existing, cause);
    return true;
  }
  if (kind === KIND_TOMBSTONE) {
    if (b.length !== 33) throw new TransferDecodeError('bad shipped tombstone');
    return applyTombstone(ns, existing, b.readUInt32BE(21), b.readDoubleBE(25), policy, cause);
  }
  if (kind !== KIND_RECORD || b.length < FIXED_BYTES) throw new TransferDecodeError(`bad shipped record kind ${kind}`);
  const generation = b.readUInt32BE(21);
  const voidTime = b.readUInt32BE(25);
  const lutMs = b.readDoubleBE(29);
  const hasKey = (b[37]! & EntryFlag.HAS_KEY) !== 0;
  const setLen = b.readUInt16BE(38);
  if (FIXED_BYTES + setLen > b.length) throw new TransferDecodeError('shipped set name truncated');
  const setName = b.toString('utf8', FIXED_BYTES, FIXED_BYTES + setLen);
  const data = b.subarray(FIXED_BYTES + setLen);
  // a tombstone competes like a record: a durable delete must beat the older copies it deleted
  if (existing >= 0 && policy !== undefined) {
    const local = { generation: index.generation(existing), lastUpdateTime: index.lastUpdateMs(existing) };
    if (compareForConflict(policy, local, { generation, lastUpdateTime: lutMs }) <= 0) return false;
  }
  const setId = setName.length > 0 ? ns.sets.idOf(setName, true) : 0;
  // replaces the local copy (or tombstone) in place: a refused put leaves it as it was; the
  // storage engine copies the bytes out of the shipped frame, which is reused
  ns.records.store(existing, digest, setId, generation, voidTime, lutMs, hasKey, data, cause);
  return true;
}

/** A durable delete arriving from another node: the live copy here becomes a tombstone too. */
function applyTombstone(
  ns: Namespace,
  existing: number,
  generation: number,
  lutMs: number,
  policy: ConflictResolutionPolicy | undefined,
  cause: RecordChangeCause,
): boolean {
  if (existing < 0 || ns.isTombstone(existing)) return false;
  const index = ns.index;
  if (policy !== undefined) {
    const local = { generation: index.generation(existing), lastUpdateTime: index.lastUpdateMs(existing) };
    if (compareForConflict(policy, local, { generation, lastUpdateTime: lutMs }) <= 0) return false;
  }
  // storage without tombstones (memory) simply forgets the record
  if (!ns.records.tombstone(existing, generation, lutMs, cause)) ns.records.remove(existing, cause);
  return true;
}

/** Packs shipped records: u32 count, then u32 length + bytes each. */
export function packShipped(items: readonly Buffer[]): Buffer {
  let size = 4;
  for (const it of items) size += 4 + it.length;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32BE(items.length, 0);
  let o = 4;
  for (const it of items) {
    out.writeUInt32BE(it.length, o);
    it.copy(out, o + 4);
    o += 4 + it.length;
  }
  return out;
}

export function unpackShipped(b: Buffer, offset = 0): Buffer[] {
  if (b.length < offset + 4) throw new TransferDecodeError('record list truncated');
  const n = b.readUInt32BE(offset);
  const out: Buffer[] = [];
  let o = offset + 4;
  for (let i = 0; i < n; i++) {
    if (o + 4 > b.length) throw new TransferDecodeError('record list truncated');
    const len = b.readUInt32BE(o);
    if (o + 4 + len > b.length) throw new TransferDecodeError('record list truncated');
    out.push(b.subarray(o + 4, o + 4 + len));
    o += 4 + len;
  }
  if (o !== b.length) throw new TransferDecodeError('trailing bytes after record list');
  return out;
}
