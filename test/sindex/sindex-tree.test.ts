/**
 * The per-partition (bval, digest) arrays against a brute-force model: any inserts and removes
 * (extreme and negative bvals included) leave range walks in signed (bval, digest) order, resumes
 * continue strictly after their point, and the entry count and bytes follow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SindexTree, SINDEX_ENTRY_BYTES } from '../../src/sindex/sindex-tree.js';
import { partitionOf } from '../../src/util/digest.js';
import { wyhash64 } from '../../src/sindex/wyhash.js';

const BVALS = [-(1n << 63n), -(1n << 32n) - 1n, -(1n << 32n), -1n, 0n, 1n, 0xffffffffn, 1n << 32n, (1n << 63n) - 1n, 5n, 6n];

function digest(n: number, pid: number): Buffer {
  const d = Buffer.alloc(20);
  d.writeUInt16LE(pid, 0);
  d.writeUInt32BE(n, 16);
  return d;
}

interface Entry {
  bval: bigint;
  digest: Buffer;
}

function order(a: Entry, b: Entry): number {
  if (a.bval !== b.bval) return a.bval < b.bval ? -1 : 1;
  return a.digest.compare(b.digest);
}

test('range walks follow signed (bval, digest) order and resume strictly after their point', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ add: fc.boolean(), b: fc.integer({ min: 0, max: BVALS.length - 1 }), n: fc.integer({ min: 0, max: 30 }), pid: fc.constantFrom(0, 1, 4095) }), {
        maxLength: 300,
      }),
      fc.integer({ min: 0, max: BVALS.length - 1 }),
      fc.integer({ min: 0, max: BVALS.length - 1 }),
      (ops, x, y) => {
        const tree = new SindexTree();
        const model = new Map<string, Entry>();
        for (const o of ops) {
          const e = { bval: BVALS[o.b]!, digest: digest(o.n, o.pid) };
          const k = `${e.bval}/${e.digest.toString('hex')}`;
          if (o.add) assert.equal(tree.insert(e.bval, e.digest), !model.has(k)), model.set(k, e);
          else assert.equal(tree.remove(e.bval, e.digest), model.delete(k));
        }
        assert.equal(tree.size, model.size);
        assert.ok(tree.memoryBytes >= tree.size * SINDEX_ENTRY_BYTES);
        const [lo, hi] = BVALS[x]! <= BVALS[y]! ? [BVALS[x]!, BVALS[y]!] : [BVALS[y]!, BVALS[x]!];
        for (const pid of [0, 1, 4095]) {
          const want = [...model.values()].filter((e) => partitionOf(e.digest) === pid && e.bval >= lo && e.bval <= hi).sort(order);
          const got: Entry[] = [];
          tree.forEachInRange(pid, lo, hi, undefined, (bval, d, off) => {
            got.push({ bval, digest: Buffer.from(d.subarray(off, off + 20)) });
            return true;
          });
          assert.deepEqual(got, want);
          // resuming after any answered entry yields exactly the rest
          for (let i = 0; i < want.length; i++) {
            const rest: Entry[] = [];
            tree.forEachInRange(pid, lo, hi, want[i]!, (bval, d, off) => {
              rest.push({ bval, digest: Buffer.from(d.subarray(off, off + 20)) });
              return true;
            });
            assert.deepEqual(rest, want.slice(i + 1));
          }
        }
      },
    ),
    { numRuns: 200, seed: 7 },
  );
});

test('string keys hash with Aerospike 8.1 wyhash (the BVAL the reference answers for "s1")', () => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(wyhash64(Buffer.from('s1')));
  // recorded from Aerospike 8.1.2 (scan-query corpus, step 29)
  assert.equal(b.toString('hex'), '98e8537cd6bdd81f');
});
