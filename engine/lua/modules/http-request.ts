// `nauthilus_http_request`: what a script reads about the HTTP request it serves: a custom hook's request, or the
// auth request that features, filters, actions and backends run for (Nauthilus 1.10 gives all of them the module).
import type { LuaModule, ModuleHost } from '../module';
import type { HookHttpRequest } from '../call-context';
import { checkArg, fail, ret } from '../values';

const NO_REQUEST = 'nauthilus_http_request: no HTTP request here (features, filters, actions, backends and custom hooks have one)';

function request(host: ModuleHost): HookHttpRequest | undefined {
  return host.call?.httpRequest;
}

export const httpRequestModule: LuaModule = {
  name: 'nauthilus_http_request',
  legacyLoaderName: 'nauthilus_http_request',
  summary: 'The HTTP request a hook serves or an auth request came as: method, path, query parameters, headers, body.',
  install(host) {
    // with no request (init scripts) every getter returns nil and an error instead of raising
    return {
      functions: {
        get_all_http_request_headers: () => {
          const r = request(host);
          if (!r) return fail(NO_REQUEST);
          const out: Record<string, string[]> = {};
          for (const [name, values] of Object.entries(r.headers)) out[name.toLowerCase()] = [...values];
          return ret(out);
        },
        get_http_request_header: (name: unknown) => {
          checkArg('get_http_request_header', 1, name, 'string');
          const r = request(host);
          if (!r) return fail(NO_REQUEST);
          const wanted = (name as string).toLowerCase();
          for (const [n, values] of Object.entries(r.headers)) if (n.toLowerCase() === wanted) return ret([...values]);
          return ret([]);
        },
        get_http_request_body: () => {
          const r = request(host);
          return r ? ret(r.body) : fail(NO_REQUEST);
        },
        get_http_method: () => {
          const r = request(host);
          return r ? ret(r.method) : fail(NO_REQUEST);
        },
        get_http_path: () => {
          const r = request(host);
          return r ? ret(r.path) : fail(NO_REQUEST);
        },
        // Nauthilus returns "" (Go's url.Values.Get) for a missing parameter; scripts test for ""
        get_http_query_param: (name: unknown) => {
          checkArg('get_http_query_param', 1, name, 'string');
          const r = request(host);
          if (!r) return fail(NO_REQUEST);
          return ret(r.query[name as string]?.[0] ?? '');
        },
      },
      // Nauthilus 3.0: url_partial_decode(s) decodes every valid %XX (bytes, any case) and keeps invalid or cut
      // escapes and '+' as they are; it returns the text and nil. Pure Lua, so bytes stay bytes.
      lua: `
local api = ...
local M = {}
for k, v in pairs(api) do M[k] = v end
function M.url_partial_decode(s)
  if type(s) ~= "string" and type(s) ~= "number" then
    error("bad argument #1 to 'url_partial_decode' (string expected, got " .. (s == nil and "no value" or type(s)) .. ")", 2)
  end
  s = tostring(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)), nil
end
return M
`,
    };
  },
};
