/**
 * HyperLogLog operations, checked against what Aerospike 8.1.2 answered in
 * test/fixtures/corpus/hll.jsonl (cited as scenario#step). Bins are compared byte for byte: in full
 * where short, by SHA-256 of the recorded bytes where long.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fc from 'fast-check';
import { executeHllOp, executeHllWireOp, isValidHll, hllSizeBytes } from '../../src/hll/index.js';
import { murmur3x64 } from '../../src/hll/murmur3.js';
import { compactElement } from '../../src/hll/element.js';
import { AsBytes, pack, type AsValue } from '../../src/protocol/msgpack.js';
import { AsError, ResultCode } from '../../src/protocol/result-codes.js';

type Bin = { type: number; value: Buffer };

const strs = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const asArg = (b: Bin) => new AsBytes(18, b.value);

/** Runs a modify op; returns the new bin (the old one when unchanged) and the op's result. */
function modify(bin: Bin | undefined, code: number, ...args: AsValue[]): { bin: Bin | undefined; result: AsValue | undefined } {
  const out = executeHllOp(bin, code, args, true);
  return { bin: out.newBin ?? bin, result: out.result };
}

function read(bin: Bin, code: number, ...args: AsValue[]): AsValue | undefined {
  return executeHllOp(bin, code, args, false).result;
}

function errorCode(run: () => unknown): number {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof AsError, `expected AsError, got ${String(e)}`);
    return e.code;
  }
  assert.fail('expected an error');
}

const wire = (bin: Bin | undefined, payloadHex: string, isModify: boolean) => executeHllWireOp(bin, Buffer.from(payloadHex, 'hex'), isModify);

// Fixtures rebuilt from the corpus scenario hll-ops; each call starts from nothing.
function h10(): Bin {
  let bin = modify(undefined, 0, 10n, -1n, 0n).bin; // #1
  bin = modify(bin, 1, strs('a', 100)).bin; // #4
  return modify(bin, 1, [1n, 2n, 3n, 1.5, new AsBytes(4, Buffer.from('0102', 'hex'))], -1n, -1n, 0n).bin!; // #7
}
const h10Refreshed = () => modify(h10(), 3).bin!; // #25
const h3 = () => modify(undefined, 1, strs('a', 50), 8n, -1n, 0n).bin!; // #12
const h4 = () => modify(undefined, 1, strs('a', 80), 8n, 8n, 0n).bin!; // #13

// --- init, describe, count (hll-ops#1-3, #9-10, #15-24) ---

test('init creates an empty HLL that describes itself and counts 0 (hll-ops#1-3)', () => {
  const bin = modify(undefined, 0, 10n, -1n, 0n).bin!;
  assert.equal(bin.type, 18);
  assert.equal(bin.value.length, 11 + 768);
  assert.deepEqual(read(bin, 55), [10n, 0n]);
  assert.equal(read(bin, 50), 0n);
});

test('init with minhash bits describes both sizes (hll-ops#9, #10)', () => {
  const bin = modify(undefined, 0, 12n, 16n, 0n).bin!;
  assert.deepEqual(read(bin, 55), [12n, 16n]);
  assert.equal(bin.value.length, hllSizeBytes(12, 16));
});

test('init refuses index bits outside 4..16 with PARAMETER (hll-ops#15, #16)', () => {
  assert.equal(errorCode(() => modify(undefined, 0, 3n, -1n, 0n)), ResultCode.PARAMETER);
  assert.equal(errorCode(() => modify(undefined, 0, 17n, -1n, 0n)), ResultCode.PARAMETER);
});

test('init refuses minhash bits over 51, or a sum over 64, with PARAMETER (hll-ops#17, #18)', () => {
  assert.equal(errorCode(() => modify(undefined, 0, 10n, 52n, 0n)), ResultCode.PARAMETER);
  assert.equal(errorCode(() => modify(undefined, 0, 16n, 51n, 0n)), ResultCode.PARAMETER);
});

test('init accepts the minimum and maximum index bits (hll-ops#19, #20)', () => {
  assert.deepEqual(read(modify(undefined, 0, 4n, -1n, 0n).bin!, 55), [4n, 0n]);
  const big = modify(undefined, 0, 16n, -1n, 0n).bin!;
  assert.deepEqual(read(big, 55), [16n, 0n]);
  assert.equal(sha(big.value), '0ebf9f345ffb82eb3f13ae8c91b03f95492bd1463b15beb95e3417a5395d0292'); // #47 h7
});

test('init CREATE_ONLY on an existing bin fails with BIN_EXISTS, or is a no-op with NO_FAIL (hll-ops#21, #22)', () => {
  const bin = h10();
  assert.equal(errorCode(() => modify(bin, 0, 10n, -1n, 1n)), ResultCode.BIN_EXISTS);
  const out = executeHllOp(bin, 0, [10n, -1n, 5n], true);
  assert.equal(out.newBin, null);
  assert.equal(read(bin, 50), 107n);
});

test('init UPDATE_ONLY on a missing bin fails with BIN_NOT_FOUND (hll-ops#23)', () => {
  assert.equal(errorCode(() => modify(undefined, 0, 10n, -1n, 2n)), ResultCode.BIN_NOT_FOUND);
});

test('init on an existing HLL empties it (hll-ops#24)', () => {
  let bin = modify(undefined, 0, 8n, -1n, 0n).bin;
  const added = modify(bin, 1, strs('c', 20), -1n, -1n, 0n);
  assert.equal(added.result, 20n);
  bin = modify(added.bin, 0, 8n, -1n, 0n).bin!;
  assert.equal(read(bin, 50), 0n);
});

test('init without index bits keeps the existing shape, and cannot create a bin', () => {
  const bin = modify(h4(), 0).bin!;
  assert.deepEqual(read(bin, 55), [8n, 8n]);
  assert.equal(read(bin, 50), 0n);
  assert.equal(errorCode(() => modify(undefined, 0)), ResultCode.OP_NOT_APPLICABLE);
});

// --- add and counts (hll-ops#4-8, #11-14) ---

test('add answers how many registers changed and the count estimates the cardinality (hll-ops#4, #5)', () => {
  const init = modify(undefined, 0, 10n, -1n, 0n).bin;
  const added = modify(init, 1, strs('a', 100));
  assert.equal(added.result, 100n);
  assert.equal(read(added.bin!, 50), 102n);
});

test('adding the same elements again changes no register (hll-ops#6)', () => {
  const once = modify(modify(undefined, 0, 10n, -1n, 0n).bin, 1, strs('a', 100)).bin;
  assert.equal(modify(once, 1, strs('a', 100)).result, 0n);
});

test('ints, doubles and blobs hash as their msgpack bytes, giving Aerospike\'s exact bin (hll-ops#7, #8)', () => {
  const bin = h10();
  assert.equal(read(bin, 50), 107n);
  assert.equal(sha(bin.value), '37d519c50ba3b58102a0d962508929641847ff337c76136e83d26c0a40f2ab8b');
});

test('an HLL with minhash bits estimates and stores like Aerospike (hll-ops#11, #26 h2)', () => {
  const init = modify(undefined, 0, 12n, 16n, 0n).bin;
  const added = modify(init, 1, strs('b', 500));
  assert.equal(added.result, 482n);
  assert.equal(read(added.bin!, 50), 493n);
  assert.equal(sha(added.bin!.value), 'd55bb17db910aebbb9f4dcd7ec142944fb7fae77cce3dd49a55bad2b8517723b');
});

test('add to a missing bin creates it with the given bits (hll-ops#12, #13)', () => {
  const added3 = modify(undefined, 1, strs('a', 50), 8n, -1n, 0n);
  assert.equal(added3.result, 48n);
  assert.deepEqual(read(added3.bin!, 55), [8n, 0n]);
  assert.equal(sha(added3.bin!.value), '2a1451b357501692929a90715f513ad88989ff48a750c0d822bd10e7c3cb2f7f');
  const added4 = modify(undefined, 1, strs('a', 80), 8n, 8n, 0n);
  assert.equal(added4.result, 74n);
  assert.deepEqual(read(added4.bin!, 55), [8n, 8n]);
  assert.equal(sha(added4.bin!.value), '5a2b73acd8fadee5402c743a149e36d6fba365acbd33123852e648f40aad9bc5');
});

test('add to a missing bin without index bits fails with OP_NOT_APPLICABLE (hll-ops#14)', () => {
  assert.equal(errorCode(() => modify(undefined, 1, ['x'], -1n, -1n, 0n)), ResultCode.OP_NOT_APPLICABLE);
});

test('add on an existing bin keeps its shape whatever bits the op gives', () => {
  const bin = modify(h3(), 1, ['zz'], 12n, 0n, 0n).bin!;
  assert.deepEqual(read(bin, 55), [8n, 0n]);
});

test('three strings give Aerospike\'s exact 8-bit HLL, count and membership answers (hll-raw#1-5, #12)', () => {
  const init = wire(undefined, '940008ff00', true).newBin!;
  const added = wire(init, '950193a20378a20379a2037affff00', true);
  assert.equal(added.result, 3n);
  const bin = added.newBin!;
  assert.equal(
    bin.value.toString('hex'),
    // corpus hll-raw#12
    '0008000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
      '0000000000000000000000000000000010000000000000000000000000000c00000000000000000000000000000000000000000000000000' +
      '0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
      '0000000000000000000000000000000000000000002000000000000000000000000000',
  );
  assert.equal(wire(bin, '9132', false).result, 3n);
  assert.equal(wire(bin, '923892a20378a5036e6f7065', false).result, 0n); // may_contain ["x", "nope"]
  assert.equal(wire(bin, '923891a20378', false).result, 1n);
  assert.deepEqual(wire(bin, '9137', false).result, [8n, 0n]);
});

test('elements sent with wider encodings than needed hash like their compact form', () => {
  assert.deepEqual(compactElement(Buffer.from('cd0005', 'hex')), Buffer.from('05', 'hex'));
  assert.deepEqual(compactElement(Buffer.from('d3ffffffffffffff80', 'hex')), Buffer.from('d080', 'hex'));
  assert.deepEqual(compactElement(Buffer.from('d9020378', 'hex')), Buffer.from('a20378', 'hex'));
  assert.deepEqual(compactElement(Buffer.from('c40403616263', 'hex')), Buffer.from('a403616263', 'hex'));
  const bin8 = Buffer.concat([Buffer.from('c420', 'hex'), Buffer.alloc(32, 1)]);
  assert.deepEqual(compactElement(bin8), bin8, 'Aerospike keeps a bin8 header of 32+ bytes');
  assert.deepEqual(compactElement(Buffer.from('c70201aabb', 'hex')), Buffer.from('d501aabb', 'hex'));
});

// --- refresh, union, intersect, similarity (hll-ops#25-39) ---

test('refresh_count stores the estimate in the little-endian cache and answers it (hll-ops#25, #26)', () => {
  const out = executeHllOp(h10(), 3, [], true);
  assert.equal(out.result, 107n);
  assert.equal(out.newBin!.value.subarray(3, 11).toString('hex'), '6b00000000000000');
  assert.equal(sha(out.newBin!.value), '2d04b98889864d9d0aa85975c4bb9adba099835692d0f5db0e956333bb6de0f7');
});

test('get_union answers the union in the smaller shape (hll-ops#27)', () => {
  const u = read(h10Refreshed(), 51, [asArg(h3())]) as AsBytes;
  assert.equal(u.type, 18);
  assert.equal(sha(u.bytes), 'b9656018a351592ad4220538f84c0a30f18b9a754647be44aca36c6e9b5306d4');
});

test('union, intersect and similarity estimates match Aerospike (hll-ops#28, #29, #30)', () => {
  const h = h10Refreshed();
  assert.equal(read(h, 52, [asArg(h3())]), 108n);
  assert.equal(read(h, 53, [asArg(h3())]), 51n);
  assert.equal(read(h, 54, [asArg(h3())]), 0.4722222222222222);
});

test('with minhash bits an HLL intersects itself fully (hll-ops#31, #32)', () => {
  const h = h4();
  assert.equal(read(h, 53, [asArg(h)]), 80n);
  assert.equal(read(h, 54, [asArg(h)]), 0.999680074214227);
});

test('union count and a three-way intersect count over two HLL arguments (hll-ops#33, #34)', () => {
  const h = h10Refreshed();
  assert.equal(read(h, 52, [asArg(h), asArg(h3())]), 108n);
  assert.equal(read(h, 53, [asArg(h), asArg(h3())]), 51n);
});

test('set_union on a missing bin creates the union (hll-ops#35)', () => {
  const u = modify(undefined, 2, [asArg(h10Refreshed()), asArg(h3())], 0n).bin!;
  assert.equal(read(u, 50), 108n);
  assert.deepEqual(read(u, 55), [8n, 0n]);
  assert.equal(sha(u.value), 'b9656018a351592ad4220538f84c0a30f18b9a754647be44aca36c6e9b5306d4');
});

test('set_union into a smaller HLL needs no ALLOW_FOLD (hll-ops#36, #37)', () => {
  const h6 = modify(undefined, 0, 4n, -1n, 0n).bin;
  const once = modify(h6, 2, [asArg(h10Refreshed())], 0n).bin!;
  const folded = modify(once, 2, [asArg(h10Refreshed())], 8n).bin!;
  assert.deepEqual(read(folded, 55), [4n, 0n]);
  assert.equal(read(folded, 50), 108n);
  assert.equal(folded.value.toString('hex'), '00040000000000000000001830830c50c5183085085145'); // #47 h6
});

test('set_union that would lose index bits fails with OP_NOT_APPLICABLE unless ALLOW_FOLD', () => {
  const small = modify(undefined, 0, 4n, -1n, 0n).bin!;
  const big = h10();
  assert.equal(errorCode(() => modify(big, 2, [asArg(small)], 0n)), ResultCode.OP_NOT_APPLICABLE);
  assert.deepEqual(read(modify(big, 2, [asArg(small)], 8n).bin!, 55), [4n, 0n]);
});

test('set_union CREATE_ONLY on an existing bin and UPDATE_ONLY on a missing one fail (hll-ops#38, #39)', () => {
  const u = modify(undefined, 2, [asArg(h3())], 0n).bin!;
  assert.equal(errorCode(() => modify(u, 2, [asArg(h3())], 1n)), ResultCode.BIN_EXISTS);
  assert.equal(errorCode(() => modify(undefined, 2, [asArg(h3())], 2n)), ResultCode.BIN_NOT_FOUND);
});

// --- fold (hll-ops#40-42) ---

test('fold refuses an HLL with minhash bits with OP_NOT_APPLICABLE (hll-ops#40)', () => {
  const h2 = modify(undefined, 0, 12n, 16n, 0n).bin;
  assert.equal(errorCode(() => modify(h2, 4, 8n)), ResultCode.OP_NOT_APPLICABLE);
});

test('fold to fewer index bits merges registers (hll-ops#41)', () => {
  const folded = modify(h10Refreshed(), 4, 6n).bin!;
  assert.deepEqual(read(folded, 55), [6n, 0n]);
  assert.equal(read(folded, 50), 121n);
  assert.equal(sha(folded.value), '36144c921f19b372944856143a8f10fac6a12ba2617f7e1446df28d253bf3d0c'); // #47 h
});

test('fold to more index bits fails with OP_NOT_APPLICABLE (hll-ops#42)', () => {
  const folded = modify(h10Refreshed(), 4, 6n).bin!;
  assert.equal(errorCode(() => modify(folded, 4, 8n)), ResultCode.OP_NOT_APPLICABLE);
});

test('refresh_count and fold on a missing bin fail with BIN_NOT_FOUND', () => {
  assert.equal(errorCode(() => modify(undefined, 3)), ResultCode.BIN_NOT_FOUND);
  assert.equal(errorCode(() => modify(undefined, 4, 8n)), ResultCode.BIN_NOT_FOUND);
});

// --- bins and bad input (hll-ops#43-46, hll-raw#6-11) ---

test('an HLL read on a missing bin answers no result (hll-ops#43)', () => {
  assert.deepEqual(wire(undefined, '9132', false), { result: undefined });
});

test('HLL ops on a string or plain blob bin fail with INCOMPATIBLE_TYPE (hll-ops#44, hll-raw#10)', () => {
  assert.equal(errorCode(() => read({ type: 3, value: Buffer.from('x') }, 55)), ResultCode.INCOMPATIBLE_TYPE);
  assert.equal(errorCode(() => wire({ type: 4, value: Buffer.from('010203', 'hex') }, '9132', false)), ResultCode.INCOMPATIBLE_TYPE);
  assert.equal(errorCode(() => modify({ type: 3, value: Buffer.from('x') }, 1, ['x'], 8n, -1n, 0n)), ResultCode.INCOMPATIBLE_TYPE);
});

test('add to a missing bin with index bits creates it (hll-ops#45)', () => {
  const s = modify(undefined, 1, ['x'], 8n, -1n, 0n);
  assert.equal(s.result, 1n);
  assert.equal(sha(s.bin!.value), 'aeb3047536813c018bd44af3ec4bd782a80b6717bd65dba05725904231e4a44b');
});

test('an HLL argument that is not a well-formed HLL fails with PARAMETER (hll-ops#46)', () => {
  assert.equal(errorCode(() => read(h10(), 51, [new AsBytes(4, Buffer.from('010203', 'hex'))])), ResultCode.PARAMETER);
  const wrongSize = Buffer.concat([h3().value, Buffer.alloc(1)]);
  assert.equal(errorCode(() => read(h10(), 52, [new AsBytes(18, wrongSize)])), ResultCode.PARAMETER);
});

test('an unknown op code or a modify code sent as a read fails with PARAMETER (hll-raw#6, #7)', () => {
  const bin = h3();
  assert.equal(errorCode(() => wire(bin, '9128', false)), ResultCode.PARAMETER);
  assert.equal(errorCode(() => wire(bin, '940008ff00', false)), ResultCode.PARAMETER);
});

test('index bits given as a string, or elements not in a list, fail with PARAMETER (hll-raw#8, #9)', () => {
  const bin = h3();
  assert.equal(errorCode(() => wire(bin, '9400a20338ff00', true)), ResultCode.PARAMETER);
  assert.equal(errorCode(() => wire(bin, '9501a20378ffff00', true)), ResultCode.PARAMETER);
});

test('lists and maps cannot be HLL elements', () => {
  assert.equal(errorCode(() => modify(h3(), 1, [[1n]])), ResultCode.PARAMETER);
});

test('only a well-formed HLL may be stored as an HLL bin (hll-raw#11)', () => {
  assert.equal(isValidHll(Buffer.from('010203', 'hex')), false);
  assert.equal(isValidHll(h3().value), true);
  const badFlags = Buffer.from(h3().value);
  badFlags[0] = 1;
  assert.equal(isValidHll(badFlags), false);
});

test('a corrupt stored HLL answers UNKNOWN, as Aerospike does', () => {
  assert.equal(errorCode(() => read({ type: 18, value: Buffer.from('000800', 'hex') }, 50)), ResultCode.UNKNOWN);
});

test('more than two HLL arguments to intersect need equal non-zero minhash bits', () => {
  const h = h10();
  assert.equal(errorCode(() => read(h, 53, [asArg(h3()), asArg(h3()), asArg(h3())])), ResultCode.PARAMETER);
  const m = h4();
  assert.equal(errorCode(() => read(h, 53, [asArg(m), asArg(m), asArg(m)])), ResultCode.OP_NOT_APPLICABLE);
  assert.equal(read(m, 53, [asArg(m), asArg(m), asArg(m)]), 80n);
});

// --- the hash ---

/** MurmurHash3_x64_128 transcribed directly in BigInt, as the oracle for the 32-bit version. */
function murmurReference(data: Uint8Array): [bigint, bigint] {
  const M = (1n << 64n) - 1n;
  const c1 = 0x87c37b91114253d5n;
  const c2 = 0x4cf5ad432745937fn;
  const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M;
  const fmix = (k: bigint) => {
    k ^= k >> 33n;
    k = (k * 0xff51afd7ed558ccdn) & M;
    k ^= k >> 33n;
    k = (k * 0xc4ceb9fe1a85ec53n) & M;
    return k ^ (k >> 33n);
  };
  const le = (at: number, n: number) => {
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[at + i]!);
    return v;
  };
  let h1 = 0n;
  let h2 = 0n;
  const nBlocks = Math.floor(data.length / 16);
  for (let i = 0; i < nBlocks; i++) {
    h1 ^= (rotl((le(i * 16, 8) * c1) & M, 31n) * c2) & M;
    h1 = (((rotl(h1, 27n) + h2) & M) * 5n + 0x52dce729n) & M;
    h2 ^= (rotl((le(i * 16 + 8, 8) * c2) & M, 33n) * c1) & M;
    h2 = (((rotl(h2, 31n) + h1) & M) * 5n + 0x38495ab5n) & M;
  }
  const rem = data.length & 15;
  const tail = nBlocks * 16;
  if (rem > 8) h2 ^= (rotl((le(tail + 8, rem - 8) * c2) & M, 33n) * c1) & M;
  if (rem > 0) h1 ^= (rotl((le(tail, Math.min(rem, 8)) * c1) & M, 31n) * c2) & M;
  h1 ^= BigInt(data.length);
  h2 ^= BigInt(data.length);
  h1 = (h1 + h2) & M;
  h2 = (h2 + h1) & M;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 = (h1 + h2) & M;
  h2 = (h2 + h1) & M;
  return [h1, h2];
}

const hashPair = (data: Uint8Array): [bigint, bigint] => {
  const h = murmur3x64(data);
  return [(BigInt(h.h1hi) << 32n) | BigInt(h.h1lo), (BigInt(h.h2hi) << 32n) | BigInt(h.h2lo)];
};

test('the element hash is MurmurHash3 x64-128 with seed 0 (published test vector)', () => {
  assert.deepEqual(hashPair(new Uint8Array(0)), [0n, 0n]);
  // digest 6c1b07bc7bbc4be347939ac4a93c437a, i.e. h1 and h2 stored little-endian
  assert.deepEqual(hashPair(Buffer.from('The quick brown fox jumps over the lazy dog')), [0xe34bbc7bbc071b6cn, 0x7a433ca9c49a9347n]);
});

test('the fast element hash equals a direct BigInt transcription on random inputs', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 70 }), (data) => {
      assert.deepEqual(hashPair(data), murmurReference(data));
    }),
    { numRuns: 2000 },
  );
});

// --- robustness ---

const ALLOWED = new Set<number>([
  ResultCode.PARAMETER,
  ResultCode.INCOMPATIBLE_TYPE,
  ResultCode.OP_NOT_APPLICABLE,
  ResultCode.BIN_EXISTS,
  ResultCode.BIN_NOT_FOUND,
]);

function onlyAsErrors(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    if (!(e instanceof AsError)) throw e;
    if (!ALLOWED.has(e.code)) throw new Error(`unexpected result code ${e.code}: ${e.message}`);
  }
}

const smallHll = modify(undefined, 1, ['a', 'b'], 4n, -1n, 0n).bin!;
const minhashHll = modify(undefined, 1, ['a', 'b'], 4n, 4n, 0n).bin!;
const currentArb = fc.constantFrom<Bin | undefined>(undefined, smallHll, minhashHll, { type: 4, value: Buffer.from('00', 'hex') });

test('random payload bytes only ever raise AsError with an Aerospike code', () => {
  fc.assert(
    fc.property(currentArb, fc.uint8Array({ maxLength: 24 }), fc.boolean(), (current, payload, isModify) => {
      onlyAsErrors(() => executeHllWireOp(current, Buffer.from(payload), isModify));
    }),
    { numRuns: 3000 },
  );
});

test('well-formed payloads with random codes and arguments only ever raise AsError', () => {
  const scalar: fc.Arbitrary<AsValue> = fc.oneof(
    fc.bigInt({ min: -2n, max: 20n }),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.string({ maxLength: 4 }),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(new AsBytes(18, smallHll.value), new AsBytes(18, minhashHll.value), new AsBytes(4, Buffer.from('0102', 'hex'))),
  );
  const arg = fc.oneof(scalar, fc.array(scalar, { maxLength: 4 }));
  const codeArb = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 49, max: 57 }));
  fc.assert(
    fc.property(currentArb, codeArb, fc.array(arg, { maxLength: 5 }), fc.boolean(), (current, code, args, isModify) => {
      onlyAsErrors(() => executeHllWireOp(current, pack([BigInt(code), ...args]), isModify));
    }),
    { numRuns: 5000 },
  );
});
