/** Filter expressions on single-record commands (protocol reference §6.6). */
import type { Namespace } from '../namespace/namespace.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import type { AsMsg, MsgField } from '../protocol/message.js';
import { engines, type CompiledFilterLike, type FilterRecord } from './extensions.js';

/** Compiles the request's filter field once; undefined when there is none. */
export function compileRequestFilter(msg: AsMsg, field: MsgField | undefined): CompiledFilterLike | undefined {
  if (!field) return undefined;
  return compileFilterBytes(msg.buf.subarray(field.start, field.end));
}

export function compileFilterBytes(bytes: Buffer): CompiledFilterLike | undefined {
  if (!engines.compileFilter) throw new AsError(ResultCode.UNSUPPORTED_FEATURE, 'filter expressions not available');
  return engines.compileFilter(bytes);
}

export function passesFilter(filter: CompiledFilterLike, rec: FilterRecord, ns: Namespace): boolean {
  return filter.matches(rec, { nowMs: ns.clock.nowMs() });
}
