// `inspect` (nauthilus_gll_inspect): the human-readable dump gopher-lua-libs v0.7.0 bundles (inspect.lua 3.1's
// format and options), written for AuthStudio in pure Lua.
import type { LuaModule } from '../module';

export const gllInspectModule: LuaModule = {
  name: 'inspect',
  legacyLoaderName: 'nauthilus_gll_inspect',
  summary: 'inspect(value [, {depth, newline, indent, process}]): a readable dump of a table.',
  install() {
    return { functions: {}, lua: INSPECT_LUA };
  },
};

const INSPECT_LUA = `
local M = {}
M.KEY = setmetatable({}, { __tostring = function() return "inspect.KEY" end })
M.METATABLE = setmetatable({}, { __tostring = function() return "inspect.METATABLE" end })

-- control characters: the short escapes where Lua has one, else \\ddd (three digits when a digit follows)
local SHORT = { [7] = "\\\\a", [8] = "\\\\b", [12] = "\\\\f", [10] = "\\\\n", [13] = "\\\\r", [9] = "\\\\t", [11] = "\\\\v" }
local function escape(s)
  s = s:gsub("\\\\", "\\\\\\\\")
  s = s:gsub("(%c)(%d?)", function(c, d)
    local b = c:byte()
    if SHORT[b] then return SHORT[b] .. d end
    if d ~= "" then return string.format("\\\\%03d", b) .. d end
    return "\\\\" .. b
  end)
  return s
end

-- single quotes when the text has " but no ', else double quotes with \\" inside
local function quote(s)
  if s:find('"', 1, true) and not s:find("'", 1, true) then return "'" .. s .. "'" end
  return '"' .. s:gsub('"', '\\\\"') .. '"'
end

local TYPE_RANK = { number = 1, boolean = 2, string = 3, table = 4, ["function"] = 5, userdata = 6, thread = 7 }
local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta == tb and (ta == "string" or ta == "number") then return a < b end
  local ra, rb = TYPE_RANK[ta], TYPE_RANK[tb]
  if ra and rb then return ra < rb end
  if ra then return true end
  if rb then return false end
  return ta < tb
end

local function seq_len(t)
  local n = 0
  while rawget(t, n + 1) ~= nil do n = n + 1 end
  return n
end

local function other_keys(t, n)
  local keys = {}
  for k in next, t do
    local in_seq = math.type(k) ~= nil and k >= 1 and k <= n and math.floor(k) == k
    if not in_seq then keys[#keys + 1] = k end
  end
  table.sort(keys, key_less)
  return keys
end

local function count_refs(v, seen)
  if type(v) ~= "table" then return end
  if seen[v] then seen[v] = seen[v] + 1 return end
  seen[v] = 1
  for k, x in next, v do count_refs(k, seen) count_refs(x, seen) end
  count_refs(getmetatable(v), seen)
end

-- options.process(item, path) may replace or drop (nil) every key, value and metatable before the dump
local function with_path(path, ...)
  local p = { table.unpack(path) }
  for i = 1, select("#", ...) do p[#p + 1] = (select(i, ...)) end
  return p
end
local function apply(process, item, path, done)
  if item == nil then return nil end
  if done[item] then return done[item] end
  local out = process(item, path)
  if type(out) ~= "table" then return out end
  local copy = {}
  done[item] = copy
  for k, v in next, out do
    local nk = apply(process, k, with_path(path, k, M.KEY), done)
    if nk ~= nil then copy[nk] = apply(process, v, with_path(path, nk), done) end
  end
  local mt = apply(process, getmetatable(out), with_path(path, M.METATABLE), done)
  return setmetatable(copy, type(mt) == "table" and mt or nil)
end

function M.inspect(root, options)
  options = options or {}
  local depth = options.depth or math.huge
  local nl = options.newline or "\\n"
  local ind = options.indent or "  "
  if options.process then root = apply(options.process, root, {}, {}) end
  local refs, ids, last_id, out, level = {}, {}, {}, {}, 0
  count_refs(root, refs)

  local function put(s) out[#out + 1] = s end
  local function id_of(v)
    if not ids[v] then
      local t = type(v)
      last_id[t] = (last_id[t] or 0) + 1
      ids[v] = last_id[t]
    end
    return tostring(ids[v])
  end
  local function newline() put(nl .. ind:rep(level)) end
  local value

  local function key(k)
    if type(k) == "string" and k:match("^[_%a][_%w]*$") then put(k) return end
    put("[") value(k) put("]")
  end

  local function tbl(t)
    if t == M.KEY or t == M.METATABLE then put(tostring(t)) return end
    if ids[t] then put("<table " .. id_of(t) .. ">") return end
    if level >= depth then put("{...}") return end
    if refs[t] > 1 then put("<" .. id_of(t) .. ">") end
    local n = seq_len(t)
    local keys = other_keys(t, n)
    local mt = getmetatable(t)
    local first = true
    local function sep() if not first then put(",") end first = false end
    put("{")
    level = level + 1
    for i = 1, n do sep() put(" ") value(t[i]) end
    for _, k in ipairs(keys) do sep() newline() key(k) put(" = ") value(t[k]) end
    if type(mt) == "table" then sep() newline() put("<metatable> = ") value(mt) end
    level = level - 1
    if #keys > 0 or type(mt) == "table" then newline() elseif n > 0 then put(" ") end
    put("}")
  end

  value = function(v)
    local t = type(v)
    if t == "string" then put(quote(escape(v)))
    elseif t == "number" or t == "boolean" or t == "nil" then put(tostring(v))
    elseif t == "table" then tbl(v)
    else put("<" .. t .. " " .. id_of(v) .. ">") end
  end

  value(root)
  return table.concat(out)
end

return setmetatable(M, { __call = function(_, ...) return M.inspect(...) end })
`;
