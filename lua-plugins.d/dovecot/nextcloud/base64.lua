-- Pure-Lua base64 (the `base64.encode/decode` API the seed's Nextcloud script expects from lbase64).
local M = {}
local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local INDEX = {}
for i = 1, #ALPHABET do INDEX[ALPHABET:byte(i)] = i - 1 end

function M.encode(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    out[#out + 1] = ALPHABET:sub((n >> 18) + 1, (n >> 18) + 1)
      .. ALPHABET:sub(((n >> 12) & 63) + 1, ((n >> 12) & 63) + 1)
      .. (b and ALPHABET:sub(((n >> 6) & 63) + 1, ((n >> 6) & 63) + 1) or "=")
      .. (c and ALPHABET:sub((n & 63) + 1, (n & 63) + 1) or "=")
  end
  return table.concat(out)
end

function M.decode(s)
  s = s:gsub("[^%w%+/]", "")
  local out = {}
  for i = 1, #s, 4 do
    local n, count = 0, 0
    for j = i, math.min(i + 3, #s) do
      n = (n << 6) | INDEX[s:byte(j)]
      count = count + 1
    end
    n = n << (6 * (4 - count))
    local bytes = string.char((n >> 16) & 255, (n >> 8) & 255, n & 255)
    out[#out + 1] = bytes:sub(1, count - 1)
  end
  return table.concat(out)
end

return M
