/**
 * Bin values going in: an incoming particle checked and put in stored form, and a value of the
 * msgpack model turned into a particle. Both need the value engines below the protocol's wire
 * vocabulary (S2 cells for GeoJSON, HLL validation), which is why they are not in src/protocol.
 */
import { AsBytes, AsGeoJson, AsMap, pack, type AsValue } from '../protocol/msgpack.js';
import { Particle } from '../protocol/particle.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { isValidHll } from '../hll/index.js';
import { decodeGeoJsonParticle, encodeGeoJsonParticle } from '../geo/index.js';
import { takeOffloadedGeo } from './offloaded.js';

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
      // the server computes the S2 cells; whatever cells the client sent are replaced (a large
      // region's were computed on a worker before the transaction: server/offload.ts)
      return takeOffloadedGeo(value) ?? encodeGeoJsonParticle(decodeGeoJsonParticle(value).json);
    case Particle.HLL:
      if (!isValidHll(value)) throw new AsError(ResultCode.PARAMETER, 'bad hll');
      return value;
    default:
      return value;
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
