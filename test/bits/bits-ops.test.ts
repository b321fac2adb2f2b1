/**
 * Bit operations on blob bins, checked against what Aerospike 8.1.2 answered in
 * test/fixtures/corpus/bitwise.jsonl (cited as scenario#step). The corpus bin is b = f0aa0f00ff.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { executeBitOp, executeBitWireOp, checkBitOpParticleType, MAX_BLOB_SIZE_BYTES } from '../../src/bits/index.js';
import { AsBytes, pack, type AsValue } from '../../src/protocol/msgpack.js';
import { AsError, ResultCode } from '../../src/protocol/result-codes.js';

const B = 'f0aa0f00ff';
const blob = (hex: string) => ({ type: 4, value: Buffer.from(hex, 'hex') });
const bytes = (hex: string) => new AsBytes(4, Buffer.from(hex, 'hex'));

/** Runs a modify op on a blob given as hex (undefined = missing bin); returns the new blob's hex or 'unchanged'. */
function modify(hex: string | undefined, code: number, ...args: AsValue[]): string {
  const out = executeBitOp(hex === undefined ? undefined : blob(hex), code, args, true);
  assert.equal(out.result, undefined, 'bit modify ops answer no result');
  return out.newBin ? out.newBin.value.toString('hex') : 'unchanged';
}

function read(hex: string, code: number, ...args: AsValue[]): AsValue | undefined {
  return executeBitOp(blob(hex), code, args, false).result;
}

/** The AsError code a call throws (fails the test if it does not throw an AsError). */
function errorCode(run: () => unknown): number {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof AsError, `expected AsError, got ${String(e)}`);
    return e.code;
  }
  assert.fail('expected an error');
}

const modifyCode = (hex: string | undefined, code: number, ...args: AsValue[]) => errorCode(() => modify(hex, code, ...args));
const readCode = (hex: string, code: number, ...args: AsValue[]) => errorCode(() => read(hex, code, ...args));
const wire = (current: string | undefined, payloadHex: string, isModify: boolean) =>
  executeBitWireOp(current === undefined ? undefined : blob(current), Buffer.from(payloadHex, 'hex'), isModify);

// --- resize (bit-ops#1-13) ---

test('resize grows at the end with zeros (bit-ops#1)', () => {
  assert.equal(modify(B, 0, 8n, 0n, 0n), 'f0aa0f00ff000000');
});

test('resize shrinks from the end (bit-ops#2)', () => {
  assert.equal(modify(B, 0, 2n, 0n, 0n), 'f0aa');
});

test('resize FROM_FRONT grows and shrinks at the front (bit-ops#3, #4)', () => {
  assert.equal(modify(B, 0, 8n, 0n, 1n), '000000f0aa0f00ff');
  assert.equal(modify(B, 0, 2n, 0n, 1n), '00ff');
});

test('resize GROW_ONLY grows but refuses to shrink with PARAMETER (bit-ops#5, #6)', () => {
  assert.equal(modify(B, 0, 8n, 0n, 2n), 'f0aa0f00ff000000');
  assert.equal(modifyCode(B, 0, 2n, 0n, 2n), ResultCode.PARAMETER);
});

test('resize SHRINK_ONLY shrinks but refuses to grow with PARAMETER (bit-ops#7, #8)', () => {
  assert.equal(modify(B, 0, 2n, 0n, 4n), 'f0aa');
  assert.equal(modifyCode(B, 0, 8n, 0n, 4n), ResultCode.PARAMETER);
});

test('resize to 0 leaves an empty blob (bit-ops#9)', () => {
  assert.equal(modify(B, 0, 0n, 0n, 0n), '');
});

test('resize on a missing bin creates a zero blob (bit-ops#10)', () => {
  assert.equal(modify(undefined, 0, 8n, 0n, 0n), '0000000000000000');
});

test('resize CREATE_ONLY on an existing bin fails with BIN_EXISTS (bit-ops#11)', () => {
  assert.equal(modifyCode(B, 0, 8n, 1n, 0n), ResultCode.BIN_EXISTS);
});

test('resize UPDATE_ONLY of an existing bin to its own size is a no-op (bit-ops#12, #13: nb exists since #10)', () => {
  assert.equal(modify('0000000000000000', 0, 8n, 2n, 0n), 'unchanged');
  assert.equal(modify('0000000000000000', 0, 8n, 6n, 0n), 'unchanged');
});

test('resize UPDATE_ONLY on a missing bin fails with BIN_NOT_FOUND, or is a no-op with NO_FAIL', () => {
  assert.equal(modifyCode(undefined, 0, 8n, 2n, 0n), ResultCode.BIN_NOT_FOUND);
  assert.equal(modify(undefined, 0, 8n, 6n, 0n), 'unchanged');
});

test('resize to the same size is a no-op and resize(0) on a missing bin creates nothing', () => {
  assert.equal(modify(B, 0, 5n, 0n, 0n), 'unchanged');
  assert.equal(modify(undefined, 0, 0n, 0n, 0n), 'unchanged');
});

test('resize with unknown resize flags or GROW_ONLY|SHRINK_ONLY fails with PARAMETER (bit-raw#14)', () => {
  assert.equal(errorCode(() => wire(B, '9400080008', true)), ResultCode.PARAMETER);
  assert.equal(modifyCode(B, 0, 8n, 0n, 6n), ResultCode.PARAMETER);
});

test('resize past 1 MiB is left to the record layer, which answers RECORD_TOO_BIG (bit-raw#15)', () => {
  // 1 MiB + 1 is built here; the namespace's max-record-size (1 MiB in the corpus) refuses it
  const out = wire(B, '9400ce001000010000', true);
  assert.equal(out.newBin?.value.length, 1048577);
});

test('resize beyond the largest possible record answers RECORD_TOO_BIG without allocating', () => {
  assert.equal(modifyCode(B, 0, BigInt(MAX_BLOB_SIZE_BYTES + 1), 0n, 0n), ResultCode.RECORD_TOO_BIG);
});

test('resize to 2^31 bytes is refused with PARAMETER, as Aerospike refuses sizes over 128 MiB', () => {
  assert.equal(modifyCode(B, 0, 2n ** 31n, 0n, 0n), ResultCode.PARAMETER);
  assert.equal(modifyCode(undefined, 1, 2n ** 31n, bytes('01'), 0n), ResultCode.PARAMETER);
});

// --- insert / remove (bit-ops#14-19) ---

test('insert puts bytes before the given byte offset (bit-ops#14, #15)', () => {
  assert.equal(modify(B, 1, 1n, bytes('abcd'), 0n), 'f0abcdaa0f00ff');
  assert.equal(modify(B, 1, 0n, bytes('01'), 0n), '01f0aa0f00ff');
});

test('insert past the end pads with zeros (bit-ops#16)', () => {
  assert.equal(modify(B, 1, 10n, bytes('01'), 0n), 'f0aa0f00ff000000000001');
});

test('insert on a missing bin creates the blob, padded to the offset', () => {
  assert.equal(modify(undefined, 1, 2n, bytes('ff'), 0n), '0000ff');
});

test('remove deletes bytes (bit-ops#17)', () => {
  assert.equal(modify(B, 2, 1n, 2n, 0n), 'f000ff');
});

test('remove past the end fails with PARAMETER unless NO_FAIL|PARTIAL trims it (bit-ops#18, #19)', () => {
  assert.equal(modifyCode(B, 2, 4n, 5n, 0n), ResultCode.PARAMETER);
  assert.equal(modify(B, 2, 4n, 5n, 12n), 'f0aa0f00');
});

test('remove starting past the end fails with PARAMETER, or is a no-op with NO_FAIL', () => {
  assert.equal(modifyCode(B, 2, 5n, 1n, 0n), ResultCode.PARAMETER);
  assert.equal(modify(B, 2, 5n, 1n, 4n), 'unchanged');
});

// --- set / or / xor / and / not / shifts (bit-ops#20-32) ---

test('set writes the value bits at a bit offset (bit-ops#20, #21)', () => {
  assert.equal(modify(B, 3, 4n, 8n, bytes('5a'), 0n), 'f5aa0f00ff');
  assert.equal(modify(B, 3, 0n, 16n, bytes('1234'), 0n), '12340f00ff');
});

test('set crossing the end fails with OP_NOT_APPLICABLE (bit-ops#22)', () => {
  assert.equal(modifyCode(B, 3, 36n, 8n, bytes('ff'), 0n), ResultCode.OP_NOT_APPLICABLE);
});

test('set crossing the end with PARTIAL writes what fits (bit-ops#23 writes ff over the last nibble)', () => {
  assert.equal(modify(B, 3, 36n, 8n, bytes('ff'), 12n), 'f0aa0f00ff');
  assert.equal(modify('f0aa0f0000', 3, 36n, 8n, bytes('ff'), 8n), 'f0aa0f000f');
});

test('set starting past the end fails with OP_NOT_APPLICABLE even with PARTIAL', () => {
  assert.equal(modifyCode(B, 3, 40n, 8n, bytes('ff'), 8n), ResultCode.OP_NOT_APPLICABLE);
});

test('or, xor and and combine the value with the bits in range (bit-ops#24, #25, #26)', () => {
  assert.equal(modify(B, 4, 8n, 8n, bytes('0f'), 0n), 'f0af0f00ff');
  assert.equal(modify(B, 5, 0n, 16n, bytes('ffff'), 0n), '0f550f00ff');
  assert.equal(modify(B, 6, 4n, 12n, bytes('f0f0'), 0n), 'f00a0f00ff');
});

test('not inverts only the bits in range (bit-ops#27, #28)', () => {
  assert.equal(modify(B, 7, 0n, 40n, 0n), '0f55f0ff00');
  assert.equal(modify(B, 7, 3n, 5n, 0n), 'efaa0f00ff');
});

test('lshift shifts within the range, filling with zeros (bit-ops#29, #30)', () => {
  assert.equal(modify(B, 8, 0n, 16n, 3n, 0n), '85500f00ff');
  assert.equal(modify(B, 8, 8n, 8n, 9n, 0n), 'f0000f00ff');
});

test('rshift shifts within the range, filling with zeros (bit-ops#31, #32)', () => {
  assert.equal(modify(B, 9, 0n, 40n, 4n, 0n), '0f0aa0f00f');
  assert.equal(modify(B, 9, 16n, 8n, 1n, 0n), 'f0aa0700ff');
});

test('a value shorter than the bit size fails with PARAMETER (bit-raw#13)', () => {
  assert.equal(errorCode(() => wire(B, '95030010a2040100', true)), ResultCode.PARAMETER);
});

test('a negative bit offset counts from the end of the blob', () => {
  assert.equal(modify(B, 7, -8n, 8n, 0n), 'f0aa0f0000');
  assert.equal(modifyCode(B, 7, -41n, 8n, 0n), ResultCode.PARAMETER);
});

// --- add / subtract / set_int (bit-ops#33-44, bit-raw#5-7, #16) ---

test('add increments an unsigned field (bit-ops#33)', () => {
  assert.equal(modify(B, 10, 24n, 8n, 1n, 0n, 0n), 'f0aa0f01ff');
});

test('unsigned add overflow fails with OP_NOT_APPLICABLE, saturates or wraps as asked (bit-ops#34, #35, #36)', () => {
  assert.equal(modifyCode(B, 10, 32n, 8n, 1n, 0n, 0n), ResultCode.OP_NOT_APPLICABLE);
  assert.equal(modify(B, 10, 32n, 8n, 1n, 0n, 2n), 'f0aa0f00ff');
  assert.equal(modify(B, 10, 32n, 8n, 1n, 0n, 4n), 'f0aa0f0000');
});

test('signed add treats the field as two-complement (bit-ops#37, #38)', () => {
  assert.equal(modify(B, 10, 0n, 8n, 5n, 0n, 1n), 'f5aa0f00ff');
  assert.equal(modify(B, 10, 8n, 8n, 100n, 0n, 3n), 'f00e0f00ff');
});

test('signed add overflow saturates at the most positive value', () => {
  assert.equal(modify('7f', 10, 0n, 8n, 1n, 0n, 3n), '7f');
  assert.equal(modifyCode('7f', 10, 0n, 8n, 1n, 0n, 1n), ResultCode.OP_NOT_APPLICABLE);
});

test('signed overflow to exactly zero goes undetected, as in Aerospike (-128 + -128)', () => {
  assert.equal(modify('80', 10, 0n, 8n, 0x80n, 0n, 1n), '00');
});

test('an integer field past the end fails with OP_NOT_APPLICABLE (bit-ops#39)', () => {
  assert.equal(modifyCode(B, 10, 0n, 64n, 1n, 0n, 0n), ResultCode.OP_NOT_APPLICABLE);
});

test('subtract decrements; unsigned underflow fails, saturates to 0 or wraps (bit-ops#40-43)', () => {
  assert.equal(modify(B, 11, 16n, 8n, 1n, 0n, 0n), 'f0aa0e00ff');
  assert.equal(modifyCode(B, 11, 24n, 8n, 1n, 0n, 0n), ResultCode.OP_NOT_APPLICABLE);
  assert.equal(modify(B, 11, 24n, 8n, 1n, 0n, 2n), 'f0aa0f00ff');
  assert.equal(modify(B, 11, 24n, 8n, 1n, 0n, 4n), 'f0aa0fffff');
});

test('signed subtract of a value wider than the field negates it first, as Aerospike does (bit-ops#44)', () => {
  assert.equal(modify(B, 11, 0n, 8n, 200n, 0n, 3n), '28aa0f00ff');
});

test('add with both SATURATE and WRAP fails with PARAMETER (bit-raw#16)', () => {
  assert.equal(errorCode(() => wire(B, '960a0008010006', true)), ResultCode.PARAMETER);
});

test('set_int stores the low bits of the value (bit-raw#5, #6)', () => {
  assert.equal(wire(B, '950c08084200', true).newBin?.value.toString('hex'), 'f0420f00ff');
  assert.equal(wire('f0420f00ff', '950c0010ff00', true).newBin?.value.toString('hex'), 'ffff0f00ff');
});

test('integer sizes over 64 fail with PARAMETER (bit-raw#7, bit-ops#54)', () => {
  assert.equal(errorCode(() => wire(B, '950c00410100', true)), ResultCode.PARAMETER);
  assert.equal(readCode(B, 54, 0n, 65n), ResultCode.PARAMETER);
});

// --- reads (bit-ops#45-63, bit-raw#2-4, #8-12, #17-18) ---

test('get returns the bits left-aligned in a blob (bit-ops#45, #46, #47)', () => {
  assert.deepEqual(read(B, 50, 0n, 8n), bytes('f0'));
  assert.deepEqual(read(B, 50, 4n, 12n), bytes('0aa0'));
  assert.deepEqual(read(B, 50, 0n, 40n), bytes(B));
});

test('get past the end fails with OP_NOT_APPLICABLE (bit-ops#48)', () => {
  assert.equal(readCode(B, 50, 36n, 8n), ResultCode.OP_NOT_APPLICABLE);
});

test('get with a negative offset reads from the end (bit-ops#49)', () => {
  assert.deepEqual(read(B, 50, -8n, 8n), bytes('ff'));
});

test('get_int reads unsigned by default and signed on request (bit-ops#50-53, bit-raw#8)', () => {
  assert.equal(read(B, 54, 0n, 8n), 240n);
  assert.equal(read(B, 54, 0n, 8n, 1n), -16n);
  assert.equal(read(B, 54, 4n, 12n, 1n), 170n);
  assert.equal(read(B, 54, 0n, 40n), 1033645261055n);
  assert.equal(wire('ffff0f00ff', '93360008', false).result, 255n);
});

test('count returns the number of set bits (bit-raw#2, #3) and fails past the end (bit-raw#4)', () => {
  assert.equal(wire(B, '93330028', false).result, 20n);
  assert.equal(wire(B, '93330408', false).result, 2n);
  assert.equal(errorCode(() => wire(B, '93332010', false)), ResultCode.OP_NOT_APPLICABLE);
});

test('lscan finds the first matching bit or answers -1', () => {
  assert.equal(read(B, 52, 0n, 40n, true), 0n);
  assert.equal(read(B, 52, 0n, 40n, false), 4n);
  assert.equal(read(B, 52, 24n, 8n, true), -1n);
  assert.equal(read(B, 52, 9n, 31n, false), 0n);
});

test('rscan finds the last matching bit or answers -1 (bit-ops#55-60, sent by the client as code 53)', () => {
  assert.equal(read(B, 53, 0n, 40n, true), 39n);
  assert.equal(read(B, 53, 0n, 40n, false), 31n);
  assert.equal(read(B, 53, 24n, 8n, true), -1n);
  assert.equal(read(B, 53, 32n, 8n, false), -1n);
});

test('rscan answers a negative index for a match before the offset in the same byte, as Aerospike does', () => {
  // bits 4..7 of 0xf0 are all 0; bit 3 (before the range) is the last 1 Aerospike finds
  assert.equal(read('f0', 53, 4n, 4n, true), -1n);
  assert.equal(read('40', 53, 4n, 4n, true), -3n);
});

test('several reads in one request each answer (bit-ops#61)', () => {
  assert.deepEqual(read(B, 50, 0n, 8n), bytes('f0'));
  assert.equal(read(B, 54, 8n, 8n), 170n);
  assert.equal(read(B, 53, 0n, 40n, true), 39n);
});

test('scans refuse an integer where a boolean belongs (bit-raw#18)', () => {
  assert.equal(errorCode(() => wire(B, '9434000801', false)), ResultCode.PARAMETER);
});

test('a zero or negative size fails with PARAMETER (bit-raw#11, #12)', () => {
  assert.equal(errorCode(() => wire(B, '93320000', false)), ResultCode.PARAMETER);
  assert.equal(errorCode(() => wire(B, '933200f8', false)), ResultCode.PARAMETER);
});

test('a string where an offset belongs fails with PARAMETER (bit-raw#17)', () => {
  assert.equal(errorCode(() => wire(B, '9332a2037808', false)), ResultCode.PARAMETER);
});

// --- bins and op codes (bit-ops#62-65, bit-raw#9-10) ---

test('a bit op on a string bin fails with INCOMPATIBLE_TYPE (bit-ops#62)', () => {
  assert.equal(errorCode(() => executeBitOp({ type: 3, value: Buffer.from('x') }, 50, [0n, 8n], false)), ResultCode.INCOMPATIBLE_TYPE);
  assert.equal(errorCode(() => executeBitOp({ type: 7, value: Buffer.from('x') }, 7, [0n, 8n], true)), ResultCode.INCOMPATIBLE_TYPE);
});

test('a bit read on a missing bin answers no result (bit-ops#63)', () => {
  assert.deepEqual(wire(undefined, '93320008', false), { result: undefined });
});

test('a bit modify on a missing bin fails with BIN_NOT_FOUND, or is a no-op with NO_FAIL (bit-ops#64, #65)', () => {
  assert.equal(modifyCode(undefined, 3, 0n, 8n, bytes('01'), 0n), ResultCode.BIN_NOT_FOUND);
  assert.equal(modify(undefined, 3, 0n, 8n, bytes('01'), 4n), 'unchanged');
});

test('an unknown op code fails with PARAMETER (bit-raw#9)', () => {
  assert.equal(errorCode(() => wire(B, '931e0008', false)), ResultCode.PARAMETER);
});

test('a modify code sent as a read fails with PARAMETER (bit-raw#10)', () => {
  assert.equal(errorCode(() => wire(B, '95030008a2040100', false)), ResultCode.PARAMETER);
});

test('flags an op does not take, or CREATE_ONLY with UPDATE_ONLY, fail with PARAMETER', () => {
  assert.equal(modifyCode(B, 3, 0n, 8n, bytes('01'), 1n), ResultCode.PARAMETER);
  assert.equal(modifyCode(B, 0, 8n, 3n, 0n), ResultCode.PARAMETER);
});

test('a bit op sent with a particle type other than blob is INCOMPATIBLE_TYPE', () => {
  assert.equal(errorCode(() => checkBitOpParticleType(3)), ResultCode.INCOMPATIBLE_TYPE);
  checkBitOpParticleType(4);
});

test('a modify op never changes the buffer it was given', () => {
  const current = blob(B);
  modify(B, 7, 0n, 40n, 0n);
  executeBitOp(current, 7, [0n, 40n, 0n], true);
  assert.equal(current.value.toString('hex'), B);
});

// --- robustness ---

const ALLOWED = new Set<number>([
  ResultCode.PARAMETER,
  ResultCode.INCOMPATIBLE_TYPE,
  ResultCode.OP_NOT_APPLICABLE,
  ResultCode.BIN_EXISTS,
  ResultCode.BIN_NOT_FOUND,
  ResultCode.RECORD_TOO_BIG,
]);

const currentArb = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 12 }).map((b) => ({ type: 4, value: Buffer.from(b) })),
  fc.constant({ type: 3, value: Buffer.from('str') }),
);

function onlyAsErrors(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    if (!(e instanceof AsError)) throw e;
    if (!ALLOWED.has(e.code)) throw new Error(`unexpected result code ${e.code}: ${e.message}`);
  }
}

test('random payload bytes only ever raise AsError with an Aerospike code', () => {
  fc.assert(
    fc.property(currentArb, fc.uint8Array({ maxLength: 24 }), fc.boolean(), (current, payload, isModify) => {
      onlyAsErrors(() => executeBitWireOp(current, Buffer.from(payload), isModify));
    }),
    { numRuns: 3000 },
  );
});

const argArb: fc.Arbitrary<AsValue> = fc.oneof(
  fc.bigInt({ min: -80n, max: 80n }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.boolean(),
  fc.uint8Array({ maxLength: 6 }).map((b) => new AsBytes(4, Buffer.from(b))),
  fc.constant('x'),
  fc.constant(null),
  fc.double(),
);

test('well-formed payloads with random codes and arguments only ever raise AsError', () => {
  const codeArb = fc.oneof(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 49, max: 55 }));
  fc.assert(
    fc.property(currentArb, codeArb, fc.array(argArb, { maxLength: 6 }), fc.boolean(), (current, code, args, isModify) => {
      onlyAsErrors(() => executeBitWireOp(current, pack([BigInt(code), ...args]), isModify));
    }),
    { numRuns: 5000 },
  );
});

// --- a bit-by-bit model of the range ops ---

const toBits = (b: Uint8Array) => Array.from({ length: b.length * 8 }, (_, i) => (b[i >> 3]! >> (7 - (i & 7))) & 1);
const fromBits = (bits: number[]) => {
  const out = Buffer.alloc(bits.length / 8);
  bits.forEach((v, i) => (out[i >> 3]! |= v << (7 - (i & 7))));
  return out.toString('hex');
};

/** What SET..RSHIFT (codes 3..9) do to bits [offset, offset + size), one bit at a time. */
function modelRangeOp(blobBytes: Uint8Array, code: number, offset: number, size: number, value: Uint8Array, shift: number): string {
  const old = toBits(blobBytes);
  const v = toBits(value);
  const bits = old.slice();
  for (let i = 0; i < size; i++) {
    const cur = old[offset + i]!;
    bits[offset + i] = [
      v[i]!,
      cur | v[i]!,
      cur ^ v[i]!,
      cur & v[i]!,
      1 - cur,
      i + shift < size ? old[offset + i + shift]! : 0,
      i >= shift ? old[offset + i - shift]! : 0,
    ][code - 3]!;
  }
  return fromBits(bits);
}

const rangeCase = fc
  .uint8Array({ minLength: 1, maxLength: 9 })
  .chain((b) =>
    fc.record({
      blob: fc.constant(b),
      offset: fc.integer({ min: 0, max: b.length * 8 - 1 }),
      code: fc.integer({ min: 3, max: 9 }),
      value: fc.uint8Array({ minLength: b.length, maxLength: b.length }),
    }),
  )
  .chain((c) =>
    fc.record({
      c: fc.constant(c),
      size: fc.integer({ min: 1, max: c.blob.length * 8 - c.offset }),
      shift: fc.integer({ min: 0, max: 80 }),
    }),
  );

test('range ops agree with a bit-by-bit model on random blobs, offsets and sizes', () => {
  fc.assert(
    fc.property(rangeCase, ({ c, size, shift }) => {
      const hex = Buffer.from(c.blob).toString('hex');
      const value = new AsBytes(4, Buffer.from(c.value));
      const args: AsValue[] =
        c.code <= 6 ? [BigInt(c.offset), BigInt(size), value, 0n] : c.code === 7 ? [BigInt(c.offset), BigInt(size), 0n] : [BigInt(c.offset), BigInt(size), BigInt(shift), 0n];
      const got = modify(hex, c.code, ...args);
      assert.equal(got === 'unchanged' ? hex : got, modelRangeOp(c.blob, c.code, c.offset, size, c.value, shift));
    }),
    { numRuns: 3000 },
  );
});

test('get, count, lscan and get_int agree with a bit-by-bit model', () => {
  fc.assert(
    fc.property(rangeCase, fc.boolean(), ({ c, size }, want) => {
      const hex = Buffer.from(c.blob).toString('hex');
      const bits = toBits(c.blob).slice(c.offset, c.offset + size);
      const padded = [...bits, ...Array<number>((8 - (size % 8)) % 8).fill(0)];
      assert.deepEqual(read(hex, 50, BigInt(c.offset), BigInt(size)), new AsBytes(4, Buffer.from(fromBits(padded), 'hex')));
      assert.equal(read(hex, 51, BigInt(c.offset), BigInt(size)), BigInt(bits.filter((b) => b === 1).length));
      assert.equal(read(hex, 52, BigInt(c.offset), BigInt(size), want), BigInt(bits.indexOf(want ? 1 : 0)));
      if (size <= 64) {
        const unsigned = bits.reduce((acc, b) => (acc << 1n) | BigInt(b), 0n);
        assert.equal(read(hex, 54, BigInt(c.offset), BigInt(size)), BigInt.asIntN(64, unsigned));
        assert.equal(read(hex, 54, BigInt(c.offset), BigInt(size), 1n), BigInt.asIntN(size, unsigned));
      }
    }),
    { numRuns: 3000 },
  );
});
