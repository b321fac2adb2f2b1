/**
 * The aerospike.conf parser: every stanza, sizes and times, each kind of error with its exact
 * `file:line` message, cross-field rules, and the embedded default configuration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  DEFAULT_CONFIG_TEXT,
  defaultConfig,
  loadConfigFile,
  parseConfig,
  type DeviceStorage,
  type MemoryStorage,
  type StratoConfig,
} from '../../src/config/index.js';
import { parseSize } from '../../src/config/values.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** A minimal valid file whose namespace `test` body is `body` (line 2 onwards). */
const withNamespace = (body: string) => `namespace test {\n${body}\n}\n`;
const memNs = (extra = '') => withNamespace(`${extra}${extra ? '\n' : ''}    storage-engine memory {\n        data-size 1G\n    }`);

/** Asserts parsing fails with exactly this `file:line: reason` message. */
function assertConfigError(text: string, message: string): void {
  assert.throws(
    () => parseConfig(text, 'strato.conf'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
      assert.equal(e.message, message);
      return true;
    },
  );
}

const parse = (text: string): StratoConfig => parseConfig(text, 'strato.conf');

// ---------------------------------------------------------------------------------------------
// The embedded default

test('the default config is the embedded text parsed', () => {
  assert.deepEqual(defaultConfig(), parseConfig(DEFAULT_CONFIG_TEXT, 'x'));
});

test('the default config serves one in-memory namespace test on 127.0.0.1:3000', () => {
  const cfg = defaultConfig();
  assert.equal(cfg.service.clusterName, 'strato');
  assert.deepEqual(cfg.network.service.addresses, ['127.0.0.1']);
  assert.equal(cfg.network.service.port, 3000);
  assert.equal(cfg.namespaces.length, 1);
  const ns = cfg.namespaces[0]!;
  assert.equal(ns.name, 'test');
  assert.equal(ns.storage.kind, 'memory');
  assert.equal((ns.storage as MemoryStorage).dataSizeBytes, GiB);
  assert.equal(ns.replicationFactor, 1);
  assert.equal(ns.defaultTtlSec, 0);
  assert.equal(ns.nsupPeriodSec, 120);
  assert.equal(ns.maxRecordSizeBytes, MiB);
});

test('the default config keeps the service defaults of the issue', () => {
  const svc = defaultConfig().service;
  assert.equal(svc.protoFdMax, 15000);
  assert.equal(svc.batchMaxRequests, 0);
  assert.equal(svc.transactionRetryMs, 1002);
  assert.equal(svc.tickerIntervalSec, 10);
  assert.equal(svc.enableCompression, true);
});

test('each call to defaultConfig returns an independent copy', () => {
  const a = defaultConfig();
  a.namespaces[0]!.defaultTtlSec = 99;
  assert.equal(defaultConfig().namespaces[0]!.defaultTtlSec, 0);
});

// ---------------------------------------------------------------------------------------------
// Stanzas

test('service parameters are read into the typed model', () => {
  const cfg = parse(`service {
    cluster-name prod
    node-id a1b2
    proto-fd-max 20000
    proto-fd-idle-ms 60000
    batch-max-requests 1000
    batch-index-threads 4
    transaction-retry-ms 500
    ticker-interval 5
    info-max-ms 2000
    work-directory /var/strato
    pidfile /var/run/strato.pid
    user strato
    group strato
    run-as-daemon false
    migrate-threads 2
    enable-health-check true
}
${memNs()}`);
  const s = cfg.service;
  assert.equal(s.clusterName, 'prod');
  assert.equal(s.nodeId, 'A1B2');
  assert.equal(s.protoFdMax, 20000);
  assert.equal(s.protoFdIdleMs, 60000);
  assert.equal(s.batchMaxRequests, 1000);
  assert.equal(s.batchIndexThreads, 4);
  assert.equal(s.transactionRetryMs, 500);
  assert.equal(s.tickerIntervalSec, 5);
  assert.equal(s.infoMaxMs, 2000);
  assert.equal(s.workDirectory, '/var/strato');
  assert.equal(s.pidfile, '/var/run/strato.pid');
  assert.equal(s.user, 'strato');
  assert.equal(s.group, 'strato');
  assert.equal(s.runAsDaemon, false);
  assert.equal(s.migrateThreads, 2);
  assert.equal(s.enableHealthCheck, true);
});

test('real Aerospike service parameters Strato does not model are kept as extras', () => {
  const cfg = parse(`service {\n    auto-pin cpu\n    batch-max-unused-buffers 100\n    advertise-ipv6 true\n}\n${memNs()}`);
  assert.deepEqual(cfg.service.extra, { 'auto-pin': 'cpu', 'batch-max-unused-buffers': 100, 'advertise-ipv6': true });
});

test('run-as-daemon alone on its line means true', () => {
  assert.equal(parse(`service {\n    run-as-daemon\n}\n${memNs()}`).service.runAsDaemon, true);
});

test('a file without logging logs to the console at info', () => {
  assert.deepEqual(parse(memNs()).logging, [{ kind: 'console', levels: { any: 'info' } }]);
});

test('logging sinks keep a level per context', () => {
  const cfg = parse(`logging {
    console {
        context any info
    }
    file /var/log/strato.log {
        context any warning
        context nsup debug
        context NAMESPACE Detail
    }
}
${memNs()}`);
  assert.deepEqual(cfg.logging, [
    { kind: 'console', levels: { any: 'info' } },
    { kind: 'file', path: '/var/log/strato.log', levels: { any: 'warning', nsup: 'debug', namespace: 'detail' } },
  ]);
});

test('a log sink starts every context at critical and context any overrides earlier contexts', () => {
  const cfg = parse(`logging {\n    console {\n        context nsup debug\n        context any warning\n    }\n    file /tmp/x.log {\n    }\n}\n${memNs()}`);
  assert.deepEqual(cfg.logging[0], { kind: 'console', levels: { any: 'warning' } });
  assert.deepEqual(cfg.logging[1], { kind: 'file', path: '/tmp/x.log', levels: { any: 'critical' } });
});

test('a syslog sink is read with its facility, path and tag', () => {
  const cfg = parse(`logging {\n    syslog {\n        facility local3\n        context any info\n    }\n}\n${memNs()}`);
  assert.deepEqual(cfg.logging[0], { kind: 'syslog', facility: 'local3', path: '/dev/log', tag: 'asd', levels: { any: 'info' } });
});

test('network service, heartbeat, fabric, admin and info stanzas are read', () => {
  const cfg = parse(`network {
    service {
        address any
        address 10.0.0.1
        port 3100
        access-address 203.0.113.5
        alternate-access-address db.example.com
    }
    heartbeat {
        mode mesh
        address 10.0.0.1
        port 3102
        mesh-seed-address-port 10.0.0.2 3002
        mesh-seed-address-port 10.0.0.3 3002
        interval 250
        timeout 20
    }
    fabric {
        port 3101
        address 10.0.0.1
        send-threads 4
    }
    admin {
        port 3008
    }
    info {
        port 3103
    }
}
${memNs()}`);
  const net = cfg.network;
  assert.deepEqual(net.service.addresses, ['any', '10.0.0.1']);
  assert.equal(net.service.port, 3100);
  assert.deepEqual(net.service.accessAddresses, ['203.0.113.5']);
  assert.deepEqual(net.service.alternateAccessAddresses, ['db.example.com']);
  assert.equal(net.heartbeat.mode, 'mesh');
  assert.deepEqual(net.heartbeat.addresses, ['10.0.0.1']);
  assert.equal(net.heartbeat.port, 3102);
  assert.deepEqual(net.heartbeat.meshSeeds, [
    { host: '10.0.0.2', port: 3002 },
    { host: '10.0.0.3', port: 3002 },
  ]);
  assert.equal(net.heartbeat.intervalMs, 250);
  assert.equal(net.heartbeat.timeoutIntervals, 20);
  assert.equal(net.fabric.port, 3101);
  assert.deepEqual(net.fabric.addresses, ['10.0.0.1']);
  assert.equal(net.fabric.extra['send-threads'], 4);
  assert.equal(net.admin.port, 3008);
  assert.deepEqual(net.info, { port: 3103 });
});

test('multicast heartbeat is read with its groups', () => {
  const cfg = parse(`network {\n    heartbeat {\n        mode multicast\n        multicast-group 239.1.99.222\n        port 9918\n        protocol v3\n    }\n}\n${memNs()}`);
  assert.equal(cfg.network.heartbeat.mode, 'multicast');
  assert.deepEqual(cfg.network.heartbeat.multicastGroups, ['239.1.99.222']);
  assert.equal(cfg.network.heartbeat.port, 9918);
});

test('mod-lua is read', () => {
  const cfg = parse(`mod-lua {\n    cache-enabled false\n    user-path /opt/udf\n}\n${memNs()}`);
  assert.deepEqual(cfg.modLua, { cacheEnabled: false, allowUnsafeLua: true, userPath: '/opt/udf' });
});

test('namespace parameters are read with Aerospike defaults for the rest', () => {
  const cfg = parse(
    memNs(`    replication-factor 2
    default-ttl 30d
    nsup-period 120
    nsup-threads 2
    allow-ttl-without-nsup false
    max-record-size 128K
    evict-tenths-pct 10
    evict-hist-buckets 20000
    stop-writes-sys-memory-pct 80
    default-read-touch-ttl-pct 20
    conflict-resolution-policy last-update-time
    disable-write-dup-res true
    partition-tree-sprigs 512
    rack-id 3
    strong-consistency false
    index-type shmem`),
  );
  const ns = cfg.namespaces[0]!;
  assert.equal(ns.replicationFactor, 2);
  assert.equal(ns.defaultTtlSec, 30 * 86400);
  assert.equal(ns.nsupPeriodSec, 120);
  assert.equal(ns.nsupThreads, 2);
  assert.equal(ns.maxRecordSizeBytes, 128 * 1024);
  assert.equal(ns.evictTenthsPct, 10);
  assert.equal(ns.evictHistBuckets, 20000);
  assert.equal(ns.stopWritesSysMemoryPct, 80);
  assert.equal(ns.defaultReadTouchTtlPct, 20);
  assert.equal(ns.conflictResolutionPolicy, 'last-update-time');
  assert.equal(ns.disableWriteDupRes, true);
  assert.equal(ns.partitionTreeSprigs, 512);
  assert.equal(ns.rackId, 3);
  assert.equal(ns.strongConsistency, false);
  assert.equal(ns.indexType, 'shmem');
  assert.equal(ns.sindexType, 'mem');
  assert.equal(ns.evictIndexesMemoryPct, 0);
  assert.equal(ns.truncateThreads, 4);
});

test('a namespace without replication-factor gets Aerospike default 2', () => {
  assert.equal(parse(memNs()).namespaces[0]!.replicationFactor, 2);
});

test('storage-engine memory with data-size is read with memory defaults', () => {
  const st = parse(memNs()).namespaces[0]!.storage as MemoryStorage;
  assert.equal(st.kind, 'memory');
  assert.equal(st.dataSizeBytes, GiB);
  assert.deepEqual(st.files, []);
  assert.equal(st.stopWritesUsedPct, 70);
  assert.equal(st.stopWritesAvailPct, 5);
  assert.equal(st.evictUsedPct, 0);
  assert.equal(st.defragLwmPct, 50);
  assert.equal(st.flushMaxMs, 1000);
  assert.equal(st.maxWriteCacheBytes, 64 * MiB);
});

test('the one-line storage-engine memory of older configs gets a 1G data size', () => {
  const st = parse(withNamespace('    storage-engine memory')).namespaces[0]!.storage as MemoryStorage;
  assert.equal(st.kind, 'memory');
  assert.equal(st.dataSizeBytes, GiB);
});

test('storage-engine memory backed by files takes its size from the files', () => {
  const st = parse(
    withNamespace(`    storage-engine memory {
        file /data/a.dat
        file /data/b.dat
        filesize 2G
        stop-writes-used-pct 60
        evict-used-pct 50
    }`),
  ).namespaces[0]!.storage as MemoryStorage;
  assert.deepEqual(st.files, [
    { path: '/data/a.dat', sizeBytes: 2 * GiB },
    { path: '/data/b.dat', sizeBytes: 2 * GiB },
  ]);
  assert.equal(st.dataSizeBytes, 4 * GiB);
  assert.equal(st.stopWritesUsedPct, 60);
  assert.equal(st.evictUsedPct, 50);
});

test('storage-engine device is read with every file sized by filesize', () => {
  const st = parse(
    withNamespace(`    storage-engine device {
        file /data/ns1.dat
        file /data/ns2.dat
        filesize 4G
        write-block-size 128K
        defrag-lwm-pct 60
        defrag-sleep 2000
        defrag-queue-min 10
        defrag-startup-minimum 10
        flush-max-ms 500
        max-write-cache 128M
        post-write-cache 64M
        read-page-cache true
        commit-to-device true
        cold-start-empty true
        data-in-memory false
        min-avail-pct 10
        max-used-pct 80
        evict-used-pct 60
        compression zstd
        compression-level 3
        direct-files true
        encryption-key-file /etc/strato/key
        serialize-tomb-raider true
    }
    max-record-size 128K`),
  ).namespaces[0]!.storage as DeviceStorage;
  assert.equal(st.kind, 'device');
  assert.deepEqual(st.files, [
    { path: '/data/ns1.dat', sizeBytes: 4 * GiB },
    { path: '/data/ns2.dat', sizeBytes: 4 * GiB },
  ]);
  assert.equal(st.writeBlockSizeBytes, 128 * 1024);
  assert.equal(st.defragLwmPct, 60);
  assert.equal(st.defragSleepUs, 2000);
  assert.equal(st.defragQueueMin, 10);
  assert.equal(st.defragStartupMinimumPct, 10);
  assert.equal(st.flushMaxMs, 500);
  assert.equal(st.maxWriteCacheBytes, 128 * MiB);
  assert.equal(st.postWriteCacheBytes, 64 * MiB);
  assert.equal(st.readPageCache, true);
  assert.equal(st.commitToDevice, true);
  assert.equal(st.coldStartEmpty, true);
  assert.equal(st.dataInMemory, false);
  assert.equal(st.stopWritesAvailPct, 10);
  assert.equal(st.stopWritesUsedPct, 80);
  assert.equal(st.evictUsedPct, 60);
  assert.equal(st.compression, 'zstd');
  assert.equal(st.compressionLevel, 3);
  assert.equal(st.directFiles, true);
  assert.equal(st.encryptionKeyFile, '/etc/strato/key');
  assert.equal(st.serializeTombRaider, true);
});

test('storage-engine device defaults to 1M write blocks and Aerospike stop-writes limits', () => {
  const st = parse(withNamespace('    storage-engine device {\n        device /dev/nvme0n1\n    }')).namespaces[0]!.storage as DeviceStorage;
  assert.deepEqual(st.devices, ['/dev/nvme0n1']);
  assert.equal(st.writeBlockSizeBytes, MiB);
  assert.equal(st.stopWritesAvailPct, 5);
  assert.equal(st.stopWritesUsedPct, 70);
  assert.equal(st.postWriteCacheBytes, 256 * MiB);
});

test('set stanzas are read in order', () => {
  const cfg = parse(
    memNs(`    nsup-period 60
    set users {
        disable-eviction true
        stop-writes-count 5000
        stop-writes-size 500M
        default-ttl 1h
        enable-index true
    }
    set never {
        default-ttl -1
    }`),
  );
  assert.deepEqual(cfg.namespaces[0]!.sets, [
    {
      name: 'users',
      disableEviction: true,
      stopWritesCount: 5000,
      stopWritesSizeBytes: 500 * MiB,
      defaultTtlSec: 3600,
      defaultReadTouchTtlPct: 0,
      enableIndex: true,
    },
    { name: 'never', disableEviction: false, stopWritesCount: 0, stopWritesSizeBytes: 0, defaultTtlSec: -1, defaultReadTouchTtlPct: 0, enableIndex: false },
  ]);
});

test('geo2dsphere-within and a flash index with mounts are read', () => {
  const cfg = parse(
    withNamespace(`    geo2dsphere-within {
        max-cells 32
        strict false
    }
    index-type flash {
        mount /mnt/idx
        mounts-budget 8G
    }
    storage-engine device {
        device /dev/sdb
    }`),
  );
  const ns = cfg.namespaces[0]!;
  assert.equal(ns.geo2dsphereWithin.maxCells, 32);
  assert.equal(ns.geo2dsphereWithin.strict, false);
  assert.equal(ns.indexType, 'flash');
  assert.deepEqual(ns.indexMounts, { mounts: ['/mnt/idx'], mountsBudgetBytes: 8 * GiB, evictMountsPct: 0 });
});

test('several namespaces are kept in file order', () => {
  const cfg = parse(`${memNs()}namespace bar {\n    storage-engine memory\n}\n`);
  assert.deepEqual(
    cfg.namespaces.map((n) => n.name),
    ['test', 'bar'],
  );
});

test('comments, blank lines, tabs and CRLF line ends are ignored', () => {
  const cfg = parse('# leading comment\r\n\r\nnamespace test { # trailing\r\n\tstorage-engine memory # one-liner\r\n}\r\n');
  assert.equal(cfg.namespaces[0]!.name, 'test');
});

// ---------------------------------------------------------------------------------------------
// Sizes and times

test('sizes take K, M, G, T and P suffixes in powers of 1024, any case', () => {
  const st = (size: string) =>
    (parse(withNamespace(`    storage-engine device {\n        file /d\n        filesize ${size}\n    }`)).namespaces[0]!.storage as DeviceStorage)
      .filesizeBytes;
  assert.equal(st('131072K'), 128 * MiB);
  assert.equal(st('512m'), 512 * MiB);
  assert.equal(st('3G'), 3 * GiB);
  assert.equal(st('1t'), 1024 * GiB);
  assert.equal(st('1073741824'), GiB);
});

test('a petabyte-suffixed size is read as 1024^5 bytes', () => {
  assert.deepEqual(parseSize('1P'), { ok: true, value: 1024 ** 5 });
  assert.deepEqual(parseSize('2p'), { ok: true, value: 2 * 1024 ** 5 });
});

test('a size too large for exact arithmetic is refused rather than rounded', () => {
  assert.equal(parseSize('9999999P').ok, false);
});

test('times take s, m, h and d suffixes', () => {
  const ttl = (v: string) => parse(memNs(`    nsup-period 1\n    default-ttl ${v}`)).namespaces[0]!.defaultTtlSec;
  assert.equal(ttl('45'), 45);
  assert.equal(ttl('45s'), 45);
  assert.equal(ttl('10m'), 600);
  assert.equal(ttl('2h'), 7200);
  assert.equal(ttl('30D'), 30 * 86400);
  assert.equal(ttl('3650d'), 315360000);
});

test('booleans are true or false in any case', () => {
  assert.equal(parse(memNs('    allow-ttl-without-nsup TRUE')).namespaces[0]!.allowTtlWithoutNsup, true);
  assert.equal(parse(memNs('    allow-ttl-without-nsup False')).namespaces[0]!.allowTtlWithoutNsup, false);
});

test('counts accept Aerospike size suffixes as Aerospike does', () => {
  assert.equal(parse(`service {\n    proto-fd-max 16K\n}\n${memNs()}`).service.protoFdMax, 16384);
});

// ---------------------------------------------------------------------------------------------
// Errors, each with its file:line message

test('a size with an unknown suffix stops the start with file:line', () => {
  assertConfigError(
    withNamespace('    storage-engine memory {\n        data-size 4X\n    }'),
    "strato.conf:3: 'data-size' must be a size in bytes with optional suffix K, M, G, T or P, got 4X",
  );
});

test('a write-block-size that is not a power of 2 stops the start with file:line', () => {
  assertConfigError(
    withNamespace('    storage-engine device {\n        file /d\n        filesize 1G\n        write-block-size 100K\n    }'),
    "strato.conf:5: 'write-block-size' must be a power of 2 between 128K and 8M, got 100K",
  );
});

test('a write-block-size above 8M is refused', () => {
  assertConfigError(
    withNamespace('    storage-engine device {\n        file /d\n        filesize 1G\n        write-block-size 16M\n    }'),
    "strato.conf:5: 'write-block-size' must be a power of 2 between 128K and 8M, got 16M",
  );
});

test('a value out of range names the range and the value', () => {
  assertConfigError(`service {\n    proto-fd-max 10\n}\n${memNs()}`, "strato.conf:2: 'proto-fd-max' must be between 1024 and 2147483647, got 10");
});

test('a number that is not a number is refused', () => {
  assertConfigError(
    `service {\n    ticker-interval ten\n}\n${memNs()}`,
    "strato.conf:2: 'ticker-interval' must be an unsigned integer (optional suffix K, M, G, T or P), got ten",
  );
});

test('a negative number is refused', () => {
  assertConfigError(memNs('    nsup-threads -1'), "strato.conf:2: 'nsup-threads' must be an unsigned integer (optional suffix K, M, G, T or P), got -1");
});

test('a time with an unknown unit is refused', () => {
  assertConfigError(memNs('    nsup-period 10w'), "strato.conf:2: 'nsup-period' must be a number of seconds with optional suffix s, m, h or d, got 10w");
});

test('a boolean other than true or false is refused', () => {
  assertConfigError(memNs('    allow-ttl-without-nsup yes'), "strato.conf:2: 'allow-ttl-without-nsup' must be true or false, got yes");
});

test('a word outside its choices is refused', () => {
  assertConfigError(
    memNs('    conflict-resolution-policy newest'),
    "strato.conf:2: 'conflict-resolution-policy' must be one of generation, last-update-time, got newest",
  );
});

test('a parameter without its value is refused', () => {
  assertConfigError(`service {\n    cluster-name\n}\n${memNs()}`, "strato.conf:2: 'cluster-name' needs a value");
});

test('a parameter with too many values is refused', () => {
  assertConfigError(`service {\n    proto-fd-max 2000 3000\n}\n${memNs()}`, "strato.conf:2: 'proto-fd-max' takes one value, got 2: 2000 3000");
});

test('an unknown parameter is refused naming its stanza', () => {
  assertConfigError(`service {\n    no-such-thing 1\n}\n${memNs()}`, "strato.conf:2: unknown parameter 'no-such-thing' in the service stanza");
});

test('a parameter in the wrong stanza says where it belongs', () => {
  assertConfigError(
    memNs('    write-block-size 1M'),
    "strato.conf:2: 'write-block-size' does not belong in the namespace stanza; it is a storage-engine memory or storage-engine device parameter",
  );
});

test('a namespace parameter inside storage-engine says it is a namespace parameter', () => {
  assertConfigError(
    withNamespace('    storage-engine memory {\n        data-size 1G\n        default-ttl 0\n    }'),
    "strato.conf:4: 'default-ttl' does not belong in the storage-engine memory stanza; it is a namespace or set parameter",
  );
});

test('a parameter set twice is refused naming the first line', () => {
  assertConfigError(memNs('    nsup-period 10\n    nsup-period 20'), "strato.conf:3: 'nsup-period' is already set at line 2");
});

test('a pre-7 name and its 7.x name in one stanza count as the same parameter', () => {
  assertConfigError(
    withNamespace('    storage-engine memory {\n        data-size 1G\n        min-avail-pct 10\n        stop-writes-avail-pct 10\n    }'),
    "strato.conf:5: 'stop-writes-avail-pct' is already set at line 4 (as 'min-avail-pct')",
  );
});

test('single-bin is refused with Aerospike 8 removal message', () => {
  assertConfigError(memNs('    single-bin true'), "strato.conf:2: 'single-bin' is obsolete - see documentation for converting to multi-bin");
});

test('stop-writes-pct is refused with the Aerospike 8 hint', () => {
  assertConfigError(memNs('    stop-writes-pct 90'), "strato.conf:2: 'stop-writes-pct' is obsolete - please use 'stop-writes-sys-memory-pct'");
});

test('the pre-7 eviction marks are accepted and kept', () => {
  const cfg = parseConfig(memNs('    high-water-disk-pct 50\n    high-water-memory-pct 60\n    evict-sys-memory-pct 85'), 'strato.conf');
  assert.deepEqual(
    [cfg.namespaces[0]!.extra['high-water-disk-pct'], cfg.namespaces[0]!.extra['high-water-memory-pct'], cfg.namespaces[0]!.extra['evict-sys-memory-pct']],
    [50, 60, 85],
  );
});

test('a service-level nsup-period is refused pointing at the namespace', () => {
  assertConfigError(`service {\n    nsup-period 120\n}\n${memNs()}`, "strato.conf:2: 'nsup-period' is obsolete - please use namespace context 'nsup-period'");
});

test('enterprise-only parameters are refused as Aerospike CE does', () => {
  assertConfigError(`service {\n    feature-key-file /etc/x\n}\n${memNs()}`, "strato.conf:2: 'feature-key-file' is enterprise-only");
  assertConfigError(withNamespace('    storage-engine pmem {\n    }'), "strato.conf:2: 'storage-engine pmem' is enterprise-only");
});

test('an unclosed stanza is refused at its opening line', () => {
  assertConfigError('namespace test {\n    storage-engine memory\n', "strato.conf:1: 'namespace test' is not closed: missing '}'");
});

test('an extra closing brace is refused', () => {
  assertConfigError(`${memNs()}}\n`, "strato.conf:6: unexpected '}' with no open stanza");
});

test('a brace glued to a word is refused', () => {
  assertConfigError('service{\n}\n', "strato.conf:1: unexpected '{' in 'service{'; braces must be separated by spaces and '{' must end its line");
});

test('a namespace without a name is refused', () => {
  assertConfigError('namespace {\n    storage-engine memory\n}\n', 'strato.conf:1: namespace stanza needs a name');
});

test('a namespace name longer than 31 bytes is refused', () => {
  assertConfigError(`namespace ${'n'.repeat(32)} {\n    storage-engine memory\n}\n`, `strato.conf:1: namespace name '${'n'.repeat(32)}' is longer than 31 bytes`);
});

test('a namespace name of 31 bytes is accepted', () => {
  assert.equal(parse(`namespace ${'n'.repeat(31)} {\n    storage-engine memory\n}\n`).namespaces[0]!.name.length, 31);
});

test('a set name longer than 63 bytes is refused', () => {
  assertConfigError(memNs(`    set ${'s'.repeat(64)} {\n    }`), `strato.conf:2: set name '${'s'.repeat(64)}' is longer than 63 bytes`);
});

test('a set configured twice is refused', () => {
  assertConfigError(memNs('    set a {\n    }\n    set a {\n    }'), "strato.conf:4: {test} set 'a' is already configured at line 2");
});

test('the same namespace twice is refused', () => {
  assertConfigError(`${memNs()}${memNs()}`, "strato.conf:6: namespace 'test' is already configured at line 1");
});

test('a file without namespaces is refused', () => {
  assertConfigError('service {\n    cluster-name x\n}\n', 'strato.conf:4: must configure at least one namespace');
});

test('a 33rd namespace is refused', () => {
  const text = Array.from({ length: 33 }, (_, i) => `namespace ns${i} {\n    storage-engine memory\n}\n`).join('');
  assertConfigError(text, 'strato.conf:97: too many namespaces (at most 32)');
});

test('32 namespaces are accepted', () => {
  const text = Array.from({ length: 32 }, (_, i) => `namespace ns${i} {\n    storage-engine memory\n}\n`).join('');
  assert.equal(parse(text).namespaces.length, 32);
});

test('a namespace without storage-engine is refused', () => {
  assertConfigError('namespace test {\n    replication-factor 1\n}\n', "strato.conf:1: {test} must configure 'storage-engine'");
});

test('two storage-engines in one namespace are refused', () => {
  assertConfigError(
    withNamespace('    storage-engine memory\n    storage-engine memory'),
    "strato.conf:3: {test} can only configure one 'storage-engine' (first at line 2)",
  );
});

test('a device namespace without files or devices is refused', () => {
  assertConfigError(withNamespace('    storage-engine device {\n    }'), 'strato.conf:2: {test} has no devices or files');
});

test('storage files without filesize are refused', () => {
  assertConfigError(withNamespace('    storage-engine device {\n        file /d\n    }'), "strato.conf:2: {test} must configure 'filesize' if using storage files");
});

test('a filesize too small to hold write blocks is refused', () => {
  assertConfigError(
    withNamespace('    storage-engine device {\n        file /d\n        filesize 4M\n    }'),
    'strato.conf:4: {test} \'filesize\' 4194304 must hold at least 8 write blocks of 1048576 bytes',
  );
});

test('storage files and devices cannot be mixed', () => {
  assertConfigError(
    withNamespace('    storage-engine device {\n        file /d\n        device /dev/sdb\n    }'),
    "strato.conf:4: 'device' cannot be mixed with storage files",
  );
});

test('the same storage file twice is refused', () => {
  assertConfigError(
    withNamespace('    storage-engine device {\n        file /d\n        file /d\n        filesize 1G\n    }'),
    "strato.conf:4: 'file' lists /d twice",
  );
});

test('memory storage without data-size or backing is refused', () => {
  assertConfigError(
    withNamespace('    storage-engine memory {\n        evict-used-pct 60\n    }'),
    "strato.conf:2: {test} must configure 'data-size' if not using storage backing",
  );
});

test('memory storage with backing files may not set data-size', () => {
  assertConfigError(
    withNamespace('    storage-engine memory {\n        file /d\n        filesize 1G\n        data-size 1G\n    }'),
    "strato.conf:5: {test} can't configure 'data-size' if using storage backing",
  );
});

test('a data-size below 1M is refused', () => {
  assertConfigError(
    withNamespace('    storage-engine memory {\n        data-size 512K\n    }'),
    "strato.conf:3: 'data-size' must be between 1M and 256T, got 512K",
  );
});

test('compression-level without zstd is refused at the compression-level line', () => {
  assertConfigError(
    withNamespace('    storage-engine device {\n        file /d\n        filesize 1G\n        compression lz4\n        compression-level 3\n    }'),
    "strato.conf:6: {test} 'compression-level' is only relevant for 'compression zstd'",
  );
});

test('commit-to-device with disable-odsync is refused', () => {
  assertConfigError(
    withNamespace('    storage-engine device {\n        file /d\n        filesize 1G\n        commit-to-device true\n        disable-odsync true\n    }'),
    "strato.conf:6: {test} can't configure both 'commit-to-device' and 'disable-odsync'",
  );
});

test('a record size above the write block size is refused at max-record-size', () => {
  assertConfigError(
    withNamespace('    max-record-size 1M\n    storage-engine device {\n        file /d\n        filesize 1G\n        write-block-size 128K\n    }'),
    "strato.conf:2: {test} 'max-record-size' 1048576 must not exceed 'write-block-size' 131072",
  );
});

test('a flash index needs device storage', () => {
  assertConfigError(
    withNamespace('    index-type flash {\n        mount /mnt/i\n        mounts-budget 4G\n    }\n    storage-engine memory'),
    "strato.conf:2: {test} 'index-type flash' can only be used with 'storage-engine device'",
  );
});

test('a non-zero default-ttl with nsup off stops the start at the default-ttl line', () => {
  assertConfigError(
    memNs('    default-ttl 30d'),
    "strato.conf:2: {test} must configure non-zero 'nsup-period' or 'allow-ttl-without-nsup' true if 'default-ttl' is non-zero",
  );
});

test('a non-zero default-ttl with nsup off is accepted with allow-ttl-without-nsup', () => {
  assert.equal(parse(memNs('    default-ttl 30d\n    allow-ttl-without-nsup true')).namespaces[0]!.defaultTtlSec, 2592000);
});

test('a default-ttl above 10 years is refused', () => {
  assertConfigError(
    memNs('    nsup-period 60\n    default-ttl 3651d'),
    "strato.conf:3: 'default-ttl' must be at most 315360000 seconds (10 years), got 3651d (315446400 seconds)",
  );
});

test('a replication-factor of 0 is refused', () => {
  assertConfigError(memNs('    replication-factor 0'), "strato.conf:2: 'replication-factor' must be between 1 and 256, got 0");
});

test('a replication-factor of 257 is refused', () => {
  assertConfigError(memNs('    replication-factor 257'), "strato.conf:2: 'replication-factor' must be between 1 and 256, got 257");
});

test('a multicast heartbeat without a group is refused', () => {
  assertConfigError(
    `network {\n    heartbeat {\n        mode multicast\n    }\n}\n${memNs()}`,
    "strato.conf:3: heartbeat 'mode multicast' needs at least one 'multicast-group'",
  );
});

test('a heartbeat connect timeout longer than a third of the failure window is refused', () => {
  assertConfigError(
    `network {\n    heartbeat {\n        interval 150\n        timeout 10\n        connect-timeout-ms 600\n    }\n}\n${memNs()}`,
    "strato.conf:5: 'connect-timeout-ms' must be <= 'interval' * 'timeout' / 3",
  );
});

test('a privileged service port is refused', () => {
  assertConfigError(`network {\n    service {\n        port 80\n    }\n}\n${memNs()}`, "strato.conf:3: 'port' must be between 1024 and 65535, got 80");
});

test('an unknown log context is refused', () => {
  assertConfigError(`logging {\n    console {\n        context nosuch info\n    }\n}\n${memNs()}`, "strato.conf:3: 'context' has unknown log context 'nosuch'");
});

test('an unknown log level is refused', () => {
  assertConfigError(
    `logging {\n    console {\n        context any loud\n    }\n}\n${memNs()}`,
    "strato.conf:3: 'context any' level must be one of critical, warning, info, debug, detail, got loud",
  );
});

test('a parameter outside any stanza is refused', () => {
  assertConfigError(`cluster-name x\n${memNs()}`, "strato.conf:1: 'cluster-name' must be inside a stanza (service, logging, network, namespace, mod-lua, security)");
});

test('a stanza in the wrong place says where it goes', () => {
  assertConfigError(
    'storage-engine memory {\n}\n',
    "strato.conf:1: 'storage-engine memory' stanza does not belong in the top level; it goes in a namespace",
  );
});

test('an unknown stanza is refused', () => {
  assertConfigError('bogus {\n}\n', "strato.conf:1: unknown stanza 'bogus' in the top level");
});

test('a repeated top-level stanza is refused', () => {
  assertConfigError(`service {\n}\nservice {\n}\n${memNs()}`, "strato.conf:3: 'service' stanza is already configured at line 1");
});

test('a storage-engine of an unknown kind is refused', () => {
  assertConfigError(withNamespace('    storage-engine disk {\n    }'), "strato.conf:2: 'storage-engine' must be memory or device, got disk");
});

test('a one-line storage-engine device is refused for lack of files', () => {
  assertConfigError(withNamespace('    storage-engine device'), "strato.conf:2: 'storage-engine device' needs a { } block listing its files or devices");
});

test('a node-id that is not hex is refused', () => {
  assertConfigError(`service {\n    node-id xyz\n}\n${memNs()}`, "strato.conf:2: 'node-id' must be a 64-bit hex number, got xyz");
});

// ---------------------------------------------------------------------------------------------
// Files

test('loadConfigFile reads a file and names it in errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-config-'));
  const good = join(dir, 'good.conf');
  writeFileSync(good, memNs());
  assert.equal(loadConfigFile(good).namespaces[0]!.name, 'test');
  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, memNs('    nsup-period soon'));
  assert.throws(() => loadConfigFile(bad), { name: 'ConfigError', message: `${bad}:2: 'nsup-period' must be a number of seconds with optional suffix s, m, h or d, got soon` });
  rmSync(dir, { recursive: true, force: true });
});

test('loadConfigFile reports a missing file as a ConfigError', () => {
  assert.throws(() => loadConfigFile('/nonexistent/strato.conf'), (e: unknown) => e instanceof ConfigError && e.message.startsWith('/nonexistent/strato.conf:0: cannot read config file'));
});

test("names 8.1 refuses as obsolete that Strato accepts log a deprecation warning naming file and line", () => {
  const warnings: string[] = [];
  const cfg = parseConfig(
    'namespace d {\n    storage-engine device {\n        file /d\n        filesize 1G\n        write-block-size 128K\n        min-avail-pct 10\n        max-used-pct 80\n        data-in-memory false\n        flush-size 128K\n    }\n    max-record-size 128K\n}\n',
    'strato.conf',
    (w) => warnings.push(`${w.file}:${w.line}: ${w.message}`),
  );
  assert.equal(cfg.namespaces[0]!.storage.writeBlockSizeBytes, 128 * 1024);
  assert.equal(cfg.namespaces[0]!.storage.stopWritesAvailPct, 10);
  assert.equal(cfg.namespaces[0]!.storage.flushSizeBytes, 128 * 1024);
  assert.deepEqual(
    warnings.map((w) => w.split(': ')[0]),
    ['strato.conf:5', 'strato.conf:6', 'strato.conf:7', 'strato.conf:8'],
  );
  assert.match(warnings[0]!, /'write-block-size' is obsolete in Aerospike 8/);
  assert.match(warnings[1]!, /'min-avail-pct' is obsolete in Aerospike 8\.1 - please use 'stop-writes-avail-pct'/);
});

test("8.1's flush-size is accepted as a power of 2 from 4K to 8M", () => {
  const dev = (v: string) => `namespace d {\n    storage-engine device {\n        file /d\n        filesize 1G\n        flush-size ${v}\n    }\n}\n`;
  assert.equal(parseConfig(dev('4K'), 'x').namespaces[0]!.storage.flushSizeBytes, 4096);
  assert.equal(parseConfig(dev('8M'), 'x').namespaces[0]!.storage.flushSizeBytes, 8 * 1024 * 1024);
  assert.throws(() => parseConfig(dev('2K'), 'strato.conf'), /strato\.conf:5: 'flush-size' must be a power of 2 between 4K and 8M, got 2K/);
  assert.throws(() => parseConfig(dev('100K'), 'strato.conf'), /strato\.conf:5: 'flush-size' must be a power of 2/);
  assert.throws(
    () => parseConfig('namespace m {\n    storage-engine memory {\n        data-size 1G\n        flush-size 1M\n    }\n}\n', 'strato.conf'),
    /strato\.conf:4: \{m\} can't configure 'flush-size' if not using storage backing/,
  );
});

test('network http (Strato extension) turns on the metrics endpoint; absent it is off', () => {
  assert.equal(parse(memNs()).network.http, undefined);
  const cfg = parse(`network {\n  http {\n    address 127.0.0.1\n    port 9145\n  }\n}\n${memNs()}`);
  assert.deepEqual(cfg.network.http, { address: '127.0.0.1', port: 9145, tlsAuthenticateClient: [] });
});

test('a network http tls-name names the tls stanza the endpoint serves HTTPS with', () => {
  const cfg = parse(`network {\n  tls web.example {\n    cert-file /c.pem\n    key-file /k.pem\n  }\n  http {\n    port 9145\n    tls-name web.example\n  }\n}\n${memNs()}`);
  assert.deepEqual(cfg.network.http, { address: '127.0.0.1', port: 9145, tlsAuthenticateClient: [], tlsName: 'web.example' });
  const mutual = parse(`network {\n  tls web.example {\n    cert-file /c.pem\n    key-file /k.pem\n    ca-file /ca.pem\n  }\n  http {\n    tls-name web.example\n    tls-authenticate-client prometheus\n    tls-authenticate-client grafana\n  }\n}\n${memNs()}`);
  assert.deepEqual(mutual.network.http?.tlsAuthenticateClient, ['prometheus', 'grafana']);
  // client certificates need the CAs to check them with, and an HTTPS endpoint to be asked on
  assert.throws(() => parse(`network {\n  tls web.example {\n    cert-file /c.pem\n    key-file /k.pem\n  }\n  http {\n    tls-name web.example\n    tls-authenticate-client any\n  }\n}\n${memNs()}`), /strato\.conf:2: tls 'web\.example' needs 'ca-file' or 'ca-path' \(http: 'tls-authenticate-client' is not false\)/);
  assert.throws(() => parse(`network {\n  http {\n    tls-authenticate-client any\n  }\n}\n${memNs()}`), /strato\.conf:3: http 'tls-authenticate-client' needs 'tls-name'/);
  assert.throws(() => parse(`network {\n  tls web.example {\n    ca-file /ca.pem\n  }\n  http {\n    tls-name web.example\n  }\n}\n${memNs()}`), /strato\.conf:2: tls 'web\.example' needs 'cert-file' and 'key-file' \(the http endpoint uses it\)/);
});

test('a network http tls-name naming no tls stanza stops the start naming the line', () => {
  assert.throws(() => parse(`network {\n  http {\n    port 9145\n    tls-name nosuch\n  }\n}\n${memNs()}`), /strato\.conf:4: http 'tls-name' nosuch names no 'tls' stanza/);
});

test('a bad network http port stops the start naming the line', () => {
  assert.throws(() => parse(`network {\n  http {\n    port 70000\n  }\n}\n${memNs()}`), /strato\.conf:3: .*port/);
});

test('a security stanza turns access control on with Aerospike EE\'s parameters and bounds', () => {
  const cfg = parseConfig(`security {\n    session-ttl 1h\n    enable-quotas true\n    tps-weight 4\n}\n${memNs()}`, 'strato.conf');
  assert.deepEqual(cfg.security, {
    sessionTtl: 3600,
    privilegeRefreshPeriod: 300,
    tpsWeight: 4,
    enableQuotas: true,
    defaultPasswordFile: '',
    log: { reportAuthentication: false, reportUserAdmin: false, reportSysAdmin: false, reportViolation: false, reportDataOp: [], reportDataOpRole: [], reportDataOpUser: [] },
  });
  assert.equal(parseConfig(memNs(), 'strato.conf').security, undefined);
  assert.throws(() => parseConfig(`security {\n    session-ttl 60\n}\n${memNs()}`, 'strato.conf'), /strato\.conf:2: 'session-ttl' must be/);
  assert.throws(() => parseConfig(`security {\n    tps-weight 1\n}\n${memNs()}`, 'strato.conf'), /strato\.conf:2: 'tps-weight' must be between 2 and 20/);
  assertConfigError(`security {\n    ldap {\n    }\n}\n${memNs()}`, "strato.conf:2: security ldap needs 'server'");
  // braces inside a value only as the LDAP placeholders
  assertConfigError(`security {\n    session-ttl {x}\n}\n${memNs()}`, "strato.conf:2: unexpected '{' in '{x}'; braces must be separated by spaces and '{' must end its line");
});
