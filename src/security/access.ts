/**
 * Where requests meet privileges with security on: one check per request kind. A data message
 * (single record, batch, scan/query) needs a permission on its namespace and set; an info command
 * needs the admin privilege Aerospike asks for it; quotas count each user's reads and writes per
 * second.
 */
import { FieldType, type AsMsg } from '../protocol/message.js';
import { fieldText, type RequestKind } from '../protocol/request.js';
import { parseBatchRequest } from '../protocol/batch-request.js';
import { decodeScanRequest, UdfOp } from '../protocol/scan-request.js';
import type { NamespaceLookup } from '../transaction/keyed-request.js';
import { SecResult as R } from './codes.js';
import { Perm, permits, type Effective, type SecurityStore } from './store.js';
import type { AdminHandler, ConnectionAuth } from './admin.js';
import type { Clock } from '../util/clock.js';

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

interface RateCount {
  second: number;
  reads: number;
  writes: number;
  /** the last complete second's counts (queryUsers' TPS) */
  lastReads: number;
  lastWrites: number;
}

export class NodeSecurity {
  private readonly rates = new Map<string, RateCount>();

  constructor(
    readonly store: SecurityStore,
    readonly admin: AdminHandler,
    private readonly node: NamespaceLookup,
    private readonly clock: Clock,
    private readonly enableQuotas: boolean,
  ) {}

  /** Result code for a data message from `auth` (0 = allowed). */
  checkData(auth: ConnectionAuth | undefined, msg: AsMsg, kind: RequestKind): number {
    if (!auth) return R.NOT_AUTHENTICATED;
    const eff = this.store.effectiveOf(auth.user);
    if (!eff) return R.NOT_AUTHENTICATED;
    if (kind === 'batch') {
      let request;
      try {
        request = parseBatchRequest(msg, this.node, 0);
      } catch {
        return 0; // the batch handler answers the malformed batch itself
      }
      let reads = 0;
      let writes = 0;
      for (const row of request.rows) {
        const k = row.kind;
        const code = this.permitted(eff, row.msg, permOf(k));
        if (code) return code;
        if (k === 'read') reads++;
        else writes++;
      }
      return this.quota(auth.user, eff, reads, writes);
    }
    let perm: number;
    if (kind === 'scan') {
      // a background job writes (operations) or runs a UDF on every record; a plain scan/query reads
      const req = decodeScanRequest(msg);
      if (req.udfOp === UdfOp.BACKGROUND) perm = req.udf.filename !== undefined ? Perm.UDF : Perm.WRITE;
      else perm = (msg.info2 & 1) !== 0 ? Perm.WRITE : Perm.READ;
    } else perm = permOf(kind);
    const code = this.permitted(eff, msg, perm);
    if (code) return code;
    if (kind === 'scan') return 0;
    return perm === Perm.READ ? this.quota(auth.user, eff, 1, 0) : this.quota(auth.user, eff, 0, 1);
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

  /** Error line for an info command `auth` (undefined: not authenticated) may not run, undefined when it may. */
  checkInfo(auth: ConnectionAuth | undefined, command: string, params: ReadonlyMap<string, string>): string | undefined {
    // commands that need no privilege run on any connection: the clients' cluster tending and
    // info-to-host calls do not authenticate their info sockets
    const perm = INFO_PERMS.get(command);
    if (perm === undefined) return undefined;
    if (!auth) return 'ERROR:80:not authenticated';
    const eff = this.store.effectiveOf(auth.user);
    if (!eff) return 'ERROR:80:not authenticated';
    // truncation may be scoped: the namespace (and set) it names
    const ns = params.get('namespace') ?? '';
    const set = params.get('set') ?? '';
    return permits(eff, perm, perm === Perm.TRUNCATE ? ns : '', perm === Perm.TRUNCATE ? set : '') ? undefined : 'ERROR:81:role violation';
  }
}

function permOf(kind: string): number {
  if (kind === 'read') return Perm.READ;
  if (kind === 'udf') return Perm.UDF;
  return Perm.WRITE;
}
