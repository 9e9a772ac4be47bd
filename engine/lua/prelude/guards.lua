-- AuthStudio VM guards (loaded by vm.ts after the prelude): a script cannot catch its own timeout, and a
-- script's table finalizers (__gc) never run -- they would run with debug hooks off, out of reach of
-- lua_script_timeout, also when the VM closes. Nauthilus's gopher-lua (Lua 5.1) never runs a table's __gc either.
local guard = __as_guard_host
__as_guard_host = nil

local past_deadline = guard.past_deadline
local raw_pcall, raw_xpcall, raw_resume = pcall, xpcall, coroutine.resume
local raw_setmetatable, raw_load = setmetatable, load
local rawget, rawset, type, error, string_sub = rawget, rawset, type, error, string.sub
local getinfo = debug.getinfo
local TIMEOUT = "lua_script_timeout exceeded"

-- once the call is past its deadline every protected call re-raises: a loop of pcalls ends
local function pass(ok, ...)
  if not ok and past_deadline() then error(TIMEOUT, 0) end
  return ok, ...
end
pcall = function(...) return pass(raw_pcall(...)) end
xpcall = function(...) return pass(raw_xpcall(...)) end
coroutine.resume = function(...) return pass(raw_resume(...)) end

-- host modules (chunks named "=[module]") keep their finalizers: they release host resources, run no script code
local function host_finalizer(gc)
  if type(gc) ~= "function" then return false end
  local info = getinfo(gc, "S")
  return info ~= nil and string_sub(info.source, 1, 2) == "=["
end

setmetatable = function(t, mt)
  if type(mt) == "table" then
    local gc = rawget(mt, "__gc")
    if gc ~= nil and not host_finalizer(gc) then
      -- Lua marks an object for finalization only if its metatable has __gc when it is set
      rawset(mt, "__gc", nil)
      local ok, r = raw_pcall(raw_setmetatable, t, mt)
      rawset(mt, "__gc", gc)
      if not ok then error(r, 2) end
      return r
    end
  end
  return raw_setmetatable(t, mt)
end

-- scripts cannot pass their code off as a host module's
load = function(chunk, name, ...)
  if type(name) == "string" and string_sub(name, 1, 2) == "=[" then name = "=(script)" .. string_sub(name, 2) end
  return raw_load(chunk, name, ...)
end
