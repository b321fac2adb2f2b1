/**
 * The HyperMinHash algorithms Aerospike runs on its HLL particles (`particle_hll.c`): element
 * insertion, union, and the cardinality / intersection / similarity estimates. Counts are uint64
 * (bigint); floating-point steps follow the server's double arithmetic in the same order so the
 * estimates come out identical (corpus hll-ops steps 5, 28–34).
 *
 * References: Ertl 2017, "New cardinality estimation algorithms for HyperLogLog sketches"
 * (Algorithm 6); Yu & Weber 2017, "HyperMinHash: MinHash in LogLog space".
 */
import { murmur3x64 } from './murmur3.js';
import { HLL_BITS, HLL_HEADER_BYTES, Hll, compareRegister } from './sketch.js';

const U64_MAX = (1n << 64n) - 1n;

/**
 * Register index and value an element hashes to (`hmh_hash`): the register is the low index bits of
 * h1, the minhash the next minhash bits of h1, and the HLL value the trailing-zero count of h2 plus
 * one (65 when h2 is 0; stored modulo 64, as Aerospike's shift does).
 */
function hashElement(h: Hll, element: Uint8Array): { r: number; hll: number; minhash: number } {
  const { h1hi, h1lo, h2hi, h2lo } = murmur3x64(element);
  const p = h.indexBits; // 4..16, so the register index lies in h1's low word
  const r = h1lo & (h.nRegisters - 1);
  let minhash = 0;
  const m = h.minhashBits;
  if (m > 0) {
    const lowBits = 32 - p; // bits of h1 >> p that come from the low word
    const fromLow = h1lo >>> p;
    if (m <= lowBits) minhash = fromLow % 2 ** m;
    else minhash = (h1hi % 2 ** Math.min(m - lowBits, 32)) * 2 ** lowBits + fromLow;
  }
  const hll = h2lo !== 0 ? ctz32(h2lo) + 1 : h2hi !== 0 ? 32 + ctz32(h2hi) + 1 : 65;
  return { r, hll, minhash };
}

function ctz32(v: number): number {
  return 31 - Math.clz32(v & -v);
}

/** Adds one element (its canonical msgpack bytes); true when a register grew. Clears the cache then. */
export function addElement(h: Hll, element: Uint8Array): boolean {
  const e = hashElement(h, element);
  if (compareRegister(h.hllValue(e.r), h.minhash(e.r), e.hll, e.minhash) >= 0) return false;
  h.setRegister(e.r, e.hll, e.minhash);
  h.cache = 0n;
  return true;
}

/** True when the sketch may contain the element (its register is at least the element's value). */
export function mayContain(h: Hll, element: Uint8Array): boolean {
  const e = hashElement(h, element);
  return compareRegister(e.hll, e.minhash, h.hllValue(e.r), h.minhash(e.r)) <= 0;
}

/** The shape a union of `hlls` gets: the fewest index bits; minhash bits only if all agree. */
export function compatibleShape(hlls: readonly Hll[]): { indexBits: number; minhashBits: number } {
  let indexBits = hlls[0]!.indexBits;
  let minhashBits = hlls[0]!.minhashBits;
  for (const h of hlls.slice(1)) {
    if (indexBits > h.indexBits) indexBits = h.indexBits;
    if (minhashBits !== 0 && minhashBits !== h.minhashBits) minhashBits = 0;
  }
  return { indexBits, minhashBits };
}

/**
 * Merges `from` into `into` (which has no more index bits than `from`): registers fold onto
 * `index mod 2^into.indexBits` keeping the larger value; without minhash bits only HLL values count.
 */
export function unionInto(into: Hll, from: Hll): void {
  const mask = into.nRegisters - 1;
  const withMinhash = into.minhashBits !== 0;
  for (let r = 0; r < from.nRegisters; r++) {
    const u = r & mask;
    if (withMinhash) {
      const h1 = from.hllValue(r);
      const m1 = from.minhash(r);
      if (compareRegister(into.hllValue(u), into.minhash(u), h1, m1) < 0) into.setRegister(u, h1, m1);
    } else {
      const v1 = from.hllValue(r);
      if (into.hllValue(u) < v1) into.setRegister(u, v1, 0);
    }
  }
  if (withMinhash) into.cache = 0n;
}

/** A new sketch holding the union of `hlls`, shaped by {@link compatibleShape}. */
export function unionOf(hlls: readonly Hll[]): Hll {
  const shape = compatibleShape(hlls);
  const out = Hll.empty(shape.indexBits, shape.minhashBits);
  for (const h of hlls) unionInto(out, h);
  return out;
}

/** Cardinality estimate; a non-zero cache is trusted as Aerospike trusts it. */
export function estimateCardinality(h: Hll): bigint {
  const cached = h.cache;
  if (cached !== 0n) return cached;
  const m = h.nRegisters;
  const maxValue = 2 ** HLL_BITS;
  const c = new Array<number>(maxValue + 1).fill(0);
  for (let r = 0; r < m; r++) c[h.hllValue(r)]!++;
  let z = m * tau(c[maxValue]! / m);
  for (let k = maxValue; k > 0; k--) z = 0.5 * (z + c[k]!);
  z += m * sigma(c[0]! / m);
  return llround((alpha(h.indexBits) * m * m) / z);
}

/** C `llround` into uint64: half away from zero; out of int64 range gives INT64_MIN's bits as x86-64 does. */
function llround(x: number): bigint {
  if (!(x < 2 ** 63)) return 1n << 63n;
  return BigInt(Math.round(x));
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let prev: number;
  do {
    x = Math.sqrt(x);
    prev = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (prev !== z);
  return z / 3;
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let prev: number;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (prev !== z);
  return z;
}

function alpha(indexBits: number): number {
  switch (indexBits) {
    case 4:
      return 0.673;
    case 5:
      return 0.697;
    case 6:
      return 0.709;
  }
  return 0.7213 / (1.0 + 1.079 / 2 ** indexBits);
}

export function estimateUnion(hlls: readonly Hll[]): bigint {
  return estimateCardinality(unionOf(hlls));
}

/** Intersection estimate: MinHash when every sketch has the same minhash bits, else inclusion–exclusion (2 or 3 sketches). */
export function estimateIntersect(hlls: readonly Hll[]): bigint {
  if (compatibleShape(hlls).minhashBits === 0) return hllIntersect(hlls);
  const j = estimateSimilarity(hlls);
  if (Number.isNaN(j)) return 0n;
  return llround(Number(estimateUnion(hlls)) * j);
}

function hllIntersect(hlls: readonly Hll[]): bigint {
  const cu = estimateUnion(hlls);
  let sum = 0n;
  for (const h of hlls) {
    const c = estimateCardinality(h);
    if (sum + c > U64_MAX) {
      sum = U64_MAX;
      break;
    }
    sum += c;
  }
  if (hlls.length === 2) return sum > cu ? sum - cu : 0n;
  // three sketches (parsing allows no more without minhash): inclusion–exclusion over the pairs
  const pairs =
    estimateIntersect([hlls[0]!, hlls[1]!]) + estimateIntersect([hlls[1]!, hlls[2]!]) + estimateIntersect([hlls[0]!, hlls[2]!]);
  const result = BigInt.asIntN(64, cu - (sum - BigInt.asUintN(64, pairs)));
  return result < 0n ? 0n : result;
}

/** Jaccard similarity estimate; NaN when every sketch is empty. */
export function estimateSimilarity(hlls: readonly Hll[]): number {
  const shape = compatibleShape(hlls);
  if (shape.minhashBits === 0) return Number(hllIntersect(hlls)) / Number(estimateUnion(hlls));
  let oneHasData = false;
  let oneIsEmpty = false;
  for (const h of hlls) {
    if (hasData(h)) oneHasData = true;
    else oneIsEmpty = true;
  }
  if (oneIsEmpty) return oneHasData ? 0 : NaN;

  const agg = Hll.empty(shape.indexBits, shape.minhashBits);
  for (const h of hlls) unionInto(agg, h);
  const nUnion = usedRegisters(agg);

  const inter = Hll.empty(shape.indexBits, shape.minhashBits);
  unionInto(inter, hlls[0]!);
  for (const h of hlls.slice(1)) intersectInto(inter, h);
  const nIntersect = usedRegisters(inter);

  let ec = 0;
  if (hlls.length === 2) {
    const card0 = estimateCardinality(hlls[0]!);
    const card1 = estimateCardinality(hlls[1]!);
    ec = expectedCollisions(shape.indexBits, shape.minhashBits, Number(card0), Number(card1));
  }
  const result = (nIntersect - ec) / nUnion;
  return result < 0 ? 0 : result;
}

/**
 * Aerospike's emptiness test looks at the first 2^index_bits bytes of the register area only
 * (`hmh_has_data`); reproduced as is.
 */
function hasData(h: Hll): boolean {
  for (let i = HLL_HEADER_BYTES; i < HLL_HEADER_BYTES + h.nRegisters; i++) if (h.buf[i] !== 0) return true;
  return false;
}

function intersectInto(into: Hll, from: Hll): void {
  const mask = into.nRegisters - 1;
  for (let r = 0; r < from.nRegisters; r++) {
    const u = r & mask;
    const h0 = into.hllValue(u);
    const m0 = into.minhash(u);
    const same = h0 === from.hllValue(r) && m0 === from.minhash(r);
    into.setRegister(u, same ? h0 : 0, same ? m0 : 0);
  }
}

function usedRegisters(h: Hll): number {
  let n = 0;
  for (let r = 0; r < h.nRegisters; r++) if (!h.isEmptyRegister(r)) n++;
  return n;
}

/** Expected number of chance minhash collisions between two sets (HyperMinHash, 2 sets). */
function expectedCollisions(indexBits: number, minhashBits: number, card0: number, card1: number): number {
  const nRegisters = 2 ** indexBits;
  const nBuckets = 2 ** HLL_BITS;
  let cp = 0;
  for (let i = 1; i <= nBuckets; i++) {
    let b1 = i !== nBuckets ? 2 ** -i : 0;
    let b2 = 2 ** (-i + 1);
    b1 /= nRegisters;
    b2 /= nRegisters;
    const prX = Math.pow(1 - b1, card0) - Math.pow(1 - b2, card0);
    const prY = Math.pow(1 - b1, card1) - Math.pow(1 - b2, card1);
    cp += prX * prY;
  }
  return (cp * nRegisters) / 2 ** minhashBits;
}
