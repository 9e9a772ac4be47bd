// `shellescape` (nauthilus_gll_shellescape): gopher-lua-libs v0.7.0 quoting of shell words (al.essio.dev/pkg/shellescape).
import type { LuaModule } from '../module';
import { checkArg } from '../values';

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

export const gllShellescapeModule: LuaModule = {
  name: 'shellescape',
  legacyLoaderName: 'nauthilus_gll_shellescape',
  summary: 'Shell quoting: quote, quote_command, strip_unsafe.',
  install() {
    return {
      functions: {
        // text from Lua arrives decoded as UTF-8, an invalid byte as U+FFFD: what Go's strings.Map keeps too
        strip_unsafe: (s: unknown) => {
          checkArg('strip_unsafe', 1, s, 'string', 'number');
          let out = '';
          for (const ch of String(s)) if (PRINTABLE.test(ch)) out += ch;
          return out;
        },
      },
      lua: SHELLESCAPE_LUA,
    };
  },
};

// quote stays in Lua so the bytes of the word are kept exactly (binary safe)
const SHELLESCAPE_LUA = `
local api = ...
local M = {}

local str = select(3, ...).check_string -- gopher-lua CheckString (prelude)

-- a word is safe bare when it has only ASCII letters, digits and _@%+=:,./-
local function quote(s)
  if s == "" then return "''" end
  if s:find("[^%w_@%%+=:,%./%-]") then
    return "'" .. s:gsub("'", "'\\"'\\"'") .. "'"
  end
  return s
end

function M.quote(s) return quote(str("quote", 1, s)) end

-- Go's LVAsString: strings and numbers as text, anything else as ""
function M.quote_command(args)
  if type(args) ~= "table" then
    error(string.format("bad argument #1 to 'quote_command' (table expected, got %s)", type(args)), 2)
  end
  local out = {}
  for i = 1, #args do
    local v = args[i]
    local t = type(v)
    out[i] = quote((t == "string" or t == "number") and tostring(v) or "")
  end
  return table.concat(out, " ")
end

-- ASCII control bytes (NUL included, which would cut the text on its way into JS) go here; only text
-- with non-ASCII characters needs the host's Unicode tables
function M.strip_unsafe(s)
  s = str("strip_unsafe", 1, s):gsub("%c", "")
  if not s:find("[\\128-\\255]") then return s end
  return api.strip_unsafe(s)
end

return M
`;
