/**
 * The expression compiler: turns the wire form (§10.2) into a tree of closures, checking arity and
 * types the way Aerospike's builder (`exp.c` build_*) does. Literals, dispatch and the control ops
 * (unknown, cond, let/var, quote, remove, builtin vars) live here; the op families are in the
 * `ops-*.ts` modules and `call.ts`.
 */
import { AsMap, type AsValue } from '../protocol/msgpack.js';
import { AsError } from '../protocol/result-codes.js';
import { ExpDecoder, paramError } from './decode.js';
import { GeoValue, parseGeoJson } from './geo.js';
import { asValueToRt } from './values.js';
import {
  EXP_MAX_DEPTH,
  EXP_MAX_NODES,
  EXP_MAX_WIRE_BYTES,
  ExpOp,
  ExpType,
  REMOVE,
  UNKNOWN,
  type EvalCtx,
  type Ev,
  type ExpTypeCode,
  type RtValue,
  typeName,
} from './types.js';

/** A compiled node: its closure and static type. */
export interface Node {
  ev: Ev;
  type: ExpTypeCode;
  /** the node is the `[0]` (UNKNOWN) op: cond accepts it in a branch of any type */
  unknownOp?: boolean;
  /** set for literals: the constant run-time value */
  constant?: { value: RtValue };
}

/** Compiles one op whose array holds `argc` elements after the op code. */
export type OpCompiler = (cx: Compiler, argc: number, code: number) => Node;

interface VarEntry {
  /** name bytes as a latin1 string (exact byte comparison) */
  name: string;
  slot: number;
  /** undefined while the variable's own expression is being compiled */
  type: ExpTypeCode | undefined;
}

const AS_BYTES_STRING = 3;
const AS_BYTES_BLOB = 4;
const AS_BYTES_HLL = 18;
const AS_BYTES_GEOJSON = 23;

/** Compile state of one expression. */
export class Compiler {
  readonly d: ExpDecoder;
  private nodeCount = 0;
  private depth = 0;
  private readonly scopes: VarEntry[][] = [];
  private nextSlot = 0;
  /** let-variable slots the evaluation needs */
  maxSlots = 0;

  constructor(
    buf: Buffer,
    private readonly ops: Record<number, OpCompiler>,
  ) {
    this.d = new ExpDecoder(buf);
  }

  /** Compiles the next expression. */
  node(): Node {
    if (++this.nodeCount > EXP_MAX_NODES) paramError(`more than ${EXP_MAX_NODES} nodes`);
    const kind = this.d.peek();
    if (kind !== 'array') return this.literal();
    if (this.depth >= EXP_MAX_DEPTH) paramError(`nested deeper than ${EXP_MAX_DEPTH}`);
    const n = this.d.arrayHeader();
    if (n === 0) paramError('empty op array');
    const code = this.d.uint();
    const compileOp = code < 128n ? this.ops[Number(code)] : undefined;
    if (!compileOp) paramError(`invalid op code ${code}`);
    this.depth++;
    try {
      return compileOp(this, n - 1, Number(code));
    } finally {
      this.depth--;
    }
  }

  /** Compiles the next expression and requires its static type to be one of `types`. */
  typed(what: string, ...types: ExpTypeCode[]): Node {
    const n = this.node();
    if (!types.includes(n.type)) paramError(`${what}: invalid arg type ${typeName(n.type)}`);
    return n;
  }

  private literal(): Node {
    const d = this.d;
    switch (d.peek()) {
      case 'nil':
        d.r.pos++;
        return constant(ExpType.NIL, null);
      case 'bool':
        return constant(ExpType.BOOL, d.bool());
      case 'int':
        return constant(ExpType.INT, d.int64());
      case 'float':
        return constant(ExpType.FLOAT, d.double());
      case 'bytes': {
        const raw = d.rawBytes();
        if (raw.length === 0) paramError('empty blob literal');
        const payload = Buffer.from(raw.subarray(1));
        switch (raw[0]) {
          case AS_BYTES_STRING:
            return constant(ExpType.STR, payload);
          case AS_BYTES_BLOB:
            return constant(ExpType.BLOB, payload);
          case AS_BYTES_HLL:
            return constant(ExpType.HLL, payload);
          case AS_BYTES_GEOJSON: {
            const json = payload.toString('utf8');
            const shape = parseGeoJson(json);
            if (!shape) paramError('invalid geojson');
            return constant(ExpType.GEO, new GeoValue(json, shape));
          }
          default:
            return paramError(`invalid blob type ${raw[0]}`);
        }
      }
      case 'map': {
        const v = d.value();
        if (!(v instanceof AsMap)) paramError('invalid map');
        return constant(ExpType.MAP, v);
      }
      case 'ext':
        return constant(ExpType.ANY, d.value());
      default:
        return paramError('invalid instruction');
    }
  }

  /** Looks a variable up through the enclosing lets. */
  findVar(name: string): VarEntry | undefined {
    for (let s = this.scopes.length - 1; s >= 0; s--) {
      for (const e of this.scopes[s]!) if (e.name === name) return e;
    }
    return undefined;
  }

  pushScope(): VarEntry[] {
    const scope: VarEntry[] = [];
    this.scopes.push(scope);
    return scope;
  }

  defineVar(scope: VarEntry[], name: string): VarEntry {
    const e: VarEntry = { name, slot: this.nextSlot++, type: undefined };
    scope.push(e);
    if (this.nextSlot > this.maxSlots) this.maxSlots = this.nextSlot;
    return e;
  }

  popScope(): void {
    const scope = this.scopes.pop()!;
    this.nextSlot -= scope.length;
  }
}

/** A literal node. */
export function constant(type: ExpTypeCode, value: RtValue): Node {
  return { type, ev: () => value, constant: { value } };
}

/** Requires an exact argument count. */
export function arity(argc: number, expected: number, name: string): void {
  if (argc !== expected) paramError(`${name}: expected ${expected} args found ${argc}`);
}

// ---- control ops -------------------------------------------------------------------------------

const compileUnknown: OpCompiler = (_cx, argc) => {
  arity(argc, 0, 'unknown');
  return { type: ExpType.BOOL, ev: () => UNKNOWN, unknownOp: true };
};

const compileRemoveResult: OpCompiler = (_cx, argc) => {
  arity(argc, 0, 'result_remove');
  return { type: ExpType.REMOVE, ev: () => REMOVE };
};

/** Type of a declared result type for builtin vars (Aerospike's build_get_entry). */
function entryType(t: bigint): ExpTypeCode {
  if (t < BigInt(ExpType.INPUT_END)) return Number(t) as ExpTypeCode;
  if (t === BigInt(ExpType.INPUT_END)) return ExpType.BOOL; // maps to the unknown op's entry
  if (t === BigInt(ExpType.REMOVE)) return ExpType.REMOVE;
  return paramError(`invalid result type ${t}`);
}

const compileVarBuiltin: OpCompiler = (cx, argc) => {
  arity(argc, 2, 'var_builtin');
  const type = cx.d.uint();
  const idx = cx.d.uint();
  if (idx >= 3n) paramError(`invalid builtin var ${idx}`);
  if (idx === 2n && type !== BigInt(ExpType.INT)) paramError('builtin index var must be int');
  // loop variables (key, value, index) only exist inside CDT select/apply; elsewhere unknown.
  // A value whose type is not the declared one is unknown too (server eval_var_builtin).
  const declared = entryType(type);
  const id = Number(idx);
  const ev: Ev = (c) => {
    const lv = c.loop;
    if (!lv) return UNKNOWN;
    if (id === 2) return lv.index === undefined || declared !== ExpType.INT ? UNKNOWN : BigInt(lv.index);
    const v = id === 0 ? lv.key : lv.value;
    if (v === undefined) return UNKNOWN;
    const r = asValueToRt(v);
    return r && r.type === declared ? r.rt : UNKNOWN;
  };
  return { type: declared, ev };
};

const compileCond: OpCompiler = (cx, argc) => {
  if (argc < 3) paramError(`cond: too few args ${argc}`);
  if (argc % 2 === 0) paramError('cond: requires default case');
  const nCases = (argc - 1) / 2;
  const conds: Ev[] = [];
  const branches: Ev[] = [];
  let type: ExpTypeCode | undefined;
  for (let i = 0; i < nCases; i++) {
    conds.push(cx.typed('cond condition', ExpType.BOOL).ev);
    const b = cx.node();
    if (!b.unknownOp) {
      type ??= b.type;
      if (b.type !== type) paramError(`cond: mismatched branch type at case ${i + 1}`);
    }
    branches.push(b.ev);
  }
  const def = cx.node();
  if (type === undefined) type = def.type;
  else if (!def.unknownOp && def.type !== type) paramError('cond: mismatched default type');
  if (type === ExpType.ANY) paramError('cond: untyped result');
  const defEv = def.ev;
  const ev: Ev = (c) => {
    for (let i = 0; i < nCases; i++) {
      const t = conds[i]!(c);
      if (t === UNKNOWN) return UNKNOWN;
      if (t === true) return branches[i]!(c);
    }
    return defEv(c);
  };
  return { type, ev };
};

function validVarName(name: Buffer): boolean {
  if (name.length === 0) return false;
  const isAlpha = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
  const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
  if (name[0] !== 0x5f && !isAlpha(name[0]!)) return false;
  for (let i = 1; i < name.length; i++) {
    const b = name[i]!;
    if (b !== 0x5f && !isAlpha(b) && !isDigit(b)) return false;
  }
  return true;
}

const compileLet: OpCompiler = (cx, argc) => {
  if (argc < 3) paramError(`let: too few args ${argc}`);
  if (argc % 2 === 0) paramError(`let: invalid arg count ${argc}`);
  const nVars = (argc - 1) / 2;
  const scope = cx.pushScope();
  const slots: number[] = [];
  const defs: Ev[] = [];
  for (let i = 0; i < nVars; i++) {
    const raw = cx.d.rawBytes();
    if (!validVarName(raw)) paramError(`let: illegal variable name '${raw.toString('latin1')}'`);
    const name = raw.toString('latin1');
    if (cx.findVar(name)) paramError(`let: duplicate variable name '${name}'`);
    const entry = cx.defineVar(scope, name);
    const def = cx.node();
    entry.type = def.type;
    slots.push(entry.slot);
    defs.push(def.ev);
  }
  const body = cx.node();
  cx.popScope();
  const bodyEv = body.ev;
  const ev: Ev =
    nVars === 1
      ? (c) => {
          c.vars[slots[0]!] = defs[0]!(c);
          return bodyEv(c);
        }
      : (c) => {
          for (let i = 0; i < nVars; i++) c.vars[slots[i]!] = defs[i]!(c);
          return bodyEv(c);
        };
  return { type: body.type, ev };
};

const compileVar: OpCompiler = (cx, argc) => {
  arity(argc, 1, 'var');
  const name = cx.d.rawBytes().toString('latin1');
  const entry = cx.findVar(name);
  if (!entry) paramError(`var: undefined variable '${name}'`);
  if (entry.type === undefined) paramError(`var: '${name}' used while defining it`);
  if (entry.type === ExpType.ANY) paramError(`var: '${name}' has no expression type`);
  const slot = entry.slot;
  return { type: entry.type, ev: (c: EvalCtx) => c.vars[slot] };
};

const compileQuote: OpCompiler = (cx, argc) => {
  arity(argc, 1, 'quote');
  if (cx.d.peek() !== 'array') paramError('quote: invalid list arg');
  const v: AsValue = cx.d.value();
  return constant(ExpType.LIST, v);
};

/** The control ops, by op code. */
export const CONTROL_OPS: Record<number, OpCompiler> = {
  [ExpOp.UNKNOWN]: compileUnknown,
  [ExpOp.REMOVE_RESULT]: compileRemoveResult,
  [ExpOp.VAR_BUILTIN]: compileVarBuiltin,
  [ExpOp.COND]: compileCond,
  [ExpOp.VAR]: compileVar,
  [ExpOp.LET]: compileLet,
  [ExpOp.QUOTE]: compileQuote,
};

/** Result of compiling a whole expression. */
export interface CompiledTree {
  root: Node;
  /** let-variable slots an evaluation needs */
  slots: number;
}

/**
 * Compiles a complete expression occupying all of `buf`. Throws AsError(PARAMETER) for anything
 * malformed or ill-typed, including a result that has no expression type.
 */
export function compileTree(buf: Buffer, ops: Record<number, OpCompiler>): CompiledTree {
  if (buf.length === 0) paramError('empty expression');
  if (buf.length > EXP_MAX_WIRE_BYTES) paramError('expression too large');
  const cx = new Compiler(buf, ops);
  let root: Node;
  try {
    root = cx.node();
  } catch (e) {
    if (e instanceof AsError) throw e;
    if (e instanceof RangeError) paramError('expression too deep');
    throw e;
  }
  if (!cx.d.done) paramError('trailing bytes after expression');
  if (root.type === ExpType.ANY) paramError('expression has no result type');
  return { root, slots: cx.maxSlots };
}
