/**
 * A JSON reader that accepts exactly what Aerospike's JSON library (jansson 2.13, json_loadb with
 * flags 0) accepts, and keeps the integer/real distinction jansson makes:
 *  - the whole buffer must be valid UTF-8 (no overlongs, surrogates or code points > U+10FFFF);
 *  - the top-level value must be an object or an array; nothing but whitespace may follow it;
 *  - numbers without '.', 'e' or 'E' are integers and must fit in a signed 64-bit integer;
 *    reals that overflow to +-infinity are rejected (underflow to zero is accepted);
 *  - strings may not contain raw control characters, "\u0000", or unpaired surrogate escapes;
 *  - nesting deeper than 2048 values is rejected; duplicate keys are allowed (the last one wins);
 *  - quirk: one NUL byte directly after a number or literal is ignored (see skipUngotNul).
 */

export type JsonValue =
  | { readonly kind: 'object'; readonly members: Map<string, JsonValue> }
  | { readonly kind: 'array'; readonly items: JsonValue[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'integer'; readonly value: bigint }
  | { readonly kind: 'real'; readonly value: number }
  | { readonly kind: 'true' }
  | { readonly kind: 'false' }
  | { readonly kind: 'null' };

export class JsonError extends Error {}

const MAX_DEPTH = 2048;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

const NUMBER_RE = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const WORD_RE = /[A-Za-z]+/y;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function parseJson(input: Uint8Array | string): JsonValue {
  let text: string;
  if (typeof input === 'string') {
    text = input;
    // A JS string may hold lone surrogates, which have no UTF-8 encoding: reject them.
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) {
      throw new JsonError('invalid UTF-8');
    }
  } else {
    try {
      text = utf8.decode(input);
    } catch {
      throw new JsonError('invalid UTF-8');
    }
  }
  const p = new Parser(text);
  return p.parseDocument();
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly s: string) {}

  private fail(msg: string): never {
    throw new JsonError(`${msg} near position ${this.pos}`);
  }

  private skipWs(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  parseDocument(): JsonValue {
    this.skipWs();
    const c = this.s[this.pos];
    if (c !== '{' && c !== '[') this.fail("'[' or '{' expected");
    const v = this.parseValue();
    this.skipWs();
    if (this.pos !== this.s.length) this.fail('end of file expected');
    return v;
  }

  private parseValue(): JsonValue {
    this.depth++;
    if (this.depth > MAX_DEPTH) this.fail('maximum parsing depth reached');
    this.skipWs();
    const s = this.s;
    if (this.pos >= s.length) this.fail('unexpected end of input');
    const c = s[this.pos]!;
    let v: JsonValue;
    if (c === '{') v = this.parseObject();
    else if (c === '[') v = this.parseArray();
    else if (c === '"') {
      const str = this.parseString();
      if (str.includes('\u0000')) this.fail('\\u0000 is not allowed');
      v = { kind: 'string', value: str };
    } else if (c === '-' || (c >= '0' && c <= '9')) v = this.parseNumber();
    else if (/[A-Za-z]/.test(c)) {
      WORD_RE.lastIndex = this.pos;
      const m = WORD_RE.exec(s)![0];
      this.pos += m.length;
      this.skipUngotNul();
      if (m === 'true') v = { kind: 'true' };
      else if (m === 'false') v = { kind: 'false' };
      else if (m === 'null') v = { kind: 'null' };
      else this.fail('invalid token');
    } else this.fail('unexpected token');
    this.depth--;
    return v;
  }

  /**
   * jansson quirk: numbers and true/false/null are delimited by reading one character ahead and
   * "ungetting" it; an ungot NUL byte is mistaken for an exhausted read buffer and silently
   * dropped. So a single NUL right after such a token is ignored.
   */
  private skipUngotNul(): void {
    if (this.s.charCodeAt(this.pos) === 0) this.pos++;
  }

  private parseObject(): JsonValue {
    this.pos++; // '{'
    const members = new Map<string, JsonValue>();
    this.skipWs();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return { kind: 'object', members };
    }
    for (;;) {
      this.skipWs();
      if (this.s[this.pos] !== '"') this.fail("string or '}' expected");
      const key = this.parseString();
      if (key.includes('\u0000')) this.fail('NUL byte in object key not supported');
      this.skipWs();
      if (this.s[this.pos] !== ':') this.fail("':' expected");
      this.pos++;
      const value = this.parseValue();
      members.delete(key);
      members.set(key, value);
      this.skipWs();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return { kind: 'object', members };
      }
      this.fail("'}' expected");
    }
  }

  private parseArray(): JsonValue {
    this.pos++; // '['
    const items: JsonValue[] = [];
    this.skipWs();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.parseValue());
      this.skipWs();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return { kind: 'array', items };
      }
      this.fail("']' expected");
    }
  }

  private parseString(): string {
    const s = this.s;
    this.pos++; // opening quote
    let out = '';
    for (;;) {
      if (this.pos >= s.length) this.fail('premature end of input');
      const c = s.charCodeAt(this.pos);
      if (c === 0x22) {
        this.pos++;
        return out;
      }
      if (c <= 0x1f) this.fail('control character in string');
      if (c !== 0x5c) {
        out += s[this.pos];
        this.pos++;
        continue;
      }
      // Escape sequence.
      const e = s[this.pos + 1];
      if (e === undefined) this.fail('premature end of input');
      if (e === 'u') {
        const v = this.hex4(this.pos + 2);
        this.pos += 6;
        if (v >= 0xd800 && v <= 0xdbff) {
          if (s[this.pos] === '\\' && s[this.pos + 1] === 'u') {
            const v2 = this.hex4(this.pos + 2);
            this.pos += 6;
            if (v2 >= 0xdc00 && v2 <= 0xdfff) {
              out += String.fromCharCode(v, v2);
            } else {
              this.fail('invalid Unicode surrogate pair');
            }
          } else {
            this.fail('invalid Unicode (lone high surrogate)');
          }
        } else if (v >= 0xdc00 && v <= 0xdfff) {
          this.fail('invalid Unicode (lone low surrogate)');
        } else {
          out += String.fromCharCode(v);
        }
        continue;
      }
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      const r = simple[e];
      if (r === undefined) this.fail('invalid escape');
      out += r;
      this.pos += 2;
    }
  }

  private hex4(at: number): number {
    const h = this.s.slice(at, at + 4);
    if (!/^[0-9A-Fa-f]{4}$/.test(h)) this.fail('invalid escape');
    return parseInt(h, 16);
  }

  private parseNumber(): JsonValue {
    const s = this.s;
    const start = this.pos;
    NUMBER_RE.lastIndex = start;
    const m = NUMBER_RE.exec(s);
    if (!m || m[0] === '-') this.fail('invalid token');
    // "01": jansson rejects a leading zero followed by a digit.
    const after = s[start + m[0].length];
    if (m[2] === undefined && m[3] === undefined) {
      if (after !== undefined && after >= '0' && after <= '9') this.fail('invalid token');
      if (after === '.' || after === 'e' || after === 'E') this.fail('invalid token'); // "1." / "1e"
      const v = BigInt(m[0]);
      if (v < INT64_MIN || v > INT64_MAX) this.fail('too big integer');
      this.pos += m[0].length;
      this.skipUngotNul();
      return { kind: 'integer', value: v };
    }
    if (m[3] === undefined && (after === 'e' || after === 'E')) this.fail('invalid token'); // "1.5e"
    const d = Number(m[0]);
    if (!Number.isFinite(d)) this.fail('real number overflow');
    this.pos += m[0].length;
    this.skipUngotNul();
    return { kind: 'real', value: d };
  }
}
