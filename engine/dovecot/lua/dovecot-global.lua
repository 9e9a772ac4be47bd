-- The `dovecot` global of Dovecot 2.3: dovecot.auth constants, i_* logging, events, global restriction.
-- Like Dovecot, `pairs(dovecot)` shows only `auth` and `http`; the functions live in its metatable.
local host, S = __dv_host, __dv_shared

local auth = {}
for name, value in pairs(host.constants()) do
  auth[name] = value + 0.0 -- Dovecot pushes them with lua_pushnumber: tostring() gives "1.0"
end
local auth_mt = { __name = "dovecot_auth" }
auth_mt.__index = auth_mt
setmetatable(auth, auth_mt)

local function logger(fname, level)
  return function(...)
    S.require_args(1, select("#", ...))
    local msg = S.checkstring(fname, 1, (...), true)
    host.log(level, "global", msg)
  end
end

---------------------------------------------------------------------------------------------------
-- Events: enough of struct event for scripts that log through one (prefixes, fields, passthrough).
---------------------------------------------------------------------------------------------------
local EVENT_MT = { __name = "struct event" }
EVENT_MT.__index = EVENT_MT
local PASSTHROUGH_MT = { __name = "struct event_passthrough" }
PASSTHROUGH_MT.__index = PASSTHROUGH_MT

function S.new_event(kind, prefix)
  return setmetatable({ item = {}, kind = kind, prefix = prefix or "", fields = {} }, EVENT_MT)
end

local function check_event(self)
  local mt = type(self) == "table" and getmetatable(self)
  if mt ~= EVENT_MT and mt ~= PASSTHROUGH_MT then
    error(string.format("Bad argument #1, expected struct event got %s", self == nil and "nil" or type(self)), 0)
  end
  return self
end

for _, level in ipairs({ "debug", "info", "warning", "error" }) do
  local fname = "log_" .. level
  EVENT_MT[fname] = function(self, ...)
    check_event(self)
    local msg = S.checkstring(fname, 1, (...), select("#", ...) > 0)
    host.log(level, self.kind, self.prefix .. msg)
  end
  PASSTHROUGH_MT[fname] = EVENT_MT[fname]
end

local function chain(fname, apply)
  local f = function(self, ...)
    check_event(self)
    apply(self, ...)
    return self
  end
  EVENT_MT[fname] = f
  PASSTHROUGH_MT[fname] = f
end
chain("set_name", function(self, name) self.fields.name = S.checkstring("set_name", 1, name, name ~= nil) end)
chain("set_always_log_source", function() end)
chain("append_log_prefix", function(self, p) self.prefix = self.prefix .. S.checkstring("append_log_prefix", 1, p, p ~= nil) end)
chain("replace_log_prefix", function(self, p) self.prefix = S.checkstring("replace_log_prefix", 1, p, p ~= nil) end)
chain("add_str", function(self, k, v) self.fields[S.checkstring("add_str", 1, k, k ~= nil)] = S.checkstring("add_str", 2, v, v ~= nil) end)
chain("add_int", function(self, k, v) self.fields[S.checkstring("add_int", 1, k, k ~= nil)] = math.tointeger(v) or 0 end)
chain("inc_int", function(self, k, v)
  k = S.checkstring("inc_int", 1, k, k ~= nil)
  self.fields[k] = (math.tointeger(self.fields[k]) or 0) + (math.tointeger(v) or 0)
end)
chain("add_timeval", function(self, k, v) self.fields[S.checkstring("add_timeval", 1, k, k ~= nil)] = v end)
EVENT_MT.passthrough_event = function(self)
  check_event(self)
  return setmetatable({ item = self.item, kind = self.kind, prefix = self.prefix, fields = self.fields }, PASSTHROUGH_MT)
end

local function event_new(parent)
  if parent ~= nil then
    check_event(parent)
    return S.new_event(parent.kind, parent.prefix)
  end
  return S.new_event("global", "")
end

local function restrict_global_variables(enable)
  if enable then
    setmetatable(_G, {
      __index = function(_, k) error("attempt to write to read undeclared global variable " .. tostring(k), 2) end,
      __newindex = function(_, k) error("attempt to write to undeclared global variable " .. tostring(k), 2) end,
    })
  else
    setmetatable(_G, nil)
  end
end

dovecot = setmetatable({ auth = auth, http = {} }, {
  __name = "dovecot",
  __index = {
    i_debug = logger("i_debug", "debug"),
    i_info = logger("i_info", "info"),
    i_warning = logger("i_warning", "warning"),
    i_error = logger("i_error", "error"),
    event = event_new,
    restrict_global_variables = restrict_global_variables,
  },
})
