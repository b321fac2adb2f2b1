/**
 * The `namespace <name> { }` parameters of Aerospike 8.1 in get-config order, plus the nested
 * `set`, `geo2dsphere-within` and `index-type`/`sindex-type` mount stanzas. Storage parameters
 * are in storage-params.ts.
 */
import { LIMITS, type Geo2dsphereWithinConfig, type IndexMounts, type NamespaceConfig, type SetConfig } from './model.js';
import {
  boolParam,
  deprecated,
  choiceParam,
  customScalarParam,
  enterpriseOnly,
  extraOf,
  fieldsOf,
  listParam,
  obsolete,
  ParamTable,
  secondsParam,
  sizeParam,
  uintParam,
} from './param-spec.js';
import { fail, ok, parseSeconds, parseSigned, type Parsed } from './values.js';

const f = fieldsOf<NamespaceConfig>();
const x = extraOf<NamespaceConfig>();
const dynamic = true;
const U32 = 0xffff_ffff;
const GiB = 1024 ** 3;

export const NAMESPACE_PARAMS = new ParamTable<NamespaceConfig>([
  enterpriseOnly('active-rack', '0'),
  boolParam('allow-ttl-without-nsup', f('allowTtlWithoutNsup'), { dynamic }),
  boolParam('apply-ttl-reductions', f('applyTtlReductions'), { dynamic }),
  enterpriseOnly('auto-revive', 'false'),
  uintParam('background-query-max-rps', x('background-query-max-rps', 10000), { min: 1, max: 1_000_000, dynamic }),
  choiceParam('conflict-resolution-policy', f('conflictResolutionPolicy'), ['generation', 'last-update-time'], { dynamic }),
  enterpriseOnly('conflict-resolve-writes', 'false'),
  uintParam('default-read-touch-ttl-pct', f('defaultReadTouchTtlPct'), { max: 100, dynamic }),
  secondsParam('default-ttl', f('defaultTtlSec'), { max: LIMITS.maxTtlSec, boundNote: '10 years', dynamic }),
  boolParam('disable-cold-start-eviction', f('disableColdStartEviction')),
  enterpriseOnly('disable-mrt-writes', 'false'),
  boolParam('disable-write-dup-res', f('disableWriteDupRes'), { dynamic }),
  enterpriseOnly('disallow-expunge', 'false'),
  boolParam('disallow-null-setname', f('disallowNullSetname'), { dynamic }),
  boolParam('enable-benchmarks-batch-sub', x('enable-benchmarks-batch-sub', false), { dynamic }),
  boolParam('enable-benchmarks-ops-sub', x('enable-benchmarks-ops-sub', false), { dynamic }),
  boolParam('enable-benchmarks-read', x('enable-benchmarks-read', false), { dynamic }),
  boolParam('enable-benchmarks-udf', x('enable-benchmarks-udf', false), { dynamic }),
  boolParam('enable-benchmarks-udf-sub', x('enable-benchmarks-udf-sub', false), { dynamic }),
  boolParam('enable-benchmarks-write', x('enable-benchmarks-write', false), { dynamic }),
  boolParam('enable-hist-proxy', x('enable-hist-proxy', false), { dynamic }),
  uintParam('evict-hist-buckets', f('evictHistBuckets'), { min: 100, max: 10_000_000, dynamic }),
  uintParam('evict-indexes-memory-pct', f('evictIndexesMemoryPct'), { max: 100, dynamic }),
  // tenths of a percent: Aerospike does not check, but more than 100% cannot mean anything
  // above 1000 (100%) a round evicts every evictable record, as Aerospike (u32 range)
  uintParam('evict-tenths-pct', f('evictTenthsPct'), { max: 0xffff_ffff, dynamic }),
  boolParam('force-long-queries', x('force-long-queries', false), { dynamic }),
  enterpriseOnly('ignore-migrate-fill-delay', 'false'),
  sizeParam('index-stage-size', x('index-stage-size', GiB), { min: 128 * 1024 * 1024, max: 16 * GiB, powerOf2: true }),
  sizeParam('indexes-memory-budget', f('indexesMemoryBudget'), { dynamic }),
  boolParam('inline-short-queries', x('inline-short-queries', false), { dynamic }),
  sizeParam('max-record-size', f('maxRecordSizeBytes'), {
    min: LIMITS.minMaxRecordSizeBytes,
    max: LIMITS.maxMaxRecordSizeBytes,
    dynamic,
  }),
  uintParam('migrate-order', x('migrate-order', 5), { min: 1, max: 10, dynamic }),
  uintParam('migrate-retransmit-ms', x('migrate-retransmit-ms', 5000), { max: U32, dynamic }),
  boolParam('migrate-skip-unreadable', x('migrate-skip-unreadable', false), { dynamic }),
  uintParam('migrate-sleep', x('migrate-sleep', 1), { max: U32, dynamic }),
  enterpriseOnly('mrt-duration', '0'),
  secondsParam('nsup-hist-period', f('nsupHistPeriodSec'), { dynamic }),
  secondsParam('nsup-period', f('nsupPeriodSec'), { dynamic }),
  uintParam('nsup-threads', f('nsupThreads'), { min: 1, max: 128, dynamic }),
  uintParam('partition-tree-sprigs', f('partitionTreeSprigs'), { min: 256, max: 1 << 28, powerOf2: true }),
  enterpriseOnly('prefer-uniform-balance', 'false'),
  uintParam('rack-id', f('rackId'), { max: LIMITS.maxRackId, dynamic }),
  choiceParam('read-consistency-level-override', f('readConsistencyLevelOverride'), ['all', 'off', 'one'], { dynamic }),
  boolParam('reject-non-xdr-writes', x('reject-non-xdr-writes', false), { dynamic }),
  boolParam('reject-xdr-writes', x('reject-xdr-writes', false), { dynamic }),
  uintParam('replication-factor', f('replicationFactor'), { min: 1, max: LIMITS.maxReplicationFactor, dynamic }),
  sizeParam('sindex-stage-size', x('sindex-stage-size', GiB), { min: 128 * 1024 * 1024, max: 4 * GiB, powerOf2: true }),
  uintParam('single-query-threads', f('singleQueryThreads'), { min: 1, max: 128, dynamic }),
  uintParam('stop-writes-sys-memory-pct', f('stopWritesSysMemoryPct'), { max: 100, dynamic }),
  boolParam('strong-consistency', f('strongConsistency')),
  enterpriseOnly('strong-consistency-allow-expunge', 'false'),
  enterpriseOnly('tomb-raider-eligible-age', '86400'),
  enterpriseOnly('tomb-raider-period', '86400'),
  enterpriseOnly('tomb-raider-unmark-threads', '0'),
  uintParam('transaction-pending-limit', f('transactionPendingLimit'), { max: U32, dynamic }),
  uintParam('truncate-threads', f('truncateThreads'), { min: 1, max: 128, dynamic }),
  choiceParam('write-commit-level-override', f('writeCommitLevelOverride'), ['all', 'master', 'off'], { dynamic }),
  enterpriseOnly('xdr-bin-tombstone-ttl', '86400'),
  enterpriseOnly('xdr-tomb-raider-period', '120'),
  enterpriseOnly('xdr-tomb-raider-threads', '1'),
  // Removed parameters, with Aerospike 8's hints:
  obsolete('background-scan-max-rps', "please use 'background-query-max-rps'"),
  obsolete('data-in-index', 'see documentation for converting to multi-bin'),
  obsolete('disable-nsup', "please set 'nsup-period' to 0 to disable nsup"),
  // Removed in Aerospike 8 but still in many users' configs: Strato keeps them working (evict by
  // machine memory use; pre-7 high-water marks act as the storage evict-used-pct when that is 0)
  // (Strato extensions: a file using them logs 8.1's reason as a deprecation warning)
  deprecated(
    uintParam('evict-sys-memory-pct', x('evict-sys-memory-pct', 0), { max: 100, dynamic, hidden: true }),
    "'evict-sys-memory-pct' is obsolete in Aerospike 8.1 - please use 'evict-indexes-memory-pct' and 'evict-used-pct' (Strato still accepts it)",
  ),
  deprecated(
    uintParam('high-water-disk-pct', x('high-water-disk-pct', 0), { max: 100, dynamic, hidden: true }),
    "'high-water-disk-pct' is obsolete in Aerospike 8.1 - please use storage context 'evict-used-pct' (Strato still accepts it)",
  ),
  deprecated(
    uintParam('high-water-memory-pct', x('high-water-memory-pct', 0), { max: 100, dynamic, hidden: true }),
    "'high-water-memory-pct' is obsolete in Aerospike 8.1 - please use 'evict-indexes-memory-pct' and storage context 'evict-used-pct' (Strato still accepts it)",
  ),
  obsolete(
    'memory-size',
    "please use 'stop-writes-sys-memory-pct', 'evict-indexes-memory-pct', and storage context 'evict-used-pct' for stop-writes & eviction",
  ),
  obsolete('single-bin', 'see documentation for converting to multi-bin'),
  obsolete('single-scan-threads', "please use 'single-query-threads'"),
  obsolete('stop-writes-pct', "please use 'stop-writes-sys-memory-pct'"),
]);

/** Names of the stanzas a namespace may contain. */
export const NAMESPACE_SUBSTANZAS = ['geo2dsphere-within', 'index-type', 'set', 'sindex-type', 'storage-engine'] as const;

const g = fieldsOf<Geo2dsphereWithinConfig>();
const gdyn = (key: string) => ({ dynamic: true, dynamicKey: `geo2dsphere-within-${key}` });

/** `geo2dsphere-within { }`, rendered as `geo2dsphere-within.<key>`. */
export const GEO2DSPHERE_PARAMS = new ParamTable<Geo2dsphereWithinConfig>([
  boolParam('strict', g('strict')),
  uintParam('min-level', g('minLevel'), { max: 30, ...gdyn('min-level') }),
  uintParam('max-level', g('maxLevel'), { max: 30, ...gdyn('max-level') }),
  uintParam('max-cells', g('maxCells'), { min: 1, max: 256, ...gdyn('max-cells') }),
  uintParam('level-mod', g('levelMod'), { min: 1, max: 3 }),
  uintParam('earth-radius-meters', g('earthRadiusMeters'), { max: U32 }),
]);

const m = fieldsOf<IndexMounts>();

/**
 * `index-type pmem|flash { }` / `sindex-type pmem|flash { }` mount settings.
 * @param minBudgetBytes Aerospike's floor for `mounts-budget` (4G for a flash primary index)
 */
export function indexMountParams(minBudgetBytes: number): ParamTable<IndexMounts> {
  return new ParamTable<IndexMounts>([
    listParam('mount', (t) => t.mounts, { maxItems: 128 }),
    uintParam('evict-mounts-pct', m('evictMountsPct'), { max: 100 }),
    sizeParam('mounts-budget', m('mountsBudgetBytes'), { min: minBudgetBytes }),
    obsolete('mounts-high-water-pct', "please use 'evict-mounts-pct'"),
    obsolete('mounts-size-limit', "please use 'mounts-budget'"),
  ]);
}

/** `-1` (never touch) or 0..100. */
function parseReadTouchPct(text: string): Parsed<number> {
  const p = parseSigned(text);
  if (!p.ok) return p;
  return p.value >= -1 && p.value <= 100 ? ok(p.value) : fail(`must be between 0 and 100 or -1, got ${text}`);
}

/** `-1` (never expire) or a duration of at most 10 years. */
function parseSetTtl(text: string): Parsed<number> {
  const p = parseSeconds(text, true);
  if (!p.ok) return p;
  return p.value <= LIMITS.maxTtlSec ? p : fail(`must be at most ${LIMITS.maxTtlSec} seconds (10 years) or -1, got ${text}`);
}

/** Aerospike shows set values as unsigned 32-bit numbers, so -1 reads 4294967295. */
const renderU32 = (v: number | undefined) => String((v ?? 0) >>> 0);

const s = fieldsOf<SetConfig>();

/** `set <name> { }`: all dynamic through `set-config:context=namespace;id=<ns>;set=<name>;...`. */
export const SET_PARAMS = new ParamTable<SetConfig>([
  customScalarParam('default-read-touch-ttl-pct', s('defaultReadTouchTtlPct'), parseReadTouchPct, {
    dynamic,
    renderValue: renderU32,
  }),
  customScalarParam('default-ttl', s('defaultTtlSec'), parseSetTtl, { dynamic, renderValue: renderU32 }),
  boolParam('disable-eviction', s('disableEviction'), { dynamic }),
  boolParam('enable-index', s('enableIndex'), { dynamic }),
  uintParam('stop-writes-count', s('stopWritesCount'), { dynamic }),
  sizeParam('stop-writes-size', s('stopWritesSizeBytes'), { dynamic }),
  obsolete('set-disable-eviction', "please use 'disable-eviction'"),
  obsolete('set-stop-writes-count', "please use 'stop-writes-count'"),
]);
