/**
 * HLL op definitions and argument parsing, following Aerospike's op tables in `particle_hll.c`.
 * Every refusal here is PARAMETER. Parsing is split in two because Aerospike checks the bin between
 * looking up the op code and reading the arguments.
 */
import { paramError, type WireArgs } from '../bits/wire-args.js';
import { compactElement } from './element.js';
import { Hll, HLL_HEADER_BYTES, hllSizeBytes, isValidBitCombination, isValidIndexBits, isValidMinhashBits } from './sketch.js';

export const HllOp = {
  INIT: 0,
  ADD: 1,
  SET_UNION: 2,
  REFRESH_COUNT: 3,
  FOLD: 4,
  COUNT: 50,
  GET_UNION: 51,
  UNION_COUNT: 52,
  INTERSECT_COUNT: 53,
  SIMILARITY: 54,
  DESCRIBE: 55,
  MAY_CONTAIN: 56,
} as const;

export const HllWriteFlag = {
  CREATE_ONLY: 1n,
  UPDATE_ONLY: 2n,
  NO_FAIL: 4n,
  ALLOW_FOLD: 8n,
} as const;

/** Index or minhash bits not given (-1 on the wire); resolved from the bin or a default. */
export const UNSET_BITS = 0xff;

type ArgParser = (a: WireArgs, op: ParsedHllOp) => void;

export interface HllOpDef {
  readonly code: number;
  readonly name: string;
  readonly allowedFlags: bigint;
  readonly minArgs: number;
  readonly args: readonly ArgParser[];
}

export interface ParsedHllOp {
  def: HllOpDef;
  /** Canonical element bytes (ADD, MAY_CONTAIN). */
  elements: Buffer[];
  /** HLL arguments, validated (SET_UNION and the union/intersect/similarity reads). */
  hlls: Hll[];
  indexBits: number;
  minhashBits: number;
  flags: bigint;
}

const indexBits: ArgParser = (a, op) => {
  const v = a.i64();
  if (v === -1n) {
    op.indexBits = UNSET_BITS;
    return;
  }
  if (v < 0n || v > 64n || !isValidIndexBits(Number(v))) paramError('index bits out of range');
  op.indexBits = Number(v);
};

const minhashBits: ArgParser = (a, op) => {
  const v = a.i64();
  if (v === -1n) {
    op.minhashBits = UNSET_BITS;
    return;
  }
  if (v < 0n || v > 64n || !isValidMinhashBits(Number(v))) paramError('minhash bits out of range');
  if (op.indexBits !== UNSET_BITS && !isValidBitCombination(op.indexBits, Number(v))) {
    paramError('index bits + minhash bits over 64');
  }
  op.minhashBits = Number(v);
};

const writeFlags: ArgParser = (a, op) => {
  op.flags = a.u64();
  if ((op.flags & ~op.def.allowedFlags) !== 0n) paramError('flag not allowed for this op');
  if ((op.flags & HllWriteFlag.CREATE_ONLY) !== 0n && (op.flags & HllWriteFlag.UPDATE_ONLY) !== 0n) {
    paramError('CREATE_ONLY with UPDATE_ONLY');
  }
};

/** A non-empty list of scalar values (lists and maps cannot be elements). */
const elements: ArgParser = (a, op) => {
  const n = a.listHeader();
  if (n === 0) paramError('no elements');
  for (let i = 0; i < n; i++) {
    if (a.peekIsList() || a.peekIsMap()) paramError('an element may not be a list or map');
    op.elements.push(compactElement(a.rawValue()));
  }
};

/** One HLL blob, or a non-empty list of them; each must be a well-formed sketch. */
const hlls: ArgParser = (a, op) => {
  const n = a.peekIsList() ? a.listHeader() : 1;
  if (n === 0) paramError('no HLLs');
  for (let i = 0; i < n; i++) {
    const raw = a.bytes();
    if (raw.length < HLL_HEADER_BYTES + 1) paramError('HLL argument too short'); // corpus hll-ops step 46
    const buf = raw.subarray(1); // particle tag byte, ignored
    if (buf[0] !== 0) paramError('HLL argument has unknown flags');
    // each part is checked alone: an argument may exceed 64 bits in total, as Aerospike allows
    if (!isValidIndexBits(buf[1]!) || !isValidMinhashBits(buf[2]!)) paramError('HLL argument has a bad shape');
    if (buf.length !== hllSizeBytes(buf[1]!, buf[2]!)) paramError('HLL argument has the wrong size');
    op.hlls.push(new Hll(buf));
  }
};

/** HLLs for intersect/similarity: with more than two, all need the same non-zero minhash bits. */
const hllsIntersect: ArgParser = (a, op) => {
  hlls(a, op);
  if (op.hlls.length <= 2) return;
  const m = op.hlls[0]!.minhashBits;
  if (op.hlls.some((h) => h.minhashBits !== m)) paramError('more than two HLLs with different minhash bits');
  if (m === 0) paramError('more than two HLLs without minhash bits');
};

const { CREATE_ONLY, UPDATE_ONLY, NO_FAIL, ALLOW_FOLD } = HllWriteFlag;

function def(code: number, name: string, allowedFlags: bigint, minArgs: number, args: ArgParser[]): HllOpDef {
  return { code, name, allowedFlags, minArgs, args };
}

const MODIFY_DEFS: ReadonlyMap<number, HllOpDef> = new Map(
  [
    def(HllOp.INIT, 'init', CREATE_ONLY | UPDATE_ONLY | NO_FAIL, 0, [indexBits, minhashBits, writeFlags]),
    def(HllOp.ADD, 'add', CREATE_ONLY | NO_FAIL, 1, [elements, indexBits, minhashBits, writeFlags]),
    def(HllOp.SET_UNION, 'set_union', CREATE_ONLY | UPDATE_ONLY | ALLOW_FOLD | NO_FAIL, 1, [hlls, writeFlags]),
    def(HllOp.REFRESH_COUNT, 'refresh_count', 0n, 0, []),
    def(HllOp.FOLD, 'fold', 0n, 1, [indexBits]),
  ].map((d) => [d.code, d]),
);

const READ_DEFS: ReadonlyMap<number, HllOpDef> = new Map(
  [
    def(HllOp.COUNT, 'count', 0n, 0, []),
    def(HllOp.GET_UNION, 'get_union', 0n, 1, [hlls]),
    def(HllOp.UNION_COUNT, 'union_count', 0n, 1, [hlls]),
    def(HllOp.INTERSECT_COUNT, 'intersect_count', 0n, 1, [hllsIntersect]),
    def(HllOp.SIMILARITY, 'similarity', 0n, 1, [hllsIntersect]),
    def(HllOp.DESCRIBE, 'describe', 0n, 0, []),
    def(HllOp.MAY_CONTAIN, 'may_contain', 0n, 1, [elements]),
  ].map((d) => [d.code, d]),
);

/** Finds the op for the code and op type; a modify code sent as a read is PARAMETER (corpus hll-raw step 7). */
export function lookupHllOp(args: WireArgs, modify: boolean): HllOpDef {
  const table = modify ? MODIFY_DEFS : READ_DEFS;
  const d = args.code <= 255n ? table.get(Number(args.code)) : undefined;
  if (!d) paramError(`unknown ${modify ? 'modify' : 'read'} HLL op ${args.code}`);
  return d;
}

/** Reads the op's arguments. Index/minhash bits start unset on the modify path, 0 on reads (unused there). */
export function parseHllArgs(args: WireArgs, d: HllOpDef, modify: boolean): ParsedHllOp {
  if (args.count < d.minArgs || args.count > d.args.length) paramError(`wrong argument count for HLL ${d.name}`);
  const unset = modify ? UNSET_BITS : 0;
  const op: ParsedHllOp = { def: d, elements: [], hlls: [], indexBits: unset, minhashBits: unset, flags: 0n };
  for (let i = 0; i < args.count; i++) d.args[i]!(args, op);
  return op;
}
