/**
 * Public entry points: filters (field 43, §6.6) and expression ops EXP_READ (7) / EXP_MODIFY (8)
 * with their flag semantics (Aerospike `expop.c`).
 */
import type { AsValue } from '../protocol/msgpack.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { CALL_OPS } from './call.js';
import { CONTROL_OPS, compileTree, type OpCompiler } from './compile.js';
import { ExpDecoder, paramError } from './decode.js';
import { ARITH_OPS } from './ops-arith.js';
import { LOGIC_OPS } from './ops-logic.js';
import { META_OPS } from './ops-meta.js';
import { ExpOpFlag, ExpType, REMOVE, UNKNOWN, type Ev, type ExpEnv, type ExpRecord, type ExpTypeCode, type LoopVarValues } from './types.js';
import { rtToAsValue } from './values.js';

/** Every op the compiler knows, by op code. */
const OPS: Record<number, OpCompiler> = { ...CONTROL_OPS, ...LOGIC_OPS, ...ARITH_OPS, ...META_OPS, ...CALL_OPS };

const NO_VARS: unknown[] = [];

/** A compiled filter expression. */
export interface CompiledFilter {
  /** true = record passes; false or unknown = filtered out */
  matches(rec: ExpRecord, env: ExpEnv): boolean;
}

/** A compiled EXP_READ / EXP_MODIFY op. */
export interface CompiledExpOp {
  /** the op's flags (ExpOpFlag bits) */
  readonly flags: number;
  /** the expression's result type (ExpType), known from compiling it */
  readonly resultType: ExpTypeCode;
  /** evaluates; returns UNKNOWN when the result is unknown */
  evaluate(rec: ExpRecord, env: ExpEnv): AsValue | typeof UNKNOWN;
}

function runner(root: Ev, slots: number): (rec: ExpRecord, env: ExpEnv) => unknown {
  if (slots === 0) return (rec, env) => root({ rec, env, vars: NO_VARS });
  return (rec, env) => root({ rec, env, vars: new Array<unknown>(slots) });
}

/** Compiled expressions kept for reuse (LRU), keyed by kind and wire bytes. */
export const EXP_COMPILE_CACHE_ENTRIES = 256;
/** Expressions larger than this are not cached. */
export const EXP_COMPILE_CACHE_MAX_BYTES = 1024;
const compileCache = new Map<string, CompiledFilter | CompiledExpOp>();

/**
 * Compiled trees are immutable (closures over constants; regexes without state), so the same
 * expression sent again — each request of a hot query, each row of a batch — reuses one.
 */
function cached<T extends CompiledFilter | CompiledExpOp>(kind: string, buf: Buffer, build: () => T): T {
  if (buf.length > EXP_COMPILE_CACHE_MAX_BYTES) return build();
  const key = kind + buf.toString('latin1');
  const hit = compileCache.get(key);
  if (hit) {
    compileCache.delete(key);
    compileCache.set(key, hit);
    return hit as T;
  }
  const made = build();
  compileCache.set(key, made);
  if (compileCache.size > EXP_COMPILE_CACHE_ENTRIES) compileCache.delete(compileCache.keys().next().value!);
  return made;
}

/**
 * Compiles a filter expression (field 43 bytes). Malformed or ill-typed → throws AsError(PARAMETER);
 * so does an expression whose result is not a boolean. Compile once per request (repeated
 * expressions are served from a small cache).
 */
export function compileFilter(buf: Buffer): CompiledFilter {
  return cached('f:', buf, () => {
    const { root, slots } = compileTree(buf, OPS);
    if (root.type !== ExpType.BOOL) paramError(`filter must return bool, found type ${root.type}`);
    const run = runner(root.ev, slots);
    return { matches: (rec: ExpRecord, env: ExpEnv) => run(rec, env) === true };
  });
}

/** Valid flag bits of EXP_READ and EXP_MODIFY ops. */
const READ_FLAGS = ExpOpFlag.EVAL_NO_FAIL;
const MODIFY_FLAGS =
  ExpOpFlag.CREATE_ONLY | ExpOpFlag.UPDATE_ONLY | ExpOpFlag.ALLOW_DELETE | ExpOpFlag.POLICY_NO_FAIL | ExpOpFlag.EVAL_NO_FAIL;

class ExpOpImpl implements CompiledExpOp {
  private readonly run: (rec: ExpRecord, env: ExpEnv) => unknown;

  constructor(
    readonly flags: number,
    readonly resultType: ExpTypeCode,
    root: Ev,
    slots: number,
  ) {
    this.run = runner(root, slots);
  }

  evaluate(rec: ExpRecord, env: ExpEnv): AsValue | typeof UNKNOWN {
    return rtToAsValue(this.resultType, this.run(rec, env));
  }
}

/**
 * Compiles the value of an EXP_READ (7) / EXP_MODIFY (8) op: msgpack `[expression, flags]` (flags
 * optional). With `kind`, flag bits not allowed for that op type are rejected here; otherwise
 * {@link applyExpRead} / {@link applyExpWrite} check them. Throws AsError(PARAMETER).
 */
export function compileExpOp(buf: Buffer, kind?: 'read' | 'modify'): CompiledExpOp {
  return cached(kind === 'read' ? 'r:' : kind === 'modify' ? 'm:' : 'o:', buf, () => buildExpOp(buf, kind));
}

function buildExpOp(buf: Buffer, kind?: 'read' | 'modify'): CompiledExpOp {
  const d = new ExpDecoder(buf);
  if (d.peek() !== 'array') paramError('exp op value is not a list');
  const n = d.arrayHeader();
  if (n === 0 || n > 2) paramError(`exp op list has ${n} elements`);
  const start = d.pos;
  d.skip();
  const expBytes = buf.subarray(start, d.pos);
  let flags = 0n;
  // Aerospike reads the flags only if the second element is an integer
  if (n === 2) flags = d.uintOrNull() ?? 0n;
  if (kind) checkFlags(flags, kind);
  const { root, slots } = compileTree(expBytes, OPS);
  // flags above 32 bits are all invalid; keep them recognisable as such
  return new ExpOpImpl(flags > 0xffffffffn ? 2 ** 32 : Number(flags), root.type, root.ev, slots);
}

function checkFlags(flags: bigint | number, kind: 'read' | 'modify'): void {
  const f = BigInt(flags);
  const allowed = BigInt(kind === 'read' ? READ_FLAGS : MODIFY_FLAGS);
  if ((f & ~allowed) !== 0n) paramError(`invalid ${kind} flags 0x${f.toString(16)}`);
}

/**
 * EXP_READ: the value to return under the op's bin name (null = nil). Unknown → AsError
 * OP_NOT_APPLICABLE (26), or nil with EVAL_NO_FAIL. Invalid flags → AsError(PARAMETER).
 */
export function applyExpRead(op: CompiledExpOp, rec: ExpRecord, env: ExpEnv): AsValue {
  checkFlags(op.flags, 'read');
  const v = op.evaluate(rec, env);
  if (v === UNKNOWN) {
    if (op.flags & ExpOpFlag.EVAL_NO_FAIL) return null;
    throw new AsError(ResultCode.OP_NOT_APPLICABLE, 'expression evaluated to unknown');
  }
  return v;
}

/** What an EXP_MODIFY op does to its bin. */
export type ExpWriteAction = { action: 'write'; value: AsValue } | { action: 'delete' } | { action: 'skip' };

/**
 * EXP_MODIFY with Aerospike's flag rules (`as_exp_modify_tr`), `binExists` telling whether the
 * op's bin is live:
 * - bin exists and CREATE_ONLY → BIN_EXISTS (6), skip with POLICY_NO_FAIL;
 * - bin missing and UPDATE_ONLY → BIN_NOT_FOUND (17), skip with POLICY_NO_FAIL;
 * - unknown result → OP_NOT_APPLICABLE (26), skip with EVAL_NO_FAIL;
 * - nil result on an existing bin → delete with ALLOW_DELETE; otherwise OP_NOT_APPLICABLE when the
 *   flags are 0 and skip when any flag is set (Aerospike tests `flags && POLICY_NO_FAIL`); nil on a
 *   missing bin → skip.
 * Invalid flags → AsError(PARAMETER).
 */
export function applyExpWrite(op: CompiledExpOp, rec: ExpRecord, env: ExpEnv, binExists: boolean): ExpWriteAction {
  const flags = op.flags;
  checkFlags(flags, 'modify');
  if (binExists && flags & ExpOpFlag.CREATE_ONLY) {
    if (flags & ExpOpFlag.POLICY_NO_FAIL) return { action: 'skip' };
    throw new AsError(ResultCode.BIN_EXISTS, 'expression write: bin exists');
  }
  if (!binExists && flags & ExpOpFlag.UPDATE_ONLY) {
    if (flags & ExpOpFlag.POLICY_NO_FAIL) return { action: 'skip' };
    throw new AsError(ResultCode.BIN_NOT_FOUND, 'expression write: bin not found');
  }
  const v = op.evaluate(rec, env);
  if (v === UNKNOWN) {
    if (flags & ExpOpFlag.EVAL_NO_FAIL) return { action: 'skip' };
    throw new AsError(ResultCode.OP_NOT_APPLICABLE, 'expression evaluated to unknown');
  }
  if (v === null) {
    if (!binExists) return { action: 'skip' };
    if (flags & ExpOpFlag.ALLOW_DELETE) return { action: 'delete' };
    if (flags !== 0) return { action: 'skip' };
    throw new AsError(ResultCode.OP_NOT_APPLICABLE, 'expression write would delete the bin');
  }
  return { action: 'write', value: v };
}

/** EXP_READ from the op's value bytes (compile + {@link applyExpRead}); the server's `expRead` seam. */
export function expReadPayload(payload: Buffer, rec: ExpRecord, env: ExpEnv): AsValue {
  return applyExpRead(compileExpOp(payload, 'read'), rec, env);
}

/** EXP_MODIFY from the op's value bytes (compile + {@link applyExpWrite}); the server's `expWrite` seam. */
export function expWritePayload(payload: Buffer, rec: ExpRecord, env: ExpEnv, binExists: boolean): ExpWriteAction {
  return applyExpWrite(compileExpOp(payload, 'modify'), rec, env, binExists);
}

/** A compiled CDT path expression (select/apply contexts and modify expressions). */
export interface PathExpression {
  /** filter: true / false, undefined when unknown; a non-boolean result is false (server match_internal) */
  test(loop: LoopVarValues): boolean | undefined;
  /** modify: the element's new value or its removal (`[100]`); undefined when unknown */
  apply(loop: LoopVarValues): { remove: true } | { remove: false; value: AsValue } | undefined;
}

/**
 * Path expressions see no record: bins are unknown, as in the server, which evaluates them
 * without record data (as_exp_matches_metadata / as_exp_eval_to_result with no storage record).
 */
const NO_RECORD: ExpRecord = {
  getBin: () => undefined,
  binNames: () => [],
  exists: false,
  generation: 0,
  voidTime: 0,
  lastUpdateMs: 0,
  setName: '',
  digest: Buffer.alloc(20),
  key: undefined,
  recordSizeBytes: 0,
  memorySizeBytes: 0,
  deviceSizeBytes: 0,
  isTombstone: false,
};

const REMOVE_ENTRY = { remove: true } as const;

/**
 * Compiles an expression of a CDT path (a context filter or an apply's modify expression) for
 * `src/cdt` (installed there with setPathExpCompiler). Throws AsError(PARAMETER) when malformed.
 */
export function compilePathExp(wire: Buffer): PathExpression {
  const { root, slots } = compileTree(wire, OPS);
  const ev = root.ev;
  const type = root.type;
  const run = (loop: LoopVarValues): unknown =>
    ev({ rec: NO_RECORD, env: { nowMs: Date.now() }, vars: slots === 0 ? NO_VARS : new Array<unknown>(slots), loop });
  return {
    test(loop) {
      const v = run(loop);
      if (v === UNKNOWN) return undefined;
      return type === ExpType.BOOL ? v === true : false;
    },
    apply(loop) {
      const v = run(loop);
      if (v === REMOVE) return REMOVE_ENTRY;
      const out = rtToAsValue(type, v);
      return out === UNKNOWN ? undefined : { remove: false, value: out };
    },
  };
}
