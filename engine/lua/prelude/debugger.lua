-- The debugger's Lua side (engine/debug/): loaded into a VM's real globals when a debugger first looks at it.
-- Captures a paused frame's locals (values kept alive until the request resumes), lists a value's children
-- for the Variables view and evaluates watch expressions and breakpoint conditions in a frame's scope.
local dbg = ... or debug -- the real debug library (an engine VM keeps only traceback and getinfo in its globals)
local registry = dbg.getregistry()
local getinfo, getlocal, getupvalue = dbg.getinfo, dbg.getlocal, dbg.getupvalue
local real_G = _G
local type, tostring, pairs, next, load, pcall, rawget, rawequal, select = type, tostring, pairs, next, load, pcall, rawget, rawequal, select
local getmetatable, setmetatable, table_sort, string_sub, string_format = getmetatable, setmetatable, table.sort, string.sub, string.format

local M = {}
-- values the Variables view can expand, by reference number (cleared when the paused request resumes)
local refs, nrefs = {}, 0

-- frames of the calling thread from `level` (counted from the caller of capture), or of thread `co` from its
-- level `level` (a thread stopped by an error keeps its stack): source, line, name, locals
function M.capture(level, max, co)
  local frames = {}
  -- (no helper functions here: a call would add a level to the caller's count)
  if not co then level = level + 1 end -- this function's own frame
  while max == nil or #frames < max do
    local info
    if co then info = getinfo(co, level, "Slnf") else info = getinfo(level, "Slnf") end
    if not info then break end
    local locals, n = {}, 0
    local i = 1
    while true do
      local name, value
      if co then name, value = getlocal(co, level, i) else name, value = getlocal(level, i) end
      if not name then break end
      if string_sub(name, 1, 1) ~= "(" then n = n + 1; locals[n] = { name = name, value = value } end
      i = i + 1
    end
    frames[#frames + 1] = { source = info.source, line = info.currentline, name = info.name, what = info.what,
      linedefined = info.linedefined, func = info.func, locals = locals, nlocals = n }
    level = level + 1
  end
  return frames
end

local function upvalues_of(func)
  local ups = {}
  if type(func) ~= "function" then return ups end
  local i = 1
  while true do
    local name, value = getupvalue(func, i)
    if not name then break end
    ups[#ups + 1] = { name = name, value = value }
    i = i + 1
  end
  return ups
end

-- the globals a frame's function sees (its _ENV upvalue), else the VM's
local function env_of(func)
  for _, u in pairs(upvalues_of(func)) do
    if u.name == "_ENV" then return u.value end
  end
  return real_G
end

-- a frame's script globals: its own _ENV; a function that reads no global has none, then the script env the
-- dispatcher called it with (its local `env`) or an outer frame of the same script
local function frame_env(frames, i)
  local env = env_of(frames[i].func)
  if not rawequal(env, real_G) then return env end
  for j = i + 1, #frames do
    local f = frames[j]
    if f.source == frames[i].source then
      local e = env_of(f.func)
      if not rawequal(e, real_G) then return e end
    end
    for k = 1, f.nlocals do
      local l = f.locals[k]
      if l.name == "env" and type(l.value) == "table" then return l.value end
    end
  end
  return real_G
end

-- evaluate `expr` with a frame's locals, then its upvalues, then its globals in scope
function M.eval(frame, expr, env)
  env = env or env_of(frame.func)
  local scope = {}
  local has = {}
  for _, u in pairs(upvalues_of(frame.func)) do
    if u.name ~= "_ENV" then scope[u.name] = u.value; has[u.name] = true end
  end
  for i = 1, frame.nlocals or #frame.locals do
    local l = frame.locals[i]
    scope[l.name] = l.value; has[l.name] = true
  end
  local view = setmetatable({}, { __index = function(_, k)
    if has[k] then return scope[k] end
    return env[k]
  end, __newindex = function(_, k, v) env[k] = v end })
  local f, err = load("return " .. expr, "=(watch)", "t", view)
  if not f then
    f, err = load(expr, "=(watch)", "t", view)
    if not f then return false, err end
  end
  return pcall(f)
end

local function keep(v)
  nrefs = nrefs + 1
  refs[nrefs] = v
  return nrefs
end

local function expandable(v)
  local t = type(v)
  return t == "table" or (t == "function" and getupvalue(v, 1) ~= nil)
end

local function text_of(v)
  local t = type(v)
  if t == "string" then return string_format("%q", v) end
  if t == "table" then
    local n = 0
    for _ in next, v do n = n + 1 end
    return "table (" .. n .. (n == 1 and " entry)" or " entries)")
  end
  if t == "function" then
    local info = getinfo(v, "S")
    if info.what == "C" then return "function (builtin)" end
    return "function " .. string_sub(info.source, 2) .. ":" .. info.linedefined
  end
  return tostring(v)
end

-- one row of the Variables view
function M.describe(name, v)
  return { name = tostring(name), type = type(v), value = text_of(v), ref = expandable(v) and keep(v) or 0 }
end

local function key_order(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta == "number" end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

-- the children of a kept value: a table's entries (sorted keys), a function's upvalues
function M.children(ref)
  local v = refs[ref]
  local out = {}
  if type(v) == "table" then
    local keys = {}
    for k in next, v do keys[#keys + 1] = k end
    table_sort(keys, key_order)
    for i = 1, #keys do
      local k = keys[i]
      local name = type(k) == "string" and k or "[" .. tostring(k) .. "]"
      out[i] = M.describe(name, rawget(v, k))
    end
  elseif type(v) == "function" then
    for _, u in pairs(upvalues_of(v)) do out[#out + 1] = M.describe(u.name, u.value) end
  end
  return out
end

-- scopes of a captured frame: its locals, its upvalues (without _ENV), the globals its script defined
function M.locals(frames, i)
  local frame = frames[i]
  local out = {}
  for i = 1, frame.nlocals do out[i] = M.describe(frame.locals[i].name, frame.locals[i].value) end
  return out
end

function M.upvalues(frames, i)
  local frame = frames[i]
  local out = {}
  for _, u in pairs(upvalues_of(frame.func)) do
    if u.name ~= "_ENV" then out[#out + 1] = M.describe(u.name, u.value) end
  end
  return out
end

function M.globals(frames, i)
  local env = frame_env(frames, i)
  local keys = {}
  if not rawequal(env, real_G) then
    for k, v in next, env do
      -- what the script defined or replaced: its copy of the VM's globals differs there
      local base = type(k) == "string" and k ~= "_G" and rawget(real_G, k)
      local library_copy = type(v) == "table" and type(base) == "table"
      -- the script env's own copies of sandbox functions (load, require, ...) are not the script's
      local host_fn = type(v) == "function" and string_sub(getinfo(v, "S").source, 1, 1) ~= "@"
      if type(k) == "string" and k ~= "_G" and not rawequal(base, v) and not library_copy and not host_fn then
        keys[#keys + 1] = k
      end
    end
  end
  table_sort(keys)
  local out = {}
  for i = 1, #keys do out[i] = M.describe(keys[i], rawget(env, keys[i])) end
  return out
end

-- the first local named `request` from the top of the stack down (the stage's request table)
function M.request(frames)
  for _, f in pairs(frames) do
    for i = 1, f.nlocals do
      local l = f.locals[i]
      if l.name == "request" and type(l.value) == "table" then return l.value end
    end
  end
  return nil
end

-- the request's fields (Variables: Request)
function M.request_children(frames)
  local req = M.request(frames)
  if req == nil then return {} end
  return M.children(keep(req))
end

-- the workspace frames (chunks named '@path'), innermost first, with their index in `frames`
function M.frame_list(frames)
  local out = {}
  for i = 1, #frames do
    local f = frames[i]
    if type(f.source) == "string" and string_sub(f.source, 1, 1) == "@" then
      local name = f.name
      -- the name the script gave it (the dispatcher calls entry points through a local)
      local env = frame_env(frames, i)
      for k, v in next, env do
        if rawequal(v, f.func) and type(k) == "string" then name = k break end
      end
      if f.what == "main" then name = "(top level)"
      elseif name == nil then name = "function@" .. f.linedefined end
      out[#out + 1] = { index = i, source = string_sub(f.source, 2), line = f.line, name = name }
    end
  end
  return out
end

-- a watch expression in frame i: its value as a row of the Variables view, or the error
function M.eval_describe(frames, i, expr)
  local frame = frames[i]
  if frame == nil then return { ok = false, err = "no such frame" } end
  local ok, v = M.eval(frame, expr, frame_env(frames, i))
  if not ok then return { ok = false, err = tostring(v) } end
  return { ok = true, row = M.describe(expr, v) }
end

-- a breakpoint condition or log message part in the hooked frame (frames[1])
function M.eval_top(frames, expr)
  local ok, v = M.eval(frames[1], expr)
  if ok and type(v) ~= "string" and type(v) ~= "number" and type(v) ~= "boolean" and v ~= nil then v = text_of(v) end
  return ok, v
end

function M.release()
  refs, nrefs = {}, 0
end

registry.__as_debugger = M
