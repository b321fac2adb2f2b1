/**
 * S2RegionCoverer (exterior coverings), following s2region_coverer.cc step for step, including the
 * tie order of libstdc++'s std::priority_queue (binary heap), so the covering chosen when the
 * max_cells budget binds is the same one the C++ library picks.
 */

import type { S2Region } from './cap.js';
import { S2Cell } from './cell.js';
import * as CID from './cell-id.js';

export interface CovererOptions {
  minLevel: number;
  maxLevel: number;
  maxCells: number;
  levelMod: number;
}

export const DEFAULT_COVERER_OPTIONS: CovererOptions = { minLevel: 0, maxLevel: 30, maxCells: 8, levelMod: 1 };

interface Candidate {
  cell: S2Cell;
  isTerminal: boolean;
  children: Candidate[];
}

type QueueEntry = { priority: number; candidate: Candidate };

/** std::priority_queue<QueueEntry, vector, CompareQueueEntries> as implemented by libstdc++. */
class LibstdcxxPriorityQueue {
  private readonly c: QueueEntry[] = [];

  get size(): number {
    return this.c.length;
  }

  empty(): boolean {
    return this.c.length === 0;
  }

  top(): QueueEntry {
    return this.c[0]!;
  }

  private static less(x: QueueEntry, y: QueueEntry): boolean {
    return x.priority < y.priority;
  }

  private pushHeap(holeIndex: number, topIndex: number, value: QueueEntry): void {
    const c = this.c;
    let parent = Math.floor((holeIndex - 1) / 2);
    while (holeIndex > topIndex && LibstdcxxPriorityQueue.less(c[parent]!, value)) {
      c[holeIndex] = c[parent]!;
      holeIndex = parent;
      parent = Math.floor((holeIndex - 1) / 2);
    }
    c[holeIndex] = value;
  }

  push(value: QueueEntry): void {
    this.c.push(value);
    this.pushHeap(this.c.length - 1, 0, value);
  }

  pop(): void {
    const c = this.c;
    const len = c.length;
    if (len > 1) {
      // __pop_heap(first, last-1, last-1): value = *result; *result = *first; __adjust_heap(first, 0, len-1, value)
      const value = c[len - 1]!;
      c[len - 1] = c[0]!;
      this.adjustHeap(0, len - 1, value);
    }
    c.pop();
  }

  private adjustHeap(holeIndex: number, len: number, value: QueueEntry): void {
    const c = this.c;
    const topIndex = holeIndex;
    let secondChild = holeIndex;
    while (secondChild < Math.floor((len - 1) / 2)) {
      secondChild = 2 * (secondChild + 1);
      if (LibstdcxxPriorityQueue.less(c[secondChild]!, c[secondChild - 1]!)) secondChild--;
      c[holeIndex] = c[secondChild]!;
      holeIndex = secondChild;
    }
    if ((len & 1) === 0 && secondChild === Math.floor((len - 2) / 2)) {
      secondChild = 2 * (secondChild + 1);
      c[holeIndex] = c[secondChild - 1]!;
      holeIndex = secondChild - 1;
    }
    this.pushHeap(holeIndex, topIndex, value);
  }
}

/** S2CellUnion::Normalize (sort, drop contained cells, merge complete sibling groups). */
export function normalizeCellIds(ids: CID.CellId[]): CID.CellId[] {
  const sorted = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: CID.CellId[] = [];
  for (let id of sorted) {
    if (out.length > 0 && CID.contains(out[out.length - 1]!, id)) continue;
    while (out.length > 0 && CID.contains(id, out[out.length - 1]!)) out.pop();
    while (out.length >= 3 && areSiblings(out[out.length - 3]!, out[out.length - 2]!, out[out.length - 1]!, id)) {
      id = CID.parent(id);
      out.length -= 3;
    }
    out.push(id);
  }
  return out;
}

function areSiblings(a: CID.CellId, b: CID.CellId, c: CID.CellId, d: CID.CellId): boolean {
  if ((a ^ b ^ c) !== d) return false;
  let mask = CID.lsb(d) << 1n;
  mask = ~(mask + (mask << 1n)) & ((1n << 64n) - 1n);
  const idMasked = d & mask;
  return (a & mask) === idMasked && (b & mask) === idMasked && (c & mask) === idMasked && !CID.isFace(d);
}

/** S2CellUnion::Denormalize. */
export function denormalizeCellIds(ids: readonly CID.CellId[], minLevel: number, levelMod: number): CID.CellId[] {
  const out: CID.CellId[] = [];
  for (const id of ids) {
    const lvl = CID.level(id);
    let newLevel = Math.max(minLevel, lvl);
    if (levelMod > 1) {
      newLevel += (CID.MAX_LEVEL - (newLevel - minLevel)) % levelMod;
      newLevel = Math.min(CID.MAX_LEVEL, newLevel);
    }
    if (newLevel === lvl) {
      out.push(id);
    } else {
      const e = CID.childEndAt(id, newLevel);
      for (let c = CID.childBeginAt(id, newLevel); c !== e; c = CID.next(c)) out.push(c);
    }
  }
  return out;
}

export class RegionCoverer {
  private readonly opts: CovererOptions;
  private region: S2Region | null = null;
  private result: CID.CellId[] = [];
  private pq = new LibstdcxxPriorityQueue();

  constructor(options: Partial<CovererOptions> = {}) {
    const o = { ...DEFAULT_COVERER_OPTIONS, ...options };
    this.opts = {
      minLevel: Math.max(0, Math.min(CID.MAX_LEVEL, o.minLevel)),
      maxLevel: Math.max(0, Math.min(CID.MAX_LEVEL, o.maxLevel)),
      maxCells: o.maxCells,
      levelMod: Math.max(1, Math.min(3, o.levelMod)),
    };
  }

  get options(): Readonly<CovererOptions> {
    return this.opts;
  }

  private maxChildrenShift(): number {
    return 2 * this.opts.levelMod;
  }

  private newCandidate(cell: S2Cell): Candidate | null {
    const region = this.region!;
    if (!region.mayIntersect(cell)) return null;
    let isTerminal = false;
    if (cell.level >= this.opts.minLevel) {
      if (cell.level + this.opts.levelMod > this.opts.maxLevel || region.containsCell(cell)) {
        isTerminal = true;
      }
    }
    return { cell, isTerminal, children: [] };
  }

  private expandChildren(candidate: Candidate, cell: S2Cell, numLevels: number): number {
    numLevels--;
    const childCells = cell.subdivide()!;
    let numTerminals = 0;
    for (let i = 0; i < 4; i++) {
      if (numLevels > 0) {
        if (this.region!.mayIntersect(childCells[i]!)) {
          numTerminals += this.expandChildren(candidate, childCells[i]!, numLevels);
        }
        continue;
      }
      const child = this.newCandidate(childCells[i]!);
      if (child) {
        candidate.children.push(child);
        if (child.isTerminal) ++numTerminals;
      }
    }
    return numTerminals;
  }

  private addCandidate(candidate: Candidate | null): void {
    if (candidate === null) return;
    if (candidate.isTerminal) {
      this.result.push(candidate.cell.id);
      return;
    }
    const numLevels = candidate.cell.level < this.opts.minLevel ? 1 : this.opts.levelMod;
    const numTerminals = this.expandChildren(candidate, candidate.cell, numLevels);
    const shift = this.maxChildrenShift();
    if (candidate.children.length === 0) {
      // Discard.
    } else if (numTerminals === 1 << shift && candidate.cell.level >= this.opts.minLevel) {
      // Optimization: add the parent cell rather than all of its children.
      candidate.isTerminal = true;
      candidate.children = [];
      this.addCandidate(candidate);
    } else {
      const priority = -((((candidate.cell.level << shift) + candidate.children.length) << shift) + numTerminals);
      this.pq.push({ priority, candidate });
    }
  }

  private adjustLevel(lvl: number): number {
    if (this.opts.levelMod > 1 && lvl > this.opts.minLevel) {
      lvl -= (lvl - this.opts.minLevel) % this.opts.levelMod;
    }
    return lvl;
  }

  private adjustCellLevels(cells: CID.CellId[]): CID.CellId[] {
    if (this.opts.levelMod === 1) return cells;
    const out: CID.CellId[] = [];
    for (let id of cells) {
      const lvl = CID.level(id);
      const newLevel = this.adjustLevel(lvl);
      if (newLevel !== lvl) id = CID.parentAt(id, newLevel);
      if (out.length > 0 && CID.contains(out[out.length - 1]!, id)) continue;
      while (out.length > 0 && CID.contains(id, out[out.length - 1]!)) out.pop();
      out.push(id);
    }
    return out;
  }

  private getInitialCandidates(): void {
    const tmp = new RegionCoverer({
      maxCells: Math.min(4, this.opts.maxCells),
      maxLevel: this.opts.maxLevel,
    });
    let cells = tmp.getFastCovering(this.region!);
    cells = this.adjustCellLevels(cells);
    for (const id of cells) this.addCandidate(this.newCandidate(S2Cell.fromId(id)));
  }

  /** An exterior covering of the region, sorted by cell id (S2RegionCoverer::GetCovering). */
  getCovering(region: S2Region): CID.CellId[] {
    this.region = region;
    this.result = [];
    this.pq = new LibstdcxxPriorityQueue();
    this.getInitialCandidates();
    while (!this.pq.empty()) {
      const candidate = this.pq.top().candidate;
      this.pq.pop();
      if (
        candidate.cell.level < this.opts.minLevel ||
        candidate.children.length === 1 ||
        this.result.length + this.pq.size + candidate.children.length <= this.opts.maxCells
      ) {
        for (const c of candidate.children) this.addCandidate(c);
      } else {
        candidate.isTerminal = true;
        candidate.children = [];
        this.addCandidate(candidate);
      }
    }
    this.region = null;
    let result = normalizeCellIds(this.result);
    if (this.opts.minLevel > 0 || this.opts.levelMod > 1) {
      result = denormalizeCellIds(result, this.opts.minLevel, this.opts.levelMod);
    }
    this.result = [];
    return result;
  }

  /** S2RegionCoverer::GetFastCovering: the region's cell union bound, canonicalized. */
  getFastCovering(region: S2Region): CID.CellId[] {
    return this.canonicalizeCovering(region.getCellUnionBound());
  }

  private canonicalizeCovering(covering: CID.CellId[]): CID.CellId[] {
    const o = this.opts;
    if (o.maxLevel < CID.MAX_LEVEL || o.levelMod > 1) {
      covering = covering.map((id) => {
        const lvl = CID.level(id);
        const newLevel = this.adjustLevel(Math.min(lvl, o.maxLevel));
        return newLevel !== lvl ? CID.parentAt(id, newLevel) : id;
      });
    }
    covering = normalizeCellIds(covering);
    if (o.minLevel > 0 || o.levelMod > 1) {
      covering = denormalizeCellIds(covering, o.minLevel, o.levelMod);
    }
    const excess = covering.length - o.maxCells;
    if (excess <= 0 || this.isCanonical(covering)) return covering;
    // (S2 recomputes a covering of the S2CellUnion when excess * size > 10000; the regions used
    // here have cell-union bounds of at most 6 cells, so only the pairwise merge below applies.)
    // Repeatedly replace two adjacent cells in S2CellId order by their lowest common ancestor.
    while (covering.length > o.maxCells) {
      let bestIndex = -1;
      let bestLevel = -1;
      for (let i = 0; i + 1 < covering.length; i++) {
        let lvl = CID.getCommonAncestorLevel(covering[i]!, covering[i + 1]!);
        lvl = this.adjustLevel(lvl);
        if (lvl > bestLevel) {
          bestLevel = lvl;
          bestIndex = i;
        }
      }
      if (bestLevel < o.minLevel) break;
      let id = CID.parentAt(covering[bestIndex]!, bestLevel);
      covering = replaceCellsWithAncestor(covering, id);
      while (bestLevel > o.minLevel) {
        bestLevel -= o.levelMod;
        id = CID.parentAt(id, bestLevel);
        if (!this.containsAllChildren(covering, id)) break;
        covering = replaceCellsWithAncestor(covering, id);
      }
    }
    return covering;
  }

  private containsAllChildren(covering: CID.CellId[], id: CID.CellId): boolean {
    let it = lowerBound(covering, CID.rangeMin(id));
    const lvl = CID.level(id) + this.opts.levelMod;
    const e = CID.childEndAt(id, lvl);
    for (let c = CID.childBeginAt(id, lvl); c !== e; ++it, c = CID.next(c)) {
      if (it === covering.length || covering[it] !== c) return false;
    }
    return true;
  }

  isCanonical(covering: readonly CID.CellId[]): boolean {
    const o = this.opts;
    const minLevel = o.minLevel;
    const maxLevel = o.levelMod === 1 ? o.maxLevel : o.maxLevel - ((o.maxLevel - o.minLevel) % o.levelMod);
    const levelMod = o.levelMod;
    const tooManyCells = covering.length > o.maxCells;
    let sameParentCount = 1;
    let prevId: CID.CellId = CID.NONE;
    for (const id of covering) {
      if (!CID.isValid(id)) return false;
      const lvl = CID.level(id);
      if (lvl < minLevel || lvl > maxLevel) return false;
      if (levelMod > 1 && (lvl - minLevel) % levelMod !== 0) return false;
      if (prevId !== CID.NONE) {
        if (CID.rangeMax(prevId) >= CID.rangeMin(id)) return false;
        if (tooManyCells && CID.getCommonAncestorLevel(id, prevId) >= minLevel) return false;
        const plevel = lvl - levelMod;
        if (plevel < minLevel || lvl !== CID.level(prevId) || CID.parentAt(id, plevel) !== CID.parentAt(prevId, plevel)) {
          sameParentCount = 1;
        } else if (++sameParentCount === 1 << (2 * levelMod)) {
          return false;
        }
      }
      prevId = id;
    }
    return true;
  }
}

function lowerBound(arr: readonly CID.CellId[], v: CID.CellId): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(arr: readonly CID.CellId[], v: CID.CellId): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function replaceCellsWithAncestor(covering: CID.CellId[], id: CID.CellId): CID.CellId[] {
  const b = lowerBound(covering, CID.rangeMin(id));
  const e = upperBound(covering, CID.rangeMax(id));
  return [...covering.slice(0, b), id, ...covering.slice(e)];
}
