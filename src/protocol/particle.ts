/**
 * Particle types (protocol reference §5.3) and the conversion of a bin's wire bytes to the msgpack
 * value model used by CDT operations and expressions. The other direction, and the check of
 * incoming particles, need GeoJSON cells and HLL validation: they live above, in src/values.
 */
import { AsBytes, AsGeoJson, unpack, type AsValue } from './msgpack.js';

export const Particle = {
  NULL: 0,
  INTEGER: 1,
  FLOAT: 2,
  STRING: 3,
  BLOB: 4,
  JAVA_BLOB: 7,
  CSHARP_BLOB: 8,
  PYTHON_BLOB: 9,
  RUBY_BLOB: 10,
  PHP_BLOB: 11,
  ERLANG_BLOB: 12,
  BOOL: 17,
  HLL: 18,
  MAP: 19,
  LIST: 20,
  GEOJSON: 23,
} as const;

/** A bin as stored: its name, particle type and the value bytes in wire form. */
export interface Bin {
  name: string;
  type: number;
  value: Buffer;
}

export function isBlobType(t: number): boolean {
  return t === Particle.BLOB || (t >= 7 && t <= 12);
}

/** True when `t` is a particle type a client may store in a bin. */
export function isStorableType(t: number): boolean {
  return (
    t === Particle.INTEGER ||
    t === Particle.FLOAT ||
    t === Particle.STRING ||
    isBlobType(t) ||
    t === Particle.BOOL ||
    t === Particle.HLL ||
    t === Particle.MAP ||
    t === Particle.LIST ||
    t === Particle.GEOJSON
  );
}

/** Converts a stored bin to the msgpack value model. */
export function particleToValue(type: number, value: Buffer): AsValue {
  switch (type) {
    case Particle.NULL:
      return null;
    case Particle.INTEGER:
      return value.readBigInt64BE(0);
    case Particle.FLOAT:
      return value.readDoubleBE(0);
    case Particle.STRING:
      return value.toString('utf8');
    case Particle.BOOL:
      return value[0] === 1;
    case Particle.LIST:
    case Particle.MAP:
      return unpack(value);
    case Particle.GEOJSON: {
      const ncells = value.readUInt16BE(1);
      return new AsGeoJson(value.toString('utf8', 3 + ncells * 8));
    }
    default:
      return new AsBytes(type, value);
  }
}
