/**
 * Per-namespace statistics of query jobs and their per-record transactions, under Aerospike 8.1's
 * names (`namespace/<ns>` info): `pi_query_*` for jobs over the primary index, `si_query_*` over a
 * secondary index; `ops_sub_*` / `udf_sub_*` for the writes background jobs make. The `*_tsvc_*`
 * counters (Aerospike's transaction-queue failures) stay 0: Strato runs a job's transactions
 * directly, never through a queue they could time out in.
 */

/** The counters, in the order `namespace/<ns>` lists them. */
export const QUERY_STAT_NAMES = [
  'udf_sub_tsvc_error',
  'udf_sub_tsvc_timeout',
  'udf_sub_udf_complete',
  'udf_sub_udf_error',
  'udf_sub_udf_timeout',
  'udf_sub_udf_filtered_out',
  'udf_sub_lang_read_success',
  'udf_sub_lang_write_success',
  'udf_sub_lang_delete_success',
  'udf_sub_lang_error',
  'ops_sub_tsvc_error',
  'ops_sub_tsvc_timeout',
  'ops_sub_write_success',
  'ops_sub_write_error',
  'ops_sub_write_timeout',
  'ops_sub_write_filtered_out',
  'pi_query_aggr_complete',
  'pi_query_aggr_error',
  'pi_query_aggr_abort',
  'pi_query_udf_bg_complete',
  'pi_query_udf_bg_error',
  'pi_query_udf_bg_abort',
  'pi_query_ops_bg_complete',
  'pi_query_ops_bg_error',
  'pi_query_ops_bg_abort',
  'si_query_aggr_complete',
  'si_query_aggr_error',
  'si_query_aggr_abort',
  'si_query_udf_bg_complete',
  'si_query_udf_bg_error',
  'si_query_udf_bg_abort',
  'si_query_ops_bg_complete',
  'si_query_ops_bg_error',
  'si_query_ops_bg_abort',
] as const;

export type QueryStatName = (typeof QUERY_STAT_NAMES)[number];

/** How a job ended, for its `_complete` / `_error` / `_abort` counter. */
export type JobEnd = 'complete' | 'error' | 'abort';

export class QueryStats {
  private readonly counters = new Map<QueryStatName, number>(QUERY_STAT_NAMES.map((n) => [n, 0]));

  add(name: QueryStatName, n = 1): void {
    this.counters.set(name, this.counters.get(name)! + n);
  }

  get(name: QueryStatName): number {
    return this.counters.get(name)!;
  }

  /** Counts a finished job: `kind` pi/si, `job` aggr/udf_bg/ops_bg. */
  jobEnded(kind: 'pi' | 'si', job: 'aggr' | 'udf_bg' | 'ops_bg', end: JobEnd): void {
    this.add(`${kind}_query_${job}_${end}` as QueryStatName);
  }

  /** [name, value] pairs for the namespace statistics answer. */
  entries(): [string, number][] {
    return [...this.counters];
  }
}

/** The statistics of every namespace, created on first use. */
export class QueryStatsRegistry {
  private readonly byNs = new Map<string, QueryStats>();

  of(ns: string): QueryStats {
    let s = this.byNs.get(ns);
    if (!s) this.byNs.set(ns, (s = new QueryStats()));
    return s;
  }
}
