/**
 * Reads the items of one backup file: disk (or stdin) → [AES-CTR] → [zstd] → text decoder. It
 * keeps a window of plain bytes just large enough for the item being decoded, so memory is a
 * constant plus the largest record, and it reports malformed input with the file name and line.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createDecryptor, IV_BYTES, type Decryptor, type EncryptionMode } from './encryption.js';
import type { BackupItem } from './record.js';
import { BackupDecoder, BackupParseError, NeedMore, type HeaderInfo } from './text-decoder.js';
import { createZstdDecompressor, type ZstdDecompressor } from './zstd.js';

const READ_CHUNK_BYTES = 64 * 1024;

export interface InputCodecs {
  zstd: boolean;
  encryption?: { mode: EncryptionMode; key: Buffer };
}

/** A parse error that --ignore-record-error skipped. */
export interface SkippedItem {
  error: BackupParseError;
}

export class BackupFileReader {
  private win = Buffer.allocUnsafe(READ_CHUNK_BYTES * 2);
  private start = 0;
  private end = 0;
  private eof = false;
  private rawDone = false;
  private handle: FileHandle | undefined;
  private decryptor: Decryptor | undefined;
  private decompressor: ZstdDecompressor | undefined;
  private pendingHeader = Buffer.alloc(0);
  /** one read buffer per file: what is read is copied on (window, codecs) before the next read */
  private readonly readBuf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  private readonly decoder: BackupDecoder;
  /** bytes read from the file so far (compressed/encrypted size) */
  rawBytesRead = 0;
  header: HeaderInfo | undefined;

  constructor(
    readonly path: string,
    private readonly codecs: InputCodecs,
  ) {
    this.decoder = new BackupDecoder(path === '-' ? 'stdin' : path);
  }

  /** Opens the file and reads its header. Throws BackupParseError for a bad header. */
  async open(): Promise<HeaderInfo> {
    this.handle = this.path === '-' ? undefined : await open(this.path, 'r');
    if (this.codecs.zstd) this.decompressor = await createZstdDecompressor();
    for (;;) {
      try {
        const { header, next } = this.decoder.parseHeader(this.win, this.start, this.end, this.eof);
        this.start = next;
        this.header = header;
        return header;
      } catch (e) {
        if (!(e instanceof NeedMore)) throw e;
        await this.fill(e.needBytes);
      }
    }
  }

  /** Line number where the next item starts. */
  get line(): number {
    return this.decoder.line;
  }

  /**
   * The next item, or null at the end of the file. With `skipErrors`, a malformed item is skipped
   * (reported through onSkip) and reading goes on at the next item.
   */
  async next(skipErrors = false, onSkip?: (s: SkippedItem) => void): Promise<BackupItem | null> {
    for (;;) {
      try {
        const r = this.decoder.parseItem(this.win, this.start, this.end, this.eof);
        if (!r) return null;
        this.start = r.next;
        return r.item;
      } catch (e) {
        if (e instanceof NeedMore) {
          await this.fill(e.needBytes);
          continue;
        }
        if (!(e instanceof BackupParseError) || !skipErrors) throw e;
        onSkip?.({ error: e });
        await this.resync();
      }
    }
  }

  private async resync(): Promise<void> {
    for (;;) {
      try {
        this.start = this.decoder.resync(this.win, this.start, this.end, this.eof);
        return;
      } catch (e) {
        if (!(e instanceof NeedMore)) throw e;
        await this.fill(e.needBytes);
      }
    }
  }

  /** Makes the window hold at least `need` bytes from `start`, or everything up to end of file. */
  private async fill(need: number): Promise<void> {
    if (this.eof) return;
    if (this.start > 0 && this.start === this.end) {
      this.start = this.end = 0;
    }
    while (this.end - this.start < need && !this.eof) {
      const plain = await this.readPlain();
      if (plain === null) {
        this.eof = true;
        break;
      }
      this.append(plain);
    }
  }

  private append(b: Buffer): void {
    if (this.end + b.length > this.win.length) {
      const live = this.end - this.start;
      if (live + b.length <= this.win.length && this.start > 0) {
        this.win.copy(this.win, 0, this.start, this.end);
      } else {
        let size = this.win.length * 2;
        while (size < live + b.length) size *= 2;
        const next = Buffer.allocUnsafe(size);
        this.win.copy(next, 0, this.start, this.end);
        this.win = next;
      }
      this.start = 0;
      this.end = live;
    }
    b.copy(this.win, this.end);
    this.end += b.length;
  }

  /** The next plain (decrypted, decompressed) bytes, or null at the end. */
  private async readPlain(): Promise<Buffer | null> {
    for (;;) {
      if (this.rawDone) return null;
      let raw = await this.readRaw();
      if (raw === null) {
        this.rawDone = true;
        if (this.codecs.encryption && !this.decryptor) throw new Error(`${this.path}: file too short to hold its encryption IV`);
        if (this.decompressor) {
          const out = this.decompressor.push(Buffer.alloc(0), true);
          if (out.length > 0) return Buffer.concat(out);
        }
        return null;
      }
      if (this.codecs.encryption) {
        if (!this.decryptor) {
          // the first 16 bytes are the encrypted IV, read straight from the file
          this.pendingHeader = Buffer.concat([this.pendingHeader, raw]);
          if (this.pendingHeader.length < IV_BYTES) continue;
          this.decryptor = createDecryptor(this.codecs.encryption.mode, this.codecs.encryption.key, this.pendingHeader.subarray(0, IV_BYTES));
          raw = this.pendingHeader.subarray(IV_BYTES);
          this.pendingHeader = Buffer.alloc(0);
        }
        raw = this.decryptor.update(raw);
      }
      if (this.decompressor) {
        // the decompressor may keep input it cannot use yet: never hand it the reused read buffer
        const out = this.decompressor.push(raw.buffer === this.readBuf.buffer ? Buffer.from(raw) : raw, false);
        if (out.length === 0) continue;
        return out.length === 1 ? out[0]! : Buffer.concat(out);
      }
      if (raw.length === 0) continue;
      return raw;
    }
  }

  private async readRaw(): Promise<Buffer | null> {
    if (this.path === '-') {
      const b = await readStdin();
      if (b) this.rawBytesRead += b.length;
      return b;
    }
    const { bytesRead } = await this.handle!.read(this.readBuf, 0, this.readBuf.length, null);
    if (bytesRead === 0) return null;
    this.rawBytesRead += bytesRead;
    return this.readBuf.subarray(0, bytesRead);
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}

let stdinIter: AsyncIterator<Buffer> | undefined;

async function readStdin(): Promise<Buffer | null> {
  stdinIter ??= (process.stdin as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const r = await stdinIter.next();
  return r.done ? null : r.value;
}
