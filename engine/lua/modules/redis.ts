// `nauthilus_redis`: Redis commands for scripts, on the engine's connection ("default") or on pools they register.
import { CRYPT_LUA, cryptFunctions } from './redis-crypt';
import { LuaMultiReturn } from 'wasmoon';
import type { LuaModule, HostFunction } from '../module';
import type { RedisSettings } from '../../config/types';
import { checkArg, fail, ret } from '../values';
import { RedisRunner, errorText, listValues, LuaValueConversionError } from './redis-runner';
import { keyCommands, hashCommands } from './redis-commands';
import { setCommands, sortedSetCommands, listCommands, hyperLogLogCommands } from './redis-collections';
import { scriptCommands } from './redis-scripts';
import { pipelineCommands } from './redis-pipeline';

/** Pools registered from Lua get this timeout when the engine's own settings name none. */
const POOL_COMMAND_TIMEOUT_MS = 5000;

/**
 * Nauthilus' `register_redis_pool(name, mode, cfg)` config table -> the store's settings. Keys as Nauthilus 1.10
 * reads them (address, addresses, master_name, sentinel_username, sentinel_password, username, password, db,
 * tls_enabled, tls_cert_file, tls_key_file; pool_size and min_idle_conns are accepted and unused). AuthStudio adds
 * tls_ca_file and tls_skip_verify: Nauthilus verifies pool servers against the system's CAs only.
 */
export function poolSettings(mode: string, cfg: Record<string, unknown>, base: RedisSettings): RedisSettings | string {
  const str = (k: string) => (typeof cfg[k] === 'string' && cfg[k] !== '' ? (cfg[k] as string) : undefined);
  const int = (k: string) => (typeof cfg[k] === 'number' ? Math.trunc(cfg[k] as number) : undefined);
  const list = typeof cfg.addresses === 'object' && cfg.addresses !== null
    ? listValues('register_redis_pool', 3, cfg.addresses).map(String)
    : [];
  const common: Omit<RedisSettings, 'mode' | 'addresses'> = {
    username: str('username'),
    password: str('password'),
    database: int('db'),
    prefix: '',
    positiveCacheTtlSec: base.positiveCacheTtlSec,
    negativeCacheTtlSec: base.negativeCacheTtlSec,
    commandTimeoutMs: base.commandTimeoutMs ?? POOL_COMMAND_TIMEOUT_MS,
  };
  // Nauthilus reads tls_enabled only when it is a boolean
  if (cfg.tls_enabled === true) {
    common.tls = true;
    common.tlsCertFile = str('tls_cert_file');
    common.tlsKeyFile = str('tls_key_file');
    common.tlsCaFile = str('tls_ca_file');
    common.tlsSkipVerify = cfg.tls_skip_verify === true;
  }
  switch (mode) {
    case 'standalone': {
      const address = str('address') ?? list[0];
      if (!address) return 'register_redis_pool: standalone mode needs cfg.address ("host:port")';
      return { ...common, mode: 'standalone', addresses: [address] };
    }
    case 'sentinel':
    case 'sentinel_replica': {
      const master = str('master_name');
      if (list.length === 0 || !master) return `register_redis_pool: ${mode} mode needs cfg.addresses and cfg.master_name`;
      return {
        ...common, mode: 'sentinel', addresses: list, sentinelMaster: master,
        sentinelUsername: str('sentinel_username'), sentinelPassword: str('sentinel_password'),
        sentinelReplica: mode === 'sentinel_replica',
      };
    }
    case 'cluster':
      if (list.length === 0) return 'register_redis_pool: cluster mode needs cfg.addresses';
      return { ...common, mode: 'cluster', addresses: list };
    default:
      return `Unknown mode: ${mode}`;
  }
}

// Handles are tables naming a pool; a plain string names one too ("default" is the engine's connection).
// Each redis_* function resolves the handle, then tail-calls the host function so errors name the script's line.
const LUA_SOURCE = `
local api = ...
local M = {}
local Handle = { __name = "redis_client" }
Handle.__index = Handle
Handle.__tostring = function(h) return "redis_client(" .. rawget(h, "__redis_pool") .. ")" end

local function pool_of(h, fname)
  local t = type(h)
  if t == "string" then return h end
  if t == "table" then
    local p = rawget(h, "__redis_pool")
    if type(p) == "string" then return p end
  end
  error("bad argument #1 to '" .. fname .. "' (redis connection handle expected, got " .. t .. ")", 3)
end

for name, fn in pairs(api) do
  if string.sub(name, 1, 6) == "redis_" then
    M[name] = function(h, ...) return fn(pool_of(h, name), ...) end
  end
end

function M.get_redis_connection(name)
  if type(name) ~= "string" then
    error("bad argument #1 to 'get_redis_connection' (string expected, got " .. type(name) .. ")", 2)
  end
  local ok, err = api.pool_exists(name)
  if not ok then return nil, err end
  return setmetatable({ __redis_pool = name }, Handle)
end

M.register_redis_pool = api.register_redis_pool
${CRYPT_LUA}
return M
`;

/** The `nauthilus_redis` module (1.x loader name `nauthilus_redis`). */
export const redisModule: LuaModule = {
  name: 'nauthilus_redis',
  legacyLoaderName: 'nauthilus_redis',
  summary: 'Redis commands (strings, hashes, sets, sorted sets, lists, HyperLogLog, scripts, pipelines) on the default connection or registered pools.',
  install(host) {
    const runner = new RedisRunner(host);
    const commands: Record<string, HostFunction> = {
      ...keyCommands(runner),
      ...hashCommands(runner),
      ...setCommands(runner),
      ...sortedSetCommands(runner),
      ...listCommands(runner),
      ...hyperLogLogCommands(runner),
      ...scriptCommands(runner),
      ...pipelineCommands(runner),
    };
    // a value Nauthilus cannot convert (a table where a string belongs) is the command's error, not a raise
    for (const [name, fn] of Object.entries(commands)) {
      commands[name] = (...args: unknown[]) => {
        try {
          return fn(...args);
        } catch (e) {
          if (e instanceof LuaValueConversionError) return Promise.resolve(fail(e.message));
          throw e;
        }
      };
    }
    return {
      functions: {
        ...commands,
        ...cryptFunctions(host),
        pool_exists: (name: string) => {
          if (host.services.redis.hasPool(name)) return ret(true);
          return fail(`No known redis configuration found with name '${name}'`);
        },
        register_redis_pool: (name: unknown, mode: unknown, cfg: unknown) => {
          checkArg('register_redis_pool', 1, name, 'string');
          checkArg('register_redis_pool', 2, mode, 'string');
          checkArg('register_redis_pool', 3, cfg, 'table');
          const settings = poolSettings(mode as string, cfg as Record<string, unknown>, host.services.redis.settings);
          // Nauthilus 1.10 answers an unknown mode with the message as the first value and no error
          if (typeof settings === 'string' && settings.startsWith('Unknown mode')) return LuaMultiReturn.from([settings, undefined]);
          if (typeof settings === 'string') return fail(settings);
          try {
            host.services.redis.registerPool(name as string, settings);
          } catch (e) {
            return fail(errorText(e));
          }
          return ret('OK');
        },
      },
      async: Object.keys(commands),
      lua: LUA_SOURCE,
    };
  },
};
