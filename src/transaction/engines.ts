/** Installs the particle engines (CDT, bit, HLL, expressions) into the transaction layer. */
import { executeBitWireOp } from '../bits/index.js';
import { executeHllWireOp } from '../hll/index.js';
import { engines } from './extensions.js';

export function installEngines(): void {
  engines.bits = executeBitWireOp;
  engines.hll = executeHllWireOp;
}
