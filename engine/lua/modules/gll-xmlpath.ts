// `xmlpath` (nauthilus_gll_xmlpath): gopher-lua-libs v0.7.0's load(html) / compile(xpath) over gopkg.in/xmlpath.v2
// and golang.org/x/net/html. AuthStudio has no HTML5 tree builder to match x/net/html's (implied html/head/body,
// error recovery), and a path run against a different tree would give different answers silently. So the module
// loads, checks its arguments, and both functions answer the library's failure shape (nil, err).
import type { LuaModule } from '../module';

/** The error xmlpath.load and xmlpath.compile return in AuthStudio. */
export const XMLPATH_UNAVAILABLE = 'xmlpath: not available in AuthStudio (no HTML parser matching golang.org/x/net/html); parse with strings or a Lua library from lua.config.package_path';

export const gllXmlpathModule: LuaModule = {
  name: 'xmlpath',
  legacyLoaderName: 'nauthilus_gll_xmlpath',
  summary: 'load(html) and compile(xpath) load but answer nil and an error: XPath over HTML is not available (gopher-lua-libs v0.7.0 shape).',
  install() {
    return { functions: { unavailable: XMLPATH_UNAVAILABLE }, lua: XMLPATH_LUA };
  },
};

const XMLPATH_LUA = `
local api = ...
local M = {}
local function str(fn, v)
  local t = type(v)
  if t == "string" or t == "number" then return end
  error(string.format("bad argument #1 to '%s' (string expected, got %s)", fn, t), 3)
end
function M.load(text)
  str("load", text)
  return nil, api.unavailable
end
function M.compile(path)
  str("compile", path)
  return nil, api.unavailable
end
return M
`;
