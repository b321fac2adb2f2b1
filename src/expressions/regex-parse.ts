/**
 * POSIX regular-expression parser (glibc `regcomp`, C locale) producing a small syntax tree that
 * {@link compileProgram} turns into an automaton. Parsing only: no matching here.
 *
 * Semantics kept:
 * - byte semantics: the pattern is a latin1 string (one char per byte), the C locale's classes and
 *   case folding are ASCII-only;
 * - flags (glibc values): 1 EXTENDED (ERE, else BRE with the GNU `\+ \? \|` extensions), 2 ICASE,
 *   4 NEWLINE (`.`, `[^...]`, `\W` exclude newline; `^`/`$` also match at line boundaries),
 *   8 NOSUB (no effect on a yes/no match); other bits are ignored like glibc does;
 * - BRE context rules: `*` is literal at the start, after `\(`, `\|` or a leading `^`; `^`/`$` are
 *   anchors only at the start/end of the pattern or a group/alternative; `\{m,n\}` intervals;
 * - ERE: `{m,n}` intervals (an unmatched `)` is literal), repeated quantifiers (`a**`) allowed;
 * - bracket expressions with `[:class:]`, `[=c=]`, `[.c.]`, literal backslash and leading `]`;
 * - GNU escapes `\w \W \s \S \b \B \< \> \` \'`, back-references `\1`..`\9`; any other escaped
 *   character is itself.
 */

/** glibc's regcomp flag values (regex.h). */
export const RegexFlag = {
  EXTENDED: 1,
  ICASE: 2,
  NEWLINE: 4,
  NOSUB: 8,
} as const;

/** glibc's RE_DUP_MAX: the largest count an interval `{m,n}` accepts. */
export const REGEX_DUP_MAX = 0x7fff;

/** A pattern regcomp would refuse (or that exceeds one of our named bounds). */
export class RegexSyntaxError extends Error {}

function fail(msg: string): never {
  throw new RegexSyntaxError(msg);
}

/** Zero-width assertions. */
export const Assert = {
  BOL: 0,
  EOL: 1,
  WORD_BOUNDARY: 2,
  NOT_WORD_BOUNDARY: 3,
  WORD_START: 4,
  WORD_END: 5,
  BUF_START: 6,
  BUF_END: 7,
} as const;

/** A byte set: 256 entries, 1 = member. */
export type ByteSet = Uint8Array;

export type RegexNode =
  | { readonly t: 'set'; readonly set: ByteSet }
  | { readonly t: 'cat'; readonly items: RegexNode[] }
  | { readonly t: 'alt'; readonly items: RegexNode[] }
  | { readonly t: 'rep'; readonly node: RegexNode; readonly min: number; readonly max: number }
  | { readonly t: 'group'; readonly node: RegexNode; readonly index: number }
  | { readonly t: 'assert'; readonly kind: number }
  | { readonly t: 'backref'; readonly index: number };

/** `max` of an unbounded repetition. */
export const REP_INFINITE = -1;

export interface ParsedRegex {
  readonly root: RegexNode;
  /** number of capture groups */
  readonly groups: number;
  /** the pattern uses `\1`..`\9` (needs the bounded backtracker) */
  readonly hasBackrefs: boolean;
  readonly icase: boolean;
  readonly newline: boolean;
}

const isUpper = (c: number) => c >= 0x41 && c <= 0x5a;
const isLower = (c: number) => c >= 0x61 && c <= 0x7a;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number) => isUpper(c) || isLower(c);
const isAlnum = (c: number) => isAlpha(c) || isDigit(c);
const isGraph = (c: number) => c >= 0x21 && c <= 0x7e;

/** C-locale character classes (ctype.h), by byte. */
const CLASSES: Record<string, (c: number) => boolean> = {
  alpha: isAlpha,
  digit: isDigit,
  alnum: isAlnum,
  upper: isUpper,
  lower: isLower,
  space: (c) => c === 0x20 || (c >= 0x09 && c <= 0x0d),
  blank: (c) => c === 0x20 || c === 0x09,
  punct: (c) => isGraph(c) && !isAlnum(c),
  print: (c) => c >= 0x20 && c <= 0x7e,
  graph: isGraph,
  cntrl: (c) => c < 0x20 || c === 0x7f,
  xdigit: (c) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66),
};

/** `\w` members: alnum and underscore. */
export function isWordByte(c: number): boolean {
  return isAlnum(c) || c === 0x5f;
}

/** Adds the other ASCII case of every letter in the set (REG_ICASE in the C locale). */
function foldCase(set: ByteSet): void {
  for (let c = 0x41; c <= 0x5a; c++) {
    if (set[c] || set[c + 0x20]) set[c] = set[c + 0x20] = 1;
  }
}

/**
 * Parses a POSIX pattern (latin1 string, one char per byte) with regcomp flags. Throws
 * {@link RegexSyntaxError} where regcomp would fail.
 */
export function parsePosix(pattern: string, flags: number): ParsedRegex {
  const ere = (flags & RegexFlag.EXTENDED) !== 0;
  const icase = (flags & RegexFlag.ICASE) !== 0;
  const newline = (flags & RegexFlag.NEWLINE) !== 0;
  const p = pattern;

  const mkSet = (set: ByteSet, negate: boolean): RegexNode => {
    if (icase) foldCase(set);
    if (negate) {
      for (let c = 0; c < 256; c++) set[c] = set[c] ? 0 : 1;
      if (newline) set[0x0a] = 0;
    }
    return { t: 'set', set };
  };
  const single = (code: number): RegexNode => {
    const s = new Uint8Array(256);
    s[code] = 1;
    return mkSet(s, false);
  };
  const classSet = (pred: (c: number) => boolean, negate: boolean): RegexNode => {
    const s = new Uint8Array(256);
    for (let c = 0; c < 256; c++) if (pred(c)) s[c] = 1;
    return mkSet(s, negate);
  };

  /** One nesting level: finished alternatives and the sequence being built. */
  interface Frame {
    alts: RegexNode[];
    cur: RegexNode[];
    index: number;
  }
  const stack: Frame[] = [];
  let frame: Frame = { alts: [], cur: [], index: 0 };
  /** the last item of frame.cur can take a quantifier */
  let quantifiable = false;
  /** the last token was a quantifier */
  let lastQuant = false;
  /** right after the start of the pattern / a group / an alternative (BRE context rules) */
  let branchStart = true;
  /** BRE: just after a leading `^` anchor */
  let afterLeadingHat = false;
  let groupsOpened = 0;
  let hasBackrefs = false;

  const atom = (n: RegexNode): void => {
    frame.cur.push(n);
    quantifiable = true;
    lastQuant = false;
    branchStart = false;
    afterLeadingHat = false;
  };
  const assertion = (kind: number): void => {
    frame.cur.push({ t: 'assert', kind });
    quantifiable = false;
    lastQuant = false;
    branchStart = false;
    afterLeadingHat = false;
  };
  const quant = (min: number, max: number): void => {
    if (!quantifiable) fail('repetition operator without operand');
    const last = frame.cur.pop()!;
    frame.cur.push({ t: 'rep', node: last, min, max });
    lastQuant = true;
    branchStart = false;
    afterLeadingHat = false;
  };
  const seq = (items: RegexNode[]): RegexNode => (items.length === 1 ? items[0]! : { t: 'cat', items });
  const finish = (f: Frame): RegexNode => {
    if (f.alts.length === 0) return seq(f.cur);
    return { t: 'alt', items: [...f.alts, seq(f.cur)] };
  };

  const parseInterval = (i: number, closeBackslash: boolean): [number, number, number] => {
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
    if (min === '' && max === undefined) fail('invalid interval');
    const lo = min === '' ? 0 : Number(min);
    const hi = max === undefined ? lo : max === '' ? REP_INFINITE : Number(max);
    if (lo > REGEX_DUP_MAX || hi > REGEX_DUP_MAX || (hi !== REP_INFINITE && hi < lo)) fail('invalid interval bounds');
    return [lo, hi, j];
  };

  const parseBracket = (i: number): [RegexNode, number] => {
    // i is just past '['
    let j = i;
    let negate = false;
    if (p[j] === '^') {
      negate = true;
      j++;
    }
    const set = new Uint8Array(256);
    let first = true;
    /** the previous element was a plain character usable as a range start */
    let prevChar = -1;
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
          let pred = CLASSES[name];
          if (pred === undefined) fail(`unknown character class ${name}`);
          // glibc: under REG_ICASE [:upper:] and [:lower:] both mean [:alpha:]
          if (icase && (name === 'upper' || name === 'lower')) pred = isAlpha;
          for (let c = 0; c < 256; c++) if (pred(c)) set[c] = 1;
          prevChar = -1;
        } else {
          if (name.length !== 1) fail('unsupported collating element');
          prevChar = name.charCodeAt(0);
          set[prevChar] = 1;
        }
        continue;
      }
      if (ch === '-' && prevChar >= 0 && j + 1 < p.length && p[j + 1] !== ']') {
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
        for (let c = prevChar; c <= endCode; c++) set[c] = 1;
        prevChar = -1;
        continue;
      }
      prevChar = ch.charCodeAt(0);
      set[prevChar] = 1;
      j++;
    }
    return [mkSet(set, negate), j];
  };

  const openGroup = (): void => {
    groupsOpened++;
    stack.push(frame);
    frame = { alts: [], cur: [], index: groupsOpened };
    quantifiable = false;
    lastQuant = false;
    branchStart = true;
    afterLeadingHat = false;
  };
  const closeGroup = (): void => {
    const inner = frame;
    frame = stack.pop()!;
    frame.cur.push({ t: 'group', node: finish(inner), index: inner.index });
    quantifiable = true;
    lastQuant = false;
    branchStart = false;
    afterLeadingHat = false;
  };
  const alternation = (): void => {
    frame.alts.push(seq(frame.cur));
    frame.cur = [];
    quantifiable = false;
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
        if (stack.length === 0) fail('unmatched \\)');
        closeGroup();
        continue;
      }
      if (!ere && e === '|') {
        alternation();
        continue;
      }
      if (!ere && e === '{') {
        if (!quantifiable) fail('invalid preceding regular expression');
        const [lo, hi, j] = parseInterval(i, true);
        quant(lo, hi);
        i = j;
        continue;
      }
      if (!ere && (e === '+' || e === '?')) {
        if (!quantifiable) atom(single(e.charCodeAt(0)));
        else if (e === '+') quant(1, REP_INFINITE);
        else quant(0, 1);
        continue;
      }
      if (e >= '1' && e <= '9') {
        const n = e.charCodeAt(0) - 48;
        if (n > groupsOpened) fail('invalid back reference');
        hasBackrefs = true;
        atom({ t: 'backref', index: n });
        continue;
      }
      switch (e) {
        case 'w':
          atom(classSet(isWordByte, false));
          continue;
        case 'W':
          atom(classSet(isWordByte, true));
          continue;
        case 's':
          atom(classSet(CLASSES.space!, false));
          continue;
        case 'S':
          atom(classSet(CLASSES.space!, true));
          continue;
        case 'b':
          assertion(Assert.WORD_BOUNDARY);
          continue;
        case 'B':
          assertion(Assert.NOT_WORD_BOUNDARY);
          continue;
        case '<':
          assertion(Assert.WORD_START);
          continue;
        case '>':
          assertion(Assert.WORD_END);
          continue;
        case '`':
          assertion(Assert.BUF_START);
          continue;
        case "'":
          assertion(Assert.BUF_END);
          continue;
        default:
          atom(single(e.charCodeAt(0)));
          continue;
      }
    }
    if (ch === '[') {
      const [node, j] = parseBracket(i + 1);
      atom(node);
      i = j;
      continue;
    }
    if (ch === '.') {
      const s = new Uint8Array(256).fill(1);
      if (newline) s[0x0a] = 0;
      atom({ t: 'set', set: s });
      i++;
      continue;
    }
    if (ch === '^') {
      if (ere || branchStart) {
        const wasStart = branchStart;
        assertion(Assert.BOL);
        if (!ere && wasStart) afterLeadingHat = true;
      } else atom(single(0x5e));
      i++;
      continue;
    }
    if (ch === '$') {
      let anchor = ere || i + 1 === p.length;
      if (!ere && !anchor && p[i + 1] === '\\' && (p[i + 2] === ')' || p[i + 2] === '|')) anchor = true;
      if (anchor) assertion(Assert.EOL);
      else atom(single(0x24));
      i++;
      continue;
    }
    if (ch === '*') {
      if (!ere && (!quantifiable || afterLeadingHat) && !lastQuant) atom(single(0x2a));
      else quant(0, REP_INFINITE);
      i++;
      continue;
    }
    if (ere) {
      if (ch === '+' || ch === '?') {
        if (ch === '+') quant(1, REP_INFINITE);
        else quant(0, 1);
        i++;
        continue;
      }
      if (ch === '{') {
        const [lo, hi, j] = parseInterval(i + 1, false);
        quant(lo, hi);
        i = j;
        continue;
      }
      if (ch === '(') {
        openGroup();
        i++;
        continue;
      }
      if (ch === ')') {
        if (stack.length === 0) atom(single(0x29));
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
    atom(single(ch.charCodeAt(0)));
    i++;
  }
  if (stack.length > 0) fail('unmatched (');
  return { root: finish(frame), groups: groupsOpened, hasBackrefs, icase, newline };
}
