/**
 * The asbackup/asrestore terminal progress bar: its frame (filled share, percent, records, time
 * left), redrawn in place, erased before a periodic log line and on stop; none without a terminal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressReporter, ToolLog, renderBar, PROGRESS_BAR_WIDTH } from '../../src/tools/backup/progress.js';

test('a frame shows the filled share, percent, records and time left', () => {
  const f = renderBar(250, 1000, 250, 50);
  assert.equal(PROGRESS_BAR_WIDTH, 30);
  assert.equal(f, `[${'#'.repeat(8)}${'-'.repeat(22)}]  25% 250 rec ~15s left`);
  assert.match(renderBar(1000, 1000, 1000, 50), /^\[#+\] 100% 1000 rec$/);
  assert.equal(renderBar(0, 0, 42, 7), '42 record(s), ~7/s');
});

test('the bar is redrawn in place and erased before a log line and on stop', () => {
  const frames: string[] = [];
  const lines: string[] = [];
  let records = 0;
  const p = new ProgressReporter(new ToolLog(false, (l) => lines.push(l)), () => ({ records, bytes: records * 10, expectedRecords: 100 }), 0, (t) => frames.push(t));
  records = 40;
  p.drawBar(p.startMs + 4000);
  assert.match(frames.at(-1)!, /^\r\x1b\[K\[#{12}-{18}\]  40% 40 rec ~6s left$/);
  p.report();
  assert.equal(frames.at(-1), '\r\x1b[K', 'erased before the log line');
  assert.match(lines.at(-1)!, /40% complete/);
  p.drawBar(p.startMs + 5000);
  p.stop();
  assert.equal(frames.at(-1), '\r\x1b[K');
});

test('without a terminal there is no bar, only the periodic lines', () => {
  const lines: string[] = [];
  const p = new ProgressReporter(new ToolLog(false, (l) => lines.push(l)), () => ({ records: 5, bytes: 50, expectedRecords: 10 }), 0, undefined);
  p.drawBar();
  p.report();
  p.stop();
  assert.equal(lines.length, 1);
});
