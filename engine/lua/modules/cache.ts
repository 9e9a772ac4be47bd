// `nauthilus_cache`: the process-wide in-memory cache shared by every VM of an engine, with per-key TTLs.
import type { LuaModule } from '../module';
import { LuaMultiReturn } from 'wasmoon';
import { ret, fail, toLua, checkArg } from '../values';

/** Copy a value coming from Lua, so later changes to the script's table do not reach the cache. */
function copyIn(fn: string, value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    throw new Error(`${fn}: only strings, numbers, booleans and tables of them can be stored`);
  }
}

export const cacheModule: LuaModule = {
  name: 'nauthilus_cache',
  legacyLoaderName: 'nauthilus_cache',
  summary: 'In-process key/value cache shared by all scripts of the engine: set/get with TTL, lists (push/pop_all).',
  install(host) {
    const cache = host.services.cache;
    return {
      functions: {
        cache_set: (key: unknown, value: unknown, ttl: unknown) => {
          checkArg('cache_set', 1, key, 'string');
          checkArg('cache_set', 3, ttl, 'number', 'nil');
          if (value === undefined) {
            cache.delete(key as string);
            return ret('OK');
          }
          let copy: unknown;
          try {
            copy = copyIn('cache_set', value);
          } catch (e) {
            return fail((e as Error).message);
          }
          // a value larger than the cache allows for one entry raises (the cache evicts older entries otherwise)
          cache.set(key as string, copy, (ttl as number | undefined) ?? 0);
          return ret('OK');
        },
        cache_get: (key: unknown) => {
          checkArg('cache_get', 1, key, 'string');
          // exactly one result, nil included, so tostring(cache_get(k)) works
          return LuaMultiReturn.from([toLua(cache.get(key as string))]);
        },
        cache_delete: (key: unknown) => {
          checkArg('cache_delete', 1, key, 'string');
          return cache.delete(key as string);
        },
        cache_exists: (key: unknown) => {
          checkArg('cache_exists', 1, key, 'string');
          return cache.has(key as string);
        },
        // the set half of cache_update: keeps the entry's remaining TTL where the cache can tell it
        update_set: (key: string, value: unknown) => {
          const ttl = (cache as { remainingTtl?(k: string): number | undefined }).remainingTtl?.(key);
          try {
            if (value === undefined) cache.delete(key);
            else cache.set(key, copyIn('cache_update', value), ttl ?? 0);
          } catch (e) {
            return (e as Error).message;
          }
          return undefined;
        },
        cache_keys: () => cache.keys(),
        cache_size: () => cache.size(),
        cache_flush: () => {
          cache.flush();
        },
        cache_push: (key: unknown, value: unknown) => {
          checkArg('cache_push', 1, key, 'string');
          return cache.push(key as string, copyIn('cache_push', value ?? null));
        },
        cache_pop_all: (key: unknown) => {
          checkArg('cache_pop_all', 1, key, 'string');
          return toLua(cache.popAll(key as string));
        },
      },
      // cache_update runs the updater in Lua between a get and a set: no other script runs in between
      lua: `
local api = ...
local M = {}
for k, v in pairs(api) do if k ~= "update_set" then M[k] = v end end
function M.cache_update(key, fn)
  if type(key) ~= "string" then error("bad argument #1 to 'cache_update' (string expected, got " .. type(key) .. ")", 2) end
  if type(fn) ~= "function" then error("bad argument #2 to 'cache_update' (function expected, got " .. type(fn) .. ")", 2) end
  local new = fn(api.cache_get(key))
  local err = api.update_set(key, new)
  if err then error(err, 2) end
  return new
end
return M
`,
    };
  },
};
