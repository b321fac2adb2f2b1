/**
 * Log lines on standard error in the Aerospike tools' shape
 * (`2024-05-01 10:00:00 GMT [INF] [ 1234] message`) and a periodic progress reporter.
 */

export type LogLevel = 'INF' | 'ERR' | 'VER';

/** Writes log lines to stderr (or the given sink, for tests). */
export class ToolLog {
  constructor(
    readonly verbose = false,
    private readonly sink: (line: string) => void = (l) => process.stderr.write(l),
  ) {}

  private line(level: LogLevel, msg: string): void {
    const d = new Date();
    const ts = d.toISOString().replace('T', ' ').slice(0, 19);
    this.sink(`${ts} GMT [${level}] [${String(process.pid).padStart(5)}] ${msg}\n`);
  }

  info(msg: string): void {
    this.line('INF', msg);
  }

  error(msg: string): void {
    this.line('ERR', msg);
  }

  verb(msg: string): void {
    if (this.verbose) this.line('VER', msg);
  }
}

/** Counters a progress line is made of. */
export interface ProgressCounters {
  records: number;
  bytes: number;
  /** records expected in total, 0 when unknown */
  expectedRecords: number;
  /** bytes expected in total (restore: the files' size), 0 when unknown; used when records are not known */
  expectedBytes?: number;
}

/** Formats seconds as asbackup's ETA (`1h2m3s`). */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${r}s`;
}

/** How often the terminal progress bar is redrawn (ms). */
export const PROGRESS_BAR_MS = 250;
/** Width of the bar's `[####----]` part, in characters. */
export const PROGRESS_BAR_WIDTH = 30;

/**
 * One frame of the terminal progress bar: `[#####-----]  45% 1234 rec ~2m3s left`, or, with no
 * known total, the counts and rate alone. `rate` is in units of the total per second.
 */
export function renderBar(done: number, total: number, records: number, rate: number, width = PROGRESS_BAR_WIDTH): string {
  if (total <= 0) return `${records} record(s), ~${Math.round(rate)}/s`;
  const frac = Math.min(1, done / total);
  const filled = Math.round(frac * width);
  const eta = rate > 0 && total > done ? ` ~${formatEta((total - done) / rate)} left` : '';
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}% ${records} rec${eta}`;
}

/**
 * Prints `<pct>% complete (~<KiB/s> KiB/s, ~<rec/s> rec/s, ~<B/rec> B/rec)` and the time left every
 * `intervalMs` (STRATO_TOOLS_PROGRESS_MS overrides the default of 10 s, which tests shorten).
 */
export class ProgressReporter {
  private timer: NodeJS.Timeout | undefined;
  private lastMs = Date.now();
  private lastRecords = 0;
  private lastBytes = 0;
  readonly startMs = Date.now();
  private barTimer: NodeJS.Timeout | undefined;
  private barShown = false;

  /**
   * `bar`: where the terminal progress bar is drawn (redrawn in place with `\r`); by default
   * stderr when it is a terminal, none otherwise, so logs and pipes get the periodic lines only.
   */
  constructor(
    private readonly log: ToolLog,
    private readonly read: () => ProgressCounters,
    private readonly intervalMs = Number(process.env['STRATO_TOOLS_PROGRESS_MS'] ?? 10_000),
    private readonly bar: ((text: string) => void) | undefined = process.stderr.isTTY ? (t) => process.stderr.write(t) : undefined,
  ) {}

  start(): void {
    if (this.intervalMs > 0) {
      this.timer = setInterval(() => this.report(), this.intervalMs);
      this.timer.unref();
    }
    if (this.bar) {
      this.barTimer = setInterval(() => this.drawBar(), PROGRESS_BAR_MS);
      this.barTimer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.barTimer) clearInterval(this.barTimer);
    this.barTimer = undefined;
    this.clearBar();
  }

  /** Redraws the bar now, with the rate since the start (steadier than per-frame rates). */
  drawBar(now = Date.now()): void {
    if (!this.bar) return;
    const c = this.read();
    const byBytes = c.expectedRecords === 0 && (c.expectedBytes ?? 0) > 0;
    const done = byBytes ? c.bytes : c.records;
    const total = byBytes ? c.expectedBytes! : c.expectedRecords;
    const rate = (done * 1000) / Math.max(1, now - this.startMs);
    this.bar(`\r\x1b[K${renderBar(done, total, c.records, rate)}`);
    this.barShown = true;
  }

  /** Erases the bar so a log line starts on a clean line. */
  private clearBar(): void {
    if (this.bar && this.barShown) this.bar('\r\x1b[K');
    this.barShown = false;
  }

  /** Prints one progress line now. */
  report(): void {
    const now = Date.now();
    const c = this.read();
    const ms = Math.max(1, now - this.lastMs);
    const recs = c.records - this.lastRecords;
    const bytes = c.bytes - this.lastBytes;
    const recPerSec = Math.round((recs * 1000) / ms);
    const kibPerSec = Math.round((bytes * 1000) / 1024 / ms);
    const bPerRec = c.records > 0 ? Math.round(c.bytes / c.records) : 0;
    const byBytes = c.expectedRecords === 0 && (c.expectedBytes ?? 0) > 0;
    const done = byBytes ? c.bytes : c.records;
    const total = byBytes ? c.expectedBytes! : c.expectedRecords;
    const rate = byBytes ? (bytes * 1000) / ms : recPerSec;
    const pct = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : -1;
    let msg = `${pct >= 0 ? `${pct}% complete, ` : ''}${c.records} record(s), ${c.bytes} byte(s) (~${kibPerSec} KiB/s, ~${recPerSec} rec/s, ~${bPerRec} B/rec)`;
    if (pct >= 0 && rate > 0 && total > done) msg += `, ~${formatEta((total - done) / rate)} remaining`;
    this.clearBar();
    this.log.info(msg);
    this.lastMs = now;
    this.lastRecords = c.records;
    this.lastBytes = c.bytes;
  }
}
