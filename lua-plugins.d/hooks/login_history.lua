-- Sample custom hook: GET /api/v1/custom/login-history?account=alice@example.com
local nauthilus_util = require("nauthilus_util")
dynamic_loader("nauthilus_redis")
local nauthilus_redis = require("nauthilus_redis")
dynamic_loader("nauthilus_http_request")
local nauthilus_http_request = require("nauthilus_http_request")

function nauthilus_run_hook(logging, session)
  local account = nauthilus_http_request.get_http_query_param("account")
  if account == nil or account == "" then
    return { error = "query parameter 'account' is required", session = session }
  end

  local history, err = nauthilus_redis.redis_lrange("default", "authstudio:history:" .. account, 0, 19)
  nauthilus_util.if_error_raise(err)

  return { account = account, history = history or {}, session = session }
end
