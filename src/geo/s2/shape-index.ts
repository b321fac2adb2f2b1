/**
 * MutableS2ShapeIndex for a single 2-dimensional shape (a polygon), built exactly as the C++
 * index builds it (mutable_s2shape_index.cc): edges clipped to padded faces, faces shrunk to fit,
 * cells subdivided while they hold more than max_edges_per_cell (10) "short" edges, interior
 * tracked along the Hilbert curve. The resulting cell decomposition drives S2Polygon's
 * GetCellUnionBound / MayIntersect / Contains(S2Cell) (S2ShapeIndexRegion), so it has to match.
 */

import { AVG_EDGE, S2Cell } from './cell.js';
import * as CID from './cell-id.js';
import {
  INVERT_MASK,
  IJ_TO_POS,
  POS_TO_IJ,
  POS_TO_ORIENTATION,
  SWAP_MASK,
  faceSiTiToXYZ,
  getFace,
  siTiToST,
  stToIJ,
  stToUV,
  uvToST,
  validFaceXYZtoUV,
} from './coords.js';
import {
  EDGE_CLIP_ERROR_UV_COORD,
  FACE_CLIP_ERROR_UV_COORD,
  INTERSECTS_RECT_ERROR_UV_DIST,
  clipToPaddedFace,
  interpolateDouble,
  intersectsRect,
} from './edge-clipping.js';
import { DBL_EPSILON, type Vec3, cmax, cmin, equals, norm, normalize, sub } from './point.js';
import { crossingSign, edgeOrVertexCrossing, vertexCrossing } from './predicates.js';
import { R1Interval, R2Rect, type R2Point } from './r2.js';

/** A shape with an interior: a set of directed edges plus a reference point with known containment. */
export interface Shape2D {
  numEdges(): number;
  edge(e: number): readonly [Vec3, Vec3];
  referencePoint(): { point: Vec3; contained: boolean };
}

export const CELL_PADDING = 2 * (FACE_CLIP_ERROR_UV_COORD + EDGE_CLIP_ERROR_UV_COORD);
const MAX_EDGES_PER_CELL = 10;
const MIN_SHORT_EDGE_FRACTION = 0.2;
const CELL_SIZE_TO_LONG_EDGE_RATIO = 1.0;

/** s2shapeutil::ContainsBruteForce. */
export function containsBruteForce(shape: Shape2D, point: Vec3): boolean {
  const ref = shape.referencePoint();
  if (equals(ref.point, point)) return ref.contained;
  let inside = ref.contained;
  const n = shape.numEdges();
  for (let e = 0; e < n; e++) {
    const [v0, v1] = shape.edge(e);
    if (edgeOrVertexCrossing(ref.point, point, v0, v1)) inside = !inside;
  }
  return inside;
}

// ---- S2PaddedCell ----

class PaddedCell {
  id: CID.CellId;
  padding: number;
  bound: R2Rect;
  private middleRect: R2Rect | null = null;
  ijLo: [number, number];
  orientation: number;
  level: number;

  private constructor(id: CID.CellId, padding: number, bound: R2Rect, ijLo: [number, number], orientation: number, level: number) {
    this.id = id;
    this.padding = padding;
    this.bound = bound;
    this.ijLo = ijLo;
    this.orientation = orientation;
    this.level = level;
  }

  static fromId(id: CID.CellId, padding: number): PaddedCell {
    if (CID.isFace(id)) {
      const limit = 1 + padding;
      const pc = new PaddedCell(
        id,
        padding,
        new R2Rect(new R1Interval(-limit, limit), new R1Interval(-limit, limit)),
        [0, 0],
        CID.face(id) & 1,
        0,
      );
      pc.middleRect = new R2Rect(new R1Interval(-padding, padding), new R1Interval(-padding, padding));
      return pc;
    }
    const fij = CID.toFaceIJOrientation(id);
    const lvl = CID.level(id);
    const bound = CID.ijLevelToBoundUV(fij.i, fij.j, lvl).expanded(padding);
    const size = CID.getSizeIJ(lvl);
    return new PaddedCell(id, padding, bound, [fij.i - (fij.i % size), fij.j - (fij.j % size)], fij.orientation, lvl);
  }

  childIJ(i: number, j: number): PaddedCell {
    const pos = IJ_TO_POS[this.orientation]![2 * i + j]!;
    const lvl = this.level + 1;
    const size = CID.getSizeIJ(lvl);
    const middle = this.middle();
    const bound = this.bound.clone();
    bound.x.set(1 - i, middle.x.get(1 - i));
    bound.y.set(1 - j, middle.y.get(1 - j));
    return new PaddedCell(
      CID.child(this.id, pos),
      this.padding,
      bound,
      [this.ijLo[0] + i * size, this.ijLo[1] + j * size],
      this.orientation ^ POS_TO_ORIENTATION[pos]!,
      lvl,
    );
  }

  getChildIJ(pos: number): [number, number] {
    const ij = POS_TO_IJ[this.orientation]![pos]!;
    return [ij >> 1, ij & 1];
  }

  middle(): R2Rect {
    if (this.middleRect === null) {
      const size = CID.getSizeIJ(this.level);
      const u = stToUV(siTiToST(2 * this.ijLo[0] + size));
      const v = stToUV(siTiToST(2 * this.ijLo[1] + size));
      this.middleRect = new R2Rect(
        new R1Interval(u - this.padding, u + this.padding),
        new R1Interval(v - this.padding, v + this.padding),
      );
    }
    return this.middleRect;
  }

  getCenter(): Vec3 {
    const size = CID.getSizeIJ(this.level);
    return normalize(faceSiTiToXYZ(CID.face(this.id), 2 * this.ijLo[0] + size, 2 * this.ijLo[1] + size));
  }

  getEntryVertex(): Vec3 {
    let i = this.ijLo[0];
    let j = this.ijLo[1];
    if (this.orientation & INVERT_MASK) {
      const size = CID.getSizeIJ(this.level);
      i += size;
      j += size;
    }
    return normalize(faceSiTiToXYZ(CID.face(this.id), 2 * i, 2 * j));
  }

  getExitVertex(): Vec3 {
    let i = this.ijLo[0];
    let j = this.ijLo[1];
    const size = CID.getSizeIJ(this.level);
    if (this.orientation === 0 || this.orientation === SWAP_MASK + INVERT_MASK) i += size;
    else j += size;
    return normalize(faceSiTiToXYZ(CID.face(this.id), 2 * i, 2 * j));
  }

  /** S2PaddedCell::ShrinkToFit: the smallest cell containing the rect's intersection with this cell. */
  shrinkToFit(rect: R2Rect): CID.CellId {
    const size = CID.getSizeIJ(this.level);
    if (this.level === 0) {
      if (rect.x.contains(0) || rect.y.contains(0)) return this.id;
    } else {
      if (
        rect.x.contains(stToUV(siTiToST(2 * this.ijLo[0] + size))) ||
        rect.y.contains(stToUV(siTiToST(2 * this.ijLo[1] + size)))
      ) {
        return this.id;
      }
    }
    const padded = rect.expanded(this.padding + 1.5 * DBL_EPSILON);
    const ijMin = [0, 0];
    const ijXor = [0, 0];
    for (let d = 0; d < 2; d++) {
      const ax = padded.axis(d);
      ijMin[d] = cmax(this.ijLo[d]!, stToIJ(uvToST(ax.lo)));
      const ijMax = cmin(this.ijLo[d]! + size - 1, stToIJ(uvToST(ax.hi)));
      ijXor[d] = ijMin[d]! ^ ijMax;
    }
    const levelMsb = ((ijXor[0]! | ijXor[1]!) << 1) + 1;
    const lvl = CID.MAX_LEVEL - (31 - Math.clz32(levelMsb));
    if (lvl <= this.level) return this.id;
    return CID.parentAt(CID.fromFaceIJ(CID.face(this.id), ijMin[0]!, ijMin[1]!), lvl);
  }
}

// ---- index build ----

interface FaceEdge {
  edgeId: number;
  maxLevel: number;
  v0: Vec3;
  v1: Vec3;
  a: R2Point;
  b: R2Point;
}

interface ClippedEdge {
  faceEdge: FaceEdge;
  bound: R2Rect;
}

/** One index cell: the clipped shape's edge ids and whether the shape contains the cell center. */
export interface IndexCell {
  id: CID.CellId;
  edges: number[];
  containsCenter: boolean;
}

class InteriorTracker {
  isActive = false;
  inside = false; // the single shape's membership in shape_ids_
  private a: Vec3 = [0, 0, 0];
  b: Vec3 = normalize([1, -1, -1]); // FaceUVtoXYZ(0, -1, -1).Normalize()
  nextCellId: CID.CellId = CID.begin(CID.MAX_LEVEL);

  focus(): Vec3 {
    return this.b;
  }

  addShape(containsFocus: boolean): void {
    this.isActive = true;
    if (containsFocus) this.inside = !this.inside;
  }

  moveTo(b: Vec3): void {
    this.b = b;
  }

  drawTo(b: Vec3): void {
    this.a = this.b;
    this.b = b;
  }

  testEdge(v0: Vec3, v1: Vec3): void {
    if (edgeOrVertexCrossing(this.a, this.b, v0, v1)) this.inside = !this.inside;
  }

  atCellId(id: CID.CellId): boolean {
    return id === this.nextCellId;
  }
}

export class ShapeIndex {
  readonly cells: IndexCell[] = [];
  private readonly shape: Shape2D;

  constructor(shape: Shape2D) {
    this.shape = shape;
    this.build();
  }

  private build(): void {
    const shape = this.shape;
    const tracker = new InteriorTracker();
    const allEdges: FaceEdge[][] = [[], [], [], [], [], []];
    tracker.addShape(containsBruteForce(shape, tracker.focus()));
    const n = shape.numEdges();
    for (let e = 0; e < n; e++) {
      const [v0, v1] = shape.edge(e);
      const maxLevel = AVG_EDGE.getLevelForMaxValue(norm(sub(v0, v1)) * CELL_SIZE_TO_LONG_EDGE_RATIO);
      this.addFaceEdge({ edgeId: e, maxLevel, v0, v1, a: [0, 0], b: [0, 0] }, allEdges);
    }
    for (let face = 0; face < 6; face++) this.updateFaceEdges(face, allEdges[face]!, tracker);
  }

  private addFaceEdge(edge: FaceEdge, allEdges: FaceEdge[][]): void {
    const aFace = getFace(edge.v0);
    if (aFace === getFace(edge.v1)) {
      const a = validFaceXYZtoUV(aFace, edge.v0);
      const b = validFaceXYZtoUV(aFace, edge.v1);
      const kMaxUV = 1 - CELL_PADDING;
      if (Math.abs(a[0]) <= kMaxUV && Math.abs(a[1]) <= kMaxUV && Math.abs(b[0]) <= kMaxUV && Math.abs(b[1]) <= kMaxUV) {
        allEdges[aFace]!.push({ ...edge, a, b });
        return;
      }
    }
    for (let face = 0; face < 6; face++) {
      const clipped = clipToPaddedFace(edge.v0, edge.v1, face, CELL_PADDING);
      if (clipped) allEdges[face]!.push({ ...edge, a: clipped[0], b: clipped[1] });
    }
  }

  private updateFaceEdges(face: number, faceEdges: FaceEdge[], tracker: InteriorTracker): void {
    const numEdges = faceEdges.length;
    if (numEdges === 0 && !tracker.inside) return;
    const clippedEdges: ClippedEdge[] = [];
    const bound = R2Rect.empty();
    for (const fe of faceEdges) {
      const ce: ClippedEdge = { faceEdge: fe, bound: R2Rect.fromPointPair(fe.a, fe.b) };
      clippedEdges.push(ce);
      bound.addRect(ce.bound);
    }
    const faceId = CID.fromFace(face);
    let pcell = PaddedCell.fromId(faceId, CELL_PADDING);
    if (numEdges > 0) {
      const shrunkId = pcell.shrinkToFit(bound);
      if (shrunkId !== pcell.id) {
        this.skipCellRange(CID.rangeMin(faceId), CID.rangeMin(shrunkId), tracker);
        pcell = PaddedCell.fromId(shrunkId, CELL_PADDING);
        this.updateEdges(pcell, clippedEdges, tracker);
        this.skipCellRange(CID.next(CID.rangeMax(shrunkId)), CID.next(CID.rangeMax(faceId)), tracker);
        return;
      }
    }
    this.updateEdges(pcell, clippedEdges, tracker);
  }

  private skipCellRange(b: CID.CellId, e: CID.CellId, tracker: InteriorTracker): void {
    if (!tracker.inside) return;
    for (const id of CID.cellsFromBeginEnd(b, e)) {
      this.updateEdges(PaddedCell.fromId(id, CELL_PADDING), [], tracker);
    }
  }

  private updateEdges(pcell: PaddedCell, edges: ClippedEdge[], tracker: InteriorTracker): void {
    if (this.makeIndexCell(pcell, edges, tracker)) return;
    const childEdges: ClippedEdge[][][] = [
      [[], []],
      [[], []],
    ];
    const middle = pcell.middle();
    for (const edge of edges) {
      if (edge.bound.x.hi <= middle.x.lo) {
        clipVAxis(edge, middle.y, childEdges[0]!);
      } else if (edge.bound.x.lo >= middle.x.hi) {
        clipVAxis(edge, middle.y, childEdges[1]!);
      } else if (edge.bound.y.hi <= middle.y.lo) {
        childEdges[0]![0]!.push(clipUBound(edge, 1, middle.x.hi));
        childEdges[1]![0]!.push(clipUBound(edge, 0, middle.x.lo));
      } else if (edge.bound.y.lo >= middle.y.hi) {
        childEdges[0]![1]!.push(clipUBound(edge, 1, middle.x.hi));
        childEdges[1]![1]!.push(clipUBound(edge, 0, middle.x.lo));
      } else {
        const left = clipUBound(edge, 1, middle.x.hi);
        clipVAxis(left, middle.y, childEdges[0]!);
        const right = clipUBound(edge, 0, middle.x.lo);
        clipVAxis(right, middle.y, childEdges[1]!);
      }
    }
    for (let pos = 0; pos < 4; pos++) {
      const [i, j] = pcell.getChildIJ(pos);
      const ce = childEdges[i]![j]!;
      if (ce.length > 0 || tracker.inside) {
        this.updateEdges(pcell.childIJ(i, j), ce, tracker);
      }
    }
  }

  private makeIndexCell(pcell: PaddedCell, edges: ClippedEdge[], tracker: InteriorTracker): boolean {
    if (edges.length === 0 && !tracker.inside) return true;
    if (edges.length > MAX_EDGES_PER_CELL) {
      const maxShortEdges = Math.max(
        MAX_EDGES_PER_CELL,
        Math.trunc(MIN_SHORT_EDGE_FRACTION * (edges.length + (tracker.inside ? 1 : 0))),
      );
      let count = 0;
      for (const edge of edges) {
        count += pcell.level < edge.faceEdge.maxLevel ? 1 : 0;
        if (count > maxShortEdges) return false;
      }
    }
    if (tracker.isActive && edges.length > 0) {
      if (!tracker.atCellId(pcell.id)) tracker.moveTo(pcell.getEntryVertex());
      tracker.drawTo(pcell.getCenter());
      for (const edge of edges) tracker.testEdge(edge.faceEdge.v0, edge.faceEdge.v1);
    }
    this.cells.push({ id: pcell.id, edges: edges.map((e) => e.faceEdge.edgeId), containsCenter: tracker.inside });
    if (tracker.isActive && edges.length > 0) {
      tracker.drawTo(pcell.getExitVertex());
      for (const edge of edges) tracker.testEdge(edge.faceEdge.v0, edge.faceEdge.v1);
      tracker.nextCellId = CID.next(pcell.id);
    }
    return true;
  }

  // ---- iterator-style queries over the sorted cell list ----

  /** Index of the first cell with id >= target (Iterator::Seek). */
  seek(target: CID.CellId): number {
    let lo = 0;
    let hi = this.cells.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cells[mid]!.id < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Iterator::Locate(S2CellId): the relation of the target to the index, and the containing cell. */
  locateCell(target: CID.CellId): { relation: 'indexed' | 'subdivided' | 'disjoint'; pos: number } {
    let pos = this.seek(CID.rangeMin(target));
    if (pos < this.cells.length) {
      const id = this.cells[pos]!.id;
      if (id >= target && CID.rangeMin(id) <= target) return { relation: 'indexed', pos };
      if (id <= CID.rangeMax(target)) return { relation: 'subdivided', pos };
    }
    if (pos > 0) {
      pos--;
      if (CID.rangeMax(this.cells[pos]!.id) >= target) return { relation: 'indexed', pos };
    }
    return { relation: 'disjoint', pos: -1 };
  }

  /** Iterator::Locate(S2Point): the index cell containing the point's leaf cell, or -1. */
  locatePoint(p: Vec3): number {
    const target = CID.fromPoint(p);
    let pos = this.seek(target);
    if (pos < this.cells.length && CID.rangeMin(this.cells[pos]!.id) <= target) return pos;
    if (pos > 0) {
      pos--;
      if (CID.rangeMax(this.cells[pos]!.id) >= target) return pos;
    }
    return -1;
  }

  /** S2ContainsPointQuery::ShapeContains (semi-open vertex model). */
  shapeContains(cell: IndexCell, p: Vec3): boolean {
    let inside = cell.containsCenter;
    if (cell.edges.length > 0) {
      const center = CID.toPoint(cell.id);
      for (const e of cell.edges) {
        const [v0, v1] = this.shape.edge(e);
        let s = crossingSign(center, p, v0, v1);
        if (s < 0) continue;
        if (s === 0) s = vertexCrossing(center, p, v0, v1) ? 1 : 0;
        if (s) inside = !inside;
      }
    }
    return inside;
  }

  private anyEdgeIntersects(cell: IndexCell, target: S2Cell): boolean {
    const kMaxError = FACE_CLIP_ERROR_UV_COORD + INTERSECTS_RECT_ERROR_UV_DIST;
    const bound = target.getBoundUV().expanded(kMaxError);
    for (const e of cell.edges) {
      const [v0, v1] = this.shape.edge(e);
      const clipped = clipToPaddedFace(v0, v1, target.face, kMaxError);
      if (clipped && intersectsRect(clipped[0], clipped[1], bound)) return true;
    }
    return false;
  }

  // ---- S2ShapeIndexRegion ----

  getCellUnionBound(): CID.CellId[] {
    const out: CID.CellId[] = [];
    const cells = this.cells;
    if (cells.length === 0) return out;
    const lastIndexId = cells[cells.length - 1]!.id;
    let it = 0;
    if (cells[it]!.id !== lastIndexId) {
      const lvl = CID.getCommonAncestorLevel(cells[it]!.id, lastIndexId) + 1;
      const lastId = CID.parentAt(lastIndexId, lvl);
      for (let id = CID.parentAt(cells[it]!.id, lvl); id !== lastId; id = CID.next(id)) {
        if (CID.rangeMax(id) < cells[it]!.id) continue;
        const first = cells[it]!.id;
        it = this.seek(CID.next(CID.rangeMax(id)));
        it--;
        coverRange(first, cells[it]!.id, out);
        it++;
      }
    }
    coverRange(cells[it]!.id, lastIndexId, out);
    return out;
  }

  containsCell(target: S2Cell): boolean {
    const { relation, pos } = this.locateCell(target.id);
    if (relation !== 'indexed') return false;
    const cell = this.cells[pos]!;
    if (cell.id === target.id) return cell.edges.length === 0 && cell.containsCenter;
    return !this.anyEdgeIntersects(cell, target) && this.shapeContains(cell, target.getCenter());
  }

  mayIntersect(target: S2Cell): boolean {
    const { relation, pos } = this.locateCell(target.id);
    if (relation === 'disjoint') return false;
    if (relation === 'subdivided') return true;
    const cell = this.cells[pos]!;
    if (cell.id === target.id) return true;
    if (this.anyEdgeIntersects(cell, target)) return true;
    return this.shapeContains(cell, target.getCenter());
  }

  containsPoint(p: Vec3): boolean {
    const pos = this.locatePoint(p);
    if (pos < 0) return false;
    return this.shapeContains(this.cells[pos]!, p);
  }
}

function coverRange(first: CID.CellId, last: CID.CellId, out: CID.CellId[]): void {
  if (first === last) {
    out.push(first);
  } else {
    out.push(CID.parentAt(first, CID.getCommonAncestorLevel(first, last)));
  }
}

function clipVAxis(edge: ClippedEdge, middle: R1Interval, childEdges: ClippedEdge[][]): void {
  if (edge.bound.y.hi <= middle.lo) {
    childEdges[0]!.push(edge);
  } else if (edge.bound.y.lo >= middle.hi) {
    childEdges[1]!.push(edge);
  } else {
    childEdges[0]!.push(clipVBound(edge, 1, middle.hi));
    childEdges[1]!.push(clipVBound(edge, 0, middle.lo));
  }
}

function clipUBound(edge: ClippedEdge, uEnd: number, u: number): ClippedEdge {
  if (uEnd === 0) {
    if (edge.bound.x.lo >= u) return edge;
  } else {
    if (edge.bound.x.hi <= u) return edge;
  }
  const e = edge.faceEdge;
  const v = edge.bound.y.project(interpolateDouble(u, e.a[0], e.b[0], e.a[1], e.b[1]));
  const vEnd = uEnd ^ (e.a[0] > e.b[0] !== e.a[1] > e.b[1] ? 1 : 0);
  return updateBound(edge, uEnd, u, vEnd, v);
}

function clipVBound(edge: ClippedEdge, vEnd: number, v: number): ClippedEdge {
  if (vEnd === 0) {
    if (edge.bound.y.lo >= v) return edge;
  } else {
    if (edge.bound.y.hi <= v) return edge;
  }
  const e = edge.faceEdge;
  const u = edge.bound.x.project(interpolateDouble(v, e.a[1], e.b[1], e.a[0], e.b[0]));
  const uEnd = vEnd ^ (e.a[0] > e.b[0] !== e.a[1] > e.b[1] ? 1 : 0);
  return updateBound(edge, uEnd, u, vEnd, v);
}

function updateBound(edge: ClippedEdge, uEnd: number, u: number, vEnd: number, v: number): ClippedEdge {
  const x = new R1Interval(0, 0);
  const y = new R1Interval(0, 0);
  x.set(uEnd, u);
  y.set(vEnd, v);
  x.set(1 - uEnd, edge.bound.x.get(1 - uEnd));
  y.set(1 - vEnd, edge.bound.y.get(1 - vEnd));
  return { faceEdge: edge.faceEdge, bound: new R2Rect(x, y) };
}
