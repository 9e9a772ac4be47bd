// `json` (nauthilus_gll_json): encode Lua values to JSON text and decode JSON text to Lua tables.
import type { LuaModule } from '../module';
import { LuaMultiReturn } from 'wasmoon';
import { toLua, ret, fail } from '../values';
import { nextJsonValue, escapeHtml, indentJson } from './json-stream';

export const jsonModule: LuaModule = {
  name: 'json',
  legacyLoaderName: 'nauthilus_gll_json',
  summary: 'JSON encode/decode, stream encoders and decoders on readers/writers. Errors come back as a second return value.',
  install() {
    return {
      functions: {
        encode_raw: (value: unknown) => {
          try {
            return ret(escapeHtml(JSON.stringify(value === undefined ? null : value)));
          } catch (e) {
            return fail(`json.encode: ${(e as Error).message}`);
          }
        },
        next_raw: (buf: string, eof: boolean) => {
          const r = nextJsonValue(buf, eof);
          return LuaMultiReturn.from(r[0] === 'ok' ? ['ok', toLua(r[1]), r[2]] : r);
        },
        indent_raw: (json: string, prefix: string, indent: string) => indentJson(json, prefix, indent),
        decode_raw: (text: unknown) => {
          if (typeof text !== 'string') return fail(`json.decode: string expected, got ${text === undefined ? 'nil' : typeof text}`);
          try {
            return ret(toLua(JSON.parse(text)));
          } catch (e) {
            return fail(`json.decode: ${(e as Error).message}`);
          }
        },
      },
      // functions and other non-data values cannot be encoded: say so instead of dropping them
      lua: `
local api = ...
local M = {}
local function check(v, seen, path)
  local t = type(v)
  if t == "function" or t == "userdata" or t == "thread" then
    return "cannot encode a " .. t .. " at " .. path
  end
  if t == "table" then
    if seen[v] then return "cannot encode a table that contains itself at " .. path end
    seen[v] = true
    for k, x in pairs(v) do
      local e = check(x, seen, path .. "." .. tostring(k))
      if e then return e end
    end
    seen[v] = nil
  end
  return nil
end
function M.encode(v)
  local e = check(v, {}, "value")
  if e then return nil, e end
  return api.encode_raw(v)
end
function M.decode(s)
  return api.decode_raw(s)
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
      return v
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
