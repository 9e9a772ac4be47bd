-- dovecot.http.client of Dovecot 2.3 (and 2.4's settings, see http-settings-24.ts): clients, requests, responses as tables with an `item` and methods.
-- Option rules: unknown keys are ignored, a known key of the wrong type is an error, and every error
-- text is Dovecot's (messages from Dovecot's own checks carry no file:line, argument errors do).
local host, S = __dv_host, __dv_shared

local CLIENT_MT = { __name = "struct http_client" }
local REQUEST_MT = { __name = "struct http_client_request" }
local RESPONSE_MT = { __name = "struct dlua_http_response" }
local STATE = setmetatable({}, { __mode = "k" }) -- item -> Lua-side state

-- Checked in this order, as parse_client_settings does.
local SETTINGS = {
  { "user_agent", "string" }, { "rawlog_dir", "string" }, { "max_idle_time_msecs", "uint" },
  { "no_auto_redirect", "bool" }, { "no_auto_retry", "bool" }, { "max_redirects", "uint" },
  { "max_attempts", "uint" }, { "max_connect_attempts", "uint" }, { "connect_backoff_time_msecs", "uint" },
  { "connect_backoff_max_time_msecs", "uint" }, { "request_absolute_timeout_msecs", "uint" },
  { "request_timeout_msecs", "uint" }, { "connect_timeout_msecs", "uint" },
  { "soft_connect_timeout_msecs", "uint" }, { "max_auto_retry_delay_secs", "uint" }, { "debug", "bool" },
}
local EXPECTED = { string = "string expected", uint = "non-negative number expected", bool = "boolean expected" }

local function valid(kind, v)
  if kind == "string" then return type(v) == "string" end
  if kind == "bool" then return type(v) == "boolean" end
  return math.type(v) == "integer" and v >= 0 and v <= 4294967295
end

local function state_of(self, mt)
  if type(self) ~= "table" then
    error(string.format("Bad argument #1, expected %s got %s", mt.__name, type(self)), 0)
  end
  local item = rawget(self, "item")
  local st = item ~= nil and STATE[item]
  if not st or st.mt ~= mt then error(string.format("Bad argument #1, expected %s got table", mt.__name), 0) end
  return st
end

local function new_object(mt, st, methods)
  local item = {}
  st.mt = mt
  STATE[item] = st
  local obj = { item = item }
  for k, f in pairs(methods) do obj[k] = f end
  return setmetatable(obj, mt)
end

---------------------------------------------------------------------------------------------------
-- Responses
---------------------------------------------------------------------------------------------------
local RESPONSE_METHODS = {
  status = function(...)
    S.require_args(1, select("#", ...))
    return state_of((...), RESPONSE_MT).status
  end,
  reason = function(...)
    S.require_args(1, select("#", ...))
    return state_of((...), RESPONSE_MT).reason
  end,
  payload = function(...)
    S.require_args(1, select("#", ...))
    return state_of((...), RESPONSE_MT).payload
  end,
  header = function(...)
    S.require_args(2, select("#", ...))
    local self, name = ...
    local st = state_of(self, RESPONSE_MT)
    name = S.checkstring("header", 1, name, true):lower()
    for _, h in ipairs(st.headers) do
      if h[1]:lower() == name then return h[2] end
    end
    return ""
  end,
}

---------------------------------------------------------------------------------------------------
-- Requests
---------------------------------------------------------------------------------------------------
local REQUEST_METHODS = {
  add_header = function(...)
    S.require_args(3, select("#", ...))
    local self, name, value = ...
    local st = state_of(self, REQUEST_MT)
    name = S.checkstring("add_header", 1, name, true)
    value = S.checkstring("add_header", 2, value, true)
    -- http_client_request_add_header_full asserts that neither can break the header block
    if name:find("[:\r\n]") then
      S.panic('file http-client-request.c: line 443 (http_client_request_add_header_full): assertion failed: (strpbrk(key, ":\\r\\n") == NULL)')
    end
    if value:find("[\r\n]") then
      S.panic('file http-client-request.c: line 444 (http_client_request_add_header_full): assertion failed: (strpbrk(value, "\\r\\n") == NULL)')
    end
    st.headers[#st.headers + 1] = { name, value }
  end,
  remove_header = function(...)
    S.require_args(2, select("#", ...))
    local self, name = ...
    local st = state_of(self, REQUEST_MT)
    name = S.checkstring("remove_header", 1, name, true):lower()
    local kept = {}
    for _, h in ipairs(st.headers) do
      if h[1]:lower() ~= name then kept[#kept + 1] = h end
    end
    st.headers = kept
  end,
  set_payload = function(...)
    S.require_args(2, select("#", ...))
    local self, payload = ...
    local st = state_of(self, REQUEST_MT)
    st.payload = S.checkstring("set_payload", 1, payload, true)
  end,
  submit = function(...)
    S.require_args(1, select("#", ...))
    local st = state_of((...), REQUEST_MT)
    local r = host.http_submit({
      method = st.method, url = st.url, headers = st.headers, payload = st.payload, settings = st.settings,
    }):await()
    return new_object(RESPONSE_MT, { status = r.status, reason = r.reason, payload = r.payload, headers = r.headers or {} }, RESPONSE_METHODS)
  end,
}

---------------------------------------------------------------------------------------------------
-- Clients
---------------------------------------------------------------------------------------------------
local function request_new(...)
  S.require_args(2, select("#", ...))
  local self, spec = ...
  local st = state_of(self, CLIENT_MT)
  if type(spec) ~= "table" then S.argerror("request", 1, "table", spec, true) end
  local url = spec.url
  if url == nil then error("cannot create request: url not specified", 0) end
  url = S.checkstring("request", -2, url, true)
  local method = "GET"
  if spec.method ~= nil then method = S.checkstring("request", -2, spec.method, true) end
  local err = host.http_url_error(url)
  if err then error(string.format("Failed to parse url %s: %s", url, err), 0) end
  return new_object(REQUEST_MT, { url = url, method = method, headers = {}, settings = st.settings }, REQUEST_METHODS)
end

function dovecot.http.client(...)
  S.require_args(1, select("#", ...))
  local opts = ...
  if type(opts) ~= "table" then S.argerror("client", 1, "table", opts, true) end
  if host.version == "2.4" then
    -- 2.4: every key must be an http_client_ or ssl_ setting; values go through lua_tostring and the settings parser
    local list = {}
    for k, v in next, opts do
      local tv = type(v)
      list[#list + 1] = { tostring(k), (tv == "string" or tv == "number") and tostring(v) or nil }
    end
    local r = host.http_settings_24(list)
    if r.crash then S.panic("") end
    if r.error then error(r.error, 0) end
    return new_object(CLIENT_MT, { settings = r.settings }, { request = request_new })
  end
  local settings = {}
  for _, entry in ipairs(SETTINGS) do
    local key, kind = entry[1], entry[2]
    local v = opts[key]
    if v ~= nil then
      if not valid(kind, v) then error("Invalid HTTP client setting: " .. key .. ": " .. EXPECTED[kind], 0) end
      settings[key] = v
    end
  end
  local proxy = opts.proxy_url
  if type(proxy) == "string" then
    local err = host.http_url_error(proxy)
    if err then error("Invalid HTTP client setting: proxy_url is invalid: " .. err, 0) end
    settings.proxy_url = proxy
  end
  return new_object(CLIENT_MT, { settings = settings }, { request = request_new })
end
