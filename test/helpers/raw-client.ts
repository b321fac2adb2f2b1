/** A minimal raw-socket client for protocol tests: send bytes, collect what comes back. */
import { connect, type Socket } from 'node:net';

export interface RawExchange {
  /** bytes received before the deadline or the close */
  received: Buffer;
  /** true when the server closed the connection */
  closed: boolean;
}

/** Sends `bytes` on a fresh connection and gathers the reply for up to `waitMs`. */
export function rawExchange(port: number, bytes: Buffer, waitMs = 300, host = '127.0.0.1'): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let closed = false;
    const sock: Socket = connect({ host, port }, () => sock.write(bytes));
    const finish = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ received: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(finish, waitMs);
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', () => {
      closed = true;
      finish();
    });
    sock.on('close', () => {
      closed = true;
      finish();
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') {
        closed = true;
        finish();
      } else reject(e);
    });
  });
}

/** Builds a proto frame around a body. */
export function frame(type: number, body: Buffer, version = 2): Buffer {
  const h = Buffer.alloc(8);
  h[0] = version;
  h[1] = type;
  h.writeUIntBE(body.length, 2, 6);
  return Buffer.concat([h, body]);
}

/** An info request frame. */
export function infoFrame(commands: string[]): Buffer {
  return frame(1, Buffer.from(commands.map((c) => c + '\n').join('')));
}

/** Sends one frame on a fresh connection and resolves with the first complete frame answered. */
export function requestFrame(host: string, port: number, bytes: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const sock = connect({ host, port }, () => sock.write(bytes));
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no complete answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 8 && buf.length >= 8 + buf.readUIntBE(2, 6)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(buf);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
