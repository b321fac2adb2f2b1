/**
 * Where a multi-frame answer (batch, scan, query) goes as it is produced. The connection
 * implements it over its socket; streams below the server layer write to it without knowing the
 * socket.
 */

import type { AsMsg } from './message.js';

/** Receives the frames of a multi-frame answer (batch, scan) as they are produced. */
export interface FrameSink {
  /** `written` runs once the socket no longer needs `frame` (or the connection is gone) */
  send(frame: Buffer, written?: () => void): void;
  /** resolves when the socket has drained (back-pressure for streams) */
  drain(): Promise<void>;
  readonly closed: boolean;
  /** the client's address, for job listings */
  readonly remote?: string;
  /**
   * Security on: the access check of one batch row on this connection (0 = allowed, else the
   * result code the row answers with).
   */
  readonly rowGuard?: ((row: AsMsg) => number) | undefined;
}
