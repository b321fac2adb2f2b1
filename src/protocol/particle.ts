/**
 * Particle types (protocol reference §5.3) and conversion between a bin's wire bytes and the
 * msgpack value model used by CDT operations and expressions.
 */
import { AsBytes, AsGeoJson, AsMap, unpack, pack, type AsValue } from './msgpack.js';
import { AsError, ResultCode } from './result-codes.js';
import { isValidHll } from '../hll/index.js';
import { decodeGeoJsonParticle, encodeGeoJsonParticle } from '../geo/index.js';

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

/**
 * Validates and normalises an incoming value (integers of 1/2/4/8 bytes become 8 bytes).
 * Throws AsError(PARAMETER) for malformed values.
 */
export function normaliseIncoming(type: number, value: Buffer): Buffer {
  switch (type) {
    case Particle.INTEGER: {
      if (value.length === 8) return value;
      const out = Buffer.alloc(8);
      if (value.length === 1) out.writeUInt32BE(value[0]!, 4);
      else if (value.length === 2) out.writeUInt32BE(value.readUInt16BE(0), 4);
      else if (value.length === 4) out.writeUInt32BE(value.readUInt32BE(0), 4);
      else throw new AsError(ResultCode.PARAMETER, 'bad integer size');
      return out;
    }
    case Particle.FLOAT:
      if (value.length !== 8) throw new AsError(ResultCode.PARAMETER, 'bad float size');
      return value;
    case Particle.BOOL:
      if (value.length !== 1 || value[0]! > 1) throw new AsError(ResultCode.PARAMETER, 'bad bool');
      return value;
    case Particle.LIST:
    case Particle.MAP:
      // validated and put in stored form by the transaction layer (collection-bins.ts)
      return value;
    case Particle.GEOJSON:
      if (value.length < 3) throw new AsError(ResultCode.PARAMETER, 'bad geojson');
      // the server computes the S2 cells; whatever cells the client sent are replaced
      return encodeGeoJsonParticle(decodeGeoJsonParticle(value).json);
    case Particle.HLL:
      if (!isValidHll(value)) throw new AsError(ResultCode.PARAMETER, 'bad hll');
      return value;
    default:
      return value;
  }
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

/** Converts a value of the msgpack model to a bin's particle type and wire bytes. */
export function valueToParticle(v: AsValue): { type: number; value: Buffer } {
  if (v === null) return { type: Particle.NULL, value: Buffer.alloc(0) };
  switch (typeof v) {
    case 'bigint': {
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(BigInt.asIntN(64, v));
      return { type: Particle.INTEGER, value: b };
    }
    case 'number': {
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleBE(v);
      return { type: Particle.FLOAT, value: b };
    }
    case 'string':
      return { type: Particle.STRING, value: Buffer.from(v, 'utf8') };
    case 'boolean':
      return { type: Particle.BOOL, value: Buffer.from([v ? 1 : 0]) };
  }
  if (Array.isArray(v)) return { type: Particle.LIST, value: pack(v) };
  if (v instanceof AsMap) return { type: Particle.MAP, value: pack(v) };
  if (v instanceof AsBytes) return { type: v.type, value: v.bytes };
  if (v instanceof AsGeoJson) return { type: Particle.GEOJSON, value: encodeGeoJsonParticle(v.json) };
  throw new AsError(ResultCode.PARAMETER, 'value cannot be stored in a bin');
}
