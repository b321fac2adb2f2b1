/**
 * The filter expression asbackup sends (backup_status.c): several sets become
 * `set_name() == s1 or ...`, --modified-after/-before compare last_update(), --no-ttl-only keeps
 * records whose ttl() is -1, all joined with `and`. Encoded per protocol reference §10.
 */
import { pack, type AsValue } from '../../protocol/msgpack.js';

const EXP = { EQ: 1n, GE: 4n, LT: 5n, AND: 16n, OR: 17n, LAST_UPDATE: 66n, TTL: 69n, SET_NAME: 70n } as const;

export interface FilterParts {
  /** set names, used when there are two or more (one set goes in the scan's set field) */
  sets: string[];
  modifiedAfterNs?: bigint;
  modifiedBeforeNs?: bigint;
  noTtlOnly: boolean;
}

/** The compiled expression, or undefined when nothing needs filtering. */
export function buildFilter(p: FilterParts): Buffer | undefined {
  const terms: AsValue[] = [];
  if (p.sets.length > 1) terms.push([EXP.OR, ...p.sets.map((s): AsValue => [EXP.EQ, [EXP.SET_NAME], s])]);
  if (p.modifiedBeforeNs !== undefined) terms.push([EXP.LT, [EXP.LAST_UPDATE], p.modifiedBeforeNs]);
  if (p.modifiedAfterNs !== undefined) terms.push([EXP.GE, [EXP.LAST_UPDATE], p.modifiedAfterNs]);
  if (p.noTtlOnly) terms.push([EXP.EQ, [EXP.TTL], -1n]);
  if (terms.length === 0) return undefined;
  return pack(terms.length === 1 ? terms[0]! : [EXP.AND, ...terms]);
}
