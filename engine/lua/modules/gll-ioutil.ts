// `ioutil` (nauthilus_gll_ioutil): gopher-lua-libs v0.7.0's read_file / write_file / copy / copyn. The file
// functions use the engine's host `io` (server.lua_allow_io), so they share its path rules, read limits and
// Go-worded errors; without lua_allow_io they answer the library's error shape and touch nothing.
import type { LuaModule } from '../module';
import { ioOffError } from './gll-goos';

export const gllIoutilModule: LuaModule = {
  name: 'ioutil',
  legacyLoaderName: 'nauthilus_gll_ioutil',
  summary: 'read_file, write_file (only with lua_allow_io), copy(writer, reader), copyn(writer, reader, n) (gopher-lua-libs v0.7.0).',
  install() {
    return {
      functions: {
        off_open: (name: string) => ioOffError('open', String(name)),
      },
      lua: IOUTIL_LUA,
    };
  },
};

// This chunk runs in the engine's own globals: \`io\` there is the host io of lua_allow_io, or nil.
const IOUTIL_LUA = `
local api = ...
local host_io = io
local M = {}
local CHUNK = 32 * 1024

local str = select(3, ...).check_string -- gopher-lua CheckString (prelude)

function M.read_file(name)
  name = str("read_file", 1, name)
  if not host_io then return nil, api.off_open(name) end
  local f, err = host_io.open(name, "rb")
  if not f then return nil, err end
  local data, rerr = f:read("*a")
  f:close()
  if data == nil then return nil, rerr end
  return data
end

function M.write_file(name, data)
  name = str("write_file", 1, name)
  data = str("write_file", 2, data)
  if not host_io then return api.off_open(name) end
  local f, err = host_io.open(name, "wb")
  if not f then return err end
  local ok, werr = f:write(data)
  f:close()
  if not ok then return werr end
end

local function method(v, name)
  local ok, m = pcall(function() return v[name] end)
  if ok and type(m) == "function" then return m end
end

local function check_io(fn, n, v, what)
  if v == nil then error(string.format("bad argument #%d to '%s' (value expected)", n, fn), 3) end
  if not method(v, what) then
    error(string.format("bad argument #%d to '%s' (expected %s)", n, fn, what == "read" and "reader" or "writer"), 3)
  end
end

-- Go's io.Copy over Lua objects: read(self, n) until nil (EOF) or "" (nothing more), write(self, s) each piece
local function copy(writer, reader, limit)
  local written = 0
  while limit == nil or written < limit do
    local want = CHUNK
    if limit and limit - written < want then want = limit - written end
    local ok, s = pcall(reader.read, reader, want)
    if not ok then return written, tostring(s) end
    if s == nil or s == "" then break end
    s = tostring(s)
    if #s > want then s = s:sub(1, want) end
    local wok, werr = pcall(writer.write, writer, s)
    if not wok then return written, tostring(werr) end
    written = written + #s
  end
  return written
end

function M.copy(writer, reader)
  check_io("copy", 1, writer, "write")
  check_io("copy", 2, reader, "read")
  local _, err = copy(writer, reader, nil)
  if err then return err end
end

function M.copyn(writer, reader, n)
  check_io("copyn", 1, writer, "write")
  check_io("copyn", 2, reader, "read")
  local count = tonumber(n)
  if count == nil then
    error(string.format("bad argument #3 to 'copyn' (number expected, got %s)", type(n)), 2)
  end
  count = math.floor(count)
  local written, err = copy(writer, reader, count)
  if err then return err end
  if written < count then return "EOF" end
end

return M
`;
