/**
 * GeoJSON -> S2 geometry exactly as Aerospike's server parses it (as/src/geospatial/geojson.cc):
 *
 *  - top level: an object whose string "type" is Feature (then "geometry" holds one of the
 *    following), Point, Polygon, MultiPolygon or AeroCircle; anything else is rejected;
 *  - a position is an array of exactly 2 numbers [lng, lat] (integers or reals), with
 *    |lat| <= 90 and |lng| <= 180 after conversion to radians;
 *  - a Polygon is an array of loops; consecutive duplicate points of a loop are dropped, a loop
 *    needs at least 4 points and must end where it started; the closing point is dropped, each
 *    loop is normalized (made to cover at most half the sphere) and the loops are nested into an
 *    S2Polygon. Self-intersecting or otherwise invalid loops are NOT rejected (Aerospike
 *    disabled those checks), and an empty loop list yields an empty region;
 *  - a MultiPolygon is an array of Polygon bodies (an S2RegionUnion);
 *  - an AeroCircle is [[lng, lat], radius_meters]: a cap of radius/earth_radius radians
 *    (earth radius 6371000 m, Aerospike's default); a negative radius gives an empty cap.
 *
 * Other members ("properties", "bbox", ...) are ignored, as are extra members of a position's
 * enclosing objects.
 */

import { S2Cap, type S2Region } from './s2/cap.js';
import * as CID from './s2/cell-id.js';
import { latLngToPoint } from './s2/latlng-rect.js';
import { type Vec3, equals } from './s2/point.js';
import { S2Loop, S2Polygon, S2RegionUnion } from './s2/polygon.js';
import { JsonError, type JsonValue, parseJson } from './json.js';

/** Aerospike's default namespace geo2dsphere-within earth-radius-meters. */
export const EARTH_RADIUS_METERS = 6371000;

export class GeoJsonError extends Error {}

export type ParsedGeo =
  | { readonly kind: 'point'; readonly cellId: CID.CellId; readonly point: Vec3 }
  | { readonly kind: 'region'; readonly type: 'Polygon' | 'MultiPolygon' | 'AeroCircle'; readonly region: S2Region };

export interface ParseOptions {
  /** Earth radius used to turn AeroCircle radii into angles (default 6371000). */
  earthRadiusMeters?: number;
}

function fail(msg: string): never {
  throw new GeoJsonError(msg);
}

function get(obj: JsonValue, key: string): JsonValue | undefined {
  return obj.kind === 'object' ? obj.members.get(key) : undefined;
}

function numberValue(v: JsonValue | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (v.kind === 'real') return v.value;
  if (v.kind === 'integer') return Number(v.value);
  return undefined;
}

/** traverse_point: [lng, lat] -> S2Point via S2LatLng::FromDegrees(lat, lng).ToPoint(). */
function traversePoint(coord: JsonValue | undefined): Vec3 {
  if (coord === undefined) fail('missing coordinates');
  if (coord.kind !== 'array') fail('coordinates are not array');
  if (coord.items.length !== 2) fail(`expected 2 coordinates, saw ${coord.items.length}`);
  const lng = numberValue(coord.items[0]);
  if (lng === undefined) fail('longitude not numeric value');
  const lat = numberValue(coord.items[1]);
  if (lat === undefined) fail('latitude not numeric value');
  const latRad = (Math.PI / 180) * lat;
  const lngRad = (Math.PI / 180) * lng;
  if (!(Math.abs(latRad) <= Math.PI / 2 && Math.abs(lngRad) <= Math.PI)) fail('invalid latitude-longitude');
  return latLngToPoint({ lat: latRad, lng: lngRad });
}

function traverseLoop(vertices: JsonValue | undefined): S2Loop {
  if (vertices === undefined) fail('missing vertices');
  if (vertices.kind !== 'array') fail('vertices are not array');
  const points: Vec3[] = vertices.items.map((v) => traversePoint(v));
  // Remove consecutive duplicate points.
  for (let i = 1; i < points.length; i++) {
    if (equals(points[i - 1]!, points[i]!)) {
      points.splice(i, 1);
      i--;
    }
  }
  if (points.length < 4) fail('loop contains less than 4 points');
  if (!equals(points[0]!, points[points.length - 1]!)) fail('loop not closed');
  points.pop();
  const loop = new S2Loop(points);
  loop.normalize();
  return loop;
}

function traversePolygon(loops: JsonValue | undefined): S2Polygon {
  if (loops === undefined) fail('missing polygon body');
  if (loops.kind !== 'array') fail('polygon body is not array');
  return new S2Polygon(loops.items.map((l) => traverseLoop(l)));
}

function processGeometry(type: string, coord: JsonValue | undefined, opts: ParseOptions): ParsedGeo {
  switch (type) {
    case 'Point': {
      const point = traversePoint(coord);
      return { kind: 'point', cellId: CID.fromPoint(point), point };
    }
    case 'Polygon': {
      if (coord === undefined) fail('missing coordinates');
      if (coord.kind !== 'array') fail('coordinates are not array');
      return { kind: 'region', type: 'Polygon', region: traversePolygon(coord) };
    }
    case 'MultiPolygon': {
      if (coord === undefined) fail('missing coordinates');
      if (coord.kind !== 'array') fail('coordinates are not array');
      return { kind: 'region', type: 'MultiPolygon', region: new S2RegionUnion(coord.items.map((p) => traversePolygon(p))) };
    }
    case 'AeroCircle': {
      if (coord === undefined) fail('missing coordinates');
      if (coord.kind !== 'array') fail('coordinates are not array');
      if (coord.items.length !== 2) fail('malformed circle coordinate array');
      const center = traversePoint(coord.items[0]);
      const radius = numberValue(coord.items[1]);
      if (radius === undefined) fail('radius not numeric value');
      const earth = opts.earthRadiusMeters ?? EARTH_RADIUS_METERS;
      return { kind: 'region', type: 'AeroCircle', region: S2Cap.fromCenterAngle(center, radius / earth) };
    }
    default:
      return fail(`unknown geometry type: ${type}`);
  }
}

/**
 * Parses GeoJSON text the way Aerospike does. Throws GeoJsonError for anything Aerospike rejects.
 * Accepts the raw bytes (preferred: invalid UTF-8 is then detected as jansson detects it) or a string.
 */
export function parseGeoJson(text: Uint8Array | string, opts: ParseOptions = {}): ParsedGeo {
  let root: JsonValue;
  try {
    root = parseJson(text);
  } catch (e) {
    if (e instanceof JsonError) fail(`failed to parse geojson: ${e.message}`);
    throw e;
  }
  if (root.kind !== 'object') fail('top level geojson element not object');
  const type = get(root, 'type');
  if (type === undefined) fail('missing top-level type in geojson element');
  if (type.kind !== 'string') fail('top-level type is not string');
  if (type.value === 'Feature') {
    const geom = get(root, 'geometry');
    if (geom === undefined) fail('missing geometry element');
    if (geom.kind !== 'object') fail('geometry is not object');
    const gtype = get(geom, 'type');
    if (gtype === undefined) fail('missing geometry type');
    if (gtype.kind !== 'string') fail('geometry type is not string');
    if (!['Point', 'Polygon', 'MultiPolygon', 'AeroCircle'].includes(gtype.value)) {
      fail(`unknown geometry type: ${gtype.value}`);
    }
    return processGeometry(gtype.value, get(geom, 'coordinates'), opts);
  }
  if (!['Point', 'Polygon', 'MultiPolygon', 'AeroCircle'].includes(type.value)) {
    fail(`unknown top-level type: ${type.value}`);
  }
  return processGeometry(type.value, get(root, 'coordinates'), opts);
}
