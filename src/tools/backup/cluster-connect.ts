/**
 * How both tools reach the database: discover the cluster from the -h seeds, then keep one
 * connection to the node that answered first for the namespace-wide info commands (namespaces,
 * indexes, UDFs), which every node answers alike. Records go to partition masters via the map.
 */
import { ClusterMap, type ClusterNode } from '../../client/cluster-map.js';
import { WireConnection } from '../../client/wire-connection.js';
import type { ToolLog } from './progress.js';

/** Connect timeout and deadline of each discovery info exchange. */
const DISCOVERY_TIMEOUT_MS = 5000;

export interface ClusterConnection {
  map: ClusterMap;
  /** the node the info connection is open to */
  seed: ClusterNode;
  conn: WireConnection;
}

export async function connectCluster(hosts: { host: string; port: number; tlsName?: string | undefined }[], log: ToolLog): Promise<ClusterConnection> {
  const map = await ClusterMap.discover(hosts, { timeoutMs: DISCOVERY_TIMEOUT_MS, log: (m) => log.verb(m) });
  const seed = map.nodes[0]!;
  log.verb(`Cluster: ${map.describe()}`);
  try {
    return { map, seed, conn: await WireConnection.open(seed.host, seed.port, undefined, seed.tlsName) };
  } catch (e) {
    throw new Error(`Error while connecting to ${seed.host}:${seed.port}: ${(e as Error).message}`);
  }
}
