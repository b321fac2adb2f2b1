/**
 * Cluster foundation: membership, partition map, migration planning. See README.md in this folder;
 * the deterministic simulator that exercises them is in src/testing.
 */
export { type ClusterClock, type TimerHandle, systemClusterClock } from './clock.js';
export { type Transport } from './transport.js';
export { type NodeId, formatNodeId, parseNodeId, isNodeId } from './node-id.js';
export { cryptoRandomU64 } from './cluster-key.js';
export { type Heartbeat, encodeHeartbeat, decodeHeartbeat, heartbeatCodec, HeartbeatDecodeError, MAX_CLUSTER_SIZE } from './heartbeat.js';
export {
  Membership,
  type MembershipOptions,
  type ClusterView,
  type MembershipStats,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_INTERVALS,
} from './membership.js';
export {
  type PartitionMap,
  type MapDelta,
  N_PARTITIONS,
  computePartitionMap,
  partitionNodeSequence,
  masterOf,
  replicasOf,
  replicaIndexOf,
  columnCounts,
  mapDelta,
  replicasBitmaps,
  replicasInfoEntry,
} from './partition-map.js';
export {
  type PartitionVersion,
  type VersionHolder,
  NULL_VERSION,
  PartitionVersionTable,
  fullVersion,
  subsetVersion,
  isNullVersion,
  formatVersion,
} from './partition-version.js';
export {
  type Migration,
  type MigrationKind,
  type MigrationPlan,
  type PartitionPlan,
  type PlanInput,
  planMigrations,
  planPartition,
  migrationsOf,
  allMigrations,
  PartitionProgress,
  applyRebalance,
  applyMigration,
  applyDrops,
  isPartitionSettled,
  versionsFromSettledMap,
} from './migration-plan.js';
export { type RecordVersionMeta, compareForConflict, resolveConflict, pickWinner, generationLessThan } from './conflict-resolution.js';
