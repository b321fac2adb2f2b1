/**
 * Device storage engine benchmark (engine level, no network): write throughput for 1 KiB records,
 * random reads, the cost of commit-to-device, write amplification under update churn at
 * defrag-lwm-pct 50, cold-restart speed and index bytes per record.
 *
 * Environment: BENCH_DEVICE_RECORDS (cold-restart record count, default 1,000,000),
 * BENCH_DEVICE_DIR (where the temporary files go; default the OS temp dir). Every phase is bounded
 * in time as well as in size.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrimaryIndex } from '../src/index/primary-index.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { systemClock } from '../src/util/clock.js';
import { DeviceStorage, type DeviceStorageOptions } from '../src/storage/device/device-storage.js';
import { Prng } from '../src/testing/prng.js';
import { deviceRecordSize } from '../src/storage/device/format.js';

const MiB = 1024 * 1024;

/** Fixed-width digests for n keys in one Buffer (20 bytes each): no per-record objects. */
function digests(n: number, tag: string): Buffer {
  const out = Buffer.allocUnsafe(n * 20);
  for (let i = 0; i < n; i++) createHash('ripemd160').update(`${tag}-${i}`).digest().copy(out, i * 20);
  return out;
}

function engine(dir: string, name: string, sizeBytes: number, o: Partial<DeviceStorageOptions> = {}): DeviceStorage {
  return new DeviceStorage({
    files: [{ path: join(dir, name), sizeBytes }],
    clock: new ManualClock(Date.now()),
    backgroundTimers: false,
    ...o,
  });
}

/** Inserts or updates key i with `value` (metadata first, as the namespace does). */
function put(index: PrimaryIndex, eng: DeviceStorage, ds: Buffer, i: number, value: Buffer): void {
  let id = index.find(ds, i * 20);
  if (id < 0) id = index.insert(ds, i * 20);
  index.setGeneration(id, (index.generation(id) + 1) & 0xffff || 1);
  index.setLastUpdateMs(id, 1_767_225_600_000);
  eng.put(index, id, value);
}

const secondsSince = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

async function writeAndRead(dir: string): Promise<string[]> {
  const n = 150_000;
  const eng = engine(dir, 'write.dat', 512 * MiB, { writeBlockSizeBytes: MiB, postWriteCacheBytes: 0 });
  const index = new PrimaryIndex();
  const ds = digests(n, 'w');
  const value = Buffer.alloc(1024, 0x61);
  const t0 = process.hrtime.bigint();
  let written = 0;
  for (; written < n; written++) {
    put(index, eng, ds, written, value);
    if ((written & 1023) === 0 && secondsSince(t0) > 10) break;
  }
  eng.flush();
  const sec = secondsSince(t0);
  const prng = new Prng(5);
  const reads = Math.min(written, 100_000);
  const t1 = process.hrtime.bigint();
  let bytes = 0;
  for (let k = 0; k < reads; k++) {
    const i = Math.floor(prng.nextFloat() * written);
    bytes += eng.get(index, index.find(ds, i * 20)).length;
  }
  const readSec = secondsSince(t1);
  await eng.close();
  const st = eng.deviceStats();
  return [
    `device write: ${written} records of 1 KiB in ${sec.toFixed(2)} s: ${Math.round(written / sec)} records/s, ` +
      `${((written * 1024) / MiB / sec).toFixed(0)} MB/s of record data (${st['writes']} 1 MiB blocks, flush and fdatasync included)`,
    `device read: ${reads} random 1 KiB reads (pread through the page cache, checksums verified) in ${readSec.toFixed(2)} s: ` +
      `${Math.round(reads / readSec)} reads/s (${(bytes / MiB).toFixed(0)} MB)`,
  ];
}

async function commitToDevice(dir: string): Promise<string[]> {
  // flush-size 4K, as Aerospike advises with commit-to-device: each write rewrites only its page
  const eng = engine(dir, 'commit.dat', 64 * MiB, { writeBlockSizeBytes: 128 * 1024, commitToDevice: true, flushSizeBytes: 4096 });
  const index = new PrimaryIndex();
  const n = 20_000;
  const ds = digests(n, 'c');
  const value = Buffer.alloc(1024, 0x62);
  const t0 = process.hrtime.bigint();
  let written = 0;
  for (; written < n; written++) {
    put(index, eng, ds, written, value);
    if ((written & 63) === 0 && secondsSince(t0) > 3) break;
  }
  const sec = secondsSince(t0);
  await eng.close();
  return [
    `device commit-to-device: ${written} writes of 1 KiB in ${sec.toFixed(2)} s: ${Math.round(written / sec)} writes/s ` +
      `(one pwrite + fdatasync per write; ${((sec / written) * 1e6).toFixed(0)} us each)`,
  ];
}

async function writeAmplification(dir: string): Promise<string[]> {
  const eng = engine(dir, 'wa.dat', 64 * MiB, { writeBlockSizeBytes: 128 * 1024, defragLwmPct: 50, postWriteCacheBytes: 0 });
  const index = new PrimaryIndex();
  const n = 16_000; // ~1 KiB each: ~26% of 64 MiB
  const ds = digests(n, 'a');
  const value = Buffer.alloc(1000, 0x63);
  for (let i = 0; i < n; i++) put(index, eng, ds, i, value);
  const prng = new Prng(9);
  const churn = (updates: number) => {
    for (let u = 0; u < updates; u++) {
      put(index, eng, ds, Math.floor(prng.nextFloat() * n), value);
      if (u % 32 === 0) {
        eng.defragAll();
        eng.tick();
      }
    }
  };
  const t0 = process.hrtime.bigint();
  churn(100_000);
  const before = eng.deviceStats();
  churn(200_000);
  const after = eng.deviceStats();
  const sec = secondsSince(t0);
  await eng.close();
  const wa = (after['device_bytes_written']! - before['device_bytes_written']!) / (after['client_bytes_written']! - before['client_bytes_written']!);
  return [
    `device write amplification: ${wa.toFixed(2)} (device bytes / client bytes) under uniform random updates at defrag-lwm-pct 50 ` +
      `(theory 1/(1-0.5) = 2.00); ${after['defrag_reads']} blocks defragmented, ${after['defrag_records_moved']} records moved, ` +
      `300000 updates in ${sec.toFixed(1)} s including defrag`,
  ];
}

async function coldRestart(dir: string): Promise<string[]> {
  const n = Number(process.env['BENCH_DEVICE_RECORDS'] ?? 1_000_000);
  const dataBytes = 64;
  const per = deviceRecordSize(0, dataBytes);
  const fileBytes = Math.ceil((n * per * 1.1) / MiB + 16) * MiB;
  const eng = engine(dir, 'cold.dat', fileBytes, { writeBlockSizeBytes: MiB, postWriteCacheBytes: 0 });
  let index = new PrimaryIndex();
  const value = Buffer.alloc(dataBytes, 0x64);
  const digest = Buffer.alloc(20);
  const t0 = process.hrtime.bigint();
  let written = 0;
  // random digests from a counter (cheap); the load does not care how they were made
  const prng = new Prng(13);
  for (; written < n; written++) {
    for (let k = 0; k < 20; k += 4) digest.writeUInt32LE((prng.nextFloat() * 2 ** 32) >>> 0, k);
    const id = index.insert(digest);
    index.setGeneration(id, 1);
    index.setLastUpdateMs(id, 1_767_225_600_000);
    eng.put(index, id, value);
    if ((written & 4095) === 0 && secondsSince(t0) > 30) break;
  }
  const writeSec = secondsSince(t0);
  await eng.close();
  index = new PrimaryIndex();
  const reopened = new DeviceStorage({
    files: [{ path: join(dir, 'cold.dat'), sizeBytes: fileBytes }],
    writeBlockSizeBytes: MiB,
    clock: systemClock,
    backgroundTimers: false,
  });
  const r = await reopened.load(index);
  await reopened.close();
  return [
    `device cold restart: ${r.records} records (${dataBytes}-byte data, ${per} bytes on device) loaded in ${(r.durationMs / 1000).toFixed(2)} s: ` +
      `${Math.round(r.records / (r.durationMs / 1000))} records/s (written at ${Math.round(written / writeSec)} records/s); ` +
      `index ${(index.memoryBytes / Math.max(1, r.records)).toFixed(1)} bytes/record`,
  ];
}

/** Runs every phase; returns one line per result. */
export async function runDeviceBench(): Promise<string[]> {
  const dir = mkdtempSync(join(process.env['BENCH_DEVICE_DIR'] ?? tmpdir(), 'strato-device-bench-'));
  const out: string[] = [`device bench: files in ${dir}`];
  try {
    out.push(...(await writeAndRead(dir)));
    out.push(...(await commitToDevice(dir)));
    out.push(...(await writeAmplification(dir)));
    out.push(...(await coldRestart(dir)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

// `node dist/bench/device-bench.js` runs it on its own
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await runDeviceBench()) console.log(line);
}
