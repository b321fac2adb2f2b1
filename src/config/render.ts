/**
 * get-config answers: the config rendered as Aerospike's `key=value;key=value` text, with
 * Aerospike's key names and order, sizes in bytes and booleans as `true`/`false`.
 */
import type { HeartbeatConfig, LoggingSink, NamespaceConfig, SetConfig, StratoConfig } from './model.js';
import { GEO2DSPHERE_PARAMS, NAMESPACE_PARAMS, SET_PARAMS } from './namespace-params.js';
import {
  NETWORK_ADMIN_PARAMS,
  NETWORK_FABRIC_PARAMS,
  NETWORK_HEARTBEAT_PARAMS,
  NETWORK_SERVICE_PARAMS,
} from './network-params.js';
import type { RenderedPair } from './param-spec.js';
import { SERVICE_PARAMS } from './service-params.js';
import { securityPairs } from './security-params.js';
import { DEVICE_STORAGE_PARAMS, MEMORY_STORAGE_PARAMS } from './storage-params.js';

export type ConfigContext = 'service' | 'network' | 'namespace' | 'logging' | 'security';

/** Values only the running node knows. */
export interface RenderRuntime {
  /** The node id in use (upper-case hex), shown when `node-id` is not configured. */
  nodeId?: string;
}

/** Memory storage without backing is split into this many stripes (what Aerospike 8.1 shows). */
const UNBACKED_MEMORY_STRIPES = 8;

const prefixed = (prefix: string, pairs: readonly RenderedPair[]): RenderedPair[] =>
  pairs.map(([k, v]) => [prefix + k, v] as const);

const join = (pairs: readonly RenderedPair[]): string => pairs.map(([k, v]) => `${k}=${v}`).join(';');

function servicePairs(cfg: StratoConfig, runtime: RenderRuntime): RenderedPair[] {
  return SERVICE_PARAMS.render(cfg.service).map(([k, v]): RenderedPair => {
    if (k === 'node-id' && cfg.service.nodeId === undefined) return [k, runtime.nodeId ?? 'null'];
    return [k, v];
  });
}

/** Aerospike lists different heartbeat keys per mode. */
function heartbeatPairs(hb: HeartbeatConfig): RenderedPair[] {
  const all = new Map<string, RenderedPair[]>();
  for (const spec of NETWORK_HEARTBEAT_PARAMS.specs) all.set(spec.key, spec.render(hb));
  const pick = (...keys: string[]) => keys.flatMap((k) => all.get(k) ?? []);
  const modePairs: RenderedPair[] =
    hb.mode === 'multicast'
      ? [['mode', 'multicast'], ...pick('address', 'multicast-group', 'port', 'multicast-ttl')]
      : [['mode', 'mesh'], ...pick('address', 'port', 'tls-address', 'tls-port', 'tls-name', 'mesh-seed-address-port', 'tls-mesh-seed-address-port')];
  return [...modePairs, ...pick('interval', 'timeout', 'connect-timeout-ms', 'mtu', 'protocol')];
}

function networkPairs(cfg: StratoConfig): RenderedPair[] {
  const net = cfg.network;
  return [
    ...prefixed('service.', NETWORK_SERVICE_PARAMS.render(net.service)),
    ...prefixed('admin.', NETWORK_ADMIN_PARAMS.render(net.admin)),
    ...prefixed('heartbeat.', heartbeatPairs(net.heartbeat)),
    ...prefixed('fabric.', NETWORK_FABRIC_PARAMS.render(net.fabric)),
  ];
}

function storagePairs(ns: NamespaceConfig): RenderedPair[] {
  const st = ns.storage;
  if (st.kind === 'device') return [['storage-engine', 'device'], ...prefixed('storage-engine.', DEVICE_STORAGE_PARAMS.render(st))];
  const backing = st.files.length > 0 ? st.files.map((f) => ['file', f.path] as const) : st.devices.map((d) => ['device', d] as const);
  const stripes: RenderedPair[] = [];
  const n = backing.length > 0 ? backing.length : UNBACKED_MEMORY_STRIPES;
  for (let i = 0; i < n; i++) {
    stripes.push([`stripe[${i}]`, `stripe-${i}`]);
    const b = backing[i];
    if (b) stripes.push([`${b[0]}[${i}]`, b[1]]);
  }
  // Aerospike 8.1 shows flush-size only for backed memory (it has no meaning without files)
  const rest = MEMORY_STORAGE_PARAMS.render(st).filter(([k]) => backing.length > 0 || k !== 'flush-size');
  return [['storage-engine', 'memory'], ...prefixed('storage-engine.', [...stripes, ...rest])];
}

function indexTypePairs(key: 'index-type' | 'sindex-type', ns: NamespaceConfig): RenderedPair[] {
  const type = key === 'index-type' ? ns.indexType : ns.sindexType;
  const mounts = key === 'index-type' ? ns.indexMounts : ns.sindexMounts;
  const pairs: RenderedPair[] = [[key, type]];
  if (mounts) {
    mounts.mounts.forEach((m, i) => pairs.push([`${key}.mount[${i}]`, m]));
    pairs.push([`${key}.evict-mounts-pct`, String(mounts.evictMountsPct)], [`${key}.mounts-budget`, String(mounts.mountsBudgetBytes)]);
  }
  return pairs;
}

function namespacePairs(ns: NamespaceConfig): RenderedPair[] {
  return [
    ...NAMESPACE_PARAMS.render(ns),
    ...prefixed('geo2dsphere-within.', GEO2DSPHERE_PARAMS.render(ns.geo2dsphereWithin)),
    ...indexTypePairs('index-type', ns),
    ...indexTypePairs('sindex-type', ns),
    ...storagePairs(ns),
  ];
}

function sinkTarget(sink: LoggingSink): string {
  switch (sink.kind) {
    case 'console':
      return 'stderr';
    case 'file':
      return sink.path;
    default:
      return `syslog:${sink.path}`;
  }
}

/**
 * Renders one config context the way Aerospike's get-config does.
 *
 * - `namespace` needs `nsName`; an unknown name renders '' (use getConfigInfo for the error).
 *   Storage parameters come as `storage-engine.<key>`, as Aerospike shows them. Set-level
 *   settings are not part of it (Aerospike shows them in `sets`; see renderSetConfig).
 * - `security`: Aerospike EE's `security`, `ldap.*`, `log.*` pairs; '' without a security stanza.
 * - `logging` (no Aerospike get-config context) renders the sinks as Aerospike's `logs` info
 *   command lists them: `0:stderr;1:/var/log/aerospike.log`.
 */
export function renderConfig(cfg: StratoConfig, context: ConfigContext, nsName?: string, runtime: RenderRuntime = {}): string {
  switch (context) {
    case 'service':
      return join(servicePairs(cfg, runtime));
    case 'network':
      return join(networkPairs(cfg));
    case 'security':
      // Aerospike EE answers nothing when security is not configured (tools test it so)
      return cfg.security ? join(securityPairs(cfg.security, cfg.namespaces.map((n) => n.name))) : '';
    case 'logging':
      return cfg.logging.map((s, i) => `${i}:${sinkTarget(s)}`).join(';');
    case 'namespace': {
      const ns = cfg.namespaces.find((n) => n.name === nsName);
      return ns ? join(namespacePairs(ns)) : '';
    }
  }
}

/**
 * A set's configuration as the `sets` info command shows it after the statistics:
 * `default-read-touch-ttl-pct=0:default-ttl=0:disable-eviction=false:...` (colon-separated).
 */
export function renderSetConfig(set: SetConfig): string {
  return SET_PARAMS.render(set)
    .map(([k, v]) => `${k}=${v}`)
    .join(':');
}
