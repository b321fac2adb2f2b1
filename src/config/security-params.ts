/**
 * The `security { }` stanza (Aerospike EE's, implemented in Strato's free edition): its three
 * parameter tables (security, `log { }`, `ldap { }`) and its get-config rendering. set-config
 * names the sub-stanzas' parameters `log.<name>` / `ldap.<name>` (their `dynamicKey`). The file parser
 * and set-config:context=security both use these tables, so they cannot disagree.
 */
import type { LdapConfig, SecurityConfig, SecurityLogConfig } from './model.js';
import type { Binding, RenderedPair } from './param-spec.js';
import { boolParam, choiceParam, customScalarParam, fieldsOf, ParamTable, secondsParam, stringParam, uintParam } from './param-spec.js';
import { parseBool } from './values.js';

/** `tps-weight`: Aerospike EE's bounds and default. */
export const TPS_WEIGHT_MIN = 2;
export const TPS_WEIGHT_MAX = 20;

const sec = fieldsOf<SecurityConfig>();
/** The `security { }` parameters (Aerospike EE's names, bounds and dynamic flags), in get-config order. */
export const SECURITY_PARAMS = new ParamTable<SecurityConfig>([
  boolParam('enable-quotas', sec('enableQuotas')),
  secondsParam('privilege-refresh-period', sec('privilegeRefreshPeriod'), { min: 10, max: 86400, dynamic: true }),
  secondsParam('session-ttl', sec('sessionTtl'), { min: 120, max: 864000, dynamic: true }),
  uintParam('tps-weight', sec('tpsWeight'), { min: TPS_WEIGHT_MIN, max: TPS_WEIGHT_MAX, dynamic: true }),
  // Aerospike's get-config does not show it
  stringParam('default-password-file', sec('defaultPasswordFile'), { maxBytes: 4095, hidden: true }),
]);

/**
 * A security report flag: `true`/`false` in any case, in files and in set-config (Aerospike's
 * security set-config compares without case, unlike the other contexts').
 */
const reportFlag = (key: string, bind: Binding<SecurityLogConfig, boolean>) =>
  customScalarParam(key, bind, (t) => parseBool(t), { dynamic: true, dynamicKey: `log.${key}` });

const secLog = fieldsOf<SecurityLogConfig>();
/** The `security { log { } }` flags (Aerospike EE's names); report-data-op lines are parsed apart. */
export const SECURITY_LOG_PARAMS = new ParamTable<SecurityLogConfig>([
  reportFlag('report-authentication', secLog('reportAuthentication')),
  reportFlag('report-sys-admin', secLog('reportSysAdmin')),
  reportFlag('report-user-admin', secLog('reportUserAdmin')),
  reportFlag('report-violation', secLog('reportViolation')),
]);

/** Most report-data-op / -role / -user entries together (each is checked against every data transaction). */
export const SECURITY_LOG_SCOPES_MAX = 64;

/** Longest user, role, namespace or set name in a report-data-op entry (bytes; Aerospike's 63). */
export const SECURITY_LOG_NAME_MAX = 63;

const ldapF = fieldsOf<LdapConfig>();
/** An unset ldap string shows as `null` in get-config, as Aerospike shows it. */
const orNull = (v: string | undefined) => (v ? v : 'null');
/** The `security { ldap { } }` parameters (Aerospike EE's names and bounds), in get-config order. */
export const LDAP_PARAMS = new ParamTable<LdapConfig>([
  boolParam('disable-tls', ldapF('disableTls')),
  uintParam('login-threads', ldapF('loginThreads'), { min: 1, max: 64 }),
  secondsParam('polling-period', ldapF('pollingPeriod'), { min: 0, max: 86400, dynamic: true, dynamicKey: 'ldap.polling-period' }),
  stringParam('query-base-dn', ldapF('queryBaseDn'), { maxBytes: 4095, renderValue: orNull }),
  stringParam('query-user-dn', ldapF('queryUserDn'), { maxBytes: 4095, renderValue: orNull }),
  stringParam('query-user-password-file', ldapF('queryUserPasswordFile'), { maxBytes: 4095, renderValue: orNull }),
  stringParam('role-query-base-dn', ldapF('roleQueryBaseDn'), { maxBytes: 4095, renderValue: orNull }),
  // role-query-pattern lines are parsed apart (repeatable) and shown here
  boolParam('role-query-search-ou', ldapF('roleQuerySearchOu')),
  // several servers: comma-separated without spaces (Aerospike's form), tried in order
  stringParam('server', ldapF('server'), { maxBytes: 4095, renderValue: orNull, check: (v) => (v.split(',').every((u) => /^ldaps?:\/\/./.test(u)) ? undefined : `must be an ldap:// or ldaps:// URL (several: comma-separated), got ${v}`) }),
  stringParam('tls-ca-file', ldapF('tlsCaFile'), { maxBytes: 4095, renderValue: orNull }),
  choiceParam('token-hash-method', ldapF('tokenHashMethod'), ['sha-256', 'sha-512'] as const),
  stringParam('user-dn-pattern', ldapF('userDnPattern'), { maxBytes: 4095, renderValue: orNull }),
  stringParam('user-query-pattern', ldapF('userQueryPattern'), { maxBytes: 4095, renderValue: orNull }),
]);

/** A new `security { ldap { } }` with Aerospike EE's defaults (server, DNs and patterns unset). */
export function newLdapConfig(): LdapConfig {
  return {
    server: '',
    queryBaseDn: '',
    userDnPattern: '',
    queryUserDn: '',
    queryUserPasswordFile: '',
    userQueryPattern: '',
    roleQueryBaseDn: '',
    roleQueryPatterns: [],
    roleQuerySearchOu: false,
    pollingPeriod: 300,
    disableTls: false,
    tlsCaFile: '',
    loginThreads: 8,
    tokenHashMethod: 'sha-256',
  };
}

/** A new `security { }` with Aerospike EE's defaults. */
export function newSecurityConfig(): SecurityConfig {
  return {
    sessionTtl: 86400,
    privilegeRefreshPeriod: 300,
    tpsWeight: TPS_WEIGHT_MIN,
    enableQuotas: false,
    defaultPasswordFile: '',
    log: { reportAuthentication: false, reportUserAdmin: false, reportSysAdmin: false, reportViolation: false, reportDataOp: [], reportDataOpRole: [], reportDataOpUser: [] },
  };
}

const prefixed = (prefix: string, pairs: readonly RenderedPair[]): RenderedPair[] => pairs.map(([k, v]) => [prefix + k, v] as const);

/** `key[i]=value` pairs, as Aerospike lists its name lists. */
const indexed = (key: string, values: readonly string[]): RenderedPair[] => values.map((v, i) => [`${key}[${i}]`, v] as const);

/** Byte order, as Aerospike keeps its sorted name lists (strcmp). */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * The report-data-op scopes as Aerospike shows them: namespaces in config order, a whole
 * namespace as `ns` (its sets then being implied), else each set as `ns|set`.
 */
export function dataOpScopes(log: SecurityLogConfig, namespaceOrder: readonly string[]): string[] {
  const out: string[] = [];
  for (const ns of namespaceOrder) {
    const scopes = log.reportDataOp.filter((s) => s.ns === ns);
    if (scopes.some((s) => s.set === '')) out.push(ns);
    else for (const s of scopes) out.push(`${ns}|${s.set}`);
  }
  return out;
}

/**
 * get-config:context=security pairs, in Aerospike EE's order: the security parameters, `ldap.*`
 * when LDAP is configured (unset strings `null`), then `log.*`.
 */
export function securityPairs(cfg: SecurityConfig, namespaceOrder: readonly string[]): RenderedPair[] {
  const out: RenderedPair[] = [...SECURITY_PARAMS.render(cfg)];
  const ldap = cfg.ldap;
  if (ldap) {
    for (const [k, v] of LDAP_PARAMS.render(ldap)) {
      if (k === 'role-query-search-ou') for (const p of ldap.roleQueryPatterns) out.push(['ldap.role-query-pattern', p]);
      out.push([`ldap.${k}`, v]);
    }
  }
  const log = cfg.log;
  const flags = new Map(SECURITY_LOG_PARAMS.render(log));
  out.push(
    ...prefixed('log.', [
      ['report-authentication', flags.get('report-authentication')!],
      ...indexed('report-data-op', dataOpScopes(log, namespaceOrder)),
      ...indexed('report-data-op-role', [...log.reportDataOpRole].sort(byBytes)),
      ...indexed('report-data-op-user', [...log.reportDataOpUser].sort(byBytes)),
      ['report-sys-admin', flags.get('report-sys-admin')!],
      ['report-user-admin', flags.get('report-user-admin')!],
      ['report-violation', flags.get('report-violation')!],
    ]),
  );
  return out;
}
