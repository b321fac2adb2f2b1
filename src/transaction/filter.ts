/** Filter expressions on single-record commands (protocol reference §6.6). */
import type { Namespace } from '../namespace/namespace.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { engines, type CompiledFilterLike, type FilterRecord } from './extensions.js';

/** Compiles the request's filter expression (field 43) once; undefined when there is none. */
export function compileRequestFilter(filter: Buffer | undefined): CompiledFilterLike | undefined {
  if (!filter) return undefined;
  return compileFilterBytes(filter);
}

export function compileFilterBytes(bytes: Buffer): CompiledFilterLike | undefined {
  if (!engines.compileFilter) throw new AsError(ResultCode.UNSUPPORTED_FEATURE, 'filter expressions not available');
  return engines.compileFilter(bytes);
}

export function passesFilter(filter: CompiledFilterLike, rec: FilterRecord, ns: Namespace): boolean {
  return filter.matches(rec, { nowMs: ns.clock.nowMs() });
}
