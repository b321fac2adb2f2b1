/**
 * Lua 5.4 states for record UDFs, on wasmoon (Lua compiled to WebAssembly).
 *
 * Loading the WebAssembly module is asynchronous and happens once ({@link loadLuaRuntime}); after
 * that, creating states and calling into them is synchronous. Each state runs the prelude
 * (lua/prelude.lua) and talks to TypeScript through byte strings only: arguments are pushed with
 * `lua_pushlstring` straight from a Buffer and the answer is read back from wasm memory, so no text
 * conversion touches the values.
 *
 * Bounds: every call into user code runs under an instruction-count hook that also checks CPU
 * time ({@link UDF_INSTRUCTION_LIMIT}, {@link UDF_TIME_LIMIT_MS}); each state's allocations are
 * capped ({@link UDF_MEMORY_LIMIT_BYTES}); the pool keeps at most {@link MAX_LUA_STATES} states.
 */
import { createRequire } from 'node:module';
import type { LuaWasm } from 'wasmoon';
import { AEROSPIKE_LUA, PRELUDE_LUA, STREAM_LUA } from './lua-sources.js';

/** CPU time one UDF call may use before it fails with "UDF Execution Timeout" (the server's default transaction-max-ms). */
export const UDF_TIME_LIMIT_MS = 1000;
/** Lua VM instructions one UDF call may execute (a deterministic bound next to the time limit). */
export const UDF_INSTRUCTION_LIMIT = 200_000_000;
/** Memory one Lua state may allocate; beyond it Lua raises "not enough memory". */
export const UDF_MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;
/** Lua states kept alive (one per module); the least recently used is closed beyond this. */
export const MAX_LUA_STATES = 32;

const LUA_REGISTRYINDEX = -1_000_000 - 1000;
const LUA_OK = 0;
const LUA_ERRSYNTAX = 3;
const LUA_ERRMEM = 4;

/** The raw (un-wrapped) exports of the emscripten module that this file uses. */
interface RawModule {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  _malloc(n: number): number;
  _free(p: number): void;
  _lua_pushlstring(L: number, p: number, n: number): number;
  _lua_tolstring(L: number, idx: number, lenPtr: number): number;
  _luaL_loadbufferx(L: number, p: number, n: number, name: number, mode: number): number;
  _lua_pcallk(L: number, nargs: number, nresults: number, errfunc: number, ctx: number, k: number): number;
  _lua_settop(L: number, idx: number): void;
  _lua_gettop(L: number): number;
  _lua_type(L: number, idx: number): number;
}

/**
 * wasmoon, loaded with require: it is a 150 KB CommonJS file, and an ESM `import` of it first
 * runs Node's CommonJS export scanner over all of it (~35 ms of CPU at every node start, measured
 * on Node 20: import 38-50 ms, require 6-8 ms). Loaded on the first {@link loadLuaRuntime}.
 */
type Wasmoon = typeof import('wasmoon');
let wasmoon: Wasmoon | undefined;
let wasm: LuaWasm | undefined;
let loading: Promise<void> | undefined;

/** Loads the Lua WebAssembly module (once). Everything else in src/udf needs it loaded. */
export function loadLuaRuntime(): Promise<void> {
  if (!loading) {
    const lib = (wasmoon = createRequire(import.meta.url)('wasmoon') as Wasmoon);
    loading = new lib.LuaFactory().getLuaModule().then((m) => {
      wasm = m;
    });
  }
  return loading;
}

export function luaRuntimeLoaded(): boolean {
  return wasm !== undefined;
}

function lua(): LuaWasm {
  if (!wasm) throw new Error('Lua runtime not loaded: await loadLuaRuntime() (or UdfRegistry.init()) first');
  return wasm;
}

/** A Lua error raised while calling into a state (outside the UDF's own protected call). */
export class LuaCallError extends Error {
  constructor(
    readonly rc: number,
    message: string,
  ) {
    super(message);
  }
}

export type LuaArg = Buffer | string | bigint | number;

/** One Lua state with the prelude loaded. Not reentrant; callers use it synchronously. */
export class LuaState {
  private readonly engine: InstanceType<Wasmoon['LuaEngine']>;
  private readonly L: number;
  private readonly raw: RawModule;
  private readonly iref: number;
  private readonly entryRefs = new Map<string, number>();
  /** scratch wasm memory for pushing byte strings and reading lengths (grown on demand) */
  private scratch = 0;
  private scratchSize = 0;
  private lenPtr = 0;
  private closed = false;

  constructor(userPath: string, sources: Iterable<[string, Buffer]> = []) {
    const w = lua();
    this.raw = w.module as unknown as RawModule;
    this.engine = new wasmoon!.LuaEngine(w, { openStandardLibs: true, injectObjects: false, enableProxy: false, traceAllocations: true });
    this.engine.global.setMemoryMax(UDF_MEMORY_LIMIT_BYTES);
    this.L = this.engine.global.address;
    try {
      const rc = this.load(PRELUDE_LUA, '=strato-prelude');
      if (rc !== LUA_OK) throw new LuaCallError(rc, this.popError());
      const prc = this.raw._lua_pcallk(this.L, 0, 1, 0, 0, 0);
      if (prc !== LUA_OK) throw new LuaCallError(prc, this.popError());
      this.iref = w.luaL_ref(this.L, LUA_REGISTRYINDEX);
      const arc = this.load(AEROSPIKE_LUA, 'aerospike.lua');
      if (arc !== LUA_OK) throw new LuaCallError(arc, this.popError());
      const aprc = this.raw._lua_pcallk(this.L, 0, 0, 0, 0, 0);
      if (aprc !== LUA_OK) throw new LuaCallError(aprc, this.popError());
      // the stream (aggregation) entry point, given the prelude's entry table as its argument
      const src = this.load(STREAM_LUA, '=strato-stream');
      if (src !== LUA_OK) throw new LuaCallError(src, this.popError());
      w.lua_rawgeti(this.L, LUA_REGISTRYINDEX, BigInt(this.iref));
      const sprc = this.raw._lua_pcallk(this.L, 1, 0, 0, 0, 0);
      if (sprc !== LUA_OK) throw new LuaCallError(sprc, this.popError());
      this.call('setpath', [userPath]);
      for (const [file, src] of sources) this.call('addsource', [file, src]);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Calls the prelude entry point `name`; returns its (string) result as bytes. */
  call(name: string, args: LuaArg[]): Buffer {
    const L = this.L;
    this.pushEntry(name);
    for (const a of args) this.push(a);
    const rc = this.raw._lua_pcallk(L, args.length, 1, 0, 0, 0);
    try {
      if (rc !== LUA_OK) throw new LuaCallError(rc, this.readString(-1)?.toString('utf8') ?? '(error object is not a string)');
      const out = this.readString(-1);
      if (out === undefined) throw new LuaCallError(-1, `prelude ${name} returned no string`);
      return out;
    } finally {
      this.raw._lua_settop(L, 0);
    }
  }

  /**
   * Compiles `source` as the chunk `chunkName` (no '@': messages show `[string "name"]`) and runs its
   * top level under the execution bound, like the server's udf-put validation. Returns undefined
   * when it compiles and runs, else the Lua status (3 syntax, 2 runtime, 4 memory) and message
   * (undefined when the error object is not a string or number).
   */
  validate(chunkName: string, source: Buffer, instructionLimit: number, timeLimitMs: number): { rc: number; message: Buffer | undefined } | undefined {
    const L = this.L;
    try {
      this.pushEntry('validate');
      const rc = this.load(source, chunkName);
      if (rc !== LUA_OK) return { rc, message: this.readString(-1) };
      this.push(BigInt(instructionLimit));
      this.push(timeLimitMs / 1000);
      const prc = this.raw._lua_pcallk(L, 3, 1, 0, 0, 0);
      if (prc !== LUA_OK) return { rc: prc, message: this.readString(-1) };
      const out = this.readString(-1) ?? Buffer.alloc(0);
      if (out.length === 0) return undefined;
      return { rc: 2, message: out[0] === 0x73 /* 's' */ ? out.subarray(1) : undefined };
    } finally {
      this.raw._lua_settop(L, 0);
    }
  }

  /** Bytes of Lua memory in use. */
  memoryUsed(): number {
    return this.engine.global.getMemoryUsed();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.engine.global.close();
    if (this.scratch) this.raw._free(this.scratch);
    if (this.lenPtr) this.raw._free(this.lenPtr);
    this.scratch = this.lenPtr = 0;
  }

  private pushEntry(name: string): void {
    const w = lua();
    let ref = this.entryRefs.get(name);
    if (ref === undefined) {
      w.lua_rawgeti(this.L, LUA_REGISTRYINDEX, BigInt(this.iref));
      w.lua_getfield(this.L, -1, name);
      ref = w.luaL_ref(this.L, LUA_REGISTRYINDEX);
      this.raw._lua_settop(this.L, -2);
      this.entryRefs.set(name, ref);
    }
    w.lua_rawgeti(this.L, LUA_REGISTRYINDEX, BigInt(ref));
  }

  private push(a: LuaArg): void {
    const w = lua();
    if (typeof a === 'bigint') w.lua_pushinteger(this.L, a);
    else if (typeof a === 'number') w.lua_pushnumber(this.L, a);
    else this.pushBytes(typeof a === 'string' ? Buffer.from(a, 'utf8') : a);
  }

  private pushBytes(b: Buffer): void {
    const raw = this.raw;
    if (b.length > this.scratchSize) {
      if (this.scratch) raw._free(this.scratch);
      this.scratchSize = Math.max(256, b.length * 2);
      this.scratch = raw._malloc(this.scratchSize);
    } else if (!this.scratch) {
      this.scratchSize = 256;
      this.scratch = raw._malloc(this.scratchSize);
    }
    raw.HEAPU8.set(b, this.scratch);
    raw._lua_pushlstring(this.L, this.scratch, b.length);
  }

  private load(source: Buffer, chunkName: string): number {
    const raw = this.raw;
    const name = Buffer.from(`${chunkName}\0`, 'utf8');
    const mode = Buffer.from('t\0', 'latin1');
    const p = raw._malloc(source.length + name.length + mode.length);
    try {
      raw.HEAPU8.set(source, p);
      raw.HEAPU8.set(name, p + source.length);
      raw.HEAPU8.set(mode, p + source.length + name.length);
      return raw._luaL_loadbufferx(this.L, p, source.length, p + source.length, p + source.length + name.length);
    } finally {
      raw._free(p);
    }
  }

  /** The string (or number, converted by Lua) at `idx`, as bytes; undefined for other types. */
  private readString(idx: number): Buffer | undefined {
    const raw = this.raw;
    const t = raw._lua_type(this.L, idx);
    if (t !== 3 /* number */ && t !== 4 /* string */) return undefined;
    if (!this.lenPtr) this.lenPtr = raw._malloc(4);
    const p = raw._lua_tolstring(this.L, idx, this.lenPtr);
    if (p === 0) return undefined;
    const n = raw.HEAPU32[this.lenPtr >>> 2]!;
    return Buffer.from(raw.HEAPU8.subarray(p, p + n));
  }

  private popError(): string {
    const s = this.readString(-1);
    this.raw._lua_settop(this.L, 0);
    return s ? s.toString('utf8') : '(error object is not a string)';
  }
}

/** Lua status codes the callers care about. */
export const LuaStatus = { OK: LUA_OK, ERRRUN: 2, ERRSYNTAX: LUA_ERRSYNTAX, ERRMEM: LUA_ERRMEM } as const;

/** Least-recently-used set of states, keyed by module file and version. */
export class LuaStatePool {
  private readonly states = new Map<string, { version: number; state: LuaState | null }>();

  constructor(private readonly max = MAX_LUA_STATES) {}

  /**
   * The state for `file` at `version`, created with `create` when missing or stale. A `null` from
   * `create` (the module failed to load) is remembered for that version too.
   */
  get(file: string, version: number, create: () => LuaState | null): LuaState | null {
    const hit = this.states.get(file);
    if (hit && hit.version === version) {
      this.states.delete(file);
      this.states.set(file, hit);
      return hit.state;
    }
    if (hit) {
      hit.state?.close();
      this.states.delete(file);
    }
    const state = create();
    this.states.set(file, { version, state });
    while (this.states.size > this.max) {
      const [oldest, entry] = this.states.entries().next().value as [string, { state: LuaState | null }];
      entry.state?.close();
      this.states.delete(oldest);
    }
    return state;
  }

  /** Closes and forgets the state of one module (after an error left it in doubt). */
  drop(file: string): void {
    const hit = this.states.get(file);
    if (!hit) return;
    hit.state?.close();
    this.states.delete(file);
  }

  clear(): void {
    for (const { state } of this.states.values()) state?.close();
    this.states.clear();
  }

  get size(): number {
    return this.states.size;
  }
}
