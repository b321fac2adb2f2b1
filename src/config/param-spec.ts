/**
 * Declarative parameter specs: one entry per Aerospike parameter says how it is parsed from a
 * config file, whether and how set-config may change it, and how get-config shows it. The file
 * parser, set-config and get-config all read the same tables, so they cannot disagree.
 */
import type { ConfigScalar, ExtraParams } from './model.js';
import {
  fail,
  formatSize,
  isPowerOf2,
  ok,
  parseBool,
  parseSeconds,
  parseSize,
  parseUnsigned,
  type Parsed,
} from './values.js';

/** Reads and writes one value of a stanza object `T`. */
export interface Binding<T, V> {
  get(target: T): V | undefined;
  set(target: T, value: V): void;
}

/** One get-config `key=value` pair, key without its context prefix. */
export type RenderedPair = readonly [key: string, value: string];

export interface ParamSpec<T> {
  /** Aerospike's spelling in config files and get-config. */
  readonly key: string;
  /** Other spellings accepted for the same value (pre-7 names); they count as the same key. */
  readonly aliases: readonly string[];
  /** May appear more than once in a stanza (addresses, files, log contexts). */
  readonly repeatable: boolean;
  /** Changeable through set-config. */
  readonly dynamic: boolean;
  /** set-config spelling when it differs from `key`. */
  readonly dynamicKey?: string;
  /**
   * Set for parameters Strato refuses outright (obsolete in Aerospike 8, or enterprise-only in
   * CE): the full reason given to the operator.
   */
  readonly refusal?: string;
  /**
   * Set for spellings Aerospike 8.1 refuses but Strato accepts (documented extensions): the
   * warning logged when a config file uses them, by the spelling used.
   */
  readonly deprecations?: Readonly<Record<string, string>>;
  /** Parses the value tokens that follow the key on a config line. */
  parse(tokens: readonly string[]): Parsed<unknown>;
  /** Parses a set-config value (only called when `dynamic`). */
  parseDynamic(text: string): Parsed<unknown>;
  /** Stores a parsed value; returns a reason when it is refused in context (e.g. a repeated file). */
  apply(target: T, value: unknown): string | undefined;
  /** get-config pairs for this parameter (none for hidden ones). */
  render(target: T): RenderedPair[];
}

/** Builds typed field bindings for stanza type `T`: `const f = fieldsOf<ServiceConfig>()`. */
export function fieldsOf<T>() {
  return <K extends keyof T>(name: K): Binding<T, NonNullable<T[K]>> => ({
    get: (t) => (t[name] ?? undefined) as NonNullable<T[K]> | undefined,
    set: (t, v) => {
      t[name] = v as T[K];
    },
  });
}

/** Binds a parameter Strato does not model to the stanza's `extra` map, with Aerospike's default. */
export function extraOf<T extends { extra: ExtraParams }>() {
  return <V extends ConfigScalar>(key: string, dflt: V): Binding<T, V> => ({
    get: (t) => (key in t.extra ? (t.extra[key] as V) : dflt),
    set: (t, v) => {
      t.extra[key] = v;
    },
  });
}

interface CommonOpts {
  aliases?: readonly string[];
  dynamic?: boolean;
  dynamicKey?: string;
  /** Parsed and stored but not shown by get-config (Aerospike hides `user`, `group`). */
  hidden?: boolean;
  /** Aliases Aerospike 8.1 refuses as obsolete, with the warning a config file using them logs. */
  deprecatedAliases?: Readonly<Record<string, string>>;
}

/** Aerospike's string for an unset optional value. */
const NULL_TEXT = 'null';

function renderScalar(v: ConfigScalar | undefined): string {
  if (v === undefined) return NULL_TEXT;
  return typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
}

function single(tokens: readonly string[]): Parsed<string> {
  if (tokens.length === 0) return fail('needs a value');
  if (tokens.length > 1) return fail(`takes one value, got ${tokens.length}: ${tokens.join(' ')}`);
  return ok(tokens[0]!);
}

interface ScalarOpts<V> extends CommonOpts {
  parseDynamicOne?: (text: string) => Parsed<V>;
  renderValue?: (v: V | undefined) => string;
  /** Value of a line with the key alone (`run-as-daemon` means true). */
  noValue?: V;
}

function scalarSpec<T, V extends ConfigScalar>(
  key: string,
  bind: Binding<T, V>,
  parseOne: (text: string) => Parsed<V>,
  opts: ScalarOpts<V>,
): ParamSpec<T> {
  const renderValue = opts.renderValue ?? renderScalar;
  return {
    key,
    aliases: opts.aliases ?? [],
    repeatable: false,
    dynamic: opts.dynamic ?? false,
    ...(opts.dynamicKey !== undefined ? { dynamicKey: opts.dynamicKey } : {}),
    ...(opts.deprecatedAliases !== undefined ? { deprecations: opts.deprecatedAliases } : {}),
    parse(tokens) {
      if (tokens.length === 0 && opts.noValue !== undefined) return ok(opts.noValue);
      const t = single(tokens);
      return t.ok ? parseOne(t.value) : t;
    },
    parseDynamic: opts.parseDynamicOne ?? parseOne,
    apply(target, value) {
      bind.set(target, value as V);
      return undefined;
    },
    render: (target) => (opts.hidden ? [] : [[key, renderValue(bind.get(target))]]),
  };
}

export interface NumberOpts extends CommonOpts {
  min?: number;
  max?: number;
  powerOf2?: boolean;
  /** Explains the bound in range errors, e.g. `10 years`. */
  boundNote?: string;
}

function rangeText(min: number | undefined, max: number | undefined, fmt: (n: number) => string): string {
  if (min !== undefined && max !== undefined) return `between ${fmt(min)} and ${fmt(max)}`;
  if (max !== undefined) return `at most ${fmt(max)}`;
  return `at least ${fmt(min ?? 0)}`;
}

/** Range / power-of-2 check shared by counts, sizes and durations. */
function checkNumber(
  v: number,
  raw: string,
  opts: NumberOpts,
  fmt: (n: number) => string,
  unitWord: string,
): Parsed<number> {
  const inRange = (opts.min === undefined || v >= opts.min) && (opts.max === undefined || v <= opts.max);
  // a suffixed count or duration is also shown expanded; sizes already read naturally (`64M`)
  const shown = raw === String(v) || fmt === formatSize ? raw : `${raw} (${v}${unitWord})`;
  if (opts.powerOf2 && (!isPowerOf2(v) || !inRange)) {
    const range = opts.min !== undefined || opts.max !== undefined ? ` ${rangeText(opts.min, opts.max, fmt)}` : '';
    return fail(`must be a power of 2${range}, got ${raw}`);
  }
  const note = opts.boundNote !== undefined ? ` (${opts.boundNote})` : '';
  if (!inRange) return fail(`must be ${rangeText(opts.min, opts.max, fmt)}${unitWord}${note}, got ${shown}`);
  return ok(v);
}

/** A count (threads, entries, percentages, milliseconds...): unsigned, Aerospike suffixes allowed. */
export function uintParam<T>(key: string, bind: Binding<T, number>, opts: NumberOpts = {}): ParamSpec<T> {
  const parseOne = (text: string) => {
    const p = parseUnsigned(text);
    return p.ok ? checkNumber(p.value, text, opts, String, '') : p;
  };
  return scalarSpec(key, bind, parseOne, opts);
}

/** A size in bytes; bounds are shown as sizes (`128K`), values rendered in bytes. */
export function sizeParam<T>(key: string, bind: Binding<T, number>, opts: NumberOpts = {}): ParamSpec<T> {
  const parseOne = (text: string) => {
    const p = parseSize(text);
    return p.ok ? checkNumber(p.value, text, opts, formatSize, '') : p;
  };
  return scalarSpec(key, bind, parseOne, opts);
}

/** A duration in seconds (`30d`); rendered in seconds. */
export function secondsParam<T>(key: string, bind: Binding<T, number>, opts: NumberOpts = {}): ParamSpec<T> {
  const parseOne = (text: string) => {
    const p = parseSeconds(text);
    return p.ok ? checkNumber(p.value, text, opts, String, ' seconds') : p;
  };
  return scalarSpec(key, bind, parseOne, opts);
}

/** `true` / `false` (any case in files, exact in set-config, as Aerospike). */
export function boolParam<T>(
  key: string,
  bind: Binding<T, boolean>,
  opts: CommonOpts & { noValue?: boolean } = {},
): ParamSpec<T> {
  return scalarSpec(key, bind, (t) => parseBool(t), { ...opts, parseDynamicOne: (t) => parseBool(t, true) });
}

/** One of a fixed set of words (exact match, as Aerospike). */
export function choiceParam<T, V extends string>(
  key: string,
  bind: Binding<T, V>,
  values: readonly V[],
  opts: CommonOpts = {},
): ParamSpec<T> {
  const parseOne = (text: string): Parsed<V> =>
    (values as readonly string[]).includes(text) ? ok(text as V) : fail(`must be one of ${values.join(', ')}, got ${text}`);
  return scalarSpec(key, bind, parseOne, opts);
}

export interface StringOpts extends CommonOpts {
  maxBytes?: number;
  /** Extra check on the value; returns a reason ("must be ...") when refused. */
  check?: (text: string) => string | undefined;
  /** Value rendered when unset (default `null`). */
  renderValue?: (v: string | undefined) => string;
}

/** A free-form word (path, name). */
export function stringParam<T>(key: string, bind: Binding<T, string>, opts: StringOpts = {}): ParamSpec<T> {
  const parseOne = (text: string): Parsed<string> => {
    if (text === '') return fail('needs a value');
    if (opts.maxBytes !== undefined && Buffer.byteLength(text, 'utf8') > opts.maxBytes) {
      return fail(`must be at most ${opts.maxBytes} bytes long, got ${text}`);
    }
    const bad = opts.check?.(text);
    return bad === undefined ? ok(text) : fail(bad);
  };
  return scalarSpec(key, bind, parseOne, opts);
}

/** A scalar parsed by a custom function (hex node ids, signed percentages...). */
export function customScalarParam<T, V extends ConfigScalar>(
  key: string,
  bind: Binding<T, V>,
  parseOne: (text: string) => Parsed<V>,
  opts: ScalarOpts<V> = {},
): ParamSpec<T> {
  return scalarSpec(key, bind, parseOne, opts);
}

export interface ListOpts<T> {
  /** Refuses a value, e.g. a malformed address ("must be ..."). */
  check?: (text: string) => string | undefined;
  /** Refuses adding to the list in context (mixing files and devices...). */
  guard?: (target: T, value: string) => string | undefined;
  /** Render as `key[i]=value` (storage files) instead of repeating `key=value` (addresses). */
  indexed?: boolean;
  maxItems?: number;
}

/** A repeatable one-word parameter collected into an array (addresses, files, devices). */
export function listParam<T>(key: string, list: (target: T) => string[], opts: ListOpts<T> = {}): ParamSpec<T> {
  return {
    key,
    aliases: [],
    repeatable: true,
    dynamic: false,
    parse(tokens) {
      const t = single(tokens);
      if (!t.ok) return t;
      const bad = opts.check?.(t.value);
      return bad === undefined ? t : fail(bad);
    },
    parseDynamic: () => fail('is not dynamic'),
    apply(target, value) {
      const v = value as string;
      const items = list(target);
      if (items.includes(v)) return `lists ${v} twice`;
      if (opts.maxItems !== undefined && items.length >= opts.maxItems) return `allows at most ${opts.maxItems} entries`;
      const refused = opts.guard?.(target, v);
      if (refused !== undefined) return refused;
      items.push(v);
      return undefined;
    },
    render: (target) => list(target).map((v, i): RenderedPair => [opts.indexed ? `${key}[${i}]` : key, v]),
  };
}

/**
 * A parameter Strato refuses with a fixed reason (obsolete or enterprise-only).
 * @param renderAs value get-config shows anyway (CE shows enterprise parameters at their defaults)
 */
export function refusedParam<T>(key: string, refusal: string, renderAs?: string): ParamSpec<T> {
  return {
    key,
    aliases: [],
    repeatable: true,
    dynamic: false,
    refusal,
    parse: () => fail(refusal),
    parseDynamic: () => fail(refusal),
    apply: () => refusal,
    render: () => (renderAs === undefined ? [] : [[key, renderAs]]),
  };
}

/**
 * A parameter Aerospike 8.1 refuses that Strato still accepts as a documented extension: a config
 * file using it logs `warning` (the value still applies).
 */
export function deprecated<T>(spec: ParamSpec<T>, warning: string): ParamSpec<T> {
  return { ...spec, deprecations: { ...spec.deprecations, [spec.key]: warning } };
}

/** Aerospike 8's message for a removed parameter: `'x' is obsolete - <hint>`. */
export const obsolete = <T>(key: string, hint?: string): ParamSpec<T> =>
  refusedParam<T>(key, `'${key}' is obsolete${hint ? ` - ${hint}` : ''}`);

/**
 * Aerospike CE's message for an Enterprise Edition parameter.
 * @param renderAs the default CE's get-config still shows, if it shows the parameter
 */
export const enterpriseOnly = <T>(key: string, renderAs?: string): ParamSpec<T> =>
  refusedParam<T>(key, `'${key}' is enterprise-only`, renderAs);

/** A lookup table over specs by every accepted spelling. */
export class ParamTable<T> {
  private readonly byName = new Map<string, ParamSpec<T>>();
  private readonly byDynamicName = new Map<string, ParamSpec<T>>();

  constructor(readonly specs: readonly ParamSpec<T>[]) {
    for (const spec of specs) {
      for (const name of [spec.key, ...spec.aliases]) {
        // a table listing a name twice is a programming error, not a config error
        if (this.byName.has(name)) throw new Error(`duplicate config spec '${name}'`);
        this.byName.set(name, spec);
      }
      if (spec.dynamic) {
        for (const name of [spec.dynamicKey ?? spec.key, ...spec.aliases]) this.byDynamicName.set(name, spec);
      }
    }
  }

  /** The spec for a config-file key (canonical or alias). */
  get(name: string): ParamSpec<T> | undefined {
    return this.byName.get(name);
  }

  /** The spec set-config may change under this name. */
  getDynamic(name: string): ParamSpec<T> | undefined {
    return this.byDynamicName.get(name);
  }

  /** All get-config pairs in table order. */
  render(target: T): RenderedPair[] {
    return this.specs.flatMap((s) => s.render(target));
  }
}
