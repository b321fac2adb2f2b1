/**
 * The `service { }` parameters of Aerospike 8.1, in get-config order (alphabetical, as the real
 * server answers), with their ranges and which ones set-config may change.
 */
import { LIMITS, type ServiceConfig } from './model.js';
import {
  boolParam,
  choiceParam,
  customScalarParam,
  enterpriseOnly,
  extraOf,
  fieldsOf,
  obsolete,
  ParamTable,
  secondsParam,
  stringParam,
  uintParam,
} from './param-spec.js';
import { parseNodeId } from './values.js';

/** `tls-refresh-period` default (seconds), as Aerospike EE 8.1; 0 = certificate files are never read again. */
export const TLS_REFRESH_PERIOD_DEFAULT_SEC = 60;

const f = fieldsOf<ServiceConfig>();
const x = extraOf<ServiceConfig>();
const dynamic = true;

export const SERVICE_PARAMS = new ParamTable<ServiceConfig>([
  boolParam('advertise-ipv6', x('advertise-ipv6', false), { dynamic }),
  choiceParam('auto-pin', x('auto-pin', 'none'), ['none', 'cpu', 'numa', 'adq']),
  uintParam('batch-index-threads', f('batchIndexThreads'), { min: 1, max: 256, dynamic }),
  uintParam('batch-max-buffers-per-queue', x('batch-max-buffers-per-queue', 255), { max: 0xffff_ffff, dynamic }),
  uintParam('batch-max-requests', f('batchMaxRequests'), { max: 0xffff_ffff, dynamic }),
  uintParam('batch-max-unused-buffers', x('batch-max-unused-buffers', 256), { max: 0xffff_ffff, dynamic }),
  boolParam('cgroup-mem-tracking', x('cgroup-mem-tracking', false), { dynamic }),
  stringParam('cluster-name', f('clusterName'), { maxBytes: LIMITS.clusterNameMaxBytes, dynamic }),
  boolParam('debug-allocations', x('debug-allocations', false)),
  boolParam('disable-udf-execution', f('disableUdfExecution')),
  boolParam('enable-benchmarks-fabric', x('enable-benchmarks-fabric', false), { dynamic }),
  // Strato extension; hidden so get-config answers exactly as Aerospike's
  boolParam('enable-compression', f('enableCompression'), { hidden: true }),
  boolParam('enable-health-check', f('enableHealthCheck'), { dynamic }),
  boolParam('enable-hist-info', x('enable-hist-info', false), { dynamic }),
  boolParam('enforce-best-practices', x('enforce-best-practices', false)),
  enterpriseOnly('feature-key-file'),
  stringParam('group', f('group'), { hidden: true }),
  boolParam('indent-allocations', x('indent-allocations', false)),
  uintParam('info-max-ms', f('infoMaxMs'), { min: 500, max: 10000, dynamic }),
  uintParam('info-threads', f('infoThreads'), { min: 1, max: 256, dynamic }),
  boolParam('keep-caps-ssd-health', x('keep-caps-ssd-health', false)),
  boolParam('log-local-time', f('logLocalTime')),
  boolParam('log-millis', f('logMillis')),
  boolParam('microsecond-histograms', x('microsecond-histograms', false), { dynamic }),
  // an EE parameter in Aerospike; Strato's cluster honours it (seconds fills wait after a change)
  uintParam('migrate-fill-delay', x('migrate-fill-delay', 0), { max: 0xffff_ffff, dynamic }),
  uintParam('migrate-max-num-incoming', x('migrate-max-num-incoming', 4), { max: 256, dynamic }),
  uintParam('migrate-threads', f('migrateThreads'), { max: 100, dynamic }),
  uintParam('min-cluster-size', f('minClusterSize'), { max: LIMITS.maxReplicationFactor, dynamic }),
  // rendering of node-id is special (an unset id shows the node's derived id) - see render.ts
  customScalarParam('node-id', f('nodeId'), parseNodeId),
  // Strato extension (nodes one start runs, 0 = one per core); hidden like enable-compression
  uintParam('nodes-per-host', f('nodesPerHost'), { max: 128, hidden: true }),
  stringParam('node-id-interface', x('node-id-interface', 'null')),
  boolParam('os-group-perms', x('os-group-perms', false)),
  stringParam('pidfile', f('pidfile')),
  boolParam('poison-allocations', x('poison-allocations', false)),
  uintParam('proto-fd-idle-ms', f('protoFdIdleMs'), { max: 0x7fff_ffff, dynamic }),
  uintParam('proto-fd-max', f('protoFdMax'), { min: LIMITS.minProtoFdMax, max: LIMITS.maxProtoFdMax, dynamic }),
  uintParam('quarantine-allocations', x('quarantine-allocations', 0), { max: 100_000_000 }),
  uintParam('query-max-done', f('queryMaxDone'), { max: 10000, dynamic }),
  uintParam('query-threads-limit', f('queryThreadsLimit'), { min: 1, max: 1024, dynamic }),
  boolParam('run-as-daemon', f('runAsDaemon'), { noValue: true }),
  enterpriseOnly('secrets-address-port', 'null'),
  enterpriseOnly('secrets-tls-context', 'null'),
  enterpriseOnly('secrets-uds-path', 'null'),
  uintParam('service-threads', f('serviceThreads'), { min: 1, max: 4096, dynamic }),
  uintParam('sindex-builder-threads', f('sindexBuilderThreads'), { min: 1, max: 32, dynamic }),
  uintParam('sindex-gc-period', f('sindexGcPeriodSec'), { max: 0xffff_ffff, dynamic }),
  enterpriseOnly('stay-quiesced', 'false'),
  uintParam('ticker-interval', f('tickerIntervalSec'), { max: 0xffff_ffff, dynamic }),
  // EE in Aerospike; Strato refreshes its tls contexts' files this often (tls-contexts.ts)
  secondsParam('tls-refresh-period', x('tls-refresh-period', TLS_REFRESH_PERIOD_DEFAULT_SEC), { dynamic }),
  uintParam('transaction-max-ms', f('transactionMaxMs'), { max: 0xffff_ffff, dynamic }),
  // Aerospike's set-config refuses 0 (a zero retry interval would spin); refused in files too
  // the 8.1.2 server's set-config refuses 0 (its file parser does not check); one table: refused in both
  uintParam('transaction-retry-ms', f('transactionRetryMs'), { min: 1, max: 0xffff_ffff, dynamic }),
  stringParam('user', f('user'), { hidden: true }),
  enterpriseOnly('vault-ca', 'null'),
  enterpriseOnly('vault-namespace', 'null'),
  enterpriseOnly('vault-path', 'null'),
  enterpriseOnly('vault-token-file', 'null'),
  enterpriseOnly('vault-url', 'null'),
  stringParam('work-directory', f('workDirectory')),
  // Removed parameters, with Aerospike 8's hints:
  obsolete('allow-inline-transactions', "please configure 'service-threads' carefully"),
  obsolete('nsup-period', "please use namespace context 'nsup-period'"),
  obsolete('object-size-hist-period', "please use namespace context 'nsup-hist-period'"),
  obsolete(
    'respond-client-on-master-completion',
    "please use namespace context 'write-commit-level-override' and/or write transaction policy",
  ),
  obsolete('scan-max-done', "please use 'query-max-done'"),
  obsolete('scan-threads-limit', "please use 'query-threads-limit'"),
  obsolete('transaction-pending-limit', "please use namespace context 'transaction-pending-limit'"),
  obsolete('transaction-queues', "please configure 'service-threads' carefully"),
  obsolete(
    'transaction-repeatable-read',
    "please use namespace context 'read-consistency-level-override' and/or read transaction policy",
  ),
  obsolete('transaction-threads-per-queue', "please configure 'service-threads' carefully"),
]);
