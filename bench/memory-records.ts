/**
 * Memory namespace footprint: BENCH_MEMORY_RECORDS (default 1,000,000) records of one 1000-byte
 * blob bin stored through the real primary index and memory engine in this process, with RSS
 * measured before and after (garbage collected both times). Prints RSS growth per record, the
 * index's share, and how the engine's accounting (data_used_bytes) compares with the memory the
 * record data really holds. Bounded by the record count; ~5-10 s.
 */
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PrimaryIndex } from '../src/index/primary-index.js';
import { MemoryStorage } from '../src/storage/memory-storage.js';
import { encodeRecord } from '../src/storage/record-codec.js';

const RECORDS = Number(process.env['BENCH_MEMORY_RECORDS'] ?? 1_000_000);
const VALUE_BYTES = 1000;
const BLOB = 4;

function collect(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

export async function runMemoryRecordsBench(): Promise<string[]> {
  const digests = randomBytes(20 * RECORDS);
  const value = randomBytes(VALUE_BYTES);
  collect();
  const before = process.memoryUsage.rss();
  const index = new PrimaryIndex();
  const storage = new MemoryStorage(4 * 1024 ** 4);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < RECORDS; i++) {
    const id = index.insert(digests, i * 20);
    index.setGeneration(id, 1);
    // a fresh record per write, as a client write hands the engine a new buffer each time
    storage.put(index, id, encodeRecord(undefined, [{ name: 'v', type: BLOB, value }]));
  }
  const t1 = process.hrtime.bigint();
  await new Promise((r) => setImmediate(r));
  collect();
  const grown = process.memoryUsage.rss() - before;
  const st = storage.stats();
  const recordBytes = storage.get(index, 0).length;
  const dataRss = grown - index.memoryBytes;
  const accountingPct = (100 * (st.usedBytes - dataRss)) / dataRss;
  return [
    `memory namespace, ${RECORDS} records of ${recordBytes} stored bytes (one ${VALUE_BYTES}-byte blob): RSS grew ${Math.round(grown / RECORDS)} bytes/record ` +
      `(index ${(index.memoryBytes / RECORDS).toFixed(1)}, data ${Math.round(dataRss / RECORDS)}); data_used_bytes counts ${Math.round(st.usedBytes / RECORDS)} bytes/record ` +
      `(${accountingPct >= 0 ? '+' : ''}${accountingPct.toFixed(1)}% of the data's RSS); ${Math.round(Number(t1 - t0) / RECORDS)} ns/put`,
  ];
}
