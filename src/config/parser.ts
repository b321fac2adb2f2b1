/**
 * Reads an `aerospike.conf`-format file into a `StratoConfig`, refusing anything Aerospike 8.1
 * would refuse (plus a few stricter checks, e.g. duplicated parameters) with a
 * `ConfigError` reading `<file>:<line>: <reason>`.
 */
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { ConfigError } from './errors.js';
import { lexConfig, type Stanza } from './lexer.js';
import { LIMITS, type ModLuaConfig, type NetworkConfig, type SecurityConfig, type SecurityLogConfig, type LdapConfig, type StratoConfig, type TlsConfig } from './model.js';
import {
  NETWORK_ADMIN_PARAMS,
  NETWORK_FABRIC_PARAMS,
  NETWORK_HEARTBEAT_PARAMS,
  NETWORK_INFO_PARAMS,
  NETWORK_HTTP_PARAMS,
  NETWORK_SERVICE_PARAMS,
  checkTlsName,
} from './network-params.js';
import { newTlsConfig, TLS_PARAMS } from './tls-params.js';
import { boolParam, fieldsOf, ParamTable, stringParam } from './param-spec.js';
import { LDAP_PARAMS, newLdapConfig, newSecurityConfig, SECURITY_LOG_NAME_MAX, SECURITY_LOG_PARAMS, SECURITY_LOG_SCOPES_MAX, SECURITY_PARAMS } from './security-params.js';
import { ParseContext, type ConfigWarning } from './parse-context.js';
import { parseLogging } from './parse-logging.js';
import { checkName, parseNamespace } from './parse-namespace.js';
import { SERVICE_PARAMS } from './service-params.js';
import { newDefaultLogging, newEmptyConfig } from './stanza-defaults.js';
import { checkNamespace, checkNetwork } from './validate.js';

const ml = fieldsOf<ModLuaConfig>();
export const MOD_LUA_PARAMS = new ParamTable<ModLuaConfig>([
  boolParam('cache-enabled', ml('cacheEnabled')),
  // 8.1.2: true lets UDFs load Lua's unsafe libraries; Strato's Lua sandbox offers none either way
  boolParam('allow-unsafe-lua', ml('allowUnsafeLua')),
  stringParam('user-path', ml('userPath'), { maxBytes: 255 }),
]);

export { SECURITY_LOG_SCOPES_MAX } from './security-params.js';

/**
 * @param onScope called with each report-data-op namespace and its line: the namespaces are
 *   checked once the whole file is read (they may come after the security stanza)
 */
function parseSecurityLog(ctx: ParseContext, log: SecurityLogConfig, stanza: Stanza, onScope: (ns: string, line: number) => void): void {
  ctx.applyParams(SECURITY_LOG_PARAMS, log, stanza, 'security log', (sub) => {
    if (sub.kind !== 'param') return false;
    const k = sub.key;
    if (k !== 'report-data-op' && k !== 'report-data-op-role' && k !== 'report-data-op-user') return false;
    const want = k === 'report-data-op' ? '<namespace> [<set>]' : k === 'report-data-op-role' ? '<role>' : '<user>';
    const n = sub.values.length;
    if (n < 1 || n > (k === 'report-data-op' ? 2 : 1)) throw ctx.error(sub.line, `'${k}' takes ${want}`);
    if (sub.values.some((v) => v === '' || Buffer.byteLength(v) > SECURITY_LOG_NAME_MAX)) throw ctx.error(sub.line, `'${k}' names must be 1..${SECURITY_LOG_NAME_MAX} bytes`);
    if (log.reportDataOp.length + log.reportDataOpRole.length + log.reportDataOpUser.length >= SECURITY_LOG_SCOPES_MAX) {
      throw ctx.error(sub.line, `at most ${SECURITY_LOG_SCOPES_MAX} report-data-op lines`);
    }
    if (k === 'report-data-op') {
      // the same set name rules as namespaces' sets (set-config checks them alike)
      const badSet = sub.values[1] !== undefined ? checkName(sub.values[1], 'set') : undefined;
      if (badSet !== undefined) throw ctx.error(sub.line, badSet);
      onScope(sub.values[0]!, sub.line);
      log.reportDataOp.push({ ns: sub.values[0]!, set: sub.values[1] ?? '' });
    }
    else if (k === 'report-data-op-role') log.reportDataOpRole.push(sub.values[0]!);
    else log.reportDataOpUser.push(sub.values[0]!);
    return true;
  });
}

/** Most role-query-pattern lines (Aerospike's MAX_ROLE_QUERY_PATTERNS). */
export const LDAP_ROLE_QUERY_PATTERNS_MAX = 64;

function parseLdap(ctx: ParseContext, stanza: Stanza): LdapConfig {
  const ldap: LdapConfig = newLdapConfig();
  ctx.applyParams(LDAP_PARAMS, ldap, stanza, 'security ldap', (sub) => {
    if (sub.kind !== 'param' || sub.key !== 'role-query-pattern') return false;
    if (sub.values.length !== 1 || sub.values[0] === '') throw ctx.error(sub.line, `'role-query-pattern' takes one filter (no spaces)`);
    if (ldap.roleQueryPatterns.length >= LDAP_ROLE_QUERY_PATTERNS_MAX) throw ctx.error(sub.line, `at most ${LDAP_ROLE_QUERY_PATTERNS_MAX} role-query-pattern lines`);
    ldap.roleQueryPatterns.push(sub.values[0]!);
    return true;
  });
  const missing = (what: string) => ctx.error(stanza.line, `security ldap needs ${what}`);
  if (ldap.server === '') throw missing("'server'");
  if (ldap.queryBaseDn === '') throw missing("'query-base-dn'");
  if (ldap.userDnPattern === '' && (ldap.queryUserDn === '' || ldap.userQueryPattern === '')) {
    throw missing("'user-dn-pattern', or 'query-user-dn' with 'user-query-pattern'");
  }
  if (ldap.queryUserDn !== '' && ldap.queryUserPasswordFile === '') throw missing("'query-user-password-file' with 'query-user-dn'");
  if (ldap.roleQueryPatterns.length === 0 && !ldap.roleQuerySearchOu) throw missing("'role-query-pattern' (or role-query-search-ou true)");
  if (!ldap.disableTls && ldap.tlsCaFile === '') throw missing("'tls-ca-file' unless 'disable-tls' is true");
  return ldap;
}

const TOP_LEVEL = ['service', 'logging', 'network', 'namespace', 'mod-lua', 'security'];

function parseNetwork(ctx: ParseContext, net: NetworkConfig, stanza: Stanza): void {
  ctx.noArgs(stanza);
  const seen = new Map<string, number>();
  for (const item of stanza.items) {
    if (item.kind === 'param') throw ctx.unknownParam(item, 'network');
    if (item.name === 'tls') {
      net.tls.push(parseTls(ctx, net, item));
      continue;
    }
    const prev = seen.get(item.name);
    if (prev !== undefined) throw ctx.error(item.line, `'${item.name}' stanza is already configured at line ${prev}`);
    seen.set(item.name, item.line);
    ctx.noArgs(item);
    switch (item.name) {
      case 'service':
        ctx.applyParams(NETWORK_SERVICE_PARAMS, net.service, item, 'network service');
        break;
      case 'heartbeat':
        ctx.applyParams(NETWORK_HEARTBEAT_PARAMS, net.heartbeat, item, 'network heartbeat');
        break;
      case 'fabric':
        ctx.applyParams(NETWORK_FABRIC_PARAMS, net.fabric, item, 'network fabric');
        break;
      case 'admin':
        ctx.applyParams(NETWORK_ADMIN_PARAMS, net.admin, item, 'network admin');
        // Aerospike 8.1's schema: a clear port, or a TLS port with its tls-name
        if (net.admin.port === 0 && net.admin.tlsPort === 0) throw ctx.error(item.line, "network 'admin' stanza must configure 'port' or 'tls-port'");
        break;
      case 'http': {
        // Strato extension: the metrics endpoint (Aerospike runs a separate exporter for it)
        const http = { address: '127.0.0.1', port: 9145, tlsAuthenticateClient: [] as string[] };
        ctx.applyParams(NETWORK_HTTP_PARAMS, http, item, 'network http');
        net.http = http;
        break;
      }
      case 'info': {
        const info = { port: 3003 };
        ctx.applyParams(NETWORK_INFO_PARAMS, info, item, 'network info');
        net.info = info;
        break;
      }
      default:
        throw ctx.unknownStanza(item, 'the network stanza');
    }
  }
}

/** `tls <name> { }`: one named TLS context (Aerospike EE); names are unique. */
function parseTls(ctx: ParseContext, net: NetworkConfig, stanza: Stanza): TlsConfig {
  if (stanza.args.length !== 1) {
    throw ctx.error(stanza.line, stanza.args.length === 0 ? 'tls stanza needs a name' : `tls takes one name, got '${stanza.args.join(' ')}'`);
  }
  const name = stanza.args[0]!;
  const bad = checkTlsName(name);
  if (bad !== undefined) throw ctx.error(stanza.line, `tls name ${bad}`);
  const prev = net.tls.find((t) => t.name === name);
  if (prev) throw ctx.error(stanza.line, `tls '${name}' is already configured at line ${prev.source.line}`);
  const tls = newTlsConfig(name, ctx.fileName, stanza.line);
  ctx.applyParams(TLS_PARAMS, tls, stanza, `tls ${name}`);
  for (const item of stanza.items) if (item.kind === 'param') tls.source.keyLines[item.key] ??= item.line;
  return tls;
}

/** Names Aerospike EE substitutes in `tls <name>` and `tls-name`: the machine's host name, the cluster name. */
export const TLS_NAME_SUBSTITUTIONS = ['<hostname>', '<cluster-name>'] as const;

/**
 * Aerospike EE's TLS name substitution: a `tls` stanza name or a `tls-name` that is exactly
 * `<hostname>` becomes the machine's host name (`os.hostname()`, the hostname system call), one
 * that is `<cluster-name>` the service `cluster-name`. Done before the stanzas are matched, so
 * `tls <hostname> { }` and `tls-name <hostname>` find each other, and the node presents (and
 * advertises in `peers-tls-std`) the substituted name.
 */
function resolveTlsNames(ctx: ParseContext, cfg: StratoConfig, host: string): void {
  const net = cfg.network;
  const resolve = (name: string, line: number): string => {
    if (name === '<hostname>') {
      if (checkTlsName(host) !== undefined) throw ctx.error(line, `<hostname> is '${host}', which is not usable as a TLS name`);
      return host;
    }
    if (name === '<cluster-name>') return cfg.service.clusterName;
    return name;
  };
  for (const tls of net.tls) {
    tls.name = resolve(tls.name, tls.source.line);
    const twin = net.tls.find((t) => t !== tls && t.name === tls.name);
    if (twin) throw ctx.error(Math.max(tls.source.line, twin.source.line), `tls '${tls.name}' is configured twice (after <hostname> / <cluster-name> substitution)`);
  }
  for (const target of [net.service, net.admin, net.heartbeat, net.fabric, ...(net.http ? [net.http] : [])]) {
    if (target.tlsName !== undefined) target.tlsName = resolve(target.tlsName, ctx.book.lineOf(target, 'tls-name') ?? 1);
  }
}

/**
 * The TLS names the service, fabric and heartbeat use must name a `tls` stanza holding what that
 * listener needs: a certificate and key, and CAs where peers' certificates are verified.
 */
function checkTlsUse(ctx: ParseContext, cfg: StratoConfig): void {
  const net = cfg.network;
  resolveTlsNames(ctx, cfg, hostname());
  const uses: { label: string; target: object; port: number; name: string | undefined; verifiesPeers: boolean }[] = [
    {
      label: 'service',
      target: net.service,
      port: net.service.tlsPort,
      name: net.service.tlsName,
      verifiesPeers: net.service.tlsAuthenticateClient[0] !== 'false',
    },
    {
      label: 'admin',
      target: net.admin,
      port: net.admin.tlsPort,
      name: net.admin.tlsName,
      verifiesPeers: net.admin.tlsAuthenticateClient[0] !== 'false',
    },
    { label: 'fabric', target: net.fabric, port: net.fabric.tlsPort, name: net.fabric.tlsName, verifiesPeers: true },
    { label: 'heartbeat', target: net.heartbeat, port: net.heartbeat.tlsPort, name: net.heartbeat.tlsName, verifiesPeers: true },
  ];
  for (const u of uses) {
    const line = (key: string) => ctx.book.lineOf(u.target, key) ?? ctx.book.lineOfProblem({ reason: '', target: u.target });
    if (u.port === 0) {
      if (u.name !== undefined) throw ctx.error(line('tls-name'), `${u.label} 'tls-name' needs 'tls-port'`);
      continue;
    }
    if (u.name === undefined) throw ctx.error(line('tls-port'), `${u.label} 'tls-port' needs 'tls-name'`);
    const tls = net.tls.find((t) => t.name === u.name);
    if (!tls) throw ctx.error(line('tls-name'), `${u.label} 'tls-name' ${u.name} names no 'tls' stanza`);
    if (tls.certFile === undefined || tls.keyFile === undefined) {
      throw ctx.error(tls.source.line, `tls '${tls.name}' needs 'cert-file' and 'key-file' (the ${u.label} TLS port uses it)`);
    }
    if (u.verifiesPeers && tls.caFile === undefined && tls.caPath === undefined) {
      const why = u.label === 'service' || u.label === 'admin' ? "'tls-authenticate-client' is not false" : 'nodes verify each other';
      throw ctx.error(tls.source.line, `tls '${tls.name}' needs 'ca-file' or 'ca-path' (${u.label}: ${why})`);
    }
  }
  const hb = net.heartbeat;
  if (hb.tlsPort !== 0 && hb.meshSeeds.length > 0) {
    throw ctx.error(ctx.book.lineOf(hb, 'mesh-seed-address-port') ?? 1, "heartbeats go over TLS ('tls-port'): seeds are 'tls-mesh-seed-address-port' lines");
  }
  if (hb.tlsPort === 0 && hb.tlsMeshSeeds.length > 0) {
    throw ctx.error(ctx.book.lineOf(hb, 'tls-mesh-seed-address-port') ?? 1, "'tls-mesh-seed-address-port' needs heartbeat 'tls-port'");
  }
  const http = net.http;
  if (http?.tlsName !== undefined) {
    // the endpoint has one port: with a tls-name it speaks HTTPS there (no client certificates asked)
    const at = ctx.book.lineOf(http, 'tls-name') ?? 1;
    const tls = net.tls.find((t) => t.name === http.tlsName);
    if (!tls) throw ctx.error(at, `http 'tls-name' ${http.tlsName} names no 'tls' stanza`);
    if (tls.certFile === undefined || tls.keyFile === undefined) {
      throw ctx.error(tls.source.line, `tls '${tls.name}' needs 'cert-file' and 'key-file' (the http endpoint uses it)`);
    }
    const verifies = http.tlsAuthenticateClient.length > 0 && http.tlsAuthenticateClient[0] !== 'false';
    if (verifies && tls.caFile === undefined && tls.caPath === undefined) {
      throw ctx.error(tls.source.line, `tls '${tls.name}' needs 'ca-file' or 'ca-path' (http: 'tls-authenticate-client' is not false)`);
    }
  } else if (http && http.tlsAuthenticateClient.length > 0) {
    throw ctx.error(ctx.book.lineOf(http, 'tls-authenticate-client') ?? 1, "http 'tls-authenticate-client' needs 'tls-name'");
  }
  for (const [label, target] of [['service', net.service], ['admin', net.admin]] as const) {
    if (target.tlsPort === 0 && target.tlsAuthenticateClient.length > 0) {
      throw ctx.error(ctx.book.lineOf(target, 'tls-authenticate-client') ?? 1, `'tls-authenticate-client' needs ${label} 'tls-port'`);
    }
  }
}

/**
 * Parses config text.
 * @param fileName used only in error messages (`<fileName>:<line>: ...`)
 * @param onWarning called once per accepted line Aerospike 8.1 would refuse (a deprecated spelling)
 * @throws ConfigError for any syntax, value or cross-field error; never anything else
 */
export function parseConfig(text: string, fileName: string, onWarning?: (w: ConfigWarning) => void): StratoConfig {
  if (text.length > LIMITS.maxConfigFileBytes) {
    throw new ConfigError(fileName, 1, `config file is larger than ${LIMITS.maxConfigFileBytes} bytes`);
  }
  const tree = lexConfig(text, fileName);
  const ctx = new ParseContext(fileName, tree.lineCount);
  const cfg = newEmptyConfig();
  const topLines = new Map<string, number>();
  const nsLines = new Map<string, number>();
  const dataOpScopes: { ns: string; line: number }[] = [];
  let loggingSeen = false;

  for (const item of tree.items) {
    if (item.kind === 'param') {
      throw ctx.error(item.line, `'${item.key}' must be inside a stanza (${TOP_LEVEL.join(', ')})`);
    }
    if (item.name === 'xdr') throw ctx.error(item.line, `'${item.name}' is enterprise-only`);
    if (!TOP_LEVEL.includes(item.name)) throw ctx.unknownStanza(item, 'the top level');
    if (item.name !== 'namespace') {
      const prev = topLines.get(item.name);
      if (prev !== undefined) throw ctx.error(item.line, `'${item.name}' stanza is already configured at line ${prev}`);
      topLines.set(item.name, item.line);
    }
    switch (item.name) {
      case 'service':
        ctx.noArgs(item);
        ctx.applyParams(SERVICE_PARAMS, cfg.service, item, 'service');
        break;
      case 'logging':
        cfg.logging = parseLogging(ctx, item);
        loggingSeen = true;
        break;
      case 'network':
        parseNetwork(ctx, cfg.network, item);
        break;
      case 'security': {
        ctx.noArgs(item);
        const security: SecurityConfig = newSecurityConfig();
        cfg.security = security;
        let logLine: number | undefined;
        ctx.applyParams(SECURITY_PARAMS, security, item, 'security', (sub) => {
          if (sub.kind !== 'stanza') return false;
          if (sub.name === 'log') {
            if (logLine !== undefined) throw ctx.error(sub.line, `security 'log' stanza is already given at line ${logLine}`);
            logLine = sub.line;
            ctx.noArgs(sub);
            parseSecurityLog(ctx, security.log, sub, (ns, line) => dataOpScopes.push({ ns, line }));
            return true;
          }
          // Aerospike 8.1 refuses it the same way (the audit trail goes to a logging syslog sink)
          if (sub.name === 'syslog') throw ctx.error(sub.line, `'syslog' is obsolete - please use a logging context 'syslog' log sink (with context audit info)`);
          if (sub.name === 'ldap') {
            if (security.ldap) throw ctx.error(sub.line, `security 'ldap' stanza is already given`);
            ctx.noArgs(sub);
            security.ldap = parseLdap(ctx, sub);
            return true;
          }
          return false;
        });
        break;
      }
      case 'mod-lua':
        ctx.noArgs(item);
        ctx.applyParams(MOD_LUA_PARAMS, cfg.modLua, item, 'mod-lua');
        break;
      default: {
        if (item.args.length !== 1) {
          throw ctx.error(item.line, item.args.length === 0 ? 'namespace stanza needs a name' : `namespace takes one name, got '${item.args.join(' ')}'`);
        }
        const name = item.args[0]!;
        const bad = checkName(name, 'namespace');
        if (bad !== undefined) throw ctx.error(item.line, bad);
        const prev = nsLines.get(name);
        if (prev !== undefined) throw ctx.error(item.line, `namespace '${name}' is already configured at line ${prev}`);
        if (cfg.namespaces.length >= LIMITS.maxNamespaces) {
          throw ctx.error(item.line, `too many namespaces (at most ${LIMITS.maxNamespaces})`);
        }
        nsLines.set(name, item.line);
        cfg.namespaces.push(parseNamespace(ctx, item, name));
      }
    }
  }

  if (cfg.namespaces.length === 0) throw ctx.error(Math.max(1, tree.lineCount), 'must configure at least one namespace');
  if (!loggingSeen) cfg.logging = newDefaultLogging();
  // Aerospike EE refuses to start with one ("security config - invalid namespace")
  for (const s of dataOpScopes) {
    if (!nsLines.has(s.ns)) throw ctx.error(s.line, `'report-data-op' names namespace '${s.ns}', which is not configured`);
  }
  for (const ns of cfg.namespaces) {
    const p = checkNamespace(ns);
    if (p) throw ctx.problem(p);
  }
  const p = checkNetwork(cfg);
  if (p) throw ctx.problem(p);
  checkTlsUse(ctx, cfg);
  if (onWarning) for (const w of ctx.warnings) onWarning(w);
  return cfg;
}

/**
 * Reads and parses a config file. Errors name the path as given.
 * @throws ConfigError also when the file cannot be read or is too large
 */
export function loadConfigFile(path: string, onWarning?: (w: ConfigWarning) => void): StratoConfig {
  let text: string;
  try {
    // refuse huge files before reading them into memory
    if (statSync(path).size > LIMITS.maxConfigFileBytes) {
      throw new ConfigError(path, 1, `config file is larger than ${LIMITS.maxConfigFileBytes} bytes`);
    }
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(path, 0, `cannot read config file: ${(e as Error).message}`);
  }
  return parseConfig(text, path, onWarning);
}
