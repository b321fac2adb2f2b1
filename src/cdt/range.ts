/**
 * Index/count arithmetic shared by list and map ops (server: calc_index_count,
 * calc_rel_index_count). Indexes are signed 64-bit (negative = from the end), counts unsigned 64-bit.
 */

/**
 * Resolves (index, count) against `n` elements. Multi-result ops clamp out-of-range requests to an
 * empty selection; single-result ops answer null (the caller raises OP_NOT_APPLICABLE).
 */
export function calcIndexCount(index: bigint, count: bigint, n: number, multi: boolean): [number, number] | null {
  const big = BigInt(n);
  const cnt = BigInt.asUintN(64, count);
  if (multi) {
    if (index >= big) return [n, 0];
    const i = index < 0n ? big + index : index;
    if (i < 0n) {
      if (-i < cnt) {
        let c = cnt + i;
        if (c > big) c = big;
        return [0, Number(c)];
      }
      return [0, 0];
    }
    return [Number(i), Number(cnt >= big - i ? big - i : cnt)];
  }
  if (index >= big) return null;
  const i = index < 0n ? big + index : index;
  if (i < 0n) return null;
  return [Number(i), Number(cnt >= big - i ? big - i : cnt)];
}

/** Shifts a relative (index, count) by the rank/index of the reference element. */
export function calcRelIndexCount(index: bigint, count: bigint, rel: number): [bigint, bigint] {
  let i = BigInt.asIntN(64, index + BigInt(rel));
  let c = BigInt.asUintN(64, count);
  if (i < 0n) {
    const neg = -i;
    c = c > neg ? c - neg : 0n;
    i = 0n;
  }
  return [i, c];
}
