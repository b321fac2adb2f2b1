/**
 * Registered UDF modules (the server's udf_cask): `udf-put` / `udf-get` / `udf-list` /
 * `udf-remove`, persisted in system metadata module "UDF", and the Lua states that run them.
 *
 * Like the server, each module is kept as the JSON text `{"content64": "...", "type": "LUA",
 * "name": "..."}` (jansson's default formatting); `udf-list` shows the SHA-1 of that text, not of
 * the source. Removal leaves a tombstone in place, so a module put again keeps its position in
 * `udf-list` (the server's SMD item vector behaves the same way).
 */
import { createHash } from 'node:crypto';
import type { SmdStore } from '../namespace/smd.js';
import { logger } from '../util/log.js';
import { LuaState, LuaStatePool, LuaStatus, loadLuaRuntime, luaRuntimeLoaded, UDF_INSTRUCTION_LIMIT, UDF_TIME_LIMIT_MS } from './lua-runtime.js';

/** SMD module name the server uses for UDF files. */
export const UDF_SMD_MODULE = 'UDF';
/** The only UDF language the server accepts. */
export const UDF_TYPE_LUA = 'LUA';
/** Largest decoded module source `udf-put` accepts. */
export const MAX_UDF_CONTENT_BYTES = 1024 * 1024;
/** Size of the server's filename buffer: names must be shorter. */
const MAX_FILE_NAME_SZ = 128;
/** Default `mod-lua user-path`; it shows in Lua error positions (`<user-path>/<file>:<line>: ...`). */
export const DEFAULT_UDF_USER_PATH = '/opt/aerospike/usr/udf/lua';

export interface UdfModule {
  /** file name as registered, e.g. `mymod.lua` */
  name: string;
  /** the base64 text the client sent */
  content64: string;
  /** decoded source bytes */
  source: Buffer;
  /** 40 lowercase hex: SHA-1 of the stored JSON, as `udf-list` shows */
  hash: string;
  type: 'LUA';
  /** bumped on every put of this name (invalidates its Lua state) */
  version: number;
}

/** What SMD holds per item; `value` null is a tombstone (removed module). */
interface UdfSmdItem {
  key: string;
  value: string | null;
}

export interface UdfRegistryOptions {
  /** `mod-lua user-path`: the directory shown in Lua error messages */
  userPath?: string;
  /** bounds for udf-put validation of a module's top level */
  validateInstructionLimit?: number;
  validateTimeLimitMs?: number;
}

const log = logger.context('udf', 'udf_cask.ts');

export class UdfRegistry {
  readonly userPath: string;
  /** in SMD order, tombstones included */
  private readonly items: { key: string; value: string | null; module: UdfModule | undefined }[] = [];
  private readonly pool = new LuaStatePool();
  private generation = 0;
  private readonly validateInstructionLimit: number;
  private readonly validateTimeLimitMs: number;

  constructor(
    private readonly smd?: SmdStore,
    opts: UdfRegistryOptions = {},
  ) {
    this.userPath = (opts.userPath ?? DEFAULT_UDF_USER_PATH).replace(/\/+$/, '');
    this.validateInstructionLimit = opts.validateInstructionLimit ?? UDF_INSTRUCTION_LIMIT;
    this.validateTimeLimitMs = opts.validateTimeLimitMs ?? UDF_TIME_LIMIT_MS;
    for (const item of smd?.load<UdfSmdItem>(UDF_SMD_MODULE) ?? []) {
      if (typeof item?.key !== 'string') continue;
      const module = item.value === null ? undefined : moduleFromJson(item.key, item.value, ++this.generation);
      if (item.value !== null && !module) {
        log.warning(`failed to parse UDF "${item.key}" from system metadata - ignoring`);
        continue;
      }
      this.items.push({ key: item.key, value: module ? item.value : null, module });
    }
  }

  /** Loads the Lua runtime (WebAssembly); call once before serving UDF commands. */
  async init(): Promise<void> {
    await loadLuaRuntime();
  }

  get ready(): boolean {
    return luaRuntimeLoaded();
  }

  /** A registered module by file name. */
  get(filename: string): UdfModule | undefined {
    return this.items.find((i) => i.key === filename)?.module;
  }

  /** Registered modules in `udf-list` order. */
  list(): UdfModule[] {
    return this.items.flatMap((i) => (i.module ? [i.module] : []));
  }

  /**
   * Registers (or replaces) a module without the info-command checks; the source must already be
   * valid. Used by udf-put after validation and by tests.
   */
  put(filename: string, content64: string): UdfModule {
    const value = udfSmdValue(filename, content64, UDF_TYPE_LUA);
    const module = moduleFromJson(filename, value, ++this.generation);
    if (!module) throw new Error(`bad UDF content for ${filename}`);
    const at = this.items.find((i) => i.key === filename);
    if (at) {
      at.value = value;
      at.module = module;
    } else this.items.push({ key: filename, value, module });
    this.changed();
    log.info(`UDF module ${this.userPath}/${filename} registered`);
    return module;
  }

  /** Removes a module (no-op when absent, like the server). */
  remove(filename: string): void {
    const at = this.items.find((i) => i.key === filename);
    if (at) {
      at.value = null;
      at.module = undefined;
    }
    this.changed();
    log.info(`UDF module ${this.userPath}/${filename} removed`);
  }

  /**
   * Compiles and runs the top level of `source` as udf-put does. Returns undefined when it is fine,
   * else the udf-put error answer (`error=compile_error;file=..;line=..;message=<base64>`).
   */
  validate(filename: string, source: Buffer): string | undefined {
    const state = new LuaState(this.userPath);
    try {
      const r = state.validate(filename, source, this.validateInstructionLimit, this.validateTimeLimitMs);
      if (!r) return undefined;
      return compileErrorAnswer(filename, r.rc, r.message);
    } finally {
      state.close();
    }
  }

  /** `udf-put:filename=..;content=<base64>;content-len=..;udf-type=LUA;` */
  infoPut(params: string): string {
    const filename = infoParam(params, 'filename', MAX_FILE_NAME_SZ);
    if (typeof filename !== 'string') return 'error=invalid_filename';
    const dot = filename.indexOf('.');
    if (dot <= 0 || dot === filename.length - 1) return 'error=invalid_filename';
    const contentLen = infoParam(params, 'content-len', 11);
    if (typeof contentLen !== 'string') return 'error=invalid_content_len';
    const udfType = infoParam(params, 'udf-type', 16);
    if (udfType === -2 || (typeof udfType === 'string' && udfType !== UDF_TYPE_LUA)) return 'error=invalid_udf_type';
    const len32 = atoiU32(contentLen);
    if (len32 === undefined || len32 % 4 !== 0) return 'error=invalid_content_len';
    const content = infoParam(params, 'content', len32 + 1);
    if (typeof content !== 'string' || Buffer.byteLength(content) !== len32) return 'error=invalid_content';
    if (Math.floor((len32 * 3) / 4) > MAX_UDF_CONTENT_BYTES) return 'error=invalid_udf_content_len,>1M';
    if (!isValidBase64(content)) return 'error=invalid_base64_content';
    if (!luaRuntimeLoaded()) return 'error=unknown_error';
    const source = Buffer.from(content, 'base64');
    const compileError = this.validate(filename, source);
    if (compileError !== undefined) {
      log.warning(`udf-put: compile error in ${filename}`);
      return compileError;
    }
    this.put(filename, content);
    return 'ok';
  }

  /** `udf-get:filename=..` */
  infoGet(params: string): string {
    const filename = infoParam(params, 'filename', MAX_FILE_NAME_SZ);
    if (typeof filename !== 'string') return 'error=invalid_filename';
    const module = this.get(filename);
    if (!module) return 'error=not_found';
    if (module.source.length === 0) return 'error=empty';
    return `type=${UDF_TYPE_LUA};content=${module.source.toString('base64')};`;
  }

  /** `udf-list` */
  infoList(): string {
    return this.list()
      .map((m) => `filename=${m.name},hash=${m.hash},type=${UDF_TYPE_LUA};`)
      .join('');
  }

  /** `udf-remove:filename=..` */
  infoRemove(params: string): string {
    const filename = infoParam(params, 'filename', MAX_FILE_NAME_SZ);
    if (typeof filename !== 'string') return 'error=invalid_filename';
    this.remove(filename);
    return 'ok';
  }

  /**
   * The Lua state for the module named in a UDF call (`mymod` for `mymod.lua`), created on first
   * use and kept in a bounded pool; null when the module is not registered or fails to load (the
   * server answers both with "UDF: Execution Error 1").
   */
  stateFor(moduleName: string): LuaState | null {
    // require() maps '.' to a directory separator, so such names never find a registered file
    if (moduleName.includes('.') || moduleName.length === 0) return null;
    const file = `${moduleName}.lua`;
    const module = this.get(file);
    if (!module) return null;
    return this.pool.get(file, module.version, () => {
      let state: LuaState | undefined;
      try {
        state = new LuaState(this.userPath, this.list().map((m) => [m.name, m.source]));
        const err = state.call('require', [moduleName]);
        if (err.length === 0) return state;
        log.warning(`lua create error: ${err.toString('utf8')}`);
      } catch (e) {
        log.warning(`lua create error: ${(e as Error).message}`);
      }
      state?.close();
      return null;
    });
  }

  /** Forgets a module's Lua state (after an error outside the UDF's protected call). */
  dropState(moduleName: string): void {
    this.pool.drop(`${moduleName}.lua`);
  }

  /** Closes every Lua state. */
  close(): void {
    this.pool.clear();
  }

  private changed(): void {
    // any module may require() any other: start every state afresh
    this.pool.clear();
    this.smd?.save<UdfSmdItem>(
      UDF_SMD_MODULE,
      this.items.map((i) => ({ key: i.key, value: i.value })),
    );
  }
}

/**
 * Where the server keeps its info commands, as far as the UDF commands need it (the command's text
 * in, the answer out): the server's handler table satisfies it, and udf/ does not import server/.
 */
export interface UdfInfoCommands {
  set(name: string, handler: (cmd: { readonly text: string }) => string): unknown;
}

/** Installs udf-put / udf-get / udf-list / udf-remove. */
export function registerUdfInfo(registry: UdfRegistry, infoRegistry: UdfInfoCommands): void {
  infoRegistry.set('udf-put', (cmd) => registry.infoPut(paramsOf(cmd.text)));
  infoRegistry.set('udf-get', (cmd) => registry.infoGet(paramsOf(cmd.text)));
  infoRegistry.set('udf-list', () => registry.infoList());
  infoRegistry.set('udf-remove', (cmd) => registry.infoRemove(paramsOf(cmd.text)));
}

function paramsOf(text: string): string {
  const colon = text.indexOf(':');
  const params = colon < 0 ? '' : text.slice(colon + 1);
  const nul = params.indexOf('\0');
  return nul < 0 ? params : params.slice(0, nul);
}

/**
 * The server's as_info_parameter_get: the value of `name` in `k=v;k=v`, or -1 when absent, -2
 * when its value needs `bufSize` bytes or more.
 */
export function infoParam(params: string, name: string, bufSize: number): string | -1 | -2 {
  for (const seg of params.split(';')) {
    const eq = seg.indexOf('=');
    if (eq < 0 || seg.slice(0, eq) !== name) continue;
    const value = seg.slice(eq + 1);
    return Buffer.byteLength(value) >= bufSize ? -2 : value;
  }
  return -1;
}

/** cf_str_atoi_u32: decimal digits with an optional k/m/g suffix, 32-bit wrapping. */
function atoiU32(s: string): number | undefined {
  let i = 0;
  let v = 0;
  while (i < s.length && s[i]! >= '0' && s[i]! <= '9') {
    v = (Math.imul(v, 10) + (s.charCodeAt(i) - 48)) >>> 0;
    i++;
  }
  const suffix = s[i];
  if (suffix === 'k' || suffix === 'K') {
    v = Math.imul(v, 1024) >>> 0;
    i++;
  } else if (suffix === 'm' || suffix === 'M') {
    v = Math.imul(v, 1024 * 1024) >>> 0;
    i++;
  } else if (suffix === 'g' || suffix === 'G') {
    v = Math.imul(v, 1024 * 1024 * 1024) >>> 0;
    i++;
  }
  return i === s.length ? v : undefined;
}

const B64 = /^[A-Za-z0-9+/]*$/;

/** cf_b64 validation: non-empty, a multiple of 4, padding only at the end ("=" or "=="). */
function isValidBase64(s: string): boolean {
  if (s.length === 0 || s.length % 4 !== 0) return false;
  const body = s.slice(0, -2);
  const tail = s.slice(-2);
  if (!B64.test(body)) return false;
  if (tail === '==') return true;
  if (!B64.test(tail[0]!)) return false;
  return tail[1] === '=' || B64.test(tail[1]!);
}

/** The SMD value the server stores for a module: jansson `json_dumps(obj, 0)` of its fields. */
export function udfSmdValue(filename: string, content64: string, type: string): string {
  return `{"content64": ${janssonString(content64)}, "type": ${janssonString(type)}, "name": ${janssonString(filename)}}`;
}

function janssonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function moduleFromJson(name: string, value: string, version: number): UdfModule | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  const content64 = (parsed as { content64?: unknown }).content64;
  if (typeof content64 !== 'string') return undefined;
  return {
    name,
    content64,
    source: Buffer.from(content64, 'base64'),
    hash: createHash('sha1').update(value, 'utf8').digest('hex'),
    type: 'LUA',
    version,
  };
}

const NULL_MESSAGE = Buffer.from('(Null error message returned by lua)');
const MESSAGE_MAX = 1023;
const FILE_MAX = 255;

/**
 * The udf-put answer for a module that failed to compile or run (mod-lua's populate_error):
 * `[string "f.lua"]:3: msg` becomes file `f.lua`, line 3, message `msg` (base64).
 */
export function compileErrorAnswer(filename: string, rc: number, message: Buffer | undefined): string {
  const code = rc === LuaStatus.ERRSYNTAX ? 10 : rc === LuaStatus.ERRRUN ? 11 : rc === LuaStatus.ERRMEM ? 12 : 13;
  const msg = message ?? NULL_MESSAGE;
  let file: Buffer = Buffer.alloc(0);
  let line = 0;
  let text: Buffer = Buffer.alloc(0);
  if (code === 10 || code === 11) {
    if (msg[0] === 0x5b /* [ */) {
      const fileL = msg.indexOf(0x22 /* " */);
      if (fileL >= 0) {
        const fileR = msg.indexOf(0x22, fileL + 1);
        if (fileR >= 0) {
          file = msg.subarray(fileL + 1, fileR);
          const lineL = msg.indexOf(0x3a /* : */, fileR);
          if (lineL >= 0) {
            const lineR = msg.indexOf(0x3a, lineL + 1);
            if (lineR >= 0) {
              line = atoi(msg.toString('latin1', lineL + 1, lineR));
              text = msg.subarray(Math.min(lineR + 2, msg.length));
            }
          }
        }
      }
    } else if (msg.includes("module 'aerospike' not found")) {
      text = Buffer.from("'aerospike' lua module not found, check mod-lua system-path");
    } else {
      const nl = msg.indexOf(0x0a);
      text = msg.subarray(0, Math.min(nl < 0 ? msg.length : nl, 256));
    }
  } else {
    text = msg;
    file = Buffer.from(filename);
  }
  file = file.subarray(0, FILE_MAX);
  text = text.subarray(0, MESSAGE_MAX);
  return `error=compile_error;file=${file.toString('utf8')};line=${line >>> 0};message=${text.toString('base64')}`;
}

function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number.parseInt(m[1]!, 10) | 0 : 0;
}
