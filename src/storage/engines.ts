/**
 * Builds a namespace's storage engine from its kind: the one place that names the concrete
 * engines, so the rest of the server knows only `StorageEngine`.
 */
import { DeviceStorage, type DeviceStorageOptions } from './device/device-storage.js';
import { deviceSizeBytes } from './device/io.js';
import { MemoryStorage } from './memory-storage.js';
import type { StorageEngine } from './storage-engine.js';

export type { DeviceStorageOptions, DeviceTunables, DeviceFileSpec } from './device/options.js';

/** What a namespace's `storage-engine` stanza asks for. */
export type StorageEngineSpec =
  | { kind: 'memory'; /** `data-size` */ dataSizeBytes: number }
  | ({ kind: 'device'; /** `device` lines: used whole, sized when opened */ devices?: readonly string[] } & DeviceStorageOptions);

/**
 * A new engine; a device engine must then be `open`ed (cold start) before any write. Throws naming
 * the path when a `device` cannot be sized.
 */
export function createStorageEngine(spec: StorageEngineSpec): StorageEngine {
  if (spec.kind === 'memory') return new MemoryStorage(spec.dataSizeBytes);
  const devices = (spec.devices ?? []).map((path) => ({ path, sizeBytes: deviceSizeBytes(path) }));
  return new DeviceStorage({ ...spec, files: [...spec.files, ...devices] });
}
