/**
 * Where requests meet privileges with security on: one check per request kind. A data message
 * (single record, batch, scan/query) needs a permission on its namespace and set; an info command
 * needs the admin privilege Aerospike asks for it; quotas count each user's reads and writes per
 * second.
 */
import { FieldType, type AsMsg } from '../protocol/message.js';
import { fieldText, keyedKind, type RequestKind } from '../protocol/request.js';
import { decodeScanRequest, UdfOp, type ScanRequest } from '../protocol/scan-request.js';
import { SecResult as R } from './codes.js';
import { Perm, permits, type Effective, type SecurityStore } from './store.js';
import type { AdminHandler, ConnectionAuth } from './admin.js';
import type { Clock } from '../util/clock.js';
import { recordDetail, type Audit } from './audit.js';

/** A client connection as the checks see it. */
export interface SecuredConnection {
  /** the authenticated user; undefined before a login */
  readonly auth: ConnectionAuth | undefined;
  /** client `address:port` (audit lines) */
  readonly remote: string;
}

/**
 * Info commands that need more than an authenticated user, with the permission they need
 * (Aerospike's info permission table: sys-admin for configuration and jobs, data-admin's parts
 * for truncation, UDF modules and secondary indexes).
 */
const INFO_PERMS: ReadonlyMap<string, number> = new Map([
  ['set-config', Perm.SYS_ADMIN],
  ['config-set', Perm.SYS_ADMIN],
  ['log-set', Perm.SYS_ADMIN],
  ['set-log', Perm.SYS_ADMIN],
  ['recluster', Perm.SYS_ADMIN],
  ['revive', Perm.SYS_ADMIN],
  ['quiesce', Perm.SYS_ADMIN],
  ['quiesce-undo', Perm.SYS_ADMIN],
  ['tip', Perm.SYS_ADMIN],
  ['tip-clear', Perm.SYS_ADMIN],
  ['query-abort', Perm.SYS_ADMIN],
  ['query-abort-all', Perm.SYS_ADMIN],
  ['scan-abort', Perm.SYS_ADMIN],
  ['scan-abort-all', Perm.SYS_ADMIN],
  ['truncate', Perm.TRUNCATE],
  ['truncate-namespace', Perm.TRUNCATE],
  ['truncate-undo', Perm.TRUNCATE],
  ['truncate-namespace-undo', Perm.TRUNCATE],
  ['udf-put', Perm.UDF_ADMIN],
  ['udf-remove', Perm.UDF_ADMIN],
  ['udf-clear-cache', Perm.UDF_ADMIN],
  ['sindex-create', Perm.SINDEX_ADMIN],
  ['sindex-delete', Perm.SINDEX_ADMIN],
]);

/** The permission each of those commands needs, as Aerospike's error names it. */
const INFO_PERM_NAMES: ReadonlyMap<string, string> = new Map([
  ['set-config', 'set-config'],
  ['config-set', 'set-config'],
  ['log-set', 'logging-ctrl'],
  ['set-log', 'logging-ctrl'],
  ['recluster', 'service-ctrl'],
  ['revive', 'service-ctrl'],
  ['quiesce', 'service-ctrl'],
  ['quiesce-undo', 'service-ctrl'],
  ['tip', 'service-ctrl'],
  ['tip-clear', 'service-ctrl'],
  ['query-abort', 'query-admin'],
  ['query-abort-all', 'query-admin'],
  ['scan-abort', 'query-admin'],
  ['scan-abort-all', 'query-admin'],
  ['truncate', 'truncate'],
  ['truncate-namespace', 'truncate'],
  ['truncate-undo', 'truncate'],
  ['truncate-namespace-undo', 'truncate'],
  ['udf-put', 'udf-admin'],
  ['udf-remove', 'udf-admin'],
  ['udf-clear-cache', 'udf-admin'],
  ['sindex-create', 'sindex-admin'],
  ['sindex-delete', 'sindex-admin'],
]);

interface RateCount {
  second: number;
  reads: number;
  writes: number;
  /** the last complete second's counts (queryUsers' TPS) */
  lastReads: number;
  lastWrites: number;
}

/** Scan/query jobs whose user is remembered (oldest forgotten first). */
export const JOB_OWNERS_MAX = 4096;

/** A scan/query job as the per-user load sees it. */
export interface JobView {
  readonly trid: bigint;
  /** records-per-second limit, 0 = none */
  readonly rps: number;
  readonly done: boolean;
}

export class NodeSecurity {
  private readonly rates = new Map<string, RateCount>();
  /** which user started each scan/query job (by its trid) */
  private readonly jobOwners = new Map<bigint, { user: string; write: boolean }>();
  /** run when the node stops (timers such as the LDAP role poll) */
  readonly closers: (() => void)[] = [];
  /** the node's scan/query jobs (set by the node; none when unset) */
  jobs: (() => Iterable<JobView>) | undefined;

  constructor(
    readonly store: SecurityStore,
    readonly admin: AdminHandler,
    private readonly clock: Clock,
    private readonly enableQuotas: boolean,
    /** the audit trail (security { log { } }); undefined = nothing reported */
    private readonly audit?: Audit | undefined,
  ) {}

  /**
   * Result code for a data message on `conn` (0 = allowed). A batch only needs an authenticated
   * user here: each of its rows is checked on its own by {@link checkRow}, as Aerospike checks
   * every batch sub-transaction and answers a refused one on its row.
   */
  checkData(conn: SecuredConnection, msg: AsMsg, kind: RequestKind, scan?: ScanRequest): number {
    const auth = conn.auth;
    const eff = auth ? this.store.effectiveOf(auth.user) : undefined;
    // a scan/query comes decoded by the dispatcher; decoded here only when a caller has none
    const req = kind === 'scan' ? (scan ?? decodeScanRequest(msg)) : undefined;
    if (!auth || !eff) return this.refused(conn, R.NOT_AUTHENTICATED, kind === 'batch' ? 'batch' : dataAction(kind, req), msg, kind);
    if (kind === 'batch') return 0;
    let perm: number;
    if (req) {
      // a background job writes (operations) or runs a UDF on every record; a plain scan/query reads
      const background = req.udfOp === UdfOp.BACKGROUND;
      if (background) perm = req.udf.filename !== undefined ? Perm.UDF : Perm.WRITE;
      else perm = (msg.info2 & 1) !== 0 ? Perm.WRITE : Perm.READ;
      const code = this.decide(conn, auth.user, eff, msg, kind, perm, req);
      if (code === 0 && typeof req.trid === 'bigint') this.ownJob(req.trid, auth.user, background || perm !== Perm.READ);
      return code;
    } else perm = permOf(kind);
    return this.decide(conn, auth.user, eff, msg, kind, perm);
  }

  /** Remembers whose scan/query job `trid` is (queryUsers' scan/query load per user). */
  private ownJob(trid: bigint, user: string, write: boolean): void {
    this.jobOwners.delete(trid);
    this.jobOwners.set(trid, { user, write });
    if (this.jobOwners.size > JOB_OWNERS_MAX) this.jobOwners.delete(this.jobOwners.keys().next().value!);
  }

  /**
   * The user's running scans/queries, as Aerospike's queryUsers reports them in read-info and
   * write-info: [records-per-second summed over its rps-limited jobs, count of its limitless jobs]
   * for reads (plain scans/queries) and for writes (background jobs, write-op queries).
   */
  scanLoadOf(user: string): { read: [number, number]; write: [number, number] } {
    const out = { read: [0, 0] as [number, number], write: [0, 0] as [number, number] };
    for (const job of this.jobs?.() ?? []) {
      if (job.done) continue;
      const owner = this.jobOwners.get(job.trid);
      if (owner?.user !== user) continue;
      const side = owner.write ? out.write : out.read;
      if (job.rps > 0) side[0] += job.rps;
      else side[1]++;
    }
    return out;
  }

  /** Result code for one batch row on `conn` (0 = allowed): its privilege, then the user's quota. */
  checkRow(conn: SecuredConnection, row: AsMsg): number {
    const auth = conn.auth;
    const eff = auth ? this.store.effectiveOf(auth.user) : undefined;
    const kind = keyedKind(row);
    if (!auth || !eff) return this.refused(conn, R.NOT_AUTHENTICATED, kind, row, kind);
    return this.decide(conn, auth.user, eff, row, kind, permOf(kind));
  }

  private decide(conn: SecuredConnection, user: string, eff: Effective, msg: AsMsg, kind: RequestKind, perm: number, req?: ScanRequest): number {
    let code = this.permitted(eff, msg, perm);
    if (code === 0 && kind !== 'scan') code = perm === Perm.READ ? this.quota(user, eff, 1, 0) : this.quota(user, eff, 0, 1);
    const audit = this.audit;
    if (!audit) return code;
    if (code !== 0) return this.refused(conn, code, dataAction(kind, req), msg, kind);
    if (audit.wants('data', 0)) {
      const ns = fieldText(msg, FieldType.NAMESPACE) ?? '';
      const set = fieldText(msg, FieldType.SET) ?? '';
      if (audit.wantsData(ns, set, user, this.store.users.get(user)?.roles ?? [])) {
        audit.write(0, { remote: conn.remote, user }, dataAction(kind, req), kind === 'scan' ? scopeDetail(msg) : recordDetail(msg));
      }
    }
    return 0;
  }

  /** Reports a refused data request (report-violation) and answers its code. */
  private refused(conn: SecuredConnection, code: number, action: string, msg: AsMsg, kind: RequestKind): number {
    this.audit?.report('data', code, { remote: conn.remote, user: conn.auth?.user }, action, () => (kind === 'scan' || kind === 'batch' ? scopeDetail(msg) : recordDetail(msg)));
    return code;
  }

  private permitted(eff: Effective, msg: AsMsg, perm: number): number {
    const ns = fieldText(msg, FieldType.NAMESPACE) ?? '';
    const set = fieldText(msg, FieldType.SET) ?? '';
    return permits(eff, perm, ns, set) ? 0 : R.ROLE_VIOLATION;
  }

  /** Counts reads/writes against the user's quotas (records per second, when quotas are on). */
  private quota(user: string, eff: Effective, reads: number, writes: number): number {
    const second = Math.floor(this.clock.nowMs() / 1000);
    let r = this.rates.get(user);
    if (!r) this.rates.set(user, (r = { second, reads: 0, writes: 0, lastReads: 0, lastWrites: 0 }));
    if (r.second !== second) {
      r.lastReads = r.second === second - 1 ? r.reads : 0;
      r.lastWrites = r.second === second - 1 ? r.writes : 0;
      r.second = second;
      r.reads = 0;
      r.writes = 0;
    }
    if (this.enableQuotas) {
      if (reads && eff.readQuota && r.reads + reads > eff.readQuota) return R.QUOTA_EXCEEDED;
      if (writes && eff.writeQuota && r.writes + writes > eff.writeQuota) return R.QUOTA_EXCEEDED;
    }
    r.reads += reads;
    r.writes += writes;
    return 0;
  }

  /** The user's [read, write] TPS over the last complete second. */
  ratesOf(user: string): [number, number] {
    const r = this.rates.get(user);
    if (!r) return [0, 0];
    const second = Math.floor(this.clock.nowMs() / 1000);
    if (r.second === second) return [r.lastReads, r.lastWrites];
    return r.second === second - 1 ? [r.reads, r.writes] : [0, 0];
  }

  /**
   * The answer to an info request on a connection that is not logged in (or whose user was
   * dropped), undefined when it is: Aerospike answers every info request so, before any command.
   */
  checkInfoRequest(conn: SecuredConnection): string | undefined {
    const auth = conn.auth;
    if (auth && this.store.effectiveOf(auth.user)) return undefined;
    this.audit?.report('authentication', R.NOT_AUTHENTICATED, { remote: conn.remote, user: auth?.user }, 'info request', () => undefined);
    return `ERROR:${R.NOT_AUTHENTICATED}:not authenticated`;
  }

  /**
   * Reports a refusal made outside the request paths (the http endpoint's `/metrics` and console
   * record browser) to the audit trail, when `report-violation` asks for refusals.
   */
  reportRefusal(who: SecuredConnection, action: string, code: number, detail?: string): void {
    this.audit?.report('sys-admin', code, { remote: who.remote, user: who.auth?.user }, action, () => detail);
  }

  /**
   * Error line for an info command `conn` may not run, undefined when it may. `text` is the
   * command as sent (`name:params`); what follows the colon is the audit line's detail.
   */
  checkInfo(conn: SecuredConnection, command: string, params: ReadonlyMap<string, string>, text: string): string | undefined {
    // the connection is logged in (checkInfoRequest): most commands need nothing more
    const perm = INFO_PERMS.get(command);
    if (perm === undefined) return undefined;
    const auth = conn.auth;
    const eff = auth ? this.store.effectiveOf(auth.user) : undefined;
    let code: number = R.OK;
    if (!auth || !eff) code = R.NOT_AUTHENTICATED;
    else {
      // truncation may be scoped: the namespace (and set) it names
      const ns = params.get('namespace') ?? '';
      const set = params.get('set') ?? '';
      if (!permits(eff, perm, perm === Perm.TRUNCATE ? ns : '', perm === Perm.TRUNCATE ? set : '')) code = R.ROLE_VIOLATION;
    }
    this.audit?.report('sys-admin', code, { remote: conn.remote, user: auth?.user }, command, () => {
      const colon = text.indexOf(':');
      return colon < 0 ? undefined : text.slice(colon + 1);
    });
    if (code === R.NOT_AUTHENTICATED) return 'ERROR:80:not authenticated';
    return code === R.ROLE_VIOLATION ? `ERROR:81:role violation - requires permission '${INFO_PERM_NAMES.get(command) ?? 'set-config'}'` : undefined;
  }
}

/** The audit trail's action: read, write, delete, udf, or the kind of scan/query. */
function dataAction(kind: RequestKind, req: ScanRequest | undefined): string {
  if (req === undefined) return kind;
  if (req.udfOp === UdfOp.BACKGROUND) return req.udf.filename !== undefined ? 'udf query' : 'ops query';
  return 'query';
}

/** `{ns|set}` of a scan/query or batch. */
function scopeDetail(msg: AsMsg): string {
  return `{${fieldText(msg, FieldType.NAMESPACE) ?? ''}|${fieldText(msg, FieldType.SET) ?? ''}}`;
}

function permOf(kind: string): number {
  if (kind === 'read') return Perm.READ;
  if (kind === 'udf') return Perm.UDF;
  return Perm.WRITE;
}
