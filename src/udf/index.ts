/** Lua UDFs: module registry and info commands, Lua states, record UDF execution. */
export { UdfRegistry, registerUdfInfo, UDF_SMD_MODULE, DEFAULT_UDF_USER_PATH, type UdfModule, type UdfRegistryOptions } from './registry.js';
export { applyRecordUdf, readUdfCall, udfCallOf, UDF_MODULE_ERROR, type UdfRecord, type UdfOutcome, type UdfApplyOptions, type UdfCall } from './apply.js';
export { loadLuaRuntime, UDF_TIME_LIMIT_MS, UDF_INSTRUCTION_LIMIT, UDF_MEMORY_LIMIT_BYTES, MAX_LUA_STATES } from './lua-runtime.js';
export { applyStreamUdf, StreamRecords, STREAM_TIME_LIMIT_MS, STREAM_INSTRUCTION_LIMIT, type StreamOutcome, type StreamValue, type StreamRecordMeta } from './stream.js';
