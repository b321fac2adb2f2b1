/**
 * CALL (op 127, §10.5): `[127, result_type, system, payload, bin_expr]` runs a CDT (system 0),
 * bit (1) or HLL (2) op on the value of `bin_expr`. With flag 0x40 (MODIFY_LOCAL) the op is a
 * modify op and the expression's value is the modified copy (no bin is written); otherwise it is
 * the op's result. The payload is `[code, args...]` or `[0xff, ctx, [code, args...]]`; arguments
 * that are arrays are sub-expressions evaluated first, the others are literals.
 *
 * Unknown (as in Aerospike's `eval_call`): an unknown argument or bin value, an op that fails, or a
 * value whose type is not the declared result type.
 */
import type { AsValue } from '../protocol/msgpack.js';
import { Particle } from '../protocol/particle.js';
import { callEngines } from './call-engines.js';
import { arity, type Compiler, type OpCompiler } from './compile.js';
import { paramError } from './decode.js';
import { EXP_MAX_CALL_EVAL_ARGS, ExpOp, ExpType, REMOVE, UNKNOWN, type Ev, type ExpTypeCode, type RtValue } from './types.js';
import { asValueToRt, particleToRt, rtToAsValue } from './values.js';

export const CallSystem = {
  CDT: 0,
  BITS: 1,
  HLL: 2,
  MODIFY_LOCAL: 0x40,
} as const;

const CDT_OP_CONTEXT_EVAL = 0xff;
const CDT_OP_SELECT = 0xfe;

type Arg = { literal: AsValue } | { ev: Ev; type: ExpTypeCode };

interface Payload {
  code: number;
  /** select/apply (0xfe): the payload's wire bytes, run as a wire CDT op */
  wire?: Buffer;
  ctx: AsValue[] | null;
  /** the context was not a list: the op cannot run */
  badCtx: boolean;
  args: Arg[];
}

function parsePayload(cx: Compiler): Payload {
  const d = cx.d;
  if (d.peek() !== 'array') paramError('call: payload is not a list');
  const payloadStart = d.pos;
  let n = d.arrayHeader();
  if (n === 0) paramError('call: empty payload');
  let code = d.uint();
  let ctx: AsValue[] | null = null;
  let badCtx = false;
  const args: Arg[] = [];
  if (code === BigInt(CDT_OP_CONTEXT_EVAL)) {
    if (n !== 3) paramError('call: context payload needs 3 elements');
    const c = d.value();
    if (Array.isArray(c)) ctx = c;
    else badCtx = true;
    n = d.arrayHeader();
    if (n === 0) paramError('call: empty op in context payload');
    code = d.uint();
  } else if (code === BigInt(CDT_OP_SELECT)) {
    // the server checks the shape here and hands the raw payload to the CDT engine at run time
    if (n < 3 || n > 4) paramError('call: invalid select payload');
    if (d.peek() !== 'array') paramError('call: select context is not a list');
    d.skip();
    d.uint();
    if (n === 4) d.skip();
    return { code: CDT_OP_SELECT, wire: d.buf.subarray(payloadStart, d.pos), ctx, badCtx, args };
  }
  if (code > 0xffffn) paramError(`call: invalid op code ${code}`);
  let evalArgs = 0;
  for (let i = 1; i < n; i++) {
    const kind = d.peek();
    if (kind === 'array') {
      if (++evalArgs > EXP_MAX_CALL_EVAL_ARGS) paramError('call: too many evaluated arguments');
      const node = cx.node();
      args.push({ ev: node.ev, type: node.type });
    } else if (kind === 'invalid') paramError('call: invalid argument');
    else args.push({ literal: d.value() });
  }
  return { code: Number(code), ctx, badCtx, args };
}

/** Result of a CALL as the run-time value of the declared type, or UNKNOWN. */
function typedResult(v: AsValue | undefined, rtype: ExpTypeCode): RtValue {
  const r = asValueToRt(v);
  return r && r.type === rtype ? r.rt : UNKNOWN;
}

const compileCall: OpCompiler = (cx, argc) => {
  arity(argc, 4, 'call');
  const rt = cx.d.uint();
  if (rt >= BigInt(ExpType.INPUT_END)) paramError(`call: invalid result type ${rt}`);
  const rtype = Number(rt) as ExpTypeCode;
  const sys = cx.d.uint();
  const base = sys & ~BigInt(CallSystem.MODIFY_LOCAL);
  if (base !== 0n && base !== 1n && base !== 2n) paramError(`call: invalid system ${sys}`);
  const system = Number(base);
  const modify = (sys & BigInt(CallSystem.MODIFY_LOCAL)) !== 0n;
  const payload = parsePayload(cx);
  const bin = cx.node();
  if (bin.type !== ExpType.NIL) {
    const want = system === CallSystem.CDT ? [ExpType.LIST, ExpType.MAP] : system === CallSystem.HLL ? [ExpType.HLL] : [ExpType.BLOB];
    if (!(want as number[]).includes(bin.type)) paramError(`call: bin arg type ${bin.type} does not suit system ${system}`);
  }
  const { code, ctx, badCtx, args, wire } = payload;
  const nArgs = args.length;
  const binEv = bin.ev;
  const particleType = system === CallSystem.HLL ? Particle.HLL : Particle.BLOB;

  const ev: Ev = (c) => {
    if (badCtx) return UNKNOWN;
    const values: AsValue[] = new Array(nArgs);
    for (let i = 0; i < nArgs; i++) {
      const a = args[i]!;
      if ('literal' in a) values[i] = a.literal;
      else {
        const v = rtToAsValue(a.type, a.ev(c));
        if (v === UNKNOWN) return UNKNOWN;
        values[i] = v;
      }
    }
    const b = binEv(c);
    if (b === UNKNOWN || b === REMOVE) return UNKNOWN;
    try {
      if (system === CallSystem.CDT) {
        const engine = callEngines.cdt;
        if (!engine) return UNKNOWN;
        const current = b === null ? undefined : (b as AsValue);
        if (wire) {
          const wireEngine = callEngines.cdtWire;
          if (!wireEngine) return UNKNOWN;
          const out = wireEngine(current, wire, modify);
          return typedResult(modify ? (out.newValue ?? current) : out.result, rtype);
        }
        const out = engine(current, code, values, ctx, modify);
        return typedResult(modify ? (out.newValue ?? current) : out.result, rtype);
      }
      const engine = system === CallSystem.HLL ? callEngines.hll : callEngines.bits;
      if (!engine) return UNKNOWN;
      const current = b === null ? undefined : { type: particleType, value: b as Buffer };
      const out = engine(current, code, values, modify);
      if (!modify) return typedResult(out.result, rtype);
      const p = out.newBin ?? current;
      if (!p) return rtype === ExpType.NIL ? null : UNKNOWN;
      const r = particleToRt(p);
      return r && r.type === rtype ? r.rt : UNKNOWN;
    } catch {
      // the op failed (AsError) or the engine misbehaved: Aerospike's ret != AS_OK
      return UNKNOWN;
    }
  };
  return { type: rtype, ev };
};

/** CALL, by op code. */
export const CALL_OPS: Record<number, OpCompiler> = {
  [ExpOp.CALL]: compileCall,
};
