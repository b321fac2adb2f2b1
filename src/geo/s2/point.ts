/**
 * 3-vectors (points on the unit sphere) with the exact floating-point evaluation order of S2's
 * Vector3<double>, so results are bit-identical to the C++ library compiled without FMA
 * contraction (x86-64, as Aerospike's server builds are).
 */

export type Vec3 = readonly [number, number, number];

export const DBL_EPSILON = Number.EPSILON;

export function vec(x: number, y: number, z: number): Vec3 {
  return [x, y, z];
}

export function add(a: Vec3, b: Vec3): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

export function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

export function neg(a: Vec3): Vec3 {
  return [-a[0], -a[1], -a[2]];
}

export function scale(a: Vec3, k: number): Vec3 {
  return [a[0] * k, a[1] * k, a[2] * k];
}

/** ((0 + a0*b0) + a1*b1) + a2*b2, as Vector3::DotProd. */
export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function norm2(a: Vec3): number {
  return dot(a, a);
}

export function norm(a: Vec3): number {
  return Math.sqrt(norm2(a));
}

/** Vector3::Normalize: multiply by the reciprocal of the norm (unless the norm is zero). */
export function normalize(a: Vec3): Vec3 {
  let n = norm(a);
  if (n !== 0) n = 1.0 / n;
  return [a[0] * n, a[1] * n, a[2] * n];
}

export function equals(a: Vec3, b: Vec3): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

/** Lexicographic order (Vector3 operator<). */
export function less(a: Vec3, b: Vec3): boolean {
  if (a[0] !== b[0]) return a[0] < b[0];
  if (a[1] !== b[1]) return a[1] < b[1];
  return a[2] < b[2];
}

export function largestAbsComponent(a: Vec3): number {
  const x = Math.abs(a[0]);
  const y = Math.abs(a[1]);
  const z = Math.abs(a[2]);
  return x > y ? (x > z ? 0 : 2) : y > z ? 1 : 2;
}

/** Vector3::Angle: atan2(|a x b|, a.b). */
export function angle(a: Vec3, b: Vec3): number {
  return Math.atan2(norm(cross(a, b)), dot(a, b));
}

/** S2::Origin(): a fixed point near the north pole that is unlikely to be degenerate. */
export const ORIGIN: Vec3 = [-0.0099994664350250197, 0.0025924542609324121, 0.99994664350250195];

/** S2::Ortho / RefDir: a unit vector orthogonal to "a". */
export function ortho(a: Vec3): Vec3 {
  let k = largestAbsComponent(a) - 1;
  if (k < 0) k = 2;
  const temp: [number, number, number] = [0.012, 0.0053, 0.00457];
  temp[k] = 1;
  return normalize(cross(a, temp));
}

/** IEEE remainder (C remainder()): x - n*y with n = x/y rounded to nearest, ties to even. */
export function ieeeRemainder(x: number, y: number): number {
  if (!Number.isFinite(x) || y === 0 || Number.isNaN(y)) return NaN;
  if (!Number.isFinite(y)) return x;
  const ay = Math.abs(y);
  let r = x % ay; // exact (fmod)
  const half = ay / 2;
  const ar = Math.abs(r);
  if (ar > half) {
    r = r > 0 ? r - ay : r + ay;
  } else if (ar === half) {
    // Tie: choose the even quotient.
    const q = Math.round((x - r) / ay);
    if (q % 2 !== 0) r = r > 0 ? r - ay : r + ay;
  }
  return r;
}

/** C rint() in the default rounding mode (round half to even); MathUtil::FastIntRound. */
export function rint(x: number): number {
  const r = Math.round(x);
  if (r - x === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** C ilogb() for finite non-zero x: the unbiased binary exponent. */
export function ilogb(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x === 0 ? -2147483648 : 2147483647;
  f64[0] = x;
  const hi = u32[LITTLE ? 1 : 0]!;
  const e = (hi >>> 20) & 0x7ff;
  if (e !== 0) return e - 1023;
  // Subnormal.
  return Math.floor(Math.log2(Math.abs(x)));
}

/** C nextafter(x, toward). */
export function nextAfter(x: number, toward: number): number {
  if (Number.isNaN(x) || Number.isNaN(toward)) return NaN;
  if (x === toward) return toward;
  if (x === 0) return toward > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  f64[0] = x;
  const lo = LITTLE ? 0 : 1;
  const hi = LITTLE ? 1 : 0;
  const up = toward > x === x > 0;
  if (up) {
    u32[lo] = (u32[lo]! + 1) >>> 0;
    if (u32[lo] === 0) u32[hi] = (u32[hi]! + 1) >>> 0;
  } else {
    if (u32[lo] === 0) u32[hi] = (u32[hi]! - 1) >>> 0;
    u32[lo] = (u32[lo]! - 1) >>> 0;
  }
  return f64[0]!;
}

/** std::min semantics: (b < a) ? b : a. */
export function cmin(a: number, b: number): number {
  return b < a ? b : a;
}

/** std::max semantics: (a < b) ? b : a. */
export function cmax(a: number, b: number): number {
  return a < b ? b : a;
}
