/**
 * Turns `aerospike.conf` text into a tree of stanzas and parameter lines, checking only the
 * shape: comments, braces and nesting. What the names mean is the parser's job.
 *
 * Format (as Aerospike reads it): `#` starts a comment anywhere on a line; tokens are separated by
 * whitespace; a line ending in `{` opens a stanza (`name [args] {`); a line holding only `}`
 * closes one; any other line is `key [values...]`.
 */
import { ConfigError } from './errors.js';
import { LIMITS } from './model.js';

export interface ParamLine {
  kind: 'param';
  key: string;
  values: string[];
  line: number;
}

export interface Stanza {
  kind: 'stanza';
  name: string;
  args: string[];
  /** Line of the opening `name ... {`. */
  line: number;
  items: (ParamLine | Stanza)[];
}

/** The whole file as a stanza with no name. */
export interface ConfigTree {
  items: (ParamLine | Stanza)[];
  /** Number of lines, for errors about the file as a whole. */
  lineCount: number;
}

/** Describes a stanza for messages: `namespace test`, `service`. */
export function stanzaLabel(s: Pick<Stanza, 'name' | 'args'>): string {
  return [s.name, ...s.args].join(' ');
}

/**
 * Splits text into a stanza tree.
 * @throws ConfigError for unbalanced or misplaced braces and over-deep nesting
 */
/** `${un}` (user name) and `${dn}` (user DN) in security ldap patterns. */
const LDAP_PLACEHOLDERS = /\$\{(un|dn)\}/g;

export function lexConfig(text: string, fileName: string): ConfigTree {
  const root: Stanza = { kind: 'stanza', name: '', args: [], line: 0, items: [] };
  const stack: Stanza[] = [root];
  const lines = text.split(/\r\n|\n|\r/);
  const err = (line: number, reason: string) => new ConfigError(fileName, line, reason);

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const hash = lines[i]!.indexOf('#');
    const body = hash === -1 ? lines[i]! : lines[i]!.slice(0, hash);
    const tokens = body.split(/[ \t\f\v]+/).filter((t) => t !== '');
    if (tokens.length === 0) continue;
    const current = stack[stack.length - 1]!;
    const last = tokens[tokens.length - 1]!;

    if (tokens[0] === '}') {
      if (tokens.length > 1) throw err(lineNo, `unexpected '${tokens[1]}' after '}'; '}' must be alone on its line`);
      if (stack.length === 1) throw err(lineNo, "unexpected '}' with no open stanza");
      stack.pop();
      continue;
    }

    // braces only ever appear as a whole token: the last one of an opening line, or a lone '}';
    // inside a value only as the LDAP patterns' placeholders ${un} and ${dn} (security ldap)
    const stray = tokens.findIndex((raw, idx) => {
      const t = idx > 0 ? raw.replace(LDAP_PLACEHOLDERS, '') : raw;
      return (t.includes('{') && !(t === '{' && idx === tokens.length - 1)) || t.includes('}');
    });
    if (stray !== -1) {
      const t = tokens[stray]!;
      const brace = t.includes('{') ? '{' : '}';
      throw err(lineNo, `unexpected '${brace}' in '${t}'; braces must be separated by spaces and '{' must end its line`);
    }

    if (last === '{') {
      if (tokens.length === 1) throw err(lineNo, "'{' without a stanza name");
      if (stack.length > LIMITS.maxStanzaDepth) throw err(lineNo, `stanzas nested deeper than ${LIMITS.maxStanzaDepth} levels`);
      const stanza: Stanza = { kind: 'stanza', name: tokens[0]!, args: tokens.slice(1, -1), line: lineNo, items: [] };
      current.items.push(stanza);
      stack.push(stanza);
      continue;
    }

    current.items.push({ kind: 'param', key: tokens[0]!, values: tokens.slice(1), line: lineNo });
  }

  if (stack.length > 1) {
    const open = stack[stack.length - 1]!;
    throw err(open.line, `'${stanzaLabel(open)}' is not closed: missing '}'`);
  }
  return { items: root.items, lineCount: lines.length };
}
