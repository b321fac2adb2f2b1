/**
 * Adapter for the transaction layer's engine seam (`engines.cdt` in src/transaction/extensions.ts):
 * runs a wire CDT op against a stored bin given as particle type + bytes.
 */
import { particleToValue } from '../protocol/particle.js';
import { valueToParticle } from '../values/bin-particles.js';
import type { AsValue } from '../protocol/msgpack.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { executeCdtWireOp } from './execute.js';

export interface CdtParticleOutcome {
  result: AsValue | undefined;
  /** the bin's new particle when the op changed it */
  newBin?: { type: number; value: Buffer };
}

/**
 * Decodes the bin, executes the op and encodes the new bin value. A bin whose stored bytes do not
 * decode answers PARAMETER.
 */
export function cdtParticleOp(current: { type: number; value: Buffer } | undefined, payload: Buffer, modify: boolean): CdtParticleOutcome {
  let value: AsValue | undefined;
  if (current) {
    try {
      value = particleToValue(current.type, current.value);
    } catch (e) {
      if (e instanceof AsError) throw e;
      throw new AsError(ResultCode.PARAMETER, 'stored bin does not decode');
    }
  }
  const out = executeCdtWireOp(value, payload, modify);
  if (out.newValue === undefined) return { result: out.result };
  return { result: out.result, newBin: valueToParticle(out.newValue) };
}
