/**
 * `asinfo`: sends an info command to one node and prints the answer, with Aerospike's asinfo
 * flags: -h/--host, -p/--port, -v/--value <command>, -l/--lines (one item per line),
 * -t/--timeout <ms>, -U/-P (accepted; Community Edition has no security). Without -v it prints
 * the node's default summary, numbered as asinfo does.
 */
import { WireConnection } from '../client/wire-connection.js';
import { Options, UsageError, parseCommandLine, parseHosts, type OptionSpec } from './cli-args.js';

const SPECS: OptionSpec[] = [
  { long: 'host', short: 'h', value: 'required' },
  { long: 'port', short: 'p', value: 'required' },
  { long: 'value', short: 'v', value: 'required' },
  { long: 'lines', short: 'l', value: 'none' },
  { long: 'timeout', short: 't', value: 'required' },
  { long: 'user', short: 'U', value: 'required' },
  { long: 'password', short: 'P', value: 'optional' },
  { long: 'help', value: 'none' },
];

export const ASINFO_USAGE = `Usage: asinfo [-h host] [-p port] [-v command] [-l] [-t timeout-ms]
  -h, --host       node address (default 127.0.0.1); host:port also accepted
  -p, --port       service port (default 3000)
  -v, --value      the info command to send; without it, the node's summary
  -l, --lines      print each ';'-separated item on its own line
  -t, --timeout    milliseconds to wait for the answer (default 1000)
  -U, --user / -P, --password   accepted (no security in Community Edition)`;

interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Runs asinfo; returns the process exit code. */
export async function runAsinfo(argv: string[], io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): Promise<number> {
  let opts: Options;
  try {
    opts = new Options(parseCommandLine(argv, SPECS));
  } catch (e) {
    io.err(`${(e as Error).message}\n${ASINFO_USAGE}\n`);
    return 1;
  }
  if (opts.has('help')) {
    io.out(`${ASINFO_USAGE}\n`);
    return 0;
  }
  let host: string;
  let port: number;
  let timeoutMs: number;
  try {
    const defaultPort = opts.int('port', 3000, 1, 65535, 'port');
    [{ host, port }] = parseHosts(opts.str('host') ?? '127.0.0.1', defaultPort) as [{ host: string; port: number }];
    timeoutMs = opts.int('timeout', 1000, 1, 3_600_000, 'timeout');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`${e.message}\n`);
    return 1;
  }
  const command = opts.str('value');
  const lines = opts.has('lines');
  let answer: Map<string, string>;
  try {
    answer = await withTimeout(timeoutMs, async () => {
      const conn = await WireConnection.open(host, port, timeoutMs);
      try {
        return await conn.info(command === undefined ? [] : [command]);
      } finally {
        conn.close();
      }
    });
  } catch (e) {
    io.err(`request to ${host}:${port} returned error: ${(e as Error).message}\n`);
    return 1;
  }
  const show = (v: string) => (lines ? v.split(';').filter((x) => x.length > 0).join('\n') : v);
  if (command !== undefined) {
    const value = answer.get(command) ?? [...answer.values()][0] ?? '';
    io.out(`${show(value)}\n`);
    return /^error/i.test(value) ? 1 : 0;
  }
  let i = 1;
  for (const [name, value] of answer) io.out(`${i++} :  ${name}\n     ${show(value)}\n`);
  return 0;
}

async function withTimeout<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
