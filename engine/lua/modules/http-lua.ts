// The Lua half of `glua_http` (http.ts): argument checks at the script's line, binary-safe bodies (hex across the
// wasmoon boundary, whose strings stop at \0), and responses as gluahttp's `http.response` objects.
export const GLUA_HTTP_LUA = String.raw`
local api = ...
local M = {}

local HEXDEC, HEXENC = {}, {}
for i = 0, 255 do
  local h, c = string.format("%02x", i), string.char(i)
  HEXDEC[h], HEXENC[c] = c, h
end
-- a string wasmoon would cut (\0) or re-encode (not UTF-8) goes as hex
local function binary(s) return s:find("\0", 1, true) ~= nil or utf8.len(s) == nil end

local function check(fn, n, v, ...)
  local t = type(v)
  for i = 1, select("#", ...) do if t == select(i, ...) then return end end
  error("bad argument #" .. n .. " to '" .. fn .. "' (" .. table.concat({ ... }, " or ") .. " expected, got " .. t .. ")", 3)
end

-- the options gluahttp reads, with a binary body or form hex-encoded
local OPTION_KEYS = { "timeout", "headers", "cookies", "query", "auth", "body", "form" }
local function host_options(o)
  if type(o) ~= "table" then return nil end
  local c = {}
  for _, k in ipairs(OPTION_KEYS) do c[k] = rawget(o, k) end -- gluahttp reads options with RawGet
  for _, k in ipairs({ "body", "form" }) do
    if type(c[k]) == "string" and binary(c[k]) then c[k .. "_hex"], c[k] = c[k]:gsub(".", HEXENC), nil end
  end
  return c
end

-- http.response: fields are read through __index as gluahttp's userdata does; headers and cookies are a new
-- table at each read; nothing can be set on it
local RESPONSE = {}
M.response = RESPONSE
local fields = setmetatable({}, { __mode = "k" })
local function copy(t) local c = {} for k, v in pairs(t) do c[k] = v end return c end
RESPONSE.__index = function(self, key)
  local f = fields[self]
  if not f then error("bad argument #1 to '?' (http.response expected)", 2) end
  if key == "headers" or key == "cookies" then return copy(f[key]) end
  if key == "status_code" or key == "url" or key == "body" or key == "body_size" then return f[key] end
  return nil
end
RESPONSE.__newindex = function(_, key)
  error("cannot set field '" .. tostring(key) .. "' of an http.response", 2)
end
RESPONSE.__name = "http.response"

local function response(raw)
  if raw == nil then return nil end
  if raw.body_hex then raw.body, raw.body_hex = (raw.body_hex:gsub("%x%x", HEXDEC)), nil end
  raw.headers, raw.cookies = raw.headers or {}, raw.cookies or {}
  local r = setmetatable({}, RESPONSE)
  fields[r] = raw
  return r
end

local function verb(name, method)
  M[name] = function(url, options)
    check(name, 1, url, "string")
    check(name, 2, options, "table", "nil")
    local raw, err = api.request_raw(method, url, host_options(options))
    return response(raw), err
  end
end
verb("get", "GET") verb("post", "POST") verb("put", "PUT") verb("delete", "DELETE") verb("patch", "PATCH") verb("head", "HEAD")

function M.request(method, url, options)
  check("request", 1, method, "string")
  check("request", 2, url, "string")
  check("request", 3, options, "table", "nil")
  local raw, err = api.request_raw(method, url, host_options(options))
  return response(raw), err
end

-- {{method, url [, options]}, ...} -> responses[, errors]; the requests run concurrently
function M.request_batch(requests)
  check("request_batch", 1, requests, "table")
  local list = {}
  for _, r in next, requests do -- raw, as gluahttp's ForEach
    if type(r) == "table" then list[#list + 1] = { rawget(r, 1), rawget(r, 2), host_options(rawget(r, 3)) } else list[#list + 1] = false end
  end
  local raws, errs = api.request_batch_raw(list)
  local out = {}
  for i = 1, #list do out[i] = response(raws[i]) end
  if errs == nil then return out end
  return out, errs
end

return M
`;
