/**
 * Turns what each node claims (its `replicas` answer) into one master per partition. During a
 * rebalance two nodes may both claim a partition for a moment; the claim of the more recent
 * view wins: higher regime (strong consistency), then higher partition-generation, then the
 * lower node id, so every client that sees the same answers picks the same node.
 */
import { N_PARTITIONS } from '../util/digest.js';
import { hasPartition, type NamespaceReplicas } from './cluster-info.js';

export interface NodeClaims {
  nodeId: string;
  partitionGeneration: number;
  replicas: Map<string, NamespaceReplicas>;
}

/** Namespace → master node id of every partition (undefined where no node claims it). */
export type MasterTable = Map<string, (string | undefined)[]>;

function compareIds(a: string, b: string): number {
  const pa = a.padStart(16, '0');
  const pb = b.padStart(16, '0');
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

export function resolveMasters(nodes: NodeClaims[]): MasterTable {
  const table: MasterTable = new Map();
  const namespaces = new Set(nodes.flatMap((n) => [...n.replicas.keys()]));
  for (const ns of namespaces) {
    const claims = nodes
      .filter((n) => (n.replicas.get(ns)?.columns.length ?? 0) > 0)
      .sort(
        (a, b) =>
          b.replicas.get(ns)!.regime - a.replicas.get(ns)!.regime ||
          b.partitionGeneration - a.partitionGeneration ||
          compareIds(a.nodeId, b.nodeId),
      );
    const masters: (string | undefined)[] = new Array(N_PARTITIONS).fill(undefined);
    // the first (winning) claim of a partition sticks
    for (const n of claims) {
      const bitmap = n.replicas.get(ns)!.columns[0]!;
      for (let pid = 0; pid < N_PARTITIONS; pid++) if (masters[pid] === undefined && hasPartition(bitmap, pid)) masters[pid] = n.nodeId;
    }
    table.set(ns, masters);
  }
  return table;
}
