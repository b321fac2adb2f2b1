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
