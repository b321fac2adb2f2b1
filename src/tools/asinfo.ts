/**
 * `asinfo`: sends an info command to one node and prints the answer, with Aerospike's asinfo
 * flags: -h/--host, -p/--port, -v/--value <command>, -l/--lines (one item per line),
 * -t/--timeout <ms>, -U/-P (accepted; Community Edition has no security). Without -v it prints
 * the node's default summary, numbered as asinfo does. `--host-nodes` (Strato) runs the command on
 * every node the addressed node's `strato` start runs (its `host-nodes` answer), prints each
 * node's answer and a host total adding up every numeric `name=value` item.
 */
import { WireConnection } from '../client/wire-connection.js';
import { Options, UsageError, parseCommandLine, parseHosts, type OptionSpec } from './cli-args.js';
import { applyToolAuth, readStdinLine, readToolAuth, type ToolAuth } from './auth-args.js';
import { applyToolTls, readToolTls, TLS_OPTION_SPECS, TLS_USAGE, type ToolTls } from './tls-args.js';

const SPECS: OptionSpec[] = [
  { long: 'host', short: 'h', value: 'required' },
  { long: 'port', short: 'p', value: 'required' },
  { long: 'value', short: 'v', value: 'required' },
  { long: 'lines', short: 'l', value: 'none' },
  { long: 'timeout', short: 't', value: 'required' },
  { long: 'user', short: 'U', value: 'required' },
  { long: 'password', short: 'P', value: 'optional' },
  { long: 'auth', value: 'required' },
  { long: 'host-nodes', value: 'none' },
  { long: 'help', value: 'none' },
  ...TLS_OPTION_SPECS,
];

export const ASINFO_USAGE = `Usage: asinfo [-h host] [-p port] [-v command] [-l] [-t timeout-ms]
  -h, --host       node address (default 127.0.0.1); host:port also accepted
  -p, --port       service port (default 3000)
  -v, --value      the info command to send; without it, the node's summary
  -l, --lines      print each ';'-separated item on its own line
  -t, --timeout    milliseconds to wait for the answer (default 1000)
  -U, --user       log in as this user (a node with a security stanza); none: no login
  -P, --password   the user's password; -P alone reads it from standard input
  --auth           INTERNAL (the default) or PKI (the TLS client certificate names the user)
  --host-nodes     run the command on every node of that node's host (nodes-per-host), one
                   answer per node, then the host total of every numeric name=value item
${TLS_USAGE}`;

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
  let tlsName: string | undefined;
  let timeoutMs: number;
  let auth: ToolAuth | undefined;
  let tls: ToolTls | undefined;
  try {
    const defaultPort = opts.int('port', 3000, 1, 65535, 'port');
    [{ host, port, tlsName }] = parseHosts(opts.str('host') ?? '127.0.0.1', defaultPort) as [{ host: string; port: number; tlsName?: string }];
    timeoutMs = opts.int('timeout', 1000, 1, 3_600_000, 'timeout');
    tls = readToolTls(opts);
    auth = readToolAuth(opts, { tls: true });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`${e.message}\n`);
    return 1;
  }
  if (tls) await applyToolTls(tls, readStdinLine);
  if (auth) await applyToolAuth(auth);
  const command = opts.str('value');
  const lines = opts.has('lines');
  if (opts.has('host-nodes')) {
    if (command === undefined) {
      io.err(`--host-nodes needs a command (-v)\n${ASINFO_USAGE}\n`);
      return 1;
    }
    return hostNodes(host, port, command, timeoutMs, lines, io);
  }
  let answer: Map<string, string>;
  try {
    answer = await withTimeout(timeoutMs, async () => {
      const conn = await WireConnection.open(host, port, timeoutMs, tlsName);
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

async function infoOne(host: string, port: number, command: string, timeoutMs: number): Promise<string> {
  const answer = await withTimeout(timeoutMs, async () => {
    const conn = await WireConnection.open(host, port, timeoutMs);
    try {
      return await conn.info([command]);
    } finally {
      conn.close();
    }
  });
  return answer.get(command) ?? [...answer.values()][0] ?? '';
}

/** `--host-nodes`: the command on each node of the host, then the host's numeric totals. */
async function hostNodes(host: string, port: number, command: string, timeoutMs: number, lines: boolean, io: Io): Promise<number> {
  let nodes: { index: string; host: string; port: number }[];
  try {
    const list = await infoOne(host, port, 'host-nodes', timeoutMs);
    nodes = list.split(';').map((item) => {
      const m = /^(\d+)=(.+):(\d+)$/.exec(item);
      if (!m) throw new Error(`unexpected host-nodes answer '${list}'`);
      return { index: m[1]!, host: m[2]!, port: Number(m[3]) };
    });
  } catch (e) {
    io.err(`request to ${host}:${port} returned error: ${(e as Error).message}\n`);
    return 1;
  }
  const totals = new Map<string, number>();
  let failed = 0;
  for (const n of nodes) {
    let value: string;
    try {
      value = await infoOne(n.host, n.port, command, timeoutMs);
    } catch (e) {
      failed++;
      io.out(`node ${n.index} ${n.host}:${n.port}: error: ${(e as Error).message}\n`);
      continue;
    }
    io.out(`node ${n.index} ${n.host}:${n.port}:\n${lines ? value.split(';').filter((x) => x.length > 0).join('\n') : value}\n`);
    for (const item of value.split(';')) {
      const eq = item.indexOf('=');
      if (eq <= 0) continue;
      const v = item.slice(eq + 1);
      if (!/^-?\d+(\.\d+)?$/.test(v)) continue;
      const k = item.slice(0, eq);
      totals.set(k, (totals.get(k) ?? 0) + Number(v));
    }
  }
  const sum = [...totals].map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(3)}`);
  io.out(`host total (${nodes.length - failed} of ${nodes.length} nodes):\n${lines ? sum.join('\n') : sum.join(';')}\n`);
  return failed > 0 ? 1 : 0;
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
