/**
 * CMP_REGEX support: translates a POSIX regular expression, as Aerospike compiles it with glibc
 * `regcomp` in the C locale, into an equivalent JavaScript RegExp.
 *
 * Semantics kept:
 * - byte semantics: pattern and subject are mapped byte-for-byte to latin1 strings, so `.` matches
 *   one byte as in the C locale; both stop at the first NUL byte (C strings);
 * - flags (glibc values): 1 EXTENDED (ERE, else BRE with the GNU `\+ \? \|` extensions), 2 ICASE,
 *   4 NOSUB (no effect on a yes/no match), 8 NEWLINE (`.` and `[^...]` exclude newline, `^`/`$`
 *   also match at line boundaries); other bits are ignored like glibc does;
 * - BRE context rules: `*` is literal at the start, after `\(`, `\|` or a leading `^`; `^`/`$` are
 *   anchors only at the start/end of the pattern or a group/alternative; `\{m,n\}` intervals;
 * - ERE: `{m,n}` intervals (an unmatched `)` is literal), repeated quantifiers (`a**`) allowed;
 * - bracket expressions with `[:class:]`, `[=c=]`, `[.c.]`, literal backslash and leading `]`;
 * - GNU escapes `\w \W \s \S \b \B \< \> \` \'`, back-references `\1`..`\9`, any other escaped
 *   character is itself.
 *
 * Only whether a match exists is observable (regexec with no sub-matches), so POSIX leftmost-longest
 * versus JavaScript leftmost-first does not matter. Invalid patterns throw {@link RegexSyntaxError}.
 */

export const RegexFlag = {
  EXTENDED: 1,
  ICASE: 2,
  NOSUB: 4,
  NEWLINE: 8,
} as const;

/** glibc's RE_DUP_MAX */
const DUP_MAX = 0x7fff;

export class RegexSyntaxError extends Error {}

function fail(msg: string): never {
  throw new RegexSyntaxError(msg);
}

const CLASSES: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: '0-9A-Za-z',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\t\\n\\v\\f\\r ',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
  xdigit: '0-9A-Fa-f',
};

function hex(code: number): string {
  return '\\x' + code.toString(16).padStart(2, '0');
}

/** A literal character for use outside a class. */
function lit(ch: string): string {
  return /[0-9A-Za-z]/.test(ch) ? ch : hex(ch.charCodeAt(0));
}

/** Converts bytes to a latin1 string, stopping at the first NUL (C string semantics). */
export function bytesToCString(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return Buffer.from(b.buffer, b.byteOffset, nul < 0 ? b.length : nul).toString('latin1');
}

/** Translates a POSIX pattern (latin1 string) with regcomp flags into a RegExp. */
export function posixToRegExp(pattern: string, flags: number): RegExp {
  const ere = (flags & RegexFlag.EXTENDED) !== 0;
  const newline = (flags & RegexFlag.NEWLINE) !== 0;
  const p = pattern;
  let out = '';
  /** output offset where the last quantifiable atom starts; -1 = none (start of a branch) */
  let atomStart = -1;
  /** the last token was a quantifier */
  let lastQuant = false;
  /** true right after the start of the pattern / a group / an alternative (BRE context rules) */
  let branchStart = true;
  /** BRE: just after a leading `^` anchor */
  let afterLeadingHat = false;
  let groupsOpened = 0;
  const groupStack: number[] = [];

  const atom = (s: string): void => {
    atomStart = out.length;
    out += s;
    lastQuant = false;
    branchStart = false;
    afterLeadingHat = false;
  };
  const assertion = (s: string): void => {
    atomStart = -1;
    out += s;
    lastQuant = false;
    branchStart = false;
    afterLeadingHat = false;
  };
  const quant = (q: string): void => {
    if (atomStart < 0) fail('repetition operator without operand');
    if (lastQuant) out = out.slice(0, atomStart) + '(?:' + out.slice(atomStart) + ')';
    out += q;
    lastQuant = true;
    branchStart = false;
    afterLeadingHat = false;
  };

  const parseInterval = (i: number, closeBackslash: boolean): [string, number] => {
    // i is just past the opening brace
    let j = i;
    let min = '';
    let max: string | undefined;
    while (j < p.length && p[j]! >= '0' && p[j]! <= '9') min += p[j++];
    if (p[j] === ',') {
      j++;
      max = '';
      while (j < p.length && p[j]! >= '0' && p[j]! <= '9') max += p[j++];
    }
    if (closeBackslash) {
      if (p[j] !== '\\' || p[j + 1] !== '}') fail('unmatched \\{');
      j += 2;
    } else {
      if (p[j] !== '}') fail('invalid interval');
      j++;
    }
    const lo = min === '' ? 0 : Number(min);
    if (min === '' && max === undefined) fail('invalid interval');
    const hi = max === undefined ? lo : max === '' ? Infinity : Number(max);
    if (lo > DUP_MAX || (hi !== Infinity && hi > DUP_MAX) || hi < lo) fail('invalid interval bounds');
    const q = max === undefined ? `{${lo}}` : hi === Infinity ? `{${lo},}` : `{${lo},${hi}}`;
    return [q, j];
  };

  const parseBracket = (i: number): [string, number] => {
    // i is just past '['
    let j = i;
    let negate = false;
    if (p[j] === '^') {
      negate = true;
      j++;
    }
    let body = '';
    let first = true;
    /** the previous element was a plain character usable as a range start */
    let prevChar: number | null = null;
    while (true) {
      if (j >= p.length) fail('unmatched [');
      const ch = p[j]!;
      if (ch === ']' && !first) {
        j++;
        break;
      }
      first = false;
      if (ch === '[' && (p[j + 1] === ':' || p[j + 1] === '=' || p[j + 1] === '.')) {
        const kind = p[j + 1]!;
        const close = p.indexOf(kind + ']', j + 2);
        if (close < 0) fail('unterminated [' + kind);
        const name = p.slice(j + 2, close);
        j = close + 2;
        if (kind === ':') {
          const cls = CLASSES[name];
          if (cls === undefined) fail(`unknown character class ${name}`);
          body += cls;
          prevChar = null;
        } else {
          if (name.length !== 1) fail('unsupported collating element');
          body += hex(name.charCodeAt(0));
          prevChar = name.charCodeAt(0);
        }
        continue;
      }
      if (ch === '-' && prevChar !== null && j + 1 < p.length && p[j + 1] !== ']') {
        // a range prevChar-end
        let endCode: number;
        if (p[j + 1] === '[' && (p[j + 2] === '.' || p[j + 2] === '=')) {
          const kind = p[j + 2]!;
          const close = p.indexOf(kind + ']', j + 3);
          if (close < 0) fail('unterminated [' + kind);
          const name = p.slice(j + 3, close);
          if (name.length !== 1) fail('unsupported collating element');
          endCode = name.charCodeAt(0);
          j = close + 2;
        } else {
          endCode = p.charCodeAt(j + 1);
          j += 2;
        }
        if (endCode < prevChar) fail('invalid range end');
        body += '-' + hex(endCode);
        prevChar = null;
        continue;
      }
      body += hex(ch.charCodeAt(0));
      prevChar = ch.charCodeAt(0);
      j++;
    }
    if (negate) return [`[^${body}${newline ? '\\n' : ''}]`, j];
    return [body === '' ? '[]' : `[${body}]`, j];
  };

  const openGroup = (): void => {
    groupsOpened++;
    groupStack.push(out.length);
    out += '(';
    atomStart = -1;
    lastQuant = false;
    branchStart = true;
    afterLeadingHat = false;
  };
  const closeGroup = (): void => {
    const start = groupStack.pop()!;
    out += ')';
    atomStart = start;
    lastQuant = false;
    branchStart = false;
    afterLeadingHat = false;
  };
  const alternation = (): void => {
    out += '|';
    atomStart = -1;
    lastQuant = false;
    branchStart = true;
    afterLeadingHat = false;
  };

  let i = 0;
  while (i < p.length) {
    const ch = p[i]!;
    if (ch === '\\') {
      if (i + 1 >= p.length) fail('trailing backslash');
      const e = p[i + 1]!;
      i += 2;
      if (!ere && e === '(') {
        openGroup();
        continue;
      }
      if (!ere && e === ')') {
        if (groupStack.length === 0) fail('unmatched \\)');
        closeGroup();
        continue;
      }
      if (!ere && e === '|') {
        alternation();
        continue;
      }
      if (!ere && e === '{') {
        if (atomStart < 0) fail('invalid preceding regular expression');
        const [q, j] = parseInterval(i, true);
        quant(q);
        i = j;
        continue;
      }
      if (!ere && (e === '+' || e === '?')) {
        if (atomStart < 0) atom(lit(e));
        else quant(e);
        continue;
      }
      if (e >= '1' && e <= '9') {
        const n = e.charCodeAt(0) - 48;
        if (n > groupsOpened) fail('invalid back reference');
        atom(`\\${n}`);
        continue;
      }
      switch (e) {
        case 'w':
        case 'W':
        case 's':
        case 'S':
          atom('\\' + e);
          continue;
        case 'b':
        case 'B':
          assertion('\\' + e);
          continue;
        case '<':
          assertion('\\b(?=\\w)');
          continue;
        case '>':
          assertion('\\b(?<=\\w)');
          continue;
        case '`':
          assertion('(?<![\\s\\S])');
          continue;
        case "'":
          assertion('(?![\\s\\S])');
          continue;
        default:
          atom(lit(e));
          continue;
      }
    }
    if (ch === '[') {
      const [cls, j] = parseBracket(i + 1);
      atom(cls);
      i = j;
      continue;
    }
    if (ch === '.') {
      atom(newline ? '[^\\n]' : '[\\s\\S]');
      i++;
      continue;
    }
    if (ch === '^') {
      if (ere || branchStart) {
        const wasStart = branchStart;
        assertion('^');
        if (!ere && wasStart) afterLeadingHat = true;
      } else atom(lit(ch));
      i++;
      continue;
    }
    if (ch === '$') {
      let anchor = ere || i + 1 === p.length;
      if (!ere && !anchor && p[i + 1] === '\\' && (p[i + 2] === ')' || p[i + 2] === '|')) anchor = true;
      if (anchor) assertion('$');
      else atom(lit(ch));
      i++;
      continue;
    }
    if (ch === '*') {
      if (!ere && (atomStart < 0 || afterLeadingHat) && !lastQuant) atom(lit(ch));
      else quant('*');
      i++;
      continue;
    }
    if (ere) {
      if (ch === '+' || ch === '?') {
        quant(ch);
        i++;
        continue;
      }
      if (ch === '{') {
        const [q, j] = parseInterval(i + 1, false);
        quant(q);
        i = j;
        continue;
      }
      if (ch === '(') {
        openGroup();
        i++;
        continue;
      }
      if (ch === ')') {
        if (groupStack.length === 0) atom(lit(ch));
        else closeGroup();
        i++;
        continue;
      }
      if (ch === '|') {
        alternation();
        i++;
        continue;
      }
    }
    atom(lit(ch));
    i++;
  }
  if (groupStack.length > 0) fail('unmatched (');

  let jsFlags = '';
  if (flags & RegexFlag.ICASE) jsFlags += 'i';
  if (newline) jsFlags += 'm';
  try {
    return new RegExp(out, jsFlags);
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
}

/**
 * Compiles the pattern bytes of a CMP_REGEX op. Results are memoised in `cache` (one per compiled
 * expression) keyed by flags and pattern.
 */
export function compileRegex(pattern: Uint8Array, flags: number, cache?: Map<string, RegExp>): RegExp {
  const src = bytesToCString(pattern);
  const key = `${flags}/${src}`;
  const hit = cache?.get(key);
  if (hit) return hit;
  const re = posixToRegExp(src, flags);
  cache?.set(key, re);
  return re;
}

/** regexec(): does the subject (bytes; stops at NUL) contain a match? */
export function regexMatches(re: RegExp, subject: Uint8Array): boolean {
  return re.test(bytesToCString(subject));
}
