/** Installs the particle engines (CDT, bit, HLL, expressions) into the transaction layer. */
import { executeBitOp, executeBitWireOp } from '../bits/index.js';
import { executeHllOp, executeHllWireOp } from '../hll/index.js';
import { compileFilter, expReadPayload, expWritePayload, setCallEngines } from '../expressions/index.js';
import { engines } from './extensions.js';
import { cdtParticleOp, executeCdtOp } from '../cdt/index.js';

export function installEngines(): void {
  engines.cdt = cdtParticleOp;
  engines.bits = executeBitWireOp;
  engines.hll = executeHllWireOp;
  engines.compileFilter = compileFilter;
  engines.expRead = expReadPayload;
  engines.expWrite = expWritePayload;
  setCallEngines({ cdt: executeCdtOp, bits: executeBitOp, hll: executeHllOp });
}
