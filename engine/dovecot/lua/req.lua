-- The `req` object Dovecot 2.3 passes to auth_* functions: a table with `item`, `passdb`, `userdb` and a
-- few booleans; every request variable (user, rip, ...) and the methods come through its __index.
local host, S = __dv_host, __dv_shared

-- auth_request_var_expand_static_tab's long keys (aliases included); an unset one reads nil.
local VAR_KEYS = {}
for key in string.gmatch([[
  user username domain service home lip rip pid password mech secured lport rport cert login_user
  login_username login_domain session real_lip real_rip real_lport real_rport domain_first domain_last
  master_user session_pid orig_user orig_username orig_domain auth_user auth_username auth_domain
  local_name client_id local_ip remote_ip local_port remote_port real_local_ip real_remote_ip
  real_local_port real_remote_port mechanism original_user original_username original_domain
]], "%S+") do VAR_KEYS[key] = true end

local VARS = setmetatable({}, { __mode = "k" }) -- req -> its variables

local function check_request(self)
  if type(self) ~= "table" or rawget(self, "item") == nil then
    error(string.format("Bad argument #%d, expected %s got %s", 1, "auth_request", self == nil and "nil" or type(self)), 0)
  end
  return self
end

local METHODS = {}

for _, level in ipairs({ "debug", "info", "warning", "error" }) do
  local fname = "log_" .. level
  METHODS[fname] = function(self, ...)
    check_request(self)
    local msg = S.checkstring(fname, 1, (...), select("#", ...) > 0)
    host.log(level, "req", "db-lua: " .. msg)
  end
end

function METHODS.var_expand(self, ...)
  check_request(self)
  local tpl = S.checkstring("var_expand", 1, (...), select("#", ...) > 0)
  local r = host.var_expand(tpl)
  -- 2.4: an expansion error is raised (luaL_error from C: no position)
  if type(r) == "table" then error(r.error, 0) end
  return r
end

function METHODS.response_from_template(self, ...)
  check_request(self)
  local tpl = S.checkstring("response_from_template", 1, (...), select("#", ...) > 0)
  local out = {}
  for _, kv in ipairs(host.template(tpl)) do out[kv[1]] = kv[2] end
  return out
end

-- lua_tostring semantics: strings and numbers, anything else is NULL.
local function tostr(v)
  if type(v) == "string" then return v end
  if type(v) == "number" then return tostring(v) end
  return nil
end

function METHODS.password_verify(self, crypted, plain)
  check_request(self)
  local r = host.password_verify(tostr(crypted), tostr(plain)):await()
  return r.ret + 0.0, r.err -- lua_pushnumber, lua_pushstring (nil when no error)
end

function METHODS.event(self)
  check_request(self)
  return S.new_event("reqevent", "")
end

local REQ_MT = { __name = "auth_request*" }
REQ_MT.__index = function(t, k)
  k = S.checkstring("__index", 2, k, true)
  local vars = VARS[t]
  -- a variable this version sets (2.4 renamed several: service -> protocol, rip -> remote_ip, mech -> mechanism)
  if vars and vars[k] ~= nil then return vars[k] end
  if VAR_KEYS[k] then return nil end
  if METHODS[k] then return METHODS[k] end
  return rawget(t, k)
end

local function field_table(kind, item)
  return setmetatable({ item = item }, {
    __name = kind .. "_auth_request*",
    __index = function(_, k)
      k = S.checkstring("__index", 2, k, true)
      return host.extra_field(kind, k)
    end,
  })
end

-- A fresh req for one call; `vars` holds the set variables (strings), unset ones are absent.
function S.new_request(vars)
  local item = {}
  local req = {
    item = item,
    passdb = field_table("passdb", item),
    userdb = field_table("userdb", item),
    skip_password_check = false,
    passdbs_seen_user_unknown = false,
    passdbs_seen_internal_failure = false,
    userdbs_seen_internal_failure = false,
  }
  VARS[req] = vars
  return setmetatable(req, REQ_MT)
end
