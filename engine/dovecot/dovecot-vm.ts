// One wasmoon Lua state set up like Dovecot 2.3's auth Lua: the `dovecot` global, req objects, and entry calls.
//
//   create(host) -> prelude.lua, dovecot-global.lua, dovecot-http.lua, req.lua, dispatch.lua
//               -> call('chunk' | 'init' | 'password_verify' | ... , args)* -> close()
//
// Every call runs in its own Lua thread (wasmoon's run(): async host calls such as HTTP look blocking to
// the script), through the xpcall-based entries of dispatch.lua, never through an unprotected call.
import fs from 'node:fs';
import path from 'node:path';
import { LuaFactory, LuaReturn, LUA_REGISTRYINDEX } from 'wasmoon';
import type { LuaEngine, LuaGlobal } from 'wasmoon';
import { LuaHookDispatcher, type LineListener } from '../lua/line-hook';
import { VmDebugPort, type LineDebugger } from '../lua/debug-port';

/** Ids of Dovecot VMs as debugger threads (apart from the engine's VMs). */
let debugIds = 100_000;

const CHUNKS = ['prelude.lua', 'cjson.lua', 'dovecot-global.lua', 'dovecot-http.lua', 'req.lua', 'dispatch.lua'];

/** The .lua files stay in engine/dovecot/lua/ (tsc does not copy them next to the compiled JS). */
function luaSource(name: string): string {
  const candidates = [path.join(__dirname, 'lua', name), path.join(__dirname, '..', '..', '..', 'engine', 'dovecot', 'lua', name)];
  for (const c of candidates) if (fs.existsSync(c)) return fs.readFileSync(c, 'utf8');
  throw new Error(`Dovecot harness Lua source ${name} not found (looked in ${candidates.join(', ')})`);
}

let sources: Array<[string, string]> | undefined;
let sharedFactory: LuaFactory | undefined;
let sharedModule: Awaited<ReturnType<LuaFactory['getLuaModule']>> | undefined;

/**
 * Put a host file's bytes at `file` in the Lua states' in-memory file system (shared by every Dovecot VM of
 * this process), so `io.open` reads what the host file holds now. Parent folders are created.
 */
export function mountInLuaFs(file: string, content: Uint8Array): void {
  if (!sharedFactory || !sharedModule) throw new Error('no Dovecot Lua state has been created yet');
  sharedFactory.mountFileSync(sharedModule, file, content);
}

/** Names of the entry functions in dispatch.lua. */
export type DovecotEntry = 'chunk' | 'init' | 'deinit' | 'has' | 'password_verify' | 'passdb_lookup' | 'userdb_lookup' | 'userdb_iterate';

/** Raised when a call runs longer than its budget; the VM is closed and must not be used again. */
export class DovecotCallTimeout extends Error {}

/** A Lua state for one loaded Dovecot script. */
export class DovecotVm {
  private readonly engine: LuaEngine;
  private readonly global: LuaGlobal;
  private readonly entriesRef: number;
  private running = 0;
  private closed = false;

  private constructor(engine: LuaEngine, entriesRef: number) {
    this.engine = engine;
    this.global = engine.global;
    this.entriesRef = entriesRef;
  }

  /** Create a state whose Lua side calls `host` (the JS functions named in the .lua files). */
  static async create(host: Record<string, unknown>, lineListener?: LineListener, debug?: LineDebugger): Promise<DovecotVm> {
    sources ??= CHUNKS.map((n) => [n, luaSource(n)]);
    sharedFactory ??= new LuaFactory();
    sharedModule ??= await sharedFactory.getLuaModule();
    const engine = await sharedFactory.createEngine({ traceAllocations: true, enableProxy: false, injectObjects: false });
    const g = engine.global;
    g.set('__dv_host', host);
    g.set('__dv_shared', {});
    for (const [name, src] of sources) runSetupChunk(g, src, `=[dovecot ${name.replace(/\.lua$/, '')}]`);
    const lua = g.lua;
    lua.lua_getglobal(g.address, '__dv_entries');
    const ref = lua.luaL_ref(g.address, LUA_REGISTRYINDEX);
    lua.lua_pushnil(g.address);
    lua.lua_setglobal(g.address, '__dv_entries');
    const vm = new DovecotVm(engine, ref);
    // the state's one hook (inherited by each call's thread): the call's deadline, and coverage when asked for;
    // wasmoon's run({timeout}) would set a hook of its own on the thread and silence the line events
    vm.hook = new LuaHookDispatcher(g.lua, g.address, (L) => {
      if (vm.deadline !== 0 && Date.now() > vm.deadline) {
        g.lua.lua_pushstring(L, 'thread timeout exceeded');
        g.lua.lua_error(L);
      }
    });
    if (lineListener) vm.hook.addLineListener(lineListener);
    // a debugger attached when the script loads sees its lines (the runner loads the script for each run)
    if (debug?.attached) {
      const port = vm.debugPort();
      vm.hook.addLineListener((source, line, L) => debug.onLine(port, L ?? 0, source, line));
    }
    vm.hook.install();
    return vm;
  }

  private port: VmDebugPort | undefined;
  /** The thread of the call running now (a debugger pause yields it). */
  private active = -1;
  /** Set by a debugger pause in the line hook: the call's loop waits for it with the clock stopped. */
  private hold: Promise<void> | undefined;
  private readonly debugId = ++debugIds;
  private callToken: object | null = null;

  private debugPort(): VmDebugPort {
    this.port ??= new VmDebugPort({
      id: this.debugId,
      global: this.global,
      callThreadAddress: () => this.active,
      // in the hook, or on the main state while the call is paused (no deadline then: the debugger's own calls are short)
      protectedCall: (L, nargs, nresults) => this.global.lua.lua_pcallk(L, nargs, nresults, 0, 0, null),
      holdAfterYield: (resumed) => {
        this.hold = resumed;
      },
      currentCall: () => this.callToken,
      label: () => 'dovecot',
      hostCalls: () => [],
    });
    return this.port;
  }

  private hook: LuaHookDispatcher | undefined;
  /** Wall-clock deadline of the running call (0: none); the hook's count handler raises past it. */
  private deadline = 0;

  /** Run one entry of dispatch.lua; resolves with all its results (nil comes back as null). */
  async call(entry: DovecotEntry, args: unknown[], timeoutMs: number, abortHostWork?: () => void): Promise<unknown[]> {
    if (this.closed) throw new Error('the Dovecot script was closed');
    const g = this.global;
    const lua = g.lua;
    const th = g.newThread();
    const thRef = lua.luaL_ref(g.address, LUA_REGISTRYINDEX);
    this.running++;
    let timer: NodeJS.Timeout | undefined;
    try {
      lua.lua_rawgeti(th.address, LUA_REGISTRYINDEX, BigInt(this.entriesRef));
      lua.lua_getfield(th.address, -1, entry);
      lua.lua_rotate(th.address, -2, 1);
      lua.lua_settop(th.address, -2); // drop the entries table, keep the function
      for (const a of args) th.pushValue(a === null ? undefined : a);
      this.deadline = Date.now() + timeoutMs;
      let fire: (e: Error) => void = () => undefined;
      const timedOut = new Promise<never>((_, reject) => {
        fire = reject;
      });
      const arm = (ms: number) => {
        timer = setTimeout(() => fire(new DovecotCallTimeout(`the script ran longer than ${timeoutMs} ms`)), ms + 50);
      };
      arm(timeoutMs);
      // a debugger pause stops the call's clock; the time left is given back on resume
      const holdClock = () => {
        clearTimeout(timer);
        const left = Math.max(0, this.deadline - Date.now());
        this.deadline = 0;
        return () => {
          this.deadline = Date.now() + left;
          arm(left);
        };
      };
      this.active = th.address;
      this.callToken = {};
      const run = this.resumeLoop(th, args.length, holdClock);
      try {
        const out = [...(await Promise.race([run, timedOut]))];
        // the hook's timeout error is a script error the entry's xpcall catches: a call past its deadline failed
        if (Date.now() > this.deadline) throw new DovecotCallTimeout(`the script ran longer than ${timeoutMs} ms`);
        return out;
      } catch (e) {
        if (e instanceof DovecotCallTimeout || /timeout exceeded/i.test(String((e as Error)?.message))) {
          // host work (HTTP) rejects at once when aborted, so the thread stops before the state closes
          abortHostWork?.();
          await run.catch(() => undefined);
          this.close();
          throw new DovecotCallTimeout(`the script ran longer than ${timeoutMs} ms`);
        }
        throw e;
      }
    } finally {
      clearTimeout(timer);
      this.deadline = 0;
      this.active = -1;
      this.callToken = null;
      this.running--;
      if (!this.closed) lua.luaL_unref(g.address, LUA_REGISTRYINDEX, thRef);
      else if (this.running === 0) this.finalClose();
    }
  }

  /**
   * Resume the call's thread until it returns: a host call yields its promise (awaited), a debugger pause yields
   * nothing and waits for its resume. (wasmoon's own run() would resume a pause at once.)
   */
  private async resumeLoop(th: ReturnType<LuaGlobal['newThread']>, nargs: number, holdClock: () => () => void): Promise<unknown[]> {
    const lua = this.global.lua;
    let r = th.resume(nargs);
    while (r.result === LuaReturn.Yield) {
      let wait: unknown;
      if (r.resultCount > 0) {
        wait = th.getValue(-1);
        lua.lua_settop(th.address, -r.resultCount - 1);
      }
      if (wait !== undefined && wait === Promise.resolve(wait)) await wait;
      else if (this.hold) {
        const hold = this.hold;
        this.hold = undefined;
        const restart = holdClock();
        try {
          await hold;
        } finally {
          restart();
        }
      } else await new Promise((resolve) => setImmediate(resolve));
      r = th.resume(0);
    }
    if (r.result !== LuaReturn.Ok) throw new Error(String(lua.lua_tolstring(th.address, -1, null)));
    return th.getStackValues();
  }

  /** Close the state (after any running call has unwound). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.running === 0) this.finalClose();
  }

  private finalClose(): void {
    try {
      this.engine.global.close();
    } catch {
      // closing an engine whose thread was abandoned mid-call can throw; the state is gone either way
    }
    this.hook?.dispose();
    this.hook = undefined;
    this.port?.dispose();
  }
}

function runSetupChunk(g: LuaGlobal, src: string, chunkname: string): void {
  const top = g.getTop();
  g.loadString(src, chunkname);
  const rc = g.lua.lua_pcallk(g.address, 0, 0, 0, 0, null);
  if (rc !== 0) {
    const msg = String(g.getValue(-1));
    g.setTop(top);
    throw new Error(`Dovecot harness setup failed in ${chunkname}: ${msg}`);
  }
  g.setTop(top);
}
