/**
 * `-U/--user`, `-P/--password` and `--auth` for the tools: every connection a tool opens logs in
 * (AUTHENTICATE with the clients' bcrypt credential); against a node without security the login
 * answers SECURITY_NOT_SUPPORTED/NOT_ENABLED and the tool goes on, as Aerospike's tools do.
 */
import { createInterface } from 'node:readline';
import { setWireAuth } from '../client/wire-connection.js';
import { clientCredential } from '../security/credential.js';
import { UsageError, type Options } from './cli-args.js';

/**
 * What the command line asked for: a user, and a password or a prompt for one; or PKI (the TLS
 * client certificate names the user).
 */
export type ToolAuth =
  | {
      user: string;
      /** undefined: prompt on the terminal (`-P` without a value) */
      password: string | undefined;
    }
  | { pki: true };

/**
 * Reads the options; undefined when no user was given. Throws UsageError for what cannot work.
 * @param tool whether the tool takes the --tls-* options (PKI needs them)
 */
export function readToolAuth(o: Options, tool: { tls: boolean } = { tls: false }): ToolAuth | undefined {
  const auth = o.str('auth')?.toUpperCase();
  if (auth !== undefined && auth !== 'INTERNAL' && !tool.tls) {
    throw new UsageError(`--auth ${o.str('auth')}: this tool supports INTERNAL authentication only (it has no TLS options, which PKI needs)`);
  }
  if (auth === 'PKI') {
    // as Aerospike's tools: PKI needs TLS and a client certificate, and takes no user or password
    if (!o.has('tls-enable') || !o.has('tls-certfile')) throw new UsageError('--auth PKI needs --tls-enable with --tls-certfile and --tls-keyfile');
    if (o.has('user') || o.has('password')) throw new UsageError('--auth PKI takes no -U/-P: the certificate names the user');
    return { pki: true };
  }
  if (auth !== undefined && auth !== 'INTERNAL') {
    throw new UsageError(`--auth ${o.str('auth')}: Strato supports INTERNAL and PKI authentication (EXTERNAL and EXTERNAL_INSECURE not yet)`);
  }
  const user = o.str('user');
  if (user === undefined) {
    if (o.has('password')) throw new UsageError('-P/--password needs -U/--user');
    return undefined;
  }
  const password = o.str('password');
  return { user, password: password === undefined || password === '' ? undefined : password };
}

/** Makes every later connection of this process log in as `auth.user` (prompting when asked). */
export async function applyToolAuth(auth: ToolAuth): Promise<void> {
  if ('pki' in auth) return setWireAuth({ pki: true });
  const password = auth.password ?? (await promptPassword(auth.user));
  setWireAuth({ user: auth.user, credential: clientCredential(password) });
}

async function promptPassword(user: string): Promise<string> {
  process.stderr.write(`Enter Password for User ${user}: `);
  return readStdinLine();
}

/** One line of standard input (a prompted secret). */
export async function readStdinLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) return line;
  } finally {
    rl.close();
  }
  throw new UsageError('no password given on standard input');
}
