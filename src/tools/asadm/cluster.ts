/**
 * The cluster asadm talks to: the seed nodes given with -h, and every node they name in
 * `peers-clear-std` (`peers-tls-std` when the tool connects over TLS, each peer then reached
 * under the TLS name it advertises), followed until no new node appears (bounded by MAX_NODES). Every command is
 * an info request; a node that does not answer is reported, never waited on past the timeout.
 */
import { WireConnection, WireError, wireTlsEnabled } from '../../client/wire-connection.js';
import { parsePeers } from '../../client/cluster-info.js';
import { resultText } from '../../client/admin-request.js';

/** Most nodes asadm follows from its seeds (a guard against a peers list that never ends). */
export const MAX_NODES = 256;

export interface AdminNode {
  /** `host:port` as asadm's Node column shows it */
  key: string;
  host: string;
  port: number;
  /** the name the node's TLS certificate must present (TLS only) */
  tlsName?: string | undefined;
  nodeId: string;
}

/** A node's address as the seeds and peers lists give it. */
export interface AdminAddress {
  host: string;
  port: number;
  tlsName?: string | undefined;
}

/** `key=value;key=value` → map (values may contain '=' after the first). */
export function kvList(answer: string, sep = ';'): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of answer.split(sep)) {
    const eq = item.indexOf('=');
    if (eq > 0) out.set(item.slice(0, eq), item.slice(eq + 1));
  }
  return out;
}

/**
 * No seed could be reached, as asadm reports it: `lines` are what asadm logs as errors (one per
 * node refused for authentication: `Connection failed : not authenticated.`, `Login failed : No
 * credential or bad credential.`), the last being `Not able to connect any cluster with
 * [('127.0.0.1', 3000, None)].`
 */
export class DiscoveryError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

/** The seeds as asadm prints its seed list (a Python list of (host, port, tls-name) tuples). */
export function seedsText(seeds: AdminAddress[]): string {
  return `[${seeds.map((s) => `('${s.host}', ${s.port}, ${s.tlsName === undefined ? 'None' : `'${s.tlsName}'`})`).join(', ')}]`;
}

/**
 * True when an info answer is a secured node's refusal of a connection that has not logged in.
 * asadm looks for the words anywhere in the answer line, whatever the command.
 */
export function isNotAuthenticated(answer: string): boolean {
  return answer.toLowerCase().includes('not authenticated');
}

export class AdminCluster {
  nodes: AdminNode[] = [];

  constructor(
    private readonly seeds: AdminAddress[],
    readonly timeoutMs: number,
  ) {}

  /** One info command on one node; rejects with the node named on failure. */
  async info(node: AdminAddress, command: string): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const work = (async () => {
      const conn = await WireConnection.open(node.host, node.port, this.timeoutMs, node.tlsName);
      try {
        const answer = await conn.info([command]);
        return answer.get(command) ?? [...answer.values()][0] ?? '';
      } finally {
        conn.close();
      }
    })();
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${node.host}:${node.port}: no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Finds the nodes: the seeds, then their peers. Throws DiscoveryError when no node answers, as
   * asadm does: a node that is down or slow is passed over quietly; a node that refuses the
   * connection for want of a login (info answers `ERROR:80:not authenticated`) or refuses the
   * login is named (asadm logs those as errors).
   */
  async discover(): Promise<AdminNode[]> {
    const found = new Map<string, AdminNode>();
    const queue: AdminAddress[] = [...this.seeds];
    const peersCommand = wireTlsEnabled() ? 'peers-tls-std' : 'peers-clear-std';
    const refusals: string[] = [];
    const seenAddr = new Set<string>();
    while (queue.length > 0 && found.size < MAX_NODES) {
      const addr = queue.shift()!;
      const key = `${addr.host}:${addr.port}`;
      if (seenAddr.has(key)) continue;
      seenAddr.add(key);
      let nodeId: string;
      let peers: string;
      try {
        [nodeId, peers] = await Promise.all([this.info(addr, 'node'), this.info(addr, peersCommand)]);
      } catch (e) {
        const code = e instanceof WireError ? e.resultCode : undefined;
        if (code !== undefined) refusals.push(`Login failed : ${resultText(code)}.`);
        continue;
      }
      if (isNotAuthenticated(nodeId) || isNotAuthenticated(peers)) {
        refusals.push('Connection failed : not authenticated.');
        continue;
      }
      if ([...found.values()].some((n) => n.nodeId === nodeId)) continue;
      found.set(key, { key, host: addr.host, port: addr.port, tlsName: addr.tlsName, nodeId });
      try {
        for (const p of parsePeers(peers).peers) {
          const ep = p.endpoints[0];
          if (ep) queue.push({ host: ep.host, port: ep.port, tlsName: p.tlsName || undefined });
        }
      } catch {
        // a peers list the node cannot state: the node counts, its peers are not followed
      }
    }
    if (found.size === 0) throw new DiscoveryError([...refusals, `Not able to connect any cluster with ${seedsText(this.seeds)}.`]);
    this.nodes = [...found.values()].sort((a, b) => a.key.localeCompare(b.key));
    return this.nodes;
  }

  /**
   * The node admin commands go to, as asadm sends them (`nodes=principal`): the node the first
   * answering node names as `cluster_principal`, else the first node.
   */
  async principal(): Promise<AdminNode> {
    for (const n of this.nodes) {
      const stats = await this.info(n, 'statistics').catch(() => undefined);
      if (stats === undefined) continue;
      const id = kvList(stats).get('cluster_principal');
      return this.nodes.find((x) => x.nodeId === id) ?? n;
    }
    return this.nodes[0]!;
  }

  /** Runs `fn` on a connection (logged in when -U was given) to the principal, within the timeout. */
  async admin<T>(fn: (conn: WireConnection) => Promise<T>): Promise<T> {
    return this.adminOn(await this.principal(), fn);
  }

  /** Runs `fn` on a connection (logged in when -U was given) to `node`, within the timeout. */
  async adminOn<T>(node: AdminNode, fn: (conn: WireConnection) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const conn = await WireConnection.open(node.host, node.port, this.timeoutMs, node.tlsName);
    try {
      return await Promise.race([
        fn(conn),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${node.key}: no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      conn.close();
    }
  }

  /** The command on every node, in node order; a failed node's answer is an Error. */
  async all(command: string): Promise<(string | Error)[]> {
    return Promise.all(this.nodes.map((n) => this.info(n, command).catch((e: Error) => e)));
  }

  /** The command on every node; answers as maps (a failed node gives an empty map). */
  async allKv(command: string, sep = ';'): Promise<Map<string, string>[]> {
    return (await this.all(command)).map((a) => (a instanceof Error ? new Map() : kvList(a, sep)));
  }
}
