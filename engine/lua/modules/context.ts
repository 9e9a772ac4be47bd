// `nauthilus_context`: values shared by all stages (features, backend, filters, actions) of one request.
import type { LuaModule } from '../module';
import { toLua, checkArg } from '../values';

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
          ctx().set(key as string, value === undefined ? undefined : structuredClone(value));
        },
        context_get: (key: unknown) => {
          checkArg('context_get', 1, key, 'string');
          return toLua(ctx().get(key as string));
        },
        context_delete: (key: unknown) => {
          checkArg('context_delete', 1, key, 'string');
          ctx().delete(key as string);
        },
      },
    };
  },
};
