/**
 * Strato's parameter tables against Aerospike's published JSON schema of the 8.1.2 configuration
 * (aerospike/schemas json/aerospike/8.1.2.json, copied to test/fixtures/aerospike-8.1.2/schema.json;
 * it is data). For every parameter of every context the schema lists: Strato knows the name, refuses
 * an enterprise-only one with CE's reason, and otherwise has the same type, default, range and
 * dynamic flag. Every deliberate difference is listed in DIFFERENCES with its reason; a difference
 * that disappears must be taken off the list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/paths.js';
import type { ParamSpec, ParamTable } from '../../src/config/param-spec.js';
import { SERVICE_PARAMS } from '../../src/config/service-params.js';
import {
  NETWORK_ADMIN_PARAMS,
  NETWORK_FABRIC_PARAMS,
  NETWORK_HEARTBEAT_PARAMS,
  NETWORK_SERVICE_PARAMS,
} from '../../src/config/network-params.js';
import { GEO2DSPHERE_PARAMS, NAMESPACE_PARAMS, SET_PARAMS } from '../../src/config/namespace-params.js';
import { DEVICE_STORAGE_PARAMS, MEMORY_STORAGE_PARAMS } from '../../src/config/storage-params.js';
import { MOD_LUA_PARAMS, parseConfig } from '../../src/config/parser.js';
import { newTlsConfig, TLS_PARAMS } from '../../src/config/tls-params.js';
import { LOG_CONTEXTS } from '../../src/config/parse-logging.js';
import { LDAP_PARAMS, newLdapConfig, newSecurityConfig, SECURITY_LOG_PARAMS, SECURITY_PARAMS } from '../../src/config/security-params.js';
import {
  newDeviceStorage,
  newGeo2dsphereWithin,
  newMemoryStorage,
  newModLuaConfig,
  newNamespaceConfig,
  newNetworkConfig,
  newServiceConfig,
  newSetConfig,
} from '../../src/config/stanza-defaults.js';

interface SchemaProp {
  type?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  dynamic?: boolean;
  enterpriseOnly?: boolean;
  enum?: string[];
  oneOf?: { properties?: Record<string, SchemaProp> }[];
  properties?: Record<string, SchemaProp>;
  items?: { properties?: Record<string, SchemaProp> };
}

const schema = JSON.parse(readFileSync(join(FIXTURES, 'aerospike-8.1.2', 'schema.json'), 'utf8')) as { properties: Record<string, SchemaProp> };
const top = schema.properties;
const net = top['network']!.properties!;
const nsProps = top['namespaces']!.items!.properties!;
const storageKinds = nsProps['storage-engine']!.oneOf!;
const secProps = top['security']!.properties!;

/** One context of the schema and the Strato table (and defaults) for it. */
interface Context {
  name: string;
  props: Record<string, SchemaProp>;
  table: ParamTable<any>;
  defaults: object;
  /** schema keys that are sub-stanzas here, checked by their own context */
  stanzas?: readonly string[];
}

const CONTEXTS: Context[] = [
  { name: 'service', props: top['service']!.properties!, table: SERVICE_PARAMS, defaults: newServiceConfig() },
  { name: 'network.service', props: net['service']!.properties!, table: NETWORK_SERVICE_PARAMS, defaults: newNetworkConfig().service },
  { name: 'network.admin', props: net['admin']!.properties!, table: NETWORK_ADMIN_PARAMS, defaults: newNetworkConfig().admin },
  { name: 'network.heartbeat', props: net['heartbeat']!.properties!, table: NETWORK_HEARTBEAT_PARAMS, defaults: newNetworkConfig().heartbeat },
  { name: 'network.fabric', props: net['fabric']!.properties!, table: NETWORK_FABRIC_PARAMS, defaults: newNetworkConfig().fabric },
  {
    name: 'namespace',
    props: nsProps,
    table: NAMESPACE_PARAMS,
    defaults: newNamespaceConfig('test'),
    stanzas: ['name', 'geo2dsphere-within', 'index-type', 'sets', 'sindex-type', 'storage-engine'],
  },
  { name: 'geo2dsphere-within', props: nsProps['geo2dsphere-within']!.properties!, table: GEO2DSPHERE_PARAMS, defaults: newGeo2dsphereWithin() },
  { name: 'set', props: nsProps['sets']!.items!.properties!, table: SET_PARAMS, defaults: newSetConfig('s'), stanzas: ['name'] },
  { name: 'storage-engine memory', props: storageKinds[0]!.properties!, table: MEMORY_STORAGE_PARAMS, defaults: newMemoryStorage(), stanzas: ['type'] },
  { name: 'storage-engine device', props: storageKinds[1]!.properties!, table: DEVICE_STORAGE_PARAMS, defaults: newDeviceStorage(), stanzas: ['type'] },
  { name: 'mod-lua', props: top['mod-lua']!.properties!, table: MOD_LUA_PARAMS, defaults: newModLuaConfig() },
  { name: 'tls', props: net['tls']!.items!.properties!, table: TLS_PARAMS, defaults: newTlsConfig('t', 'x', 1), stanzas: ['name'] },
  { name: 'security', props: secProps, table: SECURITY_PARAMS, defaults: newSecurityConfig(), stanzas: ['ldap', 'log'] },
  // the repeatable lists are parsed apart from the tables (their own line forms), checked in the parser tests
  { name: 'security ldap', props: secProps['ldap']!.properties!, table: LDAP_PARAMS, defaults: newLdapConfig(), stanzas: ['role-query-patterns'] },
  { name: 'security log', props: secProps['log']!.properties!, table: SECURITY_LOG_PARAMS, defaults: newSecurityConfig().log, stanzas: ['report-data-op', 'report-data-op-role', 'report-data-op-user'] },
];

/** Aerospike EE's security parameters, which Strato's free edition implements (README Security). */
const SECURITY_EE: readonly string[] = [
  ...Object.keys(secProps).filter((k) => k !== 'ldap' && k !== 'log').map((k) => `security ${k}`),
  ...Object.keys(secProps['ldap']!.properties!).filter((k) => k !== 'role-query-patterns').map((k) => `security ldap ${k}`),
  ...Object.keys(secProps['log']!.properties!).filter((k) => k.startsWith('report-') && !k.startsWith('report-data-op')).map((k) => `security log ${k}`),
];

/** Aerospike EE's TLS parameters, which Strato's free edition implements (README Security). */
const TLS_EE: readonly string[] = [
  'network.service tls-port',
  'network.service tls-addresses',
  'network.service tls-access-port',
  'network.service tls-access-addresses',
  'network.service tls-alternate-access-port',
  'network.service tls-alternate-access-addresses',
  'network.service tls-name',
  'network.service tls-authenticate-client',
  'network.heartbeat tls-port',
  'network.heartbeat tls-addresses',
  'network.heartbeat tls-name',
  'network.heartbeat tls-mesh-seed-address-ports',
  'network.admin tls-port',
  'network.admin tls-addresses',
  'network.admin tls-name',
  'network.admin tls-authenticate-client',
  'network.fabric tls-port',
  'network.fabric tls-addresses',
  'network.fabric tls-name',
  ...['ca-file', 'ca-path', 'cert-blacklist', 'cert-file', 'cipher-suite', 'key-file', 'key-file-password', 'pki-user-append-ou', 'protocols'].map((k) => `tls ${k}`),
];

const SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Where Strato deliberately differs from the 8.1.2 schema, by `<context> <name> <aspect>`, with
 * the reason. Aspects: name (unknown to Strato), ee (accepted although enterprise-only), dynamic,
 * default, min, max, type.
 */
const DIFFERENCES: Record<string, string> = {
  ...Object.fromEntries(TLS_EE.map((k) => [`${k} ee`, 'Strato implements TLS (EE-only in Aerospike), see README Security'])),
  ...Object.fromEntries(SECURITY_EE.map((k) => [`${k} ee`, 'Strato implements access control (EE-only in Aerospike), see README Security'])),
  // service
  'service batch-index-threads default': 'Aerospike sets it to the number of CPUs at start (the corpus, recorded on 2 CPUs, shows 2); the schema lists 1; Strato does the same as the server',
  'service service-threads default': 'Aerospike sets it to the number of CPUs at start; the schema lists 1; Strato does the same as the server',
  'service cluster-name default': "Aerospike refuses to start without one; Strato's single node defaults to 'strato' so `npx strato` runs without a file",
  'service work-directory default': 'Strato keeps its system metadata under ./data by default (no root install needed) instead of /opt/aerospike',
  'service transaction-retry-ms min': "the 8.1.2 server's set-config refuses 0 (cfg_info.c) though its file parser and the schema allow it; Strato's one table refuses 0 in both",
  'service migrate-fill-delay ee': 'Strato implements migrate-fill-delay (EE-only in Aerospike), see README Cluster',
  'service tls-refresh-period ee': 'Strato refreshes its tls contexts (EE-only in Aerospike), see README TLS',
  // network
  'network.service port default': 'Strato listens on 3000 when a file sets no port (Aerospike requires one)',
  'network.heartbeat port default': 'Strato defaults to 3002 (Aerospike has no default and requires one with a heartbeat stanza)',
  'network.fabric port default': 'Strato defaults to 3001 (Aerospike has no default and requires one)',
  // namespace
  'namespace replication-factor dynamic': "the 8.1.2 server changes it with set-config (cfg_info.c; not with strong-consistency) although the schema marks it static; Strato follows the server",
  'namespace rack-id ee': 'accepted (CE refuses it): rack awareness is an Enterprise feature Strato does not act on yet, see README',
  'namespace strong-consistency ee': 'accepted (CE refuses it) so that files written for EE with strong-consistency false start; Strato runs AP only',
  // storage
  'storage-engine memory commit-to-device ee': 'Strato implements commit-to-device (EE-only in Aerospike) for backed memory',
  'storage-engine device commit-to-device ee': 'Strato implements commit-to-device (EE-only in Aerospike)',
  'storage-engine memory compression ee': "accepted (CE refuses it) so files written for EE start; Strato stores records uncompressed",
  'storage-engine device compression ee': "accepted (CE refuses it) so files written for EE start; Strato stores records uncompressed",
  'storage-engine memory compression-level ee': 'accepted with compression (see compression)',
  'storage-engine device compression-level ee': 'accepted with compression (see compression)',
  'storage-engine memory encryption-key-file ee': 'accepted (CE refuses it); Strato does not encrypt storage',
  'storage-engine device encryption-key-file ee': 'accepted (CE refuses it); Strato does not encrypt storage',
  'storage-engine device serialize-tomb-raider ee': 'accepted (CE refuses it); Strato has no tomb raider thread to serialize',
  'storage-engine memory data-size min': 'Strato allows namespaces from 1M (Aerospike: 512M) so eviction and stop-writes can be exercised quickly',
  'storage-engine memory filesize min': 'Strato allows files from 1M (Aerospike: 128M) for tests and small deployments',
  'storage-engine device filesize min': 'Strato allows files from 1M (Aerospike: 128M) for tests and small deployments',
};

type Finding = [key: string, detail: string];

/** The config-file key of a schema name: arrays are plural in the schema (`addresses`), singular in files. */
function fileKey(table: ParamTable<any>, name: string, prop: SchemaProp): string {
  if (prop.type !== 'array' || table.get(name) !== undefined) return name;
  for (const singular of [name.replace(/s$/, ''), name.replace(/es$/, '')]) if (table.get(singular) !== undefined) return singular;
  return name;
}

function expectedDefault(prop: SchemaProp): string | undefined {
  const d = prop.default;
  if (d === undefined || Array.isArray(d)) return undefined;
  if (typeof d === 'boolean') return d ? 'true' : 'false';
  if (typeof d === 'number') return String(d);
  if (typeof d === 'string') return d === '' ? 'null' : d;
  return undefined;
}

function checkParam(ctx: Context, name: string, prop: SchemaProp, out: Finding[]): void {
  const id = (aspect: string) => `${ctx.name} ${name} ${aspect}`;
  const key = fileKey(ctx.table, name, prop);
  const spec: ParamSpec<any> | undefined = ctx.table.get(key);
  if (!spec) {
    out.push([id('name'), `Strato does not know '${key}'`]);
    return;
  }
  if (prop.enterpriseOnly) {
    if (spec.refusal === `'${key}' is enterprise-only`) return;
    out.push([id('ee'), `accepted; CE refuses it as enterprise-only (${spec.refusal ?? 'no refusal'})`]);
  } else if (spec.refusal !== undefined) {
    out.push([id('name'), `refused: ${spec.refusal}`]);
    return;
  }
  if (spec.refusal !== undefined) return;
  if (prop.dynamic !== undefined && spec.dynamic !== prop.dynamic) out.push([id('dynamic'), `Strato ${spec.dynamic}, schema ${prop.dynamic}`]);
  const ok = (v: string) => spec.parse([v]).ok;
  switch (prop.type) {
    case 'boolean':
      if (!ok('true') || !ok('false')) out.push([id('type'), 'does not parse true/false']);
      break;
    case 'integer': {
      const { minimum: min, maximum: max } = prop;
      if (min !== undefined && !ok(String(min))) out.push([id('min'), `refuses the minimum ${min}`]);
      if (min !== undefined && min > 0 && ok(String(min - 1))) out.push([id('min'), `accepts ${min - 1}, below the minimum ${min}`]);
      if (max !== undefined && max <= SAFE && !ok(String(max))) out.push([id('max'), `refuses the maximum ${max}`]);
      if (max !== undefined && max < SAFE && ok(String(max + 1))) out.push([id('max'), `accepts ${max + 1}, above the maximum ${max}`]);
      break;
    }
    case 'string':
      if (prop.enum) {
        for (const v of prop.enum) if (!ok(v)) out.push([id('type'), `refuses the value ${v}`]);
        if (ok('no-such-value')) out.push([id('type'), 'accepts a value outside its enum']);
      }
      break;
    case 'array':
      if (!spec.repeatable) out.push([id('type'), 'is not repeatable']);
      break;
  }
  const want = expectedDefault(prop);
  if (want !== undefined) {
    const shown = spec.render(ctx.defaults).find(([k]) => k === key)?.[1];
    if (shown !== undefined && shown !== want) out.push([id('default'), `Strato ${shown}, schema ${want}`]);
  }
}

function findings(): Finding[] {
  const out: Finding[] = [];
  for (const ctx of CONTEXTS) {
    for (const [name, prop] of Object.entries(ctx.props)) {
      if (ctx.stanzas?.includes(name)) continue;
      checkParam(ctx, name, prop, out);
    }
  }
  return out;
}

test('every 8.1.2 parameter has the schema name, type, default, range and dynamic flag, or a listed reason', () => {
  const unexplained = findings().filter(([key]) => DIFFERENCES[key] === undefined);
  assert.deepEqual(unexplained, []);
});

test('every difference listed with a reason still exists', () => {
  const found = new Set(findings().map(([key]) => key));
  assert.deepEqual(Object.keys(DIFFERENCES).filter((k) => !found.has(k)), []);
});

test('every 8.1.2 log context is accepted in a logging stanza', () => {
  const contexts = Object.keys(top['logging']!.items!.properties!).filter((k) => !['name', 'facility', 'path', 'tag'].includes(k));
  assert.deepEqual(contexts.filter((c) => c !== 'any' && !LOG_CONTEXTS.includes(c)), []);
  const lines = contexts.map((c) => `        context ${c} info`).join('\n');
  assert.doesNotThrow(() => parseConfig(`logging {\n    console {\n${lines}\n    }\n}\nnamespace t {\n    storage-engine memory {\n        data-size 1G\n    }\n}\n`, 'x'));
});

test("enterprise-only stanzas of the schema are refused with CE's reason (security is Strato's free edition's)", () => {
  const ns = (body: string) => `namespace t {\n${body}\n    storage-engine memory {\n        data-size 1G\n    }\n}\n`;
  assert.ok(parseConfig(`security {\n}\n${ns('')}`, 'x').security);
  assert.throws(() => parseConfig(`xdr {\n}\n${ns('')}`, 'x'), /'xdr' is enterprise-only/);
  // TLS is Strato's free edition's too (README Security): a tls stanza parses
  assert.equal(parseConfig(`network {\n    tls t {\n    }\n}\n${ns('')}`, 'x').network.tls[0]!.name, 't');
  assert.equal(storageKinds[2]!.properties!['type']!.enum![0], 'pmem');
  assert.throws(
    () => parseConfig('namespace t {\n    storage-engine pmem {\n        file /p\n        filesize 1G\n    }\n}\n', 'x'),
    /enterprise-only/,
  );
});

/** Names Aerospike 8.1.2 refuses as obsolete, by stanza, with the hint of its `'x' is obsolete - <hint>` message. */
const OBSOLETE_8_1_2: readonly [stanza: 'service' | 'namespace' | 'memory' | 'device', name: string, hint: string][] = [
  ['service', 'allow-inline-transactions', "please configure 'service-threads' carefully"],
  ['service', 'nsup-period', "please use namespace context 'nsup-period'"],
  ['service', 'object-size-hist-period', "please use namespace context 'nsup-hist-period'"],
  ['service', 'respond-client-on-master-completion', "please use namespace context 'write-commit-level-override' and/or write transaction policy"],
  ['service', 'scan-max-done', "please use 'query-max-done'"],
  ['service', 'scan-threads-limit', "please use 'query-threads-limit'"],
  ['service', 'transaction-pending-limit', "please use namespace context 'transaction-pending-limit'"],
  ['service', 'transaction-queues', "please configure 'service-threads' carefully"],
  ['service', 'transaction-repeatable-read', "please use namespace context 'read-consistency-level-override' and/or read transaction policy"],
  ['service', 'transaction-threads-per-queue', "please configure 'service-threads' carefully"],
  ['namespace', 'background-scan-max-rps', "please use 'background-query-max-rps'"],
  ['namespace', 'data-in-index', 'see documentation for converting to multi-bin'],
  ['namespace', 'disable-nsup', "please set 'nsup-period' to 0 to disable nsup"],
  ['namespace', 'evict-sys-memory-pct', "please use 'evict-indexes-memory-pct' and 'evict-used-pct'"],
  ['namespace', 'high-water-disk-pct', "please use storage context 'evict-used-pct'"],
  ['namespace', 'high-water-memory-pct', "please use 'evict-indexes-memory-pct' and storage context 'evict-used-pct'"],
  ['namespace', 'memory-size', "please use 'stop-writes-sys-memory-pct', 'evict-indexes-memory-pct', and storage context 'evict-used-pct' for stop-writes & eviction"],
  ['namespace', 'single-bin', 'see documentation for converting to multi-bin'],
  ['namespace', 'single-scan-threads', "please use 'single-query-threads'"],
  ['namespace', 'stop-writes-pct', "please use 'stop-writes-sys-memory-pct'"],
  ['memory', 'max-used-pct', "please use 'stop-writes-used-pct' instead"],
  ['memory', 'min-avail-pct', "please use 'stop-writes-avail-pct' instead"],
  ['device', 'data-in-memory', "please use 'storage-engine memory' to store data in memory"],
  ['device', 'disable-odirect', "please use 'read-page-cache' instead"],
  ['device', 'fsync-max-sec', "please use 'flush-files' instead"],
  ['device', 'max-used-pct', "please use 'stop-writes-used-pct' instead"],
  ['device', 'min-avail-pct', "please use 'stop-writes-avail-pct' instead"],
  ['device', 'post-write-queue', "please use 'post-write-cache' and perhaps 'max-record-size'"],
  ['device', 'write-block-size', "please use 'flush-size' and 'post-write-cache' and perhaps 'max-record-size'"],
];

/** Obsolete names Strato still accepts (documented extensions), each logging a deprecation warning. */
const ACCEPTED_OBSOLETE = new Set([
  'namespace evict-sys-memory-pct',
  'namespace high-water-disk-pct',
  'namespace high-water-memory-pct',
  'memory max-used-pct',
  'memory min-avail-pct',
  'device data-in-memory',
  'device max-used-pct',
  'device min-avail-pct',
  'device write-block-size',
]);

test("a name 8.1.2 refuses as obsolete is refused with its reason, or accepted with a deprecation warning where README documents it", () => {
  for (const [stanza, name, hint] of OBSOLETE_8_1_2) {
    const value = name === 'data-in-memory' ? 'false' : name === 'write-block-size' ? '1M' : '1';
    const line = `        ${name} ${value}`;
    const text =
      stanza === 'service'
        ? `service {\n${line}\n}\nnamespace t {\n    storage-engine memory {\n        data-size 1G\n    }\n}\n`
        : stanza === 'namespace'
          ? `namespace t {\n${line}\n    storage-engine memory {\n        data-size 1G\n    }\n}\n`
          : stanza === 'memory'
            ? `namespace t {\n    storage-engine memory {\n        data-size 1G\n${line}\n    }\n}\n`
            : `namespace t {\n    storage-engine device {\n        file /d\n        filesize 1G\n${line}\n    }\n}\n`;
    const warnings: string[] = [];
    if (ACCEPTED_OBSOLETE.has(`${stanza} ${name}`)) {
      assert.doesNotThrow(() => parseConfig(text, 'x', (w) => warnings.push(w.message)), name);
      assert.equal(warnings.length, 1, `${name} logs one deprecation warning`);
      assert.match(warnings[0]!, new RegExp(`^'${name}' is obsolete`), name);
    } else {
      assert.throws(() => parseConfig(text, 'x'), (e: Error) => e.message.endsWith(`'${name}' is obsolete - ${hint}`), name);
    }
  }
});
