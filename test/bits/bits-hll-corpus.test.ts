/**
 * Replays every exchange of test/fixtures/corpus/bitwise.jsonl and hll.jsonl through the bit and HLL
 * engines, with a minimal in-memory record model standing in for the transaction layer (one record
 * per digest: write, read and particle ops applied in order, the record kept only when the request
 * succeeds, the namespace's 1 MiB max-record-size). Every answer must equal Aerospike's byte for
 * byte: result code, op order, particle types and values — HLL bins, counts and doubles included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { executeBitWireOp } from '../../src/bits/index.js';
import { executeHllWireOp, isValidHll } from '../../src/hll/index.js';
import { valueToParticle } from '../../src/values/bin-particles.js';
import { AsError, ResultCode } from '../../src/protocol/result-codes.js';
import type { AsValue } from '../../src/protocol/msgpack.js';
import { CORPUS } from '../helpers/paths.js';

const CORPUS_DIR = CORPUS + '/';
const MAX_RECORD_SIZE_BYTES = 1024 * 1024; // the corpus server's namespace setting

interface WireOp {
  opType: number;
  particleType: number;
  name: string;
  value: Buffer;
}

interface Message {
  info2: number;
  resultCode: number;
  digest: string;
  ops: WireOp[];
}

/** Parses the as_msg after the 8-byte proto header (protocol reference §3–§5). */
function parseMessage(frame: Buffer): Message {
  const at = 8;
  const headerSize = frame[at]!;
  const nFields = frame.readUInt16BE(at + 18);
  const nOps = frame.readUInt16BE(at + 20);
  let p = at + headerSize;
  let digest = '';
  for (let i = 0; i < nFields; i++) {
    const size = frame.readUInt32BE(p);
    if (frame[p + 4] === 4) digest = frame.toString('hex', p + 5, p + 4 + size);
    p += 4 + size;
  }
  const ops: WireOp[] = [];
  for (let i = 0; i < nOps; i++) {
    const size = frame.readUInt32BE(p);
    const nameLen = frame[p + 7]!;
    ops.push({
      opType: frame[p + 4]!,
      particleType: frame[p + 5]!,
      name: frame.toString('latin1', p + 8, p + 8 + nameLen),
      value: frame.subarray(p + 8 + nameLen, p + 4 + size),
    });
    p += 4 + size;
  }
  return { info2: frame[at + 2]!, resultCode: frame[at + 5]!, digest, ops };
}

type Bins = Map<string, { type: number; value: Buffer }>;
type Answer = { opType: number; particleType: number; name: string; value: string };

/** Runs one request against a record's bins; returns the result code and answer ops. */
function runRequest(req: Message, stored: Bins): { code: number; answers: Answer[]; bins: Bins } {
  const bins: Bins = new Map(stored);
  const answers: Answer[] = [];
  const respondAll = (req.info2 & 0x80) !== 0;
  const answer = (op: WireOp, v: AsValue | undefined) => {
    if (v === undefined) answers.push({ opType: op.opType, particleType: 0, name: op.name, value: '' });
    else {
      const p = valueToParticle(v);
      answers.push({ opType: op.opType, particleType: p.type, name: op.name, value: p.value.toString('hex') });
    }
  };
  try {
    if (req.ops.length === 0) {
      for (const [name, b] of bins) answers.push({ opType: 1, particleType: b.type, name, value: b.value.toString('hex') });
    }
    for (const op of req.ops) {
      const current = bins.get(op.name);
      switch (op.opType) {
        case 1: // READ
          if (current) answers.push({ opType: 1, particleType: current.type, name: op.name, value: current.value.toString('hex') });
          else if (respondAll) answer(op, undefined);
          break;
        case 2: // WRITE
          if (op.particleType === 0) bins.delete(op.name);
          else {
            if (op.particleType === 18 && !isValidHll(op.value)) throw new AsError(ResultCode.PARAMETER);
            bins.set(op.name, { type: op.particleType, value: Buffer.from(op.value) });
          }
          if (respondAll) answer(op, undefined);
          break;
        case 12:
        case 13:
        case 15:
        case 16: {
          const isModify = op.opType === 13 || op.opType === 16;
          const run = op.opType <= 13 ? executeBitWireOp : executeHllWireOp;
          const out = run(current, op.value, isModify);
          if (out.newBin) bins.set(op.name, out.newBin);
          if (out.result !== undefined || respondAll) answer(op, out.result);
          break;
        }
        default:
          throw new Error(`op type ${op.opType} not modelled`);
      }
    }
    let size = 0;
    for (const b of bins.values()) size += b.value.length;
    if (size > MAX_RECORD_SIZE_BYTES) throw new AsError(ResultCode.RECORD_TOO_BIG);
    return { code: ResultCode.OK, answers, bins };
  } catch (e) {
    if (!(e instanceof AsError)) throw e;
    return { code: e.code, answers: [], bins: stored };
  }
}

function replay(file: string): void {
  const records = new Map<string, Bins>();
  let scenario = '';
  for (const line of fs.readFileSync(CORPUS_DIR + file, 'utf8').split('\n')) {
    if (!line) continue;
    const step = JSON.parse(line) as { scenario: string; step: number; desc: string; request: string; responses: string[] };
    if (step.scenario !== scenario) {
      scenario = step.scenario;
      records.clear();
    }
    const req = parseMessage(Buffer.from(step.request, 'hex'));
    const want = parseMessage(Buffer.from(step.responses[0]!, 'hex'));
    const got = runRequest(req, records.get(req.digest) ?? new Map());
    const where = `${step.scenario}#${step.step} (${step.desc})`;
    assert.equal(got.code, want.resultCode, `${where}: result code`);
    const wantAnswers = want.ops.map((o) => ({ opType: o.opType, particleType: o.particleType, name: o.name, value: o.value.toString('hex') }));
    assert.deepEqual(got.answers, wantAnswers, `${where}: answer ops`);
    records.set(req.digest, got.bins);
  }
}


test("every bitwise.jsonl exchange gets Aerospike 8.1.2's answer from the bit engine", () => {
  replay('bitwise.jsonl');
});

test("every hll.jsonl exchange gets Aerospike 8.1.2's answer, HLL bytes included", () => {
  replay('hll.jsonl');
});
