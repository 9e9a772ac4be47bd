-- AuthStudio bridge for Dovecot 2.4 (passdb/userdb driver = lua): Dovecot asks AuthStudio's HTTP API.
-- `authstudio dovecot upgrade authstudio.lua` made it from the Dovecot 2.3 bridge (authstudio.lua next to this file);
-- a test keeps the two in step. Dovecot 2.4 config:
--
--   passdb lua {
--     lua_file = /etc/dovecot/lua/authstudio-2.4.lua
--   }
--   userdb lua {                                   (optional)
--     lua_file = /etc/dovecot/lua/authstudio-2.4.lua
--   }
--   import_environment {
--     AUTHSTUDIO_URL = http://127.0.0.1:9080
--     AUTHSTUDIO_AUTH = user:password              (only with server.basic_auth)
--   }
--
-- The Dovecot 2.3 config (for authstudio.lua) was:
--   passdb { driver = lua  args = file=/etc/dovecot/lua/authstudio.lua blocking=yes }
--   import_environment = $import_environment AUTHSTUDIO_URL AUTHSTUDIO_AUTH
--
-- AUTHSTUDIO_URL   engine base URL (default http://127.0.0.1:9080)
-- AUTHSTUDIO_AUTH  "user:password" when the engine has server.basic_auth enabled
-- AUTHSTUDIO_TIMEOUT_MS  per-request timeout (default 10000; Dovecot's own default would be 60 s)
--
-- Plaintext logins (IMAP LOGIN, AUTH PLAIN/LOGIN) go to auth_password_verify: 200 -> OK with the returned
-- attributes as extra fields, 403 -> PASSWORD_MISMATCH (USER_DISABLED when Auth-Status says "disabled"),
-- anything else (500, timeouts, the engine down) -> INTERNAL_FAILURE, which the client sees as a
-- temporary failure. Self-contained: the JSON and base64 code Dovecot lacks is in this file.

local BASE_URL = (os.getenv("AUTHSTUDIO_URL") or "http://127.0.0.1:9080"):gsub("/+$", "")
local CREDENTIALS = os.getenv("AUTHSTUDIO_AUTH")
local TIMEOUT_MS = math.tointeger(tonumber(os.getenv("AUTHSTUDIO_TIMEOUT_MS") or "")) or 10000

local R = dovecot.auth

---------------------------------------------------------------------------------------------------
-- base64 (for HTTP Basic credentials) and a small JSON codec
---------------------------------------------------------------------------------------------------
local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function base64(s)
  return ((s:gsub(".", function(c)
    local bits, b = "", c:byte()
    for i = 8, 1, -1 do bits = bits .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return bits
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local n = 0
    for i = 1, 6 do n = n + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return B64:sub(n + 1, n + 1)
  end) .. ({ "", "==", "=" })[#s % 3 + 1])
end

local ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function json_encode(v)
  local t = type(v)
  if t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c) return ESCAPES[c] or string.format("\\u%04x", c:byte()) end) .. '"'
  elseif t == "number" or t == "boolean" then
    return tostring(v)
  elseif t == "table" then
    local parts = {}
    for k, x in pairs(v) do parts[#parts + 1] = json_encode(tostring(k)) .. ":" .. json_encode(x) end
    table.sort(parts)
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return "null"
end

local function json_decode(s)
  local pos = 1
  local function fail(what) error("AuthStudio answered invalid JSON (" .. what .. " at " .. pos .. ")", 0) end
  local function ws() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
  local value
  local function str()
    local out, i = {}, pos + 1
    while true do
      local c = s:sub(i, i)
      if c == "" then fail("unterminated string") end
      if c == '"' then pos = i + 1; return table.concat(out) end
      if c == "\\" then
        local e = s:sub(i + 1, i + 1)
        local map = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
        if e == "u" then
          local cp = tonumber(s:sub(i + 2, i + 5), 16) or fail("bad \\u escape")
          i = i + 6
          if cp >= 0xD800 and cp <= 0xDBFF and s:sub(i, i + 1) == "\\u" then
            local lo = tonumber(s:sub(i + 2, i + 5), 16) or fail("bad \\u escape")
            cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
            i = i + 6
          end
          out[#out + 1] = utf8.char(cp)
        else
          out[#out + 1] = map[e] or e
          i = i + 2
        end
      else
        local j = s:find('["\\]', i) or #s + 1
        out[#out + 1] = s:sub(i, j - 1)
        i = j
      end
    end
  end
  function value()
    ws()
    local c = s:sub(pos, pos)
    if c == "{" then
      local obj = {}
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "}" then pos = pos + 1; return obj end
      while true do
        ws()
        if s:sub(pos, pos) ~= '"' then fail("expected a key") end
        local k = str(); ws()
        if s:sub(pos, pos) ~= ":" then fail("expected ':'") end
        pos = pos + 1
        obj[k] = value(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "}" then return obj end
        if d ~= "," then fail("expected ',' or '}'") end
      end
    elseif c == "[" then
      local arr = {}
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "]" then pos = pos + 1; return arr end
      while true do
        arr[#arr + 1] = value(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "]" then return arr end
        if d ~= "," then fail("expected ',' or ']'") end
      end
    elseif c == '"' then
      return str()
    end
    if s:sub(pos, pos + 3) == "true" then pos = pos + 4; return true end
    if s:sub(pos, pos + 4) == "false" then pos = pos + 5; return false end
    if s:sub(pos, pos + 3) == "null" then pos = pos + 4; return nil end
    local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if not num or num == "" then fail("unexpected character") end
    pos = pos + #num
    return tonumber(num)
  end
  local v = value(); ws()
  if pos <= #s then fail("trailing data") end
  return v
end

---------------------------------------------------------------------------------------------------
-- Talking to AuthStudio
---------------------------------------------------------------------------------------------------
local client = dovecot.http.client {
  request_timeout = string.format("%dms", TIMEOUT_MS),
  request_max_attempts = 1,
  user_agent = "AuthStudio-Dovecot-bridge/1",
}

-- POST a JSON body to /api/v1/auth/json[?mode=...]; returns the response.
local function ask(mode, body)
  local url = BASE_URL .. "/api/v1/auth/json" .. (mode and ("?mode=" .. mode) or "")
  local request = client:request { url = url, method = "POST" }
  request:add_header("Content-Type", "application/json")
  request:add_header("Accept", "application/json")
  if CREDENTIALS and CREDENTIALS ~= "" then request:add_header("Authorization", "Basic " .. base64(CREDENTIALS)) end
  request:set_payload(json_encode(body))
  return request:submit()
end

-- What AuthStudio needs to know about the login (nil fields are left out of the JSON).
local function login_fields(req, password)
  return {
    username = req.user,
    password = password,
    client_ip = req.remote_ip,
    client_port = req.remote_port,
    local_ip = req.local_ip,
    local_port = req.local_port,
    service = req.protocol,
    method = req.mechanism,
    client_id = req.client_id,
    session = req.session,
    ssl = req.secured == "TLS" and "on" or nil,
    ssl_client_verify = (req.cert ~= nil and req.cert ~= "") and req.cert or nil,
  }
end

-- The success body's attributes as Dovecot extra fields (lists joined with ","; unusable keys skipped:
-- an empty key would crash Dovecot's auth worker).
local function attribute_fields(resp)
  local ok, body = pcall(json_decode, resp:payload())
  if not ok or type(body) ~= "table" then return nil, ok and "AuthStudio answered 200 without a JSON object" or body end
  local fields = {}
  for k, v in pairs(type(body.attributes) == "table" and body.attributes or {}) do
    if type(k) == "string" and k:match("^[%w_.%-]+$") then
      if type(v) == "table" then
        local list = {}
        for _, x in ipairs(v) do list[#list + 1] = tostring(x) end
        fields[k] = table.concat(list, ",")
      elseif type(v) == "string" or type(v) == "number" or type(v) == "boolean" then
        fields[k] = v
      end
    end
  end
  return fields
end

local function failure_text(resp)
  return string.format("AuthStudio %s: HTTP %d %s", BASE_URL, resp:status(), resp:reason())
end

-- A 403 that refuses the request itself (an AS_ERR_* code: an untrusted caller, a missing role) says nothing
-- about the user: it is a temporary failure with AuthStudio's reason, never "unknown user" or "wrong password".
local function refusal_text(resp)
  local ok, body = pcall(json_decode, resp:payload())
  if ok and type(body) == "table" and type(body.error) == "string" and body.error:sub(1, 7) == "AS_ERR_" then
    return failure_text(resp) .. ": " .. body.error .. ": " .. tostring(body.message)
  end
  return nil
end

function script_init(args)
  return 0
end

function script_deinit()
end

function auth_password_verify(req, password)
  local resp = ask(nil, login_fields(req, password))
  local status = resp:status()
  if status == 200 then
    local fields, err = attribute_fields(resp)
    if not fields then return R.PASSDB_RESULT_INTERNAL_FAILURE, err end
    return R.PASSDB_RESULT_OK, fields
  elseif status == 403 then
    local refused = refusal_text(resp)
    if refused then return R.PASSDB_RESULT_INTERNAL_FAILURE, refused end
    if resp:header("Auth-Status"):lower():find("disabled", 1, true) then
      return R.PASSDB_RESULT_USER_DISABLED, ""
    end
    return R.PASSDB_RESULT_PASSWORD_MISMATCH, ""
  end
  return R.PASSDB_RESULT_INTERNAL_FAILURE, failure_text(resp)
end

-- Only plaintext mechanisms can be checked by AuthStudio (it never hands out password hashes).
function auth_passdb_lookup(req)
  return R.PASSDB_RESULT_SCHEME_NOT_AVAILABLE, ""
end

function auth_userdb_lookup(req)
  local resp = ask("no-auth", login_fields(req, nil))
  local status = resp:status()
  if status == 200 then
    local fields, err = attribute_fields(resp)
    if not fields then return R.USERDB_RESULT_INTERNAL_FAILURE, err end
    return R.USERDB_RESULT_OK, fields
  elseif status == 403 then
    local refused = refusal_text(resp)
    if refused then return R.USERDB_RESULT_INTERNAL_FAILURE, refused end
    return R.USERDB_RESULT_USER_UNKNOWN, ""
  end
  return R.USERDB_RESULT_INTERNAL_FAILURE, failure_text(resp)
end

function auth_userdb_iterate()
  local resp = ask("list-accounts", {})
  if resp:status() ~= 200 then error(failure_text(resp), 0) end
  local users = json_decode(resp:payload())
  if type(users) ~= "table" then error("AuthStudio list-accounts did not answer a JSON array", 0) end
  return users
end
