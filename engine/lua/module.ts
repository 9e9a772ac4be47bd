// The contract between the Lua runtime and a host module (one file per module under modules/).
import type { EngineServices } from './services';
import type { CallContext } from './call-context';

/** A JS function callable from Lua. Async ones return a Promise that the script awaits transparently. */
export type HostFunction = (...args: any[]) => unknown;

/**
 * What a module gives a VM when a script first `require`s it.
 * `functions` become the module table; names in `async` return promises and look blocking to Lua.
 * `lua` (optional) is Lua source run once with `(api, wrap)` that returns the final module table:
 * use it for methods, objects and pure-Lua helpers.
 */
export interface ModuleInstance {
  functions: Record<string, HostFunction | string | number | boolean>;
  async?: string[];
  lua?: string;
}

/** What a module's functions may reach: the VM's current call and the engine's services. */
export interface ModuleHost {
  /** The request being served by this VM right now (null while a script file loads). */
  readonly call: CallContext | null;
  readonly services: EngineServices;
  /** Name of the VM's pool (features, filters, backend:default, ...), for logs. */
  readonly poolName: string;
  /** server.lua_allow_io: whether modules may touch the host file system. */
  readonly allowIo: boolean;
}

/** A Lua host module. `name` is what `require` takes; `legacyLoaderName` is the 1.x `dynamic_loader` name. */
export interface LuaModule {
  name: string;
  legacyLoaderName?: string;
  /** Short description for docs/lua-api.md. */
  summary: string;
  /** Build the module for one VM. Called at most once per VM, on first `require`. */
  install(host: ModuleHost): ModuleInstance;
}
