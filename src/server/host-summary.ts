/** One node's figures for the host ticker (supervisor.ts sums them over the host's nodes). */
import type { StratoNode } from './node.js';

/** What a child reports for the host ticker. */
export interface NodeSummary {
  objects: number;
  clientConnections: number;
  reads: number;
  writes: number;
  rssBytes: number;
  clusterSize: number;
}

/** Objects, connections, client reads/writes so far, RSS and cluster size of this node. */
export function summarizeNode(node: StratoNode): NodeSummary {
  let objects = 0;
  let reads = 0;
  let writes = 0;
  for (const ns of node.namespaces.values()) {
    objects += ns.objects;
    reads += ns.stats.clientReadSuccess + ns.stats.clientReadNotFound;
    writes += ns.stats.clientWriteSuccess;
  }
  return {
    objects,
    clientConnections: node.stats.clientConnectionsOpened - node.stats.clientConnectionsClosed,
    reads,
    writes,
    rssBytes: process.memoryUsage.rss(),
    clusterSize: node.cluster ? node.cluster.runtime.clusterView.clusterSize : 1,
  };
}
