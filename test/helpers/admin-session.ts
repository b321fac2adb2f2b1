/**
 * A raw client connection that speaks the admin protocol (proto type 2) and info on one socket,
 * as the clients do: a test logs in and then sends what that one connection is allowed to.
 */
import { connect, type Socket } from 'node:net';
import { clientCredential } from '../../src/security/credential.js';

/** `[len:4][id:1][data]`, len counting the id byte. */
export function adminField(id: number, data: Buffer | string): Buffer {
  const d = typeof data === 'string' ? Buffer.from(data) : data;
  const h = Buffer.alloc(5);
  h.writeUInt32BE(d.length + 1);
  h[4] = id;
  return Buffer.concat([h, d]);
}

/** One admin frame: proto header (2, 2), 16-byte admin header (command at 2, field count at 3), fields. */
export function adminFrame(command: number, fields: Buffer[], fieldCount = fields.length): Buffer {
  const header = Buffer.alloc(16);
  header[2] = command;
  header[3] = fieldCount;
  const body = Buffer.concat([header, ...fields]);
  const proto = Buffer.alloc(8);
  proto[0] = 2;
  proto[1] = 2;
  proto.writeUIntBE(body.length, 2, 6);
  return Buffer.concat([proto, body]);
}

/** LOGIN (20) with the user and the clients' bcrypt credential of `password`. */
export function loginFrame(user: string, password: string): Buffer {
  return adminFrame(20, [adminField(0, user), adminField(3, clientCredential(password))]);
}

/** How long one answer may take (a loaded machine). */
const ANSWER_TIMEOUT_MS = 5000;

export class AdminSession {
  private buf = Buffer.alloc(0);
  private waiting: (() => void) | undefined;

  private constructor(readonly sock: Socket) {
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiting?.();
    });
    sock.on('error', () => undefined);
  }

  static open(port: number, host = '127.0.0.1'): Promise<AdminSession> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(new AdminSession(s)));
      s.once('error', reject);
    });
  }

  /** The client side's `address:port` (what the node's audit lines name). */
  get local(): string {
    return `${this.sock.localAddress}:${this.sock.localPort}`;
  }

  /** Sends a frame and reads one answer frame (8-byte header and body). */
  async ask(frame: Buffer): Promise<Buffer> {
    this.sock.write(frame);
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    for (;;) {
      if (this.buf.length >= 8) {
        const n = 8 + this.buf.readUIntBE(2, 6);
        if (this.buf.length >= n) {
          const out = this.buf.subarray(0, n);
          this.buf = this.buf.subarray(n);
          return out;
        }
      }
      if (Date.now() > deadline) throw new Error('no answer');
      await new Promise<void>((r) => {
        this.waiting = r;
        setTimeout(r, 100);
      });
    }
  }

  /** Logs in; answers the result code. */
  async login(user: string, password: string): Promise<number> {
    return (await this.ask(loginFrame(user, password)))[9]!;
  }

  /** One info command's value. */
  async info(cmd: string): Promise<string> {
    const body = Buffer.from(`${cmd}\n`);
    const proto = Buffer.alloc(8);
    proto[0] = 2;
    proto[1] = 1;
    proto.writeUIntBE(body.length, 2, 6);
    const a = await this.ask(Buffer.concat([proto, body]));
    return a.subarray(8).toString().split('\t')[1]!.trim();
  }

  close(): void {
    this.sock.destroy();
  }
}
