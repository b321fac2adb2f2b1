/**
 * The namespace owns a record's life (namespace/record-life.ts): every writer stores, removes and
 * tombstones through one API that keeps index, storage and set statistics together, rolls back
 * when storage refuses, and tells record observers about each change with its cause. Runs over
 * the real memory and device engines (device files in a temp dir, I/O faults injected by
 * FaultyIo) and the real transaction code, in process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Namespace } from '../../src/namespace/namespace.js';
import type { RecordChange, RecordObserver } from '../../src/namespace/record-life.js';
import { applyShipped, encodeShippedRecord, shipDelete, shipTombstone } from '../../src/namespace/record-transfer.js';
import { runNsupCycle } from '../../src/namespace/nsup.js';
import { evictRound } from '../../src/namespace/eviction.js';
import { truncate } from '../../src/namespace/truncate.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { DeviceStorage } from '../../src/storage/device/device-storage.js';
import { FaultyIo } from '../../src/testing/faulty-io.js';
import { decodeRecord, encodeRecord } from '../../src/storage/record-codec.js';
import { liveNamespaceSettings } from '../../src/server/node-config.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { computeDigest } from '../../src/util/digest.js';
import { encodeMessage, encodePut, keyFields } from '../../src/client/message-encoder.js';
import { FieldType, Info2, parseMessage } from '../../src/protocol/message.js';
import { ResponseBuilder } from '../../src/protocol/response-builder.js';
import { ResultCode } from '../../src/protocol/result-codes.js';
import { executeSingleRecord } from '../../src/transaction/single-record.js';
import { installUdf } from '../../src/transaction/udf-apply.js';
import { UdfRegistry } from '../../src/udf/index.js';
import { pack } from '../../src/protocol/msgpack.js';

const MiB = 1024 * 1024;
const STRING = 3;

/** Records every change and cut an observer is told about, copying what the contract says to copy. */
class Recorder implements RecordObserver {
  changes: { digest: Buffer; setId: number; old: string | undefined; new: string | undefined; cause: string }[] = [];
  cuts: [number, number][] = [];
  recordChanged(c: RecordChange): void {
    this.changes.push({ digest: Buffer.from(c.digest), setId: c.setId, old: valueOf(c.oldData), new: valueOf(c.newData), cause: c.cause });
  }
  truncated(setId: number, lutMs: number): void {
    this.cuts.push([setId, lutMs]);
  }
}

/** The string in bin `v` of record-codec bytes. */
function valueOf(data: Buffer | undefined): string | undefined {
  if (data === undefined) return undefined;
  return decodeRecord(data).bins.find((b) => b.name === 'v')?.value.toString();
}

function record(value: string): Buffer {
  return encodeRecord(undefined, [{ name: 'v', type: STRING, value: Buffer.from(value) }]);
}

function digestOf(key: string): Buffer {
  return computeDigest('s', STRING, Buffer.from(key));
}

function newClock(): ManualClock {
  return new ManualClock(Date.UTC(2026, 0, 1));
}

/** The default namespace's settings with nsup on (TTL writes allowed). */
function settings() {
  const cfg = defaultConfig().namespaces[0]!;
  cfg.nsupPeriodSec = 120;
  return liveNamespaceSettings(cfg);
}

function memoryNamespace(clock = newClock()): Namespace {
  return new Namespace(settings(), new MemoryStorage(64 * MiB), clock);
}

interface DeviceSetup {
  ns: Namespace;
  dir: string;
  io: FaultyIo;
  close(): Promise<void>;
}

/** A device namespace on a fresh 4 MiB file with 128 KiB write blocks (timers off: deterministic). */
async function deviceNamespace(opts: { dir?: string; commitToDevice?: boolean; observer?: RecordObserver; clock?: ManualClock } = {}): Promise<DeviceSetup> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'strato-record-life-'));
  const io = new FaultyIo();
  const clock = opts.clock ?? newClock();
  const engine = new DeviceStorage({
    files: [{ path: join(dir, 'dev0.dat'), sizeBytes: 4 * MiB }],
    writeBlockSizeBytes: 128 * 1024,
    clock,
    backgroundTimers: false,
    postWriteCacheBytes: 0,
    commitToDevice: opts.commitToDevice ?? false,
    io,
    log: () => {},
  });
  const ns = new Namespace(settings(), engine, clock);
  if (opts.observer) ns.addRecordObserver(opts.observer);
  await ns.open();
  return { ns, dir, io, close: () => engine.close() };
}

/** Stores `value` under `key` the way a write does: next generation, now as last-update time. */
function put(ns: Namespace, key: string, value: string, set = 's', cause: 'client' | 'replica' = 'client'): number {
  const digest = digestOf(key);
  const id = ns.index.find(digest);
  const gen = id >= 0 ? ns.index.generation(id) + 1 : 1;
  return ns.records.store(id, digest, ns.sets.idOf(set, true), gen, 0, ns.clock.nowMs(), false, record(value), cause);
}

function read(ns: Namespace, key: string): string | undefined {
  const id = ns.findLive(digestOf(key));
  return id < 0 ? undefined : valueOf(ns.storage.get(ns.index, id));
}

function setStats(ns: Namespace, set = 's'): { objects: number; bytes: number } {
  const s = ns.sets.getByName(set)!;
  return { objects: s.objects, bytes: s.dataUsedBytes };
}

/** Runs one single-record request through the real transaction code, as the dispatcher does. */
function execute(ns: Namespace, frame: Buffer, inBatch = false): number {
  const msg = parseMessage(frame, 8, frame.length);
  return executeSingleRecord({ namespace: (n) => (n === ns.name ? ns : undefined) }, msg, new ResponseBuilder(), 0, inBatch);
}

function putFrame(ns: Namespace, key: string, value: string): Buffer {
  return encodePut(ns.name, 's', digestOf(key), [{ name: 'v', type: STRING, value: Buffer.from(value) }]);
}

function deleteFrame(ns: Namespace, key: string, durable = false): Buffer {
  return encodeMessage({ info2: Info2.WRITE | Info2.DELETE | (durable ? Info2.DURABLE_DELETE : 0) }, keyFields(ns.name, 's', digestOf(key)), []);
}

for (const kind of ['memory', 'device'] as const) {
  test(`${kind}: a replacing store keeps one entry, moves set statistics and shows observers old and new bytes`, async () => {
    const rec = new Recorder();
    const setup = kind === 'device' ? await deviceNamespace({ observer: rec }) : undefined;
    const ns = setup?.ns ?? memoryNamespace();
    if (!setup) ns.addRecordObserver(rec);
    try {
      const first = put(ns, 'a', 'one');
      const second = put(ns, 'a', 'two-longer');
      assert.equal(second, first, 'the entry is replaced in place');
      assert.equal(ns.objects, 1);
      assert.equal(read(ns, 'a'), 'two-longer');
      assert.deepEqual(setStats(ns), { objects: 1, bytes: record('two-longer').length });
      assert.deepEqual(
        rec.changes.map((c) => [c.old, c.new, c.cause, c.setId]),
        [
          [undefined, 'one', 'client', 1],
          ['one', 'two-longer', 'client', 1],
        ],
      );
      assert.deepEqual(rec.changes[0]!.digest, digestOf('a'));
      ns.records.remove(ns.index.find(digestOf('a')), 'delete');
      assert.equal(ns.objects, 0);
      assert.deepEqual(setStats(ns), { objects: 0, bytes: 0 });
      assert.deepEqual(rec.changes[2], { digest: digestOf('a'), setId: 1, old: 'two-longer', new: undefined, cause: 'delete' });
    } finally {
      await setup?.close();
      if (setup) rmSync(setup.dir, { recursive: true, force: true });
    }
  });
}

test('a store the device refuses leaves a new record absent and an existing one exactly as it was', async () => {
  const rec = new Recorder();
  const { ns, dir, close } = await deviceNamespace({ observer: rec });
  try {
    const huge = 'x'.repeat(200 * 1024); // larger than a 128 KiB write block: RECORD_TOO_BIG
    assert.throws(() => put(ns, 'new', huge), (e: { code?: number }) => e.code === ResultCode.RECORD_TOO_BIG);
    assert.equal(ns.index.find(digestOf('new')), -1, 'no entry is left behind');
    assert.equal(ns.index.size, 0);

    put(ns, 'old', 'kept');
    const id = ns.index.find(digestOf('old'));
    const before = [ns.index.generation(id), ns.index.voidTime(id), ns.index.lastUpdateMs(id), ns.index.flags(id), ns.index.storedSize(id)];
    const stats = setStats(ns);
    const changes = rec.changes.length;
    assert.throws(() => ns.records.store(id, digestOf('old'), ns.sets.idOf('other', true), 9, 12345, 1, true, record(huge), 'client'));
    assert.deepEqual(
      [ns.index.generation(id), ns.index.voidTime(id), ns.index.lastUpdateMs(id), ns.index.flags(id), ns.index.storedSize(id)],
      before,
    );
    assert.equal(ns.index.setId(id), ns.sets.idOf('s', false), 'the record stays in its set');
    assert.equal(read(ns, 'old'), 'kept');
    assert.deepEqual(setStats(ns), stats);
    assert.equal(rec.changes.length, changes, 'observers hear nothing of a refused write');
  } finally {
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a durable delete the device cannot write leaves the record live with its metadata', async () => {
  const { ns, dir, io, close } = await deviceNamespace({ commitToDevice: true });
  try {
    put(ns, 'a', 'live');
    const id = ns.index.find(digestOf('a'));
    const before = [ns.index.generation(id), ns.index.lastUpdateMs(id), ns.index.flags(id)];
    io.arm({ seed: 1, failWriteAt: 1 });
    assert.throws(() => ns.records.tombstone(id, 7, ns.clock.nowMs() + 5, 'delete'));
    io.disarm();
    assert.deepEqual([ns.index.generation(id), ns.index.lastUpdateMs(id), ns.index.flags(id)], before);
    assert.equal(ns.tombstones, 0);
    assert.equal(read(ns, 'a'), 'live');
    assert.deepEqual(setStats(ns), { objects: 1, bytes: record('live').length });
    // and the next attempt goes through
    assert.equal(ns.records.tombstone(id, 7, ns.clock.nowMs() + 5, 'delete'), true);
    assert.equal(ns.tombstones, 1);
    assert.equal(ns.objects, 0);
    assert.deepEqual(setStats(ns), { objects: 0, bytes: 0 });
  } finally {
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a memory namespace keeps no tombstones: tombstone() changes nothing and answers false', () => {
  const ns = memoryNamespace();
  put(ns, 'a', 'live');
  assert.equal(ns.records.tombstone(ns.index.find(digestOf('a')), 2, 1, 'delete'), false);
  assert.equal(read(ns, 'a'), 'live');
  assert.equal(execute(ns, deleteFrame(ns, 'a', true)), ResultCode.ENTERPRISE_ONLY);
});

test('a migrated record the device refuses keeps the local copy (the copy is no longer removed before the put)', async () => {
  const { ns, dir, close } = await deviceNamespace();
  try {
    put(ns, 'a', 'local');
    const id = ns.index.find(digestOf('a'));
    const shipped = encodeShippedRecord({
      digest: digestOf('a'),
      generation: 5,
      voidTime: 0,
      lastUpdateMs: ns.clock.nowMs() + 1000,
      hasKey: false,
      setName: 's',
      data: record('y'.repeat(200 * 1024)),
    });
    assert.throws(() => applyShipped(ns, shipped, 'generation'), (e: { code?: number }) => e.code === ResultCode.RECORD_TOO_BIG);
    assert.equal(read(ns, 'a'), 'local', 'the local copy survives');
    assert.equal(ns.index.generation(id), 1);
    assert.deepEqual(setStats(ns), { objects: 1, bytes: record('local').length });
    assert.throws(() => applyShipped(ns, shipped), 'a refused replica write throws too');
    assert.equal(read(ns, 'a'), 'local');
  } finally {
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a new record takes a tombstone entry over, and a refused takeover keeps the tombstone', async () => {
  const rec = new Recorder();
  const { ns, dir, close } = await deviceNamespace({ observer: rec });
  try {
    put(ns, 'a', 'v1');
    assert.equal(execute(ns, deleteFrame(ns, 'a', true)), ResultCode.OK);
    const tomb = ns.index.find(digestOf('a'));
    assert.ok(ns.isTombstone(tomb));
    assert.equal(ns.tombstones, 1);
    assert.throws(() => ns.records.store(tomb, digestOf('a'), 1, 3, 0, 1, false, record('z'.repeat(200 * 1024)), 'client'));
    assert.ok(ns.isTombstone(tomb), 'still a tombstone');
    assert.equal(ns.tombstones, 1);
    assert.equal(ns.index.generation(tomb), 2);
    assert.equal(execute(ns, putFrame(ns, 'a', 'v2')), ResultCode.OK);
    assert.equal(ns.index.find(digestOf('a')), tomb, 'same entry');
    assert.equal(ns.index.generation(tomb), 3, 'the new record continues the tombstone generation');
    assert.equal(ns.tombstones, 0);
    assert.equal(read(ns, 'a'), 'v2');
    assert.deepEqual(setStats(ns), { objects: 1, bytes: record('v2').length });
    assert.deepEqual(
      rec.changes.map((c) => [c.old, c.new, c.cause]),
      [
        [undefined, 'v1', 'client'],
        ['v1', undefined, 'delete'],
        [undefined, 'v2', 'client'],
      ],
    );
  } finally {
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('observers see client, batch, delete, replica, migration, expiry, eviction and truncate changes with their causes', async () => {
  const clock = newClock();
  const ns = memoryNamespace(clock);
  const rec = new Recorder();
  ns.addRecordObserver(rec);
  assert.equal(execute(ns, putFrame(ns, 'c', 'client')), ResultCode.OK);
  assert.equal(execute(ns, putFrame(ns, 'b', 'batch'), true), ResultCode.OK);
  assert.equal(execute(ns, deleteFrame(ns, 'c')), ResultCode.OK);
  const ship = (key: string, value: string, gen: number) =>
    encodeShippedRecord({ digest: digestOf(key), generation: gen, voidTime: 0, lastUpdateMs: clock.nowMs(), hasKey: false, setName: 's', data: record(value) });
  assert.equal(applyShipped(ns, ship('r', 'replica', 1)), true);
  assert.equal(applyShipped(ns, ship('r', 'migrated', 4), 'generation'), true);
  assert.equal(applyShipped(ns, shipDelete(digestOf('r')), 'generation'), true);
  assert.equal(applyShipped(ns, ship('t', 'tomb', 1)), true);
  // memory keeps no tombstones: a shipped durable delete forgets the record
  assert.equal(applyShipped(ns, shipTombstone(digestOf('t'), 2, clock.nowMs())), true);
  const sId = ns.sets.idOf('s', false);
  ns.records.store(-1, digestOf('x'), sId, 1, ns.nowCl() + 10, clock.nowMs(), false, record('expiring'), 'client');
  ns.records.store(-1, digestOf('e'), sId, 1, ns.nowCl() + 1000, clock.nowMs(), false, record('evictable'), 'client');
  clock.advanceMs(20_000);
  const expired = ns.stats.expiredObjects;
  await runNsupCycle(ns);
  assert.equal(ns.stats.expiredObjects, expired + 1);
  assert.equal(evictRound(ns, 100).evicted, 1);
  clock.advanceMs(1);
  assert.deepEqual(truncate(ns, 's'), { ok: true });
  // the cut is immediate; the reclaim walks the partitions over event-loop turns
  for (let turn = 0; turn < 200 && ns.index.size > 0; turn++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(rec.cuts, [[sId, clock.nowMs()]]);
  assert.deepEqual(
    rec.changes.map((c) => [c.cause, c.old, c.new]),
    [
      ['client', undefined, 'client'],
      ['batch', undefined, 'batch'],
      ['delete', 'client', undefined],
      ['replica', undefined, 'replica'],
      ['migration', 'replica', 'migrated'],
      ['migration', 'migrated', undefined],
      ['replica', undefined, 'tomb'],
      ['replica', 'tomb', undefined],
      ['client', undefined, 'expiring'],
      ['client', undefined, 'evictable'],
      ['expiry', 'expiring', undefined],
      ['eviction', 'evictable', undefined],
      ['truncate', 'batch', undefined],
    ],
  );
  assert.equal(ns.objects, 0);
  assert.deepEqual(setStats(ns), { objects: 0, bytes: 0 });
});

test('a record UDF write and a UDF remove reach observers with cause udf', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-record-life-udf-'));
  const registry = new UdfRegistry(undefined, { userPath: dir });
  try {
    await registry.init();
    const lua = 'function setv(rec, v) rec["v"] = v; if aerospike:exists(rec) then aerospike:update(rec) else aerospike:create(rec) end return 1 end\nfunction drop(rec) aerospike:remove(rec); return 2 end\n';
    registry.put('life.lua', Buffer.from(lua).toString('base64'));
    installUdf({ registry, executionDisabled: () => false });
    const ns = memoryNamespace();
    const rec = new Recorder();
    ns.addRecordObserver(rec);
    const call = (fn: string, args: unknown[]) =>
      encodeMessage(
        { info2: Info2.WRITE },
        [
          ...keyFields(ns.name, 's', digestOf('u')),
          { type: FieldType.UDF_FILENAME, data: Buffer.from('life') },
          { type: FieldType.UDF_FUNCTION, data: Buffer.from(fn) },
          { type: FieldType.UDF_ARGLIST, data: pack(args as never) },
        ],
        [],
      );
    assert.equal(execute(ns, call('setv', ['by-lua'])), ResultCode.OK);
    assert.equal(read(ns, 'u'), 'by-lua');
    assert.equal(execute(ns, call('drop', [])), ResultCode.OK);
    assert.equal(read(ns, 'u'), undefined);
    assert.deepEqual(
      rec.changes.map((c) => [c.cause, c.old, c.new]),
      [
        ['udf', undefined, 'by-lua'],
        ['udf', 'by-lua', undefined],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cold start reports each loaded record to observers registered before open, as restore', async () => {
  const clock = newClock();
  const first = await deviceNamespace({ clock });
  try {
    put(first.ns, 'a', 'alpha');
    put(first.ns, 'b', 'beta', 'other');
    put(first.ns, 'c', 'gone');
    assert.equal(execute(first.ns, deleteFrame(first.ns, 'c', true)), ResultCode.OK);
  } finally {
    await first.close();
  }
  const rec = new Recorder();
  const second = await deviceNamespace({ dir: first.dir, observer: rec, clock });
  try {
    assert.equal(second.ns.objects, 2);
    assert.equal(second.ns.tombstones, 1);
    assert.deepEqual(setStats(second.ns), { objects: 1, bytes: record('alpha').length });
    assert.deepEqual(setStats(second.ns, 'other'), { objects: 1, bytes: record('beta').length });
    assert.deepEqual(
      rec.changes.map((c) => [c.cause, c.old, c.new]).sort((x, y) => String(x[2]).localeCompare(String(y[2]))),
      [
        ['restore', undefined, 'alpha'],
        ['restore', undefined, 'beta'],
      ],
    );
  } finally {
    await second.close();
    rmSync(first.dir, { recursive: true, force: true });
  }
});

test('with no observer the namespace reports itself unobserved, and a removed observer hears nothing more', () => {
  const ns = memoryNamespace();
  const rec = new Recorder();
  assert.equal(ns.records.observed, false);
  ns.addRecordObserver(rec);
  ns.addRecordObserver(rec);
  put(ns, 'a', 'one');
  assert.equal(rec.changes.length, 1, 'an observer added twice is told once');
  ns.removeRecordObserver(rec);
  assert.equal(ns.records.observed, false);
  put(ns, 'a', 'two');
  assert.equal(rec.changes.length, 1);
});

