// `nauthilus_backend` (Nauthilus 1.10 lualib/filter/filter.go LoaderModBackend): in filters, the backend servers
// monitoring lists as alive, the server nginx should proxy to, changes to the backend's attributes, and a health check.
import type { LuaModule, ModuleHost } from '../module';
import type { FilterBackend } from '../call-context';
import type { BackendServerConfig } from '../../config/types';
import { checkBackendConnection } from '../../monitoring/backend-check';
import { currentAttributes } from '../../pipeline/filter-backend';

const ONLY_FILTERS = 'nauthilus_backend: only available while a filter runs (Nauthilus 1.10 gives this module to filters only)';

function state(host: ModuleHost): FilterBackend {
  const b = host.call?.backend;
  if (!b) throw new Error(ONLY_FILTERS);
  return b;
}

/** A backend server as Lua sees it: the 10 fields of Nauthilus' nauthilus_backend_server userdata. */
function luaServer(s: BackendServerConfig): Record<string, unknown> {
  return {
    protocol: s.protocol, host: s.host, port: s.port, request_uri: s.requestUri, test_username: s.testUsername,
    test_password: s.testPassword, haproxy_v2: s.haproxyV2, tls: s.tls, tls_skip_verify: s.tlsSkipVerify, deep_check: s.deepCheck,
  };
}

export const backendModule: LuaModule = {
  name: 'nauthilus_backend',
  legacyLoaderName: 'nauthilus_backend',
  summary: 'Filters: the monitored backend servers, the server nginx proxies to, changes to the backend result, health checks.',
  install(host) {
    return {
      functions: {
        servers_raw: () => state(host).servers.map(luaServer),
        select_raw: (server: string, port: number) => {
          state(host).selected = { host: server, port };
        },
        apply_raw: (attrs: Record<string, string | string[]> | undefined) => {
          const b = state(host);
          for (const [k, v] of Object.entries(attrs ?? {})) b.apply[k] = v;
        },
        remove_raw: (names: string[] | undefined) => {
          const b = state(host);
          for (const n of names ?? []) if (!b.remove.includes(n)) b.remove.push(n);
        },
        // Nauthilus 3.0: what the subject sources (filters) see of the request's backend so far
        selected_raw: () => state(host).selected,
        removed_raw: () => [...state(host).remove],
        current_raw: () => {
          const b = state(host);
          return { ...b.current, attributes: currentAttributes(b) };
        },
        check_raw: async (server: BackendServerConfig) => {
          state(host);
          try {
            // a filter given up (lua_script_timeout) ends its check at once
            await checkBackendConnection(server, host.call?.abortSignal?.signal);
            return undefined;
          } catch (e) {
            return (e as Error).message;
          }
        },
      },
      async: ['check_raw'],
      lua: BACKEND_LUA,
    };
  },
};

const BACKEND_LUA = `
local api, _, internals = ...
local M = {}
local FIELDS = { protocol = true, host = true, port = true, request_uri = true, test_username = true,
  test_password = true, haproxy_v2 = true, tls = true, tls_skip_verify = true, deep_check = true }
local SERVER = {
  __name = "nauthilus_backend_server",
  __index = function(self, k) if FIELDS[k] then return rawget(self, "__f")[k] end return nil end,
  __newindex = function(_, k) error("nauthilus_backend_server: field '" .. tostring(k) .. "' is read-only", 2) end,
  __metatable = "nauthilus_backend_server",
}

function M.get_backend_servers()
  local out = {}
  for i, f in ipairs(api.servers_raw()) do out[i] = setmetatable({ __f = f }, SERVER) end
  return out
end

-- gopher-lua: exactly two arguments, CheckString(1) (a number counts) and CheckInt(2) (a number, truncated)
function M.select_backend_server(...)
  if select("#", ...) ~= 2 then
    error("bad argument #2 to 'select_backend_server' (expected server (string) and port (number))", 2)
  end
  local server, port = ...
  if type(server) ~= "string" and type(server) ~= "number" then
    error("bad argument #1 to 'select_backend_server' (string expected, got " .. type(server) .. ")", 2)
  end
  if type(port) ~= "number" then -- CheckInt takes numbers only, not numeric strings
    error("bad argument #2 to 'select_backend_server' (number expected, got " .. type(port) .. ")", 2)
  end
  local p = port >= 0 and math.floor(port) or math.ceil(port)
  api.select_raw(tostring(server), p)
end

local function text(v)
  if math.type(v) == "float" and v == math.floor(v) and v > -1e15 and v < 1e15 then return string.format("%d", v) end
  return tostring(v)
end

-- the attributes of a backend result object are merged into the request's (existing ones are kept)
function M.apply_backend_result(b)
  if type(b) ~= "table" and type(b) ~= "userdata" then
    error("bad argument #1 to 'apply_backend_result' (userdata expected, got " .. type(b) .. ")", 2)
  end
  local f = internals.backend_fields(b)
  if f == nil then error("bad argument #1 to 'apply_backend_result' (expected lua backend_result)", 2) end
  local attrs = {}
  for k, v in pairs(f.attributes or {}) do
    if type(v) == "table" then
      local list = {}
      for _, x in ipairs(v) do list[#list + 1] = text(x) end
      attrs[text(k)] = list
    else
      attrs[text(k)] = text(v)
    end
  end
  api.apply_raw(attrs)
end

function M.remove_from_backend_result(t)
  if type(t) ~= "table" then
    error("bad argument #1 to 'remove_from_backend_result' (table expected, got " .. type(t) .. ")", 2)
  end
  local names = {}
  for _, v in pairs(t) do names[#names + 1] = text(v) end
  api.remove_raw(names)
end

-- Nauthilus 3.0: the selected server (host, port) or nil, nil; the attribute names removed so far; a new backend
-- result object with the backend's result as it stands (the attributes with what filters applied and removed)
function M.get_selected_backend_server()
  local s = api.selected_raw()
  if s == nil then return nil, nil end
  return s.host, s.port
end

function M.get_removed_backend_attributes()
  local out = {}
  for i, n in ipairs(api.removed_raw()) do out[i] = n end
  return out
end

function M.get_current_backend_result()
  local c = api.current_raw()
  local b = nauthilus_backend_result.new()
  b:authenticated(c.authenticated == true)
  b:user_found(c.userFound == true)
  if c.accountField then b:account_field(c.accountField) end
  if c.totpSecretField then b:totp_secret_field(c.totpSecretField) end
  local attrs = {}
  for k, v in pairs(c.attributes or {}) do attrs[k] = v end
  b:attributes(attrs)
  return b
end

-- the server is a table: protocol, ip_address, port, haproxy_v2, tls, tls_skip_verify, test_username,
-- test_password, request_uri, deep_check; returns nil when it answered, else the error text
function M.check_backend_connection(t)
  if type(t) ~= "table" then
    error("bad argument #1 to 'check_backend_connection' (table expected, got " .. type(t) .. ")", 2)
  end
  local port = rawget(t, "port")
  if type(port) ~= "number" then
    error("check_backend_connection: port must be a number, got " .. type(port), 2)
  end
  local function s(k) local v = rawget(t, k); if v == nil then return "" end return text(v) end
  local function b(k) return rawget(t, k) == true end
  return api.check_raw({
    protocol = string.lower(s("protocol")), host = s("ip_address"), port = math.floor(port),
    haproxyV2 = b("haproxy_v2"), tls = b("tls"), tlsSkipVerify = b("tls_skip_verify"),
    testUsername = s("test_username"), testPassword = s("test_password"), requestUri = s("request_uri"),
    deepCheck = b("deep_check"),
  })
end

return M
`;
