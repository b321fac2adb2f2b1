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
 * Lock: `<work-directory>/strato.lock` is created exclusively and holds the owner's PID and process
 * start time. A second node on the same directory refuses to start and names the owner; a lock
 * whose process is gone (kill -9, crash) or whose PID now belongs to another process is stale and
 * is taken over with a warning.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

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

/** Directories locked by this process (a lock naming our own PID but not listed here is stale). */
const heldHere = new Set<string>();

/** The start time of a process (Linux /proc, clock ticks since boot), or undefined if unknown. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // fields after the command name (which may hold spaces) start after the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockContent {
  pid: number;
  startTime: string | undefined;
  port: number;
}

/** A held work-directory lock. */
export class WorkDirectoryLock {
  private released = false;

  constructor(
    readonly directory: string,
    readonly file: string,
  ) {}

  /** Removes the lock file (clean shutdown). Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.directory);
    rmSync(this.file, { force: true });
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
  const mine: LockContent = { pid: process.pid, startTime: processStartTime(process.pid), port: servicePort };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner: LockContent | undefined;
      try {
        owner = JSON.parse(readFileSync(file, 'utf8')) as LockContent;
      } catch {
        owner = undefined; // torn or foreign content: treat as stale
      }
      const live =
        owner !== undefined &&
        Number.isInteger(owner.pid) &&
        processAlive(owner.pid) &&
        (owner.pid !== process.pid || heldHere.has(directory)) &&
        (owner.startTime === undefined || processStartTime(owner.pid) === undefined || processStartTime(owner.pid) === owner.startTime);
      if (live) {
        throw new WorkDirectoryInUseError(
          `work directory ${directory} is in use by another node (PID ${owner!.pid}, service port ${owner!.port}; lock file ${file}) - give each node its own work-directory`,
        );
      }
      onStale(`removing stale lock ${file}${owner ? ` of PID ${owner.pid}, which is no longer running` : ' (unreadable)'}`);
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(mine) + '\n');
    } finally {
      closeSync(fd);
    }
    heldHere.add(directory);
    return new WorkDirectoryLock(directory, file);
  }
  throw new WorkDirectoryInUseError(`could not lock work directory ${directory} (lock file ${file} keeps reappearing)`);
}
