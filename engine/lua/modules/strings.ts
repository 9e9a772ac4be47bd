// `strings` (nauthilus_gll_strings): gopher-lua-libs' strings module (Go's strings package), in pure Lua.
import type { LuaModule } from '../module';

export const stringsModule: LuaModule = {
  name: 'strings',
  legacyLoaderName: 'nauthilus_gll_strings',
  summary: 'Go strings functions: split, fields, has_prefix, has_suffix, trim*, contains, replace, join; readers and builders.',
  install() {
    // pure Lua: no JS crossing per call, and binary-safe
    return { functions: {}, lua: STRINGS_LUA };
  },
};

const STRINGS_LUA = `
local M = {}
local CHAR = utf8.charpattern

-- Go's L.CheckString: numbers are accepted as their string form
local str = select(3, ...).check_string -- gopher-lua CheckString (prelude)

local function chars(s)
  local out = {}
  for c in s:gmatch(CHAR) do out[#out + 1] = c end
  return out
end

function M.split(s, sep)
  s = str("split", 1, s)
  sep = sep == nil and "" or str("split", 2, sep)
  if sep == "" then return chars(s) end
  local out, pos = {}, 1
  while true do
    local i, j = s:find(sep, pos, true)
    if not i then out[#out + 1] = s:sub(pos) return out end
    out[#out + 1] = s:sub(pos, i - 1)
    pos = j + 1
  end
end

function M.fields(s)
  s = str("fields", 1, s)
  local out = {}
  for w in s:gmatch("%S+") do out[#out + 1] = w end
  return out
end

function M.has_prefix(s, p)
  s, p = str("has_prefix", 1, s), str("has_prefix", 2, p)
  return s:sub(1, #p) == p
end

function M.has_suffix(s, p)
  s, p = str("has_suffix", 1, s), str("has_suffix", 2, p)
  return p == "" or s:sub(-#p) == p
end

function M.contains(s, sub)
  s, sub = str("contains", 1, s), str("contains", 2, sub)
  return s:find(sub, 1, true) ~= nil
end

local function cutset(c)
  local set = {}
  for ch in c:gmatch(CHAR) do set[ch] = true end
  return set
end

local function trim_left(s, set)
  local pos = 1
  for p, ch in s:gmatch("()(" .. CHAR .. ")") do
    if not set[ch] then return s:sub(p) end
    pos = p + #ch
  end
  return s:sub(pos)
end

local function trim_right(s, set)
  local cs = chars(s)
  local n = #s
  for i = #cs, 1, -1 do
    if not set[cs[i]] then break end
    n = n - #cs[i]
  end
  return s:sub(1, n)
end

function M.trim(s, c)
  s, c = str("trim", 1, s), str("trim", 2, c)
  local set = cutset(c)
  return trim_right(trim_left(s, set), set)
end

function M.trim_left(s, c)
  s, c = str("trim_left", 1, s), str("trim_left", 2, c)
  return trim_left(s, cutset(c))
end

function M.trim_right(s, c)
  s, c = str("trim_right", 1, s), str("trim_right", 2, c)
  return trim_right(s, cutset(c))
end

function M.trim_space(s)
  s = str("trim_space", 1, s)
  return (s:match("^%s*(.-)%s*$"))
end

function M.trim_prefix(s, p)
  s, p = str("trim_prefix", 1, s), str("trim_prefix", 2, p)
  if p ~= "" and s:sub(1, #p) == p then return s:sub(#p + 1) end
  return s
end

function M.trim_suffix(s, p)
  s, p = str("trim_suffix", 1, s), str("trim_suffix", 2, p)
  if p ~= "" and s:sub(-#p) == p then return s:sub(1, #s - #p) end
  return s
end

-- Go's Replace(s, old, new, n): n < 0 (the default) replaces every occurrence
function M.replace(s, old, new, n)
  s, old, new = str("replace", 1, s), str("replace", 2, old), str("replace", 3, new)
  n = n == nil and -1 or n
  if type(n) ~= "number" then error("bad argument #4 to 'replace' (number expected, got " .. type(n) .. ")", 2) end
  if n == 0 then return s end
  local out, pos, done = {}, 1, 0
  if old == "" then
    local cs = chars(s)
    for i = 1, #cs + 1 do
      if n < 0 or done < n then out[#out + 1] = new; done = done + 1 end
      out[#out + 1] = cs[i]
    end
    return table.concat(out)
  end
  while n < 0 or done < n do
    local i, j = s:find(old, pos, true)
    if not i then break end
    out[#out + 1] = s:sub(pos, i - 1)
    out[#out + 1] = new
    pos = j + 1
    done = done + 1
  end
  out[#out + 1] = s:sub(pos)
  return table.concat(out)
end

function M.join(list, sep)
  if type(list) ~= "table" then error("bad argument #1 to 'join' (table expected, got " .. type(list) .. ")", 2) end
  sep = sep == nil and "" or str("join", 2, sep)
  local parts = {}
  for i, v in ipairs(list) do parts[i] = tostring(v) end
  return table.concat(parts, sep)
end

function M.to_lower(s) return (str("to_lower", 1, s):lower()) end
function M.to_upper(s) return (str("to_upper", 1, s):upper()) end

function M.count(s, sub)
  s, sub = str("count", 1, s), str("count", 2, sub)
  if sub == "" then return utf8.len(s) and utf8.len(s) + 1 or #s + 1 end
  local c, pos = 0, 1
  while true do
    local i, j = s:find(sub, pos, true)
    if not i then return c end
    c, pos = c + 1, j + 1
  end
end

function M.equal_fold(a, b)
  return str("equal_fold", 1, a):lower() == str("equal_fold", 2, b):lower()
end

M["repeat"] = function(s, n)
  s = str("repeat", 1, s)
  if type(n) ~= "number" or n < 0 then error("bad argument #2 to 'repeat' (non-negative number expected)", 2) end
  return s:rep(n)
end

-- Methods are bound to their object, so both obj:m() and obj.m() work.
local function bind(obj, name, fn)
  obj[name] = function(first, ...)
    if first == obj then return fn(...) end
    return fn(first, ...)
  end
end

-- strings.Reader: read(n | "*a" | "*l" | "*n"); nil at the end, as Lua's io does
function M.new_reader(s)
  s = str("new_reader", 1, s)
  local r, pos = {}, 1
  bind(r, "read", function(fmt)
    fmt = fmt == nil and "*l" or fmt
    if type(fmt) == "number" then
      if fmt <= 0 then return "" end
      if pos > #s then return nil end
      local out = s:sub(pos, pos + fmt - 1)
      pos = pos + #out
      return out
    end
    local f = tostring(fmt):sub(1, 2)
    if f == "*a" then local out = s:sub(pos) pos = #s + 1 return out end
    if pos > #s then return (f == "*n") and 0 or nil end
    if f == "*l" then
      local nl = s:find("\\n", pos, true)
      local out = s:sub(pos, (nl or #s + 1) - 1)
      pos = (nl or #s) + 1
      return (out:gsub("\\r$", ""))
    end
    if f == "*n" then
      local a, b = s:find("^%s*[-+]?[%d%.eExX]+", pos)
      if not a then return nil end
      pos = b + 1
      return tonumber((s:sub(a, b):gsub("^%s+", "")))
    end
    error("bad argument #1 to 'read' (unknown fmt string)", 3)
  end)
  bind(r, "close", function() end)
  return r
end

-- strings.Builder: write(...) appends, string() returns everything written
function M.new_builder()
  local b, parts = {}, {}
  bind(b, "write", function(...)
    for i = 1, select("#", ...) do parts[#parts + 1] = str("write", i + 1, (select(i, ...))) end
  end)
  bind(b, "string", function() return table.concat(parts) end)
  bind(b, "close", function() end)
  return b
end

return M
`;
