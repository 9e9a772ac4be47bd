// `hex` (nauthilus_gll_hex): Go's encoding/hex as gopher-lua-libs v0.7.0 exposes it, in pure Lua (binary safe).
import type { LuaModule } from '../module';

export const gllHexModule: LuaModule = {
  name: 'hex',
  legacyLoaderName: 'nauthilus_gll_hex',
  summary: 'Hex: encode_to_string, decode_string (Go error texts), new_encoder, new_decoder.',
  install() {
    // pure Lua: bytes never cross into JS, so binary data (\\0, invalid UTF-8) survives
    return { functions: {}, lua: HEX_LUA };
  },
};

const HEX_LUA = `
local M = {}
local DIGITS = "0123456789abcdef"

local str = select(3, ...).check_string -- gopher-lua CheckString (prelude)

local function encode(s)
  return (s:gsub(".", function(c)
    local b = c:byte()
    return DIGITS:sub((b >> 4) + 1, (b >> 4) + 1) .. DIGITS:sub((b & 15) + 1, (b & 15) + 1)
  end))
end

local function nibble(b)
  if b >= 48 and b <= 57 then return b - 48 end
  if b >= 97 and b <= 102 then return b - 87 end
  if b >= 65 and b <= 70 then return b - 55 end
  return nil
end

-- Go's InvalidByteError text: "%#U" of the byte as a rune (the character only when it is printable)
local function invalid(b)
  local code = string.format("U+%04X", b)
  local printable = (b >= 0x20 and b < 0x7F) or (b > 0xA0 and b ~= 0xAD)
  if printable then code = code .. " '" .. utf8.char(b) .. "'" end
  return nil, "encoding/hex: invalid byte: " .. code
end

local function decode(s)
  local out, n = {}, #s
  local i = 1
  while i < n do
    local p, q = s:byte(i, i + 1)
    local a, b = nibble(p), nibble(q)
    if not a then return invalid(p) end
    if not b then return invalid(q) end
    out[#out + 1] = string.char(a * 16 + b)
    i = i + 2
  end
  if n % 2 == 1 then
    if not nibble(s:byte(n)) then return invalid(s:byte(n)) end
    return nil, "encoding/hex: odd length hex string"
  end
  return table.concat(out)
end

function M.encode_to_string(s) return encode(str("encode_to_string", 1, s)) end
function M.decode_string(s) return decode(str("decode_string", 1, s)) end

-- Encoder: each write sends the hex text of its arguments to the writer at once (Go's hex.NewEncoder)
function M.new_encoder(writer)
  if type(writer) ~= "table" and type(writer) ~= "userdata" or type(writer.write) ~= "function" then
    error("bad argument #1 to 'new_encoder' (expected writer)", 2)
  end
  local o = {}
  function o.write(self, ...)
    for i = 1, select("#", ...) do
      local v = (select(i, ...))
      if type(v) ~= "string" and type(v) ~= "number" then
        error(string.format("bad argument #%d to 'write' (string expected, got %s)", i + 1, type(v)), 2)
      end
      writer:write(encode(tostring(v)))
    end
  end
  function o.close(self) end
  return o
end

-- Decoder: reads everything from the reader on first use, then serves read(n | "*a" | "*l" | "*n")
function M.new_decoder(reader)
  if type(reader) ~= "table" and type(reader) ~= "userdata" or type(reader.read) ~= "function" then
    error("bad argument #1 to 'new_decoder' (expected reader)", 2)
  end
  local o, inner = {}, nil
  function o.read(self, fmt)
    if not inner then
      local decoded, err = decode(reader:read("*a") or "")
      if not decoded then error(err, 2) end
      inner = require("strings").new_reader(decoded)
    end
    return inner.read(fmt)
  end
  function o.close(self) end
  return o
end

return M
`;
