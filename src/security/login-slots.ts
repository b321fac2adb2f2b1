/**
 * Aerospike runs LDAP logins on `login-threads` threads, so at most that many logins talk to the
 * directory at once and the rest wait their turn. Strato's LDAP calls are asynchronous, so the
 * threads become slots: at most `slots` logins run, the others wait in order, at most
 * `queueMax` of them and each at most `waitMaxMs` (a client gives up on its login long before a
 * deep queue drains, so a login that waited that long is refused instead of still asking the
 * directory for a client that left).
 */

/** LDAP logins waiting for a slot beyond which a login is refused at once. */
export const LDAP_LOGIN_QUEUE_MAX = 1024;
/** Longest a login waits for a slot (ms) before it is refused. */
export const LDAP_LOGIN_WAIT_MAX_MS = 10_000;

export type SlotAnswer = 'ok' | 'queue-full' | 'timed-out';

export class LoginSlots {
  private running = 0;
  private readonly waiting: { grant: () => void }[] = [];
  /** most logins seen running at once (never above `slots`) */
  peak = 0;

  constructor(
    private readonly slots: number,
    private readonly queueMax = LDAP_LOGIN_QUEUE_MAX,
    private readonly waitMaxMs = LDAP_LOGIN_WAIT_MAX_MS,
  ) {}

  /** Resolves 'ok' once the caller holds a slot (it must `release()` it), else why not. */
  acquire(): Promise<SlotAnswer> {
    if (this.running < this.slots) {
      this.running++;
      this.peak = Math.max(this.peak, this.running);
      return Promise.resolve('ok');
    }
    if (this.waiting.length >= this.queueMax) return Promise.resolve('queue-full');
    return new Promise<SlotAnswer>((resolve) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve('ok');
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve('timed-out');
      }, this.waitMaxMs);
      timer.unref();
      this.waiting.push(waiter);
    });
  }

  /** Frees a slot: the next waiting login gets it at once. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next.grant(); // the slot passes straight on: running stays the same
    else this.running--;
  }
}
