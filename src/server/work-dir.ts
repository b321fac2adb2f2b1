/**
 * A node's work directory (system metadata under `smd/`, secondary-index and truncation state):
 * where it is by default, and the lock that keeps two nodes from sharing one.
 *
 * Default: the configured `work-directory` is `./data` unless set, and two nodes started from one
 * folder would share it (a node once picked up another's set truncation). So when it is left at
 * the default, each node gets `./data/port-<service port>`; a node started with `--port 0` (the OS
 * picks the port after the directory is needed) gets `./data/ephemeral-<pid>`, since it is a new
 * node on every start anyway. An explicitly configured directory is used as written.
 *
 * Lock: `<work-directory>/strato.lock` (util/lock-file.ts) holds the owner's PID, process start time
 * and service port. A second node on the same directory refuses to start and names the owner; a
 * lock whose process is gone (kill -9, crash) or whose PID now belongs to another process is stale
 * and is taken over with a warning.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { acquireLockFile, type HeldLockFile } from '../util/lock-file.js';

/** The configured default of `work-directory` (stanza-defaults). */
export const DEFAULT_WORK_DIRECTORY = './data';
/** Name of the lock file inside the work directory. */
export const WORK_DIRECTORY_LOCK_FILE = 'strato.lock';

/**
 * The work directory a node uses: `configured` as written when it was set explicitly, else a
 * per-node folder under the default (see the module comment). The one function that derives it —
 * call it wherever a node's directory must be known before the node starts.
 */
export function resolveWorkDirectory(configured: string, servicePort: number, pid: number = process.pid): string {
  if (configured !== DEFAULT_WORK_DIRECTORY) return configured;
  return join(configured, servicePort === 0 ? `ephemeral-${pid}` : `port-${servicePort}`);
}

/** A second node was started on a work directory a live node holds. */
export class WorkDirectoryInUseError extends Error {}

/** A held work-directory lock. */
export class WorkDirectoryLock {
  constructor(
    readonly directory: string,
    private readonly lock: HeldLockFile,
  ) {}

  get file(): string {
    return this.lock.file;
  }

  /** Removes the lock file (clean shutdown). Idempotent. */
  release(): void {
    this.lock.release();
  }
}

/**
 * Creates `dir` if needed and locks it for this process. Throws WorkDirectoryInUseError naming the
 * owner when a live node holds it; takes over a stale lock, reporting it through `onStale`.
 */
export function lockWorkDirectory(dir: string, servicePort: number, onStale: (message: string) => void = () => {}): WorkDirectoryLock {
  const directory = resolve(dir);
  mkdirSync(directory, { recursive: true });
  const file = join(directory, WORK_DIRECTORY_LOCK_FILE);
  const lock = acquireLockFile(
    file,
    { port: servicePort },
    (owner) =>
      new WorkDirectoryInUseError(
        owner
          ? `work directory ${directory} is in use by another node (PID ${owner.pid}, service port ${String(owner['port'])}; lock file ${file}) - give each node its own work-directory`
          : `could not lock work directory ${directory} (lock file ${file} keeps reappearing)`,
      ),
    onStale,
  );
  return new WorkDirectoryLock(directory, lock);
}
