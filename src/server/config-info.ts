/** get-config / set-config info commands, answered from the live configuration. */
import { applySetConfig, getConfigInfo, parseInfoParams } from '../config/index.js';
import { infoRegistry } from './info-commands.js';
import type { InfoCommand } from './info-protocol.js';
import type { StratoNode } from './node.js';
import type { StratoRuntimeConfig } from './node-config.js';
import { logger } from '../util/log.js';

function paramsOf(cmd: InfoCommand): Map<string, string> {
  const colon = cmd.text.indexOf(':');
  return colon < 0 ? new Map() : parseInfoParams(cmd.text.slice(colon + 1));
}

export function registerConfigInfo(node: StratoNode, config: StratoRuntimeConfig): void {
  // microsecond-histograms: every latency histogram counts in microseconds (`usec`)
  const histogramUnit = () => (config.raw.service.extra['microsecond-histograms'] === true ? 'usec' : 'msec');
  node.latency.setUnit(histogramUnit());
  const get = (cmd: InfoCommand) => getConfigInfo(config.raw, paramsOf(cmd), { nodeId: node.nodeId });
  const set = (cmd: InfoCommand) => {
    const result = applySetConfig(config.raw, paramsOf(cmd));
    if (!result.ok) return result.error;
    const log = logger.context('info', 'config-info.ts');
    for (const c of result.changed) {
      const where = c.namespace ? `{${c.namespace}}${c.set ? ` set ${c.set}` : ''} ` : '';
      log.info(`${where}changed ${c.key} from ${c.oldValue} to ${c.newValue}`);
    }
    for (const c of result.changed) {
      const ns = c.namespace ? node.namespace(c.namespace) : undefined;
      // the engine reads its tunables from the namespace's storage config, already changed
      if (ns && !c.set) ns.storage.configChanged(c.key);
    }
    for (const ns of node.namespaces.values()) ns.stopWrites.evaluate();
    node.latency.setUnit(histogramUnit());
    if (node.cluster && result.changed.some((c) => c.key.startsWith('heartbeat.'))) {
      const hb = config.raw.network.heartbeat;
      node.cluster.runtime.membership.setTiming(hb.intervalMs, hb.timeoutIntervals);
    }
    // the membership copied the value at start; without this, get-config showed a size not in force
    if (node.cluster && result.changed.some((c) => c.key === 'min-cluster-size')) {
      node.cluster.runtime.membership.setMinClusterSize(Math.max(1, config.raw.service.minClusterSize));
    }
    return 'ok';
  };
  infoRegistry.set('get-config', get);
  infoRegistry.set('config-get', get);
  infoRegistry.set('set-config', set);
  infoRegistry.set('config-set', set);
}
