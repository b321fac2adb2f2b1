/**
 * Seams through which the transaction layer reaches the particle-level engines (CDT, bit, HLL,
 * expressions). They are installed at startup by `engines.ts`; an engine that is missing makes
 * its ops answer UNSUPPORTED_FEATURE instead of failing in some other way.
 */
import type { AsValue } from '../protocol/msgpack.js';

/** What a filter or expression sees of a record (the expression engine's record view). */
export type { ExpRecord as FilterRecord } from '../expressions/index.js';
import type { ExpRecord as FilterRecord } from '../expressions/index.js';

export interface CompiledFilterLike {
  matches(rec: FilterRecord, env: { nowMs: number }): boolean;
}

export interface ParticleOutcome {
  result: AsValue | undefined;
  newBin?: { type: number; value: Buffer } | null;
}

export type ExpWriteAction = { action: 'write'; value: AsValue } | { action: 'delete' } | { action: 'skip' };

export interface Engines {
  compileFilter?: (buf: Buffer) => CompiledFilterLike;
  /** CDT op on the bin's current particle; returns result and new particle. */
  cdt?: (current: { type: number; value: Buffer } | undefined, payload: Buffer, modify: boolean) => ParticleOutcome;
  bits?: (current: { type: number; value: Buffer } | undefined, payload: Buffer, modify: boolean) => ParticleOutcome;
  hll?: (current: { type: number; value: Buffer } | undefined, payload: Buffer, modify: boolean) => ParticleOutcome;
  expRead?: (payload: Buffer, rec: FilterRecord, env: { nowMs: number }) => AsValue;
  expWrite?: (payload: Buffer, rec: FilterRecord, env: { nowMs: number }, binExists: boolean) => ExpWriteAction;
}

export const engines: Engines = {};
