/**
 * asadm's table layout (aerospike-admin's column sheet): right-justified, word-wrapped,
 * top-aligned column titles; grouped columns under a `~`-centred group title; the title line
 * centred in `~` with Python's centring; hidden empty columns; nothing for an empty sheet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTable, pyCenter, renderTable, renderVertical, titleLine } from '../../src/tools/asadm/table.js';

const AT = new Date('2026-01-02T03:04:05Z');

test('pyCenter puts the odd pad where Python str.center does', () => {
  assert.equal(pyCenter('ab', 5, '~'), '~~ab~'); // marg 3, width odd: the extra goes left
  assert.equal(pyCenter('abc', 6, '~'), '~abc~~'); // marg 3, width even: the extra goes right
  assert.equal(pyCenter('Read', 6, '~'), '~Read~');
});

test('a table with grouped columns renders exactly as asadm lays out its Users sheet', () => {
  const out = renderTable('Users', ['User', 'Roles', { group: 'Read', columns: ['Quota'] }, { group: 'Write', columns: ['Quota'] }], [['admin', 'user-admin', 0, 0]], { at: AT, alignRight: ['Roles'] });
  assert.equal(
    out,
    [
      '~Users (2026-01-02 03:04:05 UTC)~',
      ' User|     Roles|~Read~|~Write~',
      '     |          | Quota|  Quota',
      'admin|user-admin|     0|      0',
      'Number of rows: 1',
      '',
    ].join('\n'),
  );
  const parsed = parseTable(out, 'Users')!;
  assert.deepEqual(parsed.headers, ['User', 'Roles', 'Read Quota', 'Write Quota']);
  assert.deepEqual(parsed.rows, [['admin', 'user-admin', '0', '0']]);
});

test('a title wider than its column wraps onto lines, top-aligned; numbers right, text left', () => {
  const out = renderTable('T', ['Namespace', 'Total Records', 'Stop Writes'], [['test', 12, 'False']], { at: AT });
  const lines = out.split('\n');
  assert.equal(lines[1], 'Namespace|  Total|  Stop');
  assert.equal(lines[2], '         |Records|Writes');
  assert.equal(lines[3], 'test     |     12|False ');
  assert.deepEqual(parseTable(out, 'T')!.headers, ['Namespace', 'Total Records', 'Stop Writes']);
});

test('a column with no value in any row is hidden, and an empty sheet prints nothing', () => {
  const out = renderTable('T', ['A', 'B'], [['x', undefined]], { at: AT });
  assert.deepEqual(parseTable(out, 'T')!.headers, ['A']);
  assert.equal(renderTable('T', ['A'], [], { at: AT }), '');
});

test('the title repeats across a table more than twice the terminal width, as asadm does', () => {
  const line = titleLine('Wide', 400, 160);
  assert.equal(line.length, 400);
  assert.equal(line.split('Wide').length - 1, 2);
  assert.equal(titleLine('Narrow', 20, 160), '~~~~~~~Narrow~~~~~~~');
});

test('a vertical table is asadm row sheet: Node row first, everything left-justified, rows counted with it', () => {
  const out = renderVertical('Service Configuration', ['10.0.0.1:3000', '10.0.0.2:3000'], [new Map([['proto-fd-max', '15000'], ['batch-max-requests', '5000']]), new Map([['proto-fd-max', '100']])], { at: AT });
  assert.equal(
    out,
    [
      // the rows are 46 wide; the title line 48 (Python's centring, then a `~` added at the front)
      '~Service Configuration (2026-01-02 03:04:05 UTC)~',
      'Node              |10.0.0.1:3000|10.0.0.2:3000',
      'batch-max-requests|5000         |--           ',
      'proto-fd-max      |15000        |100          ',
      'Number of rows: 3',
      '',
    ].join('\n'),
  );
  const t = parseTable(out, 'Service Configuration')!;
  assert.deepEqual(t.headers, ['Node', '10.0.0.1:3000', '10.0.0.2:3000']);
  assert.deepEqual(t.rows[1], ['proto-fd-max', '15000', '100']);
});
