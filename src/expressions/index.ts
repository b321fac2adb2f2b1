/**
 * The expression engine (Strato issue "Filter expressions and expression operations"): compiles
 * Aerospike filter expressions (field 43) and expression ops (EXP_READ 7 / EXP_MODIFY 8) into
 * closure trees and evaluates them against records with Aerospike's three-valued semantics.
 *
 * Module map: `decode` (wire reading), `compile` (dispatch, literals, cond/let/var), `ops-logic`
 * (comparisons, regex, geo, and/or/not), `ops-arith` (arithmetic, integer bit ops), `ops-meta`
 * (metadata, key, bins), `call` + `call-engines` (CDT / bit / HLL calls), `regex`, `geo`,
 * `compare` (msgpack ordering), `values` (run-time value conversions), `exp-ops` (public entry
 * points and op flag semantics).
 */
export {
  compileFilter,
  compileExpOp,
  applyExpRead,
  applyExpWrite,
  expReadPayload,
  expWritePayload,
  type CompiledFilter,
  type CompiledExpOp,
  type ExpWriteAction,
  compilePathExp,
  type PathExpression,
} from './exp-ops.js';
export {
  UNKNOWN,
  ExpOp,
  ExpType,
  ExpOpFlag,
  EXP_MAX_DEPTH,
  EXP_MAX_NODES,
  EXP_MAX_WIRE_BYTES,
  EXP_MAX_CALL_EVAL_ARGS,
  type ExpRecord,
  type ExpEnv,
} from './types.js';
export { setCallEngines, callEnginesReady, type CallEngines, type CdtCall, type ParticleCall } from './call-engines.js';
export { RegexFlag } from './regex.js';
