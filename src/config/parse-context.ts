/**
 * Shared machinery of the config file parser: where each value came from (for `file:line`
 * errors), applying a parameter table to a stanza, and the messages for unknown or misplaced
 * names.
 */
import { ConfigError } from './errors.js';
import { stanzaLabel, type ParamLine, type Stanza } from './lexer.js';
import type { ParamTable } from './param-spec.js';
import type { Problem } from './validate.js';
import { SERVICE_PARAMS } from './service-params.js';
import {
  NETWORK_ADMIN_PARAMS,
  NETWORK_FABRIC_PARAMS,
  NETWORK_HEARTBEAT_PARAMS,
  NETWORK_INFO_PARAMS,
  NETWORK_SERVICE_PARAMS,
} from './network-params.js';
import { GEO2DSPHERE_PARAMS, NAMESPACE_PARAMS, SET_PARAMS, indexMountParams } from './namespace-params.js';
import { DEVICE_STORAGE_PARAMS, MEMORY_STORAGE_PARAMS } from './storage-params.js';

/** Remembers the line each stanza object and each of its keys came from. */
export class LineBook {
  private readonly keyLines = new WeakMap<object, Map<string, number>>();
  private readonly stanzaLines = new WeakMap<object, number>();

  stanza(target: object, line: number): void {
    this.stanzaLines.set(target, line);
  }

  record(target: object, key: string, line: number): void {
    let m = this.keyLines.get(target);
    if (!m) this.keyLines.set(target, (m = new Map()));
    if (!m.has(key)) m.set(key, line);
  }

  /** Line where `key` was set on `target`, if the file set it. */
  lineOf(target: object, key: string): number | undefined {
    return this.keyLines.get(target)?.get(key);
  }

  /** Line of the problem's key, else of its stanza, else 1. */
  lineOfProblem(p: Problem): number {
    return (p.key !== undefined ? this.lineOf(p.target, p.key) : undefined) ?? this.stanzaLines.get(p.target) ?? 1;
  }
}

/** The part of a parameter table the "belongs in" hints need. */
interface NameLookup {
  get(name: string): { readonly refusal?: string } | undefined;
}

/** Where each parameter name is valid, for "belongs in" hints. */
const CONTEXTS: readonly (readonly [label: string, table: NameLookup])[] = [
  ['service', SERVICE_PARAMS],
  ['network service', NETWORK_SERVICE_PARAMS],
  ['network heartbeat', NETWORK_HEARTBEAT_PARAMS],
  ['network fabric', NETWORK_FABRIC_PARAMS],
  ['network admin', NETWORK_ADMIN_PARAMS],
  ['network info', NETWORK_INFO_PARAMS],
  ['namespace', NAMESPACE_PARAMS],
  ['storage-engine memory', MEMORY_STORAGE_PARAMS],
  ['storage-engine device', DEVICE_STORAGE_PARAMS],
  ['set', SET_PARAMS],
  ['geo2dsphere-within', GEO2DSPHERE_PARAMS],
  ['index-type', indexMountParams(0)],
];

/** Where each stanza name goes, for misplaced stanzas (a Map: names come from the file). */
const STANZA_HOMES = new Map<string, string>([
  ['service', 'the top level or network'],
  ['logging', 'the top level'],
  ['network', 'the top level'],
  ['namespace', 'the top level'],
  ['mod-lua', 'the top level'],
  ['console', 'logging'],
  ['file', 'logging'],
  ['syslog', 'logging'],
  ['heartbeat', 'network'],
  ['fabric', 'network'],
  ['admin', 'network'],
  ['info', 'network'],
  ['tls', 'network'],
  ['storage-engine', 'a namespace'],
  ['set', 'a namespace'],
  ['geo2dsphere-within', 'a namespace'],
  ['index-type', 'a namespace'],
  ['sindex-type', 'a namespace'],
]);

/** Handles a stanza or special line itself; returns false to let the caller refuse it. */
export type ItemHook = (item: ParamLine | Stanza) => boolean;

/** A line Strato accepts that Aerospike 8.1 would refuse (a deprecated spelling), to be logged. */
export interface ConfigWarning {
  file: string;
  line: number;
  message: string;
}

export class ParseContext {
  readonly book = new LineBook();
  /** Deprecated spellings met so far, in file order. */
  readonly warnings: ConfigWarning[] = [];

  constructor(
    readonly fileName: string,
    readonly lineCount: number,
  ) {}

  error(line: number, reason: string): ConfigError {
    return new ConfigError(this.fileName, line, reason);
  }

  problem(p: Problem): ConfigError {
    return this.error(this.book.lineOfProblem(p), p.reason);
  }

  /** Refuses arguments after a stanza name that takes none (`service foo {`). */
  noArgs(stanza: Stanza): void {
    if (stanza.args.length > 0) throw this.error(stanza.line, `'${stanza.name}' stanza takes no argument, got '${stanza.args.join(' ')}'`);
  }

  unknownParam(item: ParamLine, context: string): ConfigError {
    const homes = CONTEXTS.filter(([label, table]) => {
      const spec = label !== context ? table.get(item.key) : undefined;
      return spec !== undefined && spec.refusal === undefined;
    }).map(([label]) => label);
    if (item.key === 'context') homes.push('logging console or file');
    if (homes.length > 0) {
      return this.error(item.line, `'${item.key}' does not belong in the ${context} stanza; it is a ${homes.join(' or ')} parameter`);
    }
    return this.error(item.line, `unknown parameter '${item.key}' in the ${context} stanza`);
  }

  unknownStanza(stanza: Stanza, context: string): ConfigError {
    const home = STANZA_HOMES.get(stanza.name);
    if (home !== undefined) {
      return this.error(stanza.line, `'${stanzaLabel(stanza)}' stanza does not belong in ${context}; it goes in ${home}`);
    }
    return this.error(stanza.line, `unknown stanza '${stanza.name}' in ${context}`);
  }

  /**
   * Applies every line of `stanza` to `target` through `table`. Each key may appear once unless
   * its spec is repeatable; `hook` gets the first look at every item (nested stanzas, one-line
   * forms like `storage-engine memory`).
   */
  applyParams<T extends object>(table: ParamTable<T>, target: T, stanza: Stanza, context: string, hook?: ItemHook): void {
    this.book.stanza(target, stanza.line);
    const seenAt = new Map<string, { line: number; as: string }>();
    for (const item of stanza.items) {
      if (hook?.(item)) continue;
      if (item.kind === 'stanza') throw this.unknownStanza(item, `the ${context} stanza`);
      const spec = table.get(item.key);
      if (!spec) throw this.unknownParam(item, context);
      if (spec.refusal !== undefined) throw this.error(item.line, spec.refusal);
      const prev = seenAt.get(spec.key);
      if (prev && !spec.repeatable) {
        const alias = prev.as !== item.key ? ` (as '${prev.as}')` : '';
        throw this.error(item.line, `'${item.key}' is already set at line ${prev.line}${alias}`);
      }
      const parsed = spec.parse(item.values);
      if (!parsed.ok) throw this.error(item.line, `'${item.key}' ${parsed.reason}`);
      const deprecation = spec.deprecations?.[item.key];
      if (deprecation !== undefined) this.warnings.push({ file: this.fileName, line: item.line, message: deprecation });
      const refused = spec.apply(target, parsed.value);
      if (refused !== undefined) throw this.error(item.line, `'${item.key}' ${refused}`);
      if (!prev) seenAt.set(spec.key, { line: item.line, as: item.key });
      this.book.record(target, spec.key, item.line);
    }
  }
}
