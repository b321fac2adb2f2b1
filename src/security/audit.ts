/**
 * The audit trail (`security { log { report-… } }`): one line per reported event in the log's
 * `audit` context, so every log sink whose level for `audit` is info or finer gets it (files,
 * console, syslog). Aerospike EE's line:
 *
 *   `permitted | client: 127.0.0.1:47692 | authenticated user: user1 | action: login | detail: user=user1`
 *
 * What is reported: successful logins and authentications (report-authentication), user/role
 * administration (report-user-admin), info commands that need an admin privilege
 * (report-sys-admin), every refusal (report-violation), and successful data transactions in the
 * namespaces/sets, or of the users/roles, named by report-data-op(-role/-user).
 */
import type { SecurityLogConfig } from '../config/model.js';
import { FieldType, type AsMsg } from '../protocol/message.js';
import { fieldBytes, fieldText } from '../protocol/request.js';
import { Priv, SecResult as R } from './codes.js';
import type { Privilege } from './store.js';

/** Longest detail written (a long info command or key is cut there). */
export const AUDIT_DETAIL_MAX_BYTES = 1024;

/**
 * The result as the line starts with. Aerospike's published examples show permitted, not
 * authenticated, authentication failed (password) and role violation; the others name their code.
 */
export function auditResultText(code: number): string {
  switch (code) {
    case R.OK:
      return 'permitted';
    case R.NOT_AUTHENTICATED:
      return 'not authenticated';
    case R.ROLE_VIOLATION:
      return 'role violation';
    case R.INVALID_CREDENTIAL:
      return 'authentication failed (password)';
    case R.INVALID_USER:
      return 'authentication failed (user)';
    case R.EXPIRED_SESSION:
      return 'authentication failed (session expired)';
    case R.NOT_WHITELISTED:
      return 'not whitelisted';
    case R.QUOTA_EXCEEDED:
      return 'quota exceeded';
    default:
      return `failed (result ${code})`;
  }
}

/** Privilege letter codes of the audit trail: r, rw, rwf, w for data, d, s, u for the global admin ones. */
const PRIV_LETTERS: ReadonlyMap<number, string> = new Map([
  [Priv.USER_ADMIN, 'u'],
  [Priv.SYS_ADMIN, 's'],
  [Priv.DATA_ADMIN, 'd'],
  [Priv.UDF_ADMIN, 'udf-admin'],
  [Priv.SINDEX_ADMIN, 'sindex-admin'],
  [Priv.READ, 'r'],
  [Priv.READ_WRITE, 'rw'],
  [Priv.READ_WRITE_UDF, 'rwf'],
  [Priv.WRITE, 'w'],
  [Priv.TRUNCATE, 'truncate'],
]);

/** `r{test|setA},u` */
export function privilegesDetail(privs: readonly Privilege[]): string {
  return privs
    .map((p) => {
      const letters = PRIV_LETTERS.get(p.code) ?? String(p.code);
      return p.code >= Priv.READ ? `${letters}{${p.ns}${p.set !== '' ? `|${p.set}` : ''}}` : letters;
    })
    .join(',');
}

/** `{ns|set} [S|key]` (a stored key: S string, I integer, B bytes in hex pairs) or `[D|digest]`. */
export function recordDetail(msg: AsMsg): string {
  const ns = fieldText(msg, FieldType.NAMESPACE) ?? '';
  const set = fieldText(msg, FieldType.SET) ?? '';
  const key = fieldBytes(msg, FieldType.KEY);
  let k: string;
  if (key && key.length >= 1 && key[0] === 3) k = `S|${key.toString('utf8', 1)}`;
  else if (key && key.length === 9 && key[0] === 1) k = `I|${key.readBigInt64BE(1)}`;
  else if (key && key.length >= 1 && key[0] === 4) k = `B|${[...key.subarray(1)].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ')}`;
  else k = `D|${fieldBytes(msg, FieldType.DIGEST)?.toString('hex') ?? ''}`;
  return `{${ns}|${set}} [${k}]`;
}

/** Who did it: the connection's client address and user (undefined: not authenticated). */
export interface AuditWho {
  /** `address:port` */
  readonly remote: string;
  readonly user: string | undefined;
}

export type AuditKind = 'authentication' | 'user-admin' | 'sys-admin' | 'data';

export class Audit {
  constructor(
    private readonly cfg: SecurityLogConfig,
    /** writes one line (the log's `audit` context at info) */
    private readonly sink: (line: string) => void,
  ) {}

  /** True when a line of this kind and result would be written (callers skip building details otherwise). */
  wants(kind: AuditKind, result: number): boolean {
    if (result !== R.OK) return this.cfg.reportViolation;
    switch (kind) {
      case 'authentication':
        return this.cfg.reportAuthentication;
      case 'user-admin':
        return this.cfg.reportUserAdmin;
      case 'sys-admin':
        return this.cfg.reportSysAdmin;
      case 'data':
        return this.cfg.reportDataOp.length + this.cfg.reportDataOpRole.length + this.cfg.reportDataOpUser.length > 0;
    }
  }

  /**
   * A successful data transaction is reported when its namespace/set, its user or one of the
   * user's roles is named by a report-data-op line.
   */
  wantsData(ns: string, set: string, user: string | undefined, roles: readonly string[]): boolean {
    for (const s of this.cfg.reportDataOp) if (s.ns === ns && (s.set === '' || s.set === set)) return true;
    if (user !== undefined && this.cfg.reportDataOpUser.includes(user)) return true;
    return roles.some((r) => this.cfg.reportDataOpRole.includes(r));
  }

  /** Writes the line (the caller decided it is wanted). */
  write(result: number, who: AuditWho, action: string, detail: string | undefined): void {
    let d = detail === undefined || detail === '' ? '<none>' : detail;
    if (Buffer.byteLength(d) > AUDIT_DETAIL_MAX_BYTES) d = Buffer.from(d).subarray(0, AUDIT_DETAIL_MAX_BYTES).toString('utf8');
    this.sink(`${auditResultText(result)} | client: ${who.remote} | authenticated user: ${who.user ?? '<none>'} | action: ${action} | detail: ${d}`);
  }

  /** Reports an event of `kind` when the config asks for it. */
  report(kind: AuditKind, result: number, who: AuditWho, action: string, detail: () => string | undefined): void {
    if (this.wants(kind, result)) this.write(result, who, action, detail());
  }
}
