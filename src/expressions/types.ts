/**
 * Shared types of the expression engine: the record view, value types, the compiled closure
 * shape, the UNKNOWN marker and the size limits (protocol reference §10; Aerospike `exp.c`).
 */
import type { AsValue } from '../protocol/msgpack.js';
import type { Bin } from '../protocol/particle.js';

/** What an expression can see of a record. Times: lastUpdateMs = Unix ms; voidTime = seconds since 2010-01-01 (0 = never expires). */
export interface ExpRecord {
  getBin(name: string): Bin | undefined;
  binNames(): string[];
  /** false for a record being created */
  readonly exists: boolean;
  readonly generation: number;
  readonly voidTime: number;
  readonly lastUpdateMs: number;
  readonly setName: string;
  readonly digest: Buffer;
  /** stored user key */
  readonly key: { type: number; value: Buffer } | undefined;
  readonly recordSizeBytes: number;
  readonly memorySizeBytes: number;
  readonly deviceSizeBytes: number;
  readonly isTombstone: boolean;
}

/** Injectable clock. */
export interface ExpEnv {
  nowMs: number;
}

/**
 * The "unknown" result of the three-valued logic (missing bin, type mismatch, division by zero...).
 * Returned by {@link CompiledExpOp.evaluate}; never a match for a filter.
 */
export const UNKNOWN: unique symbol = Symbol('exp.unknown');
export type Unknown = typeof UNKNOWN;

/** Marker value of `[100]` (REMOVE_RESULT); only meaningful inside CDT apply expressions. */
export const REMOVE: unique symbol = Symbol('exp.remove');

/**
 * Expression value types (`exp_type` on the wire, §10.2) plus the two internal ones Aerospike has:
 * REMOVE (the type of `[100]`) and ANY (a msgpack literal of no expression type, e.g. an ext value).
 */
export const ExpType = {
  NIL: 0,
  BOOL: 1,
  INT: 2,
  STR: 3,
  LIST: 4,
  MAP: 5,
  BLOB: 6,
  FLOAT: 7,
  GEO: 8,
  HLL: 9,
  /** first value that is not a wire type (TYPE_INPUT_END) */
  INPUT_END: 10,
  REMOVE: 11,
  ANY: 12,
} as const;
export type ExpTypeCode = (typeof ExpType)[keyof typeof ExpType];

const EXP_TYPE_NAMES: Record<number, string> = {
  0: 'nil', 1: 'bool', 2: 'int', 3: 'str', 4: 'list', 5: 'map', 6: 'blob', 7: 'float', 8: 'geojson', 9: 'hll',
  10: 'bool', 11: 'remove', 12: 'msgpack',
};

/** Name of an expression type, for messages. */
export function typeName(t: number): string {
  return EXP_TYPE_NAMES[t] ?? `type ${t}`;
}

/**
 * Runtime representation of a value, fixed by the node's static type:
 * NIL null, BOOL boolean, INT bigint (always within int64), FLOAT number, STR / BLOB / HLL Buffer
 * (UTF-8 bytes for STR), GEO {@link GeoValue}, LIST AsList, MAP AsMap, ANY AsValue, REMOVE {@link REMOVE}.
 */
export type RtValue = unknown;

/**
 * Loop variables of a CDT path expression (builtin vars `[122, type, id]`): id 0 KEY (map
 * entries), 1 VALUE, 2 INDEX (list elements); undefined when the element has none.
 */
export interface LoopVarValues {
  key: AsValue | undefined;
  value: AsValue | undefined;
  index: number | undefined;
}

/** Per-evaluation state handed to every closure. */
export interface EvalCtx {
  readonly rec: ExpRecord;
  readonly env: ExpEnv;
  /** let-variable slots */
  readonly vars: unknown[];
  /** set while a CDT select/apply evaluates a path expression for one element */
  readonly loop?: LoopVarValues;
}

/** A compiled expression node: evaluates to its runtime value or {@link UNKNOWN}. */
export type Ev = (c: EvalCtx) => RtValue;

/** Deepest nesting of expression arrays accepted. */
export const EXP_MAX_DEPTH = 256;
/** Most expression nodes (ops and literals) in one expression. */
export const EXP_MAX_NODES = 65536;
/** Largest expression accepted, in wire bytes (Aerospike's EXP_MAX_SIZE). */
export const EXP_MAX_WIRE_BYTES = 1024 * 1024;
/** Most evaluated (list) arguments in one CALL payload (Aerospike asserts past its vector table). */
export const EXP_MAX_CALL_EVAL_ARGS = 8;

/** Seconds between the Unix epoch and Aerospike's (Citrusleaf) epoch 2010-01-01. */
export const CITRUSLEAF_EPOCH_SECONDS = 1262304000;

/** EXP_READ / EXP_MODIFY op flags (§5.2). */
export const ExpOpFlag = {
  CREATE_ONLY: 1,
  UPDATE_ONLY: 2,
  ALLOW_DELETE: 4,
  POLICY_NO_FAIL: 8,
  EVAL_NO_FAIL: 16,
} as const;

/** Expression op codes (§10.3). */
export const ExpOp = {
  UNKNOWN: 0,
  EQ: 1,
  NE: 2,
  GT: 3,
  GE: 4,
  LT: 5,
  LE: 6,
  CMP_REGEX: 7,
  CMP_GEO: 8,
  IN_LIST: 9,
  AND: 16,
  OR: 17,
  NOT: 18,
  EXCLUSIVE: 19,
  ADD: 20,
  SUB: 21,
  MUL: 22,
  DIV: 23,
  POW: 24,
  LOG: 25,
  MOD: 26,
  ABS: 27,
  FLOOR: 28,
  CEIL: 29,
  TO_INT: 30,
  TO_FLOAT: 31,
  INT_AND: 32,
  INT_OR: 33,
  INT_XOR: 34,
  INT_NOT: 35,
  INT_LSHIFT: 36,
  INT_RSHIFT: 37,
  INT_ARSHIFT: 38,
  INT_COUNT: 39,
  INT_LSCAN: 40,
  INT_RSCAN: 41,
  MIN: 50,
  MAX: 51,
  DIGEST_MODULO: 64,
  DEVICE_SIZE: 65,
  LAST_UPDATE: 66,
  SINCE_UPDATE: 67,
  VOID_TIME: 68,
  TTL: 69,
  SET_NAME: 70,
  KEY_EXISTS: 71,
  IS_TOMBSTONE: 72,
  MEMORY_SIZE: 73,
  RECORD_SIZE: 74,
  KEY: 80,
  BIN: 81,
  BIN_TYPE: 82,
  REMOVE_RESULT: 100,
  MAP_KEYS: 101,
  MAP_VALUES: 102,
  VAR_BUILTIN: 122,
  COND: 123,
  VAR: 124,
  LET: 125,
  QUOTE: 126,
  CALL: 127,
} as const;
