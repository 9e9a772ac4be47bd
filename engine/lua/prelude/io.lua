-- `io` and the file functions of `os` on the real file system (server.lua_allow_io: true), built on the host's
-- HostFiles (engine/lua/host-files.ts). gopher-lua 1.1 semantics, as Nauthilus 1.10 gives its scripts:
-- open errors are (nil, "open <path>: <reason>", 1), read formats need the "*" ("*a", "*l", "*n") or are a byte
-- count, write returns true, io.lines ends (and closes its file) at the end. Processes stay out of reach:
-- io.popen, os.execute and os.exit raise an error instead of starting or ending anything.
local h = __as_io_host
__as_io_host = nil

local type, error, pcall, select, tostring, setmetatable, rawequal = type, error, pcall, select, tostring, setmetatable, rawequal
local table_pack, table_unpack = table.pack, table.unpack

local ids = setmetatable({}, { __mode = "k" }) -- file object -> host id
local FILE = { __name = "FILE*" }
FILE.__index = FILE

local function hostcall(fn, ...)
  local r = table_pack(pcall(fn, ...))
  if not r[1] then
    local e = r[2]
    if type(e) ~= "string" then e = tostring(e) end
    error(e, 3)
  end
  return table_unpack(r, 2, r.n)
end

local function new_file(id)
  local f = setmetatable({}, FILE)
  ids[f] = id
  return f
end

-- the host id of an open file, or an error naming the argument as Lua does
local function check(f, fname, closed_ok)
  local id = ids[f]
  if id == nil then error("bad argument #1 to '" .. fname .. "' (file expected, got " .. type(f) .. ")", 3) end
  if not closed_ok and not h.is_open(id) then error("bad argument #1 to '" .. fname .. "' (file is closed)", 3) end
  return id
end

local function read_aux(f, id, fname, ...)
  if not h.can(id, "read") then return nil, h.name(id) .. " is opened for only writing.", 1 end
  local n = select("#", ...)
  local formats = n == 0 and { "*l" } or { ... }
  local out = {}
  for i = 1, (n == 0 and 1 or n) do
    local fmt, v = formats[i], nil
    if type(fmt) == "number" then
      v = hostcall(h.read_bytes, id, fmt)
    elseif type(fmt) == "string" then
      if fmt:sub(1, 1) ~= "*" then error("bad argument #2 to '" .. fname .. "' (invalid options:" .. fmt .. ")", 2) end
      local o = fmt:sub(2, 2)
      if o == "l" then v = hostcall(h.read_line, id)
      elseif o == "a" then v = hostcall(h.read_all, id)
      elseif o == "n" then v = hostcall(h.read_number, id)
      else error("bad argument #2 to '" .. fname .. "' (invalid options:" .. o .. ")", 2) end
    else
      error("bad argument #" .. i .. " to '" .. fname .. "' (invalid format)", 2)
    end
    out[i] = v
    if v == nil then return table_unpack(out, 1, i) end
  end
  return table_unpack(out, 1, n == 0 and 1 or n)
end

local function write_aux(id, fname, ...)
  if not h.can(id, "write") then return nil, h.name(id) .. " is opened for only reading.", 1 end
  for i = 1, select("#", ...) do
    local s = select(i, ...)
    local t = type(s)
    if t ~= "string" and t ~= "number" then
      error("bad argument #" .. i .. " to '" .. fname .. "' (string expected, got " .. t .. ")", 2)
    end
    local ok, msg, errno = hostcall(h.write, id, tostring(s))
    if not ok then return nil, msg, errno end
  end
  return true
end

function FILE.read(f, ...) return read_aux(f, check(f, "read"), "read", ...) end
function FILE.write(f, ...) return write_aux(check(f, "write"), "write", ...) end
function FILE.close(f) return hostcall(h.close, check(f, "close")) end
function FILE.flush(f) check(f, "flush") return true end
function FILE.setvbuf(f) check(f, "setvbuf") return true end
function FILE.seek(f, whence, offset)
  local id = check(f, "seek")
  whence = whence or "cur"
  if whence ~= "set" and whence ~= "cur" and whence ~= "end" then
    error("bad argument #1 to 'seek' (invalid option '" .. tostring(whence) .. "')", 2)
  end
  if offset ~= nil and type(offset) ~= "number" then error("bad argument #2 to 'seek' (number expected, got " .. type(offset) .. ")", 2) end
  return hostcall(h.seek, id, whence, offset or 0)
end
function FILE.lines(f)
  local id = check(f, "lines")
  if not h.can(id, "read") then return nil end
  return function() return hostcall(h.read_line, id) end
end
FILE.__tostring = function(f)
  local id = ids[f]
  return (id and h.is_open(id)) and "file" or "file (closed)"
end
-- a file the script dropped without closing is closed when collected (this chunk is a host module's: see guards.lua)
FILE.__gc = function(f)
  local id = ids[f]
  if id and id > 3 and h.is_open(id) then pcall(h.close, id) end
end

local stdin, stdout, stderr = new_file(1), new_file(2), new_file(3)
local default_in, default_out = stdin, stdout

local io = {}
io.stdin, io.stdout, io.stderr = stdin, stdout, stderr

function io.open(path, mode)
  if type(path) ~= "string" then error("bad argument #1 to 'open' (string expected, got " .. type(path) .. ")", 2) end
  if mode ~= nil and type(mode) ~= "string" then error("bad argument #2 to 'open' (string expected, got " .. type(mode) .. ")", 2) end
  local id, msg, errno = hostcall(h.open, path, mode)
  if id == nil then return nil, msg, errno end
  return new_file(id)
end

function io.lines(path)
  if path == nil then
    local id = check(default_in, "lines")
    return function() return hostcall(h.read_line, id) end
  end
  if type(path) ~= "string" then error("bad argument #1 to 'lines' (string expected, got " .. type(path) .. ")", 2) end
  local id, msg = hostcall(h.open, path, "r")
  -- gopher-lua returns nothing here, so the script's for loop fails; the error says why
  if id == nil then error(msg, 2) end
  return function()
    if not h.is_open(id) then return nil end
    local line = hostcall(h.read_line, id)
    if line == nil then h.close(id) end
    return line
  end
end

function io.close(f)
  if f == nil then f = default_out end
  return hostcall(h.close, check(f, "close"))
end

function io.read(...) return read_aux(default_in, check(default_in, "read"), "read", ...) end
function io.write(...) return write_aux(check(default_out, "write"), "write", ...) end
function io.flush() return true end

local function default_file(current, fname, mode, arg)
  if arg == nil then return current end
  if type(arg) == "string" then
    local id, msg = hostcall(h.open, arg, mode)
    if id == nil then error(msg, 3) end
    return new_file(id)
  end
  if ids[arg] ~= nil then return arg end
  error("bad argument #1 to '" .. fname .. "' (string or file expected, got " .. type(arg) .. ")", 3)
end

function io.input(arg) default_in = default_file(default_in, "input", "r", arg) return default_in end
function io.output(arg) default_out = default_file(default_out, "output", "w", arg) return default_out end

function io.type(f)
  local id = ids[f]
  if id == nil then return nil end
  return h.is_open(id) and "file" or "closed file"
end

function io.tmpfile()
  local id, msg = hostcall(h.tmpfile)
  if id == nil then return nil, msg end
  return new_file(id)
end

function io.popen()
  error("io.popen is not available in AuthStudio (it would start a process on the engine's host)", 2)
end

_G.io = io
package.loaded.io = io

os.remove = function(path)
  if type(path) ~= "string" then error("bad argument #1 to 'remove' (string expected, got " .. type(path) .. ")", 2) end
  return hostcall(h.remove, path)
end
os.rename = function(from, to)
  if type(from) ~= "string" then error("bad argument #1 to 'rename' (string expected, got " .. type(from) .. ")", 2) end
  if type(to) ~= "string" then error("bad argument #2 to 'rename' (string expected, got " .. type(to) .. ")", 2) end
  return hostcall(h.rename, from, to)
end
os.tmpname = function() return h.tmpname() end
os.execute = function()
  error("os.execute is not available in AuthStudio (it would start a process on the engine's host)", 2)
end
os.exit = function()
  error("os.exit is not available in AuthStudio (it would end the engine)", 2)
end
