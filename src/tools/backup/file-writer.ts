/**
 * Writes one backup file through a fixed-size buffer: bytes → [zstd frame] → [AES-CTR] → disk.
 * Writes are synchronous on purpose: a record is appended whole between two awaits, so a stop
 * never leaves half a record behind, and a slow disk slows the scan (the scan stream stops
 * reading while the writer works) instead of growing memory. Memory per open file is the buffer
 * plus what the codecs keep, a constant.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { createEncryptor, type Encryptor, type EncryptionMode } from './encryption.js';
import type { ZstdCompressor } from './zstd.js';

/** Bytes buffered per open backup file before they go through the codecs to disk. */
export const FILE_BUFFER_BYTES = 64 * 1024;

export interface OutputCodecs {
  compressor?: ZstdCompressor;
  encryption?: { mode: EncryptionMode; key: Buffer };
}

export interface WriterResume {
  /** IV of the encrypted file being appended to */
  iv?: Buffer;
  /** data bytes already encrypted after the IV block */
  encryptedBytes?: number;
}

/** Where an appendable file's key stream stands (kept in the state file). */
export interface WriterPosition {
  path: string;
  iv?: string;
  encryptedBytes: number;
}

export class BackupFileWriter {
  private buf = Buffer.allocUnsafe(FILE_BUFFER_BYTES);
  private used = 0;
  private encryptor: Encryptor | undefined;
  private encryptedBytes = 0;
  private closed = false;
  /** bytes that reached the file (after compression and encryption) */
  diskBytes = 0;
  /** bytes handed to write() (before compression) */
  rawBytes = 0;
  records = 0;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly codecs: OutputCodecs,
  ) {}

  /**
   * Creates (or, with `resume`, appends to) a backup file; '-' is standard output. `exclusive`
   * refuses to overwrite an existing file.
   */
  static open(path: string, codecs: OutputCodecs, opts: { exclusive: boolean; resume?: WriterResume }): BackupFileWriter {
    const fd = path === '-' ? 1 : openSync(path, opts.resume ? 'a' : opts.exclusive ? 'wx' : 'w');
    const w = new BackupFileWriter(path, fd, codecs);
    if (codecs.encryption) {
      const { mode, key } = codecs.encryption;
      if (opts.resume?.iv) {
        w.encryptor = createEncryptor(mode, key, { iv: opts.resume.iv, offset: opts.resume.encryptedBytes ?? 0 });
        w.encryptedBytes = opts.resume.encryptedBytes ?? 0;
      } else {
        w.encryptor = createEncryptor(mode, key);
        // the encrypted IV goes straight to the file, never through the compressor
        w.writeOut(w.encryptor.header);
      }
    }
    return w;
  }

  /** Bytes the file would have if flushed now (compressed output counts pending bytes uncompressed). */
  get fileBytes(): number {
    return this.diskBytes + this.used;
  }

  /** Appends bytes (copied). */
  write(b: Buffer): void {
    if (this.closed) throw new Error(`write to closed backup file ${this.path}`);
    this.rawBytes += b.length;
    let p = 0;
    while (p < b.length) {
      const n = Math.min(b.length - p, this.buf.length - this.used);
      b.copy(this.buf, this.used, p, p + n);
      this.used += n;
      p += n;
      if (this.used === this.buf.length) this.flush();
    }
  }

  /** Pushes buffered bytes through the codecs to the file. */
  flush(): void {
    if (this.used === 0) return;
    let out: Buffer = this.buf.subarray(0, this.used);
    if (this.codecs.compressor) out = this.codecs.compressor.frame(out);
    if (this.encryptor) {
      out = this.encryptor.update(out);
      this.encryptedBytes += out.length;
    }
    this.writeOut(out);
    this.used = 0;
  }

  private writeOut(b: Buffer): void {
    let p = 0;
    while (p < b.length) {
      try {
        p += writeSync(this.fd, b, p, b.length - p);
      } catch (e) {
        // standard output may be a non-blocking pipe: wait for the reader instead of failing
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    }
    this.diskBytes += b.length;
  }

  /** Where the key stream stands, for resuming an append later. */
  position(): WriterPosition {
    const pos: WriterPosition = { path: this.path, encryptedBytes: this.encryptedBytes };
    if (this.encryptor) pos.iv = this.encryptor.iv.toString('hex');
    return pos;
  }

  /** Flushes and closes (standard output stays open). */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.fd !== 1) {
      fsyncSync(this.fd);
      closeSync(this.fd);
    }
  }
}
