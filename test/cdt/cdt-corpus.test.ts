/**
 * Replays every request of test/fixtures/corpus/cdt-list.jsonl and cdt-map.jsonl through the CDT engine
 * with a minimal in-memory record store, and compares each answer (result code and result ops,
 * byte for byte) with what Aerospike 8.1.2 answered. The store mimics only what these scenarios
 * need from the transaction layer: bin writes/reads, record existence, RESPOND_ALL_OPS entries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsError } from '../../src/protocol/result-codes.js';
import { pack, unpack, type AsValue } from '../../src/protocol/msgpack.js';
import { particleToValue, Particle } from '../../src/protocol/particle.js';
import { valueToParticle } from '../../src/values/bin-particles.js';
import { executeCdtWireOp, normalizeBinValue } from '../../src/cdt/index.js';
import { CORPUS } from '../helpers/paths.js';


interface Op {
  opType: number;
  particle: number;
  name: string;
  value: Buffer;
}

interface Msg {
  info1: number;
  info2: number;
  rc: number;
  digest: string;
  ops: Op[];
}

function parseMsg(frame: Buffer): Msg {
  const body = frame.subarray(8);
  const hsz = body[0]!;
  const nFields = body.readUInt16BE(18);
  const nOps = body.readUInt16BE(20);
  let p = hsz;
  let digest = '';
  for (let i = 0; i < nFields; i++) {
    const sz = body.readUInt32BE(p);
    if (body[p + 4] === 4) digest = body.subarray(p + 5, p + 4 + sz).toString('hex');
    p += 4 + sz;
  }
  const ops: Op[] = [];
  for (let i = 0; i < nOps; i++) {
    const sz = body.readUInt32BE(p);
    const nameLen = body[p + 7]!;
    ops.push({
      opType: body[p + 4]!,
      particle: body[p + 5]!,
      name: body.toString('latin1', p + 8, p + 8 + nameLen),
      value: Buffer.from(body.subarray(p + 8 + nameLen, p + 4 + sz)),
    });
    p += 4 + sz;
  }
  return { info1: body[1]!, info2: body[2]!, rc: body[5]!, digest, ops };
}

type Bins = Map<string, AsValue>;

interface Answer {
  rc: number;
  ops: { opType: number; particle: number; name: string; value: string }[];
}

function entry(opType: number, name: string, v: AsValue | undefined): Answer['ops'][number] {
  if (v === undefined) return { opType, particle: 0, name, value: '' };
  const p = valueToParticle(v);
  return { opType, particle: p.type, name, value: p.value.toString('hex') };
}

/** Stores a written bin the way the server's write path would (lists/maps normalised). */
function storedValue(op: Op): AsValue {
  if (op.particle === Particle.LIST || op.particle === Particle.MAP) {
    try {
      const v = unpack(op.value);
      if (op.particle === Particle.LIST ? !Array.isArray(v) : Array.isArray(v)) throw new AsError(1);
      return normalizeBinValue(v);
    } catch {
      throw new AsError(1);
    }
  }
  return particleToValue(op.particle, op.value);
}

class Store {
  records = new Map<string, Bins>();

  run(req: Msg): Answer {
    const existing = this.records.get(req.digest);
    const isWrite = (req.info2 & 1) !== 0;
    const respondAll = (req.info2 & 0x80) !== 0;
    if (!existing && !isWrite) return { rc: 2, ops: [] };
    const bins: Bins = new Map(existing ?? []);
    const out: Answer['ops'] = [];
    try {
      if (req.ops.length === 0 && (req.info1 & 2) !== 0) {
        for (const [name, v] of bins) out.push(entry(1, name, v));
      }
      for (const op of req.ops) {
        switch (op.opType) {
          case 1: {
            const v = bins.get(op.name);
            if (v !== undefined || respondAll) out.push(entry(1, op.name, v));
            break;
          }
          case 2:
            if (op.particle === 0) bins.delete(op.name);
            else {
              bins.delete(op.name);
              bins.set(op.name, storedValue(op));
            }
            if (respondAll) out.push(entry(2, op.name, undefined));
            break;
          case 3: {
            const cur = bins.get(op.name);
            if (cur === undefined) {
              if (respondAll) out.push(entry(3, op.name, undefined));
              break;
            }
            const r = executeCdtWireOp(cur, op.value, false);
            if (r.result !== undefined || respondAll || isWrite) out.push(entry(3, op.name, r.result));
            break;
          }
          case 4: {
            const r = executeCdtWireOp(bins.get(op.name), op.value, true);
            if (r.newValue !== undefined) {
              if (!bins.has(op.name)) bins.set(op.name, r.newValue);
              else bins.set(op.name, r.newValue);
              // round-trip through the wire form, as the server stores particles
              bins.set(op.name, unpack(pack(r.newValue)));
            }
            if (r.result !== undefined || respondAll) out.push(entry(4, op.name, r.result));
            break;
          }
          default:
            throw new AsError(4);
        }
      }
    } catch (e) {
      if (e instanceof AsError) return { rc: e.code, ops: [] };
      throw e;
    }
    if (isWrite) {
      if (bins.size === 0) this.records.delete(req.digest);
      else this.records.set(req.digest, bins);
    }
    return { rc: 0, ops: out };
  }
}

interface Line {
  scenario: string;
  step: number;
  desc: string;
  request: string;
  responses: string[];
}

function loadCorpus(file: string): Line[] {
  return readFileSync(join(CORPUS, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);
}

function expected(line: Line): Answer {
  const m = parseMsg(Buffer.from(line.responses[0]!, 'hex'));
  return {
    rc: m.rc,
    ops: m.ops.map((o) => ({ opType: o.opType, particle: o.particle, name: o.name, value: o.value.toString('hex') })),
  };
}

/** Replays a corpus file; returns the mismatching steps with a description of each. */
export function replay(file: string): { total: number; failures: string[] } {
  const lines = loadCorpus(file);
  const stores = new Map<string, Store>();
  const failures: string[] = [];
  for (const line of lines) {
    let store = stores.get(line.scenario);
    if (!store) stores.set(line.scenario, (store = new Store()));
    const want = expected(line);
    let got: Answer;
    try {
      got = store.run(parseMsg(Buffer.from(line.request, 'hex')));
    } catch (e) {
      failures.push(`${line.scenario} #${line.step} ${line.desc}: threw ${String(e)}`);
      continue;
    }
    try {
      assert.deepEqual(got, want);
    } catch {
      failures.push(`${line.scenario} #${line.step} ${line.desc}\n    want ${JSON.stringify(want)}\n    got  ${JSON.stringify(got)}`);
    }
  }
  return { total: lines.length, failures };
}

for (const file of ['cdt-list.jsonl', 'cdt-map.jsonl']) {
  test(`every recorded exchange of ${file} gets Aerospike's answer`, () => {
    const { total, failures } = replay(file);
    assert.equal(failures.length, 0, `${failures.length}/${total} steps differ:\n${failures.join('\n')}`);
  });
}
