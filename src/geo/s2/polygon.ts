/** S2Loop and S2Polygon (built with InitNested, as Aerospike does), plus S2RegionUnion. */

import type { S2Region } from './cap.js';
import type { S2Cell } from './cell.js';
import type * as CID from './cell-id.js';
import { LatLngRect, LatLngRectBounder, S1Interval } from './latlng-rect.js';
import { R1Interval } from './r2.js';
import { DBL_EPSILON, ORIGIN, type Vec3, cmax, cmin, equals, less } from './point.js';
import { angleContainsVertex, edgeOrVertexCrossing, turnAngle, wedgeContains } from './predicates.js';
import { ShapeIndex, type Shape2D } from './shape-index.js';

const PI_2 = Math.PI / 2;

export class S2Loop {
  vertices: Vec3[];
  originInside = false;
  bound = LatLngRect.empty();
  subregionBound = LatLngRect.empty();
  depth = 0;
  /** Whether InitIndex() has run (afterwards Contains(point) applies the bound pre-check). */
  private indexed = false;

  constructor(vertices: Vec3[]) {
    this.vertices = [...vertices];
    this.initOriginAndBound();
  }

  numVertices(): number {
    return this.vertices.length;
  }

  /** vertex(i) for 0 <= i < 2n (wraps once). */
  vertex(i: number): Vec3 {
    const n = this.vertices.length;
    return this.vertices[i >= n ? i - n : i]!;
  }

  orientedVertex(i: number): Vec3 {
    const n = this.vertices.length;
    let j = i - n;
    if (j < 0) j = i;
    if (this.isHole()) j = n - 1 - j;
    return this.vertices[j]!;
  }

  isHole(): boolean {
    return (this.depth & 1) !== 0;
  }

  isEmptyOrFull(): boolean {
    return this.vertices.length === 1;
  }

  isEmpty(): boolean {
    return this.isEmptyOrFull() && !this.originInside;
  }

  isFull(): boolean {
    return this.isEmptyOrFull() && this.originInside;
  }

  private initOriginAndBound(): void {
    if (this.numVertices() < 3) {
      if (!this.isEmptyOrFull()) {
        this.originInside = false;
        return;
      }
      this.originInside = this.vertex(0)[2] < 0;
    } else {
      const v1Inside =
        !equals(this.vertex(0), this.vertex(1)) &&
        !equals(this.vertex(2), this.vertex(1)) &&
        angleContainsVertex(this.vertex(0), this.vertex(1), this.vertex(2));
      this.originInside = false;
      if (v1Inside !== this.containsPoint(this.vertex(1))) this.originInside = true;
    }
    this.initBound();
    this.indexed = true;
  }

  private initBound(): void {
    if (this.isEmptyOrFull()) {
      this.bound = this.isEmpty() ? LatLngRect.empty() : LatLngRect.full();
      this.subregionBound = this.bound;
      return;
    }
    const bounder = new LatLngRectBounder();
    for (let i = 0; i <= this.numVertices(); i++) bounder.addPoint(this.vertex(i));
    let b = bounder.getBound();
    if (this.containsPoint([0, 0, 1])) {
      b = new LatLngRect(new R1Interval(b.lat.lo, PI_2), S1Interval.full());
    }
    if (b.lng.isFull() && this.containsPoint([0, 0, -1])) {
      b = new LatLngRect(new R1Interval(-PI_2, b.lat.hi), b.lng);
    }
    this.bound = b;
    this.subregionBound = LatLngRectBounder.expandForSubregions(b);
  }

  bruteForceContains(p: Vec3): boolean {
    if (this.numVertices() < 3) return this.originInside;
    let inside = this.originInside;
    for (let i = 1; i <= this.numVertices(); i++) {
      if (edgeOrVertexCrossing(ORIGIN, p, this.vertex(i - 1), this.vertex(i))) inside = !inside;
    }
    return inside;
  }

  containsPoint(p: Vec3): boolean {
    if (this.indexed && !this.bound.containsPoint(p)) return false;
    return this.bruteForceContains(p);
  }

  getCurvature(): number {
    if (this.isEmptyOrFull()) return this.originInside ? -2 * Math.PI : 2 * Math.PI;
    return loopCurvature(this.vertices);
  }

  getCurvatureMaxError(): number {
    return 11.25 * DBL_EPSILON * this.vertices.length;
  }

  isNormalized(): boolean {
    if (this.bound.lng.getLength() < Math.PI) return true;
    return loopCurvature(this.vertices) >= -this.getCurvatureMaxError();
  }

  normalize(): void {
    if (!this.isNormalized()) this.invert();
  }

  invert(): void {
    this.indexed = false;
    if (this.isEmptyOrFull()) {
      this.vertices[0] = this.isFull() ? [0, 0, 1] : [0, 0, -1];
    } else {
      this.vertices.reverse();
    }
    this.originInside = !this.originInside;
    if (this.bound.lat.lo > -PI_2 && this.bound.lat.hi < PI_2) {
      this.bound = LatLngRect.full();
      this.subregionBound = this.bound;
    } else {
      this.initBound();
    }
    this.indexed = true;
  }

  findVertex(p: Vec3): number {
    for (let i = 1; i <= this.numVertices(); i++) {
      if (equals(this.vertex(i), p)) return i;
    }
    return -1;
  }

  /** S2Loop::ContainsNested: assumes the boundaries do not cross. */
  containsNested(b: S2Loop): boolean {
    if (!this.subregionBound.containsRect(b.bound)) return false;
    if (this.isEmptyOrFull() || b.numVertices() < 2) return this.isFull() || b.isEmpty();
    const m = this.findVertex(b.vertex(1));
    if (m < 0) return this.containsPoint(b.vertex(1));
    return wedgeContains(this.vertex(m - 1), this.vertex(m), this.vertex(m + 1), b.vertex(0), b.vertex(2));
  }
}

// ---- loop curvature (s2loop_measures.cc) ----

function pruneDegeneracies(loop: readonly Vec3[]): Vec3[] {
  const vertices: Vec3[] = [];
  for (const v of loop) {
    if (vertices.length === 0 || !equals(v, vertices[vertices.length - 1]!)) {
      if (vertices.length >= 2 && equals(v, vertices[vertices.length - 2]!)) {
        vertices.pop();
      } else {
        vertices.push(v);
      }
    }
  }
  if (vertices.length < 3) return [];
  if (equals(vertices[0]!, vertices[vertices.length - 1]!)) vertices.pop();
  let k = 0;
  while (equals(vertices[k + 1]!, vertices[vertices.length - 1 - k]!)) ++k;
  return vertices.slice(k, vertices.length - k);
}

function at(loop: readonly Vec3[], i: number): Vec3 {
  const n = loop.length;
  return loop[((i % n) + n) % n]!;
}

function isOrderLess(o1: [number, number], o2: [number, number], loop: readonly Vec3[]): boolean {
  if (o1[0] === o2[0] && o1[1] === o2[1]) return false;
  let i1 = o1[0];
  let i2 = o2[0];
  const d1 = o1[1];
  const d2 = o2[1];
  for (let n = loop.length; --n > 0; ) {
    i1 += d1;
    i2 += d2;
    if (less(at(loop, i1), at(loop, i2))) return true;
    if (less(at(loop, i2), at(loop, i1))) return false;
  }
  return false;
}

function canonicalLoopOrder(loop: readonly Vec3[]): [number, number] {
  const n = loop.length;
  if (n === 0) return [0, 1];
  let minIndices = [0];
  for (let i = 1; i < n; i++) {
    const m = loop[minIndices[0]!]!;
    if (!less(m, loop[i]!)) {
      // loop[i] <= loop[min]
      if (less(loop[i]!, m)) minIndices = [];
      minIndices.push(i);
    }
  }
  let minOrder: [number, number] = [minIndices[0]!, 1];
  for (const mi of minIndices) {
    const order1: [number, number] = [mi, 1];
    const order2: [number, number] = [mi + n, -1];
    if (isOrderLess(order1, minOrder, loop)) minOrder = order1;
    if (isOrderLess(order2, minOrder, loop)) minOrder = order2;
  }
  return minOrder;
}

export function loopCurvature(input: readonly Vec3[]): number {
  if (input.length === 0) return -2 * Math.PI;
  const loop = pruneDegeneracies(input);
  if (loop.length === 0) return 2 * Math.PI;
  const [first, dir] = canonicalLoopOrder(loop);
  let i = first;
  let n = loop.length;
  let sum = turnAngle(at(loop, i + n - dir), at(loop, i), at(loop, i + dir));
  let compensation = 0;
  while (--n > 0) {
    i += dir;
    let ang = turnAngle(at(loop, i - dir), at(loop, i), at(loop, i + dir));
    const oldSum = sum;
    ang += compensation;
    sum += ang;
    compensation = oldSum - sum + ang;
  }
  const kMaxCurvature = 2 * Math.PI - 4 * DBL_EPSILON;
  sum += compensation;
  return cmax(-kMaxCurvature, cmin(kMaxCurvature, dir * sum));
}

// ---- S2Polygon ----

export class S2Polygon implements S2Region {
  loops: S2Loop[] = [];
  bound = LatLngRect.empty();
  subregionBound = LatLngRect.empty();
  private numVerticesTotal = 0;
  private indexCache: ShapeIndex | null = null;

  /** S2Polygon(vector<unique_ptr<S2Loop>>) == InitNested. */
  constructor(loops: S2Loop[]) {
    if (loops.length === 1) {
      this.loops = loops;
      const loop = loops[0]!;
      loop.depth = 0;
      this.numVerticesTotal = loop.numVertices();
      this.bound = loop.bound;
      this.subregionBound = LatLngRectBounder.expandForSubregions(this.bound);
      return;
    }
    const loopMap = new Map<S2Loop | null, S2Loop[]>();
    const childrenOf = (l: S2Loop | null): S2Loop[] => {
      let c = loopMap.get(l);
      if (!c) {
        c = [];
        loopMap.set(l, c);
      }
      return c;
    };
    for (const loop of loops) {
      // InsertLoop(loop, nullptr, &loop_map)
      let parent: S2Loop | null = null;
      let children: S2Loop[];
      for (let done = false; !done; ) {
        children = childrenOf(parent);
        done = true;
        for (const child of children) {
          if (child.containsNested(loop)) {
            parent = child;
            done = false;
            break;
          }
        }
      }
      children = childrenOf(parent);
      const newChildren = childrenOf(loop);
      for (let i = 0; i < children.length; ) {
        const child = children[i]!;
        if (loop.containsNested(child)) {
          newChildren.push(child);
          children.splice(i, 1);
        } else {
          ++i;
        }
      }
      children.push(loop);
    }
    // InitLoops: depth-first traversal.
    const ordered: S2Loop[] = [];
    const stack: (S2Loop | null)[] = [null];
    let depth = -1;
    while (stack.length > 0) {
      const loop = stack.pop()!;
      if (loop !== null) {
        depth = loop.depth;
        ordered.push(loop);
      }
      const children = childrenOf(loop);
      for (let i = children.length - 1; i >= 0; i--) {
        const child = children[i]!;
        child.depth = depth + 1;
        stack.push(child);
      }
    }
    this.loops = ordered;
    // InitLoopProperties.
    let bound = LatLngRect.empty();
    for (const loop of this.loops) {
      if (loop.depth === 0) bound = bound.union(loop.bound);
      this.numVerticesTotal += loop.numVertices();
    }
    this.bound = bound;
    this.subregionBound = LatLngRectBounder.expandForSubregions(bound);
  }

  numVertices(): number {
    return this.numVerticesTotal;
  }

  /** The polygon as an S2Shape: each loop's edges, holes reversed (S2Polygon::Shape). */
  private shape(): Shape2D {
    const loops = this.loops;
    const starts: number[] = [];
    let total = 0;
    for (const l of loops) {
      starts.push(total);
      total += l.numVertices() === 1 ? 0 : l.numVertices();
    }
    return {
      numEdges: () => total,
      edge: (e: number) => {
        // Binary search for the loop holding edge e.
        let lo = 0;
        let hi = starts.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (starts[mid]! <= e) lo = mid;
          else hi = mid - 1;
        }
        const i = lo;
        const loop = loops[i]!;
        const j = e - starts[i]!;
        return [loop.orientedVertex(j), loop.orientedVertex(j + 1)] as const;
      },
      referencePoint: () => {
        let containsOrigin = false;
        for (const l of loops) containsOrigin = containsOrigin !== l.originInside;
        return { point: ORIGIN, contained: containsOrigin };
      },
    };
  }

  index(): ShapeIndex {
    if (this.indexCache === null) this.indexCache = new ShapeIndex(this.shape());
    return this.indexCache;
  }

  getCellUnionBound(): CID.CellId[] {
    return this.index().getCellUnionBound();
  }

  mayIntersect(cell: S2Cell): boolean {
    return this.index().mayIntersect(cell);
  }

  containsCell(cell: S2Cell): boolean {
    return this.index().containsCell(cell);
  }

  containsPoint(p: Vec3): boolean {
    // The lazily built index is not "fresh" for a newly parsed polygon, so S2 first checks the bound.
    if (!this.bound.containsPoint(p)) return false;
    let inside = false;
    for (const loop of this.loops) inside = inside !== loop.bruteForceContains(p);
    return inside;
  }

  getRectBound(): LatLngRect {
    return this.bound;
  }
}

/** S2RegionUnion of polygons (MultiPolygon). */
export class S2RegionUnion implements S2Region {
  constructor(readonly regions: S2Polygon[]) {}

  getCellUnionBound(): CID.CellId[] {
    // S2Region::GetCellUnionBound default: the cap bound's cell union bound.
    let rect = LatLngRect.empty();
    for (const r of this.regions) rect = rect.union(r.getRectBound());
    return rect.getCapBound().getCellUnionBound();
  }

  mayIntersect(cell: S2Cell): boolean {
    return this.regions.some((r) => r.mayIntersect(cell));
  }

  containsCell(cell: S2Cell): boolean {
    return this.regions.some((r) => r.containsCell(cell));
  }

  containsPoint(p: Vec3): boolean {
    return this.regions.some((r) => r.containsPoint(p));
  }
}
