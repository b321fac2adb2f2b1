/**
 * CDT op codes, return types and flags (protocol reference §9.3–§9.6), with the names Aerospike
 * 8.1.2 uses in `as/include/base/proto.h`.
 */
import { AsError, ResultCode } from '../protocol/result-codes.js';

export const ListOp = {
  SET_TYPE: 0,
  APPEND: 1,
  APPEND_ITEMS: 2,
  INSERT: 3,
  INSERT_ITEMS: 4,
  POP: 5,
  POP_RANGE: 6,
  REMOVE: 7,
  REMOVE_RANGE: 8,
  SET: 9,
  TRIM: 10,
  CLEAR: 11,
  INCREMENT: 12,
  SORT: 13,
  SIZE: 16,
  GET: 17,
  GET_RANGE: 18,
  GET_BY_INDEX: 19,
  GET_BY_VALUE: 20,
  GET_BY_RANK: 21,
  GET_ALL_BY_VALUE: 22,
  GET_ALL_BY_VALUE_LIST: 23,
  GET_BY_INDEX_RANGE: 24,
  GET_BY_VALUE_INTERVAL: 25,
  GET_BY_RANK_RANGE: 26,
  GET_BY_VALUE_REL_RANK_RANGE: 27,
  REMOVE_BY_INDEX: 32,
  REMOVE_BY_VALUE: 33,
  REMOVE_BY_RANK: 34,
  REMOVE_ALL_BY_VALUE: 35,
  REMOVE_ALL_BY_VALUE_LIST: 36,
  REMOVE_BY_INDEX_RANGE: 37,
  REMOVE_BY_VALUE_INTERVAL: 38,
  REMOVE_BY_RANK_RANGE: 39,
  REMOVE_BY_VALUE_REL_RANK_RANGE: 40,
} as const;

export const MapOp = {
  SET_TYPE: 64,
  ADD: 65,
  ADD_ITEMS: 66,
  PUT: 67,
  PUT_ITEMS: 68,
  REPLACE: 69,
  REPLACE_ITEMS: 70,
  INCREMENT: 73,
  DECREMENT: 74,
  CLEAR: 75,
  REMOVE_BY_KEY: 76,
  REMOVE_BY_INDEX: 77,
  REMOVE_BY_VALUE: 78,
  REMOVE_BY_RANK: 79,
  REMOVE_BY_KEY_LIST: 81,
  REMOVE_ALL_BY_VALUE: 82,
  REMOVE_BY_VALUE_LIST: 83,
  REMOVE_BY_KEY_INTERVAL: 84,
  REMOVE_BY_INDEX_RANGE: 85,
  REMOVE_BY_VALUE_INTERVAL: 86,
  REMOVE_BY_RANK_RANGE: 87,
  REMOVE_BY_KEY_REL_INDEX_RANGE: 88,
  REMOVE_BY_VALUE_REL_RANK_RANGE: 89,
  SIZE: 96,
  GET_BY_KEY: 97,
  GET_BY_INDEX: 98,
  GET_BY_VALUE: 99,
  GET_BY_RANK: 100,
  GET_ALL_BY_VALUE: 102,
  GET_BY_KEY_INTERVAL: 103,
  GET_BY_INDEX_RANGE: 104,
  GET_BY_VALUE_INTERVAL: 105,
  GET_BY_RANK_RANGE: 106,
  GET_BY_KEY_LIST: 107,
  GET_BY_VALUE_LIST: 108,
  GET_BY_KEY_REL_INDEX_RANGE: 109,
  GET_BY_VALUE_REL_RANK_RANGE: 110,
} as const;

/** First op code that is a map op; list op codes are below it (server: IS_CDT_LIST_OP). */
export const MAP_OP_MIN = 64;
export const OP_SELECT = 0xfe;
export const OP_CONTEXT_EVAL = 0xff;

export const RT = {
  NONE: 0,
  INDEX: 1,
  REVINDEX: 2,
  RANK: 3,
  REVRANK: 4,
  COUNT: 5,
  KEY: 6,
  VALUE: 7,
  KEY_VALUE: 8,
  INDEX_RANGE: 9,
  REVINDEX_RANGE: 10,
  RANK_RANGE: 11,
  REVRANK_RANGE: 12,
  EXISTS: 13,
  UNORDERED_MAP: 16,
  ORDERED_MAP: 17,
} as const;

export const RT_INVERTED = 0x10000n;
export const RT_TYPE_MASK = 0xffffn;

export const ListFlag = { ORDERED: 0x01, PERSIST_INDEX: 0x10 } as const;
export const MapFlag = { K_ORDERED: 0x01, V_ORDERED: 0x02, KV_ORDERED: 0x03, PRESERVE_ORDER: 0x08, PERSIST_INDEX: 0x10 } as const;

export const ListWrite = { ADD_UNIQUE: 1, INSERT_BOUNDED: 2, NO_FAIL: 4, PARTIAL: 8 } as const;
export const MapWrite = { CREATE_ONLY: 1, UPDATE_ONLY: 2, NO_FAIL: 4, PARTIAL: 8 } as const;
export const SortFlag = { DESCENDING: 1, DROP_DUPLICATES: 2 } as const;

export const Ctx = {
  INDEX: 0,
  RANK: 1,
  KEY: 2,
  VALUE: 3,
  LIST: 0x10,
  MAP: 0x20,
  BASE_MASK: 0x0f,
  TYPE_MASK: 0x3f,
  CREATE_MASK: 0x1c0,
  CREATE_LIST_UNORDERED: 0x40,
  CREATE_LIST_UNBOUND: 0x80,
  CREATE_LIST_ORDERED: 0xc0,
  CREATE_MAP_UNORDERED: 0x40,
  CREATE_MAP_K_ORDERED: 0x80,
  CREATE_MAP_KV_ORDERED: 0xc0,
  CREATE_PERSIST_INDEX: 0x100,
} as const;

export const UINT32_MAX = 0xffffffffn;
export const INT32_MAX = 0x7fffffffn;
export const INT64_MIN = -(2n ** 63n);

/**
 * Most elements a write may grow a list to, e.g. by nil padding. Every element takes at least one
 * byte and records are at most 8 MiB, so a bigger list could never be stored (RECORD_TOO_BIG).
 */
export const MAX_LIST_ELEMENTS = 1 << 23;

/** Deepest nesting of contexts accepted (the server rejects deeper select paths at 64 levels). */
export const MAX_CTX_LEVELS = 256;

/** Throws Aerospike's OP_NOT_APPLICABLE (26). */
export function notApplicable(why?: string): never {
  throw new AsError(ResultCode.OP_NOT_APPLICABLE, why);
}

/** Throws Aerospike's PARAMETER (4). */
export function badParam(why?: string): never {
  throw new AsError(ResultCode.PARAMETER, why);
}

/** Throws Aerospike's INCOMPATIBLE_TYPE (12). */
export function incompatible(why?: string): never {
  throw new AsError(ResultCode.INCOMPATIBLE_TYPE, why);
}
