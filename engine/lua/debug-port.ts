// What a VM offers a debugger (engine/debug/): line events with the running thread, pausing by a yield from the
// line hook, and the frame inspector (debugger.lua) run in protected calls.
//
//   line hook (thread L) -> LineDebugger.onLine(port, L, source, line)
//       condition / log message: port.evalInHook(L, expr)      (level 0 of L, read in the hook itself)
//       stop:                    port.pause(L) -> captures L's frames, marks a yield; the VM's resume loop then
//                                awaits the resume while the call's timeout clock stands still
//   paused: port.frames(), port.scope(...), port.children(ref), port.evaluate(frame, expr) on the main state
//
// Frames are captured inside the hook: once the thread has yielded, Lua has stepped its saved pc back one
// instruction, so the top frame's current line (and which locals are active) would be read wrong afterwards.
import fs from 'node:fs';
import path from 'node:path';
import { LUA_REGISTRYINDEX, type LuaGlobal } from 'wasmoon';

/** The engine-wide debugger a VM reports its lines to (engine/debug/debugger.ts). */
export interface LineDebugger {
  /** Whether VMs should report lines now (a client is attached). Read once per call, so cheap to keep false. */
  readonly attached: boolean;
  /** A workspace line is about to run on `port`'s VM in thread `L`. */
  onLine(port: VmDebugPort, L: number, source: string, line: number): void;
  /** The call on thread L stopped with an error: resolves when the call may report it (at once unless paused). */
  onError(port: VmDebugPort, L: number, message: string): Promise<void> | undefined;
}

/** One row of the Variables view; `ref` > 0 can be expanded with children(). */
export interface DebugValue {
  name: string;
  type: string;
  value: string;
  ref: number;
}

/** A frame of a paused request, outermost last. */
export interface DebugFrame {
  index: number;
  source: string;
  line: number;
  name: string;
}

export type ScopeKind = 'locals' | 'upvalues' | 'globals' | 'request';

const DEBUGGER_LUA = fs.readFileSync(findSource('debugger.lua'), 'utf8');

function findSource(name: string): string {
  const candidates = [path.join(__dirname, 'prelude', name), path.join(__dirname, '..', '..', '..', 'engine', 'lua', 'prelude', name)];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(`Lua prelude ${name} not found (looked in ${candidates.join(', ')})`);
}

/** What the VM lends its port: protected calls with a deadline, and the hand-over of a pause. */
export interface PortHost {
  readonly id: number;
  readonly global: LuaGlobal;
  /** The VM's call thread: the only thread a pause may yield (a script's own coroutine cannot). */
  callThreadAddress(): number;
  /** Run a loaded function on L in protected mode with a deadline; returns lua_pcall's status. */
  protectedCall(L: number, nargs: number, nresults: number): number;
  /** The VM's resume loop waits for `resumed` before it resumes the thread (the yield follows the hook). */
  holdAfterYield(resumed: Promise<void>): void;
  /** The request (or hook call) running now: stepping ends with it. */
  currentCall(): object | null;
  /** A name for the paused request in a thread list (pool and session). */
  label(): string;
  /** Events the request's host calls made so far (Redis, HTTP, ...). */
  hostCalls(): Array<{ kind: string; at_ms: number; detail: Record<string, unknown> }>;
}

const AR_SIZE = 128; // sizeof(lua_Debug) on wasm32 is 108

export class VmDebugPort {
  private loaded = false;
  private ar = 0;
  /** The captured frames of the pause in progress (a registry reference), 0 when not paused. */
  private framesRef = 0;
  private frameList: DebugFrame[] = [];

  constructor(readonly host: PortHost) {}

  get vmId(): number {
    return this.host.id;
  }

  /** The number of frames on thread L (called in the hook: the stepping depth). */
  depth(L: number): number {
    const lua = this.host.global.lua;
    this.ar ||= lua.module._malloc(AR_SIZE);
    let n = 0;
    while (lua.lua_getstack(L, n, this.ar)) n++;
    return n;
  }

  /** Whether a pause may yield L now: the call's own thread, not inside a C call or a script's coroutine. */
  canPause(L: number): boolean {
    return L === this.host.callThreadAddress() && this.host.global.lua.lua_isyieldable(L) !== 0;
  }

  /** Evaluate `expr` in the frame running on L (inside the hook). Returns [ok, value text or error]. */
  evalInHook(L: number, expr: string): { ok: boolean; value: unknown } {
    const frames = this.captureOn(L, 1);
    if (!frames) return { ok: false, value: 'cannot read the frame' };
    try {
      return this.helperOn(L, 'eval_top', [new RegistryRef(frames), expr], (n) => this.readEval(L, n));
    } finally {
      this.host.global.lua.luaL_unref(L, LUA_REGISTRYINDEX, frames);
    }
  }

  /** Pause the call on L: capture its frames, mark the yield; `resumed` lets it go on. Only when canPause(L). */
  pause(L: number, resumed: Promise<void>): DebugFrame[] {
    const lua = this.host.global.lua;
    const ref = this.captureOn(L, undefined);
    this.framesRef = ref ?? 0;
    this.frameList = ref ? this.readFrames() : [];
    this.host.holdAfterYield(resumed.then(() => this.release()));
    lua.lua_yieldk(L, 0, 0, null); // in a hook this only marks the yield; Lua yields when the hook returns
    return this.frameList;
  }

  /**
   * Hold a call whose thread L just stopped with an error (its stack is still there): capture its frames from the
   * main state; the caller waits for `resumed` before it reports the error.
   */
  holdAfterError(L: number, resumed: Promise<void>): DebugFrame[] {
    this.ensureLoaded();
    const g = this.host.global;
    const lua = g.lua;
    const top = g.getTop();
    lua.lua_getfield(g.address, LUA_REGISTRYINDEX, '__as_debugger');
    lua.lua_getfield(g.address, -1, 'capture');
    lua.lua_rotate(g.address, -2, 1);
    lua.lua_settop(g.address, -2);
    lua.lua_pushinteger(g.address, BigInt(0));
    lua.lua_pushnil(g.address);
    lua.lua_pushthread(L);
    lua.lua_xmove(L, g.address, 1);
    if (this.host.protectedCall(g.address, 3, 1) !== 0) {
      g.setTop(top);
      return [];
    }
    this.framesRef = lua.luaL_ref(g.address, LUA_REGISTRYINDEX);
    g.setTop(top);
    this.frameList = this.readFrames();
    void resumed.then(() => this.release());
    return this.frameList;
  }

  get frames(): DebugFrame[] {
    return this.frameList;
  }

  /** The variables of one scope of a paused frame. */
  scope(frame: number, kind: ScopeKind): DebugValue[] {
    if (!this.framesRef) return [];
    if (kind === 'request') {
      return this.rows(this.callMain('request_children', [new RegistryRef(this.framesRef)]));
    }
    return this.rows(this.callMain(kind, [new RegistryRef(this.framesRef), frame]));
  }

  children(ref: number): DebugValue[] {
    if (!this.framesRef) return [];
    return this.rows(this.callMain('children', [ref]));
  }

  /** A watch or console expression in a paused frame (its locals, upvalues, then globals). */
  evaluate(frame: number, expr: string): { ok: boolean; result: DebugValue | string } {
    if (!this.framesRef) return { ok: false, result: 'not paused' };
    const out = this.callMain('eval_describe', [new RegistryRef(this.framesRef), frame, expr]) as { ok?: boolean; row?: DebugValue; err?: string } | undefined;
    if (!out || !out.ok) return { ok: false, result: String(out?.err ?? 'evaluation failed') };
    return { ok: true, result: out.row as DebugValue };
  }

  hostCalls(): ReturnType<PortHost['hostCalls']> {
    return this.host.hostCalls();
  }

  private rows(v: unknown): DebugValue[] {
    if (!Array.isArray(v)) return v && typeof v === 'object' ? Object.values(v as Record<string, DebugValue>) : [];
    return v as DebugValue[];
  }

  private release(): void {
    if (!this.framesRef) return;
    const g = this.host.global;
    g.lua.luaL_unref(g.address, LUA_REGISTRYINDEX, this.framesRef);
    this.framesRef = 0;
    this.frameList = [];
    this.callMain('release', []);
  }

  private ensureLoaded(): void {
    if (this.loaded) return;
    const g = this.host.global;
    const top = g.getTop();
    g.loadString(DEBUGGER_LUA, '=[authstudio debugger]');
    g.lua.lua_getfield(g.address, LUA_REGISTRYINDEX, '__as_debug_lib');
    const rc = this.host.protectedCall(g.address, 1, 0);
    const err = rc === 0 ? undefined : String(g.getValue(-1));
    g.setTop(top);
    if (err) throw new Error(`debugger.lua: ${err}`);
    this.loaded = true;
  }

  /** Capture frames of L from level 0 (in the hook), anchored in the registry. */
  private captureOn(L: number, max: number | undefined): number | undefined {
    this.ensureLoaded();
    const lua = this.host.global.lua;
    const top = lua.lua_gettop(L);
    lua.lua_getfield(L, LUA_REGISTRYINDEX, '__as_debugger');
    lua.lua_getfield(L, -1, 'capture');
    lua.lua_rotate(L, -2, 1);
    lua.lua_settop(L, -2); // capture
    // level 1 of the helper's getinfo is capture itself; +1 inside it: the hooked function is the next one up
    lua.lua_pushinteger(L, BigInt(1));
    if (max === undefined) lua.lua_pushnil(L);
    else lua.lua_pushinteger(L, BigInt(max));
    if (this.host.protectedCall(L, 2, 1) !== 0) {
      lua.lua_settop(L, top);
      return undefined;
    }
    return lua.luaL_ref(L, LUA_REGISTRYINDEX);
  }

  private helperOn<T>(L: number, name: string, args: unknown[], read: (nresults: number) => T): T {
    const lua = this.host.global.lua;
    const top = lua.lua_gettop(L);
    try {
      lua.lua_getfield(L, LUA_REGISTRYINDEX, '__as_debugger');
      lua.lua_getfield(L, -1, name);
      lua.lua_rotate(L, -2, 1);
      lua.lua_settop(L, -2);
      for (const a of args) this.pushArg(L, a);
      const rc = this.host.protectedCall(L, args.length, 2);
      if (rc !== 0) return read(-1);
      return read(2);
    } finally {
      lua.lua_settop(L, top);
    }
  }

  private readEval(L: number, n: number): { ok: boolean; value: unknown } {
    const lua = this.host.global.lua;
    if (n < 0) return { ok: false, value: String(lua.lua_tolstring(L, -1, null)) };
    const ok = lua.lua_toboolean(L, -2) !== 0;
    const t = lua.lua_type(L, -1);
    let value: unknown;
    if (t === 1) value = lua.lua_toboolean(L, -1) !== 0;
    else if (t === 3 || t === 4) value = String(lua.lua_tolstring(L, -1, null));
    else if (t <= 0) value = undefined;
    else value = `(${lua.lua_typename(L, t)})`;
    return { ok, value };
  }

  private pushArg(L: number, a: unknown): void {
    const lua = this.host.global.lua;
    if (a instanceof RegistryRef) lua.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(a.ref));
    else if (typeof a === 'number') lua.lua_pushinteger(L, BigInt(a));
    else if (typeof a === 'string') lua.lua_pushstring(L, a);
    else lua.lua_pushnil(L);
  }

  /** Call a helper on the main state (while the call's thread is suspended); returns its first result as JS. */
  private callMain(name: string, args: unknown[]): unknown {
    this.ensureLoaded();
    const g = this.host.global;
    const lua = g.lua;
    const top = g.getTop();
    try {
      lua.lua_getfield(g.address, LUA_REGISTRYINDEX, '__as_debugger');
      lua.lua_getfield(g.address, -1, name);
      lua.lua_rotate(g.address, -2, 1);
      lua.lua_settop(g.address, -2);
      for (const a of args) this.pushArg(g.address, a);
      if (this.host.protectedCall(g.address, args.length, 1) !== 0) return undefined;
      return g.getValue(-1);
    } finally {
      g.setTop(top);
    }
  }

  private readFrames(): DebugFrame[] {
    const raw = this.callMain('frame_list', [new RegistryRef(this.framesRef)]);
    const list = Array.isArray(raw) ? raw : raw && typeof raw === 'object' ? Object.values(raw) : [];
    return (list as DebugFrame[]).filter((f) => f && typeof f.source === 'string');
  }

  /** Free the port's memory (the VM is closing). */
  dispose(): void {
    if (this.ar) this.host.global.lua.module._free(this.ar);
    this.ar = 0;
  }
}

class RegistryRef {
  constructor(readonly ref: number) {}
}
