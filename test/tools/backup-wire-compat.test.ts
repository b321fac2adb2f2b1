/**
 * asbackup's scans against a real Aerospike server: the corpus holds partition-scan requests the
 * official client sent to Aerospike 8.1.2 and the server's answers. With the same parameters
 * (task id, timeouts, set, partitions, bins, filter, max-records) the tool's encoder must produce
 * those requests byte for byte — the requests a real server is known to accept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeScanRequest, type ScanRequest } from '../../src/client/scan-request.js';
import { FieldType, parseMessage, type AsMsg } from '../../src/protocol/message.js';
import { CORPUS } from '../helpers/paths.js';

const SCAN_CORPUS = join(CORPUS, 'scan-query.jsonl');

interface Step {
  step: number;
  desc: string;
  request: string;
}

const steps = new Map<number, Step>(
  readFileSync(SCAN_CORPUS, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Step)
    .map((s) => [s.step, s]),
);

function field(m: AsMsg, type: number): Buffer | undefined {
  const f = m.fields.find((x) => x.type === type);
  return f ? m.buf.subarray(f.start, f.end) : undefined;
}

/** The tool's request for the scan recorded at `step`, built from the parameters that request carries. */
function toolRequestFor(step: number): { recorded: Buffer; ours: Buffer } {
  const recorded = Buffer.from(steps.get(step)!.request, 'hex');
  const m = parseMessage(recorded.subarray(8), 0, recorded.length - 8);
  const pids = field(m, FieldType.PID_ARRAY)!;
  const maxRecords = field(m, FieldType.MAX_RECORDS);
  const r: ScanRequest = {
    namespace: field(m, FieldType.NAMESPACE)!.toString(),
    set: field(m, FieldType.SET)?.toString(),
    partitionIds: Array.from({ length: pids.length / 2 }, (_, i) => pids.readUInt16LE(i * 2)),
    resumeDigests: [],
    binNames: m.ops.map((o) => o.name),
    noBins: (m.info1 & 0x20) !== 0,
    filter: field(m, FieldType.FILTER),
    maxRecords: maxRecords ? Number(maxRecords.readBigUInt64BE(0)) : 0,
    socketTimeoutMs: field(m, FieldType.SOCKET_TIMEOUT)!.readUInt32BE(0),
    totalTimeoutMs: m.transactionTtl,
    taskId: field(m, FieldType.TRID)!.readBigUInt64BE(0),
  };
  return { recorded, ours: encodeScanRequest(r) };
}

for (const [step, what] of [
  [18, 'every partition of a set'],
  [19, 'half the partitions'],
  [21, 'one selected bin'],
  [22, 'no bin data'],
  [23, 'a filter expression'],
  [24, 'max-records'],
] as const) {
  test(`the tool's partition scan for ${what} is byte for byte the request Aerospike 8.1.2 accepted (corpus step ${step})`, () => {
    assert.match(steps.get(step)!.desc, /scan/);
    const { recorded, ours } = toolRequestFor(step);
    assert.equal(ours.toString('hex'), recorded.toString('hex'));
  });
}
