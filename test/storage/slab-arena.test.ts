/**
 * Memory namespaces keep record bytes in size-class slabs: each record reads back exactly, a freed
 * slot is reused only after the current turn (views handed out stay intact while their holder
 * runs), the accounting counts the slot bytes records occupy, and large records get slabs of
 * their own that are given back when freed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MAX_CLASS_BYTES, SlabArena, slotSizeOf } from '../../src/storage/slab-arena.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { PrimaryIndex } from '../../src/index/primary-index.js';
import { Prng } from '../../src/testing/prng.js';

const nextTurn = () => new Promise((r) => setImmediate(r));

test('a slot is a multiple of 16 bytes and wastes at most 1/32 of itself above 512 bytes', () => {
  for (let size = 1; size <= 300_000; size += size < 2048 ? 1 : 97) {
    const slot = slotSizeOf(size);
    assert.ok(slot >= size && slot % 16 === 0, `size ${size} slot ${slot}`);
    if (size > 512) assert.ok(slot - size <= slot / 32 + 16, `size ${size} slot ${slot}`);
    if (size <= 512) assert.ok(slot - size < 16);
  }
  assert.equal(slotSizeOf(1010), 1024);
  assert.equal(slotSizeOf(1040), 1056);
});

test('records of random sizes read back exactly, and accounting counts their slots', async () => {
  const arena = new SlabArena();
  const prng = new Prng(7);
  const out = new Uint32Array(2);
  const kept: { data: Buffer; slab: number; offset: number }[] = [];
  let expectUsed = 0;
  for (let i = 0; i < 3000; i++) {
    const size = prng.range(1, i % 100 === 0 ? MAX_CLASS_BYTES + 5000 : 3000);
    const data = randomBytes(size);
    arena.store(data, out);
    kept.push({ data, slab: out[0]!, offset: out[1]! });
    expectUsed += slotSizeOf(size);
  }
  assert.equal(arena.usedBytes, expectUsed);
  assert.ok(arena.reservedBytes >= arena.usedBytes);
  for (const k of kept) assert.ok(arena.view(k.slab, k.offset, k.data.length).equals(k.data));
  // free half, then write as many again: everything still reads back
  for (let i = 0; i < kept.length; i += 2) arena.release(kept[i]!.slab, kept[i]!.offset, kept[i]!.data.length);
  await nextTurn();
  const reserved = arena.reservedBytes;
  const survivors = kept.filter((_, i) => i % 2 === 1);
  for (let i = 0; i < 1500; i++) {
    const data = randomBytes(prng.range(1, 3000));
    arena.store(data, out);
    survivors.push({ data, slab: out[0]!, offset: out[1]! });
  }
  for (const k of survivors) assert.ok(arena.view(k.slab, k.offset, k.data.length).equals(k.data));
  // the freed slots were reused: the slabs grew far less than the new records' bytes
  assert.ok(arena.reservedBytes - reserved < 1500 * 1500, `grew ${arena.reservedBytes - reserved}`);
});

test('a freed slot is not reused in the same turn, so a view handed out keeps its bytes', async () => {
  const arena = new SlabArena();
  const out = new Uint32Array(2);
  const a = Buffer.alloc(100, 0xaa);
  arena.store(a, out);
  const [slab, offset] = [out[0]!, out[1]!];
  const view = arena.view(slab, offset, 100);
  arena.release(slab, offset, 100);
  arena.store(Buffer.alloc(100, 0xbb), out);
  assert.ok(out[0] !== slab || out[1] !== offset, 'a fresh slot this turn');
  assert.ok(view.equals(a));
  await nextTurn();
  arena.store(Buffer.alloc(100, 0xcc), out);
  assert.deepEqual([out[0], out[1]], [slab, offset], 'reused after the turn');
});

test('records of two size classes stored and freed in turn each reuse slots of their own class', async () => {
  const arena = new SlabArena();
  const out = new Uint32Array(2);
  // the arena checks the class it used last before its map: alternate classes to check it switches
  const small = [randomBytes(100), randomBytes(100)];
  const large = [randomBytes(1000), randomBytes(1000)];
  const at: { slab: number; offset: number; data: Buffer }[] = [];
  for (let i = 0; i < 2; i++) {
    for (const data of [small[i]!, large[i]!]) {
      arena.store(data, out);
      at.push({ slab: out[0]!, offset: out[1]!, data });
    }
  }
  assert.equal(arena.usedBytes, 2 * slotSizeOf(100) + 2 * slotSizeOf(1000));
  for (const r of at) assert.deepEqual(arena.view(r.slab, r.offset, r.data.length), r.data);
  // free one of each class, then store one of each again in the next turn: each takes the slot of its class
  arena.release(at[0]!.slab, at[0]!.offset, 100);
  arena.release(at[1]!.slab, at[1]!.offset, 1000);
  await nextTurn();
  const big = randomBytes(1000);
  arena.store(big, out);
  assert.deepEqual([out[0], out[1]], [at[1]!.slab, at[1]!.offset]);
  const little = randomBytes(100);
  arena.store(little, out);
  assert.deepEqual([out[0], out[1]], [at[0]!.slab, at[0]!.offset]);
  assert.deepEqual(arena.view(at[0]!.slab, at[0]!.offset, 100), little);
  assert.deepEqual(arena.view(at[1]!.slab, at[1]!.offset, 1000), big);
  assert.equal(arena.usedBytes, 2 * slotSizeOf(100) + 2 * slotSizeOf(1000));
});

test('a record larger than the biggest class gets a slab of its own, given back when freed', async () => {
  const arena = new SlabArena();
  const out = new Uint32Array(2);
  const big = randomBytes(MAX_CLASS_BYTES * 3);
  arena.store(big, out);
  assert.equal(arena.reservedBytes, slotSizeOf(big.length));
  assert.ok(arena.view(out[0]!, out[1]!, big.length).equals(big));
  arena.release(out[0]!, out[1]!, big.length);
  await nextTurn();
  assert.equal(arena.reservedBytes, 0);
  assert.equal(arena.usedBytes, 0);
});

test('the memory engine stores, replaces and frees records through the index entry', async () => {
  const index = new PrimaryIndex();
  const storage = new MemoryStorage(64 * 1024 * 1024);
  const ids = Array.from({ length: 500 }, () => index.insert(randomBytes(20)));
  ids.forEach((id, i) => storage.put(index, id, Buffer.alloc(50 + i, i & 0xff)));
  ids.forEach((id, i) => assert.ok(storage.get(index, id).equals(Buffer.alloc(50 + i, i & 0xff))));
  // replacing keeps the old bytes readable through a view taken before, in this turn
  const before = storage.get(index, ids[0]!);
  storage.put(index, ids[0]!, Buffer.alloc(2000, 0x55));
  assert.ok(before.equals(Buffer.alloc(50, 0)));
  assert.ok(storage.get(index, ids[0]!).equals(Buffer.alloc(2000, 0x55)));
  const used = storage.stats().usedBytes;
  storage.free(index, ids[1]!);
  assert.equal(storage.stats().usedBytes, used - slotSizeOf(51));
  assert.equal(index.storedSize(ids[1]!), 0);
  storage.clear();
  assert.equal(storage.stats().usedBytes, 0);
  await nextTurn();
});

test('touching records reads a byte of each 64-byte line and changes nothing; missing ids are skipped', () => {
  const index = new PrimaryIndex();
  const storage = new MemoryStorage(1 << 30);
  const records = [randomBytes(1010), randomBytes(1), randomBytes(200_000)];
  const ids = new Int32Array(5).fill(-1);
  records.forEach((r, i) => {
    ids[i] = index.insert(randomBytes(20));
    storage.put(index, ids[i]!, r);
  });
  const empty = index.insert(randomBytes(20)); // an entry with no stored bytes
  ids[3] = empty;
  let expected = 0;
  for (const r of records) for (let at = 0; at < r.length; at += 64) expected ^= r[at]!;
  assert.equal(storage.touch(index, ids, 5), expected);
  records.forEach((r, i) => assert.deepEqual(storage.get(index, ids[i]!), r));
  assert.equal(storage.touch(index, ids, 0), 0);
});

test('a record located in place is the bytes get answers, at the offset given, also after it is written again', () => {
  const index = new PrimaryIndex();
  const storage = new MemoryStorage(1 << 30);
  const at = new Int32Array(1);
  const records = [randomBytes(1010), randomBytes(1), randomBytes(200_000), randomBytes(1010)];
  const ids = records.map((r) => {
    const id = index.insert(randomBytes(20));
    storage.put(index, id, r);
    return id;
  });
  const inPlace = (id: number) => {
    const buf = storage.locate(index, id, at);
    return buf.subarray(at[0]!, at[0]! + index.storedSize(id));
  };
  records.forEach((r, i) => {
    assert.deepEqual(inPlace(ids[i]!), r);
    assert.deepEqual(inPlace(ids[i]!), storage.get(index, ids[i]!));
  });
  const rewritten = randomBytes(3000);
  storage.put(index, ids[0]!, rewritten);
  assert.deepEqual(inPlace(ids[0]!), rewritten);
  // an entry with no stored bytes: an empty buffer at 0, as get's empty view
  const empty = index.insert(randomBytes(20));
  assert.equal(storage.locate(index, empty, at).length, 0);
  assert.equal(at[0], 0);
});
