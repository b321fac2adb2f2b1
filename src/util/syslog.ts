/**
 * A syslog log sink, as Aerospike's `logging { syslog { facility; path; tag } }` writes it: one
 * datagram per line to a local unix socket (`/dev/log` by default),
 * `<PRI>Mmm dd hh:mm:ss TAG: LEVEL (context): (file) message`, PRI = facility * 8 + severity,
 * the time in GMT as Aerospike's log. Node's `dgram` has no unix datagram sockets, so this uses
 * node-unix-socket (loaded only when a syslog sink is configured). A socket that is missing or not
 * reading loses lines, never the node: sends in flight are bounded and what is dropped is counted.
 */
import { createRequire } from 'node:module';

/** Syslog facility codes by the names the config takes (RFC 5424, as syslog.h numbers them). */
export const SYSLOG_FACILITY_CODES: Readonly<Record<string, number>> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/** Severity of each log level (Aerospike maps CRITICAL to LOG_EMERG). */
const SEVERITY: Readonly<Record<string, number>> = { CRITICAL: 0, WARNING: 4, INFO: 6, DEBUG: 7, DETAIL: 7 };

/** Datagrams handed to the socket and not yet sent; past it lines are dropped and counted. */
export const SYSLOG_IN_FLIGHT_MAX = 1024;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => (n < 10 ? '0' + n : String(n));

/** strftime's `%b %e %T` in UTC: `Dec  7 22:31:19`. */
export function syslogTime(ms: number): string {
  const d = new Date(ms);
  const day = d.getUTCDate();
  return `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ' ' + day : day} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** The datagram for one log line (`body` is `LEVEL (context): (file) message`, no newline). */
export function syslogDatagram(facility: string, tag: string, level: string, body: string, ms: number): Buffer {
  const pri = (SYSLOG_FACILITY_CODES[facility] ?? SYSLOG_FACILITY_CODES['local0']!) * 8 + (SEVERITY[level] ?? 6);
  return Buffer.from(`<${pri}>${syslogTime(ms)} ${tag}: ${body}`, 'utf8');
}

interface DgramSocketLike {
  sendTo(buf: Buffer, offset: number, length: number, destPath: string, onWrite?: (err: Error | undefined) => void): void;
  on(event: 'error', fn: (e: Error) => void): unknown;
  close(): void;
}

export class SyslogSink {
  private socket: DgramSocketLike | undefined;
  private inFlight = 0;
  /** lines lost: socket missing, not reading, or too many in flight */
  dropped = 0;
  /** why the socket could not be created, when it could not */
  failure: string | undefined;

  constructor(
    readonly facility: string,
    readonly path: string,
    readonly tag: string,
  ) {
    try {
      const require = createRequire(import.meta.url);
      const { DgramSocket } = require('node-unix-socket') as { DgramSocket: new () => DgramSocketLike };
      this.socket = new DgramSocket();
      this.socket.on('error', () => {
        this.dropped++;
      });
    } catch (e) {
      this.failure = (e as Error).message;
    }
  }

  write(level: string, body: string, ms: number): void {
    const socket = this.socket;
    if (!socket || this.inFlight >= SYSLOG_IN_FLIGHT_MAX) {
      this.dropped++;
      return;
    }
    const dgram = syslogDatagram(this.facility, this.tag, level, body, ms);
    this.inFlight++;
    try {
      socket.sendTo(dgram, 0, dgram.length, this.path, (err) => {
        this.inFlight--;
        if (err) this.dropped++;
      });
    } catch {
      // no socket at the path (yet): the line is lost, the next one tries again
      this.inFlight--;
      this.dropped++;
    }
  }

  close(): void {
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
    this.socket = undefined;
  }
}
