/**
 * CDT (list and map) operations, byte-exact with Aerospike 8.1.2.
 *
 * - executeCdtWireOp: one wire op (op type 3/4 payload) against a bin value.
 * - executeCdtOp: the same with an already decoded op (expressions).
 * - compareValues: Aerospike's cross-type value ordering.
 * - cdtParticleOp: adapter for the transaction layer's engine seam (particle in, particle out).
 * - normalizeBinValue: the normalisation the server applies to list/map bins it stores.
 * - setPathExpCompiler: installs the expression compiler select/apply (0xfe) uses.
 */
export { executeCdtWireOp, executeCdtOp, type CdtOutcome } from './execute.js';
export { compareValues } from './order.js';
export { cdtParticleOp, type CdtParticleOutcome } from './engine.js';
export { normalizeBinValue } from './normalize.js';
export {
  setPathExpCompiler,
  SelectFlag,
  MAX_SELECT_LEVELS,
  type PathExp,
  type PathExpCompiler,
  type PathApplyResult,
  type LoopVars,
} from './select.js';
