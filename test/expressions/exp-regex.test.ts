/**
 * POSIX (glibc, C locale) regular expressions on Strato's linear-time automaton: BRE vs ERE syntax,
 * brackets, classes, anchors, NEWLINE / ICASE flags (glibc's values), byte semantics, syntax errors,
 * back-references under a step budget, size bounds and the compile cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compilePosix,
  compileRegex,
  REGEX_MAX_INSTRUCTIONS,
  REGEX_PATTERN_MAX_BYTES,
  RegexBudgetError,
  RegexFlag,
  RegexSyntaxError,
  regexMatches,
} from '../../src/expressions/regex.js';

const { EXTENDED: ERE, ICASE, NEWLINE } = RegexFlag;

function m(pattern: string, flags: number, subject: string | Buffer): boolean {
  return regexMatches(compileRegex(Buffer.from(pattern, 'utf8'), flags), typeof subject === 'string' ? Buffer.from(subject, 'utf8') : subject);
}
function bad(pattern: string, flags: number): void {
  assert.throws(() => compilePosix(pattern, flags), RegexSyntaxError, `${pattern} should not compile`);
}

test('BRE: + ? | { } ( ) are literal; \\+ \\? \\| \\{ \\} \\( \\) are operators', () => {
  assert.equal(m('a+', 0, 'a+'), true);
  assert.equal(m('a+', 0, 'aa'), false);
  assert.equal(m('a\\+', 0, 'aaa'), true);
  assert.equal(m('^ab\\?c$', 0, 'ac'), true);
  assert.equal(m('cat\\|dog', 0, 'hotdog'), true);
  assert.equal(m('a|b', 0, 'a|b'), true);
  assert.equal(m('a|b', 0, 'a'), false);
  assert.equal(m('^a\\{2,3\\}$', 0, 'aaa'), true);
  assert.equal(m('^a\\{2,3\\}$', 0, 'aaaa'), false);
  assert.equal(m('a{2}', 0, 'a{2}'), true);
  assert.equal(m('\\(ab\\)\\1', 0, 'abab'), true);
  assert.equal(m('(ab)', 0, '(ab)'), true);
});

test('BRE context rules for * ^ $', () => {
  assert.equal(m('*a', 0, '*a'), true, 'leading * is literal');
  assert.equal(m('^*a', 0, '*a'), true, '* after a leading ^ is literal');
  assert.equal(m('\\(*a\\)', 0, 'x*a'), true, '* after \\( is literal');
  assert.equal(m('a^b', 0, 'a^b'), true, '^ inside is literal');
  assert.equal(m('a$b', 0, 'a$b'), true, '$ inside is literal');
  assert.equal(m('\\(^a\\)', 0, 'ab'), true);
  assert.equal(m('\\(a$\\)', 0, 'ba'), true);
  assert.equal(m('ab*', 0, 'a'), true);
  assert.equal(m('a**', 0, 'aaa'), true);
});

test('ERE: operators, intervals, groups, alternation', () => {
  assert.equal(m('^(ab)+$', ERE, 'ababab'), true);
  assert.equal(m('^a{2,}$', ERE, 'aaaa'), true);
  assert.equal(m('^a{,2}$', ERE, 'aa'), true);
  assert.equal(m('^a{,2}$', ERE, 'aaa'), false);
  assert.equal(m('cat|dog', ERE, 'dog'), true);
  assert.equal(m('a**', ERE, 'aaa'), true, 'repeated quantifiers');
  assert.equal(m('a+?', ERE, 'a'), true);
  assert.equal(m('a)', ERE, 'a)'), true, 'unmatched ) is literal');
  assert.equal(m('(a)\\1', ERE, 'aa'), true);
  assert.equal(m('^$', ERE, ''), true);
  assert.equal(m('', ERE, 'x'), true);
  bad('(a', ERE);
  bad('*a', ERE);
  bad('a|*b', ERE);
  bad('a{2', ERE);
  bad('a{3,2}', ERE);
  bad('a{99999}', ERE);
  bad('\\1(a)', ERE);
  bad('a\\', ERE);
  bad('\\(a', 0);
  bad('a\\{2', 0);
});

test('bracket expressions: classes, ranges, literal backslash and ]', () => {
  assert.equal(m('^[[:alpha:]]+$', ERE, 'Hello'), true);
  assert.equal(m('^[[:digit:]]+$', ERE, '123a'), false);
  assert.equal(m('[[:space:]]', ERE, 'a b'), true);
  assert.equal(m('[[:punct:]]', ERE, 'ab!'), true);
  assert.equal(m('^[[:xdigit:]]+$', ERE, 'deadBEEF'), true);
  assert.equal(m('[]a]', ERE, ']'), true);
  assert.equal(m('[^]a]', ERE, ']'), false);
  assert.equal(m('[\\n]', ERE, '\\'), true, 'backslash is literal inside brackets');
  assert.equal(m('[\\n]', ERE, 'n'), true);
  assert.equal(m('[\\n]', ERE, '\n'), false);
  assert.equal(m('^[a-c-]+$', ERE, 'a-b'), true);
  assert.equal(m('[[.-.]]', ERE, '-'), true);
  assert.equal(m('[[=e=]]', ERE, 'e'), true);
  bad('[a', ERE);
  bad('[[:nope:]]', ERE);
  bad('[z-a]', ERE);
});

test('flags: ICASE, NEWLINE; without NEWLINE . and [^x] match newline and ^ $ are whole-string', () => {
  assert.equal(m('^HELLO', ICASE, 'hello'), true);
  assert.equal(m('^HELLO', 0, 'hello'), false);
  assert.equal(m('a.b', 0, 'a\nb'), true);
  assert.equal(m('a.b', NEWLINE, 'a\nb'), false);
  assert.equal(m('a[^x]b', 0, 'a\nb'), true);
  assert.equal(m('a[^x]b', NEWLINE, 'a\nb'), false);
  assert.equal(m('^b', 0, 'a\nb'), false);
  assert.equal(m('^b', NEWLINE, 'a\nb'), true);
  assert.equal(m('a$', NEWLINE, 'a\nb'), true);
  assert.equal(m('a$', 0, 'a\nb'), false);
  assert.equal(m('^[[:upper:]]+$', ICASE | ERE, 'abc'), true);
});

test('GNU escapes and escaped ordinary characters', () => {
  assert.equal(m('\\w+', ERE, '!!a'), true);
  assert.equal(m('^\\W+$', ERE, '!!'), true);
  assert.equal(m('\\bfoo\\b', ERE, 'a foo b'), true);
  assert.equal(m('\\<foo\\>', ERE, 'a foo b'), true);
  assert.equal(m('\\<oo', ERE, 'foo'), false);
  assert.equal(m('\\`a', ERE, 'ba'), false);
  assert.equal(m("a\\'", ERE, 'ba'), true);
  assert.equal(m('\\n', ERE, 'n'), true, '\\n is the letter n in POSIX');
  assert.equal(m('a\\.b', ERE, 'a.b'), true);
  assert.equal(m('a\\.b', ERE, 'axb'), false);
});

test('byte semantics: . is one byte, matching stops at NUL', () => {
  assert.equal(m('^.$', ERE, 'é'), false, 'two UTF-8 bytes');
  assert.equal(m('^..$', ERE, 'é'), true);
  assert.equal(m('b', ERE, Buffer.from('a\0b')), false, 'the subject ends at NUL');
  assert.equal(m('a\0zzz', ERE, 'a'), true, 'the pattern ends at NUL');
  assert.equal(m('é', ERE, 'café'), true);
});

test('the compile cache returns the same program for the same flags and pattern', () => {
  const a = compileRegex(Buffer.from('x+'), ERE);
  const b = compileRegex(Buffer.from('x+'), ERE);
  const c = compileRegex(Buffer.from('x+'), 0);
  const d = compileRegex(Buffer.from('x+'), ERE | RegexFlag.NOSUB);
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.equal(a, d, 'NOSUB does not change a yes/no match');
});

test("glibc's flag values: 4 is REG_NEWLINE and 8 is REG_NOSUB", () => {
  assert.equal(RegexFlag.NEWLINE, 4);
  assert.equal(RegexFlag.NOSUB, 8);
  assert.equal(m('^b', 4, 'a\nb'), true, '4 makes ^ match after a newline');
  assert.equal(m('^b', 8, 'a\nb'), false, '8 (NOSUB) leaves ^ at the start of the string');
  assert.equal(m('a.b', 8, 'a\nb'), true, 'under NOSUB . still matches a newline');
  assert.equal(m('a\\Wb', ERE | 4, 'a\nb'), false, 'under NEWLINE \\W excludes newline, as glibc builds it as a negated list');
  assert.equal(m('a\\Wb', ERE, 'a\nb'), true);
});

test('nested quantifiers match in linear time: (a+)+$ against 30 a and ! answers false at once', () => {
  const subject = 'a'.repeat(30) + '!';
  const t0 = process.hrtime.bigint();
  assert.equal(m('(a+)+$', ERE, subject), false);
  assert.equal(m('^(a|a)*$', ERE, 'a'.repeat(5000) + '!'), false);
  assert.equal(m('(a*)*b', ERE, 'a'.repeat(5000)), false);
  assert.equal(m('\\(a*\\)*b', 0, 'a'.repeat(5000) + 'b'), true);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // a sanity bound far above the expected ~1 ms; a backtracking engine needs minutes here
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test('ICASE folds ASCII letters only, as in the C locale', () => {
  assert.equal(regexMatches(compileRegex(Buffer.from([0xe9]), ICASE), Buffer.from([0xc9])), false, 'latin1 é and É are distinct bytes');
  assert.equal(m('[^a]', ICASE, 'A'), false);
  assert.equal(m('^[a-c]+$', ICASE | ERE, 'AbC'), true);
  assert.equal(m('\\(ab\\)\\1', ICASE, 'abAB'), true, 'back-references compare case-insensitively');
});

test('back-references match, and a pathological one is refused past its step budget', () => {
  assert.equal(m('^\\(a*\\)b\\1$', 0, 'aabaa'), true);
  assert.equal(m('^\\(a*\\)b\\1$', 0, 'aaba'), false);
  assert.equal(m('(.)\\1', ERE, 'abcdd'), true);
  assert.equal(m('(.)\\1', ERE, 'abcd'), false);
  assert.equal(m('(a)|b\\1', ERE, 'b'), false, 'a back-reference to a group that took no part fails');
  assert.equal(m('(a)|b\\1', ERE, 'xa'), true);
  assert.equal(m('^(a*)*\\1$', ERE, 'aaaa'), true);
  assert.throws(() => m('^((a*)*)*\\1b$', ERE, 'a'.repeat(40)), RegexBudgetError);
});

test('anchors, word boundaries and buffer anchors on the automaton', () => {
  assert.equal(m('^$', NEWLINE, 'a\n\nb'), true, 'an empty line');
  assert.equal(m('^$', 0, 'a\n\nb'), false);
  assert.equal(m('x\\b', ERE, 'x'), true);
  assert.equal(m('x\\B', ERE, 'xy'), true);
  assert.equal(m('x\\B', ERE, 'x y'), false);
  assert.equal(m('oo\\>', ERE, 'foo bar'), true);
  assert.equal(m('\\`b', NEWLINE | ERE, 'a\nb'), false, '\\` is the buffer start even under NEWLINE');
  assert.equal(m("a\\'", NEWLINE | ERE, 'a\nb'), false);
  assert.equal(m('a|^b', ERE, 'cb'), false);
  assert.equal(m('(^|x)b', ERE, 'b'), true);
});

test('patterns past the named size bounds are refused like regcomp REG_ESIZE', () => {
  assert.throws(() => compileRegex(Buffer.alloc(REGEX_PATTERN_MAX_BYTES + 1, 0x61), ERE), RegexSyntaxError);
  assert.throws(() => compilePosix('(a{1000}){1000}', ERE), (e: unknown) => e instanceof RegexSyntaxError && /too big/.test(e.message));
  assert.ok(REGEX_MAX_INSTRUCTIONS >= 10_000);
  assert.equal(m('^a{5000}$', ERE, 'a'.repeat(5000)), true, 'a large interval within the bound');
});
