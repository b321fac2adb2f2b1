/**
 * Runtime configuration: the `get-config` and `set-config` info commands, answering exactly as
 * Aerospike 8.1 does (`ok`, `ERROR:4:invalid set-config parameter`, ...), and change listeners so
 * subsystems can react to a set-config.
 *
 * set-config changes the `StratoConfig` object in place; subsystems either read it when they need a
 * value or subscribe with `onConfigChange`.
 */
import type { NamespaceConfig, NetworkConfig, SecurityConfig, SecurityLogConfig, SetConfig, StratoConfig } from './model.js';
import { LIMITS } from './model.js';
import { GEO2DSPHERE_PARAMS, NAMESPACE_PARAMS, SET_PARAMS } from './namespace-params.js';
import { NETWORK_FABRIC_PARAMS, NETWORK_HEARTBEAT_PARAMS } from './network-params.js';
import type { ParamSpec, ParamTable } from './param-spec.js';
import { renderConfig, type RenderRuntime } from './render.js';
import { SERVICE_PARAMS } from './service-params.js';
import { newSetConfig } from './stanza-defaults.js';
import { DEVICE_STORAGE_PARAMS, MEMORY_STORAGE_PARAMS } from './storage-params.js';
import { checkSetTtl, checkNetwork, DYNAMIC_NAMESPACE_RULES, NAMESPACE_RULES } from './validate.js';
import { checkName } from './parse-namespace.js';
import { dataOpScopes, LDAP_PARAMS, SECURITY_LOG_NAME_MAX, SECURITY_LOG_PARAMS, SECURITY_LOG_SCOPES_MAX, SECURITY_PARAMS } from './security-params.js';
import { parseBool } from './values.js';

/** Aerospike's info error answers for config commands. */
export const CONFIG_ERRORS = {
  invalidParameter: 'ERROR:4:invalid set-config parameter',
  invalidContext: 'ERROR:4:invalid context',
  missingContext: "ERROR:4:missing 'context'",
  missingContextValue: "ERROR:4:missing 'context' value",
  missingNamespace: "ERROR:20:missing 'namespace'",
  missingNamespaceValue: "ERROR:20:missing 'namespace' value",
  namespaceNotFound: 'ERROR:20:namespace not found on node',
  enterpriseOnly: 'ERROR:25:enterprise only',
} as const;

/** One applied change; values are as get-config would show them. */
export interface ConfigChange {
  context: 'service' | 'network' | 'namespace' | 'security';
  /** Set for namespace changes. */
  namespace?: string;
  /** Set for set-level changes. */
  set?: string;
  /** Canonical set-config key (`default-ttl`, `heartbeat.interval`; aliases are reported by their 8.x name). */
  key: string;
  oldValue: string;
  newValue: string;
}

export type SetConfigResult = { ok: true; changed: ConfigChange[] } | { ok: false; error: string };

/** Called after each successful set-config, once per changed key, with the config already updated. */
export type ConfigChangeListener = (change: ConfigChange, cfg: StratoConfig) => void;

const listeners = new WeakMap<StratoConfig, Set<ConfigChangeListener>>();

/**
 * Subscribes to set-config changes of one config object. Listeners run synchronously after the
 * change is committed; an exception in one propagates to the set-config caller (a bug to fix,
 * not a config error) after the config has changed.
 * @returns unsubscribe function
 */
export function onConfigChange(cfg: StratoConfig, listener: ConfigChangeListener): () => void {
  let set = listeners.get(cfg);
  if (!set) listeners.set(cfg, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

/**
 * Splits info parameters `k1=v1;k2=v2` into a map. As Aerospike's lookup, the first occurrence of
 * a key wins; pieces without `=` are ignored.
 */
export function parseInfoParams(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const piece of text.split(';')) {
    const eq = piece.indexOf('=');
    if (eq === -1) continue;
    const k = piece.slice(0, eq);
    if (!out.has(k)) out.set(k, piece.slice(eq + 1));
  }
  return out;
}

type Lookup = { error: string } | { ns: NamespaceConfig };

/** The namespace named by `namespace=` or `id=` (Aerospike accepts both). */
function lookupNamespace(cfg: StratoConfig, params: ReadonlyMap<string, string>): Lookup {
  const name = params.get('namespace') ?? params.get('id');
  if (name === undefined) return { error: CONFIG_ERRORS.missingNamespace };
  if (name === '') return { error: CONFIG_ERRORS.missingNamespaceValue };
  const ns = cfg.namespaces.find((n) => n.name === name);
  return ns ? { ns } : { error: CONFIG_ERRORS.namespaceNotFound };
}

/** `context=` checks common to get-config and set-config; undefined when fine. */
function contextError(params: ReadonlyMap<string, string>): string | undefined {
  const context = params.get('context');
  if (context === undefined) return CONFIG_ERRORS.missingContext;
  if (context === '') return CONFIG_ERRORS.missingContextValue;
  return undefined;
}

/**
 * Answers `get-config[:context=...]` with the info value Aerospike gives: the rendered context, or
 * service then network without parameters, or an `ERROR:...` string.
 */
export function getConfigInfo(cfg: StratoConfig, params: ReadonlyMap<string, string>, runtime: RenderRuntime = {}): string {
  if (params.size === 0) {
    // Aerospike EE adds its security pairs (none without a security stanza)
    const security = renderConfig(cfg, 'security');
    return [renderConfig(cfg, 'service', undefined, runtime), renderConfig(cfg, 'network'), ...(security ? [security] : [])].join(';');
  }
  const bad = contextError(params);
  if (bad !== undefined) return bad;
  switch (params.get('context')) {
    case 'service':
      return renderConfig(cfg, 'service', undefined, runtime);
    case 'network':
      return renderConfig(cfg, 'network');
    case 'namespace': {
      const found = lookupNamespace(cfg, params);
      return 'error' in found ? found.error : renderConfig(cfg, 'namespace', found.ns.name);
    }
    // without a security stanza: nothing, as Aerospike CE, and EE without one, answer
    case 'security':
      return renderConfig(cfg, 'security');
    // CE has no XDR; Aerospike CE answers it with nothing
    case 'xdr':
      return '';
    default:
      return CONFIG_ERRORS.invalidContext;
  }
}

/** A spec with its stanza type erased; `pick` finds its stanza object under the edited root. */
type AnySpec = ParamSpec<object>;

interface Resolved<R> {
  spec: AnySpec;
  pick: (root: R) => object;
}

/** A pending change: which spec, on which object under the root, with what parsed value. */
interface Edit<R> extends Resolved<R> {
  key: string;
  value: unknown;
}

/** Parses every requested key; undefined when one is unknown, not dynamic or invalid. */
function parseEdits<R>(requested: [string, string][], lookup: (key: string) => Resolved<R> | undefined): Edit<R>[] | undefined {
  const edits: Edit<R>[] = [];
  for (const [key, text] of requested) {
    const found = lookup(key);
    if (!found) return undefined;
    const parsed = found.spec.parseDynamic(text);
    if (!parsed.ok) return undefined;
    // report the canonical spelling, so `min-avail-pct` reads as `stop-writes-avail-pct`
    edits.push({ key: found.spec.dynamicKey ?? found.spec.key, ...found, value: parsed.value });
  }
  return edits;
}

type Applied = { key: string; oldValue: string; newValue: string };

/** Applies edits to `root`, returning each key's rendered value before and after. */
function applyEdits<R>(root: R, edits: Edit<R>[]): Applied[] | undefined {
  const out: Applied[] = [];
  for (const e of edits) {
    const target = e.pick(root);
    const before = e.spec.render(target)[0]?.[1] ?? '';
    if (e.spec.apply(target, e.value) !== undefined) return undefined;
    out.push({ key: e.key, oldValue: before, newValue: e.spec.render(target)[0]?.[1] ?? '' });
  }
  return out;
}

/** Looks a key up in one table whose stanza is `pick(root)`. */
function inTable<R, T extends object>(table: ParamTable<T>, pick: (root: R) => T) {
  return (key: string): Resolved<R> | undefined => {
    const spec = table.getDynamic(key);
    return spec ? { spec: spec as AnySpec, pick } : undefined;
  };
}

/** First table that knows the key. */
function anyOf<R>(...lookups: ((key: string) => Resolved<R> | undefined)[]) {
  return (key: string) => {
    for (const l of lookups) {
      const r = l(key);
      if (r) return r;
    }
    return undefined;
  };
}

/** Namespace-level keys: the namespace's own, its storage engine's and geo2dsphere's. */
function namespaceLookup(ns: NamespaceConfig) {
  const storage =
    ns.storage.kind === 'memory'
      ? inTable(MEMORY_STORAGE_PARAMS, (n: NamespaceConfig) => n.storage)
      : inTable(DEVICE_STORAGE_PARAMS, (n: NamespaceConfig) => n.storage);
  return anyOf<NamespaceConfig>(
    inTable(NAMESPACE_PARAMS, (n: NamespaceConfig) => n),
    storage,
    inTable(GEO2DSPHERE_PARAMS, (n: NamespaceConfig) => n.geo2dsphereWithin),
  );
}

const networkLookup = anyOf<NetworkConfig>(
  inTable(NETWORK_HEARTBEAT_PARAMS, (n: NetworkConfig) => n.heartbeat),
  inTable(NETWORK_FABRIC_PARAMS, (n: NetworkConfig) => n.fabric),
);

/**
 * Validates edits on a copy of `live`, then commits them to `live`: a refused request changes
 * nothing, even when it names several keys.
 */
function commit<R>(live: R, edits: Edit<R>[], check: (candidate: R) => boolean): Applied[] | undefined {
  const candidate = structuredClone(live);
  if (!applyEdits(candidate, edits) || !check(candidate)) return undefined;
  return applyEdits(live, edits);
}

const NAMESPACE_ADDRESSING = ['context', 'id', 'namespace', 'set'];

function notify(cfg: StratoConfig, changed: ConfigChange[]): SetConfigResult {
  for (const change of changed) for (const l of listeners.get(cfg) ?? []) l(change, cfg);
  return { ok: true, changed };
}

/**
 * Applies `set-config` parameters (the command's whole parameter map, `context` included) and
 * returns what changed or the exact info error Aerospike answers. Only parameters Aerospike
 * documents as dynamic are accepted; all named parameters are applied together or none is.
 * Cross-field rules a changed key can break are checked first (e.g. a non-zero `default-ttl`
 * needs nsup). `set=<name>` addresses a set, creating its config entry if new (as Aerospike).
 *
 * Unlike Aerospike, which applies the first parameter it recognises and ignores the rest,
 * every parameter besides context/id/namespace/set must be valid.
 */
export function applySetConfig(cfg: StratoConfig, params: ReadonlyMap<string, string>): SetConfigResult {
  const bad = contextError(params);
  if (bad !== undefined) return { ok: false, error: bad };
  const context = params.get('context')!;
  // without a security stanza Strato answers as Aerospike CE does (as for xdr)
  if (context === 'security' && cfg.security) return setSecurityConfig(cfg, cfg.security, params);
  if (context === 'security' || context === 'xdr') return { ok: false, error: CONFIG_ERRORS.enterpriseOnly };
  if (context !== 'service' && context !== 'network' && context !== 'namespace') {
    return { ok: false, error: CONFIG_ERRORS.invalidContext };
  }
  let ns: NamespaceConfig | undefined;
  if (context === 'namespace') {
    const found = lookupNamespace(cfg, params);
    if ('error' in found) return { ok: false, error: found.error };
    ns = found.ns;
  }
  // everything but the addressing keys is a parameter to change
  const addressing = context === 'namespace' ? NAMESPACE_ADDRESSING : ['context'];
  const requested = [...params].filter(([k]) => !addressing.includes(k));
  const invalid: SetConfigResult = { ok: false, error: CONFIG_ERRORS.invalidParameter };
  if (requested.length === 0) return invalid;

  if (context === 'service') {
    const edits = parseEdits(requested, inTable(SERVICE_PARAMS, (s: StratoConfig['service']) => s));
    const done = edits && commit(cfg.service, edits, () => true);
    return done ? notify(cfg, done.map((d) => ({ context, ...d }))) : invalid;
  }
  if (context === 'network') {
    const edits = parseEdits(requested, networkLookup);
    const done = edits && commit(cfg.network, edits, (net) => checkNetwork({ ...cfg, network: net }) === undefined);
    return done ? notify(cfg, done.map((d) => ({ context, ...d }))) : invalid;
  }

  const namespace = ns!;
  const setName = params.get('set');
  if (setName !== undefined) return setSetConfig(cfg, namespace, setName, requested);

  const edits = parseEdits(requested, namespaceLookup(namespace));
  if (!edits) return invalid;
  const keys = edits.map((e) => e.key);
  const rules = [...NAMESPACE_RULES, ...DYNAMIC_NAMESPACE_RULES].filter((r) => r.triggers.some((t) => keys.includes(t)));
  const done = commit(namespace, edits, (candidate) => rules.every((r) => r.check(candidate) === undefined));
  return done ? notify(cfg, done.map((d) => ({ context, namespace: namespace.name, ...d }))) : invalid;
}

function setSetConfig(cfg: StratoConfig, ns: NamespaceConfig, setName: string, requested: [string, string][]): SetConfigResult {
  const invalid: SetConfigResult = { ok: false, error: CONFIG_ERRORS.invalidParameter };
  // the same name rules as in config files (length, no characters that break info answers)
  if (checkName(setName, 'set') !== undefined) return invalid;
  const edits = parseEdits(requested, inTable(SET_PARAMS, (s: SetConfig) => s));
  if (!edits) return invalid;
  const existing = ns.sets.find((s) => s.name === setName);
  if (!existing && ns.sets.length >= LIMITS.maxSetsPerNamespace) return invalid;
  const live: SetConfig = existing ?? newSetConfig(setName);
  const ttlChanged = edits.some((e) => e.key === 'default-ttl');
  const done = commit(live, edits, (candidate) => !ttlChanged || checkSetTtl(ns, candidate) === undefined);
  if (!done) return invalid;
  if (!existing) ns.sets.push(live);
  return notify(
    cfg,
    done.map((d) => ({ context: 'namespace' as const, namespace: ns.name, set: setName, ...d })),
  );
}

/** Security keys: the stanza's own, `log.report-*`, and `ldap.*` when LDAP is configured. */
function securityLookup(sec: SecurityConfig) {
  return anyOf<SecurityConfig>(
    inTable(SECURITY_PARAMS, (s: SecurityConfig) => s),
    inTable(SECURITY_LOG_PARAMS, (s: SecurityConfig) => s.log),
    ...(sec.ldap ? [inTable(LDAP_PARAMS, (s: SecurityConfig) => s.ldap!)] : []),
  );
}

/**
 * `set-config:context=security;...` (Aerospike EE): `session-ttl`, `privilege-refresh-period`,
 * `tps-weight`, `ldap.polling-period`, `log.report-{authentication,sys-admin,user-admin,violation}`
 * (true/false in any case), and `log.report-data-op=true|false` with one of `namespace=` (and
 * optional `set=`), `role=` or `user=`. Refusals answer Aerospike's `ERROR:4:invalid set-config
 * parameter` and change nothing.
 */
function setSecurityConfig(cfg: StratoConfig, sec: SecurityConfig, params: ReadonlyMap<string, string>): SetConfigResult {
  const invalid: SetConfigResult = { ok: false, error: CONFIG_ERRORS.invalidParameter };
  if (params.has('log.report-data-op')) return setReportDataOp(cfg, sec.log, params);
  const requested = [...params].filter(([k]) => k !== 'context');
  if (requested.length === 0) return invalid;
  const edits = parseEdits(requested, securityLookup(sec));
  const done = edits && commit(sec, edits, () => true);
  return done ? notify(cfg, done.map((d) => ({ context: 'security' as const, ...d }))) : invalid;
}

/** The parameters a report-data-op set-config may name besides its value. */
const DATA_OP_ADDRESSING = ['context', 'log.report-data-op', 'namespace', 'set', 'role', 'user'];

const validLogName = (name: string) => name !== '' && Buffer.byteLength(name) <= SECURITY_LOG_NAME_MAX;

/**
 * Adds (true) or removes (false) one audited scope, as Aerospike EE does: a whole namespace
 * covers its sets (adding one of its sets then changes nothing, removing one is refused); adding
 * a role or user listed already, or removing one not listed, is refused. Strato refuses a request
 * naming more than one of namespace / role / user (Aerospike takes the first of role, user,
 * namespace) and keeps at most SECURITY_LOG_SCOPES_MAX entries.
 */
function setReportDataOp(cfg: StratoConfig, log: SecurityLogConfig, params: ReadonlyMap<string, string>): SetConfigResult {
  const invalid: SetConfigResult = { ok: false, error: CONFIG_ERRORS.invalidParameter };
  const flag = parseBool(params.get('log.report-data-op')!);
  if (!flag.ok || [...params.keys()].some((k) => !DATA_OP_ADDRESSING.includes(k))) return invalid;
  const enable = flag.value;
  const selectors = (['namespace', 'role', 'user'] as const).filter((k) => params.has(k));
  if (selectors.length !== 1) return invalid;
  const total = () => log.reportDataOp.length + log.reportDataOpRole.length + log.reportDataOpUser.length;
  const changed = (key: string, before: string[], after: string[]) =>
    notify(cfg, [{ context: 'security', key, oldValue: before.join(','), newValue: after.join(',') }]);

  if (selectors[0] !== 'namespace') {
    if (params.has('set')) return invalid;
    const key = selectors[0] === 'role' ? 'log.report-data-op-role' : 'log.report-data-op-user';
    const list = selectors[0] === 'role' ? log.reportDataOpRole : log.reportDataOpUser;
    const name = params.get(selectors[0])!;
    if (!validLogName(name)) return invalid;
    const before = [...list];
    const at = list.indexOf(name);
    if (enable) {
      if (at !== -1 || total() >= SECURITY_LOG_SCOPES_MAX) return invalid;
      list.push(name);
    } else {
      if (at === -1) return invalid;
      list.splice(at, 1);
    }
    return changed(key, before, [...list]);
  }

  const ns = params.get('namespace')!;
  if (!cfg.namespaces.some((n) => n.name === ns)) return invalid;
  const set = params.get('set');
  if (set !== undefined && (checkName(set, 'set') !== undefined || !validLogName(set))) return invalid;
  const order = cfg.namespaces.map((n) => n.name);
  const before = dataOpScopes(log, order);
  const whole = log.reportDataOp.some((s) => s.ns === ns && s.set === '');
  const others = log.reportDataOp.filter((s) => s.ns !== ns);
  let next = log.reportDataOp;
  if (set === undefined) {
    // the whole namespace replaces its sets; removing it removes its sets too
    next = enable ? [...others, { ns, set: '' }] : others;
  } else if (enable) {
    if (!whole && !log.reportDataOp.some((s) => s.ns === ns && s.set === set)) next = [...log.reportDataOp, { ns, set }];
  } else {
    // Aerospike cannot express "the namespace but this set"
    if (whole) return invalid;
    next = log.reportDataOp.filter((s) => !(s.ns === ns && s.set === set));
  }
  if (next.length - log.reportDataOp.length > 0 && total() + next.length - log.reportDataOp.length > SECURITY_LOG_SCOPES_MAX) return invalid;
  // the audit trail reads the live list
  log.reportDataOp = next;
  return changed('log.report-data-op', before, dataOpScopes(log, order));
}
