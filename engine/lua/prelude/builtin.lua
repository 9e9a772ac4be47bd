-- nauthilus_builtin constants (1.x and 3.x names) and nauthilus_backend_result, set up once per VM.
local host = ...

nauthilus_builtin = {
  FEATURE_TRIGGER_NO = false, FEATURE_TRIGGER_YES = true,
  FEATURES_ABORT_NO = false, FEATURES_ABORT_YES = true,
  FEATURE_RESULT_OK = 0, FEATURE_RESULT_FAIL = 1,
  FILTER_ACCEPT = false, FILTER_REJECT = true,
  FILTER_RESULT_OK = 0, FILTER_RESULT_FAIL = 1,
  ACTION_RESULT_OK = 0, ACTION_RESULT_FAIL = 1,
  BACKEND_RESULT_OK = 0, BACKEND_RESULT_FAIL = 1,
  -- Nauthilus 3.x names: features became "environment", filters became "subject"
  ENVIRONMENT_TRIGGER_NO = false, ENVIRONMENT_TRIGGER_YES = true,
  ENVIRONMENTS_ABORT_NO = false, ENVIRONMENTS_ABORT_YES = true,
  ENVIRONMENT_ABORT_NO = false, ENVIRONMENT_ABORT_YES = true,
  ENVIRONMENT_RESULT_OK = 0, ENVIRONMENT_RESULT_FAIL = 1,
  SUBJECT_ACCEPT = false, SUBJECT_REJECT = true,
  SUBJECT_RESULT_OK = 0, SUBJECT_RESULT_FAIL = 1,
}

local custom_log_add, status_message_set = host.custom_log_add, host.status_message_set

-- gopher-lua's CheckString: strings, and numbers as their text (LNumber.String: the number __tostring of prelude.lua)
local function lua51_string(v)
  if type(v) == "number" then return tostring(v) end
  return v
end
-- custom_log_add keeps a number as a float64, which Nauthilus' slog text handler writes with strconv 'g':
-- 3, 1.5, 1.234567e+06 (an integral 1234567 too), 1e-05
local float_text = host.float_text
local function log_number(v)
  if v == math.floor(v) and v > -1e6 and v < 1e6 and v ~= 0 then return string.format("%d", v) end
  return float_text(v)
end
local function check_string(fn, n, v, level)
  local t = type(v)
  if t ~= "string" and t ~= "number" then
    error("bad argument #" .. n .. " to '" .. fn .. "' (string expected, got " .. t .. ")", level + 1)
  end
  return lua51_string(v)
end

-- Nauthilus 1.10 (lualib/logging.go): the key is checked as a string; a value that is not a boolean, number
-- or string is logged as "UNSUPPORTED".
function nauthilus_builtin.custom_log_add(key, value)
  key = check_string("custom_log_add", 1, key, 2)
  local t = type(value)
  if t == "number" then value = log_number(value)
  elseif t == "boolean" then value = tostring(value)
  elseif t ~= "string" then value = "UNSUPPORTED"
  end
  -- the host refuses once the request's logs are full (store-budget.ts): raised at the script's line
  local ok, err = pcall(custom_log_add, key, value)
  if not ok then error(errtext(err), 2) end
end

-- The message is sent as the Auth-Status header and kept with the request's outcome: a bounded size.
local STATUS_MESSAGE_MAX = 65536
function nauthilus_builtin.status_message_set(msg)
  msg = check_string("status_message_set", 1, msg, 2)
  if #msg > STATUS_MESSAGE_MAX then
    error("status_message_set: the message is longer than " .. STATUS_MESSAGE_MAX .. " bytes", 2)
  end
  status_message_set(msg)
end

-- nauthilus_backend_result (Nauthilus 1.10 lualib/backendresult.go): each method with one argument sets its field,
-- with none returns it. Setters check types as gopher-lua does (CheckBool, CheckString, CheckTable): "false", 0
-- or "" never count as a boolean. The fields live in `backend_fields` (a weak table of the prelude), out of the
-- script's reach: only the setters write them, and the dispatcher reads only objects made by new().
local BackendResult = {}
local CHECKS = {
  authenticated = "boolean", user_found = "boolean", attributes = "table",
  account_field = "string", totp_secret_field = "string", totp_recovery_field = "string",
  unique_user_id_field = "string", display_name_field = "string",
}
for name, want in pairs(CHECKS) do
  BackendResult[name] = function(self, ...)
    local f = backend_fields[self]
    if f == nil then
      error("bad argument #1 to '" .. name .. "' (nauthilus_backend_result expected, got " .. type(self) .. ")", 2)
    end
    -- gopher-lua: exactly one argument after self sets, anything else reads
    if select("#", ...) ~= 1 then
      local v = f[name]
      if v == nil and want == "string" then return "" end
      return v
    end
    local v = (...)
    if want == "string" then
      v = check_string(name, 2, v, 2)
    elseif type(v) ~= want then
      error("bad argument #2 to '" .. name .. "' (" .. want .. " expected, got " .. type(v) .. ")", 2)
    end
    f[name] = v
    return self -- AuthStudio lets setters chain (Nauthilus returns nothing)
  end
end
-- Nauthilus 3.0 adds list fields (webauthn_credentials, groups, group_dns): a table sets the field to its string
-- values (others are skipped), no argument returns a new list of them. Looked up when used: a reload may switch
-- the profile after this VM was made.
local nauthilus3 = host.nauthilus3
local BackendResult3 = {}
setmetatable(BackendResult, { __index = function(_, k) if nauthilus3() then return BackendResult3[k] end end })
do
  for _, name in ipairs({ "webauthn_credentials", "groups", "group_dns" }) do
    BackendResult3[name] = function(self, ...)
      local f = backend_fields[self]
      if f == nil then
        error("bad argument #1 to '" .. name .. "' (nauthilus_backend_result expected, got " .. type(self) .. ")", 2)
      end
      if select("#", ...) ~= 1 then
        local out = {}
        for i, v in ipairs(f[name] or {}) do out[i] = v end
        return out
      end
      local t = (...)
      if type(t) ~= "table" then error("bad argument #2 to '" .. name .. "' (table expected, got " .. type(t) .. ")", 2) end
      local list = {}
      for _, v in pairs(t) do if type(v) == "string" then list[#list + 1] = v end end
      f[name] = list
      return self
    end
  end
end
local BackendResultMeta = {
  __index = BackendResult,
  __newindex = function(_, k) error("nauthilus_backend_result: cannot set field '" .. tostring(k) .. "' (use its methods)", 2) end,
  -- getmetatable() shows a copy: a script cannot change the methods every other backend result uses
  __metatable = { __name = "nauthilus_backend_result", __index = (function() local c = {} for k, v in pairs(BackendResult) do c[k] = v end return c end)() },
  __name = "nauthilus_backend_result",
}

nauthilus_backend_result = {
  new = function()
    local b = setmetatable({}, BackendResultMeta)
    backend_fields[b] = { authenticated = false, user_found = false, attributes = {} }
    return b
  end,
}
package.loaded.nauthilus_backend_result = nauthilus_backend_result
package.loaded.nauthilus_builtin = nauthilus_builtin
