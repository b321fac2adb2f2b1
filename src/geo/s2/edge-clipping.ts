/** Clipping edges to cube faces and testing edges against (u,v) rectangles (s2edge_clipping.cc). */

import { faceXYZtoUVW, getFace, validFaceXYZtoUV } from './coords.js';
import { DBL_EPSILON, type Vec3, cmax, cross, dot, neg, normalize, sub } from './point.js';
import { robustCrossProd } from './predicates.js';
import type { R2Point, R2Rect } from './r2.js';

export const FACE_CLIP_ERROR_RADIANS = 3 * DBL_EPSILON;
export const FACE_CLIP_ERROR_UV_COORD = 9 * Math.SQRT1_2 * DBL_EPSILON;
export const INTERSECTS_RECT_ERROR_UV_DIST = 3 * Math.SQRT2 * DBL_EPSILON;
export const EDGE_CLIP_ERROR_UV_COORD = 2.25 * DBL_EPSILON;

function intersectsFace(n: Vec3): boolean {
  const u = Math.abs(n[0]);
  const v = Math.abs(n[1]);
  const w = Math.abs(n[2]);
  return v >= w - u && u >= w - v;
}

function intersectsOppositeEdges(n: Vec3): boolean {
  const u = Math.abs(n[0]);
  const v = Math.abs(n[1]);
  const w = Math.abs(n[2]);
  if (Math.abs(u - v) !== w) return Math.abs(u - v) >= w;
  return u >= v ? u - w >= v : v - w >= u;
}

function signbit(x: number): number {
  return x < 0 || Object.is(x, -0) ? 1 : 0;
}

function getExitAxis(n: Vec3): number {
  if (intersectsOppositeEdges(n)) return Math.abs(n[0]) >= Math.abs(n[1]) ? 1 : 0;
  return (signbit(n[0]) ^ signbit(n[1]) ^ signbit(n[2])) === 0 ? 1 : 0;
}

function getExitPoint(n: Vec3, axis: number): [number, number] {
  if (axis === 0) {
    const u = n[1] > 0 ? 1.0 : -1.0;
    return [u, (-u * n[0] - n[2]) / n[1]];
  }
  const v = n[0] < 0 ? 1.0 : -1.0;
  return [(-v * n[1] - n[2]) / n[0], v];
}

/** Returns [score, uv]; see S2's ClipDestination. */
function clipDestination(
  a: Vec3,
  b: Vec3,
  scaledN: Vec3,
  aTangent: Vec3,
  bTangent: Vec3,
  scaleUV: number,
): [number, [number, number]] {
  const kMaxSafeUVCoord = 1 - FACE_CLIP_ERROR_UV_COORD;
  let uv: [number, number];
  if (b[2] > 0) {
    uv = [b[0] / b[2], b[1] / b[2]];
    if (cmax(Math.abs(uv[0]), Math.abs(uv[1])) <= kMaxSafeUVCoord) return [0, uv];
  }
  const exit = getExitPoint(scaledN, getExitAxis(scaledN));
  uv = [scaleUV * exit[0], scaleUV * exit[1]];
  const p: Vec3 = [uv[0], uv[1], 1.0];
  let score = 0;
  if (dot(sub(p, a), aTangent) < 0) {
    score = 2;
  } else if (dot(sub(p, b), bTangent) < 0) {
    score = 1;
  }
  if (score > 0) {
    if (b[2] <= 0) {
      score = 3;
    } else {
      uv = [b[0] / b[2], b[1] / b[2]];
    }
  }
  return [score, uv];
}

/**
 * S2::ClipToPaddedFace: clips edge AB to the given face padded by "padding" in (u,v) space.
 * Returns the clipped endpoints, or null if the edge does not intersect the padded face.
 */
export function clipToPaddedFace(aXYZ: Vec3, bXYZ: Vec3, face: number, padding: number): [R2Point, R2Point] | null {
  if (getFace(aXYZ) === face && getFace(bXYZ) === face) {
    return [validFaceXYZtoUV(face, aXYZ), validFaceXYZtoUV(face, bXYZ)];
  }
  let n = faceXYZtoUVW(face, robustCrossProd(aXYZ, bXYZ));
  const a = faceXYZtoUVW(face, aXYZ);
  const b = faceXYZtoUVW(face, bXYZ);
  const scaleUV = 1 + padding;
  const scaledN: Vec3 = [scaleUV * n[0], scaleUV * n[1], n[2]];
  if (!intersectsFace(scaledN)) return null;
  n = normalize(n);
  const aTangent = cross(n, a);
  const bTangent = cross(b, n);
  const [aScore, aUV] = clipDestination(b, a, neg(scaledN), bTangent, aTangent, scaleUV);
  const [bScore, bUV] = clipDestination(a, b, scaledN, aTangent, bTangent, scaleUV);
  if (aScore + bScore < 3) return [aUV, bUV];
  return null;
}

/** S2::IntersectsRect: does the (u,v) segment AB intersect the rectangle? */
export function intersectsRect(a: R2Point, b: R2Point, rect: R2Rect): boolean {
  // R2Rect::FromPointPair(a, b) must intersect the rectangle.
  const [xlo, xhi] = a[0] <= b[0] ? [a[0], b[0]] : [b[0], a[0]];
  const [ylo, yhi] = a[1] <= b[1] ? [a[1], b[1]] : [b[1], a[1]];
  if (!intervalsIntersect(rect.x.lo, rect.x.hi, xlo, xhi)) return false;
  if (!intervalsIntersect(rect.y.lo, rect.y.hi, ylo, yhi)) return false;
  // The rectangle's vertices on either side of the edge's line.
  const n: [number, number] = [-(b[1] - a[1]), b[0] - a[0]];
  const i = n[0] >= 0 ? 1 : 0;
  const j = n[1] >= 0 ? 1 : 0;
  const vmax = rect.vertexIJ(i, j);
  const vmin = rect.vertexIJ(1 - i, 1 - j);
  const max = n[0] * (vmax[0] - a[0]) + n[1] * (vmax[1] - a[1]);
  const min = n[0] * (vmin[0] - a[0]) + n[1] * (vmin[1] - a[1]);
  return max >= 0 && min <= 0;
}

/** R1Interval(lo,hi).Intersects(R1Interval(ylo,yhi)). */
function intervalsIntersect(lo: number, hi: number, ylo: number, yhi: number): boolean {
  if (lo <= ylo) return ylo <= hi && ylo <= yhi;
  return lo <= yhi && lo <= hi;
}

/** S2::InterpolateDouble: the value at x of the line through (a, a1) and (b, b1). */
export function interpolateDouble(x: number, a: number, b: number, a1: number, b1: number): number {
  if (Math.abs(a - x) <= Math.abs(b - x)) {
    return a1 + ((b1 - a1) * (x - a)) / (b - a);
  }
  return b1 + ((a1 - b1) * (x - b)) / (a - b);
}

