/**
 * The file I/O the device engine needs, as a small synchronous interface so tests can substitute
 * a fault-injecting implementation.
 *
 * Why synchronous: `StorageEngine.put/get` are synchronous, a read must return the record bytes in
 * the same turn, and commit-to-device must not acknowledge before the data is durable. Block writes
 * go to the OS page cache (a 1 MiB pwrite is a memcpy, well under a millisecond), so a sync call
 * costs about what a thread-pool hop would; only fsync can be slow, and it is only on the
 * commit-to-device path and when releasing reclaimed blocks (see device-storage.ts).
 */
import { closeSync, existsSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';

/** Synchronous positional file I/O, the engine's only way to touch its files. */
export interface DeviceIo {
  /** Opens (creating when absent) a file for read/write and makes it at least `sizeBytes` long. */
  open(path: string, sizeBytes: number): number;
  /** Current size of the file in bytes. */
  size(fd: number): number;
  /** Writes `len` bytes of `buf` from `off` at file `position`; returns the bytes written. */
  pwrite(fd: number, buf: Buffer, off: number, len: number, position: number): number;
  /** Reads up to `len` bytes into `buf` at `off` from file `position`; returns the bytes read. */
  pread(fd: number, buf: Buffer, off: number, len: number, position: number): number;
  /** Makes everything written so far durable (fdatasync). Throws when the device reports an error. */
  fsync(fd: number): void;
  close(fd: number): void;
}

/** The real file system (node:fs synchronous calls). */
export const nodeIo: DeviceIo = {
  open(path, sizeBytes) {
    const fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
    // extend a regular file sparse: unwritten blocks read as zeros, which the loader treats as
    // free space (a block device has the size it has)
    const st = fstatSync(fd);
    if (st.isFile() && st.size < sizeBytes) ftruncateSync(fd, sizeBytes);
    return fd;
  },
  size(fd) {
    return fstatSync(fd).size;
  },
  pwrite(fd, buf, off, len, position) {
    let done = 0;
    while (done < len) done += writeSync(fd, buf, off + done, len - done, position + done);
    return done;
  },
  pread(fd, buf, off, len, position) {
    let done = 0;
    while (done < len) {
      const n = readSync(fd, buf, off + done, len - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  },
  fsync(fd) {
    fdatasyncSync(fd);
  },
  close(fd) {
    closeSync(fd);
  },
};

/** Deterministic PRNG (mulberry32): the same seed gives the same fault schedule. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Which faults a FaultyIo injects, counted from when the plan is armed. */
export interface FaultPlan {
  /** seed of the PRNG choosing where a torn write tears */
  seed: number;
  /**
   * Tear the n-th pwrite (1-based, counted from when the plan is armed): only a random prefix of
   * it reaches the file, and every later pwrite is dropped, as if the process died right there.
   */
  tornWriteAt?: number;
  /** Make the n-th fsync (1-based) throw EIO once. */
  failFsyncAt?: number;
  /** Make the n-th pwrite (1-based) throw EIO once, writing nothing. */
  failWriteAt?: number;
}

/**
 * An I/O layer that injects faults into another one, deterministically from a seed. Used by the
 * tests (torn last block, failing fsync under commit-to-device) and available to the bench.
 */
export class FaultyIo implements DeviceIo {
  private writes = 0;
  private fsyncs = 0;
  private plan: FaultPlan | undefined;
  private rand: () => number = seededRandom(1);
  /** true once a torn write "killed" the process: every write after it is silently lost */
  dead = false;
  /** where the torn write tore: bytes of it that reached the file */
  tornBytes = -1;
  tornPosition = -1;

  constructor(private readonly inner: DeviceIo = nodeIo) {}

  /** Arms a plan; write and fsync counts restart from zero. */
  arm(plan: FaultPlan): void {
    this.plan = plan;
    this.rand = seededRandom(plan.seed);
    this.writes = 0;
    this.fsyncs = 0;
  }

  disarm(): void {
    this.plan = undefined;
  }

  open(path: string, sizeBytes: number): number {
    return this.inner.open(path, sizeBytes);
  }
  size(fd: number): number {
    return this.inner.size(fd);
  }
  pread(fd: number, buf: Buffer, off: number, len: number, position: number): number {
    return this.inner.pread(fd, buf, off, len, position);
  }
  close(fd: number): void {
    this.inner.close(fd);
  }

  pwrite(fd: number, buf: Buffer, off: number, len: number, position: number): number {
    if (this.dead) return len; // the "dead" process believes it wrote; nothing reaches the file
    const plan = this.plan;
    if (plan) {
      this.writes++;
      if (plan.failWriteAt === this.writes) throw ioError('pwrite');
      if (plan.tornWriteAt === this.writes) {
        // tear somewhere strictly inside the write, on a 512-byte sector boundary like real devices
        const sectors = Math.max(1, Math.floor(len / 512));
        const keep = Math.min(len - 1, Math.max(1, Math.floor(this.rand() * sectors)) * 512);
        this.inner.pwrite(fd, buf, off, keep, position);
        this.tornBytes = keep;
        this.tornPosition = position;
        this.dead = true;
        return len;
      }
    }
    return this.inner.pwrite(fd, buf, off, len, position);
  }

  fsync(fd: number): void {
    if (this.dead) return;
    const plan = this.plan;
    if (plan) {
      this.fsyncs++;
      if (plan.failFsyncAt === this.fsyncs) throw ioError('fsync');
    }
    this.inner.fsync(fd);
  }
}

function ioError(op: string): NodeJS.ErrnoException {
  const e = new Error(`EIO: i/o error, ${op} (injected)`) as NodeJS.ErrnoException;
  e.code = 'EIO';
  return e;
}

/** Bytes in a Linux block sector, the unit of /sys/dev/block/<maj>:<min>/size. */
const SECTOR_BYTES = 512;

/**
 * The size of a `device` line's path: a block device's size (from sysfs), or an existing regular
 * file's size (a Strato extension, so a device stanza can be tried on a pre-sized file). Throws
 * naming the path when it does not exist or has no size.
 */
export function deviceSizeBytes(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new Error(`device ${path} cannot be opened: ${(e as Error).message}`);
  }
  if (st.isFile()) {
    if (st.size === 0) throw new Error(`device ${path} is an empty file; give it a size (e.g. truncate -s 1G ${path})`);
    return st.size;
  }
  if (st.isBlockDevice()) {
    const major = Number((BigInt(st.rdev) >> 8n) & 0xfffn);
    const minor = Number((BigInt(st.rdev) & 0xffn) | ((BigInt(st.rdev) >> 12n) & 0xfff00n));
    const sectors = Number(readFileSync(`/sys/dev/block/${major}:${minor}/size`, 'utf8').trim());
    return sectors * SECTOR_BYTES;
  }
  throw new Error(`device ${path} is neither a block device nor a regular file`);
}
