-- Sample action (type lua): runs when a feature blocked the request; counts blocks per network in Redis.
local nauthilus_util = require("nauthilus_util")
dynamic_loader("nauthilus_redis")
local nauthilus_redis = require("nauthilus_redis")

function nauthilus_call_action(request)
  if request.client_net then
    local _, err = nauthilus_redis.redis_hincrby("default", "authstudio:blocked_networks", request.client_net, 1)
    nauthilus_util.if_error_raise(err)
  end
  return nauthilus_builtin.ACTION_RESULT_OK
end
