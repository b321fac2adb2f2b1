/** Aerospike result codes as they appear on the wire (protocol reference §6.4). */
export const ResultCode = {
  OK: 0,
  UNKNOWN: 1,
  NOT_FOUND: 2,
  GENERATION: 3,
  PARAMETER: 4,
  RECORD_EXISTS: 5,
  BIN_EXISTS: 6,
  CLUSTER_KEY_MISMATCH: 7,
  OUT_OF_SPACE: 8,
  TIMEOUT: 9,
  UNAVAILABLE: 11,
  INCOMPATIBLE_TYPE: 12,
  RECORD_TOO_BIG: 13,
  KEY_BUSY: 14,
  QUERY_ABORT: 15,
  UNSUPPORTED_FEATURE: 16,
  BIN_NOT_FOUND: 17,
  DEVICE_OVERLOAD: 18,
  KEY_MISMATCH: 19,
  NAMESPACE: 20,
  BIN_NAME: 21,
  FORBIDDEN: 22,
  ELEMENT_NOT_FOUND: 23,
  ELEMENT_EXISTS: 24,
  ENTERPRISE_ONLY: 25,
  OP_NOT_APPLICABLE: 26,
  FILTERED_OUT: 27,
  LOST_CONFLICT: 28,
  UDF_EXECUTION: 100,
  BATCH_DISABLED: 150,
  BATCH_MAX_REQUESTS: 151,
  BATCH_QUEUES_FULL: 152,
  GEO_INVALID_GEOJSON: 160,
  SINDEX_FOUND: 200,
  SINDEX_NOT_FOUND: 201,
  SINDEX_NOT_READABLE: 203,
} as const;

/** A result code (the typed enum of the codes above). */
export type ResultCodeValue = (typeof ResultCode)[keyof typeof ResultCode];

const KNOWN_CODES: ReadonlySet<number> = new Set(Object.values(ResultCode));

/** A number from outside the type system (a peer's answer, the Lua runtime) as a result code; UNKNOWN when it is none. */
export function toResultCode(n: number): ResultCodeValue {
  return KNOWN_CODES.has(n) ? (n as ResultCodeValue) : ResultCode.UNKNOWN;
}

/**
 * An error that carries an Aerospike result code. Raised anywhere below the transaction layer and
 * turned into the wire answer in one place (the request dispatcher).
 */
export class AsError extends Error {
  constructor(
    readonly code: ResultCodeValue,
    message?: string,
  ) {
    super(message ?? `result code ${code}`);
  }
}

/**
 * The result code an error answers with: an AsError's own code, anything else `fallback` (what
 * the failing step answers for a non-Aerospike error: PARAMETER for a request that does not
 * decode, UNKNOWN for a fault in the server).
 */
export function resultCodeOf(e: unknown, fallback: ResultCodeValue = ResultCode.UNKNOWN): ResultCodeValue {
  return e instanceof AsError ? e.code : fallback;
}
