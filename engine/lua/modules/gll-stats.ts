// `stats` (nauthilus_gll_stats): gopher-lua-libs v0.7.0's median / percentile / standard_deviation over
// montanaflynn/stats v0.6.3, in pure Lua, with the same inputs and error strings.
import type { LuaModule } from '../module';

export const gllStatsModule: LuaModule = {
  name: 'stats',
  legacyLoaderName: 'nauthilus_gll_stats',
  summary: 'Statistics of a table of numbers: median, percentile, standard_deviation (gopher-lua-libs v0.7.0).',
  install() {
    return { functions: {}, lua: STATS_LUA };
  },
};

// gopher-lua-libs v0.7.0 builds its slice with make([]float64, #t) and then appends every value, so the
// data always starts with #t zeros: median({1, 2, 3}) is 0.5 in Nauthilus 1.10. Mirrored on purpose.
const STATS_LUA = `
local M = {}
local EMPTY = "Input must not be empty."
local BOUNDS = "Input is outside of range."

-- a float with an integral value prints as gopher-lua prints it ("2", not "2.0")
local function num(x)
  if x == x and x ~= math.huge and x ~= -math.huge then return math.tointeger(x) or x end
  return x
end

local function data_of(fn, t)
  if type(t) ~= "table" then
    error(string.format("bad argument #1 to '%s' (table expected, got %s)", fn, type(t)), 3)
  end
  local data, bad = {}, false
  for _ = 1, #t do data[#data + 1] = 0.0 end
  for _, v in pairs(t) do
    if type(v) == "number" then data[#data + 1] = v + 0.0 else bad = true end
  end
  if bad then return nil, "only table of numbers is supported" end
  table.sort(data)
  return data
end

local function median(c)
  local l = #c
  if l == 0 then return nil, EMPTY end
  if l % 2 == 0 then return (c[l // 2] + c[l // 2 + 1]) / 2 end
  return c[l // 2 + 1]
end

function M.median(t)
  local c, err = data_of("median", t)
  if not c then return nil, err end
  local r, e = median(c)
  if r == nil then return nil, e end
  return num(r)
end

function M.percentile(t, p)
  local c, err = data_of("percentile", t)
  if not c then return nil, err end
  local pn = tonumber(p)
  if pn == nil then
    error(string.format("bad argument #2 to 'percentile' (number expected, got %s)", type(p)), 2)
  end
  local n = #c
  if n == 0 then return nil, EMPTY end
  if n == 1 then return num(c[1]) end
  if pn <= 0 or pn > 100 then return nil, BOUNDS end
  local index = (pn / 100) * n
  local i = math.floor(index)
  if index == i then return num(c[i]) end
  if index > 1 then return num((c[i] + c[i + 1]) / 2) end
  return nil, BOUNDS
end

function M.standard_deviation(t)
  local c, err = data_of("standard_deviation", t)
  if not c then return nil, err end
  local n = #c
  if n == 0 then return nil, EMPTY end
  local sum = 0.0
  for i = 1, n do sum = sum + c[i] end
  local mean, v = sum / n, 0.0
  for i = 1, n do v = v + (c[i] - mean) * (c[i] - mean) end
  return num((v / n) ^ 0.5)
end

return M
`;
