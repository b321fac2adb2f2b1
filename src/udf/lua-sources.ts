/**
 * The Lua programs every UDF state runs before a module's own code, read once when the node starts
 * from src/udf/lua/ (they ship with the package; dist/ holds only compiled TypeScript, so they are
 * found from here as <package>/src/udf/lua whether this file runs as dist/src/udf/lua-sources.js or
 * from src/):
 * - prelude.lua: `aerospike`, `record`, `list`, `map`, `bytes`, `geojson` and the entry points
 *   TypeScript calls (the byte-string calling convention is described at its top);
 * - aerospike.lua: the log helpers, loaded as the chunk "aerospike.lua"; its line numbers match the
 *   server's own helper chunk, so errors in them read the same: do not add lines above them;
 * - stream.lua: the stream UDF (aggregation) pipeline and its entry point.
 * A missing file stops the start with its path, rather than failing the first UDF call.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** src/udf/lua from src/udf (running the sources) or from dist/src/udf (running the build). */
const LUA_DIR = HERE.endsWith(join('dist', 'src', 'udf')) ? join(HERE, '..', '..', '..', 'src', 'udf', 'lua') : join(HERE, 'lua');

function readLua(file: string): Buffer {
  const path = join(LUA_DIR, file);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read the UDF Lua program ${path}: ${(e as Error).message} (src/udf/lua/ ships with strato)`);
  }
}

/** The prelude (src/udf/lua/prelude.lua), loaded first into every state as chunk "strato-prelude". */
export const PRELUDE_LUA: Buffer = readLua('prelude.lua');
/** The log helpers (src/udf/lua/aerospike.lua), loaded after the prelude as chunk "aerospike.lua". */
export const AEROSPIKE_LUA: Buffer = readLua('aerospike.lua');
/** The stream UDF runtime (src/udf/lua/stream.lua), loaded last as chunk "strato-stream". */
export const STREAM_LUA: Buffer = readLua('stream.lua');
