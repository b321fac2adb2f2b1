/**
 * `storage-engine memory { }` and `storage-engine device { }` parameters, each table in the order
 * Aerospike's get-config lists them under `storage-engine.`.
 *
 * Accepted pre-8 spellings (Strato's source documents use them): `min-avail-pct` and
 * `max-used-pct` are aliases of `stop-writes-avail-pct` / `stop-writes-used-pct`, `write-block-size`
 * sizes Strato's write blocks, and `data-in-memory` is kept for device namespaces.
 */
import { LIMITS, type DeviceStorage, type MemoryStorage, type StorageCommon } from './model.js';
import {
  boolParam,
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
const defragLwmPct = uintParam('defrag-lwm-pct', c('defragLwmPct'), { max: 99, dynamic });
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
const flushMaxMs = uintParam('flush-max-ms', c('flushMaxMs'), { max: U32, dynamic });
const writeBlockSize = sizeParam('write-block-size', c('writeBlockSizeBytes'), {
  min: LIMITS.minWriteBlockSizeBytes,
  max: LIMITS.maxWriteBlockSizeBytes,
  powerOf2: true,
});
const maxWriteCache = sizeParam('max-write-cache', c('maxWriteCacheBytes'), { min: LIMITS.minMaxWriteCacheBytes, dynamic });
const stopWritesAvailPct = uintParam('stop-writes-avail-pct', c('stopWritesAvailPct'), {
  max: 100,
  dynamic,
  aliases: ['min-avail-pct'],
});
const stopWritesUsedPct = uintParam('stop-writes-used-pct', c('stopWritesUsedPct'), {
  max: 100,
  dynamic,
  aliases: ['max-used-pct'],
});
const tombRaiderSleep = enterpriseOnly<StorageCommon>('tomb-raider-sleep', '1000');
const flushSize = obsolete<StorageCommon>('flush-size', "Strato sizes writes with 'write-block-size'");

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
  { ...writeBlockSize, render: () => [] },
  maxWriteCache,
  ...STOP_WRITES,
  flushSize,
]);

const dev = fieldsOf<DeviceStorage>();

export const DEVICE_STORAGE_PARAMS = new ParamTable<DeviceStorage>([
  fileParam(true),
  deviceParam(true),
  boolParam('cache-replica-writes', dev('cacheReplicaWrites'), { dynamic }),
  boolParam('cold-start-empty', dev('coldStartEmpty')),
  ...COMMIT_AND_COMPRESSION,
  ...DEFRAG_TO_FLUSH,
  // shown where Aerospike 8 shows its flush-size
  writeBlockSize,
  maxWriteCache,
  sizeParam('post-write-cache', dev('postWriteCacheBytes'), { dynamic }),
  boolParam('read-page-cache', dev('readPageCache'), { dynamic }),
  boolParam('serialize-tomb-raider', dev('serializeTombRaider')),
  boolParam('sindex-startup-device-scan', dev('sindexStartupDeviceScan')),
  ...STOP_WRITES,
  // pre-7 form; not shown by get-config (Aerospike 8 has no such key)
  boolParam('data-in-memory', dev('dataInMemory'), { hidden: true }),
  flushSize,
  obsolete('disable-odirect', "please use 'read-page-cache' instead"),
  obsolete('fsync-max-sec', "please use 'flush-files' instead"),
  obsolete('post-write-queue', "please use 'post-write-cache' and perhaps 'max-record-size'"),
]);
