/**
 * Logging in Aerospike's line style:
 *   `Nov 21 2026 19:20:01 GMT: INFO (namespace): (ticker.ts:42) message`
 * Sinks are the console and optional files, each with a level per context.
 */
import { closeSync, openSync, write, writeSync } from 'node:fs';
import { SyslogSink } from './syslog.js';

export type LogLevel = 'critical' | 'warning' | 'info' | 'debug' | 'detail';
const LEVEL_RANK: Record<LogLevel, number> = { critical: 0, warning: 1, info: 2, debug: 3, detail: 4 };
const LEVEL_LABEL: Record<LogLevel, string> = {
  critical: 'CRITICAL',
  warning: 'WARNING',
  info: 'INFO',
  debug: 'DEBUG',
  detail: 'DETAIL',
};

export interface LogSinkSpec {
  /** 'console', a file path, or a local syslog socket */
  target: 'console' | { file: string } | { syslog: { facility: string; path: string; tag: string } };
  /** level per context; 'any' is the default for unnamed contexts */
  levels: Record<string, LogLevel>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => (n < 10 ? '0' + n : String(n));

/** Formats a timestamp the way Aerospike's log does (UTC). */
export function formatLogTime(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${pad2(d.getUTCDate())} ${d.getUTCFullYear()} ${pad2(d.getUTCHours())}:${pad2(
    d.getUTCMinutes(),
  )}:${pad2(d.getUTCSeconds())} GMT`;
}

/** Most bytes a file sink holds while its disk is slower than the log rate; beyond it lines are dropped and counted. */
export const LOG_FILE_BUFFER_MAX_BYTES = 8 * 1024 * 1024;

/**
 * A log file written without blocking the event loop: lines collect in memory and one asynchronous
 * write at a time drains them. `flushSync` empties it on exit; `reopen` (SIGHUP) starts writing to
 * the path anew, so logrotate can move the old file away, as Aerospike's log does.
 */
export class LogFile {
  private fd: number | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;
  private writing = false;
  /** lines dropped because the buffer was full; reported in the file once it drains */
  dropped = 0;

  constructor(readonly path: string) {
    this.open();
  }

  private open(): void {
    try {
      this.fd = openSync(this.path, 'a');
    } catch {
      // a log file that cannot be opened must not take the node down; lines are dropped until a reopen works
      this.fd = undefined;
    }
  }

  append(line: string): void {
    if (this.pendingBytes + line.length > LOG_FILE_BUFFER_MAX_BYTES) {
      this.dropped++;
      return;
    }
    if (this.dropped > 0) {
      const note = `${formatLogTime(Date.now())}: WARNING (as): (log.ts) ${this.dropped} log lines dropped: the log file could not keep up\n`;
      this.dropped = 0;
      this.pending.push(note);
      this.pendingBytes += note.length;
    }
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (!this.writing) this.drain();
  }

  private drain(): void {
    if (this.fd === undefined || this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    this.writing = true;
    const fd = this.fd;
    write(fd, chunk, null, 'utf8', () => {
      // a failed write (disk full) loses these lines but never the node
      this.writing = false;
      this.drain();
    });
  }

  /** Writes everything still buffered, synchronously (process exit, crash). */
  flushSync(): void {
    if (this.fd === undefined || this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    try {
      writeSync(this.fd, chunk);
    } catch {
      // nothing more can be done on the way out
    }
  }

  /** Closes and opens the path again (log rotation). Lines buffered so far go to the old file. */
  reopen(): void {
    this.flushSync();
    const old = this.fd;
    this.open();
    // an asynchronous write may still be using the old descriptor: close it once that is done
    if (old !== undefined) setImmediate(() => closeOld(old));
  }

  close(): void {
    this.flushSync();
    if (this.fd !== undefined) closeOld(this.fd);
    this.fd = undefined;
  }
}

function closeOld(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

export class Logger {
  private sinks: LogSinkSpec[];
  private files = new Map<string, LogFile>();
  /** syslog sinks by sink index (each has its own socket) */
  private syslogs = new Map<number, SyslogSink>();
  constructor(sinks: LogSinkSpec[] = [{ target: 'console', levels: { any: 'info' } }]) {
    this.sinks = sinks;
  }

  setSinks(sinks: LogSinkSpec[]): void {
    this.sinks = sinks;
    for (const s of this.syslogs.values()) s.close();
    this.syslogs.clear();
    sinks.forEach((sink, i) => {
      if (typeof sink.target === 'object' && 'syslog' in sink.target) {
        const { facility, path, tag } = sink.target.syslog;
        const s = new SyslogSink(facility, path, tag);
        if (s.failure) process.stderr.write(`syslog sink ${path}: ${s.failure} - its lines are dropped\n`);
        this.syslogs.set(i, s);
      }
    });
    const wanted = new Set<string>();
    for (const sink of sinks) if (typeof sink.target === 'object' && 'file' in sink.target) wanted.add(sink.target.file);
    for (const [path, file] of this.files) {
      if (!wanted.has(path)) {
        file.close();
        this.files.delete(path);
      }
    }
    for (const path of wanted) if (!this.files.has(path)) this.files.set(path, new LogFile(path));
  }

  /** Log rotation (SIGHUP): every log file is reopened by path. */
  reopenFiles(): void {
    for (const file of this.files.values()) file.reopen();
  }

  /** Writes what the file sinks still buffer; call on the way out (exit, crash). */
  flushSync(): void {
    for (const file of this.files.values()) file.flushSync();
  }

  /** Returns a logger bound to one context (e.g. 'namespace', 'service', 'info'). */
  context(ctx: string, source: string): ContextLogger {
    return new ContextLogger(this, ctx, source);
  }

  write(level: LogLevel, ctx: string, source: string, msg: string): void {
    let line: string | undefined;
    const now = Date.now();
    for (let i = 0; i < this.sinks.length; i++) {
      const sink = this.sinks[i]!;
      const max = sink.levels[ctx] ?? sink.levels['any'] ?? 'info';
      if (LEVEL_RANK[level] > LEVEL_RANK[max]) continue;
      if (sink.target !== 'console' && 'syslog' in sink.target) {
        // syslog stamps its own time: the line starts at the level
        this.syslogs.get(i)?.write(LEVEL_LABEL[level], `${LEVEL_LABEL[level]} (${ctx}): (${source}) ${msg}`, now);
        continue;
      }
      line ??= `${formatLogTime(now)}: ${LEVEL_LABEL[level]} (${ctx}): (${source}) ${msg}\n`;
      if (sink.target === 'console') process.stderr.write(line);
      else this.files.get(sink.target.file)?.append(line);
    }
  }
}

export class ContextLogger {
  constructor(
    private readonly root: Logger,
    private readonly ctx: string,
    private readonly source: string,
  ) {}
  info(msg: string): void {
    this.root.write('info', this.ctx, this.source, msg);
  }
  warning(msg: string): void {
    this.root.write('warning', this.ctx, this.source, msg);
  }
  critical(msg: string): void {
    this.root.write('critical', this.ctx, this.source, msg);
  }
  debug(msg: string): void {
    this.root.write('debug', this.ctx, this.source, msg);
  }
}

/** The process-wide logger; configured once at startup from the logging stanza. */
export const logger = new Logger();

let processHooksInstalled = false;

/**
 * SIGHUP reopens the log files (logrotate moves them away first, as with Aerospike); a crash is
 * logged as CRITICAL; whatever the files still buffer is written when the process exits.
 */
export function installLogProcessHooks(): void {
  if (processHooksInstalled) return;
  processHooksInstalled = true;
  process.on('SIGHUP', () => {
    logger.reopenFiles();
    logger.write('info', 'as', 'log.ts', 'SIGHUP received: log files reopened');
  });
  process.on('uncaughtExceptionMonitor', (err) => {
    logger.write('critical', 'as', 'log.ts', `uncaught exception: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  });
  process.on('exit', () => logger.flushSync());
}
