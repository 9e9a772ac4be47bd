// The `lua:` section (Nauthilus' format): features, filters, actions, custom hooks, runtime config, search.

import { ACTION_TYPES, HTTP_METHODS, type LuaConfig, type ScriptRef } from './types';
import { andThen, bool, def, int, list, mapOf, oneOf, opt, req, str, struct, type Spec } from './schema';
import { packagePath, scriptPath } from './script-paths';
import { didYouMean } from './suggest';
import type { Val } from './yaml-source';

/** Default `lua.config.number_of_workers`. */
export const DEFAULT_LUA_WORKERS = 2;

/** Names of features and filters: letters, digits, `-`, `_`, `.`. */
const scriptName = str({ minLength: 1, pattern: /^[A-Za-z0-9._-]+$/, patternText: 'a name of letters, digits, "-", "_" and "."' });

const namedScript = struct({ name: req(scriptName), script_path: req(scriptPath) });

// Nauthilus 1.10 (config/lua.go LuaFilter): in which request states a filter runs
const filterScript = struct({
  name: req(scriptName),
  script_path: req(scriptPath),
  when_authenticated: opt(bool()),
  when_unauthenticated: opt(bool()),
  when_no_auth: opt(bool()),
});

const action = struct({ type: req(oneOf(ACTION_TYPES)), name: req(str({ minLength: 1 })), script_path: req(scriptPath) });

const hook = struct({
  // `/status` and `status` both mean /api/v1/custom/status: the leading slashes are dropped.
  http_location: req(andThen(str({ minLength: 1 }), (s, v) => s.replace(/^\/+/, '') || v.typeError('a hook location such as "status"'))),
  http_method: req(oneOf(HTTP_METHODS, { ignoreCase: true })),
  script_path: req(scriptPath),
  roles: def(list(str({ minLength: 1 })), [] as string[]),
});

const runtime = struct(
  {
    backend_script_path: opt(scriptPath),
    script_path: opt(scriptPath),
    init_script_path: opt(scriptPath),
    init_script_paths: def(list(scriptPath), [] as ScriptRef[]),
    // Nauthilus 3.0
    cache_flush_script_path: opt(scriptPath),
    package_path: opt(packagePath),
    number_of_workers: def(int({ min: 1 }), DEFAULT_LUA_WORKERS),
    ip_scoping_v4_cidr: opt(int({ min: 1, max: 32 })),
    ip_scoping_v6_cidr: opt(int({ min: 1, max: 128 })),
  },
  (c, v) => {
    if (c.backend_script_path && c.script_path) {
      v.child('script_path')?.failAtKey(
        'AS_ERR_CONFIG_CONFLICT',
        `"script_path" and "backend_script_path" at ${v.where()} both name the backend script: keep one`,
      );
    }
  },
);

const optionalBackendName = (key: string, v: Val): boolean => {
  if (key === 'default') {
    v.failAtKey('AS_ERR_CONFIG_TYPE', `"default" at ${v.path} is reserved for the main Lua backend: choose another name`);
    return false;
  }
  if (/^[A-Za-z0-9._-]+$/.test(key)) return true;
  v.failAtKey('AS_ERR_CONFIG_TYPE', `expected a backend name of letters, digits, "-", "_" and "." at ${v.path}, got "${key}"`);
  return false;
};

const search = struct({
  protocol: req(list(str({ minLength: 1 }), { scalarOk: true, minItems: 1 })),
  cache_name: opt(str({ minLength: 1 })),
  backend_name: opt(str({ minLength: 1 })),
});

const luaShape = struct(
  {
    features: def(list(namedScript, { unique: { key: (f) => f.name, at: 'name', what: 'feature name' } }), []),
    filters: def(list(filterScript, { unique: { key: (f) => f.name, at: 'name', what: 'filter name' } }), []),
    actions: def(list(action, { unique: { key: (a) => `${a.type}/${a.name}`, at: 'name', what: 'action (type/name)' } }), []),
    custom_hooks: def(list(hook, { unique: { key: (h) => `${h.http_method} ${h.http_location}`, at: 'http_location', what: 'hook (method location)' } }), []),
    config: opt(runtime),
    optional_lua_backends: def(mapOf(struct({ number_of_workers: opt(int({ min: 1 })) }), optionalBackendName), {}),
    search: def(list(search), []),
  },
  (l, v) => {
    const names = Object.keys(l.optional_lua_backends);
    l.search.forEach((s, i) => {
      if (s.backend_name === undefined || s.backend_name === 'default' || names.includes(s.backend_name)) return;
      const at = v.child('search')?.items()[i]?.child('backend_name');
      const known = names.length ? `one of ${names.map((n) => `"${n}"`).join(', ')} or "default"` : '"default" (no optional_lua_backends are defined)';
      at?.fail('AS_ERR_CONFIG_TYPE', `backend_name "${s.backend_name}" at ${at.where()} names no optional Lua backend: expected ${known}${didYouMean(s.backend_name, [...names, 'default'])}`);
    });
  },
);

/** The `lua:` section, converted to the engine's `LuaConfig` (defaults filled in). */
export const luaSection: Spec<LuaConfig> = andThen(luaShape, (l) => {
  const c = l.config;
  const workers = c?.number_of_workers ?? DEFAULT_LUA_WORKERS;
  const initScripts: ScriptRef[] = [];
  for (const ref of [...(c?.init_script_path ? [c.init_script_path] : []), ...(c?.init_script_paths ?? [])]) {
    if (!initScripts.some((x) => x.path === ref.path)) initScripts.push(ref);
  }
  const optionalBackends: LuaConfig['optionalBackends'] = {};
  for (const [name, b] of Object.entries(l.optional_lua_backends)) optionalBackends[name] = { numberOfWorkers: b.number_of_workers ?? workers };
  return {
    features: l.features.map((f) => ({ name: f.name, script: f.script_path })),
    filters: l.filters.map((f) => ({ name: f.name, script: f.script_path, ...filterWhen(f) })),
    actions: l.actions.map((a) => ({ type: a.type, name: a.name, script: a.script_path })),
    customHooks: l.custom_hooks.map((h) => ({ location: h.http_location, method: h.http_method, script: h.script_path, roles: h.roles })),
    config: {
      backendScript: c?.backend_script_path ?? c?.script_path,
      initScripts,
      ...(c?.cache_flush_script_path ? { cacheFlushScript: c.cache_flush_script_path } : {}),
      packagePath: c?.package_path,
      numberOfWorkers: workers,
      ...(c?.ip_scoping_v4_cidr ? { ipScopingV4Cidr: c.ip_scoping_v4_cidr } : {}),
      ...(c?.ip_scoping_v6_cidr ? { ipScopingV6Cidr: c.ip_scoping_v6_cidr } : {}),
    },
    optionalBackends,
    search: l.search.map((s) => ({ protocols: s.protocol, cacheName: s.cache_name, backendName: s.backend_name })),
  };
});

/**
 * Nauthilus 1.10 (lualib/filter/filter.go PreCompileLuaFilters): a filter without any `when_*` key runs for
 * authenticated and unauthenticated requests, not for no-auth ones; once one key is set, unset keys are false.
 */
function filterWhen(f: { when_authenticated?: boolean; when_unauthenticated?: boolean; when_no_auth?: boolean }): Pick<LuaConfig['filters'][number], 'whenAuthenticated' | 'whenUnauthenticated' | 'whenNoAuth'> {
  const a = f.when_authenticated === true;
  const u = f.when_unauthenticated === true;
  const n = f.when_no_auth === true;
  if (!a && !u && !n) return { whenAuthenticated: true, whenUnauthenticated: true, whenNoAuth: false };
  return { whenAuthenticated: a, whenUnauthenticated: u, whenNoAuth: n };
}

/** An empty `lua:` section (no scripts, default workers). */
export function emptyLuaConfig(): LuaConfig {
  return {
    features: [],
    filters: [],
    actions: [],
    customHooks: [],
    config: { initScripts: [], numberOfWorkers: DEFAULT_LUA_WORKERS },
    optionalBackends: {},
    search: [],
  };
}
