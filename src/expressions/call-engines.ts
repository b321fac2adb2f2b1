/**
 * The CDT, bit and HLL engines that CALL (op 127) delegates to. They live in `src/cdt/`,
 * `src/bits/` and `src/hll/` and are loaded here without blocking module evaluation (so an engine
 * that imports the expression engine back cannot deadlock the module graph); until an engine is
 * loaded its calls evaluate to unknown. Tests and the server may also install engines explicitly
 * with {@link setCallEngines}.
 */
import type { AsValue } from '../protocol/msgpack.js';
// type-only: checked by the compiler, erased at run time (the engines are loaded dynamically below)
import type { executeCdtOp, executeCdtWireOp } from '../cdt/index.js';
import type { executeBitOp } from '../bits/index.js';
import type { executeHllOp } from '../hll/index.js';

/** `executeCdtOp` of `src/cdt/`. */
export type CdtCall = (
  current: AsValue | undefined,
  code: number,
  args: AsValue[],
  ctx: AsValue[] | null,
  modify: boolean,
) => { result: AsValue | undefined; newValue?: AsValue };

/** `executeCdtWireOp` of `src/cdt/`: a CDT op payload in wire form (select/apply by path). */
export type CdtWireCall = (current: AsValue | undefined, payload: Buffer, modify: boolean) => { result: AsValue | undefined; newValue?: AsValue };

/** `executeBitOp` of `src/bits/` and `executeHllOp` of `src/hll/`. */
export type ParticleCall = (
  current: { type: number; value: Buffer } | undefined,
  code: number,
  args: AsValue[],
  modify: boolean,
) => { result: AsValue | undefined; newBin?: { type: number; value: Buffer } | null };

type Holds<T extends true> = T;
/** Compile-time proof that the engines still have the shapes this module calls. */
export type EngineSignatureChecks = [
  Holds<typeof executeCdtOp extends CdtCall ? true : false>,
  Holds<typeof executeCdtWireOp extends CdtWireCall ? true : false>,
  Holds<typeof executeBitOp extends ParticleCall ? true : false>,
  Holds<typeof executeHllOp extends ParticleCall ? true : false>,
];

export interface CallEngines {
  cdt?: CdtCall;
  cdtWire?: CdtWireCall;
  bits?: ParticleCall;
  hll?: ParticleCall;
}

/** The engines in use (read at evaluation time). */
export const callEngines: CallEngines = {};

/** Installs (or replaces) engines. */
export function setCallEngines(engines: CallEngines): void {
  if (engines.cdt) callEngines.cdt = engines.cdt;
  if (engines.cdtWire) callEngines.cdtWire = engines.cdtWire;
  if (engines.bits) callEngines.bits = engines.bits;
  if (engines.hll) callEngines.hll = engines.hll;
}

async function load<T>(path: string, exportName: string): Promise<T | undefined> {
  try {
    // a computed specifier: the module may not exist yet while the engines are being written
    const spec: string = new URL(path, import.meta.url).href;
    const mod = (await import(spec)) as Record<string, unknown>;
    const f = mod[exportName];
    return typeof f === 'function' ? (f as T) : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves once the default engines have been looked for (whether or not they were found). */
export const callEnginesReady: Promise<void> = (async () => {
  const [cdt, cdtWire, bits, hll, setPathExpCompiler, compilePathExp] = await Promise.all([
    load<CdtCall>('../cdt/index.js', 'executeCdtOp'),
    load<CdtWireCall>('../cdt/index.js', 'executeCdtWireOp'),
    load<ParticleCall>('../bits/index.js', 'executeBitOp'),
    load<ParticleCall>('../hll/index.js', 'executeHllOp'),
    load<(c: unknown) => void>('../cdt/index.js', 'setPathExpCompiler'),
    load<unknown>('./exp-ops.js', 'compilePathExp'),
  ]);
  // select/apply by path compiles its context and modify expressions with this engine
  if (setPathExpCompiler && compilePathExp) setPathExpCompiler(compilePathExp);
  if (cdtWire && !callEngines.cdtWire) callEngines.cdtWire = cdtWire;
  // explicitly installed engines win
  if (cdt && !callEngines.cdt) callEngines.cdt = cdt;
  if (bits && !callEngines.bits) callEngines.bits = bits;
  if (hll && !callEngines.hll) callEngines.hll = hll;
})();
