/**
 * Several real `strato` processes forming a mesh cluster on 127.0.0.1 (or on addresses inside
 * network namespaces): fixed heartbeat/fabric/service ports per node so a node restarted by the
 * test comes back where its peers expect it. Every process is started and stopped by PID here.
 */
import { createServer } from 'node:net';
import { infoFrame, requestFrame } from './raw-client.js';
import { startStrato, type StratoProcess } from './strato-process.js';
import { AdminSession } from './admin-session.js';

export interface ClusterNodeSpec {
  nodeId: string;
  host: string;
  servicePort: number;
  heartbeatPort: number;
  fabricPort: number;
  /** command prefix to run the node in (ip netns exec ...) */
  wrapper?: string[];
}

export interface TestClusterOptions {
  clusterName?: string;
  replicationFactor?: number;
  /** extra lines for the service stanza */
  serviceExtra?: string;
  /** nodes whose heartbeat addresses seed every node (default: node 0) */
  seeds?: number[];
  /** the namespace's storage-engine stanza per node (default: memory, 256M) */
  storage?: (spec: ClusterNodeSpec) => string;
  /** namespaces to configure, all alike (default: test) */
  namespaces?: string[];
  /** extra lines for every namespace stanza */
  namespaceExtra?: string;
  /** environment of every node process (e.g. STRATO_TEST_HOOKS) */
  env?: Record<string, string>;
  /** extra sub-stanzas for every node's network stanza (e.g. http { }) */
  networkExtra?: string;
  /** top-level stanzas added to every node's config (e.g. security { }) */
  extraStanzas?: string;
  /** a work directory per node that outlives its process (default: the process's temporary one) */
  workDirectory?: (spec: ClusterNodeSpec) => string;
  /** security on: the user the helper's own info requests log in as (Aerospike refuses them otherwise) */
  login?: { user: string; password: string };
}

/**
 * Ports below Linux's ephemeral range (32768-60999 by default): the OS never hands these out as the
 * local port of an outgoing connection. Ports picked with listen(0) come from that range, so between
 * the pick and the node's own listen a client connection of a test file running alongside could
 * take one (the node then stopped with EADDRINUSE).
 */
const PICK_PORT_MIN = 20000;
const PICK_PORT_MAX = 32767;
/** Attempts to find each free port before giving up. */
const PICK_PORT_ATTEMPTS = 200;

/** Listens on `port`; resolves to the server, or undefined when the port is taken. */
function tryListen(port: number, host: string): Promise<import('node:net').Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, host, () => resolve(s));
  });
}

/** `n` distinct ports that are free now (bound and released), from outside the ephemeral range. */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const held: import('node:net').Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      let server: import('node:net').Server | undefined;
      for (let attempt = 0; attempt < PICK_PORT_ATTEMPTS && !server; attempt++) {
        server = await tryListen(PICK_PORT_MIN + Math.floor(Math.random() * (PICK_PORT_MAX - PICK_PORT_MIN + 1)), host);
      }
      if (!server) throw new Error(`no free port in ${PICK_PORT_MIN}-${PICK_PORT_MAX} after ${PICK_PORT_ATTEMPTS} attempts`);
      held.push(server); // held until all are picked: the same port is never returned twice
    }
    return held.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  }
}

/**
 * A base port with `span` consecutive ports free now (bound and released), from outside the
 * ephemeral range: a host of several nodes takes its ports at a fixed stride from its base.
 */
export async function freePortBlock(span: number, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < PICK_PORT_ATTEMPTS; attempt++) {
    const base = PICK_PORT_MIN + Math.floor(Math.random() * (PICK_PORT_MAX - PICK_PORT_MIN + 2 - span));
    const held: import('node:net').Server[] = [];
    try {
      for (let p = base; p < base + span; p++) {
        const server = await tryListen(p, host);
        if (!server) break;
        held.push(server);
      }
      if (held.length === span) return base;
    } finally {
      await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
    }
  }
  throw new Error(`no ${span} consecutive free ports in ${PICK_PORT_MIN}-${PICK_PORT_MAX} after ${PICK_PORT_ATTEMPTS} attempts`);
}

export async function localNodeSpecs(n: number): Promise<ClusterNodeSpec[]> {
  const ports = await freePorts(3 * n);
  return Array.from({ length: n }, (_, i) => ({
    nodeId: `A${i + 1}`,
    host: '127.0.0.1',
    servicePort: ports[3 * i]!,
    heartbeatPort: ports[3 * i + 1]!,
    fabricPort: ports[3 * i + 2]!,
  }));
}

export function clusterConfig(spec: ClusterNodeSpec, seeds: ClusterNodeSpec[], opts: TestClusterOptions = {}): string {
  return `
service {
  cluster-name ${opts.clusterName ?? 'strato-test'}
  node-id ${spec.nodeId}
  work-directory ${opts.workDirectory ? opts.workDirectory(spec) : '${DIR}'}
${opts.serviceExtra ?? ''}
}
logging {
  console {
    context any info
  }
}
network {
  service {
    address ${spec.host}
    port ${spec.servicePort}
  }
  heartbeat {
    mode mesh
    address ${spec.host}
    port ${spec.heartbeatPort}
${seeds.map((s) => `    mesh-seed-address-port ${s.host} ${s.heartbeatPort}`).join('\n')}
    interval 150
    timeout 10
  }
  fabric {
    address ${spec.host}
    port ${spec.fabricPort}
  }
${opts.networkExtra ?? ''}
}
${(opts.namespaces ?? ['test'])
  .map(
    (ns) => `namespace ${ns} {
  replication-factor ${opts.replicationFactor ?? 2}
${opts.namespaceExtra ?? ''}
${opts.storage ? opts.storage(spec) : '  storage-engine memory {\n    data-size 256M\n  }'}
}`,
  )
  .join('\n')}
${opts.extraStanzas ?? ''}
`;
}

/** Info commands over a raw socket; returns the value of each command. */
export async function info(host: string, port: number, ...commands: string[]): Promise<string[]> {
  const received = await requestFrame(host, port, infoFrame(commands), 3000);
  const text = received.subarray(8).toString('utf8');
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab >= 0) values.set(line.slice(0, tab), line.slice(tab + 1));
  }
  return commands.map((c) => values.get(c) ?? '');
}

/** `key=value;...` → map */
export function kv(text: string): Map<string, string> {
  return new Map(text.split(';').map((p) => p.split('=') as [string, string]));
}

export class TestCluster {
  readonly procs: (StratoProcess | undefined)[];

  constructor(
    readonly specs: ClusterNodeSpec[],
    readonly opts: TestClusterOptions = {},
  ) {
    this.procs = specs.map(() => undefined);
  }

  /** An info request as the helper sends it: logged in first when the cluster has security on. */
  private async info(host: string, port: number, ...commands: string[]): Promise<string[]> {
    const login = this.opts.login;
    if (!login) return info(host, port, ...commands);
    const s = await AdminSession.open(port, host);
    try {
      const code = await s.login(login.user, login.password);
      if (code !== 0) throw new Error(`login as ${login.user} on ${host}:${port} answered ${code}`);
      const out: string[] = [];
      for (const c of commands) out.push(await s.info(c));
      return out;
    } finally {
      s.close();
    }
  }

  async start(i: number, minClusterSize = 1): Promise<StratoProcess> {
    const spec = this.specs[i]!;
    const seeds = (this.opts.seeds ?? [0]).map((s) => this.specs[s]!);
    const opts = minClusterSize > 1 ? { ...this.opts, serviceExtra: `${this.opts.serviceExtra ?? ''}\n  min-cluster-size ${minClusterSize}` } : this.opts;
    const p = await startStrato({ config: clusterConfig(spec, seeds, opts), port: spec.servicePort, wrapper: spec.wrapper, env: this.opts.env });
    this.procs[i] = p;
    return p;
  }

  /**
   * Starts every node and waits until they form one cluster of all of them (bounded by
   * `timeoutMs`). The nodes start with min-cluster-size at the node count, so the first cluster
   * holds them all and its partitions start fresh on their replicas: started one by one (a loaded
   * machine staggers the starts by more than a node's 750 ms quiet time), the first node formed a
   * cluster alone, took every partition and migrated thousands of empty partitions to each
   * joiner, once per namespace (measured: 1-5 s of the nodes' CPU per formation instead of ~0.3 s,
   * and 8-20 s instead of ~1 s to stable). Once formed, min-cluster-size goes back to 1
   * (set-config) so the tests can stop nodes and see the rest carry on. With security on, the
   * helper's login (admin) may not set-config, so those nodes start as before.
   */
  async startAll(timeoutMs = 60_000): Promise<void> {
    const all = this.specs.map((_, i) => i);
    if (this.opts.login) {
      await Promise.all(all.map((i) => this.start(i)));
      return;
    }
    await Promise.all(all.map((i) => this.start(i, this.specs.length)));
    await this.waitStable(all, this.specs.length, timeoutMs, true);
    await Promise.all(
      all.map(async (i) => {
        const s = this.specs[i]!;
        const [answer] = await this.info(s.host, s.servicePort, 'set-config:context=service;min-cluster-size=1');
        if (answer !== 'ok') throw new Error(`set-config min-cluster-size=1 on ${s.nodeId} answered ${answer}`);
      }),
    );
  }

  /** Kills node i (SIGKILL by default: a crash). */
  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.procs[i];
    this.procs[i] = undefined;
    await p?.stop(signal);
  }

  /**
   * Stops every node (a file's teardown): SIGKILL by default, as the whole cluster goes. A node
   * stopped with SIGTERM serves 1.5 s more so its peers can take over (server/start.ts), which no
   * peer needs when all stop; graceful stops are tested where they are the subject (cluster-device's
   * restarts, host-nodes).
   */
  async stopAll(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await Promise.all(this.procs.map((_, i) => this.kill(i, signal)));
  }

  running(): number[] {
    return this.procs.flatMap((p, i) => (p ? [i] : []));
  }

  /**
   * Waits until the given nodes agree on one cluster key, report `size` members and, unless
   * told otherwise, have no migrations left. Bounded by `timeoutMs`.
   */
  async waitStable(nodes: number[], size: number, timeoutMs = 60_000, ignoreMigrations = false): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const keys = await Promise.all(
          nodes.map(async (i) => {
            const s = this.specs[i]!;
            const [v] = await this.info(s.host, s.servicePort, `cluster-stable:size=${size};ignore-migrations=${ignoreMigrations}`);
            return v ?? '';
          }),
        );
        last = keys.join(' ');
        if (keys.every((k) => k === keys[0] && /^[0-9A-F]+$/.test(k))) return keys[0]!;
      } catch (e) {
        last = String(e);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`cluster of ${nodes.map((i) => this.specs[i]!.nodeId).join(',')} not stable at size ${size}: ${last}${this.nodesReport(nodes)}`);
  }

  /** For a failure message: each node's exit status (when it exited) and the end of its output. */
  private nodesReport(nodes: number[]): string {
    return nodes
      .map((i) => {
        const p = this.procs[i];
        if (!p) return `\n--- ${this.specs[i]!.nodeId}: not running`;
        const exited = p.proc.exitCode !== null || p.proc.signalCode !== null ? ` exited (${p.proc.exitCode ?? p.proc.signalCode})` : '';
        return `\n--- ${this.specs[i]!.nodeId}${exited}, last output:\n${p.output().slice(-1500)}`;
      })
      .join('');
  }

  /** Sums a namespace statistic over the given nodes. */
  async sumNamespaceStat(nodes: number[], stat: string, ns = 'test'): Promise<number> {
    let total = 0;
    for (const i of nodes) {
      const s = this.specs[i]!;
      const [v] = await this.info(s.host, s.servicePort, `namespace/${ns}`);
      total += Number(kv(v ?? '').get(stat) ?? NaN);
    }
    return total;
  }

  async namespaceStat(i: number, stat: string, ns = 'test'): Promise<number> {
    const s = this.specs[i]!;
    const [v] = await this.info(s.host, s.servicePort, `namespace/${ns}`);
    return Number(kv(v ?? '').get(stat) ?? NaN);
  }
}
