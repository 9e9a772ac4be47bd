// The one Lua debug hook of a VM: a shared dispatcher for the timeout check (count events) and line listeners
// (coverage now; the debugger later). Lua has one hook slot per thread, so every user of it goes through here.
//
//   lua_sethook(state, dispatcher, mask, 1000)       threads made later inherit hook, mask and count
//     count event (every 1000 instructions) -> onCount(L)            always installed (timeout, time slices)
//     line event                            -> each line listener (coverage, debugger), only while one is added
//
// Without a line listener the mask is the count mask alone: no per-line crossing into JS, so coverage costs
// nothing when it is off. Add listeners before the VM creates its threads (a thread keeps the mask it was
// made with).
import type { LuaWasm } from 'wasmoon';

const LUA_MASKLINE = 4;
const LUA_MASKCOUNT = 8;
const LUA_HOOKLINE = 2;
const LUA_HOOKCOUNT = 3;
const COUNT = 1000;

// lua_Debug on wasm32 (Lua 5.4): int event @0, const char *source @16, int currentline @24
const AR_EVENT = 0;
const AR_SOURCE = 16;
const AR_CURRENTLINE = 24;

/**
 * Told about each line a script executes: `source` is its chunk name without the leading '@'; `L` the running
 * thread (the debugger inspects it and may yield from it to pause).
 */
export type LineListener = (source: string, line: number, L?: number) => void;

/** The hook of one Lua state (a VM's main state; its threads inherit it). */
export class LuaHookDispatcher {
  private ptr = 0;
  private listeners: LineListener[] = [];
  /** Chunk names by the address of their interned string (a loaded function keeps its source string alive). */
  private readonly sources = new Map<number, string | null>();
  private readonly what: number;

  /**
   * @param onCount called on every count event with the running thread (may raise a Lua error or yield).
   */
  constructor(private readonly lua: LuaWasm, private readonly state: number, private readonly onCount: (L: number) => void) {
    // the "S" option string lives in wasm memory for the hook's life (the cwrap'd getinfo copies strings per call otherwise)
    this.what = lua.module.stringToNewUTF8('S');
  }

  /** Install the hook (count events only until a line listener is set). */
  install(): void {
    this.ptr = this.lua.module.addFunction((L: number, ar: number) => this.dispatch(L, ar), 'vii');
    this.apply();
  }

  /**
   * Add a line listener (coverage, debugger); returns its removal. Changes the mask of the main state and of the
   * threads made after this.
   */
  addLineListener(listener: LineListener): () => void {
    this.listeners = [...this.listeners, listener];
    if (this.ptr) this.apply();
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
      if (this.ptr) this.apply();
    };
  }

  /** Give thread `L` (made before a listener was added or removed) the hook and mask the main state has now. */
  applyTo(L: number): void {
    if (this.ptr) this.lua.lua_sethook(L, this.ptr, LUA_MASKCOUNT | (this.listeners.length ? LUA_MASKLINE : 0), COUNT);
  }

  get hasLineListener(): boolean {
    return this.listeners.length > 0;
  }

  private apply(): void {
    const mask = LUA_MASKCOUNT | (this.listeners.length ? LUA_MASKLINE : 0);
    this.lua.lua_sethook(this.state, this.ptr, mask, COUNT);
  }

  private dispatch(L: number, ar: number): void {
    const heap = this.lua.module.HEAP32;
    const event = heap[(ar + AR_EVENT) >> 2];
    if (event === LUA_HOOKCOUNT) {
      this.onCount(L);
      return;
    }
    if (event !== LUA_HOOKLINE || this.listeners.length === 0) return;
    const line = heap[(ar + AR_CURRENTLINE) >> 2];
    // lua_getinfo with a string argument goes through cwrap's string copy: call the raw export with our pointer
    (this.lua.module as unknown as { _lua_getinfo(L: number, what: number, ar: number): number })._lua_getinfo(L, this.what, ar);
    const srcPtr = this.lua.module.HEAPU32[(ar + AR_SOURCE) >> 2];
    let source = this.sources.get(srcPtr);
    if (source === undefined) {
      source = this.readSource(srcPtr);
      this.sources.set(srcPtr, source);
    }
    if (source !== null) for (const l of this.listeners) l(source, line, L);
  }

  /** Only file chunks ('@path') are reported; the prelude's and modules' '=[name]' chunks are not. */
  private readSource(ptr: number): string | null {
    const bytes = this.lua.module.HEAPU8;
    if (bytes[ptr] !== 0x40 /* @ */) return null;
    let end = ptr + 1;
    while (bytes[end] !== 0) end++;
    return Buffer.from(bytes.subarray(ptr + 1, end)).toString('utf8');
  }

  /** Remove the hook function from the wasm table (the state must be closed or never run again). */
  dispose(): void {
    if (this.ptr) this.lua.module.removeFunction(this.ptr);
    this.ptr = 0;
    this.lua.module._free(this.what);
  }
}
