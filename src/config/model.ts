/**
 * The typed configuration model: what `aerospike.conf` says, in code names with units.
 *
 * Config keys keep Aerospike's spelling in files, get-config and set-config; the parameter tables
 * (`*-params.ts`) map them to these code names once (`write-block-size` -> `writeBlockSizeBytes`). Real Aerospike
 * parameters Strato accepts but does not act on live in the `extra` map of their stanza, keyed by
 * Aerospike's name, so get-config can still show them.
 *
 * Every object here is plain data (no classes, Maps or functions) so a config can be cloned with
 * `structuredClone` and compared with `deepStrictEqual`.
 */
import type { LogLevel } from '../util/log.js';

/** A scalar config value as stored in `extra` maps. */
export type ConfigScalar = string | number | boolean;

/** Values of Aerospike parameters Strato does not model field by field, keyed by Aerospike name. */
export type ExtraParams = Record<string, ConfigScalar>;

/** Whole-node configuration: one parsed `aerospike.conf`. */
export interface StratoConfig {
  service: ServiceConfig;
  logging: LoggingSink[];
  network: NetworkConfig;
  /** In file order; names are unique. */
  namespaces: NamespaceConfig[];
  modLua: ModLuaConfig;
  /** `security { }`: access control on when present (Aerospike EE's stanza); undefined = off. */
  security?: SecurityConfig | undefined;
}

/** `security { }` (Aerospike EE): users, roles and sessions. */
export interface SecurityConfig {
  /** `session-ttl`: seconds a login's session token stays valid (120..864000, default 86400). */
  sessionTtl: number;
  /** `privilege-refresh-period`: seconds (10..86400); Strato applies role changes at once, so this only bounds nothing. */
  privilegeRefreshPeriod: number;
  /**
   * `tps-weight` (2..20, default 2, dynamic): Aerospike's weight of the current second in its
   * averaged TPS against quotas; Strato counts quotas per whole second, so it changes nothing.
   */
  tpsWeight: number;
  /** `enable-quotas`: role read/write quotas are enforced when true. */
  enableQuotas: boolean;
  /** `default-password-file`: the first-start password of the `admin` user ('' = `admin`). */
  defaultPasswordFile: string;
  /** `log { }`: what the audit trail reports (lines in the log's `audit` context). */
  log: SecurityLogConfig;
  /** `ldap { }`: external (LDAP) authentication; undefined = internal users only. */
  ldap?: LdapConfig | undefined;
}

/** `security { ldap { } }` (Aerospike EE's names). */
export interface LdapConfig {
  /** `server`: ldap:// or ldaps:// URL of the LDAP server; several comma-separated, tried in order */
  server: string;
  /** `query-base-dn`: where users (and, without role-query-base-dn, groups) are searched */
  queryBaseDn: string;
  /** `user-dn-pattern`: the user's DN, `${un}` replaced by the user name ('' = search with user-query-pattern) */
  userDnPattern: string;
  /** `query-user-dn`: the DN the node binds as to search users and poll roles ('' = none) */
  queryUserDn: string;
  /** `query-user-password-file`: that DN's password (first line of the file) */
  queryUserPasswordFile: string;
  /** `user-query-pattern`: filter finding the user's entry (`${un}`), with query-user-dn */
  userQueryPattern: string;
  /** `role-query-base-dn`: where groups are searched ('' = query-base-dn) */
  roleQueryBaseDn: string;
  /** `role-query-pattern` (repeatable, at most 64): group filters, `${un}` user name, `${dn}` user DN */
  roleQueryPatterns: string[];
  /** `role-query-search-ou`: the OUs of the user's DN are roles too */
  roleQuerySearchOu: boolean;
  /** `polling-period`: seconds between role refreshes of logged-in LDAP users (0 = never; at most 86400) */
  pollingPeriod: number;
  /** `disable-tls` (default false): plain LDAP; else TLS on ldaps://, StartTLS on ldap://, the server's certificate checked against `tls-ca-file` */
  disableTls: boolean;
  /** `tls-ca-file`: CA certificate(s) that sign the LDAP server's certificate */
  tlsCaFile: string;
  /** `login-threads` (1..64, default 8): most LDAP logins talking to the directory at once; the others wait their turn */
  loginThreads: number;
  /** `token-hash-method` sha-256 | sha-512 (default sha-256): the HMAC of the node's session tokens */
  tokenHashMethod: 'sha-256' | 'sha-512';
}

/** `security { log { } }`: the audit trail's reports (all off by default, as in Aerospike). */
export interface SecurityLogConfig {
  /** `report-authentication`: successful logins and authentications */
  reportAuthentication: boolean;
  /** `report-user-admin`: successful user/role administration (admin protocol) */
  reportUserAdmin: boolean;
  /** `report-sys-admin`: successful info commands that need an admin privilege */
  reportSysAdmin: boolean;
  /** `report-violation`: refused authentications, role violations, allowlist and quota refusals */
  reportViolation: boolean;
  /** `report-data-op <ns> [<set>]` (repeatable): successful data transactions in that scope (set '' = every set) */
  reportDataOp: { ns: string; set: string }[];
  /** `report-data-op-role <role>` (repeatable): data transactions of users holding the role */
  reportDataOpRole: string[];
  /** `report-data-op-user <user>` (repeatable): data transactions of the user */
  reportDataOpUser: string[];
}

// ---------------------------------------------------------------------------------------------
// service { }

export interface ServiceConfig {
  /** `cluster-name`: 1..63 bytes. */
  clusterName: string;
  /** `node-id`: upper-case hex without leading zeros; undefined = derived from the node's address. */
  nodeId?: string | undefined;
  /** `proto-fd-max`: most client connections at once. */
  protoFdMax: number;
  /** `proto-fd-idle-ms`: close idle client connections after this long; 0 = never. */
  protoFdIdleMs: number;
  /** `batch-max-requests`: most keys in one batch request (0 = no limit in Aerospike). */
  batchMaxRequests: number;
  batchIndexThreads: number;
  serviceThreads: number;
  infoThreads: number;
  /** `info-max-ms`: an info command taking longer than this is logged as slow. */
  infoMaxMs: number;
  /** `transaction-max-ms`: server-side timeout when the client sends none. */
  transactionMaxMs: number;
  /** `transaction-retry-ms`: retry interval for transactions waiting on a busy key. */
  transactionRetryMs: number;
  /** `ticker-interval`: seconds between ticker log blocks. */
  tickerIntervalSec: number;
  migrateThreads: number;
  minClusterSize: number;
  queryMaxDone: number;
  queryThreadsLimit: number;
  sindexBuilderThreads: number;
  sindexGcPeriodSec: number;
  workDirectory: string;
  pidfile?: string | undefined;
  /** `user` / `group`: accepted, never rendered by get-config (as Aerospike). */
  user?: string | undefined;
  group?: string | undefined;
  /** Strato never forks; kept because Aerospike shows it. */
  runAsDaemon: boolean;
  enableHealthCheck: boolean;
  disableUdfExecution: boolean;
  logLocalTime: boolean;
  logMillis: boolean;
  /**
   * `enable-compression` (Strato extension, not an Aerospike parameter): answer compressed
   * (type 4) requests instead of ENTERPRISE_ONLY. Not shown by get-config.
   */
  enableCompression: boolean;
  /**
   * `nodes-per-host` (Strato extension): full nodes one start runs on this machine, one process
   * each, forming one cluster; 0 = one per core, 1 = a single process. Not shown by get-config.
   */
  nodesPerHost: number;
  extra: ExtraParams;
}

// ---------------------------------------------------------------------------------------------
// logging { }

/** Log levels are the logger's own (util/log.ts). */
export type { LogLevel };

/**
 * One log sink. `levels` maps an Aerospike log context (`nsup`, `namespace`, ...) to the most
 * detailed level written; `any` is the level for contexts not listed. A later `context any` line
 * resets the contexts listed before it, as in Aerospike.
 */
export type LoggingSink =
  | { kind: 'console'; levels: Record<string, LogLevel> }
  | { kind: 'file'; path: string; levels: Record<string, LogLevel> }
  | { kind: 'syslog'; facility: string; path: string; tag: string; levels: Record<string, LogLevel> };

// ---------------------------------------------------------------------------------------------
// network { }

export interface NetworkConfig {
  service: NetworkServiceConfig;
  heartbeat: HeartbeatConfig;
  fabric: FabricConfig;
  /** `admin { }`; port 0 = no admin listener (the default). */
  admin: AdminConfig;
  /** `info { port }`: obsolete in Aerospike (ignored there); kept for old configs. */
  info?: { port: number } | undefined;
  /** `http { address; port }` (Strato extension): the metrics endpoint; absent = off. */
  http?: HttpConfig | undefined;
  /** `tls <name> { }` stanzas (Aerospike EE), in file order; names are unique. */
  tls: TlsConfig[];
}

/**
 * `network { tls <name> { } }` (Aerospike EE): one named TLS context that the service, fabric and
 * heartbeat select with `tls-name`. Files are read when the node starts (errors name the line).
 */
export interface TlsConfig {
  name: string;
  /** `cert-file`: PEM certificate chain this node presents */
  certFile?: string | undefined;
  /** `key-file`: PEM private key of the certificate */
  keyFile?: string | undefined;
  /** `key-file-password`: the key's passphrase, or `file:<path>` / `env:<VAR>` / `env-b64:<VAR>` as Aerospike reads secrets */
  keyFilePassword?: string | undefined;
  /** `ca-file`: PEM CA certificates peers' certificates are verified against */
  caFile?: string | undefined;
  /** `ca-path`: a directory of PEM CA certificates (every file in it is read) */
  caPath?: string | undefined;
  /** `protocols`: Apache SSLProtocol-style list (`TLSv1.2`, `-all +TLSv1.3`, ...); default TLSv1.2 */
  protocols: string;
  /** `cipher-suite`: OpenSSL cipher list; undefined = OpenSSL's default */
  cipherSuite?: string | undefined;
  /** `cert-blacklist`: file of revoked serial numbers (hex, optionally followed by the issuer name) */
  certBlacklist?: string | undefined;
  /** `pki-user-append-ou`: a PKI login's user is `<CN>.<OU>` instead of `<CN>` */
  pkiUserAppendOu: boolean;
  /** where the stanza is, for `file:line` errors when its files are read at start */
  source: { file: string; line: number; keyLines: Record<string, number> };
}

/** `network { http { } }`: where `/metrics` is served. */
export interface HttpConfig {
  /** bind address (one) */
  address: string;
  /** 0 = any free port (the log names it) */
  port: number;
  /** `tls-name`: the `tls` stanza whose certificate the endpoint presents (HTTPS); undefined = clear HTTP */
  tlsName?: string | undefined;
  /**
   * `tls-authenticate-client` (HTTPS only): `['any']` a certificate the CA signed, subject names:
   * one naming one of them; empty or `['false']`: none asked (scrapers rarely present one)
   */
  tlsAuthenticateClient: string[];
}

export interface NetworkServiceConfig {
  /** `address` (repeatable): bind addresses; `any` = all interfaces. Empty = all interfaces. */
  addresses: string[];
  port: number;
  /** `access-address` (repeatable): addresses advertised to clients. */
  accessAddresses: string[];
  /** 0 = same as `port`. */
  accessPort: number;
  alternateAccessAddresses: string[];
  alternateAccessPort: number;
  disableLocalhost: boolean;
  /** `tls-port` (Aerospike EE): the TLS service port; 0 = no TLS listener. */
  tlsPort: number;
  /** `tls-address` (repeatable): TLS bind addresses; empty = the service's `address`. */
  tlsAddresses: string[];
  /** `tls-access-address` (repeatable): TLS addresses advertised to clients (`service-tls-std`, `peers-tls-std`). */
  tlsAccessAddresses: string[];
  /** 0 = same as `tls-port`. */
  tlsAccessPort: number;
  tlsAlternateAccessAddresses: string[];
  tlsAlternateAccessPort: number;
  /** `tls-name`: the `tls` stanza the TLS port serves with (and the name clients verify). */
  tlsName?: string | undefined;
  /**
   * `tls-authenticate-client`: `['false']` no client certificate asked, `['any']` any certificate
   * the CA signed, else the subject names (CN or DNS alt names) accepted. Empty = not set (`any`).
   */
  tlsAuthenticateClient: string[];
}

export interface MeshSeed {
  host: string;
  port: number;
}

export interface HeartbeatConfig {
  /** undefined when no heartbeat stanza chose a mode (a single node). */
  mode?: 'mesh' | 'multicast' | undefined;
  addresses: string[];
  port: number;
  meshSeeds: MeshSeed[];
  multicastGroups: string[];
  multicastTtl: number;
  /** `interval`: milliseconds between heartbeats. */
  intervalMs: number;
  /** `timeout`: missed intervals before a node is considered gone. */
  timeoutIntervals: number;
  connectTimeoutMs: number;
  /** 0 = use the interface MTU. */
  mtu: number;
  protocol: 'none' | 'v3';
  /** `tls-port` (Aerospike EE): heartbeats go over TLS on this port instead of `port`; 0 = clear. */
  tlsPort: number;
  tlsAddresses: string[];
  tlsName?: string | undefined;
  /** `tls-mesh-seed-address-port <host> <port>` (repeatable): seeds reached over TLS. */
  tlsMeshSeeds: MeshSeed[];
}

export interface FabricConfig {
  addresses: string[];
  port: number;
  /** `tls-port` (Aerospike EE): fabric goes over TLS on this port instead of `port`; 0 = clear. */
  tlsPort: number;
  tlsAddresses: string[];
  tlsName?: string | undefined;
  extra: ExtraParams;
}

/**
 * `network { admin { } }` (Aerospike 8.1): a port for administration tools that serves only info
 * and admin (security) messages, outside `proto-fd-max`; with `tls-port` (EE) the same over TLS.
 */
export interface AdminConfig {
  /** bind addresses; empty = the service's address */
  addresses: string[];
  /** 0 = no clear admin port */
  port: number;
  /** `disable-localhost`: do not also listen on 127.0.0.1 */
  disableLocalhost: boolean;
  /** `tls-port` (Aerospike EE): the TLS admin port; 0 = none */
  tlsPort: number;
  /** `tls-address` (repeatable): TLS bind addresses; empty = the admin `address`es */
  tlsAddresses: string[];
  /** `tls-name`: the `tls` stanza the TLS admin port serves with */
  tlsName?: string | undefined;
  /** `tls-authenticate-client`: as the service's (`false`, `any`, subject names); empty = any */
  tlsAuthenticateClient: string[];
}

// ---------------------------------------------------------------------------------------------
// mod-lua { }

export interface ModLuaConfig {
  cacheEnabled: boolean;
  /** `allow-unsafe-lua` (8.1.2): accepted; Strato's Lua runtime loads no unsafe library either way. */
  allowUnsafeLua: boolean;
  userPath: string;
}

// ---------------------------------------------------------------------------------------------
// namespace <name> { }

export type ConflictResolutionPolicy = 'generation' | 'last-update-time';
export type IndexType = 'mem' | 'shmem' | 'pmem' | 'flash';

/** Where a persisted (pmem/flash) index lives; only for `index-type` / `sindex-type` pmem|flash. */
export interface IndexMounts {
  mounts: string[];
  mountsBudgetBytes: number;
  evictMountsPct: number;
}

export interface NamespaceConfig {
  /** 1..31 bytes. */
  name: string;
  replicationFactor: number;
  /** `default-ttl`: TTL given to writes that send TTL 0; 0 = never expire. At most 10 years. */
  defaultTtlSec: number;
  /** `nsup-period`: seconds between expiration/eviction cycles; 0 = nsup off. */
  nsupPeriodSec: number;
  nsupThreads: number;
  nsupHistPeriodSec: number;
  allowTtlWithoutNsup: boolean;
  maxRecordSizeBytes: number;
  /** `evict-tenths-pct`: share of evictable records removed per eviction round, in 0.1%. */
  evictTenthsPct: number;
  evictHistBuckets: number;
  evictIndexesMemoryPct: number;
  /**
   * `indexes-memory-budget`, bytes (0 = none): memory the primary and secondary indexes may take.
   * Above it client writes stop (OUT_OF_SPACE), as with Aerospike's stop-writes.
   */
  indexesMemoryBudget: number;
  stopWritesSysMemoryPct: number;
  defaultReadTouchTtlPct: number;
  strongConsistency: boolean;
  conflictResolutionPolicy: ConflictResolutionPolicy;
  disableWriteDupRes: boolean;
  disableColdStartEviction: boolean;
  disallowNullSetname: boolean;
  applyTtlReductions: boolean;
  partitionTreeSprigs: number;
  rackId: number;
  readConsistencyLevelOverride: 'off' | 'one' | 'all';
  writeCommitLevelOverride: 'off' | 'master' | 'all';
  transactionPendingLimit: number;
  truncateThreads: number;
  singleQueryThreads: number;
  indexType: IndexType;
  indexMounts?: IndexMounts | undefined;
  sindexType: IndexType;
  sindexMounts?: IndexMounts | undefined;
  geo2dsphereWithin: Geo2dsphereWithinConfig;
  storage: StorageConfig;
  /** Set-level settings, in file / creation order; names are unique. */
  sets: SetConfig[];
  extra: ExtraParams;
}

export interface Geo2dsphereWithinConfig {
  strict: boolean;
  minLevel: number;
  maxLevel: number;
  maxCells: number;
  levelMod: number;
  earthRadiusMeters: number;
}

export interface SetConfig {
  /** 1..63 bytes. */
  name: string;
  disableEviction: boolean;
  /** 0 = no cap. */
  stopWritesCount: number;
  /** 0 = no cap. */
  stopWritesSizeBytes: number;
  /** 0 = use the namespace's default-ttl; -1 = never expire. */
  defaultTtlSec: number;
  /** -1 = never touch on read; 0 = use the namespace's setting. */
  defaultReadTouchTtlPct: number;
  enableIndex: boolean;
}

// ---------------------------------------------------------------------------------------------
// storage-engine memory|device { }

export type Compression = 'none' | 'lz4' | 'snappy' | 'zstd';

/** A storage file and the bytes it may hold (`filesize`). */
export interface StorageFile {
  path: string;
  sizeBytes: number;
}

/** Parameters both storage engines share (defaults from Aerospike 8.1). */
export interface StorageCommon {
  /** `file` lines; each gets `filesize`. For memory storage these are persistence backing. */
  files: StorageFile[];
  /** `device` lines: raw block devices (size comes from the device). */
  devices: string[];
  /** `filesize`; 0 when no files. */
  filesizeBytes: number;
  /**
   * `write-block-size` (Strato extension; obsolete in Aerospike 8, which uses 8M blocks): unit of
   * space allocation and defragmentation; power of 2 in 128K..8M, default 1M.
   */
  writeBlockSizeBytes: number;
  /** `evict-used-pct`: evict when used storage passes this share; 0 = off. */
  evictUsedPct: number;
  /** `stop-writes-used-pct` (pre-7 `max-used-pct`). */
  stopWritesUsedPct: number;
  /** `stop-writes-avail-pct` (pre-7 `min-avail-pct`). */
  stopWritesAvailPct: number;
  /** `defrag-lwm-pct`: blocks less full than this are defragmented. */
  defragLwmPct: number;
  /** `defrag-sleep`: microseconds between defragmented blocks. */
  defragSleepUs: number;
  defragQueueMin: number;
  defragStartupMinimumPct: number;
  /** `flush-max-ms`: flush a partly filled write block after this long (0..1000, as 8.1). */
  flushMaxMs: number;
  /** `flush-size` (Aerospike 8): bytes of one device write; power of 2 in 4K..8M. */
  flushSizeBytes: number;
  maxWriteCacheBytes: number;
  commitToDevice: boolean;
  compression: Compression;
  /** 0 = library default; only with zstd. */
  compressionLevel: number;
  directFiles: boolean;
  disableOdsync: boolean;
  encryptionKeyFile?: string | undefined;
  extra: ExtraParams;
}

export interface MemoryStorage extends StorageCommon {
  kind: 'memory';
  /** `data-size`; with file/device backing this is the total backing size. */
  dataSizeBytes: number;
}

export interface DeviceStorage extends StorageCommon {
  kind: 'device';
  postWriteCacheBytes: number;
  readPageCache: boolean;
  coldStartEmpty: boolean;
  /** Pre-7 `data-in-memory`: keep a copy of record data in memory. */
  dataInMemory: boolean;
  cacheReplicaWrites: boolean;
  serializeTombRaider: boolean;
  sindexStartupDeviceScan: boolean;
}

/** Discriminated on `kind`. */
export type StorageConfig = MemoryStorage | DeviceStorage;

// ---------------------------------------------------------------------------------------------
// Limits (Aerospike's, unless noted).

export const LIMITS = {
  /** Strato allows Aerospike EE's 32 (CE allows 2). */
  maxNamespaces: 32,
  namespaceNameMaxBytes: 31,
  setNameMaxBytes: 63,
  maxSetsPerNamespace: 4095,
  clusterNameMaxBytes: 63,
  /** Strato allows Aerospike EE's 256 (CE's cluster size is 8). */
  maxReplicationFactor: 256,
  /** 10 years, the most `default-ttl` may be. */
  maxTtlSec: 315_360_000,
  /** `flush-size` bounds (Aerospike 8's MIN_FLUSH_SIZE / MAX_FLUSH_SIZE). */
  minFlushSizeBytes: 4 * 1024,
  maxFlushSizeBytes: 8 * 1024 * 1024,
  minWriteBlockSizeBytes: 128 * 1024,
  maxWriteBlockSizeBytes: 8 * 1024 * 1024,
  minMaxRecordSizeBytes: 64,
  maxMaxRecordSizeBytes: 8 * 1024 * 1024,
  /** Strato allows small files (Aerospike: 128M) so tests and small deployments can use them; see the write-block rule. */
  minFilesizeBytes: 1024 * 1024,
  maxFilesizeBytes: 2 * 1024 ** 4,
  /** Strato allows small namespaces (Aerospike: 512M), e.g. to exercise eviction and stop-writes quickly. */
  minDataSizeBytes: 1024 * 1024,
  /** A storage file must hold at least this many write blocks. */
  minWriteBlocksPerFile: 8,
  maxDataSizeBytes: 256 * 1024 ** 4,
  maxStorageFiles: 128,
  minMaxWriteCacheBytes: 64 * 1024 * 1024,
  minProtoFdMax: 1024,
  maxProtoFdMax: 2_147_483_647,
  maxRackId: 1_000_000,
  /** Config files larger than this are refused before parsing. */
  maxConfigFileBytes: 4 * 1024 * 1024,
  /** Deepest nesting in a valid file is 2 (`network { service { } }`); anything deeper is refused. */
  maxStanzaDepth: 4,
} as const;
