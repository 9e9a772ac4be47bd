// Nauthilus 3.0's cache flush callback (lualib/cacheflush, core/rest.go processUserCmd, v3.0.1): when the cache
// flush admin endpoint runs for a user, lua.config.cache_flush_script_path's nauthilus_cache_flush(request) runs
// first; it may name further Redis keys to delete and the user's account. A failing script is logged and the
// flush goes on without it.
import fs from 'node:fs';
import type { AuthStudioConfig } from '../config/types';
import type { EngineServices } from '../lua/services';
import { LuaVm } from '../lua/vm';
import { CallContext } from '../lua/call-context';
import { chunkName } from '../lua/chunk-name';
import { encodeLuaRequest, scriptRedisPrefix, V3_FIELD_DEFAULTS } from './lua-request';

/** What the script returned (lualib/cacheflush Result). */
export interface CacheFlushResult {
  additionalKeys: string[];
  accountName?: string;
}

/**
 * Run the configured cache flush script for `user` (undefined when none is configured). Throws the script's error
 * (with its file:line) for the caller to log.
 */
export async function runCacheFlushScript(config: AuthStudioConfig, services: EngineServices, user: string, session: string): Promise<CacheFlushResult | undefined> {
  const ref = config.lua.config.cacheFlushScript;
  if (!ref) return undefined;
  const vm = await LuaVm.create({
    poolName: 'cacheflush', services, memoryLimitBytes: config.server.luaMemoryLimitBytes, allowIo: config.server.luaAllowIo,
    packagePath: config.lua.config.packagePath, scriptTimeoutMs: config.server.luaScriptTimeoutMs,
  });
  try {
    const script = await vm.loadScript(chunkName(ref), fs.readFileSync(ref.path, 'utf8'), config.server.luaScriptTimeoutMs);
    // buildRequestTable: a CommonRequest with the session, the user and the Redis prefix
    const request = encodeLuaRequest({
      ...V3_FIELD_DEFAULTS, debug: config.server.logLevel === 'debug', session, username: user, account: '', service: '', protocol: '',
      client_ip: '', user_found: false, authenticated: false, no_auth: false, redis_prefix: scriptRedisPrefix(config),
    });
    const [keys, account] = await vm.dispatch('cache_flush', script, request, [], new CallContext(session), config.server.luaScriptTimeoutMs);
    const additionalKeys = (Array.isArray(keys) ? keys : Object.values((keys as Record<string, unknown>) ?? {})).filter((k): k is string => typeof k === 'string');
    return { additionalKeys, ...(typeof account === 'string' && account !== '' ? { accountName: account } : {}) };
  } finally {
    vm.close();
  }
}
