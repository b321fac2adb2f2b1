/**
 * Which of two copies of a record wins when duplicates meet (migration merges, duplicate
 * resolution): the namespace's `conflict-resolution-policy`, exactly as the server's
 * `as_record_resolve_conflict` decides it.
 *
 * - `generation`: the higher generation wins, compared *directly* (no wrap-around: after a split
 *   brain the side that kept updating a record usually has the larger count, while a side that
 *   recreated it starts again at 1); equal generations fall back to last-update-time.
 * - `last-update-time`: the later last-update-time wins; equal times fall back to generation,
 *   compared with 16-bit wrap-around.
 * A complete tie keeps the local copy (the server only applies a remote winner).
 */
import type { ConflictResolutionPolicy } from '../config/model.js';

export type { ConflictResolutionPolicy };

/** The metadata conflict resolution looks at. */
export interface RecordVersionMeta {
  /** record generation, u16 as stored */
  readonly generation: number;
  /** last-update-time (any fixed unit, e.g. ms since the Citrusleaf epoch) */
  readonly lastUpdateTime: number;
}

/** `lhs < rhs` for 16-bit generations that may have wrapped (as_gen_less_than). */
export function generationLessThan(lhs: number, rhs: number): boolean {
  return ((lhs - rhs) & 0xffff) >= 0x8000;
}

/** -1 when `left` wins, 1 when `right` wins, 0 on a tie. */
export function compareForConflict(policy: ConflictResolutionPolicy, left: RecordVersionMeta, right: RecordVersionMeta): -1 | 0 | 1 {
  const lg = left.generation & 0xffff;
  const rg = right.generation & 0xffff;
  const byLut = (): -1 | 0 | 1 => (left.lastUpdateTime === right.lastUpdateTime ? 0 : right.lastUpdateTime > left.lastUpdateTime ? 1 : -1);
  switch (policy) {
    case 'generation': {
      const byGen = lg === rg ? 0 : rg > lg ? 1 : -1;
      return byGen !== 0 ? byGen : byLut();
    }
    case 'last-update-time': {
      const lut = byLut();
      if (lut !== 0) return lut;
      return lg === rg ? 0 : generationLessThan(lg, rg) ? 1 : -1;
    }
    default: {
      const never: never = policy;
      throw new Error(`unknown conflict-resolution-policy ${String(never)}`);
    }
  }
}

/** Which copy a node keeps when `remote` arrives for a record it holds as `local`. */
export function resolveConflict(policy: ConflictResolutionPolicy, local: RecordVersionMeta, remote: RecordVersionMeta): 'local' | 'remote' {
  return compareForConflict(policy, local, remote) === 1 ? 'remote' : 'local';
}

/**
 * Index of the winner among several copies (the first one is the local copy when present):
 * each later copy replaces the best so far only when it strictly wins.
 */
export function pickWinner(policy: ConflictResolutionPolicy, copies: readonly RecordVersionMeta[]): number {
  if (copies.length === 0) throw new RangeError('no copies to choose from');
  let best = 0;
  for (let i = 1; i < copies.length; i++) {
    if (compareForConflict(policy, copies[i]!, copies[best]!) === -1) best = i;
  }
  return best;
}
