/**
 * Assembles a running node from configuration: namespaces and storage, engines, the service port,
 * the ticker and the namespace supervisor.
 */
import { StratoNode, type NodeSpec } from './node.js';
import { Service } from './service.js';
import { OffsetClock, systemClock, type Clock } from '../util/clock.js';
import { registerTestHooks } from './test-hooks.js';
import { installLogProcessHooks, logger, type ContextLogger } from '../util/log.js';
import { STRATO_VERSION } from '../util/version.js';
import type { HttpEndpoint } from './http/http-server.js';
import { installEngines } from '../transaction/engines.js';
import { bindSetConfig, buildNodeSpec, loadStratoConfig, type StratoRuntimeConfig } from './node-config.js';
import { startTicker } from './ticker.js';
import { startNsup } from '../namespace/nsup.js';
import { startNsupHistograms } from '../namespace/nsup-histograms.js';
import { UdfRegistry, registerUdfInfo } from '../udf/index.js';
import { installUdf } from '../transaction/udf-apply.js';
import { infoRegistry } from './info-commands.js';
import { makeDataHandlers } from './data-handlers.js';
import type { DataHandlers } from './dispatch.js';
import { registerConfigInfo } from './config-info.js';
import { registerSindexInfo } from './sindex-info.js';
import { makeSmdItems, securitySmd } from './cluster-smd.js';
import { applyHostNodePlan, hostNodesValue, type HostNodePlan } from './host-nodes.js';
import { DEFAULT_WORK_DIRECTORY, lockWorkDirectory, resolveWorkDirectory } from './work-dir.js';
import { lockDevices, type DeviceLocks, type DevicePath } from './device-locks.js';
import { parseNodeId } from '../cluster/node-id.js';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { AdminConfig, NetworkServiceConfig, SecurityConfig, StratoConfig } from '../config/model.js';
import { loadTlsContexts, startTlsRefresh, type TlsContext } from './tls-contexts.js';
import { TLS_REFRESH_PERIOD_DEFAULT_SEC } from '../config/service-params.js';
import { onConfigChange } from '../config/dynamic.js';
import type { AdminListener, ServiceTlsOptions } from './service.js';
import type { NodeSecurity } from '../security/access.js';

export interface StartOptions {
  configFile?: string | undefined;
  port?: number | undefined;
  address?: string | undefined;
  clock?: Clock;
  /** this process is node `index` of several on one host (set by the supervisor) */
  hostNode?: HostNodePlan | undefined;
}

export interface RunningNode {
  node: StratoNode;
  port: number;
  config: StratoRuntimeConfig;
  stop(): Promise<void>;
}

export async function startNode(opts: StartOptions): Promise<RunningNode> {
  const config = loadStratoConfig(opts.configFile);
  if (opts.port !== undefined) config.raw.network.service.port = opts.port;
  if (opts.address !== undefined) config.raw.network.service.addresses = [opts.address];
  if (config.raw.network.service.addresses.length === 0) config.raw.network.service.addresses = ['0.0.0.0'];
  // decided before the host plan, which puts an explicit directory's nodes in <dir>/node-<i>
  const defaultWorkDirectory = config.raw.service.workDirectory === DEFAULT_WORK_DIRECTORY;
  if (opts.hostNode) applyHostNodePlan(config.raw, opts.hostNode);
  logger.setSinks(config.logSinks);
  installLogProcessHooks();
  const log = logger.context('as', 'start.ts');
  const cfgLog = logger.context('config', 'start.ts');
  for (const w of config.warnings) cfgLog.warning(w);
  log.info(`<><><><><><><><><><>  Strato ${STRATO_VERSION} (Aerospike-compatible) starting  <><><><><><><><><><>`);
  // one node per work directory: the default is per service port, and a lock refuses a second node
  const svc = config.raw.service;
  if (defaultWorkDirectory) svc.workDirectory = resolveWorkDirectory(DEFAULT_WORK_DIRECTORY, config.raw.network.service.port);
  const workLock = lockWorkDirectory(svc.workDirectory, config.raw.network.service.port, (m) => log.warning(m));
  log.info(`work directory ${workLock.directory}`);
  // one node per storage file or device, too: two nodes writing one file corrupt each other
  let deviceLocks: DeviceLocks;
  try {
    deviceLocks = lockDevices(devicePaths(config), config.raw.network.service.port, (m) => log.warning(m));
  } catch (e) {
    workLock.release();
    throw e;
  }
  const locks = {
    release() {
      deviceLocks.release();
      workLock.release();
    },
  };
  process.once('exit', () => locks.release());
  try {
    return await startLocked(opts, config, log, locks);
  } catch (e) {
    locks.release();
    throw e;
  }
}

/** Every storage file and device the configuration's namespaces name. */
function devicePaths(config: StratoRuntimeConfig): DevicePath[] {
  const paths: DevicePath[] = [];
  for (const ns of config.raw.namespaces) {
    for (const f of ns.storage.files) paths.push({ namespace: ns.name, path: f.path });
    for (const d of ns.storage.devices) paths.push({ namespace: ns.name, path: d });
  }
  return paths;
}

/**
 * A node assembled from its configuration: namespaces opened (device records loaded), UDFs and
 * secondary indexes loaded, and its service ready to take connections, with no port open yet.
 * `startNode` listens on it; tests drive it in process through `Service.accept`.
 */
export interface AssembledNode {
  node: StratoNode;
  spec: NodeSpec;
  udf: UdfRegistry;
  service: Service;
  /** the data handlers the service runs (the console's query box runs through them too) */
  handlers: DataHandlers;
  /** access control; undefined without a security stanza */
  security: NodeSecurity | undefined;
  /** the `tls <name>` stanzas, loaded (the http endpoint's tls-name looks its context up here; refreshed every tls-refresh-period) */
  tlsContexts: Map<string, TlsContext>;
}

/** Builds the node and its service from `config` on `clock` (see {@link AssembledNode}). */
export async function assembleNode(config: StratoRuntimeConfig, clock: Clock, log: ContextLogger): Promise<AssembledNode> {
  installEngines();
  const spec: NodeSpec = buildNodeSpec(config, clock);
  const node = new StratoNode(spec);
  node.loadSmd();
  const udf = new UdfRegistry(spec.smd, { userPath: config.raw.modLua.userPath });
  await udf.init();
  registerUdfInfo(udf, infoRegistry);
  node.smdItems = makeSmdItems({ udf, sindexes: node.sindexes, namespaces: () => node.namespaces.values(), persistTruncation: () => node.persistTruncation(), validateUdfs: true }, node.nodeId, () => clock.nowMs());
  installUdf({ registry: udf, executionDisabled: () => config.raw.service.disableUdfExecution });
  registerConfigInfo(node, config);
  registerSindexInfo(infoRegistry);
  for (const nsCfg of config.raw.namespaces) bindSetConfig(config.raw, nsCfg, node.namespace(nsCfg.name)!);
  for (const ns of node.namespaces.values()) {
    const persistent = ns.storage.kind === 'device';
    if (persistent) log.info(`{${ns.name}} loading records from devices`);
    const r = await ns.open();
    if (persistent) {
      log.info(
        `{${ns.name}} cold start loaded ${r.records} records, ${r.tombstones} tombstones, skipped ${r.expired} expired and ${r.skippedCorrupt} corrupt in ${Math.round(r.durationMs)} ms`,
      );
    }
    const problem = ns.storage.startupCheck();
    if (problem) {
      for (const n of node.namespaces.values()) await n.storage.close();
      throw new Error(`{${ns.name}} ${problem} - not opening the service port`);
    }
  }
  // indexes build from the records present, so they load after the devices
  node.loadSindexes();
  const security = config.raw.security ? await makeSecurity(config.raw, config.raw.security, spec, node, clock, () => service) : undefined;
  if (security) log.info(`security enabled: ${security.store.users.size} users, ${security.store.roles.size} user-defined roles`);
  const net = config.raw.network;
  const tlsContexts = loadTlsContexts(net.tls);
  const svcTls = net.service.tlsPort !== 0 ? serviceTls(net.service, spec.serviceAddress, tlsContexts) : undefined;
  const admin = adminListeners(net.admin, spec.serviceAddress, tlsContexts);
  const handlers = makeDataHandlers(node, config, udf);
  const service: Service = new Service(node, handlers, {
    address: spec.serviceAddress,
    port: spec.servicePort,
    compressionEnabled: () => config.compressionEnabled,
    maxConnections: config.protoFdMax,
    security,
    tls: svcTls,
    admin,
  });
  return { node, spec, udf, service, handlers, security, tlsContexts };
}

/** The rest of the start-up, once the node holds its work directory and storage files. */
async function startLocked(opts: StartOptions, config: StratoRuntimeConfig, log: ContextLogger, locks: { release(): void }): Promise<RunningNode> {
  // test hooks let tests move the node's clock and run nsup on demand instead of sleeping
  const testHooks = process.env['STRATO_TEST_HOOKS'] === '1';
  const clock = opts.clock ?? (testHooks ? new OffsetClock(systemClock) : systemClock);
  const { node, spec, udf, service, handlers, security, tlsContexts } = await assembleNode(config, clock, log);
  if (testHooks && clock instanceof OffsetClock) registerTestHooks(node, clock);
  const port = await service.listen();
  // with --port 0 the OS picked the port: info answers (service, peers) must show the real one
  spec.servicePort = port;
  const svcTls = service.tlsOptions;
  const net = config.raw.network;
  if (svcTls) {
    const address = advertisedAddress(net.service.tlsAccessAddresses[0] ?? svcTls.address);
    const tlsPort = net.service.tlsAccessPort || service.tlsBoundPort;
    // tls-alternate-access-*: the address (else the access address) and port (else the TLS port)
    // clients outside the node's network use; only when one of them is configured, as Aerospike
    const altAddress = net.service.tlsAlternateAccessAddresses[0];
    const altPort = net.service.tlsAlternateAccessPort;
    const alt = altAddress !== undefined || altPort !== 0 ? hostPort(altAddress ?? address, altPort || tlsPort) : undefined;
    spec.tls = { address, port: tlsPort, name: svcTls.context.name, alt };
    log.info(`TLS service port ${svcTls.address}:${service.tlsBoundPort} (tls-name ${svcTls.context.name}, tls-authenticate-client ${svcTls.authenticateClient.join(' ')})`);
  }
  if (service.adminBound.length > 0) {
    // admin-clear-std / admin-tls-std: the configured endpoints (not the localhost one added beside them)
    const listed = (tls: boolean) => {
      const bound = service.adminBound.filter((b) => b.tls === tls && !b.localhostAdded);
      return bound.map((b) => hostPort(advertisedAddress(b.address), b.port)).join(',');
    };
    spec.admin = { clear: listed(false), tls: listed(true) };
    for (const b of service.adminBound) log.info(`${b.tls ? 'TLS ' : ''}admin port ${b.address}:${b.port} (info and admin messages only)`);
  }
  infoRegistry.set('host-nodes', () => hostNodesValue(spec.serviceAddress, port, opts.hostNode));
  const hbMode = config.raw.network.heartbeat.mode;
  if (hbMode === 'multicast') {
    await service.close();
    throw new Error('heartbeat mode multicast is not supported by Strato - use mode mesh with mesh-seed-address-port');
  }
  if (hbMode === 'mesh') {
    // the cluster runtime is loaded only for a node with mesh heartbeats (a single node never runs it)
    const { ClusterRouter } = await import('./cluster-router.js');
    node.cluster = new ClusterRouter(node, config, port, udf, opts.hostNode ? parseNodeId(opts.hostNode.hostIdHex) : undefined, tlsContexts);
    try {
      await node.cluster.runtime.start();
    } catch (e) {
      await service.close();
      throw new Error(`cannot open the heartbeat/fabric ports: ${(e as Error).message}`);
    }
    const { heartbeat: hbNet, fabric: fabNet } = config.raw.network;
    const hbText = hbNet.tlsPort !== 0 ? `TLS port ${hbNet.tlsPort} (tls-name ${hbNet.tlsName})` : `port ${hbNet.port}`;
    const fabText = fabNet.tlsPort !== 0 ? `TLS port ${fabNet.tlsPort} (tls-name ${fabNet.tlsName})` : `port ${fabNet.port}`;
    log.info(`mesh heartbeats on ${hbText}, fabric on ${fabText}`);
  }
  for (const ns of node.namespaces.values()) {
    log.info(`{${ns.name}} namespace ready: ${ns.storage.kind} storage, replication-factor ${ns.settings.replicationFactor}`);
  }
  const httpConf = config.raw.network.http;
  let http: HttpEndpoint | undefined;
  if (httpConf) {
    try {
      // loaded only for a node with an http stanza (module loading is most of a node's start-up CPU)
      const [{ startHttpEndpoint }, { ConsoleSessions, DEFAULT_CONSOLE_SESSION_TTL_S }, { MetricsAuth }] = await Promise.all([
        import('./http/http-server.js'),
        import('./http/console-auth.js'),
        import('./http/metrics-auth.js'),
      ]);
      // the console's logins last as long as the node's session tokens
      const sessions = security ? new ConsoleSessions(security, () => config.raw.security?.sessionTtl ?? DEFAULT_CONSOLE_SESSION_TTL_S, () => clock.nowMs()) : undefined;
      const metricsAuth = security ? new MetricsAuth(security, () => clock.nowMs()) : undefined;
      // the parser checked that tls-name names a tls stanza with a certificate and key
      const tls = httpConf.tlsName !== undefined ? tlsContexts.get(httpConf.tlsName) : undefined;
      http = await startHttpEndpoint(httpConf.address, httpConf.port, { node, service: `${spec.serviceAddress}:${port}` }, { console: { handlers, sessions }, metricsAuth, tls, tlsAuthenticateClient: httpConf.tlsAuthenticateClient });
    } catch (e) {
      await node.cluster?.runtime.stop();
      await service.close();
      throw new Error(`cannot open the http (metrics) endpoint on ${httpConf.address}:${httpConf.port}: ${(e as Error).message}`);
    }
  }
  const hostNote = opts.hostNode ? `, node ${opts.hostNode.index} of ${opts.hostNode.count} on this host` : '';
  log.info(`service ready: listening on ${spec.serviceAddress}:${port}, node id ${node.nodeId}${hostNote}`);
  node.loopDelay.start();
  const stopTicker = startTicker(node, () => config.tickerIntervalSec);
  // tls-refresh-period (service, seconds, set-config may change it): certificate files read again
  const tlsLog = logger.context('tls', 'tls-contexts.ts');
  const stopTlsRefresh = startTlsRefresh(tlsContexts.values(), () => Number(config.raw.service.extra['tls-refresh-period'] ?? TLS_REFRESH_PERIOD_DEFAULT_SEC), tlsLog);
  const stopNsup = [...node.namespaces.values()].flatMap((ns) => [startNsup(ns), startNsupHistograms(ns)]);
  return {
    node,
    port,
    config,
    async stop() {
      stopTicker();
      stopTlsRefresh();
      node.loopDelay.stop();
      for (const stop of stopNsup) stop();
      // the others take over this node's partitions before its service port closes: a client
      // tends its map every second, so it gets a little more than that
      await node.cluster?.runtime.leave(1500);
      await http?.close();
      await service.close();
      await node.cluster?.runtime.stop();
      for (const ns of node.namespaces.values()) await ns.storage.close();
      udf.close();
      for (const close of security?.closers ?? []) close();
      locks.release();
      log.info('finished clean shutdown - exiting');
    },
  };
}

/** The TLS service port's options: bind address (tls-address, else the service's), context, client checks. */
function serviceTls(svc: NetworkServiceConfig, serviceAddress: string, contexts: Map<string, TlsContext>): ServiceTlsOptions {
  const bind = svc.tlsAddresses[0];
  return {
    address: bind === undefined ? serviceAddress : bind === 'any' ? '0.0.0.0' : bind,
    port: svc.tlsPort,
    // the parser checked that tls-name names a tls stanza
    context: contexts.get(svc.tlsName!)!,
    authenticateClient: svc.tlsAuthenticateClient.length > 0 ? svc.tlsAuthenticateClient : ['any'],
  };
}

/** Where a listener of the admin port binds: each address, and 127.0.0.1 beside them unless disable-localhost (Aerospike 8.1). */
function adminAddresses(addresses: readonly string[], serviceAddress: string, disableLocalhost: boolean): { address: string; localhostAdded?: boolean }[] {
  const binds = [...new Set((addresses.length > 0 ? addresses : [serviceAddress]).map((a) => (a === 'any' ? '0.0.0.0' : a)))];
  const out: { address: string; localhostAdded?: boolean }[] = binds.map((address) => ({ address }));
  if (!disableLocalhost && !binds.some((a) => a === '0.0.0.0' || a === '127.0.0.1' || a === 'localhost')) out.push({ address: '127.0.0.1', localhostAdded: true });
  return out;
}

/** The admin port's listeners: clear ones on `port`, TLS ones on `tls-port` (tls-address, else address). */
function adminListeners(cfg: AdminConfig, serviceAddress: string, contexts: Map<string, TlsContext>): AdminListener[] {
  const out: AdminListener[] = [];
  if (cfg.port !== 0) for (const a of adminAddresses(cfg.addresses, serviceAddress, cfg.disableLocalhost)) out.push({ ...a, port: cfg.port });
  if (cfg.tlsPort !== 0) {
    // the parser checked that tls-name names a tls stanza with what the port needs
    const tls = { context: contexts.get(cfg.tlsName!)!, authenticateClient: cfg.tlsAuthenticateClient.length > 0 ? cfg.tlsAuthenticateClient : ['any'] };
    const addrs = cfg.tlsAddresses.length > 0 ? cfg.tlsAddresses : cfg.addresses;
    for (const a of adminAddresses(addrs, serviceAddress, cfg.disableLocalhost)) out.push({ ...a, port: cfg.tlsPort, tls });
  }
  return out;
}

/** An address clients can dial: a wildcard bind is advertised as the first external IPv4 address. */
function advertisedAddress(bind: string): string {
  if (bind !== '0.0.0.0' && bind !== 'any') return bind;
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

/**
 * Access control from the `security` stanza: users and roles from SMD (the `admin` user on the
 * first start, with the default-password-file's password or `admin`).
 */
async function makeSecurity(root: StratoConfig, cfg: SecurityConfig, spec: NodeSpec, node: StratoNode, clock: Clock, service: () => Service | undefined): Promise<NodeSecurity> {
  // loaded only for a node with a security stanza: a node without one never needs bcrypt,
  // the admin protocol or LDAP (module loading is most of a node's start-up CPU)
  const [{ NodeSecurity }, { AdminHandler }, { clientCredential }, { SecurityStore }, { Audit }, { LdapAuthenticator }] = await Promise.all([
    import('../security/access.js'),
    import('../security/admin.js'),
    import('../security/credential.js'),
    import('../security/store.js'),
    import('../security/audit.js'),
    import('../security/ldap.js'),
  ]);
  let password = 'admin';
  if (cfg.defaultPasswordFile !== '') {
    try {
      password = readFileSync(cfg.defaultPasswordFile, 'utf8').split('\n')[0]!.trim();
    } catch (e) {
      throw new Error(`security default-password-file ${cfg.defaultPasswordFile}: ${(e as Error).message}`);
    }
    if (password === '') throw new Error(`security default-password-file ${cfg.defaultPasswordFile}: the file holds no password`);
  }
  const store = new SecurityStore({ smd: spec.smd, adminCredential: clientCredential(password), nodeId: node.nodeId, nowMs: () => clock.nowMs(), tokenHashMethod: cfg.ldap?.tokenHashMethod });
  node.securityStore = store;
  // a change made here reaches the other members at once, sent again to each until it
  // acknowledges (src/cluster/runtime/smd-delivery.ts), and at every new cluster in full
  store.onLocalChange = (items) => node.cluster?.runtime.broadcastSmd(securitySmd(items));
  let security: NodeSecurity | undefined;
  // audit lines go to the log's `audit` context: every sink at info or finer for it gets them
  const auditLog = logger.context('audit', 'audit.ts');
  const audit = new Audit(cfg.log, (line) => auditLog.info(line));
  const ldap = cfg.ldap ? new LdapAuthenticator(cfg.ldap) : undefined;
  const secLog = logger.context('security', 'start.ts');
  const admin = new AdminHandler(store, {
    audit,
    ldap,
    log: (m) => secLog.warning(m),
    // the live config: a set-config session-ttl applies to the tokens issued after it
    sessionTtlS: () => cfg.sessionTtl,
    enableQuotas: cfg.enableQuotas,
    clock,
    connectionsOf: (user) => service()?.connectionsOf(user) ?? 0,
    ratesOf: (user) => security?.ratesOf(user) ?? [0, 0],
    scanLoadOf: (user) => security?.scanLoadOf(user) ?? { read: [0, 0], write: [0, 0] },
  });
  security = new NodeSecurity(store, admin, clock, cfg.enableQuotas, audit);
  security.jobs = () => node.jobs.all();
  const ldapCfg = cfg.ldap;
  if (ldap && ldapCfg) {
    // LDAP users' roles follow the directory: refreshed every polling-period, one user at a time
    let polling = false;
    const poll = () => {
      if (polling) return;
      polling = true;
      void (async () => {
        // the users that logged in through this node (each member polls its own)
        for (const [user, dn] of [...store.ldapLogins]) {
          // dropped by an admin or made internal since: no longer the directory's to refresh
          if (!store.users.get(user)?.external) {
            store.ldapLogins.delete(user);
            continue;
          }
          try {
            const roles = await ldap.refreshRoles(user, dn);
            if (!store.users.get(user)?.external) continue; // dropped while the directory answered
            if (roles) store.setExternal(user, dn, roles);
            else if (ldapCfg.queryUserDn !== '') store.dropExternal(user);
          } catch (e) {
            // the server is unreachable: roles stay as they were until the next poll
            secLog.warning(`LDAP role refresh of ${user}: ${(e as Error).message}`);
          }
        }
      })().finally(() => (polling = false));
    };
    let timer: NodeJS.Timeout | undefined;
    // (re)starts the poll at the live polling-period (0 = never): at start and after a set-config
    const schedule = () => {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (ldapCfg.pollingPeriod === 0) return;
      timer = setInterval(poll, ldapCfg.pollingPeriod * 1000);
      timer.unref();
    };
    schedule();
    const unsubscribe = onConfigChange(root, (c) => {
      if (c.context === 'security' && c.key === 'ldap.polling-period') schedule();
    });
    security.closers.push(() => {
      unsubscribe();
      if (timer) clearInterval(timer);
    });
  }
  return security;
}

/** `host:port`, IPv6 hosts in brackets (the info answers' endpoint form). */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
