/**
 * Where a query's records come from, one partition at a time. A query without an index filter
 * reads the primary index (every record of the set or namespace); a query with one reads a
 * secondary index. Jobs (background writes, background UDFs, aggregations) consume either through
 * this interface, so they work the same over both.
 *
 * A source only nominates candidates. The consumer still checks that each one is live (not a
 * tombstone, not expired, not truncated) and in the query's set, and asks the source to re-check
 * it against the record ({@link RecordSource.matches}) right before using it, because the record
 * may have changed since the candidate was collected.
 */
import type { Namespace } from '../namespace/namespace.js';
import { AsError, ResultCode } from '../protocol/result-codes.js';
import type { ScanRequest } from '../protocol/scan-request.js';

export interface RecordSource {
  /** `pi` for the primary index, `si` for a secondary index: Aerospike counts their jobs apart */
  readonly kind: 'pi' | 'si';
  /** the secondary index used, for query-show ('' for the primary index) */
  readonly indexName: string;
  /**
   * Appends the entry ids of partition `pid`'s candidates to `out`, in the order the answers go
   * out (digest order for the primary index). Synchronous; at most the partition's entries.
   */
  collect(pid: number, out: number[]): void;
  /** Whether entry `id` still matches the query (a secondary index re-checks the bin value). */
  matches(id: number): boolean;
}

/** Every record of partition, optionally only those of one set, in digest order. */
export function primaryIndexSource(ns: Namespace, setId: number): RecordSource {
  const index = ns.index;
  return {
    kind: 'pi',
    indexName: '',
    collect(pid, out) {
      const start = out.length;
      for (const id of index.partitionIds(pid)) {
        if (setId === 0 || index.setId(id) === setId) out.push(id);
      }
      // the reference server walks each partition in digest order; its answers come in that order
      const part = out.slice(start).sort((a, b) => index.digestView(a).compare(index.digestView(b)));
      for (let i = 0; i < part.length; i++) out[start + i] = part[i]!;
    },
    matches: () => true,
  };
}

/** Makes the record source of an index-filtered request, or throws the AsError to answer. */
export type SecondaryIndexSourceFactory = (ns: Namespace, req: ScanRequest, setId: number) => RecordSource;

/**
 * Builds the source for a scan/query request on `ns`: a request with an index filter (INDEX_RANGE
 * or INDEX_NAME) needs a secondary index, found by `secondary`; without one, the primary index of
 * set `setId` (0 = the whole namespace). Throws AsError(SINDEX_NOT_FOUND) when no index answers.
 */
export function recordSourceFor(ns: Namespace, req: ScanRequest, setId: number, secondary?: SecondaryIndexSourceFactory): RecordSource {
  const filtered = req.index.range !== undefined || req.index.name !== undefined;
  if (!filtered) return primaryIndexSource(ns, setId);
  if (!secondary) throw new AsError(ResultCode.SINDEX_NOT_FOUND, 'no secondary index');
  return secondary(ns, req, setId);
}

// ---------------------------------------------------------------------------------------------
// Foreground queries: candidates by digest, with the bval each was found under, and resume.
//
// A foreground secondary-index query answers each record with the index value it was found under
// (field 15, BVAL) and a client resumes a partition after (bval, digest). Its source therefore
// returns digests and bvals rather than entry ids; `collect` copies them, so the caller may await
// between candidates. Each candidate must be found again (`ns.index.find`), checked for set,
// expiry, truncation and tombstone, then re-checked with `matches(data, digest)` against the
// record's current data: string/blob bvals are hashes and geo bvals are cells, and an entry may be
// stale by the time it is used. `indexSourceFactory` in index-query.ts adapts the same index walk
// to {@link RecordSource} for background jobs and aggregations.

/** Candidates of one partition, in answer order. */
export interface PartitionCandidates {
  count: number;
  /** 20 bytes per candidate */
  digests: Buffer;
  /** the index value each candidate was found under (secondary-index queries only) */
  bvals: BigInt64Array | undefined;
}

/** A resumed partition restarts strictly after this record (and, for index queries, bval). */
export interface ResumeAfter {
  digest: Buffer;
  bval: bigint;
}

export interface PartitionRecordSource {
  /** 'sindex' answers carry the BVAL field */
  readonly kind: 'scan' | 'sindex';
  /** the index name, for job listings (sindex-name) */
  readonly indexName: string;
  collect(pid: number, resume: ResumeAfter | undefined): PartitionCandidates;
  /** the exact re-check of a candidate against the record's current data (record-codec bytes) */
  matches(data: Buffer, digest: Buffer): boolean;
}
