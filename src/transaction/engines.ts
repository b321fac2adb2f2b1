/** Installs the particle engines (CDT, bit, HLL, expressions) into the transaction layer. */
import { executeBitOp, executeBitWireOp } from '../bits/index.js';
import { executeHllOp, executeHllWireOp } from '../hll/index.js';
import { compileFilter, compilePathExp, expReadPayload, expWritePayload, setCallEngines } from '../expressions/index.js';
import { engines } from './extensions.js';
import { cdtParticleOp, executeCdtOp, executeCdtWireOp, setPathExpCompiler } from '../cdt/index.js';

export function installEngines(): void {
  engines.cdt = cdtParticleOp;
  engines.bits = executeBitWireOp;
  engines.hll = executeHllWireOp;
  engines.compileFilter = compileFilter;
  engines.expRead = expReadPayload;
  engines.expWrite = expWritePayload;
  setCallEngines({ cdt: executeCdtOp, cdtWire: executeCdtWireOp, bits: executeBitOp, hll: executeHllOp });
  setPathExpCompiler(compilePathExp);
}
