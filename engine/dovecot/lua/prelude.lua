-- Dovecot harness prelude: sandbox, Dovecot-style argument checks, and host-file-system `require`.
-- Runs first in every Dovecot VM. `__dv_host` (JS functions) and `__dv_shared` (helpers for the next
-- chunks) are globals only until dispatch.lua removes them.
local host, S = __dv_host, __dv_shared

-- Dovecot 2.3 scripts get the full standard library; only what would reach into the Node process goes.
os.exit = nil
os.execute = nil
os.remove = nil
os.rename = nil
os.tmpname = nil
os.getenv = function(name)
  if type(name) ~= "string" and type(name) ~= "number" then
    error("bad argument #1 to 'getenv' (string expected, got " .. (name == nil and "no value" or type(name)) .. ")", 2)
  end
  -- exactly one result, as liblua's getenv: a JS undefined would come back as no value at all
  local value = host.getenv(tostring(name))
  return value
end
package.loadlib = nil
package.cpath = ""
print = function(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
  host.print(table.concat(parts, "\t"))
end

-- luaL_typeerror's name for a value: the metatable's __name wins (Dovecot's objects carry one).
function S.typename(v)
  if type(v) == "table" then
    local mt = getmetatable(v)
    if type(mt) == "table" and type(rawget(mt, "__name")) == "string" then return rawget(mt, "__name") end
  end
  return type(v)
end

-- "bad argument #n to 'fn' (T expected, got U)" at the script's line (level 3: checker, wrapper, script).
function S.argerror(fname, argn, expected, v, present)
  local got = present and S.typename(v) or "no value"
  error(string.format("bad argument #%d to '%s' (%s expected, got %s)", argn, fname, expected, got), 3)
end

-- luaL_checkstring: strings, and numbers converted as Lua prints them.
function S.checkstring(fname, argn, v, present)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
  local got = present and S.typename(v) or "no value"
  error(string.format("bad argument #%d to '%s' (string expected, got %s)", argn, fname, got), 3)
end

-- A Dovecot assertion the script trips: the auth worker dies (dispatch.lua reports it as "assert").
S.PANIC = {}
function S.panic(text) error(setmetatable({ text = text }, S.PANIC), 0) end

-- DLUA_REQUIRE_ARGS: Dovecot's message carries no position.
function S.require_args(n, got)
  if n ~= got then error(string.format("expected %d arguments, got %d", n, got), 0) end
end

-- lua_isnumber / lua_tointeger / lua_isstring as the C API sees values.
function S.isnumber(v)
  return type(v) == "number" or (type(v) == "string" and tonumber(v) ~= nil)
end
function S.tointeger(v)
  local n = tonumber(v)
  if n == nil then return 0 end
  return math.tointeger(n) or 0
end
function S.isstring(v)
  return type(v) == "string" or type(v) == "number"
end

---------------------------------------------------------------------------------------------------
-- require / dofile / loadfile read pure-Lua files from the host file system (read-only), following
-- package.path as the script set it; the host may map a path (e.g. /etc/dovecot/lua) to a local folder.
---------------------------------------------------------------------------------------------------
local rawload = load
package.path = host.default_package_path()
package.searchers[2] = function(name)
  local src, chunkname = host.find_module(name, package.path)
  if not src then return chunkname end
  local f, err = rawload(src, chunkname, "t")
  if not f then
    error(string.format("error loading module '%s' from file '%s':\n\t%s", name, chunkname:sub(2), err), 0)
  end
  return f, chunkname:sub(2)
end
package.searchers[3] = nil
package.searchers[4] = nil

loadfile = function(filename, mode, env)
  if filename == nil then return nil, "loadfile from stdin is not available in the harness" end
  local src, chunkname = host.read_file(S.checkstring("loadfile", 1, filename, true))
  if not src then return nil, chunkname end
  return rawload(src, chunkname, mode or "bt", env or _G)
end

-- io.open / io.lines read the host's files as Dovecot's auth process would (a path map applies); what
-- a script writes stays in the Lua state's memory (the harness never changes the machine).
local rawopen, rawlines = io.open, io.lines
local LINUX_ERRNO = { [44] = 2, [2] = 13, [31] = 21, [54] = 20, [20] = 17, [28] = 22 }
local function staged(fname, filename, mode)
  local err, errno_or_path = host.stage_file(filename, mode)
  if err then return nil, err, errno_or_path end
  return errno_or_path
end
io.open = function(filename, mode)
  local name = S.checkstring("open", 1, filename, true)
  local m = mode == nil and "r" or S.checkstring("open", 2, mode, true)
  if not m:match("^[rwa]%+?b?$") then error("bad argument #2 to 'open' (invalid mode)", 2) end
  local target, err, errno = staged("open", name, m)
  if not target then return nil, err, errno end
  local f, e2, n2 = rawopen(target, m)
  -- the in-memory file system reports emscripten's errno values: give Linux's as Dovecot's Lua does
  if not f then return nil, (e2 or ""):gsub("^" .. target:gsub("%p", "%%%0"), name, 1), LINUX_ERRNO[n2] or n2 end
  return f
end
io.lines = function(filename, ...)
  if filename == nil then return rawlines() end
  local name = S.checkstring("lines", 1, filename, true)
  local target, err = staged("lines", name, "r")
  if not target then error(err, 2) end
  return rawlines(target, ...)
end

dofile = function(filename)
  local f, err = loadfile(filename)
  if not f then error(err, 2) end
  return f()
end
