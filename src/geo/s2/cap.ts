/** S2Cap (a spherical cap: center + chord-angle radius) and the S2Region interface. */

import { S2Cell, MIN_WIDTH } from './cell.js';
import * as CID from './cell-id.js';
import { type Vec3, cmin, cross, dot, neg, norm2, sub } from './point.js';

/** The region operations S2RegionCoverer needs. */
export interface S2Region {
  /** A small set of cells covering the region (S2Region::GetCellUnionBound). */
  getCellUnionBound(): CID.CellId[];
  /** False only if the region certainly does not intersect the cell. */
  mayIntersect(cell: S2Cell): boolean;
  /** True only if the region certainly contains the cell. */
  containsCell(cell: S2Cell): boolean;
  containsPoint(p: Vec3): boolean;
}

/** S1ChordAngle helpers: angles are represented by the squared chord length (length2). */
export const ChordAngle = {
  NEGATIVE: -1,
  ZERO: 0,
  RIGHT: 2,
  STRAIGHT: 4,
  fromRadians(radians: number): number {
    if (radians < 0) return -1;
    if (radians === Infinity) return Infinity;
    const length = 2 * Math.sin(0.5 * cmin(Math.PI, radians));
    return length * length;
  },
  fromPoints(x: Vec3, y: Vec3): number {
    return cmin(4.0, norm2(sub(x, y)));
  },
  fromLength2(length2: number): number {
    return cmin(4.0, length2);
  },
  toRadians(length2: number): number {
    if (length2 < 0) return -1;
    if (length2 === Infinity) return Infinity;
    return 2 * Math.asin(0.5 * Math.sqrt(length2));
  },
  sin2(length2: number): number {
    return length2 * (1 - 0.25 * length2);
  },
};

export class S2Cap implements S2Region {
  constructor(
    readonly center: Vec3,
    /** Squared chord length of the radius (S1ChordAngle::length2). */
    readonly radius2: number,
  ) {}

  /** S2Cap(center, S1Angle::Radians(radians)). */
  static fromCenterAngle(center: Vec3, radians: number): S2Cap {
    // std::min(radius, S1Angle::Radians(M_PI)) then S1ChordAngle(S1Angle).
    const r = Math.PI < radians ? Math.PI : radians;
    return new S2Cap(center, ChordAngle.fromRadians(r));
  }

  static empty(): S2Cap {
    return new S2Cap([1, 0, 0], -1);
  }

  static full(): S2Cap {
    return new S2Cap([1, 0, 0], 4);
  }

  isEmpty(): boolean {
    return this.radius2 < 0;
  }

  isFull(): boolean {
    return this.radius2 === 4;
  }

  height(): number {
    return 0.5 * this.radius2;
  }

  getRadiusRadians(): number {
    return ChordAngle.toRadians(this.radius2);
  }

  /** Grow the cap to include p (S2Cap::AddPoint). */
  addPoint(p: Vec3): S2Cap {
    if (this.isEmpty()) return new S2Cap(p, 0);
    const d = ChordAngle.fromPoints(this.center, p);
    return new S2Cap(this.center, this.radius2 < d ? d : this.radius2);
  }

  complement(): S2Cap {
    if (this.isFull()) return S2Cap.empty();
    if (this.isEmpty()) return S2Cap.full();
    return new S2Cap(neg(this.center), ChordAngle.fromLength2(4 - this.radius2));
  }

  containsPoint(p: Vec3): boolean {
    return ChordAngle.fromPoints(this.center, p) <= this.radius2;
  }

  getCellUnionBound(): CID.CellId[] {
    const lvl = MIN_WIDTH.getLevelForMinValue(this.getRadiusRadians()) - 1;
    if (lvl < 0) {
      const out: CID.CellId[] = [];
      for (let f = 0; f < 6; f++) out.push(CID.fromFace(f));
      return out;
    }
    const out: CID.CellId[] = [];
    CID.appendVertexNeighbors(CID.fromPoint(this.center), lvl, out);
    return out;
  }

  /** S2Cap::Intersects(cell, vertices): does the cap intersect the cell's interior/edges (vertices known to be outside)? */
  private intersectsCell(cell: S2Cell, vertices: Vec3[]): boolean {
    if (this.radius2 >= ChordAngle.RIGHT) return false;
    if (this.isEmpty()) return false;
    if (cell.containsPoint(this.center)) return true;
    const sin2Angle = ChordAngle.sin2(this.radius2);
    for (let k = 0; k < 4; k++) {
      const edge = cell.getEdgeRaw(k);
      const d = dot(this.center, edge);
      if (d > 0) continue;
      if (d * d > sin2Angle * norm2(edge)) return false;
      const dir = cross(edge, this.center);
      if (dot(dir, vertices[k]!) < 0 && dot(dir, vertices[(k + 1) & 3]!) > 0) return true;
    }
    return false;
  }

  containsCell(cell: S2Cell): boolean {
    const vertices: Vec3[] = [];
    for (let k = 0; k < 4; k++) {
      vertices.push(cell.getVertex(k));
      if (!this.containsPoint(vertices[k]!)) return false;
    }
    return !this.complement().intersectsCell(cell, vertices);
  }

  mayIntersect(cell: S2Cell): boolean {
    const vertices: Vec3[] = [];
    for (let k = 0; k < 4; k++) {
      vertices.push(cell.getVertex(k));
      if (this.containsPoint(vertices[k]!)) return true;
    }
    return this.intersectsCell(cell, vertices);
  }
}
