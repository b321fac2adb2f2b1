/**
 * The bytes nodes exchange: fabric messages and shipped records round-trip, and malformed input
 * (random bytes, truncations, garbage frames on the sockets) is refused with a decode error or a
 * dropped connection — never a crash or a half-installed record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import {
  decodeExchange,
  decodeMigration,
  decodeProxy,
  decodeReplicaWrite,
  encodeExchange,
  encodeMigration,
  FabricDecodeError,
} from '../../src/cluster/runtime/fabric-messages.js';
import { NULL_VERSION, fullVersion, subsetVersion, type PartitionVersion } from '../../src/cluster/partition-version.js';
import { applyShipped, packShipped, shipDelete, shipRecord, shipTombstone, TransferDecodeError, unpackShipped } from '../../src/namespace/record-transfer.js';
import { Namespace } from '../../src/namespace/namespace.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { liveNamespaceSettings } from '../../src/server/node-config.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { systemClock } from '../../src/util/clock.js';
import { computeDigest } from '../../src/util/digest.js';
import { encodeRecord } from '../../src/storage/record-codec.js';
import { PeerNet, PeerRequestError } from '../../src/cluster/net/peer-net.js';

function newNamespace(): Namespace {
  const cfg = defaultConfig().namespaces[0]!;
  return new Namespace(liveNamespaceSettings(cfg), new MemoryStorage(64 * 1024 * 1024), systemClock);
}

/** Stores a record the way a client write would leave it. */
function putRecord(ns: Namespace, key: string, gen: number, lutMs: number, value: string): Buffer {
  const digest = computeDigest('s', 3, Buffer.from(key));
  const id = ns.index.insert(digest);
  ns.index.setSetId(id, ns.sets.idOf('s', true));
  ns.index.setGeneration(id, gen);
  ns.index.setLastUpdateMs(id, lutMs);
  const data = encodeRecord(undefined, [{ name: 'v', type: 3, value: Buffer.from(value) }]);
  ns.storage.put(ns.index, id, data);
  ns.sets.recordAdded(ns.index.setId(id), data.length);
  return digest;
}

test('exchange and migration messages round-trip, the exchange with the sender\'s host and rack-ids', () => {
  const row: PartitionVersion[] = new Array<PartitionVersion>(4096).fill(NULL_VERSION);
  row[7] = fullVersion(0xabcn, true);
  row[4095] = subsetVersion(0x1234_5678_9abc_def0n);
  const bytes = encodeExchange({ key: 0x55n, from: 0xa1n, retransmit: true, host: 0xb7n, rows: new Map([['test', row]]), racks: new Map([['test', 1_000_000]]) });
  const back = decodeExchange(bytes);
  assert.equal(back.key, 0x55n);
  assert.equal(back.from, 0xa1n);
  assert.equal(back.host, 0xb7n);
  assert.equal(back.racks.get('test'), 1_000_000);
  assert.equal(back.retransmit, true);
  assert.deepEqual(back.rows.get('test')![7], row[7]);
  assert.deepEqual(back.rows.get('test')![4095], row[4095]);
  assert.equal(back.rows.get('test')![0]!.ckey, 0n);
  const m = decodeMigration(encodeMigration(9n, 'bar', { kind: 'fill', pid: 4095, from: 1n, to: 0xffff_ffff_ffff_ffffn }, Buffer.from('xyz')));
  assert.deepEqual(m.migration, { kind: 'fill', pid: 4095, from: 1n, to: 0xffff_ffff_ffff_ffffn });
  assert.equal(m.namespace, 'bar');
  assert.equal(m.records.toString(), 'xyz');
  assert.throws(() => decodeExchange(bytes.subarray(0, bytes.length - 1)), FabricDecodeError);
  assert.throws(() => decodeExchange(Buffer.concat([bytes, Buffer.from([0])])), FabricDecodeError);
});

test('random bytes never break the fabric decoders', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (arr) => {
      const b = Buffer.from(arr);
      for (const decode of [decodeExchange, decodeMigration, decodeProxy, decodeReplicaWrite, (x: Buffer) => unpackShipped(x)]) {
        try {
          decode(b);
        } catch (e) {
          assert.ok(e instanceof FabricDecodeError || e instanceof TransferDecodeError, `${decode.name}: ${String(e)}`);
        }
      }
    }),
    { numRuns: 2000 },
  );
});

test('a shipped record installs with its generation, void-time and set; a delete removes it', () => {
  const src = newNamespace();
  const digest = putRecord(src, 'k1', 7, 1_000, 'hello');
  const shipped = shipRecord(src, src.index.find(digest));
  const dst = newNamespace();
  assert.equal(applyShipped(dst, shipped), true);
  const id = dst.index.find(digest);
  assert.ok(id >= 0);
  assert.equal(dst.index.generation(id), 7);
  assert.equal(dst.index.lastUpdateMs(id), 1_000);
  assert.equal(dst.sets.nameOf(dst.index.setId(id)), 's');
  assert.deepEqual(dst.storage.get(dst.index, id), src.storage.get(src.index, src.index.find(digest)));
  assert.equal(dst.sets.getByName('s')!.objects, 1);
  assert.equal(applyShipped(dst, shipDelete(digest)), true);
  assert.equal(dst.index.find(digest), -1);
  assert.equal(dst.sets.getByName('s')!.objects, 0);
});

test('migrated copies resolve by generation, then last-update-time; replica writes always apply', () => {
  const a = newNamespace();
  const b = newNamespace();
  const d = putRecord(a, 'k', 5, 100, 'newer-gen');
  putRecord(b, 'k', 3, 900, 'older-gen');
  const fromA = shipRecord(a, a.index.find(d));
  const fromB = shipRecord(b, b.index.find(d));
  assert.equal(applyShipped(b, fromA, 'generation'), true, 'higher generation wins');
  assert.equal(b.index.generation(b.index.find(d)), 5);
  assert.equal(applyShipped(a, fromB, 'generation'), false, 'lower generation loses');
  assert.equal(applyShipped(a, fromB, 'last-update-time'), true, 'later update wins under last-update-time');
  assert.equal(a.index.generation(a.index.find(d)), 3);
  assert.equal(applyShipped(a, fromA), true, 'authoritative replica write');
  assert.equal(a.index.generation(a.index.find(d)), 5);
  assert.equal(a.objects, 1);
});

test('a shipped tombstone beats an older copy and loses to a newer one', () => {
  const ns = newNamespace();
  const d = putRecord(ns, 'gone', 2, 500, 'old');
  assert.equal(applyShipped(ns, shipTombstone(d, 1, 400), 'generation'), false, 'an older delete leaves the record');
  assert.ok(ns.findLive(d) >= 0);
  assert.equal(applyShipped(ns, shipTombstone(d, 3, 600), 'generation'), true, 'a newer delete removes it');
  assert.equal(ns.findLive(d), -1, 'memory storage keeps no tombstone: the record is simply gone');
  assert.equal(applyShipped(ns, shipTombstone(d, 4, 700), 'generation'), false, 'nothing left to delete');
  assert.throws(() => applyShipped(ns, shipTombstone(d, 4, 700).subarray(0, 30)), TransferDecodeError);
});

test('garbage shipped records are refused without touching the namespace', () => {
  const ns = newNamespace();
  putRecord(ns, 'keep', 1, 1, 'x');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (arr) => {
      const b = Buffer.from(arr);
      if (b.length > 0) b[0] = 1 + (b[0]! % 2); // a plausible kind byte, to reach the deeper checks
      const before = ns.objects;
      try {
        applyShipped(ns, b, 'generation');
      } catch (e) {
        assert.ok(e instanceof TransferDecodeError, String(e));
        assert.equal(ns.objects, before);
      }
    }),
    { numRuns: 1000 },
  );
  const packed = packShipped([shipDelete(Buffer.alloc(20, 1)), Buffer.from('abc')]);
  assert.equal(unpackShipped(packed).length, 2);
  assert.throws(() => unpackShipped(packed.subarray(0, packed.length - 1)), TransferDecodeError);
});

test('peer links: requests, error answers, one-way messages, and a garbage frame drops only that connection', async () => {
  const seen: string[] = [];
  const server = new PeerNet((type, payload) => {
    if (type === 1) return Buffer.from(`echo:${payload.toString()}`);
    if (type === 2) throw new Error('refused here');
    seen.push(payload.toString());
    return undefined;
  });
  const port = await server.listen('127.0.0.1', 0);
  const client = new PeerNet(() => undefined);
  try {
    const addr = `127.0.0.1:${port}`;
    assert.equal((await client.request(addr, 1, Buffer.from('hi'), 2000)).toString(), 'echo:hi');
    await assert.rejects(client.request(addr, 2, Buffer.alloc(0), 2000), (e: Error) => e instanceof PeerRequestError && /refused here/.test(e.message));
    client.send(addr, 3, Buffer.from('one-way'));
    // a frame claiming 4 GiB: the server closes that socket and keeps serving others
    const raw = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => {
      raw.on('connect', () => raw.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0])));
      raw.on('close', () => resolve());
      raw.on('error', () => undefined);
    });
    assert.equal((await client.request(addr, 1, Buffer.from('again'), 2000)).toString(), 'echo:again');
    assert.deepEqual(seen, ['one-way']);
    // a request to a closed port fails instead of hanging
    await assert.rejects(client.request('127.0.0.1:1', 1, Buffer.alloc(0), 2000), PeerRequestError);
  } finally {
    await client.close();
    await server.close();
  }
});
