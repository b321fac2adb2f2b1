/**
 * `strato`: starts a node. Without --config-file it uses the embedded default (namespace `test`
 * in memory on 127.0.0.1:3000).
 */
import { parseArgs } from 'node:util';
import { startNode } from '../server/start.js';
import { logger } from '../util/log.js';
import { STRATO_VERSION } from '../util/version.js';

const USAGE = `usage: strato [--config-file <path>] [--port <n>] [--address <ip>]

  --config-file <path>  aerospike.conf-format configuration (default: embedded, namespace 'test')
  --port <n>            service port (overrides the config file; 0 = any free port)
  --address <ip>        service address (overrides the config file)
  --version             print the version and exit
  --help                this text
`;

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        'config-file': { type: 'string' },
        port: { type: 'string' },
        address: { type: 'string' },
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
  try {
    running = await startNode({ configFile: args.values['config-file'], port, address: args.values.address });
  } catch (e) {
    process.stderr.write(`strato: ${(e as Error).message}\n`);
    process.exit(1);
  }
  if (stopSignal) stop(stopSignal);
}

void main();
