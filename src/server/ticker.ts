/** The periodic ticker log: per-namespace objects and memory, like Aerospike's ticker lines. */
import { logger } from '../util/log.js';
import type { StratoNode } from './node.js';
import { clusterStatistics, namespaceClusterStats } from './cluster-info.js';

/** Starts the ticker; returns a function that stops it. */
export function startTicker(node: StratoNode, intervalSec: () => number): () => void {
  const log = logger.context('info', 'ticker.ts');
  const drv = logger.context('drv_ssd', 'ticker.ts');
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const mem = process.memoryUsage();
    const cs = new Map(clusterStatistics(node));
    log.info(`NODE-ID ${node.nodeId} CLUSTER-SIZE ${cs.get('cluster_size')} CLUSTER-NAME ${node.spec.clusterName}`);
    log.info(`   cluster-clock: cluster-key ${cs.get('cluster_key')} principal ${cs.get('cluster_principal')} integrity ${cs.get('cluster_integrity')}`);
    log.info(`   process: cpu-pct ${Math.round(process.cpuUsage().user / 1e4 / Math.max(1, node.uptimeSec()))} rss ${mem.rss} heap-used ${mem.heapUsed}`);
    const st = node.stats;
    // Aerospike 8.1 adds the admin port's (open,opened,closed) last when one is configured
    const admin = node.spec.admin ? ` admin (${st.adminConnectionsOpened - st.adminConnectionsClosed},${st.adminConnectionsOpened},${st.adminConnectionsClosed})` : '';
    log.info(`   fds: proto (${st.clientConnectionsOpened - st.clientConnectionsClosed},${st.clientConnectionsOpened},${st.clientConnectionsClosed})${admin}`);
    for (const ns of node.namespaces.values()) {
      const st = ns.storage.stats();
      const pct = st.totalBytes > 0 ? ((st.usedBytes * 100) / st.totalBytes).toFixed(2) : '0.00';
      const nc = new Map(namespaceClusterStats(node, ns));
      log.info(`{${ns.name}} objects: all ${ns.objects} master ${nc.get('master_objects')} prole ${nc.get('prole_objects')} non-replica ${nc.get('non_replica_objects')}`);
      const txRem = Number(nc.get('migrate_tx_partitions_remaining'));
      const rxRem = Number(nc.get('migrate_rx_partitions_remaining'));
      if (txRem + rxRem > 0) {
        // Aerospike's form: remaining (tx,rx,signals) ... complete-pct
        const initial = Number(nc.get('migrate_tx_partitions_initial')) + Number(nc.get('migrate_rx_partitions_initial'));
        const pct = initial > 0 ? (100 * (1 - (txRem + rxRem) / initial)).toFixed(2) : '0.00';
        log.info(`{${ns.name}} migrations: remaining (${txRem},${rxRem},0) complete-pct ${pct} records (tx ${nc.get('migrate_records_transmitted')},rx ${nc.get('migrate_records_received')})`);
      } else if (node.cluster) log.info(`{${ns.name}} migrations: complete`);
      log.info(`{${ns.name}} index-usage: used-bytes ${ns.index.size * 64}`);
      log.info(`{${ns.name}} data-usage: used-bytes ${st.usedBytes} avail-pct ${(100 - Number(pct)).toFixed(0)} used-pct ${pct}`);
      log.info(
        `{${ns.name}} client: tsvc (0,0) proxy (0,0,0) read (${ns.stats.clientReadSuccess},${ns.stats.clientReadError},${ns.stats.clientReadNotFound},${ns.stats.clientReadFilteredOut}) write (${ns.stats.clientWriteSuccess},${ns.stats.clientWriteError},${ns.stats.clientWriteFilteredOut}) delete (${ns.stats.clientDeleteSuccess},${ns.stats.clientDeleteError},${ns.stats.clientDeleteNotFound},${ns.stats.clientDeleteFilteredOut})`,
      );
    }
    for (const ns of node.namespaces.values()) {
      // the per-device line operators know from the defragmentation document
      for (const line of ns.storage.tickerLogLines()) drv.info(line);
    }
    node.latency.dumpActive();
    schedule();
  };
  const schedule = () => {
    const sec = intervalSec();
    timer = setTimeout(tick, Math.max(1, sec) * 1000);
    timer.unref();
  };
  schedule();
  return () => {
    if (timer) clearTimeout(timer);
  };
}
