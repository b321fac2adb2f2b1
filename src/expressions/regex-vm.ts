/**
 * Matching for POSIX regular expressions in time linear in the subject: the parsed pattern becomes
 * a Thompson automaton (an instruction program) that is simulated over the subject's bytes with one
 * set of live states, so each byte costs at most one step per instruction — never backtracking.
 *
 * Back-references (`\1`..`\9`) cannot be matched in linear time by any engine; a pattern that uses
 * them runs on a backtracking interpreter of the same program with a step budget
 * ({@link REGEX_BACKREF_MAX_STEPS}); a match that would need more fails with PARAMETER instead of
 * stalling the node.
 *
 * Only whether a match exists is observable (regexec without sub-matches), so the search stops at
 * the first accepting state.
 */
import { Assert, isWordByte, REP_INFINITE, RegexSyntaxError, type ParsedRegex, type RegexNode } from './regex-parse.js';

/**
 * Most instructions a compiled pattern may have. Bounds both the memory of one pattern and the
 * work per subject byte; glibc's own limit is memory, ours is named. A larger pattern is refused
 * like regcomp's REG_ESIZE.
 */
export const REGEX_MAX_INSTRUCTIONS = 20_000;

/** Most interpreter steps one match of a back-reference pattern may take (~10–20 ms). */
export const REGEX_BACKREF_MAX_STEPS = 1_000_000;

/** Thrown when a back-reference match exceeds {@link REGEX_BACKREF_MAX_STEPS}. */
export class RegexBudgetError extends Error {}

const OP_SET = 0;
const OP_SPLIT = 1;
const OP_JMP = 2;
const OP_ASSERT = 3;
const OP_SAVE = 4;
const OP_BACKREF = 5;
const OP_MATCH = 6;
const OP_MARK = 7;
const OP_PROGRESS = 8;

/** A compiled pattern: immutable, shareable between requests. */
export interface RegexProgram {
  readonly size: number;
  readonly op: Uint8Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  /** byte sets, 256 bytes each, indexed by a SET instruction's `a` */
  readonly sets: Uint8Array;
  /** bytes that can begin a match, or null when a match may start without consuming a byte */
  readonly firstBytes: Uint8Array | null;
  readonly groups: number;
  readonly loops: number;
  readonly backtrack: boolean;
  readonly icase: boolean;
  readonly newline: boolean;
}

class Emitter {
  op: number[] = [];
  a: number[] = [];
  b: number[] = [];
  sets: Uint8Array[] = [];
  setIds = new Map<string, number>();
  loops = 0;

  constructor(readonly backtrack: boolean) {}

  emit(op: number, a = 0, b = 0): number {
    if (this.op.length >= REGEX_MAX_INSTRUCTIONS) throw new RegexSyntaxError(`regular expression too big (more than ${REGEX_MAX_INSTRUCTIONS} instructions)`);
    this.op.push(op);
    this.a.push(a);
    this.b.push(b);
    return this.op.length - 1;
  }

  setId(set: Uint8Array): number {
    const key = Buffer.from(set.buffer, set.byteOffset, 256).toString('latin1');
    let id = this.setIds.get(key);
    if (id === undefined) {
      id = this.sets.length;
      this.sets.push(set);
      this.setIds.set(key, id);
    }
    return id;
  }

  node(n: RegexNode): void {
    switch (n.t) {
      case 'set':
        this.emit(OP_SET, this.setId(n.set));
        return;
      case 'cat':
        for (const it of n.items) this.node(it);
        return;
      case 'alt': {
        const jumps: number[] = [];
        for (let k = 0; k < n.items.length; k++) {
          if (k < n.items.length - 1) {
            const split = this.emit(OP_SPLIT);
            this.a[split] = split + 1;
            this.node(n.items[k]!);
            jumps.push(this.emit(OP_JMP));
            this.b[split] = this.op.length;
          } else this.node(n.items[k]!);
        }
        for (const j of jumps) this.a[j] = this.op.length;
        return;
      }
      case 'group':
        if (this.backtrack) this.emit(OP_SAVE, n.index * 2);
        this.node(n.node);
        if (this.backtrack) this.emit(OP_SAVE, n.index * 2 + 1);
        return;
      case 'assert':
        this.emit(OP_ASSERT, n.kind);
        return;
      case 'backref':
        this.emit(OP_BACKREF, n.index);
        return;
      case 'rep':
        this.rep(n.node, n.min, n.max);
        return;
    }
  }

  rep(body: RegexNode, min: number, max: number): void {
    for (let k = 0; k < min; k++) this.node(body);
    if (max === REP_INFINITE) {
      // L: SPLIT body, out; body; JMP L — the MARK/PROGRESS pair stops an empty body looping forever
      // in the backtracker (the Thompson simulation visits each state once per byte anyway)
      const split = this.emit(OP_SPLIT);
      this.a[split] = split + 1;
      const loop = this.backtrack ? this.loops++ : -1;
      if (this.backtrack) this.emit(OP_MARK, loop);
      this.node(body);
      if (this.backtrack) this.emit(OP_PROGRESS, loop);
      this.emit(OP_JMP, split);
      this.b[split] = this.op.length;
      return;
    }
    const splits: number[] = [];
    for (let k = min; k < max; k++) {
      const split = this.emit(OP_SPLIT);
      this.a[split] = split + 1;
      splits.push(split);
      this.node(body);
    }
    for (const s of splits) this.b[s] = this.op.length;
  }
}

/** Compiles a parsed pattern. Throws RegexSyntaxError past {@link REGEX_MAX_INSTRUCTIONS}. */
export function compileProgram(parsed: ParsedRegex): RegexProgram {
  const e = new Emitter(parsed.hasBackrefs);
  e.node(parsed.root);
  e.emit(OP_MATCH);
  const sets = new Uint8Array(e.sets.length * 256);
  e.sets.forEach((s, k) => sets.set(s, k * 256));
  const prog: RegexProgram = {
    size: e.op.length,
    op: Uint8Array.from(e.op),
    a: Int32Array.from(e.a),
    b: Int32Array.from(e.b),
    sets,
    firstBytes: null,
    groups: parsed.groups,
    loops: e.loops,
    backtrack: parsed.hasBackrefs,
    icase: parsed.icase,
    newline: parsed.newline,
  };
  return { ...prog, firstBytes: firstBytesOf(prog) };
}

/**
 * The union of the byte sets reachable from the start without consuming input, or null when an
 * assertion, a back-reference or the accepting state is reachable that way (a match could then
 * start anywhere). Lets the search skip bytes that cannot begin a match.
 */
function firstBytesOf(p: RegexProgram): Uint8Array | null {
  const out = new Uint8Array(256);
  const seen = new Uint8Array(p.size);
  const stack = [0];
  while (stack.length > 0) {
    const pc = stack.pop()!;
    if (seen[pc]) continue;
    seen[pc] = 1;
    switch (p.op[pc]) {
      case OP_SET: {
        const base = p.a[pc]! * 256;
        for (let c = 0; c < 256; c++) if (p.sets[base + c]) out[c] = 1;
        break;
      }
      case OP_SPLIT:
        stack.push(p.a[pc]!, p.b[pc]!);
        break;
      case OP_JMP:
        stack.push(p.a[pc]!);
        break;
      case OP_SAVE:
      case OP_MARK:
      case OP_PROGRESS:
        stack.push(pc + 1);
        break;
      default:
        return null;
    }
  }
  return out;
}

function assertionHolds(kind: number, s: Uint8Array, len: number, pos: number, newline: boolean): boolean {
  switch (kind) {
    case Assert.BOL:
      return pos === 0 || (newline && s[pos - 1] === 0x0a);
    case Assert.EOL:
      return pos === len || (newline && s[pos] === 0x0a);
    case Assert.BUF_START:
      return pos === 0;
    case Assert.BUF_END:
      return pos === len;
    default: {
      const before = pos > 0 && isWordByte(s[pos - 1]!);
      const after = pos < len && isWordByte(s[pos]!);
      if (kind === Assert.WORD_BOUNDARY) return before !== after;
      if (kind === Assert.NOT_WORD_BOUNDARY) return before === after;
      if (kind === Assert.WORD_START) return !before && after;
      return before && !after; // WORD_END
    }
  }
}

/**
 * Most cached DFA states one pattern keeps ({@link REGEX_DFA_MAX_STATES}) and most NFA states those
 * DFA states list in total ({@link REGEX_DFA_MAX_KERNEL_STATES}); past either the cache is emptied
 * and rebuilt as the subject is read (RE2's policy), so memory stays bounded and time linear.
 */
export const REGEX_DFA_MAX_STATES = 2048;
/** See {@link REGEX_DFA_MAX_STATES}. */
export const REGEX_DFA_MAX_KERNEL_STATES = 256 * 1024;
/**
 * Most automaton steps one match may take on states not yet cached (each cached transition is one
 * table lookup and is not counted). Bounds the worst case, a large pattern whose states never
 * repeat, to tens of milliseconds; past it the match fails with PARAMETER rather than stall.
 */
export const REGEX_MATCH_MAX_STEPS = 2_000_000;

/** Assertion context of the byte before / after a position. */
const CTX_OTHER = 0;
const CTX_WORD = 1;
const CTX_NEWLINE = 2;
/** before the first byte / after the last */
const CTX_EDGE = 3;

const UNSET = -1;
const MATCHED = -2;

/** A lazily built DFA over a program without back-references; one per program, reused. */
interface Dfa {
  /** byte → class: bytes of one class belong to the same sets and assertion context */
  readonly byteClass: Uint8Array;
  readonly classCount: number;
  /** per class: a representative byte */
  readonly classByte: Uint8Array;
  kernels: Int32Array[];
  prevCtx: number[];
  /** (state × classCount + class) → next state, MATCHED, or UNSET; grows by doubling */
  trans: Int32Array;
  /** the state before the first byte (empty kernel, edge context), -1 until interned */
  start: number;
  /** state → at the end of the subject: 1 match, 0 none, UNSET */
  eof: number[];
  ids: Map<string, number>;
  kernelTotal: number;
  mark: Uint32Array;
  gen: number;
  stack: Int32Array;
  list: Int32Array;
}
const dfaOf = new WeakMap<RegexProgram, Dfa>();

function ctxOf(c: number, newline: boolean): number {
  return isWordByte(c) ? CTX_WORD : newline && c === 0x0a ? CTX_NEWLINE : CTX_OTHER;
}

function dfa(p: RegexProgram): Dfa {
  let d = dfaOf.get(p);
  if (d) return d;
  // partition the bytes by (membership in each set, assertion context)
  const setCount = p.sets.length / 256;
  const byteClass = new Uint8Array(256);
  const classByte: number[] = [];
  const sig = new Map<string, number>();
  const bits = new Uint8Array(setCount + 1);
  for (let c = 0; c < 256; c++) {
    for (let k = 0; k < setCount; k++) bits[k] = p.sets[k * 256 + c]!;
    bits[setCount] = ctxOf(c, p.newline);
    const key = Buffer.from(bits.buffer, 0, bits.length).toString('latin1');
    let id = sig.get(key);
    if (id === undefined) {
      id = classByte.length;
      classByte.push(c);
      sig.set(key, id);
    }
    byteClass[c] = id;
  }
  d = {
    byteClass,
    classCount: classByte.length,
    classByte: Uint8Array.from(classByte),
    kernels: [],
    prevCtx: [],
    trans: new Int32Array(16 * classByte.length).fill(UNSET),
    start: -1,
    eof: [],
    ids: new Map(),
    kernelTotal: 0,
    mark: new Uint32Array(p.size),
    gen: 0,
    stack: new Int32Array(2 * p.size + 2),
    list: new Int32Array(p.size),
  };
  dfaOf.set(p, d);
  return d;
}

function resetDfa(d: Dfa): void {
  d.kernels = [];
  d.prevCtx = [];
  d.trans.fill(UNSET);
  d.start = -1;
  d.eof = [];
  d.ids.clear();
  d.kernelTotal = 0;
}

/** The state for (kernel, prevCtx), created if new. */
function intern(d: Dfa, kernel: Int32Array, prevCtx: number): number {
  const key = String.fromCharCode(48 + prevCtx) + Buffer.from(kernel.buffer, kernel.byteOffset, kernel.byteLength).toString('latin1');
  const hit = d.ids.get(key);
  if (hit !== undefined) return hit;
  const id = d.kernels.length;
  d.kernels.push(kernel);
  d.prevCtx.push(prevCtx);
  if ((id + 1) * d.classCount > d.trans.length) {
    const grown = new Int32Array(d.trans.length * 2).fill(UNSET);
    grown.set(d.trans);
    d.trans = grown;
  }
  d.eof.push(UNSET);
  uncachedSteps += kernel.length;
  d.ids.set(key, id);
  d.kernelTotal += kernel.length;
  return id;
}

/** Steps taken on uncached states by the current match. */
let uncachedSteps = 0;

/**
 * Closure of the state's kernel plus the start state (the search is unanchored) between a byte of
 * context `prevCtx` and one of `nextCtx`; fills d.list with the SET instructions reached and returns
 * their count, or MATCHED when the accepting state is reached.
 */
function closure(p: RegexProgram, d: Dfa, kernel: Int32Array, prevCtx: number, nextCtx: number): number {
  if (++d.gen === 0xffffffff) {
    d.mark.fill(0);
    d.gen = 1;
  }
  const gen = d.gen;
  const { op, a, b } = p;
  const { mark, stack, list } = d;
  const newline = p.newline;
  let count = 0;
  let sp = 0;
  // pushed in reverse so the start state is visited last: its threads are the least advanced
  stack[sp++] = 0;
  for (let k = kernel.length - 1; k >= 0; k--) stack[sp++] = kernel[k]!;
  while (sp > 0) {
    const pc = stack[--sp]!;
    if (mark[pc] === gen) continue;
    mark[pc] = gen;
    uncachedSteps++;
    switch (op[pc]) {
      case OP_SET:
        list[count++] = pc;
        break;
      case OP_SPLIT:
        stack[sp++] = b[pc]!;
        stack[sp++] = a[pc]!;
        break;
      case OP_JMP:
        stack[sp++] = a[pc]!;
        break;
      case OP_ASSERT: {
        let ok: boolean;
        switch (a[pc]) {
          case Assert.BOL:
            ok = prevCtx === CTX_EDGE || (newline && prevCtx === CTX_NEWLINE);
            break;
          case Assert.EOL:
            ok = nextCtx === CTX_EDGE || (newline && nextCtx === CTX_NEWLINE);
            break;
          case Assert.BUF_START:
            ok = prevCtx === CTX_EDGE;
            break;
          case Assert.BUF_END:
            ok = nextCtx === CTX_EDGE;
            break;
          default: {
            const before = prevCtx === CTX_WORD;
            const after = nextCtx === CTX_WORD;
            const kind = a[pc];
            ok =
              kind === Assert.WORD_BOUNDARY
                ? before !== after
                : kind === Assert.NOT_WORD_BOUNDARY
                  ? before === after
                  : kind === Assert.WORD_START
                    ? !before && after
                    : before && !after;
          }
        }
        if (ok) stack[sp++] = pc + 1;
        break;
      }
      case OP_MATCH:
        return MATCHED;
      default:
        stack[sp++] = pc + 1;
    }
  }
  return count;
}

/** The transition of `state` on a byte of class `cls` (computed and cached on first use). */
function step(p: RegexProgram, d: Dfa, state: number, cls: number): number {
  const c = d.classByte[cls]!;
  const ctx = ctxOf(c, p.newline);
  const n = closure(p, d, d.kernels[state]!, d.prevCtx[state]!, ctx);
  let next: number;
  if (n === MATCHED) next = MATCHED;
  else {
    let m = 0;
    for (let k = 0; k < n; k++) {
      const pc = d.list[k]!;
      if (p.sets[p.a[pc]! * 256 + c]) d.list[m++] = pc + 1;
    }
    const kernel = d.list.slice(0, m).sort();
    if (d.kernels.length >= REGEX_DFA_MAX_STATES || d.kernelTotal + m > REGEX_DFA_MAX_KERNEL_STATES) {
      // the cache is full: start it again (the caller continues from the re-interned state)
      resetDfa(d);
      return intern(d, kernel, ctx) | 0x40000000;
    }
    next = intern(d, kernel, ctx);
  }
  d.trans[state * d.classCount + cls] = next;
  return next;
}

function dfaMatches(p: RegexProgram, s: Uint8Array, len: number): boolean {
  const d = dfa(p);
  uncachedSteps = 0;
  if (d.start < 0) d.start = intern(d, new Int32Array(0), CTX_EDGE);
  let state = d.start;
  const { byteClass, classCount } = d;
  for (let pos = 0; pos < len; pos++) {
    const cls = byteClass[s[pos]!]!;
    let next = d.trans[state * classCount + cls]!;
    if (next === UNSET) {
      next = step(p, d, state, cls);
      if (uncachedSteps > REGEX_MATCH_MAX_STEPS) throw new RegexBudgetError(`match needs more than ${REGEX_MATCH_MAX_STEPS} automaton steps`);
      if (next > 0) next &= ~0x40000000;
    }
    if (next === MATCHED) return true;
    state = next;
  }
  let eof = d.eof[state]!;
  if (eof === UNSET) {
    eof = closure(p, d, d.kernels[state]!, d.prevCtx[state]!, CTX_EDGE) === MATCHED ? 1 : 0;
    d.eof[state] = eof;
  }
  return eof === 1;
}

/**
 * regexec(): does `s[0, len)` contain a match? Linear in `len`: a lazily built DFA (bounded by
 * {@link REGEX_DFA_MAX_STATES}) costs one table lookup per byte once warm, and building states is
 * capped by {@link REGEX_MATCH_MAX_STEPS}; a pattern with back-references runs on the backtracker,
 * capped by {@link REGEX_BACKREF_MAX_STEPS}. Past a cap RegexBudgetError is thrown.
 */
export function programMatches(p: RegexProgram, s: Uint8Array, len: number): boolean {
  return p.backtrack ? backtrackMatches(p, s, len) : dfaMatches(p, s, len);
}

const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c);

function backtrackMatches(p: RegexProgram, s: Uint8Array, len: number): boolean {
  const { op, a, b, sets } = p;
  const caps = new Int32Array((p.groups + 1) * 2).fill(-1);
  const marks = new Int32Array(p.loops).fill(-1);
  // choice points and undo records: [kind, x, y]; kind 0 = branch (pc, pos), 1 = caps[x] = y, 2 = marks[x] = y
  const trail: number[] = [];
  let steps = 0;
  for (let start = 0; start <= len; start++) {
    if (p.firstBytes !== null) {
      while (start < len && !p.firstBytes[s[start]!]) start++;
      if (start >= len) return false;
    }
    let pc = 0;
    let pos = start;
    for (;;) {
      if (++steps > REGEX_BACKREF_MAX_STEPS) throw new RegexBudgetError(`back-reference match needs more than ${REGEX_BACKREF_MAX_STEPS} steps`);
      let ok = true;
      switch (op[pc]) {
        case OP_SET:
          if (pos < len && sets[a[pc]! * 256 + s[pos]!]) {
            pc++;
            pos++;
          } else ok = false;
          break;
        case OP_SPLIT:
          trail.push(0, b[pc]!, pos);
          pc = a[pc]!;
          break;
        case OP_JMP:
          pc = a[pc]!;
          break;
        case OP_ASSERT:
          if (assertionHolds(a[pc]!, s, len, pos, p.newline)) pc++;
          else ok = false;
          break;
        case OP_SAVE:
          trail.push(1, a[pc]!, caps[a[pc]!]!);
          caps[a[pc]!] = pos;
          pc++;
          break;
        case OP_MARK:
          trail.push(2, a[pc]!, marks[a[pc]!]!);
          marks[a[pc]!] = pos;
          pc++;
          break;
        case OP_PROGRESS:
          if (pos === marks[a[pc]!]) ok = false;
          else pc++;
          break;
        case OP_BACKREF: {
          const g = a[pc]!;
          const from = caps[g * 2]!;
          const to = caps[g * 2 + 1]!;
          if (from < 0 || to < 0) {
            ok = false;
            break;
          }
          const n = to - from;
          if (pos + n > len) {
            ok = false;
            break;
          }
          steps += n;
          for (let k = 0; k < n && ok; k++) {
            const x = s[from + k]!;
            const y = s[pos + k]!;
            if (x !== y && !(p.icase && lower(x) === lower(y))) ok = false;
          }
          if (ok) {
            pos += n;
            pc++;
          }
          break;
        }
        case OP_MATCH:
          return true;
      }
      if (ok) continue;
      // backtrack: undo to the last branch
      let resumed = false;
      while (trail.length > 0) {
        const y = trail.pop()!;
        const x = trail.pop()!;
        const kind = trail.pop()!;
        if (kind === 0) {
          pc = x;
          pos = y;
          resumed = true;
          break;
        }
        if (kind === 1) caps[x] = y;
        else marks[x] = y;
      }
      if (!resumed) break;
    }
  }
  return false;
}
