// `cmd` (nauthilus_gll_cmd): gopher-lua-libs v0.7.0's exec(command, timeout). AuthStudio never starts a
// process from a script: the module loads, checks its arguments as the library does, and every call answers
// the library's failure shape (nil, err) as if the shell could not be started.
import type { LuaModule } from '../module';

/** What cmd.exec answers: the text of the error Go's exec.Cmd.Start gives when it cannot run the shell. */
export const CMD_DISABLED = 'exec: "sh": running processes is disabled in AuthStudio (cmd.exec never starts a process)';

export const gllCmdModule: LuaModule = {
  name: 'cmd',
  legacyLoaderName: 'nauthilus_gll_cmd',
  summary: 'exec(command, timeout) loads but never starts a process: it returns nil and an error (gopher-lua-libs v0.7.0 shape).',
  install() {
    return { functions: { disabled: CMD_DISABLED }, lua: CMD_LUA };
  },
};

const CMD_LUA = `
local api = ...
local M = {}
function M.exec(command, timeout)
  local t = type(command)
  if t ~= "string" and t ~= "number" then
    error(string.format("bad argument #1 to 'exec' (string expected, got %s)", t), 2)
  end
  if timeout ~= nil and tonumber(timeout) == nil then
    error(string.format("bad argument #2 to 'exec' (number expected, got %s)", type(timeout)), 2)
  end
  return nil, api.disabled
end
return M
`;
