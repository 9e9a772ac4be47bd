// `log` and `loglevel` (nauthilus_gll_log): gopher-lua-libs v0.7.0's Go log.Logger for scripts. "-", "STDOUT"
// and "STDERR" go to the engine log (and the request's trace); "/dev/null" discards; any other output is a
// file, appended to only with server.lua_allow_io (otherwise set_output returns the error and the logger
// keeps writing to the engine log, as Go's logger keeps its output when the open fails).
import fs from 'node:fs';
import path from 'node:path';
import type { LuaModule, ModuleHost } from '../module';
import { goError } from '../host-files';
import { goShortestG } from '../go-number';
import { ioOffError } from './gll-goos';
import { GO_FMT_LUA } from './go-fmt-lua';

/** One log line is cut here on its way to the engine log or a file (a runaway loop cannot fill the disk at once). */
const MAX_LINE = 64 * 1024;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Go's log header for the flags: "2009/01/23 " (date), "01:23:23 " (time), "01:23:23.123123 " (microseconds). */
export function goLogHeader(now: Date, date: boolean, time: boolean, micro: boolean, utc: boolean): string {
  let h = '';
  const g = utc
    ? { y: now.getUTCFullYear(), mo: now.getUTCMonth() + 1, d: now.getUTCDate(), h: now.getUTCHours(), mi: now.getUTCMinutes(), s: now.getUTCSeconds() }
    : { y: now.getFullYear(), mo: now.getMonth() + 1, d: now.getDate(), h: now.getHours(), mi: now.getMinutes(), s: now.getSeconds() };
  if (date) h += `${pad(g.y, 4)}/${pad(g.mo)}/${pad(g.d)} `;
  if (time || micro) {
    h += `${pad(g.h)}:${pad(g.mi)}:${pad(g.s)}`;
    if (micro) h += `.${pad(now.getMilliseconds() * 1000, 6)}`;
    h += ' ';
  }
  return h;
}

function install(host: ModuleHost) {
  const resolve = (p: string) => path.resolve(host.services.baseDir, p);
  return {
    functions: {
      go_g: (n: number) => goShortestG(Number(n)),
      header: (date: boolean, time: boolean, micro: boolean, utc: boolean) => goLogHeader(new Date(), !!date, !!time, !!micro, !!utc),
      /** Check that a file output can be opened for appending (creating it); the error string or nil. */
      open_output: (name: string) => {
        if (!host.allowIo) return ioOffError('open', name);
        try {
          fs.closeSync(fs.openSync(resolve(name), fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o644));
          return undefined;
        } catch (e) {
          return goError('open', name, e);
        }
      },
      emit: (target: string, line: string) => {
        const text = String(line).slice(0, MAX_LINE);
        if (target === 'STDOUT' || target === 'STDERR') {
          const shown = text.replace(/\n$/, '');
          host.services.logger.info({ pool: host.poolName, session: host.call?.session, stream: target.toLowerCase(), script_log: shown }, 'script log');
          host.call?.record('log', { level: 'info', line: shown });
          return undefined;
        }
        if (!host.allowIo) return undefined; // set_output refused it; never reached
        try {
          fs.appendFileSync(resolve(target), text, { mode: 0o644 });
        } catch (e) {
          return goError('write', target, e);
        }
        return undefined;
      },
    },
    lua: LOG_LUA,
  };
}

export const gllLogModule: LuaModule = {
  name: 'log',
  legacyLoaderName: 'nauthilus_gll_log',
  summary: "Go's log.Logger: new(output, prefix, flags), logger:print/println/printf, set_output, set_prefix, set_flags, close (gopher-lua-libs v0.7.0).",
  install,
};

export const gllLogLevelModule: LuaModule = {
  name: 'loglevel',
  summary: 'DEBUG/INFO/WARN/ERROR loggers over `log` with get_level/set_level and a default output (gopher-lua-libs v0.7.0).',
  install() {
    return { functions: {}, lua: LOGLEVEL_LUA };
  },
};

const LOG_LUA = `
local api = ...
${GO_FMT_LUA}
local M = {}
local LOGGER = { __name = "logger_ud" }
LOGGER.__index = LOGGER

-- a logger's state lives in self._s: the copies of module tables each script gets share it
local function check(fn, self)
  if getmetatable(self) ~= LOGGER or type(rawget(self, "_s")) ~= "table" then
    error(string.format("bad argument #1 to '%s' (logger_ud expected)", fn), 3)
  end
  return self._s
end

local function str(fn, n, v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return go_numtext(v) end
  error(string.format("bad argument #%d to '%s' (string expected, got %s)", n, fn, t), 3)
end

local function parse_flags(fn, n, t)
  if type(t) ~= "table" then
    error(string.format("bad argument #%d to '%s' (table expected, got %s)", n, fn, type(t)), 3)
  end
  local c = {}
  for _, k in ipairs({ "date", "time", "microseconds", "utc", "longfile" }) do
    local v = rawget(t, k)
    if v ~= nil and type(v) ~= "boolean" then error(string.format("bad argument #1 to '%s' (%s: must be bool)", fn, k), 3) end
    c[k] = v == true
  end
  return c
end

local function set_output(l, output)
  if output == "-" or output == "STDOUT" then l.out = "STDOUT"; return end
  if output == "STDERR" then l.out = "STDERR"; return end
  if output == "/dev/null" then l.out = false; return end
  local err = api.open_output(output)
  if err then return err end
  l.out = output
end

local function write(l, msg)
  if l.out == false then return end
  local c = l.flags
  local line = l.prefix .. api.header(c.date, c.time, c.microseconds, c.utc) .. msg
  if line:sub(-1) ~= "\\n" then line = line .. "\\n" end
  api.emit(l.out, line)
end

local function where(l)
  if not l.flags.longfile then return nil end
  local info = debug.getinfo(3, "Sl")
  if not info or info.currentline < 0 then return "" end
  return string.format("%s:%d:", info.short_src, info.currentline)
end

function M.new(...)
  local n = select("#", ...)
  local output, prefix, flags = ...
  local l = { out = "STDOUT", prefix = "", flags = parse_flags("new", 1, {}) }
  if n > 0 then set_output(l, str("new", 1, output)) end
  if n > 1 then l.prefix = str("new", 2, prefix) end
  if n > 2 then l.flags = parse_flags("new", 3, flags) end
  return setmetatable({ _s = l }, LOGGER)
end

function LOGGER.set_output(self, output)
  local l = check("set_output", self)
  return set_output(l, str("set_output", 2, output))
end

function LOGGER.set_prefix(self, prefix)
  local l = check("set_prefix", self)
  l.prefix = str("set_prefix", 2, prefix)
end

function LOGGER.set_flags(self, flags)
  local l = check("set_flags", self)
  l.flags = parse_flags("set_flags", 2, flags)
end

function LOGGER.close(self)
  check("close", self)
end

function LOGGER.print(self, ...)
  local l = check("print", self)
  local args, n = { ... }, select("#", ...)
  local w = where(l)
  if w and w ~= "" then table.insert(args, 1, w .. " "); n = n + 1 end
  write(l, go_sprint(args, n))
end

function LOGGER.println(self, ...)
  local l = check("println", self)
  local args, n = { ... }, select("#", ...)
  local w = where(l)
  if w and w ~= "" then table.insert(args, 1, w); n = n + 1 end
  write(l, go_sprintln(args, n))
end

function LOGGER.printf(self, format, ...)
  local l = check("printf", self)
  format = str("printf", 2, format)
  local args, n = { ... }, select("#", ...)
  local w = where(l)
  if w and w ~= "" then format = "%s" .. format; table.insert(args, 1, w .. " "); n = n + 1 end
  write(l, go_sprintf(format, args, n))
end

return M
`;

// gopher-lua-libs' loglevel: four loggers prefixed "[LEVEL] " with dates, those below the level sent to /dev/null
const LOGLEVEL_LUA = `
local log = require("log")
local L = { levels = { DEBUG = 0, INFO = 1, WARN = 2, ERROR = 3 }, defaultOutput = "STDERR", _level = "INFO" }
-- gopher-lua-libs reaches log's functions through a metatable; scripts get copies of module tables without
-- it, so they are copied in
for k, v in pairs(log) do L[k] = v end

local function level_value(level)
  local v = L.levels[string.upper(level)]
  if v == nil then error("Illegal level " .. tostring(level), 3) end
  return v
end

local function output_for(level)
  return level_value(L._level) <= level_value(level) and L.defaultOutput or "/dev/null"
end

for level in pairs(L.levels) do
  L[level] = log.new(output_for(level))
  L[level]:set_prefix(string.format("[%s] ", level))
  L[level]:set_flags({ date = true })
end

function L.get_level() return L._level end

function L.set_level(new_level)
  new_level = string.upper(new_level)
  level_value(new_level)
  L._level = new_level
  for level in pairs(L.levels) do L[level]:set_output(output_for(level)) end
end

function L.default_output() return L.defaultOutput end
function L.set_default_output(output) L.defaultOutput = output end

return L
`;
