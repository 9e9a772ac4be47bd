// `nauthilus_cbor` (Nauthilus 3.0, lualib/cbor.go over encoding/cborcodec): CBOR encode/decode for scripts.
// Pure Lua over string.pack, so byte strings stay bytes. Encoding follows cborcodec's mode: core deterministic
// map order (encoded keys bytewise), shortest integer heads, floats as float64, no tags, no indefinite lengths.
// Decoding refuses tags, indefinite lengths, duplicate map keys, integers outside int64, invalid UTF-8 text,
// nesting deeper than 32 and arrays or maps over 4096 entries, and trailing bytes.
import type { LuaModule } from '../module';

const CBOR_LUA = `
local M = {}
local pack, unpack, char, byte = string.pack, string.unpack, string.char, string.byte
local MAX_DEPTH, MAX_ITEMS = 32, 4096

-- null: a sentinel (Nauthilus: a userdata). Scripts get a copy of the module's tables, so null is known by its
-- metatable's token, and == between any two nulls is true (__eq)
local TOKEN = function() end
local function is_null(v)
  if type(v) ~= "table" then return false end
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__cbor_null") == TOKEN
end
local null = setmetatable({}, { __name = "cbor_null", __cbor_null = TOKEN, __tostring = function() return "null" end,
  __eq = function(a, b) return is_null(a) and is_null(b) end,
  __newindex = function() error("nauthilus_cbor.null is read-only", 2) end })
M.null = null
local BYTES = { __name = "cbor_bytes" }
local bytes_of = setmetatable({}, { __mode = "k" })

function M.bytes(s)
  if type(s) == "number" then s = tostring(s) end
  if type(s) ~= "string" then error("bad argument #1 to 'bytes' (string expected, got " .. type(s) .. ")", 2) end
  local b = setmetatable({}, BYTES)
  bytes_of[b] = s
  return b
end

local function head(major, n)
  local m = major << 5
  if n < 24 then return char(m | n)
  elseif n < 0x100 then return char(m | 24, n)
  elseif n < 0x10000 then return char(m | 25) .. pack(">I2", n)
  elseif n < 0x100000000 then return char(m | 26) .. pack(">I4", n)
  else return char(m | 27) .. pack(">i8", n) end
end

local function key_text(k)
  if type(k) == "string" then return k end
  if type(k) == "number" then
    if k ~= math.floor(k) then error(string.format("CBOR map number key must be an integer: %s", tostring(k)), 0) end
    return string.format("%d", k)
  end
  error("unsupported CBOR map key type " .. type(k), 0)
end

local function is_array(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for k in pairs(t) do
    if math.type(k) == nil or k ~= math.floor(k) or k < 1 or k > n then return false end
    count = count + 1
  end
  return count == n
end

local encode
function encode(v, out)
  local t = type(v)
  if v == nil or is_null(v) then out[#out + 1] = "\\246"
  elseif t == "boolean" then out[#out + 1] = v and "\\245" or "\\244"
  elseif t == "number" then
    if v == math.floor(v) and v >= -2^63 and v < 2^63 then
      local i = math.tointeger(v)
      if i >= 0 then out[#out + 1] = head(0, i) else out[#out + 1] = head(1, -1 - i) end
    else
      out[#out + 1] = "\\251" .. pack(">d", v)
    end
  elseif t == "string" then out[#out + 1] = head(3, #v) .. v
  elseif t == "table" and bytes_of[v] then out[#out + 1] = head(2, #bytes_of[v]) .. bytes_of[v]
  elseif t == "table" then
    if is_array(v) then
      out[#out + 1] = head(4, #v)
      for i = 1, #v do encode(v[i], out) end
    else
      local entries = {}
      for k, x in pairs(v) do
        local kt = key_text(k)
        local parts = {}
        encode(x, parts)
        entries[#entries + 1] = { head(3, #kt) .. kt, table.concat(parts) }
      end
      table.sort(entries, function(a, b) return a[1] < b[1] end)
      out[#out + 1] = head(5, #entries)
      for _, e in ipairs(entries) do out[#out + 1] = e[1]; out[#out + 1] = e[2] end
    end
  else
    error("unsupported Lua value type " .. t, 0)
  end
end

function M.encode(...)
  if select("#", ...) == 0 then error("bad argument #1 to 'encode' (value expected)", 2) end
  local out = {}
  local ok, err = pcall(encode, (...), out)
  if not ok then return nil, tostring(err) end
  return table.concat(out), nil
end

local function half(h)
  local sign = (h >> 15) == 1 and -1 or 1
  local e, f = (h >> 10) & 0x1f, h & 0x3ff
  if e == 0 then return sign * f * 2.0^-24 end
  if e == 31 then return f == 0 and sign * math.huge or 0/0 end
  return sign * (1 + f / 1024) * 2.0^(e - 15)
end

local decode
local function arg(s, pos, info)
  if info < 24 then return info, pos end
  if info == 24 then if pos > #s then error("cbor: unexpected EOF", 0) end return byte(s, pos), pos + 1 end
  local fmt = info == 25 and ">I2" or info == 26 and ">I4" or info == 27 and ">I8" or nil
  if fmt == nil then
    if info == 31 then error("cbor: indefinite-length items are not allowed", 0) end
    error("cbor: invalid additional information " .. info, 0)
  end
  local size = info == 25 and 2 or info == 26 and 4 or 8
  if pos + size - 1 > #s then error("cbor: unexpected EOF", 0) end
  return unpack(fmt, s, pos)
end

function decode(s, pos, depth)
  if depth > MAX_DEPTH then error("cbor: exceeded max nested level " .. MAX_DEPTH, 0) end
  if pos > #s then error(pos == 1 and "EOF" or "unexpected EOF", 0) end
  local ib = byte(s, pos)
  local major, info = ib >> 5, ib & 0x1f
  pos = pos + 1
  if major == 7 then
    if info == 20 then return false, pos elseif info == 21 then return true, pos
    elseif info == 22 or info == 23 then return null, pos
    elseif info == 25 then return half(unpack(">I2", s, pos)), pos + 2
    elseif info == 26 then return unpack(">f", s, pos)
    elseif info == 27 then return unpack(">d", s, pos)
    elseif info == 31 then error("cbor: unexpected \\"break\\" code", 0)
    else error("unsupported CBOR value type cbor.SimpleValue", 0) end
  end
  local n
  n, pos = arg(s, pos, info)
  if major == 0 then
    if n < 0 then error("cbor: cannot unmarshal positive integer into Go value of type int64 (overflows)", 0) end
    return n, pos
  elseif major == 1 then
    if n < 0 then error("cbor: cannot unmarshal negative integer into Go value of type int64 (overflows)", 0) end
    return -1 - n, pos
  elseif major == 2 or major == 3 then
    if n < 0 or pos + n - 1 > #s then error("cbor: unexpected EOF", 0) end
    local v = s:sub(pos, pos + n - 1)
    if major == 3 and utf8.len(v) == nil then error("cbor: invalid UTF-8 string", 0) end
    return v, pos + n
  elseif major == 4 then
    if n < 0 or n > MAX_ITEMS then error("cbor: exceeded max number of elements " .. MAX_ITEMS .. " for CBOR array", 0) end
    local t = {}
    for i = 1, n do t[i], pos = decode(s, pos, depth + 1) end
    return t, pos
  elseif major == 5 then
    if n < 0 or n > MAX_ITEMS then error("cbor: exceeded max number of key-value pairs " .. MAX_ITEMS .. " for CBOR map", 0) end
    local t = {}
    for _ = 1, n do
      local k, v
      k, pos = decode(s, pos, depth + 1)
      if type(k) ~= "string" and math.type(k) ~= "integer" then error("unsupported CBOR map key type " .. type(k), 0) end
      if t[k] ~= nil then error("cbor: found duplicate map key", 0) end
      v, pos = decode(s, pos, depth + 1)
      t[k] = v
    end
    return t, pos
  else
    error("cbor: CBOR tag isn't allowed", 0)
  end
end

function M.decode(s)
  if type(s) == "number" then s = tostring(s) end
  if type(s) ~= "string" then error("bad argument #1 to 'decode' (string expected, got " .. type(s) .. ")", 2) end
  local ok, v, pos = pcall(decode, s, 1, 1)
  if not ok then return nil, tostring(v) end
  if pos <= #s then
    return nil, string.format("cbor: %d bytes of extraneous data starting at index %d", #s - pos + 1, pos - 1)
  end
  return v, nil
end

return M
`;

export const cborModule: LuaModule = {
  name: 'nauthilus_cbor',
  summary: 'Nauthilus 3.0: CBOR encode and decode (deterministic encoding), with a null sentinel and byte strings.',
  install() {
    return { functions: {}, lua: CBOR_LUA };
  },
};
