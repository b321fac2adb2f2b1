/**
 * Record ops: metadata (64-74), the user key (80), bins (81, 82) and map keys / values (101, 102).
 *
 * Units as Aerospike reports them: LAST_UPDATE and VOID_TIME in nanoseconds since the Unix epoch
 * (VOID_TIME -1 when the record never expires), SINCE_UPDATE in milliseconds, TTL in seconds (-1
 * never expires, at least 1 otherwise). DIGEST_MODULO takes the digest's bytes 16..19 as a
 * little-endian u32.
 */
import { AsMap } from '../protocol/msgpack.js';
import { Particle } from '../protocol/particle.js';
import { arity, type Compiler, type OpCompiler } from './compile.js';
import { paramError } from './decode.js';
import { binToRt } from './values.js';
import { CITRUSLEAF_EPOCH_SECONDS, ExpOp, ExpType, UNKNOWN, type Ev, type EvalCtx, type ExpTypeCode } from './types.js';

const CL_EPOCH = BigInt(CITRUSLEAF_EPOCH_SECONDS);
/** Aerospike's bin-name limit (AS_BIN_NAME_MAX_SZ - 1). */
const MAX_BIN_NAME_BYTES = 15;

/** A non-negative size or time as bigint (tolerates fractional or bad inputs). */
const big = (n: number): bigint => (Number.isFinite(n) ? BigInt(Math.floor(n)) : 0n);

function meta(type: ExpTypeCode, f: (c: EvalCtx) => unknown): OpCompiler {
  return (_cx, argc, code) => {
    arity(argc, 0, `meta ${code}`);
    return { type, ev: f };
  };
}

/** Seconds since the Citrusleaf epoch for a Unix-ms clock. */
function clepochSeconds(nowMs: number): number {
  return Math.floor((Number.isFinite(nowMs) ? nowMs : 0) / 1000) - CITRUSLEAF_EPOCH_SECONDS;
}

/** `cf_server_void_time_to_ttl` as a signed 32-bit value. */
export function voidTimeToTtl(voidTime: number, nowMs: number): bigint {
  if (voidTime === 0) return -1n;
  const now = clepochSeconds(nowMs);
  const vt = Math.floor(voidTime);
  return BigInt(vt > now ? vt - now : 1);
}

const compileDigestModulo: OpCompiler = (cx, argc) => {
  arity(argc, 1, 'digest_modulo');
  const mod = Number(BigInt.asIntN(32, cx.d.int64()));
  if (mod === 0) paramError('digest_modulo: cannot modulo by zero');
  return {
    type: ExpType.INT,
    ev: (c) => {
      const d = c.rec.digest;
      if (d.length < 20) return UNKNOWN;
      return BigInt(d.readUInt32LE(16) % mod);
    },
  };
};

/** Reads and checks a bin name (raw string, at most 15 bytes, no NUL). */
function binName(cx: Compiler, what: string): string {
  const raw = cx.d.rawBytes();
  if (raw.length > MAX_BIN_NAME_BYTES || raw.includes(0)) paramError(`${what}: invalid bin name`);
  return raw.toString('utf8');
}

const compileKey: OpCompiler = (cx, argc) => {
  arity(argc, 1, 'key');
  const t = cx.d.uint();
  let particle: number;
  let type: ExpTypeCode;
  switch (t) {
    case 2n:
      particle = Particle.INTEGER;
      type = ExpType.INT;
      break;
    case 3n:
      particle = Particle.STRING;
      type = ExpType.STR;
      break;
    case 6n:
      particle = Particle.BLOB;
      type = ExpType.BLOB;
      break;
    default:
      return paramError(`key: invalid result type ${t}`);
  }
  const ev: Ev = (c) => {
    const k = c.rec.key;
    if (!k || k.type !== particle) return UNKNOWN;
    if (particle === Particle.INTEGER) return k.value.length === 8 ? k.value.readBigInt64BE(0) : UNKNOWN;
    return k.value;
  };
  return { type, ev };
};

const compileBin: OpCompiler = (cx, argc) => {
  arity(argc, 2, 'bin');
  const t = cx.d.uint();
  if (t >= BigInt(ExpType.INPUT_END)) paramError(`bin: invalid type ${t}`);
  const type = Number(t) as ExpTypeCode;
  const name = binName(cx, 'bin');
  let ev: Ev;
  switch (type) {
    case ExpType.INT:
      ev = (c) => {
        const b = c.rec.getBin(name);
        return b !== undefined && b.type === Particle.INTEGER && b.value.length === 8 ? b.value.readBigInt64BE(0) : UNKNOWN;
      };
      break;
    case ExpType.NIL:
      ev = () => UNKNOWN; // no live bin has particle type NULL
      break;
    default:
      ev = (c) => {
        const b = c.rec.getBin(name);
        return b === undefined ? UNKNOWN : binToRt(b, type);
      };
  }
  return { type, ev };
};

const compileBinType: OpCompiler = (cx, argc) => {
  arity(argc, 1, 'bin_type');
  const name = binName(cx, 'bin_type');
  return {
    type: ExpType.INT,
    ev: (c) => BigInt(c.rec.getBin(name)?.type ?? Particle.NULL),
  };
};

const mapKv =
  (values: boolean): OpCompiler =>
  (cx, argc) => {
    arity(argc, 1, values ? 'map_values' : 'map_keys');
    const A = cx.node().ev;
    return {
      type: ExpType.LIST,
      ev: (c) => {
        const m = A(c);
        if (!(m instanceof AsMap)) return UNKNOWN;
        return m.entries.map((e) => (values ? e[1] : e[0]));
      },
    };
  };

/** The record ops, by op code. */
export const META_OPS: Record<number, OpCompiler> = {
  [ExpOp.DIGEST_MODULO]: compileDigestModulo,
  [ExpOp.DEVICE_SIZE]: meta(ExpType.INT, (c) => big(c.rec.deviceSizeBytes)),
  [ExpOp.LAST_UPDATE]: meta(ExpType.INT, (c) => big(c.rec.lastUpdateMs) * 1000000n),
  [ExpOp.SINCE_UPDATE]: meta(ExpType.INT, (c) => {
    const d = big(c.env.nowMs) - big(c.rec.lastUpdateMs);
    return d > 0n ? d : 0n;
  }),
  [ExpOp.VOID_TIME]: meta(ExpType.INT, (c) => (c.rec.voidTime === 0 ? -1n : (big(c.rec.voidTime) + CL_EPOCH) * 1000000000n)),
  [ExpOp.TTL]: meta(ExpType.INT, (c) => voidTimeToTtl(c.rec.voidTime, c.env.nowMs)),
  [ExpOp.SET_NAME]: meta(ExpType.STR, (c) => Buffer.from(c.rec.setName, 'utf8')),
  [ExpOp.KEY_EXISTS]: meta(ExpType.BOOL, (c) => c.rec.key !== undefined),
  [ExpOp.IS_TOMBSTONE]: meta(ExpType.BOOL, (c) => c.rec.isTombstone),
  [ExpOp.MEMORY_SIZE]: meta(ExpType.INT, (c) => big(c.rec.memorySizeBytes)),
  [ExpOp.RECORD_SIZE]: meta(ExpType.INT, (c) => big(c.rec.recordSizeBytes)),
  [ExpOp.KEY]: compileKey,
  [ExpOp.BIN]: compileBin,
  [ExpOp.BIN_TYPE]: compileBinType,
  [ExpOp.MAP_KEYS]: mapKv(false),
  [ExpOp.MAP_VALUES]: mapKv(true),
};
