/**
 * Configuration subsystem: parse `aerospike.conf`, the embedded default, and runtime
 * get-config / set-config. See README.md in this folder.
 */
export * from './model.js';
export { ConfigError } from './errors.js';
export { parseConfig, loadConfigFile } from './parser.js';
export type { ConfigWarning } from './parse-context.js';
export { defaultConfig, DEFAULT_CONFIG_TEXT } from './defaults.js';
export { renderConfig, renderSetConfig, type ConfigContext, type RenderRuntime } from './render.js';
export {
  applySetConfig,
  getConfigInfo,
  onConfigChange,
  parseInfoParams,
  CONFIG_ERRORS,
  type ConfigChange,
  type ConfigChangeListener,
  type SetConfigResult,
} from './dynamic.js';
