/**
 * Binds the parsed configuration (src/config) to the running node: namespace settings read the
 * config live (so set-config takes effect at once), set limits follow set stanzas, and log sinks
 * come from the logging stanza.
 */
import { defaultConfig, loadConfigFile, onConfigChange, type NamespaceConfig, type StratoConfig } from '../config/index.js';
import type { Clock } from '../util/clock.js';
import type { LogSinkSpec } from '../util/log.js';
import type { Namespace, NamespaceSettings } from '../namespace/namespace.js';
import type { NodeSpec } from './node.js';
import { SmdStore } from '../namespace/smd.js';
import { createStorageEngine } from '../storage/engines.js';
import type { StorageEngine } from '../storage/storage-engine.js';
import { logger } from '../util/log.js';

/** The configuration a node runs with, plus the derived values consulted on hot paths. */
export interface StratoRuntimeConfig {
  raw: StratoConfig;
  logSinks: LogSinkSpec[];
  /** `<file>:<line>: <message>` for each deprecated spelling the file used; logged at start. */
  warnings: string[];
  readonly compressionEnabled: boolean;
  readonly protoFdMax: number;
  readonly tickerIntervalSec: number;
  readonly batchMaxRequests: number;
}

/** Loads a config file (or the embedded default). Throws ConfigError naming file:line. */
export function loadStratoConfig(configFile: string | undefined): StratoRuntimeConfig {
  const warnings: string[] = [];
  const raw = configFile ? loadConfigFile(configFile, (w) => warnings.push(`${w.file}:${w.line}: ${w.message}`)) : defaultConfig();
  return {
    raw,
    warnings,
    logSinks: raw.logging.map((sink) => ({
      target: sink.kind === 'file' ? { file: sink.path } : sink.kind === 'syslog' ? { syslog: { facility: sink.facility, path: sink.path, tag: sink.tag } } : 'console',
      levels: sink.levels,
    })),
    get compressionEnabled() {
      return raw.service.enableCompression;
    },
    get protoFdMax() {
      return raw.service.protoFdMax;
    },
    get tickerIntervalSec() {
      return raw.service.tickerIntervalSec;
    },
    get batchMaxRequests() {
      return raw.service.batchMaxRequests;
    },
  };
}

/**
 * Namespace settings that always read the current configuration: fields the config model names
 * the same way are read through the prototype, the rest are derived here.
 */
export function liveNamespaceSettings(cfg: NamespaceConfig): NamespaceSettings {
  const derived: PropertyDescriptorMap = {
    stopWritesUsedPct: { get: () => cfg.storage.stopWritesUsedPct },
    evictUsedPct: {
      get: () => {
        if (cfg.storage.evictUsedPct > 0) return cfg.storage.evictUsedPct;
        const legacy = cfg.storage.kind === 'device' ? cfg.extra['high-water-disk-pct'] : cfg.extra['high-water-memory-pct'];
        return Number(legacy ?? 0);
      },
    },
    evictSysMemoryPct: { get: () => Number(cfg.extra['evict-sys-memory-pct'] ?? 0) },
  };
  // the compiler checks that every other setting exists under the same name in the config model
  const sameNamed: Omit<NamespaceSettings, 'stopWritesUsedPct' | 'evictUsedPct' | 'evictSysMemoryPct'> = cfg;
  return Object.create(sameNamed, derived) as NamespaceSettings;
}

/** Makes every configured set known to the namespace and keeps set limits in step with set-config. */
export function bindSetConfig(raw: StratoConfig, nsCfg: NamespaceConfig, ns: Namespace): void {
  const sync = () => {
    for (const setCfg of nsCfg.sets) ns.sets.create(setCfg.name).settings = setCfg;
  };
  sync();
  onConfigChange(raw, (change) => {
    if (change.context === 'namespace' && change.namespace === nsCfg.name) sync();
  });
}

/** A device engine for a namespace configured with `storage-engine device`. */
function createDeviceStorage(n: NamespaceConfig, clock: Clock): StorageEngine {
  const st = n.storage;
  if (st.kind !== 'device') throw new Error('not a device namespace');
  const log = logger.context('drv_ssd', 'device-storage.ts');
  return createStorageEngine({
    kind: 'device',
    files: st.files.map((f) => ({ path: f.path, sizeBytes: f.sizeBytes || st.filesizeBytes })),
    devices: st.devices,
    writeBlockSizeBytes: st.writeBlockSizeBytes,
    defragStartupMinimumPct: st.defragStartupMinimumPct,
    commitToDevice: st.commitToDevice,
    coldStartEmpty: st.coldStartEmpty,
    // the engine reads its dynamic parameters from this object, which set-config changes in place
    tunables: st,
    conflictResolution: n.conflictResolutionPolicy,
    clock,
    namespace: n.name,
    log: (line) => log.info(line),
  });
}

export function buildNodeSpec(config: StratoRuntimeConfig, clock: Clock): NodeSpec {
  const raw = config.raw;
  const address = raw.network.service.addresses[0] ?? '0.0.0.0';
  return {
    clusterName: raw.service.clusterName,
    nodeIdHex: raw.service.nodeId,
    serviceAddress: address === 'any' ? '0.0.0.0' : address,
    servicePort: raw.network.service.port,
    clock,
    smd: new SmdStore(raw.service.workDirectory),
    namespaces: raw.namespaces.map((n) => ({
      settings: liveNamespaceSettings(n),
      memoryDataSizeBytes: n.storage.kind === 'memory' ? n.storage.dataSizeBytes : 0,
      createStorage: n.storage.kind === 'device' ? () => createDeviceStorage(n, clock) : undefined,
    })),
  };
}
