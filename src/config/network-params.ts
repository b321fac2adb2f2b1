/**
 * The `network { service | heartbeat | fabric | admin | info { } }` parameters, each table in the
 * order Aerospike's get-config lists them (`service.port` before `service.address`, ...).
 */
import { isIP } from 'node:net';
import type { AdminConfig, HttpConfig, FabricConfig, HeartbeatConfig, MeshSeed, NetworkServiceConfig } from './model.js';
import {
  boolParam,
  choiceParam,
  extraOf,
  fieldsOf,
  listParam,
  obsolete,
  ParamTable,
  stringParam,
  uintParam,
  type NumberOpts,
  type ParamSpec,
} from './param-spec.js';
import { fail, ok, parseUnsigned, type Parsed } from './values.js';

/** Aerospike refuses privileged ports: 1024..65535. */
const PORT: NumberOpts = { min: 1024, max: 65535 };
/** Access/alternate ports: unset (0) means "same as the bind port"; a file may only set a real port. */
const ACCESS_PORT = (opts: NumberOpts = {}): NumberOpts => ({ ...opts, ...PORT });

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,252})$/;

/** `any`, an IPv4/IPv6 address, or a host or interface name. */
export function checkAddress(text: string): string | undefined {
  if (text === 'any' || isIP(text) !== 0 || HOSTNAME.test(text)) return undefined;
  return `must be an IP address, a host or interface name, or any, got ${text}`;
}

/** A `tls` stanza name as `tls-name` refers to it: what the certificate's subject names. */
const TLS_NAME = /^[A-Za-z0-9*<>]([A-Za-z0-9._*<>-]{0,252})$/;

export function checkTlsName(text: string): string | undefined {
  return TLS_NAME.test(text) ? undefined : `must be a TLS name (letters, digits, '.', '-', '_', '*'), got ${text}`;
}

/**
 * `tls-authenticate-client false | any | <subject name>` (names repeatable, Aerospike EE): whether
 * the TLS service port asks clients for a certificate, and which subject names it accepts.
 */
function tlsAuthenticateClientParam<T extends { tlsAuthenticateClient: string[] }>(): ParamSpec<T> {
  return {
    key: 'tls-authenticate-client',
    aliases: [],
    repeatable: true,
    dynamic: false,
    parse(tokens): Parsed<string> {
      if (tokens.length !== 1) return fail(`takes false, any or one subject name, got ${tokens.length === 0 ? 'nothing' : tokens.join(' ')}`);
      const v = tokens[0]!;
      if (v === 'false' || v === 'any') return ok(v);
      const bad = checkTlsName(v);
      return bad === undefined ? ok(v) : fail(bad);
    },
    parseDynamic: () => fail('is not dynamic'),
    apply(target, value) {
      const v = value as string;
      const list = target.tlsAuthenticateClient;
      if (list.includes(v)) return `lists ${v} twice`;
      const keyword = (x: string) => x === 'false' || x === 'any';
      if (list.length > 0 && (keyword(v) || list.some(keyword))) return `'false' and 'any' must be the only value, got ${[...list, v].join(' ')}`;
      list.push(v);
      return undefined;
    },
    // CE's get-config shows nothing; a node with TLS shows what it enforces
    render: (target) => target.tlsAuthenticateClient.map((v) => ['tls-authenticate-client', v] as const),
  };
}

const svc = fieldsOf<NetworkServiceConfig>();
export const NETWORK_SERVICE_PARAMS = new ParamTable<NetworkServiceConfig>([
  uintParam('port', svc('port'), PORT),
  listParam('address', (t) => t.addresses, { check: checkAddress }),
  uintParam('access-port', svc('accessPort'), ACCESS_PORT()),
  listParam('access-address', (t) => t.accessAddresses, { check: checkAddress }),
  uintParam('alternate-access-port', svc('alternateAccessPort'), ACCESS_PORT()),
  listParam('alternate-access-address', (t) => t.alternateAccessAddresses, { check: checkAddress }),
  uintParam('tls-port', svc('tlsPort'), PORT),
  listParam('tls-address', (t) => t.tlsAddresses, { check: checkAddress }),
  uintParam('tls-access-port', svc('tlsAccessPort'), ACCESS_PORT()),
  listParam('tls-access-address', (t) => t.tlsAccessAddresses, { check: checkAddress }),
  uintParam('tls-alternate-access-port', svc('tlsAlternateAccessPort'), ACCESS_PORT()),
  listParam('tls-alternate-access-address', (t) => t.tlsAlternateAccessAddresses, { check: checkAddress }),
  stringParam('tls-name', svc('tlsName'), { check: checkTlsName }),
  tlsAuthenticateClientParam<NetworkServiceConfig>(),
  boolParam('disable-localhost', svc('disableLocalhost')),
  obsolete('external-address', "please use 'access-address'"),
]);

const adm = fieldsOf<AdminConfig>();
export const NETWORK_ADMIN_PARAMS = new ParamTable<AdminConfig>([
  uintParam('port', adm('port'), PORT),
  listParam('address', (t) => t.addresses, { check: checkAddress }),
  // EE in Aerospike 8.1; Strato serves the TLS admin port as the TLS service port (service.ts)
  uintParam('tls-port', adm('tlsPort'), PORT),
  listParam('tls-address', (t) => t.tlsAddresses, { check: checkAddress }),
  stringParam('tls-name', adm('tlsName'), { check: checkTlsName }),
  tlsAuthenticateClientParam<AdminConfig>(),
  boolParam('disable-localhost', adm('disableLocalhost')),
]);

const http = fieldsOf<HttpConfig>();
/**
 * `network { http { } }` (Strato extension): the metrics endpoint and web console. Port 0 = any
 * free port; `tls-name` names a `tls` stanza and turns the endpoint into HTTPS;
 * `tls-authenticate-client` as the service's, but no client certificate is asked when absent.
 */
export const NETWORK_HTTP_PARAMS = new ParamTable<HttpConfig>([
  stringParam('address', http('address'), { check: checkAddress }),
  uintParam('port', http('port'), { min: 0, max: 65535 }),
  stringParam('tls-name', http('tlsName'), { check: checkTlsName }),
  tlsAuthenticateClientParam<HttpConfig>(),
]);

/** `[tls-]mesh-seed-address-port <host> <port>` (repeatable); rendered `host:port`. */
function meshSeedParam(key: string, seedsOf: (t: HeartbeatConfig) => MeshSeed[]): ParamSpec<HeartbeatConfig> {
  return {
    key,
    aliases: [],
    repeatable: true,
    dynamic: false,
    parse(tokens): Parsed<MeshSeed> {
      if (tokens.length !== 2) return fail(`takes a host and a port, got ${tokens.length === 0 ? 'nothing' : tokens.join(' ')}`);
      const bad = checkAddress(tokens[0]!);
      if (bad !== undefined || tokens[0] === 'any') return fail(`host must be an IP address or host name, got ${tokens[0]}`);
      const port = parseUnsigned(tokens[1]!);
      if (!port.ok || port.value < 1024 || port.value > 65535) return fail(`port must be between 1024 and 65535, got ${tokens[1]}`);
      return ok({ host: tokens[0]!, port: port.value });
    },
    parseDynamic: () => fail('is not dynamic'),
    apply(target, value) {
      const seed = value as MeshSeed;
      const seeds = seedsOf(target);
      if (seeds.some((s) => s.host === seed.host && s.port === seed.port)) {
        return `lists ${seed.host} ${seed.port} twice`;
      }
      seeds.push(seed);
      return undefined;
    },
    render: (target) => seedsOf(target).map((s) => [key, `${s.host}:${s.port}`] as const),
  };
}

const hb = fieldsOf<HeartbeatConfig>();
const dyn = (key: string) => ({ dynamic: true, dynamicKey: `heartbeat.${key}` });

/** Heartbeat parameters; get-config order depends on the mode, see render.ts. */
export const NETWORK_HEARTBEAT_PARAMS = new ParamTable<HeartbeatConfig>([
  choiceParam('mode', hb('mode'), ['mesh', 'multicast']),
  listParam('address', (t) => t.addresses, { check: checkAddress }),
  uintParam('port', hb('port'), PORT),
  meshSeedParam('mesh-seed-address-port', (t) => t.meshSeeds),
  listParam('multicast-group', (t) => t.multicastGroups, {
    check: (t) => (isIP(t) !== 0 ? undefined : `must be an IP address, got ${t}`),
  }),
  uintParam('multicast-ttl', hb('multicastTtl'), { max: 255 }),
  uintParam('interval', hb('intervalMs'), { min: 50, max: 600_000, ...dyn('interval') }),
  uintParam('timeout', hb('timeoutIntervals'), { min: 3, max: 0xffff_ffff, ...dyn('timeout') }),
  uintParam('connect-timeout-ms', hb('connectTimeoutMs'), { min: 50, max: 0xffff_ffff, ...dyn('connect-timeout-ms') }),
  uintParam('mtu', hb('mtu'), { max: 0xffff_ffff, ...dyn('mtu') }),
  choiceParam('protocol', hb('protocol'), ['none', 'v3'], dyn('protocol')),
  listParam('tls-address', (t) => t.tlsAddresses, { check: checkAddress }),
  uintParam('tls-port', hb('tlsPort'), PORT),
  stringParam('tls-name', hb('tlsName'), { check: checkTlsName }),
  meshSeedParam('tls-mesh-seed-address-port', (t) => t.tlsMeshSeeds),
  obsolete('mcast-ttl', "please use 'multicast-ttl'"),
]);

const fab = fieldsOf<FabricConfig>();
const fx = extraOf<FabricConfig>();
const fdyn = (key: string) => ({ dynamic: true, dynamicKey: `fabric.${key}` });

export const NETWORK_FABRIC_PARAMS = new ParamTable<FabricConfig>([
  listParam('address', (t) => t.addresses, { check: checkAddress }),
  listParam('tls-address', (t) => t.tlsAddresses, { check: checkAddress }),
  uintParam('tls-port', fab('tlsPort'), PORT),
  stringParam('tls-name', fab('tlsName'), { check: checkTlsName }),
  uintParam('channel-bulk-fds', fx('channel-bulk-fds', 2), { min: 1, max: 128 }),
  uintParam('channel-bulk-recv-threads', fx('channel-bulk-recv-threads', 4), { min: 1, max: 128, ...fdyn('channel-bulk-recv-threads') }),
  uintParam('channel-ctrl-fds', fx('channel-ctrl-fds', 1), { min: 1, max: 128 }),
  uintParam('channel-ctrl-recv-threads', fx('channel-ctrl-recv-threads', 4), { min: 1, max: 128, ...fdyn('channel-ctrl-recv-threads') }),
  uintParam('channel-meta-fds', fx('channel-meta-fds', 1), { min: 1, max: 128 }),
  uintParam('channel-meta-recv-threads', fx('channel-meta-recv-threads', 4), { min: 1, max: 128, ...fdyn('channel-meta-recv-threads') }),
  uintParam('channel-rw-fds', fx('channel-rw-fds', 8), { min: 1, max: 128 }),
  uintParam('channel-rw-recv-pools', fx('channel-rw-recv-pools', 1), { min: 1, max: 16 }),
  uintParam('channel-rw-recv-threads', fx('channel-rw-recv-threads', 16), { min: 1, max: 128, ...fdyn('channel-rw-recv-threads') }),
  boolParam('keepalive-enabled', fx('keepalive-enabled', true)),
  uintParam('keepalive-intvl', fx('keepalive-intvl', 1), { min: 1, max: 0x7fff_ffff }),
  uintParam('keepalive-probes', fx('keepalive-probes', 10), { min: 1, max: 0x7fff_ffff }),
  uintParam('keepalive-time', fx('keepalive-time', 1), { min: 1, max: 0x7fff_ffff }),
  uintParam('latency-max-ms', fx('latency-max-ms', 5), { max: 1000 }),
  uintParam('port', fab('port'), PORT),
  uintParam('recv-rearm-threshold', fx('recv-rearm-threshold', 1024), { max: 1024 * 1024, ...fdyn('recv-rearm-threshold') }),
  uintParam('send-threads', fx('send-threads', 8), { min: 1, max: 128 }),
]);

/** `info { port }`: obsolete in Aerospike (it ignores the stanza); Strato records the port. */
export const NETWORK_INFO_PARAMS = new ParamTable<{ port: number }>([uintParam('port', fieldsOf<{ port: number }>()('port'), PORT)]);
