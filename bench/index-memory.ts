/** Primary-index memory per record, measured on the real structure with 1M random digests. */
import { randomBytes } from 'node:crypto';
import { PrimaryIndex } from '../src/index/primary-index.js';

export function runIndexBench(records = 1_000_000): string[] {
  const index = new PrimaryIndex();
  const digests = randomBytes(20 * records);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < records; i++) index.insert(digests, i * 20);
  const t1 = process.hrtime.bigint();
  let found = 0;
  for (let i = 0; i < records; i++) if (index.find(digests, i * 20) >= 0) found++;
  const t2 = process.hrtime.bigint();
  const insertNs = Number(t1 - t0) / records;
  const findNs = Number(t2 - t1) / records;
  return [
    `primary index: ${records} records, ${(index.memoryBytes / records).toFixed(1)} bytes/record (56-byte entries + bucket heads; Aerospike: 64), ` +
      `insert ${insertNs.toFixed(0)} ns, lookup ${findNs.toFixed(0)} ns (${found} found)`,
  ];
}
