// `bit` (nauthilus_gll_bit): gopher-lua-libs v0.7.0 bit operations on uint32 values, in pure Lua.
import type { LuaModule } from '../module';

export const gllBitModule: LuaModule = {
  name: 'bit',
  legacyLoaderName: 'nauthilus_gll_bit',
  summary: 'uint32 bit operations: band, bor, bxor, lshift, rshift, bnot (negative or too large input is an error return).',
  install() {
    return { functions: {}, lua: BIT_LUA };
  },
};

const BIT_LUA = `
local M = {}
local MAX = 0xFFFFFFFF

-- gopher-lua's CheckInt: a number, truncated toward zero as Go's int(float64) does
local function int(fn, n, v)
  if type(v) ~= "number" then
    error(string.format("bad argument #%d to '%s' (number expected, got %s)", n, fn, type(v)), 4)
  end
  local i = v >= 0 and math.floor(v) or math.ceil(v)
  return math.tointeger(i) or i
end

local function fmt(i)
  return math.type(i) == "integer" and string.format("%d", i) or string.format("%.0f", i)
end

-- Go's intToU32: refuses negative values and values above 2^32-1
local function u32(fn, n, v)
  local i = int(fn, n, v)
  if i < 0 then return nil, "cannot convert negative int " .. fmt(i) .. " to uint32" end
  if i > MAX then return nil, "int " .. fmt(i) .. " overflows uint32" end
  return i
end

local function binary(fn, op)
  M[fn] = function(a, b)
    -- Go converts the first argument before it looks at the second
    local x, err = u32(fn, 1, a)
    if x == nil then return nil, err end
    local y, err2 = u32(fn, 2, b)
    if y == nil then return nil, err2 end
    return op(x, y) & MAX
  end
end

binary("band", function(x, y) return x & y end)
binary("bor", function(x, y) return x | y end)
binary("bxor", function(x, y) return x ~ y end)
binary("lshift", function(x, y) return y >= 32 and 0 or x << y end)
binary("rshift", function(x, y) return y >= 32 and 0 or x >> y end)

function M.bnot(a)
  local x, err = u32("bnot", 1, a)
  if x == nil then return nil, err end
  return (~x) & MAX
end

return M
`;
