/**
 * The server's search primitives, reproduced step for step because their tie-breaking is visible
 * to clients: which duplicate a binary search lands on (ordered lists, WILDCARD lookups) and which
 * of several equal elements a rank selection picks (the order heap used for unordered lists).
 */

/** `cmp(i)` compares the probe value against the element at sorted position i (-1, 0, 1). */
export type ProbeCompare = (i: number) => number;

/**
 * Binary search for a value over `count` sorted elements starting at `start` (server:
 * order_index_find_rank_by_value). `target` 0 looks for the first equal element, `eleCount`
 * for one past the last, and anything larger just stops at the first equal element found.
 * Returns the resulting rank and whether an equal element was seen.
 */
export function findRank(
  probe: ProbeCompare,
  eleCount: number,
  start: number,
  count: number,
  target: number,
  indexAt: (rank: number) => number = (r) => r,
): { rank: number; found: boolean } {
  let found = false;
  if (eleCount === 0 || count === 0) return { rank: eleCount, found };
  let lower = start;
  let upper = start + count;
  let rank = start + Math.floor(count / 2);
  // each step halves [lower, upper); the bound guards against a comparator that is not a total order
  for (let guard = 0; guard < 128; guard++) {
    const idx = indexAt(rank);
    let c = probe(rank);
    if (c === 0) {
      found = true;
      if (target > eleCount) break;
      if (target < idx) c = -1;
      else if (target > idx) {
        if (rank === upper - 1) {
          rank++;
          break;
        }
        c = 1;
      } else break;
    }
    if (c > 0) {
      if (rank >= upper - 1) {
        rank++;
        break;
      }
      lower = rank + (found ? 0 : 1);
      rank = Math.floor((rank + upper) / 2);
    } else {
      if (rank === lower) break;
      upper = rank;
      rank = Math.floor((rank + lower) / 2);
    }
  }
  return { rank, found };
}

/**
 * Binary search of a key in a key-ordered map (server: packed_map_find_key_indexed). Returns the
 * index of the equal key or the insertion point.
 */
export function findKeyIndexed(probe: ProbeCompare, n: number): { idx: number; found: boolean } {
  if (n === 0) return { idx: 0, found: false };
  let lower = 0;
  let upper = n;
  let idx = Math.floor(n / 2);
  for (let guard = 0; guard < 128; guard++) {
    const c = probe(idx);
    if (c === 0) return { idx, found: true };
    if (c > 0) {
      if (idx >= upper - 1) return { idx: idx + 1, found: false };
      lower = idx + 1;
      idx = Math.floor((idx + upper) / 2);
    } else {
      if (idx === lower) return { idx, found: false };
      upper = idx;
      idx = Math.floor((idx + lower) / 2);
    }
  }
  return { idx, found: false };
}

/**
 * Rank selection with the server's order heap (order_heap_init_build_by_range): returns the heap
 * array and `filled`; the selected element indexes are `heap[filled .. filled + count)`. With a
 * min-heap (range nearer the low end) they come out highest rank first, with a max-heap lowest first.
 * `cmp(a, b)` compares elements a and b (-1, 0, 1).
 */
export function orderHeapByRange(
  n: number,
  idx: number,
  count: number,
  cmp: (a: number, b: number) => number,
): { heap: number[]; filled: number; isMin: boolean } {
  const tail = n - idx - count;
  const isMin = idx <= tail;
  const want = isMin ? -1 : 1;
  const discard = isMin ? idx : tail;
  const heap = new Array<number>(n);
  for (let i = 0; i < n; i++) heap[i] = i;
  let filled = n;

  const heapify = (start: number): void => {
    let index = start;
    for (;;) {
      const c1 = 2 * index + 1;
      const c2 = c1 + 1;
      if (c1 >= filled) break;
      let child: number;
      if (c2 >= filled) child = c1;
      else {
        const c = cmp(heap[c1]!, heap[c2]!);
        child = c === want || c === 0 ? c1 : c2;
      }
      if (cmp(heap[child]!, heap[index]!) === want) {
        const t = heap[index]!;
        heap[index] = heap[child]!;
        heap[child] = t;
        index = child;
      } else break;
    }
  };

  for (let i = Math.floor(filled / 2) - 1; i >= 0; i--) heapify(i);
  let end = filled - 1;
  for (let i = 0; i < count + discard; i++) {
    const top = heap[0]!;
    if (filled > 0) {
      filled--;
      heap[0] = heap[filled]!;
      heapify(0);
    }
    heap[end--] = top;
  }
  return { heap, filled, isMin };
}

