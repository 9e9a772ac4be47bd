-- Sample init script: runs once at start and after every reload.
local nauthilus_util = require("nauthilus_util")
dynamic_loader("nauthilus_prometheus")
local nauthilus_prometheus = require("nauthilus_prometheus")

function nauthilus_run_hook(logging)
  nauthilus_prometheus.create_counter_vec("authstudio_sample_blocks_total", "Requests blocked by the sample blocklist", { "network" })
  nauthilus_util.print_result(logging, { level = "info", caller = "init.lua", message = "sample workspace ready" })
end
