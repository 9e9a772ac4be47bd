// Everything one configuration builds to serve requests: init scripts run, Lua pools compiled, built-in checks.
// The engine builds one per (re)load; each pipeline worker thread builds its own from the same config.
import fs from 'node:fs';
import type { AuthStudioConfig, ScriptRef } from './config/types';
import type { EngineServices } from './lua/services';
import { ScriptPool, type PoolScript } from './lua/script-pool';
import { LuaVm } from './lua/vm';
import { CallContext } from './lua/call-context';
import { catalogsOf } from './lua/modules/i18n';
import { chunkName } from './lua/chunk-name';
import type { LuaPools, Generation } from './pipeline/pipeline';
import { AuthStudioError } from './errors/registry';
import { buildProtection, type Protection } from './protection/index';
import { scriptRedisPrefix } from './pipeline/lua-request';
import { buildPolicySnapshot } from './policy/registry';
import type { WorkspaceTracer } from './tracing/workspace-tracer';

/** A generation with the protection objects the admin endpoints use. */
export type EngineGeneration = Generation & { protection: Protection };

/**
 * Run the init scripts, compile every pool, build the checks: the running version is untouched until this succeeds.
 * `lua: false` builds only the checks: the engine's HTTP thread when pipeline worker threads run every script.
 * An init script that fails while it runs (error, timeout) is logged and skipped, as Nauthilus does; one that
 * does not compile fails the build. `logInitErrors: false`: another thread logs them (one line per version).
 */
export async function buildGeneration(
  config: AuthStudioConfig, services: EngineServices, opts: { lua?: boolean; sources?: Record<string, string>; logInitErrors?: boolean } = {},
): Promise<EngineGeneration> {
  const lua = opts.lua ?? true;
  if (lua) await runInitScripts(config, services, opts.sources, opts.logInitErrors ?? true);
  // Nauthilus 3.x auth.policy: registry scripts run and rules checked before any pool is built
  // (also without Lua pools: the HTTP thread refuses a config whose policies do not compile)
  const policy = await buildPolicySnapshot(config, services, opts.sources);
  const pools: LuaPools = lua ? await buildPools(config, services, opts.sources) : { backends: new Map() };
  const protection = buildProtection(config, () => services.redis);
  const tracer = lua ? await buildTracer(config, services) : undefined;
  return { config, pools, checks: protection.checks, passwordCache: protection.passwordCache, protection, policy, tracer };
}

/** The tracer of `server.insights.tracing` / `observability.tracing` when enabled (threads that run scripts only). */
async function buildTracer(config: AuthStudioConfig, services: EngineServices): Promise<WorkspaceTracer | undefined> {
  const tracing = config.server.tracing;
  if (!tracing?.enabled) return undefined;
  // the OpenTelemetry SDK loads only when a workspace turns tracing on (it adds ~0.2 s to a start)
  const { WorkspaceTracer } = await import('./tracing/workspace-tracer');
  try {
    return new WorkspaceTracer(tracing, services.logger, config.baseDir);
  } catch (e) {
    // the TLS block's files (ca_file, cert, key) are read here
    const at = config.layout === '3.x' ? 'observability.tracing.tls' : 'server.insights.tracing.tls';
    throw new AuthStudioError('AS_ERR_CONFIG_FILE', `${at}: cannot read ${(e as Error).message.replace(/^[A-Z]+: /, '')}`, { cause: e });
  }
}

/** A generation goes out of service: its tracer sends the spans still queued (in the background). */
export function retireTracer(gen: Generation | undefined): Promise<void> {
  return gen?.tracer?.shutdown() ?? Promise.resolve();
}

/** Script sets per pool, from the config. */
export function poolScripts(config: AuthStudioConfig): Record<string, PoolScript[]> {
  const ref = (s: ScriptRef): PoolScript => ({ displayPath: chunkName(s), path: s.path });
  const uniq = (list: PoolScript[]) => [...new Map(list.map((s) => [s.displayPath, s])).values()];
  const out: Record<string, PoolScript[]> = {
    features: uniq(config.lua.features.map((f) => ref(f.script))),
    filters: uniq(config.lua.filters.map((f) => ref(f.script))),
    actions: uniq(config.lua.actions.map((a) => ref(a.script))),
    hooks: uniq(config.lua.customHooks.map((h) => ref(h.script))),
  };
  return out;
}

function poolOptions(config: AuthStudioConfig, services: EngineServices, name: string, size: number, sources?: Record<string, string>) {
  const s = config.server;
  return {
    name, size, services, memoryLimitBytes: s.luaMemoryLimitBytes, allowIo: s.luaAllowIo,
    packagePath: config.lua.config.packagePath, loadTimeoutMs: s.luaScriptTimeoutMs, sources,
  };
}

/**
 * The text of every script a version runs (pools and init scripts), by absolute path, read once: every worker
 * thread of that version, and one started later to replace a thread, builds from the same texts, whatever the
 * files on disk say by then. Unreadable files are left out (building then reports them).
 */
export function readScriptSources(config: AuthStudioConfig): Record<string, string> {
  const paths = new Set<string>(Object.values(poolScripts(config)).flat().map((s) => s.path));
  const backend = config.lua.config.backendScript;
  if (backend) paths.add(backend.path);
  for (const ref of config.lua.config.initScripts) paths.add(ref.path);
  for (const ref of config.policy?.registryScripts ?? []) paths.add(ref.path);
  const out: Record<string, string> = {};
  for (const p of paths) {
    try {
      out[p] = fs.readFileSync(p, 'utf8');
    } catch {
      // reported by the build
    }
  }
  return out;
}

async function buildPools(config: AuthStudioConfig, services: EngineServices, sources?: Record<string, string>): Promise<LuaPools> {
  const cfg = config.lua;
  const scripts = poolScripts(config);
  const n = cfg.config.numberOfWorkers;
  const opts = (name: string, size: number) => poolOptions(config, services, name, size, sources);
  const pools: LuaPools = { backends: new Map() };
  try {
    if (scripts.features.length) pools.features = await ScriptPool.create(opts('features', n), scripts.features);
    if (scripts.filters.length) pools.filters = await ScriptPool.create(opts('filters', n), scripts.filters);
    if (scripts.actions.length) pools.actions = await ScriptPool.create(opts('actions', n), scripts.actions);
    if (scripts.hooks.length) pools.hooks = await ScriptPool.create(opts('hooks', n), scripts.hooks);
    const backend = cfg.config.backendScript;
    if (backend) {
      const ref = [{ displayPath: chunkName(backend), path: backend.path }];
      pools.backends.set('default', await ScriptPool.create(opts('backend:default', n), ref));
      for (const [name, b] of Object.entries(cfg.optionalBackends)) {
        pools.backends.set(name, await ScriptPool.create(opts(`backend:${name}`, b.numberOfWorkers), ref));
      }
    }
  } catch (e) {
    await closePools(pools);
    throw e;
  }
  return pools;
}

/**
 * Run each init script once in its own VM (register pools, create metrics, warm caches). Nauthilus 1.10 logs an
 * init script's runtime error or timeout and starts anyway (what the script did before it failed stays); a
 * script that does not compile stops it, as any script that does not compile does.
 */
async function runInitScripts(config: AuthStudioConfig, services: EngineServices, sources: Record<string, string> | undefined, log: boolean): Promise<void> {
  // Nauthilus 3.0 (bootfx RunLuaInitScripts): the catalogs init scripts register become active together, and only
  // when every init script ran
  const catalogs = catalogsOf({ services });
  catalogs.reset(config.policy?.catalogs);
  catalogs.begin();
  let failed = false;
  try {
    await runEachInitScript(config, services, sources, log, () => { failed = true; });
  } finally {
    if (failed) catalogs.discard();
    else catalogs.commit();
  }
}

async function runEachInitScript(config: AuthStudioConfig, services: EngineServices, sources: Record<string, string> | undefined, log: boolean, onFailure: () => void): Promise<void> {
  for (const ref of config.lua.config.initScripts) {
    const vm = await LuaVm.create({
      poolName: 'init', services, memoryLimitBytes: config.server.luaMemoryLimitBytes, allowIo: config.server.luaAllowIo,
      packagePath: config.lua.config.packagePath, scriptTimeoutMs: config.server.luaScriptTimeoutMs,
    });
    try {
      const failure = await runInitScript(vm, config, ref, sources);
      if (failure) onFailure();
      if (failure && log) {
        const name = chunkName(ref);
        // the error's file:line, and the init script's name when the error was raised in a module it required
        const which = failure.location?.file === name ? '' : ` ${name}`;
        services.logger.error({ script: name, code: failure.code, error: failure.format() }, `init script${which} failed: ${failure.format()} (the engine goes on without the rest of it)`);
      }
    } finally {
      vm.close();
    }
  }
}

/**
 * Run one init script: undefined when it ran, else why not (a runtime error, timeout or memory error with its
 * file:line). Throws AS_ERR_LUA_INIT only when it does not compile or cannot be read.
 */
export async function runInitScript(vm: LuaVm, config: AuthStudioConfig, ref: ScriptRef, sources?: Record<string, string>): Promise<AuthStudioError | undefined> {
  let src: string;
  try {
    src = sources?.[ref.path] ?? fs.readFileSync(ref.path, 'utf8');
  } catch (e) {
    throw new AuthStudioError('AS_ERR_LUA_INIT', `init script ${chunkName(ref)} cannot be read: ${(e as Error).message}`, { location: { file: chunkName(ref) }, cause: e });
  }
  try {
    const script = await vm.loadScript(chunkName(ref), src, config.server.luaScriptTimeoutMs);
    const call = new CallContext('init');
    await vm.dispatch('init', script, '', [loggingTable(config), undefined, scriptRedisPrefix(config)], call, config.server.luaScriptTimeoutMs);
    return undefined;
  } catch (e) {
    if (e instanceof AuthStudioError && e.code === 'AS_ERR_LUA_SYNTAX') {
      throw new AuthStudioError('AS_ERR_LUA_INIT', `init script does not compile: ${e.message}`, { location: e.location, cause: e });
    }
    if (e instanceof AuthStudioError) return e.location ? e : new AuthStudioError(e.code, e.message, { location: { file: chunkName(ref) }, cause: e });
    return new AuthStudioError('AS_ERR_LUA_RUNTIME', String((e as Error)?.message ?? e), { location: { file: chunkName(ref) }, cause: e });
  }
}

export function loggingTable(config: AuthStudioConfig): Record<string, string> {
  return { log_level: config.server.logLevel, log_format: config.server.logFormat };
}


export function retirePools(pools: LuaPools): void {
  for (const p of [pools.features, pools.filters, pools.actions, pools.hooks, ...pools.backends.values()]) p?.retire();
}

export async function closePools(pools: LuaPools): Promise<void> {
  const all = [pools.features, pools.filters, pools.actions, pools.hooks, ...pools.backends.values()];
  await Promise.all(all.map((p) => p?.close()));
}

/** Statistics of every pool of a generation, by pool name (/healthz, the studio status bar, worker threads). */
export function poolStats(pools: LuaPools): Record<string, ReturnType<ScriptPool['stats']>> {
  const out: Record<string, ReturnType<ScriptPool['stats']>> = {};
  for (const [k, p] of Object.entries(pools)) if (p instanceof ScriptPool) out[k] = p.stats();
  for (const [name, p] of pools.backends) out[`backend:${name}`] = p.stats();
  return out;
}
