/** get-config / set-config info commands. */
import type { StratoNode } from './node.js';
import type { StratoRuntimeConfig } from './node-config.js';

export function registerConfigInfo(_node: StratoNode, _config: StratoRuntimeConfig): void {}
