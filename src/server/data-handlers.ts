/** The stream handlers (batch, scan/query) wired to a node. */
import { executeBatch } from '../batch/batch-executor.js';
import { executeScan } from '../scan/partition-scan.js';
import type { DataHandlers } from './dispatch.js';
import { compressFrame } from './connection.js';
import type { StratoNode } from './node.js';
import type { StratoRuntimeConfig } from './node-config.js';

export function makeDataHandlers(node: StratoNode, config: StratoRuntimeConfig): DataHandlers {
  return {
    batch: async (msg, sink) => {
      const t0 = process.hrtime.bigint();
      await executeBatch(node, msg, sink, {
        maxRequests: () => config.batchMaxRequests,
        stats: node.stats,
        compress: config.compressionEnabled ? compressFrame : undefined,
        router: node.cluster,
      });
      node.latency.get('batch-index').record(Number(process.hrtime.bigint() - t0) / 1000);
    },
    scan: (msg, sink) =>
      executeScan({ node, jobs: node.jobs, servesPartition: node.cluster && ((ns, pid) => node.cluster!.servesPartition(ns, pid)) }, msg, sink, sink.remote ?? ''),
    single: (msg, body, out) => node.cluster?.routeSingle(msg, body, 0, out),
  };
}
