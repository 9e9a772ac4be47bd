-- Per-script globals: runs at the end of the prelude, in its scope, and sets `new_script_env`.
--
-- Every script of a VM gets its own globals table: a copy of the VM's globals in which the library tables
-- (string, table, math, os, coroutine, utf8, debug, io, package, nauthilus_builtin, nauthilus_backend_result)
-- are copies too, `_G` is the table itself, and load/require/getmetatable are the script's own. So a script
-- that replaces string.lower, package.loaded.json or a module function changes it for itself only, and the
-- VM's real globals (and the dispatcher, which lives in the registry) are out of its reach.
-- `("x"):lower()` always uses the pristine string library: the string metatable is shared by every script,
-- and a script's getmetatable("") is a copy.
-- Cost (docs/performance.md): about 11 KiB of Lua heap per script per VM, paid once at load; no cost per call.

local real_G, real_require, real_getmetatable, real_setmetatable = _G, require, getmetatable, setmetatable
local real_searchers, next, rawget = package.searchers, next, rawget
local c_file_searcher = package.searchers[#package.searchers] -- Lua's own file searcher (chunks get the VM's globals)

local function copy(t)
  local c = {}
  for k, v in next, t do c[k] = v end
  return c
end

local LIBS = { "string", "table", "math", "os", "coroutine", "utf8", "debug", "io", "nauthilus_builtin", "nauthilus_backend_result" }

-- Metatables that scripts made: getmetatable gives those back as they are; any other (strings, host objects) as a copy.
local script_metatables = setmetatable({}, { __mode = "k" })

-- Errors name setmetatable/getmetatable and point at the script's line, as the real functions' do.
local function script_setmetatable(t, mt)
  if type(t) ~= "table" then
    error("bad argument #1 to 'setmetatable' (table expected, got " .. (t == nil and "no value" or type(t)) .. ")", 2)
  end
  local tm = type(mt)
  if tm ~= "table" and tm ~= "nil" then error("bad argument #2 to 'setmetatable' (nil or table expected)", 2) end
  if tm == "table" then script_metatables[mt] = true end
  -- the VM's setmetatable as guards.lua left it (a script's __gc never runs), looked up now: guards load later
  if not pcall(rawget(real_G, "setmetatable"), t, mt) then error("cannot change a protected metatable", 2) end
  return t
end

local function script_getmetatable(...)
  if select("#", ...) == 0 then error("bad argument #1 to 'getmetatable' (value expected)", 2) end
  -- numbers have no metatable in gopher-lua; ours only carries the 5.1 __tostring (prelude.lua)
  if type((...)) == "number" then return nil end
  local mt = real_getmetatable((...))
  if type(mt) ~= "table" or script_metatables[mt] then return mt end
  local c = copy(mt)
  if type(c.__index) == "table" then c.__index = copy(c.__index) end
  return c
end

-- A module table for one script: its own top level (with the module's metatable: `inspect(v)` calls one),
-- and its own copies of the objects directly in it.
local function copy_module(m)
  local c = copy(m)
  local own = real_getmetatable(m)
  if own ~= nil then real_setmetatable(c, own) end
  for k, v in next, c do
    if type(v) == "table" then
      local o = copy(v)
      local mt = real_getmetatable(v)
      if mt ~= nil then real_setmetatable(o, mt) end
      c[k] = o
    end
  end
  return c
end

-- Host modules that are Lua files in Nauthilus (share/nauthilus_util.lua on package.path): a file of that name
-- found on package.path is loaded instead of the built-in module, so each release's scripts get their own copy.
local FILE_FIRST = { nauthilus_util = true }
-- Host modules only a 3.x profile has: under 1.x require looks for them on package.path like any other name
local V3_ONLY = { nauthilus_i18n = true }

-- The package.path searchers (not the C-file one): a loader and its extra value, or nil and the "no file" lines.
local function search_path(g, name, msg)
  for i = 2, #real_searchers do
    local s = real_searchers[i]
    if s ~= c_file_searcher then
      loading_env = g
      local ok, l, x = pcall(s, name)
      loading_env = nil
      if not ok then error(l, 3) end
      if type(l) == "function" then return l, x end
      if type(l) == "string" then msg[#msg + 1] = l end
    end
  end
  return nil
end

-- `require` for one script: host modules are built once per VM and copied; user modules (package_path) load
-- once per script, in the script's globals. Module code runs where a host call cannot wait (as in Lua's require).
local function make_require(g, loaded)
  return function(name)
    if type(name) ~= "string" then
      error("bad argument #1 to 'require' (string expected, got " .. type(name) .. ")", 2)
    end
    local m = loaded[name]
    if m ~= nil then return m end
    local preload = type(g.package) == "table" and rawget(g.package, "preload")
    local loader, extra
    if type(preload) == "table" and preload[name] ~= nil then
      loader, extra = preload[name], ":preload:"
    end
    if not loader and FILE_FIRST[name] then loader, extra = search_path(g, name, {}) end
    if not loader and module_names[name] and (not V3_ONLY[name] or host.nauthilus3()) then
      m = real_require(name)
      if type(m) == "table" then m = copy_module(m) end
      loaded[name] = m
      return m
    end
    if not loader then
      local msg = { "module '" .. name .. "' not found:", "\n\tno field package.preload['" .. name .. "']" }
      loader, extra = search_path(g, name, msg)
      if not loader then error(table.concat(msg), 2) end
    end
    local outer = can_wait
    can_wait = false
    local ok, r = pcall(loader, name, extra)
    can_wait = outer
    if not ok then error(r, 2) end
    if r == nil then r = loaded[name] == nil and true or loaded[name] end
    loaded[name] = r
    return r
  end
end

-- Nauthilus 3.0's request-bound modules (luapool BindModuleIntoReq, luamod ModuleManager)
local REQUEST_BOUND = {}
for _, n in ipairs({ "nauthilus_context", "nauthilus_cbor", "nauthilus_http_request", "nauthilus_http_response", "nauthilus_redis",
  "nauthilus_ldap", "nauthilus_psnet", "nauthilus_dns", "nauthilus_opentelemetry", "nauthilus_brute_force", "nauthilus_backend",
  "nauthilus_i18n", "nauthilus_policy" }) do REQUEST_BOUND[n] = true end

-- The globals of a newly compiled script.
new_script_env = function()
  local g = copy(real_G)
  local loaded = {}
  for _, name in next, LIBS do
    local lib = rawget(real_G, name)
    if type(lib) == "table" then
      local c = copy(lib)
      g[name], loaded[name] = c, c
    end
  end
  local pkg = copy(package)
  pkg.loaded, pkg.preload, pkg.searchers = loaded, {}, copy(real_searchers)
  g.package, loaded.package = pkg, pkg
  g._G, loaded._G = g, g
  g.require = make_require(g, loaded)
  g.getmetatable, g.setmetatable = script_getmetatable, script_setmetatable
  -- the VM's load as guards.lua left it (no chunk posing as a host module), looked up at each call
  g.load = function(chunk, name, mode, env) return rawget(real_G, "load")(chunk, name, mode, env or g) end
  g.loadstring = function(s, name) return rawget(real_G, "load")(s, name, "t", g) end
  g.getfenv = function() return g end
  -- Nauthilus 3.x binds the request-bound modules into each request's environment: under a 3.x profile a script
  -- may use them as globals without require (the same table require gives this script)
  real_setmetatable(g, { __index = function(_, k)
    if REQUEST_BOUND[k] and module_names[k] and host.nauthilus3() then return g.require(k) end
  end })
  return g
end
