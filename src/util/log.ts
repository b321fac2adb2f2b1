/**
 * Logging in Aerospike's line style:
 *   `Nov 21 2026 19:20:01 GMT: INFO (namespace): (ticker.ts:42) message`
 * Sinks are the console and optional files, each with a level per context.
 */
import { appendFileSync } from 'node:fs';

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
  /** 'console' or a file path */
  target: 'console' | { file: string };
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

export class Logger {
  private sinks: LogSinkSpec[];
  constructor(sinks: LogSinkSpec[] = [{ target: 'console', levels: { any: 'info' } }]) {
    this.sinks = sinks;
  }

  setSinks(sinks: LogSinkSpec[]): void {
    this.sinks = sinks;
  }

  /** Returns a logger bound to one context (e.g. 'namespace', 'service', 'info'). */
  context(ctx: string, source: string): ContextLogger {
    return new ContextLogger(this, ctx, source);
  }

  write(level: LogLevel, ctx: string, source: string, msg: string): void {
    let line: string | undefined;
    for (const sink of this.sinks) {
      const max = sink.levels[ctx] ?? sink.levels['any'] ?? 'info';
      if (LEVEL_RANK[level] > LEVEL_RANK[max]) continue;
      line ??= `${formatLogTime(Date.now())}: ${LEVEL_LABEL[level]} (${ctx}): (${source}) ${msg}\n`;
      if (sink.target === 'console') process.stderr.write(line);
      else {
        try {
          appendFileSync(sink.target.file, line);
        } catch {
          // a log file that cannot be written must not take the node down
        }
      }
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
