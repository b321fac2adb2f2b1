/**
 * S2CellId: 64-bit Hilbert-curve cell identifiers, represented as unsigned bigints.
 *
 * Layout: 3 face bits, then 2 bits per level of Hilbert position, then a 1 marker bit
 * (the lowest set bit, whose position gives the level), then zeros.
 */

import {
  INVERT_MASK,
  LIMIT_IJ,
  MAX_CELL_LEVEL,
  POS_TO_IJ,
  POS_TO_ORIENTATION,
  SWAP_MASK,
  faceSiTiToXYZ,
  faceUVtoXYZ,
  ijToSTMin,
  siTiToST,
  stToIJ,
  stToUV,
  uvToST,
  xyzToFaceUV,
} from './coords.js';
import { DBL_EPSILON, type Vec3, cmax, cmin, normalize } from './point.js';
import { R1Interval, R2Rect } from './r2.js';

export type CellId = bigint;

export const MAX_LEVEL = MAX_CELL_LEVEL;
export const NUM_FACES = 6;
const POS_BITS = 2 * MAX_LEVEL + 1;
const MAX_SIZE = LIMIT_IJ;
const MASK64 = (1n << 64n) - 1n;
/** (kNumFaces << kPosBits): the id one past the last valid cell of face 5. */
export const WRAP_OFFSET = BigInt(NUM_FACES) << BigInt(POS_BITS);
export const SENTINEL: CellId = MASK64;
export const NONE: CellId = 0n;

// ---- Hilbert curve lookup tables (4 bits of i and j per step) ----

const LOOKUP_BITS = 4;
const lookupPos = new Uint16Array(1 << (2 * LOOKUP_BITS + 2));
const lookupIJ = new Uint16Array(1 << (2 * LOOKUP_BITS + 2));

function initLookupCell(
  level: number,
  i: number,
  j: number,
  origOrientation: number,
  pos: number,
  orientation: number,
): void {
  if (level === LOOKUP_BITS) {
    const ij = (i << LOOKUP_BITS) + j;
    lookupPos[(ij << 2) + origOrientation] = (pos << 2) + orientation;
    lookupIJ[(pos << 2) + origOrientation] = (ij << 2) + orientation;
  } else {
    level++;
    i <<= 1;
    j <<= 1;
    pos <<= 2;
    const r = POS_TO_IJ[orientation]!;
    for (let k = 0; k < 4; k++) {
      initLookupCell(
        level,
        i + (r[k]! >> 1),
        j + (r[k]! & 1),
        origOrientation,
        pos + k,
        orientation ^ POS_TO_ORIENTATION[k]!,
      );
    }
  }
}
initLookupCell(0, 0, 0, 0, 0, 0);
initLookupCell(0, 0, 0, SWAP_MASK, 0, SWAP_MASK);
initLookupCell(0, 0, 0, INVERT_MASK, 0, INVERT_MASK);
initLookupCell(0, 0, 0, SWAP_MASK | INVERT_MASK, 0, SWAP_MASK | INVERT_MASK);

// ---- basic accessors ----

export function lsb(id: CellId): bigint {
  return id & -id;
}

export function lsbForLevel(level: number): bigint {
  return 1n << BigInt(2 * (MAX_LEVEL - level));
}

export function face(id: CellId): number {
  return Number(id >> BigInt(POS_BITS));
}

/** Index of the lowest set bit of a non-zero 64-bit value. */
function findLSBSetNonZero64(x: bigint): number {
  const lo = Number(x & 0xffffffffn);
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  const hi = Number((x >> 32n) & 0xffffffffn);
  return 32 + 31 - Math.clz32(hi & -hi);
}

/** Index of the highest set bit of a non-zero 64-bit value. */
function findMSBSetNonZero64(x: bigint): number {
  const hi = Number((x >> 32n) & 0xffffffffn);
  if (hi !== 0) return 63 - Math.clz32(hi);
  return 31 - Math.clz32(Number(x & 0xffffffffn));
}

export function level(id: CellId): number {
  return MAX_LEVEL - (findLSBSetNonZero64(id) >> 1);
}

export function isValid(id: CellId): boolean {
  return face(id) < NUM_FACES && (lsb(id) & 0x1555555555555555n) !== 0n;
}

export function isLeaf(id: CellId): boolean {
  return (id & 1n) !== 0n;
}

export function isFace(id: CellId): boolean {
  return (id & (lsbForLevel(0) - 1n)) === 0n;
}

export function fromFace(f: number): CellId {
  return (BigInt(f) << BigInt(POS_BITS)) + lsbForLevel(0);
}

export function rangeMin(id: CellId): CellId {
  return id - (lsb(id) - 1n);
}

export function rangeMax(id: CellId): CellId {
  return id + (lsb(id) - 1n);
}

export function contains(id: CellId, other: CellId): boolean {
  return other >= rangeMin(id) && other <= rangeMax(id);
}

export function intersects(id: CellId, other: CellId): boolean {
  return rangeMin(other) <= rangeMax(id) && rangeMax(other) >= rangeMin(id);
}

export function parentAt(id: CellId, lvl: number): CellId {
  const newLsb = lsbForLevel(lvl);
  return ((id & ((~newLsb + 1n) & MASK64)) | newLsb) & MASK64;
}

export function parent(id: CellId): CellId {
  const newLsb = lsb(id) << 2n;
  return ((id & ((~newLsb + 1n) & MASK64)) | newLsb) & MASK64;
}

export function child(id: CellId, position: number): CellId {
  const newLsb = lsb(id) >> 2n;
  return id + BigInt(2 * position + 1 - 4) * newLsb;
}

export function childBegin(id: CellId): CellId {
  const oldLsb = lsb(id);
  return id - oldLsb + (oldLsb >> 2n);
}

export function childBeginAt(id: CellId, lvl: number): CellId {
  return id - lsb(id) + lsbForLevel(lvl);
}

export function childEndAt(id: CellId, lvl: number): CellId {
  return id + lsb(id) + lsbForLevel(lvl);
}

export function next(id: CellId): CellId {
  return (id + (lsb(id) << 1n)) & MASK64;
}

export function prev(id: CellId): CellId {
  return (id - (lsb(id) << 1n)) & MASK64;
}

export function childPosition(id: CellId, lvl: number): number {
  return Number((id >> BigInt(2 * (MAX_LEVEL - lvl) + 1)) & 3n);
}

/** S2CellId::Begin(level) / End(level). */
export function begin(lvl: number): CellId {
  return childBeginAt(fromFace(0), lvl);
}

export function end(lvl: number): CellId {
  return childEndAt(fromFace(5), lvl);
}

export function getSizeIJ(lvl: number): number {
  return 2 ** (MAX_LEVEL - lvl);
}

export function getCommonAncestorLevel(a: CellId, b: CellId): number {
  const x = a ^ b;
  const la = lsb(a);
  const lb = lsb(b);
  let bits = la > lb ? la : lb;
  if (x > bits) bits = x;
  return Math.max(60 - findMSBSetNonZero64(bits), -1) >> 1;
}

// ---- conversions ----

export function fromFaceIJ(f: number, i: number, j: number): CellId {
  let hi = 0; // bits 32..63 of n
  let lo = 0; // bits 0..31 of n
  let bits = f & SWAP_MASK;
  const mask = (1 << LOOKUP_BITS) - 1;
  for (let k = 7; k >= 0; k--) {
    bits += ((i >> (k * LOOKUP_BITS)) & mask) << (LOOKUP_BITS + 2);
    bits += ((j >> (k * LOOKUP_BITS)) & mask) << 2;
    bits = lookupPos[bits]!;
    const chunk = bits >> 2;
    if (k >= 4) hi = (hi | (chunk << ((k - 4) * 8))) >>> 0;
    else lo = (lo | (chunk << (k * 8))) >>> 0;
    bits &= SWAP_MASK | INVERT_MASK;
  }
  const n = (BigInt(f) << 60n) | (BigInt(hi) << 32n) | BigInt(lo);
  return n * 2n + 1n;
}

export interface FaceIJ {
  face: number;
  i: number;
  j: number;
  orientation: number;
}

export function toFaceIJOrientation(id: CellId): FaceIJ {
  let i = 0;
  let j = 0;
  const f = face(id);
  let bits = f & SWAP_MASK;
  const hi = Number((id >> 32n) & 0xffffffffn);
  const lo = Number(id & 0xffffffffn);
  for (let k = 7; k >= 0; k--) {
    const nbits = k === 7 ? MAX_LEVEL - 7 * LOOKUP_BITS : LOOKUP_BITS;
    const shift = k * 2 * LOOKUP_BITS + 1;
    // Extract (id >> shift) & ((1 << 2*nbits) - 1) from the two 32-bit halves.
    let v: number;
    if (shift >= 32) v = hi >>> (shift - 32);
    else v = (lo >>> shift) | (shift > 0 ? (hi << (32 - shift)) >>> 0 : 0);
    v &= (1 << (2 * nbits)) - 1;
    bits += v << 2;
    bits = lookupIJ[bits]!;
    i += (bits >> (LOOKUP_BITS + 2)) << (k * LOOKUP_BITS);
    j += ((bits >> 2) & ((1 << LOOKUP_BITS) - 1)) << (k * LOOKUP_BITS);
    bits &= SWAP_MASK | INVERT_MASK;
  }
  if ((lsb(id) & 0x1111111111111110n) !== 0n) bits ^= SWAP_MASK;
  return { face: f, i, j, orientation: bits };
}

/** The leaf cell containing the point (S2CellId(const S2Point&)). */
export function fromPoint(p: Vec3): CellId {
  const { face: f, u, v } = xyzToFaceUV(p);
  const i = stToIJ(uvToST(u));
  const j = stToIJ(uvToST(v));
  return fromFaceIJ(f, i, j);
}

export function getCenterSiTi(id: CellId): { face: number; si: number; ti: number } {
  const { face: f, i, j } = toFaceIJOrientation(id);
  const delta = isLeaf(id) ? 1 : ((i ^ Number((id >> 2n) & 1n)) & 1) !== 0 ? 2 : 0;
  return { face: f, si: 2 * i + delta, ti: 2 * j + delta };
}

export function toPointRaw(id: CellId): Vec3 {
  const { face: f, si, ti } = getCenterSiTi(id);
  return faceSiTiToXYZ(f, si, ti);
}

export function toPoint(id: CellId): Vec3 {
  return normalize(toPointRaw(id));
}

export function getCenterUV(id: CellId): [number, number] {
  const { si, ti } = getCenterSiTi(id);
  return [stToUV(siTiToST(si)), stToUV(siTiToST(ti))];
}

export function ijLevelToBoundUV(i: number, j: number, lvl: number): R2Rect {
  const cellSize = getSizeIJ(lvl);
  const ij = [i, j];
  const out: R1Interval[] = [];
  for (let d = 0; d < 2; d++) {
    const ijLo = ij[d]! - (ij[d]! % cellSize);
    const ijHi = ijLo + cellSize;
    out.push(new R1Interval(stToUV(ijToSTMin(ijLo)), stToUV(ijToSTMin(ijHi))));
  }
  return new R2Rect(out[0]!, out[1]!);
}

export function getBoundUV(id: CellId): R2Rect {
  const { i, j } = toFaceIJOrientation(id);
  return ijLevelToBoundUV(i, j, level(id));
}

export function fromFaceIJWrap(f: number, i: number, j: number): CellId {
  i = cmax(-1, cmin(MAX_SIZE, i));
  j = cmax(-1, cmin(MAX_SIZE, j));
  const kScale = 1.0 / MAX_SIZE;
  const kLimit = 1.0 + DBL_EPSILON;
  let u = cmax(-kLimit, cmin(kLimit, kScale * (2 * (i - MAX_SIZE / 2) + 1)));
  let v = cmax(-kLimit, cmin(kLimit, kScale * (2 * (j - MAX_SIZE / 2) + 1)));
  const r = xyzToFaceUV(faceUVtoXYZ(f, u, v));
  u = r.u;
  v = r.v;
  return fromFaceIJ(r.face, stToIJ(0.5 * (u + 1)), stToIJ(0.5 * (v + 1)));
}

function fromFaceIJSame(f: number, i: number, j: number, sameFace: boolean): CellId {
  return sameFace ? fromFaceIJ(f, i, j) : fromFaceIJWrap(f, i, j);
}

export function getEdgeNeighbors(id: CellId): CellId[] {
  const lvl = level(id);
  const size = getSizeIJ(lvl);
  const { face: f, i, j } = toFaceIJOrientation(id);
  return [
    parentAt(fromFaceIJSame(f, i, j - size, j - size >= 0), lvl),
    parentAt(fromFaceIJSame(f, i + size, j, i + size < MAX_SIZE), lvl),
    parentAt(fromFaceIJSame(f, i, j + size, j + size < MAX_SIZE), lvl),
    parentAt(fromFaceIJSame(f, i - size, j, i - size >= 0), lvl),
  ];
}

/** AppendVertexNeighbors: the (3 or 4) cells at "lvl" that share the vertex closest to this cell. */
export function appendVertexNeighbors(id: CellId, lvl: number, output: CellId[]): void {
  const { face: f, i, j } = toFaceIJOrientation(id);
  const halfsize = getSizeIJ(lvl + 1);
  const size = halfsize * 2;
  let isame: boolean;
  let jsame: boolean;
  let ioffset: number;
  let joffset: number;
  if ((i & halfsize) !== 0) {
    ioffset = size;
    isame = i + size < MAX_SIZE;
  } else {
    ioffset = -size;
    isame = i - size >= 0;
  }
  if ((j & halfsize) !== 0) {
    joffset = size;
    jsame = j + size < MAX_SIZE;
  } else {
    joffset = -size;
    jsame = j - size >= 0;
  }
  output.push(parentAt(id, lvl));
  output.push(parentAt(fromFaceIJSame(f, i + ioffset, j, isame), lvl));
  output.push(parentAt(fromFaceIJSame(f, i, j + joffset, jsame), lvl));
  if (isame || jsame) {
    output.push(parentAt(fromFaceIJSame(f, i + ioffset, j + joffset, isame && jsame), lvl));
  }
}

/** S2CellId::maximum_tile. */
export function maximumTile(id: CellId, limit: CellId): CellId {
  const start = rangeMin(id);
  if (start >= rangeMin(limit)) return limit;
  if (rangeMax(id) >= limit) {
    do {
      id = child(id, 0);
    } while (rangeMax(id) >= limit);
    return id;
  }
  while (!isFace(id)) {
    const p = parent(id);
    if (rangeMin(p) !== start || rangeMax(p) >= limit) break;
    id = p;
  }
  return id;
}

/** S2CellUnion::FromBeginEnd: the minimal cells covering leaf range [b, e). */
export function cellsFromBeginEnd(b: CellId, e: CellId): CellId[] {
  const out: CellId[] = [];
  for (let id = maximumTile(b, e); id !== e; id = maximumTile(next(id), e)) out.push(id);
  return out;
}

export function toToken(id: CellId): string {
  if (id === 0n) return 'X';
  let s = id.toString(16).padStart(16, '0');
  s = s.replace(/0+$/, '');
  return s;
}

export function toHex(id: CellId): string {
  return id.toString(16).padStart(16, '0');
}

/** "f/0123..." debug string (S2CellId::ToString). */
export function toDebugString(id: CellId): string {
  if (!isValid(id)) return `Invalid: ${toHex(id)}`;
  let out = `${face(id)}/`;
  const lvl = level(id);
  for (let l = 1; l <= lvl; l++) out += '0123'[childPosition(id, l)];
  return out;
}
