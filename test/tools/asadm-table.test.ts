/**
 * asadm's table layout (aerospike-admin's column sheet): right-justified, word-wrapped,
 * top-aligned column titles; grouped columns under a `~`-centred group title; the title line
 * centred in `~` with Python's centring; hidden empty columns; nothing for an empty sheet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytes, parseTable, pyCenter, pyPct, renderTable, renderVertical, scientific, titleLine } from '../../src/tools/asadm/table.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderUsersStatistics } from '../../src/tools/asadm/acl-commands.js';
import { kvList } from '../../src/tools/asadm/cluster.js';
import { renderSummary, type SummaryInput } from '../../src/tools/asadm/summary.js';
import { HEALTH_RULES, evaluateHealth, renderHealth, type HealthNode } from '../../src/tools/asadm/health.js';
import { FIXTURES } from '../helpers/paths.js';

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

test("show users statistics prints asadm's total row after each user's rows: sums, usage weighted by quota, counts in its units", () => {
  const out = renderUsersStatistics(
    [
      { user: 'alice', node: '127.0.0.1:3001', connections: 1, readInfo: [500, 100, 50, 1], writeInfo: [0, 0, 0, 0] },
      { user: 'alice', node: '127.0.0.1:3000', connections: 2, readInfo: [1500, 300, 0, 0], writeInfo: [0, 0, 0, 0] },
      { user: 'admin', node: '127.0.0.1:3000', connections: 1, readInfo: [0, 0, 0, 0], writeInfo: [0, 0, 0, 0] },
    ],
    { at: AT },
  );
  assert.equal(
    out,
    [
      '~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~Users Statistics (2026-01-02 03:04:05 UTC)~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~',
      ' User|          Node|Connections|~~~~~~~~~~~~~~~~~~~~~Read~~~~~~~~~~~~~~~~~~~~|~~~~~~~~~~~~~~Write~~~~~~~~~~~~~~',
      '     |              |           |    Quota|Usage%|   Single|   PI/SI|    PI/SI|  Quota| Single|  PI/SI|    PI/SI',
      '     |              |           |         |      |   Record|   Query|    Query|       | Record|  Query|    Query',
      '     |              |           |         |      |      TPS| Limited|Limitless|       |    TPS|Limited|Limitless',
      '     |              |           |         |      |         |     RPS|         |       |       |    RPS|         ',
      'admin|127.0.0.1:3000|    1.000  |  0.000  |    --|  0.000  | 0.000  |  0.000  |0.000  |0.000  |0.000  |  0.000  ',
      'admin|              |    1.000  |  0.000  |    --|  0.000  | 0.000  |  0.000  |0.000  |0.000  |0.000  |  0.000  ',
      'alice|127.0.0.1:3000|    2.000  |  1.500 K|20.0 %|300.000  | 0.000  |  0.000  |0.000  |0.000  |0.000  |  0.000  ',
      'alice|127.0.0.1:3001|    1.000  |500.000  |30.0 %|100.000  |50.000  |  1.000  |0.000  |0.000  |0.000  |  0.000  ',
      // usage (300 + 150) / (1500 + 500): each node's usage weighted by its quota
      'alice|              |    3.000  |  2.000 K|22.5 %|400.000  |50.000  |  1.000  |0.000  |0.000  |0.000  |  0.000  ',
      'Number of rows: 3',
      '',
    ].join('\n'),
  );
  const t = parseTable(out, 'Users Statistics', { totals: true })!;
  assert.equal(t.rows.length, 5, 'three rows and two totals');
  assert.deepEqual(t.rows[4]!.slice(0, 5), ['alice', '', '3.000', '2.000 K', '22.5 %']);
});

test("asadm's number formats: Python's round and float text, sizes and counts with its padding", () => {
  assert.equal(pyPct(12), '12.0 %');
  assert.equal(pyPct(0.0074), '0.01 %');
  assert.equal(pyPct(0.125), '0.12 %', 'a tie rounds to even, as Python does');
  assert.equal(pyPct(99.99999), '100.0 %');
  assert.equal(bytes(0), '0.000 B ');
  assert.equal(bytes(800), '800.000 B ');
  assert.equal(bytes(1024 ** 3), '1.000 GB');
  assert.equal(scientific(20), '20.000  ');
  assert.equal(scientific(1500), '1.500 K');
});

/** The info answers a real Aerospike 8.1.2 gave in the recorded corpus (first answer per command). */
function recordedInfo(): Map<string, string> {
  const answers = new Map<string, string>();
  for (const line of readFileSync(join(FIXTURES, 'corpus', 'info.jsonl'), 'utf8').split('\n')) {
    if (line === '') continue;
    const d = JSON.parse(line) as { request: string; responses: string[] };
    if (Buffer.from(d.request, 'hex')[1] !== 1 || d.responses[0] === undefined) continue;
    for (const l of Buffer.from(d.responses[0], 'hex').subarray(8).toString().split('\n')) {
      const tab = l.indexOf('\t');
      if (tab > 0 && !answers.has(l.slice(0, tab))) answers.set(l.slice(0, tab), l.slice(tab + 1));
    }
  }
  return answers;
}

/** The summary input of the recorded node: its two namespaces, statistics and configuration. */
function recordedSummaryInput(): SummaryInput {
  const a = recordedInfo();
  return {
    nodes: [
      {
        service: kvList(a.get('statistics')!),
        serviceConfig: kvList(a.get('get-config:context=service')!),
        security: new Map(),
        namespaces: new Map(['test', 'bar'].map((ns) => [ns, kvList(a.get(`namespace/${ns}`)!)])),
      },
    ],
    builds: [a.get('build')],
    editions: [a.get('version')],
    names: [a.get('cluster-name')],
    osVersion: 'Debian GNU/Linux 12 (bookworm) (6.1.0-18-amd64)',
  };
}

test("summary of a real Aerospike 8.1.2 node's answers is asadm's Cluster Summary and Namespace Summary, field for field", () => {
  const out = renderSummary(recordedSummaryInput());
  // two 1 GiB memory namespaces, 800 bytes used in test (data_avail_pct 87 and 93: 1.8 GiB
  // available), 384 bytes of primary index and 32 MiB of secondary index, 6 master objects,
  // replication factor 1 (license usage = data used / replication factor), reads and writes (KVS)
  assert.equal(
    out,
    [
      '~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~Cluster Summary~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~',
      'Migrations                |False                                          ',
      'Cluster Name              |asreal                                         ',
      'Server Version            |C-8.1.2.0                                      ',
      'OS Version                |Debian GNU/Linux 12 (bookworm) (6.1.0-18-amd64)',
      'Cluster Size              |1                                              ',
      'Devices Total             |0                                              ',
      'Devices Per-Node          |0                                              ',
      'Devices Equal Across Nodes|True                                           ',
      'System Memory Used%       |5.0 %                                          ',
      'System Memory Avail%      |95.0 %                                         ',
      'Shmem Index Used          |384.000 B                                      ',
      'Shmem Sindex Used         |32.000 MB                                      ',
      'Data Memory Total         |2.000 GB                                       ',
      'Data Memory Used          |800.000 B                                      ',
      'Data Memory Used%         |0.0 %                                          ',
      'Data Memory Avail         |1.800 GB                                       ',
      'Data Memory Avail%        |90.0 %                                         ',
      'License Usage Latest      |800.000 B                                      ',
      'Namespaces Active         |1                                              ',
      'Namespaces Total          |2                                              ',
      'Active Features           |KVS                                            ',
      'Number of rows: 21',
      '',
      '~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~Namespace Summary~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~',
      'Namespace|~~~~Drives~~~~|~~Shmem~~|~~~~~Data Memory~~~~~|Replication| Master|Compression|~License~',
      '         |Total|Per-Node|~~Sindex~|   Total|Used%|Avail%|    Factors|Objects|      Ratio|~~Usage~~',
      '         |     |        |     Used|        |     |      |           |       |           |   Latest',
      'bar      |    0|       0|       --|1.000 GB|0.0 %|93.0 %|          1|0.000  |        1.0|0.000 B  ',
      'test     |    0|       0|32.000 MB|1.000 GB|0.0 %|87.0 %|          1|6.000  |        1.0|800.000 B',
      'Number of rows: 2',
      '',
    ].join('\n'),
  );
});

test("health -v is asadm's report: Summary counters, PASS list, FAIL list by level with descriptions and keys, in its 80-column layout", () => {
  const node = (key: string, stopWrites: string): HealthNode => ({
    key,
    nodeId: key,
    service: new Map([
      ['cluster_integrity', 'true'],
      ['cluster_size', '2'],
    ]),
    serviceConfig: new Map(),
    namespaces: new Map([
      [
        'test',
        {
          stats: new Map([
            ['stop_writes', stopWrites],
            ['data_avail_pct', '4'],
          ]),
          config: new Map([
            ['replication-factor', '2'],
            ['storage-engine.stop-writes-avail-pct', '5'],
          ]),
        },
      ],
    ]),
    sets: [],
    sindexes: [],
    udfs: new Map(),
  });
  // five rules: two pass, two fail (one node in stop-writes, both under stop-writes-avail-pct), one without data (no system memory figure)
  const rules = HEALTH_RULES.filter((r) =>
    ['Cluster integrity fault.', 'Namespace has hit stop-writes (stop_writes = true)', 'Low namespace storage-engine available pct (stop-write enabled).', 'Non-default namespace replication-factor configuration.', 'Low system memory percentage.'].includes(r.failMsg),
  );
  const out = renderHealth(evaluateHealth([node('10.0.0.1:3000', 'true'), node('10.0.0.2:3000', 'false')], rules), true);
  assert.equal(
    out,
    [
      '',
      '____________________________________Summary_____________________________________',
      '',
      '       Total:  5',
      '      Passed:  2',
      '      Failed:  2',
      '     Skipped:  1',
      '',
      '',
      '________________________________ PASS: count(2) ________________________________',
      '',
      '  OPERATIONS:  Non-default namespace replication-factor check.',
      '  OPERATIONS:  Cluster integrity fault check.',
      '',
      '',
      '________________________________ FAIL: count(2) ________________________________',
      '',
      '                                    CRITICAL                                    ',
      '',
      '  OPERATIONS:  Low namespace storage-engine available pct (stop-write enabled).',
      '',
      'Description::  The listed namespaces have less contiguous free storage than',
      '               storage-engine.stop-writes-avail-pct: writes stop there. See',
      "               'show stop-writes'.",
      '',
      '       Keys::  C1/10.0.0.1:3000/test {data_avail_pct:4, storage-engine.stop-writes-avail-pct:5}',
      '               C1/10.0.0.2:3000/test {data_avail_pct:4, storage-engine.stop-writes-avail-pct:5}',
      '',
      '  OPERATIONS:  Namespace has hit stop-writes (stop_writes = true)',
      '',
      "Description::  The listed namespaces refuse writes (stop_writes). See 'show",
      "               stop-writes'.",
      '',
      '       Keys::  C1/10.0.0.1:3000/test {stop_writes:True}',
      '',
      '',
      '________________________________________________________________________________',
      '',
      '',
    ].join('\n'),
  );
});

test("summary -l of the same node is asadm's list view: numbered cluster lines, then each namespace in the node's order", () => {
  assert.equal(
    renderSummary(recordedSummaryInput(), true),
    [
      'Cluster',
      '=======',
      '',
      '   1.   Cluster Name             :  asreal',
      '   2.   Server Version           :  C-8.1.2.0',
      '   3.   OS Version               :  Debian GNU/Linux 12 (bookworm) (6.1.0-18-amd64)',
      '   4.   Cluster Size             :  1',
      '   5.   Devices                  :  Total 0, per-node 0',
      '   6.   System Memory            :  95.00% free',
      '   7.   Shmem Index              :  384.000 B used',
      '   8.   Shmem Sindex             :  32.000 MB used',
      '   9.   Data Memory              :  Total 2.000 GB, 0.00% used (800.000 B), 90.00% available contiguous space (1.800 GB)',
      '   10.  License Usage            :  Latest: 800.000 B',
      '   11.  Active Namespaces        :  1 of 2',
      '   12.  Active Features          :  KVS',
      '',
      '',
      'Namespaces',
      '==========',
      '',
      '   test',
      '   ====',
      '   1.   Devices                  :  Total 0, per-node 0',
      '   2.   Shmem Index              :  384.000 B used',
      '   3.   Shmem Sindex             :  32.000 MB used',
      '   4.   Data Memory              :  Total 1.000 GB, 0.00% used (800.000 B), 87.00% available contiguous space (890.880 MB)',
      '   5.   License Usage            :  Latest: 800.000 B',
      '   6.   Replication Factor       :  1',
      '   7.   Rack-aware               :  False',
      '   8.   Master Objects           :  6.000  ',
      '   9.   Compression-ratio        :  1.0',
      '',
      '   bar',
      '   ===',
      '   1.   Devices                  :  Total 0, per-node 0',
      '   2.   Data Memory              :  Total 1.000 GB, 0.00% used (0.000 B), 93.00% available contiguous space (952.320 MB)',
      '   3.   License Usage            :  Latest: 0.000 B',
      '   4.   Replication Factor       :  1',
      '   5.   Rack-aware               :  False',
      '   6.   Master Objects           :  0.000  ',
      '   7.   Compression-ratio        :  1.0',
      '',
      '',
    ].join('\n'),
  );
});
