/**
 * Fresh stanza objects holding the value each parameter has when a config file does not set it.
 * These are Aerospike 8.1's defaults except where a comment says Strato differs and why.
 */
import { availableParallelism } from 'node:os';
import type {
  DeviceStorage,
  Geo2dsphereWithinConfig,
  HeartbeatConfig,
  LoggingSink,
  MemoryStorage,
  ModLuaConfig,
  NamespaceConfig,
  NetworkConfig,
  ServiceConfig,
  SetConfig,
  StorageCommon,
  StratoConfig,
} from './model.js';

const MiB = 1024 * 1024;

/** Aerospike sizes its thread pools to the CPU count when not configured. */
const cpus = (): number => Math.max(1, availableParallelism());

/** `service { }` with nothing configured. */
export function newServiceConfig(): ServiceConfig {
  return {
    // Aerospike refuses to start without a cluster-name; Strato names its single-node cluster
    clusterName: 'strato',
    protoFdMax: 15000,
    protoFdIdleMs: 0,
    // Aerospike 8.1's default: no limit on rows (a batch is still bounded by the largest frame)
    batchMaxRequests: 0,
    batchIndexThreads: cpus(),
    serviceThreads: cpus(),
    infoThreads: 16,
    infoMaxMs: 10000,
    transactionMaxMs: 1000,
    transactionRetryMs: 1002,
    tickerIntervalSec: 10,
    migrateThreads: 1,
    minClusterSize: 1,
    queryMaxDone: 100,
    queryThreadsLimit: 128,
    sindexBuilderThreads: 4,
    sindexGcPeriodSec: 10,
    // Strato keeps its files under ./data unless told otherwise (Aerospike: /opt/aerospike)
    workDirectory: './data',
    // 8.1's default, shown by get-config; a Node.js process never forks either way
    runAsDaemon: true,
    enableHealthCheck: false,
    disableUdfExecution: false,
    logLocalTime: false,
    logMillis: false,
    // CE answers compressed requests with ENTERPRISE_ONLY; Strato's embedded default turns it on
    enableCompression: false,
    // Strato extension: one node per core (src/server/host-nodes.ts)
    nodesPerHost: 0,
    extra: {},
  };
}

/** `heartbeat { }` with nothing configured (no mode: a single node). */
export function newHeartbeatConfig(): HeartbeatConfig {
  return {
    addresses: [],
    port: 3002,
    meshSeeds: [],
    multicastGroups: [],
    multicastTtl: 0,
    intervalMs: 150,
    timeoutIntervals: 10,
    connectTimeoutMs: 500,
    mtu: 0,
    protocol: 'v3',
    tlsPort: 0,
    tlsAddresses: [],
    tlsMeshSeeds: [],
  };
}

/** `network { }` with nothing configured: service 3000, fabric 3001, heartbeat 3002, no admin. */
export function newNetworkConfig(): NetworkConfig {
  return {
    service: {
      addresses: [],
      port: 3000,
      accessAddresses: [],
      accessPort: 0,
      alternateAccessAddresses: [],
      alternateAccessPort: 0,
      disableLocalhost: false,
      tlsPort: 0,
      tlsAddresses: [],
      tlsAccessAddresses: [],
      tlsAccessPort: 0,
      tlsAlternateAccessAddresses: [],
      tlsAlternateAccessPort: 0,
      tlsAuthenticateClient: [],
    },
    heartbeat: newHeartbeatConfig(),
    fabric: { addresses: [], port: 3001, tlsPort: 0, tlsAddresses: [], extra: {} },
    admin: { addresses: [], port: 0, disableLocalhost: false, tlsPort: 0, tlsAddresses: [], tlsAuthenticateClient: [] },
    tls: [],
  };
}

/** `mod-lua { }` with nothing configured. */
export function newModLuaConfig(): ModLuaConfig {
  return { cacheEnabled: true, allowUnsafeLua: true, userPath: '/opt/aerospike/usr/udf/lua' };
}

/** The sink used when a file has no `logging` stanza. */
export function newDefaultLogging(): LoggingSink[] {
  return [{ kind: 'console', levels: { any: 'info' } }];
}

/** `geo2dsphere-within { }` with nothing configured. */
export function newGeo2dsphereWithin(): Geo2dsphereWithinConfig {
  return { strict: true, minLevel: 1, maxLevel: 20, maxCells: 12, levelMod: 1, earthRadiusMeters: 6371000 };
}

function storageCommon(): StorageCommon {
  return {
    files: [],
    devices: [],
    filesizeBytes: 0,
    // Aerospike 8 always uses 8M blocks; Strato keeps the pre-8 knob and its 1M default
    writeBlockSizeBytes: MiB,
    evictUsedPct: 0,
    stopWritesUsedPct: 70,
    stopWritesAvailPct: 5,
    defragLwmPct: 50,
    defragSleepUs: 1000,
    defragQueueMin: 0,
    // 0 as in Aerospike 8.1 (the real server's get-config shows 0; older docs say 10)
    defragStartupMinimumPct: 0,
    flushMaxMs: 1000,
    flushSizeBytes: MiB,
    maxWriteCacheBytes: 64 * MiB,
    commitToDevice: false,
    compression: 'none',
    compressionLevel: 0,
    directFiles: false,
    disableOdsync: false,
    extra: {},
  };
}

/** Memory storage; `dataSizeBytes` 0 means "not configured yet" until the parser checks it. */
export function newMemoryStorage(): MemoryStorage {
  return { kind: 'memory', ...storageCommon(), dataSizeBytes: 0 };
}

export function newDeviceStorage(): DeviceStorage {
  return {
    kind: 'device',
    ...storageCommon(),
    postWriteCacheBytes: 256 * MiB,
    readPageCache: false,
    coldStartEmpty: false,
    dataInMemory: false,
    cacheReplicaWrites: false,
    serializeTombRaider: false,
    sindexStartupDeviceScan: false,
  };
}

/** A namespace with Aerospike's defaults; its storage must still be configured. */
export function newNamespaceConfig(name: string): NamespaceConfig {
  return {
    name,
    replicationFactor: 2,
    defaultTtlSec: 0,
    nsupPeriodSec: 0,
    nsupThreads: 1,
    nsupHistPeriodSec: 3600,
    allowTtlWithoutNsup: false,
    maxRecordSizeBytes: MiB,
    evictTenthsPct: 5,
    evictHistBuckets: 10000,
    evictIndexesMemoryPct: 0,
    indexesMemoryBudget: 0,
    stopWritesSysMemoryPct: 90,
    defaultReadTouchTtlPct: 0,
    strongConsistency: false,
    conflictResolutionPolicy: 'generation',
    disableWriteDupRes: false,
    disableColdStartEviction: false,
    disallowNullSetname: false,
    applyTtlReductions: true,
    partitionTreeSprigs: 256,
    rackId: 0,
    readConsistencyLevelOverride: 'off',
    writeCommitLevelOverride: 'off',
    transactionPendingLimit: 20,
    truncateThreads: 4,
    singleQueryThreads: 4,
    indexType: 'mem',
    sindexType: 'mem',
    geo2dsphereWithin: newGeo2dsphereWithin(),
    storage: newMemoryStorage(),
    sets: [],
    extra: {},
  };
}

/** A set entry with no caps, no own TTL and eviction allowed. */
export function newSetConfig(name: string): SetConfig {
  return {
    name,
    disableEviction: false,
    stopWritesCount: 0,
    stopWritesSizeBytes: 0,
    defaultTtlSec: 0,
    defaultReadTouchTtlPct: 0,
    enableIndex: false,
  };
}

/** A config with every stanza at its default and no namespaces (not valid on its own). */
export function newEmptyConfig(): StratoConfig {
  return {
    service: newServiceConfig(),
    logging: [],
    network: newNetworkConfig(),
    namespaces: [],
    modLua: newModLuaConfig(),
  };
}
