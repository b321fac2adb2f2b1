/**
 * `latencies:` in Aerospike 8.1's layout and `help` with 8.1.2's command list, checked against
 * the answers recorded from Aerospike 8.1.2 (test/fixtures/corpus/info81.jsonl): the
 * histogram arithmetic on a driven clock byte for byte, and a real strato process through the
 * info protocol.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { BAD_HIST_NAME, LatencyRegistry, printfFixed } from '../../src/server/latency.js';
import { infoRequest } from '../../src/client/info-request.js';
import { CORPUS } from '../helpers/paths.js';
import { startStrato } from '../helpers/strato-process.js';
import { connectClient } from '../helpers/client.js';

/** Info command -> answer, from the info81 exchanges recorded against Aerospike 8.1.2 (namespace test only). */
const recorded = new Map<string, string>();
for (const line of readFileSync(join(CORPUS, 'info81.jsonl'), 'utf8').split('\n')) {
  if (line.trim() === '') continue;
  const body = Buffer.from(JSON.parse(line).responses[0], 'hex').subarray(8).toString('utf8');
  const [command, answer] = body.replace(/\n$/, '').split('\t');
  if (answer !== undefined) recorded.set(command!, answer);
}
const answerOf = (command: string) => {
  const a = recorded.get(command);
  assert.ok(a !== undefined, `the corpus records ${command}`);
  return a;
};

/** `name:value;...` -> [name, value] pairs (a histogram name never holds ':'). */
const entries = (answer: string) => answer.split(';').map((e) => [e.slice(0, e.indexOf(':')), e.slice(e.indexOf(':') + 1)] as const);
/** One histogram's value once it has been dumped twice. */
const DUMPED = /^msec,\d+\.\d,(\d+\.\d\d,){16}\d+\.\d\d$/;

test('latencies: lists batch-index then every histogram of each configured namespace, in 8.1.2 order', () => {
  const reg = new LatencyRegistry(['test'], () => 0);
  const ours = entries(reg.render()).map(([name]) => name);
  assert.deepEqual(ours, entries(answerOf('latencies:')).map(([name]) => name));
});

test('a histogram that was never dumped answers just its name and a colon', () => {
  const reg = new LatencyRegistry(['test'], () => 0);
  assert.equal(
    reg.render(),
    'batch-index:;{test}-read:;{test}-write:;{test}-udf:;{test}-batch-sub-read:;{test}-batch-sub-write:;{test}-batch-sub-udf:;{test}-pi-query:;{test}-si-query:',
  );
  // the recorded 8.1.2 answer shows a histogram without data the same way
  assert.ok(answerOf('latencies:').includes(';{test}-udf:;'));
});

test('from the second dump a histogram answers ops/sec and the share over 2^0..2^16 ms, byte for byte', () => {
  let nowMs = 1_000_000;
  const reg = new LatencyRegistry(['test'], () => nowMs);
  const ms = 1e6;
  for (const t of [0.2 * ms, 0.5 * ms, 0.9 * ms, 3 * ms]) reg.recordNs('test', 'read', t);
  reg.dumpActive();
  assert.equal(reg.render('{test}-read'), '{test}-read:', 'the first dump only starts the slice');
  for (const t of [0.5 * ms, 1.5 * ms, 5 * ms, 70_000 * ms]) reg.recordNs('test', 'read', t);
  nowMs += 10_000;
  reg.dumpActive();
  // 4 operations in 10 s; >=1 ms: 3 of 4, >=2 ms: 2, >=4 ms: 2, >=8 ms .. >=65536 ms: 1
  const pcts = ['75.00', '50.00', '50.00', ...Array(14).fill('25.00')];
  assert.equal(reg.render('{test}-read'), `{test}-read:msec,0.4,${pcts.join(',')}`);
  assert.match(reg.render('{test}-read').slice('{test}-read:'.length), DUMPED);
  // a histogram without operations is not dumped and stays empty
  assert.equal(reg.render('{test}-write'), '{test}-write:');
  nowMs += 10_000;
  reg.dumpActive();
  assert.equal(reg.render('{test}-read'), `{test}-read:msec,0.0,${Array(17).fill('0.00').join(',')}`);
});

test('with microsecond-histograms the thresholds are microseconds and the unit is usec', () => {
  let nowMs = 5_000;
  const reg = new LatencyRegistry(['test'], () => nowMs);
  reg.setUnit('usec');
  reg.recordNs('test', 'write', 0);
  reg.dumpActive();
  reg.recordNs('test', 'write', 3_000); // 3 us: over 1 and 2 us
  nowMs += 1_000;
  reg.dumpActive();
  assert.equal(reg.render('{test}-write'), `{test}-write:usec,1.0,100.00,100.00,${Array(15).fill('0.00').join(',')}`);
});

test('latencies:hist= answers bad hist name for an unknown histogram or namespace, as recorded', () => {
  const reg = new LatencyRegistry(['test'], () => 0);
  assert.equal(reg.render('nosuch'), answerOf('latencies:hist=nosuch'));
  assert.equal(reg.render('{nons}-read'), answerOf('latencies:hist={nons}-read'));
  assert.equal(BAD_HIST_NAME, 'ERROR:4:bad hist name');
});

test("latencies:hist= with no value or a value over 99 bytes answers 8.1.2's parameter errors", () => {
  const reg = new LatencyRegistry(['test'], () => 0);
  assert.equal(reg.render(''), "ERROR:4:missing 'hist' value");
  assert.equal(reg.render('x'.repeat(100)), "ERROR:4:'hist' value too long");
  assert.equal(reg.render('x'.repeat(99)), BAD_HIST_NAME);
});

test('an operation on a namespace that is not configured creates no histogram', () => {
  const reg = new LatencyRegistry(['test'], () => 0);
  const before = reg.render();
  reg.recordNs('nons', 'read', 1e6);
  reg.dumpActive();
  assert.equal(reg.render(), before);
  assert.equal(reg.render('{nons}-read'), BAD_HIST_NAME);
});

test('operations on two namespaces in turn are each counted in their own namespace, an unknown one in neither', () => {
  let nowMs = 1_000_000;
  const reg = new LatencyRegistry(['test', 'bar'], () => nowMs);
  // the registry keeps the last namespace's histograms at hand: alternate to check it switches
  for (let i = 0; i < 3; i++) {
    reg.recordNs('test', 'read', 3e6); // 3 ms
    reg.recordNs('bar', 'read', 0.5e6); // under 1 ms
    reg.recordNs('nons', 'read', 9e6);
    reg.recordNs('bar', 'write', 5e6);
  }
  reg.dumpActive();
  reg.recordNs('test', 'read', 3e6);
  reg.recordNs('bar', 'read', 0.5e6);
  nowMs += 1_000;
  reg.dumpActive();
  const zeros = (n: number) => Array(n).fill('0.00').join(',');
  assert.equal(reg.render('{test}-read'), `{test}-read:msec,1.0,100.00,100.00,${zeros(15)}`);
  assert.equal(reg.render('{bar}-read'), `{bar}-read:msec,1.0,${zeros(17)}`);
  assert.equal(reg.render('{bar}-write'), `{bar}-write:msec,0.0,${zeros(17)}`);
  assert.equal(reg.render('{test}-write'), '{test}-write:');
});

test('a histogram puts each value in the bucket of its bit length, up to and past 2^31 units', () => {
  let nowMs = 1_000_000;
  const reg = new LatencyRegistry(['test'], () => nowMs);
  reg.setUnit('usec');
  reg.recordNs('test', 'udf', 0);
  reg.dumpActive();
  // 1 us: over 2^0 only; 2^16 - 1 us: over 2^0..2^15; 2^16 us: over all 17; 2^40 us: over all 17
  for (const us of [1, 2 ** 16 - 1, 2 ** 16, 2 ** 40]) reg.recordNs('test', 'udf', us * 1e3);
  nowMs += 1_000;
  reg.dumpActive();
  assert.equal(reg.render('{test}-udf'), `{test}-udf:usec,4.0,100.00,${Array(15).fill('75.00').join(',')},50.00`);
});

test('percentages and rates print as C printf does: an exact tie rounds to even', () => {
  assert.equal(printfFixed(0.125, 2), '0.12');
  assert.equal(printfFixed(0.375, 2), '0.38');
  assert.equal(printfFixed(2.5, 0), '2');
  assert.equal(printfFixed(33.333333, 2), '33.33');
  assert.equal(printfFixed(0.25, 1), '0.2');
});

test('a strato process answers help exactly as 8.1.2 and latencies: in its layout after traffic', async () => {
  const server = await startStrato({
    config: 'service {\n  ticker-interval 1\n}\nnamespace test {\n  replication-factor 1\n  storage-engine memory {\n    data-size 64M\n  }\n}\n',
  });
  let client: any;
  try {
    const ep = { host: '127.0.0.1', port: server.port };
    const help = await infoRequest(ep, ['help'], 5000);
    assert.equal(help.get('help'), answerOf('help'));

    client = await connectClient({ hosts: [{ addr: '127.0.0.1', port: server.port }], log: { level: -1 } as any });
    const key = new Aerospike.Key('test', 'lat', 1);
    const key2 = new Aerospike.Key('test', 'lat', 2);
    // bounded: the ticker dumps once a second; two dumps with traffic between them are needed
    const deadline = Date.now() + 15_000;
    let answer = '';
    while (Date.now() < deadline) {
      await client.put(key, { n: 1 });
      await client.get(key);
      await client.batchRead([{ key, readAllBins: true }, { key: key2, readAllBins: true }]);
      answer = (await infoRequest(ep, ['latencies:'], 5000)).get('latencies:') ?? '';
      const m = new Map(entries(answer));
      if ([...['{test}-read', '{test}-write', '{test}-batch-sub-read', 'batch-index']].every((n) => DUMPED.test(m.get(n) ?? ''))) break;
    }
    const ours = entries(answer);
    const want = entries(answerOf('latencies:'));
    assert.deepEqual(ours.map(([n]) => n), want.map(([n]) => n), answer);
    for (const [i, [name, value]] of ours.entries()) {
      // the recording's histograms with data (batch-index, read, write, batch-sub-read/-write) have
      // the dumped layout; those the recording never exercised (udf, batch-sub-udf, queries) are empty
      const wantValue = want[i]![1];
      if (wantValue === '') assert.equal(value, '', name);
      else if (name !== '{test}-batch-sub-write') assert.match(value, DUMPED, name);
    }
    const one = (await infoRequest(ep, ['latencies:hist={test}-read'], 5000)).get('latencies:hist={test}-read')!;
    assert.match(one, /^\{test\}-read:msec,/);
    assert.equal((await infoRequest(ep, ['latencies:hist={nons}-read'], 5000)).get('latencies:hist={nons}-read'), answerOf('latencies:hist={nons}-read'));
  } finally {
    await client?.close(false);
    await server.stop();
  }
});
