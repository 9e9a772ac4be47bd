// The Lua half of `http` (gll-http.ts): client and request objects with gopher-lua-libs 0.7's methods and checks,
// a cookie jar per client (Go's client has one), headers set the way Go's Header.Set does (canonical names).
export const GLL_HTTP_LUA = String.raw`
local api = ...
local M = {}
local CLIENT = { __name = "http_client_ud" }
local REQUEST = { __name = "http_request_ud" }
local client_methods, request_methods = {}, {}
CLIENT.__index, REQUEST.__index = client_methods, request_methods
local clients = setmetatable({}, { __mode = "k" })  -- client object -> its settings
local requests = setmetatable({}, { __mode = "k" }) -- request object -> method, url, body, headers

local function argerr(fn, n, msg) error("bad argument #" .. n .. " to '" .. fn .. "' (" .. msg .. ")", 3) end

-- Go's CanonicalHeaderKey: "content-type" -> "Content-Type" (names with other characters stay as they are)
local function canonical(k)
  if not k:match("^[%w!#$%%&'*+%.%^_|~%-]+$") then return k end
  return (k:lower():gsub("^%l", string.upper):gsub("%-%l", string.upper))
end

local function str(v)
  -- Go's LValue.String(): nil is "nil", numbers and booleans as text
  return tostring(v)
end

local CONFIG = {
  timeout = "number", proxy = "string", insecure_ssl = "boolean", root_cas_pem_file = "string", user_agent = "string",
  basic_auth_user = "string", basic_auth_password = "string", debug = "boolean", headers = "table",
}
local CONFIG_ERR = {
  timeout = "timeout must be number", proxy = "http_proxy must be string", insecure_ssl = "insecure_ssl must be bool",
  root_cas_pem_file = "root_cas_pem_file must be string", user_agent = "user_agent must be string",
  basic_auth_user = "basic_auth_user must be string", basic_auth_password = "basic_auth_password must be string",
  debug = "debug must be bool", headers = "headers must be table",
}

local function check_file(field, file)
  local ok, err = pcall(api.check_file, field, file)
  if not ok then error(err, 3) end
end

function M.client(config)
  if config ~= nil and type(config) ~= "table" then argerr("client", 1, "table expected, got " .. type(config)) end
  local st = { opts = { timeout = 10 }, user_agent = "gopher-lua", jar = {} }
  if config then
    local cert, key = config.client_public_cert_pem_file, config.client_private_key_pem_file
    if cert ~= nil and key ~= nil then
      if type(cert) ~= "string" then argerr("client", 1, "client_public_cert_pem_file must be string") end
      if type(key) ~= "string" then argerr("client", 1, "client_private_key_pem_file must be string") end
      check_file("client certificate", cert)
      check_file("client certificate", key)
      st.opts.client_public_cert_pem_file, st.opts.client_private_key_pem_file = cert, key
    end
    for k, v in pairs(config) do
      local want = CONFIG[k]
      if want then
        if type(v) ~= want then argerr("client", 1, CONFIG_ERR[k]) end
        if k == "timeout" or k == "insecure_ssl" or k == "proxy" or k == "debug" then st.opts[k] = v
        elseif k == "root_cas_pem_file" then check_file("root_cas_pem_file", v) st.opts.root_cas_pem_file = v
        elseif k == "user_agent" then st.user_agent = v
        elseif k == "basic_auth_user" then st.basic_user = v
        elseif k == "basic_auth_password" then st.basic_pass = v
        elseif k == "headers" then
          local h = {}
          for hk, hv in pairs(v) do
            if type(hk) ~= "string" or type(hv) ~= "string" then argerr("client", 1, "headers must be table of key-values string") end
            h[hk] = hv
          end
          st.headers = h
        end
      end
    end
  end
  local c = setmetatable({}, CLIENT)
  clients[c] = st
  return c
end

function M.request(method, url, body)
  if type(method) ~= "string" and type(method) ~= "number" then argerr("request", 1, "string expected, got " .. type(method)) end
  if type(url) ~= "string" and type(url) ~= "number" then argerr("request", 2, "string expected, got " .. type(url)) end
  if body ~= nil and type(body) ~= "string" and type(body) ~= "number" then argerr("request", 3, "string expected, got " .. type(body)) end
  method, url = tostring(method), tostring(url)
  if method == "" then method = "GET" end
  if not method:match("^[%w!#$%%&'*+%.%^_|~%-]+$") then return nil, 'net/http: invalid method "' .. method .. '"' end
  local err = api.validate_url(url)
  if err then return nil, err end
  local r = setmetatable({}, REQUEST)
  requests[r] = { method = method, url = url, body = body and tostring(body) or "", headers = { ["User-Agent"] = "gopher-lua" } }
  return r
end

local function check_request(fn, r, n)
  local st = requests[r]
  if st == nil then argerr(fn, n, "http request expected") end
  return st
end

function request_methods.set_basic_auth(r, user, pass)
  local st = check_request("set_basic_auth", r, 1)
  if user == nil then argerr("set_basic_auth", 2, "value expected") end
  if pass == nil then argerr("set_basic_auth", 3, "value expected") end
  st.headers.Authorization = api.basic_auth(str(user), str(pass))
end

function request_methods.header_set(r, key, value)
  local st = check_request("header_set", r, 1)
  if key == nil then argerr("header_set", 2, "value expected") end
  if value == nil then argerr("header_set", 3, "value expected") end
  st.headers[canonical(str(key))] = str(value)
end

function client_methods.do_request(c, r)
  local cs = clients[c]
  if cs == nil then argerr("do_request", 1, "http client expected") end
  local rs = check_request("do_request", r, 2)
  local headers = {}
  for k, v in pairs(rs.headers) do headers[k] = v end
  -- as the Go client's updateRequest: its basic auth, its User-Agent, then its headers win over the request's
  if cs.basic_user ~= nil and cs.basic_pass ~= nil then headers.Authorization = api.basic_auth(cs.basic_user, cs.basic_pass) end
  headers["User-Agent"] = cs.user_agent
  if cs.headers then for k, v in pairs(cs.headers) do headers[canonical(k)] = v end end
  local jar = {}
  for host, cookies in pairs(cs.jar) do
    local parts = {}
    for name, value in pairs(cookies) do parts[#parts + 1] = name .. "=" .. value end
    table.sort(parts)
    jar[host] = table.concat(parts, "; ")
  end
  local res, err = api.do_raw(rs.method, rs.url, rs.body, headers, cs.opts, jar)
  if res == nil then return nil, err end
  for _, ck in ipairs(res.cookies or {}) do
    local name, value = ck.pair:match("^([^=]*)=(.*)$")
    if name then
      cs.jar[ck.host] = cs.jar[ck.host] or {}
      cs.jar[ck.host][name] = value
    end
  end
  return { code = res.code, body = res.body, headers = res.headers or {} }
end

CLIENT.__tostring = function() return "http_client_ud" end
REQUEST.__tostring = function() return "http_request_ud" end

M.query_escape = api.query_escape
M.query_unescape = api.query_unescape
M.parse_url = api.parse_url

function M.build_url(t)
  if type(t) ~= "table" then argerr("build_url", 1, "table expected, got " .. type(t)) end
  local scheme, host, path, user, query
  for k, v in pairs(t) do
    if k == "scheme" then if type(v) ~= "string" then argerr("build_url", 1, "scheme must be string") end scheme = v
    elseif k == "host" then if type(v) ~= "string" then argerr("build_url", 1, "host must be string") end host = v
    elseif k == "path" then if type(v) ~= "string" then argerr("build_url", 1, "path must be string") end path = v
    elseif k == "user" then
      if type(v) ~= "table" then argerr("build_url", 1, "user must be table") end
      user = { username = str(v.username), password = str(v.password) }
    elseif k == "query" then
      if type(v) ~= "table" then argerr("build_url", 1, "query must be table") end
      query = {}
      for qk, qv in pairs(v) do
        if type(qv) ~= "table" then argerr("build_url", 1, "query values must be table") end
        local list = {}
        for _, x in pairs(qv) do list[#list + 1] = str(x) end
        query[str(qk)] = list
      end
    end
  end
  return api.build_url_raw(scheme, host, path, user, query)
end

M.server = api.server
M.serve_static = api.serve_static
M.file_request = api.file_request

return M
`;
