/** S2Cell: a cell id plus its face, level, orientation and (u,v) bounds (s2cell.cc). */

import * as CID from './cell-id.js';
import { POS_TO_IJ, POS_TO_ORIENTATION, faceUVtoXYZ, faceXYZtoUV, getUNorm, getVNorm } from './coords.js';
import { DBL_EPSILON, type Vec3, ilogb, neg, normalize } from './point.js';
import { R1Interval, R2Rect } from './r2.js';

export class S2Cell {
  readonly id: CID.CellId;
  readonly face: number;
  readonly level: number;
  readonly orientation: number;
  readonly uv: R2Rect;

  private constructor(id: CID.CellId, face: number, level: number, orientation: number, uv: R2Rect) {
    this.id = id;
    this.face = face;
    this.level = level;
    this.orientation = orientation;
    this.uv = uv;
  }

  static fromId(id: CID.CellId): S2Cell {
    const fij = CID.toFaceIJOrientation(id);
    const lvl = CID.level(id);
    return new S2Cell(id, fij.face, lvl, fij.orientation, CID.ijLevelToBoundUV(fij.i, fij.j, lvl));
  }

  isLeaf(): boolean {
    return this.level === CID.MAX_LEVEL;
  }

  getVertexRaw(k: number): Vec3 {
    const p = this.uv.vertex(k);
    return faceUVtoXYZ(this.face, p[0], p[1]);
  }

  getVertex(k: number): Vec3 {
    return normalize(this.getVertexRaw(k));
  }

  getEdgeRaw(k: number): Vec3 {
    switch (k & 3) {
      case 0:
        return getVNorm(this.face, this.uv.y.lo); // Bottom
      case 1:
        return getUNorm(this.face, this.uv.x.hi); // Right
      case 2:
        return neg(getVNorm(this.face, this.uv.y.hi)); // Top
      default:
        return neg(getUNorm(this.face, this.uv.x.lo)); // Left
    }
  }

  getCenter(): Vec3 {
    return CID.toPoint(this.id);
  }

  getBoundUV(): R2Rect {
    return this.uv;
  }

  /** Subdivide into the four children, in Hilbert order. */
  subdivide(): S2Cell[] | null {
    if (CID.isLeaf(this.id)) return null;
    const uvMid = CID.getCenterUV(this.id);
    let id = CID.childBegin(this.id);
    const out: S2Cell[] = [];
    for (let pos = 0; pos < 4; pos++, id = CID.next(id)) {
      const ij = POS_TO_IJ[this.orientation]![pos]!;
      const i = ij >> 1;
      const j = ij & 1;
      const x = new R1Interval(0, 0);
      const y = new R1Interval(0, 0);
      x.set(i, this.uv.x.get(i));
      x.set(1 - i, uvMid[0]);
      y.set(j, this.uv.y.get(j));
      y.set(1 - j, uvMid[1]);
      out.push(new S2Cell(id, this.face, this.level + 1, this.orientation ^ POS_TO_ORIENTATION[pos]!, new R2Rect(x, y)));
    }
    return out;
  }

  containsPoint(p: Vec3): boolean {
    const uv = faceXYZtoUV(this.face, p);
    if (uv === null) return false;
    return this.uv.expanded(DBL_EPSILON).contains(uv);
  }
}

/** S2::Metric<dim> (s2metrics.h). */
export class Metric {
  constructor(
    readonly deriv: number,
    readonly dim: number,
  ) {}

  getValue(lvl: number): number {
    return this.deriv * 2 ** (-this.dim * lvl);
  }

  getLevelForMaxValue(value: number): number {
    if (value <= 0) return CID.MAX_LEVEL;
    let lvl = ilogb(value / this.deriv);
    lvl = Math.max(0, Math.min(CID.MAX_LEVEL, -(lvl >> (this.dim - 1))));
    return lvl;
  }

  getLevelForMinValue(value: number): number {
    if (value <= 0) return CID.MAX_LEVEL;
    let lvl = ilogb(this.deriv / value);
    lvl = Math.max(0, Math.min(CID.MAX_LEVEL, lvl >> (this.dim - 1)));
    return lvl;
  }
}

export const MIN_WIDTH = new Metric((2 * Math.sqrt(2)) / 3, 1);
export const AVG_EDGE = new Metric(1.459213746386106062, 1);
