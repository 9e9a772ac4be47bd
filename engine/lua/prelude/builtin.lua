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

function nauthilus_builtin.custom_log_add(key, value)
  if type(key) ~= "string" then
    error("bad argument #1 to 'custom_log_add' (string expected, got " .. type(key) .. ")", 2)
  end
  local t = type(value)
  if t == "table" or t == "function" or t == "userdata" or t == "thread" then
    error("bad argument #2 to 'custom_log_add' (string, number or boolean expected, got " .. t .. ")", 2)
  end
  custom_log_add(key, value == nil and "" or tostring(value))
end

function nauthilus_builtin.status_message_set(msg)
  if type(msg) ~= "string" then
    error("bad argument #1 to 'status_message_set' (string expected, got " .. type(msg) .. ")", 2)
  end
  status_message_set(msg)
end

-- nauthilus_backend_result: setters that, called without an argument, return the current value.
local BackendResult = {}
BackendResult.__index = BackendResult
local FIELDS = {
  "authenticated", "user_found", "account_field", "totp_secret_field", "totp_recovery_field",
  "unique_user_id_field", "display_name_field", "attributes",
}
for _, name in ipairs(FIELDS) do
  BackendResult[name] = function(self, ...)
    if select("#", ...) == 0 then return self.__fields[name] end
    self.__fields[name] = (...)
    return self
  end
end

nauthilus_backend_result = {
  new = function()
    return setmetatable({ __fields = { authenticated = false, user_found = false, attributes = {} } }, BackendResult)
  end,
}
package.loaded.nauthilus_backend_result = nauthilus_backend_result
package.loaded.nauthilus_builtin = nauthilus_builtin
