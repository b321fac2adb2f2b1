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

test('findMany answers what find answers for each digest: present, absent, removed and in chains', () => {
  const index = new PrimaryIndex();
  // 3000 entries in few partitions: bucket chains longer than one, and many partitions left empty
  const present = Array.from({ length: 3000 }, (_, i) => {
    const d = randomBytes(20);
    d[0] = i % 7; // partitions 0-6 only (the partition id is digest bytes 0-1)
    d[1] = 0;
    return d;
  });
  for (const d of present) index.insert(d);
  for (let i = 0; i < present.length; i += 5) index.remove(present[i]!);
  const absent = Array.from({ length: 500 }, () => randomBytes(20));
  const all = [...present, ...absent];
  // the digests packed in one buffer at uneven offsets, as a batch request holds them (25-byte rows)
  const buf = Buffer.alloc(all.length * 25 + 3);
  const offsets = new Int32Array(all.length);
  all.forEach((d, i) => {
    offsets[i] = 3 + i * 25;
    d.copy(buf, offsets[i]);
  });
  const ids = new Int32Array(all.length).fill(123);
  index.findMany(buf, offsets, all.length, ids);
  all.forEach((d, i) => assert.equal(ids[i], index.find(d), `digest ${i}`));
  assert.equal(ids.filter((id) => id >= 0).length, 2400);
  // only the first n are looked up
  ids.fill(77);
  index.findMany(buf, offsets, 2, ids);
  assert.deepEqual([ids[0], ids[1], ids[2]], [-1, index.find(present[1]!), 77]);
});

test('the mutation count moves with every insert, removal and clear, and ids found stay valid while it does not', () => {
  const idx = new PrimaryIndex();
  // 100k digests: ~24 a partition, so most partitions grow past their first 16 buckets
  const digests = Array.from({ length: 100000 }, () => randomBytes(20));
  let m = idx.mutations;
  const ids = digests.map((d) => {
    const id = idx.insert(d);
    assert.equal(idx.mutations, ++m);
    return id;
  });
  // growth rehashed the chains but kept the ids: the ids found are the ones inserted
  digests.forEach((d, i) => assert.equal(idx.find(d), ids[i]));
  // metadata changes and failed removals change no id
  idx.setGeneration(ids[0]!, 7);
  assert.equal(idx.remove(randomBytes(20)), false);
  assert.equal(idx.mutations, m);
  assert.equal(idx.remove(digests[0]!), true);
  assert.equal(idx.mutations, ++m);
  idx.clear();
  assert.equal(idx.mutations, ++m);
});
