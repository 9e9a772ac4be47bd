// One Lua VM (a wasmoon engine): sandboxed, with host modules, scripts loaded once, calls run with a timeout.
//
//   create() -> prelude (sandbox, shims, require/dynamic_loader) -> loadScript()* -> dispatch()* -> close()
//                                                                       |
//                              a call that errors, times out or runs out of memory marks the VM `broken`;
//                              the pool then replaces it (a broken VM never serves another request).
//
//   guards.lua (after the prelude): a call past its deadline cannot catch its own timeout; script __gc never runs.
//   Every entry into Lua (enterLua) caps the heap and publishes its deadline to the run beacon: on a pipeline
//   worker thread the engine's watchdog ends the thread if a C call (string.find) keeps it past the deadline.
import fs from 'node:fs';
import path from 'node:path';
import { LuaFactory, LuaEngine, LUA_REGISTRYINDEX, LuaMultiReturn, LuaReturn } from 'wasmoon';
import type { LuaGlobal } from 'wasmoon';
import { AuthStudioError } from '../errors/registry';
import type { ModuleHost } from './module';
import { StageAbort, type CallContext } from './call-context';
import { isNauthilus3, type EngineServices } from './services';
import { moduleByName, resolveLegacyLoaderName } from './modules/index';
import { parseLuaError, parseTraceback, type LuaFrame } from './lua-error';
import { runBeacon } from './run-beacon';
import { HostFiles } from './host-files';
import { nauthilusPackagePath, searchTemplates } from './package-path';
import { goShortestG, luaNumberText } from './go-number';
import { LuaHookDispatcher, type LineListener } from './line-hook';
import { VmDebugPort } from './debug-port';
import { createLuaFactory, installFastApi } from './fast-api';
import type { ShapedLuaRequest } from '../pipeline/lua-request';

// the builtin globals run inside the prelude's scope, where `host` is still visible
const PRELUDE =
  fs.readFileSync(findLuaSource('prelude.lua'), 'utf8') +
  '\n;(function(...)\n' + fs.readFileSync(findLuaSource('builtin.lua'), 'utf8') + '\nend)(host)\n' +
  fs.readFileSync(findLuaSource('script-env.lua'), 'utf8');
// run after the prelude: they wrap the globals each script's environment is copied from (script-env.lua)
const GUARDS = fs.readFileSync(findLuaSource('guards.lua'), 'utf8');
// lua_allow_io: `io` and os.remove/rename/tmpname on the real file system (host-files.ts)
const IO_LIB = fs.readFileSync(findLuaSource('io.lua'), 'utf8');

function findLuaSource(name: string): string {
  // engine/lua/vm.ts compiles to dist/engine/lua/vm.js; the .lua files stay in engine/lua/prelude/
  const candidates = [path.join(__dirname, 'prelude', name), path.join(__dirname, '..', '..', '..', 'engine', 'lua', 'prelude', name)];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(`Lua prelude ${name} not found (looked in ${candidates.join(', ')})`);
}

let sharedFactory: LuaFactory | undefined;
/** One factory per process: engines share its wasm module (a further engine costs ~1 ms). */
function factory(): LuaFactory {
  sharedFactory ??= createLuaFactory();
  return sharedFactory;
}

export interface VmOptions {
  poolName: string;
  services: EngineServices;
  /** Bytes of Lua heap this VM may use beyond what its scripts need after loading. */
  memoryLimitBytes: number;
  allowIo: boolean;
  /** `package.path` templates for require of user modules. */
  packagePath?: string;
  /** lua_script_timeout: also bounds closing the VM (reported to the run beacon). Default 1000 ms. */
  scriptTimeoutMs?: number;
  /** Told about every line of a workspace file this VM runs (coverage). Unset: no line events at all. */
  lineListener?: LineListener;
}

/** A script compiled into this VM: its private environment lives in the Lua registry. */
export interface LoadedScript {
  displayPath: string;
  envRef: number;
}

export type DispatchKind = 'feature' | 'filter' | 'action' | 'verify' | 'list_accounts' | 'add_totp' | 'backend_command' | 'cache_flush' | 'hook' | 'init' | 'call';

let vmCounter = 0;
/** A script running longer than this yields to the event loop, so other requests go on meanwhile. */
const TIME_SLICE_MS = 10;

export class LuaVm implements ModuleHost {
  readonly id = ++vmCounter;
  readonly poolName: string;
  readonly services: EngineServices;
  /** server.lua_allow_io (ModuleHost): modules that touch host files check it. */
  get allowIo(): boolean {
    return this.options.allowIo;
  }
  call: CallContext | null = null;
  /** Set after an error, timeout or OOM: the VM must not serve again. */
  broken = false;
  /** How many calls this VM has run (for stats). */
  calls = 0;
  private readonly global: LuaGlobal;
  private readonly options: VmOptions;
  private readonly scripts = new Map<string, LoadedScript>();
  private closed = false;
  private running = 0;
  /** Result of the last async host call, handed to Lua by host.take() after the thread resumes. */
  private settled: { ok: true; value: unknown } | { ok: false; error: string } | undefined;
  /** Wall-clock deadline (ms) of the running call; the count hook raises once it passes. */
  private deadline = 0;
  private hook: LuaHookDispatcher | undefined;
  /** When the running call last got the CPU (start or last time-slice yield). */
  private sliceStart = 0;
  /** Heap cap while Lua runs (0: none yet). Host-side pushes run uncapped: an allocation failure there is unprotected. */
  private memoryCap = 0;
  /** The VM's open files (lua_allow_io only): closed with the VM. */
  private files: HostFiles | undefined;
  /** The real `tostring`, anchored: turns an error object into text in protected mode. */
  private tostringRef = 0;
  /** Nesting of enterLua: inside it (a hook), the debugger's helpers run without a second entry. */
  private inLua = 0;
  /** The debugger's view of this VM (made when a debugger first attaches) and its line listener's removal. */
  private port: VmDebugPort | undefined;
  private debugLinesOff: (() => void) | undefined;
  /** Set by a debugger pause in the line hook: the resume loop waits for it (the call's clock stands still). */
  private hold: Promise<void> | undefined;
  /** Stop and restart the running call's timeout clock (set by runThread). */
  private holdClock: (() => () => void) | undefined;

  private constructor(engine: LuaEngine, options: VmOptions) {
    this.global = engine.global;
    this.options = options;
    this.poolName = options.poolName;
    this.services = options.services;
  }

  /** Create a VM with the sandbox and module loader in place. */
  static async create(options: VmOptions): Promise<LuaVm> {
    const engine = await factory().createEngine({ traceAllocations: true, enableProxy: false, injectObjects: false });
    installFastApi(engine.global.lua);
    const vm = new LuaVm(engine, options);
    vm.installPrelude();
    options.services.vmSetup?.(vm);
    return vm;
  }

  private installPrelude(): void {
    const g = this.global;
    g.set('__as_host', {
      getenv: (name: string) => this.services.getenv(String(name)) ?? undefined,
      allow_io: this.options.allowIo,
      module_names: () => moduleNamesTable(),
      module_raw: (name: string) => this.moduleRaw(name),
      custom_log_add: (key: string, value: string) => {
        this.call?.addLog(String(key), String(value));
      },
      print: (line: string) => {
        const text = String(line);
        process.stdout.write(text + '\n');
        this.call?.record('print', { line: text });
      },
      number_text: (n: number) => luaNumberText(Number(n)),
      float_text: (n: number) => goShortestG(Number(n)),
      // the workspace targets Nauthilus 3.x (config.profile): builtins that differ by version follow 3.0
      nauthilus3: () => isNauthilus3(this.services),
      status_message_set: (msg: string) => {
        if (!this.call) return;
        this.call.statusMessage = String(msg);
        this.call.statusSets++;
      },
      take: () => {
        const settled = this.settled;
        this.settled = undefined;
        if (!settled) return LuaMultiReturn.from([false, 'no host call result (yielded outside a host call?)']);
        if (!settled.ok) return LuaMultiReturn.from([false, settled.error]);
        const v = settled.value;
        return LuaMultiReturn.from([true, ...(v instanceof LuaMultiReturn ? v : [v])]);
      },
      dynamic_loader: (name: string) => {
        if (!resolveLegacyLoaderName(name)) {
          this.services.logger.warn({ pool: this.poolName, module: name }, 'dynamic_loader: unknown module name (ignored)');
        }
      },
    });
    this.runSyncChunk(PRELUDE, '=[authstudio prelude]');
    if (this.services.clock) this.installClock(this.services.clock);
    if (this.options.allowIo) {
      this.files = new HostFiles(this.services.logger, this.poolName, this.options.memoryLimitBytes, this.services.baseDir);
      g.set('__as_io_host', this.files.api());
      this.runSyncChunk(IO_LIB, '=[io]');
    }
    g.set('__as_guard_host', { past_deadline: () => this.deadline !== 0 && Date.now() > this.deadline });
    this.runSyncChunk(GUARDS, '=[authstudio guards]');
    g.lua.lua_getglobal(g.address, 'tostring');
    this.tostringRef = g.lua.luaL_ref(g.address, LUA_REGISTRYINDEX);
    this.installTimeoutHook();
    // capped from the start: a script that allocates at its top level (or an init script) is stopped too;
    // sealMemory() re-bases the cap once the scripts are loaded
    this.memoryCap = this.global.getMemoryUsed() + this.options.memoryLimitBytes;
    // user modules are read from disk by the host, not by Lua's io (which is sandboxed)
    this.installPackageSearcher(this.options.packagePath);
  }

  /** os.time() and os.date() without a time read `clock` (a test's declared time) instead of the real clock. */
  private installClock(clock: () => number): void {
    this.global.set('__as_clock', () => Math.floor(clock() / 1000));
    this.runSyncChunk(
      `local clock, real_time, real_date = __as_clock, os.time, os.date
       __as_clock = nil
       os.time = function(...) if select("#", ...) == 0 or (...) == nil then return clock() end return real_time(...) end
       os.date = function(fmt, t) if t == nil then t = clock() end return real_date(fmt, t) end`,
      '=[authstudio clock]',
    );
  }

  private installPackageSearcher(configured: string | undefined): void {
    const templates = searchTemplates(configured, this.options.allowIo);
    this.global.set('__as_package_path', nauthilusPackagePath(configured));
    this.runSyncChunk('package.path = __as_package_path; __as_package_path = nil', '=[authstudio package_path]');
    if (templates.length === 0) return;
    this.global.set('__as_read_module', (name: string) => {
      for (const tpl of templates) {
        const file = tpl.replace(/\?/g, String(name).replace(/\./g, '/'));
        try {
          const src = fs.readFileSync(file, 'utf8');
          return LuaMultiReturn.from([src, '@' + this.displayName(file)]);
        } catch {
          // try the next template
        }
      }
      return LuaMultiReturn.from([undefined, `no file for module '${name}' in package_path`]);
    });
    this.runSyncChunk(
      `local read = __as_read_module; __as_read_module = nil
       table.insert(package.searchers, 2, function(name)
         local src, chunkname = read(name)
         if not src then return "\\n\\t" .. chunkname end
         local f, err = load(src, chunkname)
         if not f then error(err, 0) end
         return f
       end)`,
      '=[authstudio package_path]',
    );
  }

  private displayName(file: string): string {
    const rel = path.relative(this.services.baseDir, file);
    return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/');
  }

  private moduleRaw(name: string): LuaMultiReturn {
    const mod = moduleByName(name);
    if (!mod) throw new Error(`module '${name}' not found`);
    const inst = mod.install(this);
    const fns: Record<string, unknown> = {};
    const asyncNames = new Set(inst.async ?? []);
    for (const [k, v] of Object.entries(inst.functions)) {
      fns[k] = typeof v === 'function' && asyncNames.has(k) ? this.guardAsync(v as (...a: unknown[]) => Promise<unknown>) : v;
    }
    return LuaMultiReturn.from([fns, [...asyncNames], inst.lua ?? '']);
  }

  /**
   * Wrap an async host function: the promise Lua yields never rejects (the run loop would abort) — its
   * outcome is parked for host.take(); and it settles at once when the running call is given up.
   */
  private guardAsync(fn: (...a: unknown[]) => Promise<unknown>): (...a: unknown[]) => Promise<void> {
    return (...args: unknown[]) => {
      const signal = this.call?.abortSignal;
      const work = Promise.resolve().then(() => fn(...args));
      const raced = signal
        ? new Promise<unknown>((resolve, reject) => {
            if (signal.aborted) return reject(new Error('call aborted: lua_script_timeout exceeded'));
            const off = signal.onAbort(() => reject(new Error('call aborted: lua_script_timeout exceeded')));
            work.then(
              (v) => { off(); resolve(v); },
              (e) => { off(); reject(e); },
            );
          })
        : work;
      return raced.then(
        (value) => { this.settled = { ok: true, value }; },
        (e) => { this.settled = { ok: false, error: e instanceof Error ? e.message : String(e) }; },
      );
    };
  }

  /**
   * The VM's one debug hook (line-hook.ts), inherited by every thread it creates. Its count handler raises once
   * the call's deadline passed, and lets a long-running script yield to the event loop every few ms so one busy
   * script cannot stall every other request until its timeout. Line events reach `options.lineListener`
   * (coverage) only when one is given.
   */
  private installTimeoutHook(): void {
    const lua = this.global.lua;
    this.hook = new LuaHookDispatcher(lua, this.global.address, (L: number) => {
      if (this.deadline === 0) return;
      const now = Date.now();
      if (now > this.deadline) {
        lua.lua_pushstring(L, 'lua_script_timeout exceeded');
        lua.lua_error(L);
        return;
      }
      // only the call's own coroutine, only where Lua can yield (not inside a script's coroutine or a C call)
      if (now - this.sliceStart >= TIME_SLICE_MS && L === this.thread?.address && lua.lua_isyieldable(L)) {
        this.sliceStart = now;
        lua.lua_yieldk(L, 0, 0, null); // in a hook this only marks the yield; Lua yields when the hook returns
      }
    });
    const lines = this.options.lineListener ?? this.services.lineListener;
    if (lines) this.hook.addLineListener(lines);
    this.hook.install();
  }

  private runSyncChunk(src: string, chunkname: string): void {
    const g = this.global;
    const top = g.getTop();
    g.loadString(src, chunkname);
    const rc = this.protectedCall(g.address, 0, 0, Date.now() + this.timeoutMs());
    if (rc !== 0) {
      const msg = g.getValue(-1);
      g.setTop(top);
      throw new Error(`${chunkname}: ${String(msg)}`);
    }
    g.setTop(top);
  }

  /**
   * Run a trusted host chunk in the VM's real globals before any script loads (the test runner's fixture mocks):
   * `api` is visible to it as the global `__as_fixture_host` during its top level only.
   */
  installHostChunk(src: string, chunkname: string, api: Record<string, unknown>): void {
    if (this.scripts.size > 0) throw new Error('installHostChunk: scripts are already loaded');
    this.global.set('__as_fixture_host', api);
    try {
      this.runSyncChunk(src, chunkname);
    } finally {
      this.global.set('__as_fixture_host', undefined);
    }
  }

  /** Heap bytes in use by this VM's Lua state. */
  memoryUsed(): number {
    return this.global.getMemoryUsed();
  }

  /** Cap the heap at what is used now plus the configured limit (call after loading scripts). */
  sealMemory(): void {
    this.memoryCap = this.global.getMemoryUsed() + this.options.memoryLimitBytes;
  }

  private timeoutMs(): number {
    return this.options.scriptTimeoutMs ?? 1000;
  }

  /**
   * Every entry into Lua goes through here: heap capped, deadline published to the run beacon (a watchdog on
   * another thread ends a worker stuck past it). Outside, host-side pushes run uncapped, so an allocation
   * failure never happens where no protected call would catch it (Lua would abort the wasm instance).
   */
  private enterLua<T>(deadline: number, fn: () => T): T {
    const prev = runBeacon().enter(deadline);
    if (this.memoryCap) this.global.setMemoryMax(this.memoryCap);
    this.inLua++;
    try {
      return fn();
    } finally {
      this.inLua--;
      this.global.setMemoryMax(0);
      runBeacon().leave(prev);
    }
  }

  private protectedCall(L: number, nargs: number, nresults: number, deadline: number): number {
    return this.enterLua(deadline, () => this.global.lua.lua_pcallk(L, nargs, nresults, 0, 0, null));
  }

  /**
   * Compile a script into its own environment and run its top level.
   * Throws AS_ERR_LUA_SYNTAX (with file:line) or AS_ERR_LUA_LOAD.
   */
  async loadScript(displayPath: string, source: string, timeoutMs: number): Promise<LoadedScript> {
    const g = this.global;
    const lua = g.lua;
    const th = g.newThread();
    const thRef = lua.luaL_ref(g.address, LUA_REGISTRYINDEX);
    try {
      lua.lua_getfield(th.address, LUA_REGISTRYINDEX, '__as_compile');
      th.pushValue(source);
      th.pushValue('@' + displayPath);
      const rc = this.protectedCall(th.address, 2, 2, Date.now() + timeoutMs);
      if (rc !== 0) throw new Error(this.errorText(th.address, rc));
      if (lua.lua_type(th.address, -2) === 0) {
        const msg = String(th.getValue(-1));
        const parsed = parseLuaError(msg);
        throw new AuthStudioError('AS_ERR_LUA_SYNTAX', parsed.message, {
          location: { file: parsed.file ?? displayPath, line: parsed.line },
        });
      }
      // stack: chunk, env -> anchor env, then run the chunk in this thread (it may await host calls)
      const envRef = lua.luaL_ref(th.address, LUA_REGISTRYINDEX);
      if (this.services.debugger) this.syncDebugger(th.address);
      try {
        lua.lua_getfield(th.address, LUA_REGISTRYINDEX, '__as_dispatch');
        lua.lua_rotate(th.address, -2, 1); // dispatch, chunk
        th.pushValue('chunk');
        lua.lua_rotate(th.address, -2, 1); // dispatch, "chunk", chunk
        lua.lua_rawgeti(th.address, LUA_REGISTRYINDEX, BigInt(envRef));
        lua.lua_rotate(th.address, -2, 1); // dispatch, "chunk", env, chunk
        th.pushValue(undefined);
        lua.lua_rotate(th.address, -2, 1); // dispatch, "chunk", env, nil, chunk
        await this.runThread(th, 4, timeoutMs);
      } catch (e) {
        lua.luaL_unref(g.address, LUA_REGISTRYINDEX, envRef);
        const err = this.classify(e, displayPath);
        throw new AuthStudioError(err.code === 'AS_ERR_LUA_RUNTIME' ? 'AS_ERR_LUA_LOAD' : err.code, err.message, {
          location: err.location, traceback: err.traceback,
        });
      }
      const script = { displayPath, envRef };
      this.scripts.set(displayPath, script);
      return script;
    } finally {
      lua.luaL_unref(g.address, LUA_REGISTRYINDEX, thRef);
    }
  }

  script(displayPath: string): LoadedScript | undefined {
    return this.scripts.get(displayPath);
  }

  /**
   * Run a stage's entry point for one request. `encoded` is the request (see encodeRequest).
   * Returns the values the dispatcher returns. Throws AuthStudioError (runtime, timeout, memory).
   */
  async dispatch(kind: DispatchKind, script: LoadedScript, encoded: string | ShapedLuaRequest, extra: unknown[], call: CallContext, timeoutMs: number): Promise<unknown[]> {
    if (this.broken || this.closed) throw new Error(`VM ${this.id} is not usable`);
    const lua = this.global.lua;
    // one coroutine per VM, reused: a coroutine that returned normally can run the next function
    const th = this.callThread();
    if (this.services.debugger) this.syncDebugger(th.address);
    this.call = call;
    call.budget.limitBytes = this.options.memoryLimitBytes; // host-side script data counts against lua_memory_limit too
    this.running++;
    this.calls++;
    try {
      lua.lua_settop(th.address, 0);
      lua.lua_getfield(th.address, LUA_REGISTRYINDEX, '__as_dispatch');
      lua.lua_pushstring(th.address, kind);
      lua.lua_rawgeti(th.address, LUA_REGISTRYINDEX, BigInt(script.envRef));
      let nargs = 3 + extra.length;
      if (typeof encoded === 'string') th.pushValue(encoded);
      else nargs += this.pushShaped(th.address, encoded, extra.length);
      for (const v of extra) th.pushValue(v);
      const out = await this.runThread(th, nargs, timeoutMs);
      lua.lua_settop(th.address, 0);
      return out;
    } catch (e) {
      this.broken = true; // the pool replaces a VM after any error: its script state may be half-updated
      throw this.classify(e, script.displayPath);
    } finally {
      this.running--;
      this.call = null;
    }
  }

  /** Request shapes compiled in this VM (lua-request.ts shapeLuaRequest). */
  private readonly shapes = new Set<number>();

  /**
   * Push a shaped request (its shape id, then its values) on L; compiles the shape's constructor first when this
   * VM has not seen it. Returns how many values it pushed beyond the one argument the request takes.
   */
  private pushShaped(L: number, req: ShapedLuaRequest, extra: number): number {
    const lua = this.global.lua;
    const { shape, values } = req;
    if (!this.shapes.has(shape.id)) {
      const g = this.global;
      const top = g.getTop();
      lua.lua_getfield(g.address, LUA_REGISTRYINDEX, '__as_shape');
      g.pushValue(shape.id);
      g.pushValue(shape.source);
      g.pushValue(shape.size);
      const rc = this.protectedCall(g.address, 3, 0, Date.now() + this.timeoutMs());
      if (rc !== 0) {
        const msg = this.errorText(g.address, rc);
        g.setTop(top);
        throw new Error(`request shape ${shape.id}: ${msg}`);
      }
      g.setTop(top);
      this.shapes.add(shape.id);
    }
    // Lua promises 20 free slots (LUA_MINSTACK): a request has more fields
    if (!lua.lua_checkstack(L, values.length + extra + 8)) throw new Error('Lua stack overflow pushing the request');
    lua.lua_pushinteger(L, BigInt(shape.id));
    for (const v of values) {
      if (typeof v === 'string') lua.lua_pushstring(L, v);
      else if (typeof v === 'number') {
        if (Number.isInteger(v)) lua.lua_pushinteger(L, BigInt(v));
        else lua.lua_pushnumber(L, v);
      } else lua.lua_pushboolean(L, v ? 1 : 0);
    }
    return values.length;
  }

  private thread: ReturnType<LuaGlobal['newThread']> | undefined;
  /** The thread runThread is running (a call's or a script top level's): the one a debugger pause may yield. */
  private activeThread = -1;

  /**
   * Line events for the debugger while one is attached (checked at the start of each call): the listener goes on
   * the main state (threads made later inherit it) and on `L`, the thread about to run.
   */
  private syncDebugger(L: number): void {
    const dbg = this.services.debugger;
    const want = dbg?.attached ?? false;
    if (want === (this.debugLinesOff !== undefined)) return; // threads made since inherit the main state's mask
    if (want && dbg && this.hook) {
      const port = this.debugPort();
      this.debugLinesOff = this.hook.addLineListener((source, line, thread) => dbg.onLine(port, thread ?? 0, source, line));
    } else if (this.debugLinesOff) {
      this.debugLinesOff();
      this.debugLinesOff = undefined;
    }
    if (this.thread) this.hook?.applyTo(this.thread.address);
    this.hook?.applyTo(L);
  }

  private debugPort(): VmDebugPort {
    this.port ??= new VmDebugPort({
      id: this.id,
      global: this.global,
      callThreadAddress: () => this.activeThread,
      protectedCall: (L, nargs, nresults) => {
        const lua = this.global.lua;
        // in the hook the call's own entry is in force (and hooks are off); while paused: a fresh deadline
        if (this.inLua > 0) return lua.lua_pcallk(L, nargs, nresults, 0, 0, null);
        const saved = this.deadline;
        this.deadline = Date.now() + this.timeoutMs();
        try {
          return this.protectedCall(L, nargs, nresults, this.deadline);
        } finally {
          this.deadline = saved;
        }
      },
      holdAfterYield: (resumed) => {
        this.hold = resumed;
      },
      currentCall: () => this.call,
      label: () => `${this.poolName}${this.call ? ` (session ${this.call.session})` : ''}`,
      hostCalls: () => this.call?.events ?? [],
    });
    return this.port;
  }

  private callThread(): ReturnType<LuaGlobal['newThread']> {
    if (!this.thread) {
      this.thread = this.global.newThread();
      this.global.lua.luaL_ref(this.global.address, LUA_REGISTRYINDEX); // anchored for the VM's life
    }
    return this.thread;
  }

  /** Which of `names` the script defines as functions (in order). */
  async definedFunctions(script: LoadedScript, names: string[]): Promise<boolean[]> {
    const g = this.global;
    const lua = g.lua;
    const out: boolean[] = [];
    for (const n of names) {
      lua.lua_rawgeti(g.address, LUA_REGISTRYINDEX, BigInt(script.envRef));
      lua.lua_getfield(g.address, -1, n);
      out.push(lua.lua_type(g.address, -1) === 6 /* function */);
      lua.lua_settop(g.address, -3);
    }
    return out;
  }

  /** Call a function a script defined (tests and tools); returns all its results. */
  async evalEnv(script: LoadedScript, fnName: string, call: CallContext, timeoutMs: number, ...args: unknown[]): Promise<unknown[]> {
    return this.dispatch('call', script, '', [fnName, ...args], call, timeoutMs);
  }

  /**
   * Run a thread to completion, giving up after timeoutMs even if a host call never answers. Our own loop
   * over lua_resume instead of wasmoon's Thread.run: its error path turns the error object into text with
   * unprotected Lua calls (a __tostring that errors aborts the whole wasm instance).
   */
  private async runThread(th: ReturnType<LuaGlobal['newThread']>, nargs: number, timeoutMs: number): Promise<unknown[]> {
    const ac = new StageAbort();
    const prevSignal = this.call?.abortSignal;
    if (this.call) this.call.abortSignal = ac;
    this.sliceStart = Date.now();
    this.deadline = this.sliceStart + timeoutMs;
    const outer = this.activeThread;
    this.activeThread = th.address;
    let timer: NodeJS.Timeout | undefined;
    try {
      // most calls never wait: they end in the first resume, with no timer and no promise race (the count hook
      // raises past the deadline inside Lua)
      const first = this.enterLua(this.deadline, () => th.resume(nargs));
      let out: unknown[];
      if (first.result !== LuaReturn.Yield) out = await this.threadEnded(th, first);
      else {
        // the call waits (a host call, a time slice, a debugger pause): from here a timer also ends it when a
        // host call never answers
        let fire: (e: Error) => void = () => undefined;
        const timedOut = new Promise<never>((_, reject) => {
          fire = reject;
        });
        const arm = (ms: number) => {
          timer = setTimeout(() => {
            ac.abort();
            fire(new LuaCallTimeout());
          }, ms + 20);
        };
        arm(Math.max(0, this.deadline - Date.now()));
        // a debugger pause stops the clock: the time left is given back when the call resumes
        this.holdClock = () => {
          clearTimeout(timer);
          const left = Math.max(0, this.deadline - Date.now());
          this.deadline = 0;
          return () => {
            this.sliceStart = Date.now();
            this.deadline = this.sliceStart + left;
            arm(left);
          };
        };
        const run = this.resumeLoop(th, first);
        try {
          out = await Promise.race([run, timedOut]);
        } catch (e) {
          // make sure the thread has stopped before anyone touches this VM again
          if (e instanceof LuaCallTimeout) await run.catch(() => undefined);
          throw e;
        }
      }
      // a long C call (string.find) ends unseen by the count hook: a call that overran its deadline still failed
      if (Date.now() > this.deadline) throw new LuaCallTimeout();
      return out;
    } finally {
      this.deadline = 0;
      this.holdClock = undefined;
      this.activeThread = outer;
      ac.abort(); // whatever host work this call started and left behind settles now
      clearTimeout(timer);
      if (this.call) this.call.abortSignal = prevSignal;
    }
  }

  /** Resume a call that yielded (`r`) until it ends. */
  private async resumeLoop(th: ReturnType<LuaGlobal['newThread']>, r: ReturnType<ReturnType<LuaGlobal['newThread']>['resume']>): Promise<unknown[]> {
    const lua = this.global.lua;
    while (r.result === LuaReturn.Yield) {
      // a host call yields (marker, promise); a time slice yields nothing; anything else a script yields is ignored
      let wait: unknown;
      if (r.resultCount > 0 && lua.lua_type(th.address, -1) === 7 /* userdata */) wait = th.getValue(-1);
      if (r.resultCount > 0) lua.lua_settop(th.address, -r.resultCount - 1);
      if (wait instanceof Promise) await wait;
      else if (this.hold) await this.waitWhilePaused();
      else await new Promise((resolve) => setImmediate(resolve));
      r = this.enterLua(this.deadline, () => th.resume(0));
    }
    return this.threadEnded(th, r);
  }

  /** A call's thread stopped (returned or raised): its results, or its error with the workspace frames. */
  private async threadEnded(th: ReturnType<LuaGlobal['newThread']>, r: ReturnType<ReturnType<LuaGlobal['newThread']>['resume']>): Promise<unknown[]> {
    if (r.result !== LuaReturn.Ok) {
      const message = this.errorText(th.address, r.result);
      // the failed coroutine's stack is not unwound: its traceback is read before anything else touches it
      const frames = this.tracebackOf(th.address);
      // pause on error: the debugger looks at the stack the error left (a thread keeps it until reused)
      const dbg = this.debugLinesOff ? this.services.debugger : undefined;
      const held = dbg && r.result === LuaReturn.ErrorRun ? dbg.onError(this.debugPort(), th.address, message) : undefined;
      if (held) {
        const restart = this.holdClock?.();
        try {
          await held;
        } finally {
          restart?.();
        }
      }
      throw new LuaRunError(message, frames);
    }
    return [...th.getStackValues()];
  }

  /** The workspace frames of the failed thread L's stack (luaL_traceback, run from the main state). */
  private tracebackOf(L: number): LuaFrame[] {
    const g = this.global;
    const top = g.getTop();
    try {
      g.lua.luaL_traceback(g.address, L, null, 0);
      return parseTraceback(String(g.lua.lua_tolstring(g.address, -1, null)));
    } catch {
      return []; // a traceback is a help, never a reason to fail differently
    } finally {
      g.setTop(top);
    }
  }

  /** A debugger paused the call (line hook): wait for its resume with the call's timeout clock stopped. */
  private async waitWhilePaused(): Promise<void> {
    const hold = this.hold;
    this.hold = undefined;
    const restart = this.holdClock?.();
    try {
      await hold;
    } finally {
      restart?.();
    }
  }

  /**
   * The error on top of L as text, without running script code unprotected: strings and numbers as they are,
   * other values through tostring in a protected call (a __tostring may raise or loop), else their type.
   */
  private errorText(L: number, code: number): string {
    const lua = this.global.lua;
    const type = lua.lua_type(L, -1);
    if (type === 4 /* string */ || type === 3 /* number */) return String(lua.lua_tolstring(L, -1, null));
    if (code === LuaReturn.ErrorMem) return 'not enough memory';
    if (type === 0 /* nil */ || type === -1) return 'nil';
    const g = this.global;
    const top = g.getTop();
    try {
      lua.lua_rawgeti(g.address, LUA_REGISTRYINDEX, BigInt(this.tostringRef));
      lua.lua_xmove(L, g.address, 1);
      // a metatable's __name or __tostring may describe the object; a plain table gets Lua's own wording
      const described = lua.lua_getmetatable(g.address, -1) !== 0;
      if (described) lua.lua_settop(g.address, -2);
      const deadline = this.deadline || Date.now() + this.timeoutMs();
      if (described && this.protectedCall(g.address, 1, 1, deadline) === 0 && lua.lua_type(g.address, -1) === 4) {
        return String(lua.lua_tolstring(g.address, -1, null));
      }
      return `(error object is a ${lua.lua_typename(L, type)} value)`;
    } finally {
      g.setTop(top);
    }
  }

  private classify(e: unknown, displayPath: string): AuthStudioError {
    if (e instanceof AuthStudioError) return e;
    // a script's error(string.rep("x", 1e7)) must not be kept (recent traces, logs) at that size
    const raw = (e instanceof Error ? e.message : String(e)).slice(0, 8192);
    const traceback = e instanceof LuaRunError ? e.frames : undefined;
    if (e instanceof LuaCallTimeout || /thread timeout exceeded|lua_script_timeout exceeded/.test(raw)) {
      return new AuthStudioError('AS_ERR_LUA_TIMEOUT', 'the script ran longer than lua_script_timeout', {
        location: traceback?.length ? { file: traceback[0].file, line: traceback[0].line } : { file: displayPath },
        traceback,
      });
    }
    if (/not enough memory/.test(raw)) {
      return new AuthStudioError('AS_ERR_LUA_MEMORY', 'not enough memory (lua_memory_limit reached)', {
        location: { file: displayPath },
      });
    }
    const parsed = parseLuaError(raw);
    // error(msg, 0) or an error object names no place: the innermost workspace frame is where it was raised
    const top = parsed.file === undefined ? traceback?.[0] : undefined;
    return new AuthStudioError('AS_ERR_LUA_RUNTIME', parsed.message, {
      location: top ? { file: top.file, line: top.line } : { file: parsed.file ?? displayPath, line: parsed.line },
      traceback,
    });
  }

  /** Close the VM. Safe to call while a call is still unwinding: closing waits for it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.broken = true;
    this.close2();
  }

  private close2(): void {
    if (this.running > 0) {
      setTimeout(() => this.close2(), 50);
      return;
    }
    // lua_close runs the remaining finalizers (only host modules' ones: see guards.lua); a finalizer's error
    // is Lua's warning, not ours, and whatever escapes is logged: closing never takes the engine down
    try {
      this.enterLua(Date.now() + this.timeoutMs(), () => this.global.close());
    } catch (e) {
      this.services.logger.error({ pool: this.poolName, err: String((e as Error)?.message ?? e) }, 'closing a Lua VM failed');
    }
    this.files?.closeAll();
    this.hook?.dispose();
    this.hook = undefined;
    this.port?.dispose();
  }
}

/** A call that raised: the error's text and the workspace frames of the stack it raised on. */
class LuaRunError extends Error {
  constructor(message: string, readonly frames: LuaFrame[]) {
    super(message);
  }
}

class LuaCallTimeout extends Error {
  constructor() {
    super('lua_script_timeout exceeded');
  }
}

let namesCache: Record<string, boolean> | undefined;
function moduleNamesTable(): Record<string, boolean> {
  if (!namesCache) {
    namesCache = {};
    for (const n of (require('./modules/index') as typeof import('./modules/index')).requireNames()) namesCache[n] = true;
  }
  return namesCache;
}
