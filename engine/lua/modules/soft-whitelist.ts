// `nauthilus_soft_whitelist`: read and change the per-user soft whitelists of brute_force, relay_domains and
// rbl (Nauthilus 1.10's lualib/softallow.go); the engine's checks consult the same entries.
import { LuaMultiReturn } from 'wasmoon';
import type { LuaModule } from '../module';
import { SoftWhitelist, isSoftWhitelistFeature } from '../../protection/soft-whitelist';

/** gopher-lua's L.CheckString: a string, or a number as its text; anything else raises. */
function checkString(fn: string, n: number, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  const t = v === undefined || v === null ? 'nil' : typeof v === 'object' ? 'table' : typeof v;
  throw new Error(`bad argument #${n} to ${fn} (string expected, got ${t})`);
}

export const softWhitelistModule: LuaModule = {
  name: 'nauthilus_soft_whitelist',
  legacyLoaderName: 'nauthilus_soft_whitelist',
  summary: 'soft_whitelist_set/get/delete(username, [network,] feature): per-user networks exempt from brute_force, relay_domains or rbl.',
  install(host) {
    const list = () => new SoftWhitelist(() => host.services.redis, host.services.softWhitelistSeeds ?? {});
    return {
      functions: {
        // one value: nil, or "invalid feature category"; a network that is not a CIDR is ignored, as in Nauthilus
        soft_whitelist_set: async (user: unknown, network: unknown, feature: unknown) => {
          const u = checkString('soft_whitelist_set', 1, user);
          const n = checkString('soft_whitelist_set', 2, network);
          const f = checkString('soft_whitelist_set', 3, feature);
          if (!isSoftWhitelistFeature(f)) return LuaMultiReturn.from(['invalid feature category']);
          await list().set(f, u, n);
          return LuaMultiReturn.from([undefined]);
        },
        // a table of the user's networks (empty for an unknown user or feature)
        soft_whitelist_get: async (user: unknown, feature: unknown) => {
          const u = checkString('soft_whitelist_get', 1, user);
          const f = checkString('soft_whitelist_get', 2, feature);
          if (!isSoftWhitelistFeature(f)) return LuaMultiReturn.from([[]]);
          return LuaMultiReturn.from([await list().get(f, u)]);
        },
        // returns nothing, also for an unknown feature
        soft_whitelist_delete: async (user: unknown, network: unknown, feature: unknown) => {
          const u = checkString('soft_whitelist_delete', 1, user);
          const n = checkString('soft_whitelist_delete', 2, network);
          const f = checkString('soft_whitelist_delete', 3, feature);
          if (isSoftWhitelistFeature(f)) await list().delete(f, u, n);
          return LuaMultiReturn.from([]);
        },
      },
      async: ['soft_whitelist_set', 'soft_whitelist_get', 'soft_whitelist_delete'],
    };
  },
};
