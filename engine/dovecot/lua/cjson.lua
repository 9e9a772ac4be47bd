-- `require "cjson"` as Dovecot 2.3 users get it from Debian's lua-cjson 2.1.0 (the C module is not
-- available in wasmoon, so this is a Lua implementation of its API and its observable behaviour):
-- encode (%.14g numbers, "/" escaped as "\/", empty tables as "{}", sparse-array rules), decode (every
-- number a float, JSON null as cjson.null), the configuration functions, cjson.new() and "cjson.safe".
local S = __dv_shared
local floor, huge, tointeger = math.floor, math.huge, math.tointeger
local fmt, byte, char, sub, find = string.format, string.byte, string.char, string.sub, string.find
local concat = table.concat

-- cjson.null is a NULL light userdata in lua-cjson: one shared sentinel that says "userdata" to type().
local null = setmetatable({}, { __name = "userdata", __tostring = function() return "userdata: (nil)" end,
  __newindex = function() error("attempt to index a userdata value", 2) end })
S.cjson_null = null

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["/"] = "\\/", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
  ["\r"] = "\\r", ["\t"] = "\\t", ["\127"] = "\\u007f" }
for i = 0, 31 do
  local c = char(i)
  if not ESC[c] then ESC[c] = fmt("\\u%04x", i) end
end

local function new()
  local cfg = { sparse_convert = false, sparse_ratio = 2, sparse_safe = 10, enc_depth = 1000, dec_depth = 1000,
    precision = 14, enc_invalid = false, dec_invalid = true, keep_buffer = true }
  local M = { _NAME = "cjson", _VERSION = "2.1.0", null = null }

  local function num(v)
    if v ~= v or v == huge or v == -huge then
      if cfg.enc_invalid == "null" then return "null" end
      if not cfg.enc_invalid then error("Cannot serialise number: must not be NaN or Infinity", 0) end
      if v ~= v then return "nan" end
      return v > 0 and "inf" or "-inf"
    end
    return fmt("%." .. cfg.precision .. "g", v + 0.0)
  end

  local encode_value
  local function array_length(t)
    local max, items = 0, 0
    for k in pairs(t) do
      if type(k) == "number" and k > 0 and floor(k) == k then
        if k > max then max = k end
        items = items + 1
      else
        return -1
      end
    end
    if cfg.sparse_ratio > 0 and max > items * cfg.sparse_ratio and max > cfg.sparse_safe then
      if not cfg.sparse_convert then error("Cannot serialise table: excessively sparse array", 0) end
      return -1
    end
    return max
  end

  function encode_value(v, depth, out)
    local t = type(v)
    if v == null then out[#out + 1] = "null"
    elseif t == "string" then out[#out + 1] = '"' .. v:gsub('[%c"\\/\127]', ESC) .. '"'
    elseif t == "number" then out[#out + 1] = num(v)
    elseif t == "boolean" then out[#out + 1] = tostring(v)
    elseif t == "nil" then out[#out + 1] = "null"
    elseif t == "table" then
      depth = depth + 1
      if depth > cfg.enc_depth then error(fmt("Cannot serialise, excessive nesting (%d)", depth), 0) end
      local n = array_length(v)
      if n > 0 then
        out[#out + 1] = "["
        for i = 1, n do
          if i > 1 then out[#out + 1] = "," end
          encode_value(v[i], depth, out)
        end
        out[#out + 1] = "]"
      else
        out[#out + 1] = "{"
        local first = true
        for k, x in pairs(v) do
          local kt = type(k)
          local key
          if kt == "string" then key = k
          elseif kt == "number" then key = num(k)
          else error("Cannot serialise table: table key must be a number or string", 0) end
          if not first then out[#out + 1] = "," end
          first = false
          out[#out + 1] = '"' .. key:gsub('[%c"\\/\127]', ESC) .. '":'
          encode_value(x, depth, out)
        end
        out[#out + 1] = "}"
      end
    else
      error(fmt("Cannot serialise %s: type not supported", S.typename(v) == "userdata" and "userdata" or t), 0)
    end
  end

  function M.encode(...)
    if select("#", ...) ~= 1 then error("expected 1 argument", 0) end
    local out = {}
    encode_value((...), 0, out)
    return concat(out)
  end

  -- decoder: a tokenizer with lua-cjson's token names and error texts ("Expected X but found Y at character N")
  local function decode(str)
    local pos, depth = 1, 0
    local function fail(expected, found, at) error(fmt("Expected %s but found %s at character %d", expected, found, at), 0) end
    local function skip()
      local _, e = find(str, "^[ \t\n\r]*", pos)
      pos = e + 1
    end
    local token -- returns type, value, start
    local function read_string(start)
      local buf, i = {}, start + 1
      while true do
        local c = sub(str, i, i)
        if c == "" then return "T_ERROR", "unexpected end of string", start end
        if c == '"' then pos = i + 1 return "T_STRING", concat(buf), start end
        if c == "\\" then
          local e = sub(str, i + 1, i + 1)
          local simple = ({ b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" })[e]
          if simple then buf[#buf + 1] = simple i = i + 2
          elseif e == "u" then
            local hex = sub(str, i + 2, i + 5)
            if not hex:match("^%x%x%x%x$") then return "T_ERROR", "invalid unicode escape code", start end
            local cp = tonumber(hex, 16)
            i = i + 6
            if cp >= 0xD800 and cp <= 0xDBFF then
              local lo = sub(str, i, i + 5):match("^\\u(%x%x%x%x)$")
              if not lo then return "T_ERROR", "invalid unicode escape code", start end
              cp = 0x10000 + ((cp - 0xD800) << 10) + (tonumber(lo, 16) - 0xDC00)
              i = i + 6
            end
            buf[#buf + 1] = utf8.char(cp)
          else return "T_ERROR", "invalid escape code", start end
        else
          buf[#buf + 1] = c
          i = i + 1
        end
      end
    end
    function token()
      skip()
      local start = pos
      local c = sub(str, pos, pos)
      if c == "" then return "T_END", nil, start end
      local single = ({ ["{"] = "T_OBJ_BEGIN", ["}"] = "T_OBJ_END", ["["] = "T_ARR_BEGIN", ["]"] = "T_ARR_END", [":"] = "T_COLON", [","] = "T_COMMA" })[c]
      if single then pos = pos + 1 return single, nil, start end
      if c == '"' then return read_string(start) end
      for word, val in pairs({ ["true"] = true, ["false"] = false, ["null"] = null }) do
        if sub(str, pos, pos + #word - 1) == word then
          pos = pos + #word
          return val == null and "T_NULL" or "T_BOOLEAN", val, start
        end
      end
      -- a number starts with "-" or a digit (or, with decode_invalid_numbers, is inf/nan)
      local numtext = str:match("^-?%d[%w%.%+%-]*", pos) or str:match("^-[%w%.%+%-]*", pos)
        or (cfg.dec_invalid and (str:match("^[iI][nN][fF]%a*", pos) or str:match("^[nN][aA][nN]", pos)))
      if numtext then
        local plain = numtext:match("^-?%d+%.?%d*[eE]?[%+%-]?%d*")
        local text = plain and #plain > 0 and plain or numtext
        local n = tonumber(text)
        if n and not text:find("^-?0[xX]") and (cfg.dec_invalid or not text:lower():find("inf") and not text:lower():find("nan")) then
          pos = pos + #text
          return "T_NUMBER", n + 0.0, start
        end
        return "T_ERROR", "invalid number", start
      end
      return "T_ERROR", "invalid token", start
    end
    local parse_value
    local function found(t, v) return t == "T_ERROR" and v or t end
    local function nest(t, at)
      depth = depth + 1
      if depth > cfg.dec_depth then error(fmt("Found too many nested data structures (%d) at character %d", depth, at), 0) end
    end
    function parse_value(t, v, at)
      if t == "T_STRING" or t == "T_NUMBER" or t == "T_BOOLEAN" or t == "T_NULL" then return v end
      if t == "T_OBJ_BEGIN" then
        nest(t, at)
        local obj = {}
        local kt, kv, kat = token()
        if kt == "T_OBJ_END" then depth = depth - 1 return obj end
        while true do
          if kt ~= "T_STRING" then fail("object key string", found(kt, kv), kat + 0) end
          local ct, cv, cat = token()
          if ct ~= "T_COLON" then fail("colon", found(ct, cv), cat) end
          obj[kv] = parse_value(token())
          local nt, nv, nat = token()
          if nt == "T_OBJ_END" then break end
          if nt ~= "T_COMMA" then fail("comma or object end", found(nt, nv), nat) end
          kt, kv, kat = token()
        end
        depth = depth - 1
        return obj
      end
      if t == "T_ARR_BEGIN" then
        nest(t, at)
        local arr, i = {}, 1
        local vt, vv, vat = token()
        if vt == "T_ARR_END" then depth = depth - 1 return arr end
        while true do
          arr[i] = parse_value(vt, vv, vat)
          i = i + 1
          local nt, nv, nat = token()
          if nt == "T_ARR_END" then break end
          if nt ~= "T_COMMA" then fail("comma or array end", found(nt, nv), nat) end
          vt, vv, vat = token()
        end
        depth = depth - 1
        return arr
      end
      fail("value", found(t, v), at)
    end
    local value = parse_value(token())
    local t, v, at = token()
    if t ~= "T_END" then fail("the end", found(t, v), at) end
    return value
  end

  function M.decode(...)
    if select("#", ...) ~= 1 then error("expected 1 argument", 0) end
    local s = ...
    if type(s) ~= "string" and type(s) ~= "number" then
      error(fmt("bad argument #1 to 'decode' (string expected, got %s)", S.typename(s)), 0)
    end
    return decode(tostring(s))
  end

  local function option(name, key, lo, hi)
    M[name] = function(v, ...)
      if v ~= nil then
        if type(cfg[key]) == "boolean" or key == "enc_invalid" then
          if v == "on" or v == true then cfg[key] = true
          elseif v == "off" or v == false then cfg[key] = false
          elseif v == "null" and key == "enc_invalid" then cfg[key] = "null"
          else error(fmt("bad argument #1 to '%s' (invalid option '%s')", name, tostring(v)), 0) end
        else
          local n = tointeger(tonumber(v))
          if not n or n < lo or n > hi then error(fmt("bad argument #1 to '%s' (expected integer between %d and %d)", name, lo, hi), 0) end
          cfg[key] = n
        end
      end
      return cfg[key]
    end
  end
  option("encode_max_depth", "enc_depth", 1, 2147483647)
  option("decode_max_depth", "dec_depth", 1, 2147483647)
  option("encode_number_precision", "precision", 1, 14)
  option("encode_keep_buffer", "keep_buffer")
  option("encode_invalid_numbers", "enc_invalid")
  option("decode_invalid_numbers", "dec_invalid")
  function M.encode_sparse_array(convert, ratio, safe)
    if convert ~= nil then cfg.sparse_convert = convert == true or convert == "on" end
    if ratio ~= nil then cfg.sparse_ratio = tointeger(tonumber(ratio)) or cfg.sparse_ratio end
    if safe ~= nil then cfg.sparse_safe = tointeger(tonumber(safe)) or cfg.sparse_safe end
    return cfg.sparse_convert, cfg.sparse_ratio, cfg.sparse_safe
  end
  M.new = new
  return M
end

package.preload["cjson"] = function() return new() end
package.preload["cjson.safe"] = function()
  local M = new()
  -- cjson.safe returns nil plus the message instead of raising
  for _, name in ipairs({ "encode", "decode" }) do
    local f = M[name]
    M[name] = function(...)
      local ok, r = pcall(f, ...)
      if ok then return r end
      return nil, r
    end
  end
  return M
end

-- type() says "userdata" for cjson.null, as for lua-cjson's light userdata
local rawtype = type
type = function(...)
  if select("#", ...) == 0 then error("bad argument #1 to 'type' (value expected)", 2) end
  if (...) == null then return "userdata" end
  return rawtype(...)
end
