/**
 * Cluster foundation: membership, partition map, migration planning and the deterministic
 * simulator that exercises them. See README.md in this folder.
 */
export { type ClusterClock, type TimerHandle, SimClock, systemClusterClock } from './clock.js';
export { type Transport, type LinkFaults, type MessageCodec, type NetworkStats, SimNetwork, PERFECT_LINK } from './network.js';
export { type NodeId, formatNodeId, parseNodeId, isNodeId } from './node-id.js';
export { Prng, cryptoRandomU64 } from './prng.js';
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
export { ClusterSimulation, runScenario, randomScenario, randomFaults, describeReport, type SimulationConfig, type SimulationReport, type FaultEvent } from './simulation.js';
