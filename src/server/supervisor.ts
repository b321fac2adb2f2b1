/**
 * The host supervisor: a `strato` start with nodes-per-host > 1 runs here. It derives every node's
 * plan (host-nodes.ts), starts one child process per node, restarts a child that dies (it rejoins
 * the cluster on its own ports, node id and files), logs a host ticker with per-node and host
 * totals, and on SIGTERM/SIGINT stops every node cleanly (each leaves the cluster) before exiting.
 * The supervisor holds no data and serves no client: the children are ordinary nodes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { logger } from '../util/log.js';
import { HOST_NODE_ENV, planHostNodes, type HostNodePlan } from './host-nodes.js';
import type { StratoRuntimeConfig } from './node-config.js';
import type { NodeSummary } from './host-summary.js';

/** A child that dies is started again after this long, doubled per quick repeat up to the cap. */
export const RESTART_DELAY_MIN_MS = 250;
export const RESTART_DELAY_MAX_MS = 30_000;
/** A child that ran at least this long before dying restarts after the minimum delay again. */
const RESTART_STABLE_MS = 60_000;
/** Children not gone this long after SIGTERM are killed. */
const STOP_TIMEOUT_MS = 30_000;
/** The first start of every node must finish within this long. */
const START_TIMEOUT_MS = 120_000;
/** A child answers a stats request within this long, else the host ticker shows it as silent. */
const STATS_TIMEOUT_MS = 2_000;

/** IPC from a child: it listens; or its answer to a stats request. */
export type ChildMessage =
  | { type: 'ready'; port: number; nodeId: string }
  | { type: 'stats'; seq: number; stats: NodeSummary };
/** IPC to a child. */
export type SupervisorMessage = { type: 'stats'; seq: number };


interface Child {
  plan: HostNodePlan;
  proc: ChildProcess | undefined;
  nodeId: string;
  ready: boolean;
  startedMs: number;
  restartDelayMs: number;
  restarts: number;
  restartTimer?: NodeJS.Timeout;
}

export interface SupervisorOptions {
  config: StratoRuntimeConfig;
  count: number;
  /** argv for each child: the CLI script and the flags it was given (config file, address) */
  childArgs: string[];
  cliPath: string;
}

/** Runs the host; resolves with the exit code once every child stopped after a signal. */
export async function runSupervisor(opts: SupervisorOptions): Promise<number> {
  const log = logger.context('as', 'supervisor.ts');
  const raw = opts.config.raw;
  const address = raw.network.service.addresses[0] ?? '127.0.0.1';
  const ports = raw.network.service.port === 0 ? await freePortTriples(opts.count, address === 'any' || address === '0.0.0.0' ? '127.0.0.1' : address) : undefined;
  const plans = planHostNodes(raw, opts.count, ports);
  const children: Child[] = plans.map((plan) => ({ plan, proc: undefined, nodeId: '', ready: false, startedMs: 0, restartDelayMs: RESTART_DELAY_MIN_MS, restarts: 0 }));
  let stopping = false;
  let everyoneReady = false;
  let failStart: ((e: Error) => void) | undefined;
  const statsWaiters = new Map<number, (s: NodeSummary) => void>();
  let statsSeq = 0;

  const start = (c: Child) => {
    c.ready = false;
    c.startedMs = Date.now();
    const proc = fork(opts.cliPath, opts.childArgs, {
      env: { ...process.env, [HOST_NODE_ENV]: JSON.stringify(c.plan) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    c.proc = proc;
    proc.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') {
        c.ready = true;
        c.nodeId = m.nodeId;
        log.info(`node ${c.plan.index} (${m.nodeId}, pid ${proc.pid}) ready on port ${m.port}`);
        maybeAllReady();
      } else if (m.type === 'stats') statsWaiters.get(m.seq)?.(m.stats);
    });
    proc.on('exit', (code, signal) => {
      c.proc = undefined;
      if (stopping) return;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (!everyoneReady && !c.ready) {
        failStart?.(new Error(`node ${c.plan.index} exited with ${how} before it was ready`));
        return;
      }
      // a node that crashed: start it again on the same ports, node id and files - it rejoins
      if (Date.now() - c.startedMs >= RESTART_STABLE_MS) c.restartDelayMs = RESTART_DELAY_MIN_MS;
      log.warning(`node ${c.plan.index} (pid ${proc.pid}) exited with ${how}; restarting it in ${c.restartDelayMs} ms`);
      c.restarts++;
      c.restartTimer = setTimeout(() => {
        c.restartTimer = undefined;
        if (!stopping) start(c);
      }, c.restartDelayMs);
      c.restartDelayMs = Math.min(RESTART_DELAY_MAX_MS, c.restartDelayMs * 2);
    });
  };

  let allReady: () => void = () => undefined;
  const maybeAllReady = () => {
    if (!everyoneReady && children.every((c) => c.ready)) {
      everyoneReady = true;
      allReady();
    }
  };

  const stopAll = async (signal: NodeJS.Signals): Promise<boolean> => {
    stopping = true;
    let clean = true;
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.restartTimer) clearTimeout(c.restartTimer);
            const proc = c.proc;
            if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
            const kill = setTimeout(() => {
              clean = false;
              proc.kill('SIGKILL');
            }, STOP_TIMEOUT_MS);
            proc.once('exit', (code) => {
              clearTimeout(kill);
              if (code !== 0) clean = false;
              resolve();
            });
            proc.kill(signal);
          }),
      ),
    );
    return clean;
  };

  // signals first: a SIGTERM during start-up still stops every child
  let signalled: ((s: NodeJS.Signals) => void) | undefined;
  const pendingSignal = new Promise<NodeJS.Signals>((resolve) => (signalled = resolve));
  process.on('SIGTERM', () => signalled?.('SIGTERM'));
  process.on('SIGINT', () => signalled?.('SIGINT'));

  log.info(`starting ${opts.count} nodes on this host (nodes-per-host ${opts.count}), seed ${address}:${plans[0]!.servicePort}`);
  const started = new Promise<void>((resolve, reject) => {
    allReady = resolve;
    failStart = reject;
    setTimeout(() => reject(new Error(`the host's nodes did not all start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS).unref();
  });
  for (const c of children) start(c);
  const first = await Promise.race([started.then(() => 'started' as const, (e: Error) => e), pendingSignal]);
  if (first instanceof Error) {
    log.warning(`${first.message} - stopping the host`);
    await stopAll('SIGTERM');
    process.stderr.write(`strato: ${first.message}\n`);
    return 1;
  }
  if (first !== 'started') {
    await stopAll('SIGTERM');
    return 0;
  }
  const seed = `${address}:${children[0]!.plan.servicePort}`;
  log.info(`host ready: ${opts.count} nodes [${children.map((c) => `${c.nodeId}@${c.plan.servicePort}`).join(', ')}], seed ${seed}`);

  const askStats = (c: Child) =>
    new Promise<NodeSummary | undefined>((resolve) => {
      const proc = c.proc;
      if (!proc?.connected || !c.ready) return resolve(undefined);
      const seq = ++statsSeq;
      const t = setTimeout(() => {
        statsWaiters.delete(seq);
        resolve(undefined);
      }, STATS_TIMEOUT_MS);
      statsWaiters.set(seq, (s) => {
        clearTimeout(t);
        statsWaiters.delete(seq);
        resolve(s);
      });
      proc.send({ type: 'stats', seq } satisfies SupervisorMessage);
    });
  let ticker: NodeJS.Timeout | undefined;
  const tick = async () => {
    const all = await Promise.all(children.map(askStats));
    const total = { objects: 0, clientConnections: 0, reads: 0, writes: 0, rssBytes: 0 };
    all.forEach((s, i) => {
      const c = children[i]!;
      if (!s) {
        log.info(`{host} node ${i} ${c.nodeId || '-'} port ${c.plan.servicePort}: not answering (restarts ${c.restarts})`);
        return;
      }
      log.info(`{host} node ${i} ${c.nodeId} port ${c.plan.servicePort}: objects ${s.objects} client-connections ${s.clientConnections} reads ${s.reads} writes ${s.writes} rss ${s.rssBytes} cluster-size ${s.clusterSize} restarts ${c.restarts}`);
      total.objects += s.objects;
      total.clientConnections += s.clientConnections;
      total.reads += s.reads;
      total.writes += s.writes;
      total.rssBytes += s.rssBytes;
    });
    const up = all.filter((s) => s !== undefined).length;
    log.info(`{host} total: nodes ${up}/${children.length} up objects ${total.objects} client-connections ${total.clientConnections} reads ${total.reads} writes ${total.writes} rss ${total.rssBytes}`);
    schedule();
  };
  const schedule = () => {
    ticker = setTimeout(() => void tick(), Math.max(1, opts.config.tickerIntervalSec) * 1000);
  };
  schedule();

  const signal = await pendingSignal;
  if (ticker) clearTimeout(ticker);
  log.info(`received ${signal}, stopping the host's ${children.length} nodes`);
  const clean = await stopAll('SIGTERM');
  log.info(clean ? 'every node of the host stopped cleanly - exiting' : 'some nodes of the host did not stop cleanly - exiting');
  return clean ? 0 : 1;
}

/** `n` triples of ports the OS says are free now (bound together, then released). */
async function freePortTriples(n: number, host: string): Promise<[number, number, number][]> {
  const servers = await Promise.all(
    Array.from(
      { length: 3 * n },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, host, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return Array.from({ length: n }, (_, i) => [ports[3 * i]!, ports[3 * i + 1]!, ports[3 * i + 2]!]);
}
