// The Lua C API without Emscripten's `ccall` on the hot path.
//
// wasmoon binds every C function with `cwrap` -> `ccall`: each call looks the export up by name, allocates an
// argument-converter object and an argument array, and converts the result through a closure (about 0.25 µs a
// call on the build machine; a login makes about 150 of them). This replaces, on one LuaWasm instance (shared by
// every VM of a process), the functions whose arguments are numbers with the module's exports themselves, and the
// string-taking and string-returning ones with direct writes and reads of wasm memory:
//
//   - string arguments are written into a scratch arena (UTF-8, NUL-terminated), a frame per nesting level: a
//     host function that Lua calls from inside lua_getfield (an __index) gets its own bytes above the caller's;
//   - returned strings are read up to the first NUL, as wasmoon's UTF8ToString does (so every caller sees the
//     same text as before), and decoded with TextDecoder (invalid bytes become U+FFFD, as wasmoon already did for
//     strings over 16 bytes);
//   - lua_pushstring / lua_pushlstring return nothing: wasmoon decoded the copy Lua made back into a JS string
//     that no caller read.
//
// Semantics are otherwise wasmoon's: same arguments, same return values, same errors.
import { LuaFactory, type LuaWasm } from 'wasmoon';

interface EmscriptenModule {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  _realloc?: unknown;
  [k: string]: unknown;
}

type Sig = [ret: 'number' | 'string' | null, args: readonly ('number' | 'string' | 'string|number')[]];

const installed = new WeakSet<object>();
/** The wasm instance's own exports per LuaWasm module object, when createLuaFactory() saw it instantiated. */
const rawExports = new WeakMap<object, Record<string, unknown>>();

/**
 * A LuaFactory whose wasm exports are known: Emscripten binds each export behind a wrapper that asserts the runtime
 * is up and looks the function up by name on every call (about 5% of a login). wasmoon offers no hook to
 * instantiate the module itself, so WebAssembly.instantiate is watched while this factory's module is created (the
 * instance whose exports include `lua_newstate` and `memory`) and restored as soon as it is.
 */
export function createLuaFactory(): LuaFactory {
  const wasm = (globalThis as unknown as { WebAssembly: { instantiate: (...a: unknown[]) => Promise<unknown> } }).WebAssembly;
  const original = wasm.instantiate;
  let seen: Record<string, unknown> | undefined;
  const watch = function (this: unknown, ...args: unknown[]) {
    const p = original.apply(wasm, args);
    return p.then((r) => {
      const exports = (r as { instance?: { exports: Record<string, unknown> } })?.instance?.exports;
      if (exports && typeof exports.lua_newstate === 'function' && exports.memory) seen = exports;
      return r;
    });
  };
  wasm.instantiate = watch;
  const factory = new LuaFactory();
  void factory.getLuaModule().then(
    (lua) => {
      if (seen) rawExports.set(lua.module as object, seen);
    },
    () => undefined,
  ).finally(() => {
    if (wasm.instantiate === watch) wasm.instantiate = original;
  });
  return factory;
}
const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();

/** Functions replaced, with wasmoon's own signatures (its `cwrap` calls). */
const SIGNATURES: Record<string, Sig> = {
  lua_absindex: ['number', ['number', 'number']],
  lua_gettop: ['number', ['number']],
  lua_settop: [null, ['number', 'number']],
  lua_pushvalue: [null, ['number', 'number']],
  lua_rotate: [null, ['number', 'number', 'number']],
  lua_copy: [null, ['number', 'number', 'number']],
  lua_checkstack: ['number', ['number', 'number']],
  lua_xmove: [null, ['number', 'number', 'number']],
  lua_isnumber: ['number', ['number', 'number']],
  lua_isinteger: ['number', ['number', 'number']],
  lua_isuserdata: ['number', ['number', 'number']],
  lua_type: ['number', ['number', 'number']],
  lua_tonumberx: ['number', ['number', 'number', 'number']],
  lua_tointegerx: ['number', ['number', 'number', 'number']],
  lua_toboolean: ['number', ['number', 'number']],
  lua_rawlen: ['number', ['number', 'number']],
  lua_touserdata: ['number', ['number', 'number']],
  lua_tothread: ['number', ['number', 'number']],
  lua_topointer: ['number', ['number', 'number']],
  lua_rawequal: ['number', ['number', 'number', 'number']],
  lua_pushnil: [null, ['number']],
  lua_pushnumber: [null, ['number', 'number']],
  lua_pushinteger: [null, ['number', 'number']],
  lua_pushboolean: [null, ['number', 'number']],
  lua_pushlightuserdata: [null, ['number', 'number']],
  lua_pushcclosure: [null, ['number', 'number', 'number']],
  lua_gettable: ['number', ['number', 'number']],
  lua_geti: ['number', ['number', 'number', 'number']],
  lua_rawget: ['number', ['number', 'number']],
  lua_rawgeti: ['number', ['number', 'number', 'number']],
  lua_createtable: [null, ['number', 'number', 'number']],
  lua_newuserdatauv: ['number', ['number', 'number', 'number']],
  lua_getmetatable: ['number', ['number', 'number']],
  lua_getiuservalue: ['number', ['number', 'number', 'number']],
  lua_settable: [null, ['number', 'number']],
  lua_seti: [null, ['number', 'number', 'number']],
  lua_rawset: [null, ['number', 'number']],
  lua_rawseti: [null, ['number', 'number', 'number']],
  lua_setmetatable: ['number', ['number', 'number']],
  lua_setiuservalue: ['number', ['number', 'number', 'number']],
  lua_pcallk: ['number', ['number', 'number', 'number', 'number', 'number', 'number']],
  lua_callk: [null, ['number', 'number', 'number', 'number', 'number']],
  lua_status: ['number', ['number']],
  lua_next: ['number', ['number', 'number']],
  lua_resume: ['number', ['number', 'number', 'number', 'number']],
  lua_isyieldable: ['number', ['number']],
  lua_yieldk: ['number', ['number', 'number', 'number', 'number']],
  lua_newthread: ['number', ['number']],
  lua_error: ['number', ['number']],
  lua_len: [null, ['number', 'number']],
  luaL_ref: ['number', ['number', 'number']],
  luaL_unref: [null, ['number', 'number', 'number']],
  luaL_len: ['number', ['number', 'number']],
  lua_pushstring: [null, ['number', 'string|number']],
  lua_pushlstring: [null, ['number', 'string|number', 'number']],
  lua_getfield: ['number', ['number', 'number', 'string']],
  lua_setfield: [null, ['number', 'number', 'string']],
  lua_getglobal: ['number', ['number', 'string']],
  lua_setglobal: [null, ['number', 'string']],
  luaL_getmetafield: ['number', ['number', 'number', 'string']],
  luaL_testudata: ['number', ['number', 'number', 'string']],
  luaL_checkudata: ['number', ['number', 'number', 'string']],
  luaL_setmetatable: [null, ['number', 'string']],
  luaL_newmetatable: ['number', ['number', 'string']],
  lua_tolstring: ['string', ['number', 'number', 'number']],
  luaL_tolstring: ['string', ['number', 'number', 'number']],
  lua_typename: ['string', ['number', 'number']],
};

/** Bytes of the scratch arena for string arguments; a longer string gets its own allocation for the call. */
const ARENA_BYTES = 64 * 1024;

/**
 * Replace wasmoon's `ccall` bindings on `lua` (idempotent). Functions not in the table keep wasmoon's binding; a
 * module whose export is missing keeps it too (checked once, here).
 */
export function installFastApi(lua: LuaWasm): void {
  if (installed.has(lua)) return;
  installed.add(lua);
  const m = lua.module as unknown as EmscriptenModule;
  const arena = m._malloc(ARENA_BYTES);
  // string arguments: ASCII up to this length is written byte by byte (TextEncoder's call costs more for short ones)
  const SHORT = 48;
  if (!arena) return;
  let top = arena; // next free byte of the arena: frames are taken and given back in call order

  /** Write `s` as a C string (in the arena when it fits, else malloc'ed); returns its address. */
  const put = (s: string): number => {
    const room = arena + ARENA_BYTES - top;
    // UTF-16 code units -> at most 3 bytes each in UTF-8 (a surrogate pair, two units, is 4 bytes)
    if (s.length < SHORT && s.length < room) {
      const heap = m.HEAPU8;
      const at = top;
      let i = 0;
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 127) break;
        heap[at + i] = c;
      }
      if (i === s.length) {
        heap[at + i] = 0;
        top = at + i + 1;
        return at;
      }
    }
    if (s.length * 3 + 1 <= room) {
      const at = top;
      const { written } = encoder.encodeInto(s, m.HEAPU8.subarray(at, at + room - 1));
      m.HEAPU8[at + written] = 0;
      top = at + written + 1;
      return at;
    }
    const bytes = encoder.encode(s);
    const p = m._malloc(bytes.length + 1);
    if (!p) throw new Error('out of memory writing a string argument');
    m.HEAPU8.set(bytes, p);
    m.HEAPU8[p + bytes.length] = 0;
    return p;
  };
  /** Give back what put() took for `p` (arena frames above `mark` are released; a malloc'ed string is freed). */
  const release = (p: number, mark: number): void => {
    if (p >= arena && p < arena + ARENA_BYTES) top = mark;
    else m._free(p);
  };
  const text = (p: number): string => {
    if (!p) return '';
    const heap = m.HEAPU8;
    const end = heap.indexOf(0, p);
    const stop = end < 0 ? heap.length : end;
    if (stop - p <= 16) {
      let ascii = '';
      for (let i = p; i < stop; i++) {
        const c = heap[i];
        if (c >= 128) return decoder.decode(heap.subarray(p, stop));
        ascii += String.fromCharCode(c);
      }
      return ascii;
    }
    return decoder.decode(heap.subarray(p, stop));
  };

  const target = lua as unknown as Record<string, unknown>;
  const exports = rawExports.get(m);
  // wasmoon's allocator (traceAllocations: the heap cap) calls these for every Lua allocation
  if (typeof exports?.realloc === 'function') m._realloc = exports.realloc;
  if (typeof exports?.free === 'function') m._free = exports.free as (p: number) => void;
  for (const [name, [ret, args]] of Object.entries(SIGNATURES)) {
    const raw = (exports?.[name] ?? m['_' + name]) as ((...a: unknown[]) => number) | undefined;
    if (typeof raw !== 'function') continue;
    const stringArgs = args.map((a, i) => (a === 'number' ? -1 : i)).filter((i) => i >= 0);
    if (stringArgs.length === 0 && ret !== 'string') {
      target[name] = raw;
      continue;
    }
    if (stringArgs.length === 0) {
      target[name] = (...a: unknown[]) => text(raw(...a));
      continue;
    }
    // one string argument in every replaced function
    const si = stringArgs[0];
    target[name] = (...a: unknown[]) => {
      const v = a[si];
      if (typeof v !== 'string') {
        const r = raw(...a);
        return ret === 'string' ? text(r) : ret === null ? undefined : r;
      }
      const mark = top;
      const p = put(v);
      a[si] = p;
      try {
        const r = raw(...a);
        return ret === 'string' ? text(r) : ret === null ? undefined : r;
      } finally {
        release(p, mark);
      }
    };
  }
}
