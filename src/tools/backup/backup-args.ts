/**
 * asbackup's command line: Aerospike's option names, defaults and validation rules
 * (backup_config.c), turned into a typed config.
 */
import { readToolAuth, type ToolAuth } from '../auth-args.js';
import { readToolTls, TLS_OPTION_SPECS, TLS_USAGE, type ToolTls } from '../tls-args.js';
import { Options, UsageError, parseCommandLine, parseHosts, parseQuotedList, type OptionSpec } from '../cli-args.js';
import { readKeyEnv, readKeyFile, type EncryptionMode } from './encryption.js';

export const DEFAULT_PORT = 3000;
export const DEFAULT_FILE_LIMIT_MIB = 250;
export const DEFAULT_ESTIMATE_SAMPLES = 10_000;
export const DEFAULT_PARALLEL = 1;
export const MAX_PARALLEL = 100;

export interface BackupConfig {
  hosts: { host: string; port: number; tlsName?: string }[];
  user?: string;
  /** -U/-P/--auth: every connection logs in (undefined: no login) */
  auth?: ToolAuth | undefined;
  /** --tls-*: every connection goes over TLS (undefined: clear) */
  tls?: ToolTls | undefined;
  namespace: string;
  sets: string[];
  binList?: string[];
  noBins: boolean;
  noRecords: boolean;
  noIndexes: boolean;
  noUdfs: boolean;
  directory?: string;
  outputFile?: string;
  estimate: boolean;
  prefix?: string;
  fileLimitBytes: number;
  removeFiles: boolean;
  compact: boolean;
  compress: boolean;
  compressionLevel: number;
  encrypt?: { mode: EncryptionMode; key: Buffer };
  /** 0 = not given (1 is used; --estimate refuses a given value) */
  parallel: number;
  recordsPerSecond: number;
  /** --nice: bytes per second, 0 = unlimited */
  bandwidthBytes: number;
  partitionList?: string;
  afterDigest?: string;
  /** --filter-exp decoded */
  filterExp?: Buffer;
  /** nanoseconds since the Unix epoch */
  modifiedAfterNs?: bigint;
  modifiedBeforeNs?: bigint;
  noTtlOnly: boolean;
  /** 0 = no limit */
  maxRecords: number;
  continueState?: string;
  stateFileDst?: string;
  estimateSamples: number;
  socketTimeoutMs: number;
  totalTimeoutMs: number;
  maxRetries: number;
  retryDelayMs: number;
  verbose: boolean;
}

export const BACKUP_OPTIONS: OptionSpec[] = [
  { long: 'host', short: 'h', value: 'required' },
  { long: 'port', short: 'p', value: 'required' },
  { long: 'user', short: 'U', value: 'required' },
  { long: 'password', short: 'P', value: 'optional' },
  { long: 'auth', short: 'A', value: 'required' },
  { long: 'services-alternate', short: 'S', value: 'none' },
  { long: 'namespace', short: 'n', value: 'required' },
  { long: 'set', short: 's', value: 'required' },
  { long: 'bin-list', short: 'B', value: 'required' },
  { long: 'no-bins', short: 'x', value: 'none' },
  { long: 'no-records', short: 'R', value: 'none' },
  { long: 'no-indexes', short: 'I', value: 'none' },
  { long: 'no-udfs', short: 'u', value: 'none' },
  { long: 'directory', short: 'd', value: 'required' },
  { long: 'output-file', short: 'o', value: 'required' },
  { long: 'output-file-prefix', short: 'q', value: 'required' },
  { long: 'estimate', short: 'e', value: 'none' },
  { long: 'estimate-samples', value: 'required' },
  { long: 'file-limit', short: 'F', value: 'required' },
  { long: 'remove-files', short: 'r', value: 'none' },
  { long: 'compact', short: 'C', value: 'none' },
  { long: 'compress', short: 'z', value: 'required' },
  { long: 'compression-level', value: 'required' },
  { long: 'encrypt', short: 'y', value: 'required' },
  { long: 'encryption-key-file', value: 'required' },
  { long: 'encryption-key-env', value: 'required' },
  { long: 'parallel', short: 'w', value: 'required' },
  { long: 'records-per-second', short: 'L', value: 'required' },
  { long: 'nice', short: 'N', value: 'required' },
  { long: 'partition-list', short: 'X', value: 'required' },
  { long: 'after-digest', short: 'D', value: 'required' },
  { long: 'filter-exp', short: 'f', value: 'required' },
  { long: 'modified-after', short: 'a', value: 'required' },
  { long: 'modified-before', short: 'b', value: 'required' },
  { long: 'no-ttl-only', value: 'none' },
  { long: 'max-records', short: 'M', value: 'required' },
  { long: 'continue', short: 'c', value: 'required' },
  { long: 'state-file-dst', value: 'required' },
  { long: 'socket-timeout', value: 'required' },
  { long: 'total-timeout', value: 'required' },
  { long: 'max-retries', value: 'required' },
  { long: 'retry-delay', value: 'required' },
  { long: 'sleep-between-retries', value: 'required' },
  { long: 'verbose', short: 'v', value: 'none' },
  { long: 'help', short: 'Z', value: 'none' },
  { long: 'usage', value: 'none' },
  { long: 'version', short: 'V', value: 'none' },
  ...TLS_OPTION_SPECS,
];

export type ParseOutcome<T> = { kind: 'run'; config: T } | { kind: 'help' } | { kind: 'version' };

/**
 * Parses and validates asbackup's arguments. Throws UsageError with Aerospike's wording for a
 * bad value or a forbidden combination.
 */
export function parseBackupArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParseOutcome<BackupConfig> {
  const parsed = parseCommandLine(argv, BACKUP_OPTIONS);
  const o = new Options(parsed);
  if (o.has('help') || o.has('usage')) return { kind: 'help' };
  if (o.has('version')) return { kind: 'version' };
  if (parsed.positionals.length > 0) throw new UsageError(`Unexpected trailing argument ${parsed.positionals[0]}`);

  const port = o.int('port', DEFAULT_PORT, 1, 65535, 'port');
  const hosts = parseHosts(o.str('host') ?? '127.0.0.1', port);
  const namespace = o.str('namespace') ?? '';
  if (namespace.length === 0) throw new UsageError('Please specify a namespace (-n option)');
  const sets = o.all('set').flatMap((s) => parseQuotedList(s)).filter((s) => s.length > 0);
  const binListText = o.str('bin-list');
  const compress = o.str('compress');
  if (compress !== undefined && compress !== 'zstd') throw new UsageError(`Invalid compression type "${compress}"`);
  const compressionLevel = o.int('compression-level', 0, -2147483648, 2147483647, 'compression-level');
  if (!compress && o.has('compression-level') && compressionLevel !== 0) {
    throw new UsageError('Cannot set compression level without compression enabled');
  }
  const encryptMode = o.str('encrypt');
  if (encryptMode !== undefined && encryptMode !== 'aes128' && encryptMode !== 'aes256') {
    throw new UsageError(`Invalid encryption type "${encryptMode}"`);
  }
  const encrypt = readEncryption(o, encryptMode as EncryptionMode | undefined, env);

  const cfg: BackupConfig = {
    hosts,
    namespace,
    sets,
    noBins: o.has('no-bins'),
    noRecords: o.has('no-records'),
    noIndexes: o.has('no-indexes'),
    noUdfs: o.has('no-udfs'),
    estimate: o.has('estimate'),
    fileLimitBytes: o.int('file-limit', DEFAULT_FILE_LIMIT_MIB, 1, Number.MAX_SAFE_INTEGER / 1048576, 'file limit') * 1024 * 1024,
    removeFiles: o.has('remove-files'),
    compact: o.has('compact'),
    compress: compress === 'zstd',
    compressionLevel,
    parallel: o.int('parallel', 0, 1, MAX_PARALLEL, 'parallelism'),
    recordsPerSecond: o.int('records-per-second', 0, 0, 0xffffffff, 'records-per-second'),
    bandwidthBytes: o.int('nice', 0, 1, Number.MAX_SAFE_INTEGER / 1048576, 'bandwidth') * 1024 * 1024,
    noTtlOnly: o.has('no-ttl-only'),
    maxRecords: o.int('max-records', 0, 0, Number.MAX_SAFE_INTEGER, 'max-records'),
    estimateSamples: o.int('estimate-samples', DEFAULT_ESTIMATE_SAMPLES, 1, 0xffffffff, 'estimate-samples'),
    socketTimeoutMs: o.int('socket-timeout', 10_000, 0, 0xffffffff, 'socket timeout'),
    totalTimeoutMs: o.int('total-timeout', 0, 0, 0xffffffff, 'total timeout'),
    maxRetries: o.int('max-retries', 5, 0, 0xffffffff, 'max retries'),
    retryDelayMs: o.int('retry-delay', o.int('sleep-between-retries', 0, 0, 0xffffffff, 'retry delay'), 0, 0xffffffff, 'retry delay'),
    verbose: o.has('verbose'),
  };
  const user = o.str('user');
  if (user !== undefined) cfg.user = user;
  cfg.tls = readToolTls(o);
  cfg.auth = readToolAuth(o, { tls: true });
  if (binListText !== undefined) cfg.binList = binListText.split(',').filter((b) => b.length > 0);
  const dir = o.str('directory');
  if (dir !== undefined) cfg.directory = dir;
  const out = o.str('output-file');
  if (out !== undefined) cfg.outputFile = out;
  const prefix = o.str('output-file-prefix');
  if (prefix !== undefined) cfg.prefix = prefix;
  if (encrypt) cfg.encrypt = encrypt;
  const pl = o.str('partition-list');
  if (pl !== undefined) cfg.partitionList = pl;
  const ad = o.str('after-digest');
  if (ad !== undefined) cfg.afterDigest = ad;
  const fe = o.str('filter-exp');
  if (fe !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(fe) || fe.length % 4 !== 0 || fe.length === 0) {
      throw new UsageError(`Invalid base64 encoded string: ${fe}`);
    }
    cfg.filterExp = Buffer.from(fe, 'base64');
  }
  const ma = o.str('modified-after');
  if (ma !== undefined) cfg.modifiedAfterNs = parseDateTime(ma);
  const mb = o.str('modified-before');
  if (mb !== undefined) cfg.modifiedBeforeNs = parseDateTime(mb);
  const cont = o.str('continue');
  if (cont !== undefined) cfg.continueState = cont;
  const dst = o.str('state-file-dst');
  if (dst !== undefined) cfg.stateFileDst = dst;
  validate(cfg, o);
  return { kind: 'run', config: cfg };
}

function readEncryption(o: Options, mode: EncryptionMode | undefined, env: NodeJS.ProcessEnv): { mode: EncryptionMode; key: Buffer } | undefined {
  const file = o.str('encryption-key-file');
  const envName = o.str('encryption-key-env');
  if (file !== undefined && envName !== undefined) throw new UsageError('Cannot specify both encryption-key-file and encryption-key-env');
  if ((mode !== undefined) !== (file !== undefined || envName !== undefined)) {
    throw new UsageError('Must specify both encryption mode and a private key file/environment variable');
  }
  if (!mode) return undefined;
  try {
    return { mode, key: file !== undefined ? readKeyFile(file) : readKeyEnv(envName!, env) };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function validate(c: BackupConfig, o: Options): void {
  if (c.sets.length > 1 && c.filterExp) throw new UsageError('Multi-set backup and filter-exp are mutually exclusive');
  if (c.filterExp && (c.modifiedAfterNs !== undefined || c.modifiedBeforeNs !== undefined || c.noTtlOnly)) {
    throw new UsageError('--filter-exp is mutually exclusive with --modified-after, --modified-before, and --no-ttl-only');
  }
  const outCount = (c.directory !== undefined ? 1 : 0) + (c.outputFile !== undefined ? 1 : 0) + (c.estimate ? 1 : 0);
  if (outCount > 1) throw new UsageError('Invalid options: --directory, --output-file, and --estimate are mutually exclusive.');
  if (outCount === 0) throw new UsageError('Please specify a directory (-d), an output file (-o), or make an estimate (-e).');
  if (c.estimate && c.noRecords) throw new UsageError('Invalid options: -e and -R are mutually exclusive.');
  if (c.estimate && o.has('parallel')) throw new UsageError("Estimate cannot be parallelized, don't set --parallel.");
  if (c.partitionList !== undefined && c.afterDigest !== undefined) throw new UsageError('after-digest and partition-list arguments are mutually exclusive');
  if (c.continueState !== undefined && c.estimate) throw new UsageError('--continue and --estimate arguments are mutually exclusive');
  if (c.continueState !== undefined && c.removeFiles) throw new UsageError('--continue and --remove-files arguments are mutually exclusive');
  if (c.outputFile === '-' && c.continueState !== undefined) throw new UsageError('a backup to standard output cannot be continued');
}

/**
 * Parses `YYYY-MM-DD_HH:MM:SS`, `YYYY-MM-DD` (midnight) or `HH:MM:SS` (today) in local time, as
 * utils.c parse_date_time; returns nanoseconds since the Unix epoch.
 */
export function parseDateTime(s: string): bigint {
  const now = new Date();
  let d: Date | undefined;
  let m: RegExpExecArray | null;
  if (s.length === 19 && (m = /^(\d{4})-(\d{1,2})-(\d{1,2})_(\d{1,2}):(\d{1,2}):(\d{1,2})$/.exec(s))) {
    d = new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  } else if (s.length === 10 && (m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s))) {
    d = new Date(+m[1]!, +m[2]! - 1, +m[3]!, 0, 0, 0);
  } else if (s.length === 8 && (m = /^(\d{1,2}):(\d{1,2}):(\d{1,2})$/.exec(s))) {
    d = new Date(now.getFullYear(), now.getMonth(), now.getDate(), +m[1]!, +m[2]!, +m[3]!);
  }
  if (!d || Number.isNaN(d.getTime()) || d.getFullYear() < 1900) throw new UsageError(`Invalid date and time string ${s}`);
  return BigInt(d.getTime()) * 1_000_000n;
}

export const BACKUP_USAGE = `Usage: asbackup [OPTIONS]
  -h, --host <host1>[:<tlsname>][:<port1>][,...]   seed host(s) (default 127.0.0.1)
  -p, --port <port>                    port (default 3000)
  -U, --user, -P, --password           log in as this user (-P alone reads the password from stdin)
  -A, --auth                           INTERNAL, or PKI (the TLS client certificate names the user)
  -n, --namespace <ns>                 namespace to back up (required)
  -s, --set <set>[,<set>...]           sets to back up (default: all)
  -B, --bin-list <bin>[,<bin>...]      only these bins
  -x, --no-bins                        records' metadata only
  -R, --no-records / -I, --no-indexes / -u, --no-udfs
  -d, --directory <dir>                one file per worker: <prefix>_<NNNNN>.asb
  -o, --output-file <file>             one file ('-' = standard output)
  -e, --estimate                       sample records and estimate the backup size
      --estimate-samples <n>           records sampled by --estimate (10000)
  -q, --output-file-prefix <prefix>    file name prefix in directory mode (namespace)
  -F, --file-limit <MiB>               start a new file after this size (250)
  -r, --remove-files                   remove existing backup files first
  -C, --compact                        bytes values raw, not base64
  -z, --compress zstd  --compression-level <n>
  -y, --encrypt aes128|aes256  --encryption-key-file <pem> | --encryption-key-env <var>
  -w, --parallel <n>                   workers, each scanning a share of the partitions (1)
  -L, --records-per-second <n>         server-side scan throttle
  -N, --nice <MiB/s>                   write bandwidth limit
  -X, --partition-list <filters>       <begin>[-<count>]|<digest>,...
  -D, --after-digest <digest>          start after this digest
  -f, --filter-exp <base64>            filter expression
  -a, --modified-after / -b, --modified-before <YYYY-MM-DD[_HH:MM:SS]>
      --no-ttl-only                    only records that never expire
  -M, --max-records <n>                stop after n records (a state file allows --continue)
  -c, --continue <state file>          resume an interrupted backup
      --state-file-dst <path>          where to save the state file
      --socket-timeout <ms> (10000)  --total-timeout <ms> (0)  --max-retries <n> (5)
  -v, --verbose

${TLS_USAGE}`;
