/**
 * Node ids as the cluster code handles them: unsigned 64-bit integers (`bigint`). The wire and the
 * info protocol print them as uppercase hex without leading zeros (`node`, `peers-clear-std`);
 * `StratoNode.nodeId` keeps that string form, so the two helpers here are the only conversions.
 */

/** A node id: a non-zero u64. Zero is reserved for "no node" (no principal, orphan). */
export type NodeId = bigint;

/** The largest u64, for range checks. */
export const U64_MAX = (1n << 64n) - 1n;

/** True when `id` is a usable node id (non-zero, fits in 64 bits). */
export function isNodeId(id: bigint): boolean {
  return id > 0n && id <= U64_MAX;
}

/** Prints a node id the way `node` and `peers-*` answer it: uppercase hex, no leading zeros. */
export function formatNodeId(id: NodeId): string {
  if (!isNodeId(id)) throw new RangeError(`not a node id: ${id}`);
  return id.toString(16).toUpperCase();
}

/** Parses the uppercase (or lowercase) hex form; throws RangeError on anything else. */
export function parseNodeId(hex: string): NodeId {
  if (!/^[0-9A-Fa-f]{1,16}$/.test(hex)) throw new RangeError(`not a node id: '${hex}'`);
  const id = BigInt(`0x${hex}`);
  if (id === 0n) throw new RangeError('node id 0 is reserved');
  return id;
}

/** Compares for a descending sort (the succession list order: principal first). */
export function compareNodeIdsDescending(a: NodeId, b: NodeId): number {
  return a > b ? -1 : a < b ? 1 : 0;
}
