/**
 * Replays test/fixtures/corpus/udf.jsonl (scenario udf-record) and the batch-apply single-record steps
 * of batch.jsonl through the UDF registry and applyRecordUdf, with a small in-memory record store
 * standing in for the transaction layer, and compares with what Aerospike 8.1.2 answered:
 * info answers byte for byte, record answers by result code, generation, void time (zero or not)
 * and the SUCCESS / FAILURE op (name, particle type, value bytes).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage, FieldType } from '../../src/protocol/message.js';
import { valueToParticle } from '../../src/values/bin-particles.js';
import type { AsValue } from '../../src/protocol/msgpack.js';
import { UdfRegistry, applyRecordUdf, readUdfCall, registerUdfInfo, type UdfRecord } from '../../src/udf/index.js';
import { parseInfoRequest } from '../../src/server/info-protocol.js';
import type { InfoHandler } from '../../src/server/info-commands.js';
import { CITRUSLEAF_EPOCH_SEC } from '../../src/util/clock.js';
import { logger } from '../../src/util/log.js';
import { CORPUS } from '../helpers/paths.js';

/** Aerospike's default mod-lua user-path: the corpus rewrites the recording server's path to it (it shows in Lua error positions). */
const USER_PATH = '/opt/aerospike/usr/udf/lua';

interface Line {
  scenario: string;
  step: number;
  desc: string;
  request: string;
  responses: string[];
  volatile?: { what: string }[];
}

function lines(file: string): Line[] {
  return readFileSync(join(CORPUS, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);
}

interface Reply {
  rc: number;
  gen: number;
  voidTime: number;
  ops: { name: string; type: number; value: Buffer }[];
}

function parseReply(frame: Buffer): Reply {
  const body = frame.subarray(8);
  const nFields = body.readUInt16BE(18);
  const nOps = body.readUInt16BE(20);
  let p = 22;
  for (let i = 0; i < nFields; i++) p += 4 + body.readUInt32BE(p);
  const ops: Reply['ops'] = [];
  for (let i = 0; i < nOps; i++) {
    const sz = body.readUInt32BE(p);
    const nl = body[p + 7]!;
    ops.push({ type: body[p + 5]!, name: body.toString('latin1', p + 8, p + 8 + nl), value: Buffer.from(body.subarray(p + 8 + nl, p + 4 + sz)) });
    p += 4 + sz;
  }
  return { rc: body[5]!, gen: body.readUInt32BE(6), voidTime: body.readUInt32BE(10), ops };
}

interface StoredRecord {
  bins: Map<string, AsValue>;
  gen: number;
  voidTime: number;
  lastUpdateMs: number;
  setName: string;
}

/** The parts of the transaction layer these scenarios need: UDF apply and get. */
class FakeNode {
  readonly store = new Map<string, StoredRecord>();
  readonly info = new Map<string, InfoHandler>();
  constructor(readonly registry: UdfRegistry) {
    registerUdfInfo(registry, this.info);
  }

  infoAnswer(body: Buffer): string {
    let out = '';
    for (const cmd of parseInfoRequest(body)) {
      const h = this.info.get(cmd.name);
      assert.ok(h, `no handler for ${cmd.name}`);
      out += `${cmd.text}\t${h(cmd, undefined as never)}\n`;
    }
    return out;
  }

  data(frame: Buffer): Reply {
    const msg = parseMessage(frame, 8, frame.length);
    const f = (t: number) => msg.fields.find((x) => x.type === t);
    const digestField = f(FieldType.DIGEST)!;
    const digest = frame.subarray(digestField.start, digestField.end);
    const setField = f(FieldType.SET);
    const setName = setField ? frame.toString('utf8', setField.start, setField.end) : '';
    const dkey = digest.toString('hex');
    const stored = this.store.get(dkey);
    const nowMs = Date.now();
    if (msg.info1 & 0x01) {
      // get all bins
      if (!stored) return { rc: 2, gen: 0, voidTime: 0, ops: [] };
      return {
        rc: 0,
        gen: stored.gen,
        voidTime: stored.voidTime,
        ops: [...stored.bins].map(([name, v]) => ({ name, ...particleOf(v) })),
      };
    }
    const call = readUdfCall(msg);
    if (!call) return { rc: 4, gen: 0, voidTime: 0, ops: [] };
    const rec: UdfRecord = {
      exists: stored !== undefined,
      bins: new Map(stored?.bins ?? []),
      generation: stored?.gen ?? 0,
      voidTime: stored?.voidTime ?? 0,
      lastUpdateMs: stored?.lastUpdateMs ?? 0,
      setName: stored?.setName ?? setName,
      digest: Buffer.from(digest),
      key: undefined,
      nowMs,
    };
    const gen = stored?.gen ?? 0;
    const vt = stored?.voidTime ?? 0;
    const o = applyRecordUdf(this.registry, call.module, call.fn, call.args, rec);
    if (o.kind === 'error') {
      if (o.code === 100) return { rc: 100, gen, voidTime: vt, ops: [{ name: 'FAILURE', type: 3, value: Buffer.from(o.message) }] };
      return { rc: o.code, gen, voidTime: vt, ops: [] };
    }
    const success = { name: 'SUCCESS', ...particleOf(o.result) };
    if (o.write === 'none') return { rc: 0, gen, voidTime: vt, ops: [success] };
    if (o.write === 'remove') {
      this.store.delete(dkey);
      return { rc: 0, gen: gen + 1, voidTime: 0, ops: [success] };
    }
    const ttl = o.ttlSec ?? msg.recordTtl;
    const nowCl = Math.floor(nowMs / 1000) - CITRUSLEAF_EPOCH_SEC;
    const voidTime = ttl === 0 || ttl === 0xffffffff ? 0 : ttl === 0xfffffffe ? vt : nowCl + ttl;
    const next = { bins: new Map(o.bins), gen: gen + 1, voidTime, lastUpdateMs: nowMs, setName: rec.setName };
    this.store.set(dkey, next);
    return { rc: 0, gen: next.gen, voidTime, ops: [success] };
  }
}

function particleOf(v: AsValue): { type: number; value: Buffer } {
  return valueToParticle(v);
}

let registry: UdfRegistry;
let node: FakeNode;

before(async () => {
  logger.setSinks([]);
  registry = new UdfRegistry(undefined, { userPath: USER_PATH });
  await registry.init();
  node = new FakeNode(registry);
});

after(() => registry.close());


test('udf.jsonl udf-record: every step matches Aerospike 8.1.2', () => {
  // udf-list in the recording also shows corpus_batch.lua (registered by batch.jsonl): put it first
  const batchPut = lines('batch.jsonl').find((l) => l.scenario === 'batch-apply' && l.step === 1)!;
  const batchReq = Buffer.from(batchPut.request, 'hex');
  const batchAnswer = node.infoAnswer(batchReq.subarray(8));
  assert.equal(batchAnswer, Buffer.from(batchPut.responses[0]!, 'hex').subarray(8).toString('utf8'));

  const failures: string[] = [];
  const steps = lines('udf.jsonl').filter((x) => x.scenario === 'udf-record');
  assert.equal(steps.length, 51);
  for (const l of steps) {
    const req = Buffer.from(l.request, 'hex');
    const expected = Buffer.from(l.responses[0]!, 'hex');
    const where = `udf-record#${l.step} (${l.desc})`;
    if (req[1] === 1) {
      const got = node.infoAnswer(req.subarray(8));
      const want = expected.subarray(8).toString('utf8');
      if (got !== want) failures.push(`${where}: info\n  got  ${JSON.stringify(got)}\n  want ${JSON.stringify(want)}`);
      continue;
    }
    const got = node.data(req);
    const want = parseReply(expected);
    const ttlVolatile = (l.volatile ?? []).some((v) => v.what === 'record_ttl');
    const problems: string[] = [];
    if (got.rc !== want.rc) problems.push(`rc ${got.rc} != ${want.rc}`);
    if (got.gen !== want.gen) problems.push(`gen ${got.gen} != ${want.gen}`);
    if (ttlVolatile ? (got.voidTime === 0) !== (want.voidTime === 0) : got.voidTime !== want.voidTime) {
      problems.push(`void time ${got.voidTime} vs ${want.voidTime}`);
    }
    if (got.ops.length !== want.ops.length) problems.push(`${got.ops.length} ops != ${want.ops.length}`);
    for (let i = 0; i < Math.min(got.ops.length, want.ops.length); i++) {
      const g = got.ops[i]!;
      const w = want.ops[i]!;
      if (g.name !== w.name || g.type !== w.type || !g.value.equals(w.value)) {
        problems.push(`op ${i}: ${g.name}/${g.type}/${g.value.toString('hex')} != ${w.name}/${w.type}/${w.value.toString('hex')}`);
      }
    }
    if (problems.length > 0) failures.push(`${where}: ${problems.join('; ')}`);
  }
  assert.deepEqual(failures, []);
});

test('batch.jsonl batch-apply: single-record apply answers match', () => {
  // the batch rows themselves belong to the batch layer; the keyed steps are plain applies
  const reg = new UdfRegistry(undefined, { userPath: USER_PATH });
  const fake = new FakeNode(reg);
  try {
    const steps = lines('batch.jsonl').filter((l) => l.scenario === 'batch-apply');
    const put = steps.find((l) => l.step === 1)!;
    assert.equal(fake.infoAnswer(Buffer.from(put.request, 'hex').subarray(8)), Buffer.from(put.responses[0]!, 'hex').subarray(8).toString('utf8'));
    // generation each keyed step's record had: a0..a2 were put then set_bin by a batch (2), a3 only put (1)
    const genBefore: Record<number, number> = { 11: 2, 12: 2, 13: 1, 16: 2 };
    for (const l of steps.filter((x) => genBefore[x.step] !== undefined)) {
      const req = Buffer.from(l.request, 'hex');
      const msg = parseMessage(req, 8, req.length);
      assert.ok(msg.fields.some((f) => f.type === FieldType.UDF_FILENAME), `step ${l.step} is an apply`);
      const want = parseReply(Buffer.from(l.responses[0]!, 'hex'));
      const d = msg.fields.find((f) => f.type === FieldType.DIGEST)!;
      fake.store.set(req.subarray(d.start, d.end).toString('hex'), {
        bins: new Map<string, AsValue>([['v', 0n]]),
        gen: genBefore[l.step]!,
        voidTime: 0,
        lastUpdateMs: Date.now(),
        setName: 'corpus_batch_apply',
      });
      const got = fake.data(req);
      assert.equal(got.rc, want.rc, l.desc);
      assert.equal(got.gen, want.gen, l.desc);
      assert.deepEqual(
        got.ops.map((o) => [o.name, o.type, o.value.toString('hex')]),
        want.ops.map((o) => [o.name, o.type, o.value.toString('hex')]),
        l.desc,
      );
    }
  } finally {
    reg.close();
  }
});
