-- Sample feature: refuse clients from listed networks before any password is checked.
local N = "blocklist"

-- documentation networks stand in for a real blocklist service (see the seed's HTTP example)
local BLOCKED = { "203.0.113." }

function nauthilus_call_feature(request)
  if request.no_auth or request.client_ip == nil then
    return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK
  end

  for _, prefix in ipairs(BLOCKED) do
    if string.sub(request.client_ip, 1, #prefix) == prefix then
      nauthilus_builtin.custom_log_add(N .. "_ip", request.client_ip)
      nauthilus_builtin.status_message_set("IP address blocked")
      return nauthilus_builtin.FEATURE_TRIGGER_YES, nauthilus_builtin.FEATURES_ABORT_YES, nauthilus_builtin.FEATURE_RESULT_OK
    end
  end

  return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK
end
