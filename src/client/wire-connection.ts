/**
 * A minimal Aerospike wire client connection used by Strato's own tools and benchmarks: frames
 * requests, reads whole response frames, one request at a time (like the official clients' sync
 * connections). Streams (batch, scan) deliver every frame until a message with LAST.
 */
import { connect, type Socket } from 'node:net';
import { checkServerIdentity as defaultCheckServerIdentity, connect as tlsConnect, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { inflateSync } from 'node:zlib';

const LAST = 0x01;
const MAX_FRAME_BYTES = 128 * 1024 * 1024;

export class WireError extends Error {
  constructor(
    message: string,
    readonly resultCode?: number,
  ) {
    super(message);
  }
}

/**
 * Who every connection of this process logs in as (the tools' -U/-P, or `--auth PKI`);
 * undefined = no login.
 */
export type WireAuth =
  | {
      user: string;
      /** the clients' bcrypt of the password */
      credential: string;
    }
  | {
      user: string;
      /** a session token the node issued (the web console forwards its user's to the other members) */
      sessionToken: Buffer;
    }
  | { pki: true };
let processAuth: WireAuth | undefined;

/** Sets the login every later {@link WireConnection.open} performs. */
export function setWireAuth(auth: WireAuth | undefined): void {
  processAuth = auth;
}

/** TLS for every connection of this process (the tools' --tls-* options); undefined = clear. */
export interface WireTls {
  /** CA certificates, client certificate and key, protocol range, ciphers */
  options: SecureContextOptions;
  /** the name a node's certificate must present when the host gives none (`--tls-name`) */
  defaultName?: string | undefined;
  /** further checks of a verified node (blacklist, CRL); a reason refuses the connection */
  verifyPeer?: ((socket: TLSSocket) => string | undefined) | undefined;
}
let processTls: WireTls | undefined;

/** Makes every later {@link WireConnection.open} connect over TLS (undefined: clear). */
export function setWireTls(tls: WireTls | undefined): void {
  processTls = tls;
}

/** Whether connections log in (a stream opened on its own socket must then do so too). */
export function wireAuthEnabled(): boolean {
  return processAuth !== undefined;
}

/** Whether connections go over TLS (discovery then asks for the TLS peers). */
export function wireTlsEnabled(): boolean {
  return processTls !== undefined;
}

/** Admin answers that mean the node has no security: the connection needs no login. */
const NO_SECURITY_CODES = new Set([51, 52]);

type FrameHandler = (type: number, body: Buffer) => boolean; // returns true when the exchange is complete

export class WireConnection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private handler: FrameHandler | undefined;
  private done: ((err?: Error) => void) | undefined;
  private closedError: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d) => this.onData(d));
    const fail = (e?: Error) => {
      this.closedError = e ?? new WireError('connection closed');
      const d = this.done;
      this.done = undefined;
      this.handler = undefined;
      d?.(this.closedError);
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
  }

  /**
   * Connects (over TLS when {@link setWireTls} set it), then logs in when {@link setWireAuth} did.
   * @param tlsName the name the node's certificate must present (TLS only; default `--tls-name`, else the host)
   */
  static open(host: string, port: number, timeoutMs = 5000, tlsName?: string): Promise<WireConnection> {
    return new Promise((resolve, reject) => {
      const tls = processTls;
      const name = tlsName || tls?.defaultName || host;
      const sock = tls ? tlsConnect({ host, port, ...tls.options, servername: isIpLiteral(name) ? undefined : name, checkServerIdentity: (_h, cert) => checkServerIdentity(name, cert) }) : connect({ host, port });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new WireError(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      sock.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        const refused = tls?.verifyPeer?.(sock as TLSSocket);
        if (refused !== undefined) {
          sock.destroy();
          return reject(new WireError(`TLS: ${host}:${port} refused: ${refused}`));
        }
        const conn = new WireConnection(sock);
        if (!processAuth) return resolve(conn);
        conn.authenticate(processAuth).then(
          () => resolve(conn),
          (e: Error) => {
            conn.close();
            reject(e);
          },
        );
      });
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /**
   * Hands over the connected (TLS, logged-in) socket to a caller that reads it itself (a scan
   * stream); this connection is unusable afterwards.
   */
  detach(): Socket {
    for (const ev of ['data', 'error', 'close'] as const) this.socket.removeAllListeners(ev);
    this.closedError = new WireError('connection handed over');
    return this.socket;
  }

  /**
   * AUTHENTICATE (admin command 0) with user and credential, or the clients' PKI LOGIN (command 20
   * without fields: the client certificate names the user); throws naming the result code.
   */
  async authenticate(auth: WireAuth): Promise<void> {
    if ('pki' in auth) {
      const frame = Buffer.alloc(24);
      frame[0] = 2;
      frame[1] = 2;
      frame.writeUIntBE(16, 2, 6);
      frame[8 + 2] = 20; // LOGIN, no fields
      const body = await this.request(frame);
      const code = body[1] ?? 0;
      if (code !== 0 && !NO_SECURITY_CODES.has(code)) {
        throw new WireError(`PKI login failed: result code ${code}${code === 60 ? ' (the certificate names no user)' : code === 65 ? ' (no client certificate)' : ''}`, code);
      }
      return;
    }
    const user = Buffer.from(auth.user);
    // field 3 = credential, 5 = session token
    const [secretId, secret] = 'sessionToken' in auth ? [5, auth.sessionToken] : [3, Buffer.from(auth.credential)];
    const frame = Buffer.alloc(8 + 16 + 5 + user.length + 5 + secret.length);
    frame[0] = 2;
    frame[1] = 2;
    frame.writeUIntBE(frame.length - 8, 2, 6);
    frame[8 + 2] = 0; // AUTHENTICATE
    frame[8 + 3] = 2; // fields
    let p = 24;
    for (const [id, data] of [[0, user], [secretId, secret]] as const) {
      frame.writeUInt32BE(data.length + 1, p);
      frame[p + 4] = id;
      data.copy(frame, p + 5);
      p += 5 + data.length;
    }
    const body = await this.request(frame);
    const code = body[1] ?? 0;
    if (code !== 0 && !NO_SECURITY_CODES.has(code)) {
      const why = code === 65 ? ' (invalid credential)' : code === 60 ? ' (invalid user)' : code === 66 ? ' (session expired)' : code === 82 ? ' (not allowlisted)' : '';
      throw new WireError(`authentication as '${auth.user}' failed: result code ${code}${why}`, code);
    }
  }

  private onData(d: Buffer): void {
    // fast path: exactly one whole uncompressed frame, nothing buffered
    if (this.buffered === 0 && d.length >= 8 && d[1] !== 4 && d.readUIntBE(2, 6) + 8 === d.length) {
      const h = this.handler;
      if (h && h(d[1]!, d.subarray(8))) {
        this.handler = undefined;
        const done = this.done;
        this.done = undefined;
        done?.();
      }
      return;
    }
    this.chunks.push(d);
    this.buffered += d.length;
    while (this.buffered >= 8) {
      const head = this.chunks[0]!.length >= 8 ? this.chunks[0]! : Buffer.concat(this.chunks);
      const size = head.readUIntBE(2, 6);
      if (size > MAX_FRAME_BYTES) {
        this.socket.destroy(new WireError('response frame too large'));
        return;
      }
      if (this.buffered < 8 + size) return;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      const type = all[1]!;
      let body = all.subarray(8, 8 + size);
      const rest = all.subarray(8 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      if (type === 4) {
        const inner = inflateSync(body.subarray(8));
        body = inner.subarray(8);
      }
      const h = this.handler;
      if (h && h(type === 4 ? 3 : type, body)) {
        this.handler = undefined;
        const d = this.done;
        this.done = undefined;
        d?.();
      }
    }
  }

  private exchange(frame: Buffer, handler: FrameHandler): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.handler = handler;
      this.done = (err) => (err ? reject(err) : resolve());
      this.socket.write(frame);
    });
  }

  /** Sends a request and resolves with the body of the single response frame. */
  async request(frame: Buffer): Promise<Buffer> {
    let body: Buffer | undefined;
    await this.exchange(frame, (_t, b) => {
      body = b;
      return true;
    });
    return body!;
  }

  /** Sends a request and hands each response frame's body to `onFrame` until it returns true. */
  async frames(frame: Buffer, onFrame: (body: Buffer) => boolean): Promise<void> {
    await this.exchange(frame, (_t, b) => onFrame(b));
  }

  /**
   * Sends a request whose answer is a stream of as_msg messages (batch, scan); calls onMessage
   * for each message until one carries LAST (or a non-LAST error for scans). Resolves with the
   * LAST message's result code.
   */
  async stream(frame: Buffer, onMessage: (body: Buffer, offset: number, end: number) => void): Promise<number> {
    let finalCode = 0;
    await this.exchange(frame, (_t, body) => {
      let p = 0;
      while (p + 22 <= body.length) {
        const end = messageEnd(body, p);
        const info3 = body[p + 3]!;
        const rc = body[p + 5]!;
        if (info3 & LAST) {
          finalCode = rc;
          return true;
        }
        onMessage(body, p, end);
        p = end;
      }
      return false;
    });
    return finalCode;
  }

  /** Sends info commands; resolves with a map of command → value. */
  async info(commands: string[]): Promise<Map<string, string>> {
    const text = commands.map((c) => c + '\n').join('');
    const body = Buffer.from(text);
    const frame = Buffer.allocUnsafe(8 + body.length);
    frame[0] = 2;
    frame[1] = 1;
    frame.writeUIntBE(body.length, 2, 6);
    body.copy(frame, 8);
    const answer = (await this.request(frame)).toString('utf8');
    const out = new Map<string, string>();
    // a node with security answers a connection that is not logged in with one bare error line,
    // whatever was asked: it is every command's answer
    if (/^ERROR:\d+:[^\t\n]*\n?$/.test(answer)) {
      for (const c of commands) out.set(c, answer.trim());
      return out;
    }
    for (const line of answer.split('\n')) {
      if (line.length === 0) continue;
      const tab = line.indexOf('\t');
      if (tab < 0) out.set(line, '');
      else out.set(line.slice(0, tab), line.slice(tab + 1));
    }
    return out;
  }
}

function isIpLiteral(name: string): boolean {
  return /^[0-9.]+$/.test(name) || name.includes(':');
}

/** Node's check, against the name Aerospike's tools verify (the TLS name, not the dialled host). */
function checkServerIdentity(name: string, cert: Parameters<typeof defaultCheckServerIdentity>[1]): Error | undefined {
  return defaultCheckServerIdentity(name, cert);
}

/** Offset just past the as_msg starting at `p`. */
export function messageEnd(body: Buffer, p: number): number {
  const nFields = body.readUInt16BE(p + 18);
  const nOps = body.readUInt16BE(p + 20);
  let q = p + 22;
  for (let i = 0; i < nFields; i++) q += 4 + body.readUInt32BE(q);
  for (let i = 0; i < nOps; i++) q += 4 + body.readUInt32BE(q);
  return q;
}
