/**
 * asrestore's command line: Aerospike's option names, defaults and validation rules
 * (restore_config.c), turned into a typed config.
 */
import { readToolAuth, type ToolAuth } from '../auth-args.js';
import { readToolTls, TLS_OPTION_SPECS, TLS_USAGE, type ToolTls } from '../tls-args.js';
import { Options, UsageError, parseCommandLine, parseHosts, parseQuotedList, type OptionSpec } from '../cli-args.js';
import { DEFAULT_PORT, type ParseOutcome } from './backup-args.js';
import { readKeyEnv, readKeyFile, type EncryptionMode } from './encryption.js';

export const DEFAULT_RESTORE_PARALLEL = 20;
export const DEFAULT_BATCH_SIZE = 128;
export const DEFAULT_SINGLE_PUT_BATCH_SIZE = 16;
export const DEFAULT_MAX_ASYNC_BATCHES = 32;
export const MAX_RESTORE_PARALLEL = 1024;

export interface RestoreConfig {
  hosts: { host: string; port: number; tlsName?: string }[];
  user?: string;
  /** -U/-P/--auth: every connection logs in (undefined: no login) */
  auth?: ToolAuth | undefined;
  /** --tls-*: every connection goes over TLS (undefined: clear) */
  tls?: ToolTls | undefined;
  directory?: string;
  inputFile?: string;
  /** -n src[,dst] */
  namespaceSrc?: string;
  namespaceDst?: string;
  parallel: number;
  binList?: string[];
  setList?: string[];
  unique: boolean;
  replace: boolean;
  noGeneration: boolean;
  ignoreRecordError: boolean;
  extraTtl: number;
  /** --nice bandwidth (bytes/s) and records per second; 0 = unlimited */
  bandwidthBytes: number;
  tps: number;
  noRecords: boolean;
  noIndexes: boolean;
  noUdfs: boolean;
  disableBatchWrites: boolean;
  batchSize: number;
  maxAsyncBatches: number;
  timeoutMs: number;
  socketTimeoutMs: number;
  totalTimeoutMs: number;
  maxRetries: number;
  compress: boolean;
  encrypt?: { mode: EncryptionMode; key: Buffer };
  verbose: boolean;
}

export const RESTORE_OPTIONS: OptionSpec[] = [
  { long: 'host', short: 'h', value: 'required' },
  { long: 'port', short: 'p', value: 'required' },
  { long: 'user', short: 'U', value: 'required' },
  { long: 'password', short: 'P', value: 'optional' },
  { long: 'auth', short: 'A', value: 'required' },
  { long: 'services-alternate', short: 'S', value: 'none' },
  { long: 'namespace', short: 'n', value: 'required' },
  { long: 'directory', short: 'd', value: 'required' },
  { long: 'input-file', short: 'i', value: 'required' },
  { long: 'compress', short: 'z', value: 'required' },
  { long: 'encrypt', short: 'y', value: 'required' },
  { long: 'encryption-key-file', value: 'required' },
  { long: 'encryption-key-env', value: 'required' },
  { long: 'parallel', short: 't', value: 'required' },
  { long: 'threads', value: 'required' },
  { long: 'bin-list', short: 'B', value: 'required' },
  { long: 'set-list', short: 's', value: 'required' },
  { long: 'unique', short: 'u', value: 'none' },
  { long: 'replace', short: 'r', value: 'none' },
  { long: 'no-generation', short: 'g', value: 'none' },
  { long: 'ignore-record-error', value: 'none' },
  { long: 'extra-ttl', short: 'l', value: 'required' },
  { long: 'nice', short: 'N', value: 'required' },
  { long: 'no-records', short: 'R', value: 'none' },
  { long: 'no-indexes', short: 'I', value: 'none' },
  { long: 'indexes-last', short: 'L', value: 'none' },
  { long: 'no-udfs', short: 'F', value: 'none' },
  { long: 'wait', short: 'w', value: 'none' },
  { long: 'disable-batch-writes', value: 'none' },
  { long: 'batch-size', value: 'required' },
  { long: 'max-async-batches', value: 'required' },
  { long: 'timeout', short: 'T', value: 'required' },
  { long: 'socket-timeout', value: 'required' },
  { long: 'total-timeout', value: 'required' },
  { long: 'max-retries', value: 'required' },
  { long: 'verbose', short: 'v', value: 'none' },
  { long: 'help', short: 'Z', value: 'none' },
  { long: 'usage', value: 'none' },
  { long: 'version', short: 'V', value: 'none' },
  ...TLS_OPTION_SPECS,
];

/** Parses and validates asrestore's arguments; throws UsageError with Aerospike's wording. */
export function parseRestoreArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParseOutcome<RestoreConfig> {
  const parsed = parseCommandLine(argv, RESTORE_OPTIONS);
  const o = new Options(parsed);
  if (o.has('help') || o.has('usage')) return { kind: 'help' };
  if (o.has('version')) return { kind: 'version' };
  if (parsed.positionals.length > 0) throw new UsageError(`Unexpected trailing argument ${parsed.positionals[0]}`);

  const port = o.int('port', DEFAULT_PORT, 1, 65535, 'port');
  const directory = o.str('directory');
  const inputFile = o.str('input-file');
  if (directory === undefined && inputFile === undefined) {
    throw new UsageError('Invalid options: please specify a directory (-d option), directory list (--directory-list option), or an input file (-i option).');
  }
  if (directory !== undefined && inputFile !== undefined) throw new UsageError('Invalid options: --directory and --input-file are mutually exclusive.');
  const unique = o.has('unique');
  const replace = o.has('replace');
  const noGeneration = o.has('no-generation');
  if (unique && (replace || noGeneration)) throw new UsageError('Invalid options: --unique is mutually exclusive with --replace and --no-generation.');
  const compress = o.str('compress');
  if (compress !== undefined && compress !== 'zstd') throw new UsageError(`Invalid compression type "${compress}"`);
  const mode = o.str('encrypt');
  if (mode !== undefined && mode !== 'aes128' && mode !== 'aes256') throw new UsageError(`Invalid encryption type "${mode}"`);
  const keyFile = o.str('encryption-key-file');
  const keyEnv = o.str('encryption-key-env');
  if (keyFile !== undefined && keyEnv !== undefined) throw new UsageError('Cannot specify both encryption-key-file and encryption-key-env');
  if ((mode !== undefined) !== (keyFile !== undefined || keyEnv !== undefined)) {
    throw new UsageError('Must specify both encryption mode and a private key file/environment variable');
  }
  const disableBatchWrites = o.has('disable-batch-writes');
  const cfg: RestoreConfig = {
    hosts: parseHosts(o.str('host') ?? '127.0.0.1', port),
    parallel: o.int('parallel', o.int('threads', DEFAULT_RESTORE_PARALLEL, 1, MAX_RESTORE_PARALLEL, 'threads'), 1, MAX_RESTORE_PARALLEL, 'threads'),
    unique,
    replace,
    noGeneration,
    ignoreRecordError: o.has('ignore-record-error'),
    extraTtl: o.int('extra-ttl', 0, 0, 2147483647, 'extra-ttl'),
    bandwidthBytes: 0,
    tps: 0,
    noRecords: o.has('no-records'),
    noIndexes: o.has('no-indexes'),
    noUdfs: o.has('no-udfs'),
    disableBatchWrites,
    batchSize: o.int('batch-size', disableBatchWrites ? DEFAULT_SINGLE_PUT_BATCH_SIZE : DEFAULT_BATCH_SIZE, 1, 0xffffffff, 'batch-size'),
    maxAsyncBatches: o.int('max-async-batches', DEFAULT_MAX_ASYNC_BATCHES, 1, 0xffffffff, 'max-async-batches'),
    timeoutMs: o.int('timeout', 10_000, 0, 0xffffffff, 'timeout'),
    socketTimeoutMs: o.int('socket-timeout', 10_000, 0, 0xffffffff, 'socket timeout'),
    totalTimeoutMs: o.int('total-timeout', 0, 0, 0xffffffff, 'total timeout'),
    maxRetries: o.int('max-retries', 5, 0, 0xffffffff, 'max retries'),
    compress: compress === 'zstd',
    verbose: o.has('verbose'),
  };
  const user = o.str('user');
  if (user !== undefined) cfg.user = user;
  cfg.tls = readToolTls(o);
  cfg.auth = readToolAuth(o, { tls: true });
  if (directory !== undefined) cfg.directory = directory;
  if (inputFile !== undefined) cfg.inputFile = inputFile;
  const ns = o.str('namespace');
  if (ns !== undefined) {
    const parts = ns.split(',');
    if (parts.length > 2 || parts.some((p) => p.length === 0)) throw new UsageError(`Invalid namespace list ${ns}`);
    cfg.namespaceSrc = parts[0]!;
    if (parts.length === 2) cfg.namespaceDst = parts[1]!;
  }
  const bins = o.str('bin-list');
  if (bins !== undefined) cfg.binList = bins.split(',').filter((b) => b.length > 0);
  const sets = o.str('set-list');
  if (sets !== undefined) cfg.setList = parseQuotedList(sets);
  const nice = o.str('nice');
  if (nice !== undefined) {
    const parts = nice.split(',');
    if (parts.length !== 2) throw new UsageError('Invalid nice option');
    const bw = Number(parts[0]);
    if (!/^\d+$/.test(parts[0]!) || bw < 1) throw new UsageError(`Invalid bandwidth value ${parts[0]}`);
    const tps = Number(parts[1]);
    if (!/^\d+$/.test(parts[1]!) || tps < 1 || tps > 0xffffffff) throw new UsageError(`Invalid TPS value ${parts[1]}`);
    cfg.bandwidthBytes = bw * 1024 * 1024;
    cfg.tps = tps;
  }
  if (mode !== undefined) {
    try {
      cfg.encrypt = { mode: mode as EncryptionMode, key: keyFile !== undefined ? readKeyFile(keyFile) : readKeyEnv(keyEnv!, env) };
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  return { kind: 'run', config: cfg };
}

export const RESTORE_USAGE = `Usage: asrestore [OPTIONS]
  -h, --host <host1>[:<tlsname>][:<port1>][,...]   seed host(s) (default 127.0.0.1)
  -p, --port <port>                    port (default 3000)
  -U, --user, -P, --password           log in as this user (-P alone reads the password from stdin)
  -A, --auth                           INTERNAL, or PKI (the TLS client certificate names the user)
  -d, --directory <dir>                restore every .asb file of a directory
  -i, --input-file <file>              restore one file ('-' = standard input)
  -n, --namespace <src>[,<dst>]        restore namespace src (into dst)
  -t, --parallel <n>                   files read at once (20)
  -B, --bin-list <bin>[,...]           only these bins
  -s, --set-list <set>[,...]           only records of these sets
  -u, --unique                         only create records that do not exist
  -r, --replace                        replace records instead of updating them
  -g, --no-generation                  write whatever the stored generation
      --ignore-record-error            skip records the server refuses (or malformed in the file)
  -l, --extra-ttl <seconds>            add to every record's TTL
  -N, --nice <MiB/s>,<TPS>             bandwidth and records-per-second limits
  -R, --no-records / -I, --no-indexes / -F, --no-udfs
      --disable-batch-writes           single puts instead of batch writes
      --batch-size <n>                 records per batch (128; 16 without batch writes)
      --max-async-batches <n>          batches in flight (32)
  -T, --timeout <ms> (10000)  --socket-timeout <ms> (10000)  --total-timeout <ms>  --max-retries <n> (5)
  -z, --compress zstd                  read zstd-compressed files
  -y, --encrypt aes128|aes256  --encryption-key-file <pem> | --encryption-key-env <var>
  -v, --verbose

${TLS_USAGE}`;
