// `base64` (nauthilus_gll_base64): Go's encoding/base64 as gopher-lua-libs exposes it, in pure Lua (binary safe).
import type { LuaModule } from '../module';

export const base64Module: LuaModule = {
  name: 'base64',
  legacyLoaderName: 'nauthilus_gll_base64',
  summary: 'Base64: StdEncoding, URLEncoding, RawStdEncoding, RawURLEncoding with :encode_to_string and :decode_string.',
  install() {
    // pure Lua: bytes never cross into JS, so binary data (\\0, invalid UTF-8) survives
    return { functions: {}, lua: BASE64_LUA };
  },
};

const BASE64_LUA = `
local M = {}
local ENC = { __name = "base64.Encoding" }
ENC.__index = ENC

local str = select(3, ...).check_string -- gopher-lua CheckString (prelude)

local function new_encoding(alphabet, pad)
  local e = { alphabet = alphabet, pad = pad, dec = {}, chars = {} }
  for i = 1, 64 do
    local c = alphabet:sub(i, i)
    e.chars[i - 1] = c
    e.dec[c:byte()] = i - 1
  end
  return setmetatable(e, ENC)
end

local function check_enc(fn, self)
  if getmetatable(self) ~= ENC then
    error(string.format("bad argument #1 to '%s' (base64.Encoding expected)", fn), 3)
  end
end

local function encode(e, s)
  local out, ch, n = {}, e.chars, #s
  for i = 1, n - 2, 3 do
    local a, b, c = s:byte(i, i + 2)
    local v = (a << 16) | (b << 8) | c
    out[#out + 1] = ch[v >> 18] .. ch[(v >> 12) & 63] .. ch[(v >> 6) & 63] .. ch[v & 63]
  end
  local rest = n % 3
  if rest == 1 then
    local v = s:byte(n) << 16
    out[#out + 1] = ch[v >> 18] .. ch[(v >> 12) & 63] .. (e.pad and e.pad:rep(2) or "")
  elseif rest == 2 then
    local a, b = s:byte(n - 1, n)
    local v = (a << 16) | (b << 8)
    out[#out + 1] = ch[v >> 18] .. ch[(v >> 12) & 63] .. ch[(v >> 6) & 63] .. (e.pad or "")
  end
  return table.concat(out)
end

local function corrupt(pos) return nil, "illegal base64 data at input byte " .. pos end
local function is_nl(c) return c == 10 or c == 13 end

-- Go's decoder: \\r and \\n are skipped; padding is required (Std/URL) or refused (Raw)
local function decode(e, s)
  local out, dec, pad, n = {}, e.dec, e.pad and e.pad:byte(), #s
  local si = 0 -- 0-based index of the next input byte, as in Go's error positions
  while true do
    local v, j, dlen = {}, 0, nil
    while j < 4 do
      if si == n then
        if j == 0 then return table.concat(out) end
        if j == 1 or pad then return corrupt(si - j) end
        dlen = j
        break
      end
      local c = s:byte(si + 1)
      si = si + 1
      if not is_nl(c) then
        if pad and c == pad then
          if j < 2 then return corrupt(si - 1) end
          if j == 2 then
            while si < n and is_nl(s:byte(si + 1)) do si = si + 1 end
            if si == n then return corrupt(n) end
            if s:byte(si + 1) ~= pad then return corrupt(si - 1) end
            si = si + 1
          end
          while si < n and is_nl(s:byte(si + 1)) do si = si + 1 end
          if si < n then return corrupt(si) end
          dlen = j
          break
        end
        local x = dec[c]
        if x == nil then return corrupt(si - 1) end
        j = j + 1
        v[j] = x
      end
    end
    dlen = dlen or 4
    local w = ((v[1] or 0) << 18) | ((v[2] or 0) << 12) | ((v[3] or 0) << 6) | (v[4] or 0)
    if dlen == 4 then out[#out + 1] = string.char(w >> 16, (w >> 8) & 255, w & 255)
    elseif dlen == 3 then out[#out + 1] = string.char(w >> 16, (w >> 8) & 255)
    elseif dlen == 2 then out[#out + 1] = string.char(w >> 16) end
    if dlen < 4 then return table.concat(out) end
  end
end

function ENC.encode_to_string(self, s)
  check_enc("encode_to_string", self)
  return encode(self, str("encode_to_string", 2, s))
end

function ENC.decode_string(self, s)
  check_enc("decode_string", self)
  return decode(self, str("decode_string", 2, s))
end

local STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
M.StdEncoding = new_encoding(STD, "=")
M.URLEncoding = new_encoding(URL, "=")
M.RawStdEncoding = new_encoding(STD, nil)
M.RawURLEncoding = new_encoding(URL, nil)

function M.new_encoding(alphabet)
  alphabet = str("new_encoding", 1, alphabet)
  if #alphabet ~= 64 then error("bad argument #1 to 'new_encoding' (encoder must have 64 characters)", 2) end
  return new_encoding(alphabet, "=")
end

-- Encoder: buffers what is written and writes the encoding to the writer on close()
function M.new_encoder(enc, writer)
  check_enc("new_encoder", enc)
  if type(writer) ~= "table" or type(writer.write) ~= "function" then
    error("bad argument #2 to 'new_encoder' (expected writer)", 2)
  end
  local parts, o = {}, {}
  function o.write(self, ...)
    for i = 1, select("#", ...) do parts[#parts + 1] = str("write", i + 1, (select(i, ...)), 2) end
  end
  function o.close(self)
    writer:write(encode(enc, table.concat(parts)))
    parts = {}
  end
  return o
end

-- Decoder: reads everything from the reader on first use, then serves read(n | "*a" | "*l" | "*n")
function M.new_decoder(enc, reader)
  check_enc("new_decoder", enc)
  if type(reader) ~= "table" or type(reader.read) ~= "function" then
    error("bad argument #2 to 'new_decoder' (expected reader)", 2)
  end
  local o, inner = {}, nil
  local function load()
    if inner then return true end
    local decoded, err = decode(enc, reader:read("*a") or "")
    if not decoded then return nil, err end
    inner = require("strings").new_reader(decoded)
    return true
  end
  function o.read(self, fmt)
    local ok, err = load()
    if not ok then error(err, 2) end
    return inner.read(fmt)
  end
  function o.close(self) end
  return o
end

return M
`;
