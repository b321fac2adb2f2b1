/** The stream handlers (batch, scan/query) wired to a node. */
import type { DataHandlers } from './dispatch.js';
import type { StratoNode } from './node.js';
import type { StratoRuntimeConfig } from './node-config.js';

export function makeDataHandlers(_node: StratoNode, _config: StratoRuntimeConfig): DataHandlers {
  return {};
}
