// `authstudio check`: validate the config and compile every script, collecting every problem found.
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfigFile, ConfigValidationError } from './config/load';
import type { AuthStudioConfig, ScriptRef } from './config/types';
import { AuthStudioError } from './errors/registry';
import { LuaVm } from './lua/vm';
import { buildPolicySnapshot } from './policy/registry';
import { catalogsOf } from './lua/modules/i18n';
import { chunkName } from './lua/chunk-name';
import { MemoryCache } from './lua/shared-cache';
import { RedisStore } from './redis/store';
import type { EngineServices } from './lua/services';
import { runInitScript } from './generation';
import { findFloatConcatenations } from './lua/number-text-lint';
import { lintLua, LINT_CODES } from './lint/lua-lint';
import { moduleExports, requiredModules } from './lint/module-exports';
import { searchTemplates } from './lua/package-path';

type Kind = 'feature' | 'filter' | 'action' | 'backend' | 'hook' | 'init' | 'cache_flush';

/** The entry function each kind must define (1.x name first, then the 3.x alias). */
const ENTRY: Record<Kind, string[]> = {
  feature: ['nauthilus_call_feature', 'nauthilus_call_environment'],
  filter: ['nauthilus_call_filter', 'nauthilus_call_subject'],
  action: ['nauthilus_call_action'],
  backend: ['nauthilus_backend_verify_password'],
  hook: ['nauthilus_run_hook'],
  init: ['nauthilus_run_hook'],
  cache_flush: ['nauthilus_cache_flush'],
};

export function scriptsOf(config: AuthStudioConfig): Array<{ kind: Kind; ref: ScriptRef }> {
  const out: Array<{ kind: Kind; ref: ScriptRef }> = [];
  for (const f of config.lua.features) out.push({ kind: 'feature', ref: f.script });
  for (const f of config.lua.filters) out.push({ kind: 'filter', ref: f.script });
  for (const a of config.lua.actions) out.push({ kind: 'action', ref: a.script });
  for (const h of config.lua.customHooks) out.push({ kind: 'hook', ref: h.script });
  if (config.lua.config.backendScript) out.push({ kind: 'backend', ref: config.lua.config.backendScript });
  for (const i of config.lua.config.initScripts) out.push({ kind: 'init', ref: i });
  if (config.lua.config.cacheFlushScript) out.push({ kind: 'cache_flush', ref: config.lua.config.cacheFlushScript });
  return out;
}

/** Every problem with a config and its scripts; empty when all is well. Never throws for user errors. */
export async function checkWorkspace(configFile: string): Promise<AuthStudioError[]> {
  let config: AuthStudioConfig;
  try {
    config = loadConfigFile(configFile);
  } catch (e) {
    if (e instanceof ConfigValidationError) return e.errors;
    if (e instanceof AuthStudioError) return [e];
    throw e;
  }
  return [...(config.warnings ?? []), ...(await checkScripts(config))];
}

/**
 * Compile each script in a fresh VM (syntax), run its top level (load errors) and check its entry function.
 * The scripts' top level runs with the embedded Redis and no network expectations. Init scripts run whole, as the
 * engine runs them; one that fails while running is a warning, since the engine logs it and serves anyway.
 */
export async function checkScripts(config: AuthStudioConfig): Promise<AuthStudioError[]> {
  const problems: AuthStudioError[] = [];
  const services: EngineServices = {
    logger: pino({ level: 'silent' }), redis: new RedisStore({ ...config.server.redis, mode: 'mock' }), metrics: new Registry(),
    cache: new MemoryCache(), getenv: (n) => process.env[n], baseDir: config.baseDir, profile: config.profile,
  };
  // init scripts may register message catalogs (nauthilus_i18n), as when the engine runs them
  catalogsOf({ services }).begin();
  const seen = new Set<string>();
  try {
    for (const { kind, ref } of scriptsOf(config)) {
      const key = `${kind}:${ref.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const name = chunkName(ref);
      numberTextWarnings(ref.path, name, problems);
      lintFindings(ref.path, name, config, problems);
      const vm = await LuaVm.create({ poolName: 'check', services, memoryLimitBytes: config.server.luaMemoryLimitBytes, allowIo: config.server.luaAllowIo, packagePath: config.lua.config.packagePath });
      try {
        if (kind === 'init') {
          // run it as the engine does: a failure while it runs is a warning (the engine logs it and starts anyway)
          const failure = await runInitScript(vm, config, ref);
          if (failure) {
            const which = failure.location?.file === name || !failure.location ? '' : ` ${name}`;
            problems.push(new AuthStudioError('AS_ERR_LUA_INIT', `init script${which} failed when run by check (the engine logs this and starts without the rest of the script): ${failure.message}`, {
              location: failure.location ?? { file: name }, severity: 'warning', cause: failure,
            }));
          }
          continue;
        }
        const script = await vm.loadScript(name, fs.readFileSync(ref.path, 'utf8'), config.server.luaScriptTimeoutMs);
        const defined = await vm.definedFunctions(script, ENTRY[kind]);
        if (!defined.some(Boolean)) {
          problems.push(new AuthStudioError('AS_ERR_LUA_ENTRY', `a ${kind.replace('_', ' ')} script must define ${ENTRY[kind].join(' or ')}()`, { location: { file: name } }));
        }
      } catch (e) {
        problems.push(e instanceof AuthStudioError ? e : new AuthStudioError('AS_ERR_LUA_LOAD', String(e), { location: { file: name } }));
      } finally {
        vm.close();
      }
    }
    // Nauthilus 3.x auth.policy: registry scripts run and every rule's attributes checked, as the engine does
    try {
      await buildPolicySnapshot(config, services);
    } catch (e) {
      problems.push(e instanceof AuthStudioError ? e : new AuthStudioError('AS_ERR_POLICY_CONFIG', String(e)));
    }
  } finally {
    await services.redis.close();
  }
  return problems;
}

/**
 * The number-text warnings of every configured script (no VM: the source text only). The studio shows them after
 * each successful reload, as `authstudio check` does.
 */
export function numberTextProblems(config: AuthStudioConfig): AuthStudioError[] {
  const problems: AuthStudioError[] = [];
  const seen = new Set<string>();
  for (const { ref } of scriptsOf(config)) {
    if (seen.has(ref.path)) continue;
    seen.add(ref.path);
    numberTextWarnings(ref.path, chunkName(ref), problems);
  }
  return problems;
}

/** Warnings where a script concatenates a division's result (Lua 5.1 "3" vs Lua 5.4 "3.0"): number-text-lint.ts. */
function numberTextWarnings(file: string, name: string, problems: AuthStudioError[]): void {
  let src: string;
  try {
    src = fs.readFileSync(file, 'utf8');
  } catch {
    return; // an unreadable script is reported when it is loaded
  }
  for (const f of findFloatConcatenations(src)) {
    problems.push(new AuthStudioError('AS_ERR_LUA_NUMBER_TEXT', f.message, { location: { file: name, line: f.line }, severity: 'warning' }));
  }
}

/**
 * The Lua checker's findings (engine/lint) against the host API of the workspace's profile: an error fails the check,
 * a warning does not. Syntax errors are left to the VM, which compiles the script right after.
 */
function lintFindings(file: string, name: string, config: AuthStudioConfig, problems: AuthStudioError[]): void {
  let src: string;
  try {
    src = fs.readFileSync(file, 'utf8');
  } catch {
    return; // an unreadable script is reported when it is loaded
  }
  const userModules = userModulesOf(src, config);
  for (const f of lintLua(src, { api: 'nauthilus', profile: config.profile, profileExplicit: config.profileExplicit, allowIo: config.server.luaAllowIo, userModules })) {
    // syntax errors come from the VM, which compiles the script next; number text from numberTextWarnings
    if (f.kind === 'syntax' || f.kind === 'number-text') continue;
    problems.push(new AuthStudioError(LINT_CODES[f.kind], f.message, { location: { file: name, line: f.line, column: f.column }, severity: f.severity }));
  }
}

/**
 * The modules a script requires that the config's package_path finds as files (the engine's package searcher, which
 * wins over a built-in module of the same name: e.g. a site's own share/nauthilus_util.lua), with their exported fields.
 */
export function userModulesOf(src: string, config: AuthStudioConfig): Map<string, string[] | undefined> {
  const out = new Map<string, string[] | undefined>();
  const templates = searchTemplates(config.lua.config.packagePath, config.server.luaAllowIo);
  for (const name of requiredModules(src)) {
    for (const tpl of templates) {
      let text: string;
      try {
        text = fs.readFileSync(path.resolve(config.baseDir, tpl.replace(/\?/g, name.replace(/\./g, '/'))), 'utf8');
      } catch {
        continue; // the next template
      }
      out.set(name, moduleExports(text));
      break;
    }
  }
  return out;
}
