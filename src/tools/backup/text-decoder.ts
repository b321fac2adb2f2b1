/**
 * Decodes Aerospike's text backup format (Version 3.1, and 3.0 without escapes or global lines)
 * with the strictness of dec_text.c. It works on a byte window that may end mid-item: when more
 * bytes are needed it throws NeedMore saying how many the item needs at least, and the caller
 * retries the same item once the window holds them. An item is only returned whole, so a
 * malformed record is never half delivered.
 */
import { Particle } from '../../protocol/particle.js';
import { LABEL_BYTES_TYPES, type BackupBin, type BackupItem, type BackupKey, type BackupRecord, type SIndexPath } from './record.js';
import { parseDouble, parseInt64 } from './text-scalars.js';

/** Longest token (name, number) the decoder accepts; dec_text.c's MAX_TOKEN_SIZE is 1000. */
const MAX_TOKEN_BYTES = 1000;
/** Largest value a line may announce; bounds what a corrupt size can make the reader buffer. */
export const MAX_VALUE_BYTES = 128 * 1024 * 1024;
const NL = 0x0a;
const SP = 0x20;
const BACKSLASH = 0x5c;

/** Thrown when the window ends before the item does; `needBytes` counts from the item's start. */
export class NeedMore {
  constructor(readonly needBytes: number) {}
}

/** A malformed backup: the message names the 1-based line the problem is on. */
export class BackupParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export interface HeaderInfo {
  version: '3.0' | '3.1';
  /** namespace named by `# namespace`, if present */
  namespace?: string;
  firstFile: boolean;
}

/** Internal: a parse failure at a byte position, turned into a line number by the caller. */
class Fail {
  constructor(
    readonly message: string,
    readonly pos: number,
  ) {}
}

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** A reading position over buf[start, end); `final` means no more bytes will come. */
class Cursor {
  pos: number;
  constructor(
    readonly buf: Buffer,
    readonly itemStart: number,
    readonly end: number,
    readonly final: boolean,
  ) {
    this.pos = itemStart;
  }

  private need(n: number): void {
    if (this.pos + n <= this.end) return;
    if (this.final) throw new Fail('unexpected end of file', this.pos);
    throw new NeedMore(this.pos + n - this.itemStart);
  }

  peek(): number {
    this.need(1);
    return this.buf[this.pos]!;
  }

  read(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  expect(ch: number): void {
    const at = this.pos;
    const got = this.read();
    if (got !== ch) throw new Fail(`expected ${show(ch)}, found ${show(got)}`, at);
  }

  /** Reads up to (not including) a delimiter; with `unescape`, a backslash makes the next byte literal. */
  token(delims: number[], unescape: boolean): string {
    // fast path: no backslash before the delimiter, so the bytes are the token
    const start = this.pos;
    const limit = Math.min(this.end, start + MAX_TOKEN_BYTES);
    for (let p = start; p < limit; p++) {
      const ch = this.buf[p]!;
      if (unescape && ch === BACKSLASH) break;
      if (ch === delims[0] || (delims.length > 1 && delims.includes(ch))) {
        this.pos = p;
        return this.buf.toString('utf8', start, p);
      }
    }
    const bytes: number[] = [];
    let esc = false;
    for (;;) {
      const ch = this.peek();
      if (unescape && ch === BACKSLASH && !esc) {
        esc = true;
        this.pos++;
        continue;
      }
      if (!esc && delims.includes(ch)) break;
      esc = false;
      this.pos++;
      bytes.push(ch);
      if (bytes.length >= MAX_TOKEN_BYTES) throw new Fail('token too long', this.pos);
    }
    return Buffer.from(bytes).toString('utf8');
  }

  block(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return Buffer.from(b);
  }
}

function show(ch: number): string {
  if (ch === NL) return "'\\n'";
  if (ch >= 0x20 && ch < 0x7f) return `'${String.fromCharCode(ch)}'`;
  return `0x${ch.toString(16).padStart(2, '0')}`;
}

/** Decoder for one backup file; `fileName` only labels errors. */
export class BackupDecoder {
  /** line number of the next item's first line */
  line = 1;
  /** where the last parse error was found (offset in the window it was found in) */
  private errorPos = 0;
  private legacy = false;

  constructor(readonly fileName: string) {}

  /**
   * Parses the version line and `#` meta lines at buf[pos, end). Returns the header and the
   * offset of the first item. Throws NeedMore or BackupParseError.
   */
  parseHeader(buf: Buffer, pos: number, end: number, final: boolean): { header: HeaderInfo; next: number } {
    const c = new Cursor(buf, pos, end, final);
    try {
      const version = c.block(12).toString('latin1');
      const m = /^Version (3\.[01])\n$/.exec(version);
      if (!m) throw new Fail('invalid version line', pos);
      const header: HeaderInfo = { version: m[1] as '3.0' | '3.1', firstFile: false };
      this.legacy = header.version === '3.0';
      let line = 2;
      while (c.pos < end || !final) {
        if (c.peek() !== 0x23 /* # */) break;
        c.pos++;
        const lineStart = c.pos;
        const text = c.token([NL], false);
        c.expect(NL);
        if (text.length > 999) throw new Fail('meta data line too long', lineStart);
        if (text === ' first-file') header.firstFile = true;
        else if (text.startsWith(' namespace ')) header.namespace = unescapeToken(text.slice(11), !this.legacy);
        else throw new Fail(`invalid meta data line "#${text}"`, lineStart);
        line++;
      }
      this.line = line;
      return { header, next: c.pos };
    } catch (e) {
      throw this.translate(e, buf, pos);
    }
  }

  /**
   * Parses the item at buf[pos, end). Returns null at a clean end of file. Advances `line`.
   * Throws NeedMore (retry with a larger window) or BackupParseError.
   */
  parseItem(buf: Buffer, pos: number, end: number, final: boolean): { item: BackupItem; next: number } | null {
    if (pos >= end) {
      if (final) return null;
      throw new NeedMore(1);
    }
    const c = new Cursor(buf, pos, end, final);
    try {
      const ch = c.read();
      let item: BackupItem;
      if (ch === 0x2a /* * */ && !this.legacy) item = this.parseGlobal(c);
      else if (ch === 0x2b /* + */) item = this.parseRecord(c);
      else throw new Fail(`invalid start character ${show(ch)}`, pos);
      this.line += countNewlines(buf, pos, c.pos);
      return { item, next: c.pos };
    } catch (e) {
      throw this.translate(e, buf, pos);
    }
  }

  /**
   * After a BackupParseError for the item starting at `pos`, finds where the next whole item
   * starts: the first line after the error that begins a record (`+ k `, or `+ n ` not preceded by
   * a key line, which would belong to the broken record) or a global line (`* `). Returns that
   * offset, or `end` when the file has none. Throws NeedMore when the window ends first.
   */
  resync(buf: Buffer, pos: number, end: number, final: boolean): number {
    const from = Math.max(pos, Math.min(this.errorPos, end));
    let prevLineStart = buf.lastIndexOf(NL, from - 1) + 1;
    if (prevLineStart < pos) prevLineStart = pos;
    let p = from;
    for (;;) {
      const nl = buf.indexOf(NL, p);
      if (nl < 0 || nl >= end) {
        if (final) {
          this.line += countNewlines(buf, pos, end);
          return end;
        }
        throw new NeedMore(end - pos + 1);
      }
      const s = nl + 1;
      if (s + 4 > end && !final) throw new NeedMore(s + 4 - pos);
      const head = buf.toString('latin1', s, Math.min(end, s + 4));
      const prevIsKey = buf.toString('latin1', prevLineStart, Math.min(end, prevLineStart + 4)) === '+ k ';
      if (head === '+ k ' || (head === '+ n ' && !prevIsKey) || head.startsWith('* ')) {
        this.line += countNewlines(buf, pos, s);
        return s;
      }
      prevLineStart = s;
      p = s;
    }
  }

  private translate(e: unknown, buf: Buffer, itemStart: number): unknown {
    if (e instanceof Fail) {
      this.errorPos = e.pos;
      const line = this.line + countNewlines(buf, itemStart, Math.min(e.pos, buf.length));
      return new BackupParseError(`${this.fileName}:${line}: ${e.message}`, line);
    }
    return e;
  }

  private size(c: Cursor, delim: number): number {
    const at = c.pos;
    const t = c.token([delim], !this.legacy);
    if (!/^[0-9]+$/.test(t)) throw new Fail(`invalid size "${t}"`, at);
    const n = Number(t);
    if (n > MAX_VALUE_BYTES) throw new Fail(`size ${t} exceeds the ${MAX_VALUE_BYTES}-byte limit`, at);
    return n;
  }

  private integer(c: Cursor, what: string): bigint {
    const at = c.pos;
    const t = c.token([NL], !this.legacy);
    const v = parseInt64(t);
    if (v === undefined) throw new Fail(`invalid ${what} "${t}"`, at);
    return v;
  }

  private double(c: Cursor, what: string): number {
    const at = c.pos;
    const t = c.token([NL], !this.legacy);
    const v = parseDouble(t);
    if (v === undefined) throw new Fail(`invalid ${what} "${t}"`, at);
    return v;
  }

  /** `<size> <bytes>` */
  private raw(c: Cursor): Buffer {
    const n = this.size(c, SP);
    c.expect(SP);
    return c.block(n);
  }

  /** `<b64 size> <base64>` */
  private b64(c: Cursor): Buffer {
    const at = c.pos;
    const n = this.size(c, SP);
    if (n % 4 !== 0) throw new Fail(`invalid encoded data size ${n}`, at);
    c.expect(SP);
    const text = c.block(n).toString('latin1');
    if (!B64_RE.test(text)) throw new Fail('invalid base64 data', at);
    return Buffer.from(text, 'base64');
  }

  private parseKey(c: Cursor): BackupKey {
    const at = c.pos;
    const ch = c.read();
    let key: BackupKey;
    switch (ch) {
      case 0x49 /* I */: {
        c.expect(SP);
        const v = Buffer.allocUnsafe(8);
        v.writeBigInt64BE(this.integer(c, 'integer key'));
        key = { type: Particle.INTEGER, value: v };
        break;
      }
      case 0x44 /* D */: {
        c.expect(SP);
        const v = Buffer.allocUnsafe(8);
        v.writeDoubleBE(this.double(c, 'double key'));
        key = { type: Particle.FLOAT, value: v };
        break;
      }
      case 0x53 /* S */:
        c.expect(SP);
        key = { type: Particle.STRING, value: this.raw(c) };
        break;
      case 0x58 /* X */:
        c.expect(SP);
        key = { type: Particle.STRING, value: this.b64(c) };
        break;
      case 0x42 /* B */: {
        const compact = c.peek() === 0x21; /* ! */
        if (compact) c.pos++;
        c.expect(SP);
        key = { type: Particle.BLOB, value: compact ? this.raw(c) : this.b64(c) };
        break;
      }
      default:
        throw new Fail(`invalid key type character ${show(ch)}`, at);
    }
    c.expect(NL);
    return key;
  }

  private parseRecord(c: Cursor): BackupRecord {
    const rec: BackupRecord = { kind: 'record', namespace: '', digest: Buffer.alloc(0), generation: 0, voidTime: 0, bins: [] };
    const expected = 'kndsgtb';
    for (let i = 0; i < 7; i++) {
      c.expect(SP);
      const at = c.pos;
      const ch = String.fromCharCode(c.read());
      // "+ k" and "+ s" lines are optional
      if (i === 0 && ch === 'n') i = 1;
      else if (i === 3 && ch === 'g') i = 4;
      else if (ch !== expected[i]) throw new Fail(`unexpected '${ch}' in record, expected '${expected[i]}'`, at);
      c.expect(SP);
      switch (i) {
        case 0:
          rec.key = this.parseKey(c);
          break;
        case 1:
          rec.namespace = c.token([NL], !this.legacy);
          c.expect(NL);
          break;
        case 2: {
          const dAt = c.pos;
          const t = c.token([NL], false);
          if (t.length !== 28 || !B64_RE.test(t)) throw new Fail(`invalid digest "${t}"`, dAt);
          rec.digest = Buffer.from(t, 'base64');
          c.expect(NL);
          break;
        }
        case 3:
          rec.set = c.token([NL], !this.legacy);
          c.expect(NL);
          break;
        case 4: {
          const gAt = c.pos;
          const g = this.integer(c, 'generation');
          if (g < 0n || g > 65535n) throw new Fail(`invalid generation count ${g}`, gAt);
          rec.generation = Number(g);
          c.expect(NL);
          break;
        }
        case 5: {
          const tAt = c.pos;
          const t = this.integer(c, 'expiration time');
          if (t < 0n || t > 0xffffffffn) throw new Fail(`invalid expiration time ${t}`, tAt);
          rec.voidTime = Number(t);
          c.expect(NL);
          break;
        }
        case 6: {
          const bAt = c.pos;
          const n = this.integer(c, 'bin count');
          if (n < 0n || n > 65535n) throw new Fail(`invalid bin count ${n}`, bAt);
          c.expect(NL);
          for (let b = 0; b < Number(n); b++) rec.bins.push(this.parseBin(c));
          break;
        }
      }
      if (i < 6) c.expect(0x2b /* + */);
    }
    return rec;
  }

  private parseBin(c: Cursor): BackupBin {
    c.expect(0x2d /* - */);
    c.expect(SP);
    const at = c.pos;
    const label = String.fromCharCode(c.read());
    if (!'NIDSXGBJCPRHEYMLUZ'.includes(label)) throw new Fail(`invalid bin type label '${label}'`, at);
    const compact = c.peek() === 0x21; /* ! */
    if (compact) c.pos++;
    c.expect(SP);
    const name = c.token([SP, NL], !this.legacy);
    if (label === 'N') {
      c.expect(NL);
      return { name, type: Particle.NULL, value: Buffer.alloc(0) };
    }
    c.expect(SP);
    let bin: BackupBin;
    switch (label) {
      case 'Z': {
        const vAt = c.pos;
        const t = c.token([NL], !this.legacy);
        if (t !== 'T' && t !== 'F') throw new Fail(`unknown boolean value "${t}"`, vAt);
        bin = { name, type: Particle.BOOL, value: Buffer.from([t === 'T' ? 1 : 0]) };
        break;
      }
      case 'I': {
        const v = Buffer.allocUnsafe(8);
        v.writeBigInt64BE(this.integer(c, 'integer value'));
        bin = { name, type: Particle.INTEGER, value: v };
        break;
      }
      case 'D': {
        const v = Buffer.allocUnsafe(8);
        v.writeDoubleBE(this.double(c, 'floating-point value'));
        bin = { name, type: Particle.FLOAT, value: v };
        break;
      }
      case 'S':
        bin = { name, type: Particle.STRING, value: this.raw(c) };
        break;
      case 'X':
        bin = { name, type: Particle.STRING, value: this.b64(c) };
        break;
      case 'G':
        bin = { name, type: Particle.GEOJSON, value: this.raw(c) };
        break;
      case 'U':
        throw new Fail('the backup contains LDTs, which this tool cannot restore', at);
      default:
        bin = { name, type: LABEL_BYTES_TYPES.get(label)!, value: compact ? this.raw(c) : this.b64(c) };
    }
    c.expect(NL);
    return bin;
  }

  private parseGlobal(c: Cursor): BackupItem {
    c.expect(SP);
    const at = c.pos;
    const t = c.read();
    if (t === 0x69 /* i */) return this.parseSIndex(c);
    if (t === 0x75 /* u */) return this.parseUdf(c);
    throw new Fail(`invalid global type character ${show(t)}`, at);
  }

  private parseSIndex(c: Cursor): BackupItem {
    c.expect(SP);
    const namespace = c.token([SP], true);
    c.expect(SP);
    const set = c.token([SP], true);
    c.expect(SP);
    const name = c.token([SP], true);
    c.expect(SP);
    const tAt = c.pos;
    const indexType = String.fromCharCode(c.read());
    if (!'NLKV'.includes(indexType)) throw new Fail(`invalid index type character '${indexType}'`, tAt);
    c.expect(SP);
    const nAt = c.pos;
    const nPaths = this.size(c, SP);
    if (nPaths === 0) throw new Fail('missing path(s) in index line', nAt);
    const paths: SIndexPath[] = [];
    for (let i = 0; i < nPaths; i++) {
      c.expect(SP);
      const path = c.token([SP], true);
      c.expect(SP);
      const pAt = c.pos;
      const pt = String.fromCharCode(c.read());
      if (!'SNGB'.includes(pt)) throw new Fail(`invalid path type character '${pt}'`, pAt);
      paths.push({ path, type: pt as SIndexPath['type'] });
    }
    let context: string | undefined;
    if (c.peek() !== NL) {
      c.expect(SP);
      context = c.token([NL], true);
    }
    c.expect(NL);
    const ix: BackupItem = { kind: 'sindex', namespace, set, name, indexType: indexType as 'N', paths };
    if (context !== undefined) ix.context = context;
    return ix;
  }

  private parseUdf(c: Cursor): BackupItem {
    c.expect(SP);
    const at = c.pos;
    const type = c.read();
    if (type !== 0x4c /* L */) throw new Fail(`invalid UDF type character ${show(type)}`, at);
    c.expect(SP);
    const name = c.token([SP], true);
    c.expect(SP);
    const content = this.raw(c);
    c.expect(NL);
    return { kind: 'udf', type: 'L', name, content };
  }
}

function unescapeToken(s: string, unescape: boolean): string {
  if (!unescape || !s.includes('\\')) return s;
  let out = '';
  let esc = false;
  for (const ch of s) {
    if (ch === '\\' && !esc) {
      esc = true;
      continue;
    }
    esc = false;
    out += ch;
  }
  return out;
}

/** Counts line feeds in buf[from, to). */
export function countNewlines(buf: Buffer, from: number, to: number): number {
  let n = 0;
  let p = buf.indexOf(NL, from);
  while (p >= 0 && p < to) {
    n++;
    p = buf.indexOf(NL, p + 1);
  }
  return n;
}
