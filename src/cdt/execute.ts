/**
 * Entry points: run one CDT op (wire payload or decoded op) against a bin value.
 *
 * Check order follows the server (cdt_packed_modify / cdt_packed_read): payload header, select,
 * context walk, inner op header, container type (INCOMPATIBLE_TYPE), then the op itself.
 */
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { MsgpackError, MsgpackReader, type AsValue } from '../protocol/msgpack.js';
import { ArrayArgs, parseParams, type ArgSource } from './args.js';
import { badParam, incompatible, MAP_OP_MIN, OP_CONTEXT_EVAL, OP_SELECT } from './constants.js';
import { dig, writeBack } from './context.js';
import { listModify, listRead } from './list-ops.js';
import { mapModify, mapRead } from './map-ops.js';
import { isList, isMap } from './order.js';
import type { TargetOutcome } from './outcome.js';
import { executeSelect } from './select.js';

export interface CdtOutcome {
  /** value to return to the client for this op; undefined = the op yields no result entry */
  result: AsValue | undefined;
  /** the bin's new value when the op modified it (undefined = unchanged). */
  newValue?: AsValue;
}

interface OpSource {
  code: number;
  args: ArgSource;
}

/** Arguments read lazily from the payload, like the server does (unread trailing data is ignored). */
class WireArgs implements ArgSource {
  nonStorageSeen = false;
  constructor(
    private readonly r: MsgpackReader,
    readonly count: number,
  ) {}

  nextInt(): bigint | null {
    return this.r.readIntOrNull();
  }

  nextValue(): AsValue {
    return this.r.read();
  }
}

/** Op code from the uint64 argument, truncated to the server's 32-bit op type enum. */
function opCode(v: bigint | null): number {
  if (v === null) badParam('op code must be an integer');
  return Number(BigInt.asIntN(32, v));
}

function isListOp(code: number): boolean {
  return code < MAP_OP_MIN;
}

function checkType(value: AsValue, code: number): void {
  if (isListOp(code) ? !isList(value) : !isMap(value)) incompatible('bin/element type does not match the op');
}

function runOn(target: AsValue | undefined, code: number, args: ArgSource, modify: boolean, topMissing: boolean): TargetOutcome {
  const params = () => parseParams(code, args);
  if (modify) {
    if (isListOp(code)) return listModify(target as AsValue[] | undefined, code, params, topMissing);
    return mapModify(target as never, code, params);
  }
  const result = isListOp(code) ? listRead(target as AsValue[], code, params) : mapRead(target as never, code, params);
  return { result };
}

function execute(current: AsValue | undefined, ctx: AsValue | null, modify: boolean, op: () => OpSource): CdtOutcome {
  if (!modify && current === undefined) return { result: undefined };
  if (ctx === null) {
    const { code, args } = op();
    if (code === OP_SELECT) {
      // a select nested in a context op: the server runs select only at the top of a payload
      if (current !== undefined && (isList(current) || isMap(current))) badParam('cdt select inside a context op');
      incompatible('select on a bin that is not a list or map');
    }
    if (current !== undefined) checkType(current, code);
    const out = runOn(current, code, args, modify, current === undefined);
    if (!modify) return { result: out.result };
    const newValue = out.written ?? (current === undefined ? out.placeholder : undefined);
    return newValue === undefined ? { result: out.result } : { result: out.result, newValue };
  }

  const d = dig(current, ctx, modify);
  const { code, args } = op();
  args.nonStorageSeen = d.nonStorageSeen;
  if (d.target !== undefined) checkType(d.target, code);
  const out = runOn(d.target, code, args, modify, false);
  if (!modify) return { result: out.result };
  const newTarget = out.written ?? (d.target === undefined && out.touched ? out.placeholder : undefined);
  if (newTarget === undefined) return { result: out.result };
  return { result: out.result, newValue: writeBack(d, newTarget) };
}

/** Turns anything thrown while handling client input into an AsError. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof AsError) throw e;
    if (e instanceof MsgpackError || e instanceof RangeError) throw new AsError(ResultCode.PARAMETER, e.message);
    throw new AsError(ResultCode.UNKNOWN, e instanceof Error ? e.message : String(e));
  }
}

function readInnerOp(r: MsgpackReader): OpSource {
  const n = r.readArrayHeader();
  if (n <= 0) badParam('op must be a non-empty list');
  const code = opCode(r.readIntOrNull());
  return { code, args: new WireArgs(r, n - 1) };
}

/**
 * Executes one wire CDT op (op type 3 read / 4 modify) against the bin's current value
 * (undefined when the bin does not exist). Decodes the payload (plain [code, args...], context form
 * [0xff, ctx, [code, args]], select/apply form 0xfe). Throws AsError with Aerospike's code.
 */
export function executeCdtWireOp(current: AsValue | undefined, payload: Buffer, modify: boolean): CdtOutcome {
  if (!modify && current === undefined) return { result: undefined };
  return guard(() => {
    if (payload.length === 0) badParam('empty cdt payload');
    const r = new MsgpackReader(payload);
    let code: number;
    let count: number;
    if (payload[0] === 0) {
      // deprecated form: u16 op code followed by a list of arguments
      if (payload.length < 2) badParam('cdt payload too short');
      code = payload.readUInt16BE(0);
      r.pos = 2;
      count = 0;
      if (payload.length > 2) {
        count = r.readArrayHeader();
        if (count < 0) badParam('cdt arguments must be a list');
      }
    } else {
      const n = r.readArrayHeader();
      if (n <= 0) badParam('cdt payload must be a non-empty list');
      code = opCode(r.readIntOrNull());
      count = n - 1;
    }
    if (code === OP_SELECT) return executeSelect(current, r, count, modify);
    if (code === OP_CONTEXT_EVAL) {
      if (count !== 2) badParam('context op needs [ctx, op]');
      const ctx = r.read();
      return execute(current, ctx, modify, () => readInnerOp(r));
    }
    return execute(current, null, modify, () => ({ code, args: new WireArgs(r, count) }));
  });
}

/**
 * Same as executeCdtWireOp with an already-decoded op (used by expressions, whose args are
 * evaluated first). `ctx` is the flat context list or null. Code 0xff with args [ctx, [code, ...]]
 * is accepted too.
 */
export function executeCdtOp(
  current: AsValue | undefined,
  code: number,
  args: AsValue[],
  ctx: AsValue[] | null,
  modify: boolean,
): CdtOutcome {
  if (!modify && current === undefined) return { result: undefined };
  return guard(() => {
    if (!Number.isInteger(code)) badParam('bad op code');
    if (code === OP_CONTEXT_EVAL && ctx === null) {
      if (args.length !== 2) badParam('context op needs [ctx, op]');
      const inner = args[1]!;
      return execute(current, args[0]!, modify, () => {
        if (!isList(inner) || inner.length === 0) badParam('op must be a non-empty list');
        return { code: opCode(typeof inner[0] === 'bigint' ? inner[0] : null), args: new ArrayArgs(inner.slice(1)) };
      });
    }
    return execute(current, ctx, modify, () => ({ code, args: new ArrayArgs(args) }));
  });
}
