/**
 * Device locks: a node holds every storage file and device its namespaces name, so a second node
 * (or a second start of the same configuration) refuses to start and names the file and the
 * process holding it, instead of two nodes writing the same blocks and each reading the other's
 * writes as corruption at its next cold start.
 *
 * - A regular file `<path>` is locked by `<real path>.strato-lock` beside it (util/lock-file.ts:
 *   owner PID, process start time, service port, namespace); the real path is used so two spellings
 *   of one file (relative, through a symbolic link) meet at one lock. A lock left by a killed node
 *   is stale and taken over with a warning, as with the work directory.
 * - A block device cannot have a file beside it in /dev worth trusting, so it is opened with
 *   O_EXCL and the descriptor held while the node runs: Linux then refuses any other exclusive
 *   open (and one of a mounted device) with EBUSY, and the kernel drops it when the process dies.
 */
import { closeSync, constants, existsSync, openSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { acquireLockFile, type HeldLockFile } from '../util/lock-file.js';

/** Suffix of the lock file kept beside a storage file. */
export const DEVICE_LOCK_SUFFIX = '.strato-lock';

/** A storage file or device another node (or another namespace of this configuration) holds. */
export class DeviceInUseError extends Error {}

/** One storage file or device a namespace names. */
export interface DevicePath {
  namespace: string;
  path: string;
}

/** The locks of a node's storage files; release on shutdown (also done at process exit). */
export interface DeviceLocks {
  release(): void;
}

/** The path the file has once links are followed (its parent's when the file does not exist yet). */
function realPathOf(path: string): string {
  const abs = resolve(path);
  if (existsSync(abs)) return realpathSync(abs);
  const parent = dirname(abs);
  return existsSync(parent) ? join(realpathSync(parent), basename(abs)) : abs;
}

/**
 * Locks every path for this process. Throws DeviceInUseError naming the file and its holder when
 * one is held (releasing what it took); stale locks are taken over and reported through `onStale`.
 */
export function lockDevices(paths: DevicePath[], servicePort: number, onStale: (message: string) => void = () => {}): DeviceLocks {
  const held: HeldLockFile[] = [];
  const fds: number[] = [];
  const release = () => {
    for (const h of held.splice(0)) h.release();
    for (const fd of fds.splice(0)) closeSync(fd);
  };
  try {
    for (const { namespace, path } of paths) {
      const real = realPathOf(path);
      if (existsSync(real) && statSync(real).isBlockDevice()) {
        try {
          fds.push(openSync(real, constants.O_RDONLY | constants.O_EXCL));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
          throw new DeviceInUseError(
            `{${namespace}} device ${path} is in use (mounted, or opened by another node or process) - give each node its own devices`,
          );
        }
        continue;
      }
      const file = real + DEVICE_LOCK_SUFFIX;
      held.push(
        acquireLockFile(
          file,
          { port: servicePort, namespace },
          (owner) =>
            new DeviceInUseError(
              owner === undefined
                ? `{${namespace}} could not lock storage file ${path} (lock file ${file} keeps reappearing)`
                : owner.pid === process.pid
                  ? `{${namespace}} storage file ${path} is already in use by namespace ${String(owner['namespace'])} of this process`
                  : `{${namespace}} storage file ${path} is in use by another node (PID ${owner.pid}, service port ${String(owner['port'])}, namespace ${String(owner['namespace'])}; lock file ${file}) - give each node its own storage files`,
            ),
          onStale,
        ),
      );
    }
  } catch (e) {
    release();
    throw e;
  }
  return { release };
}
