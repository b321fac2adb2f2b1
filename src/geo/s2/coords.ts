/**
 * S2 cube-face coordinate systems (s2coords.h) with the default quadratic projection:
 *   (x,y,z) on the sphere -> face + (u,v) in [-1,1]^2 -> (s,t) in [0,1]^2 -> (i,j) leaf indices.
 */

import { type Vec3, cmax, cmin, largestAbsComponent, rint } from './point.js';

export const MAX_CELL_LEVEL = 30;
export const LIMIT_IJ = 1 << MAX_CELL_LEVEL; // 2^30
export const MAX_SITI = 2 ** (MAX_CELL_LEVEL + 1); // 2^31

export function stToUV(s: number): number {
  if (s >= 0.5) return (1 / 3) * (4 * s * s - 1);
  return (1 / 3) * (1 - 4 * (1 - s) * (1 - s));
}

export function uvToST(u: number): number {
  if (u >= 0) return 0.5 * Math.sqrt(1 + 3 * u);
  return 1 - 0.5 * Math.sqrt(1 - 3 * u);
}

export function ijToSTMin(i: number): number {
  return (1.0 / LIMIT_IJ) * i;
}

export function stToIJ(s: number): number {
  return cmax(0, cmin(LIMIT_IJ - 1, rint(LIMIT_IJ * s - 0.5)));
}

export function siTiToST(si: number): number {
  return (1.0 / MAX_SITI) * si;
}

export function stToSiTi(s: number): number {
  return rint(s * MAX_SITI);
}

export function faceUVtoXYZ(face: number, u: number, v: number): Vec3 {
  switch (face) {
    case 0:
      return [1, u, v];
    case 1:
      return [-u, 1, v];
    case 2:
      return [-u, -v, 1];
    case 3:
      return [-1, -v, -u];
    case 4:
      return [v, -1, -u];
    default:
      return [v, u, -1];
  }
}

/** ValidFaceXYZtoUV: p must be on the given face (p . norm(face) > 0). */
export function validFaceXYZtoUV(face: number, p: Vec3): [number, number] {
  switch (face) {
    case 0:
      return [p[1] / p[0], p[2] / p[0]];
    case 1:
      return [-p[0] / p[1], p[2] / p[1]];
    case 2:
      return [-p[0] / p[2], -p[1] / p[2]];
    case 3:
      return [p[2] / p[0], p[1] / p[0]];
    case 4:
      return [p[2] / p[1], -p[0] / p[1]];
    default:
      return [-p[1] / p[2], -p[0] / p[2]];
  }
}

export function getFace(p: Vec3): number {
  let face = largestAbsComponent(p);
  if (p[face]! < 0) face += 3;
  return face;
}

export function xyzToFaceUV(p: Vec3): { face: number; u: number; v: number } {
  const face = getFace(p);
  const [u, v] = validFaceXYZtoUV(face, p);
  return { face, u, v };
}

/** FaceXYZtoUV: returns null if p is not on the given face's hemisphere. */
export function faceXYZtoUV(face: number, p: Vec3): [number, number] | null {
  if (face < 3) {
    if (p[face]! <= 0) return null;
  } else {
    if (p[face - 3]! >= 0) return null;
  }
  return validFaceXYZtoUV(face, p);
}

export function faceXYZtoUVW(face: number, p: Vec3): Vec3 {
  switch (face) {
    case 0:
      return [p[1], p[2], p[0]];
    case 1:
      return [-p[0], p[2], p[1]];
    case 2:
      return [-p[0], -p[1], p[2]];
    case 3:
      return [-p[2], -p[1], -p[0]];
    case 4:
      return [-p[2], p[0], -p[1]];
    default:
      return [p[1], p[0], -p[2]];
  }
}

export function getUNorm(face: number, u: number): Vec3 {
  switch (face) {
    case 0:
      return [u, -1, 0];
    case 1:
      return [1, u, 0];
    case 2:
      return [1, 0, u];
    case 3:
      return [-u, 0, 1];
    case 4:
      return [0, -u, 1];
    default:
      return [0, -1, -u];
  }
}

export function getVNorm(face: number, v: number): Vec3 {
  switch (face) {
    case 0:
      return [-v, 0, 1];
    case 1:
      return [0, -v, 1];
    case 2:
      return [0, -1, -v];
    case 3:
      return [v, -1, 0];
    case 4:
      return [1, v, 0];
    default:
      return [1, 0, v];
  }
}

const FACE_UVW_FACES: readonly (readonly (readonly number[])[])[] = [
  [[4, 1], [5, 2], [3, 0]],
  [[0, 3], [5, 2], [4, 1]],
  [[0, 3], [1, 4], [5, 2]],
  [[2, 5], [1, 4], [0, 3]],
  [[2, 5], [3, 0], [1, 4]],
  [[4, 1], [3, 0], [2, 5]],
];

const FACE_UVW_AXES: readonly (readonly Vec3[])[] = [
  [[0, 1, 0], [0, 0, 1], [1, 0, 0]],
  [[-1, 0, 0], [0, 0, 1], [0, 1, 0]],
  [[-1, 0, 0], [0, -1, 0], [0, 0, 1]],
  [[0, 0, -1], [0, -1, 0], [-1, 0, 0]],
  [[0, 0, -1], [1, 0, 0], [0, -1, 0]],
  [[0, 1, 0], [1, 0, 0], [0, 0, -1]],
];

export function getUVWFace(face: number, axis: number, direction: number): number {
  return FACE_UVW_FACES[face]![axis]![direction]!;
}

export function getUVWAxis(face: number, axis: number): Vec3 {
  return FACE_UVW_AXES[face]![axis]!;
}

export function faceSiTiToXYZ(face: number, si: number, ti: number): Vec3 {
  const u = stToUV(siTiToST(si));
  const v = stToUV(siTiToST(ti));
  return faceUVtoXYZ(face, u, v);
}

export const SWAP_MASK = 1;
export const INVERT_MASK = 2;

/** Child position -> (i,j) bits, per orientation. */
export const POS_TO_IJ: readonly (readonly number[])[] = [
  [0, 1, 3, 2],
  [0, 2, 3, 1],
  [3, 2, 0, 1],
  [3, 1, 0, 2],
];

/** (i,j) bits -> child position, per orientation. */
export const IJ_TO_POS: readonly (readonly number[])[] = [
  [0, 1, 3, 2],
  [0, 3, 1, 2],
  [2, 3, 1, 0],
  [2, 1, 3, 0],
];

export const POS_TO_ORIENTATION: readonly number[] = [SWAP_MASK, 0, 0, INVERT_MASK + SWAP_MASK];
