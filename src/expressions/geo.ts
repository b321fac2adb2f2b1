/**
 * GeoJSON for CMP_GEO (Aerospike `geojson.cc` / `as_geojson_match`): parsing Point, Polygon,
 * MultiPolygon, AeroCircle (and a Feature wrapping one of them), and point-in-region tests on the
 * sphere.
 *
 * Aerospike uses S2: a point is a leaf cell, a polygon loop is normalised to cover at most half the
 * sphere, a circle is a cap of `radius / 6371000` radians. Here loops are tested exactly on the
 * sphere through a gnomonic projection centred on the loop (great-circle edges become straight
 * lines); loops spanning more than a hemisphere fall back to a planar longitude/latitude test.
 */

const EARTH_RADIUS_METERS = 6371000;
const DEG = Math.PI / 180;

type Vec3 = [number, number, number];

export interface GeoPoint {
  kind: 'point';
  lng: number;
  lat: number;
  v: Vec3;
}

export interface GeoRegion {
  kind: 'region';
  contains(p: GeoPoint): boolean;
}

export type GeoShape = GeoPoint | GeoRegion;

class GeoError extends Error {}

function bad(msg: string): never {
  throw new GeoError(msg);
}

function toVec(lng: number, lat: number): Vec3 {
  const cl = Math.cos(lat * DEG);
  return [cl * Math.cos(lng * DEG), cl * Math.sin(lng * DEG), Math.sin(lat * DEG)];
}

function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function normalize(a: Vec3): Vec3 | null {
  const n = Math.hypot(a[0], a[1], a[2]);
  return n < 1e-15 ? null : [a[0] / n, a[1] / n, a[2] / n];
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${what} not numeric value`);
  return v;
}

function parsePoint(coord: unknown): GeoPoint {
  if (!Array.isArray(coord)) bad('coordinates are not array');
  if (coord.length !== 2) bad('expected 2 coordinates');
  const lng = num(coord[0], 'longitude');
  const lat = num(coord[1], 'latitude');
  if (Math.abs(lat) > 90 || Math.abs(lng) > 180) bad('invalid latitude-longitude');
  return { kind: 'point', lng, lat, v: toVec(lng, lat) };
}

/** A closed loop; contains() tests the side covering at most half the sphere. */
class Loop {
  private readonly planar: { xs: number[]; ys: number[] } | null = null;
  private readonly center: Vec3 | null = null;
  private readonly proj: { xs: number[]; ys: number[]; e1: Vec3; e2: Vec3 } | null = null;

  constructor(pts: GeoPoint[]) {
    let sum: Vec3 = [0, 0, 0];
    for (const p of pts) sum = [sum[0] + p.v[0], sum[1] + p.v[1], sum[2] + p.v[2]];
    const c = normalize(sum);
    if (c && pts.every((p) => dot(p.v, c) > 1e-9)) {
      // gnomonic projection about c: exact for great-circle edges
      const helper: Vec3 = Math.abs(c[2]) < 0.9 ? [0, 0, 1] : [1, 0, 0];
      const e1 = normalize(cross(helper, c))!;
      const e2 = cross(c, e1);
      const xs: number[] = [];
      const ys: number[] = [];
      for (const p of pts) {
        const d = dot(p.v, c);
        xs.push(dot(p.v, e1) / d);
        ys.push(dot(p.v, e2) / d);
      }
      this.center = c;
      this.proj = { xs, ys, e1, e2 };
    } else {
      this.planar = { xs: pts.map((p) => p.lng), ys: pts.map((p) => p.lat) };
    }
  }

  contains(p: GeoPoint): boolean {
    if (this.proj && this.center) {
      const d = dot(p.v, this.center);
      if (d <= 1e-12) return false;
      return pointInPolygon(dot(p.v, this.proj.e1) / d, dot(p.v, this.proj.e2) / d, this.proj.xs, this.proj.ys);
    }
    return pointInPolygon(p.lng, p.lat, this.planar!.xs, this.planar!.ys);
  }
}

/** Even-odd ray casting. */
function pointInPolygon(x: number, y: number, xs: number[], ys: number[]): boolean {
  let inside = false;
  const n = xs.length;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const yi = ys[i]!;
    const yj = ys[j]!;
    if (yi > y !== yj > y) {
      const xi = xs[i]!;
      const xj = xs[j]!;
      const xCross = ((xj - xi) * (y - yi)) / (yj - yi) + xi;
      if (x < xCross) inside = !inside;
    }
  }
  return inside;
}

function parseLoop(vertices: unknown): Loop {
  if (!Array.isArray(vertices)) bad('vertices are not array');
  const pts = vertices.map(parsePoint);
  for (let i = 1; i < pts.length; i++) {
    if (pts[i - 1]!.lng === pts[i]!.lng && pts[i - 1]!.lat === pts[i]!.lat) {
      pts.splice(i, 1);
      i--;
    }
  }
  if (pts.length < 4) bad('loop contains less than 4 points');
  const first = pts[0]!;
  const last = pts[pts.length - 1]!;
  if (first.lng !== last.lng || first.lat !== last.lat) bad('loop not closed');
  pts.pop();
  return new Loop(pts);
}

function parsePolygon(loops: unknown): GeoRegion {
  if (!Array.isArray(loops)) bad('polygon body is not array');
  const ls = loops.map(parseLoop);
  return {
    kind: 'region',
    contains(p) {
      let n = 0;
      for (const l of ls) if (l.contains(p)) n++;
      return n % 2 === 1;
    },
  };
}

function parseGeometry(g: unknown, allowFeature: boolean): GeoShape {
  if (g === null || typeof g !== 'object' || Array.isArray(g)) bad('geometry is not object');
  const obj = g as Record<string, unknown>;
  const type = obj['type'];
  if (typeof type !== 'string') bad('missing geometry type');
  const coord = obj['coordinates'];
  switch (type) {
    case 'Feature':
      if (!allowFeature) bad('unknown geometry type');
      return parseGeometry(obj['geometry'], false);
    case 'Point':
      return parsePoint(coord);
    case 'Polygon':
      if (!Array.isArray(coord)) bad('coordinates are not array');
      return parsePolygon(coord);
    case 'MultiPolygon': {
      if (!Array.isArray(coord)) bad('coordinates are not array');
      const polys = coord.map(parsePolygon);
      return { kind: 'region', contains: (p) => polys.some((r) => r.contains(p)) };
    }
    case 'AeroCircle': {
      if (!Array.isArray(coord)) bad('coordinates are not array');
      if (coord.length !== 2) bad('malformed circle coordinate array');
      const center = parsePoint(coord[0]);
      const radius = num(coord[1], 'radius');
      const angle = radius / EARTH_RADIUS_METERS;
      return {
        kind: 'region',
        contains(p) {
          const c = Math.max(-1, Math.min(1, dot(center.v, p.v)));
          return Math.acos(c) <= angle;
        },
      };
    }
    default:
      bad(`unknown geometry type: ${type}`);
  }
}

/** Parses GeoJSON text; null when Aerospike would reject it. */
export function parseGeoJson(json: string): GeoShape | null {
  try {
    return parseGeometry(JSON.parse(json), true);
  } catch (e) {
    if (e instanceof GeoError || e instanceof SyntaxError) return null;
    throw e;
  }
}

/**
 * `as_geojson_match(candidate = a, query = b, strict)`: a region query matches candidate points
 * inside it; a point query matches candidate regions containing it; point/point and
 * region/region never match.
 */
export function geoMatch(a: GeoShape, b: GeoShape): boolean {
  if (b.kind === 'point') return a.kind === 'region' && a.contains(b);
  return a.kind === 'point' && b.contains(a);
}

/** A GeoJSON value at run time: its text, parsed on first use. */
export class GeoValue {
  private parsed: GeoShape | null | undefined;

  constructor(
    readonly json: string,
    shape?: GeoShape | null,
  ) {
    this.parsed = shape;
  }

  /** The parsed shape, or null if the text is not valid GeoJSON. */
  get shape(): GeoShape | null {
    if (this.parsed === undefined) this.parsed = parseGeoJson(this.json);
    return this.parsed;
  }
}
