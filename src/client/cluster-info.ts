/**
 * Parsers for the info answers a client tends a cluster with (protocol reference §2.5):
 * `peers-clear-std` (who the other nodes are and where they listen) and `replicas` /
 * `replicas-master` (which partitions a node holds, per namespace and replica column).
 * A malformed answer throws InfoParseError naming the command, the place and what was expected,
 * because a silently wrong partition map would send requests to the wrong nodes.
 */
import { N_PARTITIONS } from '../util/digest.js';
import type { Endpoint } from './info-request.js';

/** Bytes of one partition bitmap (one bit per partition). */
export const BITMAP_BYTES = N_PARTITIONS / 8;

export class InfoParseError extends Error {
  constructor(command: string, answer: string, detail: string) {
    const shown = answer.length > 120 ? `${answer.slice(0, 120)}...` : answer;
    super(`invalid ${command} answer "${shown}": ${detail}`);
  }
}

export interface Peer {
  /** upper-case hex, as the node reports itself with `node` */
  nodeId: string;
  tlsName: string;
  /** where the peer listens, in the order it advertises them */
  endpoints: Endpoint[];
}

export interface PeersAnswer {
  generation: number;
  defaultPort: number;
  peers: Peer[];
}

/** Walks an answer one character at a time; errors say where. */
class Cursor {
  pos = 0;
  constructor(
    private readonly command: string,
    readonly text: string,
  ) {}

  fail(detail: string): never {
    throw new InfoParseError(this.command, this.text, `${detail} at offset ${this.pos}`);
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  expect(ch: string): void {
    if (this.text[this.pos] !== ch) this.fail(`expected '${ch}'${this.pos < this.text.length ? ` but found '${this.text[this.pos]}'` : ' but the answer ended'}`);
    this.pos++;
  }

  /** Characters up to (not including) any of `stops`, or the end. */
  until(stops: string): string {
    const start = this.pos;
    while (this.pos < this.text.length && !stops.includes(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }
}

function parsePort(c: Cursor, s: string, min = 1): number {
  const port = /^\d{1,5}$/.test(s) ? Number(s) : NaN;
  if (!(port >= min && port <= 65535)) c.fail(`invalid port '${s}'`);
  return port;
}

/** One address of a peer's list: `host`, `host:port`, `[v6]` or `[v6]:port`. */
function parseAddress(c: Cursor, defaultPort: number): Endpoint {
  let host: string;
  if (c.peek() === '[') {
    c.pos++;
    host = c.until(']');
    c.expect(']');
  } else host = c.until(':,]');
  if (host.length === 0) c.fail('empty address');
  if (c.peek() !== ':') {
    if (defaultPort === 0) c.fail(`address '${host}' has no port and the default port is 0`);
    return { host, port: defaultPort };
  }
  c.pos++;
  return { host, port: parsePort(c, c.until(',]')) };
}

function parsePeer(c: Cursor, defaultPort: number): Peer {
  c.expect('[');
  const nodeId = c.until(',]');
  if (!/^[0-9A-Fa-f]{1,16}$/.test(nodeId)) c.fail(`invalid node id '${nodeId}'`);
  c.expect(',');
  const tlsName = c.until(',]');
  c.expect(',');
  c.expect('[');
  const endpoints: Endpoint[] = [];
  if (c.peek() !== ']') {
    for (;;) {
      endpoints.push(parseAddress(c, defaultPort));
      if (c.peek() !== ',') break;
      c.pos++;
    }
  }
  c.expect(']');
  c.expect(']');
  return { nodeId: nodeId.toUpperCase(), tlsName, endpoints };
}

/**
 * Parses `<gen>,<default-port>,[[<node-id>,<tls-name>,[<addr>[:<port>],...]],...]`; an address
 * without a port listens on the default port.
 */
export function parsePeers(answer: string): PeersAnswer {
  const c = new Cursor('peers-clear-std', answer.trim());
  const genText = c.until(',');
  if (!/^\d+$/.test(genText)) c.fail(`invalid peers generation '${genText}'`);
  c.expect(',');
  // a node listening on an ephemeral port may report 0: harmless while every address has a port
  const defaultPort = parsePort(c, c.until(','), 0);
  c.expect(',');
  c.expect('[');
  const peers: Peer[] = [];
  if (c.peek() !== ']') {
    for (;;) {
      peers.push(parsePeer(c, defaultPort));
      if (c.peek() !== ',') break;
      c.pos++;
    }
  }
  c.expect(']');
  if (c.pos !== c.text.length) c.fail('unexpected text after the peer list');
  return { generation: Number(genText), defaultPort, peers };
}

export interface NamespaceReplicas {
  /** strong-consistency regime (0 in AP namespaces) */
  regime: number;
  /** one bitmap of BITMAP_BYTES per replica column; column 0 = master */
  columns: Buffer[];
}

function decodeBitmap(command: string, answer: string, ns: string, b64: string): Buffer {
  const ok = /^[A-Za-z0-9+/]*={0,2}$/.test(b64) && b64.length % 4 === 0;
  const bytes = ok ? Buffer.from(b64, 'base64') : undefined;
  if (!bytes || bytes.length !== BITMAP_BYTES) {
    throw new InfoParseError(command, answer, `namespace ${ns}: a partition bitmap must be base64 of ${BITMAP_BYTES} bytes`);
  }
  return bytes;
}

/** Splits `ns:value;ns:value;` into [ns, value] pairs (a trailing ';' is allowed). */
function namespaceEntries(command: string, answer: string): [string, string][] {
  const text = answer.trim().replace(/;$/, '');
  if (text.length === 0) return [];
  return text.split(';').map((entry) => {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new InfoParseError(command, answer, `entry "${entry.slice(0, 40)}" is not <namespace>:<value>`);
    return [entry.slice(0, colon), entry.slice(colon + 1)];
  });
}

/** Parses `replicas`: `ns:<regime>,<n-replicas>,<bitmap>,...;...` with n bitmaps per namespace. */
export function parseReplicas(answer: string): Map<string, NamespaceReplicas> {
  const out = new Map<string, NamespaceReplicas>();
  for (const [ns, value] of namespaceEntries('replicas', answer)) {
    const parts = value.split(',');
    const [regimeText, countText] = parts;
    if (regimeText === undefined || !/^\d+$/.test(regimeText)) throw new InfoParseError('replicas', answer, `namespace ${ns}: invalid regime '${regimeText ?? ''}'`);
    if (countText === undefined || !/^\d+$/.test(countText)) throw new InfoParseError('replicas', answer, `namespace ${ns}: invalid replica count '${countText ?? ''}'`);
    const n = Number(countText);
    if (parts.length - 2 !== n) throw new InfoParseError('replicas', answer, `namespace ${ns}: ${n} replica bitmap(s) announced, ${parts.length - 2} given`);
    if (out.has(ns)) throw new InfoParseError('replicas', answer, `namespace ${ns} appears twice`);
    out.set(ns, { regime: Number(regimeText), columns: parts.slice(2).map((b) => decodeBitmap('replicas', answer, ns, b)) });
  }
  return out;
}

/** Parses the older `replicas-master`: `ns:<bitmap>;...`, the master column only. */
export function parseReplicasMaster(answer: string): Map<string, NamespaceReplicas> {
  const out = new Map<string, NamespaceReplicas>();
  for (const [ns, value] of namespaceEntries('replicas-master', answer)) {
    if (out.has(ns)) throw new InfoParseError('replicas-master', answer, `namespace ${ns} appears twice`);
    out.set(ns, { regime: 0, columns: [decodeBitmap('replicas-master', answer, ns, value)] });
  }
  return out;
}

/** Whether partition `pid` is set in a bitmap (most significant bit first). */
export function hasPartition(bitmap: Buffer, pid: number): boolean {
  return (bitmap[pid >> 3]! & (0x80 >> (pid & 7))) !== 0;
}
