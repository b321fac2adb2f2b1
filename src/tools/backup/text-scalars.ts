/**
 * Scalar spellings of the text backup format: name escaping, C's `%.17g` for doubles, and the
 * strict integer/double parsers of Aerospike's dec_text.c.
 */

/** Backslash-escapes backslash, space and line feed (utils.c escape_space); names never hold other specials. */
export function escapeName(s: string): string {
  // fast path: almost no name needs escaping
  if (!/[\\ \n]/.test(s)) return s;
  return s.replace(/[\\ \n]/g, (c) => '\\' + c);
}

/** Inverse of escapeName: a backslash makes the next character literal. */
export function unescapeName(s: string): string {
  if (!s.includes('\\')) return s;
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

/**
 * Formats a double as C's printf("%.17g") does with glibc: 17 significant digits, trailing zeros
 * removed, exponent form when the exponent is < -4 or >= 17, "inf"/"-inf"/"nan"/"-nan".
 */
export function formatDouble(x: number): string {
  if (Number.isNaN(x)) {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleBE(x);
    return b[0]! & 0x80 ? '-nan' : 'nan';
  }
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const exp = roundedExponential(x);
  // exp looks like "-1.2345678901234567e+5"
  const eAt = exp.indexOf('e');
  let mant = exp.slice(0, eAt);
  const e = Number(exp.slice(eAt + 1));
  if (e < -4 || e >= 17) {
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const ae = Math.abs(e);
    return `${mant}e${e < 0 ? '-' : '+'}${ae < 10 ? '0' + ae : ae}`;
  }
  // fixed form, built from the rounded mantissa's 17 digits (toFixed would round again)
  let fixed: string;
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  if (e >= 0) {
    const intPart = digits.slice(0, e + 1);
    const frac = digits.slice(e + 1);
    fixed = (neg ? '-' : '') + intPart + (frac.length > 0 ? '.' + frac : '');
  } else {
    fixed = (neg ? '-' : '') + '0.' + '0'.repeat(-e - 1) + digits;
  }
  if (fixed.includes('.')) fixed = fixed.replace(/0+$/, '').replace(/\.$/, '');
  return fixed;
}

/**
 * `x.toExponential(16)` rounded half-to-even like glibc (JavaScript rounds exact ties up). A tie
 * needs the exact expansion to end right after the 18th digit with a 5, which 60 digits show.
 */
function roundedExponential(x: number): string {
  const s = x.toExponential(16);
  const wide = x.toExponential(60);
  const eAt = wide.indexOf('e');
  const ds = wide.slice(0, eAt).replace('-', '').replace('.', '');
  if (ds[17] !== '5' || !/^0*$/.test(ds.slice(18))) return s;
  // exact tie: glibc keeps the even 17th digit
  const last = Number(ds[16]);
  if (last % 2 === 0) {
    const neg = x < 0 ? '-' : '';
    const m = ds.slice(0, 17);
    return `${neg}${m[0]}.${m.slice(1)}${wide.slice(eAt)}`;
  }
  return s;
}

const FLOAT_WORDS = /^[+-]?(nan|inf|infinity)?$/i;

/** True when `s` is a prefix-valid floating-point spelling per dec_text.c's text_check_floating_point. */
function isFloatSpelling(s: string): boolean {
  if (FLOAT_WORDS.test(s)) return true;
  let i = s[0] === '+' || s[0] === '-' ? 1 : 0;
  let dot = false;
  let ex = false;
  let prev = '';
  for (; i < s.length; i++) {
    const ch = s[i]!;
    if (ch >= '0' && ch <= '9') {
      prev = ch;
      continue;
    }
    if ((ch === '+' || ch === '-') && prev === 'e') {
      prev = ch;
      continue;
    }
    if (ch === '.' && !dot && !ex) dot = true;
    else if (ch === 'e' && !ex) ex = true;
    else return false;
    prev = ch;
  }
  return true;
}

/** Parses a double token; returns undefined when it is not one. */
export function parseDouble(s: string): number | undefined {
  if (s.length === 0 || !isFloatSpelling(s)) return undefined;
  const m = /^([+-]?)(nan|inf|infinity)$/i.exec(s);
  if (m) {
    if (m[2]!.toLowerCase() === 'nan') {
      const b = Buffer.from([m[1] === '-' ? 0xff : 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]);
      return b.readDoubleBE(0);
    }
    return m[1] === '-' ? -Infinity : Infinity;
  }
  const v = Number(s);
  return Number.isNaN(v) ? undefined : v;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Parses a signed 64-bit decimal integer (digits with an optional leading '-'); undefined when invalid. */
export function parseInt64(s: string): bigint | undefined {
  if (!/^-?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}
