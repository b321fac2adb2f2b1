/**
 * `storage-engine memory { }` and `storage-engine device { }` parameters, each table in the order
 * Aerospike's get-config lists them under `storage-engine.`.
 *
 * Ranges, defaults and the dynamic flag are Aerospike 8.1.2's (its published schema; the test
 * test/config/schema-8.1.2.test.ts walks it against these tables). This table is the only place
 * a storage value is validated: the engine reads what it allows without checking it again.
 *
 * Names Aerospike 8.1 refuses as obsolete that Strato still accepts, each logging a deprecation
 * warning (Strato extensions): `write-block-size` (sizes Strato's write blocks, which Aerospike 8
 * fixes at 8M), `min-avail-pct` / `max-used-pct` (pre-7 names of `stop-writes-avail-pct` /
 * `stop-writes-used-pct`) and `data-in-memory` (kept for device namespaces).
 */
import { LIMITS, type DeviceStorage, type MemoryStorage, type StorageCommon } from './model.js';
import {
  boolParam,
  deprecated,
  choiceParam,
  enterpriseOnly,
  extraOf,
  fieldsOf,
  listParam,
  obsolete,
  ParamTable,
  sizeParam,
  stringParam,
  uintParam,
  type ParamSpec,
} from './param-spec.js';

const c = fieldsOf<StorageCommon>();
const cx = extraOf<StorageCommon>();
const dynamic = true;
const U32 = 0xffff_ffff;

/** Aerospike refuses a namespace mixing files and devices. */
const noMix = (other: 'files' | 'devices') => (t: StorageCommon) =>
  t[other].length > 0 ? 'cannot be mixed with storage ' + other : undefined;

/** `file <path>`: the size is filled in from `filesize` when the stanza ends. */
const fileParam = (renderIndexed: boolean): ParamSpec<StorageCommon> => {
  const base = listParam<StorageCommon>('file', () => [], {});
  return {
    ...base,
    apply(target, value) {
      const path = value as string;
      if (target.devices.length > 0) return 'cannot be mixed with storage devices';
      if (target.files.some((f) => f.path === path)) return `lists ${path} twice`;
      if (target.files.length >= LIMITS.maxStorageFiles) return `allows at most ${LIMITS.maxStorageFiles} files`;
      target.files.push({ path, sizeBytes: target.filesizeBytes });
      return undefined;
    },
    render: (target) => (renderIndexed ? target.files.map((f, i) => [`file[${i}]`, f.path] as const) : []),
  };
};

const deviceParam = (renderIndexed: boolean): ParamSpec<StorageCommon> => {
  const base = listParam<StorageCommon>('device', (t) => t.devices, {
    guard: noMix('files'),
    maxItems: LIMITS.maxStorageFiles,
  });
  return renderIndexed ? { ...base, render: (t) => t.devices.map((d, i) => [`device[${i}]`, d] as const) } : { ...base, render: () => [] };
};

// Specs shared by both engines (typed on the common part).
const commitToDevice = boolParam('commit-to-device', c('commitToDevice'));
const compression = choiceParam('compression', c('compression'), ['none', 'lz4', 'snappy', 'zstd'], { dynamic });
const compressionAcceleration = enterpriseOnly<StorageCommon>('compression-acceleration', '0');
const compressionLevel = uintParam('compression-level', c('compressionLevel'), { min: 1, max: 9, dynamic });
const defragLwmPct = uintParam('defrag-lwm-pct', c('defragLwmPct'), { min: 1, max: 99, dynamic });
const defragQueueMin = uintParam('defrag-queue-min', c('defragQueueMin'), { max: U32, dynamic });
const defragSleep = uintParam('defrag-sleep', c('defragSleepUs'), { max: U32, dynamic });
const defragStartupMinimum = uintParam('defrag-startup-minimum', c('defragStartupMinimumPct'), { max: 99 });
const directFiles = boolParam('direct-files', c('directFiles'));
const disableOdsync = boolParam('disable-odsync', c('disableOdsync'));
const enableBenchmarksStorage = boolParam('enable-benchmarks-storage', cx('enable-benchmarks-storage', false), { dynamic });
const encryption = enterpriseOnly<StorageCommon>('encryption');
const encryptionKeyFile = stringParam('encryption-key-file', c('encryptionKeyFile'));
const encryptionOldKeyFile = enterpriseOnly<StorageCommon>('encryption-old-key-file', 'null');
const evictUsedPct = uintParam('evict-used-pct', c('evictUsedPct'), { max: 100, dynamic });
const filesize = sizeParam('filesize', c('filesizeBytes'), { min: LIMITS.minFilesizeBytes, max: LIMITS.maxFilesizeBytes });
const flushMaxMs = uintParam('flush-max-ms', c('flushMaxMs'), { max: 1000, dynamic });
const flushSize = sizeParam('flush-size', c('flushSizeBytes'), {
  min: LIMITS.minFlushSizeBytes,
  max: LIMITS.maxFlushSizeBytes,
  powerOf2: true,
  dynamic,
});
const writeBlockSize = deprecated(
  sizeParam('write-block-size', c('writeBlockSizeBytes'), {
    min: LIMITS.minWriteBlockSizeBytes,
    max: LIMITS.maxWriteBlockSizeBytes,
    powerOf2: true,
    hidden: true,
  }),
  "'write-block-size' is obsolete in Aerospike 8 (which refuses it and writes 8M blocks); Strato accepts it as an extension to size its write blocks - use 'flush-size' for the write unit",
);
const maxWriteCache = sizeParam('max-write-cache', c('maxWriteCacheBytes'), { min: LIMITS.minMaxWriteCacheBytes, dynamic });
const stopWritesAvailPct = uintParam('stop-writes-avail-pct', c('stopWritesAvailPct'), {
  max: 100,
  dynamic,
  aliases: ['min-avail-pct'],
  deprecatedAliases: { 'min-avail-pct': "'min-avail-pct' is obsolete in Aerospike 8.1 - please use 'stop-writes-avail-pct' instead (Strato still accepts it)" },
});
const stopWritesUsedPct = uintParam('stop-writes-used-pct', c('stopWritesUsedPct'), {
  max: 100,
  dynamic,
  aliases: ['max-used-pct'],
  deprecatedAliases: { 'max-used-pct': "'max-used-pct' is obsolete in Aerospike 8.1 - please use 'stop-writes-used-pct' instead (Strato still accepts it)" },
});
const tombRaiderSleep = enterpriseOnly<StorageCommon>('tomb-raider-sleep', '1000');

// Runs of specs both engines list in the same get-config order.
const COMMIT_AND_COMPRESSION = [commitToDevice, compression, compressionAcceleration, compressionLevel];
const DEFRAG_TO_FLUSH = [
  defragLwmPct,
  defragQueueMin,
  defragSleep,
  defragStartupMinimum,
  directFiles,
  disableOdsync,
  enableBenchmarksStorage,
  encryption,
  encryptionKeyFile,
  encryptionOldKeyFile,
  evictUsedPct,
  filesize,
  flushMaxMs,
  flushSize,
];
const STOP_WRITES = [stopWritesAvailPct, stopWritesUsedPct, tombRaiderSleep];

const mem = fieldsOf<MemoryStorage>();

/**
 * Memory storage. Files/devices here are persistence backing; their `file[i]`/`stripe[i]` lines
 * and the backed-only `write-block-size` are rendered by render.ts.
 */
export const MEMORY_STORAGE_PARAMS = new ParamTable<MemoryStorage>([
  fileParam(false),
  deviceParam(false),
  ...COMMIT_AND_COMPRESSION,
  sizeParam('data-size', mem('dataSizeBytes'), { min: LIMITS.minDataSizeBytes, max: LIMITS.maxDataSizeBytes }),
  ...DEFRAG_TO_FLUSH,
  writeBlockSize,
  maxWriteCache,
  ...STOP_WRITES,
]);

const dev = fieldsOf<DeviceStorage>();

export const DEVICE_STORAGE_PARAMS = new ParamTable<DeviceStorage>([
  fileParam(true),
  deviceParam(true),
  boolParam('cache-replica-writes', dev('cacheReplicaWrites'), { dynamic }),
  boolParam('cold-start-empty', dev('coldStartEmpty')),
  ...COMMIT_AND_COMPRESSION,
  ...DEFRAG_TO_FLUSH,
  writeBlockSize,
  maxWriteCache,
  sizeParam('post-write-cache', dev('postWriteCacheBytes'), { dynamic }),
  boolParam('read-page-cache', dev('readPageCache'), { dynamic }),
  boolParam('serialize-tomb-raider', dev('serializeTombRaider')),
  boolParam('sindex-startup-device-scan', dev('sindexStartupDeviceScan')),
  ...STOP_WRITES,
  // pre-7 form; not shown by get-config (Aerospike 8 has no such key)
  deprecated(
    boolParam('data-in-memory', dev('dataInMemory'), { hidden: true }),
    "'data-in-memory' is obsolete in Aerospike 8.1 - please use 'storage-engine memory' to store data in memory (Strato still accepts it)",
  ),
  obsolete('disable-odirect', "please use 'read-page-cache' instead"),
  obsolete('fsync-max-sec', "please use 'flush-files' instead"),
  obsolete('post-write-queue', "please use 'post-write-cache' and perhaps 'max-record-size'"),
]);
