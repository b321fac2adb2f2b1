/**
 * Runtime get-config / set-config: answers and error strings as recorded from a real Aerospike
 * 8.1.2 server (test/fixtures/corpus/info.jsonl, scenarios info-basic and info-set-config), round
 * trips, cross-field rules and change listeners.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  applySetConfig,
  CONFIG_ERRORS,
  defaultConfig,
  getConfigInfo,
  onConfigChange,
  parseConfig,
  parseInfoParams,
  renderConfig,
  renderSetConfig,
  type ConfigChange,
  type DeviceStorage,
  type StratoConfig,
} from '../../src/config/index.js';
import { CORPUS } from '../helpers/paths.js';

const INFO_CORPUS = join(CORPUS, 'info.jsonl');

interface CorpusLine {
  scenario: string;
  step: number;
  request: string;
  responses: string[];
}

/** The recorded answer value of one info step (`<command>\t<value>\n` after the 8-byte header). */
function recordedAnswer(scenario: string, step: number): { command: string; value: string } {
  const lines = readFileSync(INFO_CORPUS, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as CorpusLine);
  const line = lines.find((l) => l.scenario === scenario && l.step === step);
  assert.ok(line, `corpus step ${scenario}#${step}`);
  const text = Buffer.from(line.responses[0]!, 'hex').subarray(8).toString('utf8').replace(/\n$/, '');
  const tab = text.indexOf('\t');
  return { command: text.slice(0, tab), value: text.slice(tab + 1) };
}

/** Runs a set-config request written as the info command's parameter text. */
const setConfig = (cfg: StratoConfig, params: string) => applySetConfig(cfg, parseInfoParams(params));
const getConfig = (cfg: StratoConfig, params: string) => getConfigInfo(cfg, parseInfoParams(params));

/** Value of `key` in a rendered `k=v;k=v` answer. */
function valueOf(rendered: string, key: string): string | undefined {
  for (const pair of rendered.split(';')) {
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq) === key) return pair.slice(eq + 1);
  }
  return undefined;
}

const deviceConfig = () =>
  parseConfig(
    `namespace ssd {
    nsup-period 60
    storage-engine device {
        file /data/ssd.dat
        filesize 4G
        write-block-size 512K
    }
    max-record-size 256K
}
`,
    'x',
  );

// ---------------------------------------------------------------------------------------------
// get-config answers

test('namespace get-config answers byte for byte what Aerospike 8.1.2 answered for the same namespace', () => {
  const recorded = recordedAnswer('info-basic', 22);
  assert.equal(recorded.command, 'get-config:context=namespace;id=test');
  assert.equal(getConfig(defaultConfig(), 'context=namespace;id=test'), recorded.value);
});

test('service get-config lists the same keys in the same order as Aerospike 8.1.2', () => {
  const recorded = recordedAnswer('info-basic', 21).value.split(';').map((p) => p.split('=')[0]);
  const ours = renderConfig(defaultConfig(), 'service', undefined, { nodeId: 'BB901000000FC02' })
    .split(';')
    .map((p) => p.split('=')[0]);
  assert.deepEqual(ours, recorded);
});

test('service get-config shows the configured values in bytes, seconds and true/false', () => {
  const cfg = parseConfig('service {\n    proto-fd-max 2K\n    run-as-daemon true\n}\nnamespace t {\n    storage-engine memory\n}\n', 'x');
  const svc = renderConfig(cfg, 'service');
  assert.equal(valueOf(svc, 'proto-fd-max'), '2048');
  assert.equal(valueOf(svc, 'run-as-daemon'), 'true');
  assert.equal(valueOf(svc, 'batch-max-requests'), '0');
  assert.equal(valueOf(svc, 'pidfile'), 'null');
});

test('service get-config shows the running node id when none is configured', () => {
  assert.equal(valueOf(renderConfig(defaultConfig(), 'service', undefined, { nodeId: 'A1' }), 'node-id'), 'A1');
});

test('service get-config hides user, group and the Strato-only enable-compression', () => {
  const cfg = parseConfig('service {\n    user nobody\n    group nogroup\n}\nnamespace t {\n    storage-engine memory\n}\n', 'x');
  const svc = renderConfig(cfg, 'service');
  assert.equal(valueOf(svc, 'user'), undefined);
  assert.equal(valueOf(svc, 'group'), undefined);
  assert.equal(valueOf(svc, 'enable-compression'), undefined);
});

test('device namespace get-config shows files, flush-size and sizes in bytes under storage-engine., as 8.1 (no write-block-size)', () => {
  const ns = renderConfig(deviceConfig(), 'namespace', 'ssd');
  assert.equal(valueOf(ns, 'storage-engine'), 'device');
  assert.equal(valueOf(ns, 'storage-engine.file[0]'), '/data/ssd.dat');
  assert.equal(valueOf(ns, 'storage-engine.filesize'), String(4 * 1024 ** 3));
  assert.equal(valueOf(ns, 'storage-engine.flush-size'), String(1024 * 1024));
  assert.equal(valueOf(ns, 'storage-engine.write-block-size'), undefined, 'a Strato extension 8.1 does not show');
  assert.equal(valueOf(ns, 'storage-engine.post-write-cache'), String(256 * 1024 * 1024));
  assert.equal(valueOf(ns, 'storage-engine.read-page-cache'), 'false');
  assert.equal(valueOf(ns, 'storage-engine.stop-writes-used-pct'), '70');
  assert.equal(valueOf(ns, 'max-record-size'), String(256 * 1024));
});

test('network get-config shows the service port and addresses', () => {
  const net = renderConfig(defaultConfig(), 'network');
  assert.equal(valueOf(net, 'service.port'), '3000');
  assert.equal(valueOf(net, 'service.address'), '127.0.0.1');
  assert.equal(valueOf(net, 'heartbeat.mode'), 'mesh');
  assert.equal(valueOf(net, 'fabric.port'), '3001');
});

test('logging renders the sinks as the logs info command lists them', () => {
  const cfg = parseConfig('logging {\n    console {\n    }\n    file /var/log/s.log {\n    }\n}\nnamespace t {\n    storage-engine memory\n}\n', 'x');
  assert.equal(renderConfig(cfg, 'logging'), '0:stderr;1:/var/log/s.log');
});

test('get-config of an unknown namespace answers ERROR:20 as Aerospike', () => {
  const recorded = recordedAnswer('info-basic', 23);
  assert.equal(getConfig(defaultConfig(), 'context=namespace;id=nons'), recorded.value);
  assert.equal(recorded.value, 'ERROR:20:namespace not found on node');
});

test('get-config of an unknown context answers ERROR:4 as Aerospike', () => {
  const recorded = recordedAnswer('info-basic', 24);
  assert.equal(getConfig(defaultConfig(), 'context=nosuch'), recorded.value);
  assert.equal(recorded.value, 'ERROR:4:invalid context');
});

test('get-config without a context answers service and network together', () => {
  const cfg = defaultConfig();
  assert.equal(getConfigInfo(cfg, new Map()), `${renderConfig(cfg, 'service')};${renderConfig(cfg, 'network')}`);
});

test('get-config of a namespace without its name answers missing namespace', () => {
  assert.equal(getConfig(defaultConfig(), 'context=namespace'), "ERROR:20:missing 'namespace'");
});

test('get-config accepts namespace= as well as id=', () => {
  const cfg = defaultConfig();
  assert.equal(getConfig(cfg, 'context=namespace;namespace=test'), renderConfig(cfg, 'namespace', 'test'));
});

// ---------------------------------------------------------------------------------------------
// set-config answers recorded from Aerospike (info-set-config scenario)

test('set-config of transaction-retry-ms changes it and get-config shows the new value', () => {
  const cfg = defaultConfig();
  const r = setConfig(cfg, 'context=service;transaction-retry-ms=1001');
  assert.deepEqual(r, { ok: true, changed: [{ context: 'service', key: 'transaction-retry-ms', oldValue: '1002', newValue: '1001' }] });
  assert.equal(cfg.service.transactionRetryMs, 1001);
  assert.equal(valueOf(getConfig(cfg, 'context=service'), 'transaction-retry-ms'), '1001');
  assert.ok(recordedAnswer('info-set-config', 3).value.includes('transaction-retry-ms=1001'));
});

test('set-config of an unknown parameter answers ERROR:4 invalid set-config parameter', () => {
  assert.deepEqual(setConfig(defaultConfig(), 'context=service;no-such-param=1'), { ok: false, error: recordedAnswer('info-set-config', 5).value });
});

test('set-config with a bad value answers ERROR:4 invalid set-config parameter and changes nothing', () => {
  const cfg = defaultConfig();
  assert.deepEqual(setConfig(cfg, 'context=service;transaction-retry-ms=abc'), { ok: false, error: recordedAnswer('info-set-config', 6).value });
  assert.equal(cfg.service.transactionRetryMs, 1002);
});

test('set-config of a namespace default-ttl with nsup running is applied', () => {
  const cfg = defaultConfig();
  assert.equal(recordedAnswer('info-set-config', 7).value, 'ok');
  const r = setConfig(cfg, 'context=namespace;id=test;default-ttl=100');
  assert.deepEqual(r, { ok: true, changed: [{ context: 'namespace', namespace: 'test', key: 'default-ttl', oldValue: '0', newValue: '100' }] });
  assert.equal(cfg.namespaces[0]!.defaultTtlSec, 100);
  assert.equal(valueOf(getConfig(cfg, 'context=namespace;id=test'), 'default-ttl'), '100');
});

test('set-config of an unknown namespace answers ERROR:20 namespace not found on node', () => {
  assert.deepEqual(setConfig(defaultConfig(), 'context=namespace;id=nons;default-ttl=0'), { ok: false, error: recordedAnswer('info-set-config', 9).value });
});

test('set-config of an unknown context answers ERROR:4 invalid context', () => {
  assert.deepEqual(setConfig(defaultConfig(), 'context=nosuch;x=1'), { ok: false, error: recordedAnswer('info-set-config', 10).value });
});

test('set-config without a context answers ERROR:4 missing context', () => {
  assert.deepEqual(setConfig(defaultConfig(), 'x=1'), { ok: false, error: recordedAnswer('info-set-config', 11).value });
  assert.equal(CONFIG_ERRORS.missingContext, "ERROR:4:missing 'context'");
});

// ---------------------------------------------------------------------------------------------
// set-config rules

test('a non-zero default-ttl is refused while nsup is off', () => {
  const cfg = parseConfig('namespace t {\n    storage-engine memory\n}\n', 'x');
  assert.deepEqual(setConfig(cfg, 'context=namespace;id=t;default-ttl=100'), { ok: false, error: CONFIG_ERRORS.invalidParameter });
  assert.equal(cfg.namespaces[0]!.defaultTtlSec, 0);
});

test('a non-zero default-ttl is accepted together with the nsup-period that allows it', () => {
  const cfg = parseConfig('namespace t {\n    storage-engine memory\n}\n', 'x');
  const r = setConfig(cfg, 'context=namespace;id=t;nsup-period=60;default-ttl=1h');
  assert.equal(r.ok, true);
  assert.equal(cfg.namespaces[0]!.nsupPeriodSec, 60);
  assert.equal(cfg.namespaces[0]!.defaultTtlSec, 3600);
});

test('a non-zero default-ttl is accepted with allow-ttl-without-nsup true', () => {
  const cfg = parseConfig('namespace t {\n    allow-ttl-without-nsup true\n    storage-engine memory\n}\n', 'x');
  assert.equal(setConfig(cfg, 'context=namespace;id=t;default-ttl=100').ok, true);
});

test('turning nsup off under a non-zero default-ttl is accepted, as Aerospike accepts it', () => {
  const cfg = defaultConfig();
  assert.equal(setConfig(cfg, 'context=namespace;id=test;default-ttl=100').ok, true);
  assert.equal(setConfig(cfg, 'context=namespace;id=test;nsup-period=0').ok, true);
  assert.equal(cfg.namespaces[0]!.nsupPeriodSec, 0);
});

test('a default-ttl above 10 years is refused', () => {
  assert.deepEqual(setConfig(defaultConfig(), 'context=namespace;id=test;default-ttl=3651d'), { ok: false, error: CONFIG_ERRORS.invalidParameter });
});

test('a parameter that is not dynamic is refused', () => {
  const cfg = defaultConfig();
  assert.deepEqual(setConfig(cfg, 'context=namespace;id=test;strong-consistency=true'), { ok: false, error: CONFIG_ERRORS.invalidParameter });
  assert.deepEqual(setConfig(cfg, 'context=service;work-directory=/tmp'), { ok: false, error: CONFIG_ERRORS.invalidParameter });
  assert.deepEqual(setConfig(cfg, 'context=namespace;id=test;data-size=2G'), { ok: false, error: CONFIG_ERRORS.invalidParameter });
});

test('a request with one bad parameter changes none of them', () => {
  const cfg = defaultConfig();
  assert.equal(setConfig(cfg, 'context=service;ticker-interval=5;proto-fd-max=1').ok, false);
  assert.equal(cfg.service.tickerIntervalSec, 10);
});

test('set-config booleans must be exactly true or false', () => {
  const cfg = defaultConfig();
  assert.equal(setConfig(cfg, 'context=namespace;id=test;allow-ttl-without-nsup=TRUE').ok, false);
  assert.equal(setConfig(cfg, 'context=namespace;id=test;allow-ttl-without-nsup=true').ok, true);
  assert.equal(cfg.namespaces[0]!.allowTtlWithoutNsup, true);
});

test('service set-config covers the documented dynamic parameters', () => {
  const cfg = defaultConfig();
  for (const [param, check] of [
    ['batch-max-requests=100', () => cfg.service.batchMaxRequests === 100],
    ['ticker-interval=30', () => cfg.service.tickerIntervalSec === 30],
    ['proto-fd-max=20000', () => cfg.service.protoFdMax === 20000],
    ['proto-fd-idle-ms=60000', () => cfg.service.protoFdIdleMs === 60000],
    ['info-max-ms=5000', () => cfg.service.infoMaxMs === 5000],
    ['migrate-threads=2', () => cfg.service.migrateThreads === 2],
    ['enable-health-check=true', () => cfg.service.enableHealthCheck],
    ['cluster-name=other', () => cfg.service.clusterName === 'other'],
  ] as const) {
    assert.equal(setConfig(cfg, `context=service;${param}`).ok, true, param);
    assert.ok(check(), param);
  }
});

test('service set-config refuses values out of range', () => {
  const cfg = defaultConfig();
  assert.equal(setConfig(cfg, 'context=service;proto-fd-max=100').ok, false);
  assert.equal(setConfig(cfg, 'context=service;transaction-retry-ms=0').ok, false);
  assert.equal(setConfig(cfg, 'context=service;info-max-ms=100').ok, false);
});

test('namespace set-config covers retention and storage parameters', () => {
  const cfg = deviceConfig();
  const ns = cfg.namespaces[0]!;
  const st = ns.storage as DeviceStorage;
  for (const [param, check] of [
    ['nsup-threads=4', () => ns.nsupThreads === 4],
    ['evict-tenths-pct=10', () => ns.evictTenthsPct === 10],
    ['stop-writes-sys-memory-pct=80', () => ns.stopWritesSysMemoryPct === 80],
    ['default-read-touch-ttl-pct=50', () => ns.defaultReadTouchTtlPct === 50],
    ['max-record-size=128K', () => ns.maxRecordSizeBytes === 128 * 1024],
    ['defrag-lwm-pct=60', () => st.defragLwmPct === 60],
    ['defrag-sleep=500', () => st.defragSleepUs === 500],
    ['defrag-queue-min=4', () => st.defragQueueMin === 4],
    ['flush-max-ms=250', () => st.flushMaxMs === 250],
    ['flush-size=128K', () => st.flushSizeBytes === 128 * 1024],
    ['max-write-cache=128M', () => st.maxWriteCacheBytes === 128 * 1024 * 1024],
    ['post-write-cache=32M', () => st.postWriteCacheBytes === 32 * 1024 * 1024],
    ['stop-writes-used-pct=80', () => st.stopWritesUsedPct === 80],
    ['stop-writes-avail-pct=10', () => st.stopWritesAvailPct === 10],
    ['min-avail-pct=12', () => st.stopWritesAvailPct === 12],
    ['max-used-pct=85', () => st.stopWritesUsedPct === 85],
    ['evict-used-pct=75', () => st.evictUsedPct === 75],
    ['read-page-cache=true', () => st.readPageCache],
  ] as const) {
    assert.equal(setConfig(cfg, `context=namespace;id=ssd;${param}`).ok, true, param);
    assert.ok(check(), param);
  }
});

test('a pre-7 storage name is reported by its 8.x name', () => {
  const r = setConfig(deviceConfig(), 'context=namespace;id=ssd;min-avail-pct=12');
  assert.deepEqual(r, { ok: true, changed: [{ context: 'namespace', namespace: 'ssd', key: 'stop-writes-avail-pct', oldValue: '5', newValue: '12' }] });
});

test('a max-record-size above the write block size is refused', () => {
  const cfg = deviceConfig();
  assert.equal(setConfig(cfg, 'context=namespace;id=ssd;max-record-size=1M').ok, false);
  assert.equal(cfg.namespaces[0]!.maxRecordSizeBytes, 256 * 1024);
});

test('max-write-cache below 64M is refused', () => {
  assert.equal(setConfig(deviceConfig(), 'context=namespace;id=ssd;max-write-cache=32M').ok, false);
});

test('device-only storage parameters are refused on memory namespaces', () => {
  assert.equal(setConfig(defaultConfig(), 'context=namespace;id=test;post-write-cache=32M').ok, false);
});

test('stop-writes-pct is not settable as in Aerospike 8, while the pre-7 high-water marks still are in Strato', () => {
  assert.equal(setConfig(defaultConfig(), 'context=namespace;id=test;stop-writes-pct=90').ok, false);
  const cfg = defaultConfig();
  assert.equal(setConfig(cfg, 'context=namespace;id=test;high-water-memory-pct=60').ok, true);
  assert.equal(cfg.namespaces[0]!.extra['high-water-memory-pct'], 60);
});

test('network set-config changes heartbeat timing', () => {
  const cfg = defaultConfig();
  assert.equal(setConfig(cfg, 'context=network;heartbeat.interval=200').ok, true);
  assert.equal(cfg.network.heartbeat.intervalMs, 200);
  assert.equal(setConfig(cfg, 'context=network;heartbeat.connect-timeout-ms=5000').ok, false);
});

test('without a security stanza, set-config of security or xdr answers enterprise only and get-config nothing, as CE', () => {
  assert.deepEqual(setConfig(defaultConfig(), 'context=security;x=1'), { ok: false, error: 'ERROR:25:enterprise only' });
  assert.deepEqual(setConfig(defaultConfig(), 'context=security;session-ttl=600'), { ok: false, error: 'ERROR:25:enterprise only' });
  assert.deepEqual(setConfig(defaultConfig(), 'context=xdr;x=1'), { ok: false, error: 'ERROR:25:enterprise only' });
  assert.equal(getConfig(defaultConfig(), 'context=security'), '');
  assert.ok(!getConfig(defaultConfig(), '').includes('session-ttl'));
});

test("get-config:context=security lists the ldap stanza as Aerospike EE does and set-config changes its polling-period only", () => {
  const cfg = parseConfig(
    [
      'security {',
      '  ldap {',
      '    server ldap://h:389',
      '    disable-tls true',
      '    query-base-dn dc=x',
      '    user-dn-pattern uid=${un},dc=x',
      '    role-query-pattern (memberUid=${un})',
      '    role-query-pattern (member=${dn})',
      '  }',
      '  log {',
      '    report-data-op-user zed',
      '    report-data-op-user amy',
      '    report-data-op test s2',
      '    report-data-op bar',
      '    report-data-op test s1',
      '  }',
      '}',
      'namespace bar {',
      '  storage-engine memory {',
      '    data-size 64M',
      '  }',
      '}',
      'namespace test {',
      '  storage-engine memory {',
      '    data-size 64M',
      '  }',
      '}',
    ].join('\n'),
    'strato.conf',
  );
  const ldap =
    'ldap.disable-tls=true;ldap.login-threads=8;ldap.polling-period=300;ldap.query-base-dn=dc=x;ldap.query-user-dn=null;' +
    'ldap.query-user-password-file=null;ldap.role-query-base-dn=null;ldap.role-query-pattern=(memberUid=${un});' +
    'ldap.role-query-pattern=(member=${dn});ldap.role-query-search-ou=false;ldap.server=ldap://h:389;ldap.tls-ca-file=null;' +
    'ldap.token-hash-method=sha-256;ldap.user-dn-pattern=uid=${un},dc=x;ldap.user-query-pattern=null';
  // namespaces in config order, each namespace's sets as listed; users sorted
  const log =
    'log.report-authentication=false;log.report-data-op[0]=bar;log.report-data-op[1]=test|s2;log.report-data-op[2]=test|s1;' +
    'log.report-data-op-user[0]=amy;log.report-data-op-user[1]=zed;log.report-sys-admin=false;log.report-user-admin=false;log.report-violation=false';
  assert.equal(getConfig(cfg, 'context=security'), `enable-quotas=false;privilege-refresh-period=300;session-ttl=86400;tps-weight=2;${ldap};${log}`);
  const changes: ConfigChange[] = [];
  onConfigChange(cfg, (c) => changes.push(c));
  assert.deepEqual(setConfig(cfg, 'context=security;ldap.polling-period=0'), {
    ok: true,
    changed: [{ context: 'security', key: 'ldap.polling-period', oldValue: '300', newValue: '0' }],
  });
  assert.equal(cfg.security?.ldap?.pollingPeriod, 0);
  for (const bad of ['ldap.polling-period=86401', 'ldap.server=ldap://x', 'ldap.login-threads=2', 'polling-period=10', 'log.report-data-op=true;namespace=test;set=a:b']) {
    assert.deepEqual(setConfig(cfg, `context=security;${bad}`), { ok: false, error: CONFIG_ERRORS.invalidParameter }, bad);
  }
  assert.equal(changes.length, 1);
  assert.deepEqual(setConfig(cfg, 'context=security;log.report-data-op=true;namespace=bar;set=s9'), { ok: true, changed: [{ context: 'security', key: 'log.report-data-op', oldValue: 'bar,test|s2,test|s1', newValue: 'bar,test|s2,test|s1' }] });
});

test('set-config without any parameter to change is invalid', () => {
  assert.deepEqual(setConfig(defaultConfig(), 'context=service'), { ok: false, error: CONFIG_ERRORS.invalidParameter });
});

test('set-config with an empty context answers missing context value', () => {
  assert.deepEqual(setConfig(defaultConfig(), 'context=;x=1'), { ok: false, error: "ERROR:4:missing 'context' value" });
});

// ---------------------------------------------------------------------------------------------
// Sets

test('set-level set-config on a new set creates its config entry', () => {
  const cfg = defaultConfig();
  const r = setConfig(cfg, 'context=namespace;id=test;set=users;stop-writes-count=5000');
  assert.equal(r.ok, true);
  assert.deepEqual(cfg.namespaces[0]!.sets, [
    { name: 'users', disableEviction: false, stopWritesCount: 5000, stopWritesSizeBytes: 0, defaultTtlSec: 0, defaultReadTouchTtlPct: 0, enableIndex: false },
  ]);
});

test('set-level set-config changes an existing set', () => {
  const cfg = defaultConfig();
  assert.equal(setConfig(cfg, 'context=namespace;id=test;set=users;disable-eviction=true').ok, true);
  assert.equal(setConfig(cfg, 'context=namespace;id=test;set=users;stop-writes-size=500M').ok, true);
  assert.equal(setConfig(cfg, 'context=namespace;id=test;set=users;default-ttl=1d').ok, true);
  const set = cfg.namespaces[0]!.sets[0]!;
  assert.equal(cfg.namespaces[0]!.sets.length, 1);
  assert.equal(set.disableEviction, true);
  assert.equal(set.stopWritesSizeBytes, 500 * 1024 * 1024);
  assert.equal(set.defaultTtlSec, 86400);
});

test('a refused set-level set-config does not create the set', () => {
  const cfg = defaultConfig();
  assert.equal(setConfig(cfg, 'context=namespace;id=test;set=users;disable-eviction=maybe').ok, false);
  assert.deepEqual(cfg.namespaces[0]!.sets, []);
});

test('a set default-ttl needs nsup unless it is -1', () => {
  const cfg = parseConfig('namespace t {\n    storage-engine memory\n}\n', 'x');
  assert.equal(setConfig(cfg, 'context=namespace;id=t;set=s;default-ttl=100').ok, false);
  assert.equal(setConfig(cfg, 'context=namespace;id=t;set=s;default-ttl=-1').ok, true);
  assert.equal(cfg.namespaces[0]!.sets[0]!.defaultTtlSec, -1);
});

test('a set name longer than 63 bytes is refused', () => {
  assert.equal(setConfig(defaultConfig(), `context=namespace;id=test;set=${'s'.repeat(64)};disable-eviction=true`).ok, false);
});

test('set configuration renders as the sets info command shows it', () => {
  const cfg = defaultConfig();
  setConfig(cfg, 'context=namespace;id=test;set=demo;enable-index=true');
  setConfig(cfg, 'context=namespace;id=test;set=never;default-ttl=-1');
  assert.equal(
    renderSetConfig(cfg.namespaces[0]!.sets[0]!),
    'default-read-touch-ttl-pct=0:default-ttl=0:disable-eviction=false:enable-index=true:stop-writes-count=0:stop-writes-size=0',
  );
  assert.ok(recordedAnswer('info-basic', 10).value.includes(renderSetConfig(cfg.namespaces[0]!.sets[0]!)));
  assert.match(renderSetConfig(cfg.namespaces[0]!.sets[1]!), /default-ttl=4294967295:/);
});

// ---------------------------------------------------------------------------------------------
// Listeners and round trips

test('a change listener hears each applied change after the config changed', () => {
  const cfg = defaultConfig();
  const heard: ConfigChange[] = [];
  onConfigChange(cfg, (change, c) => {
    assert.equal(c.namespaces[0]!.nsupPeriodSec, 30);
    heard.push(change);
  });
  setConfig(cfg, 'context=namespace;id=test;nsup-period=30');
  assert.deepEqual(heard, [{ context: 'namespace', namespace: 'test', key: 'nsup-period', oldValue: '120', newValue: '30' }]);
});

test('a change listener hears nothing of refused requests or other configs', () => {
  const cfg = defaultConfig();
  let calls = 0;
  onConfigChange(cfg, () => calls++);
  setConfig(cfg, 'context=service;ticker-interval=x');
  setConfig(defaultConfig(), 'context=service;ticker-interval=5');
  assert.equal(calls, 0);
});

test('an unsubscribed listener is not called', () => {
  const cfg = defaultConfig();
  let calls = 0;
  const off = onConfigChange(cfg, () => calls++);
  off();
  setConfig(cfg, 'context=service;ticker-interval=5');
  assert.equal(calls, 0);
});

test('every dynamic namespace value get-config shows can be set back to itself', () => {
  const cfg = deviceConfig();
  const before = renderConfig(cfg, 'namespace', 'ssd');
  for (const pair of before.split(';')) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq).replace(/^storage-engine\./, '');
    const r = setConfig(cfg, `context=namespace;id=ssd;${key}=${pair.slice(eq + 1)}`);
    if (r.ok) assert.equal(r.changed[0]!.newValue, pair.slice(eq + 1), key);
  }
  assert.equal(renderConfig(cfg, 'namespace', 'ssd'), before);
});

test('parseInfoParams keeps the first value of a repeated key, as Aerospike', () => {
  assert.deepEqual([...parseInfoParams('context=service;a=1;a=2;junk')], [
    ['context', 'service'],
    ['a', '1'],
  ]);
});

test('a storage value outside the one parameter table is refused by set-config and changes nothing', () => {
  for (const param of ['defrag-lwm-pct=0', 'defrag-lwm-pct=100', 'flush-max-ms=1001', 'flush-size=3000', 'flush-size=16M', 'flush-size=2K']) {
    const cfg = deviceConfig();
    const before = renderConfig(cfg, 'namespace', 'ssd');
    assert.deepEqual(setConfig(cfg, `context=namespace;id=ssd;${param}`), { ok: false, error: 'ERROR:4:invalid set-config parameter' }, param);
    assert.equal(renderConfig(cfg, 'namespace', 'ssd'), before, param);
  }
});

test('flush-size cannot be set on memory storage without backing, as 8.1', () => {
  const cfg = parseConfig('namespace m {\n    storage-engine memory {\n        data-size 1G\n    }\n}\n', 'x');
  assert.deepEqual(setConfig(cfg, 'context=namespace;id=m;flush-size=128K'), { ok: false, error: 'ERROR:4:invalid set-config parameter' });
  assert.equal(valueOf(renderConfig(cfg, 'namespace', 'm'), 'storage-engine.flush-size'), undefined);
});
