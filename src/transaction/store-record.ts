/**
 * Storing a write's result: the record size limit, void-time from the request's TTL (or the set's
 * or namespace's default), the next generation, then the namespace's record life. Shared by
 * client writes (write.ts) and record UDFs (udf-apply.ts).
 */
import type { Namespace } from '../namespace/namespace.js';
import { nextGeneration } from '../namespace/namespace.js';
import type { RecordChangeCause } from '../namespace/record-life.js';
import type { Bin } from '../protocol/particle.js';
import { AsError, ResultCode, type ResultCodeValue } from '../protocol/result-codes.js';
import { encodeRecordInto, encodedSize, type StoredKey } from '../storage/record-codec.js';
import { citrusleafSec } from '../util/clock.js';

/** record_ttl -1: the record never expires. */
export const TTL_NEVER = 0xffffffff;
/** record_ttl -2: an update keeps the record's void-time. */
export const TTL_KEEP = 0xfffffffe;
/** Flat-record overhead counted against max-record-size, like the server's record header. */
const RECORD_OVERHEAD_BYTES = 16;
/**
 * The record being stored is encoded here: storage engines copy what they are given
 * (StorageEngine.put) and record observers read it only during their call, so one buffer serves
 * every write instead of a Buffer per write. A larger record gets a buffer of its own.
 */
const STORE_SCRATCH_BYTES = 64 * 1024;
const storeScratch = Buffer.allocUnsafeSlow(STORE_SCRATCH_BYTES);

/**
 * A buffer to encode a record of at most `bytes` into before storeRecord stores it (as its
 * `encoded`): the shared scratch when it is large enough, else a new one. Valid until the next
 * store.
 */
export function storeScratchFor(bytes: number): Buffer {
  return bytes <= STORE_SCRATCH_BYTES ? storeScratch : Buffer.allocUnsafe(bytes);
}

export interface StoreRequest {
  /** index entry id when the record exists */
  id: number;
  existed: boolean;
  digest: Buffer;
  setName: string;
  key: StoredKey | undefined;
  bins: Bin[];
  /** the record already in stored form (encodeRecord of key and bins), when it was built elsewhere */
  encoded?: Buffer | undefined;
  /** the request's record_ttl (0 default, -1 never, -2 keep, positive seconds) */
  ttl: number;
  /** the record's last-update time (Unix ms) */
  nowMs: number;
  /**
   * true when `nowMs` is the clock's time in this turn, so the void time is computed from it
   * instead of a second clock read (a UDF's `nowMs` is its start: it reads the clock again)
   */
  nowIsCurrent?: boolean;
  /** why the record changes (record observers see it) */
  cause: RecordChangeCause;
}

/**
 * Stores a record's new bins through the namespace's record life: size check, void-time and
 * generation, then the store (which rolls back if storage refuses). Returns the new generation,
 * void-time and entry id, or a result code.
 */
export function storeRecord(ns: Namespace, r: StoreRequest): { generation: number; voidTime: number; id: number } | ResultCodeValue {
  const index = ns.index;
  const size = r.encoded ? r.encoded.length : encodedSize(r.key, r.bins);
  if (size + RECORD_OVERHEAD_BYTES > ns.settings.maxRecordSizeBytes) return ResultCode.RECORD_TOO_BIG;
  // a durably deleted record's entry (its tombstone) is taken over by the new record, which
  // continues its generation so the tombstone can never win at cold start
  // (without tombstones in the index a digest that is not live has no entry: no second lookup)
  const id = r.existed ? r.id : ns.records.tombstones === 0 ? -1 : index.find(r.digest);
  const oldGen = id >= 0 ? index.generation(id) : 0;
  const oldVoidTime = r.existed ? index.voidTime(id) : 0;
  const nowCl = r.nowIsCurrent === true ? citrusleafSec(r.nowMs) : ns.nowCl();
  let voidTime: number;
  if (r.ttl === TTL_NEVER) voidTime = 0;
  else if (r.ttl === TTL_KEEP && r.existed) voidTime = oldVoidTime;
  else {
    const seconds = r.ttl === 0 || r.ttl === TTL_KEEP ? defaultTtl(ns, r.setName) : r.ttl;
    voidTime = seconds === 0 ? 0 : nowCl + seconds;
  }
  const newGen = id >= 0 ? nextGeneration(oldGen) : 1;
  // an existing record keeps its set; a new one joins the request's
  const setId = r.existed ? index.setId(id) : ns.sets.idOf(r.setName, true);
  const data = r.encoded ?? encodeRecordInto(r.key, r.bins, size <= STORE_SCRATCH_BYTES ? storeScratch : Buffer.allocUnsafe(size));
  try {
    const stored = ns.records.store(id, r.digest, setId, newGen, voidTime, r.nowMs, r.key !== undefined, data, r.cause);
    return { generation: newGen, voidTime, id: stored };
  } catch (e) {
    if (e instanceof AsError) return e.code;
    throw e;
  }
}

/**
 * A set at its stop-writes-count / stop-writes-size refuses new records (as the reference server
 * checks when a record joins a set); updates of records already in it go through.
 */
export function setLimitBreached(ns: Namespace, setName: string, existed: boolean): boolean {
  if (existed || setName.length === 0) return false;
  const set = ns.sets.getByName(setName);
  if (!set) return false;
  const { stopWritesCount, stopWritesSizeBytes } = set.settings;
  if (stopWritesCount > 0 && set.objects >= stopWritesCount) return true;
  if (stopWritesSizeBytes > 0 && set.dataUsedBytes >= stopWritesSizeBytes) return true;
  return false;
}

function defaultTtl(ns: Namespace, setName: string): number {
  if (setName.length > 0) {
    const set = ns.sets.getByName(setName);
    if (set && set.settings.defaultTtlSec > 0) return set.settings.defaultTtlSec;
    if (set && set.settings.defaultTtlSec === -1) return 0; // the set's records never expire
  }
  return ns.settings.defaultTtlSec;
}
