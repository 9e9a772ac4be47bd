// `json` (nauthilus_gll_json): encode Lua values to JSON text and decode JSON text to Lua tables.
import type { LuaModule } from '../module';
import { LuaMultiReturn } from 'wasmoon';
import { toLua, ret, fail } from '../values';
import { nextJsonValue, indentJson } from './json-stream';

/** Marks decoded JSON objects for the Lua side, which gives them the "object" metatable and drops the mark. */
const OBJECT_MARK = '\u0001authstudio-json-object';

function markObjects(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(markObjects);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = { [OBJECT_MARK]: true };
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = markObjects(x);
    return out;
  }
  return v;
}

export const jsonModule: LuaModule = {
  name: 'json',
  legacyLoaderName: 'nauthilus_gll_json',
  summary: 'JSON encode/decode, stream encoders and decoders on readers/writers. Errors come back as a second return value.',
  install() {
    return {
      functions: {
        next_raw: (buf: string, eof: boolean) => {
          const r = nextJsonValue(buf, eof);
          return LuaMultiReturn.from(r[0] === 'ok' ? ['ok', toLua(markObjects(r[1])), r[2]] : r);
        },
        indent_raw: (json: string, prefix: string, indent: string) => indentJson(json, prefix, indent),
        decode_raw: (text: unknown) => {
          if (typeof text !== 'string') return fail(`json.decode: string expected, got ${text === undefined ? 'nil' : typeof text}`);
          try {
            return ret(toLua(markObjects(JSON.parse(text))));
          } catch (e) {
            return fail(`json.decode: ${(e as Error).message}`);
          }
        },
      },
      // functions and other non-data values cannot be encoded: say so instead of dropping them
      lua: `
local api = ...
local M = {}

-- gopher-lua-libs v0.7.0 json (Nauthilus 1.10) encodes through Go's encoding/json: every table is a
-- json.Marshaler, so an error gets Go's MarshalerError text once per table level it passes through
local PREFIX = "json: error calling MarshalJSON for type json.jsonValue: "
local OBJECT_MARK = "\\1authstudio-json-object"
-- decoded objects and json.tableIsObject(t) tables carry this metatable: empty, they encode as {}
local OBJECT_MT = { __jsonTableIsObject = true }

local ESC = { ['"'] = '\\\\"', ['\\\\'] = '\\\\\\\\', ['\\b'] = '\\\\b', ['\\f'] = '\\\\f', ['\\n'] = '\\\\n', ['\\r'] = '\\\\r',
  ['\\t'] = '\\\\t', ['<'] = '\\\\u003c', ['>'] = '\\\\u003e', ['&'] = '\\\\u0026' }
for i = 0, 31 do
  local c = string.char(i)
  if not ESC[c] then ESC[c] = string.format('\\\\u%04x', i) end
end
local function escape(s)
  -- most strings need nothing: no copy then (a 4 MiB string must fit a small VM)
  if not string.find(s, '[%z\\1-\\31"\\\\<>&\\226]') then return s end
  s = string.gsub(s, '[%z\\1-\\31"\\\\<>&]', ESC)
  s = string.gsub(s, '\\226\\128\\168', '\\\\u2028')
  return (string.gsub(s, '\\226\\128\\169', '\\\\u2029'))
end
-- Go's string encoding: HTML characters escaped, each byte that is not valid UTF-8 becomes \\ufffd
local function quote(s)
  if utf8.len(s) then return '"' .. escape(s) .. '"' end
  local out, i = {}, 1
  while i <= #s do
    local ok, bad = utf8.len(s, i)
    if ok then out[#out + 1] = escape(string.sub(s, i)) break end
    out[#out + 1] = escape(string.sub(s, i, bad - 1))
    out[#out + 1] = '\\\\ufffd'
    i = bad + 1
  end
  return '"' .. table.concat(out) .. '"'
end

-- Go's float64 text: the shortest digits that read back as the same number, written plainly between 1e-6
-- and 1e21 and as d.ddde+XX / d.ddde-X outside
local function float(v)
  local text
  for p = 0, 16 do
    text = string.format("%." .. p .. "e", v)
    if tonumber(text) == v then break end
  end
  local sign, int, frac, exp = string.match(text, "^(-?)(%d)%.?(%d*)e([-+]%d+)$")
  local digits = string.gsub(int .. frac, "0+$", "")
  if digits == "" then digits = "0" end
  local e = tonumber(exp)
  local a = math.abs(v)
  if a < 1e-6 or a >= 1e21 then
    local m = #digits > 1 and (string.sub(digits, 1, 1) .. "." .. string.sub(digits, 2)) or digits
    return sign .. m .. "e" .. (e < 0 and "-" or "+") .. math.abs(e)
  end
  if e < 0 then return sign .. "0." .. string.rep("0", -e - 1) .. digits end
  if #digits <= e + 1 then return sign .. digits .. string.rep("0", e + 1 - #digits) end
  return sign .. string.sub(digits, 1, e + 1) .. "." .. string.sub(digits, e + 2)
end

local function number(v)
  if v ~= v then return nil, PREFIX .. "json: unsupported value: NaN" end
  if v == math.huge then return nil, PREFIX .. "json: unsupported value: +Inf" end
  if v == -math.huge then return nil, PREFIX .. "json: unsupported value: -Inf" end
  local i = math.tointeger(v)
  if i and i > -9007199254740992 and i < 9007199254740992 and not (i == 0 and 1 / v < 0) then
    return string.format('%d', i)
  end
  if v == 0 then return "-0" end
  return float(v + 0.0)
end

local function object_marked(t)
  local mt = getmetatable(t)
  return type(mt) == "table" and rawget(mt, "__jsonTableIsObject") ~= nil and rawget(mt, "__jsonTableIsObject") ~= false
end

-- the shape gopher-lua's table walk finds: the array part (1..n) first, then the other keys
local function shape(t)
  local n = 0
  while rawget(t, n + 1) ~= nil do n = n + 1 end
  if n > 0 then
    for k in next, t do
      if not (math.type(k) == "integer" and k >= 1 and k <= n) then
        return nil, type(k) == "number" and "cannot encode sparse array" or "cannot encode mixed or invalid key types"
      end
    end
    return "array", n
  end
  local k = next(t)
  if k == nil then return "empty" end
  if type(k) == "number" then return nil, "cannot encode sparse array" end
  if type(k) ~= "string" then return nil, "cannot encode mixed or invalid key types" end
  for key in next, t do
    if type(key) ~= "string" then return nil, "cannot encode mixed or invalid key types" end
  end
  return "object"
end

local encode
encode = function(v, visited)
  local t = type(v)
  if t == "nil" then return "null" end
  if t == "boolean" then return v and "true" or "false" end
  if t == "number" then return number(v) end
  if t == "string" then return quote(v) end
  if t ~= "table" then return nil, PREFIX .. "cannot encode " .. t .. " to JSON" end
  -- a table met twice (even side by side, not inside itself) is "recursively nested" to gopher-lua-libs
  if visited[v] then return nil, PREFIX .. "cannot encode recursively nested tables to JSON" end
  visited[v] = true
  local kind, n = shape(v)
  if kind == nil then return nil, PREFIX .. n end
  if kind == "empty" then return object_marked(v) and "{}" or "[]" end
  local parts = {}
  if kind == "array" then
    for i = 1, n do
      local text, err = encode(rawget(v, i), visited)
      if text == nil then return nil, PREFIX .. err end
      parts[i] = text
    end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  -- Go writes map keys in byte order
  local keys = {}
  for k in next, v do keys[#keys + 1] = k end
  table.sort(keys)
  for i, k in ipairs(keys) do
    local text, err = encode(rawget(v, k), visited)
    if text == nil then return nil, PREFIX .. err end
    parts[i] = quote(k) .. ":" .. text
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function M.encode(...)
  if select("#", ...) == 0 then error("bad argument #1 to encode (value expected)", 2) end
  local text, err = encode((...), {})
  if text == nil then return nil, err end
  return text
end

-- decoded objects get the object metatable (and lose the host's mark)
local function adopt(v)
  if type(v) ~= "table" then return v end
  if rawget(v, OBJECT_MARK) then
    rawset(v, OBJECT_MARK, nil)
    setmetatable(v, OBJECT_MT)
  end
  for _, x in next, v do adopt(x) end
  return v
end

function M.decode(s)
  local v, err = api.decode_raw(s)
  if err ~= nil then return nil, err end
  return adopt(v)
end

function M.tableIsObject(t)
  if type(t) ~= "table" then error("bad argument #1 to tableIsObject (table expected, got " .. type(t) .. ")", 2) end
  setmetatable(t, OBJECT_MT)
end

-- readers and writers: anything with a read / write method (prelude, shared with the other module)
local method = select(3, ...).io_method

local Encoder = {}
Encoder.__index = Encoder
function M.new_encoder(writer)
  local write = method(writer, "write", "new_encoder", "writer")
  return setmetatable({ writer = writer, write = write, prefix = "", indent = "" }, Encoder)
end
-- Go's Encoder.Encode: one value and a newline per call; the error is the only return value
function Encoder:encode(v)
  local text, err = M.encode(v)
  if err then return err end
  if self.prefix ~= "" or self.indent ~= "" then text = api.indent_raw(text, self.prefix, self.indent) end
  local ok, werr = pcall(self.write, self.writer, text .. "\\n")
  if not ok then return tostring(werr) end
end
function Encoder:set_indent(prefix, indent)
  if type(prefix) ~= "string" then error("bad argument #1 to 'set_indent' (string expected, got " .. type(prefix) .. ")", 2) end
  if type(indent) ~= "string" then error("bad argument #2 to 'set_indent' (string expected, got " .. type(indent) .. ")", 2) end
  self.prefix, self.indent = prefix, indent
end
-- accepted, but strings stay HTML-escaped: the library marshals each value with json.Marshal first
function Encoder:set_escape_HTML(on)
  if type(on) ~= "boolean" then error("bad argument #1 to 'set_escape_HTML' (boolean expected, got " .. type(on) .. ")", 2) end
end

local Decoder = {}
Decoder.__index = Decoder
function M.new_decoder(reader)
  local read = method(reader, "read", "new_decoder", "reader")
  return setmetatable({ reader = reader, read = read, buf = "", eof = false, offset = 0 }, Decoder)
end
local function fill(d)
  local ok, chunk = pcall(d.read, d.reader, 4096)
  if not ok then return tostring(chunk) end
  if chunk == nil then d.eof = true else d.buf = d.buf .. tostring(chunk) end
end
-- Go's Decoder.Decode: the next value of the stream; nil, "EOF" after the last one
function Decoder:decode()
  while true do
    local status, v, n = api.next_raw(self.buf, self.eof)
    if status == "ok" then
      self.buf, self.offset = self.buf:sub(n + 1), self.offset + n
      return adopt(v)
    elseif status == "eof" then return nil, "EOF"
    elseif status == "err" then return nil, v end
    local err = fill(self)
    if err then return nil, err end
  end
end
-- Go's Decoder.More: another element or value follows (false at the end of the stream or before ] and })
function Decoder:more()
  while true do
    local c = self.buf:match("^[ \\t\\r\\n]*([^ \\t\\r\\n])")
    if c then return c ~= "]" and c ~= "}" end
    if self.eof or fill(self) then return false end
  end
end
function Decoder:input_offset()
  return self.offset
end
return M
`,
    };
  },
};
