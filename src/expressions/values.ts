/**
 * Conversions between the engine's run-time value representation (see {@link RtValue}) and the
 * msgpack value model / stored bins.
 */
import { AsBytes, AsGeoJson, AsMap, unpack, type AsValue } from '../protocol/msgpack.js';
import { Particle, type Bin } from '../protocol/particle.js';
import { GeoValue } from './geo.js';
import { ExpType, REMOVE, UNKNOWN, type ExpTypeCode, type RtValue } from './types.js';

/** Particle type of a stored bin that `[81, type, name]` accepts for each expression type. */
export const PARTICLE_OF_TYPE: Record<number, number> = {
  [ExpType.NIL]: Particle.NULL,
  [ExpType.BOOL]: Particle.BOOL,
  [ExpType.INT]: Particle.INTEGER,
  [ExpType.STR]: Particle.STRING,
  [ExpType.LIST]: Particle.LIST,
  [ExpType.MAP]: Particle.MAP,
  [ExpType.BLOB]: Particle.BLOB,
  [ExpType.FLOAT]: Particle.FLOAT,
  [ExpType.GEO]: Particle.GEOJSON,
  [ExpType.HLL]: Particle.HLL,
};

/** The GeoJSON text of a stored geojson particle (flags, ncells, cells, text). */
export function geoJsonText(value: Buffer): string {
  if (value.length < 3) return '';
  const ncells = value.readUInt16BE(1);
  const start = 3 + ncells * 8;
  return start >= value.length ? '' : value.toString('utf8', start);
}

/**
 * Reads a stored bin as the run-time value of expression type `type`, or UNKNOWN when the bin's
 * particle type is not that type. Collections that fail to decode are UNKNOWN too.
 */
export function binToRt(bin: Bin, type: ExpTypeCode): RtValue {
  switch (type) {
    case ExpType.INT:
      return bin.type === Particle.INTEGER && bin.value.length === 8 ? bin.value.readBigInt64BE(0) : UNKNOWN;
    case ExpType.FLOAT:
      return bin.type === Particle.FLOAT && bin.value.length === 8 ? bin.value.readDoubleBE(0) : UNKNOWN;
    case ExpType.BOOL:
      return bin.type === Particle.BOOL ? bin.value[0] === 1 : UNKNOWN;
    case ExpType.STR:
    case ExpType.BLOB:
    case ExpType.HLL:
      return bin.type === PARTICLE_OF_TYPE[type] ? bin.value : UNKNOWN;
    case ExpType.GEO:
      return bin.type === Particle.GEOJSON ? new GeoValue(geoJsonText(bin.value)) : UNKNOWN;
    case ExpType.LIST:
    case ExpType.MAP: {
      if (bin.type !== PARTICLE_OF_TYPE[type]) return UNKNOWN;
      try {
        const v = unpack(bin.value);
        return type === ExpType.LIST ? (Array.isArray(v) ? v : UNKNOWN) : v instanceof AsMap ? v : UNKNOWN;
      } catch {
        return UNKNOWN;
      }
    }
    default:
      return UNKNOWN;
  }
}

/** Converts a run-time value of static type `type` to the msgpack value model. */
export function rtToAsValue(type: ExpTypeCode, v: RtValue): AsValue | typeof UNKNOWN {
  if (v === UNKNOWN || v === REMOVE) return UNKNOWN;
  switch (type) {
    case ExpType.STR:
      return (v as Buffer).toString('utf8');
    case ExpType.BLOB:
      return new AsBytes(Particle.BLOB, v as Buffer);
    case ExpType.HLL:
      return new AsBytes(Particle.HLL, v as Buffer);
    case ExpType.GEO:
      return new AsGeoJson((v as GeoValue).json);
    default:
      return v as AsValue;
  }
}

/**
 * Classifies a value of the msgpack model (a CDT/bit/HLL result) as an expression type and its
 * run-time representation; undefined when it is no expression type (e.g. a language blob).
 * `undefined` input (no result) is nil.
 */
export function asValueToRt(v: AsValue | undefined): { type: ExpTypeCode; rt: RtValue } | undefined {
  if (v === undefined || v === null) return { type: ExpType.NIL, rt: null };
  switch (typeof v) {
    case 'boolean':
      return { type: ExpType.BOOL, rt: v };
    case 'bigint':
      return { type: ExpType.INT, rt: BigInt.asIntN(64, v) };
    case 'number':
      return { type: ExpType.FLOAT, rt: v };
    case 'string':
      return { type: ExpType.STR, rt: Buffer.from(v, 'utf8') };
  }
  if (Array.isArray(v)) return { type: ExpType.LIST, rt: v };
  if (v instanceof AsMap) return { type: ExpType.MAP, rt: v };
  if (v instanceof AsBytes) {
    if (v.type === Particle.BLOB) return { type: ExpType.BLOB, rt: v.bytes };
    if (v.type === Particle.HLL) return { type: ExpType.HLL, rt: v.bytes };
    return undefined;
  }
  if (v instanceof AsGeoJson) return { type: ExpType.GEO, rt: new GeoValue(v.json) };
  return undefined;
}

/** A particle ({type, value}) as the run-time value of an expression type; undefined if it is not one. */
export function particleToRt(p: { type: number; value: Buffer }): { type: ExpTypeCode; rt: RtValue } | undefined {
  for (const t of [ExpType.INT, ExpType.FLOAT, ExpType.BOOL, ExpType.STR, ExpType.BLOB, ExpType.HLL, ExpType.GEO, ExpType.LIST, ExpType.MAP] as const) {
    if (PARTICLE_OF_TYPE[t] === p.type) {
      const rt = binToRt({ name: '', type: p.type, value: p.value }, t);
      return rt === UNKNOWN ? undefined : { type: t, rt };
    }
  }
  return undefined;
}
