import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PrimaryIndex } from '../../src/index/primary-index.js';
import { partitionOf } from '../../src/util/digest.js';

test('inserted digests are found and removed ones are not', () => {
  const index = new PrimaryIndex();
  const digests = Array.from({ length: 5000 }, () => randomBytes(20));
  const ids = digests.map((d) => index.insert(d));
  digests.forEach((d, i) => assert.equal(index.find(d), ids[i]));
  for (let i = 0; i < 5000; i += 2) assert.equal(index.remove(digests[i]!), true);
  digests.forEach((d, i) => assert.equal(index.find(d) >= 0, i % 2 === 1));
  assert.equal(index.size, 2500);
  assert.equal(index.remove(digests[0]!), false);
});

test('entry metadata round-trips through the packed fields', () => {
  const index = new PrimaryIndex();
  const d = randomBytes(20);
  const id = index.insert(d);
  index.setVoidTime(id, 0xfffffff0);
  index.setGeneration(id, 65535);
  index.setSetId(id, 4095);
  index.setLastUpdateMs(id, 1_763_000_000_123);
  index.setLocator(id, 123456);
  index.setStoredSize(id, 1048576);
  assert.deepEqual(
    [index.voidTime(id), index.generation(id), index.setId(id), index.lastUpdateMs(id), index.locator(id), index.storedSize(id)],
    [0xfffffff0, 65535, 4095, 1_763_000_000_123, 123456, 1048576],
  );
  assert.equal(index.partitionId(id), partitionOf(d));
  assert.deepEqual(index.digestOf(id), d);
});

test('entries freed by removal are reused and a partition walk sees exactly its entries', () => {
  const index = new PrimaryIndex();
  const a = randomBytes(20);
  const idA = index.insert(a);
  index.remove(a);
  const b = randomBytes(20);
  assert.equal(index.insert(b), idA);
  const pid = partitionOf(b);
  const seen: number[] = [];
  index.forEachInPartition(pid, (id) => seen.push(id));
  assert.deepEqual(seen, [idA]);
});

test('the index spends at most 64 bytes per record at a million records (56-byte entries + bucket heads)', () => {
  const index = new PrimaryIndex();
  const n = 1_000_000;
  const digests = randomBytes(20 * n);
  for (let i = 0; i < n; i++) index.insert(digests, i * 20);
  const perRecord = index.memoryBytes / n;
  assert.ok(perRecord <= 64, `bytes/record ${perRecord}`);
});
