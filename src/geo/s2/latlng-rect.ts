/** S1Interval, S2LatLngRect and S2LatLngRectBounder (latitude/longitude bounding rectangles). */

import { S2Cap } from './cap.js';
import { DBL_EPSILON, type Vec3, cmax, cmin, cross, dot, ieeeRemainder, norm, sub, add } from './point.js';
import { R1Interval } from './r2.js';

const PI = Math.PI;
const PI_2 = Math.PI / 2;

function positiveDistance(a: number, b: number): number {
  const d = b - a;
  if (d >= 0) return d;
  return b + PI - (a - PI);
}

/** A closed interval on the unit circle (s1interval.cc). Inverted when lo > hi. */
export class S1Interval {
  constructor(
    public lo: number,
    public hi: number,
  ) {}

  /** The checked constructor S1Interval(lo, hi): -PI is normalized to PI unless full. */
  static of(lo: number, hi: number): S1Interval {
    if (lo === -PI && hi !== PI) lo = PI;
    if (hi === -PI && lo !== PI) hi = PI;
    return new S1Interval(lo, hi);
  }

  static empty(): S1Interval {
    return new S1Interval(PI, -PI);
  }

  static full(): S1Interval {
    return new S1Interval(-PI, PI);
  }

  static fromPointPair(p1: number, p2: number): S1Interval {
    if (p1 === -PI) p1 = PI;
    if (p2 === -PI) p2 = PI;
    if (positiveDistance(p1, p2) <= PI) return new S1Interval(p1, p2);
    return new S1Interval(p2, p1);
  }

  clone(): S1Interval {
    return new S1Interval(this.lo, this.hi);
  }

  isFull(): boolean {
    return this.lo === -PI && this.hi === PI;
  }

  isEmpty(): boolean {
    return this.lo === PI && this.hi === -PI;
  }

  isInverted(): boolean {
    return this.lo > this.hi;
  }

  getCenter(): number {
    const center = 0.5 * (this.lo + this.hi);
    if (!this.isInverted()) return center;
    return center <= 0 ? center + PI : center - PI;
  }

  getLength(): number {
    let length = this.hi - this.lo;
    if (length >= 0) return length;
    length += 2 * PI;
    return length > 0 ? length : -1;
  }

  fastContains(p: number): boolean {
    if (this.isInverted()) return (p >= this.lo || p <= this.hi) && !this.isEmpty();
    return p >= this.lo && p <= this.hi;
  }

  contains(p: number): boolean {
    if (p === -PI) p = PI;
    return this.fastContains(p);
  }

  containsInterval(y: S1Interval): boolean {
    if (this.isInverted()) {
      if (y.isInverted()) return y.lo >= this.lo && y.hi <= this.hi;
      return (y.lo >= this.lo || y.hi <= this.hi) && !this.isEmpty();
    }
    if (y.isInverted()) return this.isFull() || y.isEmpty();
    return y.lo >= this.lo && y.hi <= this.hi;
  }

  addPoint(p: number): void {
    if (p === -PI) p = PI;
    if (this.fastContains(p)) return;
    if (this.isEmpty()) {
      this.hi = p;
      this.lo = p;
    } else {
      const dlo = positiveDistance(p, this.lo);
      const dhi = positiveDistance(this.hi, p);
      if (dlo < dhi) this.lo = p;
      else this.hi = p;
    }
  }

  expanded(margin: number): S1Interval {
    if (margin >= 0) {
      if (this.isEmpty()) return this.clone();
      if (this.getLength() + 2 * margin + 2 * DBL_EPSILON >= 2 * PI) return S1Interval.full();
    } else {
      if (this.isFull()) return this.clone();
      if (this.getLength() + 2 * margin - 2 * DBL_EPSILON <= 0) return S1Interval.empty();
    }
    const result = new S1Interval(ieeeRemainder(this.lo - margin, 2 * PI), ieeeRemainder(this.hi + margin, 2 * PI));
    if (result.lo <= -PI) result.lo = PI;
    return result;
  }

  union(y: S1Interval): S1Interval {
    if (y.isEmpty()) return this.clone();
    if (this.fastContains(y.lo)) {
      if (this.fastContains(y.hi)) {
        if (this.containsInterval(y)) return this.clone();
        return S1Interval.full();
      }
      return new S1Interval(this.lo, y.hi);
    }
    if (this.fastContains(y.hi)) return new S1Interval(y.lo, this.hi);
    if (this.isEmpty() || y.fastContains(this.lo)) return y.clone();
    const dlo = positiveDistance(y.hi, this.lo);
    const dhi = positiveDistance(this.hi, y.lo);
    if (dlo < dhi) return new S1Interval(y.lo, this.hi);
    return new S1Interval(this.lo, y.hi);
  }
}

/** A point as (lat, lng) in radians (S2LatLng). */
export interface LatLng {
  lat: number;
  lng: number;
}

export function latLngFromPoint(p: Vec3): LatLng {
  return {
    lat: Math.atan2(p[2] + 0.0, Math.sqrt(p[0] * p[0] + p[1] * p[1])),
    lng: Math.atan2(p[1] + 0.0, p[0] + 0.0),
  };
}

export function latLngToPoint(ll: LatLng): Vec3 {
  const phi = ll.lat;
  const theta = ll.lng;
  const cosphi = Math.cos(phi);
  return [Math.cos(theta) * cosphi, Math.sin(theta) * cosphi, Math.sin(phi)];
}

export class LatLngRect {
  constructor(
    public lat: R1Interval,
    public lng: S1Interval,
  ) {}

  static empty(): LatLngRect {
    return new LatLngRect(R1Interval.empty(), S1Interval.empty());
  }

  static full(): LatLngRect {
    return new LatLngRect(new R1Interval(-PI_2, PI_2), S1Interval.full());
  }

  static fromPointPair(p1: LatLng, p2: LatLng): LatLngRect {
    return new LatLngRect(R1Interval.fromPointPair(p1.lat, p2.lat), S1Interval.fromPointPair(p1.lng, p2.lng));
  }

  isEmpty(): boolean {
    return this.lat.isEmpty();
  }

  isFull(): boolean {
    return this.lat.lo === -PI_2 && this.lat.hi === PI_2 && this.lng.isFull();
  }

  addPoint(ll: LatLng): void {
    this.lat.addPoint(ll.lat);
    this.lng.addPoint(ll.lng);
  }

  containsLatLng(ll: LatLng): boolean {
    return this.lat.contains(ll.lat) && this.lng.contains(ll.lng);
  }

  containsPoint(p: Vec3): boolean {
    return this.containsLatLng(latLngFromPoint(p));
  }

  containsRect(other: LatLngRect): boolean {
    return this.lat.containsInterval(other.lat) && this.lng.containsInterval(other.lng);
  }

  union(other: LatLngRect): LatLngRect {
    return new LatLngRect(this.lat.union(other.lat), this.lng.union(other.lng));
  }

  expanded(marginLat: number, marginLng: number): LatLngRect {
    const lat = this.lat.expanded(marginLat);
    const lng = this.lng.expanded(marginLng);
    if (lat.isEmpty() || lng.isEmpty()) return LatLngRect.empty();
    return new LatLngRect(lat.intersection(new R1Interval(-PI_2, PI_2)), lng);
  }

  polarClosure(): LatLngRect {
    if (this.lat.lo === -PI_2 || this.lat.hi === PI_2) return new LatLngRect(this.lat.clone(), S1Interval.full());
    return this;
  }

  getVertex(k: number): LatLng {
    const i = (k >> 1) & 1;
    return { lat: this.lat.get(i), lng: i ^ (k & 1) ? this.lng.hi : this.lng.lo };
  }

  getCenter(): LatLng {
    return { lat: this.lat.getCenter(), lng: this.lng.getCenter() };
  }

  getCapBound(): S2Cap {
    if (this.isEmpty()) return S2Cap.empty();
    let poleZ: number;
    let poleAngle: number;
    if (this.lat.lo + this.lat.hi < 0) {
      poleZ = -1;
      poleAngle = PI_2 + this.lat.hi;
    } else {
      poleZ = 1;
      poleAngle = PI_2 - this.lat.lo;
    }
    const poleCap = S2Cap.fromCenterAngle([0, 0, poleZ], (1 + 2 * DBL_EPSILON) * poleAngle);
    if (this.lng.getLength() < 2 * PI) {
      let midCap = S2Cap.fromCenterAngle(latLngToPoint(this.getCenter()), 0);
      for (let k = 0; k < 4; k++) midCap = midCap.addPoint(latLngToPoint(this.getVertex(k)));
      if (midCap.height() < poleCap.height()) return midCap;
    }
    return poleCap;
  }
}

/** S2LatLngRectBounder: the bounding rectangle of a chain of geodesic edges. */
export class LatLngRectBounder {
  private bound = LatLngRect.empty();
  private a: Vec3 = [0, 0, 0];
  private aLatLng: LatLng = { lat: 0, lng: 0 };

  addPoint(b: Vec3): void {
    const bLatLng = latLngFromPoint(b);
    if (this.bound.isEmpty()) {
      this.bound.addPoint(bLatLng);
    } else {
      const a = this.a;
      const n = cross(sub(a, b), add(a, b));
      const nNorm = norm(n);
      if (nNorm < 1.91346e-15) {
        if (dot(a, b) < 0) {
          this.bound = LatLngRect.full();
        } else {
          this.bound = this.bound.union(LatLngRect.fromPointPair(this.aLatLng, bLatLng));
        }
      } else {
        let lngAB = S1Interval.fromPointPair(this.aLatLng.lng, bLatLng.lng);
        if (lngAB.getLength() >= PI - 2 * DBL_EPSILON) lngAB = S1Interval.full();
        const latAB = R1Interval.fromPointPair(this.aLatLng.lat, bLatLng.lat);
        const m = cross(n, [0, 0, 1]);
        const mA = dot(m, a);
        const mB = dot(m, b);
        const mError = 6.06638e-16 * nNorm + 6.83174e-31;
        if (mA * mB < 0 || Math.abs(mA) <= mError || Math.abs(mB) <= mError) {
          const maxLat = cmin(Math.atan2(Math.sqrt(n[0] * n[0] + n[1] * n[1]), Math.abs(n[2])) + 3 * DBL_EPSILON, PI_2);
          const latBudgetZ = 0.5 * norm(sub(a, b)) * Math.sin(maxLat);
          const latBudget = 2 * Math.asin(cmin((1 + 4 * DBL_EPSILON) * latBudgetZ, 1.0));
          const maxDelta = 0.5 * (latBudget - latAB.getLength()) + DBL_EPSILON;
          if (mA <= mError && mB >= -mError) latAB.hi = cmin(maxLat, latAB.hi + maxDelta);
          if (mB <= mError && mA >= -mError) latAB.lo = cmax(-maxLat, latAB.lo - maxDelta);
        }
        this.bound = this.bound.union(new LatLngRect(latAB, lngAB));
      }
    }
    this.a = b;
    this.aLatLng = bLatLng;
  }

  getBound(): LatLngRect {
    return this.bound.expanded(2 * DBL_EPSILON, 0).polarClosure();
  }

  static expandForSubregions(bound: LatLngRect): LatLngRect {
    if (bound.isEmpty()) return bound;
    const lngGap = cmax(0.0, PI - bound.lng.getLength() - 2.5 * DBL_EPSILON);
    const minAbsLat = cmax(bound.lat.lo, -bound.lat.hi);
    const latGap1 = PI_2 + bound.lat.lo;
    const latGap2 = PI_2 - bound.lat.hi;
    if (minAbsLat >= 0) {
      if (2 * minAbsLat + lngGap < 1.354e-15) return LatLngRect.full();
    } else if (lngGap >= PI_2) {
      if (latGap1 + latGap2 < 1.687e-15) return LatLngRect.full();
    } else {
      if (cmax(latGap1, latGap2) * lngGap < 1.765e-15) return LatLngRect.full();
    }
    const latExpansion = 9 * DBL_EPSILON;
    const lngExpansion = lngGap <= 0 ? PI : 0;
    return bound.expanded(latExpansion, lngExpansion).polarClosure();
  }
}
