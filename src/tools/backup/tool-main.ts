/**
 * The entry flow both tools share: parse the options, answer --help / --version, report a usage
 * error the way Aerospike's tools do, then run and turn an unexpected error into exit code 1.
 */
import { applyToolAuth, readStdinLine, type ToolAuth } from '../auth-args.js';
import { applyToolTls, type ToolTls } from '../tls-args.js';
import { UsageError } from '../cli-args.js';
import type { ParseOutcome } from './backup-args.js';
import { ToolLog } from './progress.js';

export interface ToolSpec<T extends { verbose: boolean }> {
  usage: string;
  version: string;
  parse(argv: string[], env: NodeJS.ProcessEnv): ParseOutcome<T>;
  run(cfg: T, log: ToolLog): Promise<number>;
}

/** Runs a tool with `argv` (options only); resolves with the exit code. */
export async function runTool<T extends { verbose: boolean; auth?: ToolAuth | undefined; tls?: ToolTls | undefined }>(spec: ToolSpec<T>, argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let cfg: T;
  try {
    const parsed = spec.parse(argv, env);
    if (parsed.kind === 'help') {
      process.stdout.write(spec.usage);
      return 0;
    }
    if (parsed.kind === 'version') {
      process.stdout.write(`${spec.version}\n`);
      return 0;
    }
    cfg = parsed.config;
  } catch (e) {
    if (e instanceof UsageError) {
      new ToolLog(false).error(e.message);
      process.stderr.write('Run with --help for usage information and flag options\n');
      return 1;
    }
    throw e;
  }
  const log = new ToolLog(cfg.verbose);
  try {
    if (cfg.tls) await applyToolTls(cfg.tls, readStdinLine);
    if (cfg.auth) await applyToolAuth(cfg.auth);
    return await spec.run(cfg, log);
  } catch (e) {
    log.error((e as Error).message);
    return 1;
  }
}
