/**
 * Bit op definitions and argument parsing, following Aerospike's op tables in `particle_blob.c`:
 * which arguments each op takes (in order), how many may be omitted, which write flags it accepts,
 * and the range checks each argument gets. Every refusal here is PARAMETER.
 */
import { BitIntFlag, BitOp, BitResizeFlag, BitWriteFlag, PROTO_SIZE_MAX_BYTES } from './codes.js';
import { paramError, type WireArgs } from './wire-args.js';

/** How the op reshapes the blob (decides the prepare step in `execute.ts`). */
export type BitOpKind = 'resize' | 'insert' | 'remove' | 'modify' | 'integer' | 'read';

type ArgParser = (a: WireArgs, op: ParsedBitOp, def: BitOpDef) => void;

export interface BitOpDef {
  readonly code: number;
  readonly name: string;
  readonly kind: BitOpKind;
  /** Write flags the op accepts; any other bit is PARAMETER. */
  readonly allowedFlags: bigint;
  readonly minArgs: number;
  readonly args: readonly ArgParser[];
}

/** One parsed op. Offsets and sizes are in bits; `offset` may be negative (from the end). */
export interface ParsedBitOp {
  def: BitOpDef;
  offset: number;
  size: number;
  /** Integer argument (value, shift count, scan target) as its unsigned 64-bit pattern. */
  value: bigint;
  buf: Buffer | null;
  flags: bigint;
  subflags: bigint;
}

const MAX_BITS = PROTO_SIZE_MAX_BYTES * 8;

const byteOffset: ArgParser = (a, op) => {
  const v = a.i64();
  if (abs(v) > BigInt(PROTO_SIZE_MAX_BYTES)) paramError('byte offset too large');
  op.offset = Number(v) * 8;
};

const bitOffset: ArgParser = (a, op) => {
  const v = a.i64();
  if (abs(v) > BigInt(MAX_BITS)) paramError('bit offset too large');
  op.offset = Number(v);
};

const integerSize: ArgParser = (a, op) => {
  const v = a.u64();
  if (v === 0n || v > 64n) paramError('integer size must be 1..64');
  op.size = Number(v);
};

const byteSize: ArgParser = (a, op) => {
  const v = a.u64();
  if (v === 0n || v > BigInt(PROTO_SIZE_MAX_BYTES)) paramError('bad byte size');
  op.size = Number(v) * 8;
};

const byteSizeAllowZero: ArgParser = (a, op) => {
  const v = a.u64();
  if (v > BigInt(PROTO_SIZE_MAX_BYTES)) paramError('byte size too large');
  op.size = Number(v) * 8;
};

const bitSize: ArgParser = (a, op) => {
  const v = a.u64();
  if (v === 0n || v > BigInt(MAX_BITS)) paramError('bad bit size');
  op.size = Number(v);
};

const boolValue: ArgParser = (a, op) => {
  op.value = a.bool() ? 1n : 0n;
};

const intValue: ArgParser = (a, op) => {
  op.value = a.u64();
};

const shiftValue: ArgParser = (a, op) => {
  op.value = a.u64();
  if (op.value > BigInt(MAX_BITS)) paramError('shift too large');
};

const bufValue: ArgParser = (a, op) => {
  const raw = a.bytes();
  // The first byte is the particle tag, which the server ignores. An empty str has no tag byte:
  // Aerospike reads past it (undefined behaviour), we refuse it.
  if (raw.length <= 1) paramError('empty blob argument');
  const buf = raw.subarray(1);
  const bits = buf.length * 8;
  if (op.size !== 0) {
    if (bits < op.size) paramError('blob shorter than the bit size');
  } else op.size = bits;
  op.buf = buf;
};

const writeFlags: ArgParser = (a, op, def) => {
  op.flags = a.u64();
  if ((op.flags & ~def.allowedFlags) !== 0n) paramError('flag not allowed for this op');
  if ((op.flags & BitWriteFlag.CREATE_ONLY) !== 0n && (op.flags & BitWriteFlag.UPDATE_ONLY) !== 0n) {
    paramError('CREATE_ONLY with UPDATE_ONLY');
  }
};

const resizeFlags: ArgParser = (a, op) => {
  op.subflags = a.u64();
  const known = BitResizeFlag.FROM_FRONT | BitResizeFlag.GROW_ONLY | BitResizeFlag.SHRINK_ONLY;
  if ((op.subflags & ~known) !== 0n) paramError('unknown resize flags');
  if ((op.subflags & BitResizeFlag.GROW_ONLY) !== 0n && (op.subflags & BitResizeFlag.SHRINK_ONLY) !== 0n) {
    paramError('GROW_ONLY with SHRINK_ONLY');
  }
};

const arithmeticFlags: ArgParser = (a, op) => {
  op.subflags = a.u64();
  const known = BitIntFlag.SIGNED | BitIntFlag.SATURATE | BitIntFlag.WRAP;
  if ((op.subflags & ~known) !== 0n) paramError('unknown arithmetic flags');
  if ((op.subflags & BitIntFlag.SATURATE) !== 0n && (op.subflags & BitIntFlag.WRAP) !== 0n) {
    paramError('SATURATE with WRAP'); // corpus bit-raw step 16
  }
};

const getIntFlags: ArgParser = (a, op) => {
  op.subflags = a.u64();
  if ((op.subflags & ~BitIntFlag.SIGNED) !== 0n) paramError('unknown get_int flags');
};

const { CREATE_ONLY, UPDATE_ONLY, NO_FAIL, PARTIAL } = BitWriteFlag;
const CREATE_FLAGS = CREATE_ONLY | UPDATE_ONLY | NO_FAIL;
const RANGE_FLAGS = UPDATE_ONLY | NO_FAIL | PARTIAL;
const INT_FLAGS = UPDATE_ONLY | NO_FAIL;

function def(code: number, name: string, kind: BitOpKind, allowedFlags: bigint, minArgs: number, args: ArgParser[]): BitOpDef {
  return { code, name, kind, allowedFlags, minArgs, args };
}

const MODIFY_DEFS: ReadonlyMap<number, BitOpDef> = new Map(
  [
    def(BitOp.RESIZE, 'resize', 'resize', CREATE_FLAGS, 1, [byteSizeAllowZero, writeFlags, resizeFlags]),
    def(BitOp.INSERT, 'insert', 'insert', CREATE_FLAGS, 2, [byteOffset, bufValue, writeFlags]),
    def(BitOp.REMOVE, 'remove', 'remove', RANGE_FLAGS, 2, [byteOffset, byteSize, writeFlags]),
    def(BitOp.SET, 'set', 'modify', RANGE_FLAGS, 3, [bitOffset, bitSize, bufValue, writeFlags]),
    def(BitOp.OR, 'or', 'modify', RANGE_FLAGS, 3, [bitOffset, bitSize, bufValue, writeFlags]),
    def(BitOp.XOR, 'xor', 'modify', RANGE_FLAGS, 3, [bitOffset, bitSize, bufValue, writeFlags]),
    def(BitOp.AND, 'and', 'modify', RANGE_FLAGS, 3, [bitOffset, bitSize, bufValue, writeFlags]),
    def(BitOp.NOT, 'not', 'modify', RANGE_FLAGS, 2, [bitOffset, bitSize, writeFlags]),
    def(BitOp.LSHIFT, 'lshift', 'modify', RANGE_FLAGS, 3, [bitOffset, bitSize, shiftValue, writeFlags]),
    def(BitOp.RSHIFT, 'rshift', 'modify', RANGE_FLAGS, 3, [bitOffset, bitSize, shiftValue, writeFlags]),
    def(BitOp.ADD, 'add', 'integer', INT_FLAGS, 3, [bitOffset, integerSize, intValue, writeFlags, arithmeticFlags]),
    def(BitOp.SUBTRACT, 'subtract', 'integer', INT_FLAGS, 3, [bitOffset, integerSize, intValue, writeFlags, arithmeticFlags]),
    def(BitOp.SET_INT, 'set_int', 'integer', INT_FLAGS, 3, [bitOffset, integerSize, intValue, writeFlags]),
  ].map((d) => [d.code, d]),
);

const READ_DEFS: ReadonlyMap<number, BitOpDef> = new Map(
  [
    def(BitOp.GET, 'get', 'read', 0n, 2, [bitOffset, bitSize]),
    def(BitOp.COUNT, 'count', 'read', 0n, 2, [bitOffset, bitSize]),
    def(BitOp.LSCAN, 'lscan', 'read', 0n, 3, [bitOffset, bitSize, boolValue]),
    def(BitOp.RSCAN, 'rscan', 'read', 0n, 3, [bitOffset, bitSize, boolValue]),
    def(BitOp.GET_INT, 'get_int', 'read', 0n, 2, [bitOffset, integerSize, getIntFlags]),
  ].map((d) => [d.code, d]),
);

/**
 * Looks up the op code for the op type (a modify code sent as a read is PARAMETER, corpus bit-raw
 * step 10) and parses its arguments. Throws AsError(PARAMETER) on any mismatch.
 */
export function parseBitOp(args: WireArgs, modify: boolean): ParsedBitOp {
  const table = modify ? MODIFY_DEFS : READ_DEFS;
  const d = args.code <= 255n ? table.get(Number(args.code)) : undefined;
  if (!d) paramError(`unknown ${modify ? 'modify' : 'read'} bit op ${args.code}`);
  if (args.count < d.minArgs || args.count > d.args.length) paramError(`wrong argument count for bit ${d.name}`);
  const op: ParsedBitOp = { def: d, offset: 0, size: 0, value: 0n, buf: null, flags: 0n, subflags: 0n };
  for (let i = 0; i < args.count; i++) d.args[i]!(args, op, d);
  return op;
}

function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}
