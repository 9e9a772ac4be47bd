// `json` (nauthilus_gll_json): encode Lua values to JSON text and decode JSON text to Lua tables.
import type { LuaModule } from '../module';
import { toLua, ret, fail } from '../values';

export const jsonModule: LuaModule = {
  name: 'json',
  legacyLoaderName: 'nauthilus_gll_json',
  summary: 'JSON encode/decode. Errors come back as a second return value.',
  install() {
    return {
      functions: {
        encode_raw: (value: unknown) => {
          try {
            return ret(JSON.stringify(value === undefined ? null : value));
          } catch (e) {
            return fail(`json.encode: ${(e as Error).message}`);
          }
        },
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
return M
`,
    };
  },
};
