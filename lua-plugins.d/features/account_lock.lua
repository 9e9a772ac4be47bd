-- Sample feature: accounts listed in the Redis set "authstudio:locked" cannot log in.
-- Lock one with: redis-cli SADD authstudio:locked bob   (or from the studio's Redis panel)
local nauthilus_util = require("nauthilus_util")
dynamic_loader("nauthilus_redis")
local nauthilus_redis = require("nauthilus_redis")

function nauthilus_call_feature(request)
  if request.no_auth then
    return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK
  end

  local locked, err = nauthilus_redis.redis_sismember("default", "authstudio:locked", string.lower(request.username))
  nauthilus_util.if_error_raise(err)

  if locked then
    nauthilus_builtin.custom_log_add("account_lock", "locked")
    nauthilus_builtin.status_message_set("Account locked")
    return nauthilus_builtin.FEATURE_TRIGGER_YES, nauthilus_builtin.FEATURES_ABORT_YES, nauthilus_builtin.FEATURE_RESULT_OK
  end

  return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK
end
