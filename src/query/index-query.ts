/**
 * Secondary-index queries (protocol reference §8.2): reads the query's index fields (INDEX_RANGE,
 * INDEX_TYPE, INDEX_CONTEXT, INDEX_EXPRESSION, INDEX_NAME), finds the index as Aerospike 8.1.2's
 * `find_sindex` does (by name, else by definition: the query's set, then a whole-namespace index)
 * and turns the range into the bval ranges to walk:
 * - integer: begin..end inclusive;
 * - string / blob: the value's wyhash (equality only), re-checked against the bytes;
 * - GeoJSON region: the query coverer's cells as [rangeMin, rangeMax] ranges (points within);
 * - GeoJSON point: the point's cell and each ancestor as single values (regions containing it).
 * Errors: malformed range → PARAMETER (4); no such index → SINDEX_NOT_FOUND (201); index still
 * populating → SINDEX_NOT_READABLE (203).
 */
import { AsError, ResultCode } from '../protocol/result-codes.js';
import { BAD_SIZE, type IndexRange, type MalformedRange, type ScanRequest } from '../protocol/scan-request.js';
import { Particle } from '../protocol/particle.js';
import { coverRegion, geoJsonParticleMatches, GeoJsonError, parseGeoJson, pointCellCenters, QUERY_COVERER_OPTIONS, S2CellId, type CovererOptions, type ParsedGeo } from '../geo/index.js';
import type { NamespaceSindexes, Sindex } from '../sindex/namespace-sindexes.js';
import type { IndexType, KeyType } from '../sindex/definition.js';
import { bytesBval } from '../sindex/wyhash.js';
import { MAX_INDEXED_BYTES } from '../sindex/index-keys.js';
import type { Namespace } from '../namespace/namespace.js';
import type { PartitionCandidates, PartitionRecordSource, RecordSource, ResumeAfter, SecondaryIndexSourceFactory } from './record-source.js';

/** Longest GeoJSON query text (MAX_GEOJSON_KSIZE). */
const MAX_GEOJSON_QUERY_BYTES = 1024 * 1024;
/** Most candidates one partition yields to one request; beyond it the rest wait for the resume. */
export const MAX_CANDIDATES_PER_PARTITION = 1_000_000;

type Predicate =
  | { kind: 'range'; begin: bigint; end: bigint }
  | { kind: 'bytes'; bval: bigint; bytes: Buffer }
  | { kind: 'geo'; ranges: [bigint, bigint][]; query: ParsedGeo };

const ITYPE_BY_BYTE: IndexType[] = ['default', 'list', 'mapkeys', 'mapvalues'];
const KTYPE_BY_PARTICLE: Record<number, KeyType> = {
  [Particle.INTEGER]: 'numeric',
  [Particle.STRING]: 'string',
  [Particle.BLOB]: 'blob',
  [Particle.GEOJSON]: 'geo2dsphere',
};

function bad(why: string): never {
  throw new AsError(ResultCode.PARAMETER, why);
}

interface ParsedRange {
  bin: string;
  particle: number;
  predicate: Predicate;
  /** Aerospike de-duplicates records only for ranges over collection indexes */
  isRange: boolean;
}

function parseRange(decoded: IndexRange | MalformedRange, coverer: Readonly<CovererOptions>): ParsedRange {
  if ('malformed' in decoded) bad(decoded.malformed);
  const { bin, particle, begin } = decoded;
  const beginLen = begin.length;
  switch (particle) {
    case Particle.INTEGER: {
      const endValue = decoded.end;
      if (beginLen !== 8 || endValue === undefined || endValue.length !== 8) bad('integer range bounds must be 8 bytes');
      const lo = begin.readBigInt64BE(0);
      const hi = endValue.readBigInt64BE(0);
      if (lo > hi) bad('integer range begin after end');
      return { bin, particle, predicate: { kind: 'range', begin: lo, end: hi }, isRange: lo !== hi };
    }
    case Particle.STRING:
    case Particle.BLOB: {
      if (beginLen >= MAX_INDEXED_BYTES) bad('query value too long');
      const bytes = Buffer.from(begin);
      return { bin, particle, predicate: { kind: 'bytes', bval: bytesBval(bytes), bytes }, isRange: false };
    }
    case Particle.GEOJSON: {
      if (beginLen === 0 || beginLen >= MAX_GEOJSON_QUERY_BYTES) bad('bad geojson query size');
      let query: ParsedGeo;
      try {
        query = parseGeoJson(begin);
      } catch (e) {
        if (e instanceof GeoJsonError) bad(`bad geojson query: ${e.message}`);
        throw e;
      }
      const ranges: [bigint, bigint][] = [];
      if (query.kind === 'point') {
        for (const c of pointCellCenters(query.cellId)) ranges.push([BigInt.asIntN(64, c), BigInt.asIntN(64, c)]);
      } else {
        let cells;
        try {
          cells = coverRegion(query.region, coverer);
        } catch {
          bad('geo region cover failed');
        }
        for (const c of cells) ranges.push([BigInt.asIntN(64, S2CellId.rangeMin(c)), BigInt.asIntN(64, S2CellId.rangeMax(c))]);
      }
      // sorted so that a resumed partition continues in the same order
      ranges.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
      return { bin, particle, predicate: { kind: 'geo', ranges, query }, isRange: true };
    }
    default:
      bad(`index range particle type ${particle}`);
  }
}

/**
 * Resolves a query to its index and returns the record source that walks it. Throws AsError
 * (PARAMETER, SINDEX_NOT_FOUND, SINDEX_NOT_READABLE).
 */
export function openIndexQuery(req: ScanRequest, sindexes: NamespaceSindexes | undefined, setName: string): PartitionRecordSource {
  const fields = req.index;
  if (fields.range === undefined) throw new AsError(ResultCode.SINDEX_NOT_FOUND, 'index name without a range');
  // a region is covered with the namespace's geo2dsphere-within parameters, as Aerospike's query does
  const geo = sindexes?.ns.settings.geo2dsphereWithin;
  const coverer = geo ? { minLevel: geo.minLevel, maxLevel: geo.maxLevel, maxCells: geo.maxCells, levelMod: geo.levelMod } : QUERY_COVERER_OPTIONS;
  const range = parseRange(fields.range, coverer);
  let itype: IndexType = 'default';
  if (fields.type !== undefined) {
    if (fields.type === BAD_SIZE) bad('bad index type field');
    const t = ITYPE_BY_BYTE[fields.type];
    if (!t) bad('bad index type');
    itype = t;
  }
  const ctx64 = fields.context ? fields.context.toString('base64') : '';
  const exp64 = fields.expression ? fields.expression.toString('base64') : '';
  const ktype = KTYPE_BY_PARTICLE[range.particle];
  let si: Sindex | undefined;
  if (fields.name !== undefined) {
    si = sindexes?.get(fields.name);
    if (si && si.def.ktype !== ktype) si = undefined;
  } else {
    si = sindexes?.lookup(
      (s) =>
        s.def.bin === range.bin &&
        s.def.ktype === ktype &&
        s.def.itype === itype &&
        // a bin index is found without a context field only when it has none, and the same for expressions
        Buffer.from(s.def.ctx64, 'base64').equals(Buffer.from(ctx64, 'base64')) &&
        Buffer.from(s.def.exp64, 'base64').equals(Buffer.from(exp64, 'base64')),
      setName,
    );
  }
  if (!si) throw new AsError(ResultCode.SINDEX_NOT_FOUND, 'no matching secondary index');
  if (!si.readable) throw new AsError(ResultCode.SINDEX_NOT_READABLE, 'secondary index still populating');
  return new IndexRecordSource(si, range.predicate, range.isRange && si.def.itype !== 'default');
}

const EMPTY: PartitionCandidates = { count: 0, digests: Buffer.alloc(0), bvals: new BigInt64Array(0) };

class IndexRecordSource implements PartitionRecordSource {
  readonly kind = 'sindex' as const;
  readonly indexName: string;
  private readonly ranges: [bigint, bigint][];

  constructor(
    private readonly si: Sindex,
    private readonly predicate: Predicate,
    private readonly dedupe: boolean,
  ) {
    this.indexName = si.def.name;
    this.ranges =
      predicate.kind === 'range' ? [[predicate.begin, predicate.end]] : predicate.kind === 'bytes' ? [[predicate.bval, predicate.bval]] : predicate.ranges;
  }

  collect(pid: number, resume: ResumeAfter | undefined): PartitionCandidates {
    const tree = this.si.tree;
    const n = tree.partitionSize(pid);
    if (n === 0) return EMPTY;
    // most partitions hold no match for a selective query: allocate only at the first one
    let cap = 0;
    let digests = EMPTY.digests;
    let bvals = EMPTY.bvals!;
    let count = 0;
    const seen = this.dedupe ? new Set<string>() : undefined;
    const visit = (bval: bigint, d: Buffer, off: number): boolean => {
      if (seen) {
        const k = d.toString('latin1', off, off + 20);
        if (seen.has(k)) return true;
        seen.add(k);
      }
      if (count === cap) {
        cap = Math.min(cap === 0 ? 8 : cap * 2, n);
        const nd = Buffer.allocUnsafe(cap * 20);
        digests.copy(nd, 0, 0, count * 20);
        digests = nd;
        const nb = new BigInt64Array(cap);
        nb.set(bvals.subarray(0, count));
        bvals = nb;
      }
      d.copy(digests, count * 20, off, off + 20);
      bvals[count++] = bval;
      return count < MAX_CANDIDATES_PER_PARTITION;
    };
    for (const [lo, hi] of this.ranges) {
      if (!tree.forEachInRange(pid, lo, hi, resume, visit)) break;
    }
    return count === 0 ? EMPTY : { count, digests, bvals };
  }

  matches(data: Buffer, digest: Buffer): boolean {
    const keys = this.si.keys(data, digest);
    const p = this.predicate;
    for (const k of keys) {
      switch (p.kind) {
        case 'range':
          if (k.bval >= p.begin && k.bval <= p.end) return true;
          break;
        case 'bytes':
          if (k.bval === p.bval && k.bytes !== undefined && k.bytes.equals(p.bytes)) return true;
          break;
        case 'geo':
          if (k.geo !== undefined && geoJsonParticleMatches(k.geo, p.query)) return true;
          break;
      }
    }
    return false;
  }
}

/**
 * The secondary-index source background jobs and aggregations use ({@link RecordSource}: entry
 * ids, no resume): the same index walk and re-check as a foreground query, each record once.
 */
export function indexSourceFactory(sindexesOf: (ns: string) => NamespaceSindexes | undefined): SecondaryIndexSourceFactory {
  return (ns: Namespace, req: ScanRequest, setId: number): RecordSource => {
    const src = openIndexQuery(req, sindexesOf(ns.name), setId > 0 ? ns.sets.nameOf(setId) : '');
    return {
      kind: 'si',
      indexName: src.indexName,
      collect(pid, out) {
        const c = src.collect(pid, undefined);
        const seen = new Set<number>();
        for (let i = 0; i < c.count; i++) {
          const id = ns.index.find(c.digests, i * 20);
          if (id >= 0 && !seen.has(id)) {
            seen.add(id);
            out.push(id);
          }
        }
      },
      matches: (id) => src.matches(ns.storage.get(ns.index, id), ns.index.digestView(id)),
    };
  };
}
