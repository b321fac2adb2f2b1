/**
 * The device engine's dynamic parameters come from the namespace's configuration, validated once
 * by the config's parameter table: what get-config shows is what the engine uses, and a value
 * set-config refuses changes neither. (Before, set-config answered ok for defrag-lwm-pct=0, the
 * engine refused it, and get-config showed 0 while 50 stayed in force.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applySetConfig, parseConfig, parseInfoParams, renderConfig, type DeviceStorage as DeviceConfig } from '../../src/config/index.js';
import { createStorageEngine } from '../../src/storage/engines.js';
import type { DeviceStorage } from '../../src/storage/device/device-storage.js';
import { ManualClock } from '../../src/testing/manual-clock.js';

async function withEngine(run: (cfg: ReturnType<typeof parseConfig>, st: DeviceConfig, eng: DeviceStorage) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strato-devcfg-'));
  const cfg = parseConfig(`namespace d {\n    storage-engine device {\n        file ${dir}/d.dat\n        filesize 16M\n    }\n}\n`, 'x');
  const st = cfg.namespaces[0]!.storage as DeviceConfig;
  const eng = createStorageEngine({
    kind: 'device',
    files: st.files.map((f) => ({ path: f.path, sizeBytes: f.sizeBytes })),
    writeBlockSizeBytes: st.writeBlockSizeBytes,
    tunables: st,
    clock: new ManualClock(0),
    backgroundTimers: false,
  }) as DeviceStorage;
  try {
    run(cfg, st, eng);
  } finally {
    await eng.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const set = (cfg: ReturnType<typeof parseConfig>, param: string) => applySetConfig(cfg, parseInfoParams(`context=namespace;id=d;${param}`));
const shown = (cfg: ReturnType<typeof parseConfig>, key: string) =>
  renderConfig(cfg, 'namespace', 'd').split(';').find((p) => p.startsWith(`${key}=`))?.split('=')[1];

test('a set-config the table accepts is the value the device engine uses, with no copy to diverge', async () => {
  await withEngine((cfg, _st, eng) => {
    assert.equal(set(cfg, 'defrag-lwm-pct=60').ok, true);
    assert.equal(eng.tunables.defragLwmPct, 60);
    assert.equal(shown(cfg, 'storage-engine.defrag-lwm-pct'), '60');
    assert.equal(set(cfg, 'flush-size=64K').ok, true);
    assert.equal(eng.tunables.flushSizeBytes, 64 * 1024);
    assert.equal(set(cfg, 'stop-writes-used-pct=1').ok, true);
    assert.equal(eng.tunables.stopWritesUsedPct, 1);
  });
});

test('a value the table refuses answers an error and changes neither get-config nor the engine', async () => {
  await withEngine((cfg, _st, eng) => {
    for (const param of ['defrag-lwm-pct=0', 'defrag-lwm-pct=100', 'flush-size=3K', 'flush-max-ms=5000']) {
      assert.deepEqual(set(cfg, param), { ok: false, error: 'ERROR:4:invalid set-config parameter' }, param);
    }
    assert.equal(eng.tunables.defragLwmPct, 50);
    assert.equal(shown(cfg, 'storage-engine.defrag-lwm-pct'), '50');
    assert.equal(eng.tunables.flushSizeBytes, 1024 * 1024);
    assert.equal(eng.tunables.flushMaxMs, 1000);
  });
});
