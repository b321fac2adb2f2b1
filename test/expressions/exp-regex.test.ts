/**
 * POSIX (glibc, C locale) regular expressions translated to JavaScript: BRE vs ERE syntax,
 * brackets, classes, anchors, NEWLINE / ICASE flags, byte semantics, syntax errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRegex, posixToRegExp, RegexFlag, RegexSyntaxError, regexMatches } from '../../src/expressions/regex.js';

const { EXTENDED: ERE, ICASE, NEWLINE } = RegexFlag;

function m(pattern: string, flags: number, subject: string | Buffer): boolean {
  return regexMatches(compileRegex(Buffer.from(pattern, 'utf8'), flags), typeof subject === 'string' ? Buffer.from(subject, 'utf8') : subject);
}
function bad(pattern: string, flags: number): void {
  assert.throws(() => posixToRegExp(pattern, flags), RegexSyntaxError, `${pattern} should not compile`);
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

test('compile cache reuses RegExp objects', () => {
  const cache = new Map<string, RegExp>();
  const a = compileRegex(Buffer.from('x+'), ERE, cache);
  const b = compileRegex(Buffer.from('x+'), ERE, cache);
  const c = compileRegex(Buffer.from('x+'), 0, cache);
  assert.equal(a, b);
  assert.notEqual(a, c);
});
