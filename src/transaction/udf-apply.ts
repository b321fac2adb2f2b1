/**
 * Record UDF apply (a write message carrying UDF fields 30/31/32): runs the Lua function against
 * the record and stores, deletes or leaves it as the function decided. Answers with one SUCCESS op
 * (the return value) or, for Lua errors, result 100 with a FAILURE op.
 */
import type { Namespace } from '../namespace/namespace.js';
import { Info2, Info3, OpType, type AsMsg } from '../protocol/message.js';
import type { ResponseBuilder } from '../protocol/response-builder.js';
import { Particle, particleToValue, type Bin } from '../protocol/particle.js';
import { valueToParticle } from '../values/bin-particles.js';
import { ResultCode, type ResultCodeValue } from '../protocol/result-codes.js';
import type { StoredKey } from '../storage/record-codec.js';
import { applyRecordUdf, readUdfCall, type UdfRegistry } from '../udf/index.js';
import { nextGeneration } from '../namespace/namespace.js';
import { setLimitBreached, storeRecord } from './store-record.js';
import { failed } from './outcome.js';

export interface UdfContext {
  registry: UdfRegistry;
  executionDisabled: () => boolean;
}

let udfContext: UdfContext | undefined;

/** Installs the UDF registry the transaction layer uses (once, at startup). */
export function installUdf(ctx: UdfContext): void {
  udfContext = ctx;
}

export interface UdfTarget {
  ns: Namespace;
  id: number;
  existed: boolean;
  digest: Buffer;
  setName: string;
  storedKey: StoredKey | undefined;
  sentKey: StoredKey | undefined;
  bins: readonly Bin[];
  oldSize: number;
}

function keyValue(k: StoredKey | undefined) {
  return k ? particleToValue(k.type, k.value) : undefined;
}

/** Checks the request shape before the record is touched; returns a result code or OK. */
export function udfRequestCheck(msg: AsMsg): ResultCodeValue {
  if (!udfContext) return ResultCode.UDF_EXECUTION;
  if (udfContext.executionDisabled()) return ResultCode.FORBIDDEN;
  if (!readUdfCall(msg)) return ResultCode.PARAMETER;
  if (msg.info2 & (Info2.GENERATION | Info2.GENERATION_GT | Info2.CREATE_ONLY)) return ResultCode.PARAMETER;
  if (msg.info3 & (Info3.UPDATE_ONLY | Info3.CREATE_OR_REPLACE | Info3.REPLACE_ONLY)) return ResultCode.PARAMETER;
  return ResultCode.OK;
}

/**
 * Runs the UDF. Appends the answer when it carries an op (the function's result, or a Lua error's
 * message); any other failure returns its code with the metadata noted (outcome.ts).
 */
export function executeUdf(msg: AsMsg, t: UdfTarget, out: ResponseBuilder, rowIndex: number): number {
  const ns = t.ns;
  const index = ns.index;
  const oldGen = t.existed ? index.generation(t.id) : 0;
  const oldVoid = t.existed ? index.voidTime(t.id) : 0;
  const answer = (code: number, gen: number, voidTime: number, op?: { name: string; type: number; value: Buffer | undefined }) => {
    out.beginMessage(code, gen, voidTime, rowIndex);
    if (op) out.addOp(OpType.READ, op.type, op.name, op.value);
    out.endMessage();
    return code;
  };
  if (!udfContext) {
    return answer(ResultCode.UDF_EXECUTION, oldGen, oldVoid, { name: 'FAILURE', type: Particle.STRING, value: Buffer.from('UDF: Execution Error 1') });
  }
  const call = readUdfCall(msg)!;
  const bins = new Map<string, ReturnType<typeof particleToValue>>();
  for (const b of t.bins) bins.set(b.name, particleToValue(b.type, b.value));
  let writeError: number | undefined;
  if (ns.stopWrites.current() !== undefined) writeError = ResultCode.OUT_OF_SPACE;
  else if (setLimitBreached(ns, t.setName, t.existed)) writeError = ResultCode.FORBIDDEN;
  const nowMs = ns.clock.nowMs();
  const outcome = applyRecordUdf(udfContext.registry, call.module, call.fn, call.args, {
    exists: t.existed,
    bins,
    generation: oldGen,
    voidTime: oldVoid,
    lastUpdateMs: t.existed ? index.lastUpdateMs(t.id) : 0,
    setName: t.existed ? ns.sets.nameOf(index.setId(t.id)) : t.setName,
    digest: t.digest,
    key: keyValue(t.storedKey ?? t.sentKey),
    nowMs,
    storedSize: t.oldSize,
    ...(writeError !== undefined ? { writeError } : {}),
  });
  if (outcome.kind === 'error') {
    if (outcome.code === ResultCode.UDF_EXECUTION) {
      return answer(outcome.code, oldGen, oldVoid, { name: 'FAILURE', type: Particle.STRING, value: Buffer.from(outcome.message) });
    }
    return failed(outcome.code, oldGen, oldVoid);
  }
  const result = outcome.result === null || outcome.result === undefined ? undefined : valueToParticle(outcome.result);
  const success = { name: 'SUCCESS', type: result ? result.type : Particle.NULL, value: result?.value };
  switch (outcome.write) {
    case 'none':
      return answer(ResultCode.OK, oldGen, oldVoid, success);
    case 'remove':
      if (t.existed) ns.records.remove(t.id, 'udf');
      // the reference server reports the generation the delete would have had
      return answer(ResultCode.OK, t.existed ? nextGeneration(oldGen) : 0, 0, success);
    default: {
      const newBins: Bin[] = [];
      for (const [name, v] of outcome.bins) {
        const p = valueToParticle(v);
        newBins.push({ name, type: p.type, value: p.value });
      }
      const stored = storeRecord(ns, {
        id: t.id,
        existed: t.existed,
        digest: t.digest,
        setName: t.setName,
        key: t.storedKey ?? t.sentKey,
        bins: newBins,
        ttl: outcome.ttlSec ?? msg.recordTtl,
        nowMs,
        cause: 'udf',
      });
      if (typeof stored === 'number') return failed(stored, oldGen, oldVoid);
      return answer(ResultCode.OK, stored.generation, stored.voidTime, success);
    }
  }
}
