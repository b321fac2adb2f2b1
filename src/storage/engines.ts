/**
 * Builds a namespace's storage engine from its kind: the one place that names the concrete
 * engines, so the rest of the server knows only `StorageEngine`.
 */
import { DeviceStorage, type DeviceStorageOptions } from './device/device-storage.js';
import { MemoryStorage } from './memory-storage.js';
import type { StorageEngine } from './storage-engine.js';

export type { DeviceStorageOptions, DeviceTunables, DeviceFileSpec } from './device/options.js';

/** What a namespace's `storage-engine` stanza asks for. */
export type StorageEngineSpec =
  | { kind: 'memory'; /** `data-size` */ dataSizeBytes: number }
  | ({ kind: 'device' } & DeviceStorageOptions);

/** A new engine; a device engine must then be `open`ed (cold start) before any write. */
export function createStorageEngine(spec: StorageEngineSpec): StorageEngine {
  return spec.kind === 'memory' ? new MemoryStorage(spec.dataSizeBytes) : new DeviceStorage(spec);
}
