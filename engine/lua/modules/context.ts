// `nauthilus_context`: values shared by all stages (features, backend, filters, actions) of one request.
import type { LuaModule } from '../module';
import type { CallContext } from '../call-context';
import { toLua, checkArg, approxBytes } from '../values';

/** Bytes charged per context key of each request (the context map itself holds only the values). */
const keySizes = new WeakMap<CallContext, Map<string, number>>();
function sizes(call: CallContext): Map<string, number> {
  let m = keySizes.get(call);
  if (!m) keySizes.set(call, (m = new Map()));
  return m;
}

export const contextModule: LuaModule = {
  name: 'nauthilus_context',
  legacyLoaderName: 'nauthilus_context',
  summary: 'Per-request key/value store shared by every stage of one request.',
  install(host) {
    const ctx = () => {
      if (!host.call) throw new Error('nauthilus_context is only available while a request is served');
      return host.call.context;
    };
    return {
      functions: {
        context_set: (key: unknown, value: unknown) => {
          checkArg('context_set', 1, key, 'string');
          const call = host.call;
          const map = ctx();
          const k = key as string;
          // counted against the request's budget (lua_memory_limit): the old value of the key is given back
          const budget = call!.budget;
          const size = approxBytes(k) + approxBytes(value, budget.limitBytes);
          if (!map.has(k)) budget.checkEntries('context_set', map.size);
          budget.release(sizes(call!).get(k) ?? 0);
          sizes(call!).delete(k);
          budget.charge('context_set', size);
          sizes(call!).set(k, size);
          map.set(k, value === undefined ? undefined : structuredClone(value));
        },
        context_get: (key: unknown) => {
          checkArg('context_get', 1, key, 'string');
          return toLua(ctx().get(key as string));
        },
        context_delete: (key: unknown) => {
          checkArg('context_delete', 1, key, 'string');
          ctx().delete(key as string);
          host.call!.budget.release(sizes(host.call!).get(key as string) ?? 0);
          sizes(host.call!).delete(key as string);
        },
      },
      lua: CONTEXT_LUA,
    };
  },
};

// gopher-lua pushes LNil for a missing key: context_get always gives one value, so tostring(context_get(k)) works
const CONTEXT_LUA = `
local api = ...
local get = api.context_get
api.context_get = function(key)
  if type(key) ~= "string" then error("bad argument #1 to 'context_get' (string expected, got " .. type(key) .. ")", 2) end
  local value = get(key)
  return value
end
return api
`;

