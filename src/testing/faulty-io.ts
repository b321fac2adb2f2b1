/**
 * A faulty disk for the device engine's tests: a `DeviceIo` (storage/device/io.ts) that injects
 * torn writes and failing fsync/pwrite into another one, deterministically from a seed.
 */
import { nodeIo, type DeviceIo } from '../storage/device/io.js';
import { Prng } from './prng.js';

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
  private prng = new Prng(1);
  /** true once a torn write "killed" the process: every write after it is silently lost */
  dead = false;
  /** where the torn write tore: bytes of it that reached the file */
  tornBytes = -1;
  tornPosition = -1;

  constructor(private readonly inner: DeviceIo = nodeIo) {}

  /** Arms a plan; write and fsync counts restart from zero. */
  arm(plan: FaultPlan): void {
    this.plan = plan;
    this.prng = new Prng(plan.seed);
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
        const keep = Math.min(len - 1, Math.max(1, Math.floor(this.prng.nextFloat() * sectors)) * 512);
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
