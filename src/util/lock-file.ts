/**
 * Owner lock files: a file created exclusively (O_EXCL) that names the process holding something
 * (a work directory, a device file), so a second node refuses to use it and can say which process
 * has it. Node has no flock(), and a lock file also survives to be read: it holds the owner's PID,
 * the process start time (so a reused PID is not mistaken for the owner) and a description.
 *
 * A lock whose process is gone (kill -9, crash) or whose PID now belongs to another process is
 * stale and is taken over, reported through `onStale`. A lock naming this process counts as held
 * only while this process holds it (`heldHere`): one process may run several nodes' worth of
 * objects in tests, and a lock it released must not block it.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

/** Lock files held by this process (a lock naming our own PID but not listed here is stale). */
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

/** What a lock file holds (JSON, one line); `extra` is the caller's (e.g. the service port). */
export interface LockOwner {
  pid: number;
  startTime: string | undefined;
  [extra: string]: unknown;
}

/** A held lock file. */
export class HeldLockFile {
  private released = false;

  constructor(readonly file: string) {}

  /** Removes the lock file (clean shutdown). Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.file);
    rmSync(this.file, { force: true });
  }
}

/**
 * Creates `file` exclusively for this process, with `extra` recorded beside the PID. When a live
 * process holds it, throws the error `inUse(owner)` builds (`inUse(undefined)` when the file keeps
 * reappearing as it is taken over); takes over a stale lock, reporting it through `onStale`. `file` should be an absolute path (it is the key of this process's locks).
 */
export function acquireLockFile(
  file: string,
  extra: Record<string, unknown>,
  inUse: (owner: LockOwner | undefined) => Error,
  onStale: (message: string) => void = () => {},
): HeldLockFile {
  const mine: LockOwner = { pid: process.pid, startTime: processStartTime(process.pid), ...extra };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner: LockOwner | undefined;
      try {
        owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
      } catch {
        owner = undefined; // torn or foreign content: treat as stale
      }
      const live =
        owner !== undefined &&
        Number.isInteger(owner.pid) &&
        processAlive(owner.pid) &&
        (owner.pid !== process.pid || heldHere.has(file)) &&
        (owner.startTime === undefined || processStartTime(owner.pid) === undefined || processStartTime(owner.pid) === owner.startTime);
      if (live) throw inUse(owner!);
      onStale(`removing stale lock ${file}${owner ? ` of PID ${owner.pid}, which is no longer running` : ' (unreadable)'}`);
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(mine) + '\n');
    } finally {
      closeSync(fd);
    }
    heldHere.add(file);
    return new HeldLockFile(file);
  }
  throw inUse(undefined);
}
