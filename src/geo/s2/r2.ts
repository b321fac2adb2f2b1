import { cmax, cmin } from './point.js';

/** R1Interval / R2Rect (closed intervals and rectangles in (u,v) space), as in S2's r1interval.h / r2rect.h. */

export class R1Interval {
  constructor(
    public lo: number,
    public hi: number,
  ) {}

  static empty(): R1Interval {
    return new R1Interval(1, 0);
  }

  static fromPointPair(p1: number, p2: number): R1Interval {
    return p1 <= p2 ? new R1Interval(p1, p2) : new R1Interval(p2, p1);
  }

  clone(): R1Interval {
    return new R1Interval(this.lo, this.hi);
  }

  get(i: number): number {
    return i === 0 ? this.lo : this.hi;
  }

  set(i: number, v: number): void {
    if (i === 0) this.lo = v;
    else this.hi = v;
  }

  isEmpty(): boolean {
    return this.lo > this.hi;
  }

  getLength(): number {
    return this.hi - this.lo;
  }

  getCenter(): number {
    return 0.5 * (this.lo + this.hi);
  }

  contains(p: number): boolean {
    return p >= this.lo && p <= this.hi;
  }

  interiorContains(p: number): boolean {
    return p > this.lo && p < this.hi;
  }

  containsInterval(y: R1Interval): boolean {
    if (y.isEmpty()) return true;
    return y.lo >= this.lo && y.hi <= this.hi;
  }

  intersects(y: R1Interval): boolean {
    if (this.lo <= y.lo) return y.lo <= this.hi && y.lo <= y.hi;
    return this.lo <= y.hi && this.lo <= this.hi;
  }

  project(p: number): number {
    return cmax(this.lo, cmin(this.hi, p));
  }

  expanded(margin: number): R1Interval {
    if (this.isEmpty()) return this.clone();
    return new R1Interval(this.lo - margin, this.hi + margin);
  }

  addPoint(p: number): void {
    if (this.isEmpty()) {
      this.lo = p;
      this.hi = p;
    } else if (p < this.lo) {
      this.lo = p;
    } else if (p > this.hi) {
      this.hi = p;
    }
  }

  union(y: R1Interval): R1Interval {
    if (this.isEmpty()) return y.clone();
    if (y.isEmpty()) return this.clone();
    return new R1Interval(cmin(this.lo, y.lo), cmax(this.hi, y.hi));
  }

  intersection(y: R1Interval): R1Interval {
    return new R1Interval(cmax(this.lo, y.lo), cmin(this.hi, y.hi));
  }
}

export type R2Point = readonly [number, number];

export class R2Rect {
  constructor(
    public x: R1Interval,
    public y: R1Interval,
  ) {}

  static empty(): R2Rect {
    return new R2Rect(R1Interval.empty(), R1Interval.empty());
  }

  static fromPointPair(a: R2Point, b: R2Point): R2Rect {
    return new R2Rect(R1Interval.fromPointPair(a[0], b[0]), R1Interval.fromPointPair(a[1], b[1]));
  }

  clone(): R2Rect {
    return new R2Rect(this.x.clone(), this.y.clone());
  }

  axis(d: number): R1Interval {
    return d === 0 ? this.x : this.y;
  }

  isEmpty(): boolean {
    return this.x.isEmpty();
  }

  /** Vertex (i,j): (x[i], y[j]). */
  vertexIJ(i: number, j: number): R2Point {
    return [this.x.get(i), this.y.get(j)];
  }

  /** Vertex k in CCW order: lower-left, lower-right, upper-right, upper-left. */
  vertex(k: number): R2Point {
    const j = (k >> 1) & 1;
    return this.vertexIJ(j ^ (k & 1), j);
  }

  getCenter(): R2Point {
    return [this.x.getCenter(), this.y.getCenter()];
  }

  contains(p: R2Point): boolean {
    return this.x.contains(p[0]) && this.y.contains(p[1]);
  }

  intersects(other: R2Rect): boolean {
    return this.x.intersects(other.x) && this.y.intersects(other.y);
  }

  addRect(other: R2Rect): void {
    this.x = this.x.union(other.x);
    this.y = this.y.union(other.y);
  }

  expanded(margin: number): R2Rect {
    const xx = this.x.expanded(margin);
    const yy = this.y.expanded(margin);
    if (xx.isEmpty() || yy.isEmpty()) return R2Rect.empty();
    return new R2Rect(xx, yy);
  }
}
