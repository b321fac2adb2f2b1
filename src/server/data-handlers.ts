/** The stream handlers (batch, scan/query, background jobs) wired to a node. */
import { executeBatch } from '../batch/batch-executor.js';
import { executeScan } from '../scan/partition-scan.js';
import { indexSourceFactory } from '../query/index-query.js';
import { startBackgroundJob, type JobContext } from '../query/background-job.js';
import { executeAggregation } from '../query/aggregation.js';
import type { UdfRegistry } from '../udf/index.js';
import { parseMessage } from '../protocol/message.js';
import { isAggregationRequest, isBackgroundRequest, isIndexQuery } from '../protocol/scan-request.js';
import { ResponseBuilder, simpleReply } from '../protocol/response-builder.js';
import { ResultCode } from '../protocol/result-codes.js';
import type { DataHandlers } from './dispatch.js';
import { executeSingleRecord } from '../transaction/single-record.js';
import { compressFrame } from './connection.js';
import type { StratoNode } from './node.js';
import type { StratoRuntimeConfig } from './node-config.js';
import { prepareOffload } from './offload.js';

/** Aerospike's default `background-query-max-rps`. */
const DEFAULT_BACKGROUND_QUERY_MAX_RPS = 10000;

/** Offset of the result code in a one-message answer frame (proto header 8 + as_msg byte 5). */
const FRAME_RESULT_CODE_AT = 13;

/** `udf`: the node's UDF modules, for aggregations (absent: aggregations answer UNSUPPORTED_FEATURE). */
export function makeDataHandlers(node: StratoNode, config: StratoRuntimeConfig, udf?: UdfRegistry): DataHandlers {
  // the cluster router may be attached after the handlers are made: look it up at each call
  const servesPartition = (ns: string, pid: number) => !node.cluster || node.cluster.servesPartition(ns, pid);
  const internalOut = new ResponseBuilder(512);
  const sindexes = (ns: string) => node.sindexes.forNamespace(ns);
  const jobContext: JobContext = {
    node,
    jobs: node.jobs,
    stats: node.queryStats,
    servesPartition,
    // a job's per-record request goes the way a client's would: replicated (or proxied) in a cluster
    applyRecord: (body) => {
      const msg = parseMessage(body, 0, body.length);
      const routed = node.cluster?.routeSingle(msg, body, 0, new ResponseBuilder(512));
      if (routed === undefined) {
        internalOut.reset();
        return executeSingleRecord(node, msg, internalOut);
      }
      if (routed instanceof Promise) return routed.then((frame) => frame[FRAME_RESULT_CODE_AT] ?? ResultCode.UNKNOWN);
      return routed[FRAME_RESULT_CODE_AT] ?? ResultCode.UNKNOWN;
    },
    backgroundMaxRps: (ns) => {
      const cfg = config.raw.namespaces.find((n) => n.name === ns);
      const v = Number(cfg?.extra['background-query-max-rps'] ?? DEFAULT_BACKGROUND_QUERY_MAX_RPS);
      return Number.isFinite(v) && v > 0 ? v : DEFAULT_BACKGROUND_QUERY_MAX_RPS;
    },
    udfExecutionDisabled: () => config.raw.service.disableUdfExecution,
    secondary: indexSourceFactory(sindexes),
  };
  return {
    batch: async (msg, sink) => {
      const t0 = process.hrtime.bigint();
      await executeBatch(node, msg, sink, {
        maxRequests: () => config.batchMaxRequests,
        stats: node.stats,
        compress: config.compressionEnabled ? compressFrame : undefined,
        router: node.cluster,
        latency: node.latency,
        rowCheck: sink.rowGuard,
        // a row's GeoJSON covering and large CDT ops (not its plain writes: offload.ts keys those by request body)
        prepare: (row) => prepareOffload(node, row, false),
      });
      node.latency.batchIndex.recordNs(Number(process.hrtime.bigint() - t0));
    },
    scan: async (req, sink) => {
      if (isBackgroundRequest(req)) return startBackgroundJob(jobContext, req, sink);
      if (isAggregationRequest(req)) {
        if (!udf) return sink.send(simpleReply(ResultCode.UNSUPPORTED_FEATURE));
        return executeAggregation({ ...jobContext, udf }, req, sink);
      }
      const t0 = process.hrtime.bigint();
      await executeScan({ node, jobs: node.jobs, servesPartition, sindexes }, req, sink, sink.remote ?? '');
      // a primary-index query (scan) counts in its namespace's pi-query histogram, an index query in si-query
      const kind = isIndexQuery(req) ? 'si-query' : 'pi-query';
      if (req.namespace !== undefined) node.latency.recordNs(req.namespace, kind, Number(process.hrtime.bigint() - t0));
    },
    prepare: (msg) => prepareOffload(node, msg),
    single: (msg, body, out, commit) => (commit ? node.cluster?.routeClient(msg, body, out) : node.cluster?.routeSingle(msg, body, 0, out)),
  };
}
