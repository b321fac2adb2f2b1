/**
 * The `logging { console { } file <path> { } syslog { } }` stanza: log sinks and the level each
 * Aerospike log context writes at.
 */
import type { ParamLine, Stanza } from './lexer.js';
import type { LoggingSink, LogLevel } from './model.js';
import type { ParseContext } from './parse-context.js';

/** Aerospike 8.1's log contexts (`context <name> <level>` accepts these and `any`). */
export const LOG_CONTEXTS: readonly string[] = [
  'misc', 'alloc', 'arenax', 'hardware', 'msg', 'os', 'secrets', 'socket', 'tls', 'vault', 'vmapx', 'xmem',
  'aggr', 'appeal', 'as', 'audit', 'batch', 'batch-sub', 'bin', 'config', 'clustering', 'deprecation',
  'drv-mem', 'drv_pmem', 'drv_ssd', 'exchange', 'exp', 'fabric', 'flat', 'geo', 'hb', 'health', 'hlc',
  'index', 'info', 'info-command', 'key-busy', 'migrate', 'mrt-audit', 'mrt-monitor', 'namespace', 'nsup',
  'particle', 'partition', 'proto', 'proxy', 'proxy-divert', 'query', 'record', 'roster', 'rw', 'rw-client',
  'security', 'service', 'service-list', 'sindex', 'skew', 'smd', 'storage', 'truncate', 'tsvc', 'udf',
  'xdr', 'xdr-client', 'masking',
];

const LEVELS: readonly LogLevel[] = ['critical', 'warning', 'info', 'debug', 'detail'];

const SYSLOG_FACILITIES = [
  'auth', 'authpriv', 'cron', 'daemon', 'ftp', 'kern', 'local0', 'local1', 'local2', 'local3', 'local4',
  'local5', 'local6', 'local7', 'lpr', 'mail', 'news', 'syslog', 'user', 'uucp',
];

/** Aerospike keeps at most 8 sinks. */
const MAX_SINKS = 8;

/** `context <name> <level>`: names and levels are case-insensitive, stored lower-case. */
function applyContextLine(ctx: ParseContext, levels: Record<string, LogLevel>, item: ParamLine, seen: Map<string, number>): void {
  if (item.values.length !== 2) {
    throw ctx.error(item.line, `'context' takes a log context and a level, got '${item.values.join(' ')}'`);
  }
  const name = item.values[0]!.toLowerCase();
  const level = item.values[1]!.toLowerCase() as LogLevel;
  if (name !== 'any' && !LOG_CONTEXTS.includes(name)) {
    throw ctx.error(item.line, `'context' has unknown log context '${item.values[0]}'`);
  }
  if (!LEVELS.includes(level)) {
    throw ctx.error(item.line, `'context ${name}' level must be one of ${LEVELS.join(', ')}, got ${item.values[1]}`);
  }
  const prev = seen.get(name);
  if (prev !== undefined) throw ctx.error(item.line, `'context ${name}' is already set at line ${prev}`);
  seen.set(name, item.line);
  if (name === 'any') {
    // as in Aerospike, `any` sets every context, overriding ones listed before it
    for (const k of Object.keys(levels)) delete levels[k];
  }
  levels[name] = level;
}

function parseSink(ctx: ParseContext, stanza: Stanza): LoggingSink {
  // Aerospike starts every context of a new sink at CRITICAL
  const levels: Record<string, LogLevel> = { any: 'critical' };
  const seen = new Map<string, number>();
  const syslog = { facility: 'local0', path: '/dev/log', tag: 'asd' };
  const syslogSeen = new Map<string, number>();

  for (const item of stanza.items) {
    if (item.kind === 'stanza') throw ctx.unknownStanza(item, `the logging ${stanza.name} stanza`);
    if (item.key === 'context') {
      applyContextLine(ctx, levels, item, seen);
      continue;
    }
    if (stanza.name === 'syslog' && (item.key === 'facility' || item.key === 'path' || item.key === 'tag')) {
      if (item.values.length !== 1) throw ctx.error(item.line, `'${item.key}' takes one value`);
      const prev = syslogSeen.get(item.key);
      if (prev !== undefined) throw ctx.error(item.line, `'${item.key}' is already set at line ${prev}`);
      syslogSeen.set(item.key, item.line);
      const v = item.values[0]!;
      if (item.key === 'facility' && !SYSLOG_FACILITIES.includes(v)) {
        throw ctx.error(item.line, `'facility' must be one of ${SYSLOG_FACILITIES.join(', ')}, got ${v}`);
      }
      syslog[item.key] = v;
      continue;
    }
    throw ctx.unknownParam(item, `logging ${stanza.name}`);
  }

  switch (stanza.name) {
    case 'console':
      return { kind: 'console', levels };
    case 'file':
      return { kind: 'file', path: stanza.args[0]!, levels };
    default:
      return { kind: 'syslog', ...syslog, levels };
  }
}

/** Parses `logging { }` into its sinks, in file order. */
export function parseLogging(ctx: ParseContext, stanza: Stanza): LoggingSink[] {
  ctx.noArgs(stanza);
  const sinks: LoggingSink[] = [];
  const sinkLines = new Map<string, number>();
  for (const item of stanza.items) {
    if (item.kind === 'param') {
      throw ctx.error(item.line, `'${item.key}' does not belong in the logging stanza; use console { }, file <path> { } or syslog { }`);
    }
    if (item.name !== 'console' && item.name !== 'file' && item.name !== 'syslog') throw ctx.unknownStanza(item, 'the logging stanza');
    if (item.name === 'file' && item.args.length !== 1) {
      throw ctx.error(item.line, `'file' log sink takes one path, got '${item.args.join(' ')}'`);
    }
    if (item.name !== 'file') ctx.noArgs(item);
    const id = item.name === 'file' ? `file ${item.args[0]}` : item.name;
    const prev = sinkLines.get(id);
    if (prev !== undefined) throw ctx.error(item.line, `log sink '${id}' is already configured at line ${prev}`);
    if (sinks.length >= MAX_SINKS) throw ctx.error(item.line, `at most ${MAX_SINKS} log sinks may be configured`);
    sinkLines.set(id, item.line);
    sinks.push(parseSink(ctx, item));
  }
  return sinks;
}
