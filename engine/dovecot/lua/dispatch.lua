-- Calls into the script as Dovecot 2.3.19's db-lua.c does, and checks what comes back with its rules.
-- Each entry returns a flat list to JS: "error", text | "panic", text | "status", code, kind, ... |
-- "users", name... | "ok". Errors carry debug.traceback, as dlua_pcall's message handler adds it.
local host, S = __dv_host, __dv_shared
__dv_host, __dv_shared = nil, nil
local PANIC = S.PANIC

local traceback = debug.traceback
local rawload, pack, unpack = load, table.pack, table.unpack
local NULL = {} -- lua_tostring gave NULL: Dovecot prints "(null)"

local function handler(e)
  local t = type(e)
  if t == "table" and getmetatable(e) == PANIC then return e end
  if t == "string" or t == "number" or t == "nil" then return traceback(e, 2) end
  -- a JS error object: the harness stopped the script (time limit), not something Dovecot would see
  if t == "userdata" then return traceback("[harness] " .. tostring(e), 2) end
  return NULL
end

local function errtext(e)
  if e == NULL or e == nil then return "(null)" end
  return tostring(e)
end

local function global_function(name)
  local ok, fn = pcall(function() return _G[name] end)
  if ok and type(fn) == "function" then return fn end
  return nil
end

-- dlua_pcall(L, name, nargs, nresults): results padded/truncated to nresults.
local function pcall_entry(name, nargs, nresults, ...)
  local fn = global_function(name)
  if not fn then return false, "'" .. name .. "' is not a function" end
  local r = pack(xpcall(fn, handler, ...))
  if not r[1] and type(r[2]) == "table" and getmetatable(r[2]) == PANIC then return false, r[2] end
  if not r[1] then
    return false, string.format("lua_pcall(%s, %d, %d) failed: %s", name, nargs, nresults, errtext(r[2]))
  end
  return true, unpack(r, 2, 1 + nresults)
end

-- A field's value as Dovecot writes it (numbers as integers, booleans yes/no); any other type is logged and nil.
local function field_value(k, v)
  local tv = type(v)
  if tv == "number" then return string.format("%d", math.tointeger(v) or 0) end
  if tv == "boolean" then return v and "yes" or "no" end
  if tv == "string" then return v end
  host.log("warning", "req", "db-lua: '" .. k .. "' has invalid value type no value - ignoring")
  return nil
end

-- auth_lua_export_table: keys must be strings (anything else crashes the auth worker in 2.3.19).
local function export_table(t, out)
  for k, v in next, t do
    if type(k) ~= "string" then
      return false, type(k) == "number" and "invalid key to 'next'" or "segmentation fault"
    end
    out[#out + 1] = k
    out[#out + 1] = field_value(k, v) or ""
  end
  return true
end

-- 2.4's auth_lua_export_table: empty keys and keys with CR/LF/TAB are skipped with a warning, so are values of
-- other types (nothing is added for them).
local function export_table_24(t, out)
  for k, v in next, t do
    if type(k) ~= "string" and type(k) ~= "number" then return false, "segmentation fault" end
    if type(k) == "number" then return false, "invalid key to 'next'" end
    if k == "" then
      host.log("warning", "req", "db-lua: Field key cannot be empty - ignoring")
    elseif k:find("[\t\n\r]") then
      host.log("warning", "req", "db-lua: Field key cannot contain <CR>, <LF> or <TAB> - ignoring")
    else
      local value = field_value(k, v)
      if value ~= nil then
        out[#out + 1] = k
        out[#out + 1] = value
      end
    end
  end
  return true
end

-- Dovecot 2.4's auth_lua_call_lookup: OK comes with a table or nil, anything else with nil or an error string.
local function lookup_result_24(label, ok_code, a, b)
  if not S.isnumber(a) then
    return "error", string.format("db-lua: %s invalid return value (expected number got %s)", label, type(a))
  end
  local code = S.tointeger(a)
  if code ~= ok_code then
    if not S.isstring(b) and b ~= nil then
      return "error", string.format("db-lua: %s invalid error return value (expected nil or string, got %s)", label, type(b))
    end
    return "status", code, "error", b ~= nil and tostring(b) or nil
  end
  if type(b) ~= "table" and b ~= nil then
    return "error", string.format("db-lua: %s invalid return value (expected nil or table, got %s)", label, type(b))
  end
  if b == nil then return "status", code, "table" end
  local out = {}
  local fine, panic = export_table_24(b, out)
  if not fine then return "panic", panic end
  return "status", code, "table", unpack(out)
end

-- auth_lua_call_lookup's checks and auth_lua_call_lookup_finish's export.
local function lookup_result(label, ok_code, a, b)
  if host.version == "2.4" then return lookup_result_24(label, ok_code, a, b) end
  if not S.isnumber(a) then
    return "error", string.format("db-lua: %s invalid return value (expected number got %s)", label, type(a))
  end
  if not S.isstring(b) and type(b) ~= "table" then
    return "error", string.format("db-lua: %s invalid return value (expected string or table, got %s)", label, type(b))
  end
  local code = S.tointeger(a)
  if type(b) ~= "table" then return "status", code, "string", tostring(b) end
  if code ~= ok_code then return "status", code, "table" end
  local out = {}
  local fine, panic = export_table(b, out)
  if not fine then return "panic", panic end
  return "status", code, "table", unpack(out)
end

-- an entry's failure: a Dovecot assertion ("assert", the panic text) or a Lua error ("error", the message)
local function failed(e)
  if type(e) == "table" and getmetatable(e) == PANIC then return "assert", e.text end
  return "error", e
end

local E = {}

function E.chunk(src, chunkname)
  local f, err = rawload(src, chunkname, "t", _G)
  if not f then return "load_error", err end
  local ok, e = xpcall(f, handler)
  if not ok then return "error", errtext(e) end
  return "ok"
end

function E.init(settings)
  if type(rawget(_G, "script_init")) ~= "function" then return "ok" end
  if host.version == "2.4" then
    -- 2.4: script_init(lua_settings) with no result wanted; only an error stops the service
    local args = {}
    for _, kv in ipairs(settings or {}) do args[kv[1]] = kv[2] end
    local r = pack(pcall_entry("script_init", 1, 0, args))
    if not r[1] then return "error", "script_init() failed: " .. select(2, failed(r[2])) end
    return "ok"
  end
  local r = pack(pcall_entry("script_init", 0, 1))
  if not r[1] then return "error", select(2, failed(r[2])) end
  if not S.isnumber(r[2]) then return "error", "script_init() returned non-number" end
  if S.tointeger(r[2]) ~= 0 then return "error", "Script init failed" end
  return "ok"
end

function E.deinit()
  if type(rawget(_G, "script_deinit")) ~= "function" then return "ok" end
  local ok, err = pcall_entry("script_deinit", 0, 0)
  if not ok then return "error", "script_deinit() failed: " .. select(2, failed(err)) end
  return "ok"
end

function E.has(name)
  return type(rawget(_G, name)) == "function"
end

function E.password_verify(vars, password)
  local r = pack(pcall_entry("auth_password_verify", 2, 2, S.new_request(vars), password))
  if not r[1] then return failed(r[2]) end
  return lookup_result("auth_password_verify", 1, r[2], r[3])
end

function E.passdb_lookup(vars)
  local r = pack(pcall_entry("auth_passdb_lookup", 1, 2, S.new_request(vars)))
  if not r[1] then return failed(r[2]) end
  return lookup_result("auth_passdb_lookup(req)", 1, r[2], r[3])
end

function E.userdb_lookup(vars)
  local r = pack(pcall_entry("auth_userdb_lookup", 1, 2, S.new_request(vars)))
  if not r[1] then return failed(r[2]) end
  return lookup_result("auth_userdb_lookup(req)", 1, r[2], r[3])
end

function E.userdb_iterate()
  if type(rawget(_G, "auth_userdb_iterate")) ~= "function" then return "missing" end
  local r = pack(pcall_entry("auth_userdb_iterate", 0, 1))
  if not r[1] then return "error", "db-lua: auth_userdb_iterate failed: " .. select(2, failed(r[2])) end
  if type(r[2]) ~= "table" then return "error", "db-lua: Cannot iterate, return value is not table" end
  local users = {}
  for _, v in next, r[2] do
    if not S.isstring(v) then return "error", "db-lua: Value is not string" end
    users[#users + 1] = tostring(v)
  end
  return "users", unpack(users)
end

__dv_entries = E
