/**
 * Op argument tables and parsing (server: cdt_op_table and cdt_process_state_get_params). Each op
 * has a fixed argument list, the trailing `opt` ones optional; too few or too many arguments, or an
 * argument of the wrong msgpack type, is PARAMETER (4).
 */
import type { AsValue } from '../protocol/msgpack.js';
import { badParam, ListOp as L, MapOp as M, UINT32_MAX } from './constants.js';
import { hasNonStorage } from './normalize.js';

/** I: signed index, C: unsigned count, F: unsigned flags/return type, P: any value, S: storable value. */
export type ParamKind = 'I' | 'C' | 'F' | 'P' | 'S';

interface OpSpec {
  opt: number;
  kinds: ParamKind[];
}

const spec = (opt: number, ...kinds: ParamKind[]): OpSpec => ({ opt, kinds });

const TABLE = new Map<number, OpSpec>([
  [L.SET_TYPE, spec(0, 'F')],
  [L.APPEND, spec(2, 'S', 'F', 'F')],
  [L.APPEND_ITEMS, spec(2, 'S', 'F', 'F')],
  [L.INSERT, spec(1, 'I', 'S', 'F')],
  [L.INSERT_ITEMS, spec(1, 'I', 'S', 'F')],
  [L.POP, spec(0, 'I')],
  [L.POP_RANGE, spec(1, 'I', 'C')],
  [L.REMOVE, spec(0, 'I')],
  [L.REMOVE_RANGE, spec(1, 'I', 'C')],
  [L.SET, spec(1, 'I', 'S', 'F')],
  [L.TRIM, spec(0, 'I', 'C')],
  [L.CLEAR, spec(0)],
  [L.INCREMENT, spec(3, 'I', 'P', 'F', 'F')],
  [L.SORT, spec(1, 'F')],
  [L.SIZE, spec(0)],
  [L.GET, spec(0, 'I')],
  [L.GET_RANGE, spec(1, 'I', 'C')],
  [L.GET_BY_INDEX, spec(0, 'F', 'I')],
  [L.GET_BY_VALUE, spec(0, 'F', 'P')],
  [L.GET_BY_RANK, spec(0, 'F', 'I')],
  [L.GET_ALL_BY_VALUE, spec(0, 'F', 'P')],
  [L.GET_ALL_BY_VALUE_LIST, spec(0, 'F', 'P')],
  [L.GET_BY_INDEX_RANGE, spec(1, 'F', 'I', 'C')],
  [L.GET_BY_VALUE_INTERVAL, spec(1, 'F', 'P', 'P')],
  [L.GET_BY_RANK_RANGE, spec(1, 'F', 'I', 'C')],
  [L.GET_BY_VALUE_REL_RANK_RANGE, spec(1, 'F', 'P', 'I', 'C')],
  [L.REMOVE_BY_INDEX, spec(0, 'F', 'I')],
  [L.REMOVE_BY_VALUE, spec(0, 'F', 'P')],
  [L.REMOVE_BY_RANK, spec(0, 'F', 'I')],
  [L.REMOVE_ALL_BY_VALUE, spec(0, 'F', 'P')],
  [L.REMOVE_ALL_BY_VALUE_LIST, spec(0, 'F', 'P')],
  [L.REMOVE_BY_INDEX_RANGE, spec(1, 'F', 'I', 'C')],
  [L.REMOVE_BY_VALUE_INTERVAL, spec(1, 'F', 'P', 'P')],
  [L.REMOVE_BY_RANK_RANGE, spec(1, 'F', 'I', 'C')],
  [L.REMOVE_BY_VALUE_REL_RANK_RANGE, spec(1, 'F', 'P', 'I', 'C')],

  [M.SET_TYPE, spec(0, 'F')],
  [M.ADD, spec(1, 'S', 'S', 'F')],
  [M.ADD_ITEMS, spec(1, 'S', 'F')],
  [M.PUT, spec(2, 'S', 'S', 'F', 'F')],
  [M.PUT_ITEMS, spec(2, 'S', 'F', 'F')],
  [M.REPLACE, spec(0, 'S', 'S')],
  [M.REPLACE_ITEMS, spec(0, 'S')],
  [M.INCREMENT, spec(2, 'P', 'P', 'F')],
  [M.DECREMENT, spec(2, 'P', 'P', 'F')],
  [M.CLEAR, spec(0)],
  [M.REMOVE_BY_KEY, spec(0, 'I', 'P')],
  [M.REMOVE_BY_VALUE, spec(0, 'I', 'P')],
  [M.REMOVE_BY_INDEX, spec(0, 'I', 'I')],
  [M.REMOVE_BY_RANK, spec(0, 'I', 'I')],
  [M.REMOVE_BY_KEY_LIST, spec(0, 'I', 'P')],
  [M.REMOVE_ALL_BY_VALUE, spec(0, 'I', 'P')],
  [M.REMOVE_BY_VALUE_LIST, spec(0, 'I', 'P')],
  [M.REMOVE_BY_KEY_INTERVAL, spec(1, 'I', 'P', 'P')],
  [M.REMOVE_BY_INDEX_RANGE, spec(1, 'I', 'I', 'C')],
  [M.REMOVE_BY_VALUE_INTERVAL, spec(1, 'I', 'P', 'P')],
  [M.REMOVE_BY_RANK_RANGE, spec(1, 'I', 'I', 'C')],
  [M.REMOVE_BY_KEY_REL_INDEX_RANGE, spec(1, 'I', 'P', 'I', 'C')],
  [M.REMOVE_BY_VALUE_REL_RANK_RANGE, spec(1, 'I', 'P', 'I', 'C')],
  [M.SIZE, spec(0)],
  [M.GET_BY_KEY, spec(0, 'I', 'P')],
  [M.GET_BY_INDEX, spec(0, 'I', 'I')],
  [M.GET_BY_VALUE, spec(0, 'I', 'P')],
  [M.GET_BY_RANK, spec(0, 'I', 'I')],
  [M.GET_ALL_BY_VALUE, spec(0, 'I', 'P')],
  [M.GET_BY_KEY_INTERVAL, spec(1, 'I', 'P', 'P')],
  [M.GET_BY_INDEX_RANGE, spec(1, 'I', 'I', 'C')],
  [M.GET_BY_VALUE_INTERVAL, spec(1, 'I', 'P', 'P')],
  [M.GET_BY_RANK_RANGE, spec(1, 'I', 'I', 'C')],
  [M.GET_BY_KEY_LIST, spec(0, 'I', 'P')],
  [M.GET_BY_VALUE_LIST, spec(0, 'I', 'P')],
  [M.GET_BY_KEY_REL_INDEX_RANGE, spec(1, 'I', 'P', 'I', 'C')],
  [M.GET_BY_VALUE_REL_RANK_RANGE, spec(1, 'I', 'P', 'I', 'C')],
]);

/**
 * Where an op's arguments come from: the wire payload (read lazily, as the server does) or an
 * already-decoded array (expressions).
 */
export interface ArgSource {
  /** number of arguments after the op code */
  readonly count: number;
  /** next argument as an integer, or null when it is not an integer; throws on malformed input */
  nextInt(): bigint | null;
  /** next argument as a value; throws on malformed input */
  nextValue(): AsValue;
  /** a WILDCARD/INF was seen earlier in the payload (the server's flag is sticky) */
  nonStorageSeen: boolean;
}

/** An argument source over a decoded array. */
export class ArrayArgs implements ArgSource {
  private pos = 0;
  nonStorageSeen = false;
  constructor(private readonly args: AsValue[]) {}

  get count(): number {
    return this.args.length;
  }

  nextInt(): bigint | null {
    const v = this.args[this.pos++];
    return typeof v === 'bigint' ? v : null;
  }

  nextValue(): AsValue {
    if (this.pos >= this.args.length) badParam('missing argument');
    return this.args[this.pos++]!;
  }
}

export type Param = AsValue | undefined;

/** Parsed arguments of one op; absent optional arguments take the server's defaults. */
export class Params {
  constructor(private readonly values: Param[]) {}

  /** signed or unsigned integer argument */
  int(i: number): bigint {
    return this.values[i] as bigint;
  }

  /** value argument; undefined when an optional payload was omitted */
  value(i: number): AsValue | undefined {
    return this.values[i];
  }

  /** value argument that must be present */
  req(i: number): AsValue {
    return this.values[i] as AsValue;
  }
}

/** Reads the arguments of op `code` from `src`; throws PARAMETER when they do not fit the table. */
export function parseParams(code: number, src: ArgSource): Params {
  const s = TABLE.get(code);
  if (!s) badParam(`unknown cdt op ${code}`);
  const values: Param[] = [];
  if (s.kinds.length === 0) return new Params(values);
  const required = s.kinds.length - s.opt;
  if (src.count < required || src.count > s.kinds.length) badParam('argument count');
  for (let i = 0; i < s.kinds.length; i++) {
    const kind = s.kinds[i]!;
    if (i >= src.count) {
      values.push(kind === 'C' ? UINT32_MAX : kind === 'F' ? 0n : undefined);
      continue;
    }
    switch (kind) {
      case 'I': {
        const v = src.nextInt();
        if (v === null) badParam('expected an integer argument');
        values.push(BigInt.asIntN(64, v));
        break;
      }
      case 'C':
      case 'F': {
        const v = src.nextInt();
        if (v === null) badParam('expected an integer argument');
        values.push(BigInt.asUintN(64, v));
        break;
      }
      case 'P':
      case 'S': {
        const v = src.nextValue();
        if (hasNonStorage(v)) src.nonStorageSeen = true;
        if (kind === 'S' && src.nonStorageSeen) badParam('argument is not storable');
        values.push(v);
        break;
      }
    }
  }
  return new Params(values);
}
