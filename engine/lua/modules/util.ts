// `nauthilus_util`: the helper library Nauthilus scripts load without dynamic_loader.
import crypto from 'node:crypto';
import net from 'node:net';
import type { LuaModule } from '../module';
import { checkArg } from '../values';
import { goFormat, loadLocation } from './time-layout';
import { luaNumberText } from '../go-number';
import { isNauthilus3 } from '../services';

const NON_ROUTABLE = new net.BlockList();
for (const [addr, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_ROUTABLE.addSubnet(addr, prefix, 'ipv4');
for (const [addr, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['64:ff9b:1::', 48],
] as const) NON_ROUTABLE.addSubnet(addr, prefix, 'ipv6');

/** True for a syntactically valid, globally routable unicast address (the engine's own RBL check uses it). */
export function isRoutableIp(ip: string): boolean {
  let addr = ip.trim();
  const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  if (v4mapped) addr = v4mapped[1];
  const family = net.isIP(addr);
  if (family === 0) return false;
  return !NON_ROUTABLE.check(addr, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Nauthilus 1.10's is_routable_ip (share/nauthilus_util.lua): a dotted quad of digit groups is checked against
 * a fixed list of IPv4 ranges (octets are not range-checked: "999.1.1.1" counts as routable); anything else
 * containing ":" is routable unless it starts like fc00::/7 or fe80::/10 or is "::1" or "::"; the rest is not.
 */
const NON_ROUTABLE_V4: Array<(o: number[]) => boolean> = [
  (o) => o[0] === 0 || o[0] === 10 || o[0] === 127,
  (o) => o[0] === 172 && o[1] >= 16 && o[1] <= 31,
  (o) => o[0] === 192 && o[1] === 168,
  (o) => o[0] === 169 && o[1] === 254,
  (o) => o[0] === 100 && o[1] >= 64 && o[1] <= 127,
  (o) => o[0] === 192 && o[1] === 0 && (o[2] === 0 || o[2] === 2),
  (o) => o[0] === 198 && o[1] === 51 && o[2] === 100,
  (o) => o[0] === 203 && o[1] === 0 && o[2] === 113,
  (o) => o[0] === 192 && o[1] === 88 && o[2] === 99,
  (o) => o[0] >= 224 && o[0] <= 255,
];

export function luaIsRoutableIp(ip: string): boolean {
  const quad = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (quad) {
    const o = quad.slice(1).map(Number);
    return !NON_ROUTABLE_V4.some((inRange) => inRange(o));
  }
  if (/^[fF][cCdD]/.test(ip) || /^[fF][eE][89abAB]/.test(ip) || ip === '::1' || ip === '::') return false;
  return ip.includes(':');
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export const utilModule: LuaModule = {
  name: 'nauthilus_util',
  summary: 'Helpers: error raising, type tests, table helpers, routable IPs, random strings, result printing.',
  install(host) {
    return {
      functions: {
        numstr: (n: number) => luaNumberText(n),
        // the workspace targets Nauthilus 1.12 or 3.x (config.profile): if_error_raise ignores "OK" and the log
        // functions exist, as in 1.12's and 3.0's share/nauthilus_util.lua (1.10's has neither)
        v3: () => isNauthilus3(host.services) || host.services.profile === '1.12',
        is_routable_ip: (ip: unknown) => {
          checkArg('is_routable_ip', 1, ip, 'string');
          return luaIsRoutableIp(ip as string);
        },
        generate_random_string: (len: unknown) => {
          checkArg('generate_random_string', 1, len, 'number');
          const n = Math.max(0, Math.min(4096, Math.floor(len as number)));
          const bytes = crypto.randomBytes(n);
          let s = '';
          for (let i = 0; i < n; i++) s += ALNUM[bytes[i] % ALNUM.length];
          return s;
        },
        getenv_raw: (name: unknown) => {
          checkArg('getenv', 1, name, 'string');
          return host.services.getenv(name as string);
        },
        log_raw: (level: unknown, line: unknown) => {
          const lvl = level === 'debug' || level === 'warn' || level === 'error' ? level : 'info';
          host.services.logger[lvl]({ pool: host.poolName, session: host.call?.session, script_log: String(line) }, 'script');
          host.call?.record('log', { level: lvl, line: String(line) });
        },
        // Nauthilus 1.10: "2006-01-02T15:04:05 -07:00" in the zone $TZ names (UTC when unset or unknown)
        timestamp_raw: () => {
          const now = Math.floor((host.services.clock?.() ?? Date.now()) / 1000);
          const tz = host.services.getenv('TZ');
          try {
            return goFormat(now, '2006-01-02T15:04:05 -07:00', loadLocation(tz ? tz : 'UTC'));
          } catch {
            return goFormat(now, '2006-01-02T15:04:05 -07:00', loadLocation('UTC'));
          }
        },
      },
      lua: `
local api = ...
local M = {}

function M.exists_in_table(tbl, element)
  if type(tbl) ~= "table" then return false end
  for _, v in pairs(tbl) do
    if v == element then return true end
  end
  return false
end

function M.get_current_timestamp() return api.timestamp_raw() end

function M.table_length(tbl)
  if type(tbl) ~= "table" then return 0 end
  local n = 0
  for _ in pairs(tbl) do n = n + 1 end
  return n
end

-- raise at the caller's line, so the error names the script, not this module. "redis: nil" (a missing
-- key, as go-redis reports it) is not an error, as in Nauthilus; Nauthilus 3.0 also lets "OK" pass.
local v3 = api.v3 -- asked when used: a reload may switch the profile after the module was loaded
function M.if_error_raise(err)
  if err ~= nil and err ~= false and err ~= "redis: nil" and not (err == "OK" and v3()) then
    error(tostring(err), 2)
  end
end

function M.is_table(v) return type(v) == "table" end
function M.is_string(v) return type(v) == "string" end
function M.is_number(v) return type(v) == "number" end

-- Nauthilus 1.10: false only for "false", "0" and "" (any case), true for every other string or number;
-- anything else raises, as string.lower does there
function M.toboolean(v)
  local t = type(v)
  if t == "number" then return api.numstr(v) ~= "0" end
  if t ~= "string" then
    error("bad argument #1 to 'lower' (string expected, got " .. t .. ")", 2)
  end
  local s = string.lower(v)
  return not (s == "false" or s == "0" or s == "")
end

M.generate_random_string = api.generate_random_string
M.is_routable_ip = api.is_routable_ip
M.getenv = function(name, default)
  local v = api.getenv_raw(name)
  if v == nil or v == "" then return default end
  return v
end

function M.get_redis_key(request, key)
  local prefix = ""
  if type(request) == "table" and type(request.redis_prefix) == "string" then prefix = request.redis_prefix end
  return prefix .. tostring(key)
end

local function flatten(result)
  local keys = {}
  for k in pairs(result) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = result[k]
    if type(v) == "table" then
      local ok, s = pcall(require("json").encode, v)
      v = ok and s or tostring(v)
    end
    parts[#parts + 1] = k .. "=" .. tostring(v)
  end
  return table.concat(parts, " ")
end

-- print_result(logging, result, err_string): one log line for a hook or init script
function M.print_result(logging, result, err_string)
  local r = {}
  if type(result) == "table" then for k, v in pairs(result) do r[k] = v end end
  r.ts = M.get_current_timestamp() -- Nauthilus 1.10 stamps every line
  local level = "info"
  if err_string ~= nil and err_string ~= "" then
    r.level = "error"
    r.error = tostring(err_string)
    level = "error"
  elseif type(r.level) == "string" then
    level = r.level
  end
  local line
  if type(logging) == "table" and logging.log_format == "json" then
    local s, err = require("json").encode(r)
    line = s or flatten(r)
  else
    line = flatten(r)
  end
  api.log_raw(level, line)
end

-- Nauthilus 3.0: log(logging, level, result[, err_string]) and log_<level>(logging, result): a print_result
-- line when the level reaches logging.log_level (default info; an unknown name counts as info)
do
  local L3 = {}
  setmetatable(M, { __index = function(_, k) if v3() then return L3[k] end end })
  local rank = { debug = 0, info = 1, notice = 2, warn = 3, error = 4 }
  function L3.log(logging, level, result, err_string)
    local configured = type(logging) == "table" and type(logging.log_level) == "string" and logging.log_level or "info"
    level = tostring(level):lower()
    if (rank[level] or 1) < (rank[configured:lower()] or 1) then return end
    if type(result) ~= "table" then result = { msg = result } end
    result.level = level
    M.print_result(logging, result, err_string)
  end
  for _, name in ipairs({ "debug", "info", "notice", "warn" }) do
    L3["log_" .. name] = function(logging, result) L3.log(logging, name, result) end
  end
  function L3.log_error(logging, result, err_string) L3.log(logging, "error", result, err_string) end
end

return M
`,
    };
  },
};
