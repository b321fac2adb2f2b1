/**
 * Robust geometric predicates (s2predicates.cc, s2edge_crossings.cc, s2edge_crosser.h):
 * orientation sign with a floating-point triage, a stable fallback, exact arithmetic (bigint
 * dyadic rationals standing in for ExactFloat) and symbolic perturbation; edge crossing tests.
 *
 * Known approximation: where S2 falls back to x87 long double (RobustCrossProd's second stage),
 * this port goes straight to exact arithmetic. That path is only reached for nearly identical or
 * nearly antipodal edge endpoints.
 */

import { DBL_EPSILON, type Vec3, add, cross, dot, equals, less, neg, norm2, normalize, ortho, sub } from './point.js';

// ---- exact dyadic arithmetic: value = m * 2^e ----

interface Exact {
  m: bigint;
  e: number;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function toExact(x: number): Exact {
  if (x === 0) return { m: 0n, e: 0 };
  f64[0] = x;
  const hi = u32[LITTLE ? 1 : 0]!;
  const lo = u32[LITTLE ? 0 : 1]!;
  const sign = hi >>> 31 ? -1n : 1n;
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (bexp === 0) {
    e = -1074;
  } else {
    mant |= 1n << 52n;
    e = bexp - 1075;
  }
  return { m: sign * mant, e };
}

function xmul(a: Exact, b: Exact): Exact {
  return { m: a.m * b.m, e: a.e + b.e };
}

function xadd(a: Exact, b: Exact): Exact {
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  if (a.e === b.e) return { m: a.m + b.m, e: a.e };
  if (a.e > b.e) return { m: (a.m << BigInt(a.e - b.e)) + b.m, e: b.e };
  return { m: a.m + (b.m << BigInt(b.e - a.e)), e: a.e };
}

function xneg(a: Exact): Exact {
  return { m: -a.m, e: a.e };
}

function xsub(a: Exact, b: Exact): Exact {
  return xadd(a, xneg(b));
}

function xsgn(a: Exact): number {
  return a.m > 0n ? 1 : a.m < 0n ? -1 : 0;
}

type XVec = [Exact, Exact, Exact];

function toExactVec(p: Vec3): XVec {
  return [toExact(p[0]), toExact(p[1]), toExact(p[2])];
}

function xcross(a: XVec, b: XVec): XVec {
  return [
    xsub(xmul(a[1], b[2]), xmul(a[2], b[1])),
    xsub(xmul(a[2], b[0]), xmul(a[0], b[2])),
    xsub(xmul(a[0], b[1]), xmul(a[1], b[0])),
  ];
}

function xdot(a: XVec, b: XVec): Exact {
  return xadd(xadd(xmul(a[0], b[0]), xmul(a[1], b[1])), xmul(a[2], b[2]));
}

/** Converts an exact value to the nearest double (ties to even), like ExactFloat::ToDouble. */
function exactToDouble(a: Exact): number {
  if (a.m === 0n) return 0;
  const neg = a.m < 0n;
  let m = neg ? -a.m : a.m;
  let e = a.e;
  // Reduce to at most 54 significant bits + sticky, then let the engine round via string-free math.
  const bits = m.toString(2).length;
  if (bits > 60) {
    const drop = bits - 60;
    const sticky = (m & ((1n << BigInt(drop)) - 1n)) !== 0n ? 1n : 0n;
    m = (m >> BigInt(drop)) | sticky;
    e += drop;
  }
  // m < 2^60: Number(m) rounds to nearest even correctly only if m has <= 53 bits; do it manually.
  const mb = m.toString(2).length;
  if (mb > 53) {
    const drop = mb - 53;
    const rem = m & ((1n << BigInt(drop)) - 1n);
    const half = 1n << BigInt(drop - 1);
    m >>= BigInt(drop);
    if (rem > half || (rem === half && (m & 1n) === 1n)) m += 1n;
    e += drop;
  }
  let v = Number(m);
  while (e > 1000) {
    v *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    v *= 2 ** -1000;
    e += 1000;
  }
  v *= 2 ** e;
  return neg ? -v : v;
}

// ---- orientation predicates ----

const MAX_DET_ERROR = 1.8274 * DBL_EPSILON;

export function triageSign(a: Vec3, b: Vec3, c: Vec3, aCrossB: Vec3): number {
  const det = dot(aCrossB, c);
  if (det > MAX_DET_ERROR) return 1;
  if (det < -MAX_DET_ERROR) return -1;
  return 0;
}

export function stableSign(a: Vec3, b: Vec3, c: Vec3): number {
  const ab = sub(b, a);
  const bc = sub(c, b);
  const ca = sub(a, c);
  const ab2 = norm2(ab);
  const bc2 = norm2(bc);
  const ca2 = norm2(ca);
  const kDetErrorMultiplier = 3.2321 * DBL_EPSILON;
  let det: number;
  let maxError: number;
  if (ab2 >= bc2 && ab2 >= ca2) {
    det = -dot(cross(ca, bc), c);
    maxError = kDetErrorMultiplier * Math.sqrt(ca2 * bc2);
  } else if (bc2 >= ca2) {
    det = -dot(cross(ab, ca), a);
    maxError = kDetErrorMultiplier * Math.sqrt(ab2 * ca2);
  } else {
    det = -dot(cross(bc, ab), b);
    maxError = kDetErrorMultiplier * Math.sqrt(bc2 * ab2);
  }
  const kMinNoUnderflowError = kDetErrorMultiplier * Math.sqrt(2.2250738585072014e-308);
  if (maxError < kMinNoUnderflowError) return 0;
  return Math.abs(det) <= maxError ? 0 : det > 0 ? 1 : -1;
}

function symbolicallyPerturbedSign(a: XVec, b: XVec, c: XVec, bCrossC: XVec): number {
  let s = xsgn(bCrossC[2]);
  if (s !== 0) return s;
  s = xsgn(bCrossC[1]);
  if (s !== 0) return s;
  s = xsgn(bCrossC[0]);
  if (s !== 0) return s;
  s = xsgn(xsub(xmul(c[0], a[1]), xmul(c[1], a[0])));
  if (s !== 0) return s;
  s = xsgn(c[0]);
  if (s !== 0) return s;
  s = -xsgn(c[1]);
  if (s !== 0) return s;
  s = xsgn(xsub(xmul(c[2], a[0]), xmul(c[0], a[2])));
  if (s !== 0) return s;
  s = xsgn(c[2]);
  if (s !== 0) return s;
  s = xsgn(xsub(xmul(a[0], b[1]), xmul(a[1], b[0])));
  if (s !== 0) return s;
  s = -xsgn(b[0]);
  if (s !== 0) return s;
  s = xsgn(b[1]);
  if (s !== 0) return s;
  s = xsgn(a[0]);
  if (s !== 0) return s;
  return 1;
}

export function exactSign(a: Vec3, b: Vec3, c: Vec3, perturb: boolean): number {
  let permSign = 1;
  let pa = a;
  let pb = b;
  let pc = c;
  let t: Vec3;
  if (less(pb, pa)) {
    t = pa;
    pa = pb;
    pb = t;
    permSign = -permSign;
  }
  if (less(pc, pb)) {
    t = pb;
    pb = pc;
    pc = t;
    permSign = -permSign;
  }
  if (less(pb, pa)) {
    t = pa;
    pa = pb;
    pb = t;
    permSign = -permSign;
  }
  const xa = toExactVec(pa);
  const xb = toExactVec(pb);
  const xc = toExactVec(pc);
  const xbc = xcross(xb, xc);
  let detSign = xsgn(xdot(xa, xbc));
  if (detSign === 0 && perturb) detSign = symbolicallyPerturbedSign(xa, xb, xc, xbc);
  return permSign * detSign;
}

export function expensiveSign(a: Vec3, b: Vec3, c: Vec3, perturb = true): number {
  if (equals(a, b) || equals(b, c) || equals(c, a)) return 0;
  const s = stableSign(a, b, c);
  if (s !== 0) return s;
  return exactSign(a, b, c, perturb);
}

/** s2pred::Sign: +1 if a,b,c are counterclockwise, -1 if clockwise, 0 only if two points coincide. */
export function sign(a: Vec3, b: Vec3, c: Vec3, aCrossB: Vec3 = cross(a, b)): number {
  let s = triageSign(a, b, c, aCrossB);
  if (s === 0) s = expensiveSign(a, b, c);
  return s;
}

/** s2pred::OrderedCCW: true if the edges OA, OB, OC are encountered in that order CCW around O. */
export function orderedCCW(a: Vec3, b: Vec3, c: Vec3, o: Vec3): boolean {
  let sum = 0;
  if (sign(b, o, a) >= 0) ++sum;
  if (sign(c, o, b) >= 0) ++sum;
  if (sign(a, o, c) > 0) ++sum;
  return sum >= 2;
}

// ---- cross products ----

const DBL_ERR = DBL_EPSILON / 2;
const SQRT3 = 1.7320508075688772;
const ROBUST_CROSS_PROD_ERROR = 6 * DBL_ERR;
const STABLE_MIN_NORM = (32 * SQRT3 * DBL_ERR) / (ROBUST_CROSS_PROD_ERROR / DBL_ERR - (1 + 2 * SQRT3));

/** S2::RobustCrossProd: a vector orthogonal to a and b with reliable direction. */
export function robustCrossProd(a: Vec3, b: Vec3): Vec3 {
  const result = cross(sub(a, b), add(a, b));
  if (norm2(result) >= STABLE_MIN_NORM * STABLE_MIN_NORM) return result;
  if (equals(a, b)) return ortho(a);
  return exactCrossProd(a, b);
}

function exactCrossProd(a: Vec3, b: Vec3): Vec3 {
  const r = xcross(toExactVec(a), toExactVec(b));
  if (r[0].m !== 0n || r[1].m !== 0n || r[2].m !== 0n) {
    return normalizableToDouble(r);
  }
  // Linearly dependent: S2 uses a symbolic perturbation; approximate with a stable orthogonal direction.
  if (less(b, a)) return neg(symbolicCrossProdSorted(b, a));
  return symbolicCrossProdSorted(a, b);
}

function normalizableToDouble(r: XVec): Vec3 {
  const x: Vec3 = [exactToDouble(r[0]), exactToDouble(r[1]), exactToDouble(r[2])];
  if (Math.max(Math.abs(x[0]), Math.abs(x[1]), Math.abs(x[2])) >= 2 ** -242) return x;
  // Scale so the largest component is in [0.5, 1) before converting (NormalizableFromExact).
  let maxExp = -Infinity;
  for (const c of r) {
    if (c.m !== 0n) maxExp = Math.max(maxExp, c.e + (c.m < 0n ? -c.m : c.m).toString(2).length);
  }
  const shift = -maxExp;
  return [
    exactToDouble({ m: r[0].m, e: r[0].e + shift }),
    exactToDouble({ m: r[1].m, e: r[1].e + shift }),
    exactToDouble({ m: r[2].m, e: r[2].e + shift }),
  ];
}

function symbolicCrossProdSorted(a: Vec3, b: Vec3): Vec3 {
  if (b[0] !== 0 || b[1] !== 0) return [-b[1], b[0], 0];
  if (b[2] !== 0) return [b[2], 0, 0];
  if (a[0] !== 0 || a[1] !== 0) return [a[1], -a[0], 0];
  return [1, 0, 0];
}

export function normalizedRobustCrossProd(a: Vec3, b: Vec3): Vec3 {
  return normalize(robustCrossProd(a, b));
}

// ---- edge crossings ----

const TANGENT_ERROR = (1.5 + 1 / Math.sqrt(3)) * DBL_EPSILON;

/**
 * S2::CrossingSign(a, b, c, d): +1 if AB and CD cross at a point interior to both, 0 if two
 * vertices coincide (and no other crossing), -1 otherwise.
 */
export function crossingSign(a: Vec3, b: Vec3, c: Vec3, d: Vec3): number {
  const aCrossB = cross(a, b);
  let acb = -triageSign(a, b, c, aCrossB);
  let bda = triageSign(a, b, d, aCrossB);
  if (acb === -bda && bda !== 0) return -1;
  const n = robustCrossProd(a, b);
  const aTangent = cross(a, n);
  const bTangent = cross(n, b);
  if (
    (dot(c, aTangent) > TANGENT_ERROR && dot(d, aTangent) > TANGENT_ERROR) ||
    (dot(c, bTangent) > TANGENT_ERROR && dot(d, bTangent) > TANGENT_ERROR)
  ) {
    return -1;
  }
  if (equals(a, c) || equals(a, d) || equals(b, c) || equals(b, d)) return 0;
  if (equals(a, b) || equals(c, d)) return -1;
  if (acb === 0) acb = -expensiveSign(a, b, c);
  if (bda === 0) bda = expensiveSign(a, b, d);
  if (bda !== acb) return -1;
  const cCrossD = cross(c, d);
  const cbd = -sign(c, d, b, cCrossD);
  if (cbd !== acb) return -1;
  const dac = sign(c, d, a, cCrossD);
  return dac !== acb ? -1 : 1;
}

/** S2::VertexCrossing: the crossing rule for edges that share a vertex. */
export function vertexCrossing(a: Vec3, b: Vec3, c: Vec3, d: Vec3): boolean {
  if (equals(a, b) || equals(c, d)) return false;
  if (equals(a, c)) return equals(b, d) || orderedCCW(ortho(a), d, b, a);
  if (equals(b, d)) return orderedCCW(ortho(b), c, a, b);
  if (equals(a, d)) return equals(b, c) || orderedCCW(ortho(a), c, b, a);
  if (equals(b, c)) return orderedCCW(ortho(b), d, a, b);
  return false;
}

/** S2EdgeCrosser::EdgeOrVertexCrossing(a, b, c, d). */
export function edgeOrVertexCrossing(a: Vec3, b: Vec3, c: Vec3, d: Vec3): boolean {
  const crossing = crossingSign(a, b, c, d);
  if (crossing < 0) return false;
  if (crossing > 0) return true;
  return vertexCrossing(a, b, c, d);
}

/** S2::AngleContainsVertex. */
export function angleContainsVertex(a: Vec3, b: Vec3, c: Vec3): boolean {
  return !orderedCCW(ortho(b), c, a, b);
}

/** S2::WedgeContains. */
export function wedgeContains(a0: Vec3, ab1: Vec3, a2: Vec3, b0: Vec3, b2: Vec3): boolean {
  return orderedCCW(a2, b2, b0, ab1) && orderedCCW(b0, a0, a2, ab1);
}

/** S2::TurnAngle. */
export function turnAngle(a: Vec3, b: Vec3, c: Vec3): number {
  const x = robustCrossProd(a, b);
  const y = robustCrossProd(b, c);
  const ang = Math.atan2(Math.sqrt(norm2(cross(x, y))), dot(x, y));
  return sign(a, b, c) > 0 ? ang : -ang;
}
