-- AuthStudio VM prelude: sandbox, Lua 5.1 shims, module loader and the entry-point dispatcher.
-- Runs once per VM before any user script. `__as_host` holds the JS host functions; the prelude
-- captures it and removes it from _G so scripts never see it. The host reaches the dispatcher and the
-- compiler through the registry (`__as_dispatch`, `__as_compile`), which scripts cannot reach.
local host = __as_host
__as_host = nil
local registry = debug.getregistry()
-- set by script-env.lua (appended to this chunk); loading_env: the globals a user module loads into
local new_script_env, loading_env

local __as_rawcollect = collectgarbage
local rawload, pcall, error, type, tostring, tonumber, select = load, pcall, error, type, tostring, tonumber, select
local setmetatable, string_find, string_sub, table_pack, table_unpack = setmetatable, string.find, string.sub, table.pack, table.unpack

---------------------------------------------------------------------------------------------------
-- Sandbox: nothing that reaches the host process or loads bytecode.
---------------------------------------------------------------------------------------------------
os.exit = nil
os.execute = nil
os.remove = nil
os.rename = nil
os.tmpname = nil
os.setlocale = nil
os.getenv = function(name)
  if type(name) ~= "string" then error("bad argument #1 to 'getenv' (string expected, got " .. type(name) .. ")", 2) end
  return host.getenv(name)
end
-- wasmoon's io sees only an in-memory file system: gone; with lua_allow_io the host's io.lua replaces it
io = nil
package.loaded.io = nil
package.loadlib = nil
package.cpath = ""
package.searchers[3] = nil
package.searchers[4] = nil
string.dump = nil
-- Numbers print as in Nauthilus' gopher-lua (Lua 5.1, every number a float64): tostring(6/2) is "3", not "3.0";
-- other floats as Go's %v (1.5, 1e-05, 1e+21). tostring, print and string.format("%s") honour __tostring on
-- the number metatable; `..` does not (authstudio check warns about divisions that flow into a concatenation).
do
  local math_type, math_floor, string_format, number_text = math.type, math.floor, string.format, host.number_text
  debug.setmetatable(0, { __tostring = function(n)
    if math_type(n) == "integer" then return string_format("%d", n) end
    if n == math_floor(n) and n >= -2^63 and n < 2^63 then return string_format("%d", n) end
    return number_text(n)
  end })
  -- gopher-lua's string.format is Go's fmt.Sprintf: %d, %i, %x, %X, %o and %c of 7/2 truncate it to 3, where Lua 5.4
  -- raises "number has no integer representation". Only when an argument is such a float is the format walked.
  local string_find, table_pack, table_unpack, select = string.find, table.pack, table.unpack, select
  local INT_CONV = { d = true, i = true, x = true, X = true, o = true, c = true }
  -- the C function runs under pcall so that an error names 'format' and points at the script's line (error level 2)
  local function format(f, ...)
    local ok, r = pcall(string_format, f, ...)
    if ok then return r end
    if type(r) == "string" then r = string.gsub(r, "^bad argument (#%d+) to '[^']*'", "bad argument %1 to 'format'") end
    error(r, 3)
  end
  -- Go's %g without a precision is the shortest text (1/3 is 0.3333333333333333, 1234567 is 1.234567e+06), C's
  -- keeps 6 digits: such a %g (flags '-' and a width only) is written as %s of Go's text.
  local float_text, string_upper, string_sub, table_concat = host.float_text, string.upper, string.sub, table.concat
  string.format = function(f, ...)
    local walk = type(f) == "string" and string_find(f, "%%%-?%d*[gG]") ~= nil
    if not walk then
      for i = 1, select("#", ...) do
        local v = select(i, ...)
        if math_type(v) == "float" and v ~= math_floor(v) and v == v then walk = true break end
      end
    end
    if not walk or type(f) ~= "string" then local r = format(f, ...) return r end
    local args, ai, pos, out = table_pack(...), 0, 1, {}
    while true do
      local at = string_find(f, "%", pos, true)
      if not at then break end
      if string_sub(f, at + 1, at + 1) == "%" then
        out[#out + 1] = string_sub(f, pos, at + 1)
        pos = at + 2
      else
        local _, e, flags, width, prec, conv = string_find(f, "^([-+ #0]*)(%d*)(%.?%d*)(%a)", at + 1)
        if not e then break end
        ai = ai + 1
        local v = args[ai]
        local spec = string_sub(f, at, e)
        if INT_CONV[conv] and math_type(v) == "float" and v ~= math_floor(v) and v == v then
          args[ai] = v >= 0 and math_floor(v) or -math_floor(-v)
        elseif (conv == "g" or conv == "G") and prec == "" and (flags == "" or flags == "-") and type(v) == "number" then
          local text = float_text(v + 0.0)
          args[ai] = conv == "G" and string_upper(text) or text
          spec = "%" .. flags .. width .. "s"
        end
        out[#out + 1] = string_sub(f, pos, at - 1)
        out[#out + 1] = spec
        pos = e + 1
      end
    end
    out[#out + 1] = string_sub(f, pos)
    local r = format(table_concat(out), table_unpack(args, 1, args.n))
    return r
  end
end
-- print writes to the engine's stdout as gopher-lua's does, and the studio's trace keeps each line under its stage
do
  local host_print, table_concat = host.print, table.concat
  print = function(...)
    local n, parts = select("#", ...), {}
    for i = 1, n do parts[i] = tostring((select(i, ...))) end
    host_print(table_concat(parts, "\t"))
  end
end
-- the debugger's helpers (debugger.lua, loaded only while one is attached) need the real library: kept out of scripts' reach
registry.__as_debug_lib = debug
debug = { traceback = debug.traceback, getinfo = debug.getinfo }
package.loaded.debug = debug
dofile = nil
loadfile = nil
collectgarbage = function(opt, ...)
  if opt == nil or opt == "collect" or opt == "count" or opt == "step" then
    return __as_rawcollect(opt, ...)
  end
  return 0
end
-- text-only `load`: bytecode is refused
load = function(chunk, name, mode, env)
  if type(chunk) == "string" and string_sub(chunk, 1, 1) == "\27" then
    return nil, "attempt to load a binary chunk (bytecode is not allowed)"
  end
  return rawload(chunk, name, "t", env or loading_env or _G)
end

---------------------------------------------------------------------------------------------------
-- Lua 5.1 shims (Nauthilus runs gopher-lua, a Lua 5.1)
---------------------------------------------------------------------------------------------------
unpack = table.unpack
table.getn = function(t) return #t end
loadstring = function(s, name) return load(s, name) end
math.pow = function(a, b) return a ^ b end
string.gfind = string.gmatch
if not math.mod then math.mod = math.fmod end
-- gopher-lua's math library keeps Lua 5.1's cosh, sinh, tanh, log10, ldexp and frexp (Lua 5.4 dropped them)
do
  local exp, log, abs, floor, huge = math.exp, math.log, math.abs, math.floor, math.huge
  local function sinh(x)
    if abs(x) < 0.5 then -- the series keeps small arguments exact where exp(x) - exp(-x) cancels
      local x2 = x * x
      return x * (1 + x2 / 6 * (1 + x2 / 20 * (1 + x2 / 42 * (1 + x2 / 72 * (1 + x2 / 110 * (1 + x2 / 156 * (1 + x2 / 210)))))))
    end
    local e = exp(x)
    return (e - 1 / e) / 2
  end
  local function cosh(x)
    local e = exp(x)
    return (e + 1 / e) / 2
  end
  math.sinh, math.cosh = sinh, cosh
  math.tanh = function(x)
    if x ~= x then return x end
    if abs(x) > 22 then return x > 0 and 1.0 or -1.0 end
    return sinh(x) / cosh(x)
  end
  math.log10 = function(x) return log(x, 10) end
  math.ldexp = function(m, e) return m * 2.0 ^ e end
  math.frexp = function(x)
    if x == 0 or x ~= x or x == huge or x == -huge then return x, 0 end
    local e = floor(log(abs(x), 2)) + 1
    local m = x / 2.0 ^ e
    if abs(m) >= 1 then m, e = m / 2, e + 1 elseif abs(m) < 0.5 then m, e = m * 2, e - 1 end
    return m, e
  end
end
if not table.maxn then
  table.maxn = function(t)
    local m = 0
    for k in pairs(t) do if type(k) == "number" and k > m then m = k end end
    return m
  end
end
setfenv = setfenv or function(f, env) return f end
getfenv = getfenv or function() return _G end

---------------------------------------------------------------------------------------------------
-- Host function wrappers: errors raised by JS carry the script's file:line; async calls await.
---------------------------------------------------------------------------------------------------
-- JS errors arrive as userdata: turn them into strings so `error(msg, 2)` can prefix file:line.
local function errtext(e)
  if type(e) == "string" then return e end
  return tostring(e)
end

-- No tail calls here: error level 2 must be the script's frame, not a wrapper's.
local function wrap_sync(fn)
  return function(...)
    local r = table_pack(pcall(fn, ...))
    if not r[1] then error(errtext(r[2]), 2) end
    return table_unpack(r, 2, r.n)
  end
end

-- Async host calls: the JS function returns a promise that never rejects; yielding it hands it to the
-- VM's run loop, which awaits it and resumes this thread; `host.take()` then returns (ok, values...).
-- (wasmoon's own promise:await() builds a new wasm function per call, which costs ~100 µs.)
-- Host yields carry a marker so a script's own coroutines pass them through to the run loop.
local raw_yield, raw_resume, raw_status, take = coroutine.yield, coroutine.resume, coroutine.status, host.take
local isyieldable = coroutine.isyieldable
local HOST_YIELD = setmetatable({}, { __name = "authstudio host call" })
-- False while a script's coroutine runs under a resume that cannot pass a host call on (one made inside
-- table.sort, string.gsub, a metamethod, require or a __gc finalizer): see wrap_async.
local can_wait = true

local function wrap_async(fn, name)
  return function(...)
    -- Sandbox: where the script cannot be suspended, refuse before the host starts work (a timer, a socket)
    -- that nobody would collect and that would outlive the call, the timeout and the memory limit.
    if not (can_wait and isyieldable()) then
      error(name .. ": a host call cannot wait here (inside table.sort, string.gsub, a metamethod, require or a finalizer)", 2)
    end
    local ok, p = pcall(fn, ...)
    if not ok then error(errtext(p), 2) end
    raw_yield(HOST_YIELD, p)
    local r = table_pack(take())
    if not r[1] then error(errtext(r[2]), 2) end
    return table_unpack(r, 2, r.n)
  end
end

-- coroutine.resume/wrap for scripts: a host call made inside the script's coroutine is forwarded to
-- the outer thread (and so to the run loop); the script's coroutine then continues with the result.
local function resume_through(co, ...)
  local outer = can_wait
  can_wait = outer and isyieldable()
  local r = table_pack(raw_resume(co, ...))
  while r[1] and r[2] == HOST_YIELD and raw_status(co) == "suspended" do
    raw_yield(HOST_YIELD, r[3])
    r = table_pack(raw_resume(co))
  end
  can_wait = outer
  return table_unpack(r, 1, r.n)
end

coroutine.resume = resume_through
coroutine.wrap = function(f)
  local co = coroutine.create(f)
  return function(...)
    local r = table_pack(resume_through(co, ...))
    if not r[1] then error(errtext(r[2]), 2) end
    return table_unpack(r, 2, r.n)
  end
end

-- Turn a raw host table {name = jsfunction} plus its list of async names into Lua functions.
local function wrap_host_table(raw, async_names)
  local out = {}
  local is_async = {}
  for _, n in ipairs(async_names or {}) do is_async[n] = true end
  for k, v in pairs(raw) do
    if type(v) == "function" then
      out[k] = is_async[k] and wrap_async(v, tostring(k)) or wrap_sync(v)
    else
      out[k] = v
    end
  end
  return out
end

---------------------------------------------------------------------------------------------------
-- Modules: `require(name)` builds the module on first use from the host; `dynamic_loader` accepts
-- every Nauthilus 1.x name and is a no-op (3.x behaviour), so `require` works with or without it.
---------------------------------------------------------------------------------------------------
local module_names = host.module_names() -- { require_name = true }
-- What a module's Lua part may use from the prelude (filled in below, before any script runs)
local module_internals = {}
for name in pairs(module_names) do
  package.preload[name] = function()
    local raw, async_names, lua_src = host.module_raw(name)
    local api = wrap_host_table(raw, async_names)
    if lua_src and #lua_src > 0 then
      local f, err = rawload(lua_src, "=[" .. name .. "]", "t", _G)
      if not f then error(err) end
      return f(api, wrap_host_table, module_internals)
    end
    return api
  end
end

dynamic_loader = function(name)
  if type(name) ~= "string" then
    error("bad argument #1 to 'dynamic_loader' (string expected, got " .. type(name) .. ")", 2)
  end
  host.dynamic_loader(name)
end

---------------------------------------------------------------------------------------------------
-- Scripts: each loaded into its own globals (script-env.lua), so every script may define the same entry
-- names, and what one script changes in its globals or libraries no other script sees.
---------------------------------------------------------------------------------------------------

-- Compile `src` as `chunkname`; returns the chunk and its env, or nil and the syntax error.
registry.__as_compile = function(src, chunkname)
  local env = new_script_env()
  local fn, err = rawload(src, chunkname, "t", env)
  if not fn then return nil, err end
  return fn, env
end

-- Request tables arrive as one string (one crossing instead of one per field): fields separated by \1,
-- each "<t><key>=<value>" with t one of s (string), n (number), b (boolean: 1 or 0), l (list of strings,
-- each led by \3). wasmoon strings stop at \0, so \1, \2 and \3 inside values are escaped as \2a, \2b, \2c.
local function unescape(v)
  if string_find(v, "\2", 1, true) then
    v = v:gsub("\2a", "\1"):gsub("\2c", "\3"):gsub("\2b", "\2")
  end
  return v
end

local string_gmatch = string.gmatch

-- A list field: its items, each led by \3, escaped as above (also a shaped request's list, lua-request.ts).
local function decode_list(s)
  local list = {}
  local escaped = string_find(s, "\2", 1, true) ~= nil
  for item in string_gmatch(s, "\3([^\3]*)") do
    list[#list + 1] = escaped and unescape(item) or item
  end
  return list
end

local function decode_request(s)
  local t = {}
  -- string.gmatch walks the fields in C: about twice as fast as a Lua loop of find/sub (8 µs for 19 fields)
  local escaped = string_find(s, "\2", 1, true) ~= nil
  for kind, key, val in string_gmatch(s, "(%a)([^=\1]+)=([^\1]*)") do
    if kind == "s" then
      if escaped then val = unescape(val) end
      t[key] = val
    elseif kind == "n" then t[key] = tonumber(val)
    elseif kind == "b" then t[key] = (val == "1")
    elseif kind == "l" then t[key] = decode_list(val)
    end
  end
  return t
end

-- Request constructors by shape id (lua-request.ts): compiled once per VM, each returns a fresh table.
local request_shapes = {}
local load_chunk, select_from = load, select
registry.__as_shape = function(id, source, size)
  local chunk, err = load_chunk(source, "=(request shape)", "t", {})
  if not chunk then error(err, 0) end
  request_shapes[id] = { build = chunk(decode_list), size = size }
end

-- gopher-lua's ToBool and ToInt: nil/false are false, everything else true; non-numbers are 0.
local function to_bool(v) return v ~= nil and v ~= false end
local function to_int(v)
  if type(v) == "number" then return math.floor(v) end
  if type(v) == "string" then local n = tonumber(v); if n then return math.floor(n) end end
  return 0
end

local function entry(env, name, alt)
  local fn = env[name]
  if type(fn) ~= "function" and alt then fn = env[alt] end
  if type(fn) ~= "function" then
    error("the script does not define " .. name .. (alt and (" (or " .. alt .. ")") or "") .. "()", 0)
  end
  return fn
end

-- gopher-lua's CheckString for modules' Lua parts: a string, or a number as its text; otherwise the error names the
-- function and argument at the script's line (level 3: the module function's caller; a wrapper passes more).
module_internals.check_string = function(fn, n, v, level)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
  error(string.format("bad argument #%d to '%s' (string expected, got %s)", n, fn, t), level or 3)
end

-- gopher-lua-libs v0.7.0 readers and writers (json/yaml encoders and decoders): anything with a `name` method
-- (strings.new_reader, io files); the error names the function at the script's line.
module_internals.io_method = function(obj, name, fn, what)
  local ok, m = pcall(function() return obj[name] end)
  if not ok or type(m) ~= "function" then error("bad argument #1 to '" .. fn .. "' (expected " .. what .. ")", 3) end
  return m
end

-- The fields of every nauthilus_backend_result object (set by its methods in builtin.lua), keyed by the object.
local backend_fields = setmetatable({}, { __mode = "k" })
-- nauthilus_backend.apply_backend_result reads a backend result's fields (nil for anything else)
module_internals.backend_fields = function(b) return backend_fields[b] end

-- Nauthilus 1.10 (backend/lua.go): anything but a backend result object is an error ("wrong user data").
local function backend_result_plain(b)
  local f = backend_fields[b]
  if f == nil then
    error("nauthilus_backend_verify_password: the second return value must be a nauthilus_backend_result (nauthilus_backend_result expected, got " .. type(b) .. ")", 0)
  end
  local attrs = {}
  if type(f.attributes) == "table" then
    for k, v in pairs(f.attributes) do
      if type(v) == "table" then
        local list = {}
        for _, x in ipairs(v) do list[#list + 1] = tostring(x) end
        attrs[tostring(k)] = list
      elseif v ~= nil then
        attrs[tostring(k)] = tostring(v)
      end
    end
  end
  return {
    authenticated = f.authenticated == true,
    user_found = f.user_found == true,
    account_field = f.account_field,
    totp_secret_field = f.totp_secret_field,
    totp_recovery_field = f.totp_recovery_field,
    unique_user_id_field = f.unique_user_id_field,
    display_name_field = f.display_name_field,
    attributes = attrs,
  }
end

local dispatch = {}
local math_type, rawget, pairs = math.type, rawget, pairs

-- Nauthilus 1.10 calls a feature's, filter's or action's entry function only when the script defines it
-- (lualib/feature/feature.go, lualib/filter/filter.go, lualib/action/action.go): without it the script runs its
-- top level and counts as "not triggered" / "accept" / "ok". Then an extra last value `true` tells the pipeline.
local function optional_entry(env, name, alt)
  local fn = env[name]
  if type(fn) ~= "function" and alt then fn = env[alt] end
  if type(fn) ~= "function" then return nil end
  return fn
end

function dispatch.feature(env, req)
  local fn = optional_entry(env, "nauthilus_call_feature", "nauthilus_call_environment")
  if not fn then return false, false, 0, true end
  local triggered, abort, result = fn(req)
  return to_bool(triggered), to_bool(abort), to_int(result)
end

function dispatch.filter(env, req)
  local fn = optional_entry(env, "nauthilus_call_filter", "nauthilus_call_subject")
  if not fn then return false, 0, true end
  local reject, result = fn(req)
  return to_bool(reject), to_int(result)
end

function dispatch.action(env, req)
  local fn = optional_entry(env, "nauthilus_call_action")
  if not fn then return 0, true end
  return to_int(fn(req))
end

function dispatch.verify(env, req)
  local fn = entry(env, "nauthilus_backend_verify_password")
  local result, b = fn(req)
  local code = to_int(result)
  if code ~= 0 then return code, nil end -- BACKEND_RESULT_FAIL: the result object is not read
  return code, backend_result_plain(b)
end

function dispatch.list_accounts(env, req)
  -- Nauthilus 1.10 (backend/lua.go): without the function the account list is empty, not an error
  local fn = optional_entry(env, "nauthilus_backend_list_accounts")
  if not fn then return 0, {} end
  local result, accounts = fn(req)
  local out = {}
  if type(accounts) == "table" then
    for _, a in ipairs(accounts) do out[#out + 1] = tostring(a) end
  end
  return to_int(result), out
end

function dispatch.add_totp(env, req)
  local fn = optional_entry(env, "nauthilus_backend_add_totp")
  if not fn then return 0 end -- Nauthilus 1.10 (backend/lua.go): nothing to call is no failure
  return to_int(fn(req))
end

-- Nauthilus 3.0 (backend/lua.go): the MFA commands of a Lua backend (delete_totp, the TOTP recovery codes, the
-- WebAuthn credentials). Without the function nothing is called and the command succeeds; the first return value
-- is the result code; get_webauthn_credentials' second is a list whose strings are the credentials (JSON).
function dispatch.backend_command(env, req, name, codes)
  if type(codes) == "table" and #codes > 0 then req.totp_recovery_codes = codes end
  local fn = optional_entry(env, name)
  if not fn then return 0 end
  local result, list = fn(req)
  local code = to_int(result)
  if name ~= "nauthilus_backend_get_webauthn_credentials" then return code end
  local out = {}
  if type(list) == "table" then
    for _, v in ipairs(list) do if type(v) == "string" then out[#out + 1] = v end end
  end
  return code, out
end

-- Nauthilus 3.0 (lualib/cacheflush): the cache flush script's nauthilus_cache_flush(request) must exist; it returns
-- a list of further Redis keys to delete (its strings) and an account name (a string, else none)
function dispatch.cache_flush(env, req)
  local fn = optional_entry(env, "nauthilus_cache_flush")
  if not fn then error("entry function 'nauthilus_cache_flush' is not defined in the cache flush script", 0) end
  local keys, account = fn(req)
  local out = {}
  if type(keys) == "table" then
    for _, k in ipairs(keys) do if type(k) == "string" then out[#out + 1] = k end end
  end
  return out, type(account) == "string" and account or nil
end

-- Hooks and init scripts get Nauthilus 1.10's (logging, session); that first table also carries what
-- Nauthilus 1.12 passes as its one request table (request.logging, request.session, log_format, log_level), so
-- scripts written for either release find what they read.
local function hook_request(logging, session, redis_prefix)
  local t = {}
  for k, v in pairs(logging) do t[k] = v end
  t.logging = logging
  t.session = session
  t.redis_prefix = redis_prefix
  return t
end

-- A hook's table as Nauthilus 1.10 sends it (convert.LuaValueToGo, ToGinH, then Go's encoding/json): keys 1..n
-- make an array (an empty table too), any other table an object whose keys are Go's %v of the key; functions and
-- other values that JSON has no form for are their text. Not json.encode's rules: a mixed table is no error here.
local HOOK_JSON_DEPTH = 100
local go_float_text = host.float_text
local function go_key_text(k)
  if type(k) == "string" then return k end
  if type(k) == "number" then
    if math_type(k) == "integer" or (k == math.floor(k) and k >= -2^63 and k < 2^63) then return string.format("%d", k) end
    return go_float_text(k + 0.0)
  end
  return tostring(k)
end
local function hook_json_value(v, as_object, depth)
  local t = type(v)
  if t == "string" or t == "number" or t == "boolean" then return v end
  if t ~= "table" then return tostring(v) end
  if depth >= HOOK_JSON_DEPTH then error("nauthilus_run_hook: the result is nested more than " .. HOOK_JSON_DEPTH .. " tables deep", 0) end
  local n, keys_are_index = 0, true
  for k in pairs(v) do
    n = n + 1
    if keys_are_index and (math_type(k) ~= "integer" or k < 1) then keys_are_index = false end
  end
  if keys_are_index then
    for i = 1, n do
      if rawget(v, i) == nil then keys_are_index = false break end
    end
  end
  if keys_are_index then
    local out = {}
    for i = 1, n do out[i] = hook_json_value(rawget(v, i), as_object, depth + 1) end
    return out
  end
  local out = {}
  for k, x in pairs(v) do
    out[go_key_text(k)] = hook_json_value(x, as_object, depth + 1)
  end
  as_object(out)
  return out
end

function dispatch.hook(env, logging, session, redis_prefix)
  local fn = entry(env, "nauthilus_run_hook")
  local result = fn(hook_request(logging, session, redis_prefix), session)
  -- Nauthilus 1.10 (lualib/hook/hook.go, handler/custom/custom.go): only a table with keys is sent (as JSON);
  -- nil, a string, a number, a boolean or an empty table answer 200 with an empty body; an array is an error (500)
  if type(result) ~= "table" then return nil end
  local n, array = 0, true
  for k in pairs(result) do
    n = n + 1
    if array and (math_type(k) ~= "integer" or k < 1) then array = false end
  end
  if n == 0 then return nil end
  if array then
    for i = 1, n do
      if rawget(result, i) == nil then array = false break end
    end
  end
  if array then error("nauthilus_run_hook returned an array: a table with keys is expected", 0) end
  local json = require("json")
  local s, err = json.encode(hook_json_value(result, json.tableIsObject, 0))
  if err then error(err, 0) end
  return s
end

function dispatch.init(env, logging, session, redis_prefix)
  local fn = entry(env, "nauthilus_run_hook")
  fn(hook_request(logging, session, redis_prefix))
  return 0
end

function dispatch.call(env, name, ...)
  return entry(env, name)(...)
end

function dispatch.chunk(env, fn)
  -- run a freshly compiled chunk (top-level statements of a script)
  fn()
  return 0
end

-- Called from JS: dispatch a stage; the request arrives encoded (see decode_request).
registry.__as_dispatch = function(kind, env, encoded, ...)
  can_wait = true -- a call given up inside a script's coroutine must not leave the next one unable to wait
  local d = dispatch[kind]
  if kind == "hook" or kind == "init" or kind == "chunk" or kind == "call" then
    return d(env, ...)
  end
  if type(encoded) == "number" then
    -- a shaped request: its values follow, then the stage's own arguments
    local shape = request_shapes[encoded]
    return d(env, shape.build(...), select_from(shape.size + 1, ...))
  end
  local req = decode_request(encoded)
  return d(env, req, ...)
end
