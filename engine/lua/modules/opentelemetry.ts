// `nauthilus_opentelemetry` (Nauthilus 1.12): the OpenTelemetry helpers scripts call, in the state Nauthilus's
// module has with tracing off — AuthStudio exports no traces. is_enabled() is false; tracers hand out spans whose
// methods do nothing; with_span runs its function without a span; semconv helpers build their attribute tables.
// (Nauthilus 1.12.5 itself binds an empty table when server.insights.tracing is off, so there the shipped scripts'
// `nauthilus_otel.is_enabled()` raises; with tracing on it is this module recording real spans.)
import type { LuaModule } from '../module';

export const opentelemetryModule: LuaModule = {
  name: 'nauthilus_opentelemetry',
  summary: 'OpenTelemetry helpers (Nauthilus 1.12) with tracing off: is_enabled() false, tracers, no-op spans, with_span, semconv helpers.',
  install() {
    return { functions: {}, lua: OTEL_LUA };
  },
};

const OTEL_LUA = `
local internals = select(3, ...)
local str = internals.check_string

local function check_table(fn, n, v)
  if type(v) ~= "table" then
    error("bad argument #" .. n .. " to " .. fn .. " (table expected, got " .. (v == nil and "no value" or type(v)) .. ")", 3)
  end
  return v
end

local span_methods = {}
for _, name in ipairs({ "set_attribute", "set_attributes", "add_event", "set_status", "record_error", "end", "finish" }) do
  span_methods[name] = function() end
end
local span_mt = { __index = span_methods, __name = "nauthilus_otel_span" }
local function new_span() return setmetatable({}, span_mt) end

local tracer_methods = {}
local tracer_mt = { __index = tracer_methods, __name = "nauthilus_otel_tracer" }
local function check_tracer(fn, t)
  if getmetatable(t) ~= tracer_mt then error("bad argument #1 to " .. fn .. " (tracer expected)", 3) end
end
function tracer_methods.start_span(t, name, opts)
  check_tracer("start_span", t)
  str("start_span", 2, name)
  return new_span(), nil
end
-- tracing off: the function runs with no span argument, its results are with_span's; its error is raised again
function tracer_methods.with_span(t, name, fn, opts)
  check_tracer("with_span", t)
  str("with_span", 2, name)
  if type(fn) ~= "function" then error("bad argument #3 to with_span (function expected, got " .. type(fn) .. ")", 2) end
  local res = table.pack(pcall(fn))
  if not res[1] then error(res[2], 0) end
  return table.unpack(res, 2, res.n)
end
local function new_tracer(scope) return setmetatable({ scope = scope }, tracer_mt) end

local M = {}
function M.is_enabled() return false, nil end
function M.tracer(scope) return new_tracer(str("tracer", 1, scope)), nil end
function M.default_tracer() return new_tracer("nauthilus/lua"), nil end
-- no trace context: nothing to carry in baggage or headers
function M.baggage_set(k, v) str("baggage_set", 1, k); str("baggage_set", 2, v) end
function M.baggage_get(k) str("baggage_get", 1, k); return nil end
function M.baggage_all() return {} end
function M.baggage_clear() end
function M.inject_headers(headers) check_table("inject_headers", 1, headers) end
function M.extract_headers(headers) check_table("extract_headers", 1, headers) end

local function copy(src, dst, from, to)
  local v = rawget(src, from)
  if v ~= nil then dst[to] = v end
end
M.semconv = {
  peer_service = function(v) return { ["peer.service"] = str("peer_service", 1, v) }, nil end,
  http_client_attrs = function(t)
    check_table("http_client_attrs", 1, t)
    local out = {}
    copy(t, out, "method", "http.method"); copy(t, out, "url", "url.full"); copy(t, out, "status_code", "http.status_code")
    return out, nil
  end,
  db_attrs = function(t)
    check_table("db_attrs", 1, t)
    local out = {}
    copy(t, out, "system", "db.system"); copy(t, out, "name", "db.name"); copy(t, out, "operation", "db.operation")
    copy(t, out, "statement", "db.statement")
    return out, nil
  end,
  net_attrs = function(t)
    check_table("net_attrs", 1, t)
    local out = {}
    copy(t, out, "peer_name", "server.address"); copy(t, out, "peer_port", "server.port")
    return out, nil
  end,
}
return M
`;
