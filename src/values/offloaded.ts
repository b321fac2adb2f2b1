/**
 * Results computed off the event loop for one request (server/offload.ts runs the long pure work
 * of a request — covering a large GeoJSON region, a CDT operation on a large list or map — on a
 * worker thread before the transaction runs), handed to the transaction through this registry.
 *
 * Entries are keyed by the op's value Buffer (the view parseMessage made into the request), so
 * they live exactly as long as the request and are found only by the op they were computed for.
 * A particle op's result is used only when the bin the transaction sees is byte for byte the one
 * the worker started from (the record may have changed while the worker ran): the op is a pure
 * function of (bin particle, op payload), so equal input gives the same outcome; otherwise the
 * transaction computes it in line, as it does when nothing was offloaded.
 */
import { AsBytes, type AsValue } from '../protocol/msgpack.js';
import { AsError, type ResultCodeValue } from '../protocol/result-codes.js';
import { Particle } from '../protocol/particle.js';

/** A particle (type and stored bytes). */
export interface OffloadedParticle {
  type: number;
  value: Buffer;
}

/** What a particle engine answered for one op, or the Aerospike result code it refused it with. */
export type OffloadedOutcome =
  | { result: OffloadedParticle | undefined; newBin: OffloadedParticle | null | undefined }
  | { code: number };

/** One particle op (CDT read or modify) computed on a worker, with the bin it started from. */
export interface OffloadedParticleOp {
  /** the bin the op was computed on (undefined: no such bin) */
  input: OffloadedParticle | undefined;
  outcome: OffloadedOutcome;
}

/** A request of plain bin writes applied on a worker: the record it stores, or the code refusing it. */
export type OffloadedWrite = { record: Buffer; binCount: number } | { code: number };

const geoParticles = new WeakMap<Buffer, Buffer | number>();
const particleOps = new WeakMap<Buffer, OffloadedParticleOp>();

/** Records the stored particle (or refusal code) computed for a GeoJSON op value (its wire bytes). */
export function setOffloadedGeo(wire: Buffer, particleOrCode: Buffer | number): void {
  geoParticles.set(wire, particleOrCode);
}

/**
 * The stored particle computed for this GeoJSON wire value, if any (used once). Throws the AsError
 * the computation refused it with.
 */
export function takeOffloadedGeo(wire: Buffer): Buffer | undefined {
  const r = geoParticles.get(wire);
  if (r === undefined) return undefined;
  geoParticles.delete(wire);
  if (typeof r === 'number') throw new AsError(r as ResultCodeValue, 'geojson refused');
  return r;
}

/** Records the outcome computed for a particle op's payload. */
export function setOffloadedParticleOp(payload: Buffer, op: OffloadedParticleOp): void {
  particleOps.set(payload, op);
}

function sameParticle(a: OffloadedParticle | undefined, b: { type: number; value: Buffer } | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.type === b.type && (a.value === b.value || a.value.equals(b.value));
}

/**
 * The outcome computed for this op payload when `current` (the bin as the transaction sees it) is
 * the bin it was computed on; undefined otherwise (compute in line). Used once. Throws the AsError
 * the engine refused the op with; a result comes back as a value whose particle is the computed one.
 */
export function takeOffloadedParticleOp(
  payload: Buffer,
  current: { type: number; value: Buffer } | undefined,
): { result: AsValue | undefined; newBin: OffloadedParticle | null | undefined } | undefined {
  const r = particleOps.get(payload);
  if (r === undefined) return undefined;
  particleOps.delete(payload);
  if (!sameParticle(r.input, current)) return undefined;
  const o = r.outcome;
  if ('code' in o) throw new AsError(o.code as ResultCodeValue, 'particle op refused');
  // AsBytes carries any particle type through valueToParticle unchanged (values/bin-particles.ts)
  const result = o.result === undefined ? undefined : o.result.type === Particle.NULL ? null : new AsBytes(o.result.type, o.result.value);
  return { result, newBin: o.newBin };
}

const writes = new WeakMap<Buffer, { input: Buffer | undefined; outcome: OffloadedWrite }>();

/**
 * Records the outcome of a request of plain bin writes (keyed by the request body) computed from
 * the stored record `input` (undefined: no record).
 */
export function setOffloadedWrite(body: Buffer, input: Buffer | undefined, outcome: OffloadedWrite): void {
  writes.set(body, { input, outcome });
}

/**
 * The outcome computed for this request body when `current` (the stored record now; undefined: no
 * record) is byte for byte the record it was computed from; undefined otherwise. Used once.
 */
export function takeOffloadedWrite(body: Buffer, current: Buffer | undefined): OffloadedWrite | undefined {
  const r = writes.get(body);
  if (r === undefined) return undefined;
  writes.delete(body);
  if (r.input === undefined || current === undefined ? r.input !== current : !r.input.equals(current)) return undefined;
  return r.outcome;
}
