/**
 * `strato`: starts a node. Without --config-file it uses the embedded default (namespace `test`
 * in memory on 127.0.0.1:3000).
 */
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { startNode } from '../server/start.js';
import { logger } from '../util/log.js';
import { STRATO_VERSION } from '../util/version.js';
import { loadStratoConfig } from '../server/node-config.js';
import { HOST_NODE_ENV, MAX_NODES_PER_HOST, parseHostNodePlan, type HostNodePlan } from '../server/host-nodes.js';
import type { ChildMessage, SupervisorMessage } from '../server/supervisor.js';
import { summarizeNode } from '../server/host-summary.js';

/**
 * V8's old-generation growing factor for a node process, in percent over the live size (V8
 * chooses 10-300 by itself). A node's JavaScript heap is small (records, index and buffers live
 * outside it: ~12 MB old generation under load) while its young generation is 16 MB; V8 starts
 * incremental marking after a scavenge whenever the old generation has no more room left than
 * the young generation's size, which a small heap with the limit V8 picks (live + 16 MB) always
 * meets: measured under a 200k-record load, a mark-compact every 100-400 ms (20 in 4 s, pauses up
 * to 35 ms, write p99 2.4-3.7 ms). With 300% the old generation grows to 4x its live size first:
 * 3-7 mark-compacts in the same load, p99 0.6-1.0 ms, ~1 µs less CPU per write.
 */
const NODE_HEAP_GROWING_PERCENT = 300;

const USAGE = `usage: strato [--config-file <path>] [--port <n>] [--address <ip>] [--nodes-per-host <n>]

  --config-file <path>    aerospike.conf-format configuration (default: embedded, namespace 'test')
  --port <n>              service port (overrides the config file; 0 = any free port)
  --address <ip>          service address (overrides the config file)
  --nodes-per-host <n>    full nodes to run on this machine, one process each, forming one cluster
                          (overrides service nodes-per-host; default: one per core; 1 = one process)
  --version               print the version and exit
  --help                  this text
`;

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        'config-file': { type: 'string' },
        port: { type: 'string' },
        address: { type: 'string' },
        'nodes-per-host': { type: 'string' },
        help: { type: 'boolean' },
        version: { type: 'boolean' },
      },
      strict: true,
    });
  } catch (e) {
    process.stderr.write(`strato: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (args.values.version) {
    process.stdout.write(`strato ${STRATO_VERSION} (answers as Aerospike Community Edition 8.1.2.0)\n`);
    return;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return;
  }
  let port: number | undefined;
  if (args.values.port !== undefined) {
    port = Number(args.values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write(`strato: --port must be an integer 0..65535, got '${args.values.port}'\n`);
      process.exit(2);
    }
  }
  let nodesPerHost: number | undefined;
  if (args.values['nodes-per-host'] !== undefined) {
    nodesPerHost = Number(args.values['nodes-per-host']);
    if (!Number.isInteger(nodesPerHost) || nodesPerHost < 1 || nodesPerHost > MAX_NODES_PER_HOST) {
      process.stderr.write(`strato: --nodes-per-host must be an integer 1..${MAX_NODES_PER_HOST}, got '${args.values['nodes-per-host']}'\n`);
      process.exit(2);
    }
  }
  const planText = process.env[HOST_NODE_ENV];
  let hostNode: HostNodePlan | undefined;
  if (planText !== undefined) {
    hostNode = parseHostNodePlan(planText);
  } else {
    // how many nodes this start runs: the flag, else the file's nodes-per-host, else one per core
    let count = nodesPerHost;
    if (count === undefined) {
      try {
        const config = loadStratoConfig(args.values['config-file']);
        count = config.raw.service.nodesPerHost || availableParallelism();
      } catch (e) {
        process.stderr.write(`strato: ${(e as Error).message}\n`);
        process.exit(1);
      }
    }
    if (count > 1) {
      process.exit(await supervise(args.values['config-file'], port, args.values.address, count));
    }
  }
  // handlers go in first: a signal during startup still ends in a clean shutdown
  let running: Awaited<ReturnType<typeof startNode>> | undefined;
  let stopSignal: string | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    stopSignal = signal;
    if (stopping || !running) return;
    stopping = true;
    logger.context('as', 'strato.ts').info(`received ${signal}, shutting down`);
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  setFlagsFromString(`--heap-growing-percent=${NODE_HEAP_GROWING_PERCENT}`);
  try {
    // the node's code is loaded only here: a host supervisor, --version and --help never run it
    const { startNode } = await import('../server/start.js');
    running = await startNode({ configFile: args.values['config-file'], port, address: args.values.address, hostNode });
  } catch (e) {
    process.stderr.write(`strato: ${(e as Error).message}\n`);
    process.exit(1);
  }
  if (hostNode && process.send) {
    const node = running.node;
    process.send({ type: 'ready', port: running.port, nodeId: node.nodeId } satisfies ChildMessage);
    process.on('message', (m: SupervisorMessage) => {
      if (m.type === 'stats') process.send?.({ type: 'stats', seq: m.seq, stats: summarizeNode(node) } satisfies ChildMessage);
    });
    // the supervisor is gone (killed): this node leaves cleanly instead of running orphaned
    process.on('disconnect', () => stop('supervisor exit'));
  }
  if (stopSignal) stop(stopSignal);
}

/** Runs this start as the host supervisor of `count` nodes (src/server/supervisor.ts). */
async function supervise(configFile: string | undefined, port: number | undefined, address: string | undefined, count: number): Promise<number> {
  let config;
  try {
    config = loadStratoConfig(configFile);
  } catch (e) {
    process.stderr.write(`strato: ${(e as Error).message}\n`);
    return 1;
  }
  if (port !== undefined) config.raw.network.service.port = port;
  if (address !== undefined) config.raw.network.service.addresses = [address];
  logger.setSinks(config.logSinks);
  const childArgs: string[] = [];
  if (configFile !== undefined) childArgs.push('--config-file', configFile);
  if (port !== undefined) childArgs.push('--port', String(port));
  if (address !== undefined) childArgs.push('--address', address);
  try {
    const { runSupervisor } = await import('../server/supervisor.js');
    return await runSupervisor({ config, count, childArgs, cliPath: fileURLToPath(import.meta.url) });
  } catch (e) {
    process.stderr.write(`strato: ${(e as Error).message}\n`);
    return 1;
  }
}

void main();
