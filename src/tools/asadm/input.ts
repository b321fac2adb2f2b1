/**
 * asadm's standard input, shared by the interactive prompt and password prompts: one line at a
 * time, so a password asked for in the middle of a piped script is the script's next line, as
 * with aerospike-admin (its cmd loop and Python's getpass read the same stdin).
 *
 * A prompted password follows Python's getpass, which asadm calls: on a terminal the prompt is
 * written and the answer read without echo; otherwise getpass warns `Warning: Password input may
 * be echoed.` and reads the next line, prompting on stderr.
 */
import { createInterface, type Interface } from 'node:readline';

/** Longest password line read (a bound on a line without end from a pipe is readline's own). */
export const MAX_SECRET_CHARS = 4096;

export class LineSource {
  private rl: Interface | undefined;
  private it: AsyncIterator<string> | undefined;

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly err: (text: string) => void,
    private readonly out: (text: string) => void,
  ) {}

  /** The next line, undefined at the end of input. */
  async next(): Promise<string | undefined> {
    if (!this.it) {
      this.rl = createInterface({ input: this.input, terminal: false, crlfDelay: Infinity });
      this.it = this.rl[Symbol.asyncIterator]();
    }
    const r = await this.it.next();
    return r.done ? undefined : r.value;
  }

  /** Stops reading (the process may then end though stdin stays open). */
  close(): void {
    this.rl?.close();
  }

  /** A TTY stdin: passwords are read with echo off. */
  private tty(): (NodeJS.ReadStream & { setRawMode(on: boolean): void }) | undefined {
    const s = this.input as NodeJS.ReadStream;
    return s.isTTY && typeof (s as { setRawMode?: unknown }).setRawMode === 'function' ? (s as NodeJS.ReadStream & { setRawMode(on: boolean): void }) : undefined;
  }

  /**
   * The login password of `-P` alone, as asadm reads it: on a terminal getpass's prompt without
   * echo; otherwise the first line of standard input, stripped, with no prompt ('' at its end).
   */
  async loginPassword(prompt: string): Promise<string> {
    if (this.tty()) return (await this.secret(prompt)) ?? '';
    return ((await this.next()) ?? '').trim().slice(0, MAX_SECRET_CHARS);
  }

  /**
   * Asks for a secret as getpass does; undefined when the input ended (or Ctrl-C on a terminal).
   * The answer is never echoed on a terminal.
   */
  async secret(prompt: string): Promise<string | undefined> {
    const tty = this.tty();
    if (!tty) {
      this.err(`Warning: Password input may be echoed.\n${prompt}`);
      const line = await this.next();
      return line === undefined ? undefined : line.slice(0, MAX_SECRET_CHARS);
    }
    // echo off before the prompt shows, as getpass does: what is typed after it is never echoed
    tty.setRawMode(true);
    this.out(prompt);
    try {
      // raw mode: Enter arrives as \r (a line end for readline), Backspace as DEL, Ctrl-C as ETX
      const line = await this.next();
      if (line === undefined || line.includes('\x03')) return undefined;
      let s = '';
      for (const ch of line) s = ch === '\x7f' || ch === '\b' ? s.slice(0, -1) : s + ch;
      return s.slice(0, MAX_SECRET_CHARS);
    } finally {
      tty.setRawMode(false);
      this.out('\n');
    }
  }
}
