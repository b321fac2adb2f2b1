/**
 * A getopt_long-style command-line parser, so the tools accept what Aerospike's C tools accept:
 * `-n test`, `-ntest`, clustered flags (`-xv`), `--namespace test`, `--namespace=test`, an
 * optional value attached or as the next word when that is not an option (`-P pw`, as asbackup's
 * password), and `--` to end options.
 * node:util parseArgs cannot express optional values or repeatable, accumulating options.
 */

export interface OptionSpec {
  long: string;
  short?: string;
  /** 'none' flag, 'required' value, 'optional' value (attached only) */
  value: 'none' | 'required' | 'optional';
}

export class UsageError extends Error {}

export interface ParsedArgs {
  /** each option's values in order; flags have '' */
  values: Map<string, string[]>;
  positionals: string[];
}

/** Parses argv (without node and script). Throws UsageError for unknown options or missing values. */
export function parseCommandLine(argv: string[], specs: OptionSpec[]): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  const add = (s: OptionSpec, v: string) => {
    const list = values.get(s.long) ?? [];
    list.push(v);
    values.set(s.long, list);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unrecognized option '--${name}'`);
      if (spec.value === 'none') {
        if (eq >= 0) throw new UsageError(`option '--${name}' doesn't allow an argument`);
        add(spec, '');
      } else if (eq >= 0) add(spec, a.slice(eq + 1));
      else if (spec.value === 'optional') add(spec, optionalNext(argv, i) ? argv[++i]! : '');
      else {
        if (i + 1 >= argv.length) throw new UsageError(`option '--${name}' requires an argument`);
        add(spec, argv[++i]!);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const ch = a[j]!;
        const spec = byShort.get(ch);
        if (!spec) throw new UsageError(`invalid option -- '${ch}'`);
        if (spec.value === 'none') {
          add(spec, '');
          continue;
        }
        const rest = a.slice(j + 1);
        if (rest.length > 0) add(spec, rest);
        else if (spec.value === 'optional') add(spec, optionalNext(argv, i) ? argv[++i]! : '');
        else {
          if (i + 1 >= argv.length) throw new UsageError(`option requires an argument -- '${ch}'`);
          add(spec, argv[++i]!);
        }
        break;
      }
      continue;
    }
    positionals.push(a);
  }
  return { values, positionals };
}

/** An optional value may be the next word when that word is not an option. */
function optionalNext(argv: string[], i: number): boolean {
  return i + 1 < argv.length && !argv[i + 1]!.startsWith('-');
}

/** Typed access to parsed options. */
export class Options {
  constructor(private readonly parsed: ParsedArgs) {}

  has(long: string): boolean {
    return this.parsed.values.has(long);
  }

  /** The last value given (options given twice keep the last, as getopt loops do). */
  str(long: string): string | undefined {
    const v = this.parsed.values.get(long);
    return v ? v[v.length - 1] : undefined;
  }

  all(long: string): string[] {
    return this.parsed.values.get(long) ?? [];
  }

  /** An integer option within [min, max]; `what` names it in the error. */
  int(long: string, def: number, min: number, max: number, what: string): number {
    const s = this.str(long);
    if (s === undefined) return def;
    if (!/^[+-]?[0-9]+$/.test(s.trim())) throw new UsageError(`Invalid ${what} value ${s}`);
    const v = Number(s.trim());
    if (!Number.isSafeInteger(v) || v < min || v > max) throw new UsageError(`Invalid ${what} value ${s}`);
    return v;
  }
}

/**
 * Parses `host[:port][,host[:port]...]` with a default port; IPv6 in brackets; Aerospike's
 * `host:tlsname:port` form names the TLS name the node's certificate must present.
 */
export function parseHosts(spec: string, defaultPort: number): { host: string; port: number; tlsName?: string }[] {
  return spec
    .split(',')
    .filter((s) => s.length > 0)
    .map((h) => {
      const m = /^\[([^\]]+)\](?::(?:([^:]*):)?(\d+))?$/.exec(h) ?? /^([^:]+)(?::(?:([^:]*):)?(\d+))?$/.exec(h);
      if (!m) throw new UsageError(`Invalid host ${h}`);
      const port = m[3] ? Number(m[3]) : defaultPort;
      if (!(port >= 1 && port <= 65535)) throw new UsageError(`Invalid port value ${m[3]}`);
      return m[2] ? { host: m[1]!, port, tlsName: m[2] } : { host: m[1]!, port };
    });
}

/** Splits a comma list, honouring '…' or "…" quotes around items (utils.c parse_set_list). */
export function parseQuotedList(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    const q = s[i];
    if (q === "'" || q === '"') {
      const end = s.indexOf(q, i + 1);
      if (end < 0) throw new UsageError(`Missing terminating ${q} in set name`);
      out.push(s.slice(i + 1, end));
      i = end + 1;
    } else {
      let end = s.indexOf(',', i);
      if (end < 0) end = s.length;
      out.push(s.slice(i, end));
      i = end;
    }
    if (i >= s.length) break;
    if (s[i] !== ',') throw new UsageError("Require ',' to delineate set names");
    i++;
  }
  return out;
}
