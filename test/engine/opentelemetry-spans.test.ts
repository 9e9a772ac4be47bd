// nauthilus_opentelemetry with tracing on: a script's spans (attributes, events, status, nesting) show in the
// simulator's trace under the request span, as Nauthilus's lualib/otel.go makes them (1.12.5, 3.0.1); with tracing
// off the same script runs and makes no span.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import pino from 'pino';
import { openStudio } from '../../engine/studio/open-studio';
import { AuthEngine } from '../../engine/engine';
import { loadConfigFile } from '../../engine/config/load';
import { createInProcessClient } from '../../engine/api/in-process-client';
import type { SimulationResult, TraceSpan } from '../../engine/api/contract';
import { workspace, yml } from '../helpers/config-text';

// a backend that traces its lookup: a manual span, a with_span inside it, then one more
const BACKEND = `
local otel = require("nauthilus_opentelemetry")
function nauthilus_backend_verify_password(request)
  local tr = otel.tracer("authstudio/test")
  local lookup = tr:start_span("backend.lookup")
  lookup:set_attributes({ ["db.system"] = "memory", tries = 2, cached = false, ignored = { 1 } })
  lookup:add_event("user.read", { user = request.username })
  -- start_span moved the context to backend.lookup: this span nests under it
  local found = tr:with_span("password.compare", function(cmp)
    if cmp then -- with tracing off the function gets no span, as in Nauthilus
      if request.password ~= "secret" then cmp:record_error("password mismatch") else cmp:set_status("ok") end
      cmp:record_error("redis: nil")
    end
    return request.username == "alice"
  end, { kind = "client", attributes = { ["peer.service"] = "vault" } })
  lookup:set_status("ok", "looked up")
  lookup:finish()
  -- the context stays on backend.lookup after it ended: this one nests under it too
  local after_lookup = tr:start_span("after.lookup")
  after_lookup["end"](after_lookup)
  local b = nauthilus_backend_result.new()
  b:user_found(found)
  b:account_field("account")
  b:attributes({ account = request.username, tracing = tostring(otel.is_enabled()) })
  b:authenticated(found and request.password == "secret")
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;

// propagation: headers carry the current span and baggage out; extracted headers start another trace's spans
const PROPAGATE = `
local otel = require("nauthilus_opentelemetry")
function nauthilus_backend_verify_password(request)
  local tr = otel.default_tracer()
  local out = {}
  tr:with_span("call.out", function(span)
    otel.baggage_set("tenant", "blue")
    otel.inject_headers(out)
  end)
  otel.extract_headers({ traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" })
  local linked = tr:start_span("continued", { links = { { trace_id = "4bf92f3577b34da6a3ce929d0e0e4736", span_id = "00f067aa0ba902b7" }, { trace_id = "bad", span_id = "x" } } })
  linked:finish()
  local b = nauthilus_backend_result.new()
  b:user_found(true)
  b:account_field("account")
  b:attributes({ account = request.username, traceparent = out.traceparent or "", baggage = out.baggage or "", tenant = otel.baggage_get("tenant") or "none" })
  b:authenticated(true)
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;

function ws(tracing: string[], script = BACKEND): string {
  return workspace({
    'authstudio.yml': yml(
      'nauthilus: "1.12"',
      'server:', '  address: 127.0.0.1:0', '  backends: [lua]', '  redis: mock', '  log: {level: error}',
      ...(tracing.length ? ['  insights:', '    tracing:', ...tracing.map((l) => `      ${l}`)] : []),
      'lua:', '  config:', '    backend_script_path: ./backend.lua',
    ),
    'backend.lua': script,
  });
}

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers) await c();
});

async function simulate(dir: string, password: string): Promise<SimulationResult> {
  const studio = await openStudio({ workspace: dir, listen: '127.0.0.1:0', watch: false });
  const client = createInProcessClient(studio.service);
  await client.connect();
  closers.push(async () => { await client.close(); await studio.close(); });
  return client.simulate({ preset: 'dovecot-imap', username: 'alice', password });
}

const byName = (spans: TraceSpan[], name: string): TraceSpan => {
  const s = spans.find((x) => x.name === name);
  assert.ok(s, `span ${name} in [${spans.map((x) => x.name).join(', ')}]`);
  return s;
};

test('nauthilus_opentelemetry (1.12.5): start_span and with_span spans show in the backend stage with attributes, events, status and nesting', async () => {
  const res = await simulate(ws(['enabled: true', 'sampler_ratio: 1', 'service_name: authstudio-test']), 'secret');
  assert.equal(res.decision, 'ok');
  const backend = res.trace.find((s) => s.stage === 'backend');
  const spans = backend?.spans ?? [];
  assert.deepEqual(spans.map((s) => s.name).sort(), ['after.lookup', 'backend.lookup', 'password.compare']);

  const lookup = byName(spans, 'backend.lookup');
  // Nauthilus's request span is otelgin's "METHOD /route"; the script's first span nests under it
  assert.equal(lookup.parent_name, 'POST /api/v1/auth/json');
  assert.equal(lookup.scope, 'authstudio/test');
  assert.equal(lookup.kind, 'internal');
  // strings, numbers and booleans are kept; a table value is left out (lualib/otel.go kvFromLValue)
  assert.deepEqual(lookup.attributes, { 'db.system': 'memory', tries: 2, cached: false });
  assert.deepEqual(lookup.events.map((e) => [e.name, e.attributes]), [['user.read', { user: 'alice' }]]);
  // Ok carries no description (the OpenTelemetry rule Go's SDK keeps too)
  assert.equal(lookup.status.code, 'ok');
  assert.ok(typeof lookup.duration_ms === 'number' && lookup.duration_ms >= 0);

  const cmp = byName(spans, 'password.compare');
  assert.equal(cmp.parent_span_id, lookup.span_id);
  assert.equal(cmp.trace_id, lookup.trace_id);
  assert.equal(cmp.kind, 'client');
  assert.deepEqual(cmp.attributes, { 'peer.service': 'vault' });
  assert.deepEqual(cmp.status, { code: 'ok' });
  // record_error("redis: nil") is no error
  assert.deepEqual(cmp.events, []);
  assert.equal(byName(spans, 'after.lookup').parent_name, 'backend.lookup');

  // the script saw tracing on
  assert.equal((res.body as { attributes?: Record<string, unknown> })?.attributes?.tracing?.toString(), 'true');
});

test('nauthilus_opentelemetry (1.12.5): record_error sets the error status and an exception event', async () => {
  const res = await simulate(ws(['enabled: true', 'sampler_ratio: 1']), 'wrong');
  assert.equal(res.decision, 'fail');
  const cmp = byName(res.trace.find((s) => s.stage === 'backend')?.spans ?? [], 'password.compare');
  assert.deepEqual(cmp.status, { code: 'error', message: 'password mismatch' });
  assert.deepEqual(cmp.events.map((e) => [e.name, e.attributes['exception.message']]), [['exception', 'password mismatch']]);
});

test('nauthilus_opentelemetry (1.12.5): sampler_ratio unset is 0, so a request without a sampled parent records no span; the script runs', async () => {
  const res = await simulate(ws(['enabled: true']), 'secret');
  assert.equal(res.decision, 'ok');
  assert.equal(res.trace.find((s) => s.stage === 'backend')?.spans, undefined);
});

test('nauthilus_opentelemetry (1.12.5): with tracing off the tracer is a no-op: is_enabled() is false, the script runs, no span is recorded', async () => {
  const res = await simulate(ws([]), 'secret');
  assert.equal(res.decision, 'ok');
  const backend = res.trace.find((s) => s.stage === 'backend');
  assert.equal(backend?.result.startsWith('error'), false);
  assert.equal(backend?.spans, undefined);
  assert.equal((res.body as { attributes?: Record<string, unknown> })?.attributes?.tracing?.toString(), 'false');
});

test('nauthilus_opentelemetry (1.12.5, 3.0.1): inject_headers writes traceparent and baggage of the current span; extract_headers continues another trace', async () => {
  const res = await simulate(ws(['enabled: true', 'sampler_ratio: 1'], PROPAGATE), 'secret');
  assert.equal(res.decision, 'ok');
  const spans = res.trace.find((s) => s.stage === 'backend')?.spans ?? [];
  const out = byName(spans, 'call.out');
  const attrs = (res.body as { attributes: Record<string, unknown> }).attributes;
  // W3C trace context of the span that was current inside with_span, sampled
  assert.equal(String(attrs.traceparent), `00-${out.trace_id}-${out.span_id}-01`);
  assert.equal(String(attrs.baggage), 'tenant=blue');
  // with_span restored the context before it: the baggage set inside it is gone
  assert.equal(String(attrs.tenant), 'none');
  const continued = byName(spans, 'continued');
  assert.equal(continued.trace_id, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(continued.parent_span_id, 'b7ad6b7169203331');
});

test('tracing (1.12.5): a TLS ca_file that cannot be read stops the engine with an error naming the key', async () => {
  const dir = ws(['enabled: true', 'exporter: otlphttp', 'tls:', '  enabled: true', '  ca_file: ./missing-ca.pem']);
  const config = loadConfigFile(path.join(dir, 'authstudio.yml'));
  await assert.rejects(AuthEngine.create(config, { logger: pino({ level: 'silent' }), workers: 0 }),
    (e: Error & { code?: string }) => e.code === 'AS_ERR_CONFIG_FILE' && /^server\.insights\.tracing\.tls: cannot read .*missing-ca\.pem/.test(e.message));
});
