/**
 * List and map bins are stored the way Aerospike stores them: unordered maps sorted by key,
 * ordered lists/maps checked to be in order. The client's bytes are kept when they already are
 * in stored form, so values round-trip byte for byte.
 */
import { normalizeBinValue } from '../cdt/index.js';
import { AsMap, pack, unpack } from '../protocol/msgpack.js';
import { Particle } from '../protocol/particle.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';

/** Returns the stored form of a list/map bin value; other types pass through. */
export function storedCollectionBytes(type: number, value: Buffer): Buffer {
  if (type !== Particle.LIST && type !== Particle.MAP) return value;
  let normalized;
  try {
    const v = unpack(value);
    if (type === Particle.LIST ? !Array.isArray(v) : !(v instanceof AsMap)) throw new Error('particle type mismatch');
    normalized = normalizeBinValue(v);
  } catch {
    // the reference server fails such a write as a server error, not a parameter error
    throw new AsError(ResultCode.UNKNOWN, 'collection cannot be stored');
  }
  const packed = pack(normalized);
  return packed.equals(value) ? value : packed;
}
