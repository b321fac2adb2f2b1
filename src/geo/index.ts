/**
 * GeoJSON particles (Aerospike particle type 23) and geospatial predicates.
 *
 * Stored value layout (what the server returns on reads):
 *   u8 flags (bit0 = region) | u16 BE ncells | ncells x u64 BE S2 cell ids | GeoJSON text
 * Clients write flags 0 / ncells 0; the server parses the text and computes the cells:
 *   - Point: the leaf (level 30) S2 cell containing it;
 *   - Polygon / MultiPolygon / AeroCircle: an S2RegionCoverer exterior covering with the
 *     parameters Aerospike hard-codes for stored particles (min-level 1, max-level 30,
 *     max-cells 12, level-mod 1; AeroCircle radii use earth radius 6371000 m). Coverings of
 *     more than 12 cells (possible for regions spanning several cube faces) are rejected.
 * The S2 math in ./s2 reproduces the C++ S2 library bit for bit (same floating-point operation
 * order, exact predicates, same index and coverer heuristics), so cells match Aerospike's.
 */

import { AsError, ResultCode } from '../protocol/result-codes.js';
import { type ParseOptions, type ParsedGeo, EARTH_RADIUS_METERS, GeoJsonError, parseGeoJson } from './geojson.js';
import type { S2Region } from './s2/cap.js';
import * as CID from './s2/cell-id.js';
import { type CovererOptions, RegionCoverer } from './s2/coverer.js';

export { EARTH_RADIUS_METERS, GeoJsonError, parseGeoJson };
export type { ParsedGeo, ParseOptions, CovererOptions, S2Region };
export type CellId = CID.CellId;

export const GEOJSON_PARTICLE_TYPE = 23;
export const GEOJSON_FLAG_REGION = 0x01;

/** Coverer parameters Aerospike uses for stored GeoJSON particles (geo_region_cover with ns == NULL). */
export const PARTICLE_COVERER_OPTIONS: Readonly<CovererOptions> = { minLevel: 1, maxLevel: 30, maxCells: 12, levelMod: 1 };

/**
 * Namespace defaults of geo2dsphere-within (min-level 1, max-level 20, max-cells 12, level-mod 1,
 * earth-radius-meters 6371000), which Aerospike uses to cover query regions.
 */
export const QUERY_COVERER_OPTIONS: Readonly<CovererOptions> = { minLevel: 1, maxLevel: 20, maxCells: 12, levelMod: 1 };

/** MAX_REGION_CELLS in Aerospike's datamodel.h. */
const MAX_REGION_CELLS = 256;

function invalid(message: string): AsError {
  return new AsError(ResultCode.GEO_INVALID_GEOJSON, message);
}

function parseOrThrow(json: string | Uint8Array, opts?: ParseOptions): ParsedGeo {
  try {
    return parseGeoJson(json, opts);
  } catch (e) {
    if (e instanceof GeoJsonError) throw invalid(e.message);
    throw e;
  }
}

/**
 * geo_region_cover: the region's covering with the given parameters. Throws AsError(160) when
 * the covering has more cells than max(6, maxCells) (Aerospike treats that as a failure).
 */
export function coverRegion(region: S2Region, options: Readonly<CovererOptions> = PARTICLE_COVERER_OPTIONS): CellId[] {
  const covering = new RegionCoverer(options).getCovering(region);
  if (covering.length > Math.max(6, options.maxCells) || covering.length > MAX_REGION_CELLS) {
    throw invalid(`region covered with ${covering.length} cells`);
  }
  return covering;
}

/**
 * Parses GeoJSON text as Aerospike does and returns the stored particle bytes (flags, cells, text).
 * Throws AsError(ResultCode.GEO_INVALID_GEOJSON = 160) for text Aerospike rejects.
 * Pass the raw wire bytes when available: the text is then stored byte for byte, and invalid
 * UTF-8 is rejected as Aerospike's JSON parser rejects it.
 */
export function encodeGeoJsonParticle(json: string | Uint8Array): Buffer {
  const text = typeof json === 'string' ? Buffer.from(json, 'utf8') : Buffer.from(json.buffer, json.byteOffset, json.byteLength);
  const parsed = parseOrThrow(typeof json === 'string' ? json : text);
  let flags = 0;
  let cells: CellId[];
  if (parsed.kind === 'point') {
    cells = [parsed.cellId];
  } else {
    flags |= GEOJSON_FLAG_REGION;
    cells = coverRegion(parsed.region, PARTICLE_COVERER_OPTIONS);
  }
  const out = Buffer.allocUnsafe(3 + 8 * cells.length + text.length);
  out.writeUInt8(flags, 0);
  out.writeUInt16BE(cells.length, 1);
  for (let i = 0; i < cells.length; i++) out.writeBigUInt64BE(cells[i]!, 3 + 8 * i);
  text.copy(out, 3 + 8 * cells.length);
  return out;
}

export interface DecodedGeoJsonParticle {
  flags: number;
  isRegion: boolean;
  cells: CellId[];
  /** The GeoJSON text bytes. */
  json: Buffer;
}

/** Splits stored (or wire) particle bytes into flags, cells and text. Throws AsError(160) if truncated. */
export function decodeGeoJsonParticle(value: Uint8Array): DecodedGeoJsonParticle {
  const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (buf.length < 3) throw invalid('geojson particle shorter than 3 bytes');
  const flags = buf.readUInt8(0);
  const ncells = buf.readUInt16BE(1);
  if (buf.length < 3 + 8 * ncells) throw invalid('geojson particle cells overrun the value');
  const cells: CellId[] = [];
  for (let i = 0; i < ncells; i++) cells.push(buf.readBigUInt64BE(3 + 8 * i));
  return { flags, isRegion: (flags & GEOJSON_FLAG_REGION) !== 0, cells, json: buf.subarray(3 + 8 * ncells) };
}

/**
 * The client-side wire form of a particle as the server receives it (flags 0, ncells 0, then the
 * text); the inverse is encodeGeoJsonParticle(decodeGeoJsonParticle(wire).json).
 */
export function geoJsonWireValue(json: string | Uint8Array): Buffer {
  const text = typeof json === 'string' ? Buffer.from(json, 'utf8') : Buffer.from(json);
  return Buffer.concat([Buffer.from([0, 0, 0]), text]);
}

/**
 * geo_point_within: does the region contain the point given by its leaf cell id? Like Aerospike,
 * the test uses the center of the leaf cell, not the original coordinates.
 */
export function regionContainsCell(region: S2Region, cellId: CellId): boolean {
  return region.containsPoint(CID.toPoint(cellId));
}

/**
 * Point-in-region test with Aerospike's strict semantics (geo2dsphere-within strict = true, the
 * default): true iff "region" parses as a Polygon, MultiPolygon or AeroCircle, "point" parses as
 * a Point, and the region contains the center of the point's leaf S2 cell.
 *
 * Limits: returns false (rather than throwing) when either text is invalid or of the wrong kind
 * (Aerospike's matchers also just fail the match). Containment is S2's: a point exactly on a
 * polygon edge or vertex is assigned to exactly one side by S2's semi-open boundary model; cap
 * boundaries are closed. Extremely degenerate inputs that make S2 fall back to long-double
 * arithmetic may differ in the last bit of intermediate values.
 */
export function geoContains(region: string, point: string): boolean {
  let r: ParsedGeo;
  let p: ParsedGeo;
  try {
    r = parseGeoJson(region);
    p = parseGeoJson(point);
  } catch (e) {
    if (e instanceof GeoJsonError) return false;
    throw e;
  }
  if (r.kind !== 'region' || p.kind !== 'point') return false;
  return regionContainsCell(r.region, p.cellId);
}

/**
 * as_geojson_match: does a stored particle match a query? "query" is either a point (a
 * regions-containing-point query) or a region (a points-within-region query). Points never match
 * point queries and regions never match region queries, as in Aerospike.
 */
export function geoJsonParticleMatches(particle: Uint8Array, query: ParsedGeo, strict = true): boolean {
  const d = decodeGeoJsonParticle(particle);
  if (query.kind === 'point') {
    if (!d.isRegion) return false;
    if (!strict) return true;
    let candidate: ParsedGeo;
    try {
      candidate = parseGeoJson(d.json);
    } catch (e) {
      if (e instanceof GeoJsonError) return false;
      throw e;
    }
    return candidate.kind === 'region' && regionContainsCell(candidate.region, query.cellId);
  }
  if (d.isRegion) return false;
  if (d.cells.length === 0) return false;
  if (!strict) return true;
  return regionContainsCell(query.region, d.cells[0]!);
}

/** All ancestors (levels 29..1) and the cell itself, as geo_point_centers lists them for index lookups. */
export function pointCellCenters(cellId: CellId, max = 32): CellId[] {
  const out: CellId[] = [];
  for (let c = cellId; CID.level(c) > 0 && out.length < max; c = CID.parent(c)) out.push(c);
  return out;
}

export { CID as S2CellId };
