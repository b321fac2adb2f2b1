/**
 * The offload worker thread (see offload.ts): runs the long pure part of a request — covering a
 * GeoJSON region, CDT ops on one bin, a large request of plain bin writes — with the same engine code the transaction uses in line, and
 * answers particles or Aerospike result codes. Any other failure is answered as `fail`, and the
 * transaction then computes the op in line (reproducing whatever went wrong there).
 */
import { parentPort } from 'node:worker_threads';
import { installEngines } from '../transaction/engines.js';
import { applyPlainWrites } from '../transaction/write.js';
import { parseMessage } from '../protocol/message.js';
import { decodeRecord, encodeRecord } from '../storage/record-codec.js';
import { engines } from '../transaction/extensions.js';
import { normaliseIncoming, valueToParticle } from '../values/bin-particles.js';
import { AsError } from '../protocol/result-codes.js';
import { Particle } from '../protocol/particle.js';
import { ownCopy, type OffloadJob, type OffloadReply, type WireOutcome, type WireParticle } from './offload.js';

installEngines();

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

function particle(p: { type: number; value: Buffer } | null | undefined): WireParticle | null | undefined {
  // a copy of its own: posting a view would clone the whole buffer it views
  return p ? { type: p.type, value: ownCopy(p.value) } : p;
}

function run(job: OffloadJob): OffloadReply {
  if (job.kind === 'write') {
    try {
      const body = asBuffer(job.body);
      const msg = parseMessage(body, 0, body.length);
      const bins = applyPlainWrites(job.record ? decodeRecord(asBuffer(job.record)).bins : [], msg);
      const key = job.key && { type: job.key.type, value: asBuffer(job.key.value) };
      return { id: job.id, record: ownCopy(encodeRecord(key, bins)), binCount: bins.length };
    } catch (e) {
      return e instanceof AsError ? { id: job.id, code: e.code } : { id: job.id, fail: true };
    }
  }
  if (job.kind === 'geo') {
    try {
      return { id: job.id, geo: ownCopy(normaliseIncoming(Particle.GEOJSON, asBuffer(job.wire))) };
    } catch (e) {
      return e instanceof AsError ? { id: job.id, code: e.code } : { id: job.id, fail: true };
    }
  }
  const outcomes: WireOutcome[] = [];
  let current = job.bin ? { type: job.bin.type, value: asBuffer(job.bin.value) } : undefined;
  for (const op of job.ops) {
    try {
      if (!op.modify) {
        // a read of a missing bin answers nothing, without the engine (transaction/read.ts)
        const r = current ? engines.cdt!(current, asBuffer(op.payload), false).result : undefined;
        outcomes.push({ result: r === undefined ? undefined : particle(valueToParticle(r))!, newBin: undefined });
        continue;
      }
      const o = engines.cdt!(current, asBuffer(op.payload), true);
      outcomes.push({ result: o.result === undefined ? undefined : particle(valueToParticle(o.result))!, newBin: particle(o.newBin) });
      if (o.newBin) current = o.newBin;
    } catch (e) {
      if (e instanceof AsError) outcomes.push({ code: e.code });
      break; // later ops never run: the transaction stops at this one
    }
  }
  return { id: job.id, outcomes };
}

parentPort!.on('message', (job: OffloadJob) => parentPort!.postMessage(run(job)));
