/**
 * Several nodes per host: one `strato` start runs one full node per core (its own process,
 * service port, partitions, memory and files), and the host's nodes form one cluster through the
 * ordinary mesh heartbeats and fabric. This module derives each node's configuration from the one
 * file the user wrote, so nobody writes N files: ports, node ids, work directories, memory
 * budgets and device files. Pure functions; `supervisor.ts` runs the processes.
 */
import { join } from 'node:path';
import type { StratoConfig } from '../config/model.js';
import { parseNodeId } from '../cluster/node-id.js';
import { deriveNodeId } from './node.js';

/** Node i's service, fabric and heartbeat ports are the configured ones plus i × this. */
export const HOST_NODE_PORT_STRIDE = 10;
/** Most nodes one start runs (a cluster holds at most 256 nodes; leave room for other hosts). */
export const MAX_NODES_PER_HOST = 128;
/** Environment variable carrying a child's plan (JSON HostNodePlan) from the supervisor. */
export const HOST_NODE_ENV = 'STRATO_HOST_NODE';

/** What the supervisor decides for node `index` of a host; the child applies it to its config. */
export interface HostNodePlan {
  index: number;
  count: number;
  /** the host's id (hex): node 0's node id; every node of the host sends it with its exchange */
  hostIdHex: string;
  servicePort: number;
  fabricPort: number;
  heartbeatPort: number;
  /** node 0's heartbeat port: every other node of the host seeds its mesh with it */
  seedHeartbeatPort: number;
  /** every node's service port, by index (the `host-nodes` info command lists them) */
  servicePorts: number[];
}

/**
 * The work directory of node `index` of `count`: the configured one for a single node (today's
 * layout), `<work-directory>/node-<index>` when a host runs several. The one place that names it,
 * so the work-directory lock and per-node defaults use the same path.
 */
export function nodeWorkDirectory(base: string, index: number, count: number): string {
  return count <= 1 ? base : join(base, `node-${index}`);
}

/** A device or persistence file of node `index`: `<path>.node<index>` when files are not divided. */
export function nodeFilePath(path: string, index: number): string {
  return `${path}.node${index}`;
}

/**
 * Plans every node of a host. `ports` gives explicit [service, fabric, heartbeat] triples (used
 * when the configured service port is 0: the supervisor asks the OS for free ones); otherwise
 * node i adds i × HOST_NODE_PORT_STRIDE to each configured port. Throws naming the clash when
 * two derived ports coincide.
 */
export function planHostNodes(raw: StratoConfig, count: number, ports?: [number, number, number][]): HostNodePlan[] {
  if (!(Number.isInteger(count) && count >= 1 && count <= MAX_NODES_PER_HOST)) throw new RangeError(`nodes-per-host must be 1..${MAX_NODES_PER_HOST}, got ${count}`);
  const base: [number, number, number] = [raw.network.service.port, raw.network.fabric.port, raw.network.heartbeat.port];
  const triples = Array.from({ length: count }, (_, i) => ports?.[i] ?? (base.map((p) => p + i * HOST_NODE_PORT_STRIDE) as [number, number, number]));
  const seen = new Map<number, string>();
  triples.forEach((t, i) =>
    t.forEach((p, k) => {
      const what = `node ${i} ${['service', 'fabric', 'heartbeat'][k]} port ${p}`;
      if (p < 1 || p > 65535) throw new RangeError(`${what} is outside 1..65535 (nodes-per-host ${count}, port stride ${HOST_NODE_PORT_STRIDE})`);
      const other = seen.get(p);
      if (other) throw new RangeError(`${what} is also ${other}: with nodes-per-host ${count} ports are the configured ones + ${HOST_NODE_PORT_STRIDE} × node index`);
      seen.set(p, what);
    }),
  );
  const first = triples[0]!;
  const hostIdHex = firstNodeIdHex(raw, first[0]);
  return triples.map(([servicePort, fabricPort, heartbeatPort], index) => ({
    index,
    count,
    hostIdHex,
    servicePort,
    fabricPort,
    heartbeatPort,
    seedHeartbeatPort: first[2],
    servicePorts: triples.map((t) => t[0]),
  }));
}

function firstNodeIdHex(raw: StratoConfig, servicePort: number): string {
  return raw.service.nodeId ?? deriveNodeId(servicePort);
}

/**
 * Rewrites a parsed configuration into node `plan.index`'s own (in place): its ports; a mesh
 * heartbeat seeded with node 0 (added to any configured seeds, or turned on when the file has no
 * heartbeat stanza); node-id + index when one is configured (else derived from the port, as for
 * any node); its work directory; memory `data-size` divided by the node count; and device or
 * persistence files divided among the nodes when there are at least as many files as nodes
 * (file k goes to node k mod count), else each file named per node (`<path>.node<i>`, each
 * `filesize` long).
 */
export function applyHostNodePlan(raw: StratoConfig, plan: HostNodePlan): void {
  const { index, count } = plan;
  const net = raw.network;
  net.service.port = plan.servicePort;
  net.fabric.port = plan.fabricPort;
  const hb = net.heartbeat;
  hb.port = plan.heartbeatPort;
  if (count > 1) {
    if (hb.mode === undefined) {
      hb.mode = 'mesh';
      if (hb.addresses.length === 0) hb.addresses = net.service.addresses.filter((a) => a !== 'any').slice(0, 1);
    }
    if (hb.mode === 'mesh' && index > 0) {
      const seedHost = hb.addresses[0] === undefined || hb.addresses[0] === 'any' || hb.addresses[0] === '0.0.0.0' ? '127.0.0.1' : hb.addresses[0];
      if (!hb.meshSeeds.some((s) => s.port === plan.seedHeartbeatPort && s.host === seedHost)) hb.meshSeeds.push({ host: seedHost, port: plan.seedHeartbeatPort });
    }
    // each node of the host serves its own /metrics: node i on the configured http port + i
    if (net.http && net.http.port !== 0) net.http.port += index;
    // and its own TLS service port and admin ports, a stride apart as the clear ports
    const stride = index * HOST_NODE_PORT_STRIDE;
    if (net.service.tlsPort !== 0) net.service.tlsPort += stride;
    if (net.admin.port !== 0) net.admin.port += stride;
    if (net.admin.tlsPort !== 0) net.admin.tlsPort += stride;
    if (raw.service.nodeId !== undefined) raw.service.nodeId = (parseNodeId(raw.service.nodeId) + BigInt(index)).toString(16).toUpperCase();
    raw.service.workDirectory = nodeWorkDirectory(raw.service.workDirectory, index, count);
    for (const ns of raw.namespaces) {
      const st = ns.storage;
      if (st.kind === 'memory') st.dataSizeBytes = Math.floor(st.dataSizeBytes / count);
      if (st.files.length >= count) st.files = st.files.filter((_, k) => k % count === index);
      else st.files = st.files.map((f) => ({ ...f, path: nodeFilePath(f.path, index) }));
    }
  }
}

/** Parses a plan passed through HOST_NODE_ENV; throws on anything malformed. */
export function parseHostNodePlan(text: string): HostNodePlan {
  const p = JSON.parse(text) as HostNodePlan;
  const ints = [p.index, p.count, p.servicePort, p.fabricPort, p.heartbeatPort, p.seedHeartbeatPort];
  const ok =
    ints.every((x) => Number.isInteger(x) && x >= 0) &&
    p.index < p.count &&
    typeof p.hostIdHex === 'string' &&
    Array.isArray(p.servicePorts) &&
    p.servicePorts.length === p.count &&
    p.servicePorts.every((x) => Number.isInteger(x) && x > 0 && x <= 65535);
  if (!ok) throw new Error(`bad ${HOST_NODE_ENV}: ${text}`);
  parseNodeId(p.hostIdHex);
  return p;
}

/**
 * The `host-nodes` info answer (Strato extension): every node this start runs, as
 * `<index>=<address>:<service port>;...` — a single node lists itself. `asinfo --host-nodes`
 * reads it to run a command on each node of the host and add up the figures.
 */
export function hostNodesValue(address: string, servicePort: number, plan: HostNodePlan | undefined): string {
  const host = address === '0.0.0.0' ? '127.0.0.1' : address;
  if (!plan) return `0=${host}:${servicePort}`;
  return plan.servicePorts.map((port, i) => `${i}=${host}:${i === plan.index ? servicePort : port}`).join(';');
}
