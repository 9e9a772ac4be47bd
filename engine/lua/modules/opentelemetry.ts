// `nauthilus_opentelemetry` (Nauthilus 1.12, 3.x; lualib/otel.go): spans scripts make with the OpenTelemetry SDK.
// With tracing on (server.insights.tracing / observability.tracing) each request's spans nest under its request
// span, show in the trace and go to the OTLP receiver; with tracing off the tracers hand out spans that do nothing.
// (Nauthilus itself binds an empty table when tracing is off, where `otel.is_enabled()` raises; AuthStudio keeps the
// module's functions so a script runs the same either way.)
import type { LuaModule, ModuleHost } from '../module';
import type { RequestTrace } from '../../tracing/request-trace';
import { STATUS, attributesOf, linksOf, spanKindOf } from '../../tracing/span-values';

/** lualib/otel.go spanRecordError: these texts are no error (a nil Redis reply, a nil turned into text). */
const NOT_AN_ERROR = new Set(['', 'redis: nil', 'nil']);

export const opentelemetryModule: LuaModule = {
  name: 'nauthilus_opentelemetry',
  summary: 'OpenTelemetry spans from Lua: tracers, spans with attributes, events and status nested under the request span, baggage, header propagation, semconv helpers.',
  install(host) {
    return { functions: otelFunctions(host), lua: OTEL_LUA };
  },
};

function otelFunctions(host: ModuleHost) {
  const tr = (): RequestTrace | undefined => host.call?.tracing;
  const span = (handle: unknown) => (typeof handle === 'number' ? tr()?.span(handle) : undefined);
  return {
    enabled: () => tr() !== undefined,
    span_start: (scope: unknown, name: unknown, kind: unknown, attrs: unknown, links: unknown) =>
      tr()?.startSpan(String(scope), String(name), spanKindOf(kind), attributesOf(attrs), linksOf(links))?.handle,
    context_save: () => tr()?.saveContext(),
    context_restore: (token: unknown) => { if (typeof token === 'number') tr()?.restoreContext(token); },
    span_set_attributes: (handle: unknown, attrs: unknown) => { span(handle)?.setAttributes(attributesOf(attrs)); },
    span_add_event: (handle: unknown, name: unknown, attrs: unknown) => { span(handle)?.addEvent(String(name), attributesOf(attrs)); },
    // lualib/otel.go spanSetStatus: "ok" and "error" (any case); anything else is unset
    span_set_status: (handle: unknown, code: unknown, desc: unknown) => {
      const c = String(code).toLowerCase();
      const status = c === 'ok' ? STATUS.ok : c === 'error' ? STATUS.error : STATUS.unset;
      span(handle)?.setStatus({ code: status, message: typeof desc === 'string' ? desc : undefined });
    },
    span_record_error: (handle: unknown, text: unknown) => {
      const msg = String(text).trim();
      if (NOT_AN_ERROR.has(msg)) return;
      const s = span(handle);
      // the exception event Go's RecordError writes for lualib's error type
      s?.recordException({ name: '*lualib.luaErr', message: msg });
      s?.setStatus({ code: STATUS.error, message: msg });
    },
    span_end: (handle: unknown) => { span(handle)?.end(); },
    baggage_set: (k: unknown, v: unknown) => { tr()?.setBaggage(String(k), String(v)); },
    baggage_all: () => tr()?.baggage() ?? {},
    baggage_clear: () => { tr()?.clearBaggage(); },
    inject: () => tr()?.inject() ?? {},
    extract: (headers: unknown) => {
      const carrier: Record<string, string> = {};
      if (headers && typeof headers === 'object' && !Array.isArray(headers)) {
        for (const [k, v] of Object.entries(headers)) if (typeof v === 'string') carrier[k] = v;
      }
      tr()?.extract(carrier);
    },
  };
}

const OTEL_LUA = `
local api, _, internals = ...
local str = internals.check_string

local function check_table(fn, n, v, level)
  if type(v) ~= "table" then
    error("bad argument #" .. n .. " to " .. fn .. " (table expected, got " .. (v == nil and "no value" or type(v)) .. ")", level or 3)
  end
  return v
end

-- a span: its handle in the request's trace (0: a span that records nothing, as Nauthilus's with tracing off)
local span_methods = {}
local span_mt = { __index = span_methods, __name = "nauthilus_otel_span" }
local HANDLE = {}
local function new_span(handle) return setmetatable({ [HANDLE] = handle or 0 }, span_mt) end
local function handle_of(fn, s)
  if getmetatable(s) ~= span_mt then error("bad argument #1 to " .. fn .. " (span expected)", 3) end
  return s[HANDLE]
end

function span_methods.set_attribute(s, k, v)
  local h = handle_of("set_attribute", s)
  k = str("set_attribute", 2, k)
  if v == nil then error("bad argument #3 to set_attribute (value expected)", 2) end
  if h ~= 0 then api.span_set_attributes(h, { [k] = v }) end
end
function span_methods.set_attributes(s, t)
  local h = handle_of("set_attributes", s)
  check_table("set_attributes", 2, t)
  if h ~= 0 then api.span_set_attributes(h, t) end
end
function span_methods.add_event(s, name, attrs)
  local h = handle_of("add_event", s)
  name = str("add_event", 2, name)
  if attrs ~= nil then check_table("add_event", 3, attrs) end
  if h ~= 0 then api.span_add_event(h, name, attrs or {}) end
end
function span_methods.set_status(s, code, desc)
  local h = handle_of("set_status", s)
  code = str("set_status", 2, code)
  if desc ~= nil then desc = str("set_status", 3, desc) end
  if h ~= 0 then api.span_set_status(h, code, desc) end
end
function span_methods.record_error(s, err)
  local h = handle_of("record_error", s)
  if err == nil then return end
  if h ~= 0 then api.span_record_error(h, tostring(err)) end
end
local function finish(s)
  local h = handle_of("finish", s)
  if h ~= 0 then api.span_end(h) end
end
span_methods["end"] = finish
span_methods.finish = finish

local tracer_methods = {}
local tracer_mt = { __index = tracer_methods, __name = "nauthilus_otel_tracer" }
local function check_tracer(fn, t)
  if getmetatable(t) ~= tracer_mt then error("bad argument #1 to " .. fn .. " (tracer expected)", 3) end
end
local function opt_table(fn, n, v)
  if v == nil then return nil end
  return check_table(fn, n, v, 4)
end
local function start(t, name, opts)
  local attrs = type(opts.attributes) == "table" and opts.attributes or nil
  local links = type(opts.links) == "table" and opts.links or nil
  return api.span_start(t.scope, name, opts.kind ~= nil and tostring(opts.kind) or nil, attrs, links)
end

-- the span starts under the current context, which moves to it (later spans nest under it)
function tracer_methods.start_span(t, name, opts)
  check_tracer("start_span", t)
  name = str("start_span", 2, name)
  opts = opt_table("start_span", 3, opts) or {}
  if not api.enabled() then return new_span(), nil end
  return new_span(start(t, name, opts)), nil
end

-- fn runs with the span as its argument and the context moved to it; then the span ends and the context is restored
function tracer_methods.with_span(t, name, fn, opts)
  check_tracer("with_span", t)
  name = str("with_span", 2, name)
  if type(fn) ~= "function" then error("bad argument #3 to with_span (function expected, got " .. type(fn) .. ")", 2) end
  opts = opt_table("with_span", 4, opts) or {}
  if not api.enabled() then
    local res = table.pack(pcall(fn))
    if not res[1] then error(res[2], 0) end
    return table.unpack(res, 2, res.n)
  end
  local prev = api.context_save()
  local h = start(t, name, opts)
  local res = table.pack(pcall(fn, new_span(h)))
  if prev then api.context_restore(prev) end
  if h then api.span_end(h) end
  if not res[1] then error(res[2], 0) end
  return table.unpack(res, 2, res.n)
end
local function new_tracer(scope) return setmetatable({ scope = scope }, tracer_mt) end

local M = {}
function M.is_enabled() return api.enabled(), nil end
function M.tracer(scope) return new_tracer(str("tracer", 1, scope)), nil end
function M.default_tracer() return new_tracer("nauthilus/lua"), nil end
function M.baggage_set(k, v)
  if not api.enabled() then return end
  api.baggage_set(str("baggage_set", 1, k), str("baggage_set", 2, v))
end
function M.baggage_get(k)
  k = str("baggage_get", 1, k)
  local v = api.baggage_all()[k]
  if v == nil or v == "" then return nil, nil end
  return v, nil
end
function M.baggage_all()
  local out = {}
  for k, v in pairs(api.baggage_all()) do out[k] = v end
  return out, nil
end
function M.baggage_clear() if api.enabled() then api.baggage_clear() end end
-- the current trace context (traceparent) and baggage are written into the table
function M.inject_headers(headers)
  if not api.enabled() then return end
  check_table("inject_headers", 1, headers)
  for k, v in pairs(api.inject()) do headers[k] = v end
end
-- the table's trace context becomes the current one: later spans continue the caller's trace
function M.extract_headers(headers)
  if not api.enabled() then return end
  api.extract(check_table("extract_headers", 1, headers))
end

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
