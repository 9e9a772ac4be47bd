-- Sample post action: after the response was sent, keep the last 20 login results per account in Redis.
local nauthilus_util = require("nauthilus_util")
dynamic_loader("nauthilus_redis")
local nauthilus_redis = require("nauthilus_redis")

function nauthilus_call_action(request)
  local who = request.account or request.username
  local key = "authstudio:history:" .. who
  local entry = (request.authenticated and "ok" or "fail") .. " " .. (request.protocol or "-") .. " " .. (request.client_ip or "-")

  local _, err = nauthilus_redis.redis_lpush("default", key, entry)
  nauthilus_util.if_error_raise(err)
  _, err = nauthilus_redis.redis_expire("default", key, 86400)
  nauthilus_util.if_error_raise(err)

  local n, err_len = nauthilus_redis.redis_llen("default", key)
  nauthilus_util.if_error_raise(err_len)
  if n and n > 20 then
    nauthilus_redis.redis_rpop("default", key)
  end

  return nauthilus_builtin.ACTION_RESULT_OK
end
