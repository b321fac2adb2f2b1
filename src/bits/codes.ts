/**
 * Bit op codes, flags and size limits (protocol reference §9.8; Aerospike `proto.h`).
 */

export const BitOp = {
  RESIZE: 0,
  INSERT: 1,
  REMOVE: 2,
  SET: 3,
  OR: 4,
  XOR: 5,
  AND: 6,
  NOT: 7,
  LSHIFT: 8,
  RSHIFT: 9,
  ADD: 10,
  SUBTRACT: 11,
  SET_INT: 12,
  GET: 50,
  COUNT: 51,
  LSCAN: 52,
  RSCAN: 53,
  GET_INT: 54,
} as const;

/** Write policy flags (the `pf` argument). */
export const BitWriteFlag = {
  CREATE_ONLY: 1n,
  UPDATE_ONLY: 2n,
  NO_FAIL: 4n,
  PARTIAL: 8n,
} as const;

/** RESIZE sub-flags. */
export const BitResizeFlag = {
  FROM_FRONT: 1n,
  GROW_ONLY: 2n,
  SHRINK_ONLY: 4n,
} as const;

/** ADD / SUBTRACT / GET_INT sub-flags: signedness and the overflow action (0 = fail). */
export const BitIntFlag = {
  SIGNED: 1n,
  SATURATE: 2n,
  WRAP: 4n,
} as const;

/**
 * Aerospike's bound on any message (`PROTO_SIZE_MAX`, 128 MiB). Offsets and sizes beyond it, and
 * results that would reach it, are refused with PARAMETER exactly as the server does.
 */
export const PROTO_SIZE_MAX_BYTES = 128 * 1024 * 1024;

/**
 * The largest blob a bit op may build. Aerospike's `max-record-size` cannot be set above 8 MiB, so a
 * larger blob can never be stored: Aerospike builds it and then fails the record with RECORD_TOO_BIG
 * (corpus bit-raw step 15). We answer the same code without allocating it. Blobs between the
 * namespace's own limit and this cap are built and refused by the record layer, as in Aerospike.
 */
export const MAX_BLOB_SIZE_BYTES = 8 * 1024 * 1024;
