/**
 * Device storage engine: round trips, defragmentation, write amplification, stop-writes, cold
 * restart, damaged data, injected I/O faults, operator view. Real files in temp dirs, small files
 * and 128 KiB write blocks; background timers off so every step is deterministic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync, readSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryFlag, PrimaryIndex } from '../../src/index/primary-index.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { citrusleafSec } from '../../src/util/clock.js';
import { DeviceError, DeviceStorage, type DeviceStorageOptions } from '../../src/storage/device/device-storage.js';
import { FaultyIo } from '../../src/testing/faulty-io.js';
import { Prng } from '../../src/testing/prng.js';
import { REC_HDR, RecFlag, blockStamp, deviceRecordSize, writeBlockHeader, writeDeviceRecord } from '../../src/storage/device/format.js';
import { crc32 } from '../../src/storage/device/crc32.js';
import { ResultCode } from '../../src/protocol/result-codes.js';
import { N_PARTITIONS } from '../../src/util/digest.js';

const KiB = 1024;
const MiB = 1024 * 1024;
const WBS = 128 * KiB;
const SETS = ['', 'users', 'events'];

function digestOf(i: number): Buffer {
  return createHash('ripemd160').update(`key-${i}`).digest();
}

function valueOf(i: number, version: number, size = 200): Buffer {
  const head = `${i}:${version}:`;
  return Buffer.from(head + 'x'.repeat(Math.max(0, size - head.length)));
}

/** A namespace in miniature: sets metadata before put, as the wiring must. */
class Harness {
  index = new PrimaryIndex();
  eng!: DeviceStorage;
  readonly dir = mkdtempSync(join(tmpdir(), 'strato-device-'));
  logs: string[] = [];

  constructor(
    readonly clock: ManualClock,
    readonly base: Partial<DeviceStorageOptions> = {},
    readonly fileSizes: number[] = [4 * MiB],
  ) {
    this.open();
  }

  path(i: number): string {
    return join(this.dir, `dev${i}.dat`);
  }

  open(extra: Partial<DeviceStorageOptions> = {}): DeviceStorage {
    this.eng = new DeviceStorage({
      files: this.fileSizes.map((sizeBytes, i) => ({ path: this.path(i), sizeBytes })),
      writeBlockSizeBytes: WBS,
      clock: this.clock,
      backgroundTimers: false,
      postWriteCacheBytes: 0,
      setNameOf: (id) => SETS[id] ?? '',
      setIdOf: (name) => SETS.indexOf(name),
      log: (l) => this.logs.push(l),
      ...this.base,
      ...extra,
    });
    return this.eng;
  }

  write(i: number, value: Buffer, o: { gen?: number; voidTime?: number; set?: number; lutMs?: number } = {}): number {
    const d = digestOf(i);
    let id = this.index.find(d);
    const existed = id >= 0;
    if (!existed) {
      id = this.index.insert(d);
      this.index.setSetId(id, o.set ?? 0);
    }
    const oldGen = existed ? this.index.generation(id) : 0;
    const old = existed ? [this.index.generation(id), this.index.voidTime(id), this.index.lastUpdateMs(id)] : undefined;
    this.index.setGeneration(id, o.gen ?? ((oldGen + 1) % 65536 || 1));
    this.index.setVoidTime(id, o.voidTime ?? 0);
    this.index.setLastUpdateMs(id, o.lutMs ?? this.clock.nowMs());
    try {
      this.eng.put(this.index, id, value);
    } catch (e) {
      // a refused write leaves no trace: a new entry goes, an old one keeps its metadata
      if (!existed) this.index.remove(d);
      else if (old) {
        this.index.setGeneration(id, old[0]!);
        this.index.setVoidTime(id, old[1]!);
        this.index.setLastUpdateMs(id, old[2]!);
      }
      throw e;
    }
    return id;
  }

  /** expunge */
  del(i: number): void {
    const d = digestOf(i);
    const id = this.index.find(d);
    if (id < 0) return;
    this.eng.free(this.index, id);
    this.index.remove(d);
  }

  durableDelete(i: number): void {
    const id = this.index.find(digestOf(i));
    assert.ok(id >= 0);
    this.index.setGeneration(id, this.index.generation(id) + 1);
    this.index.setLastUpdateMs(id, this.clock.nowMs());
    this.eng.putTombstone(this.index, id);
  }

  read(i: number): Buffer | undefined {
    const id = this.index.find(digestOf(i));
    if (id < 0 || this.index.flags(id) & EntryFlag.TOMBSTONE) return undefined;
    return this.eng.get(this.index, id);
  }

  async restart(extra: Partial<DeviceStorageOptions> = {}) {
    await this.eng.close();
    this.index = new PrimaryIndex();
    this.open(extra);
    return this.eng.load(this.index);
  }

  /** live bytes the index accounts for, computed independently of the engine */
  indexedBytes(): number {
    let total = 0;
    for (let p = 0; p < N_PARTITIONS; p++) {
      this.index.forEachInPartition(p, (id) => {
        total += deviceRecordSize((this.index.locator3(id) >>> 8) & 0xff, this.index.storedSize(id));
      });
    }
    return total;
  }

  async done(): Promise<void> {
    await this.eng.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const newClock = () => new ManualClock(Date.UTC(2026, 0, 1));

test('crc32 matches the IEEE check value and works in pieces', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  const b = Buffer.from('The quick brown fox jumps over the lazy dog, twice over and then some more.');
  assert.equal(crc32(b, 10), crc32(b.subarray(10)));
  assert.equal(crc32(b, 30, b.length, crc32(b, 0, 30)), crc32(b));
});

test('records round-trip through swb, device reads and updates; free drops them', async () => {
  const h = new Harness(newClock());
  try {
    const n = 600;
    for (let i = 0; i < n; i++) h.write(i, valueOf(i, 1, 50 + (i % 7) * 300), { set: i % 3 });
    // still in the swb for the last ones, on the device for the rest
    for (let i = 0; i < n; i++) assert.deepEqual(h.read(i), valueOf(i, 1, 50 + (i % 7) * 300));
    h.eng.flush();
    for (let i = 0; i < n; i += 2) h.write(i, valueOf(i, 2, 100));
    for (let i = 0; i < n; i++) assert.deepEqual(h.read(i), i % 2 === 0 ? valueOf(i, 2, 100) : valueOf(i, 1, 50 + (i % 7) * 300));
    const st = h.eng.deviceStats();
    assert.ok(st['writes']! > 0, 'blocks were written');
    assert.equal(h.eng.stats().usedBytes, h.indexedBytes(), 'live bytes match the index');
    for (let i = 0; i < n; i += 3) h.del(i);
    assert.equal(h.eng.stats().usedBytes, h.indexedBytes());
    assert.equal(h.read(3), undefined);
    assert.deepEqual(h.read(4), valueOf(4, 2, 100));
    // a record larger than a write block is refused without touching the index
    assert.throws(() => h.write(100000, Buffer.alloc(WBS)), (e: unknown) => e instanceof DeviceError && e.code === ResultCode.RECORD_TOO_BIG);
    assert.equal(h.index.find(digestOf(100000)), -1);
  } finally {
    await h.done();
  }
});

test('update churn defragments blocks, frees and reuses them, and keeps every record', async () => {
  const h = new Harness(newClock());
  try {
    const n = 1200; // ~1.2 KiB each: ~40% of a 4 MiB file
    const version = new Array<number>(n).fill(1);
    for (let i = 0; i < n; i++) h.write(i, valueOf(i, 1, 1000));
    const prng = new Prng(7);
    const usable = 4 * MiB / WBS - 1;
    for (let u = 0; u < 20000; u++) {
      const i = Math.floor(prng.nextFloat() * n);
      version[i]!++;
      h.write(i, valueOf(i, version[i]!, 1000));
      if (u % 50 === 0) {
        h.eng.defragAll();
        h.eng.tick();
      }
    }
    h.eng.defragAll();
    h.eng.flush();
    const st = h.eng.deviceStats();
    assert.ok(st['defrag_reads']! > 0, 'blocks were defragmented');
    assert.ok(st['defrag_writes']! > 0, 'defrag wrote blocks');
    assert.ok(st['defrag_records_moved']! > 0);
    assert.ok(st['writes']! > 3 * usable, `blocks were reused (${st['writes']} block writes on ${usable} blocks)`);
    assert.ok(st['free_wblocks']! > 0);
    assert.equal(h.eng.stats().usedBytes, h.indexedBytes());
    for (let i = 0; i < n; i++) assert.deepEqual(h.read(i), valueOf(i, version[i]!, 1000));
    // and all of it survives a restart
    const r = await h.restart();
    assert.equal(r.records, n);
    assert.equal(r.skippedCorrupt, 0);
    for (let i = 0; i < n; i++) assert.deepEqual(h.read(i), valueOf(i, version[i]!, 1000));
    assert.equal(h.eng.stats().usedBytes, h.indexedBytes());
  } finally {
    await h.done();
  }
});

test('write amplification at defrag-lwm-pct 50 under uniform random updates is near 1/(1-0.5)', async () => {
  const h = new Harness(newClock(), { defragLwmPct: 50 }, [8 * MiB]);
  try {
    const n = 2000; // ~1 KiB each: ~25% of 8 MiB
    for (let i = 0; i < n; i++) h.write(i, valueOf(i, 1, 1000));
    const prng = new Prng(11);
    const warm = (updates: number) => {
      for (let u = 0; u < updates; u++) {
        const i = Math.floor(prng.nextFloat() * n);
        h.write(i, valueOf(i, u + 2, 1000));
        if (u % 20 === 0) {
          h.eng.defragAll();
          h.eng.tick();
        }
      }
    };
    warm(15000); // reach the steady state before measuring
    const before = h.eng.deviceStats();
    warm(25000);
    const after = h.eng.deviceStats();
    const wa = (after['device_bytes_written']! - before['device_bytes_written']!) / (after['client_bytes_written']! - before['client_bytes_written']!);
    assert.ok(wa > 1.3 && wa < 3, `write amplification ${wa.toFixed(2)} should be near 2`);
    assert.ok(h.eng.writeAmplification() < 3);
  } finally {
    await h.done();
  }
});

test('stop-writes trips when the device fills and clears after deletes and defrag', async () => {
  const h = new Harness(newClock(), { stopWritesAvailPct: 10, stopWritesUsedPct: 0 });
  try {
    let i = 0;
    let refused: unknown;
    while (h.eng.stopWritesReason() === undefined) {
      try {
        h.write(i, valueOf(i, 1, 1000));
        i++;
      } catch (e) {
        refused = e;
        break;
      }
    }
    assert.equal(refused, undefined, 'stop-writes trips before the device runs out of blocks');
    assert.equal(h.eng.stopWritesReason(), 'stop-writes-avail-pct');
    assert.ok(h.eng.deviceStats()['device_available_pct']! < 10);
    // writing on regardless ends in OUT_OF_SPACE, never in a corrupt engine
    let code = 0;
    try {
      for (let k = 0; k < 10000; k++) h.write(100000 + k, valueOf(k, 1, 1000));
    } catch (e) {
      code = (e as DeviceError).code;
    }
    assert.equal(code, ResultCode.OUT_OF_SPACE);
    // deletes are allowed; defrag turns the space they free into free blocks
    for (let k = 0; k < i; k++) if (k % 4 !== 0) h.del(k);
    h.eng.defragAll();
    h.eng.tick();
    assert.equal(h.eng.stopWritesReason(), undefined, 'writes resume');
    h.write(200000, valueOf(200000, 1, 1000));
    for (let k = 0; k < i; k += 4) assert.deepEqual(h.read(k), valueOf(k, 1, 1000));
    // the used-bytes limit, set at runtime
    h.eng.tunables.stopWritesUsedPct = 1;
    assert.equal(h.eng.stopWritesReason(), 'stop-writes-used-pct');
    h.eng.tunables.stopWritesUsedPct = 90;
    assert.equal(h.eng.stopWritesReason(), undefined);
  } finally {
    await h.done();
  }
});

test('cold restart: newest copy wins, tombstones hold, expunged records may return, expired are skipped', async () => {
  const clock = newClock();
  const h = new Harness(clock, {}, [4 * MiB, 4 * MiB]);
  try {
    const nowCl = citrusleafSec(clock.nowMs());
    for (let i = 0; i < 300; i++) h.write(i, valueOf(i, 1), { set: i % 3 });
    h.eng.flush();
    for (let i = 0; i < 300; i += 2) h.write(i, valueOf(i, 2), { set: i % 3 });
    h.durableDelete(5);
    h.durableDelete(7);
    h.del(9); // expunge: the old copy is still on the device
    h.write(11, valueOf(11, 2), { voidTime: nowCl + 100 }); // expires before the restart
    h.write(13, valueOf(13, 2), { voidTime: nowCl + 100_000 }); // does not
    // generation wrap: 65535 then 1 (Aerospike skips 0); the gen-1 copy is the newer one
    h.write(500, valueOf(500, 1), { gen: 65535 });
    h.write(500, valueOf(500, 2), { gen: 1 });
    const keyed = h.write(501, Buffer.from([1, 0, 4, 0, 0, 0, 1, 2, 3, 4, 0, 0]));
    h.index.setFlags(keyed, EntryFlag.HAS_KEY);
    h.write(501, Buffer.from([1, 0, 4, 0, 0, 0, 1, 2, 3, 4, 0, 0]));
    clock.advanceMs(200_000);
    const r = await h.restart();
    assert.equal(r.skippedCorrupt, 0);
    assert.equal(r.expired, 1);
    assert.equal(r.tombstones, 2);
    assert.equal(r.records, 300 - 2 - 1 + 2); // minus 2 tombstoned and 1 expired; plus 500 and 501
    for (let i = 0; i < 300; i++) {
      const got = h.read(i);
      if (i === 5 || i === 7 || i === 11) assert.equal(got, undefined, `record ${i} stays deleted`);
      else assert.deepEqual(got, valueOf(i, i % 2 === 0 || i === 13 ? 2 : 1), `record ${i}`);
      if (got) assert.equal(h.index.setId(h.index.find(digestOf(i))), i % 3, 'set ids are rebuilt');
    }
    assert.deepEqual(h.read(500), valueOf(500, 2));
    assert.equal(h.index.generation(h.index.find(digestOf(500))), 1);
    assert.ok(h.index.flags(h.index.find(digestOf(501))) & EntryFlag.HAS_KEY, 'key flag restored from the record');
    assert.ok(h.index.flags(h.index.find(digestOf(5))) & EntryFlag.TOMBSTONE, 'the tombstone stays indexed');
    assert.equal(h.eng.deviceStats()['tombstones'], 2);
    assert.equal(h.index.lastUpdateMs(h.index.find(digestOf(13))), clock.nowMs() - 200_000);
    assert.equal(h.eng.stats().usedBytes, h.indexedBytes());
    // re-creating a tombstoned record replaces the tombstone
    h.write(5, valueOf(5, 9));
    assert.deepEqual(h.read(5), valueOf(5, 9));
    assert.equal(h.eng.deviceStats()['tombstones'], 1);
    const r2 = await h.restart();
    assert.equal(r2.tombstones, 1);
    assert.deepEqual(h.read(5), valueOf(5, 9));
    assert.equal(h.read(7), undefined);
  } finally {
    await h.done();
  }
});

test('cold restart: a stale tombstone with a higher generation neither hides nor revives, in any block order', async () => {
  // Copies of one key from two lives: life 1 = record gen 5 (t=100), durable delete gen 6 (t=150),
  // after which the tombstone's entry went (expunge, or dropped at a restart); life 2 = re-created
  // at gen 1 (t=200), durably deleted at gen 2 (t=300). The newest copy is the gen-2 tombstone:
  // the key must load as deleted whatever order the blocks are scanned in. (Comparing the two
  // tombstones by generation let the stale gen-6 one replace the gen-2 one and then lose to the
  // t=200 record, which came back.)
  const d = digestOf(7);
  const copies = [
    [{ gen: 2, lut: 300, tomb: true }],
    [
      { gen: 5, lut: 100, tomb: false },
      { gen: 6, lut: 150, tomb: true },
    ],
    [{ gen: 1, lut: 200, tomb: false }],
  ];
  const orders = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ];
  for (const policy of ['generation', 'last-update-time'] as const) {
    for (const order of orders) {
      const h = new Harness(newClock(), { conflictResolution: policy });
      try {
        await h.eng.load(h.index); // writes the file header (epoch 1)
        await h.eng.close();
        const fd = openSync(h.path(0), 'r+');
        order.forEach((group, slot) => {
          const block = slot + 1;
          const seq = [3, 1, 2][group]!; // write order: life 1, re-creation, final tombstone
          const stamp = blockStamp(1, seq, 0, block);
          const img = Buffer.alloc(WBS);
          writeBlockHeader(img, { epoch: 1, seq, stamp, file: 0, block });
          let off = 32;
          for (const c of copies[group]!) {
            const meta = { generation: c.gen, voidTime: 0, lastUpdateMs: c.lut, flags: c.tomb ? RecFlag.TOMBSTONE : 0 };
            off += writeDeviceRecord(img, off, stamp, d, 0, meta, undefined, c.tomb ? undefined : valueOf(7, c.gen));
          }
          writeSync(fd, img, 0, WBS, block * WBS);
        });
        closeSync(fd);
        h.index = new PrimaryIndex();
        h.open();
        const r = await h.eng.load(h.index);
        const id = h.index.find(d);
        assert.ok(id >= 0, `${policy} ${order}: the tombstone stays indexed (it hides older copies)`);
        assert.ok(h.index.flags(id) & EntryFlag.TOMBSTONE, `${policy} ${order}: the key is deleted`);
        assert.equal(h.index.lastUpdateMs(id), 300, `${policy} ${order}: the newest tombstone won`);
        assert.equal(h.index.generation(id), 2);
        assert.equal(h.read(7), undefined);
        assert.equal(r.records, 0);
        assert.equal(r.tombstones, 1);
        assert.equal(h.eng.stats().usedBytes, h.indexedBytes());
        h.eng.verifyAgainstIndex(h.index);
      } finally {
        await h.done();
      }
    }
  }
});

/** Byte position of record `i`'s copy in its file, from the index. */
function recordPosition(h: Harness, i: number): { file: string; pos: number; dataPos: number } {
  const id = h.index.find(digestOf(i));
  const loc3 = h.index.locator3(id);
  const pos = h.index.locator(id) * WBS + h.index.locator2(id);
  return { file: h.path(loc3 & 0xff), pos, dataPos: pos + REC_HDR + ((loc3 >>> 8) & 0xff) };
}

function flipByte(path: string, pos: number): void {
  const fd = openSync(path, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, pos);
  b[0] = b[0]! ^ 0x5a;
  writeSync(fd, b, 0, 1, pos);
  closeSync(fd);
}

test('damaged bytes on disk: reads fail with an error, restart skips only the damaged records', async () => {
  const h = new Harness(newClock());
  try {
    for (let i = 0; i < 400; i++) h.write(i, valueOf(i, 1, 300));
    h.eng.flush();
    const dataHit = recordPosition(h, 100);
    const headerHit = recordPosition(h, 200);
    flipByte(dataHit.file, dataHit.dataPos + 40);
    flipByte(headerHit.file, headerHit.pos + 30); // the flags byte: header checksum fails
    assert.throws(() => h.read(100), (e: unknown) => e instanceof DeviceError && e.code === ResultCode.UNKNOWN);
    assert.throws(() => h.read(200), (e: unknown) => e instanceof DeviceError);
    assert.deepEqual(h.read(101), valueOf(101, 1, 300));
    assert.equal(h.eng.deviceStats()['device_read_errors'], 2);
    const r = await h.restart();
    assert.equal(r.skippedCorrupt, 2);
    assert.equal(r.records, 398);
    assert.equal(h.index.find(digestOf(100)), -1);
    assert.equal(h.index.find(digestOf(200)), -1);
    for (let i = 0; i < 400; i++) if (i !== 100 && i !== 200) assert.deepEqual(h.read(i), valueOf(i, 1, 300));
    assert.ok(h.logs.some((l) => l.includes('checksum')));
  } finally {
    await h.done();
  }
});

test('a torn write of the last block loses only records of that block, deterministically per seed', async () => {
  const outcomes: string[] = [];
  for (const seed of [1, 1, 2]) {
    const io = new FaultyIo();
    // page-sized writes: with a flush-size of a whole block the tear could fall in the block's unused tail
    const h = new Harness(newClock(), { io, flushSizeBytes: 4096 });
    try {
      const perBlock = Math.floor((WBS - 32) / deviceRecordSize(0, 500));
      const n = perBlock * 5 + perBlock / 2; // five full blocks and half of a sixth
      for (let i = 0; i < n; i++) h.write(i, valueOf(i, 1, 500));
      // full blocks are on the device; the half-filled sixth gets torn on its flush
      io.arm({ seed, tornWriteAt: 1 });
      h.eng.flush();
      assert.ok(io.dead && io.tornBytes > 0);
      await h.eng.close();
      h.index = new PrimaryIndex();
      h.open({ io: new FaultyIo() });
      const r = await h.eng.load(h.index);
      const lost: number[] = [];
      for (let i = 0; i < n; i++) {
        const got = h.index.find(digestOf(i)) >= 0 ? h.read(i) : undefined;
        if (got) assert.deepEqual(got, valueOf(i, 1, 500));
        else lost.push(i);
      }
      assert.ok(lost.length > 0, 'the torn part is lost');
      assert.ok(lost.every((i) => i >= perBlock * 5), 'only records of the torn block are lost');
      assert.equal(r.records, n - lost.length);
      assert.ok(r.skippedCorrupt <= 1, 'at most the record straddling the tear is damaged');
      outcomes.push(`${io.tornBytes}:${lost.length}:${r.skippedCorrupt}`);
    } finally {
      await h.done();
    }
  }
  assert.equal(outcomes[0], outcomes[1], 'same seed, same tear');
});

test('commit-to-device: a failed fsync fails that write only and leaves the index untouched', async () => {
  const io = new FaultyIo();
  const h = new Harness(newClock(), { io, commitToDevice: true });
  try {
    for (let i = 0; i < 10; i++) h.write(i, valueOf(i, 1));
    io.arm({ seed: 3, failFsyncAt: 2 });
    h.write(3, valueOf(3, 2));
    assert.throws(() => h.write(4, valueOf(4, 2)), (e: unknown) => e instanceof DeviceError && e.code === ResultCode.UNKNOWN);
    h.write(50, valueOf(50, 1)); // only the armed fsync fails
    io.disarm();
    h.write(5, valueOf(5, 2));
    assert.deepEqual(h.read(4), valueOf(4, 1), 'the failed update did not happen');
    assert.deepEqual(h.read(3), valueOf(3, 2));
    assert.equal(h.eng.deviceStats()['write_q'], 0);
    // nothing was waiting in memory: everything acknowledged is on the device already
    assert.ok(h.eng.deviceStats()['partial_writes']! >= 11);
    const r = await h.restart({ io: new FaultyIo() });
    assert.deepEqual(h.read(3), valueOf(3, 2));
    assert.deepEqual(h.read(5), valueOf(5, 2));
    assert.ok(r.records >= 10);
  } finally {
    await h.done();
  }
});

test('cold-start-empty ignores old contents for good; a write-block-size change is refused', async () => {
  const h = new Harness(newClock());
  try {
    for (let i = 0; i < 100; i++) h.write(i, valueOf(i, 1));
    let r = await h.restart();
    assert.equal(r.records, 100);
    r = await h.restart({ coldStartEmpty: true });
    assert.equal(r.records, 0);
    h.write(1000, valueOf(1000, 1));
    r = await h.restart();
    assert.equal(r.records, 1, 'old records do not come back after a cold-start-empty');
    await h.eng.close();
    assert.throws(() => h.open({ writeBlockSizeBytes: 256 * KiB }), /write-block-size/);
    h.open();
  } finally {
    await h.done();
  }
});

test('operator view: statistics, ticker lines in 8.x and legacy wording, startup check, dynamic config', async () => {
  const clock = newClock();
  const h = new Harness(clock, { namespace: 'bar' }, [4 * MiB, 4 * MiB]);
  try {
    for (let i = 0; i < 2000; i++) h.write(i, valueOf(i, 1, 1000));
    for (let i = 0; i < 2000; i += 3) h.del(i);
    h.eng.defragAll();
    h.eng.flush();
    clock.advanceMs(10_000);
    const st = h.eng.deviceStats();
    for (const k of ['device_total_bytes', 'device_used_bytes', 'device_free_pct', 'device_available_pct', 'device_compression_ratio', 'defrag_reads', 'defrag_writes', 'defrag_q', 'write_q', 'shadow_write_q', 'writes']) {
      assert.ok(k in st, k);
    }
    assert.equal(st['device_compression_ratio'], 1);
    assert.equal(st['shadow_write_q'], 0);
    assert.equal(st['device_total_bytes'], 2 * (4 * MiB - WBS));
    assert.ok(st['device_available_pct']! < st['device_free_pct']!, 'available (free blocks) is not free bytes');
    const lines = h.eng.tickerLines();
    assert.equal(lines.length, 2);
    const re8 = /^\{bar\} (\S+): used-bytes (\d+) free-wblocks (\d+) write-q (\d+) write \((\d+),(\d+\.\d)\) defrag-q (\d+) defrag-read \((\d+),(\d+\.\d)\) defrag-write \((\d+),(\d+\.\d)\)$/;
    const m = re8.exec(lines[0]!);
    assert.ok(m, lines[0]);
    assert.equal(m![1], h.path(0));
    assert.equal(Number(m![2]), st['storage-engine.file[0].used_bytes']);
    assert.equal(Number(m![5]), st['storage-engine.file[0].writes']);
    assert.equal(Number(m![6]), Number((st['storage-engine.file[0].writes']! / 10).toFixed(1)), 'rate per second since start');
    const legacy = h.eng.tickerLines('legacy')[1]!;
    assert.match(legacy, /^device \S+: used \d+, contig-free \d+M \(\d+ wblocks\), swb-free \d+, n-w 0, w-q \d+ w-tot \d+ \(\d+\.\d\/s\), defrag-q \d+ defrag-tot \d+ \(\d+\.\d\/s\)$/);
    assert.match(h.eng.tickerLines()[0]!, /write \(\d+,0\.0\)/, 'no writes since the last ticker');

    // dynamic parameters are read live from `tunables`; configChanged acts on a change
    h.eng.tunables.defragSleepUs = 0;
    h.eng.configChanged('storage-engine.defrag-sleep');
    h.eng.tunables.postWriteCacheBytes = 512 * KiB;
    h.eng.configChanged('post-write-cache');
    assert.ok(h.eng.deviceStats()['post_write_cache_bytes']! <= 512 * KiB, 'the cache shrinks to the new size');
    const queuedBefore = h.eng.deviceStats()['defrag_q']!;
    h.eng.tunables.defragLwmPct = 90;
    h.eng.configChanged('defrag-lwm-pct');
    assert.ok(h.eng.deviceStats()['defrag_q']! > queuedBefore, 'raising the lwm queues more blocks');
    h.eng.tunables.defragQueueMin = 1000;
    h.eng.configChanged('defrag-queue-min');
    assert.equal(h.eng.defragStep(), false, 'defrag-queue-min holds the defragmenter back');

    // startup minimum: a nearly full device refuses to start
    const full = new Harness(newClock(), { defragStartupMinimumPct: 10 });
    try {
      for (let i = 0; ; i++) {
        try {
          full.write(i, valueOf(i, 1, 1000));
        } catch {
          break;
        }
      }
      await full.restart();
      assert.match(full.eng.startupCheck() ?? '', /defrag-startup-minimum/);
      await full.restart({ defragStartupMinimumPct: 0 });
      assert.equal(full.eng.startupCheck(), undefined);
    } finally {
      await full.done();
    }
    await h.restart();
    assert.equal(h.eng.startupCheck(), undefined);
  } finally {
    await h.done();
  }
});

/** Longest the background-timer test waits for the engine's own timers (real time). */
const TIMERS_DEADLINE_MS = 5000;

test('background timers flush after flush-max-ms and defragment without being driven', async () => {
  const h = new Harness(newClock(), { backgroundTimers: true, flushMaxMs: 20, defragSleepUs: 0 });
  try {
    const realClock = { nowMs: () => Date.now() };
    await h.eng.close();
    h.open({ clock: realClock });
    for (let i = 0; i < 500; i++) h.write(i, valueOf(i, 1, 1000));
    for (let i = 0; i < 500; i++) if (i % 5) h.del(i);
    // the timers run on real time: wait (bounded) until they have flushed and defragmented
    const deadline = Date.now() + TIMERS_DEADLINE_MS;
    let st = h.eng.deviceStats();
    while (!(st['partial_writes']! > 0 && st['write_q'] === 0 && st['defrag_reads']! > 0 && st['defrag_q'] === 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      st = h.eng.deviceStats();
    }
    assert.ok(st['partial_writes']! > 0, 'the partly filled block was flushed by the timer');
    assert.equal(st['write_q'], 0);
    assert.ok(st['defrag_reads']! > 0, 'the defragmenter ran on its own');
    assert.equal(st['defrag_q'], 0);
    for (let i = 0; i < 500; i += 5) assert.deepEqual(h.read(i), valueOf(i, 1, 1000));
  } finally {
    await h.done();
  }
});
