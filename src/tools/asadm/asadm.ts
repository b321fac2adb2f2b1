/**
 * `asadm`: Aerospike's admin shell over the info and admin protocols. Flags: -h/--host
 * (host[:port] or host:tlsname:port, a comma list of seeds), -p/--port, -U/--user, -P/--password
 * (alone: read from stdin), --auth INTERNAL|PKI, --enable (privileged mode, needed for manage
 * commands), -e/--execute "<commands; separated by ;>", -t/--timeout <ms>, and the tools' --tls-*
 * options (tls-args.ts). With -U (or --auth PKI) every connection logs in. Without -e it reads
 * commands from stdin, one a line, prompting `Admin> ` (`Admin+> ` once `enable`d).
 * The nodes are the seeds and every peer they report (peers-clear-std; peers-tls-std over TLS).
 */
import { Options, UsageError, parseCommandLine, parseHosts, type OptionSpec } from '../cli-args.js';
import { applyToolAuth, readStdinLine, readToolAuth, type ToolAuth } from '../auth-args.js';
import { applyToolTls, readToolTls, TLS_OPTION_SPECS, TLS_USAGE, type ToolTls } from '../tls-args.js';
import { AdminCluster, DiscoveryError } from './cluster.js';
import { HELP, runCommand, type Session } from './commands.js';
import { LineSource } from './input.js';

const SPECS: OptionSpec[] = [
  { long: 'host', short: 'h', value: 'required' },
  { long: 'port', short: 'p', value: 'required' },
  { long: 'user', short: 'U', value: 'required' },
  { long: 'password', short: 'P', value: 'optional' },
  { long: 'execute', short: 'e', value: 'required' },
  { long: 'timeout', short: 't', value: 'required' },
  { long: 'auth', value: 'required' },
  { long: 'enable', value: 'none' },
  { long: 'help', value: 'none' },
  ...TLS_OPTION_SPECS,
];

export const ASADM_USAGE = `Usage: asadm [-h host[:port][,...]] [-p port] [-e "command; command"] [-t timeout-ms]
  -h, --host       seed node(s) host[:port] or host:tlsname:port (default 127.0.0.1); the rest of
                   the cluster is found from them
  -p, --port       service port (default 3000)
  -e, --execute    run these commands (separated by ';') and exit; without it, read commands from stdin
  -t, --timeout    milliseconds to wait for each node's answer (default 3000)
  -U, --user       log in as this user (a node with a security stanza)
  -P, --password   the user's password; -P alone reads it from standard input
  --auth           INTERNAL (the default) or PKI (the TLS client certificate names the user)
  --enable         privileged mode from the start (manage commands need it, as in asadm)
${TLS_USAGE}
${HELP}`;

/** asadm's exit code after it logged an error (its logger's error level sets it). */
export const EXIT_LOGGED_ERROR = 2;

/** The prompt of interactive mode, as asadm's. */
export const PROMPT = 'Admin> ';
/** The prompt in privileged mode. */
export const PROMPT_ENABLED = 'Admin+> ';

interface Io {
  out(text: string): void;
  err(text: string): void;
  input: NodeJS.ReadableStream;
}

/** Runs asadm; returns the process exit code. */
export async function runAsadm(argv: string[], io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), input: process.stdin }): Promise<number> {
  let opts: Options;
  let seeds: { host: string; port: number; tlsName?: string }[];
  let timeoutMs: number;
  let auth: ToolAuth | undefined;
  let tls: ToolTls | undefined;
  try {
    opts = new Options(parseCommandLine(argv, SPECS));
    if (opts.has('help')) {
      io.out(`${ASADM_USAGE}`);
      return 0;
    }
    seeds = parseHosts(opts.str('host') ?? '127.0.0.1', opts.int('port', 3000, 1, 65535, 'port'));
    timeoutMs = opts.int('timeout', 3000, 1, 3_600_000, 'timeout');
    tls = readToolTls(opts);
    auth = readToolAuth(opts, { tls: true });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`${e.message}\n${ASADM_USAGE}`);
    return 1;
  }
  if (tls) await applyToolTls(tls, readStdinLine);
  const lines = new LineSource(io.input, io.err, io.out);
  if (auth && 'user' in auth && auth.password === undefined) {
    // `-P` alone, as asadm: `Enter Password:` without echo on a terminal, else stdin's first line
    auth = { user: auth.user, password: await lines.loginPassword('Enter Password:') };
  }
  if (auth) await applyToolAuth(auth);
  const session: Session = { enabled: opts.has('enable'), user: auth && 'user' in auth ? auth.user : undefined, secret: (prompt) => lines.secret(prompt) };
  const cluster = new AdminCluster(seeds, timeoutMs);
  const execute = opts.str('execute');
  try {
    await cluster.discover();
  } catch (e) {
    // asadm logs each refusal and then that no cluster was found; its exit code is that of a
    // logged error (2) with -e, and 1 from its interactive shell
    const lines = e instanceof DiscoveryError ? e.lines : [(e as Error).message];
    io.err(lines.map((l) => `ERROR: ${l}\n`).join(''));
    return execute !== undefined ? EXIT_LOGGED_ERROR : 1;
  }
  if (execute !== undefined) {
    const failed = await runLine(cluster, execute, io, session);
    lines.close();
    return failed ? EXIT_LOGGED_ERROR : 0;
  }
  io.out(`Seed:        ${seeds.map((s) => `('${s.host}', ${s.port}, ${s.tlsName === undefined ? 'None' : `'${s.tlsName}'`})`).join(', ')}\nConfig_file: none\nStrato asadm - ${cluster.nodes.length} node(s) found\n`);
  const prompt = () => io.out(session.enabled ? PROMPT_ENABLED : PROMPT);
  prompt();
  // as asadm's shell: once a command logged an error, the session's exit code is 2
  let failed = false;
  for (let line = await lines.next(); line !== undefined; line = await lines.next()) {
    const cmd = line.trim();
    if (cmd === 'exit' || cmd === 'quit') break;
    if (cmd !== '') {
      await cluster.discover().catch(() => undefined); // nodes may have come or gone
      failed = (await runLine(cluster, cmd, io, session)) || failed;
    }
    prompt();
  }
  lines.close();
  io.out('\n');
  return failed ? EXIT_LOGGED_ERROR : 0;
}

/** asadm's commands whose first word names a family (`show pmap`): its headers leave that word out. */
const MULTILEVEL_COMMANDS = ['show', 'info', 'manage'];

/**
 * Runs a line of `;`-separated commands; true when one failed. With more than one, asadm prints
 * `~~~ <command> ~~~` before each (without the family word of a two-word command).
 */
async function runLine(cluster: AdminCluster, line: string, io: Io, session: Session): Promise<boolean> {
  const cmds = line.split(';').filter((s) => s.trim() !== '');
  let failed = false;
  for (const cmd of cmds) {
    if (cmds.length > 1) {
      const words = cmd.trim().split(/\s+/);
      const index = words.length > 1 && MULTILEVEL_COMMANDS.some((m) => m.startsWith(words[0]!)) ? 1 : 0;
      io.out(`\n~~~ ${words.slice(index).join(' ')} ~~~\n`);
    }
    failed = (await runOne(cluster, cmd, io, session)) || failed;
  }
  return failed;
}

async function runOne(cluster: AdminCluster, cmd: string, io: Io, session: Session): Promise<boolean> {
  try {
    const r = await runCommand(cluster, cmd, session);
    if (r.err) io.err(r.err);
    (r.failed ? io.err : io.out)(r.out.endsWith('\n') || r.out === '' ? r.out : `${r.out}\n`);
    return r.failed;
  } catch (e) {
    io.err(`ERROR: ${(e as Error).message}\n`);
    return true;
  }
}
