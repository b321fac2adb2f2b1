/**
 * Where asbackup's bytes go: a directory of `<prefix>_<NNNNN>.asb` files (one open file per
 * worker, a new one when a file reaches --file-limit), one shared file (or standard output), or
 * nowhere but a byte count (--estimate). Every file starts with the version and namespace header;
 * the backup's first file also says `# first-file` and carries the index and UDF lines.
 */
import { join } from 'node:path';
import { BackupFileWriter, type OutputCodecs, type WriterResume } from './file-writer.js';
import { encodeHeader } from './text-encoder.js';

/** One worker's view of the output: append encoded items, whole. */
export interface OutputSlot {
  /** Appends one encoded record (rolls over to a new file first when the current one is full). */
  writeRecord(bytes: Buffer): void;
  /** Appends global lines (indexes, UDFs); only the first file gets them. */
  writeGlobal(bytes: Buffer): void;
  close(): void;
}

export interface BackupOutput {
  /** A slot for worker `i`; worker 0's first file is the backup's first file unless resuming. */
  slot(i: number): OutputSlot;
  /** Bytes written so far, after compression and encryption. */
  bytes(): number;
  /** Backup files created so far (by this run and the runs it continues). */
  fileCount(): number;
  close(): void;
}

/** Directory mode: `<dir>/<prefix>_<NNNNN>.asb`, numbered in creation order across workers. */
export class DirectoryOutput implements BackupOutput {
  private nextIndex: number;
  private closedBytes = 0;
  private readonly open = new Set<BackupFileWriter>();
  private firstFileWritten: boolean;

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
    private readonly namespace: string,
    private readonly fileLimitBytes: number,
    private readonly codecs: OutputCodecs,
    /** files an interrupted run already created (their numbers are taken) */
    startIndex: number,
    /** with --continue, the first file exists already */
    resuming: boolean,
    private readonly onFile: (path: string) => void = () => {},
  ) {
    this.nextIndex = startIndex;
    this.firstFileWritten = resuming;
  }

  private newFile(): BackupFileWriter {
    const path = join(this.dir, `${this.prefix}_${String(this.nextIndex).padStart(5, '0')}.asb`);
    this.nextIndex++;
    const first = !this.firstFileWritten;
    this.firstFileWritten = true;
    const w = BackupFileWriter.open(path, this.codecs, { exclusive: true });
    w.write(encodeHeader(this.namespace, first));
    this.open.add(w);
    this.onFile(path);
    return w;
  }

  private retire(w: BackupFileWriter): void {
    w.close();
    this.open.delete(w);
    this.closedBytes += w.diskBytes;
  }

  slot(i: number): OutputSlot {
    // worker 0 opens first so the first file (number 0 of a fresh backup) is its own
    let w: BackupFileWriter | undefined = i === 0 ? this.newFile() : undefined;
    return {
      writeRecord: (bytes) => {
        if (w && w.fileBytes >= this.fileLimitBytes) {
          this.retire(w);
          w = undefined;
        }
        w ??= this.newFile();
        w.write(bytes);
        w.records++;
      },
      writeGlobal: (bytes) => {
        w ??= this.newFile();
        w.write(bytes);
      },
      close: () => {
        if (w) this.retire(w);
        w = undefined;
      },
    };
  }

  bytes(): number {
    let n = this.closedBytes;
    for (const w of this.open) n += w.fileBytes;
    return n;
  }

  fileCount(): number {
    return this.nextIndex;
  }

  close(): void {
    for (const w of [...this.open]) this.retire(w);
  }
}

/** Single-file mode: every worker appends to one writer (no rollover, as asbackup -o). */
export class SingleFileOutput implements BackupOutput {
  readonly writer: BackupFileWriter;

  constructor(path: string, namespace: string, codecs: OutputCodecs, resume?: WriterResume) {
    this.writer = BackupFileWriter.open(path, codecs, resume ? { exclusive: false, resume } : { exclusive: true });
    if (!resume) this.writer.write(encodeHeader(namespace, true));
  }

  slot(): OutputSlot {
    return {
      writeRecord: (bytes) => {
        this.writer.write(bytes);
        this.writer.records++;
      },
      writeGlobal: (bytes) => this.writer.write(bytes),
      close: () => {},
    };
  }

  bytes(): number {
    return this.writer.fileBytes;
  }

  fileCount(): number {
    return 1;
  }

  close(): void {
    this.writer.close();
  }
}

/** --estimate: nothing is written; record sizes are sampled by the caller. */
export class NullOutput implements BackupOutput {
  private n = 0;
  slot(): OutputSlot {
    return {
      writeRecord: (b) => (this.n += b.length),
      writeGlobal: (b) => (this.n += b.length),
      close: () => {},
    };
  }
  bytes(): number {
    return this.n;
  }
  fileCount(): number {
    return 0;
  }
  close(): void {}
}
