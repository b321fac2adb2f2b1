/**
 * Property tests: whatever text a config file holds, the parser either returns a config or throws
 * a ConfigError with a `file:line: reason` message - never another exception; set-config answers
 * any parameter map with ok or one of Aerospike's error strings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applySetConfig, CONFIG_ERRORS, ConfigError, defaultConfig, parseConfig, renderConfig } from '../../src/config/index.js';
import { SERVICE_PARAMS } from '../../src/config/service-params.js';
import { NAMESPACE_PARAMS, SET_PARAMS } from '../../src/config/namespace-params.js';
import { DEVICE_STORAGE_PARAMS, MEMORY_STORAGE_PARAMS } from '../../src/config/storage-params.js';
import { NETWORK_HEARTBEAT_PARAMS, NETWORK_SERVICE_PARAMS } from '../../src/config/network-params.js';

/** Parses and checks the only failure is a well-formed ConfigError. */
function parsesOrConfigError(text: string): void {
  try {
    parseConfig(text, 'fuzz.conf');
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    assert.match(e.message, /^fuzz\.conf:\d+: \S/);
    assert.ok(e.line >= 1, `line ${e.line}`);
  }
}

const KEYS = [
  ...[SERVICE_PARAMS, NAMESPACE_PARAMS, SET_PARAMS, MEMORY_STORAGE_PARAMS, DEVICE_STORAGE_PARAMS, NETWORK_HEARTBEAT_PARAMS, NETWORK_SERVICE_PARAMS].flatMap(
    (t) => t.specs.map((s) => s.key),
  ),
  'service', 'network', 'namespace', 'logging', 'console', 'file', 'context', 'storage-engine', 'set', 'heartbeat',
  'fabric', 'mod-lua', 'index-type', 'geo2dsphere-within', 'memory', 'device', 'any', 'info', 'constructor', '__proto__',
];
const VALUES = ['0', '1', '-1', '100', '4G', '1M', '128K', '30d', '10x', 'true', 'false', 'yes', 'mesh', 'zstd', '/tmp/f', 'test', '99999999999999999999P', ''];

/** Lines built from real names, values and braces, so the fuzzing reaches deep into the parser. */
const tokenLine = fc
  .tuple(fc.constantFrom(...KEYS, '{', '}', '#'), fc.array(fc.constantFrom(...VALUES, ...KEYS, '{', '}'), { maxLength: 3 }))
  .map(([k, rest]) => [k, ...rest].join(' '));

test('random text never throws anything but ConfigError', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => parsesOrConfigError(text)),
    { numRuns: 500 },
  );
});

test('random lines of real config words never throw anything but ConfigError', () => {
  fc.assert(
    fc.property(fc.array(tokenLine, { maxLength: 40 }), (lines) => parsesOrConfigError(lines.join('\n'))),
    { numRuns: 1000 },
  );
});

test('random edits of a valid file never throw anything but ConfigError', () => {
  const valid = `service {
    cluster-name fuzz
}
network {
    service {
        address any
        port 3000
    }
}
namespace test {
    nsup-period 60
    default-ttl 1d
    set s {
        stop-writes-count 10
    }
    storage-engine device {
        file /tmp/x
        filesize 1G
        write-block-size 1M
    }
}
`;
  const lines = valid.split('\n');
  fc.assert(
    fc.property(fc.nat(lines.length - 1), tokenLine, fc.boolean(), (at, line, replace) => {
      const edited = [...lines];
      edited.splice(at, replace ? 1 : 0, line);
      parsesOrConfigError(edited.join('\n'));
    }),
    { numRuns: 1000 },
  );
});

const ERRORS = new Set<string>(Object.values(CONFIG_ERRORS));

test('set-config answers any parameters with ok or an Aerospike error string', () => {
  const param = fc.tuple(fc.constantFrom(...KEYS, 'id', 'set', 'context', 'heartbeat.interval'), fc.constantFrom(...VALUES, 'service', 'namespace', 'test'));
  fc.assert(
    fc.property(fc.array(param, { maxLength: 5 }), (pairs) => {
      const cfg = defaultConfig();
      const r = applySetConfig(cfg, new Map(pairs));
      if (!r.ok) assert.ok(ERRORS.has(r.error), r.error);
      // whatever was accepted still renders
      renderConfig(cfg, 'namespace', 'test');
      renderConfig(cfg, 'service');
    }),
    { numRuns: 1000 },
  );
});
